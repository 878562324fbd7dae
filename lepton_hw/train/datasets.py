"""Datasets for training: Mono8 frames (uint8, N x H x W) and integer class labels.

Four kinds, chosen by ``dataset.kind`` in the config:

- ``digits``: scikit-learn's bundled 8x8 digits (values 0..16, scaled by 16 to Mono8);
- ``surface-defects``: the procedural generator of :mod:`lepton_hw.train.surface_defects`;
- ``folder``: one subfolder of images per class, the way a user brings camera captures;
  RGB and 16-bit images become Mono8, and every image is resized (or center-cropped) to the
  model's input size;
- ``npz``: arrays ``x`` (N, H, W[, 1 or 3]) uint8 and ``y`` (N,) integer labels.

The model sees ``pixel / 256`` (``ap_ufixed<8,0>``), exactly, so the hardware gets raw pixel bits.

:func:`load_frames` composes whole camera frames instead, with defects in known tiles of the
model's input size (surface-defects only), for the core's tiled mode.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw.config import DatasetConfig, SplitConfig
from lepton_hw.errors import DatasetError
from lepton_hw.safe_io import check_npz

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".jpg", ".jpeg")
DEFAULT_SIZE = (32, 32)


@dataclass(frozen=True)
class Dataset:
    """Frames ``x`` (uint8, N x H x W) with labels ``y`` (int64) indexing ``classes``."""

    classes: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    description: str

    @property
    def size(self) -> tuple[int, int]:
        return int(self.x.shape[1]), int(self.x.shape[2])

    def subset(self, index: np.ndarray) -> Dataset:
        return Dataset(self.classes, self.x[index], self.y[index], self.description)


@dataclass(frozen=True)
class Frames:
    """Whole frames ``x`` (uint8, N x H x W x 1) and the class of each ``tile``-sized tile,
    ``tile_labels`` (int64, N x TR x TC, raster order) indexing ``classes``."""

    classes: tuple[str, ...]
    x: np.ndarray
    tile_labels: np.ndarray
    tile: tuple[int, int]
    description: str


@dataclass(frozen=True)
class Splits:
    train: Dataset
    validation: Dataset
    test: Dataset


def to_model_input(frames: np.ndarray) -> np.ndarray:
    """Mono8 frames (N, H, W) -> the model's input (N, H, W, 1) = pixel / 256, exact in float32."""
    return (frames.astype(np.float32) / 256.0)[..., None]


def load_dataset(config: DatasetConfig, input_size: tuple[int, int] | None = None) -> Dataset:
    """Load or generate the configured dataset; ``input_size`` is the model's (height, width) if set."""
    if config.kind == "digits":
        dataset = _digits(input_size)
    elif config.kind == "surface-defects":
        dataset = _surface_defects(config, input_size)
    elif config.kind == "folder":
        assert config.path is not None
        dataset = load_folder(config.path, input_size or config.size or DEFAULT_SIZE, config.fit, config.classes)
    else:
        assert config.path is not None
        dataset = load_npz(config.path, config.classes)
        if input_size is not None and dataset.size != input_size:
            raise DatasetError(
                f"{config.path}: frames are {dataset.size[0]}x{dataset.size[1]} but model.input is "
                f"{input_size[0]}x{input_size[1]}; remove model.input or resize the arrays"
            )
    counts = np.bincount(dataset.y, minlength=len(dataset.classes))
    empty = [name for name, count in zip(dataset.classes, counts, strict=True) if count == 0]
    if empty:
        raise DatasetError(f"{dataset.description}: no samples for class(es) {', '.join(empty)}")
    return dataset


def _digits(input_size: tuple[int, int] | None) -> Dataset:
    from sklearn.datasets import load_digits

    if input_size is not None and input_size != (8, 8):
        raise DatasetError(f"the digits are 8x8 frames, but model.input is {input_size[0]}x{input_size[1]}")
    digits = load_digits()
    frames = np.minimum(digits.images * 16, 255).astype(np.uint8)  # 0..16 -> 0..255 (16 saturates)
    classes = tuple(str(d) for d in range(10))
    return Dataset(classes, frames, digits.target.astype(np.int64), "sklearn digits (8x8)")


