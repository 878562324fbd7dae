"""Benchmark of `lepton-hw flow`: each step's time on a first run, and the fully cached rerun.

    python bench/bench_flow.py [CONFIG.yaml] [--fresh-cache] [--reruns N]

Default config: examples/camera_defects.yaml (what `make demo` runs). The flow writes into a temporary
folder; --fresh-cache also points LEPTON_HW_CACHE (compiled C simulations, RTL builds, syntheses) at
an empty folder, as on a fresh machine (the YoWASP tools' own compile cache is kept). The targets of
issue 7: the first run (make demo) under 15 minutes on 2 cores, a cached rerun under 30 seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parents[1]
    parser.add_argument("config", nargs="?", default=str(root / "examples" / "camera_defects.yaml"))
    parser.add_argument("--fresh-cache", action="store_true", help="an empty LEPTON_HW_CACHE")
    parser.add_argument("--reruns", type=int, default=3, help="cached reruns to time (median)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_flow_") as work:
        if args.fresh_cache:
            os.environ["LEPTON_HW_CACHE"] = str(Path(work) / "cache")
        from lepton_hw import flow

        out = Path(work) / "run"
        start = time.perf_counter()
        result = flow.run(args.config, out, progress=print)
        first = time.perf_counter() - start
        reruns = []
        for _ in range(args.reruns):
            start = time.perf_counter()
            again = flow.run(args.config, out)
            reruns.append(time.perf_counter() - start)
            assert all(step.status == "cached" for step in again.steps), [s.status for s in again.steps]
        print()
        print(f"config {args.config} ({'fresh' if args.fresh_cache else 'warm'} build caches)")
        for step in result.steps:
            print(f"  {step.name:<9} {step.seconds:8.1f} s")
        print(f"first run          {first:8.1f} s  (target: make demo under 900 s with the install)")
        median = statistics.median(reruns)
        print(f"cached rerun       {median:8.2f} s  median of {len(reruns)} (target: under 30 s)")
        print(f"ratio first/rerun  {first / median:8.0f}x")


if __name__ == "__main__":
    main()
