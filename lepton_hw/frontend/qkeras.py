"""QKeras / tf_keras model -> lepton_hw IR, exactly.

Weights are read the way the layers themselves compute them in inference: each quantizer is
run (in TensorFlow) on the layer's kernel and bias, and the quantized floats, which are exact
multiples of a power of two, become integers. QConv2DBatchnorm layers are folded by their
own ``get_folded_weights`` before quantization, the same TensorFlow ops their ``call`` runs.
Activation quantizers map to fixed-point casts: QKeras rounds with ``tf.round`` (half to
even: ``AP_RND_CONV``) and clips (``AP_SAT``, or ``AP_SAT_SYM`` for symmetric quantizers).
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw.errors import ModelLoadError, UnsupportedLayerError
from lepton_hw.frontend.keras_env import qkeras_custom_objects, tf_keras
from lepton_hw.frontend.model_file import SUPPORTED_LAYERS, check_model_file
from lepton_hw.ir.fixed import FixedType, type_for_range
from lepton_hw.ir.graph import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Graph,
    Input,
    MaxPool2D,
    Node,
    ReLU,
    Requantize,
    window_counts,
)
from lepton_hw.passes import run_passes
from lepton_hw.passes.precision import accumulator_type, float32_exact, infer_precisions

log = logging.getLogger(__name__)

DEFAULT_INPUT_TYPE = FixedType(False, 8, 0)  # Mono8 pixel / 256: the hardware sees raw pixel bits

SUPPORTED_ACTIVATIONS = "linear, relu, quantized_relu, quantized_bits (and softmax as the last layer)"
MAX_WEIGHT_FRAC = 40  # a quantized weight needs no more fractional bits than this


# ----------------------------------------------------------------------------- loading
def load_keras_model(path: Path | str) -> Any:
    """Load a .h5 or .keras tf_keras/QKeras model; pruning wrappers are stripped.

    The architecture is checked first, as plain JSON (lepton_hw.frontend.model_file): a file with a
    Lambda layer, a custom object or a function in its config is refused without being deserialized.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"model file {path} does not exist")
    if path.suffix not in (".h5", ".keras", ".hdf5"):
        raise ModelLoadError(f"model file {path}: unknown format {path.suffix!r}; accepted: .h5, .keras")
    check_model_file(path)  # before any Keras code sees the file: a model must not run code
    keras = tf_keras()
    import tensorflow_model_optimization as tfmot

    try:
        with tfmot.sparsity.keras.prune_scope():
            model = keras.models.load_model(path, custom_objects=qkeras_custom_objects(), compile=False)
    except Exception as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelLoadError(f"cannot read model file {path}: {reason}") from None
    return tfmot.sparsity.keras.strip_pruning(model)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- conversion
@dataclass
class _Builder:
    """The chain being built: nodes so far, and the shape and type of the current tensor."""

    nodes: list[Node]
    output_layer: str = ""

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.nodes[-1].shape)

    @property
    def type(self) -> FixedType:
        return self.nodes[-1].type

    def add(self, node: Node, layer_name: str) -> None:
        self.nodes.append(node)
        self.output_layer = layer_name


def import_model(path: Path | str, input_type: FixedType = DEFAULT_INPUT_TYPE) -> Graph:
    """Load a model file and convert it; the graph records the file's path and hash."""
    path = Path(path).resolve()
    model = load_keras_model(path)
    graph = convert_model(model, input_type)
    source = dict(graph.source, model=str(path), sha256=file_sha256(path))
    return Graph(graph.name, graph.nodes, source)


