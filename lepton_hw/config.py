"""The flow's config (YAML): the training sections and the ``hardware`` section, validated when loaded.

Every mistake is reported with its key path and what is accepted, e.g.
``model.layers[2].weight_bits: must be an integer in 2..16, got 0``; all mistakes of a file
are listed at once, so a user fixes them in one go. The result is a tree of frozen
dataclasses with every default filled in (``TrainConfig.to_dict`` gives it back as plain
data, written beside the trained model so that a run says exactly what it used).

Integer bits follow QKeras: ``weight_int`` counts the integer bits *without* the sign bit
(``quantized_bits(bits, integer)``), ``activation_int`` those of ``quantized_relu(bits, integer)``.

Why not pydantic: it is not in the pinned stack, and it would be a new dependency for one module.
Its errors are ``loc`` tuples with messages like "Input should be a valid integer"; the one line a
user reads here (``key.path: must be ..., got ...``, with the accepted values) would need a custom
formatter over every error type, and cross-field checks (pruning epochs against training epochs,
integer bits against total bits) would still be hand-written validators. The reader below is a few
small typed helpers, and what each key accepts stays readable next to where it is read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lepton_hw.errors import ConfigError
from lepton_hw.safe_io import load_yaml
from lepton_hw.schedule import IMPLS, MAX_CLOCKS_PER_PIXEL, MAX_PIPELINE, LayerChoice, ScheduleOptions

DATASET_KINDS = ("digits", "surface-defects", "folder", "npz")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
LR_SCHEDULES = ("constant", "cosine")
PRUNING_SCHEDULES = ("polynomial", "constant")
POOLS = ("max", "avg", "none")
PADDINGS = ("valid", "same")
FITS = ("resize", "crop")
ESTIMATE_MODES = ("full", "fast")
MAX_PIXEL_CLOCK_MHZ = 1000.0
MAX_FOLD = 65_536
DEFAULT_TARGET = "pynq-z2"
TRAINING_SECTIONS = ("name", "dataset", "model", "pruning", "training")


@dataclass(frozen=True)
class SplitConfig:
    validation: float = 0.15
    test: float = 0.15
    seed: int = 0


@dataclass(frozen=True)
class DatasetConfig:
    kind: str
    path: Path | None = None  # folder and npz
    samples: int = 6000  # surface-defects
    size: tuple[int, int] | None = None  # surface-defects (default 32x32); folder: images are fitted to the model input
    classes: tuple[str, ...] | None = None  # surface-defects: which defects; folder/npz: class names in label order
    difficulty: float = 0.5
    balance: tuple[float, ...] | None = None
    textures: tuple[str, ...] | None = None
    fit: str = "resize"  # folder: how an image of another size becomes the input size
    seed: int = 0
    split: SplitConfig = field(default_factory=SplitConfig)


@dataclass(frozen=True)
class LayerConfig:
    type: str  # conv | dense
    filters: int = 0  # conv
    kernel: int = 3
    stride: int = 1
    padding: str = "valid"
    pool: str = "none"
    pool_size: int = 2
    units: int | None = None  # dense; None on the last layer = number of classes
    weight_bits: int = 4
    weight_int: int = 0
    bias_bits: int = 8
    bias_int: int = 3
    activation_bits: int = 4
    activation_int: int = 2


@dataclass(frozen=True)
class ModelConfig:
    layers: tuple[LayerConfig, ...]
    input: tuple[int, int] | None = None  # (height, width); default: the dataset's size
    classes: int | None = None  # checked against the dataset when given


@dataclass(frozen=True)
class PruningConfig:
    target_sparsity: float = 0.5
    schedule: str = "polynomial"
    begin_epoch: int = 1  # pruning starts after this many epochs of dense training
    end_epoch: int | None = None  # target reached at the end of this epoch; default 60% of the epochs
    frequency: int = 20  # steps between mask updates


@dataclass(frozen=True)
class EarlyStoppingConfig:
    patience: int = 5
    monitor: str = "val_accuracy"


@dataclass(frozen=True)
class TrainingConfig:
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 0.003
    optimizer: str = "adam"
    lr_schedule: str = "cosine"
    early_stopping: EarlyStoppingConfig | None = None
    seed: int = 0


@dataclass(frozen=True)
class HardwareConfig:
    """What `lepton-hw flow` builds after training; `lepton-hw train` ignores it."""

    board: str | None = None  # the board the HLS project and the core target (default: the first of boards)
    boards: tuple[str, ...] | None = None  # the estimate's boards (None: all)
    kernel: str = "da"  # the RTL core's multiplies
    simulator: str = "verilator"
    hls_backend: str = "vitis"
    hls_strategy: str = "latency"
    hls_reuse: int = 1
    estimate: str = "full"  # full (Yosys + nextpnr) or fast (the analytic model)
    check_frames: int = 16  # test frames through the camera C simulation and the RTL check
    pixel_clock_mhz: float | None = None  # the camera's pixel rate (None: unknown, the board's clock is used)
    clocks_per_pixel: int = 1  # core clocks per camera pixel: the time a layer may take per input
    pipeline: int = 1  # adder levels per pipeline stage; 0: no pipeline registers inside a layer
    layers: tuple[tuple[str, LayerChoice], ...] = ()  # (layer name, forced choice), sorted: hashable and comparable
    frame: tuple[int, int] | None = None  # (width, height) of the camera's largest frame; None: one model input

    @property
    def target(self) -> str:
        return self.board or (self.boards[0] if self.boards else DEFAULT_TARGET)

    def schedule_options(self) -> ScheduleOptions:
        """What the RTL core's schedule is computed for."""
        return ScheduleOptions(
            kernel=self.kernel,
            clocks_per_pixel=self.clocks_per_pixel,
            pixel_clock_mhz=self.pixel_clock_mhz,
            pipeline=self.pipeline,
            layers=dict(self.layers),
            frame=self.frame,
        )


