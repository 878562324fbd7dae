"""The ``keras`` engine: run the original model the IR was imported from, in TensorFlow.

Its output is the float32 Keras computes, widened exactly to float64; where the import
dropped a trailing softmax, the engine returns the logits before it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw.errors import EngineError, InputDataError
from lepton_hw.frontend.keras_env import tf_keras
from lepton_hw.frontend.qkeras import file_sha256, load_keras_model
from lepton_hw.ir.graph import Graph


def logits_model(graph: Graph) -> Any:
    """The Keras model of ``graph.source``, cut at the layer whose output is the IR's output."""
    keras = tf_keras()
    path = graph.source.get("model")
    if not path:
        raise EngineError("this IR records no source model; the keras engine needs the model it was imported from")
    if not Path(path).is_file():
        raise EngineError(f"the keras engine needs the source model {path}, which no longer exists")
    if graph.source.get("sha256") and file_sha256(Path(path)) != graph.source["sha256"]:
        raise EngineError(f"the source model {path} changed since it was imported; import it again")
    model = load_keras_model(path)
    output_layer = graph.source.get("output_layer", model.layers[-1].name)
    # The model is a chain (the import checked it): call its layers up to the IR's output
    # layer on a fresh input. This also works for Sequential models, whose stored graph
    # a sub-model cannot be cut from.
    inputs = keras.Input(model.input_shape[1:])
    x = inputs
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        drop_softmax = layer.name == output_layer and graph.source.get("softmax_dropped") == "true"
        if drop_softmax and getattr(getattr(layer, "activation", None), "__name__", "") == "softmax":
            layer.activation = keras.activations.linear
        x = layer(x)
        if layer.name == output_layer:
            break
    return keras.Model(inputs, x)


def predict_keras(graph: Graph, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Float64 outputs of the source model on float inputs (N, *input shape)."""
    x = np.asarray(x, dtype=np.float32)
    if x.shape[1:] != tuple(graph.input.shape):
        raise InputDataError(f"input shape {x.shape} does not match (N, {', '.join(map(str, graph.input.shape))})")
    model = logits_model(graph)
    out = model.predict(x, batch_size=batch_size, verbose=0)
    return np.asarray(out, dtype=np.float64).reshape(len(x), -1)
