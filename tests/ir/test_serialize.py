"""ir.json + weights.npz: exact round trip, clear errors on malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.errors import IRError
from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import Conv2D, Dense, Flatten, Graph, Input, MaxPool2D, ReLU
from lepton_hw.ir.serialize import load_graph, save_graph
from lepton_hw.passes.precision import infer_precisions


def _graph() -> Graph:
    rng = np.random.default_rng(3)
    wt = FixedType(True, 5, 1, "RND_CONV", "SAT_SYM")
    bt = FixedType(True, 8, 3, "RND_CONV", "SAT")
    u8 = FixedType(False, 8, 0)
    nodes = (
        Input("in", (6, 6, 1), u8),
        Conv2D(
            "c",
            (6, 6, 2),
            wt,
            rng.integers(-16, 16, (3, 3, 1, 2)),
            rng.integers(-128, 128, 2),
            wt,
            bt,
            wt,
            (1, 1),
            "same",
        ),
        ReLU("r", (6, 6, 2), FixedType(False, 4, 2, "RND_CONV", "SAT")),
        MaxPool2D("p", (3, 3, 2), FixedType(False, 4, 2, "RND_CONV", "SAT"), (2, 2), (2, 2), "valid"),
        Flatten("f", (18,), FixedType(False, 4, 2, "RND_CONV", "SAT")),
        Dense("d", (3,), wt, rng.integers(-16, 16, (18, 3)), rng.integers(-128, 128, 3), wt, bt, wt),
    )
    return infer_precisions(Graph("m", nodes, {"model": "/x/model.h5"}))


def test_round_trip_is_exact(tmp_path: Path) -> None:
    graph = _graph()
    save_graph(graph, tmp_path)
    loaded = load_graph(tmp_path)
    assert loaded == graph
    assert loaded.source == graph.source
    assert all(a == b for a, b in zip(loaded.nodes, graph.nodes, strict=True))
    # and a changed weight makes them differ: the comparison can fail
    conv = graph.nodes[1]
    changed = conv.replace(weight=np.where(conv.weight == 0, 1, 0))
    assert graph.replace_nodes((graph.nodes[0], changed, *graph.nodes[2:])) != loaded


def test_version_and_ops_are_checked(tmp_path: Path) -> None:
    save_graph(_graph(), tmp_path)
    doc = json.loads((tmp_path / "ir.json").read_text())
    doc["version"] = 99
    (tmp_path / "ir.json").write_text(json.dumps(doc))
    with pytest.raises(IRError, match="version 99"):
        load_graph(tmp_path)
    doc["version"] = 1
    doc["nodes"][2]["op"] = "lstm"
    (tmp_path / "ir.json").write_text(json.dumps(doc))
    with pytest.raises(IRError, match="unknown op 'lstm'"):
        load_graph(tmp_path)


def test_missing_files_say_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(IRError, match="lepton-hw import"):
        load_graph(tmp_path)
    save_graph(_graph(), tmp_path)
    (tmp_path / "weights.npz").write_bytes(b"not a zip")
    with pytest.raises(IRError, match=r"weights\.npz"):
        load_graph(tmp_path)


def test_malformed_fields_and_narrow_accumulators_are_refused(tmp_path: Path) -> None:
    save_graph(_graph(), tmp_path)
    original = json.loads((tmp_path / "ir.json").read_text())
    doc = json.loads(json.dumps(original))
    doc["nodes"][1]["strides"] = [2]
    (tmp_path / "ir.json").write_text(json.dumps(doc))
    with pytest.raises(IRError, match="strides"):
        load_graph(tmp_path)
    doc = json.loads(json.dumps(original))
    doc["nodes"][1]["accum_type"] = "ap_fixed<6,2>"
    (tmp_path / "ir.json").write_text(json.dumps(doc))
    with pytest.raises(IRError, match="accumulator ap_fixed<6,2> cannot hold"):
        load_graph(tmp_path)
