"""`lepton-hw train` on bad configs and bad data: one clear exit-2 message each, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from PIL import Image

from tests.helpers import run_cli

LAYERS = {"layers": [{"type": "conv", "filters": 2}, {"type": "dense"}]}


def _folder(root: Path, layout: dict[str, int], broken: bool = False) -> str:
    for name, count in layout.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            Image.new("L", (8, 8), color=i * 20).save(root / name / f"{i}.png")
    if broken:
        (root / "a" / "bad.png").write_bytes(b"\x89PNG not really")
    return str(root)


CASES = {
    "missing folder": (lambda tmp: {"dataset": {"kind": "folder", "path": str(tmp / "nowhere")}, "model": LAYERS},
                       "dataset folder", "does not exist"),
    "empty class folder": (lambda tmp: {"dataset": {"kind": "folder", "path": _folder(tmp / "d", {"a": 3, "b": 0})},
                                        "model": LAYERS},
                           "/b: no images; accepted: .png"),
    "unreadable image": (lambda tmp: {"dataset": {"kind": "folder", "path": _folder(tmp / "d", {"a": 3, "b": 3}, True)},
                                      "model": LAYERS},
                         "cannot read image", "bad.png"),
    "unknown dataset": (lambda tmp: {"dataset": {"kind": "imagenet"}, "model": LAYERS},
                        "dataset.kind: must be one of digits, surface-defects, folder, npz, got 'imagenet'"),
    "bits out of range": (lambda tmp: {"dataset": {"kind": "digits"},
                                       "model": {"layers": [{"type": "dense", "activation_bits": 17}]}},
                          "model.layers[0].activation_bits: must be an integer in 2..16, got 17"),
    "sparsity 1": (lambda tmp: {"dataset": {"kind": "digits"}, "model": LAYERS, "pruning": {"target_sparsity": 1.0}},
                   "pruning.target_sparsity: must be a number in 0.0..0.95, got 1.0"),
    "negative sparsity": (lambda tmp: {"dataset": {"kind": "digits"}, "model": LAYERS,
                                       "pruning": {"target_sparsity": -0.1}},
                          "pruning.target_sparsity: must be a number in 0.0..0.95, got -0.1"),
    "more classes than the data": (lambda tmp: {"dataset": {"kind": "digits"}, "model": {**LAYERS, "classes": 12}},
                                   "model.classes: 12, but the dataset has 10 classes"),
    "class not in the folder": (lambda tmp: {"dataset": {"kind": "folder", "classes": ["a", "b", "c"],
                                                         "path": _folder(tmp / "d", {"a": 3, "b": 3})},
                                             "model": LAYERS},
                                "no subfolder for class(es) c; found: a, b"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_clear_error(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make, *needles = CASES[case]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(make(tmp_path)))
    out = tmp_path / "run"
    status, _, err = run_cli(["train", str(config), "-o", str(out)], capsys)
    assert status == 2, err
    assert err.startswith("lepton-hw: error: ") and "Traceback" not in err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".run")] == []  # no temporary folder left
