"""The HLS project of an IR graph, as a value: the hls4ml network, lepton_hw's camera wrapper,
its testbench and build tcl. :func:`build_project` makes it; :func:`write_project` writes it.

Layout written by :func:`write_project` into ``out_dir``::

    hls/            hls4ml's own project of the network (top ``lepton_net``, io_stream)
    camera/         lepton_camera.{h,cpp} (the IP top), lepton_camera_tb.cpp, lepton_axis.h, lepton_raw.h,
                    tb_data/{beats,expected}.txt
                    (with a ``frame`` larger than the model input: the full-frame core of lepton_tiles.{h,cpp},
                    lepton_tiles_tb.cpp under the same names; see :mod:`lepton_hw.backends.hls.tiles`)
    csim/           lepton_csim_bridge.cpp (the network's C simulation entry point for lepton_hw)
    build_camera.tcl, build_opts.tcl, project.json, README.md
"""

from __future__ import annotations

import hashlib
import json
import logging
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw import packets
from lepton_hw.backends.hls import adapter, tiles
from lepton_hw.backends.hls.synth import BuildSteps, build_opts_tcl, tool_command
from lepton_hw.errors import InputDataError, UnsupportedLayerError
from lepton_hw.ir.graph import Graph
from lepton_hw.ir.serialize import graph_to_json

log = logging.getLogger(__name__)

CAMERA_FILES = ("lepton_axis.h", "lepton_raw.h", "lepton_camera.h", "lepton_camera.cpp", "lepton_camera_tb.cpp")
# the full-frame core: the written file (as the single-tile core's, so build_camera.tcl serves both) -> its template
TILED_FILES = {
    "lepton_axis.h": "lepton_axis.h",
    "lepton_raw.h": "lepton_raw.h",
    "lepton_camera.h": "lepton_tiles.h",
    "lepton_camera.cpp": "lepton_tiles.cpp",
    "lepton_camera_tb.cpp": "lepton_tiles_tb.cpp",
}
PACKET_WORD_BITS = 32

Beat = tuple[int, int, int]  # (pixel, tuser start of frame, tlast end of line)


class _Template(string.Template):
    """Templates use ``@{name}``: ``$`` belongs to tcl."""

    delimiter = "@"


def render(name: str, values: Mapping[str, Any]) -> str:
    """A file of lepton_hw/hls_templates with its ``@{...}`` placeholders filled (all must be given)."""
    text = (resources.files("lepton_hw.hls_templates") / name).read_text()
    return _Template(text).substitute({k: str(v) for k, v in values.items()})


# ----------------------------------------------------------------------------- camera helpers
def camera_problem(graph: Graph) -> str | None:
    """Why the Mono8 camera wrapper cannot wrap this network, or None when it can."""
    shape, in_type, out = graph.input.shape, graph.input.type, graph.output
    if len(shape) != 3 or shape[2] != 1:
        return f"the camera wrapper takes Mono8 frames (height, width, 1); the model's input is {shape}"
    if in_type.signed or in_type.width != 8:
        return f"the camera wrapper passes raw 8-bit pixels; the model's input type is {in_type}, not 8-bit unsigned"
    if len(out.shape) != 1:
        return f"the camera wrapper sends a vector of logits; the model's output shape is {out.shape}"
    if out.type.width > PACKET_WORD_BITS:
        return f"the output type {out.type} is wider than the packets' {PACKET_WORD_BITS}-bit words"
    return None


def require_camera(graph: Graph) -> None:
    problem = camera_problem(graph)
    if problem:
        raise UnsupportedLayerError(problem)


def frame_beats(frame: np.ndarray) -> list[Beat]:
    """The AXI4-Stream video beats of one well-formed Mono8 frame (H, W)."""
    frame = np.asarray(frame)
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    h, w = frame.shape
    return [(int(frame[r, c]), int(r == 0 and c == 0), int(c == w - 1)) for r in range(h) for c in range(w)]


