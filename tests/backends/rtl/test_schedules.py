"""The core built as different schedules computes the same packets as the interpreter, bit for bit.

One small network of the camera example's shape (ir_cases.pool_pool_dense: conv, relu, pool twice,
then a dense layer) built with every kind of choice the schedule makes: pipeline depths 0-3, the
dense layer folded (the default) or a full-rate graph on the collected map, a convolution forced to
a folded MAC, to a full-rate graph or to bit slices that do not divide its input's bits (at pipeline 0
the schedule makes the second convolution bit-serial, and at 4 clocks per pixel the first too), one and
several clocks per pixel, and the folded multipliers in LUTs or as `*` for DSP blocks. Each core runs
in Icarus on frames sent back to back: packets equal, a frame every H x W x clocks_per_pixel clocks,
and with one clock per pixel no stall of the camera.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.rtl import build_rtl
from lepton_hw.schedule import LayerChoice, ScheduleOptions
from lepton_hw.sim.run import require_simulator
from lepton_hw.testing.ir_cases import CASES
from tests.backends.rtl.check import check_frames

pytestmark = pytest.mark.rtl

GRAPH = CASES["pool_pool_dense"]
SCHEDULES = {
    "default": ScheduleOptions(),
    "pipeline0": ScheduleOptions(pipeline=0),
    "pipeline2": ScheduleOptions(pipeline=2),
    "pipeline3_mac": ScheduleOptions(pipeline=3, kernel="mac"),
    "dense_full_rate": ScheduleOptions(layers={"dense7": LayerChoice(impl="da")}),
    "dense_fold2": ScheduleOptions(layers={"dense7": LayerChoice(fold=2)}),
    "conv_folded_cpp2": ScheduleOptions(clocks_per_pixel=2, layers={"conv3": LayerChoice(impl="fold", fold=4)}),
    "cpp3": ScheduleOptions(clocks_per_pixel=3),
    "conv_full_rate_da_pipeline0": ScheduleOptions(pipeline=0, layers={"conv3": LayerChoice(impl="da")}),
    "conv_serial_uneven_slices": ScheduleOptions(layers={"conv3": LayerChoice(impl="serial", fold=3)}),
    "cpp4_serial_pipeline0": ScheduleOptions(clocks_per_pixel=4, pipeline=0),
}


def _frames(n: int, seed: int) -> np.ndarray:
    t = GRAPH.input.type
    raw = np.random.default_rng(seed).integers(t.min_raw, t.max_raw + 1, size=(n, *GRAPH.input.shape))
    raw[0], raw[1] = t.min_raw, t.max_raw
    return raw


def _check(options: ScheduleOptions, cache: Path, parameters: dict[str, int] | None = None) -> None:
    require_simulator("icarus")
    project = build_rtl(GRAPH, options=options)
    top = project.files["lepton_core.v"]
    for name, value in (parameters or {}).items():  # the other forms synthesis selects per family
        default = "1" if name == "LUT_MULTIPLIERS" else "0"
        assert f"parameter integer {name} = {default}" in top
        top = top.replace(f"parameter integer {name} = {default}", f"parameter integer {name} = {value}")
    project = dataclasses.replace(project, files={**project.files, "lepton_core.v": top})
    run = check_frames(project, GRAPH, _frames(6, 7), "icarus", cache)
    pixels = GRAPH.input.shape[0] * GRAPH.input.shape[1]
    report = run.report
    assert report["cycles_per_frame_max"] == pixels * options.clocks_per_pixel, report
    assert report["latency_cycles"] <= 64, report
    if options.clocks_per_pixel == 1:
        assert report["input_stall_cycles"] == 0, report


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_is_bit_exact(name: str, rtl_cache: Path) -> None:
    _check(SCHEDULES[name], rtl_cache)


def test_dsp_multipliers_are_bit_exact(rtl_cache: Path) -> None:
    """The folded multipliers as `*` (Xilinx synthesis: DSP blocks)."""
    _check(ScheduleOptions(layers={"dense7": LayerChoice(fold=2)}), rtl_cache, {"LUT_MULTIPLIERS": 0})


def test_weights_in_luts_are_bit_exact(rtl_cache: Path) -> None:
    """The weight ROM as LUTs (ECP5 synthesis), with DSP multipliers too."""
    _check(ScheduleOptions(), rtl_cache, {"ROM_IN_LUTS": 1, "LUT_MULTIPLIERS": 0})


def test_core_json_records_the_schedule() -> None:
    project = build_rtl(GRAPH, options=SCHEDULES["conv_folded_cpp2"])
    schedule = project.core["schedule"]
    assert schedule["clocks_per_pixel"] == 2 and schedule["pipeline"] == 1
    assert schedule["layers"]["conv3"]["impl"] == "fold" and schedule["layers"]["conv3"]["forced"]
    assert schedule["layers"]["conv3"]["fold"] == 4 and schedule["layers"]["dense7"]["impl"] == "fold"
    assert set(schedule["stages"]) >= {"conv0", "relu1", "conv3", "dense7", "argmax"}
    assert project.core["layers"]["conv3"]["kernel"] == "fold"
    # a ReLU after a conv whose cast is exact takes no stage of its own
    assert schedule["stages"]["relu1"] == 0


@pytest.mark.parametrize("seed", range(6))
def test_conv_and_relu_share_one_exact_cast(seed: int, rtl_cache: Path) -> None:
    """A conv whose type is its exact sum hands it to the ReLU's cast, with the rounding constant in
    the bias: random weights and biases and the ReLU types of the examples, against the interpreter in
    Icarus. (A sum widened by the constant once lost its operand's sign bit; the trained model that
    showed it runs in tests/flow: test_a_training_change_reruns_from_training_on.)"""
    from lepton_hw.testing.ir_cases import U8, T, chain

    relu = ["ap_ufixed<4,2,AP_RND_CONV,AP_SAT>", "ap_ufixed<4,1,AP_RND_CONV,AP_SAT>", "ap_ufixed<3,2,AP_RND,AP_SAT>"]
    graph = chain(
        f"fused{seed}", (6, 6, 1), U8,
        [("conv", 4, (3, 3), 1, "valid", None), ("relu", T(relu[seed % 3])), ("flatten",), ("dense", 3, None)],
        seed=100 + seed,
    )  # fmt: skip
    require_simulator("icarus")
    project = build_rtl(graph, options=ScheduleOptions(pipeline=seed % 2))
    assert project.core["schedule"]["stages"]["relu1"] == 0  # fused
    t = graph.input.type
    raw = np.random.default_rng(seed).integers(t.min_raw, t.max_raw + 1, size=(8, *graph.input.shape))
    raw[0], raw[1] = t.min_raw, t.max_raw
    check_frames(project, graph, raw, "icarus", rtl_cache)
