"""``estimate --fast``: resources from an analytic model of the generated Verilog, without synthesis.

Yosys elaborates DIR/rtl to word-level cells only (``proc; flatten; opt; memory -nomap``: no
technology mapping, no ABC, a second or two even for the camera core), and the model prices them
by their bits:

- ``arith_bits``: adders and subtractors (the constant-matrix multiplies, counters), the bulk;
- ``compare_bits``, ``mux_bits``, ``logic_bits``: comparators (max pooling, argmax, window
  schedule), multiplexers, gates;
- ``register_bits``: flip-flops;
- ``lut_ram_words``: line buffers short enough for distributed RAM, read from the generated windows.

Per FPGA family, LUTs are a linear function of the first four and the LUT-RAM words plus a constant,
and FFs of the register bits plus a constant; the coefficients were fitted by non-negative least
squares to Yosys synthesis of a calibration set (``bench/calibrate_fast.py`` writes
``fast_model.json`` with each family's largest error there). Block RAM follows the family's memory
mapping: iCE40 has no distributed RAM, so every line buffer takes SB_RAM40_4K blocks by width
(256 x 16, 512 x 8, ...); the other families keep line buffers of up to 64 words in LUT RAM and use
block RAM above that, counted by the blocks' aspect ratios (not calibrated: no calibration frame is
wider than 64). DSPs are 0 for the da kernel; for mac, every product by a constant that is not 0 or
a power of two counts as one DSP, an upper bound. Fmax is not modelled (no netlist): the board clock
is used, and estimate.json says so.
"""

from __future__ import annotations

import functools
import json
import math
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lepton_hw.boards import Board
from lepton_hw.errors import ToolError
from lepton_hw.estimate.cells import Usage

LUT_FEATURES = ("arith_bits", "compare_bits", "mux_bits", "logic_bits", "lut_ram_words", "one")
FF_FEATURES = ("register_bits", "one")
ELABORATE = "hierarchy -top lepton_core; proc; flatten; opt -fast; wreduce; opt_clean; memory -nomap; opt_clean"
_WORD_CELL = re.compile(r"\$(\w+?)_(\d+)(?:_(\d+))?$")
_KINDS = {
    "arith_bits": ("add", "sub", "neg", "alu", "macc"),
    "compare_bits": ("lt", "le", "gt", "ge", "eq", "ne", "eqx", "nex"),
    "mux_bits": ("mux", "pmux", "bmux", "shift", "shiftx", "shl", "shr", "sshl", "sshr"),
    "logic_bits": ("and", "or", "xor", "xnor", "not", "reduce_and", "reduce_or", "reduce_xor", "reduce_bool",
                   "logic_and", "logic_or", "logic_not"),
    "register_bits": ("dff", "dffe", "sdff", "sdffe", "sdffce", "adff", "adffe", "aldff", "dffsr"),
}  # fmt: skip
LUTRAM_MAX_DEPTH = 64

_MAC_OUTPUT = re.compile(r"^\s*assign y\[(\d+):(\d+)\] = (.*);$", re.M)
_MAC_PRODUCT = re.compile(r"\*\s*\d+'sh([0-9a-f]+)")
_WINDOW = re.compile(r"lepton_window #\((.*?)\) (\w+) \(", re.S)
_PARAM = re.compile(r"\.(\w+)\((\d+)\)")


@dataclass(frozen=True)
class Features:
    """Bits of each kind of word-level cell after elaboration, and the line buffers."""

    arith_bits: int  # adders and subtractors (the constant-matrix multiplies, counters)
    compare_bits: int
    mux_bits: int
    logic_bits: int
    register_bits: int
    lut_ram_words: float  # line buffers up to LUTRAM_MAX_DEPTH words, in 16-word x 1-bit units
    products: int  # mac: products by a constant that is not 0 or a power of two
    memories: tuple[tuple[int, int], ...]  # line buffers: (depth, width)
    one: int = 1

    def __getitem__(self, name: str) -> float:
        return float(getattr(self, name))


def elaborate(rtl_dir: Path) -> dict[str, int]:
    """Yosys's word-level cells of the core (``stat -width``), without technology mapping: a second or two."""
    from lepton_hw.estimate.synth import read_stat
    from lepton_hw.estimate.tools import run_tool

    names = [line.strip() for line in (rtl_dir / "files.f").read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="lepton-fast-") as tmp:
        work = Path(tmp)
        for name in names:
            shutil.copyfile(rtl_dir / name, work / name)
        script = f"read_verilog {' '.join(names)}; {ELABORATE}; tee -q -o stat.json stat -width -json"
        run = run_tool("yosys", ["-q", "-p", script], work, "yosys.log", 600)
        if run.returncode != 0:
            log_text = (work / "yosys.log").read_text(errors="replace")[-2000:]
            raise ToolError(f"yosys could not read {rtl_dir}: {log_text.strip().splitlines()[-1:]}")
        return read_stat(work / "stat.json")


