"""The camera core's result packet (DESIGN.md), from the golden model: what the HLS wrapper and the
RTL core must both send for a frame."""

from __future__ import annotations

import numpy as np

from lepton_hw.ir import interp
from lepton_hw.ir.graph import Graph


def result_packet(raw_logits: np.ndarray) -> list[int]:
    """The result packet of one frame: argmax (lowest index on a tie), then the raw logits."""
    logits = [int(v) for v in np.asarray(raw_logits).ravel()]
    return [int(np.argmax(logits)), *logits]


def expected_packets(graph: Graph, raw: np.ndarray) -> list[list[int]]:
    """The packet of each raw input frame (N, *input shape), as the interpreter computes it."""
    if len(raw) == 0:
        return []
    out = np.asarray(interp.run(graph, np.asarray(raw))).reshape(len(raw), -1)
    return [result_packet(row) for row in out]
