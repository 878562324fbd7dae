"""The surface-defects generator: deterministic, exact class counts, defects really drawn, PNG export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from lepton_hw.config import DatasetConfig
from lepton_hw.errors import DatasetError
from lepton_hw.train.datasets import load_dataset, load_folder
from lepton_hw.train.surface_defects import DEFAULT_CLASSES, DEFECT_CLASSES, generate, render_grid
from tests.helpers import run_cli


def test_deterministic_and_independent_of_count() -> None:
    x1, y1 = generate(60, seed=4)
    x2, y2 = generate(60, seed=4)
    assert x1.dtype == np.uint8 and x1.shape == (60, 32, 32) and y1.dtype == np.int64
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    x3, _ = generate(60, seed=5)
    assert not np.array_equal(x1, x3)
    # sample i depends on (seed, i, its class): where two runs of different length agree on the class, the frames agree
    x4, y4 = generate(90, seed=4)
    same = np.nonzero(y1 == y4[:60])[0]
    assert len(same) > 5 and np.array_equal(x1[same], x4[same])


def test_class_counts_are_exact() -> None:
    _, y = generate(10, seed=0)
    assert np.bincount(y).tolist() == [2, 2, 2, 2, 2]
    _, y = generate(12, classes=("ok", "dent", "pit"), balance=(2, 1, 1), seed=0)
    assert np.bincount(y).tolist() == [6, 3, 3]
    x, _ = generate(7, size=(10, 24), seed=0)
    assert x.shape == (7, 10, 24)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"classes": ("ok", "rust")}, "unknown classes"),
        ({"textures": ("velvet",)}, "unknown textures"),
        ({"difficulty": 1.5}, "difficulty"),
        ({"balance": (1, 1)}, "balance has 2 entries"),
        ({"size": (4, 32)}, "size"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(10, **kwargs)


def test_bad_arguments_are_user_errors_through_the_config() -> None:
    with pytest.raises(DatasetError, match=r"dataset \(surface-defects\): unknown classes"):
        load_dataset(DatasetConfig("surface-defects", samples=20, classes=("ok", "rust")))


def _high_pass_peak(frames: np.ndarray) -> np.ndarray:
    """Per frame, the strongest local deviation from the 5x5 neighbourhood mean (defects are local)."""
    f = frames.astype(np.float64)
    padded = np.pad(f, ((0, 0), (2, 2), (2, 2)), mode="edge")
    mean = sum(padded[:, i : i + f.shape[1], j : j + f.shape[2]] for i in range(5) for j in range(5)) / 25
    return np.abs(f - mean).max(axis=(1, 2))


def test_local_defects_stand_out_from_ok_frames() -> None:
    """Scratches, pits and cracks are small, sharp marks: their frames have a stronger local peak than ok ones."""
    x, y = generate(600, difficulty=0.0, seed=3)
    peak = _high_pass_peak(x)
    ok = np.median(peak[y == DEFAULT_CLASSES.index("ok")])
    for name in ("scratch", "pit", "crack"):
        assert np.median(peak[y == DEFAULT_CLASSES.index(name)]) > 1.3 * ok, name


def test_grid_and_dataset_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x, y = generate(len(DEFECT_CLASSES) * 3, classes=DEFECT_CLASSES, seed=1)
    grid = render_grid(x, y, DEFECT_CLASSES, per_class=3)
    assert grid.dtype == np.uint8 and grid.shape[0] > 6 * 32 and grid.shape[1] > 3 * 32
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "dataset": {"kind": "surface-defects", "samples": 50, "size": [16, 20], "seed": 2},
                "model": {"layers": [{"type": "dense"}]},
            }
        )
    )
    out = tmp_path / "images"
    status, stdout, err = run_cli(["dataset", str(config), "-o", str(out)], capsys)
    assert status == 0, err
    assert "wrote 50 PNG frames" in stdout and (out / "preview.png").is_file()
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(DEFAULT_CLASSES)
    loaded = load_folder(out, (16, 20), classes=DEFAULT_CLASSES)  # the export reads back bit for bit
    frames, labels = generate(50, size=(16, 20), seed=2)
    order = np.argsort(labels, kind="stable")
    assert np.array_equal(loaded.x, frames[order]) and np.array_equal(loaded.y, labels[order])
    assert Image.open(out / "preview.png").mode == "L"
    status, _, err = run_cli(["dataset", str(config), "-o", str(out)], capsys)
    assert status == 2 and "pass --force" in err
