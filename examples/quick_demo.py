"""Quick demo: a small QKeras model on sklearn's 8x8 digits, imported and run bit-exactly.

Trains a tiny 4-bit model for a few epochs (seconds), saves it, then uses the command line
exactly as a user would: import -> info -> predict with the integer interpreter (the golden
model) and with Keras, and checks that both give the same numbers, bit for bit.
Run with `make demo`; the outputs land in build/demo/.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from lepton_hw.cli import main as lepton_hw
from lepton_hw.frontend.keras_env import tf_keras

OUT = Path("build/demo")


def digits_as_mono8() -> tuple[np.ndarray, np.ndarray]:
    """sklearn's digits (values 0..16) as Mono8 frames, given to the model as pixel / 256."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = np.minimum(digits.images * 16, 255).astype(np.uint8)
    return pixels[..., None].astype(np.float64) / 256.0, digits.target


def train(x: np.ndarray, y: np.ndarray) -> object:
    keras = tf_keras()
    import qkeras

    keras.utils.set_random_seed(0)
    q4 = "quantized_bits(4,0,alpha=1)"
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            qkeras.QConv2D(8, 3, kernel_quantizer=q4, bias_quantizer=q4, name="conv1"),
            qkeras.QActivation("quantized_relu(4,2)", name="relu1"),
            keras.layers.MaxPooling2D(2, name="pool1"),
            keras.layers.Flatten(name="flatten"),
            qkeras.QDense(10, kernel_quantizer=q4, bias_quantizer=q4, name="logits"),
            keras.layers.Activation("softmax", name="softmax"),
        ],
        name="digits_demo",
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=64, verbose=0)
    return model


def run() -> int:
    start = time.time()
    x, y = digits_as_mono8()
    split = 1400
    print(f"training a 4-bit QKeras CNN on {split} sklearn digits (8x8 Mono8)...")
    model = train(x[:split], y[:split])
    OUT.mkdir(parents=True, exist_ok=True)
    model.save(OUT / "model.h5")
    np.save(OUT / "x_test.npy", x[split:])

    steps = [
        ["import", str(OUT / "model.h5"), "-o", str(OUT / "ir"), "--force"],
        ["info", str(OUT / "ir")],
        ["predict", str(OUT / "ir"), "-i", str(OUT / "x_test.npy"), "-o", str(OUT / "y_ir.npy"), "--engine", "ir"],
        [
            "predict",
            str(OUT / "ir"),
            "-i",
            str(OUT / "x_test.npy"),
            "-o",
            str(OUT / "y_keras.npy"),
            "--engine",
            "keras",
        ],
    ]
    for argv in steps:
        print(f"\n$ lepton-hw {' '.join(argv)}")
        status = lepton_hw(argv)
        if status != 0:
            return status

    y_ir, y_keras = np.load(OUT / "y_ir.npy"), np.load(OUT / "y_keras.npy")
    mismatches = int(np.count_nonzero(y_ir != y_keras))
    accuracy = float(np.mean(np.argmax(y_ir, axis=1) == y[split:]))
    print(f"\ntest accuracy (integer interpreter): {accuracy:.1%} on {len(y_ir)} digits")
    print(
        f"bit-exact, interpreter vs Keras: {'yes' if mismatches == 0 else 'NO'} "
        f"({mismatches} of {y_ir.size} values differ)"
    )
    print(f"done in {time.time() - start:.0f} s; outputs in {OUT}/")
    return 0 if mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(run())
