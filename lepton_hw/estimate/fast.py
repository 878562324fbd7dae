"""``estimate --fast``: resources from an analytic model of the generated Verilog, without synthesis.

The model reads what the generator wrote in DIR/rtl, per layer:

- ``adder_bits``: the width of every adder of the constant-matrix multiplies (da: one ``assign``
  per adder; mac: the sum of each output's products), the bulk of the logic;
- ``window_bits``: the registers of every sliding window (KH x KW elements);
- ``line_buffer_bits``: the line buffers, (KH - 1) elements x the address range (2^ceil(log2 W));
- ``register_bits``: the registers of the top level (pipeline stages, the collected feature map).

Per FPGA family, LUTs (adder bits, line-buffer words, window bits, the top level's combinational
signal bits, a constant) and FFs (register bits, window bits, line-buffer read registers, line buffers
short enough to become flip-flops, windows, a constant) are linear in these features; the coefficients
were fitted by non-negative least squares to Yosys synthesis of a calibration set (``bench/calibrate_fast.py`` writes
``fast_model.json``). Block RAM follows the family's memory mapping: iCE40 has no distributed RAM,
so every line buffer takes SB_RAM40_4K blocks by width (256 x 16, 512 x 8, ...); the other families
keep line buffers of up to 64 words in LUT RAM and use block RAM above that, counted by the
blocks' aspect ratios (not calibrated: the calibration set has no frame wider than 64). DSPs are
0 for the da kernel; for mac, every product by a constant that is not 0 or a power of two is
counted as one DSP, an upper bound. Fmax is not modelled here (no netlist): the board clock is used.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lepton_hw.boards import Board
from lepton_hw.estimate.cells import Usage

LUT_FEATURES = ("adder_bits", "line_buffer_words", "window_bits", "top_wire_bits", "one")
FF_FEATURES = ("register_bits", "window_bits", "line_buffer_width", "small_memory_bits", "windows", "one")
SMALL_MEMORY_DEPTH = 4  # line buffers this short become flip-flops
LUTRAM_MAX_DEPTH = 64

_ADDER = re.compile(r"^\s*wire (?:signed )?\[(\d+):0\] v\d+ = (.*);$", re.M)
_MAC_OUTPUT = re.compile(r"^\s*assign y\[(\d+):(\d+)\] = (.*);$", re.M)
_MAC_PRODUCT = re.compile(r"\*\s*\d+'sh([0-9a-f]+)")
_WINDOW = re.compile(r"lepton_window #\((.*?)\) (\w+) \(", re.S)
_PARAM = re.compile(r"\.(\w+)\((\d+)\)")
_WIRE = re.compile(r"^\s*wire (?:signed )?\[(\d+):(\d+)\] \w+", re.M)
_REG = re.compile(r"^\s*(?:output )?reg (?:signed )?(?:\[(\d+):(\d+)\] )?\w+", re.M)


@dataclass(frozen=True)
class Features:
    adder_bits: int
    window_bits: int
    line_buffer_words: float
    register_bits: int
    windows: int
    products: int  # mac: products by a constant that is not 0 or a power of two
    memories: tuple[tuple[int, int], ...]  # line buffers: (depth, width)
    top_wire_bits: int  # the top level's combinational signals: casts, ReLU, pooling, argmax
    line_buffer_width: int  # the registered read of every line buffer
    small_memory_bits: int
    one: int = 1

    def __getitem__(self, name: str) -> float:
        return float(getattr(self, name))


def features(rtl_dir: Path) -> Features:
    """The model's features of the core in ``rtl_dir`` (see the module docstring)."""
    core = json.loads((rtl_dir / "core.json").read_text())
    adder_bits = 0
    products = 0
    for name in core.get("layers", {}):
        text = (rtl_dir / f"{name}_cmvm.v").read_text()
        for width, rhs in _ADDER.findall(text):
            if " + " in rhs or " - " in rhs:
                adder_bits += int(width) + 1
        for high, low, rhs in _MAC_OUTPUT.findall(text):
            terms = rhs.count(" + ") + 1
            adder_bits += (terms - 1) * (int(high) - int(low) + 1)
            products += sum(1 for c in _MAC_PRODUCT.findall(rhs) if not _trivial(int(c, 16), int(high) - int(low) + 1))
    top = (rtl_dir / "lepton_core.v").read_text()
    window_bits = windows = line_buffer_width = small_memory_bits = 0
    line_buffer_words = 0.0
    memories = []
    for params_text, _ in _WINDOW.findall(top):
        p = {k: int(v) for k, v in _PARAM.findall(params_text)}
        windows += 1
        window_bits += p["KH"] * p["KW"] * p["EW"]
        if p["KH"] > 1 and p["W"] > 1:
            depth = 1 << math.ceil(math.log2(p["W"]))
            width = (p["KH"] - 1) * p["EW"]
            line_buffer_words += width * depth / 16
            line_buffer_width += width
            if depth <= SMALL_MEMORY_DEPTH:
                small_memory_bits += width * depth
            memories.append((depth, width))
    register_bits = sum((int(h) - int(lo) + 1) if h else 1 for h, lo in _REG.findall(top))
    top_wire_bits = sum(int(h) - int(lo) + 1 for h, lo in _WIRE.findall(top))
    return Features(
        adder_bits,
        window_bits,
        line_buffer_words,
        register_bits,
        windows,
        products,
        tuple(memories),
        top_wire_bits,
        line_buffer_width,
        small_memory_bits,
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
