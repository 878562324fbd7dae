"""Precision inference: accumulators exactly as wide as a layer's weights and input range need.

The bound is computed from the actual integer weights (not from their type's range), so an
accumulator never overflows and carries no bit it cannot use. Pruned (zero) weights add
nothing to the bound.
"""

from __future__ import annotations

import numpy as np

from lepton_hw.ir.fixed import FixedType, type_for_range
from lepton_hw.ir.graph import Conv2D, Dense, Graph, Node

# float32 holds integers up to 2**24 exactly: Keras computes a layer exactly (and so can be
# compared bit for bit) while its accumulator is at most this wide.
FLOAT32_EXACT_BITS = 24


def accumulator_type(
    input_type: FixedType,
    weight: np.ndarray,
    bias: np.ndarray,
    weight_type: FixedType,
    bias_type: FixedType,
) -> FixedType:
    """The narrowest type that holds every ``sum(x * w) + b`` for inputs ``x`` of ``input_type``."""
    frac = max(input_type.frac + weight_type.frac, bias_type.frac)
    product_shift = frac - input_type.frac - weight_type.frac
    bias_shift = frac - bias_type.frac
    w = weight.reshape(-1, weight.shape[-1]).astype(object)
    positive = np.where(w > 0, w, 0).sum(axis=0)
    negative = np.where(w < 0, w, 0).sum(axis=0)
    x_lo, x_hi = input_type.min_raw, input_type.max_raw
    # Each product w*x lies between w*x_lo and w*x_hi; x_lo <= 0 <= x_hi for every type.
    hi = (positive * x_hi + negative * x_lo) * (1 << product_shift)
    lo = (positive * x_lo + negative * x_hi) * (1 << product_shift)
    b = bias.astype(object) * (1 << bias_shift)
    hi_all = max(int(v) for v in hi + b) if len(b) else 0
    lo_all = min(int(v) for v in lo + b) if len(b) else 0
    return type_for_range(min(lo_all, 0), max(hi_all, 0), frac)


def infer_precisions(graph: Graph) -> Graph:
    """Recompute every accumulator from the weights; a layer whose output was its exact
    accumulator keeps being exactly its (new) accumulator."""
    nodes: list[Node] = [graph.nodes[0]]
    in_type = graph.input.type
    for node in graph.nodes[1:]:
        if isinstance(node, (Conv2D, Dense)):
            acc = accumulator_type(in_type, node.weight, node.bias, node.weight_type, node.bias_type)
            exact_output = node.type == node.accum_type
            node = node.replace(accum_type=acc, type=acc if exact_output else node.type)
        nodes.append(node)
        in_type = node.type
    return graph.replace_nodes(tuple(nodes))


def float32_exact(graph: Graph) -> list[str]:
    """Names of layers whose accumulator is too wide for float32 (Keras) to compute exactly."""
    return [
        n.name
        for n in graph.nodes
        if isinstance(n, (Conv2D, Dense)) and n.accum_type.width - n.accum_type.signed > FLOAT32_EXACT_BITS
    ]
