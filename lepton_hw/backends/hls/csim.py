"""C simulation engines: the hls4ml network (a shared library called through ctypes) and the camera
core (a testbench executable), both compiled once with g++ and cached by content hash.

The cache key covers the IR (graph and integer weights), the settings that change the generated C++
(backend, strategy, reuse, the per-layer reuse factors applied), the hls4ml version, lepton_hw's
templates, the compiler flags and the g++ version. Cache folder: ``$LEPTON_HW_CACHE/csim`` or
``~/.cache/lepton_hw/csim`` (``$XDG_CACHE_HOME`` is honoured); builds are made in a temporary folder and
renamed into place, so concurrent runs are safe.
The cached builds read their weights at run time from text files in their own folder (hls4ml's
``write_weights_txt``): g++ takes minutes on large constant ``ap_fixed`` arrays (a 640x15 dense layer:
281 s with the weights in headers, 18 s without).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw.backends.hls import adapter, tiles
from lepton_hw.backends.hls.project import (
    Beat,
    beats_text,
    build_project,
    frame_beats,
    require_camera,
    write_project,
)
from lepton_hw.errors import EngineError, InputDataError
from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import Graph
from lepton_hw.ir.serialize import graph_to_json

log = logging.getLogger(__name__)

CXX = "g++"
CXXFLAGS = ("-O1", "-std=c++17", "-fPIC", "-fno-gnu-unique", "-w")  # -fno-gnu-unique: libraries stay separate
CSIM_PART = "xc7z020clg400-1"  # C simulation does not depend on the part or clock
CSIM_CLOCK_MHZ = 100.0
LIB_NAME = "liblepton_csim.so"
CAMERA_EXE = "lepton_camera_tb"
CACHE_FORMAT = 2


def cache_root() -> Path:
    """The per-user cache of compiled C simulations."""
    if os.environ.get("LEPTON_HW_CACHE"):
        return Path(os.environ["LEPTON_HW_CACHE"]) / "csim"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lepton_hw" / "csim"


@functools.cache
def compiler_version() -> str:
    if shutil.which(CXX) is None:
        raise EngineError(f"the C simulation needs {CXX} on PATH; install it (Debian: apt-get install g++)")
    done = subprocess.run([CXX, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.splitlines()[0] if done.stdout else "unknown"


def cache_key(graph: Graph, settings: adapter.NetSettings, kind: str) -> str:
    """Content hash of everything a compiled C simulation depends on."""
    doc, arrays = graph_to_json(graph)
    doc = dict(doc, source={})  # where the model came from does not change the code
    h = hashlib.sha256()
    h.update(repr((CACHE_FORMAT, kind, settings.backend, settings.strategy, settings.reuse)).encode())
    # the layers whose reuse differs from the model-wide one: a different schedule rebuilds (none: the
    # model-wide reuse everywhere, the same code and key whether or not per-layer factors were given)
    own = sorted((name, rf) for name, rf in settings.reuse_factors(graph).items() if rf != settings.reuse)
    if own:
        h.update(repr(("layer_reuse", own)).encode())
    h.update(repr((adapter.hls4ml_version(), CXXFLAGS, compiler_version())).encode())
    h.update(repr(sorted(doc.items())).encode())
    for key in sorted(arrays):
        h.update(key.encode())
        h.update(np.ascontiguousarray(arrays[key], dtype=np.int64).tobytes())
    templates = resources.files("lepton_hw.hls_templates")
    for entry in sorted(templates.iterdir(), key=lambda e: e.name):
        if entry.is_file():
            h.update(entry.name.encode())
            h.update(entry.read_bytes())
    return h.hexdigest()[:32]


def _estimate_seconds(graph: Graph, settings: adapter.NetSettings, camera: bool) -> int:
    seconds = 6 + len(graph.nodes) + (10 if settings.strategy == "da" else 0) + (4 if camera else 0)
    return int(seconds)


def _compile(sources: Sequence[Path], output: Path, includes: Sequence[Path], shared: bool, weights_dir: Path) -> None:
    """Compile each source in parallel (one g++ per file), then link."""
    if shutil.which(CXX) is None:
        raise EngineError(f"the csim engine needs {CXX}, which is not on PATH; install it (apt-get install g++)")
    flags = [*CXXFLAGS, *(f"-I{p}" for p in includes), f'-DWEIGHTS_DIR="{weights_dir}"']
    objects = [output.parent / (s.stem + ".o") for s in sources]
    procs = [
        subprocess.Popen([CXX, *flags, "-c", str(s), "-o", str(o)], stderr=subprocess.PIPE, text=True)
        for s, o in zip(sources, objects, strict=True)
    ]
    errors = []
    for proc, source in zip(procs, sources, strict=True):
        _, err = proc.communicate()
        if proc.returncode != 0:
            errors.append(f"{source.name}:\n{err[-4000:]}")
    if errors:
        raise EngineError("the C simulation failed to compile:\n" + "\n".join(errors))
    link = [CXX, *CXXFLAGS, *(["-shared"] if shared else []), *map(str, objects), "-o", str(output)]
    done = subprocess.run(link, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise EngineError(f"the C simulation failed to link:\n{done.stderr[-4000:]}")
    for o in objects:
        o.unlink(missing_ok=True)


LayerReuseArg = Mapping[str, int] | Sequence[tuple[str, int]] | None


def _settings(backend: str, strategy: str, reuse: int, layer_reuse: LayerReuseArg = None) -> adapter.NetSettings:
    pairs = adapter.layer_reuse_pairs(layer_reuse)
    settings = adapter.NetSettings(CSIM_PART, CSIM_CLOCK_MHZ, backend, strategy, int(reuse), pairs)
    settings.validate()
    return settings


def _cached_build(
    graph: Graph,
    settings: adapter.NetSettings,
    kind: str,
    cache_dir: Path | None,
    frame: tiles.Frame | None = None,
) -> Path:
    """The folder of a cached build of ``kind`` ('net' or 'camera'), building it when missing. A camera
    ``frame`` (width, height) larger than the model input builds the full-frame core (folder ``tiles-WxH-...``)."""
    root = (Path(cache_dir) if cache_dir is not None else cache_root()).resolve()  # absolute: WEIGHTS_DIR
    adapter.check_settings_reuse(graph, settings)  # before a cache hit can hide a bad layer name or factor
    frame = tiles.tiled_frame(graph, frame) if kind == "camera" else None
    folder = kind if frame is None else f"tiles-{frame[0]}x{frame[1]}"
    key = cache_key(graph, settings, folder)
    final = root / f"{folder}-{key}"
    product = final / (LIB_NAME if kind == "net" else CAMERA_EXE)

    def complete() -> bool:
        return product.is_file() and (final / "hls" / "firmware" / "weights").is_dir()

    if complete():
        log.debug("C simulation cache hit: %s", final)
        return final
    root.mkdir(parents=True, exist_ok=True)
    estimate = _estimate_seconds(graph, settings, kind == "camera")
    what = "C simulation" if kind == "net" else "camera C simulation"
    if frame is not None:
        what = f"full-frame ({frame[0]} x {frame[1]}) camera C simulation"
    log.info("compiling %s (about %d s)...", what, estimate)
    start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=f".{folder}-{key}-", dir=root))
    try:
        project = build_project(
            graph,
            part=settings.part,
            clock_mhz=settings.clock_mhz,
            backend=settings.backend,
            strategy=settings.strategy,
            reuse=settings.reuse,
            layer_reuse=settings.layer_reuse,
            camera=kind == "camera",
            weights_txt=True,
            frame=frame,
            tb_frames=[] if frame is not None else None,  # the build runs no testbench file of its own
        )
        if kind == "camera" and not project.has_camera:
            require_camera(graph)
        write_project(project, work)
        firmware = work / "hls" / "firmware"
        includes = [firmware, firmware / "ap_types"]
        weights = final / "hls" / "firmware" / "weights"  # read at run time, from the folder's final place
        if kind == "net":
            sources = [firmware / f"{adapter.PROJECT_NAME}.cpp", work / "csim" / "lepton_csim_bridge.cpp"]
            _compile(sources, work / LIB_NAME, [*includes, work / "csim"], shared=True, weights_dir=weights)
        else:
            camera = work / "camera"
            sources = [firmware / f"{adapter.PROJECT_NAME}.cpp", camera / "lepton_camera.cpp"]
            sources.append(camera / "lepton_camera_tb.cpp")
            _compile(sources, work / CAMERA_EXE, [camera, *includes], shared=False, weights_dir=weights)
        if final.exists() and not complete():  # a damaged entry: replace it
            shutil.rmtree(final, ignore_errors=True)
        try:
            work.rename(final)
        except OSError:  # another process finished the same build first
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log.debug("compiled %s in %.1f s", what, time.monotonic() - start)
    return final


@functools.cache
def _load_library(path: str) -> Any:
    lib = ctypes.CDLL(path)
    lib.lepton_csim_run.restype = ctypes.c_int
    lib.lepton_csim_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    return lib


def compile_csim(
    graph: Graph,
    *,
    backend: str = "vitis",
    strategy: str = "latency",
    reuse: int = 1,
    layer_reuse: LayerReuseArg = None,
    cache_dir: Path | None = None,
) -> Path:
    """Compile (or find in the cache) the network's C simulation library; returns its path.

    ``layer_reuse`` (IR layer name -> reuse factor) overrides ``reuse`` for the layers it names."""
    settings = _settings(backend, strategy, reuse, layer_reuse)
    return _cached_build(graph, settings, "net", cache_dir) / LIB_NAME


def predict_csim(
    graph: Graph,
    raw_inputs: np.ndarray,
    *,
    backend: str = "vitis",
    strategy: str = "latency",
    reuse: int = 1,
    layer_reuse: LayerReuseArg = None,
    cache_dir: Path | None = None,
) -> np.ndarray:
    """Run hls4ml's C simulation on raw input integers (N, *input shape); raw outputs (N, n_out) as int64.

    Equal to ``interp.run(graph, raw_inputs)`` (reshaped to (N, n_out)) when the backend is exact.
    """
    raw = np.asarray(raw_inputs)
    if raw.shape[1:] != tuple(graph.input.shape):
        raise InputDataError(
            f"raw input shape {raw.shape} does not match (N, {', '.join(map(str, graph.input.shape))})"
        )
    if graph.output.type.width > 64:
        raise EngineError(f"the output type {graph.output.type} is wider than the C simulation's 64-bit integers")
    t = graph.input.type
    if raw.size and (raw.min() < t.min_raw or raw.max() > t.max_raw):
        raise InputDataError(f"raw inputs out of the range of the input type {t}: {t.min_raw}..{t.max_raw}")
    library = compile_csim(
        graph, backend=backend, strategy=strategy, reuse=reuse, layer_reuse=layer_reuse, cache_dir=cache_dir
    )
    lib = _load_library(str(library))
    n = len(raw)
    n_out = int(np.prod(graph.output.shape))
    x = np.ascontiguousarray(raw.reshape(n, -1), dtype=np.int64)
    y = np.zeros((n, n_out), dtype=np.int64)
    if n:
        lib.lepton_csim_run(x.ctypes.data, y.ctypes.data, n)
    return y


# ----------------------------------------------------------------------------- camera
@dataclass(frozen=True)
class CameraStatus:
    """The AXI-Lite status registers after one call of the core (one start of frame)."""

    frame_count: int
    last_class: int
    err_malformed: bool
    malformed_count: int


@dataclass(frozen=True)
class CameraRun:
    packets: list[list[int]]  # result packets in order: [class index, raw logit 0, ...]
    statuses: list[CameraStatus]  # after each call (one per start of frame)

    @property
    def status(self) -> CameraStatus | None:
        return self.statuses[-1] if self.statuses else None


def _beats_of(item: Any, graph: Graph) -> list[Beat]:
    if isinstance(item, np.ndarray):
        h, w = graph.input.shape[:2]
        if item.shape not in ((h, w), (h, w, 1)):
            raise InputDataError(f"a frame of shape {item.shape}; the camera core takes {h} x {w} Mono8 frames")
        if item.size and (item.min() < 0 or item.max() > 255):
            raise InputDataError("Mono8 pixels are 0..255")
        return frame_beats(item)
    beats = [tuple(int(v) for v in b) for b in item]
    if any(len(b) != 3 for b in beats):
        raise InputDataError("a beat list holds (pixel, start_of_frame, end_of_line) triples")
    return beats  # type: ignore[return-value]


def run_camera_csim(
    graph: Graph,
    frames: Sequence[np.ndarray | Sequence[Beat]],
    *,
    backend: str = "vitis",
    strategy: str = "latency",
    reuse: int = 1,
    layer_reuse: LayerReuseArg = None,
    cache_dir: Path | None = None,
) -> CameraRun:
    """C simulation of the camera core on a stream of frames, back to back.

    Each item is a uint8 (H, W) frame (sent well formed) or a list of (pixel, tuser, tlast) beats
    (for malformed frames). Returns the result packets and the status after each start of frame.
    """
    require_camera(graph)
    settings = _settings(backend, strategy, reuse, layer_reuse)
    build = _cached_build(graph, settings, "camera", cache_dir)
    beats = [b for item in frames for b in _beats_of(item, graph)]
    with tempfile.TemporaryDirectory(prefix="lepton_camera_") as tmp:
        beats_path, out_path = Path(tmp) / "beats.txt", Path(tmp) / "out.txt"
        beats_path.write_text(beats_text(beats))
        argv = [str(build / CAMERA_EXE), str(beats_path), str(out_path)]  # no expected file in tmp: no check
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=tmp)
        if done.returncode != 0 or not out_path.is_file():
            raise EngineError(f"the camera C simulation failed ({done.returncode}): {done.stderr[-2000:]}")
        lines = out_path.read_text().splitlines()
    packets, statuses = [], []
    for line in lines:
        head, *values = line.split()
        if head == "packet":
            packets.append([int(v) for v in values])
        elif head == "status":
            count, cls, err, bad = (int(v) for v in values)
            statuses.append(CameraStatus(count, cls, bool(err), bad))
    return CameraRun(packets, statuses)


# ----------------------------------------------------------------------------- full frames
def run_tiled_csim(
    graph: Graph,
    items: Sequence[tiles.StreamItem],
    *,
    frame: tuple[int, int],
    backend: str = "vitis",
    strategy: str = "latency",
    reuse: int = 1,
    layer_reuse: LayerReuseArg = None,
    cache_dir: Path | None = None,
) -> tiles.TiledRun:
    """C simulation of the full-frame camera core whose largest frame is ``frame`` (width, height; larger than
    the model input) on a stream, back to back. Compiled once with g++ and cached, like the other C simulations.

    ``items``: uint8 (H, W) or (H, W, 1) frames (sent well formed), lists of (pixel, tuser, tlast) beats (for
    malformed traffic), ``tiles.FrameSize`` (the run-time size from the next frame on; at first 0 = the largest)
    and ``tiles.ErrClear``. Returns what each call (one per start of frame) sent and the status after it;
    MismatchError for a malformed packet (tuser or tlast misplaced, a partial tile, a class index that is not the
    argmax of its logits, a logit outside the output type).
    """
    require_camera(graph)
    tiled = tiles.tiled_frame(graph, frame)
    if tiled is None:
        raise EngineError(f"frame {tuple(frame)} is the model input's size: run_camera_csim runs that core")
    settings = _settings(backend, strategy, reuse, layer_reuse)
    build = _cached_build(graph, settings, "camera", cache_dir, frame=tiled)
    text = tiles.stream_text(items)
    with tempfile.TemporaryDirectory(prefix="lepton_tiles_") as tmp:
        beats_path, out_path = Path(tmp) / "beats.txt", Path(tmp) / "out.txt"
        beats_path.write_text(text)
        argv = [str(build / CAMERA_EXE), str(beats_path), str(out_path)]  # no expected file here: no check
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=tmp)
        if done.returncode != 0 or not out_path.is_file():
            raise EngineError(f"the camera C simulation failed ({done.returncode}): {done.stderr[-2000:]}")
        output = out_path.read_text()
    return tiles.parse_output(output, graph)


def raw_to_values(raw: np.ndarray, t: FixedType) -> np.ndarray:
    """Float64 values of raw outputs (exact up to 53 bits), for Y.npy files."""
    return t.to_float(raw)
