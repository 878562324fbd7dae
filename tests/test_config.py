"""The config: defaults, and one message per mistake naming its key path; the hardware section and its schedule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lepton_hw.config import load_config, parse_config
from lepton_hw.errors import ConfigError
from lepton_hw.schedule import MAX_CLOCKS_PER_PIXEL, MAX_PIPELINE, LayerChoice, ScheduleOptions
from tests.helpers import run_cli

EXAMPLES = Path(__file__).parents[1] / "examples"

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


# ----------------------------------------------------------------------------- the hardware section
FULL_HARDWARE = {
    "board": "pynq-z2",
    "boards": ["pynq-z2", "icebreaker"],
    "kernel": "mac",
    "simulator": "icarus",
    "hls": {"backend": "vitis", "strategy": "resource", "reuse": 4},
    "estimate": "fast",
    "check_frames": 8,
    "pixel_clock_mhz": 74.25,
    "clocks_per_pixel": 4,
    "pipeline": 0,
    "layers": {"logits": {"impl": "fold", "fold": 4}, "conv1": {"impl": "mac"}, "conv2": {"fold": 2}},
}


def test_hardware_defaults() -> None:
    hw = parse_config(MINIMAL).hardware
    assert (hw.pixel_clock_mhz, hw.clocks_per_pixel, hw.pipeline, hw.layers) == (None, 1, 1, ())
    assert hw.schedule_options() == ScheduleOptions()
    written = parse_config(MINIMAL).to_dict()["hardware"]
    assert "pixel_clock_mhz" not in written and "layers" not in written
    assert (written["clocks_per_pixel"], written["pipeline"]) == (1, 1)


def test_full_hardware_section_round_trips() -> None:
    config = parse_config({**MINIMAL, "hardware": FULL_HARDWARE})
    hw = config.hardware
    assert (hw.pixel_clock_mhz, hw.clocks_per_pixel, hw.pipeline) == (74.25, 4, 0)
    assert hw.layers == (  # sorted by name: equal configs compare equal whatever the YAML's order
        ("conv1", LayerChoice(impl="mac")),
        ("conv2", LayerChoice(fold=2)),
        ("logits", LayerChoice(impl="fold", fold=4)),
    )
    assert hash(hw) == hash(parse_config({**MINIMAL, "hardware": FULL_HARDWARE}).hardware)
    doc = config.to_dict()
    assert doc["hardware"]["layers"] == {
        "conv1": {"impl": "mac"},
        "conv2": {"fold": 2},
        "logits": {"impl": "fold", "fold": 4},
    }
    again = parse_config(yaml.safe_load(yaml.safe_dump(doc)), name=config.name)  # as config.yaml is written and read
    assert again.hardware == hw and again.to_dict() == doc  # (to_dict fills in pruning.end_epoch)
    assert parse_config({**MINIMAL, "hardware": {"pixel_clock_mhz": 50}}).hardware.pixel_clock_mhz == 50.0


def test_schedule_options() -> None:
    hw = parse_config({**MINIMAL, "hardware": FULL_HARDWARE}).hardware
    assert hw.schedule_options() == ScheduleOptions(
        kernel="mac",
        clocks_per_pixel=4,
        pixel_clock_mhz=74.25,
        pipeline=0,
        layers={"conv1": LayerChoice(impl="mac"), "conv2": LayerChoice(fold=2), "logits": LayerChoice("fold", 4)},
    )
    assert hw.schedule_options().core_clock_mhz == 297.0


@pytest.mark.parametrize(
    ("hardware", "message"),
    [
        ({"pixel_clock_mhz": 0}, "hardware.pixel_clock_mhz: must be a number above 0 and at most 1000, got 0"),
        ({"pixel_clock_mhz": -5.0}, "hardware.pixel_clock_mhz: must be a number above 0 and at most 1000, got -5.0"),
        (
            {"pixel_clock_mhz": 1000.5},
            "hardware.pixel_clock_mhz: must be a number above 0 and at most 1000, got 1000.5",
        ),
        (
            {"pixel_clock_mhz": "fast"},
            "hardware.pixel_clock_mhz: must be a number above 0 and at most 1000, got 'fast'",
        ),
        ({"pixel_clock_mhz": True}, "hardware.pixel_clock_mhz: must be a number above 0 and at most 1000, got True"),
        ({"clocks_per_pixel": 0}, f"hardware.clocks_per_pixel: must be an integer in 1..{MAX_CLOCKS_PER_PIXEL}, got 0"),
        ({"clocks_per_pixel": 65}, "hardware.clocks_per_pixel: must be an integer in 1..64, got 65"),
        ({"clocks_per_pixel": 2.0}, "hardware.clocks_per_pixel: must be an integer in 1..64, got 2.0"),
        ({"pipeline": -1}, f"hardware.pipeline: must be an integer in 0..{MAX_PIPELINE}, got -1"),
        ({"pipeline": 9}, "hardware.pipeline: must be an integer in 0..8, got 9"),
        ({"layers": {"logits": {"impl": "x"}}}, "layers.logits.impl: must be one of da, mac, fold, serial, got 'x'"),
        ({"layers": {"logits": {"fold": 0}}}, "hardware.layers.logits.fold: must be an integer in 1..65536, got 0"),
        ({"layers": {"logits": {"fold": 65537}}}, "hardware.layers.logits.fold: must be an integer in 1..65536"),
        ({"layers": {"logits": {"folds": 2}}}, "hardware.layers.logits.folds: unknown key; accepted: impl, fold"),
        ({"layers": {"logits": {}}}, "hardware.layers.logits: must give impl, fold or both, got {}"),
        ({"layers": {"logits": {"fold": None}}}, "hardware.layers.logits: must give impl, fold or both"),
        ({"layers": {"logits": {"impl": None}}}, "layers.logits.impl: must be one of da, mac, fold, serial, got None"),
        ({"layers": {"logits": None}}, "hardware.layers.logits: must be a mapping with keys impl, fold, got None"),
        ({"layers": {"logits": "fold"}}, "hardware.layers.logits: must be a mapping with keys impl, fold, got 'fold'"),
        ({"layers": {3: {"impl": "da"}}}, "hardware.layers.3: must be a layer name (text), like conv1 or logits"),
        ({"layers": ["logits"]}, "hardware.layers: must be a mapping like {logits: {impl: fold, fold: 4}}, got"),
        ({"pipelines": 1}, "hardware.pipelines: unknown key; accepted: board, boards, kernel"),
    ],
)
def test_each_hardware_mistake_names_its_key_path(hardware: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({**MINIMAL, "hardware": hardware})
    assert message in str(caught.value)
    assert "1 mistake" in str(caught.value)


def test_bad_hardware_values_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI reports every mistake of the section at once (ConfigError: exit 2) and writes nothing."""
    config = tmp_path / "bad.yaml"
    hardware = {"pixel_clock_mhz": 0, "clocks_per_pixel": 100, "pipeline": 9, "layers": {"logits": {"impl": "x"}}}
    config.write_text(yaml.safe_dump({**MINIMAL, "hardware": hardware}))
    out = tmp_path / "run"
    status, _, err = run_cli(["train", str(config), "-o", str(out)], capsys)
    assert status == 2 and "4 mistakes" in err
    for key in ("pixel_clock_mhz", "clocks_per_pixel", "pipeline", "layers.logits.impl"):
        assert f"hardware.{key}: must be" in err
    assert not out.exists()