@dataclass(frozen=True)
class TrainConfig:
    name: str
    dataset: DatasetConfig
    model: ModelConfig
    pruning: PruningConfig
    training: TrainingConfig
    hardware: HardwareConfig = field(default_factory=HardwareConfig)
    source: Path | None = None  # the YAML file, for relative dataset paths

    @property
    def pruning_end_epoch(self) -> int:
        if self.pruning.end_epoch is not None:
            return self.pruning.end_epoch
        return max(self.pruning.begin_epoch + 1, round(0.6 * self.training.epochs))

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :func:`parse_config` reads back to an equal config (unset values left out)."""
        doc = _plain(dataclasses.asdict(self))
        doc.pop("source", None)
        if self.pruning.target_sparsity > 0:
            doc["pruning"]["end_epoch"] = self.pruning_end_epoch
        conv_only = ("filters", "kernel", "stride", "padding", "pool", "pool_size")
        for layer in doc["model"]["layers"]:
            for key in conv_only if layer["type"] == "dense" else ("units",):
                layer.pop(key, None)
        hw = doc.pop("hardware")
        doc["hardware"] = {
            **{k: hw[k] for k in ("board", "boards", "pixel_clock_mhz") if k in hw},
            **{k: hw[k] for k in ("kernel", "simulator", "estimate", "check_frames", "clocks_per_pixel", "pipeline")},
            "hls": {"backend": hw["hls_backend"], "strategy": hw["hls_strategy"], "reuse": hw["hls_reuse"]},
            **({"layers": dict(hw["layers"])} if hw["layers"] else {}),  # [name, {impl, fold}] pairs
            **({"frame": {"width": hw["frame"][0], "height": hw["frame"][1]}} if hw.get("frame") else {}),
        }
        return doc

    def training_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` without the hardware section: what training depends on."""
        doc = self.to_dict()
        doc.pop("hardware")
        return doc


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


