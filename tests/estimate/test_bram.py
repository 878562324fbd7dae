"""Block RAMs as Yosys maps them: a tiled core's line buffer (lepton_tile_window, a camera-wide line) is
synthesized for each family, and the estimate's count (lepton_hw.estimate.cells) must equal the
family's block RAM primitives in Yosys' own cell statistics, and be more than none (the line buffer
went to block RAM, not to LUTs or flip-flops)."""

from __future__ import annotations

import pytest

from lepton_hw.backends.rtl.project import library_source
from lepton_hw.boards import get_board
from lepton_hw.estimate.cells import count_resources
from lepton_hw.estimate.synth import FAMILY_DEFINES, run_yosys_on

# board -> the family's block RAM primitives, as the vendors name them (literal: not the estimate's own table)
BLOCK_RAMS = {
    "pynq-z2": {"RAMB18E1": 0.5, "RAMB36E1": 1.0},  # Xilinx 7-series: a RAMB18 is half a BRAM36
    "ecp5-25f": {"DP16KD": 1.0, "PDPW16KD": 1.0},  # ECP5 EBR
    "icebreaker": {"SB_RAM40_4K": 1.0, "SB_RAM40_4KNR": 1.0, "SB_RAM40_4KNW": 1.0, "SB_RAM40_4KNRNW": 1.0},
    "tang-nano-9k": {"SDPB": 1.0, "DPB": 1.0, "SP": 1.0, "SDPX9B": 1.0, "DPX9B": 1.0, "SPX9": 1.0},  # Gowin BSRAM
}

# 40 tiles of 32 columns: a 1280-pixel line; 3x3 window of 16-bit elements (two lines of 32 bits)
WINDOW = (
    "lepton_tile_window #(.H(32), .W(32), .TR(32), .TC(40), .TXW(7), .EW(16), .KH(3), .KW(3), .SH(1), .SW(1), "
    ".PT(0), .PL(0), .OH(30), .OW(30), .DRAIN(0))"
)
TOP = f"""module bram_probe (input wire clk, input wire rst, input wire in_valid, input wire [15:0] in_data,
    output wire out_valid, output wire [143:0] out_window);
    wire out_last;
    wire [2:0] rows, cols;
    {WINDOW} window (.clk(clk), .rst(rst), .tiles_x(7'd40), .tiles_y(7'd32), .in_valid(in_valid),
        .in_data(in_data), .out_valid(out_valid), .out_last(out_last), .out_window(out_window),
        .out_row_ok(rows), .out_col_ok(cols));
endmodule
"""


@pytest.mark.synth
@pytest.mark.parametrize("board_id", sorted(BLOCK_RAMS))
def test_line_buffers_are_block_ram_and_counted(board_id: str) -> None:
    board = get_board(board_id)
    library = ("lepton_line_ram.v", "lepton_tile_window.v")
    sources = (*((name, library_source(name)) for name in library), ("bram_probe.v", TOP))
    defines = "".join(f"-D{macro} " for macro in FAMILY_DEFINES.get(board.family, ()))  # as the estimate reads them
    files = " ".join(name for name, _ in sources)
    script = f"read_verilog {defines}{files}; {board.yosys} -top bram_probe; tee -q -o stat.json stat -json"
    cells = run_yosys_on(sources, script, timeout=600)
    in_stat = sum(count * BLOCK_RAMS[board_id].get(cell, 0.0) for cell, count in cells.items())
    assert in_stat > 0, f"{board_id}: the 1280-pixel line buffer is not in block RAM: {cells}"
    assert count_resources(board.family, cells).bram == in_stat, cells
