"""The one module that imports hls4ml: an hls4ml ModelGraph built from the lepton_hw IR.

The network is described to hls4ml straight from the IR, not from the original Keras model:
each IR node becomes the layer dictionary of hls4ml's own Keras-layer parser (which works out
padding and shapes), fed by a reader that serves the IR's exact integer weights as floats
(``raw * 2**-frac``, exact in float64). Every layer's weight, bias, accumulator and result
type is set from the IR, never left to hls4ml's default ``ap_fixed<16,6>``.

hls4ml picks its converter front end with ``import keras; keras.__version__ >= '3.0'``; with
TensorFlow 2.20 plain ``keras`` is Keras 3, which would also import TensorFlow without Keras 2
selected (QKeras and the rest of lepton_hw need tf_keras). So ``keras`` is aliased to tf_keras
before hls4ml is first imported. Nothing else in lepton_hw imports hls4ml.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from lepton_hw.errors import EngineError, UnsupportedLayerError, UserError
from lepton_hw.ir.fixed import FixedType
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
    same_padding,
)

if TYPE_CHECKING:
    from lepton_hw.schedule import Schedule

log = logging.getLogger(__name__)

BACKENDS = {"vitis": "Vitis", "vivado": "Vivado"}
STRATEGIES = {"latency": "Latency", "resource": "Resource", "da": "distributed_arithmetic"}
PROJECT_NAME = "lepton_net"  # the hls4ml top function (and file) name
INPUT_NAME = "pixels"


def hls4ml() -> ModuleType:
    """Import hls4ml with ``keras`` aliased to tf_keras (see the module docstring for why)."""
    if "hls4ml" not in sys.modules:
        from lepton_hw.frontend.keras_env import tf_keras

        keras = tf_keras()  # sets TF_USE_LEGACY_KERAS before TensorFlow is imported
        sys.modules["keras"] = keras  # hls4ml must see Keras 2, not Keras 3
    import hls4ml as module

    return module


def hls4ml_version() -> str:
    """The installed hls4ml's version, without importing it (nor TensorFlow)."""
    return importlib.metadata.version("hls4ml")


# ----------------------------------------------------------------------------- IR -> layer list
class _IRWeights:
    """hls4ml's weight reader interface, serving the IR's integer weights as exact floats."""

    def __init__(self, graph: Graph) -> None:
        self.nodes = {hls_name(n): n for n in graph.nodes}

    def get_weights_data(self, layer_name: str, var_name: str) -> np.ndarray | None:
        node = self.nodes[layer_name]
        if not isinstance(node, (Conv2D, Dense)):
            return None
        if var_name == "kernel":
            return np.ldexp(node.weight.astype(np.float64), -node.weight_type.frac)
        if var_name == "bias":
            return np.ldexp(node.bias.astype(np.float64), -node.bias_type.frac)
        return None


def avgpool_accum_type(node: AvgPool2D, in_type: FixedType) -> FixedType:
    """hls4ml's io_stream average pooling computes ``accum_t(sum) / N`` in accum_t: log2(N) more
    integer bits hold the sum, log2(N) more fractional bits hold the exact quotient."""
    extra = (node.pool_size[0] * node.pool_size[1]).bit_length() - 1
    return FixedType(in_type.signed, in_type.width + 2 * extra, in_type.integer + extra)


def check_supported(graph: Graph) -> None:
    """Raise UnsupportedLayerError for what hls4ml's io_stream cannot compute exactly."""
    prev_shape = graph.input.shape
    if len(prev_shape) not in (1, 3):
        raise UnsupportedLayerError(
            f"the HLS backend takes (height, width, channels) images or flat vectors, got input shape {prev_shape}"
        )
    for node in graph.nodes[1:]:
        if isinstance(node, (MaxPool2D, AvgPool2D)):
            kind = "average" if isinstance(node, AvgPool2D) else "max"
            if node.padding == "same":
                pads = [same_padding(prev_shape[a], node.pool_size[a], node.strides[a]) for a in (0, 1)]
                if any(p for pair in pads for p in pair):
                    raise UnsupportedLayerError(
                        f"layer {node.name!r}: same-padded {kind} pooling with partial windows (padding {pads} on "
                        f"a {prev_shape[0]}x{prev_shape[1]} input) is not supported by the HLS backend: hls4ml's "
                        "io_stream pooling has no padding (average pooling divides by the full window); use "
                        "valid padding or an input size divisible by the pool size"
                    )
        elif not isinstance(node, (Conv2D, Dense, ReLU, Requantize, Flatten)):
            raise UnsupportedLayerError(f"node {node.name!r} ({node.op}) is not supported by the HLS backend")
        prev_shape = node.shape