def expected_packets(graph: Graph, frames: Sequence[np.ndarray]) -> list[list[int]]:
    """Packets the camera core must send for well-formed Mono8 frames (raw pixels = raw inputs)."""
    if not frames:
        return []
    raw = np.stack([np.asarray(f, dtype=np.int64).reshape(graph.input.shape) for f in frames])
    return packets.expected_packets(graph, raw)


def default_tb_frames(graph: Graph) -> list[np.ndarray]:
    """Frames for the project's own testbench: all zero, all 255, a ramp and two seeded noise frames."""
    h, w = graph.input.shape[:2]
    rng = np.random.default_rng(0)
    ramp = np.rint(np.linspace(0, 255, h * w)).reshape(h, w)
    frames = [np.zeros((h, w)), np.full((h, w), 255), ramp, *rng.integers(0, 256, size=(2, h, w))]
    return [f.astype(np.uint8) for f in frames]


def default_tiled_tb_frames(graph: Graph, frame: tiles.Frame) -> list[np.ndarray]:
    """Frames for a full-frame project's own testbench: a ramp and a seeded noise frame of the largest size,
    then a noise frame of one tile (a run-time size) and one of the largest size again."""
    tile_h, tile_w = graph.input.shape[:2]
    width, height = frame
    rng = np.random.default_rng(0)
    ramp = np.rint(np.linspace(0, 255, height * width)).reshape(height, width)
    sizes = [(height, width), (tile_h, tile_w), (height, width)]
    frames = [ramp, *(rng.integers(0, 256, size=size) for size in sizes)]
    return [f.astype(np.uint8) for f in frames]


def tiled_beats_text(frames: Sequence[np.ndarray], frame: tiles.Frame) -> str:
    """The testbench input of well-formed frames on a full-frame core of the largest size ``frame``: a "size"
    line before each frame whose size differs from the one in use (at first the largest)."""
    items: list[tiles.StreamItem] = []
    current = frame
    for image in tiles.mono8_frames(frames, "tb_frames"):
        size = (image.shape[1], image.shape[0])
        if size != current:
            items.append(tiles.FrameSize(*size))
            current = size
        items.append(image)
    return tiles.stream_text(items)


def tiled_values(graph: Graph, frame: tiles.Frame) -> dict[str, Any]:
    """The full-frame templates' own values."""
    tile_h, tile_w = graph.input.shape[:2]
    rows, cols = tiles.tile_grid(graph, frame)
    return {
        "max_w": frame[0],
        "max_h": frame[1],
        "max_tile_rows": rows,
        "max_tile_cols": cols,
        "max_tiles": rows * cols,
        "max_strips": rows + 1,
        "strip_min": tile_h * tile_w,
        "strip_max": tile_h * frame[0],
    }


def beats_text(beats: Sequence[Beat]) -> str:
    return "".join(f"{p} {u} {t}\n" for p, u, t in beats)


def packets_text(packets: Sequence[Sequence[int]]) -> str:
    return "".join("packet " + " ".join(str(v) for v in p) + "\n" for p in packets)


# ----------------------------------------------------------------------------- the project
@dataclass(frozen=True)
class HlsProject:
    """An HLS project as a value: the hls4ml network (written by hls4ml's own writer into ``hls/``)
    and lepton_hw's files (relative path -> text). Nothing is on disk until :func:`write_project`."""

    graph: Graph
    settings: adapter.NetSettings
    model: Any = field(repr=False)  # the hls4ml ModelGraph
    files: Mapping[str, str] = field(repr=False)
    info: Mapping[str, Any] = field(repr=False)

    @property
    def has_camera(self) -> bool:
        return bool(self.info.get("camera"))


def reuse_text(graph: Graph, settings: adapter.NetSettings) -> str:
    """The reuse factors in words: one number, or each layer's."""
    factors = settings.reuse_factors(graph)
    if len(set(factors.values())) <= 1:
        return str(settings.reuse if not factors else next(iter(factors.values())))
    return "per layer: " + ", ".join(f"{name} {rf}" for name, rf in factors.items())


