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
    # ECP5 -6 (LFE5U-25F-6): not used for an estimate (nextpnr-ecp5 measures ECP5 boards); the set the
    # model is checked with against nextpnr (bench/check_fmax_model.py). Cell delays are what
    # nextpnr-ecp5 (prjtrellis timing data) prints on its critical paths here: FF clock-to-out 0.52,
    # LUT4 0.24, CCU2C 0.45 from a data input and 0.07 carry in to carry out, PFUMX 0.26, MULT18X18D
    # 3.93, DP16KD clock-to-out 5.83 (no output register), TRELLIS_DPR16X4 read assumed like a LUT4.
    # The routed-net delay is a guess here (fitted below once measured).
    "ecp5": Delays(
        clk_to_q=0.52,
        setup=0.0,
        net=0.70,
        lut=0.24,
        carry_in=0.07,
        carry=0.45,
        mux=0.26,
        lutram=0.24,
        dsp=3.93,
        ram_clk_to_q=5.83,
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
_WRITE_PORTS = {"TRELLIS_DPR16X4": {"WAD", "DI", "WRE", "WCK"}}


MODEL = "logic depth (lepton_hw.estimate.timing)"


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


def path_timing(module: dict, d: Delays) -> Timing:
    """The longest register-to-register path of one module of a Yosys JSON netlist, with delays ``d``."""
    cells = module["cells"]
    driver: dict[int, str] = {}  # bit -> the combinational cell driving it
    start: dict[int, float] = {}  # bit -> when it leaves a block RAM, after a flip-flop's clock-to-out
    ram_late = (d.ram_clk_to_q if d.ram_clk_to_q is not None else d.clk_to_q) - d.clk_to_q
    inputs: dict[str, list[tuple[str, int]]] = {}
    for name, cell in cells.items():
        kind = cell["type"].rsplit("\\", 1)[-1]
        if _SEQUENTIAL.fullmatch(kind) or (_DSP.fullmatch(kind) and _registered_dsp(kind, cell["parameters"])):
            if ram_late and _BLOCK_RAM.fullmatch(kind):
                for port, bits in cell["connections"].items():
                    if cell["port_directions"].get(port) == "output":
                        start.update((bit, ram_late) for bit in bits if isinstance(bit, int))
            continue
        written = _WRITE_PORTS.get(kind, ())
        ins = []
        for port, bits in cell["connections"].items():
            direction = cell["port_directions"].get(port)
            for bit in bits:
                if not isinstance(bit, int):
                    continue
                if direction == "output":
                    driver[bit] = name
                elif direction == "input" and port not in written:
                    ins.append((port, bit))
        inputs[name] = ins

    def cell_delay(kind: str, port: str) -> float:
        if _CARRY.fullmatch(kind):
            return d.carry_in if port in _CARRY_INPUTS else d.carry + d.net
        if _MUX.fullmatch(kind):
            return d.mux
        if _LUTRAM.fullmatch(kind):
            return d.lutram + d.net
        if _DSP.fullmatch(kind):
            return d.dsp + d.net
        return d.lut + d.net  # LUTs, INV and anything else combinational

    # Arrival time at each combinational cell's output, in topological order (iterative: deep carry chains),
    # and when its output reaches the fabric: later by carry_out for a carry cell reached through its carry input
    arrival: dict[str, tuple[float, int]] = {}
    leaves: dict[str, float] = {}
    visiting: set[str] = set()  # a combinational loop (there should be none) is cut where it closes
    for first in inputs:
        if first in arrival:
            continue
        stack = [(first, False)]
        while stack:
            name, expanded = stack.pop()
            if name in arrival:
                continue
            preds = {driver[bit] for _, bit in inputs[name] if bit in driver}
            if not expanded:
                visiting.add(name)
                stack.append((name, True))
                stack.extend((p, False) for p in preds if p not in arrival and p not in visiting)
                continue
            kind = cells[name]["type"].rsplit("\\", 1)[-1]
            best, levels, chained = 0.0, 0, False
            carry = _CARRY.fullmatch(kind) is not None
            for port, bit in inputs[name]:
                through_carry = carry and port in _CARRY_INPUTS
                if bit in driver:
                    before, depth = arrival.get(driver[bit], (0.0, 0))
                    if not through_carry:
                        before = leaves.get(driver[bit], before)
                else:
                    before, depth = start.get(bit, 0.0), 0
                t = before + cell_delay(kind, port)
                if t > best:
                    best, levels, chained = t, depth + 1, through_carry
            arrival[name] = (best, levels)
            leaves[name] = best + (d.carry_out if chained else 0.0)
    ends = [(leaves[name], levels) for name, (_, levels) in arrival.items()]
    worst, levels = max([*ends, (max(start.values(), default=0.0), 0)])
    period = d.clk_to_q + d.setup + d.net + worst  # the last net into the endpoint register
    return Timing(round(1000.0 / period, 1), round(period, 3), levels)
