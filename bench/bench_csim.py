"""C simulation of the camera example model: compile time and inferences per second.

Uses the camera example model (examples/camera_defects.yaml) trained by bench_train.py in
build/bench/camera_defects_0, or trains it first (about 100 s). Compiles hls4ml's C simulation
into a fresh cache folder for each strategy (cold compile: the time a user waits once per design),
then runs the 900 test frames 3 times and prints the median rate, next to the integer
interpreter's rate on the same frames in the same process (ratio csim / interpreter).
Run with `make bench` or `.venv/bin/python bench/bench_csim.py`.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np

from lepton_hw.backends.hls import compile_csim, predict_csim
from lepton_hw.config import load_config
from lepton_hw.engines import load_ir
from lepton_hw.ir import interp
from lepton_hw.train.run import train

MODEL = Path("build/bench/camera_defects_0")
RUNS = 3


def camera_example() -> Path:
    if not (MODEL / "ir" / "ir.json").is_file():
        print(f"training the camera example into {MODEL} first...")
        train(load_config(Path(__file__).parents[1] / "examples" / "camera_defects.yaml"), MODEL, force=True)
    return MODEL


def rate(run: object, n: int) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def main() -> None:
    folder = camera_example()
    graph = load_ir(folder)
    raw = interp.quantize_input(graph, np.load(folder / "test_x.npy"))
    n = len(raw)
    ir_rate = rate(lambda: interp.run(graph, raw), n)
    print(f"camera example model: {graph.input.shape} input, {n} test frames; interpreter {ir_rate:,.0f} frames/s")
    for strategy in ("latency", "resource", "da"):
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            compile_csim(graph, strategy=strategy, cache_dir=Path(cache))
            compile_seconds = time.perf_counter() - start
            csim_rate = rate(lambda s=strategy, c=cache: predict_csim(graph, raw, strategy=s, cache_dir=Path(c)), n)
        print(
            f"  csim {strategy:<8} compile {compile_seconds:5.1f} s (cold), {csim_rate:,.0f} frames/s "
            f"(median of {RUNS}), {csim_rate / ir_rate:.2f}x the interpreter"
        )


if __name__ == "__main__":
    main()
