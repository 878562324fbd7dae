"""RTL simulation speed: the native Verilator harness against cocotb and hls4ml's C simulation.

Uses the camera example model (examples/camera_defects.yaml) trained by bench_train.py in
build/bench/camera_defects_0, or trains it first (about 100 s). Everything runs in one process on
one machine, so the ratios compare like with like. It prints:

1. cold builds in a fresh cache: the native harness, the cocotb Verilator build, hls4ml's C simulation;
2. the 900 test frames through `lepton-hw predict --engine rtl` (a new process each time: process start,
   loading the model and the build cache included; build excluded, then included; the frames split over
   the machine's cores, as predict does), against `predict --engine csim` on the same frames; median of
   3 runs, frames/s and the ratio;
3. the same frames in-process: one native harness process, the frames split over the cores,
   cocotb-verilator (64 frames), Icarus (8 frames) and hls4ml's C simulation;
4. one 1280x1024 frame through a full-width random network (build excluded);
5. `verify --engines ir,keras,csim,rtl` on the 900 frames with every build cached.

Run with `make bench` or `.venv/bin/python bench/bench_rtl.py`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"
ROOT = Path(__file__).resolve().parents[1]

import numpy as np  # noqa: E402

from lepton_hw.backends.hls import predict_csim  # noqa: E402
from lepton_hw.backends.rtl import build_rtl, write_rtl  # noqa: E402
from lepton_hw.config import load_config  # noqa: E402
from lepton_hw.engines import load_ir  # noqa: E402
from lepton_hw.ir import interp  # noqa: E402
from lepton_hw.sim import run as sim_run  # noqa: E402
from lepton_hw.train.run import train  # noqa: E402

MODEL = ROOT / "build/bench/camera_defects_0"
RUNS = 3
LEPTON = [sys.executable, "-m", "lepton_hw.cli"]


def camera_example() -> Path:
    if not (MODEL / "ir" / "ir.json").is_file():
        print(f"training the camera example into {MODEL} first...")
        train(load_config(ROOT / "examples" / "camera_defects.yaml"), MODEL, force=True)
    return MODEL


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def median_of(command: list[str], env: dict[str, str]) -> float:
    return statistics.median(timed(command, env) for _ in range(RUNS))


def wide_network() -> object:
    """A random network as wide as a 1280x1024 camera frame: conv 3x3, three 4x4 max pools, dense."""
    from lepton_hw.ir.fixed import FixedType
    from lepton_hw.testing.ir_cases import U8, chain

    t = FixedType.parse
    layers = [
        ("conv", 4, (3, 3), 1, "valid", t("ap_fixed<10,4,AP_RND_CONV,AP_SAT>")),
        ("relu", t("ap_ufixed<4,2,AP_RND_CONV,AP_SAT>")),
        ("maxpool", 4, 4, "valid"),
        ("maxpool", 4, 4, "valid"),
        ("maxpool", 4, 4, "valid"),
        ("flatten",),
        ("dense", 5, t("ap_fixed<16,8>")),
    ]
    return chain("wide_1280", (1024, 1280, 1), U8, layers, seed=7)


def main() -> None:
    folder = camera_example()
    graph = load_ir(folder)
    x = np.load(folder / "test_x.npy")
    raw = interp.quantize_input(graph, x)
    n = len(raw)
    cache = Path(tempfile.mkdtemp(prefix="bench-rtl-"))
    env = {**os.environ, "LEPTON_HW_CACHE": str(cache)}
    project = build_rtl(graph)
    print(f"camera example: {graph.input.shape} input, {n} test frames, core {project.core['content_hash'][:12]}")

    # 1. cold builds
    print("\ncold builds (fresh cache)")
    t0 = time.perf_counter()
    native_build = sim_run.build(project, "verilator", cache_dir=cache / "rtl", optimize=True)
    native_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    cocotb_build = sim_run.build(project, "cocotb-verilator", cache_dir=cache / "rtl")
    cocotb_cold = time.perf_counter() - t0
    print(f"  native harness (Verilator {native_build.options}): {native_cold:.1f} s")
    print(f"  cocotb Verilator build ({cocotb_build.options}): {cocotb_cold:.1f} s")

    # 2. predict, a new process each time
    x_file = cache / "x.npy"
    np.save(x_file, x)
    out = cache / "y.npy"
    # the model's IR and the core above in a folder of their own
    model = cache / "model"
    shutil.copytree(folder / "ir", model / "ir")
    write_rtl(project, model / "rtl")  # what `lepton-hw rtl` writes: predict simulates this core
    predict = [*LEPTON, "predict", str(model), "-i", str(x_file), "-o", str(out)]
    csim_cold = timed([*predict, "--engine", "csim"], env)  # compiles the C simulation once
    rtl_warm = median_of([*predict, "--engine", "rtl"], env)
    y_rtl = np.load(out)
    csim_warm = median_of([*predict, "--engine", "csim"], env)
    y_csim = np.load(out)
    ir_warm = median_of([*predict, "--engine", "ir"], env)
    y_ir = np.load(out)
    native_build_s = native_build.seconds
    print(f"\n`lepton-hw predict` on {n} frames (process start included; median of {RUNS})")
    print("  engine           seconds  frames/s   ratio to csim")
    for name, s in (("ir", ir_warm), ("csim", csim_warm), ("rtl native", rtl_warm)):
        print(f"  {name:<15} {s:8.2f} {n / s:9.0f} {csim_warm / s:14.1f}x")
    print(f"  rtl native, build included: {rtl_warm + native_build_s:.2f} s ({n / (rtl_warm + native_build_s):.0f} "
          f"frames/s); csim, compile included: {csim_cold:.2f} s")  # fmt: skip
    assert np.array_equal(y_rtl, y_ir) and np.array_equal(y_csim, y_ir), "engines disagree"

    # 3. in-process runs of each simulator
    print("\nin-process simulation of the camera core (build excluded; median of 3)")
    print("  simulator          frames  seconds  frames/s  cycles/s   ratio to native")
    rates = {}
    for sim, frames in (("verilator", n), ("cocotb-verilator", 64), ("icarus", 8)):
        b = sim_run.build(project, sim, cache_dir=cache / "rtl", optimize=sim == "verilator")
        plan = sim_run.frames_plan(project, raw[:frames])
        walls = []
        for _ in range(RUNS if sim == "verilator" else 1):
            result = sim_run.run(b, plan)
            walls.append(result.wall_seconds)
            assert result.packets == sim_run.expected_packets(graph, raw[:frames]), sim
        wall = statistics.median(walls)
        rates[sim] = frames / wall
        print(f"  {sim:<18} {frames:6d} {wall:8.2f} {frames / wall:9.1f} {result.cycles / wall:9,.0f} "
              f"{rates[sim] / rates['verilator']:16.4f}")  # fmt: skip
    walls = []
    for _ in range(RUNS):  # the frames split over the machine's cores (what predict and verify do)
        t0 = time.perf_counter()
        split = sim_run.simulate(project, graph, raw, "verilator", cache_dir=cache / "rtl")
        walls.append(time.perf_counter() - t0)
    wall = statistics.median(walls)
    name = f"verilator x{split.report['processes']} proc"
    print(f"  {name:<18} {n:6d} {wall:8.2f} {n / wall:9.1f} {split.report['total_cycles'] / wall:9,.0f} "
          f"{n / wall / rates['verilator']:16.4f}")  # fmt: skip
    walls = []
    for _ in range(RUNS):  # hls4ml's C simulation, compiled above by `predict --engine csim`
        t0 = time.perf_counter()
        y = predict_csim(graph, raw, cache_dir=cache / "csim")
        walls.append(time.perf_counter() - t0)
    assert np.array_equal(y, interp.run(graph, raw).reshape(n, -1)), "csim differs from the interpreter"
    wall = statistics.median(walls)
    print(f"  {'hls4ml csim':<18} {n:6d} {wall:8.2f} {n / wall:9.1f} {'':>9} {n / wall / rates['verilator']:16.4f}")

    # 5. verify, builds cached
    t0 = time.perf_counter()
    shutil.copy(folder / "model.h5", model / "model.h5")  # the keras engine's model
    timed([*LEPTON, "verify", str(model), "-i", str(x_file), "--engines", "ir,keras,csim,rtl"], env)
    print(f"\n`verify --engines ir,keras,csim,rtl` on {n} frames, builds cached: {time.perf_counter() - t0:.1f} s")

    # 4. a full camera frame
    wide = wide_network()
    wide_project = build_rtl(wide)
    t0 = time.perf_counter()
    wide_build = sim_run.build(wide_project, "verilator", cache_dir=cache / "rtl", optimize=True)
    frame = np.random.default_rng(0).integers(0, 256, size=(1, 1024, 1280, 1))
    result = sim_run.run(wide_build, sim_run.frames_plan(wide_project, frame))
    assert result.packets == sim_run.expected_packets(wide, frame), "the wide core differs from the interpreter"
    print(f"\none 1280x1024 frame, full-width network (conv 3x3, 3 max pools, dense): build "
          f"{time.perf_counter() - t0 - result.wall_seconds:.1f} s, simulation {result.wall_seconds:.2f} s "
          f"({result.cycles:,} cycles, {result.cycles / result.wall_seconds:,.0f} cycles/s)")  # fmt: skip


if __name__ == "__main__":
    main()
