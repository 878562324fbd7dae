"""A model file never runs code: its architecture is checked as JSON before Keras opens it.

The hostile model (tests.helpers.hostile_model) holds a Lambda layer whose function writes a marker
file when Keras rebuilds the model. The first test shows that plain Keras does run it (so the marker
tests can fail); the others run every command that opens a model file and check that the marker never
appears, that the command exits 2 with one line naming the layer, and that nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from lepton_hw.frontend.keras_env import qkeras_custom_objects, tf_keras
from lepton_hw.ir.serialize import load_graph
from lepton_hw.testing.models import random_inputs
from tests.helpers import hostile_model, run_cli

pytestmark = pytest.mark.keras

Q4 = "quantized_bits(4,0,alpha=1)"


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "marker.txt"


@pytest.fixture
def hostile(tmp_path: Path, marker: Path) -> Path:
    return hostile_model(tmp_path / "hostile.h5", marker)


def good_model(path: Path) -> Path:
    keras = tf_keras()
    import qkeras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            qkeras.QConv2D(2, 3, kernel_quantizer=Q4, bias_quantizer=Q4, name="conv"),
            qkeras.QActivation("quantized_relu(4,1)", name="relu"),
            keras.layers.Flatten(name="flat"),
            qkeras.QDense(2, kernel_quantizer=Q4, bias_quantizer=Q4, name="out"),
        ]
    )
    model.save(path)
    return path


def one_line_refusal(status: int, err: str, *words: str) -> None:
    """Exit 2 and one error line (progress lines aside) with the words; no traceback."""
    assert status == 2, err
    lines = [line for line in err.splitlines() if "error" in line.lower() or "Traceback" in line]
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], err


def test_plain_keras_runs_the_lambda(hostile: Path, marker: Path) -> None:
    """The hazard is real: loading the file with Keras itself writes the marker."""
    tf_keras().models.load_model(hostile, custom_objects=qkeras_custom_objects(), compile=False)
    assert marker.read_text() == "ran"


def test_import_refuses_before_loading(hostile: Path, marker: Path, tmp_path: Path, capsys) -> None:
    status, _, err = run_cli(["import", str(hostile), "-o", str(tmp_path / "ir")], capsys)
    one_line_refusal(status, err, "'lambda'", "Lambda", "refused before loading")
    assert not marker.exists()
    assert not (tmp_path / "ir").exists()


def test_keras_engine_refuses_a_swapped_source_model(hostile: Path, marker: Path, tmp_path: Path, capsys) -> None:
    """An IR whose recorded source model (and hash) is the hostile file: predict and verify refuse it."""
    source = good_model(tmp_path / "good.h5")
    assert run_cli(["import", str(source), "-o", str(tmp_path / "ir")], capsys)[0] == 0
    source.write_bytes(hostile.read_bytes())
    ir_file = tmp_path / "ir" / "ir.json"
    ir = json.loads(ir_file.read_text())
    ir["source"]["sha256"] = hashlib.sha256(source.read_bytes()).hexdigest()
    ir_file.write_text(json.dumps(ir))
    assert load_graph(tmp_path / "ir").source["sha256"] == ir["source"]["sha256"]
    x = tmp_path / "x.npy"
    np.save(x, random_inputs((6, 6, 1), 4, 0))
    for argv in (
        ["predict", str(tmp_path / "ir"), "-i", str(x), "-o", str(tmp_path / "y.npy"), "--engine", "keras"],
        ["verify", str(tmp_path / "ir"), "-i", str(x), "--engines", "ir,keras"],
    ):
        status, _, err = run_cli(argv, capsys)
        one_line_refusal(status, err, "'lambda'", "Lambda")
        assert not marker.exists()
    assert not (tmp_path / "y.npy").exists()


def _edit_config(path: Path, edit) -> None:
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit(config)
        f.attrs["model_config"] = json.dumps(config)


def _layer(config: dict, name: str) -> dict:
    return next(layer for layer in config["config"]["layers"] if layer["config"]["name"] == name)


@pytest.mark.parametrize(
    "case, words",
    [
        ("unknown module", ["'conv'", "module 'evil_module'"]),
        ("custom object", ["'conv'", "custom object 'Evil>Init'"]),
        ("unknown initializer class", ["'conv'", "class 'EvilInitializer'"]),
        ("code in a quantizer string", ["'relu'", "__import__"]),
        ("unknown layer class", ["'conv'", "MyConv"]),
        ("a function in a config", ["'out'", "Python function"]),
    ],
)
def test_hostile_configs_are_refused(case: str, words: list[str], tmp_path: Path, capsys) -> None:
    path = good_model(tmp_path / "m.h5")

    def edit(config: dict) -> None:
        conv = _layer(config, "conv")["config"]
        if case == "unknown module":
            conv["kernel_initializer"]["module"] = "evil_module"
        elif case == "custom object":
            conv["kernel_initializer"]["registered_name"] = "Evil>Init"
        elif case == "unknown initializer class":
            conv["kernel_initializer"]["class_name"] = "EvilInitializer"
        elif case == "code in a quantizer string":
            _layer(config, "relu")["config"]["activation"] = "quantized_relu(__import__('os').getpid())"
        elif case == "unknown layer class":
            _layer(config, "conv")["class_name"] = "MyConv"
        else:
            _layer(config, "out")["config"]["function"] = ["4wEAAA==", None, None]

    _edit_config(path, edit)
    status, _, err = run_cli(["import", str(path), "-o", str(tmp_path / "ir")], capsys)
    one_line_refusal(status, err, *words)
    assert not (tmp_path / "ir").exists()


def test_broken_files_are_one_clear_error(tmp_path: Path, capsys) -> None:
    good = good_model(tmp_path / "good.h5")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[:2000])
    not_hdf5 = tmp_path / "text.h5"
    not_hdf5.write_text("this is not a model\n")
    weights_only = tmp_path / "weights.h5"
    with h5py.File(weights_only, "w") as f:
        f.create_dataset("kernel", data=np.zeros(3))
    for path, words in (
        (truncated, ["truncated.h5", "not a readable HDF5 file"]),
        (not_hdf5, ["text.h5", "not a readable HDF5 file"]),
        (weights_only, ["weights.h5", "no architecture"]),
    ):
        status, _, err = run_cli(["import", str(path), "-o", str(tmp_path / "ir")], capsys)
        one_line_refusal(status, err, *words)
        assert not (tmp_path / "ir").exists()


def test_a_keras_archive_is_checked_the_same_way(hostile: Path, marker: Path, tmp_path: Path, capsys) -> None:
    with h5py.File(hostile) as f:
        config = f.attrs["model_config"]
    archive = tmp_path / "hostile.keras"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("config.json", config)
        z.writestr("metadata.json", "{}")
    status, _, err = run_cli(["import", str(archive), "-o", str(tmp_path / "ir")], capsys)
    one_line_refusal(status, err, "'lambda'", "Lambda")
    assert not marker.exists()
    not_zip = tmp_path / "broken.keras"
    not_zip.write_text("no archive")
    status, _, err = run_cli(["import", str(not_zip), "-o", str(tmp_path / "ir")], capsys)
    one_line_refusal(status, err, "broken.keras", "not a readable .keras archive")


@pytest.mark.parametrize(
    "top, words",
    [
        ({"module": "antigravity"}, ["the model names module 'antigravity'"]),
        ({"registered_name": "Evil>Model"}, ["custom object 'Evil>Model'"]),
        ({"extra": 1}, ["unknown top-level key(s) extra"]),
        ({"class_name": ["Sequential"]}, ["a model of class ['Sequential'] is refused"]),
    ],
)
def test_the_top_of_a_keras_archive_is_checked(top: dict, words: list[str], tmp_path: Path, capsys) -> None:
    """A .keras archive's loader imports the top level's module by name: it is checked like the layers."""
    with h5py.File(good_model(tmp_path / "good.h5")) as f:
        config = json.loads(f.attrs["model_config"])
    config.update(top)
    archive = tmp_path / "top.keras"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("config.json", json.dumps(config))
    status, _, err = run_cli(["import", str(archive), "-o", str(tmp_path / "ir")], capsys)
    one_line_refusal(status, err, *words)
