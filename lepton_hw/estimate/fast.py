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
mapping: line buffers of up to 64 words become LUT RAM on every family that has it, and the da
kernel has no multiplier, so there block RAM and DSP are 0. Otherwise (iCE40, which has no LUT RAM;
deeper line buffers; the mac kernel) they come from the family's own Yosys flow run up to its memory
mapping (``-run begin:map_ffram``: DSP inference and memory mapping, no LUT mapping). Fmax is not
modelled (no netlist): the board clock is used, and estimate.json says so.
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
from lepton_hw.estimate.cells import Usage, count_resources
from lepton_hw.estimate.figures import Design, board_entry, figure
from lepton_hw.estimate.synth import TOP, core_parameters, rtl_sources, run_yosys_on

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
    memories: tuple[tuple[int, int], ...]  # line buffers: (depth, width)
    one: int = 1

    def __getitem__(self, name: str) -> float:
        return float(getattr(self, name))


def elaborate(rtl_dir: Path) -> dict[str, int]:
    """Yosys's word-level cells of the core (``stat -width``), without technology mapping: a second or two."""
    sources = rtl_sources(rtl_dir)
    names = " ".join(name for name, _ in sources)
    return run_yosys_on(sources, f"read_verilog {names}; {ELABORATE}; tee -q -o stat.json stat -width -json", 600)


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
    memories = []
    lut_ram_words = 0.0
    for params_text, _ in _WINDOW.findall((rtl_dir / "lepton_core.v").read_text()):
        p = {k: int(v) for k, v in _PARAM.findall(params_text)}
        if p["KH"] > 1 and p["W"] > 1:
            depth = 1 << math.ceil(math.log2(p["W"]))
            width = (p["KH"] - 1) * p["EW"]
            memories.append((depth, width))
            if depth <= LUTRAM_MAX_DEPTH:  # lepton_window asks for block RAM only above 64 words
                lut_ram_words += width * math.ceil(depth / 16)
    return Features(
        bits["arith_bits"],
        bits["compare_bits"],
        bits["mux_bits"],
        bits["logic_bits"],
        bits["register_bits"],
        lut_ram_words,
        tuple(memories),
    )


@functools.cache
def coefficients() -> dict[str, Any]:
    """The fitted model (``fast_model.json``): per family, LUT and FF coefficients and the fit's errors."""
    text = (resources.files("lepton_hw.estimate") / "fast_model.json").read_text(encoding="utf-8")
    return json.loads(text)


def mapped_memories_and_dsps(rtl_dir: Path, board: Board) -> Usage:
    """Block RAMs and DSPs as the family's own Yosys flow maps them, stopping before logic mapping.

    ``<synth command> -run begin:map_ffram`` infers DSPs and maps memories with the family's
    libraries (which memory becomes block RAM, LUT RAM or flip-flops is a cost decision Yosys makes
    per memory, not a rule of shape alone); the LUT mapping and ABC, the slow part, are not run.
    """
    sources = rtl_sources(rtl_dir)
    names = " ".join(name for name, _ in sources)
    params = "".join(f"{command}; " for command in core_parameters(board.family))
    script = (
        f"read_verilog {names}; {params}{board.yosys} -top {TOP} -run begin:map_ffram; tee -q -o stat.json stat -json"
    )
    usage = count_resources(board.family, run_yosys_on(sources, script, 1800))
    return Usage(dsp=usage.dsp, bram=usage.bram)


def fast_usage(rtl_dir: Path, board: Board, kernel: str) -> Usage:
    """The model's LUT and FF; block RAM and DSP from the memory/DSP mapping where they can be non-zero."""
    f = _features_cached(str(rtl_dir), (rtl_dir / "core.json").read_text())
    model = coefficients()["families"][board.family]
    lut = sum(model["lut"][name] * f[name] for name in LUT_FEATURES)
    ff = sum(model["ff"][name] * f[name] for name in FF_FEATURES)
    # Line buffers and folded layers' weight ROMs are block RAM, and folded multipliers DSPs on Xilinx:
    # those counts come from the family's own Yosys memory and DSP mapping.
    mapped = mapped_memories_and_dsps(rtl_dir, board)
    return Usage(lut=max(0, round(lut)), ff=max(0, round(ff)), dsp=mapped.dsp, bram=mapped.bram)


@functools.lru_cache(maxsize=8)
def _features_cached(rtl_dir: str, core_json: str) -> Features:
    return features(Path(rtl_dir))


def fast_estimate(design: Design, board: Board) -> dict[str, Any]:
    """One board's entry of estimate.json from the model alone."""
    usage = fast_usage(design.rtl_dir, board, design.core.get("kernel", "da"))
    fit = coefficients()["families"][board.family]
    by = (
        f"model: estimate --fast (fitted to Yosys on {fit['designs']} designs, "
        f"LUT error up to {fit['lut_max_error_pct']}% there)"
    )
    fmax = figure(None, False, "not estimated by --fast (no netlist); run without --fast")
    return board_entry(design, board, usage, by, False, fmax)
