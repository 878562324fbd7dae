"""metrics.json figures, checked against independent references (scikit-learn, hand counts)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, precision_score, recall_score

from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import Conv2D, Dense, Flatten, Graph, Input, ReLU
from lepton_hw.train.metrics import classification_metrics, layer_costs


def test_classification_metrics_match_sklearn() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, 500)
    predicted = np.where(rng.random(500) < 0.7, labels, rng.integers(0, 4, 500))
    predicted[predicted == 3] = 2  # class 3 is never predicted: its precision is 0, not a crash
    result = classification_metrics(labels, predicted, ("a", "b", "c", "d"))
    assert result["confusion_matrix"] == confusion_matrix(labels, predicted, labels=range(4)).tolist()
    precision = precision_score(labels, predicted, average=None, labels=range(4), zero_division=0)
    recall = recall_score(labels, predicted, average=None, labels=range(4), zero_division=0)
    for i, name in enumerate("abcd"):
        assert result["per_class"][name]["precision"] == precision[i]
        assert result["per_class"][name]["recall"] == recall[i]
    assert result["accuracy"] == np.mean(labels == predicted)


def test_layer_costs_by_hand() -> None:
    u8, w4, b8 = FixedType(False, 8, 0), FixedType(True, 4, 1), FixedType(True, 8, 4)
    acc, a4 = FixedType(True, 20, 6), FixedType(False, 4, 2)
    kernel = np.zeros((3, 3, 1, 2), dtype=np.int64)
    kernel[0, 0, 0, 0] = 3
    kernel[1, 1, 0, 1] = -2
    kernel[2, 2, 0, 1] = 1  # 3 non-zero of 18
    dense_w = np.ones((2 * 2 * 2, 5), dtype=np.int64)
    dense_w[:, 0] = 0  # 32 non-zero of 40
    graph = Graph(
        "g",
        (
            Input("in", (4, 4, 1), u8),
            Conv2D("conv1", (2, 2, 2), acc, kernel, np.zeros(2), w4, b8, acc),
            ReLU("relu1", (2, 2, 2), a4),
            Flatten("flatten", (8,), a4),
            Dense("logits", (5,), acc, dense_w, np.array([1, 0, 0, 0, 0]), w4, b8, acc),
        ),
    )
    layers, totals = layer_costs(graph, {"conv1": 0.5})
    conv, dense = layers
    assert (conv["weights"], conv["nonzero_weights"], conv["params"], conv["nonzero_params"]) == (18, 3, 20, 3)
    assert conv["macs"] == 4 * 18 and conv["nonzero_macs"] == 4 * 3
    assert conv["bops"] == 4 * 3 * 4 * 8  # positions x non-zero weights x weight bits x input bits
    # Baskin et al.: outputs x n x ((1-p) b_w b_a + b_w + b_a + log2 n), n = 9 inputs per output
    assert conv["bops_baskin"] == round(8 * 9 * ((3 / 18) * 32 + 12 + np.log2(9)))
    assert round(conv["sparsity"] * 18) == 15 and conv["sparsity_pruned"] == 0.5
    assert dense["input_bits"] == 4 and dense["bops"] == 32 * 4 * 4 and dense["sparsity_pruned"] is None
    assert totals["params"] == 20 + 45 and totals["nonzero_params"] == 3 + 33
    assert round(totals["sparsity"] * 58) == 58 - 35