# ----------------------------------------------------------------------------- reading
class _Reader:
    """Reads typed values out of nested YAML data, collecting one message per mistake."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def section(self, data: Any, path: str, keys: tuple[str, ...], required: bool = False) -> dict[str, Any]:
        if data is None and not required:
            return {}
        if not isinstance(data, dict):
            self.fail(path, f"must be a mapping with keys {', '.join(keys)}, got {_show(data)}")
            return {}
        for key in data:
            if key not in keys:
                self.fail(f"{path}.{key}" if path else str(key), f"unknown key; accepted: {', '.join(keys)}")
        return data

    def integer(self, data: dict[str, Any], key: str, path: str, default: Any, lo: int, hi: int) -> Any:
        value = data.get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.fail(f"{path}.{key}", f"must be an integer in {lo}..{hi}, got {_show(value)}")
            return default
        return value

    def number(
        self, data: dict[str, Any], key: str, path: str, default: Any, lo: float, hi: float, above: bool = False
    ) -> Any:
        """A number in lo..hi; with ``above``, lo itself is refused (a rate of 0 means nothing)."""
        value = data.get(key, default)
        if value is default:
            return value
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or not (lo < value if above else lo <= value) or value > hi:
            accepted = f"above {lo:g} and at most {hi:g}" if above else f"in {lo}..{hi}"
            self.fail(f"{path}.{key}", f"must be a number {accepted}, got {_show(value)}")
            return default
        return float(value)

    def choice(self, data: dict[str, Any], key: str, path: str, default: str, accepted: tuple[str, ...]) -> str:
        value = data.get(key, default)
        if value not in accepted:
            self.fail(f"{path}.{key}", f"must be one of {', '.join(accepted)}, got {_show(value)}")
            return default
        return str(value)

    def size(self, data: dict[str, Any], key: str, path: str, lo: int, hi: int) -> tuple[int, int] | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value, value]
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi for v in value)
        ):
            self.fail(f"{path}.{key}", f"must be [height, width] with each in {lo}..{hi}, got {_show(value)}")
            return None
        return int(value[0]), int(value[1])

    def names(self, data: dict[str, Any], key: str, path: str) -> tuple[str, ...] | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            self.fail(f"{path}.{key}", f"must be a non-empty list of names, got {_show(value)}")
            return None
        if len(set(value)) != len(value):
            self.fail(f"{path}.{key}", f"names must be unique, got {_show(value)}")
        return tuple(value)


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) < 60 else text[:57] + "..."


def load_config(path: Path | str) -> TrainConfig:
    """Read and validate a training config; raises ConfigError listing every mistake."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        text = path.read_text()
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    data = load_yaml(text, str(path), ConfigError)  # no aliases: an alias bomb must not expand
    return parse_config(data, name=path.stem, source=path, where=str(path))


def parse_config(data: Any, name: str = "model", source: Path | None = None, where: str = "config") -> TrainConfig:
    """Validate config data (as loaded from YAML)."""
    r = _Reader()
    top = r.section(data, "", (*TRAINING_SECTIONS, "hardware"), required=True)
    if isinstance(data, dict):
        for key in ("dataset", "model"):
            if key not in data:
                r.fail(key, "missing; this section is required")
    config_name = top.get("name", name)
    if not isinstance(config_name, str) or not config_name.replace("_", "").replace("-", "").isalnum():
        r.fail("name", f"must be a name of letters, digits, '_' and '-', got {_show(config_name)}")
        config_name = name
    dataset = _dataset(r, top.get("dataset"), source)
    model = _model(r, top.get("model"))
    training = _training(r, top.get("training"))
    pruning = _pruning(r, top.get("pruning"), training.epochs)
    hardware = _hardware(r, top.get("hardware"))
    if training.early_stopping is not None and pruning.target_sparsity > 0 and pruning.end_epoch == training.epochs:
        r.fail("training.early_stopping", "can never start: pruning.end_epoch is the last epoch")
    if r.errors:
        count = f"{len(r.errors)} mistakes" if len(r.errors) > 1 else "1 mistake"
        raise ConfigError(f"{where}: {count}:\n  " + "\n  ".join(r.errors))
    return TrainConfig(config_name, dataset, model, pruning, training, hardware, source)


def _dataset(r: _Reader, data: Any, source: Path | None) -> DatasetConfig:
    keys = ("kind", "path", "samples", "size", "classes", "difficulty", "balance", "textures", "fit", "seed", "split")
    d = r.section(data, "dataset", keys)
    kind = r.choice(d, "kind", "dataset", "digits", DATASET_KINDS) if d else "digits"
    path = None
    if kind in ("folder", "npz"):
        if not isinstance(d.get("path"), str):
            r.fail("dataset.path", f"required for kind {kind}: a {'folder' if kind == 'folder' else '.npz file'}")
        else:
            path = Path(d["path"]).expanduser()
            if not path.is_absolute() and source is not None:
                path = (source.parent / path).resolve()  # relative to the config file, wherever it is read from
    elif "path" in d:
        r.fail("dataset.path", f"only for kinds folder and npz, not {kind}")
    balance = d.get("balance")
    if balance is not None and (
        not isinstance(balance, list)
        or not balance
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in balance)
        or sum(balance) <= 0
    ):
        r.fail("dataset.balance", f"must be a list of non-negative class proportions, got {_show(balance)}")
        balance = None
    split = r.section(d.get("split"), "dataset.split", ("validation", "test", "seed"))
    validation = r.number(split, "validation", "dataset.split", 0.15, 0.01, 0.5)
    test = r.number(split, "test", "dataset.split", 0.15, 0.01, 0.5)
    return DatasetConfig(
        kind=kind,
        path=path,
        samples=r.integer(d, "samples", "dataset", 6000, 20, 1_000_000),
        size=r.size(d, "size", "dataset", 8, 256),
        classes=r.names(d, "classes", "dataset"),
        difficulty=r.number(d, "difficulty", "dataset", 0.5, 0.0, 1.0),
        balance=tuple(float(v) for v in balance) if balance else None,
        textures=r.names(d, "textures", "dataset"),
        fit=r.choice(d, "fit", "dataset", "resize", FITS),
        seed=r.integer(d, "seed", "dataset", 0, 0, 2**31 - 1),
        split=SplitConfig(validation, test, r.integer(split, "seed", "dataset.split", 0, 0, 2**31 - 1)),
    )


