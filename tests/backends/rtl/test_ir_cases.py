"""Hand-built networks (tests/backends/rtl/ir_cases.py) through both kernels: lint, Icarus, ==."""

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
from tests.backends.rtl.check import check_frames
from tests.backends.rtl.ir_cases import CASES, U8, T, chain

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
