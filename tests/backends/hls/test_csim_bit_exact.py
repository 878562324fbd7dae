"""hls4ml C simulation == the IR interpreter == Keras, bit for bit, on random QKeras models.

Each model comes from lepton_hw.testing.models (seeded), is saved as .h5 and imported as a user
would; the C simulation (io_stream, the strategy given by the seed) must give exactly the raw
integers of ``interp.run`` on every input, including the all-zero and all-255 frames. Models the
backend cannot build exactly (pooling with padding) must be refused with UnsupportedLayerError.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.hls import predict_csim
from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.ir import interp
from lepton_hw.ir.graph import AvgPool2D, Graph, MaxPool2D, same_padding
from lepton_hw.testing.models import random_inputs, random_model
from tests.helpers import assert_bit_exact

pytestmark = [pytest.mark.hls, pytest.mark.keras]

STRATEGIES = ("latency", "resource", "da")
DEFAULT_SEEDS = list(range(20))
SLOW_SEEDS = list(range(1000, 1060))
N_INPUTS = 48


def padded_pooling(graph: Graph) -> bool:
    """True when a pooling window reaches into padding (hls4ml's io_stream pooling has none)."""
    shape = graph.input.shape
    for node in graph.nodes[1:]:
        pooled = isinstance(node, (MaxPool2D, AvgPool2D)) and node.padding == "same"
        if pooled and any(p for a in (0, 1) for p in same_padding(shape[a], node.pool_size[a], node.strides[a])):
            return True
        shape = node.shape
    return False


def _check_seed(seed: int, strategy: str, tmp_path: Path, cache: Path, backend: str = "vitis") -> None:
    from lepton_hw.frontend.keras_engine import predict_keras
    from lepton_hw.frontend.keras_env import tf_keras
    from lepton_hw.frontend.qkeras import import_model

    tf_keras().backend.clear_session()
    spec, model = random_model(seed)
    model.save(tmp_path / "model.h5")
    graph = import_model(tmp_path / "model.h5")
    raw = interp.quantize_input(graph, random_inputs(spec.input_shape, N_INPUTS, seed))
    if padded_pooling(graph):
        with pytest.raises(UnsupportedLayerError, match="padding"):
            predict_csim(graph, raw, strategy=strategy, backend=backend, cache_dir=cache)
        return
    expected = np.asarray(interp.run(graph, raw)).reshape(len(raw), -1)
    got = predict_csim(graph, raw, strategy=strategy, backend=backend, cache_dir=cache)
    assert got.dtype == np.int64
    assert_bit_exact(expected, got, f"csim vs ir: backend={backend} strategy={strategy} {spec.describe()}")
    keras_values = predict_keras(graph, graph.input.type.to_float(raw))  # the third engine, same inputs
    assert_bit_exact(graph.output.type.to_float(expected), keras_values, f"keras vs ir: {spec.describe()}")


@pytest.mark.parametrize("seed", DEFAULT_SEEDS)
def test_csim_equals_ir(seed: int, tmp_path: Path, csim_cache: Path) -> None:
    _check_seed(seed, STRATEGIES[seed % 3], tmp_path, csim_cache)


def test_vivado_backend_csim_equals_ir(tmp_path: Path, csim_cache: Path) -> None:
    _check_seed(4, "resource", tmp_path, csim_cache, backend="vivado")


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_csim_equals_ir_sweep(seed: int, tmp_path: Path, csim_cache: Path) -> None:
    _check_seed(seed, STRATEGIES[seed % 3], tmp_path, csim_cache)


def test_default_seeds_cover_strategies_and_layers() -> None:
    """The default seeds reach every strategy and the layer kinds that matter for hls4ml."""
    from lepton_hw.testing.models import random_spec

    assert {STRATEGIES[s % 3] for s in DEFAULT_SEEDS} == set(STRATEGIES)
    kinds = {layer.kind for s in DEFAULT_SEEDS for layer in random_spec(s).layers}
    assert {"conv", "conv_bn", "dense", "pool_max", "pool_avg", "act_relu", "act_bits", "softmax"} <= kinds
