"""Interpreter speed against Keras predict on the same 1,000 32x32 Mono8 inputs.

The model has the camera example's shape: two 3x3 conv blocks (4-bit weights, 4-bit ReLU)
with 2x2 max pooling, then one dense layer. Prints the median of 5 runs of each and the
ratio interpreter / Keras in images per second (above 1: the interpreter is faster).
Run with `make bench` or `.venv/bin/python bench/bench_interp.py`.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np

from lepton_hw.frontend.keras_env import tf_keras
from lepton_hw.frontend.qkeras import convert_model
from lepton_hw.ir import interp
from lepton_hw.testing.models import INPUT_TYPE

N_IMAGES = 1000
RUNS = 5


def camera_shaped_model() -> object:
    keras = tf_keras()
    import qkeras

    keras.utils.set_random_seed(0)
    q4 = "quantized_bits(4,0,alpha=1)"
    return keras.Sequential(
        [
            keras.Input((32, 32, 1)),
            qkeras.QConv2D(8, 3, kernel_quantizer=q4, bias_quantizer=q4, name="conv1"),
            qkeras.QActivation("quantized_relu(4,2)", name="relu1"),
            keras.layers.MaxPooling2D(2, name="pool1"),
            qkeras.QConv2D(16, 3, kernel_quantizer=q4, bias_quantizer=q4, name="conv2"),
            qkeras.QActivation("quantized_relu(4,2)", name="relu2"),
            keras.layers.MaxPooling2D(2, name="pool2"),
            keras.layers.Flatten(name="flatten"),
            qkeras.QDense(5, kernel_quantizer=q4, bias_quantizer=q4, name="logits"),
        ]
    )


def median_seconds(fn: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    model = camera_shaped_model()
    graph = convert_model(model, INPUT_TYPE)
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(N_IMAGES, 32, 32, 1))
    x_float = (pixels / 256.0).astype(np.float32)

    model.predict(x_float[:64], verbose=0)  # build Keras' predict function outside the timing
    keras_s = median_seconds(lambda: model.predict(x_float, batch_size=256, verbose=0))
    interp_s = median_seconds(lambda: interp.run(graph, pixels))
    interp_float_s = median_seconds(lambda: interp.run_float(graph, x_float))

    y_ir = interp.run_float(graph, x_float).reshape(N_IMAGES, -1)
    y_keras = model.predict(x_float, batch_size=256, verbose=0).astype(np.float64)
    print(f"model: {graph.macs()} MACs per image; {N_IMAGES} images 32x32x1; median of {RUNS} runs")
    print(f"keras predict (float32, batch 256): {keras_s * 1e3:8.1f} ms  {N_IMAGES / keras_s:9.0f} images/s")
    print(f"interpreter on raw integers:        {interp_s * 1e3:8.1f} ms  {N_IMAGES / interp_s:9.0f} images/s")
    print(
        f"interpreter from floats (checked):  {interp_float_s * 1e3:8.1f} ms  {N_IMAGES / interp_float_s:9.0f} images/s"
    )
    print(
        f"ratio interpreter / keras (images/s): {keras_s / interp_s:.2f}x (raw), "
        f"{keras_s / interp_float_s:.2f}x (floats)"
    )
    print(f"bit-exact on all {y_ir.size} outputs: {bool(np.array_equal(y_ir, y_keras))}")


if __name__ == "__main__":
    main()
