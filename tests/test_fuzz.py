"""The fuzzers of lepton_hw.testing.fuzz: a small soak in the default suite, and a broken core caught.

`make fuzz` runs them at size (README quotes a 100,000-frame soak and a 100-model sweep); here the
soak runs 3,000 frames with every kind of event, and the same soak on a result queue that drops a
beat under backpressure must report it. The model sweep runs a few models in the slow suite.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lepton_hw.backends.rtl import build_rtl
from lepton_hw.testing import fuzz
from lepton_hw.testing.ir_cases import CASES

pytestmark = pytest.mark.rtl


def test_soak_every_event_no_mismatch(rtl_cache: Path) -> None:
    report = fuzz.soak(3_000, seed=1, cache=rtl_cache, log=lambda line: None)
    assert report.mismatches == 0 and report.protocol_violations == 0, report.summary()
    assert report.frames == 3_000 and report.packets >= 2_000
    assert all(report.events[name] > 0 for name in fuzz.EVENTS), report.events


def test_soak_catches_a_core_that_drops_a_beat(rtl_cache: Path) -> None:
    graph = CASES["odd_frame_k5_same"]
    project = build_rtl(graph)
    good = "wire retire = head_ready && (head_bad || (m_tready && m_tlast));"
    files = dict(project.files)
    assert good in files["lepton_result.v"]
    files["lepton_result.v"] = files["lepton_result.v"].replace(good, good.replace("m_tready && m_tlast", "m_tlast"))
    broken = dataclasses.replace(project, files=files)
    lines: list[str] = []
    report = fuzz.soak(1_000, seed=2, graph=graph, project=broken, cache=rtl_cache, log=lines.append)
    assert report.mismatches > 0 or report.protocol_violations > 0, report.summary()


@pytest.mark.slow
@pytest.mark.keras
@pytest.mark.hls
def test_random_models_through_every_engine(tmp_path: Path) -> None:
    report = fuzz.random_models(count=6, seed=2000, cache=tmp_path, log=lambda line: None)
    assert report.models == 6 and not report.mismatches, report.summary()