def convert_model(model: Any, input_type: FixedType = DEFAULT_INPUT_TYPE) -> Graph:
    """Convert a loaded tf_keras model (a chain of supported layers) into the IR."""
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    _check_chain(model, layers)
    dims = tuple(model.input_shape[1:])
    if len(dims) not in (1, 3) or any(d is None for d in dims):
        raise UnsupportedLayerError(
            f"model input shape {model.input_shape}: accepted are (height, width, channels) images "
            "or flat (features,) vectors with fixed sizes"
        )
    input_shape = tuple(int(d) for d in dims)
    builder = _Builder([Input("input", input_shape, input_type)])
    builder.output_layer = model.layers[0].name
    dropped_softmax = False
    for index, layer in enumerate(layers):
        is_last = index == len(layers) - 1
        dropped_softmax |= _convert_layer(layer, builder, is_last)
    if dropped_softmax:
        log.info("dropped the trailing softmax: the hardware outputs logits (and their argmax)")
    graph = run_passes(Graph(model.name, tuple(builder.nodes)), [infer_precisions])
    for name in float32_exact(graph):
        log.warning(
            "layer %s needs an accumulator wider than float32's 24 bits: Keras' float32 output may not be exact",
            name,
        )
    return Graph(
        graph.name,
        graph.nodes,
        {"output_layer": builder.output_layer, "softmax_dropped": str(dropped_softmax).lower()},
    )


def _check_chain(model: Any, layers: list[Any]) -> None:
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedLayerError("the model must have one input and one output (a chain of layers)")
    for index, layer in enumerate(layers):
        prev = layers[index - 1] if index else None
        sources = set()
        for node in layer._inbound_nodes:
            parents = node.inbound_layers if isinstance(node.inbound_layers, list) else [node.inbound_layers]
            sources |= {p.name for p in parents if type(p).__name__ != "InputLayer"}
        expected = set() if prev is None else {prev.name}
        if sources and sources != expected:
            raise UnsupportedLayerError(
                f"layer {layer.name!r} takes its input from {sorted(sources)}, not only from the layer before it; "
                "only chains of layers (no branches or skips) are supported"
            )


def _unsupported(layer: Any, why: str) -> UnsupportedLayerError:
    return UnsupportedLayerError(f"layer {layer.name!r} ({type(layer).__name__}): {why}")


def _convert_layer(layer: Any, b: _Builder, is_last: bool) -> bool:
    """Append the IR nodes of one Keras layer; True when a trailing softmax was dropped."""
    kind = type(layer).__name__
    if kind == "Dropout":
        return False
    if kind in ("QConv2D", "QConv2DBatchnorm", "QDense"):
        _weighted_layer(layer, b)
        return _activation(layer, getattr(layer, "activation", None), b, is_last)
    if kind == "QActivation":  # its callable is .quantizer; .activation may be the config string
        return _activation(layer, layer.quantizer, b, is_last)
    if kind == "Activation":
        return _activation(layer, layer.activation, b, is_last)
    if kind == "ReLU":
        if float(layer.max_value or 0) != 0 or float(layer.negative_slope) != 0 or float(layer.threshold) != 0:
            raise _unsupported(layer, "only a plain ReLU (no max_value, negative_slope or threshold) is exact")
        b.add(_exact_relu(layer.name, b), layer.name)
        return False
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        _pooling(layer, b)
        return False
    if kind == "Flatten":
        if len(b.shape) != 1:
            b.add(Flatten(layer.name, (int(np.prod(b.shape)),), b.type), layer.name)
        return False
    if kind == "BatchNormalization":
        raise _unsupported(
            layer,
            "a float batch normalization cannot be computed exactly in fixed point; "
            "use QConv2DBatchnorm, which folds it into quantized weights",
        )
    raise UnsupportedLayerError(
        f"layer {layer.name!r} of class {kind} is not supported; supported layers: {', '.join(SUPPORTED_LAYERS)}"
    )


