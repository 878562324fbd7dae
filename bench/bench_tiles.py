"""Whole camera frames: the camera example's tiles at 1280x1024 in the RTL core and the HLS wrapper.

Uses the camera example model (examples/camera_defects.yaml) trained by bench_train.py in
build/bench/camera_defects_0, or trains it first (about 100 s). For frames from the surface-defects
generator (defects planted in known tiles) and random frames, it runs the tiled RTL core (native
Verilator harness) and the HLS wrapper's C simulation, compares both per-tile maps with the
interpreter's with ==, and prints:

- the core's cycles per frame (back to back) against W x H, input stall cycles, the latency from the
  last tile's last pixel to the packet's last beat;
- wall-clock figures: build, then frames/s of each engine (median of 3 runs, same process);
- the tiles the model gets right on the generator's frames.

Run with `.venv/bin/python bench/bench_tiles.py [WIDTH HEIGHT [FRAMES]]` (default 1280 1024 2).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"
ROOT = Path(__file__).resolve().parents[1]

import numpy as np  # noqa: E402

from lepton_hw.backends.hls import predict_csim_frames  # noqa: E402
from lepton_hw.backends.rtl import build_rtl  # noqa: E402
from lepton_hw.config import load_config  # noqa: E402
from lepton_hw.engines import load_ir  # noqa: E402
from lepton_hw.schedule import ScheduleOptions  # noqa: E402
from lepton_hw.sim import run as sim_run  # noqa: E402
from lepton_hw.tiles import tile_map  # noqa: E402
from lepton_hw.train.run import train  # noqa: E402
from lepton_hw.train.surface_defects import compose_frames  # noqa: E402

MODEL = ROOT / "build/bench/camera_defects_0"
RUNS = 3


def camera_example() -> Path:
    if not (MODEL / "ir" / "ir.json").is_file():
        print(f"training the camera example into {MODEL} first...")
        train(load_config(ROOT / "examples" / "camera_defects.yaml"), MODEL, force=True)
    return MODEL


def median_seconds(run: object, *args: object) -> tuple[float, object]:
    times, result = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = run(*args)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    width, height = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (1280, 1024)
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    graph = load_ir(camera_example())
    config = load_config(ROOT / "examples" / "camera_defects.yaml")
    d = config.dataset
    h, w = graph.input.shape[0], graph.input.shape[1]
    generated, labels = compose_frames(count, width, height, (h, w), seed=1, classes=d.classes, difficulty=d.difficulty)
    rng = np.random.default_rng(0)
    random = rng.integers(0, 256, size=(count, height, width, 1))
    project = build_rtl(graph, options=ScheduleOptions(frame=(width, height)))
    tiles = project.tiling
    assert tiles is not None
    print(f"camera example, {width}x{height} frames: {tiles.tiles_x}x{tiles.tiles_y} tiles of {w}x{h}")
    print(project.schedule_table())
    start = time.perf_counter()
    sim_run.build(project, optimize=True)
    print(f"native harness build: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    predict_csim_frames(graph, generated[:1].astype(np.int64), frame=(width, height))
    print(f"HLS C simulation build and first frame: {time.perf_counter() - start:.1f} s")

    for name, frames in (("generator", generated.astype(np.int64)), ("random", random)):
        want = tile_map(graph, frames)
        rtl_s, rtl = median_seconds(sim_run.simulate, project, graph, frames)
        csim_s, csim = median_seconds(predict_csim_frames, graph, frames)
        rtl_equal = np.array_equal(rtl.outputs, want)  # type: ignore[attr-defined]
        csim_equal = np.array_equal(csim, want)
        r = rtl.report  # type: ignore[attr-defined]
        print(
            f"{name} frames ({count}): rtl == interpreter: {rtl_equal}, csim == interpreter: {csim_equal}; "
            f"{want.shape[1] * want.shape[2] * count} tiles"
        )
        print(
            f"  rtl: {r['cycles_per_frame']} cycles per frame (W x H = {width * height}), input stalls "
            f"{r['input_stall_cycles']}, latency {r['latency_cycles']} cycles (last tile's last pixel -> packet end); "
            f"{count / rtl_s:.2f} frames/s ({rtl_s:.2f} s median of {RUNS})"
        )
        print(f"  csim: {count / csim_s:.2f} frames/s ({csim_s:.2f} s median of {RUNS}); ratio rtl/csim "
              f"{csim_s / rtl_s:.1f}x")  # fmt: skip
        if name == "generator":
            predicted = np.argmax(want, axis=-1)
            print(f"  tiles classified as planted: {int((predicted == labels).sum())} of {labels.size}")
        if not (rtl_equal and csim_equal):
            sys.exit(1)


if __name__ == "__main__":
    main()
