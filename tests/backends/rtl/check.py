"""The one check of the RTL tests: the core's packets == the interpreter's, frame by frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.rtl import RtlProject
from lepton_hw.ir.graph import Graph
from lepton_hw.packets import first_difference
from lepton_hw.sim import run as sim_run


def assert_packets(project: RtlProject, graph: Graph, plan: sim_run.Plan, result: sim_run.SimResult,
                   expected: list[list[int]], sim: str, cache: Path) -> None:  # fmt: skip
    """Equal packets, in order, none lost or extra; on a failure, the message names the waveform."""
    if result.packets == expected and not result.timed_out:
        return
    waves = sim_run.waves_of(project, plan, sim, cache_dir=cache)
    detail = first_difference(result.packets, expected) or "timed out"
    pytest.fail(f"{graph.name} ({project.core['kernel']}, {sim}): {detail}; waveform: {waves}")


def check_frames(project: RtlProject, graph: Graph, raw: np.ndarray, sim: str, cache: Path) -> sim_run.RtlRun:
    """Simulate raw frames back to back; every packet must equal the interpreter's."""
    plan = sim_run.frames_plan(project, raw)
    sim_build = sim_run.build(project, sim, cache_dir=cache)
    result = sim_run.run(sim_build, plan, label=graph.name)
    assert_packets(project, graph, plan, result, sim_run.expected_packets(graph, raw), sim, cache)
    outputs = np.array([p[1:] for p in result.packets])
    return sim_run.RtlRun(outputs, result, sim_run.timing(result, project.layout, len(raw)), sim_build)