def _weighted_layer(layer: Any, b: _Builder) -> None:
    kind = type(layer).__name__
    if getattr(layer, "kernel_quantizer_internal", None) is None:
        raise _unsupported(layer, "has no kernel_quantizer: float weights cannot be computed exactly")
    if kind == "QConv2DBatchnorm":
        kernel_float, bias_float = layer.get_folded_weights()
    else:
        kernel_float = layer.kernel
        bias_float = layer.bias if layer.use_bias else None
    weight_q = layer.kernel_quantizer_internal
    weight, weight_type = _quantized_integers(layer, "kernel", weight_q, kernel_float)
    filters = int(weight.shape[-1])
    if bias_float is None:
        bias, bias_type = np.zeros(filters, dtype=np.int64), FixedType(False, 1, 1)
    else:
        bias_q = getattr(layer, "bias_quantizer_internal", None)
        bias, bias_type = _quantized_integers(layer, "bias", bias_q, bias_float)
    acc = accumulator_type(b.type, weight, bias, weight_type, bias_type)
    if kind == "QDense":
        if len(b.shape) != 1:
            raise _unsupported(layer, f"a Dense layer on a {len(b.shape)}-D tensor {b.shape}: add a Flatten before it")
        node: Node = Dense(layer.name, (filters,), acc, weight, bias, weight_type, bias_type, acc)
    else:
        if layer.data_format != "channels_last":
            raise _unsupported(layer, "only data_format='channels_last' is supported")
        if tuple(layer.dilation_rate) != (1, 1) or getattr(layer, "groups", 1) != 1:
            raise _unsupported(layer, "dilated or grouped convolutions are not supported")
        if len(b.shape) != 3:
            raise _unsupported(layer, f"a 2-D convolution needs a (height, width, channels) input, got {b.shape}")
        out_shape = tuple(int(d) for d in layer.output_shape[1:])
        node = Conv2D(
            layer.name, out_shape, acc, weight, bias, weight_type, bias_type, acc,
            _pair(layer.strides), str(layer.padding),
        )  # fmt: skip
    b.add(node, layer.name)


def _quantized_integers(layer: Any, what: str, quantizer: Any, values: Any) -> tuple[np.ndarray, FixedType]:
    """Integers and type of a weight tensor, quantized by ``quantizer`` as the layer does."""
    declared: FixedType | None = None
    if quantizer is not None:
        declared = _quantizer_type(layer, quantizer, f"{what}_quantizer")
        quantized = np.asarray(quantizer(values)).astype(np.float64)
    else:
        quantized = np.asarray(values).astype(np.float64)
    frac = declared.frac if declared is not None else 0
    while True:
        scaled = np.ldexp(quantized, frac)
        if np.all(scaled == np.rint(scaled)):
            break
        frac += 1
        if frac > MAX_WEIGHT_FRAC:
            raise _unsupported(
                layer,
                f"its {what} values are not multiples of a power of two (no {what}_quantizer?); "
                "they cannot be represented exactly in fixed point",
            )
    raw = np.rint(np.ldexp(quantized, frac)).astype(np.int64)
    if (
        declared is not None
        and frac == declared.frac
        and raw.min(initial=0) >= declared.min_raw
        and raw.max(initial=0) <= declared.max_raw
    ):
        return raw, declared
    # Power-of-two scales ('auto_po2') or unquantized exact values: the narrowest type that holds them.
    rounding, overflow = (declared.rounding, declared.overflow) if declared else ("TRN", "WRAP")
    return raw, type_for_range(int(raw.min(initial=0)), int(raw.max(initial=0)), frac, rounding, overflow)


def _quantizer_type(layer: Any, quantizer: Any, role: str) -> FixedType:
    """The fixed-point type a QKeras quantizer produces (for alpha=1 or power-of-two scales)."""
    name = type(quantizer).__name__
    if getattr(quantizer, "use_stochastic_rounding", False):
        raise _unsupported(layer, f"{role} {quantizer} uses stochastic rounding, which is not deterministic")
    qnoise = getattr(quantizer, "qnoise_factor", 1.0)
    if float(np.asarray(qnoise)) != 1.0:
        raise _unsupported(layer, f"{role} {quantizer} has qnoise_factor {qnoise}; only 1.0 (fully quantized) is exact")
    if name == "quantized_bits":
        alpha = quantizer.alpha
        if alpha not in (None, 1, 1.0, "auto_po2"):
            raise _unsupported(
                layer,
                f"{role} {quantizer} has alpha={alpha!r}: its scale is a float that is not a power of two, so "
                "products cannot be computed exactly in fixed point; use alpha=1 or alpha='auto_po2'",
            )
        bits, integer = int(quantizer.bits), int(np.asarray(quantizer.integer))
        keep_negative = bool(quantizer.keep_negative)
        if bits - keep_negative < 1:
            raise _unsupported(layer, f"{role} {quantizer}: binary/1-bit quantizers are not supported")
        overflow = "SAT_SYM" if quantizer.symmetric and keep_negative else "SAT"
        return FixedType(keep_negative, bits, integer + keep_negative, "RND_CONV", overflow)
    if name == "quantized_relu":
        if float(quantizer.negative_slope) != 0.0 or quantizer.use_sigmoid:
            raise _unsupported(layer, f"{role} {quantizer}: leaky or sigmoid quantized_relu is not supported")
        bits, integer = int(quantizer.bits), int(np.asarray(quantizer.integer))
        return FixedType(False, bits, integer, "RND_CONV", "SAT")
    raise _unsupported(layer, f"{role} {name} is not supported; supported: quantized_bits, quantized_relu")


