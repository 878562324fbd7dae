"""metrics.json: accuracy, per-class figures and the cost of a trained, imported model.

Accuracy is measured with the integer interpreter (what the hardware computes), not Keras.
Costs come from the IR, i.e. from the quantized integer weights:

- ``params`` counts weights and biases, ``nonzero_params`` those that are not zero;
- ``macs`` counts every multiply-accumulate of a dense computation, ``nonzero_macs`` skips
  zero weights (a pruned weight costs no hardware);
- ``bops`` are bit operations as HGQ (Sun et al., 2024) counts them: for every non-zero weight
  multiply, weight bits x input bits;
- ``bops_baskin`` is the formula of Baskin et al. used by the hls4ml/AutoQKeras paper
  (Coelho et al., 2021): per output, n inputs, sparsity p:
  ``n * ((1 - p) * b_w * b_a + b_w + b_a + log2(n))``, which also counts the adders.

Per layer, ``sparsity_pruned`` is the fraction of weights the pruning mask set to zero (what
the pruning schedule controls) and ``sparsity`` the fraction of quantized weights that are zero
(pruned, plus the small weights that quantization rounds to zero).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lepton_hw.ir.graph import Conv2D, Dense, Graph, Node


def classification_metrics(labels: np.ndarray, predicted: np.ndarray, classes: tuple[str, ...]) -> dict[str, Any]:
    """Accuracy, per-class precision and recall, and the confusion matrix (rows: true class)."""
    k = len(classes)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = {}
    for i, name in enumerate(classes):
        predicted_i, actual_i = int(confusion[:, i].sum()), int(confusion[i].sum())
        per_class[name] = {
            "precision": float(confusion[i, i] / predicted_i) if predicted_i else 0.0,
            "recall": float(confusion[i, i] / actual_i) if actual_i else 0.0,
            "support": actual_i,
        }
    return {
        "accuracy": float(np.trace(confusion) / max(len(labels), 1)),
        "per_class": per_class,
        "confusion_matrix": confusion.tolist(),
    }


def layer_costs(graph: Graph, pruned_sparsity: dict[str, float]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per weighted layer: bits, sparsity, parameters, MACs and BOPs; plus the totals."""
    layers = []
    previous: Node = graph.input
    for node in graph.nodes[1:]:
        if isinstance(node, (Conv2D, Dense)):
            layers.append(_costs(node, previous.type.width, pruned_sparsity.get(node.name)))
        previous = node
    keys = ("params", "nonzero_params", "macs", "nonzero_macs", "bops", "bops_baskin")
    totals = {key: sum(layer[key] for layer in layers) for key in keys}
    weights = sum(layer["weights"] for layer in layers)
    zeros = weights - sum(layer["nonzero_weights"] for layer in layers)
    totals["sparsity"] = zeros / weights if weights else 0.0
    return layers, totals


def _costs(node: Conv2D | Dense, input_bits: int, pruned: float | None) -> dict[str, Any]:
    positions = node.shape[0] * node.shape[1] if isinstance(node, Conv2D) else 1
    outputs = node.weight.shape[-1]
    fan_in = node.weight.size // outputs  # inputs per output value
    nonzero_weights = int(np.count_nonzero(node.weight))
    w_bits, a_bits = node.weight_type.width, input_bits
    sparsity = (node.weight.size - nonzero_weights) / node.weight.size
    baskin = fan_in * ((1 - sparsity) * w_bits * a_bits + w_bits + a_bits + math.log2(fan_in)) * outputs * positions
    return {
        "name": node.name,
        "op": node.op,
        "shape": list(node.weight.shape),
        "weight_type": str(node.weight_type),
        "bias_type": str(node.bias_type),
        "input_type": f"{input_bits} bits",
        "accum_type": str(node.accum_type),
        "weight_bits": w_bits,
        "bias_bits": node.bias_type.width,
        "input_bits": a_bits,
        "weights": int(node.weight.size),
        "nonzero_weights": nonzero_weights,
        "sparsity": sparsity,
        "sparsity_pruned": pruned,
        "params": node.params(),
        "nonzero_params": node.nonzeros(),
        "macs": node.macs(),
        "nonzero_macs": nonzero_weights * positions,
        "bops": nonzero_weights * positions * w_bits * a_bits,
        "bops_baskin": round(baskin),
    }
