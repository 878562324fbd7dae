"""From Yosys cell counts to the resources a board's data sheet counts: LUT, FF, DSP, block RAM.

Each family's table says what one mapped cell costs, in the units of ``lepton_hw/boards`` (LUT6 for
Xilinx, LUT4 for Lattice and Gowin, block RAMs of the board's ``bram.kind``). Cells that occupy LUT
sites without being logic LUTs are converted where the vendor tools do the same:

- Xilinx: an ``INV`` is a LUT1; distributed RAM counts the LUTs of its SLICEM (RAM32M and RAM64M: 4,
  RAM32M16 and RAM64M8: 8, RAM32X1D and RAM64X1D: 2); shift registers (SRL16E, SRLC32E) 1;
  RAMB18 is half a BRAM36. ``CARRY4/8`` and ``MUXF7/8/9`` are not LUTs.
- ECP5: a ``CCU2C`` is 2 LUT4 (one slice); a ``TRELLIS_DPR16X4`` takes 4 RAM LUTs and 2 write-port
  LUTs, the figure nextpnr-ecp5 reports as "Total LUT4s". ``PFUMX``/``L6MUX21`` are slice muxes.
- iCE40: ``SB_CARRY`` shares the logic cell of its LUT; every ``SB_LUT4`` is one logic cell.
- Nexus: ``WIDEFN9`` is 2 LUT4, ``CCU2`` 2 LUT4, ``DPR16X4`` 6 LUT4 (as ECP5).
- Gowin: ``ALU`` uses one LUT4 of its slice; ``RAM16SDP1/2/4`` (shadow SRAM) takes a slice of
  4 LUT4 (an approximation: the vendor tools report it as SSRAM).
Buffers, constants and I/O cells are not counted. A cell type no table knows is reported under
``unknown`` and not guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# resource -> cost per cell, matched by exact type name or regular expression (first match wins)
_Table = list[tuple[str, str, float]]

_XILINX: _Table = [
    (r"LUT[1-6]", "lut", 1),
    (r"INV", "lut", 1),
    (r"RAM32M16|RAM64M8", "lut", 8),
    (r"RAM32M|RAM64M|RAM128X1D|RAM256X1S", "lut", 4),
    (r"RAM32X1D|RAM64X1D|RAM128X1S", "lut", 2),
    (r"RAM32X1S|RAM64X1S|RAM16X1S|RAM16X1D", "lut", 1),
    (r"SRL16E|SRLC16E|SRLC32E", "lut", 1),
    (r"FD[RSCP]E(_1)?|LD[CP]E?", "ff", 1),
    (r"DSP48E1|DSP48E2", "dsp", 1),
    (r"RAMB36E1|RAMB36E2", "bram", 1),
    (r"RAMB18E1|RAMB18E2", "bram", 0.5),
    (r"URAM288", "uram", 1),
    (r"CARRY4|CARRY8|MUXF7|MUXF8|MUXF9", "", 0),
    (r"IBUF|OBUF|IOBUF|OBUFT|BUFG|BUFGCTRL|BUFH|GND|VCC", "", 0),
]
_ECP5: _Table = [
    (r"LUT4", "lut", 1),
    (r"CCU2C", "lut", 2),
    (r"TRELLIS_DPR16X4", "lut", 6),
    (r"TRELLIS_FF|FD1S3AX|FD1P3AX", "ff", 1),
    (r"MULT18X18D", "dsp", 1),
    (r"DP16KD|PDPW16KD", "bram", 1),
    (r"PFUMX|L6MUX21|ALU54B|TRELLIS_IO|VHI|VLO|DCCA|\$scopeinfo", "", 0),
]
_ICE40: _Table = [
    (r"SB_LUT4", "lut", 1),
    (r"SB_DFF\w*", "ff", 1),
    (r"SB_MAC16", "dsp", 1),
    (r"SB_RAM40_4K\w*", "bram", 1),
    (r"SB_SPRAM256KA", "spram", 1),
    (r"SB_CARRY|SB_IO|SB_GB|SB_GB_IO|\$scopeinfo", "", 0),
]
_NEXUS: _Table = [
    (r"LUT4|INV", "lut", 1),
    (r"WIDEFN9|CCU2", "lut", 2),
    (r"DPR16X4", "lut", 6),
    (r"FD1P3[A-Z]X|IFD1P3[A-Z]X|OFD1P3[A-Z]X", "ff", 1),
    (r"MULT9X9|MULT18X18|MULTPREADD9X9|MULTPREADD18X18|MULTADDSUB18X18", "dsp", 1),
    (r"MULT18X36|MULTADDSUB18X36", "dsp", 2),
    (r"MULT36X36|MULTADDSUB36X36", "dsp", 4),
    (r"DP16K|PDP16K|SP16K", "bram", 1),
    (r"LRAM", "lram", 1),
    (r"IB|OB|BB|VHI|VLO|OSC_CORE|DCC|\$scopeinfo", "", 0),
]
_GOWIN: _Table = [
    (r"LUT[1-4]", "lut", 1),
    (r"ALU", "lut", 1),
    (r"RAM16SDP[124]|RAM16S[124]", "lut", 4),
    (r"DFF\w*", "ff", 1),
    (r"MULT9X9|MULT18X18|MULTALU18X18|MULTADDALU18X18|ALU54D", "dsp", 1),
    (r"MULT36X36|MULTALU36X18", "dsp", 4),
    (r"SDPB|DPB|SP|ROM|SDPX9B|DPX9B|SPX9|pROM|pROMX9", "bram", 1),
    (r"MUX2_LUT[5-8]|MUX2|IBUF|OBUF|IOBUF|TBUF|GND|VCC|OSC\w*|\$scopeinfo", "", 0),
]
TABLES: dict[str, _Table] = {
    "xc7": _XILINX,
    "xcup": _XILINX,
    "ecp5": _ECP5,
    "ice40": _ICE40,
    "nexus": _NEXUS,
    "gw1n": _GOWIN,
}
RESOURCES = ("lut", "ff", "dsp", "bram", "uram", "spram", "lram")


@dataclass(frozen=True)
class Usage:
    """Resources a synthesized design uses, in the board file's units, and the cells behind them."""

    lut: float = 0
    ff: float = 0
    dsp: float = 0
    bram: float = 0
    uram: float = 0
    spram: float = 0
    lram: float = 0
    cells: dict[str, int] = field(default_factory=dict)  # every cell type Yosys reported, with its count
    unknown: dict[str, int] = field(default_factory=dict)  # cell types no table knows (not counted)


def _cost(table: _Table, cell_type: str) -> tuple[str, float] | None:
    for pattern, resource, cost in table:
        if re.fullmatch(pattern, cell_type):
            return resource, cost
    return None


def count_resources(family: str, cells: dict[str, int]) -> Usage:
    """Usage of a flat netlist with ``cells`` (Yosys ``stat``'s ``num_cells_by_type``) in ``family``."""
    table = TABLES[family]
    totals = dict.fromkeys(RESOURCES, 0.0)
    unknown: dict[str, int] = {}
    for cell_type, count in sorted(cells.items()):
        # Yosys names a parameterised cell "$paramod$<hash>\TYPE"; the type is after the backslash
        base = cell_type.rsplit("\\", 1)[-1]
        found = _cost(table, base)
        if found is None:
            unknown[cell_type] = count
        elif found[0]:
            totals[found[0]] += found[1] * count
    return Usage(
        **{k: (int(v) if float(v).is_integer() else v) for k, v in totals.items()}, cells=dict(cells), unknown=unknown
    )
