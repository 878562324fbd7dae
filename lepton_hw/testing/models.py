"""Random QKeras models from a seed, for checking every engine against the interpreter.

``random_spec(seed)`` draws a model description (a plain, printable value); ``build_model``
turns it into a QKeras model with random quantized and pruned weights. The HLS and RTL
tests use the same generator, so a failing seed reproduces everywhere.

Models cover 2 to 8 bit weights and activations, conv/dense/pool mixes, valid and same
padding, kernels 1 to 5, strides 1 and 2, QConv2DBatchnorm, pruned (zero) weights, and
dense-only networks. Inputs are Mono8 frames (pixel / 256), including all-zero and all-255.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lepton_hw.ir.fixed import FixedType

INPUT_TYPE = FixedType(False, 8, 0)


@dataclass(frozen=True)
class LayerSpec:
    kind: str  # conv, conv_bn, dense, pool_max, pool_avg, flatten, act_relu, act_bits, relu, softmax
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    seed: int
    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]
    sparsity: float

    def describe(self) -> str:
        parts = [f"seed={self.seed} input={self.input_shape} sparsity={self.sparsity:.2f}"]
        parts += [f"{layer.kind}{layer.args}" for layer in self.layers]
        return " | ".join(parts)


def _quantizer(bits: int, integer: int, alpha: Any = 1) -> str:
    return f"quantized_bits({bits},{integer},alpha={alpha!r})"


def random_spec(seed: int, max_size: int = 16) -> ModelSpec:
    """A random model description; the same seed always gives the same description."""
    rng = np.random.default_rng(seed)
    layers: list[LayerSpec] = []
    dense_only = rng.random() < 0.2
    h, w = int(rng.integers(5, max_size + 1)), int(rng.integers(5, max_size + 1))
    channels = int(rng.choice([1, 1, 1, 2, 3]))
    if dense_only:
        input_shape: tuple[int, ...] = (int(rng.integers(4, 48)),)
    else:
        input_shape = (h, w, channels)
        for _ in range(int(rng.integers(1, 4))):
            k = int(rng.integers(1, min(5, h, w) + 1))
            stride = 2 if rng.random() < 0.25 and min(h, w) >= 4 else 1
            padding = str(rng.choice(["valid", "same"]))
            kind = "conv_bn" if rng.random() < 0.2 else "conv"
            act_in_layer = rng.random() < 0.3
            layers.append(
                LayerSpec(
                    kind,
                    {
                        "filters": int(rng.integers(1, 7)),
                        "kernel": k,
                        "stride": stride,
                        "padding": padding,
                        "weight_bits": int(rng.integers(2, 9)),
                        "weight_int": int(rng.integers(0, 2)),
                        "bias_bits": int(rng.integers(2, 9)),
                        "bias_int": int(rng.integers(0, 3)),
                        "alpha": "auto_po2" if rng.random() < 0.1 else 1,
                        "activation": _random_activation(rng) if act_in_layer else None,
                    },
                )
            )
            if padding == "valid":
                h, w = (h - k) // stride + 1, (w - k) // stride + 1
            else:
                h, w = -(-h // stride), -(-w // stride)
            if not act_in_layer:
                layers.append(_random_activation_layer(rng))
            if rng.random() < 0.5 and min(h, w) >= 2:
                pool_padding = str(rng.choice(["valid", "same"])) if (h % 2 == 0 and w % 2 == 0) else "valid"
                layers.append(
                    LayerSpec(str(rng.choice(["pool_max", "pool_avg"])), {"size": 2, "padding": pool_padding})
                )
                h, w = (h - 2) // 2 + 1, (w - 2) // 2 + 1
            if min(h, w) < 1:  # pragma: no cover - sizes above keep h, w >= 1
                break
        layers.append(LayerSpec("flatten"))
    for _ in range(int(rng.integers(0, 2))):
        layers.append(_dense_spec(rng, int(rng.integers(2, 17))))
        layers.append(_random_activation_layer(rng))
    layers.append(_dense_spec(rng, int(rng.integers(2, 11))))
    if rng.random() < 0.3:
        layers.append(LayerSpec("softmax"))
    sparsity = float(rng.choice([0.0, 0.0, 0.3, 0.5, 0.8]))
    return ModelSpec(seed, input_shape, tuple(layers), sparsity)


def _dense_spec(rng: np.random.Generator, units: int) -> LayerSpec:
    return LayerSpec(
        "dense",
        {
            "units": units,
            "weight_bits": int(rng.integers(2, 9)),
            "weight_int": int(rng.integers(0, 2)),
            "bias_bits": int(rng.integers(2, 9)),
            "bias_int": int(rng.integers(0, 3)),
            "alpha": 1,
            "activation": None,
        },
    )


def _random_activation(rng: np.random.Generator) -> str:
    bits = int(rng.integers(2, 9))
    if rng.random() < 0.8:
        return f"quantized_relu({bits},{int(rng.integers(0, 3))})"
    return f"quantized_bits({bits},{int(rng.integers(0, 3))},alpha=1)"


def _random_activation_layer(rng: np.random.Generator) -> LayerSpec:
    roll = rng.random()
    if roll < 0.75:
        bits = int(rng.integers(2, 9))
        return LayerSpec("act_relu", {"bits": bits, "integer": int(rng.integers(0, 3))})
    if roll < 0.9:
        bits = int(rng.integers(3, 9))
        return LayerSpec(
            "act_bits", {"bits": bits, "integer": int(rng.integers(0, 3)), "symmetric": bool(rng.random() < 0.3)}
        )
    return LayerSpec("relu")


def build_model(spec: ModelSpec) -> Any:
    """A QKeras model with random quantized weights, a fraction ``spec.sparsity`` of them zero."""
    from lepton_hw.frontend.keras_env import tf_keras

    keras = tf_keras()
    import qkeras

    rng = np.random.default_rng(spec.seed + 1_000_003)
    inputs = keras.Input(spec.input_shape, name="pixels")
    x = inputs
    for i, layer in enumerate(spec.layers):
        a = layer.args
        name = f"{layer.kind}{i}"
        if layer.kind in ("conv", "conv_bn"):
            cls = qkeras.QConv2DBatchnorm if layer.kind == "conv_bn" else qkeras.QConv2D
            x = cls(
                a["filters"], a["kernel"], strides=a["stride"], padding=a["padding"], name=name,
                kernel_quantizer=_quantizer(a["weight_bits"], a["weight_int"], a["alpha"]),
                bias_quantizer=_quantizer(a["bias_bits"], a["bias_int"]),
                activation=a["activation"],
            )(x)  # fmt: skip
        elif layer.kind == "dense":
            x = qkeras.QDense(
                a["units"], name=name,
                kernel_quantizer=_quantizer(a["weight_bits"], a["weight_int"], a["alpha"]),
                bias_quantizer=_quantizer(a["bias_bits"], a["bias_int"]),
                activation=a["activation"],
            )(x)  # fmt: skip
        elif layer.kind == "act_relu":
            x = qkeras.QActivation(f"quantized_relu({a['bits']},{a['integer']})", name=name)(x)
        elif layer.kind == "act_bits":
            x = qkeras.QActivation(
                qkeras.quantized_bits(a["bits"], a["integer"], symmetric=int(a["symmetric"]), alpha=1), name=name
            )(x)
        elif layer.kind == "relu":
            x = keras.layers.Activation("relu", name=name)(x)
        elif layer.kind == "pool_max":
            x = keras.layers.MaxPooling2D(a["size"], padding=a["padding"], name=name)(x)
        elif layer.kind == "pool_avg":
            x = keras.layers.AveragePooling2D(a["size"], padding=a["padding"], name=name)(x)
        elif layer.kind == "flatten":
            x = keras.layers.Flatten(name=name)(x)
        elif layer.kind == "softmax":
            x = keras.layers.Activation("softmax", name=name)(x)
        else:  # pragma: no cover
            raise ValueError(layer.kind)
    model = keras.Model(inputs, x, name=f"random_{spec.seed}")
    _set_random_weights(model, rng, spec.sparsity)
    return model


def _set_random_weights(model: Any, rng: np.random.Generator, sparsity: float) -> None:
    for layer in model.layers:
        for variable in layer.weights:
            role = variable.name.split("/")[-1].split(":")[0]
            shape = tuple(variable.shape)
            if role == "kernel":  # scaled to its fan-in, then pruned
                fan_in = int(np.prod(shape[:-1]))
                values = rng.normal(0.0, 1.5 / np.sqrt(fan_in), size=shape)
                values[rng.random(shape) < sparsity] = 0.0
            elif role == "gamma":
                values = rng.uniform(0.5, 1.5, size=shape)
            elif role == "moving_variance":
                values = rng.uniform(0.5, 2.0, size=shape)
            elif role in ("bias", "beta", "moving_mean"):
                values = rng.normal(0.0, 0.3 if role == "bias" else 0.2, size=shape)
            else:  # counters such as QConv2DBatchnorm's iteration
                continue
            variable.assign(values.astype(np.float32))


def random_inputs(shape: tuple[int, ...], n: int, seed: int) -> np.ndarray:
    """Mono8 frames as model inputs (pixel / 256), the first all zero and the second all 255."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(n, *shape))
    pixels[0] = 0
    if n > 1:
        pixels[1] = 255
    if n > 3:  # a smooth frame, nearer to what a camera sees than noise
        ramp = np.linspace(0, 255, int(np.prod(shape))).reshape(shape)
        pixels[2] = np.rint(ramp)
    return pixels.astype(np.float64) / 256.0


def random_model(seed: int, max_tries: int = 20) -> tuple[ModelSpec, Any]:
    """A random model whose layers Keras computes exactly in float32 (accumulators <= 24 bits).

    Models that float32 itself would round are redrawn (seed, seed + 10_000, ...): comparing
    them with the exact interpreter would test float32, not lepton_hw.
    """
    from lepton_hw.frontend.qkeras import convert_model
    from lepton_hw.passes.precision import float32_exact

    for attempt in range(max_tries):
        spec = random_spec(seed + 10_000 * attempt)
        model = build_model(spec)
        if not float32_exact(convert_model(model, INPUT_TYPE)):
            return spec, model
    raise RuntimeError(f"no float32-exact model drawn from seed {seed} in {max_tries} tries")
