"""The QKeras model described by a config's ``model`` section.

Each conv layer is QConv2D -> QActivation(quantized_relu) -> optional 2D pooling; hidden dense
layers are QDense -> QActivation; the last dense layer outputs logits (no softmax: the loss
takes logits, and the hardware outputs logits and their argmax). Weights use
``quantized_bits(bits, integer, alpha=1)`` so that every weight is an exact fixed-point value.
"""

from __future__ import annotations

from typing import Any

from lepton_hw.config import LayerConfig, ModelConfig
from lepton_hw.errors import ConfigError
from lepton_hw.frontend.keras_env import tf_keras
from lepton_hw.ir.graph import conv_output_size


def layer_names(config: ModelConfig) -> list[str]:
    """The names of the weighted layers, as the model and metrics.json call them."""
    names, conv, dense = [], 0, 0
    for index, layer in enumerate(config.layers):
        if layer.type == "conv":
            conv += 1
            names.append(f"conv{conv}")
        elif index == len(config.layers) - 1:
            names.append("logits")
        else:
            dense += 1
            names.append(f"dense{dense}")
    return names


def check_shapes(config: ModelConfig, input_size: tuple[int, int]) -> None:
    """Every conv and pooling layer must leave at least one pixel; named by key path."""
    height, width = input_size
    for index, layer in enumerate(config.layers):
        if layer.type != "conv":
            continue
        height = conv_output_size(height, layer.kernel, layer.stride, layer.padding)
        width = conv_output_size(width, layer.kernel, layer.stride, layer.padding)
        if layer.pool != "none":
            height, width = height // layer.pool_size, width // layer.pool_size
        if height < 1 or width < 1:
            raise ConfigError(
                f"model.layers[{index}]: the {input_size[0]}x{input_size[1]} input shrinks to nothing here "
                "(kernel, stride or pooling too large); use padding: same, a smaller kernel or fewer pools"
            )


def build_model(config: ModelConfig, input_size: tuple[int, int], classes: int, name: str, seed: int = 0) -> Any:
    """An untrained QKeras model whose initial weights follow from ``seed``."""
    keras = tf_keras()
    import qkeras

    check_shapes(config, input_size)
    names = layer_names(config)
    inputs = keras.Input((*input_size, 1), name="pixels")
    x = inputs
    for index, (layer, layer_name) in enumerate(zip(config.layers, names, strict=True)):
        quantizers = _quantizers(layer)
        # One seeded initializer per layer: the same config and seed always start from the same weights.
        initializer = keras.initializers.HeNormal(seed=seed * 1000 + index)
        suffix = layer_name.removeprefix("conv").removeprefix("dense").removeprefix("logits")
        if layer.type == "conv":
            x = qkeras.QConv2D(
                layer.filters,
                layer.kernel,
                strides=layer.stride,
                padding=layer.padding,
                name=layer_name,
                kernel_initializer=initializer,
                **quantizers,
            )(x)
            x = qkeras.QActivation(_relu(layer), name=f"relu{suffix}")(x)
            if layer.pool != "none":
                pool = keras.layers.MaxPooling2D if layer.pool == "max" else keras.layers.AveragePooling2D
                x = pool(layer.pool_size, name=f"pool{suffix}")(x)
            if index + 1 < len(config.layers) and config.layers[index + 1].type == "dense":
                x = keras.layers.Flatten(name="flatten")(x)
        else:
            if index == 0:
                x = keras.layers.Flatten(name="flatten")(x)
            units = classes if index == len(config.layers) - 1 else layer.units
            x = qkeras.QDense(units, name=layer_name, kernel_initializer=initializer, **quantizers)(x)
            if index < len(config.layers) - 1:
                x = qkeras.QActivation(_relu(layer), name=f"relu_dense{suffix}")(x)
    return keras.Model(inputs, x, name=name)


def _quantizers(layer: LayerConfig) -> dict[str, str]:
    return {
        "kernel_quantizer": f"quantized_bits({layer.weight_bits},{layer.weight_int},alpha=1)",
        "bias_quantizer": f"quantized_bits({layer.bias_bits},{layer.bias_int},alpha=1)",
    }


def _relu(layer: LayerConfig) -> str:
    return f"quantized_relu({layer.activation_bits},{layer.activation_int})"
