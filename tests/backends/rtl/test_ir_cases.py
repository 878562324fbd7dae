"""Hand-built networks (lepton_hw/testing/ir_cases.py) through both kernels: lint, Icarus, ==."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.rtl import build_rtl, write_rtl
from lepton_hw.backends.rtl.cmvm import KERNELS
from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.ir.graph import Graph
from lepton_hw.sim.run import require_simulator
from lepton_hw.testing.ir_cases import CASES, U8, T, chain
from tests.backends.rtl.check import check_frames

pytestmark = pytest.mark.rtl


def raw_frames(graph: Graph, n: int, seed: int) -> np.ndarray:
    """n raw input frames: the type's minimum, its maximum, then uniform noise."""
    t = graph.input.type
    raw = np.random.default_rng(seed).integers(t.min_raw, t.max_raw + 1, size=(n, *graph.input.shape))
    raw[0], raw[1] = t.min_raw, t.max_raw
    return raw


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_case_in_icarus_equals_interpreter(name: str, kernel: str, rtl_cache: Path) -> None:
    graph = CASES[name]
    project = build_rtl(graph, kernel=kernel)
    run = check_frames(project, graph, raw_frames(graph, 6, seed=len(name)), "icarus", rtl_cache)
    # one pixel per clock, unless the packet is longer than the frame (conv_only: 41 beats, 30 pixels)
    pixels = project.layout.height * project.layout.width
    assert run.report["cycles_per_frame_max"] <= max(pixels, project.layout.n_outputs + 1) + 8


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_verilator_lint_is_clean_and_icarus_compiles(name: str, kernel: str, tmp_path: Path) -> None:
    require_simulator("verilator")
    project = build_rtl(CASES[name], kernel=kernel)
    write_rtl(project, tmp_path / "rtl")
    sources = project.sources
    lint = subprocess.run(
        ["verilator", "--lint-only", "-Wall", "--top-module", "lepton_core", *sources],
        cwd=tmp_path / "rtl", capture_output=True, text=True, check=False,
    )  # fmt: skip
    warnings = [line for line in lint.stderr.splitlines() if line.startswith("%")]
    assert lint.returncode == 0 and not warnings, "\n".join(warnings[:20])
    assert shutil.which("iverilog"), "Icarus Verilog is part of the install (scripts/install.sh)"
    compiled = subprocess.run(
        ["iverilog", "-g2005", "-o", str(tmp_path / "core.vvp"), "-s", "lepton_core", *sources],
        cwd=tmp_path / "rtl", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stderr


def test_same_padding_taller_than_the_input_is_refused_by_name() -> None:
    graph = chain("too_tall", (2, 6, 1), U8, [
        ("conv", 2, (5, 5), 1, "same", T("ap_fixed<10,4>")), ("flatten",), ("dense", 2, T("ap_fixed<14,6>")),
    ], seed=0)  # fmt: skip
    with pytest.raises(UnsupportedLayerError, match=r"layer 'conv0' \(conv2d\): same padding adds 2 row"):
        build_rtl(graph)


def test_output_wider_than_a_beat_is_refused() -> None:
    graph = chain("wide", (4,), U8, [("dense", 2, T("ap_fixed<40,20>"))], seed=0)
    with pytest.raises(UnsupportedLayerError, match="result beats hold 32"):
        build_rtl(graph)


def test_layer_names_that_are_not_verilog_identifiers(tmp_path: Path, rtl_cache: Path) -> None:
    """Names with dashes, names that clash with the top's own wires, names holding rounding-flag words."""
    graph = CASES["rounding_modes"]
    names = ["input", "conv-1", "odd", "at_half", "frame", "res", "2nd", "negative"]
    renamed = graph.replace_nodes(tuple(n.replace(name=name) for n, name in zip(graph.nodes, names, strict=False)))
    project = build_rtl(renamed, kernel="da")
    check_frames(project, renamed, raw_frames(renamed, 4, seed=8), "icarus", rtl_cache)


def test_one_pixel_frames_with_a_stalled_output(rtl_cache: Path) -> None:
    """1x1 frames arrive every clock: the result queue must still admit no more frames than it holds."""
    from lepton_hw.sim import run as sim_run
    from tests.backends.rtl.check import assert_packets

    graph = chain("one_pixel", (1,), U8, [("dense", 3, T("ap_fixed<12,4>"))], seed=9)
    project = build_rtl(graph)
    raw = raw_frames(graph, 12, seed=9)
    plan = sim_run.frames_plan(project, raw)
    plan.out_pause, plan.seed = 0.9, 3
    result = sim_run.run(sim_run.build(project, "icarus", cache_dir=rtl_cache), plan)
    assert_packets(project, graph, plan, result, sim_run.expected_packets(graph, raw), "icarus", rtl_cache)


def test_a_feature_map_output_too_large_to_collect_is_refused() -> None:
    graph = chain("wide_map", (16, 16, 1), U8, [("conv", 64, (1, 1), 1, "valid", T("ap_fixed<16,6>"))], seed=0)
    with pytest.raises(UnsupportedLayerError, match=r"'conv0'.*16x16x64 feature map takes 262144"):
        build_rtl(graph)


def test_maxpool_and_flatten_keep_their_input_type() -> None:
    from lepton_hw.errors import IRError

    graph = chain("pool", (4, 4, 1), T("ap_fixed<8,3>"), [("maxpool", 2, 2, "valid")], seed=0)
    pool = graph.nodes[1].replace(type=T("ap_fixed<4,2,AP_RND,AP_SAT>"))
    with pytest.raises(IRError, match=r"'maxpool0' \(maxpool2d\): type .* must be its input's type"):
        Graph("pool", (graph.nodes[0], pool))