def template_values(graph: Graph, settings: adapter.NetSettings) -> dict[str, Any]:
    n_out = int(np.prod(graph.output.shape))
    return {
        "name": graph.name,
        "project": adapter.PROJECT_NAME,
        "n_in": int(np.prod(graph.input.shape)),
        "n_out": n_out,
        "frame_h": graph.input.shape[0],
        "frame_w": graph.input.shape[1] if len(graph.input.shape) > 1 else 1,
        "part": settings.part,
        "clock_mhz": f"{settings.clock_mhz:g}",
        "period_ns": f"{settings.clock_period_ns:g}",
        "strategy": settings.strategy,
        "reuse": reuse_text(graph, settings),
        "tool": "Vitis HLS" if settings.backend == "vitis" else "Vivado HLS",
        "solution_flags": "-flow_target vivado" if settings.backend == "vitis" else "",
        "command": " ".join(tool_command(settings.backend, "build_camera.tcl")),
        "output_type": str(graph.output.type),
        "hls4ml_version": adapter.hls4ml_version(),
    }


def build_project(
    graph: Graph,
    *,
    part: str,
    clock_mhz: float,
    backend: str = "vitis",
    strategy: str = "latency",
    reuse: int = 1,
    layer_reuse: Mapping[str, int] | Sequence[tuple[str, int]] | None = None,
    clocks_per_pixel: int | None = None,
    tb_frames: Sequence[np.ndarray] | None = None,
    camera: bool = True,
    weights_txt: bool = False,
    frame: tuple[int, int] | None = None,
) -> HlsProject:
    """The HLS project of ``graph``: raises UnsupportedLayerError / EngineError for what it cannot build.

    ``layer_reuse`` (IR layer name -> reuse factor) overrides the model-wide ``reuse`` for the layers
    it names (ignored with strategy da). ``clocks_per_pixel``: the camera's rate, for the layers'
    input intervals recorded in project.json (default 1) and, when given, a warning for each layer
    whose factor is above its interval.
    ``tb_frames`` (uint8 H x W) are the testbench's frames; by default a few deterministic ones.
    Without ``camera`` (or for a network the Mono8 wrapper cannot take) the project has no camera core.
    ``weights_txt``: hls4ml's C simulation reads the weights from text files (quicker to compile).
    ``frame`` (width, height): the largest camera frame; None or the model input's size = the single-tile core
    (unchanged). Larger: the full-frame core, which classifies every tile of the model input's size (at most
    256 x 256 tiles) and sends one packet per frame; ``tb_frames`` may then have any size from one tile to
    ``frame`` (the testbench writes the run-time size before each frame whose size changes).
    """
    settings = adapter.NetSettings(
        part, float(clock_mhz), backend, strategy, int(reuse), adapter.layer_reuse_pairs(layer_reuse)
    )
    settings.validate()
    tiled = tiles.tiled_frame(graph, frame)
    model = adapter.build_model_graph(graph, settings, Path("hls"), weights_txt=weights_txt)
    rates = layer_rates(graph, settings, clocks_per_pixel or 1, warn=clocks_per_pixel is not None)
    values = template_values(graph, settings)
    files: dict[str, str] = {"csim/lepton_csim_bridge.cpp": render("lepton_csim_bridge.cpp", values)}
    files["csim/lepton_raw.h"] = render("lepton_raw.h", values)
    problem = camera_problem(graph) if camera else "not asked for"
    if problem is None and tiled is not None:
        values.update(tiled_values(graph, tiled))
        for name, template in TILED_FILES.items():
            files[f"camera/{name}"] = render(template, values)
        frames = list(default_tiled_tb_frames(graph, tiled) if tb_frames is None else tb_frames)
        _check_tb_sizes(graph, frames, tiled)
        files["camera/tb_data/beats.txt"] = tiled_beats_text(frames, tiled)
        files["camera/tb_data/expected.txt"] = packets_text(tiles.expected_tile_packets(graph, frames))
        files["build_camera.tcl"] = render("build_camera.tcl", values)
        files["build_opts.tcl"] = build_opts_tcl(BuildSteps())
    elif problem is None:
        for name in CAMERA_FILES:
            files[f"camera/{name}"] = render(name, values)
        frames = list(default_tb_frames(graph) if tb_frames is None else tb_frames)
        beats = [b for f in frames for b in frame_beats(f)]
        files["camera/tb_data/beats.txt"] = beats_text(beats)
        files["camera/tb_data/expected.txt"] = packets_text(expected_packets(graph, frames))
        files["build_camera.tcl"] = render("build_camera.tcl", values)
        files["build_opts.tcl"] = build_opts_tcl(BuildSteps())
    elif camera:
        log.warning("no camera wrapper: %s", problem)
    readme = "project_README_tiles.md" if problem is None and tiled is not None else "project_README.md"
    files["README.md"] = render(readme, values)
    info: dict[str, Any] = {
        "format": "lepton_hw.hls_project",
        "version": 1,
        "name": graph.name,
        "top": "lepton_camera" if problem is None else adapter.PROJECT_NAME,
        "network_top": adapter.PROJECT_NAME,
        "camera": problem is None,
        "camera_problem": problem,
        "backend": backend,
        "strategy": strategy,
        "reuse": reuse,  # model-wide; each layer's factor is in layer_rates
        "clocks_per_pixel": clocks_per_pixel or 1,
        "layer_rates": rates,
        "part": part,
        "clock_mhz": float(clock_mhz),
        "io_type": "io_stream",
        "hls4ml_version": values["hls4ml_version"],
        "input_shape": list(graph.input.shape),
        "input_type": str(graph.input.type),
        "output_type": str(graph.output.type),
        "n_outputs": values["n_out"],
        "softmax_dropped": graph.source.get("softmax_dropped", "false") == "true",
        "layers": adapter.layer_table(model),
        "da4ml_costs": adapter.da_costs(model),
    }
    if problem is None and tiled is not None:
        info["frame"] = frame_info(graph, tiled)
    files["project.json"] = json.dumps(info, indent=1) + "\n"
    return HlsProject(graph, settings, model, files, info)


