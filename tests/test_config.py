"""The training config: defaults, and one message per mistake naming its key path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lepton_hw.errors import ConfigError
from lepton_hw.train.config import load_config, parse_config
from tests.helpers import run_cli

EXAMPLES = Path(__file__).parents[2] / "examples"

MINIMAL = {"dataset": {"kind": "digits"}, "model": {"layers": [{"type": "dense"}]}}


@pytest.mark.parametrize("name", ["digits.yaml", "camera_defects.yaml"])
def test_examples_load(name: str) -> None:
    config = load_config(EXAMPLES / name)
    assert config.name == Path(name).stem
    assert config.pruning.target_sparsity >= 0.5
    assert all(layer.weight_bits == 4 and layer.activation_bits == 4 for layer in config.model.layers)


def test_defaults_are_filled_in() -> None:
    config = parse_config(MINIMAL, name="tiny")
    assert config.name == "tiny"
    layer = config.model.layers[0]
    assert (layer.type, layer.units, layer.weight_bits, layer.weight_int) == ("dense", None, 4, 0)
    assert config.pruning_end_epoch == 18  # 60% of the default 30 epochs
    assert config.dataset.split.test == 0.15
    round_trip = parse_config(config.to_dict(), name="other")  # the written config.yaml reads back the same
    assert round_trip.to_dict() == config.to_dict()


def _with(path: str, value: object) -> dict:
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    data["model"]["layers"] = [{"type": "conv", "filters": 4}, {"type": "conv", "filters": 4}, {"type": "dense"}]
    cursor = data
    keys = path.split(".")
    for key in keys[:-1]:
        cursor = cursor[int(key)] if key.isdigit() else cursor.setdefault(key, {})
    cursor[keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("model.layers.2.weight_bits", 0, "model.layers[2].weight_bits: must be an integer in 2..16, got 0"),
        ("model.layers.0.padding", "full", "model.layers[0].padding: must be one of valid, same, got 'full'"),
        ("model.layers.1.colour", 3, "model.layers[1].colour: unknown key; accepted: type, filters"),
        ("model.layers.0.weight_int", 4, "model.layers[0].weight_int: 4 integer bits plus a sign bit do not fit"),
        ("model.layers.0.pool", "median", "model.layers[0].pool: must be one of max, avg, none"),
        ("dataset.kind", "cifar", "dataset.kind: must be one of digits, surface-defects, folder, npz, got 'cifar'"),
        ("dataset.split.test", 0.9, "dataset.split.test: must be a number in 0.01..0.5, got 0.9"),
        ("dataset.balance", [1, -1], "dataset.balance: must be a list of non-negative class proportions"),
        ("training.optimizer", "lion", "training.optimizer: must be one of adam, sgd, rmsprop, got 'lion'"),
        ("training.epochs", 2.5, "training.epochs: must be an integer in 1..10000, got 2.5"),
        ("pruning.target_sparsity", 0.99, "pruning.target_sparsity: must be a number in 0.0..0.95, got 0.99"),
        ("pruning.end_epoch", 50, "pruning.end_epoch: must be in begin_epoch+1..training.epochs (2..30)"),
        ("surprise", 1, "surprise: unknown key; accepted: name, dataset, model, pruning, training"),
    ],
)
def test_each_mistake_names_its_key_path(path: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_with(path, value))
    assert message in str(caught.value)
    assert "1 mistake" in str(caught.value)


def _layers(*layers: dict) -> dict:
    return {"dataset": {"kind": "digits"}, "model": {"layers": list(layers)}}


def test_structural_mistakes() -> None:
    conv, dense4, last = {"type": "conv", "filters": 2}, {"type": "dense", "units": 4}, {"type": "dense"}
    with pytest.raises(ConfigError, match=r"model.layers\[1\].type: the last layer must be dense"):
        parse_config(_layers(dense4, conv))
    with pytest.raises(ConfigError, match=r"model.layers\[1\]: conv layers must come before dense layers"):
        parse_config(_layers(dense4, conv, last))
    with pytest.raises(ConfigError, match=r"model.layers\[0\].units: 'classes' is only for the last layer"):
        parse_config(_layers({"type": "dense", "units": "classes"}, last))
    with pytest.raises(ConfigError, match=r"model.layers\[0\].pool_size: average pooling takes 2 or 4"):
        parse_config(_layers({**conv, "pool": "avg", "pool_size": 3}, last))
    with pytest.raises(ConfigError, match=r"dataset.path: required for kind folder"):
        parse_config({"dataset": {"kind": "folder"}, "model": {"layers": [last]}})
    with pytest.raises(ConfigError, match=r"model: missing; this section is required"):
        parse_config({"dataset": {"kind": "digits"}})


def test_all_mistakes_are_listed_at_once() -> None:
    data = _with("model.layers.2.weight_bits", 1)
    data["training"] = {"epochs": 0, "batch_size": "big"}
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    text = str(caught.value)
    assert "3 mistakes" in text
    for key in ("model.layers[2].weight_bits", "training.epochs", "training.batch_size"):
        assert key in text


def test_cli_bad_config_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(_with("model.layers.2.weight_bits", 0)))
    out = tmp_path / "run"
    status, _, err = run_cli(["train", str(config), "-o", str(out)], capsys)
    assert status == 2
    assert "model.layers[2].weight_bits: must be an integer in 2..16, got 0" in err
    assert not out.exists()
    config.write_text("dataset: [unclosed")
    status, _, err = run_cli(["train", str(config), "-o", str(out)], capsys)
    assert status == 2 and "not valid YAML" in err
    status, _, err = run_cli(["train", str(tmp_path / "missing.yaml")], capsys)
    assert status == 2 and "missing.yaml does not exist" in err


def test_written_config_reads_back(tmp_path: Path) -> None:
    """config.yaml as `train` writes it: no pruning, one epoch, a dataset folder relative to the config."""
    (tmp_path / "cfg").mkdir()
    data = {
        "dataset": {"kind": "folder", "path": "../images"},
        "model": {"layers": [{"type": "dense"}]},
        "pruning": False,
        "training": {"epochs": 1},
    }
    (tmp_path / "cfg" / "c.yaml").write_text(yaml.safe_dump(data))
    config = load_config(tmp_path / "cfg" / "c.yaml")
    assert config.dataset.path == (tmp_path / "images").resolve()
    written = tmp_path / "elsewhere.yaml"
    written.write_text(yaml.safe_dump(config.to_dict()))
    again = load_config(written)
    assert again.dataset.path == config.dataset.path and again.to_dict() == config.to_dict()


def test_early_stopping_needs_epochs_after_pruning() -> None:
    data = {
        **MINIMAL,
        "pruning": {"end_epoch": 10},
        "training": {"epochs": 10, "early_stopping": {"patience": 2}},
    }
    with pytest.raises(ConfigError, match=r"training\.early_stopping: can never start"):
        parse_config(data)