def features(rtl_dir: Path) -> Features:
    """The model's features of the core in ``rtl_dir`` (see the module docstring)."""
    bits = dict.fromkeys(_KINDS, 0)
    kind_of = {cell: kind for kind, cells in _KINDS.items() for cell in cells}
    for cell_type, count in elaborate(rtl_dir).items():
        found = _WORD_CELL.fullmatch(cell_type)
        if not found or found.group(1) not in kind_of:
            continue
        width = int(found.group(2)) * (int(found.group(3)) if found.group(3) else 1)  # $pmux_W_S: W x S
        bits[kind_of[found.group(1)]] += width * count
    core = json.loads((rtl_dir / "core.json").read_text())
    products = 0
    for name in core.get("layers", {}):
        text = (rtl_dir / f"{name}_cmvm.v").read_text()
        for high, low, rhs in _MAC_OUTPUT.findall(text):
            width = int(high) - int(low) + 1
            products += sum(1 for c in _MAC_PRODUCT.findall(rhs) if not _trivial(int(c, 16), width))
    memories = []
    lut_ram_words = 0.0
    for params_text, _ in _WINDOW.findall((rtl_dir / "lepton_core.v").read_text()):
        p = {k: int(v) for k, v in _PARAM.findall(params_text)}
        if p["KH"] > 1 and p["W"] > 1:
            depth = 1 << math.ceil(math.log2(p["W"]))
            width = (p["KH"] - 1) * p["EW"]
            memories.append((depth, width))
            if depth <= LUTRAM_MAX_DEPTH:
                lut_ram_words += width * math.ceil(depth / 16)
    return Features(
        bits["arith_bits"],
        bits["compare_bits"],
        bits["mux_bits"],
        bits["logic_bits"],
        bits["register_bits"],
        lut_ram_words,
        products,
        tuple(memories),
    )


def _trivial(constant: int, width: int) -> bool:
    """0 or +-2^k: Yosys turns the product into a shift, no multiplier."""
    if constant >= 1 << (width - 1):
        constant -= 1 << width
    magnitude = abs(constant)
    return magnitude == 0 or magnitude & (magnitude - 1) == 0


@functools.cache
def coefficients() -> dict[str, Any]:
    """The fitted model (``fast_model.json``): per family, LUT and FF coefficients and the fit's errors."""
    text = (resources.files("lepton_hw.estimate") / "fast_model.json").read_text(encoding="utf-8")
    return json.loads(text)


def _blocks(family: str, depth: int, width: int) -> float:
    """Block RAMs of ``family`` for one memory of depth x width, by the blocks' aspect ratios."""
    if family == "ice40":  # SB_RAM40_4K: 256x16, 512x8, 1024x4, 2048x2
        for d, w in ((256, 16), (512, 8), (1024, 4), (2048, 2)):
            if depth <= d:
                return math.ceil(width / w)
        return math.ceil(depth / 2048) * math.ceil(width / 2)
    if depth <= LUTRAM_MAX_DEPTH:
        return 0
    if family in ("xc7", "xcup"):  # RAMB18 (half a BRAM36): 512x36, 1024x18, 2048x9, 4096x4
        for d, w in ((512, 36), (1024, 18), (2048, 9), (4096, 4)):
            if depth <= d:
                return math.ceil(width / w) * 0.5
        return math.ceil(depth / 4096) * math.ceil(width / 4) * 0.5
    for d, w in ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2)):  # 18 Kb blocks (EBR, BSRAM)
        if depth <= d:
            return math.ceil(width / w)
    return math.ceil(depth / 8192) * math.ceil(width / 2)


def fast_usage(rtl_dir: Path, family: str, kernel: str) -> Usage:
    f = features(rtl_dir)
    model = coefficients()["families"][family]
    lut = sum(model["lut"][name] * f[name] for name in LUT_FEATURES)
    ff = sum(model["ff"][name] * f[name] for name in FF_FEATURES)
    bram = sum(_blocks(family, depth, width) for depth, width in f.memories)
    dsp = f.products if kernel == "mac" else 0
    return Usage(lut=max(0, round(lut)), ff=max(0, round(ff)), dsp=dsp, bram=bram)


def fast_estimate(design: Any, board: Board) -> dict[str, Any]:
    """One board's entry of estimate.json from the model alone."""
    from lepton_hw.estimate.runner import _board_entry, figure

    usage = fast_usage(design.rtl_dir, board.family, design.core.get("kernel", "da"))
    fit = coefficients()["families"][board.family]
    by = (
        f"model: estimate --fast (fitted to Yosys on {fit['designs']} designs, "
        f"LUT error up to {fit['lut_max_error_pct']}% there)"
    )
    fmax = figure(None, False, "not estimated by --fast (no netlist); run without --fast")
    return _board_entry(design, board, usage, by, False, fmax)
