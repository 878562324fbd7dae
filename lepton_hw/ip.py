"""DIR/ip/: the deliverable of `lepton-hw flow`.

    ip/rtl/         the Verilog core lepton_core: sources, files.f (compile order), core.json, README.md
    ip/tb/          a plain Verilog testbench (no cocotb, no Python): test frames in, the result packets
                    the golden model computes compared beat for beat, with backpressure on the output
    ip/tests/       a pytest + cocotb testbench the customer keeps (lepton_hw.customer), golden.json, CI example
    ip/driver/      a tiled core's C register header and firmware example
    ip/vivado/      synth.tcl, package_ip.tcl, lepton_core.xdc (lepton_hw.vivado)
    ip/component.xml, ip/lepton_core.1685-2014.xml   IP-XACT (lepton_hw.ipxact): 1685-2009 as Vivado writes it, and 2014
    ip/lepton_core.core   the FuseSoC core: lint, sim (the plain testbench) and synthesis targets
    ip/hls/         the HLS project (hls4ml network + camera IP wrapper + build_camera.tcl)
    ip/README.md    the core's ports and timing, the figures of the flow, how to run each part
    ip/report.html  the flow's report

The testbench reads frames.hex and expected.hex (made here from the test set by the IR interpreter)
and prints ``PASS`` or ``FAIL`` lines; ``run_icarus.sh`` compiles and runs it with Icarus Verilog.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lepton_hw.fsutil import atomic_output_dir
from lepton_hw.summary import best_board, board_line

if TYPE_CHECKING:
    from lepton_hw.backends.rtl.project import RtlProject
    from lepton_hw.boards import Board

TESTBENCH = "tb_lepton_core.v"


def write_ip(directory: Path | str, raw_frames: np.ndarray) -> Path:
    """Assemble DIR/ip from DIR/rtl, DIR/hls and DIR/report.html; ``raw_frames`` feed the testbench."""
    from lepton_hw.backends.rtl.project import load_rtl
    from lepton_hw.customer import customer_files, write_files
    from lepton_hw.engines import load_ir
    from lepton_hw.packaging import packaging_files
    from lepton_hw.sim import run as sim_run
    from lepton_hw.vivado import vivado_files

    directory = Path(directory)
    graph = load_ir(directory)
    project = load_rtl(directory / "rtl", graph)
    words = sim_run.input_words(raw_frames, project.layout).reshape(-1)
    packets = sim_run.expected_packets(graph, raw_frames, project.tiling)
    core = project.core
    extra = ["lepton_regs.h", "REGISTERS.md"]  # a tiled core's register map, for the camera's firmware
    with atomic_output_dir(directory / "ip", force=True) as tmp:
        rtl = tmp / "rtl"
        rtl.mkdir()
        for name in [*project.sources, "files.f", "core.json", "README.md", "sim_report.json", *extra]:
            if (directory / "rtl" / name).is_file():
                shutil.copy2(directory / "rtl" / name, rtl / name)
        tb = tmp / "tb"
        tb.mkdir()
        digits = (project.layout.tdata_bits + 3) // 4
        (tb / "frames.hex").write_text("".join(f"{int(w):0{digits}x}\n" for w in words))
        (tb / "expected.hex").write_text("".join(f"{v & 0xFFFFFFFF:08x}\n" for p in packets for v in p))
        (tb / TESTBENCH).write_text(testbench(core, len(raw_frames), len(packets[0]) if packets else 0))
        script = tb / "run_icarus.sh"
        script.write_text(RUN_ICARUS)
        script.chmod(0o755)
        write_files(tmp, customer_files(project, graph, raw_frames))  # tests/ (and driver/ for a tiled core)
        write_files(tmp, packaging_files(tmp))  # component.xml (IP-XACT), lepton_core.core (FuseSoC)
        write_files(tmp / "vivado", vivado_files(core, _board(core), None))
        if (directory / "hls").is_dir():
            shutil.copytree(directory / "hls", tmp / "hls")
        if (directory / "report.html").is_file():
            shutil.copy2(directory / "report.html", tmp / "report.html")
        (tmp / "README.md").write_text(readme(directory, project, len(raw_frames)))
    return directory / "ip"


def testbench(core: dict[str, Any], frames: int, packet_beats: int = 0) -> str:
    """A Verilog-2005 testbench of lepton_core for ``frames`` frames of frames.hex (``packet_beats`` beats each)."""
    frame = core["frame"]
    tiling = core.get("tiling")
    width, height = (tiling["max_width"], tiling["max_height"]) if tiling else (frame["width"], frame["height"])
    # A tiled core never stalls the camera: a result m_axis cannot take in time is dropped, so its output is
    # always ready here (the cocotb tests cover the drops); the one-tile core holds results, so it gets
    # backpressure.
    ready = (
        "1'b1;  // always ready: a tiled core drops what it cannot deliver"
        if tiling
        else ("lfsr[0] | lfsr[3];  // ready 3 cycles in 4 on average")
    )
    tiled_ports = (
        """
        .m_axis_tuser(), .irq(),
        .s_axil_awaddr(12'd0), .s_axil_awvalid(1'b0), .s_axil_awready(), .s_axil_wdata(32'd0), .s_axil_wstrb(4'd0),
        .s_axil_wvalid(1'b0), .s_axil_wready(), .s_axil_bresp(), .s_axil_bvalid(), .s_axil_bready(1'b1),
        .s_axil_araddr(12'd0), .s_axil_arvalid(1'b0), .s_axil_arready(), .s_axil_rdata(), .s_axil_rresp(),
        .s_axil_rvalid(), .s_axil_rready(1'b1),"""
        if tiling
        else ""
    )
    return f"""// Testbench of lepton_core generated by lepton_hw: {frames} test frames back to back, every result
// beat compared with expected.hex (the golden model's packets). Prints PASS or FAIL.
`timescale 1ns / 1ps
module tb_lepton_core;
    localparam integer W = {width}, H = {height}, FRAMES = {frames};
    localparam integer BEATS = {packet_beats or core["packet_beats"]}, TDATA = {core["tdata_bits"]};
    localparam integer PIXELS = W * H * FRAMES, TOTAL_BEATS = BEATS * FRAMES;
    localparam integer TIMEOUT = 4 * PIXELS + 64 * FRAMES + 1000;

    reg aclk = 1'b0;
    always #5 aclk = ~aclk;  // 100 MHz; the core's timing does not depend on it
    reg aresetn = 1'b0;
    reg [TDATA-1:0] pixels [0:PIXELS-1];
    reg [31:0] expected [0:TOTAL_BEATS-1];
    integer p = 0, beat = 0, errors = 0, cycles = 0;
    reg [15:0] lfsr = 16'hace1;

    wire [TDATA-1:0] s_axis_tdata = pixels[p < PIXELS ? p : 0];
    wire s_axis_tuser = (p % (W * H)) == 0;
    wire s_axis_tlast = (p % W) == W - 1;
    wire s_axis_tvalid = aresetn && p < PIXELS;
    wire s_axis_tready;
    wire [31:0] m_axis_tdata;
    wire m_axis_tlast, m_axis_tvalid;
    wire m_axis_tready = {ready}
    wire [31:0] frame_count;
    wire err_malformed;

    lepton_core dut (
        .aclk(aclk), .aresetn(aresetn),
        .s_axis_tdata(s_axis_tdata), .s_axis_tuser(s_axis_tuser), .s_axis_tlast(s_axis_tlast),
        .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
        .m_axis_tdata(m_axis_tdata), .m_axis_tlast(m_axis_tlast), .m_axis_tvalid(m_axis_tvalid),
        .m_axis_tready(m_axis_tready),{tiled_ports}
        .frame_count(frame_count), .err_malformed(err_malformed), .err_clear(1'b0)
    );

    initial begin
        $readmemh("frames.hex", pixels);
        $readmemh("expected.hex", expected);
        repeat (5) @(posedge aclk);
        aresetn <= 1'b1;
    end

    always @(posedge aclk) begin
        lfsr <= {{lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]}};
        if (aresetn) begin
            cycles <= cycles + 1;
            if (s_axis_tvalid && s_axis_tready) p <= p + 1;
            if (m_axis_tvalid && m_axis_tready) begin
                if (m_axis_tdata !== expected[beat] || m_axis_tlast !== (beat % BEATS == BEATS - 1)) begin
                    errors = errors + 1;
                    if (errors <= 10)
                        $display("FAIL: frame %0d beat %0d: got %h (tlast %b), expected %h",
                                 beat / BEATS, beat % BEATS, m_axis_tdata, m_axis_tlast, expected[beat]);
                end
                beat <= beat + 1;
            end
        end
    end

    always @(posedge aclk) begin
        if (beat == TOTAL_BEATS) begin
            if (errors == 0 && !err_malformed && frame_count == FRAMES)
                $display("PASS: %0d frames, %0d result beats equal the golden model's (%0d cycles)",
                         FRAMES, TOTAL_BEATS, cycles);
            else
                $display("FAIL: %0d wrong beats, err_malformed %b, frame_count %0d", errors, err_malformed,
                         frame_count);
            $finish;
        end
        if (cycles > TIMEOUT) begin
            $display("FAIL: timeout after %0d cycles: %0d of %0d beats received", cycles, beat, TOTAL_BEATS);
            $finish;
        end
    end
endmodule
"""


