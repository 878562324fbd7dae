"""The camera core before and after the schedule: LUTs, Fmax, cycles, latency, stalls, per board.

"before" is the core as lepton_hw built it until the schedule existed, rebuilt from today's code by
forcing its choices: every layer a full-rate da4ml graph (the dense layer on a frame-wide shift
register) and no pipeline registers (``pipeline 0``). "after" is the default schedule (the dense
layer folded, one adder level per pipeline stage). Both are simulated in Verilator on test frames
(cycles per frame, latency from the last pixel, input stall cycles) and estimated with Yosys +
nextpnr: xc7 LUTs from Yosys with the logic-depth Fmax model (modelled, marked *), ECP5 and iCE40
Fmax from nextpnr (measured). Uses the camera example trained by bench_train.py in
build/bench/camera_defects_0 (or trains it, about 100 s).

Run with `make bench` or `.venv/bin/python bench/bench_core.py [--boards pynq-z2,ecp5-25f,...]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np

from lepton_hw.backends.rtl import build_rtl, write_rtl
from lepton_hw.backends.rtl.project import record_timing
from lepton_hw.boards import get_board
from lepton_hw.config import load_config
from lepton_hw.engines import load_ir
from lepton_hw.estimate import estimate
from lepton_hw.ir import interp
from lepton_hw.schedule import LayerChoice, ScheduleOptions
from lepton_hw.sim import run as sim_run
from lepton_hw.train.run import train

ROOT = Path(__file__).parents[1]
MODEL = Path("build/bench/camera_defects_0")
WORK = Path("build/bench/core")
FRAMES = 32


def camera_example() -> Path:
    if not (MODEL / "ir" / "ir.json").is_file():
        print(f"training the camera example into {MODEL} first...")
        train(load_config(ROOT / "examples" / "camera_defects.yaml"), MODEL, force=True)
    return MODEL


def variants(graph) -> dict[str, ScheduleOptions]:
    weighted = [n.name for n in graph.nodes if n.op in ("conv2d", "dense")]
    return {
        "before": ScheduleOptions(pipeline=0, layers={name: LayerChoice(impl="da") for name in weighted}),
        "after": ScheduleOptions(),
    }


def build(name: str, graph, options: ScheduleOptions, model: Path) -> Path:
    folder = WORK / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copytree(model / "ir", folder / "ir")
    project = build_rtl(graph, options=options)
    write_rtl(project, folder / "rtl")
    raw = interp.quantize_input(graph, np.load(model / "test_x.npy")[:FRAMES])
    run = sim_run.simulate(project, graph, raw, "verilator")
    assert run.result.packets == sim_run.expected_packets(graph, raw), f"{name}: not bit-exact"
    record_timing(folder / "rtl", run.report)
    print(f"{name}: schedule\n{project.schedule_table()}\n")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--boards", default="pynq-z2,ecp5-25f,icebreaker")
    args = parser.parse_args()
    boards = [get_board(b) for b in args.boards.split(",")]
    model = camera_example()
    graph = load_ir(model)
    rows = []
    for name, options in variants(graph).items():
        folder = build(name, graph, options, model)
        start = time.perf_counter()
        doc = estimate(folder, boards)
        seconds = time.perf_counter() - start
        sim = doc["design"]["simulated"]
        report = json.loads((folder / "rtl" / "sim_report.json").read_text())
        for entry in doc["boards"]:
            fmax = entry["fmax_mhz"]
            rows.append((
                name, entry["board"], f"{entry['resources']['lut']['value']:,}",
                f"{entry['resources']['ff']['value']:,}",
                str(entry["resources"]["dsp"]["value"]), "yes" if entry["fits"] else "NO",
                "-" if fmax["value"] is None else f"{fmax['value']:.1f}" + ("" if fmax["measured"] else "*"),
                str(sim.get("cycles_per_frame")), str(sim.get("latency_cycles")),
                str(report.get("input_stall_cycles")), f"{seconds:.0f}",
            ))  # fmt: skip
    header = ("core", "board", "LUT", "FF", "DSP", "fits", "Fmax MHz", "cycles/frame", "latency", "in stalls", "est s")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print("* = modelled (the Xilinx logic-depth model); other Fmax figures are nextpnr's. 'est s' = estimate time.")


if __name__ == "__main__":
    main()
