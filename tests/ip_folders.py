"""Small DIR/ip folders for the packaging tests (IP-XACT, FuseSoC): a one-tile core and a tiled core of the
pool_pool_dense test network, assembled by lepton_hw.ip.write_ip from DIR/ir.json and DIR/rtl (about 0.5 s)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lepton_hw.backends.rtl.project import RtlProject, build_rtl, write_rtl
from lepton_hw.ip import write_ip
from lepton_hw.ir.serialize import save_graph
from lepton_hw.packaging import packaging_files
from lepton_hw.schedule import ScheduleOptions
from lepton_hw.testing.ir_cases import CASES

CASE = "pool_pool_dense"
TILED_FRAME = (47, 31)  # width, height: 3 x 2 tiles of 14 x 14
KINDS = ("one_tile", "tiled")


def project(kind: str) -> RtlProject:
    options = ScheduleOptions(frame=TILED_FRAME) if kind == "tiled" else None
    return build_rtl(CASES[CASE], options=options)


def make_ip(root: Path, kind: str, frames: int = 3, seed: int = 1) -> Path:
    """DIR/ip of a ``kind`` core under ``root``, with its packaging files (IP-XACT, FuseSoC); returns DIR/ip."""
    graph = CASES[CASE]
    directory = root / kind
    directory.mkdir(parents=True)
    save_graph(graph, directory)
    write_rtl(project(kind), directory / "rtl")
    t = graph.input.type
    rng = np.random.default_rng(seed)
    shape = (TILED_FRAME[1], TILED_FRAME[0], graph.input.shape[2]) if kind == "tiled" else graph.input.shape
    raw = rng.integers(t.min_raw, t.max_raw + 1, size=(frames, *shape))
    ip = write_ip(directory, raw)
    for name, text in packaging_files(ip).items():  # what write_ip is to write too
        (ip / name).write_text(text)
    return ip
