"""Per-board estimates of a generated core (``lepton-hw estimate``).

- :mod:`.synth`: Yosys synthesis per family, cached; :mod:`.cells`: cell counts -> LUT/FF/DSP/BRAM.
- :mod:`.pnr`: nextpnr place and route (Lattice, Gowin) for a measured Fmax.
- :mod:`.timing`: the logic-depth Fmax model (Xilinx, where no open place and route runs).
- :mod:`.fast`: the analytic model behind ``--fast`` (no synthesis).
- :mod:`.runner`: the estimate of a folder for a list of boards; :mod:`.report`: table, markdown, chart.
- :mod:`.vendor`: Vivado's utilization and timing reports read back (``estimate --vendor-reports``).
"""

from __future__ import annotations

import os

from lepton_hw.estimate.runner import estimate, load_design, resolve_boards

__all__ = ["estimate", "load_design", "resolve_boards", "write_estimate"]


def write_estimate(doc: dict, directory: str | os.PathLike[str]) -> None:
    """Write DIR/estimate.json, DIR/estimate.md and DIR/utilization.png, each atomically."""
    import json
    from pathlib import Path

    from lepton_hw.estimate.report import markdown, utilization_png
    from lepton_hw.fsutil import atomic_write_bytes

    directory = Path(directory)
    atomic_write_bytes(directory / "estimate.json", (json.dumps(doc, indent=1) + "\n").encode())
    atomic_write_bytes(directory / "estimate.md", markdown(doc).encode())
    utilization_png(doc, directory / "utilization.png")
