"""Cell counts -> board resources, per family (the conversions the cells.py docstring documents)."""

from __future__ import annotations

import pytest

from lepton_hw.estimate.cells import count_resources


def test_ecp5_counts_carry_and_lut_ram_as_nextpnr_does() -> None:
    # nextpnr-ecp5 on the camera core: 13,757 logic + 11,034 carry (5,517 CCU2C) + 544 RAM + 272 RAMW LUTs
    usage = count_resources("ecp5", {"LUT4": 13757, "CCU2C": 5517, "TRELLIS_DPR16X4": 136, "TRELLIS_FF": 4981,
                                     "PFUMX": 1348, "L6MUX21": 172, "$scopeinfo": 9})  # fmt: skip
    assert usage.lut == 25607 and usage.ff == 4981 and usage.dsp == 0 and usage.bram == 0
    assert usage.unknown == {}


def test_xilinx_lut_ram_half_block_rams_and_buffers() -> None:
    usage = count_resources(
        "xc7",
        {"LUT3": 10, "LUT6": 5, "INV": 2, "RAM32M": 3, "SRLC32E": 1, "CARRY4": 7, "MUXF7": 4, "FDRE": 20,
         "FDSE": 2, "RAMB18E1": 3, "RAMB36E1": 1, "DSP48E1": 2, "IBUF": 9, "BUFG": 1},
    )  # fmt: skip
    assert usage.lut == 10 + 5 + 2 + 3 * 4 + 1
    assert usage.ff == 22 and usage.dsp == 2 and usage.bram == 2.5


def test_ice40_gowin_nexus() -> None:
    ice = count_resources("ice40", {"SB_LUT4": 100, "SB_CARRY": 40, "SB_DFFE": 30, "SB_DFFESR": 3,
                                    "SB_RAM40_4K": 17, "SB_MAC16": 1, "SB_SPRAM256KA": 2})  # fmt: skip
    assert (ice.lut, ice.ff, ice.bram, ice.dsp, ice.spram) == (100, 33, 17, 1, 2)
    gowin = count_resources("gw1n", {"LUT2": 5, "LUT4": 6, "ALU": 10, "MUX2_LUT5": 3, "DFFE": 7, "DFFRE": 1,
                                     "RAM16SDP4": 2, "SDPB": 1, "MULT18X18": 1, "GND": 1, "VCC": 1})  # fmt: skip
    assert (gowin.lut, gowin.ff, gowin.bram, gowin.dsp) == (5 + 6 + 10 + 8, 8, 1, 1)
    nexus = count_resources("nexus", {"LUT4": 50, "WIDEFN9": 4, "DPR16X4": 1, "FD1P3IX": 9, "FD1P3JX": 1,
                                      "MULT18X36": 1, "DP16K": 2, "LRAM": 1, "VLO": 1})  # fmt: skip
    assert (nexus.lut, nexus.ff, nexus.dsp, nexus.bram, nexus.lram) == (50 + 8 + 6, 10, 2, 2, 1)


@pytest.mark.parametrize("family", ["xc7", "ecp5", "ice40", "nexus", "gw1n"])
def test_unknown_cells_are_reported_not_guessed(family: str) -> None:
    usage = count_resources(family, {"conv1_cmvm": 1, "MYSTERY_CELL": 3})
    assert usage.unknown == {"conv1_cmvm": 1, "MYSTERY_CELL": 3}
    assert usage.lut == usage.ff == usage.dsp == usage.bram == 0