def _check_tb_sizes(graph: Graph, frames: Sequence[np.ndarray], frame: tiles.Frame) -> None:
    tile_h, tile_w = graph.input.shape[:2]
    for k, image in enumerate(tiles.mono8_frames(frames, "tb_frames")):
        height, width = image.shape
        if not (tile_w <= width <= frame[0] and tile_h <= height <= frame[1]):
            raise InputDataError(
                f"tb_frames[{k}] is {width} x {height}; the core takes frames from one tile ({tile_w} x {tile_h}) "
                f"to {frame[0]} x {frame[1]}"
            )


# The SPEC's registers (/tmp/spec16/SPEC.md) the HLS core has, as its AXI-Lite arguments (bundle ctrl). Vitis HLS
# and Vivado HLS assign the offsets themselves: their block-level control registers at 0x00-0x0C (ap_start,
# ap_done, ap_idle, auto_restart; GIE, IER, ISR: the ap_done interrupt, once per frame), then the arguments in
# the order of the function's signature; the generated driver header xlepton_camera_hw.h lists them.
AXILITE_ARGUMENTS = (  # in the order of the signature: the order of their offsets
    "err_clear",
    "frame_count",
    "last_class",
    "err_malformed",
    "malformed_count",
    "frame_width",
    "frame_height",
    "errors",
    "class_count",
)
SPEC_REGISTERS = {
    "FRAME_WIDTH": "frame_width: 0 (its reset value) = the maximum; read at each call (applies to that call's frame); "
    "a value outside one tile .. the maximum is not used and sets BAD_SIZE, though the argument keeps it",
    "FRAME_HEIGHT": "frame_height: as frame_width",
    "ERRORS": "errors: bits 0 MALFORMED and 2 BAD_SIZE, sticky, cleared by err_clear = 1 (not W1C); bit 1 DROPPED "
    "is never set; err_malformed repeats bit 0",
    "FRAME_COUNT": "frame_count",
    "MALFORMED_COUNT": "malformed_count (runs of beats outside a frame count too)",
    "CLASS_COUNT": "class_count[k], an array in the AXI-Lite space",
}
SPEC_REGISTERS_MISSING = {
    "ID, VERSION, MAX_WIDTH, MAX_HEIGHT, TILE_SIZE, N_CLASSES": "constants: in project.json and lepton_camera.h",
    "CONTROL": "no ENABLE bit: the core classifies while it is started (ap_start, auto_restart)",
    "STATUS": "no BUSY or SIZE_PENDING: ap_idle is in the tool's control register; a size applies from the next call",
    "DROPPED_COUNT": "nothing is dropped: the core stalls s_axis when m_axis is not ready",
    "IRQ_MASK, IRQ_STATUS": "the tool's ap_done interrupt (GIE, IER, ISR) fires at the end of every frame",
}