_LAYER_BITS = ("weight_bits", "weight_int", "bias_bits", "bias_int", "activation_bits", "activation_int")


def _model(r: _Reader, data: Any) -> ModelConfig:
    m = r.section(data, "model", ("input", "classes", "defaults", "layers"))
    defaults = _bits(r, r.section(m.get("defaults"), "model.defaults", _LAYER_BITS), "model.defaults", LayerConfig)
    layers_data = m.get("layers")
    layers: list[LayerConfig] = []
    if not isinstance(layers_data, list) or not layers_data:
        r.fail("model.layers", "must be a non-empty list of conv and dense layers, ending with a dense layer")
        layers_data = []
    for index, item in enumerate(layers_data):
        layers.append(_layer(r, item, f"model.layers[{index}]", defaults, is_last=index == len(layers_data) - 1))
    if layers and layers[-1].type != "dense":
        r.fail(f"model.layers[{len(layers) - 1}].type", "the last layer must be dense (the classifier)")
    seen_dense = False
    for index, layer in enumerate(layers):
        if layer.type == "conv" and seen_dense:
            r.fail(f"model.layers[{index}]", "conv layers must come before dense layers")
        seen_dense |= layer.type == "dense"
    return ModelConfig(
        layers=tuple(layers),
        input=r.size(m, "input", "model", 4, 1024),
        classes=r.integer(m, "classes", "model", None, 2, 1000),
    )


def _bits(r: _Reader, d: dict[str, Any], path: str, base: Any) -> dict[str, Any]:
    """The six per-layer bit settings, falling back to ``base`` (a LayerConfig or a dict)."""
    get: Callable[[str], int] = (lambda k: base[k]) if isinstance(base, dict) else (lambda k: getattr(base, k))
    kinds = ("weight", "bias", "activation")
    bits = {f"{kind}_bits": r.integer(d, f"{kind}_bits", path, get(f"{kind}_bits"), 2, 16) for kind in kinds}
    bits |= {f"{kind}_int": r.integer(d, f"{kind}_int", path, get(f"{kind}_int"), 0, 15) for kind in kinds}
    for kind in kinds:
        signed = kind != "activation"  # QKeras: integer bits exclude the sign bit
        if bits[f"{kind}_int"] + signed > bits[f"{kind}_bits"]:
            r.fail(
                f"{path}.{kind}_int",
                f"{bits[f'{kind}_int']} integer bits{' plus a sign bit' if signed else ''} "
                f"do not fit in {kind}_bits={bits[f'{kind}_bits']}",
            )
    return bits


