"""Import details: pruning wrappers, batch-norm folding, sparsity, info output, softmax dropping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lepton_hw.frontend.keras_env import tf_keras
from lepton_hw.ir.graph import Conv2D, Dense
from lepton_hw.ir.serialize import load_graph
from lepton_hw.testing.models import random_inputs
from tests.helpers import assert_bit_exact, predict_engines, run_cli

pytestmark = pytest.mark.keras

Q4 = "quantized_bits(4,0,alpha=1)"


def _compare_engines(directory: Path, x: np.ndarray, capsys: pytest.CaptureFixture[str]) -> np.ndarray:
    """Both engines on ``x`` through the command line, equal bit for bit; the outputs."""
    outputs = predict_engines(directory / "ir", x, capsys)
    assert_bit_exact(outputs["ir"], outputs["keras"])
    return outputs["ir"]


def test_pruning_wrappers_are_stripped_and_sparsity_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keras = tf_keras()
    import qkeras
    import tensorflow_model_optimization as tfmot

    keras.utils.set_random_seed(1)
    base = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            qkeras.QConv2D(4, 3, kernel_quantizer=Q4, bias_quantizer=Q4, name="conv"),
            qkeras.QActivation("quantized_relu(4,1)", name="relu"),
            keras.layers.Flatten(name="flat"),
            qkeras.QDense(3, kernel_quantizer=Q4, bias_quantizer=Q4, name="out"),
        ]
    )
    schedule = tfmot.sparsity.keras.ConstantSparsity(0.75, begin_step=0, frequency=1)
    pruned = tfmot.sparsity.keras.prune_low_magnitude(base, pruning_schedule=schedule)
    pruned.compile(optimizer="adam", loss="mse")
    x = random_inputs((8, 8, 1), 32, 5)
    pruned.fit(
        x, np.zeros((32, 3)), epochs=1, batch_size=32, verbose=0, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()]
    )
    assert any("prune_low_magnitude" in layer.name for layer in pruned.layers)
    pruned.save(tmp_path / "pruned.h5")  # saved with the wrappers

    status, _, err = run_cli(["import", str(tmp_path / "pruned.h5"), "-o", str(tmp_path / "ir")], capsys)
    assert status == 0, err
    graph = load_graph(tmp_path / "ir")
    weighted = [n for n in graph.nodes if isinstance(n, (Conv2D, Dense))]
    assert [n.name for n in weighted] == ["conv", "out"]
    for node in weighted:
        assert abs(node.sparsity - 0.75) <= 0.01, (node.name, node.sparsity)
    _compare_engines(tmp_path, x, capsys)


def test_batchnorm_folding_and_dropped_softmax(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keras = tf_keras()
    import qkeras

    keras.utils.set_random_seed(2)
    model = keras.Sequential(
        [
            keras.Input((7, 7, 1)),
            qkeras.QConv2DBatchnorm(
                3, 3, kernel_quantizer=Q4, bias_quantizer="quantized_bits(6,2,alpha=1)", name="convbn"
            ),
            qkeras.QActivation("quantized_relu(3,1)", name="relu"),
            keras.layers.Dropout(0.5, name="drop"),
            keras.layers.Flatten(name="flat"),
            qkeras.QDense(4, kernel_quantizer=Q4, bias_quantizer=Q4, activation="softmax", name="out"),
        ]
    )
    bn = model.get_layer("convbn").batchnorm
    bn.moving_mean.assign([0.3, -0.2, 0.1])
    bn.moving_variance.assign([0.5, 2.0, 1.5])
    bn.gamma.assign([1.2, 0.7, -0.9])
    model.save(tmp_path / "m.h5")
    status, _, err = run_cli(["import", str(tmp_path / "m.h5"), "-o", str(tmp_path / "ir")], capsys)
    assert status == 0, err
    assert "dropped the trailing softmax" in err
    graph = load_graph(tmp_path / "ir")
    assert [n.op for n in graph.nodes] == ["input", "conv2d", "relu", "flatten", "dense"]
    # the folded kernel differs from the raw one: the batch-norm really was folded in
    conv = graph.nodes[1]
    raw = np.rint(np.asarray(model.get_layer("convbn").kernel_quantizer_internal(model.get_layer("convbn").kernel)) * 8)
    assert not np.array_equal(conv.weight, raw.astype(np.int64))
    y = _compare_engines(tmp_path, random_inputs((7, 7, 1), 40, 3), capsys)
    assert not np.allclose(y.sum(axis=1), 1.0)  # logits, not probabilities


def test_info_lists_layers_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keras = tf_keras()
    import qkeras

    model = keras.Sequential(
        [
            keras.Input((10, 12, 1)),
            qkeras.QConv2D(4, 3, padding="same", kernel_quantizer=Q4, bias_quantizer=Q4, name="c1"),
            keras.layers.MaxPooling2D(2, name="p1"),
            keras.layers.Flatten(name="f"),
            qkeras.QDense(5, kernel_quantizer=Q4, bias_quantizer=Q4, name="d1"),
        ]
    )
    model.save(tmp_path / "m.h5")
    assert run_cli(["import", str(tmp_path / "m.h5"), "-o", str(tmp_path / "ir")], capsys)[0] == 0
    status, out, err = run_cli(["info", str(tmp_path / "ir")], capsys)
    assert status == 0, err
    for name in ("c1", "p1", "f", "d1", "ap_ufixed<8,0>", "10x12x4", "5x6x4"):
        assert name in out
    conv_macs = 10 * 12 * 4 * 3 * 3 * 1
    dense_macs = 5 * 6 * 4 * 5
    assert f"{conv_macs + dense_macs} MACs" in out
    assert f"{(3 * 3 * 4 + 4) + (120 * 5 + 5)} parameters" in out


def test_package_data_is_found() -> None:
    from importlib import resources

    assert (resources.files("lepton_hw") / "boards" / "README.md").is_file()  # lepton_hw.boards is the module
    assert (resources.files("lepton_hw.hls_templates") / "README.md").is_file()
