"""The generated Verilog project is reproducible: the same model gives byte-identical files wherever it lies."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lepton_hw.backends.rtl.project import build_rtl, write_rtl
from lepton_hw.ir.serialize import load_graph, save_graph
from lepton_hw.schedule import ScheduleOptions
from lepton_hw.testing.ir_cases import CASES

DIGEST = "0123456789abcdef" * 4


@pytest.mark.parametrize("frame", [None, (47, 31)], ids=["one_tile", "tiled"])
def test_the_same_model_in_two_folders_gives_identical_files(frame: tuple[int, int] | None, tmp_path: Path) -> None:
    written = []
    for place in ("first/place", "second/elsewhere"):
        # the IR records its model relative to itself; loading it makes the path absolute
        graph = replace(CASES["pool_pool_dense"], source={"model": "../model.h5", "sha256": DIGEST})
        (tmp_path / place / "ir").mkdir(parents=True)
        save_graph(graph, tmp_path / place / "ir")
        loaded = load_graph(tmp_path / place / "ir")
        assert Path(loaded.source["model"]).is_absolute()
        project = build_rtl(loaded, options=ScheduleOptions(frame=frame))
        write_rtl(project, tmp_path / place / "rtl")
        written.append({p.name: p.read_bytes() for p in sorted((tmp_path / place / "rtl").iterdir())})
    assert written[0] == written[1]
    for name, data in written[0].items():
        assert str(tmp_path).encode() not in data, f"{name} names the folder it was built in"
    top = written[0]["lepton_core.v"].decode()
    assert f"model.h5 (sha256 {DIGEST[:16]})" in top.splitlines()[1]
