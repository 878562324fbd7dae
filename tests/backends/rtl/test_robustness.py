"""The camera core under stress (Verilator): back-to-back frames, random backpressure on both
streams, a stalled output, a reset in mid-frame and malformed frames; with the result queue in
flip-flops (the default) and in block RAM (iCE40).

The network is lepton_hw/testing/ir_cases.py's "odd_frame_k5_same" (10x12 frames, a 5x5 same
convolution whose last outputs overlap the next frame, 3x3 pooling with partial windows, dense):
it exercises every part of the streaming schedule. Every packet is compared with the interpreter.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.rtl import RtlProject, build_rtl
from lepton_hw.sim import run as sim_run
from lepton_hw.testing.ir_cases import CASES
from tests.backends.rtl.check import assert_packets

pytestmark = pytest.mark.rtl

SIM = "verilator"
GRAPH = CASES["odd_frame_k5_same"]
H, W = GRAPH.input.shape[:2]


@pytest.fixture(scope="module", params=["queue_in_flip_flops", "queue_in_block_ram"])
def project(request: pytest.FixtureRequest) -> RtlProject:
    """The core as built, and with its result queue in block RAM (RESULT_QUEUE_BRAM = 1, as lepton_hw's
    iCE40 synthesis sets it): the queue is what backpressure, stalls and dropped frames exercise."""
    built = build_rtl(GRAPH, kernel="da")
    if request.param == "queue_in_flip_flops":
        return built
    top = built.files["lepton_core.v"]
    assert "parameter integer RESULT_QUEUE_BRAM = 0" in top
    top = top.replace("parameter integer RESULT_QUEUE_BRAM = 0", "parameter integer RESULT_QUEUE_BRAM = 1")
    return dataclasses.replace(built, files={**built.files, "lepton_core.v": top})


def frames(n: int, seed: int) -> np.ndarray:
    raw = np.random.default_rng(seed).integers(0, 256, size=(n, H, W, 1))
    raw[0] = 255
    return raw


def words(raw: np.ndarray, project: RtlProject) -> list[np.ndarray]:
    return list(sim_run.input_words(raw, project.layout))


def simulate(project: RtlProject, plan: sim_run.Plan, cache: Path) -> sim_run.SimResult:
    return sim_run.run(sim_run.build(project, SIM, cache_dir=cache), plan, label="robust")


def test_back_to_back_frames_take_one_clock_per_pixel(project: RtlProject, rtl_cache: Path) -> None:
    raw = frames(10, seed=1)
    plan = sim_run.frames_plan(project, raw)
    result = simulate(project, plan, rtl_cache)
    assert_packets(project, GRAPH, plan, result, sim_run.expected_packets(GRAPH, raw), SIM, rtl_cache)
    report = sim_run.timing(result, project.layout, len(raw))
    assert report["cycles_per_frame_max"] <= H * W + 8, report
    assert result.in_stalls == 0 and result.out_stalls == 0


@pytest.mark.parametrize("in_pause, out_pause", [(0.3, 0.0), (0.0, 0.6), (0.4, 0.5)])
def test_random_backpressure_loses_and_duplicates_nothing(
    project: RtlProject, rtl_cache: Path, in_pause: float, out_pause: float
) -> None:
    raw = frames(12, seed=2)
    plan = sim_run.frames_plan(project, raw)
    plan.in_pause, plan.out_pause, plan.seed = in_pause, out_pause, 7
    result = simulate(project, plan, rtl_cache)
    assert_packets(project, GRAPH, plan, result, sim_run.expected_packets(GRAPH, raw), SIM, rtl_cache)
    assert result.frame_count == len(raw)


def test_a_stalled_output_stops_the_input_at_a_frame_start(project: RtlProject, rtl_cache: Path) -> None:
    raw = frames(6, seed=3)
    plan = sim_run.frames_plan(project, raw)
    plan.out_pause = 0.97  # the sink takes a beat about every 33 clocks
    result = simulate(project, plan, rtl_cache)
    assert_packets(project, GRAPH, plan, result, sim_run.expected_packets(GRAPH, raw), SIM, rtl_cache)
    assert result.in_stalls > 0  # the core did hold the camera back
    # ... and only at starts of frame: inside a frame every pixel is taken in consecutive clocks
    beats = result.in_beats
    for k in range(len(raw)):
        frame = beats[k * H * W : (k + 1) * H * W]
        assert frame[-1][0] - frame[0][0] == H * W - 1


def test_reset_in_mid_frame_then_good_frames(project: RtlProject, rtl_cache: Path) -> None:
    raw = frames(6, seed=4)
    w = words(raw, project)
    plan = sim_run.Plan().frames(w[:2])
    plan.lines(sim_run.frame_lines(w[2])[:4])  # four lines of frame 2, then a reset
    plan.reset(5)
    plan.frames(w[3:])
    result = simulate(project, plan, rtl_cache)
    expected = sim_run.expected_packets(GRAPH, raw[[0, 1, 3, 4, 5]])
    assert_packets(project, GRAPH, plan, result, expected, SIM, rtl_cache)


def test_malformed_frames_are_flagged_and_dropped(project: RtlProject, rtl_cache: Path) -> None:
    raw = frames(10, seed=5)
    w = words(raw, project)
    expected: list[int] = []
    plan = sim_run.Plan()

    def good_frame(k: int) -> None:
        plan.frames([w[k]])
        expected.append(k)

    good_frame(0)
    short = sim_run.frame_lines(w[1])
    short[3] = (0, short[3][1][:5])  # a short line
    plan.lines(short)
    good_frame(2)
    plan.lines([(0, line) for _, line in sim_run.frame_lines(w[3])])  # no start of frame
    good_frame(4)
    long = sim_run.frame_lines(w[5])
    long[2] = (0, long[2][1] + [1, 2, 3])  # a long line
    plan.lines(long)
    good_frame(6)
    plan.lines(sim_run.frame_lines(w[7])[:6])  # cut short: the next start of frame comes early
    good_frame(8)
    long_last = sim_run.frame_lines(w[9])
    long_last[-1] = (0, long_last[-1][1] + [9])  # the last line is long
    plan.lines(long_last)
    good_frame(4)
    result = simulate(project, plan, rtl_cache)
    assert_packets(project, GRAPH, plan, result, sim_run.expected_packets(GRAPH, raw[expected]), SIM, rtl_cache)
    assert result.err_malformed == 1
    assert result.frame_count == len(expected)
