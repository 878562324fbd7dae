"""The camera core's result packet (DESIGN.md), from the golden model: what the HLS wrapper and the
RTL core must both send for a frame."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lepton_hw.ir import interp
from lepton_hw.ir.graph import Graph

if TYPE_CHECKING:
    from lepton_hw.backends.rtl.layout import Tiling


def result_packet(raw_logits: np.ndarray) -> list[int]:
    """The result packet of one frame: argmax (lowest index on a tie), then the raw logits."""
    logits = [int(v) for v in np.asarray(raw_logits).ravel()]
    return [int(np.argmax(logits)), *logits]


def expected_packets(graph: Graph, raw: np.ndarray, tiling: Tiling | None = None) -> list[list[int]]:
    """The packet of each raw input frame (N, *input shape), as the interpreter computes it; with
    ``tiling``, of each whole frame (N, H, W, C): its tiles' results (lepton_hw.tiles)."""
    if len(raw) == 0:
        return []
    if tiling is not None:
        from lepton_hw.tiles import frame_packet, tile_map

        return [frame_packet(m) for m in tile_map(graph, np.asarray(raw))]
    out = np.asarray(interp.run(graph, np.asarray(raw))).reshape(len(raw), -1)
    return [result_packet(row) for row in out]


def first_difference(got: list[list[int]], want: list[list[int]]) -> str | None:
    """Where two packet lists first differ, naming the frame and the beat; None when they are equal."""
    if got == want:
        return None
    for k, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            beat = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            what = "the class index" if beat == 0 else f"logit {beat - 1}"
            sent = a[beat] if beat < len(a) else "no beat"
            computed = b[beat] if beat < len(b) else "no beat"
            return (
                f"frame {k}, beat {beat} ({what}): sent {sent}, the interpreter computes {computed} (packet {a} vs {b})"
            )
    return f"{len(got)} packets for {len(want)} frames (the first {min(len(got), len(want))} equal)"