def frame_info(graph: Graph, frame: tiles.Frame) -> dict[str, Any]:
    """project.json's description of a full-frame core."""
    tile_h, tile_w = graph.input.shape[:2]
    rows, cols = tiles.tile_grid(graph, frame)
    return {
        "max_width": frame[0],
        "max_height": frame[1],
        "tile_width": tile_w,
        "tile_height": tile_h,
        "tile_cols": cols,
        "tile_rows": rows,
        "packet": "per tile: tile row << 24 | tile column << 16 | class, then the logits; tuser first, tlast last",
        "axilite": list(AXILITE_ARGUMENTS),
        "spec_registers": SPEC_REGISTERS,
        "spec_registers_missing": SPEC_REGISTERS_MISSING,
    }


def layer_rates(
    graph: Graph, settings: adapter.NetSettings, clocks_per_pixel: int, warn: bool = True
) -> dict[str, dict[str, Any]]:
    """Per conv or dense layer: its reuse factor (clocks between two inputs in hls4ml's io_stream) and the
    interval of its inputs at the camera's rate (:func:`adapter.hls_intervals`); with ``warn``, a warning
    for each layer whose factor is above it."""
    intervals = adapter.hls_intervals(graph, clocks_per_pixel)
    rates = {}
    for name, rf in settings.reuse_factors(graph).items():
        rates[name] = {"reuse_factor": rf, "interval_clocks": intervals[name], "keeps_up": rf <= intervals[name]}
        if warn and rf > intervals[name]:
            log.warning(
                "HLS layer %s takes a new input every %d clocks (reuse %d), but its inputs come every %d clock(s) "
                "at %d clock(s) per pixel: the core may fall behind the camera",
                name, rf, rf, intervals[name], clocks_per_pixel,
            )  # fmt: skip
    return rates


def network_stamp(project: HlsProject) -> str:
    """8 hex digits that name the network: its layers, weights and types, and the HLS settings."""
    doc, arrays = graph_to_json(project.graph)
    digest = hashlib.sha256(json.dumps([doc["nodes"], repr(project.settings)], sort_keys=True).encode())
    for name in sorted(arrays):
        digest.update(name.encode() + np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()[:8]


def write_project(project: HlsProject, out_dir: Path | str) -> Path:
    """Write the project into ``out_dir`` (created): hls4ml's project in ``hls/``, lepton_hw's files next to it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    adapter.write_model(project.model, (out_dir / "hls").resolve(), network_stamp(project))
    for rel, text in project.files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    log.debug("wrote the HLS project to %s", out_dir)
    return out_dir