def _layer(r: _Reader, data: Any, path: str, defaults: dict[str, Any], is_last: bool) -> LayerConfig:
    conv_keys = ("type", "filters", "kernel", "stride", "padding", "pool", "pool_size", *_LAYER_BITS)
    dense_keys = ("type", "units", *_LAYER_BITS)
    if not isinstance(data, dict):
        r.fail(path, f"must be a mapping like {{type: conv, filters: 8}} or {{type: dense, units: 16}}, got {data!r}")
        return LayerConfig("dense")
    kind = r.choice(data, "type", path, "dense", ("conv", "dense"))
    d = r.section(data, path, conv_keys if kind == "conv" else dense_keys)
    bits = _bits(r, d, path, defaults)
    if kind == "conv":
        if "filters" not in d:
            r.fail(f"{path}.filters", "required for a conv layer (1..256)")
        if d.get("pool") == "avg" and d.get("pool_size") == 3:
            r.fail(f"{path}.pool_size", "average pooling takes 2 or 4 (a power-of-two window divides exactly)")
        return LayerConfig(
            type="conv",
            filters=r.integer(d, "filters", path, 1, 1, 256),
            kernel=r.integer(d, "kernel", path, 3, 1, 7),
            stride=r.integer(d, "stride", path, 1, 1, 4),
            padding=r.choice(d, "padding", path, "valid", PADDINGS),
            pool=r.choice(d, "pool", path, "none", POOLS),
            pool_size=r.integer(d, "pool_size", path, 2, 2, 4),
            **bits,
        )
    units = d.get("units")
    if units == "classes" or (units is None and is_last):
        if not is_last:
            r.fail(f"{path}.units", "'classes' is only for the last layer")
        units = None
    else:
        if units is None:
            r.fail(f"{path}.units", "required for a hidden dense layer (1..1024)")
        units = r.integer(d, "units", path, 1, 1, 1024)
    return dataclasses.replace(LayerConfig(type="dense", units=units), **bits)


def _training(r: _Reader, data: Any) -> TrainingConfig:
    keys = ("epochs", "batch_size", "learning_rate", "optimizer", "lr_schedule", "early_stopping", "seed")
    t = r.section(data, "training", keys)
    early = t.get("early_stopping")
    early_config = None
    if early not in (None, False):
        e = r.section({} if early is True else early, "training.early_stopping", ("patience", "monitor"))
        early_config = EarlyStoppingConfig(
            patience=r.integer(e, "patience", "training.early_stopping", 5, 1, 1000),
            monitor=r.choice(e, "monitor", "training.early_stopping", "val_accuracy", ("val_accuracy", "val_loss")),
        )
    return TrainingConfig(
        epochs=r.integer(t, "epochs", "training", 30, 1, 10_000),
        batch_size=r.integer(t, "batch_size", "training", 64, 1, 65_536),
        learning_rate=r.number(t, "learning_rate", "training", 0.003, 1e-7, 10.0),
        optimizer=r.choice(t, "optimizer", "training", "adam", OPTIMIZERS),
        lr_schedule=r.choice(t, "lr_schedule", "training", "cosine", LR_SCHEDULES),
        early_stopping=early_config,
        seed=r.integer(t, "seed", "training", 0, 0, 2**31 - 1),
    )


def _pruning(r: _Reader, data: Any, epochs: int) -> PruningConfig:
    if data is False:
        return PruningConfig(target_sparsity=0.0)
    keys = ("target_sparsity", "schedule", "begin_epoch", "end_epoch", "frequency")
    p = r.section(data, "pruning", keys)
    config = PruningConfig(
        target_sparsity=r.number(p, "target_sparsity", "pruning", 0.5, 0.0, 0.95),
        schedule=r.choice(p, "schedule", "pruning", "polynomial", PRUNING_SCHEDULES),
        begin_epoch=r.integer(p, "begin_epoch", "pruning", 1, 0, 10_000),
        end_epoch=r.integer(p, "end_epoch", "pruning", None, 1, 10_000),
        frequency=r.integer(p, "frequency", "pruning", 20, 1, 100_000),
    )
    end = config.end_epoch
    if end is not None and (end > epochs or end <= config.begin_epoch):
        r.fail("pruning.end_epoch", f"must be in begin_epoch+1..training.epochs ({config.begin_epoch + 1}..{epochs})")
    if end is None and config.target_sparsity > 0 and config.begin_epoch >= epochs:
        r.fail("pruning.begin_epoch", f"must be below training.epochs ({epochs}) so that pruning can happen")
    return config


