"""Fuzzing at scale: a traffic soak on the native RTL harness, and a random-model sweep over every engine.

``soak``: each corner network of lepton_hw.testing.ir_cases (odd frames, 5x5 same convolutions whose
outputs overlap the next frame, partial pooling windows, strides, signed multi-channel input, one-line
frames...) receives thousands of frames in runs of a few hundred, each run with its own random input
gaps and output backpressure, and between the frames random events: idle gaps, resets in mid-frame,
error clears, and malformed frames (short, long, missing start of frame, cut short, a long last line).
The packets must be exactly those of the well-formed frames, in order (none lost, duplicated or made
up), each equal to the interpreter's; no stalled result beat may change (the harness' protocol check).

``models``: random QKeras models (lepton_hw.testing.models), each saved and imported as a user would,
then run on the same frames by every engine: the interpreter, Keras, hls4ml's C simulation and the RTL
core with a random schedule (kernel da or mac, pipeline 0-2, layers forced to a random legal fold).
Every engine's outputs must equal the interpreter's (==).

Run with ``make fuzz`` (a few minutes) or ``python -m lepton_hw.testing.fuzz soak --frames 100000``
and ``... models --count 100`` for the long runs; each prints what it covered.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw.backends.rtl import RtlProject, build_rtl
from lepton_hw.ir.graph import Graph
from lepton_hw.sim import run as sim_run

Log = Callable[[str], None]
EVENTS = ("good", "idle", "reset", "clear_error", "short_line", "long_line", "no_sof", "cut_short", "long_last")


@dataclasses.dataclass
class SoakReport:
    frames: int = 0  # frames sent, well-formed or not
    packets: int = 0  # packets checked against the interpreter
    runs: int = 0
    cycles: int = 0
    events: Counter = dataclasses.field(default_factory=Counter)
    mismatches: int = 0
    protocol_violations: int = 0
    sim_seconds: float = 0.0
    seconds: float = 0.0

    def summary(self) -> str:
        events = ", ".join(f"{name} {self.events[name]:,}" for name in EVENTS if self.events[name])
        return (
            f"soak: {self.frames:,} frames in {self.runs} runs ({self.cycles:,} clocks, {self.sim_seconds:.1f} s "
            f"simulated, {self.seconds:.1f} s in all): {self.packets:,} packets equal to the interpreter's, "
            f"{self.mismatches} mismatches, {self.protocol_violations} protocol violations; events: {events}"
        )


def _soak_run(project: RtlProject, graph: Graph, rng: np.random.Generator, frames: int, report: SoakReport) -> tuple:
    """One run: a plan of ``frames`` frames with random events; (plan, expected packets)."""
    layout = project.layout
    t = graph.input.type
    raw = rng.integers(t.min_raw, t.max_raw + 1, size=(frames, *graph.input.shape))
    raw[rng.random(frames) < 0.02] = t.max_raw  # saturating frames now and then
    raw[rng.random(frames) < 0.01] = t.min_raw
    words = sim_run.input_words(raw, layout)
    plan = sim_run.Plan()
    good: list[int] = []
    pending: list[np.ndarray] = []  # good frames not yet added to the plan (sent back to back)

    def flush() -> None:
        if pending:
            plan.frames(pending)
            pending.clear()

    previous = "good"
    for k in range(frames):
        event = str(rng.choice(EVENTS, p=[0.80, 0.04, 0.02, 0.01, 0.03, 0.03, 0.02, 0.03, 0.02]))
        if k == frames - 1:
            # the run ends with a good frame: a frame cut short is only filled (and the frame before it,
            # with same padding, only drained) when the next start of frame comes
            event = "good"
        if event == "no_sof" and previous == "cut_short":
            event = "short_line"  # lines without a start of frame would complete the cut frame: a good one
        previous = event
        report.events[event] += 1
        lines = sim_run.frame_lines(words[k])
        if event in ("good", "idle", "clear_error"):
            if event == "idle":
                flush()
                plan.idle(int(rng.integers(1, 50)))
            elif event == "clear_error":
                flush()
                plan.clear_error()
            pending.append(words[k])
            good.append(k)
            continue
        flush()
        row = int(rng.integers(0, max(1, len(lines) - 1)))
        # the first lines of a frame, never all of it (a frame of one line: the start of that line)
        partial = lines[: row + 1] if len(lines) > 1 else [(1, lines[0][1][: int(rng.integers(1, layout.width))])]
        if event == "reset":
            # a pause first: with same padding, a frame's last outputs use the next frame's first pixels
            # as slots (or idle clocks); a reset that discards those would drop that result too
            plan.idle(layout.height * layout.width)
            plan.lines(partial)
            plan.reset(int(rng.integers(1, 6)))
        elif event == "short_line":
            lines[row] = (lines[row][0], lines[row][1][: int(rng.integers(1, layout.width))])
            plan.lines(lines)
        elif event == "long_line":
            lines[row] = (lines[row][0], lines[row][1] + [int(v) for v in rng.integers(0, 256, 3)])
            plan.lines(lines)
        elif event == "no_sof":
            plan.lines([(0, beats) for _, beats in lines])
        elif event == "cut_short":
            plan.lines(partial)
        else:  # long_last
            lines[-1] = (0, lines[-1][1] + [1])
            plan.lines(lines)
    flush()
    plan.packets = len(good)
    plan.in_pause = float(rng.choice([0.0, 0.1, 0.4]))
    plan.out_pause = float(rng.choice([0.0, 0.3, 0.8, 0.95]))
    plan.seed = int(rng.integers(0, 2**31))
    plan.timeout_cycles = 50_000
    return plan, sim_run.expected_packets(graph, raw[good]) if good else []


def soak(
    frames: int = 20_000, seed: int = 0, run_frames: int = 500, graph: Graph | None = None,
    project: RtlProject | None = None, cache: Path | None = None, log: Log = print,
) -> SoakReport:  # fmt: skip
    """Send ``frames`` frames with random traffic through one core (``project``, default: ``graph``'s
    core); every packet is checked (see the module's doc)."""
    if graph is None:
        from lepton_hw.testing.ir_cases import CASES

        graph = CASES["odd_frame_k5_same"]
    project = project or build_rtl(graph)
    sim_build = sim_run.build(project, "verilator", cache_dir=cache, optimize=True)
    rng = np.random.default_rng(seed)
    report = SoakReport()
    start = time.perf_counter()
    while report.frames < frames:
        n = min(run_frames, frames - report.frames)
        plan, expected = _soak_run(project, graph, rng, n, report)
        result = sim_run.run(sim_build, plan, label="soak")
        report.frames += n
        report.runs += 1
        report.cycles += result.cycles
        report.sim_seconds += result.wall_seconds
        report.protocol_violations += result.protocol_violations
        report.packets += next(  # the packets equal to the interpreter's, in order
            (i for i, (a, b) in enumerate(zip(result.packets, expected, strict=False)) if a != b),
            min(len(result.packets), len(expected)),
        )
        if result.packets != expected or result.timed_out:
            report.mismatches += 1
            first = next((i for i, (a, b) in enumerate(zip(result.packets, expected, strict=False)) if a != b), None)
            log(
                f"MISMATCH in run {report.runs} (seed {seed}): {len(result.packets)} packets for {len(expected)} "
                f"expected, first difference at packet {first}, timed out: {result.timed_out}"
            )
        if report.runs % 20 == 0:
            log(f"  {report.frames:,} of {frames:,} frames, {time.perf_counter() - start:.0f} s")
    report.seconds = time.perf_counter() - start
    return report


# ----------------------------------------------------------------------------- random models
@dataclasses.dataclass
class ModelsReport:
    models: int = 0
    refused: int = 0  # models the RTL backend refuses by design (named in the log)
    frames: int = 0
    mismatches: list[str] = dataclasses.field(default_factory=list)
    settings: Counter = dataclasses.field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self) -> str:
        settings = ", ".join(f"{k} {v}" for k, v in sorted(self.settings.items()))
        return (
            f"models: {self.models} random models x {self.frames // max(self.models, 1)} frames through ir, keras, "
            f"csim and rtl in {self.seconds:.0f} s: {len(self.mismatches)} mismatches, {self.refused} refused by "
            f"the RTL backend; RTL settings: {settings}"
        )


