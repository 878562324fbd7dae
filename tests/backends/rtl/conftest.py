"""Fixtures of the RTL tests: one simulation cache per session, so each core is built once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def rtl_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Simulation builds: $LEPTON_HW_TEST_CACHE/rtl when set (reuse builds while developing), else a
    fresh folder, so that the suite really builds what it checks."""
    configured = os.environ.get("LEPTON_HW_TEST_CACHE")
    root = Path(configured) if configured else tmp_path_factory.mktemp("lepton-cache")
    return root / "rtl"
