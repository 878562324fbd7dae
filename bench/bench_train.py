"""Training wall time and accuracy of the two example configs (issue: training).

For each of examples/digits.yaml and examples/camera_defects.yaml: the wall time of
`lepton-hw train` (dataset, training, import, measurement and plots), the test accuracy of the
integer interpreter, the sparsity reached per layer, and whether Keras equals the interpreter on
the whole test set. Also the surface-defects generator's speed (median of 3 runs of 6,000 frames).
Run with `make bench` or `.venv/bin/python bench/bench_train.py [--runs N]`; outputs go to build/bench/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"

from lepton_hw.config import load_config
from lepton_hw.train.run import train
from lepton_hw.train.surface_defects import generate

EXAMPLES = Path(__file__).parents[1] / "examples"


def bench_generator() -> None:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        generate(6000, size=(32, 32), seed=1)
        times.append(time.perf_counter() - start)
    print(f"surface-defects generator: 6000 frames of 32x32 in {statistics.median(times):.2f} s (median of 3)")


def bench_example(name: str, runs: int) -> None:
    config = load_config(EXAMPLES / f"{name}.yaml")
    times, accuracies = [], []
    for run in range(runs):
        start = time.perf_counter()
        result = train(config, Path("build/bench") / f"{name}_{run}", force=True)
        times.append(time.perf_counter() - start)
        accuracies.append(result.metrics["test"]["accuracy"])
    m = result.metrics
    sparsity = ", ".join(f"{layer['name']} {layer['sparsity_pruned']:.1%}" for layer in m["layers"])
    exact = m["bit_exact"]
    print(
        f"{name}: wall {statistics.median(times):.1f} s (median of {runs}; training alone "
        f"{m['seconds']['training']:.1f} s), test accuracy {statistics.median(accuracies):.2%} "
        f"on {m['samples']['test']} frames, epochs {m['epochs_run']}"
    )
    print(f"  pruned sparsity per layer (target {m['target_sparsity']:.0%}): {sparsity}")
    print(
        f"  {m['model']['nonzero_params']}/{m['model']['params']} parameters non-zero, {m['model']['bops']} BOPs; "
        f"Keras == interpreter on {exact['samples'] - exact['mismatched_samples']}/{exact['samples']} test frames"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="trainings per example (default 1)")
    args = parser.parse_args()
    bench_generator()
    for name in ("digits", "camera_defects"):
        bench_example(name, args.runs)


if __name__ == "__main__":
    main()