def _random_schedule(graph: Graph, rng: np.random.Generator) -> Any:
    """A random legal schedule: kernel, pipeline depth, and some layers forced to a random fold."""
    from lepton_hw.errors import UserError
    from lepton_hw.schedule import LayerChoice, ScheduleOptions, make_schedule

    kernel = str(rng.choice(["da", "mac"]))
    pipeline = int(rng.integers(0, 3))
    options = ScheduleOptions(kernel=kernel, pipeline=pipeline)
    for plan in make_schedule(graph, options).layers:
        if rng.random() < 0.5:
            # a fold's legal range depends on how the layer takes its input (a dense layer folded takes a map
            # position at a time): try one, keep it if the schedule accepts it
            fold = int(rng.integers(1, max(plan.interval, plan.inputs) + 1))
            trial = ScheduleOptions(
                kernel, pipeline=pipeline, layers={**options.layers, plan.name: LayerChoice("fold", fold)}
            )
            try:
                make_schedule(graph, trial)
            except UserError:
                continue
            options = trial
    return options


def random_models(count: int = 10, seed: int = 1000, frames: int = 32, cache: Path | None = None, log: Log = print):
    """``count`` random models through every engine; returns a ModelsReport."""
    from lepton_hw.backends.hls import predict_csim
    from lepton_hw.errors import UnsupportedLayerError
    from lepton_hw.frontend.keras_engine import predict_keras
    from lepton_hw.frontend.keras_env import tf_keras
    from lepton_hw.frontend.qkeras import import_model
    from lepton_hw.ir import interp
    from lepton_hw.testing.models import random_inputs, random_model

    report = ModelsReport()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lepton-fuzz-") as folder:
        for index in range(count):
            model_seed = seed + index
            tf_keras().backend.clear_session()
            _, model = random_model(model_seed)
            path = Path(folder) / f"model_{model_seed}.h5"
            model.save(path)
            graph = import_model(path)
            x = random_inputs(graph.input.shape, frames, model_seed)
            raw = interp.quantize_input(graph, x)
            reference = np.asarray(interp.run(graph, raw)).reshape(len(raw), -1)
            outputs = {  # raw integers, except Keras' exact float64 (compared with the interpreter's floats)
                "keras": predict_keras(graph, x),
                "csim": predict_csim(graph, raw, cache_dir=cache / "csim" if cache else None),
            }
            rng = np.random.default_rng(model_seed)
            options = _random_schedule(graph, rng)
            try:
                project = build_rtl(graph, options=options)
            except UnsupportedLayerError as err:
                report.refused += 1
                log(f"  model {model_seed}: the RTL backend refuses it: {err}")
            else:
                run = sim_run.simulate(project, graph, raw, "verilator", cache_dir=cache / "rtl" if cache else None)
                outputs["rtl"] = run.outputs
                folds = sum(1 for p in project.schedule.layers if p.impl == "fold") if project.schedule else 0
                report.settings[f"kernel {options.kernel}"] += 1
                report.settings[f"pipeline {options.pipeline}"] += 1
                report.settings["layers folded"] += folds
            reference_float = graph.output.type.to_float(reference)
            for engine, y in outputs.items():
                expected = reference_float if engine == "keras" else reference
                if not np.array_equal(np.asarray(y).reshape(reference.shape), expected):
                    report.mismatches.append(f"model {model_seed}: {engine}")
                    log(f"MISMATCH: model {model_seed}, engine {engine}")
            report.models += 1
            report.frames += frames
            log(f"  model {model_seed}: {len(graph.nodes) - 1} layers, engines {', '.join(['ir', *outputs])} equal"
                if not report.mismatches or not report.mismatches[-1].startswith(f"model {model_seed}")
                else f"  model {model_seed}: MISMATCH")  # fmt: skip
    report.seconds = time.perf_counter() - start
    return report


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    warnings.filterwarnings("ignore", category=UserWarning)  # Keras' notes on saving .h5 files
    parser = argparse.ArgumentParser(prog="python -m lepton_hw.testing.fuzz", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("soak", help="random traffic through the native RTL harness")
    p.add_argument("--frames", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--case", default="all", help="a network of lepton_hw.testing.ir_cases.CASES, or all (each)")
    p = sub.add_parser("models", help="random models through every engine")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--seed", type=int, default=1000)
    p.add_argument("--frames", type=int, default=32)
    args = parser.parse_args(argv)
    if args.what == "soak":
        from lepton_hw.testing.ir_cases import CASES

        names = list(CASES) if args.case == "all" else [args.case]
        if any(name not in CASES for name in names):
            parser.error(f"--case {args.case!r}: accepted: all, {', '.join(CASES)}")
        failed = False
        for name in names:
            report = soak(args.frames, args.seed, graph=CASES[name])
            print(f"{name}: {report.summary()}", flush=True)
            failed |= report.mismatches > 0 or report.protocol_violations > 0
        return 1 if failed else 0
    models = random_models(args.count, args.seed, args.frames)
    print(models.summary())
    return 0 if not models.mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