def _activation(layer: Any, activation: Any, b: _Builder, is_last: bool) -> bool:
    """Nodes for a layer's activation; True when it is a trailing softmax that was dropped."""
    if activation is None:
        return False
    if isinstance(activation, str):
        name = activation
    elif inspect.isfunction(activation):  # a Keras activation function such as relu
        name = activation.__name__
    else:  # a QKeras quantizer object
        name = type(activation).__name__
    if name == "linear":
        return False
    if name == "softmax":
        if not is_last:
            raise _unsupported(layer, "softmax is only supported as the last layer (it stays in software)")
        return True
    if name == "relu":
        b.add(_exact_relu(layer.name, b), layer.name)
        return False
    if name == "quantized_relu":
        out_type = _quantizer_type(layer, activation, "activation")
        b.add(ReLU(_unique(b, layer.name), b.shape, out_type), layer.name)
        return False
    if name == "quantized_bits":
        out_type = _quantizer_type(layer, activation, "activation")
        if activation.alpha not in (None, 1, 1.0):
            raise _unsupported(layer, f"activation {activation} with alpha={activation.alpha!r} is not supported")
        b.add(Requantize(_unique(b, layer.name), b.shape, out_type), layer.name)
        return False
    raise _unsupported(layer, f"activation {name!r} is not supported; supported: {SUPPORTED_ACTIVATIONS}")


def _exact_relu(name: str, b: _Builder) -> ReLU:
    """A float ReLU on fixed-point values: exact, in an unsigned type with the same grid."""
    t = b.type
    out = type_for_range(0, max(t.max_raw, 0), t.frac)
    return ReLU(_unique(b, name), b.shape, out)


def _unique(b: _Builder, name: str) -> str:
    """Node names are unique: a layer's activation gets the suffix ``_act``."""
    taken = {n.name for n in b.nodes}
    return name if name not in taken else f"{name}_act"


def _pooling(layer: Any, b: _Builder) -> None:
    if layer.data_format != "channels_last":
        raise _unsupported(layer, "only data_format='channels_last' is supported")
    if len(b.shape) != 3:
        raise _unsupported(layer, f"2-D pooling needs a (height, width, channels) input, got {b.shape}")
    pool, strides = _pair(layer.pool_size), _pair(layer.strides)
    padding = str(layer.padding)
    out_shape = tuple(int(d) for d in layer.output_shape[1:])
    if type(layer).__name__ == "MaxPooling2D":
        b.add(MaxPool2D(layer.name, out_shape, b.type, pool, strides, padding), layer.name)
        return
    # Keras divides by the number of non-padded elements; the quotient is exact in float32
    # and in fixed point only when every such count is a power of two.
    counts = {int(c) for c in np.unique(window_counts(b.shape[:2], pool, strides, padding))}
    if any(c & (c - 1) for c in counts):
        raise _unsupported(
            layer,
            f"average pooling divides by {sorted(counts)}; only powers of two give an exact result "
            "(use pool sizes like 2x2 or 4x4, or max pooling)",
        )
    extra = max(counts).bit_length() - 1
    t = b.type
    out = FixedType(t.signed, t.width + extra, t.integer, "TRN", "WRAP")
    b.add(AvgPool2D(layer.name, out_shape, out, pool, strides, padding), layer.name)


def _pair(values: Any) -> tuple[int, int]:
    first, second = (int(v) for v in values)
    return first, second