def valid_reuse_factors(n_in: int, n_out: int) -> list[int]:
    """The reuse factors hls4ml accepts for a layer of n_in x n_out multiplications.

    hls4ml's rule (FPGABackend._validate_reuse_factor): the multipliers must divide evenly among the
    outputs, and the factor must divide n_in * n_out. hls4ml itself silently replaces a factor that
    breaks it by the closest valid one; lepton_hw refuses it instead, so the project is what was asked.
    """
    total = n_in * n_out
    divisors = {d for i in range(1, math.isqrt(total) + 1) if total % i == 0 for d in (i, total // i)}
    valid = []
    for rf in sorted(divisors):
        multipliers = math.ceil(total / min(n_in, rf))
        if (multipliers % n_out == 0 or rf >= n_in) and (rf % n_in == 0 or rf < n_in):
            valid.append(rf)
    return valid


LayerReuse = tuple[tuple[str, int], ...]  # (IR layer name, reuse factor) pairs, sorted: hashable


def layer_reuse_pairs(layer_reuse: Mapping[str, int] | Iterable[tuple[str, int]] | None) -> LayerReuse:
    """Per-layer reuse factors as sorted (name, factor) pairs (the form NetSettings and HlsOptions hold)."""
    if layer_reuse is None:
        return ()
    items = layer_reuse.items() if isinstance(layer_reuse, Mapping) else layer_reuse
    return tuple(sorted((str(name), int(f) if isinstance(f, np.integer) else f) for name, f in items))


def mult_size(node: Conv2D | Dense) -> tuple[int, int]:
    """hls4ml's (n_in, n_out) of a layer (FPGABackend.get_layer_mult_size): a conv's window
    (kh * kw * cin) by its filters, a dense layer's whole input vector by its units."""
    n_out = int(node.weight.shape[-1])
    return int(node.weight.size) // n_out, n_out


def check_reuse(graph: Graph, reuse: int, layer_reuse: Mapping[str, int] | None = None) -> None:
    """A reuse factor every weighted layer can take: ``layer_reuse[name]`` for the layers it names,
    ``reuse`` for the others; otherwise an EngineError naming the layer."""
    layer_reuse = dict(layer_reuse or {})
    weighted = [node for node in graph.nodes if isinstance(node, (Conv2D, Dense))]
    unknown = sorted(set(layer_reuse) - {node.name for node in weighted})
    if unknown:
        raise EngineError(
            f"per-layer reuse factors name {', '.join(map(repr, unknown))}, not a conv or dense layer of "
            f"{graph.name!r}; its conv and dense layers: {', '.join(node.name for node in weighted)}"
        )
    for node in weighted:
        rf = layer_reuse.get(node.name, reuse)
        if rf == 1:  # hls4ml's rule always accepts 1
            continue
        n_in, n_out = mult_size(node)
        valid = valid_reuse_factors(n_in, n_out)
        if rf not in valid:
            shown = ", ".join(map(str, valid[:12])) + (", ..." if len(valid) > 12 else "")
            raise EngineError(
                f"reuse factor {rf} does not fit layer {node.name} ({n_in} inputs x {n_out} outputs); "
                f"valid for it: {shown}"
            )


# ----------------------------------------------------------------------------- reuse from the camera's rate
# An hls4ml io_stream layer takes a new input every ReuseFactor clocks. The Latency strategy honours the
# factor (hls4ml 1.3.0, read in its source): the line buffer's per-pixel loop of a conv is pipelined at
# II=reuse_factor (templates/vivado/nnet_utils/nnet_conv2d_stream.h:89-90, conv_2d_buffer_cl, for latency
# and distributed_arithmetic), so is a dense layer (nnet_dense_stream.h:17-18 dense_wrapper), and the
# multiply itself (nnet_dense_latency.h:26 `PIPELINE II=CONFIG_T::reuse_factor`, :33 `ALLOCATION operation
# instances=mul limit=CONFIG_T::multiplier_limit`, used by a conv's window too) shares its multipliers over
# that many clocks: multiplier_limit = DIV_ROUNDUP(n_in * n_out, reuse_factor) - n_zeros / reuse_factor
# (backends/vivado/passes/core_templates.py:27; convolution_templates.py:21, a conv's window multiply).
# So Latency layers keep their strategy with a factor above 1 (Resource shares its multipliers with its own
# loops, DenseResource_*). The C code computes the same values whatever the factor: only pragmas and a
# constant change. hls4ml checks
# a Latency layer's factor against its rule nowhere (vivado_backend.py init_dense / init_conv2d call
# set_closest_reuse_factor only for Resource): check_reuse does it for every strategy. distributed_arithmetic
# raises for any factor but 1 (vivado_backend.py init_dense).
def hls_intervals(graph: Graph, clocks_per_pixel: int = 1) -> dict[str, int]:
    """Per conv or dense layer, the fewest clocks between two inputs of its hls4ml layer when the camera
    sends a pixel every ``clocks_per_pixel`` clocks (the rates of :func:`lepton_hw.schedule.stream_rates`).

    hls4ml's io_stream conv runs its line-buffer loop once per input pixel and a dense layer reads its
    input beat by beat, so the bound is the interval of the layer's input stream; a conv's is also no
    more than the interval of its windows (the schedule's ``LayerPlan.interval``, which is shorter at the
    drain of same padding). A dense layer after a map computes once per frame in hls4ml, so the interval
    of its input beats is a conservative bound there.
    """
    from lepton_hw.schedule import stream_rates

    rates = stream_rates(graph, clocks_per_pixel)
    intervals = {}
    for index, node in enumerate(graph.nodes):
        if isinstance(node, Conv2D):
            intervals[node.name] = min(rates[index - 1].interval, rates[index].interval)
        elif isinstance(node, Dense):
            intervals[node.name] = rates[index - 1].interval
    return intervals


def largest_reuse(n_in: int, n_out: int, interval: int) -> int:
    """The largest reuse factor hls4ml accepts for n_in x n_out multiplications that is at most ``interval``."""
    return max(rf for rf in valid_reuse_factors(n_in, n_out) if rf <= max(1, interval))  # 1 is always valid


def _reuse_within(graph: Graph, intervals: Mapping[str, int]) -> dict[str, int]:
    return {
        node.name: largest_reuse(*mult_size(node), intervals[node.name])
        for node in graph.nodes
        if isinstance(node, (Conv2D, Dense))
    }


def schedule_reuse(graph: Graph, schedule: Schedule) -> dict[str, int]:
    """Per conv or dense layer, the largest reuse factor hls4ml accepts for it that keeps up with the camera:
    at most the layer's ``interval`` in ``schedule`` (and :func:`hls_intervals`' bound, for a strided conv)."""
    bound = hls_intervals(graph, schedule.options.clocks_per_pixel)
    return _reuse_within(graph, {plan.name: min(plan.interval, bound[plan.name]) for plan in schedule.layers})


def stream_reuse(graph: Graph, clocks_per_pixel: int = 1) -> dict[str, int]:
    """:func:`schedule_reuse` of the schedule at ``clocks_per_pixel``, without making the schedule: the
    intervals need only the stream rates, while ``make_schedule`` also models every layer's da4ml cost
    (seconds to minutes for large layers). The two are equal (tested)."""
    return _reuse_within(graph, hls_intervals(graph, clocks_per_pixel))


def hls_name(node: Node) -> str:
    """The hls4ml layer name of an IR node: its own name (hls4ml reserves ``input`` and ``output``)."""
    if isinstance(node, Input):
        return INPUT_NAME
    return node.name if node.name not in ("input", "output", INPUT_NAME) else f"l_{node.name}"


def _keras_layer(node: Node, in_type: FixedType) -> dict[str, Any]:
    """The Keras-style layer description of one IR node that hls4ml's parsers read."""
    config: dict[str, Any] = {"name": hls_name(node), "data_format": "channels_last"}
    if isinstance(node, Input):
        config.update(batch_input_shape=[None, *node.shape], dtype="float32")
        return {"class_name": "InputLayer", "config": config}
    if isinstance(node, Conv2D):
        config.update(
            filters=int(node.weight.shape[-1]),
            kernel_size=list(node.kernel_size),
            strides=list(node.strides),
            padding=node.padding,
            use_bias=True,
        )
        return {"class_name": "Conv2D", "config": config}
    if isinstance(node, Dense):
        config.update(units=int(node.weight.shape[-1]), use_bias=True)
        return {"class_name": "Dense", "config": config}
    if isinstance(node, ReLU):
        config.update(activation="relu")
        return {"class_name": "Activation", "config": config}
    if isinstance(node, Requantize):  # a cast: hls4ml keeps a linear activation whose types differ
        config.update(activation="linear")
        return {"class_name": "Activation", "config": config}
    if isinstance(node, (MaxPool2D, AvgPool2D)):
        cls = "MaxPooling2D" if isinstance(node, MaxPool2D) else "AveragePooling2D"
        config.update(pool_size=list(node.pool_size), strides=list(node.strides), padding=node.padding)
        return {"class_name": cls, "config": config}
    if isinstance(node, Flatten):
        return {"class_name": "Flatten", "config": config}
    raise UnsupportedLayerError(f"node {node.name!r} ({node.op}) is not supported by the HLS backend")


def _precisions(node: Node, in_type: FixedType) -> dict[str, str]:
    """The hls4ml precision entries of one IR node (every one set, none left to defaults)."""
    if isinstance(node, (Conv2D, Dense)):
        return {
            "weight": node.weight_type.hls4ml_str(),
            "bias": node.bias_type.hls4ml_str(),
            "accum": node.accum_type.hls4ml_str(),
            "result": node.type.hls4ml_str(),
        }
    if isinstance(node, AvgPool2D):
        return {"accum": avgpool_accum_type(node, in_type).hls4ml_str(), "result": node.type.hls4ml_str()}
    if isinstance(node, MaxPool2D):
        return {"accum": in_type.hls4ml_str(), "result": node.type.hls4ml_str()}
    return {"result": node.type.hls4ml_str()}


def layer_list(graph: Graph) -> list[dict[str, Any]]:
    """hls4ml's layer list of the IR chain, made by hls4ml's own Keras-layer parsers."""
    hls4ml()
    from hls4ml.converters.keras_v2_to_hls import layer_handlers

    reader = _IRWeights(graph)
    layers: list[dict[str, Any]] = []
    shape: list[Any] = [None, *graph.input.shape]
    prev_name: str | None = None
    in_type = graph.input.type
    for node in graph.nodes:
        keras_layer = _keras_layer(node, in_type)
        inputs = None if prev_name is None else [prev_name]
        layer, out_shape = layer_handlers[keras_layer["class_name"]](keras_layer, inputs, [shape], reader)
        if isinstance(node, (Conv2D, Dense)):
            layer.pop("weight_quantizer", None)
            layer.pop("bias_quantizer", None)
        layers.append(layer)
        if list(out_shape[1:]) != list(node.shape):
            raise AssertionError(f"hls4ml computes shape {out_shape[1:]} for {node.name}, the IR {node.shape}")
        shape, prev_name, in_type = list(out_shape), hls_name(node), node.type
    return layers


def hls_config(graph: Graph, strategy: str, reuse: int, layer_reuse: Mapping[str, int] | None = None) -> dict[str, Any]:
    """hls4ml's HLSConfig: the strategy, every layer's reuse factor (``layer_reuse[name]``, else the
    model-wide ``reuse``) and every layer's types from the IR."""
    layer_reuse = layer_reuse or {}
    layer_configs: dict[str, Any] = {}
    in_type = graph.input.type
    for node in graph.nodes:
        entry: dict[str, Any] = {"Precision": _precisions(node, in_type), "Trace": False}
        if isinstance(node, (Conv2D, Dense)):
            entry["Strategy"] = STRATEGIES[strategy]
            entry["ReuseFactor"] = int(layer_reuse.get(node.name, reuse))
        layer_configs[hls_name(node)] = entry
        in_type = node.type
    default = graph.output.type.hls4ml_str()  # never used: every layer above is set
    return {
        "Model": {"Precision": default, "ReuseFactor": reuse, "Strategy": STRATEGIES[strategy], "BramFactor": 10**9},
        "LayerName": layer_configs,
    }


@dataclass(frozen=True)
class NetSettings:
    """What the hls4ml project depends on besides the graph."""

    part: str
    clock_mhz: float
    backend: str = "vitis"
    strategy: str = "latency"
    reuse: int = 1  # model-wide: every layer that layer_reuse does not name
    layer_reuse: LayerReuse = ()  # (IR layer name, reuse factor), sorted; empty: ``reuse`` everywhere

    @property
    def applied_layer_reuse(self) -> LayerReuse:
        """The per-layer factors the project is built with: none with strategy da, which needs reuse 1."""
        return () if self.strategy == "da" else self.layer_reuse

    def reuse_factors(self, graph: Graph) -> dict[str, int]:
        """Every conv and dense layer's reuse factor in the project."""
        applied = dict(self.applied_layer_reuse)
        return {n.name: applied.get(n.name, self.reuse) for n in graph.nodes if isinstance(n, (Conv2D, Dense))}

    def validate(self) -> None:
        if self.backend not in BACKENDS:
            raise EngineError(f"unknown HLS backend {self.backend!r}; accepted: {', '.join(BACKENDS)}")
        if self.strategy not in STRATEGIES:
            raise EngineError(f"unknown HLS strategy {self.strategy!r}; accepted: {', '.join(STRATEGIES)}")
        if not isinstance(self.reuse, int) or self.reuse < 1:
            raise EngineError(f"reuse factor must be a positive integer, got {self.reuse!r}")
        if not isinstance(self.layer_reuse, tuple):
            raise EngineError(f"per-layer reuse factors must be (name, factor) pairs, got {self.layer_reuse!r}")
        for pair in self.layer_reuse:
            name, factor = pair if isinstance(pair, tuple) and len(pair) == 2 else (None, None)
            if not isinstance(name, str) or isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
                raise EngineError(
                    f"a per-layer reuse factor must be a (layer name, positive integer) pair, got {pair!r}"
                    + (f" for layer {name!r}" if isinstance(name, str) else "")
                )
        if self.strategy == "da" and self.reuse != 1:
            raise EngineError(
                f"strategy 'da' (hls4ml's distributed_arithmetic) needs reuse 1, got {self.reuse}; "
                "use strategy 'resource' for reuse > 1"
            )
        if not (self.clock_mhz > 0):
            raise EngineError(f"clock must be a positive frequency in MHz, got {self.clock_mhz!r}")

    @property
    def clock_period_ns(self) -> float:
        return round(1000.0 / self.clock_mhz, 6)


def check_settings_reuse(graph: Graph, settings: NetSettings) -> None:
    """Every layer's reuse factor in ``settings`` fits it, and the per-layer factors name conv or dense
    layers of ``graph`` (with strategy da too, where they are not applied)."""
    if settings.strategy == "da":
        check_reuse(graph, 1, {name: 1 for name, _ in settings.layer_reuse})
    check_reuse(graph, settings.reuse, dict(settings.applied_layer_reuse))


def build_model_graph(graph: Graph, settings: NetSettings, output_dir: Path, weights_txt: bool = False) -> Any:
    """An hls4ml ModelGraph (io_stream) of the IR, whose project lives in ``output_dir``.

    With ``weights_txt`` the C simulation reads the weights from text files at run time (hls4ml's
    option; g++ compiles large constant weight arrays very slowly); synthesis always uses the headers.
    """
    settings.validate()
    check_supported(graph)
    check_settings_reuse(graph, settings)
    if settings.strategy == "da" and any(factor != 1 for _, factor in settings.layer_reuse):
        log.info(
            "strategy da: hls4ml's distributed arithmetic needs reuse 1, so the per-layer reuse factors (%s) "
            "are not applied: every layer takes reuse 1",
            ", ".join(f"{name} {factor}" for name, factor in settings.layer_reuse),
        )
    module = hls4ml()
    from hls4ml.model.graph import ModelGraph

    backend = module.backends.get_backend(BACKENDS[settings.backend])
    config = backend.create_initial_config(
        part=settings.part,
        clock_period=settings.clock_period_ns,
        io_type="io_stream",
        write_weights_txt=weights_txt,
        tb_output_stream="file",
    )
    config.update(
        OutputDir=str(output_dir),
        ProjectName=PROJECT_NAME,
        Backend=BACKENDS[settings.backend],
        HLSConfig=hls_config(graph, settings.strategy, settings.reuse, dict(settings.applied_layer_reuse)),
        InputData=None,
        OutputPredictions=None,
    )
    layers = layer_list(graph)
    try:
        with warnings.catch_warnings():
            # hls4ml's pointwise-convolution pass re-spells the strategy ("latency -> Latency"): harmless
            warnings.filterwarnings("ignore", message="Overriding attribute", category=UserWarning)
            return ModelGraph.from_layer_list(config, layers, [INPUT_NAME], [hls_name(graph.output)])
    except ModuleNotFoundError as err:  # hls4ml's @requires('da') and friends
        raise EngineError(f"hls4ml needs the missing package {err.name!r} for strategy {settings.strategy!r}") from None


def set_output_dir(model: Any, output_dir: Path) -> None:
    model.config.config["OutputDir"] = str(output_dir)


def write_model(model: Any, output_dir: Path, stamp: str) -> None:
    """hls4ml writes its own project (firmware/, build_prj.tcl, testbench) into ``output_dir``.

    hls4ml's writer draws a random stamp for the C simulation library's name (build_lib.sh's LIB_STAMP,
    hls4ml_config.yml's Stamp) and records the folder it wrote into (OutputDir). Those three lines are
    rewritten with ``stamp`` (8 hex digits, from the network) and ".", so the same network gives
    byte-identical files wherever it is written.
    """
    set_output_dir(model, output_dir)
    model.write()
    fixed = {"LIB_STAMP=": f"LIB_STAMP={stamp}\n", "Stamp:": f"Stamp: '{stamp}'\n", "OutputDir:": "OutputDir: .\n"}
    for name in ("build_lib.sh", "hls4ml_config.yml"):
        path = output_dir / name
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(next((v for k, v in fixed.items() if line.startswith(k)), line) for line in lines))


def compile_model(model: Any, output_dir: Path) -> Path:
    """Write and compile the C simulation library; returns the shared library's path."""
    set_output_dir(model, output_dir)
    model.write()
    model._compile()  # hls4ml's build_lib.sh (g++), then loads the library
    stamp = model.config.get_config_value("Stamp")
    return output_dir / "firmware" / f"{PROJECT_NAME}-{stamp}.so"


def da_costs(model: Any) -> dict[str, dict[str, Any]]:
    """da4ml's cost estimate (adders, in its own units) per layer of a distributed-arithmetic model."""
    costs = {}
    for layer in model.get_layers():
        cost = layer.attributes.get("da_kernel_cost") if hasattr(layer, "attributes") else None
        if cost is not None:
            costs[layer.name] = {"da4ml_cost": float(cost), "reuse_factor": int(layer.get_attr("reuse_factor", 1))}
    return costs


def _type_text(precision: Any) -> str:
    """An hls4ml precision in lepton_hw's ap_fixed spelling (as FixedType prints it) when it is one."""
    text = str(precision.definition_cpp())
    try:
        return str(FixedType.parse(text))
    except UserError:
        return text


def layer_table(model: Any) -> list[dict[str, Any]]:
    """The layers of the hls4ml model with their types, for project.json and checks."""
    rows = []
    for layer in model.get_layers():
        row: dict[str, Any] = {"name": layer.name, "class": type(layer).__name__}
        out = layer.get_output_variable()
        row["result"] = _type_text(out.type.precision) if out is not None else None
        for key in ("weight", "bias"):
            w = layer.weights.get(key)
            if w is not None:
                row[key] = _type_text(w.type.precision)
        accum = layer.get_attr("accum_t")
        if accum is not None:
            row["accum"] = _type_text(accum.precision)
        if layer.weights.get("weight") is not None:
            row["reuse_factor"] = int(layer.get_attr("reuse_factor", 1))  # as hls4ml will generate it
        rows.append(row)
    return rows


def io_types(model: Any) -> tuple[int, int]:
    """(number of inputs, number of outputs) of the compiled network."""
    n_in = int(np.prod(model.get_input_variables()[0].shape))
    n_out = int(np.prod(model.get_output_variables()[0].shape))
    return n_in, n_out
