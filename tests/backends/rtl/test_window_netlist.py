"""lepton_window.v synthesized for iCE40: its line buffers are block RAM declared no_rw_check (a read never
needs the word written in its clock), so Yosys maps them without bypass registers. The netlist, simulated
with Yosys' own cell models, gives every window the RTL gives and numpy says, compared with ``==``; frames
back to back and with random gaps."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.rtl.project import library_source
from tests.helpers import icarus, ice40_cell_models, ice40_netlist

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog (iverilog) is not installed")

HERE = Path(__file__).parent / "verilog"
FRAMES = 4
K = 3  # a 3x3 window, stride 1, valid padding
SHAPES = [(12, 20, 16), (10, 32, 8), (9, 24, 12)]  # (H, W, element bits): line buffers Yosys maps to block RAM


def _params(h: int, w: int, ew: int) -> dict[str, int]:
    return {"H": h, "W": w, "EW": ew, "KH": K, "KW": K, "OH": h - K + 1, "OW": w - K + 1}


def _stimulus(frames: np.ndarray, ew: int, rng: np.random.Generator) -> list[str]:
    lines = []
    for f, frame in enumerate(frames):
        for value in frame.reshape(-1):
            if f % 2:
                lines += ["0"] * int(rng.integers(0, 3))
            lines.append(f"{(1 << ew) | int(value):x}")
    return lines


def _expected(frames: np.ndarray, ew: int) -> list[int]:
    """Each window packed as lepton_window does: element (i, j) at bits [(i*KW + j)*EW +: EW]."""
    out = []
    _, h, w = frames.shape
    for frame in frames:
        for r in range(h - K + 1):
            for c in range(w - K + 1):
                window = frame[r : r + K, c : c + K].reshape(-1)
                out.append(sum(int(v) << (n * ew) for n, v in enumerate(window)))
    return out


def _run(folder: Path, params: dict[str, int], sources: list[Path], stimulus: list[str]) -> list[int | None]:
    (folder / "stimulus.hex").write_text("\n".join(stimulus) + "\n")
    out = icarus(folder, HERE / "window_tb.v", {**params, "CLOCKS": len(stimulus)}, sources)
    assert "done" in out, out[-2000:]
    words = re.findall(r"^out (\S+) [01]$", out, re.M)
    return [None if re.search("[xz]", word, re.I) else int(word, 16) for word in words]


@pytest.mark.parametrize(("h", "w", "ew"), SHAPES)
def test_ice40_netlist_windows_like_rtl_and_numpy(tmp_path: Path, h: int, w: int, ew: int) -> None:
    params = _params(h, w, ew)
    source = tmp_path / "lepton_window.v"
    source.write_text(library_source("lepton_window.v"))
    netlist = ice40_netlist(tmp_path, source, "lepton_window", {**params, "PADDED": 0})
    assert "SB_RAM40_4K" in netlist.read_text()  # the line buffers are block RAM
    rng = np.random.default_rng(5)
    frames = rng.integers(0, 1 << ew, size=(FRAMES, h, w))
    stimulus = _stimulus(frames, ew, rng)
    expected = _expected(frames, ew)
    assert _run(tmp_path, params, [source], stimulus) == expected
    assert _run(tmp_path, params, [netlist, ice40_cell_models()], stimulus) == expected