def _hardware(r: _Reader, data: Any) -> HardwareConfig:
    from lepton_hw.backends.hls.adapter import BACKENDS, STRATEGIES
    from lepton_hw.backends.rtl.cmvm import KERNELS
    from lepton_hw.boards import board_ids
    from lepton_hw.sim.run import SIMULATORS

    flow_keys = ("board", "boards", "kernel", "simulator", "hls", "estimate", "check_frames")
    # the last five: the schedule's
    keys = (*flow_keys, "pixel_clock_mhz", "clocks_per_pixel", "pipeline", "layers", "frame")
    h = r.section(data, "hardware", keys)
    known = board_ids()
    board = h.get("board")
    if board is not None and board not in known:
        r.fail("hardware.board", f"unknown board {_show(board)}; known: {', '.join(known)}")
        board = None
    boards = h.get("boards", "all")
    if boards == "all":
        boards = None
    elif isinstance(boards, str):
        boards = [boards]
    if boards is not None:
        if not isinstance(boards, list) or not boards or not all(isinstance(b, str) for b in boards):
            r.fail("hardware.boards", f"must be `all` or a list of board ids, got {_show(boards)}")
            boards = None
        else:
            for index, name in enumerate(boards):
                if name not in known:
                    r.fail(f"hardware.boards[{index}]", f"unknown board {_show(name)}; known: {', '.join(known)}")
            boards = [b for b in dict.fromkeys(boards) if b in known] or None
    hls = r.section(h.get("hls"), "hardware.hls", ("backend", "strategy", "reuse"))
    return HardwareConfig(
        board=board,
        boards=tuple(boards) if boards else None,
        kernel=r.choice(h, "kernel", "hardware", "da", tuple(KERNELS)),
        simulator=r.choice(h, "simulator", "hardware", "verilator", tuple(SIMULATORS)),
        hls_backend=r.choice(hls, "backend", "hardware.hls", "vitis", tuple(BACKENDS)),
        hls_strategy=r.choice(hls, "strategy", "hardware.hls", "latency", tuple(STRATEGIES)),
        hls_reuse=r.integer(hls, "reuse", "hardware.hls", 1, 1, 1_000_000),
        estimate=r.choice(h, "estimate", "hardware", "full", ESTIMATE_MODES),
        check_frames=r.integer(h, "check_frames", "hardware", 16, 1, 100_000),
        pixel_clock_mhz=r.number(h, "pixel_clock_mhz", "hardware", None, 0.0, MAX_PIXEL_CLOCK_MHZ, above=True),
        clocks_per_pixel=r.integer(h, "clocks_per_pixel", "hardware", 1, 1, MAX_CLOCKS_PER_PIXEL),
        pipeline=r.integer(h, "pipeline", "hardware", 1, 0, MAX_PIPELINE),
        layers=_layer_choices(r, h.get("layers")),
        frame=_frame(r, h.get("frame")),
    )


MAX_FRAME_SIDE = 8192


def _frame(r: _Reader, data: Any) -> tuple[int, int] | None:
    """``hardware.frame: {width: W, height: H}``: the camera's largest frame, cut into tiles of the model's input."""
    if data is None:
        return None
    f = r.section(data, "hardware.frame", ("width", "height"), required=True)
    missing = [key for key in ("width", "height") if key not in f]
    if isinstance(data, dict) and missing:
        r.fail("hardware.frame", f"must give width and height in pixels, like {{width: 1280, height: 1024}}; "
               f"missing {', '.join(missing)}")  # fmt: skip
    if missing:
        return None
    width = r.integer(f, "width", "hardware.frame", None, 1, MAX_FRAME_SIDE)
    height = r.integer(f, "height", "hardware.frame", None, 1, MAX_FRAME_SIDE)
    return (width, height) if width is not None and height is not None else None


def _layer_choices(r: _Reader, data: Any) -> tuple[tuple[str, LayerChoice], ...]:
    """``hardware.layers``: {layer name: {impl, fold}}; whether the names exist is checked against the IR later."""
    if data is None:
        return ()
    if not isinstance(data, dict):
        r.fail("hardware.layers", f"must be a mapping like {{logits: {{impl: fold, fold: 4}}}}, got {_show(data)}")
        return ()
    choices = []
    for name, item in data.items():
        path = f"hardware.layers.{name}"
        if not isinstance(name, str):
            r.fail(path, "must be a layer name (text), like conv1 or logits")
            continue
        c = r.section(item, path, ("impl", "fold"), required=True)
        impl = r.choice(c, "impl", path, IMPLS[0], IMPLS) if "impl" in c else None
        fold = r.integer(c, "fold", path, None, 1, MAX_FOLD)
        # nothing chosen ({} or fold: null); a bad or unknown key has its own message already
        if isinstance(item, dict) and set(item) <= {"fold"} and item.get("fold") is None:
            r.fail(path, f"must give impl, fold or both, got {_show(item)}")
        choices.append((name, LayerChoice(impl=impl, fold=fold)))
    return tuple(sorted(choices, key=lambda pair: pair[0]))
