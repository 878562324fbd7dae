"""The native harness against the cocotb testbench, and the harness' own checks.

Both simulation paths run the same program with the same per-clock rules (lepton_hw.sim.sequencer),
so on the same core, frames and pause seeds they must record the same thing: every handshake's clock,
every packet, the stalls and the cycle count. The first tests compare them on a real core under random
gaps, backpressure, a reset in mid-frame, a malformed frame, an idle gap and an error clear. The last
ones run the harness on a hand-written echo core, correct and broken, to show that its protocol
check and its packet assembly can fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lepton_hw.backends.rtl import RtlProject, build_rtl
from lepton_hw.sim import run as sim_run
from lepton_hw.testing.ir_cases import CASES

pytestmark = pytest.mark.rtl

GRAPH = CASES["odd_frame_k5_same"]
H, W = GRAPH.input.shape[:2]


@pytest.fixture(scope="module")
def project() -> RtlProject:
    return build_rtl(GRAPH, kernel="da")


def traffic_plan(project: RtlProject, seed: int, in_pause: float, out_pause: float) -> tuple[sim_run.Plan, list]:
    """Frames with every kind of event between them; the indices of the frames that must give packets."""
    raw = np.random.default_rng(seed).integers(0, 256, size=(9, H, W, 1))
    w = list(sim_run.input_words(raw, project.layout))
    plan = sim_run.Plan().frames(w[:2])
    plan.lines(sim_run.frame_lines(w[2])[:4])  # part of a frame, then a reset
    plan.reset(3)
    plan.frames(w[3:5])
    short = sim_run.frame_lines(w[5])
    short[2] = (0, short[2][1][:4])  # a short line: the frame is malformed
    plan.lines(short)
    plan.idle(11)
    plan.clear_error()
    plan.frames(w[6:])
    plan.in_pause, plan.out_pause, plan.seed = in_pause, out_pause, seed
    return plan, sim_run.expected_packets(GRAPH, raw[[0, 1, 3, 4, 6, 7, 8]])


def recorded(result: sim_run.SimResult) -> dict[str, Any]:
    return {
        "packets": result.packets, "in_beats": result.in_beats.tolist(), "out_beats": result.out_beats.tolist(),
        "in_stalls": result.in_stalls, "out_stalls": result.out_stalls, "cycles": result.cycles,
        "err_malformed": result.err_malformed, "frame_count": result.frame_count, "timed_out": result.timed_out,
        "protocol_violations": result.protocol_violations,
    }  # fmt: skip


@pytest.mark.parametrize(
    "other, seed, in_pause, out_pause",
    [("cocotb-verilator", 1, 0.3, 0.5), ("cocotb-verilator", 2, 0.0, 0.9), ("icarus", 3, 0.5, 0.2)],
)
def test_native_and_cocotb_record_the_same_clocks(
    project: RtlProject, rtl_cache: Path, other: str, seed: int, in_pause: float, out_pause: float
) -> None:
    sim_run.require_simulator(other)
    plan, expected = traffic_plan(project, seed, in_pause, out_pause)
    native = sim_run.run(sim_run.build(project, "verilator", cache_dir=rtl_cache), plan, label="native")
    cocotb = sim_run.run(sim_run.build(project, other, cache_dir=rtl_cache), plan, label="cocotb")
    assert native.packets == expected
    assert native.out_stalls > 0 or out_pause == 0  # the pauses did happen
    assert recorded(native) == recorded(cocotb)


def test_other_seeds_give_other_clocks(project: RtlProject, rtl_cache: Path) -> None:
    """The pause seeds matter (else the comparison above would be weaker than it looks)."""
    runs = []
    for seed in (1, 4):
        plan, expected = traffic_plan(project, 1, 0.3, 0.5)
        plan.seed = seed
        result = sim_run.run(sim_run.build(project, "verilator", cache_dir=rtl_cache), plan)
        assert result.packets == expected
        runs.append(result)
    assert runs[0].in_beats[:, 0].tolist() != runs[1].in_beats[:, 0].tolist()


ECHO = """
module lepton_core (
    input wire aclk, input wire aresetn,
    input wire [7:0] s_axis_tdata, input wire s_axis_tuser, input wire s_axis_tlast, input wire s_axis_tvalid,
    output wire s_axis_tready,
    output reg [31:0] m_axis_tdata, output reg m_axis_tlast, output reg m_axis_tvalid, input wire m_axis_tready,
    output reg [31:0] frame_count, output reg err_malformed, input wire err_clear
);
    // every accepted input beat comes back as a one-beat packet; no input while a result waits
    assign s_axis_tready = !m_axis_tvalid;
    always @(posedge aclk) begin
        if (!aresetn) begin
            m_axis_tvalid <= 1'b0; m_axis_tdata <= 0; m_axis_tlast <= 1'b0; frame_count <= 0; err_malformed <= 1'b0;
        end else begin
            if (m_axis_tvalid && m_axis_tready) m_axis_tvalid <= 1'b0;
            /*BROKEN*/
            if (s_axis_tvalid && s_axis_tready) begin
                m_axis_tvalid <= 1'b1;
                m_axis_tdata <= {24'd0, s_axis_tdata};
                m_axis_tlast <= 1'b1;
                if (s_axis_tuser) frame_count <= frame_count + 1;
            end
            if (err_clear) err_malformed <= 1'b0;
        end
    end
endmodule
"""


def echo_project(broken: bool) -> RtlProject:
    text = ECHO.replace(
        "/*BROKEN*/", "if (m_axis_tvalid && !m_axis_tready) m_axis_tdata <= m_axis_tdata + 1;" if broken else ""
    )
    return RtlProject(files={"lepton_core.v": text}, core={}, layout=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("broken", [False, True])
def test_the_harness_sees_every_beat_and_a_changed_stalled_beat(broken: bool, rtl_cache: Path) -> None:
    words = np.arange(1, 61, dtype=np.uint64).reshape(6, 10)  # one frame of 6 lines of 10 beats
    plan = sim_run.Plan().lines(sim_run.frame_lines(words))
    plan.packets, plan.in_pause, plan.out_pause, plan.seed = words.size, 0.3, 0.6, 5
    result = sim_run.run(sim_run.build(echo_project(broken), "verilator", cache_dir=rtl_cache), plan)
    assert result.out_stalls > 0
    if broken:
        assert result.protocol_violations > 0
        assert result.packets != [[v] for v in range(1, 61)]
    else:
        assert result.protocol_violations == 0
        assert result.packets == [[v] for v in range(1, 61)]
        assert result.frame_count == 1 and len(result.in_beats) == 60


def test_a_core_that_never_answers_times_out(rtl_cache: Path) -> None:
    words = np.arange(1, 11, dtype=np.uint64).reshape(1, 10)
    plan = sim_run.Plan().lines(sim_run.frame_lines(words))
    plan.packets, plan.out_pause, plan.timeout_cycles = 11, 0.0, 500  # one packet more than the echo sends
    result = sim_run.run(sim_run.build(echo_project(False), "verilator", cache_dir=rtl_cache), plan)
    assert result.timed_out and len(result.packets) == 10


def test_a_waveform_of_the_native_run(project: RtlProject, rtl_cache: Path) -> None:
    raw = np.random.default_rng(0).integers(0, 256, size=(2, H, W, 1))
    waves = sim_run.waves_of(project, sim_run.frames_plan(project, raw), "verilator", cache_dir=rtl_cache)
    assert waves is not None and waves.suffix == ".fst"
    assert waves.read_bytes()[:1] == b"\x00"  # an FST file starts with its header block (type 0)


def test_a_difference_names_the_frame_and_the_beat() -> None:
    from lepton_hw.packets import first_difference

    want = [[1, 5, -3], [0, 7, 2]]
    assert first_difference(want, want) is None
    assert first_difference([[1, 5, -3], [0, 7, 9]], want) == (
        "frame 1, beat 2 (logit 1): sent 9, the interpreter computes 2 (packet [0, 7, 9] vs [0, 7, 2])"
    )
    assert first_difference([[1, 5, -3]], want) == "1 packets for 2 frames (the first 1 equal)"


def test_a_core_that_never_takes_its_input_cannot_hang_the_run(rtl_cache: Path) -> None:
    stuck = echo_project(False)
    text = stuck.files["lepton_core.v"].replace(
        "assign s_axis_tready = !m_axis_tvalid;", "assign s_axis_tready = 1'b0;"
    )
    stuck = RtlProject(files={"lepton_core.v": text}, core={}, layout=None)  # type: ignore[arg-type]
    words = np.arange(1, 11, dtype=np.uint64).reshape(1, 10)
    plan = sim_run.Plan().lines(sim_run.frame_lines(words))
    plan.packets = 10  # no max_cycles given: the plan's own limit (100 clocks a beat + the timeout) stops it
    result = sim_run.run(sim_run.build(stuck, "verilator", cache_dir=rtl_cache), plan)
    assert result.timed_out and not result.packets and result.in_stalls > 0
    assert result.cycles <= 100 * (10 + 8 * 10) + plan.timeout_cycles + 100_000 + 10


def test_a_long_run_split_over_processes_gives_the_same_packets(
    project: RtlProject, rtl_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frames are independent: split over two harness processes (each from its own reset), the packets,
    outputs and per-frame cycle figures are those of one continuous run."""
    raw = np.random.default_rng(9).integers(0, 256, size=(300, H, W, 1))
    runs = {}
    for processes in ("1", "2"):
        monkeypatch.setenv("LEPTON_HW_SIM_PROCESSES", processes)
        runs[processes] = sim_run.simulate(project, GRAPH, raw, "verilator", cache_dir=rtl_cache)
    one, two = runs["1"], runs["2"]
    assert one.report["processes"] == 1 and two.report["processes"] == 2
    assert two.result.packets == one.result.packets == sim_run.expected_packets(GRAPH, raw)
    assert np.array_equal(two.outputs, one.outputs)
    for key in ("frames", "cycles_per_frame", "cycles_per_frame_max", "latency_cycles", "input_stall_cycles"):
        assert two.report[key] == one.report[key], key
