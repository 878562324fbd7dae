"""Bad input: one clear line, exit status 2, nothing written half-way."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lepton_hw.frontend.keras_env import tf_keras
from tests.helpers import run_cli

pytestmark = pytest.mark.keras

Q4 = "quantized_bits(4,0,alpha=1)"


def _small_model(extra_layer: Any = None, kernel_quantizer: str = Q4) -> Any:
    keras = tf_keras()
    import qkeras

    layers = [
        keras.Input((6, 6, 1)),
        qkeras.QConv2D(2, 3, kernel_quantizer=kernel_quantizer, bias_quantizer=Q4, name="conv"),
    ]
    if extra_layer is not None:
        layers.append(extra_layer)
    layers += [
        keras.layers.Flatten(name="flat"),
        qkeras.QDense(3, kernel_quantizer=Q4, bias_quantizer=Q4, name="out"),
    ]
    return keras.Sequential(layers)


def _assert_user_error(status: int, err: str, *needles: str) -> None:
    assert status == 2, err
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("lepton-hw: error: "), err
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"


def _predict(
    capsys: pytest.CaptureFixture[str], ir: Path, x: Path, y: Path, engine: str | None = None
) -> tuple[int, str, str]:
    argv = ["predict", str(ir), "-i", str(x), "-o", str(y)]
    return run_cli([*argv, "--engine", engine] if engine else argv, capsys)


def _nothing_written(parent: Path, name: str) -> None:
    assert not (parent / name).exists()
    assert [p.name for p in parent.iterdir() if p.name.startswith(f".{name}")] == []


def test_unsupported_layer_names_layer_class_and_supported_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = _small_model(tf_keras().layers.UpSampling2D(name="upsample"))
    model.save(tmp_path / "m.h5")
    status, _, err = run_cli(["import", str(tmp_path / "m.h5"), "-o", str(tmp_path / "ir")], capsys)
    _assert_user_error(status, err, "'upsample'", "UpSampling2D", "supported layers:", "QConv2D", "QDense")
    _nothing_written(tmp_path, "ir")


@pytest.mark.parametrize(
    ("layer_factory", "needles"),
    [
        (lambda k: k.layers.BatchNormalization(name="bn"), ("'bn'", "BatchNormalization", "QConv2DBatchnorm")),
        (lambda k: k.layers.Activation("tanh", name="act"), ("'act'", "tanh", "supported")),
        (lambda k: k.layers.Activation("softmax", name="sm"), ("'sm'", "softmax", "last layer")),
    ],
)
def test_inexact_layers_say_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layer_factory: Any, needles: tuple[str, ...]
) -> None:
    _small_model(layer_factory(tf_keras())).save(tmp_path / "m.h5")
    status, _, err = run_cli(["import", str(tmp_path / "m.h5"), "-o", str(tmp_path / "ir")], capsys)
    _assert_user_error(status, err, *needles)
    _nothing_written(tmp_path, "ir")


def test_float_alpha_is_rejected_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _small_model(kernel_quantizer="quantized_bits(4,0,alpha='auto')").save(tmp_path / "m.h5")
    status, _, err = run_cli(["import", str(tmp_path / "m.h5"), "-o", str(tmp_path / "ir")], capsys)
    _assert_user_error(status, err, "'conv'", "alpha='auto'", "not a power of two", "alpha=1")


def test_branching_model_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keras = tf_keras()
    import qkeras

    inp = keras.Input((4,))
    a = qkeras.QDense(4, kernel_quantizer=Q4, name="a")(inp)
    b = qkeras.QDense(4, kernel_quantizer=Q4, name="b")(inp)
    keras.Model(inp, keras.layers.Add(name="add")([a, b])).save(tmp_path / "m.h5")
    status, _, err = run_cli(["import", str(tmp_path / "m.h5"), "-o", str(tmp_path / "ir")], capsys)
    _assert_user_error(status, err, "chains of layers")


@pytest.mark.parametrize("content", [b"", b"this is not an HDF5 file", b"\x89HDF\r\n\x1a\n" + b"\0" * 100])
def test_corrupt_model_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    (tmp_path / "bad.h5").write_bytes(content)
    status, _, err = run_cli(["import", str(tmp_path / "bad.h5"), "-o", str(tmp_path / "ir")], capsys)
    _assert_user_error(status, err, "cannot read model file", "bad.h5")
    _nothing_written(tmp_path, "ir")


def test_missing_model_and_unknown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_cli(["import", str(tmp_path / "nope.h5"), "-o", str(tmp_path / "ir")], capsys)
    _assert_user_error(status, err, "nope.h5", "does not exist")
    (tmp_path / "m.onnx").write_bytes(b"x")
    status, _, err = run_cli(["import", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "ir")], capsys)
    _assert_user_error(status, err, ".onnx", "accepted: .h5, .keras")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lepton_hw.cli import main

    work = tmp_path_factory.mktemp("imported")
    _small_model().save(work / "m.h5")
    assert main(["import", str(work / "m.h5"), "-o", str(work / "ir")]) == 0
    return work


def test_existing_output_needs_force(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (imported / "ir" / "ir.json").read_bytes()
    status, _, err = run_cli(["import", str(imported / "m.h5"), "-o", str(imported / "ir")], capsys)
    _assert_user_error(status, err, "exists already", "--force")
    assert (imported / "ir" / "ir.json").read_bytes() == before
    status, _, err = run_cli(["import", str(imported / "m.h5"), "-o", str(imported / "ir"), "--force"], capsys)
    assert status == 0, err


def test_bad_input_type(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_cli(
        ["import", str(imported / "m.h5"), "-o", str(imported / "ir2"), "--input-type", "float32"], capsys
    )
    _assert_user_error(status, err, "'float32'", "ap_fixed<W,I")
    _nothing_written(imported, "ir2")


@pytest.mark.parametrize(
    ("x", "needles"),
    [
        (np.zeros((3, 5, 6, 1)), ("input shape (3, 5, 6, 1)", "(N, 6, 6, 1)")),
        (np.zeros((3, 6, 6)), ("input shape (3, 6, 6)", "(N, 6, 6, 1)")),
    ],
)
def test_predict_rejects_bad_shapes(
    imported: Path, capsys: pytest.CaptureFixture[str], x: Any, needles: tuple[str, ...]
) -> None:
    np.save(imported / "x_bad.npy", x)
    status, _, err = _predict(capsys, imported / "ir", imported / "x_bad.npy", imported / "y.npy")
    _assert_user_error(status, err, *needles)
    _nothing_written(imported, "y.npy")


@pytest.mark.parametrize("engine", ["ir", "keras"])
def test_predict_names_the_unrepresentable_sample_and_value(
    imported: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    x = np.full((3, 6, 6, 1), 0.5)
    x[1, 2, 3, 0] = 0.3
    np.save(imported / "x_bad.npy", x)
    status, _, err = _predict(capsys, imported / "ir", imported / "x_bad.npy", imported / "y.npy", engine)
    _assert_user_error(status, err, "sample 1", "0.3", "ap_ufixed<8,0>")
    _nothing_written(imported, "y.npy")


def test_predict_unknown_engine_and_bad_files(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.save(imported / "x.npy", np.zeros((2, 6, 6, 1)))
    status, _, err = _predict(capsys, imported / "ir", imported / "x.npy", imported / "y.npy", "gpu")
    _assert_user_error(status, err, "unknown engine gpu", "accepted: ir, keras, csim")
    (imported / "x.txt").write_text("1 2 3")
    status, _, err = _predict(capsys, imported / "ir", imported / "x.txt", imported / "y.npy")
    _assert_user_error(status, err, "x.txt")
    status, _, err = _predict(capsys, imported / "nothing", imported / "x.npy", imported / "y.npy")
    _assert_user_error(status, err, "ir.json", "lepton-hw import")
    _nothing_written(imported, "y.npy")


def test_keras_engine_refuses_a_changed_source_model(
    imported: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copy(imported / "m.h5", tmp_path / "m.h5")
    status, _, err = run_cli(["import", str(tmp_path / "m.h5"), "-o", str(tmp_path / "ir")], capsys)
    assert status == 0, err
    _small_model().save(tmp_path / "m.h5")  # new random weights
    np.save(tmp_path / "x.npy", np.zeros((2, 6, 6, 1)))
    status, _, err = _predict(capsys, tmp_path / "ir", tmp_path / "x.npy", tmp_path / "y.npy", "keras")
    _assert_user_error(status, err, "changed since it was imported")


def test_predict_rejects_unreadable_inputs_and_bad_output_paths(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ir = imported / "ir"
    (imported / "empty.npy").write_bytes(b"")
    status, _, err = _predict(capsys, ir, imported / "empty.npy", imported / "y.npy")
    _assert_user_error(status, err, "empty.npy")
    np.savez(imported / "x.npz", x=np.zeros((2, 6, 6, 1)))
    status, _, err = _predict(capsys, ir, imported / "x.npz", imported / "y.npy")
    _assert_user_error(status, err, "x.npz", ".npy")
    np.save(imported / "x.npy", np.zeros((2, 6, 6, 1)))
    status, _, err = _predict(capsys, ir, imported / "x.npy", imported / "no" / "y.npy")
    _assert_user_error(status, err, "existing folder")
    _nothing_written(imported, "y.npy")


def test_variable_input_size_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keras = tf_keras()
    import qkeras

    model = keras.Sequential([keras.Input((None, None, 1)), qkeras.QConv2D(2, 3, kernel_quantizer=Q4, name="conv")])
    model.save(tmp_path / "m.h5")
    status, _, err = run_cli(["import", str(tmp_path / "m.h5"), "-o", str(tmp_path / "ir")], capsys)
    _assert_user_error(status, err, "fixed sizes")
    _nothing_written(tmp_path, "ir")
