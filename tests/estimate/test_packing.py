"""Reading nextpnr's packed cell counts: a core whose LUTs and flip-flops fit apart can overflow the cells."""

from __future__ import annotations

from lepton_hw.estimate.pnr import overfull

# nextpnr-ice40 0.11's report on the iCEBreaker after packing an 8-filter camera core (tabs as printed)
ICE40_LOG = """Info: Packing constants..
Info:      218 LCs used to legalise carry chains.
Info: Device utilisation:
Info: \t         ICESTORM_LC:    7901/   5280   149%
Info: \t        ICESTORM_RAM:      13/     30    43%
Info: \t               SB_IO:       3/     39     7%
Info: \t               SB_GB:       7/      8    87%
Info: \t        ICESTORM_DSP:       0/      8     0%
ERROR: Failed to expand region (0, 0) |_> (25, 31) of 7901 ICESTORM_LCs
"""


def test_overfull_names_the_cells_over_the_device() -> None:
    assert overfull(ICE40_LOG) == (("ICESTORM_LC", 7901, 5280),)


def test_a_design_within_the_device_is_not_overfull() -> None:
    assert overfull(ICE40_LOG.replace("7901/   5280   149%", "5001/   5280    94%")) == ()
    assert overfull("Info: Program finished normally.\n") == ()
