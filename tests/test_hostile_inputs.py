"""Hostile inputs: each is one exit-2 line, quickly, with nothing allocated for what the file claims.

Every case would otherwise exhaust memory or time (a forged .npy header claiming terabytes, an IR with a
10^9-pixel input, a YAML alias bomb, a decompression bomb) or read outside what the user gave (a
symlink out of the image folder). Each runs the command a user would and checks the message; the
slowest honest failure mode would be an allocation of terabytes or minutes of decoding, which the
tests' own time limit (pytest's default run) would expose.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from lepton_hw.ir.serialize import save_graph
from lepton_hw.testing.ir_cases import CASES
from tests.helpers import run_cli

FAST_S = 20  # generous: each refusal takes well under a second; an allocation of what is claimed would not


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> None:
    start = time.perf_counter()
    status, _, err = run_cli(argv, capsys)
    assert time.perf_counter() - start < FAST_S
    assert status == 2, err
    lines = [line for line in err.splitlines() if "error" in line.lower() or "Traceback" in line]
    assert len(lines) == 1, err
    for word in words:  # in the error line, or in the config's list of mistakes under it
        assert word in err.split(lines[0], 1)[1] or word in lines[0], err


def forged_npy(path: Path, shape: tuple[int, ...], dtype: str = "<f8") -> Path:
    """An .npy header claiming ``shape`` followed by 16 bytes of data."""
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": dtype, "fortran_order": False, "shape": shape})
        f.write(b"\0" * 16)
    return path


@pytest.fixture
def ir_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "ir"
    folder.mkdir()
    save_graph(CASES["odd_frame_k5_same"], folder)
    return folder


def test_an_npy_header_claiming_terabytes(ir_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x = forged_npy(tmp_path / "x.npy", (10**6, 10**6))  # 8 TB claimed
    refused(["predict", str(ir_dir), "-i", str(x), "-o", str(tmp_path / "y.npy")], capsys, "x.npy", "claims")
    small = forged_npy(tmp_path / "short.npy", (4, 10, 12, 1))  # 3,840 bytes claimed, 16 present
    refused(["predict", str(ir_dir), "-i", str(small), "-o", str(tmp_path / "y.npy")], capsys, "truncated or forged")
    assert not (tmp_path / "y.npy").exists()


def test_an_object_array_is_not_loaded(ir_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x = tmp_path / "objects.npy"
    np.save(x, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    refused(["predict", str(ir_dir), "-i", str(x), "-o", str(tmp_path / "y.npy")], capsys, "Python objects")


def test_forged_weights_in_an_ir(ir_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import zipfile

    weights = ir_dir / "weights.npz"
    with zipfile.ZipFile(weights) as z:
        names = z.namelist()
    forged = tmp_path / "member.npy"
    forged_npy(forged, (10**7, 10**7))
    with zipfile.ZipFile(weights, "w") as z:
        for name in names:
            z.write(forged, name)
    refused(["info", str(ir_dir)], capsys, "weights.npz", "claims")


@pytest.mark.parametrize(
    "node, shape, words",
    [(0, [31623, 31623, 1], ["1,000,014,129 pixels"]), (1, [10, 12, 1_000_000], ["1,000,000 channels"])],
)
def test_an_ir_with_absurd_shapes(
    ir_dir: Path, node: int, shape: list[int], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads((ir_dir / "ir.json").read_text())
    doc["nodes"][node]["shape"] = shape
    (ir_dir / "ir.json").write_text(json.dumps(doc))
    refused(["info", str(ir_dir)], capsys, f"node {node}", *words)


def test_a_config_with_absurd_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = yaml.safe_load((Path(__file__).parents[1] / "examples" / "camera_defects.yaml").read_text())
    config["model"]["layers"][0]["filters"] = 1_000_000
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(config))
    refused(["train", str(path), "-o", str(tmp_path / "out")], capsys, "filters")
    config["model"]["layers"][0]["filters"] = 8
    config["model"]["input"] = [31623, 31623]
    path.write_text(yaml.safe_dump(config))
    refused(["train", str(path), "-o", str(tmp_path / "out")], capsys, "input")
    assert not (tmp_path / "out").exists()


def test_a_yaml_alias_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):  # 9^10 strings once expanded
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    refused(["train", str(path), "-o", str(tmp_path / "out")], capsys, "bomb.yaml", "alias")


def _folder_config(tmp_path: Path, images: Path) -> Path:
    config = {
        "name": "folder",
        "dataset": {"kind": "folder", "path": str(images)},
        "model": {"input": [16, 16], "layers": [{"type": "conv", "filters": 2, "kernel": 3}, {"type": "dense"}]},
        "training": {"epochs": 4},
    }
    path = tmp_path / "folder.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _image_folder(root: Path) -> Path:
    from PIL import Image

    for name in ("ok", "bad"):
        (root / name).mkdir(parents=True)
        for k in range(3):
            Image.fromarray(np.full((16, 16), 40 * k, dtype=np.uint8)).save(root / name / f"{k}.png")
    return root


def test_a_decompression_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    images = _image_folder(tmp_path / "images")
    Image.new("1", (12_000, 12_000)).save(images / "bad" / "bomb.png")  # 144 Mpixels in a few kB
    assert (images / "bad" / "bomb.png").stat().st_size < 100_000
    refused(["dataset", str(_folder_config(tmp_path, images)), "-o", str(tmp_path / "out")], capsys, "bomb.png")
    assert not (tmp_path / "out").exists()


def test_a_symlink_out_of_the_image_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images = _image_folder(tmp_path / "images")
    secret = tmp_path / "elsewhere" / "secret.png"
    secret.parent.mkdir()
    (images / "ok" / "0.png").rename(secret)
    (images / "ok" / "0.png").symlink_to(secret)
    refused(
        ["dataset", str(_folder_config(tmp_path, images)), "-o", str(tmp_path / "out")],
        capsys,
        "leads out of the folder",
    )
    assert not (tmp_path / "out").exists()


def test_an_npz_member_that_is_not_an_npy_array(ir_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """numpy serves members by bare name and reads one without the .npy magic whole: such members are refused."""
    import zipfile

    weights = ir_dir / "weights.npz"
    with zipfile.ZipFile(weights, "a") as z:
        z.writestr("extra", b"\0" * 64)
    refused(["info", str(ir_dir)], capsys, "weights.npz", "'extra' is not an .npy array")
