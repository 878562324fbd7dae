"""A modelled Fmax from a synthesized netlist's logic depth, for the parts no open tool places here.

No open place-and-route runs for Xilinx parts, so their clock rate is *estimated*, and labelled so:
the longest register-to-register path of the Yosys netlist, with a fixed delay per cell and per
routed net, plus the clock-to-out and setup of the flip-flops at its ends::

    period = t_clk_to_q + t_setup + max over paths of sum(cell delay + t_net per routed input)
    Fmax   = 1000 / period  (MHz)

The delays (:data:`DELAYS`) are round figures of the order of the vendors' data sheets (7-series -1
and UltraScale+ -2 speed grades); routing is one flat ``t_net`` per net, with none on dedicated
carry and wide-mux connections. Placement, fan-out and congestion are not modelled, so the figure
is an estimate of what the logic allows, not a timing sign-off. Top-level inputs are taken as
register outputs and top-level outputs as register inputs (the core sits inside a larger design).
Two terms are zero for Xilinx and set for ECP5: a block RAM read's own clock-to-out
(``ram_clk_to_q``) and the step from a carry chain back to the fabric (``carry_out``).

Checked where a measurement exists: the same model with the ECP5 set below against nextpnr-ecp5's
Fmax of the same netlists, 21 generated cores from 36 to 181 MHz (bench/check_fmax_model.py):
12.2% median and 30.2% largest error, 12.2% and 32.9% with each core predicted from a net delay
fitted on the other 20. That checks the model's form (logic depth plus a flat delay per net), not the
Xilinx numbers: those stay the data-sheet figures, as the ECP5 net delay (fitted to nextpnr's
placement of an ECP5 routing fabric) says nothing about a Xilinx net's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Delays:
    """Nanoseconds."""

    clk_to_q: float
    setup: float
    net: float  # one routed net
    lut: float
    carry_in: float  # through one carry cell from its carry input (dedicated routing)
    carry: float  # through one carry cell from a data input
    mux: float  # MUXF7/F8
    lutram: float  # distributed RAM read (address to data)
    dsp: float  # combinational multiply through a DSP block
    ram_clk_to_q: float | None = None  # block RAM read, clock to data out (None: clk_to_q)
    carry_out: float = 0.0  # leaving a carry chain for the fabric (sum or carry out), beyond carry_in


DELAYS: dict[str, Delays] = {
    "xc7": Delays(
        clk_to_q=0.45, setup=0.10, net=0.45, lut=0.12, carry_in=0.11, carry=0.40, mux=0.30, lutram=0.90, dsp=3.40
    ),
    "xcup": Delays(
        clk_to_q=0.10, setup=0.05, net=0.30, lut=0.05, carry_in=0.04, carry=0.20, mux=0.12, lutram=0.60, dsp=1.80
    ),
    # ECP5 -6 (LFE5U-25F-6), for checking the model against nextpnr-ecp5 (bench/check_fmax_model.py); the
    # estimate itself takes nextpnr's measured Fmax for ECP5 boards. Cell delays are the ones nextpnr-ecp5
    # (prjtrellis timing data) prints on the critical paths of those cores: flip-flop clock-to-out 0.52,
    # setup 0 (DI and M inputs), LUT4 0.24, CCU2C 0.45 from a data input to carry out and 0.07 carry in to
    # carry out, 0.44 carry in to sum (carry_out = 0.44 - 0.07), PFUMX/L6MUX21 0.24-0.26, MULT18X18D 3.93,
    # DP16KD clock-to-out 5.83 (no output register); the TRELLIS_DPR16X4 read taken as a LUT4. Only the
    # routed-net delay is fitted: 1.04 ns minimizes sum(log(model / measured)^2) over the 21 cores
    # (generator at 4d3927e; the 0.70 ns guessed before gave 33.7% median, 63.3% largest error). nextpnr's
    # own routed nets on those critical paths: median 0.89 ns, 0.13 to 2.24.
    "ecp5": Delays(
        clk_to_q=0.52,
        setup=0.0,
        net=1.04,
        lut=0.24,
        carry_in=0.07,
        carry=0.45,
        mux=0.26,
        lutram=0.24,
        dsp=3.93,
        ram_clk_to_q=5.83,
        carry_out=0.37,
    ),
}

# Cell names: Xilinx (synth_xilinx), then ECP5 (synth_ecp5); none is shared, so adding ECP5 changed no Xilinx figure.
_BLOCK_RAM = re.compile(r"RAMB\d+E\d|URAM288|DP16KD|PDPW16KD")
_SEQUENTIAL = re.compile(rf"FD[RSCP]E(_1)?|LD[CP]E?|{_BLOCK_RAM.pattern}|SRL16E|SRLC32E|TRELLIS_FF")
_CARRY = re.compile(r"CARRY4|CARRY8|CCU2C")
_MUX = re.compile(r"MUXF[789]|PFUMX|L6MUX21")
_LUTRAM = re.compile(r"RAM\d+(M|M8|M16|X1[SD])|TRELLIS_DPR16X4")
_DSP = re.compile(r"DSP48E\d|MULT18X18D|ALU54B")
_CARRY_INPUTS = {"CI", "CYINIT", "CI_TOP", "CIN"}
# ports written on the clock edge, not read through: no combinational path from them to the cell's outputs
# (Xilinx distributed RAMs: data in, write enable and clock, and the RAM64M8's upper write-address bits)
_XILINX_RAM_WRITE = {"D", "WE", "WCLK", *(f"DI{p}" for p in "ABCDEFGH"), "WADR6", "WADR7", "WADR8"}
_XILINX_RAMS = ("RAM32X1S", "RAM64X1S", "RAM128X1S", "RAM32X1D", "RAM64X1D", "RAM128X1D", "RAM256X1D")
_WRITE_PORTS = {
    "TRELLIS_DPR16X4": {"WAD", "DI", "WRE", "WCK"},
    **{kind: _XILINX_RAM_WRITE for kind in (*_XILINX_RAMS, "RAM32M", "RAM64M", "RAM32M16", "RAM64M8")},
}


MODEL = (
    "logic depth (lepton_hw.estimate.timing; the same model on ECP5: 12% median, 33% largest error "
    "against nextpnr-ecp5's Fmax over 21 cores, each predicted from a fit on the others)"
)


@dataclass(frozen=True)
class Timing:
    fmax_mhz: float
    period_ns: float
    logic_levels: int  # cells on the longest path
    model: str = MODEL


def estimate_fmax(netlist: Path, top: str, family: str, delays: Delays | None = None) -> Timing:
    """The modelled Fmax of ``top`` in a Yosys JSON netlist of ``family`` (:data:`DELAYS`' keys), with
    ``delays`` instead of the family's own if given."""
    module = json.loads(netlist.read_text())["modules"][top]
    return path_timing(module, delays or DELAYS[family])


def _registered_dsp(kind: str, parameters: dict) -> bool:
    """A DSP block with an output or pipeline register: it starts and ends paths like a flip-flop."""
    if kind.startswith("DSP48"):
        return any(int(str(parameters.get(p, "0")), 2) for p in ("PREG", "MREG"))
    return any(str(parameters.get(p, "NONE")).strip() != "NONE" for p in ("REG_PIPELINE_CLK", "REG_OUTPUT_CLK"))


def _output_registered(parameters: dict) -> bool:
    """An ECP5 block RAM using its output register (REGMODE OUTREG): its data leave it like a flip-flop's."""
    return any(str(parameters.get(p, "")).strip() == "OUTREG" for p in ("REGMODE_A", "REGMODE_B", "REGMODE"))


_LUT, _CARRY_CELL, _MUX_CELL, _LUTRAM_CELL, _DSP_CELL = range(5)


class NetlistPaths:
    """The combinational cells of one module of a Yosys JSON netlist in topological order, each with its
    inputs: all the model needs but the delays, so that one netlist can be timed with many sets of them."""

    def __init__(self, module: dict) -> None:
        cells = module["cells"]
        driver: dict[int, str] = {}  # bit -> the combinational cell driving it
        ram_bits: set[int] = set()  # bits read from a block RAM
        read: set[int] = set()  # bits some cell reads
        inputs: dict[str, list[tuple[str, int]]] = {}
        for name, cell in cells.items():
            kind = cell["type"].rsplit("\\", 1)[-1]
            directions = cell["port_directions"]
            for port, bits in cell["connections"].items():
                if directions.get(port) == "input":
                    for bit in bits:
                        if isinstance(bit, int):
                            read.add(bit)
            if _SEQUENTIAL.fullmatch(kind) or (_DSP.fullmatch(kind) and _registered_dsp(kind, cell["parameters"])):
                if _BLOCK_RAM.fullmatch(kind) and not _output_registered(cell["parameters"]):
                    for port, bits in cell["connections"].items():
                        if directions.get(port) == "output":
                            ram_bits.update(bit for bit in bits if isinstance(bit, int))
                continue
            written = _WRITE_PORTS.get(kind, ())
            ins = []
            for port, bits in cell["connections"].items():
                direction = directions.get(port)
                for bit in bits:
                    if not isinstance(bit, int):
                        continue
                    if direction == "output":
                        driver[bit] = name
                    elif direction == "input" and port not in written:
                        ins.append((port, bit))
            inputs[name] = ins

        # topological order (iterative: deep carry chains); a combinational loop (there should be none) is cut
        # where it closes, its edge timed as if from a register
        order: list[str] = []
        placed: set[str] = set()
        visiting: set[str] = set()
        for first in inputs:
            stack = [(first, False)]
            while stack:
                name, expanded = stack.pop()
                if name in placed:
                    continue
                if not expanded:
                    visiting.add(name)
                    stack.append((name, True))
                    preds = {driver[bit] for _, bit in inputs[name] if bit in driver}
                    stack.extend((p, False) for p in preds if p not in placed and p not in visiting)
                    continue
                placed.add(name)
                order.append(name)
        index = {name: i for i, name in enumerate(order)}
        self.kinds: list[int] = []
        # per cell, per input: (driving cell's index or -1, through the carry input, read from a block RAM)
        self.edges: list[list[tuple[int, bool, bool]]] = []
        for name in order:
            kind = cells[name]["type"].rsplit("\\", 1)[-1]
            code = _LUT
            for pattern, c in ((_CARRY, _CARRY_CELL), (_MUX, _MUX_CELL), (_LUTRAM, _LUTRAM_CELL), (_DSP, _DSP_CELL)):
                if pattern.fullmatch(kind):
                    code = c
                    break
            self.kinds.append(code)
            self.edges.append(
                [
                    (
                        index[driver[bit]] if bit in driver else -1,
                        code == _CARRY_CELL and port in _CARRY_INPUTS,
                        bit in ram_bits,
                    )
                    for port, bit in inputs[name]
                ]
            )
        self.reads_ram = not ram_bits.isdisjoint(read)

    def timing(self, d: Delays) -> Timing:
        """The longest register-to-register path with delays ``d``."""
        ram_late = (d.ram_clk_to_q if d.ram_clk_to_q is not None else d.clk_to_q) - d.clk_to_q
        through = {_LUT: d.lut, _CARRY_CELL: d.carry, _MUX_CELL: d.mux, _LUTRAM_CELL: d.lutram, _DSP_CELL: d.dsp}
        routed = {code: code != _MUX_CELL for code in through}  # the inputs that come over a routed net
        # per cell: when its output is ready, and when that reaches the fabric (later by carry_out for a carry
        # cell reached through its carry input), with the cells on the way
        arrival: list[float] = []
        leaves: list[float] = []
        levels: list[int] = []
        for i, (code, edges) in enumerate(zip(self.kinds, self.edges, strict=True)):
            cell, net = through[code], routed[code]
            best, depth, chained = 0.0, 0, False
            for pred, carry_in, from_ram in edges:
                if pred < 0:
                    before, before_depth = (ram_late if from_ram else 0.0), 0
                elif pred < i:
                    before, before_depth = (arrival[pred] if carry_in else leaves[pred]), levels[pred]
                else:  # a loop's closing edge
                    before, before_depth = 0.0, 0
                t = before + (d.carry_in if carry_in else cell + (d.net if net else 0.0))
                if t > best:
                    best, depth, chained = t, before_depth + 1, carry_in
            arrival.append(best)
            leaves.append(best + (d.carry_out if chained else 0.0))
            levels.append(depth)
        worst, deepest = max(zip(leaves, levels, strict=True), default=(0.0, 0))
        if self.reads_ram and ram_late > worst:
            worst, deepest = ram_late, 0  # block RAM straight into a register
        period = d.clk_to_q + d.setup + d.net + worst  # the last net into the endpoint register
        return Timing(round(1000.0 / period, 1), round(period, 3), deepest)


def path_timing(module: dict, d: Delays) -> Timing:
    """The longest register-to-register path of one module of a Yosys JSON netlist, with delays ``d``."""
    return NetlistPaths(module).timing(d)
