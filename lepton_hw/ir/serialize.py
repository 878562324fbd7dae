"""DIR/ir.json (graph, types, schema version) + DIR/weights.npz (integer arrays), exact round-trip.

ir.json, version 1::

    {"format": "lepton_hw.ir", "version": 1, "name": "...", "source": {...},
     "nodes": [{"op": "conv2d", "name": "conv1", "shape": [30, 30, 8], "type": "ap_fixed<14,6>",
                "weight": "conv1/weight", "weight_type": "ap_fixed<4,1,AP_RND_CONV,AP_SAT>", ...}]}

Each array field names its key in weights.npz; arrays are stored as int64.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw.errors import IRError, LeptonError
from lepton_hw.fsutil import atomic_write_bytes
from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import NODE_CLASSES, Conv2D, Dense, Graph, Node
from lepton_hw.passes.precision import accumulator_type
from lepton_hw.safe_io import check_npz, check_shape

MAX_IR_BYTES = 100_000_000  # ir.json holds names and types; the weights are in weights.npz

FORMAT = "lepton_hw.ir"
VERSION = 1
IR_FILE = "ir.json"
WEIGHTS_FILE = "weights.npz"


def graph_to_json(graph: Graph) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON document and the arrays (npz keys -> int64 arrays) of a graph."""
    arrays: dict[str, np.ndarray] = {}
    nodes = []
    for node in graph.nodes:
        entry: dict[str, Any] = {"op": node.op}
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, np.ndarray):
                if value.dtype == object:
                    raise IRError(f"node {node.name!r}: {f.name} has values wider than 64 bits; cannot be saved")
                key = f"{node.name}/{f.name}"
                arrays[key] = value.astype(np.int64)
                entry[f.name] = key
            elif isinstance(value, FixedType):
                entry[f.name] = value.to_json()
            elif isinstance(value, tuple):
                entry[f.name] = list(value)
            else:
                entry[f.name] = value
        nodes.append(entry)
    doc = {"format": FORMAT, "version": VERSION, "name": graph.name, "source": graph.source, "nodes": nodes}
    return doc, arrays


def graph_from_json(doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> Graph:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise IRError(f'not a lepton_hw IR document (expected "format": "{FORMAT}")')
    if doc.get("version") != VERSION:
        raise IRError(
            f"IR schema version {doc.get('version')!r} is not supported; this lepton_hw reads version {VERSION}"
        )
    nodes: list[Node] = []
    for i, entry in enumerate(doc.get("nodes", [])):
        op = entry.get("op")
        cls = NODE_CLASSES.get(op)
        if cls is None:
            raise IRError(f"node {i}: unknown op {op!r}; known: {', '.join(NODE_CLASSES)}")
        check_shape(entry.get("shape"), f"node {i} ({entry.get('name', op)})", IRError)  # before any array is made
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in entry:
                if f.default is not dataclasses.MISSING:
                    continue
                raise IRError(f"node {i} ({op}): missing field {f.name!r}")
            kwargs[f.name] = _decode_field(str(f.type), entry[f.name], arrays, f"node {i} ({op}) field {f.name!r}")
        nodes.append(cls(**kwargs))
    return Graph(str(doc.get("name", "model")), tuple(nodes), dict(doc.get("source", {})))


def _decode_field(annotation: str, value: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    if "ndarray" in annotation:
        if value not in arrays:
            raise IRError(f"{where}: array {value!r} is missing from {WEIGHTS_FILE}")
        return arrays[value]
    if "FixedType" in annotation:
        return FixedType.from_json(value)
    if annotation.startswith(("tuple", "Shape")):
        if not isinstance(value, list):
            raise IRError(f"{where}: expected a list, got {value!r}")
        return tuple(int(v) for v in value)
    return value


def save_graph(graph: Graph, directory: Path) -> None:
    """Write ir.json and weights.npz into an existing directory (each file atomically)."""
    doc, arrays = graph_to_json(graph)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    atomic_write_bytes(directory / WEIGHTS_FILE, buffer.getvalue())
    atomic_write_bytes(directory / IR_FILE, (json.dumps(doc, indent=1) + "\n").encode())


def load_graph(directory: Path | str) -> Graph:
    """Read DIR/ir.json + DIR/weights.npz; a clear IRError when they are missing or malformed."""
    directory = Path(directory)
    ir_path = directory / IR_FILE
    if not ir_path.is_file():
        raise IRError(f"{directory} holds no {IR_FILE}; create it with `lepton-hw import MODEL -o {directory}`")
    try:
        doc = json.loads(ir_path.read_text())
    except (OSError, ValueError) as err:
        raise IRError(f"cannot read {ir_path}: {err}") from None
    if ir_path.stat().st_size > MAX_IR_BYTES:
        raise IRError(f"{ir_path} is {ir_path.stat().st_size:,} bytes; an IR document is far smaller")
    try:
        if (directory / WEIGHTS_FILE).is_file():
            check_npz(directory / WEIGHTS_FILE, IRError)
        with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as err:
        raise IRError(f"cannot read {directory / WEIGHTS_FILE}: {err}") from None
    try:
        graph = graph_from_json(doc, arrays)
    except LeptonError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, ZeroDivisionError) as err:
        raise IRError(f"{ir_path} is malformed: {err}") from None
    check_accumulators(graph)
    model = graph.source.get("model")
    if model and not Path(model).is_absolute():  # recorded relative to the IR folder (a movable training output)
        graph = Graph(graph.name, graph.nodes, dict(graph.source, model=str((directory / model).resolve())))
    return graph


def check_accumulators(graph: Graph) -> None:
    """Every accumulator must hold its layer's exact sums (the interpreter never wraps one)."""
    in_type = graph.input.type
    for node in graph.nodes[1:]:
        if isinstance(node, (Conv2D, Dense)):
            needed = accumulator_type(in_type, node.weight, node.bias, node.weight_type, node.bias_type)
            if not node.accum_type.contains(needed):
                raise IRError(
                    f"node {node.name!r}: accumulator {node.accum_type} cannot hold its exact sums; at least {needed}"
                )
        in_type = node.type