def _surface_size(config: DatasetConfig, input_size: tuple[int, int] | None) -> tuple[int, int]:
    """The surface-defects patch size (height, width): dataset.size or model.input, which must agree."""
    if config.size is not None and input_size is not None and config.size != input_size:
        raise DatasetError(
            f"dataset.size {config.size[0]}x{config.size[1]} differs from model.input "
            f"{input_size[0]}x{input_size[1]}; give one of them"
        )
    return config.size or input_size or DEFAULT_SIZE


def _surface_defects(config: DatasetConfig, input_size: tuple[int, int] | None) -> Dataset:
    from lepton_hw.train import surface_defects as sd

    size = _surface_size(config, input_size)
    classes = config.classes or sd.DEFAULT_CLASSES
    try:
        frames, labels = sd.generate(
            config.samples,
            size=size,
            classes=classes,
            difficulty=config.difficulty,
            balance=config.balance,
            textures=config.textures or sd.TEXTURES,
            seed=config.seed,
        )
    except ValueError as err:
        raise DatasetError(f"dataset (surface-defects): {err}") from None
    description = f"surface-defects ({size[0]}x{size[1]}, difficulty {config.difficulty}, seed {config.seed})"
    return Dataset(tuple(classes), frames, labels, description)


# ----------------------------------------------------------------------------- whole frames
def frames_tile(
    config: DatasetConfig, input_size: tuple[int, int] | None, frame_size: tuple[int, int]
) -> tuple[int, int]:
    """Check that whole frames of ``frame_size`` (width, height) can be composed for ``config``;
    the tile (height, width), which is the model's input size."""
    from lepton_hw.train.surface_defects import MAX_FRAME_SIDE

    if config.kind != "surface-defects":
        raise DatasetError(
            f"whole frames are composed by the surface-defects generator only, and this config's dataset.kind is "
            f"{config.kind}; accepted: dataset.kind surface-defects"
        )
    tile = _surface_size(config, input_size)
    width, height = frame_size
    if not (tile[1] <= width <= MAX_FRAME_SIDE and tile[0] <= height <= MAX_FRAME_SIDE):
        raise DatasetError(
            f"frame size {width}x{height}: width must be {tile[1]}..{MAX_FRAME_SIDE} and height "
            f"{tile[0]}..{MAX_FRAME_SIDE} (at least one tile, the model input {tile[0]}x{tile[1]})"
        )
    return tile


def load_frames(
    config: DatasetConfig,
    input_size: tuple[int, int] | None,
    count: int,
    frame_size: tuple[int, int],
    defect_fraction: float = 0.25,
) -> Frames:
    """``count`` whole frames of ``frame_size`` (width, height) from the config's surface-defects
    generator (classes, difficulty, textures, seed), cut into tiles of the model's input size;
    ``defect_fraction`` of the tiles get a defect (see :func:`~lepton_hw.train.surface_defects.compose_frames`)."""
    from lepton_hw.train import surface_defects as sd

    tile = frames_tile(config, input_size, frame_size)
    width, height = frame_size
    classes = config.classes or sd.DEFAULT_CLASSES
    try:
        frames, labels = sd.compose_frames(
            count, width, height, tile, config.seed, classes=classes, difficulty=config.difficulty,
            textures=config.textures or sd.TEXTURES, defect_fraction=defect_fraction,
        )  # fmt: skip
    except ValueError as err:
        raise DatasetError(f"dataset (surface-defects frames): {err}") from None
    description = (
        f"surface-defects frames ({width}x{height}, tiles {tile[0]}x{tile[1]}, difficulty {config.difficulty}, "
        f"seed {config.seed})"
    )
    return Frames(tuple(classes), frames, labels, tile, description)


