"""Shared fixtures: one C-simulation cache per test session (each build is compiled once per run)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def csim_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cache folder of compiled C simulations: $LEPTON_HW_TEST_CACHE when set (reuse builds across
    runs while developing), else a fresh folder, so that the suite really compiles what it checks."""
    configured = os.environ.get("LEPTON_HW_TEST_CACHE")
    return Path(configured) if configured else tmp_path_factory.mktemp("csim-cache")
