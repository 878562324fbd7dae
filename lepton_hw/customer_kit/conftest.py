"""pytest options of the core's testbench (environment variables work too: see test_lepton_core.py)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lepton", "the core's testbench")
    group.addoption("--sim", default=None, help="icarus (default) or verilator; or set LEPTON_SIM")
    group.addoption("--ports", default=None, help="lepton (default), vitis, or a JSON port map; or set LEPTON_PORTS")
