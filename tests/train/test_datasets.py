"""Datasets: folders of user images, npz arrays, digits, splits and the PNG export."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lepton_hw.config import DatasetConfig, SplitConfig
from lepton_hw.errors import DatasetError
from lepton_hw.train.datasets import (
    Dataset,
    export_png,
    load_dataset,
    load_folder,
    load_npz,
    read_mono8,
    split_dataset,
    to_model_input,
)


def _frames(n: int, size: tuple[int, int], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, *size), dtype=np.uint8)


def test_export_then_folder_round_trip(tmp_path: Path) -> None:
    frames = _frames(12, (10, 12), 0)
    dataset = Dataset(("good", "scratched", "pitted"), frames, np.arange(12) % 3, "synthetic")
    assert export_png(dataset, tmp_path) == {"good": 4, "scratched": 4, "pitted": 4}
    loaded = load_folder(tmp_path, (10, 12), classes=dataset.classes)
    order = np.argsort(dataset.y, kind="stable")  # the folder lists each class in turn
    assert np.array_equal(loaded.x, frames[order]) and np.array_equal(loaded.y, dataset.y[order])
    by_name = load_folder(tmp_path, (10, 12))  # default class order: sorted folder names
    assert by_name.classes == ("good", "pitted", "scratched")


def test_folder_converts_rgb_and_16_bit_and_fits_the_size(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    rgb = np.zeros((20, 30, 3), dtype=np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 100, 50
    Image.fromarray(rgb, mode="RGB").save(tmp_path / "a" / "rgb.bmp")
    mono16 = np.full((16, 16), 0xAB12, dtype=np.uint16)
    Image.fromarray(mono16).save(tmp_path / "b" / "mono16.tif")
    (tmp_path / "b" / "notes.txt").write_text("not an image")  # skipped with a warning
    dataset = load_folder(tmp_path, (16, 16), fit="crop")
    assert dataset.x.shape == (2, 16, 16) and dataset.x.dtype == np.uint8
    assert np.all(dataset.x[0] == (200 * 299 + 100 * 587 + 50 * 114 + 500) // 1000)  # ITU-R 601 luma, rounded
    assert np.all(dataset.x[1] == 0xAB)  # Mono16 keeps its top byte
    resized = read_mono8(tmp_path / "a" / "rgb.bmp", (8, 8), fit="resize")
    assert resized.shape == (8, 8)
    with pytest.raises(DatasetError, match=r"rgb.bmp is 20x30, smaller than the input 32x32; use dataset.fit: resize"):
        read_mono8(tmp_path / "a" / "rgb.bmp", (32, 32), fit="crop")


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({}, "found 0 class subfolder(s)"),
        ({"a": ["x.png"]}, "found 1 class subfolder(s)"),
        ({"a": ["x.png"], "b": ["readme.txt"]}, "/b: no images; accepted: .png"),
        ({"a": ["x.png"], "b": ["broken.png"]}, "cannot read image"),
    ],
)
def test_folder_errors(tmp_path: Path, layout: dict[str, list[str]], message: str) -> None:
    for name, files in layout.items():
        (tmp_path / name).mkdir()
        for file in files:
            if file == "x.png":
                Image.fromarray(_frames(1, (8, 8), 1)[0]).save(tmp_path / name / file)
            else:
                (tmp_path / name / file).write_text("not a picture")
    with pytest.raises(DatasetError, match=re.escape(message)):
        load_folder(tmp_path, (8, 8))
    with pytest.raises(DatasetError, match="does not exist"):
        load_folder(tmp_path / "nowhere", (8, 8))


def test_folder_named_classes_must_exist(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Image.fromarray(_frames(1, (8, 8), 2)[0]).save(tmp_path / name / "x.png")
    with pytest.raises(DatasetError, match=r"no subfolder for class.es. c; found: a, b"):
        load_folder(tmp_path, (8, 8), classes=["a", "c"])


def test_npz(tmp_path: Path) -> None:
    frames = _frames(6, (5, 7), 3)
    np.savez(tmp_path / "ok.npz", x=frames[..., None], y=np.array([0, 1, 0, 1, 2, 2]))
    dataset = load_npz(tmp_path / "ok.npz")
    assert np.array_equal(dataset.x, frames) and dataset.classes == ("0", "1", "2")
    rgb = np.repeat(frames[..., None], 3, axis=3)  # grey RGB converts to the same Mono8
    np.savez(tmp_path / "rgb.npz", x=rgb, y=np.array([0, 1, 0, 1, 2, 2]), classes=np.array(["a", "b", "c"]))
    dataset = load_npz(tmp_path / "rgb.npz")
    assert np.array_equal(dataset.x, frames) and dataset.classes == ("a", "b", "c")
    bad = {
        "float.npz": ({"x": frames.astype(np.float32), "y": np.zeros(6, int)}, "x must be uint8"),
        "noy.npz": ({"x": frames}, "no array 'y'"),
        "short.npz": ({"x": frames, "y": np.zeros(5, int)}, r"y must be \(N,\) = \(6,\) integer labels"),
        "shape.npz": ({"x": frames[:, 0], "y": np.zeros(6, int)}, r"x must have shape \(N, H, W\)"),
    }
    for name, (arrays, message) in bad.items():
        np.savez(tmp_path / name, **arrays)
        with pytest.raises(DatasetError, match=message):
            load_npz(tmp_path / name)
    with pytest.raises(DatasetError, match=r"frames are 5x7 but model.input is 8x8"):
        load_dataset(DatasetConfig("npz", path=tmp_path / "ok.npz"), (8, 8))


def test_digits_and_model_input() -> None:
    dataset = load_dataset(DatasetConfig("digits"))
    assert dataset.x.shape == (1797, 8, 8) and dataset.x.dtype == np.uint8
    assert dataset.x.max() == 255 and set(np.unique(dataset.x) % 16) <= {0, 15}  # 0..16 scaled by 16, 256 saturates
    x = to_model_input(dataset.x[:4])
    assert x.shape == (4, 8, 8, 1) and np.array_equal(x * 256, dataset.x[:4, ..., None])
    with pytest.raises(DatasetError, match=r"the digits are 8x8 frames, but model\.input is 16x16"):
        load_dataset(DatasetConfig("digits"), (16, 16))


def test_split_is_stratified_disjoint_and_seeded() -> None:
    dataset = load_dataset(DatasetConfig("digits"))
    splits = split_dataset(dataset, SplitConfig(0.2, 0.1, seed=5))
    sizes = [len(s.y) for s in (splits.train, splits.validation, splits.test)]
    assert sum(sizes) == 1797 and abs(sizes[2] - 180) <= 1 and abs(sizes[1] - 359) <= 1
    for part in (splits.validation, splits.test):
        share = np.bincount(part.y, minlength=10) / len(part.y)
        assert np.all(np.abs(share - np.bincount(dataset.y) / 1797) < 0.02)
    again = split_dataset(dataset, SplitConfig(0.2, 0.1, seed=5))
    assert np.array_equal(again.test.x, splits.test.x)
    other = split_dataset(dataset, SplitConfig(0.2, 0.1, seed=6))
    assert not np.array_equal(other.test.x, splits.test.x)
    tiny = Dataset(("a", "b"), _frames(3, (4, 4), 0), np.array([0, 0, 1]), "tiny")
    with pytest.raises(DatasetError, match="class b has 1"):
        split_dataset(tiny, SplitConfig())


def test_npy_named_npz(tmp_path: Path) -> None:
    np.save(tmp_path / "frames.npy", _frames(4, (8, 8), 0))
    (tmp_path / "frames.npy").rename(tmp_path / "frames.npz")
    with pytest.raises(DatasetError, match="holds one array"):
        load_npz(tmp_path / "frames.npz")
