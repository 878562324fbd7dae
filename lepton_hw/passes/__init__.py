"""Passes: pure functions IR -> IR, composed in an explicit order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lepton_hw.ir.graph import Graph

Pass = Callable[[Graph], Graph]


def run_passes(graph: Graph, passes: Sequence[Pass]) -> Graph:
    """Apply ``passes`` in order; each returns a new graph."""
    for p in passes:
        graph = p(graph)
    return graph
