"""An 8-point sweep on local Ray with 1 and then 2 workers: wall time and speedup.

The points are the flow tests' tiny digits config (4 epochs) over weight bits (4, 6), sparsity (0.25,
0.5) and pipeline depth (1, 2): 8 points, 4 training runs, each point the whole flow with a fast
estimate on two boards. Each run starts in a fresh folder with fresh caches (LEPTON_HW_CACHE), so that
both compute everything. Run with `make bench` or `.venv/bin/python bench/bench_sweep.py`.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import yaml

from lepton_hw.sweep import load_sweep, run_sweep
from lepton_hw.testing.configs import TINY_FLOW

TINY = TINY_FLOW  # the flow tests' tiny digits config
SWEEP = {
    "name": "bench_sweep",
    "base": "tiny.yaml",
    "axes": {
        "model.defaults.weight_bits": [4, 6],
        "pruning.target_sparsity": [0.25, 0.5],
        "hardware.pipeline": [1, 2],
    },
    "boards": ["icebreaker", "pynq-z2"],
    "estimate": "fast",
}


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    (root / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    (root / "sweep.yaml").write_text(yaml.safe_dump(SWEEP))
    spec = load_sweep(root / "sweep.yaml")
    print(f"8-point sweep ({len({p.training_id for p in spec.points()})} training runs), fast estimate, {root}")
    walls = {}
    for workers in (1, 2):
        os.environ["LEPTON_HW_CACHE"] = str(root / f"cache{workers}")  # cold caches for both runs
        start = time.perf_counter()
        result = run_sweep(spec, root / f"out{workers}", workers=workers)
        walls[workers] = time.perf_counter() - start
        done = sum(p["status"] == "done" for p in result.points)
        print(f"  {workers} worker(s): {walls[workers]:.0f} s, {done} of {len(result.points)} points done")
    print(f"  speedup with 2 workers: {walls[1] / walls[2]:.2f}x")


if __name__ == "__main__":
    main()
