"""``lepton-hw train`` end to end on a tiny config: outputs, pruning, bit-exactness, determinism."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from lepton_hw.cli import main
from lepton_hw.ir.serialize import load_graph
from tests.helpers import assert_bit_exact, predict_engines, run_cli

pytestmark = pytest.mark.keras

TINY = {
    "name": "tiny_digits",
    "dataset": {"kind": "digits", "split": {"validation": 0.2, "test": 0.2, "seed": 1}},
    "model": {
        "defaults": {"weight_bits": 4, "activation_bits": 4},
        "layers": [
            {"type": "conv", "filters": 8, "kernel": 3, "pool": "max"},
            {"type": "dense", "units": 12, "weight_bits": 3, "weight_int": 0},
            {"type": "dense"},
        ],
    },
    "pruning": {"target_sparsity": 0.6, "begin_epoch": 1, "end_epoch": 3, "frequency": 5},
    "training": {"epochs": 6, "batch_size": 32, "learning_rate": 0.01, "seed": 7},
}


def _train(config: Path, out: Path, *extra: str) -> tuple[int, str]:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(["train", str(config), "-o", str(out), *extra])
    return status, stdout.getvalue()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    work = tmp_path_factory.mktemp("train")
    config = work / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    status, out = _train(config, work / "run")
    assert status == 0
    return work / "run", out


def test_outputs_and_progress(trained: tuple[Path, str]) -> None:
    run, out = trained
    for name in ("model.h5", "ir/ir.json", "ir/weights.npz", "metrics.json", "training.png", "confusion.png",
                 "config.yaml", "test_x.npy", "test_y.npy"):  # fmt: skip
        assert (run / name).is_file(), name
    epoch_lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 6 and "sparsity" in epoch_lines[-1] and "val_acc" in epoch_lines[-1]
    assert f"trained tiny_digits -> {run}/" in out
    written = yaml.safe_load((run / "config.yaml").read_text())
    assert written["model"]["layers"][1]["weight_bits"] == 3 and written["pruning"]["end_epoch"] == 3


def test_pruning_reaches_the_target_per_layer(trained: tuple[Path, str]) -> None:
    run, _ = trained
    metrics = json.loads((run / "metrics.json").read_text())
    graph = load_graph(run / "ir")
    assert [layer["name"] for layer in metrics["layers"]] == ["conv1", "dense1", "logits"]
    for layer in metrics["layers"]:
        node = graph.node(layer["name"])
        pruned = round(layer["sparsity_pruned"] * node.weight.size)
        assert abs(pruned - 0.6 * node.weight.size) <= 0.5, layer  # the target, to the nearest weight
        zeros = node.weight.size - np.count_nonzero(node.weight)
        assert layer["sparsity"] == zeros / node.weight.size >= layer["sparsity_pruned"]  # quantization adds zeros
    dense1 = graph.node("dense1")
    assert str(dense1.weight_type) == "ap_fixed<3,1,AP_RND_CONV,AP_SAT>"  # quantized_bits(3,0): sign, 2 fraction bits
    assert metrics["model"]["params"] == graph.params() and metrics["model"]["nonzero_params"] == graph.nonzeros()


def test_ir_equals_keras_on_the_test_set(trained: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    run, _ = trained
    x, labels = np.load(run / "test_x.npy"), np.load(run / "test_y.npy")
    y = predict_engines(run / "ir", x, capsys)
    assert_bit_exact(y["ir"], y["keras"], "tiny digits: ir vs keras")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["bit_exact"] == {"engines": ["ir", "keras"], "samples": len(x), "mismatched_samples": 0}
    assert metrics["test"]["accuracy"] == np.mean(np.argmax(y["ir"], axis=1) == labels)
    assert metrics["test"]["accuracy"] > 0.3  # a tiny model, 6 epochs: well above chance (10%)


def test_output_folder_moves(trained: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ir/ records model.h5 relative to itself, so a moved training output still runs the keras engine."""
    import shutil

    run, _ = trained
    moved = tmp_path / "moved"
    shutil.copytree(run, moved)
    y = predict_engines(moved / "ir", np.load(moved / "test_x.npy")[:20], capsys, engines=("keras",))
    assert y["keras"].shape[0] == 20


def test_same_config_same_weights(trained: tuple[Path, str], tmp_path: Path) -> None:
    run, _ = trained
    status, out = _train(run.parent / "tiny.yaml", tmp_path / "again", "--quiet")
    assert status == 0 and "epoch " not in out  # --quiet: no progress lines
    first, second = load_graph(run / "ir"), load_graph(tmp_path / "again" / "ir")
    for a, b in zip(first.nodes, second.nodes, strict=True):
        for name, array in a.weight_arrays.items():
            assert np.array_equal(array, b.weight_arrays[name]), f"{a.name}.{name} differs between two runs"
    assert first == second


def test_existing_output_is_kept(trained: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    run, _ = trained
    before = (run / "metrics.json").read_bytes()
    status, _, err = run_cli(["train", str(run.parent / "tiny.yaml"), "-o", str(run)], capsys)
    assert status == 2 and "exists already; pass --force" in err
    assert (run / "metrics.json").read_bytes() == before


def test_pruning_window_shorter_than_frequency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A schedule that could never reach its target is refused before training, naming the key."""
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({**TINY, "pruning": {**TINY["pruning"], "frequency": 500}}))
    status, _, err = run_cli(["train", str(config), "-o", str(tmp_path / "run")], capsys)
    assert status == 2 and "pruning.frequency: 500 steps, but pruning runs for only" in err
    assert not (tmp_path / "run").exists()
