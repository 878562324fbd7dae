"""Bit-exactness: `predict --engine ir` == `predict --engine keras` on random QKeras models.

Each model comes from lepton_hw.testing.models (seeded), is saved as .h5, imported and run
through the command line exactly as a user would; the two Y.npy files are compared with ==.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lepton_hw.testing.models import random_inputs, random_model
from tests.helpers import assert_bit_exact, predict_engines, run_cli

pytestmark = pytest.mark.keras

DEFAULT_SEEDS = list(range(24))
SLOW_SEEDS = list(range(1000, 1150))


def _check_seed(seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lepton_hw.frontend.keras_env import tf_keras

    tf_keras().backend.clear_session()
    spec, model = random_model(seed)
    model.save(tmp_path / "model.h5")
    x = random_inputs(spec.input_shape, 48, seed)
    status, _, err = run_cli(["import", str(tmp_path / "model.h5"), "-o", str(tmp_path / "ir")], capsys)
    assert status == 0, err
    outputs = predict_engines(tmp_path / "ir", x, capsys)
    assert outputs["ir"].shape == (len(x), outputs["ir"].shape[1])
    assert_bit_exact(outputs["ir"], outputs["keras"], spec.describe())


@pytest.mark.parametrize("seed", DEFAULT_SEEDS)
def test_ir_equals_keras(seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check_seed(seed, tmp_path, capsys)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_ir_equals_keras_sweep(seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check_seed(seed, tmp_path, capsys)


def test_generator_covers_the_required_space() -> None:
    """The default seeds reach every feature the issue lists (so the sweep above means something)."""
    from lepton_hw.testing.models import random_spec

    specs = [random_spec(s) for s in DEFAULT_SEEDS]
    kinds = {layer.kind for s in specs for layer in s.layers}
    convs = [layer.args for s in specs for layer in s.layers if layer.kind in ("conv", "conv_bn")]
    assert {"conv", "conv_bn", "dense", "pool_max", "pool_avg", "act_relu", "act_bits", "softmax"} <= kinds
    assert {c["kernel"] for c in convs} == {1, 2, 3, 4, 5}
    assert {c["stride"] for c in convs} == {1, 2}
    assert {c["padding"] for c in convs} == {"valid", "same"}
    bits = {c["weight_bits"] for c in convs}
    assert min(bits) == 2 and max(bits) == 8
    assert any(s.sparsity > 0 for s in specs) and any(len(s.input_shape) == 1 for s in specs)
