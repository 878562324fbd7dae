"""lepton_maxpool.v: non-overlapping max pooling as the elements arrive, against numpy, with ``==``.

Random frames back to back and with random gaps, signed and unsigned lanes, pools of 2x2, 3x3, 1x2 and
2x1, frames that leave rows and columns out (a valid pooling drops them), one output column (the line
memory is then a register), two output columns of one element each (every element reads and writes the
line memory). The same stimulus runs on the RTL and on Yosys' iCE40 netlist of it (simulated with Yosys'
own cell models): the line memory is a block RAM there, declared no_rw_check, and
the netlist shows that its reads never needed the word written in their clock.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.rtl.project import library_source
from tests.helpers import icarus, ice40_cell_models, ice40_netlist

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog (iverilog) is not installed")

HERE = Path(__file__).parent / "verilog"
FRAMES = 6


@dataclass(frozen=True)
class Pool:
    h: int
    w: int
    c: int
    b: int
    signed: bool
    kh: int
    kw: int

    @property
    def name(self) -> str:
        return f"{self.h}x{self.w}x{self.c}_b{self.b}{'s' if self.signed else 'u'}"

    @property
    def params(self) -> dict[str, int]:
        return {
            "H": self.h, "W": self.w, "C": self.c, "B": self.b, "SIGNED": int(self.signed), "KH": self.kh,
            "KW": self.kw, "OH": self.h // self.kh, "OW": self.w // self.kw,
        }  # fmt: skip


POOLS = [
    Pool(6, 6, 2, 4, False, 2, 2),  # the common case: every element pooled
    Pool(7, 5, 3, 5, True, 2, 2),  # the last row and column dropped; signed lanes
    Pool(5, 3, 1, 3, True, 2, 2),  # one output column: the line memory is a register
    Pool(9, 10, 2, 4, False, 3, 3),  # 3x3, a column dropped
    Pool(4, 6, 1, 4, False, 1, 2),  # one row per pool: no line memory read
    Pool(6, 4, 2, 3, True, 2, 1),  # one column per pool
    Pool(5, 2, 2, 4, True, 2, 1),  # one column per pool, two output columns, a row dropped
    Pool(30, 30, 8, 4, False, 2, 2),  # the camera example's first pooling
    Pool(14, 40, 4, 5, True, 2, 2),  # signed, a line memory Yosys maps to iCE40 block RAM
    Pool(13, 13, 8, 4, False, 2, 2),  # the 8-filter example's second pooling (a row and a column dropped)
]
# the pools whose line memory Yosys maps to iCE40 block RAM (the small ones it makes flip-flops)
BRAM_POOLS = POOLS[-3:]


def _frames(pool: Pool, rng: np.random.Generator) -> np.ndarray:
    lo, hi = (-(1 << (pool.b - 1)), 1 << (pool.b - 1)) if pool.signed else (0, 1 << pool.b)
    return rng.integers(lo, hi, size=(FRAMES, pool.h, pool.w, pool.c))


def _expected(pool: Pool, frames: np.ndarray) -> list[list[int]]:
    oh, ow = pool.h // pool.kh, pool.w // pool.kw
    cut = frames[:, : oh * pool.kh, : ow * pool.kw, :]
    pooled = cut.reshape(FRAMES, oh, pool.kh, ow, pool.kw, pool.c).max(axis=(2, 4))
    return [list(map(int, v)) for v in pooled.reshape(-1, pool.c)]


def _stimulus(pool: Pool, frames: np.ndarray, rng: np.random.Generator) -> list[str]:
    """One line per clock: valid and the packed lanes; gaps of 0-3 clocks at random (none for half the frames)."""
    mask = (1 << pool.b) - 1
    lines = []
    for f, frame in enumerate(frames):
        for element in frame.reshape(-1, pool.c):
            if f % 2:
                lines += ["0"] * int(rng.integers(0, 4))
            word = sum((int(v) & mask) << (i * pool.b) for i, v in enumerate(element))
            lines.append(f"{(1 << (pool.c * pool.b)) | word:x}")
    return lines


def _decode(pool: Pool, text: str) -> list[list[int] | None]:
    """The outputs' lanes; None for an output with unknown (x or z) bits."""
    assert "done" in text and "unknown" not in text, text[-2000:]
    out: list[list[int] | None] = []
    for word in re.findall(r"^out ([0-9a-fA-Fxz]+)$", text, re.M):
        if re.search("[xz]", word, re.I):
            out.append(None)
            continue
        value = int(word, 16)
        lanes = [(value >> (i * pool.b)) & ((1 << pool.b) - 1) for i in range(pool.c)]
        if pool.signed:
            lanes = [v - (1 << pool.b) if v >> (pool.b - 1) else v for v in lanes]
        out.append(lanes)
    return out


def _run(folder: Path, pool: Pool, sources: list[Path], stimulus: list[str]) -> list[list[int] | None]:
    (folder / "stimulus.hex").write_text("\n".join(stimulus) + "\n")
    return _decode(pool, icarus(folder, HERE / "maxpool_tb.v", {**pool.params, "CLOCKS": len(stimulus)}, sources))


def _rtl(folder: Path, text: str | None = None) -> Path:
    path = folder / "lepton_maxpool.v"
    path.write_text(text or library_source("lepton_maxpool.v"))
    return path


@pytest.mark.parametrize("pool", POOLS, ids=lambda p: f"{p.name}_k{p.kh}x{p.kw}")
def test_rtl_pools_like_numpy(tmp_path: Path, pool: Pool) -> None:
    rng = np.random.default_rng(7)
    frames = _frames(pool, rng)
    got = _run(tmp_path, pool, [_rtl(tmp_path)], _stimulus(pool, frames, rng))
    assert got == _expected(pool, frames)


@pytest.mark.parametrize("pool", BRAM_POOLS, ids=lambda p: p.name)
def test_ice40_netlist_pools_like_numpy(tmp_path: Path, pool: Pool) -> None:
    netlist = ice40_netlist(tmp_path, _rtl(tmp_path), "lepton_maxpool", pool.params)
    assert "SB_RAM40_4K" in netlist.read_text()  # the line memory is a block RAM: its no_rw_check is what is checked
    rng = np.random.default_rng(11)
    frames = _frames(pool, rng)
    got = _run(tmp_path, pool, [netlist, ice40_cell_models()], _stimulus(pool, frames, rng))
    assert got == _expected(pool, frames)


def test_a_wrong_line_memory_read_is_caught(tmp_path: Path) -> None:
    """The check can fail: reading the line memory at this output column (not the next) pools wrong rows."""
    text = library_source("lepton_maxpool.v").replace("rd <= mem[oc_next];", "rd <= mem[oc];")
    assert "rd <= mem[oc];" in text
    pool = POOLS[0]
    rng = np.random.default_rng(7)
    frames = _frames(pool, rng)
    got = _run(tmp_path, pool, [_rtl(tmp_path, text)], _stimulus(pool, frames, rng))
    assert len(got) == len(_expected(pool, frames)) and got != _expected(pool, frames)