# ----------------------------------------------------------------------------- user data
def load_folder(
    root: Path, size: tuple[int, int], fit: str = "resize", classes: Sequence[str] | None = None
) -> Dataset:
    """Images from ``root/<class>/*`` as Mono8 frames of ``size``; class order is sorted names unless given."""
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist")
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if classes is None:
        classes = found
    else:
        missing = [c for c in classes if c not in found]
        if missing:
            raise DatasetError(
                f"dataset folder {root}: no subfolder for class(es) {', '.join(missing)}; found: {', '.join(found)}"
            )
    _inside([root / name for name in classes], root)
    if len(classes) < 2:
        raise DatasetError(
            f"dataset folder {root}: found {len(classes)} class subfolder(s); give one subfolder of images per "
            "class, at least two classes"
        )
    frames: list[np.ndarray] = []
    labels: list[int] = []
    skipped = 0
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir() if p.is_file() and not p.name.startswith("."))
        _inside(files, root)
        images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
        skipped += len(files) - len(images)
        if not images:
            raise DatasetError(
                f"dataset folder {root / name}: no images; accepted: {', '.join(IMAGE_SUFFIXES)} (Mono8, RGB or 16-bit)"
            )
        for path in images:
            frames.append(read_mono8(path, size, fit))
            labels.append(label)
    if skipped:
        log.warning(
            "dataset folder %s: skipped %d files that are not images (%s)", root, skipped, "/".join(IMAGE_SUFFIXES)
        )
    description = f"folder {root} ({len(frames)} images, {fit} to {size[0]}x{size[1]})"
    return Dataset(tuple(classes), np.stack(frames), np.asarray(labels, dtype=np.int64), description)


MAX_IMAGE_PIXELS = 50_000_000  # a 50-megapixel camera frame; larger headers are refused before decoding


def _inside(files: list[Path], root: Path) -> None:
    """Refuse a file (a symlink) that leads out of the dataset folder."""
    top = root.resolve()
    for path in files:
        if not path.resolve().is_relative_to(top):
            raise DatasetError(
                f"dataset folder {root}: {path} leads out of the folder (to {path.resolve()}); "
                "accepted: files inside it"
            )


