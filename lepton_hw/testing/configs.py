"""Small flow configs for tests and benchmarks."""

from __future__ import annotations

from typing import Any

# The digits dataset, one small conv layer, 4 epochs: the whole flow in about a minute on 2 cores.
TINY_FLOW: dict[str, Any] = {
    "name": "tiny_flow",
    "dataset": {"kind": "digits", "split": {"validation": 0.2, "test": 0.2, "seed": 1}},
    "model": {
        "defaults": {"weight_bits": 4, "activation_bits": 4},
        "layers": [{"type": "conv", "filters": 4, "kernel": 3, "pool": "max"}, {"type": "dense"}],
    },
    "pruning": {"target_sparsity": 0.5, "begin_epoch": 1, "end_epoch": 3, "frequency": 5},
    "training": {"epochs": 4, "batch_size": 32, "learning_rate": 0.01, "seed": 7},
    "hardware": {"board": "pynq-z2", "check_frames": 6},
}