RUN_ICARUS = """#!/bin/sh
# Compile and run the testbench with Icarus Verilog (Debian: apt-get install iverilog). Prints PASS or FAIL.
set -e
cd "$(dirname "$0")"
iverilog -g2005 -o tb_lepton_core.vvp -s tb_lepton_core $(sed 's|^|../rtl/|' ../rtl/files.f) tb_lepton_core.v
vvp -n tb_lepton_core.vvp | tee tb_output.txt
grep -q '^PASS' tb_output.txt
"""


def readme(directory: Path, project: RtlProject, frames: int) -> str:
    from lepton_hw.backends.rtl.project import ports_and_timing, tiled_ports_and_timing

    core = project.core
    frame = core["frame"]
    sim = _read(directory / "rtl" / "sim_report.json") or {}
    verify = _read(directory / "verify.json") or {}
    doc = _read(directory / "estimate.json")
    best = best_board(doc) if doc else None
    figures = [
        f"- Frames: {frame['height']} x {frame['width']} x {frame['channels']}, {core['pixel_type']} pixels "
        f"({core['tdata_bits']}-bit s_axis_tdata).",
        f"- Result: {core['packet_beats']} beats per frame: the class index, then {core['n_outputs']} logits "
        f"({core['output_type']}) as raw integers sign-extended to 32 bits.",
    ]
    if sim:
        figures.append(
            f"- Simulated ({sim.get('simulator')}, {sim.get('frames')} frames back to back): "
            f"{sim.get('cycles_per_frame')} cycles per frame, latency {sim.get('latency_cycles')} cycles from "
            f"the last pixel to the first result beat."
        )
    if verify:
        engines = ", ".join(verify["engines"])
        if verify.get("bit_exact"):
            figures.append(f"- Bit-exact: {engines} agree on all {verify['n']} test frames (verify.json).")
        else:
            figures.append(f"- NOT bit-exact: {engines} differ on some of {verify['n']} test frames (verify.json).")
    if best:
        figures.append(f"- Best-fitting board of the estimate: {board_line(best)}.")
    t = project.tiling
    if t is not None:
        figures.insert(
            0,
            f"- Whole camera frames up to {t.frame_width} x {t.frame_height}, cut into {t.tiles_x} x {t.tiles_y} "
            "tiles of the model's input; every tile is classified (registers: rtl/REGISTERS.md, C header "
            "rtl/lepton_regs.h).",
        )
        check = (verify or {}).get("frames")
        if check:
            agree = "agree on" if check["bit_exact"] else "DIFFER on some of"
            tiles = f"{check['tiles'][0]} x {check['tiles'][1]}"
            figures.append(
                f"- Whole frames: {', '.join(check['engines'])} {agree} all {check['n']} frames' {tiles} tiles "
                "(verify.json)."
            )
    interface = ports_and_timing(project.layout, core) if t is None else tiled_ports_and_timing(project.layout, core, t)
    return f"""# {core.get("top", "lepton_core")}: camera classifier IP core

Generated by lepton_hw `flow` (kernel `{core.get("kernel")}`). Open `report.html` for the model, its accuracy,
the bit-exactness table and the per-board estimate.

{chr(10).join(figures)}

{interface}
## Files
- `rtl/`: the Verilog-2005 sources; `rtl/files.f` lists them in compile order. `rtl/core.json` describes
  the core (frame, types, layers, simulated timing).
- `tb/`: `tb_lepton_core.v` sends {frames} test frames back to back and compares every result beat with
  `expected.hex` (the golden model's packets), with backpressure on m_axis_tready. Run it with
  `tb/run_icarus.sh` (Icarus Verilog); it prints PASS or FAIL.
- `component.xml`: IP-XACT for Vivado's IP catalog (add DIR/ip as an IP repository; 1685-2009, the form
  Vivado writes; `lepton_core.1685-2014.xml` is the same in 1685-2014). `lepton_core.core`: FuseSoC
  (`fusesoc --cores-root DIR/ip run --target sim lepton_hw:lepton:lepton_core`; targets lint, sim, synth_*).
- `tests/`: a pytest + cocotb testbench to keep in your own CI (no lepton_hw needed): `pip install -r
  tests/requirements.txt && pytest tests` (Icarus; `LEPTON_SIM=verilator` for Verilator); the golden packets
  are in `tests/golden.json`, an example GitHub Actions workflow in `tests/ci_example.yml`. It can also run
  on the RTL that Vitis HLS exports (`LEPTON_PORTS=vitis`, see tests/README.md).
- `vivado/`: `synth.tcl` (Vivado synthesis or implementation with utilization and timing reports, which
  `lepton-hw estimate DIR --vendor-reports` reads back), `package_ip.tcl` (Vivado's IP packager),
  `lepton_core.xdc`; see vivado/README.md.
- `driver/` (a core with registers): `lepton_regs.h` and `example.c`, a firmware example that sets the
  frame size and reads the per-class counts.
- `hls/`: the HLS version of the same network (hls4ml) inside the camera IP wrapper: `hls/README.md`,
  `hls/build_camera.tcl` (Vitis HLS: C simulation, synthesis, co-simulation, IP export).
- `report.html`: the flow's report.
"""


def _board(core: dict[str, Any]) -> Board | None:
    from lepton_hw.boards import get_board
    from lepton_hw.errors import BoardError

    try:
        return get_board(core["board"]) if core.get("board") else None
    except BoardError:
        return None


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None