def read_mono8(path: Path, size: tuple[int, int], fit: str = "resize") -> np.ndarray:
    """One image file as a Mono8 frame of ``size`` (height, width)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:  # the header's size, before decoding
                    raise DatasetError(
                        f"image {path} is {image.width}x{image.height} ({image.width * image.height:,} pixels); "
                        f"at most {MAX_IMAGE_PIXELS:,} pixels are accepted (a decompression bomb?)"
                    )
                image.load()
                mono = _as_mono8(image, path)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise DatasetError(f"cannot read image {path}: {err}") from None
    height, width = size
    if mono.size == (width, height):
        return np.asarray(mono, dtype=np.uint8)
    if fit == "crop":
        if mono.width < width or mono.height < height:
            raise DatasetError(
                f"image {path} is {mono.height}x{mono.width}, smaller than the input {height}x{width}; "
                "use dataset.fit: resize"
            )
        left, top = (mono.width - width) // 2, (mono.height - height) // 2
        mono = mono.crop((left, top, left + width, top + height))
    else:
        mono = mono.resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(mono, dtype=np.uint8)


def _as_mono8(image: Any, path: Path) -> Any:
    """A PIL image as an 8-bit greyscale ("L") image."""
    from PIL import Image

    if image.mode == "L":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # Mono16 camera frames: keep the top 8 bits
        values = np.asarray(image, dtype=np.int64)
        if values.min() < 0 or values.max() > 65535:
            raise DatasetError(f"image {path}: {image.mode} values outside 0..65535 are not accepted")
        return Image.fromarray((values >> 8).astype(np.uint8), mode="L")
    if image.mode in ("1", "P", "RGB", "RGBA", "LA", "CMYK", "YCbCr"):
        return image.convert("L")  # ITU-R 601 luma, as PIL computes it
    raise DatasetError(f"image {path}: pixel mode {image.mode} is not accepted; give Mono8, RGB or 16-bit images")


def load_npz(path: Path, classes: Sequence[str] | None = None) -> Dataset:
    """``x`` (N, H, W[, 1|3]) uint8 and ``y`` (N,) labels 0..K-1 from an .npz file."""
    if not path.is_file():
        raise DatasetError(f"dataset file {path} does not exist")
    check_npz(path, DatasetError)  # a forged member header must not make np.load allocate terabytes
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds one array (a .npy file), not arrays x and y")
        with loaded as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError) as err:
        raise DatasetError(f"cannot read {path} as an .npz archive: {err}") from None
    for key in ("x", "y"):
        if key not in arrays:
            raise DatasetError(f"{path}: no array '{key}'; found {', '.join(arrays) or 'none'}; expected x and y")
    x, y = arrays["x"], arrays["y"]
    if x.dtype != np.uint8:
        raise DatasetError(f"{path}: x must be uint8 Mono8 pixels, got dtype {x.dtype}")
    if x.ndim == 4 and x.shape[3] == 3:
        from PIL import Image

        x = np.stack([np.asarray(Image.fromarray(frame, mode="RGB").convert("L")) for frame in x])
    elif x.ndim == 4 and x.shape[3] == 1:
        x = x[..., 0]
    if x.ndim != 3 or min(x.shape[1:]) < 1:
        raise DatasetError(f"{path}: x must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3), got {x.shape}")
    if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "iu":
        raise DatasetError(f"{path}: y must be (N,) = ({len(x)},) integer labels, got {y.shape} {y.dtype}")
    if len(y) == 0 or y.min() < 0:
        raise DatasetError(f"{path}: y must hold labels 0..K-1 and at least one sample")
    count = int(y.max()) + 1
    if classes is None:
        classes = tuple(str(c) for c in arrays["classes"]) if "classes" in arrays else tuple(map(str, range(count)))
    if len(classes) < max(count, 2):
        raise DatasetError(f"{path}: labels go up to {count - 1}, but {len(classes)} class names are given")
    return Dataset(tuple(classes), x, y.astype(np.int64), f"npz {path} ({len(x)} frames)")


# ----------------------------------------------------------------------------- splits and export
def split_dataset(dataset: Dataset, split: SplitConfig) -> Splits:
    """Stratified train / validation / test split, deterministic from ``split.seed``."""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(dataset.y))
    try:
        rest, test = train_test_split(index, test_size=split.test, random_state=split.seed, stratify=dataset.y)
        fraction = split.validation / (1 - split.test)
        train, validation = train_test_split(
            rest, test_size=fraction, random_state=split.seed, stratify=dataset.y[rest]
        )
    except ValueError as err:
        counts = np.bincount(dataset.y, minlength=len(dataset.classes))
        smallest = dataset.classes[int(np.argmin(counts))]
        raise DatasetError(
            f"{dataset.description}: cannot split {len(index)} samples into train/validation/test with every "
            f"class in each (class {smallest} has {counts.min()}): {err}"
        ) from None
    return Splits(dataset.subset(np.sort(train)), dataset.subset(np.sort(validation)), dataset.subset(np.sort(test)))


def export_png(dataset: Dataset, out: Path, per_class: int | None = None) -> dict[str, int]:
    """Write ``out/<class>/<class>_<index>.png`` (a folder dataset reads it back); counts per class."""
    from PIL import Image

    written: dict[str, int] = {}
    for label, name in enumerate(dataset.classes):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        (index,) = np.nonzero(dataset.y == label)
        for i in index[:per_class]:
            Image.fromarray(dataset.x[i], mode="L").save(folder / f"{name}_{i:06d}.png")
        written[name] = len(index[:per_class])
    return written
