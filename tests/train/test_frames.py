"""Whole camera frames with defects in known tiles (compose_frames) and `lepton-hw dataset --frames`."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from lepton_hw.train.surface_defects import DEFAULT_CLASSES, compose_frames, generate
from tests.helpers import run_cli


def _tiles(frames: np.ndarray, tile: tuple[int, int], rows: int, cols: int) -> np.ndarray:
    """The tiles of frames (N, H, W, 1) in raster order: (N, rows, cols, h, w)."""
    h, w = tile
    n = frames.shape[0]
    return frames[:, : rows * h, : cols * w, 0].reshape(n, rows, h, cols, w).transpose(0, 1, 3, 2, 4)


def test_shapes_and_determinism() -> None:
    frames, labels = compose_frames(3, 100, 70, (32, 32), seed=3)
    assert frames.dtype == np.uint8 and frames.shape == (3, 70, 100, 1)
    assert labels.dtype == np.int64 and labels.shape == (3, 2, 3)  # TR = 70 // 32, TC = 100 // 32
    again, labels_again = compose_frames(3, 100, 70, (32, 32), seed=3)
    assert frames.tobytes() == again.tobytes() and np.array_equal(labels, labels_again)
    other, _ = compose_frames(3, 100, 70, (32, 32), seed=4)
    assert not np.array_equal(frames, other)
    # frame i depends on (seed, i), not on how many frames are drawn
    first, first_labels = compose_frames(1, 100, 70, (32, 32), seed=3)
    assert np.array_equal(first[0], frames[0]) and np.array_equal(first_labels[0], labels[0])
    assert not np.array_equal(frames[0], frames[1])
    tall, tall_labels = compose_frames(1, 40, 64, (16, 20), seed=0)  # tile = (height, width)
    assert tall.shape == (1, 64, 40, 1) and tall_labels.shape == (1, 4, 2)


def test_tile_classes() -> None:
    _, labels = compose_frames(12, 320, 256, (32, 32), seed=1)  # 8 x 10 tiles
    ok = DEFAULT_CLASSES.index("ok")
    for frame_labels in labels:
        assert int((frame_labels != ok).sum()) == 20  # round(0.25 * 80) defect tiles in every frame
    assert set(np.unique(labels)) == set(range(len(DEFAULT_CLASSES)))  # every defect class occurs
    _, plain = compose_frames(2, 320, 256, (32, 32), seed=1, defect_fraction=0.0)
    assert np.all(plain == ok)
    classes = ("pit", "ok", "dent")
    _, labels = compose_frames(2, 96, 64, (32, 32), seed=1, classes=classes, defect_fraction=1.0)
    assert set(np.unique(labels)) <= {0, 2}  # no tile is ok (index 1)


@pytest.mark.parametrize("difficulty", [0.0, 0.5, 1.0])
def test_defects_are_where_the_labels_say(difficulty: float) -> None:
    """The same frames without defects (defect_fraction 0: same surface, light and noise) differ from the
    frames exactly in the tiles labelled with a defect, and clearly there; ok tiles and the remainder strips
    are byte for byte the plain surface."""
    tile, (rows, cols) = (32, 32), (8, 10)
    frames, labels = compose_frames(4, 330, 270, tile, seed=7, difficulty=difficulty)  # remainders 10 and 14 px
    plain, _ = compose_frames(4, 330, 270, tile, seed=7, difficulty=difficulty, defect_fraction=0.0)
    assert labels.shape == (4, rows, cols)
    ok = DEFAULT_CLASSES.index("ok")
    diff = np.abs(_tiles(frames, tile, rows, cols).astype(int) - _tiles(plain, tile, rows, cols)).max(axis=(3, 4))
    assert np.all(diff[labels == ok] == 0)
    assert diff[labels != ok].min() >= 15, "a planted defect hardly changes its tile"
    assert np.array_equal(frames[:, rows * 32 :], plain[:, rows * 32 :])  # bottom strip
    assert np.array_equal(frames[:, :, cols * 32 :], plain[:, :, cols * 32 :])  # right strip


def _high_pass_peak(patches: np.ndarray) -> np.ndarray:
    """Per patch, the strongest local deviation from the 5x5 neighbourhood mean (defects are local)."""
    f = patches.astype(np.float64)
    padded = np.pad(f, ((0, 0), (2, 2), (2, 2)), mode="edge")
    mean = sum(padded[:, i : i + f.shape[1], j : j + f.shape[2]] for i in range(5) for j in range(5)) / 25
    return np.abs(f - mean).max(axis=(1, 2))


def test_tiles_look_like_training_patches() -> None:
    """Per class, the tiles' texture, noise and defect sharpness match generate()'s patches: the median
    local peak of each class agrees within 30 %, and the tiles' brightness stays in the patches' range."""
    frames, labels = compose_frames(8, 320, 256, (32, 32), seed=2)
    tiles = _tiles(frames, (32, 32), 8, 10).reshape(-1, 32, 32)
    tile_labels = labels.reshape(-1)
    patches, patch_labels = generate(500, seed=2)
    tile_peak, patch_peak = _high_pass_peak(tiles), _high_pass_peak(patches)
    for k, name in enumerate(DEFAULT_CLASSES):
        ratio = np.median(tile_peak[tile_labels == k]) / np.median(patch_peak[patch_labels == k])
        assert 0.7 < ratio < 1.3, (name, ratio)
    means = tiles.mean(axis=(1, 2))
    assert means.min() > 40 and means.max() < 230


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0}, "count"),
        ({"width": 31}, "width must be an integer 32..8192"),
        ({"height": 8193}, "height must be an integer 32..8192"),
        ({"tile": (4, 32)}, "tile 4x32 is out of range"),
        ({"classes": ("scratch", "pit")}, "no 'ok'"),
        ({"classes": ("ok",)}, "only 'ok'"),
        ({"classes": ("ok", "rust")}, "unknown classes"),
        ({"defect_fraction": 1.5}, "defect_fraction"),
        ({"difficulty": -0.1}, "difficulty"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    args = {"count": 1, "width": 64, "height": 64, "tile": (32, 32), **kwargs}
    with pytest.raises(ValueError, match=message):
        compose_frames(**args)


# ----------------------------------------------------------------------------- the command line
def _config(tmp_path: Path, dataset: dict, **sections: dict) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"dataset": dataset, "model": {"layers": [{"type": "dense"}]}, **sections}))
    return path


SURFACE = {"kind": "surface-defects", "samples": 50, "size": [16, 20], "seed": 2, "difficulty": 0.3}


def test_dataset_frames_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, SURFACE)
    out = tmp_path / "frames"
    status, stdout, err = run_cli(["dataset", str(config), "-o", str(out), "--frames", "3", "--frame-size", "90x40"],
                                  capsys)  # fmt: skip
    assert status == 0, err
    assert "wrote 3 frames" in stdout and "tiles per class: ok 18" in stdout  # 3 frames x 8 tiles, 2 defects each
    expected, expected_labels = compose_frames(3, 90, 40, (16, 20), seed=2, difficulty=0.3)
    frames, labels = np.load(out / "frames.npy"), np.load(out / "tile_labels.npy")
    assert frames.dtype == np.uint8 and frames.shape == (3, 40, 90, 1) and np.array_equal(frames, expected)
    assert labels.shape == (3, 2, 4) and np.array_equal(labels, expected_labels)  # TR = 40 // 16, TC = 90 // 20
    with (out / "labels.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["frame", "tile_row", "tile_col", "class_index", "class_name"]
    assert len(rows) == 1 + labels.size
    for frame, row, col, index, name in rows[1:]:
        assert int(index) == labels[int(frame), int(row), int(col)] and name == DEFAULT_CLASSES[int(index)]
    assert sorted(p.name for p in out.glob("*.png")) == ["frame_000.png", "frame_001.png", "frame_002.png"]
    for i in range(3):
        image = Image.open(out / f"frame_{i:03d}.png")
        assert image.mode == "L" and np.array_equal(np.asarray(image), frames[i, :, :, 0])
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["frames.npy", "tile_labels.npy", "labels.csv", "frame_000.png", "frame_001.png", "frame_002.png"]
    )
    # an existing folder is refused without --force and left alone; with --force it is replaced
    argv = ["dataset", str(config), "-o", str(out), "--frames", "1", "--frame-size", "40x16"]
    status, _, err = run_cli(argv, capsys)
    assert status == 2 and "pass --force" in err and np.load(out / "frames.npy").shape == (3, 40, 90, 1)
    status, _, err = run_cli([*argv, "--force"], capsys)
    assert status == 0, err
    assert np.load(out / "frames.npy").shape == (1, 16, 40, 1) and not (out / "frame_001.png").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--frames", "2", "--frame-size", "19x40"],
            "frame size 19x40: width must be 20..8192",
        ),  # narrower than a tile
        (["--frames", "2", "--frame-size", "90x15"], "height 16..8192"),
        (["--frames", "2", "--frame-size", "9000x40"], "each 1..8192"),
        (["--frames", "2", "--frame-size", "640*480"], "expected WIDTHxHEIGHT"),
        (["--frames", "2", "--frame-size", "x40"], "expected WIDTHxHEIGHT"),
        (["--frames", "2", "--frame-size=-90x40"], "expected WIDTHxHEIGHT"),
        (["--frames", "2"], "give --frame-size WxH"),  # and the config has no hardware.frame
        (["--frame-size", "90x40"], "goes with --frames N"),
        (["--frames", "0", "--frame-size", "90x40"], "positive integer"),
        (["--frames", "2", "--frame-size", "90x40", "--limit", "3"], "--limit"),
    ],
)
def test_dataset_frames_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    out = tmp_path / "frames"
    status, _, err = run_cli(["dataset", str(_config(tmp_path, SURFACE)), "-o", str(out), *options], capsys)
    assert status == 2 and message in err
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["c.yaml"]  # nothing written


def test_dataset_frames_size_from_the_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lepton_hw import config
    from lepton_hw.train import surface_defects

    assert config.MAX_FRAME_SIDE == surface_defects.MAX_FRAME_SIDE
    path = _config(tmp_path, SURFACE, hardware={"frame": {"width": 64, "height": 48}})
    out = tmp_path / "frames"
    argv = ["dataset", str(path), "-o", str(out), "--frames", "1"]
    status, _, err = run_cli(argv, capsys)
    assert status == 0, err
    assert np.load(out / "frames.npy").shape == (1, 48, 64, 1) and np.load(out / "tile_labels.npy").shape == (1, 3, 3)
    status, _, err = run_cli([*argv, "--frame-size", "40x32", "--force"], capsys)
    assert status == 0, err
    assert np.load(out / "frames.npy").shape == (1, 32, 40, 1)  # --frame-size wins


def test_dataset_frames_needs_the_surface_generator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "frames"
    config = _config(tmp_path, {"kind": "digits"})
    status, _, err = run_cli(["dataset", str(config), "-o", str(out), "--frames", "1", "--frame-size", "64x64"], capsys)
    assert status == 2 and "dataset.kind is digits; accepted: dataset.kind surface-defects" in err
    assert not out.exists()
    config = _config(tmp_path, {**SURFACE, "classes": ["scratch", "pit"]})  # no ok: nothing to fill the others
    status, _, err = run_cli(["dataset", str(config), "-o", str(out), "--frames", "1", "--frame-size", "64x64"], capsys)
    assert status == 2 and "no 'ok'" in err and not out.exists()
