"""Test set-up: Keras 2 for QKeras (before TensorFlow is imported anywhere), quiet TensorFlow."""

from __future__ import annotations

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # no GPU on CI; don't let TensorFlow look for one


import contextlib
import io
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def camera_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/camera_defects.yaml trained once per test session (about 100 s); its output folder.

    The training, HLS and RTL tests all use this model as "the camera example model".
    """
    from lepton_hw.cli import main

    out = tmp_path_factory.mktemp("camera_example") / "camera_defects"
    config = Path(__file__).parents[1] / "examples" / "camera_defects.yaml"
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        status = main(["train", str(config), "-o", str(out)])
    assert status == 0, printed.getvalue()
    (out / "train.log").write_text(printed.getvalue())
    return out


@pytest.fixture(scope="session")
def csim_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cache folder of compiled C simulations: $LEPTON_HW_TEST_CACHE when set (reuse builds across
    runs while developing), else a fresh folder, so that the suite really compiles what it checks."""
    configured = os.environ.get("LEPTON_HW_TEST_CACHE")
    root = Path(configured) if configured else tmp_path_factory.mktemp("lepton-cache")
    return root / "csim"  # the layout of $LEPTON_HW_CACHE, so that the command line finds the same builds


@pytest.fixture(scope="session")
def rtl_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RTL simulation builds, shared by the RTL and CLI tests so that each core is built once:
    $LEPTON_HW_TEST_CACHE/rtl when set, else a fresh folder (the suite really builds what it checks)."""
    configured = os.environ.get("LEPTON_HW_TEST_CACHE")
    root = Path(configured) if configured else tmp_path_factory.mktemp("lepton-rtl-cache")
    return root / "rtl"  # the layout of $LEPTON_HW_CACHE
