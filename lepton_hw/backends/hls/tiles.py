"""Full frames on the HLS camera core: the frame size check, the testbench's stream, the packets it sends and
the C simulation engine of whole frames.

A frame W x H (``frame = (width, height)``) larger than the model input h x w holds TC = W // w by TR = H // h
tiles in raster order (:mod:`lepton_hw.tiles`, whose interpreter map is the golden model); the full-frame core
(hls_templates/lepton_tiles.cpp) classifies every tile and sends one packet per frame: per tile, beat 0 = tile
row << 24 | tile column << 16 | class index, then the raw logits sign-extended to 32 bits; tuser on the packet's
first beat, tlast on its last. Packets are lists of the beats' 32-bit words as signed integers, as
:func:`lepton_hw.tiles.frame_packet` makes them.

- :func:`predict_csim_frames` (the raw per-tile map): the csim engine's full-frame path.
- :func:`lepton_hw.backends.hls.csim.run_tiled_csim`: any stream (frames, malformed beats, run-time size
  writes) through the full-frame core -> what each call sent (:class:`TiledRun`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lepton_hw import tiles as golden
from lepton_hw.errors import EngineError, InputDataError, MismatchError
from lepton_hw.ir.graph import Graph

if TYPE_CHECKING:
    from lepton_hw.backends.hls.csim import LayerReuseArg

Frame = tuple[int, int]  # (width, height) in pixels
Beat = tuple[int, int, int]  # (pixel, tuser start of frame, tlast end of line)
OutBeat = tuple[int, int, int]  # (tdata as an unsigned 32-bit word, tuser, tlast)

MAX_TILE_COLS = 256  # beat 0 holds the tile column and row in 8 bits each
MAX_TILE_ROWS = 256
MAX_CLASSES = 1 << 16  # and the class index in 16
MAX_FRAME_SIDE = (1 << 16) - 1  # the core's 16-bit counters
ERR_MALFORMED, ERR_DROPPED, ERR_BAD_SIZE = 0x1, 0x2, 0x4  # the bits of the SPEC's ERRORS register


def tiled_frame(graph: Graph, frame: Sequence[int] | None) -> Frame | None:
    """The checked (width, height) of a full frame, or None when there is nothing to tile: no frame, or a frame
    of the model input's size (the single-tile core, unchanged). EngineError for a frame smaller than one tile or
    beyond the packet's limits (256 x 256 tiles, 65536 classes)."""
    if frame is None:
        return None
    values = tuple(frame)
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise EngineError(f"a frame size is (width, height) in pixels, two integers; got {frame!r}")
    width, height = int(values[0]), int(values[1])
    tile_h, tile_w = golden.tile_size(graph)
    if (width, height) == (tile_w, tile_h):
        return None
    if width < tile_w or height < tile_h:
        raise EngineError(
            f"frame {width} x {height} is smaller than the model input {tile_w} x {tile_h} (one tile): "
            "the frame must hold at least one tile"
        )
    if width > MAX_FRAME_SIDE or height > MAX_FRAME_SIDE:
        raise EngineError(f"frame {width} x {height}: the HLS core takes at most {MAX_FRAME_SIDE} pixels a side")
    cols, rows = width // tile_w, height // tile_h
    if cols > MAX_TILE_COLS or rows > MAX_TILE_ROWS:
        raise EngineError(
            f"frame {width} x {height} holds {cols} x {rows} tiles of {tile_w} x {tile_h}; the packet's tile "
            f"column and row are 8-bit: at most {MAX_TILE_COLS} x {MAX_TILE_ROWS} tiles"
        )
    n_out = int(np.prod(graph.output.shape))
    if n_out > MAX_CLASSES:
        raise EngineError(f"{n_out} outputs: a tiled packet's class index is 16-bit (at most {MAX_CLASSES} classes)")
    return width, height


def tile_grid(graph: Graph, frame: Frame) -> tuple[int, int]:
    """(tile rows, tile columns) of a frame (width, height)."""
    tile_h, tile_w = golden.tile_size(graph)
    return frame[1] // tile_h, frame[0] // tile_w


def mono8_frames(frames: np.ndarray | Sequence[np.ndarray], what: str = "frames") -> list[np.ndarray]:
    """Frames as uint8 (H, W) arrays; InputDataError for other shapes or values outside 0..255."""
    out = []
    for k, item in enumerate(frames):
        array = np.asarray(item)
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        if array.ndim != 2:
            shape = np.asarray(item).shape
            raise InputDataError(f"{what}[{k}] has shape {shape}; Mono8 frames are (H, W) or (H, W, 1)")
        if array.dtype.kind not in "iub" or (array.size and (array.min() < 0 or array.max() > 255)):
            raise InputDataError(f"{what}[{k}]: Mono8 pixels are integers 0..255")
        out.append(array.astype(np.uint8))
    return out


def expected_tile_packets(graph: Graph, frames: Sequence[np.ndarray]) -> list[list[int]]:
    """The packet the full-frame core must send for each well-formed Mono8 frame (H, W) or (H, W, 1), as the
    interpreter computes it on each tile; the frames may differ in size."""
    return [
        golden.frame_packet(golden.tile_map(graph, f[None, :, :, None].astype(np.int64))[0])
        for f in mono8_frames(frames)
    ]


# ----------------------------------------------------------------------------- the testbench's input
@dataclass(frozen=True)
class FrameSize:
    """An item of a camera stream: the frame_width / frame_height arguments for the calls from the next start of
    frame on (0 = the largest frame, the arguments' reset value)."""

    width: int
    height: int


@dataclass(frozen=True)
class ErrClear:
    """An item of a camera stream: err_clear = 1 for the call of the next start of frame (once)."""


StreamItem = np.ndarray | Sequence[Beat] | FrameSize | ErrClear

# the line of each beat, indexed by pixel + 256 * tlast + 512 * tuser
_BEAT_LINES = np.array([f"{p} {u} {t}\n" for u in (0, 1) for t in (0, 1) for p in range(256)], dtype=object)


def frame_lines(frame: np.ndarray) -> str:
    """The testbench lines of one well-formed Mono8 frame (H, W): "pixel tuser tlast" per beat."""
    codes = np.asarray(frame, dtype=np.int64).copy()
    codes[:, -1] += 256  # tlast on each line's last pixel
    codes[0, 0] += 512  # tuser on the frame's first
    return "".join(_BEAT_LINES[codes.ravel()].tolist())


def stream_text(items: Iterable[StreamItem]) -> str:
    """The testbench's input file of a stream: frames (uint8 (H, W) or (H, W, 1), sent well formed), lists of
    (pixel, tuser, tlast) beats (for malformed traffic), FrameSize and ErrClear."""
    parts = []
    for k, item in enumerate(items):
        if isinstance(item, FrameSize):
            parts.append(f"size {int(item.width)} {int(item.height)}\n")
        elif isinstance(item, ErrClear):
            parts.append("clear\n")
        elif isinstance(item, np.ndarray):
            parts.append(frame_lines(mono8_frames([item], f"item {k}: frame")[0]))
        else:
            beats = [tuple(int(v) for v in b) for b in item]
            if any(len(b) != 3 for b in beats):
                raise InputDataError(f"item {k}: a beat list holds (pixel, start_of_frame, end_of_line) triples")
            if any(not 0 <= b[0] <= 255 for b in beats):
                raise InputDataError(f"item {k}: Mono8 pixels are 0..255")
            parts.append("".join(f"{p} {int(bool(u))} {int(bool(t))}\n" for p, u, t in beats))
    return "".join(parts)


# ----------------------------------------------------------------------------- the testbench's output
@dataclass(frozen=True)
class TileResult:
    """One tile of a packet: its position, the class index the core sent and the raw logits."""

    row: int
    col: int
    cls: int
    logits: tuple[int, ...]


@dataclass(frozen=True)
class TiledStatus:
    """The AXI-Lite outputs after one call of the full-frame core (one frame)."""

    frame_count: int
    last_class: int
    err_malformed: bool
    malformed_count: int
    errors: int  # the SPEC's ERRORS bits
    class_counts: tuple[int, ...]

    @property
    def bad_size(self) -> bool:
        return bool(self.errors & ERR_BAD_SIZE)


@dataclass(frozen=True)
class TiledFrame:
    """What one call of the core (one start of frame) sent: its packet (None: none), its tiles, the status."""

    packet: list[int] | None
    tiles: tuple[TileResult, ...]
    status: TiledStatus


@dataclass(frozen=True)
class TiledRun:
    frames: list[TiledFrame]  # one per call: per start of frame

    @property
    def packets(self) -> list[list[int]]:
        return [f.packet for f in self.frames if f.packet is not None]

    @property
    def statuses(self) -> list[TiledStatus]:
        return [f.status for f in self.frames]

    @property
    def status(self) -> TiledStatus | None:
        return self.frames[-1].status if self.frames else None


def _malformed(where: str, problem: str) -> MismatchError:
    return MismatchError(f"the camera C simulation sent a malformed packet ({where}): {problem}")


def packet_of_beats(beats: Sequence[OutBeat], n_out: int, where: str) -> list[int] | None:
    """The signed words of the one packet a call sent (None: no beat). MismatchError unless tuser is on the
    first beat only, tlast on the last only, and the beats make whole tiles."""
    if not beats:
        return None
    for i, (_, user, last) in enumerate(beats):
        if bool(user) != (i == 0):
            raise _malformed(where, "no tuser on the packet's first beat" if i == 0 else f"tuser on beat {i}")
        if bool(last) != (i == len(beats) - 1):
            raise _malformed(where, f"tlast on beat {i} of {len(beats)}" if last else "no tlast on the last beat")
    if len(beats) % (1 + n_out):
        raise _malformed(where, f"{len(beats)} beats are not a whole number of tiles of {1 + n_out} beats")
    return [d - (1 << 32) if d & (1 << 31) else d for d, _, _ in beats]


def decode_packet(words: Sequence[int], graph: Graph, where: str) -> tuple[TileResult, ...]:
    """The tiles of a packet, checking that each logit is a value of the output type sign-extended and each
    class index the argmax of its logits (lowest index on a tie). MismatchError otherwise."""
    n_out = int(np.prod(graph.output.shape))
    out_type = graph.output.type
    found: list[TileResult] = []
    for k in range(0, len(words), 1 + n_out):
        head, logits = int(words[k]) & 0xFFFFFFFF, tuple(int(v) for v in words[k + 1 : k + 1 + n_out])
        tile = TileResult(head >> 24, head >> 16 & 0xFF, head & 0xFFFF, logits)
        at = f"{where}, tile {len(found)} (row {tile.row}, column {tile.col})"
        bad = [v for v in logits if not out_type.min_raw <= v <= out_type.max_raw]
        if bad:
            raise _malformed(at, f"logit {bad[0]} is not a value of the output type {out_type} sign-extended")
        if tile.cls != int(np.argmax(logits)):
            best = int(np.argmax(logits))
            raise _malformed(at, f"class index {tile.cls}, but the argmax of its logits {list(logits)} is {best}")
        found.append(tile)
    return tuple(found)


def parse_output(text: str, graph: Graph) -> TiledRun:
    """The full-frame testbench's output ("status ..." after each call, then that call's "beat tdata tuser
    tlast" lines) as a TiledRun; MismatchError for a malformed packet."""
    n_out = int(np.prod(graph.output.shape))
    calls: list[tuple[TiledStatus, list[OutBeat]]] = []
    for line in text.splitlines():
        head, *values = line.split()
        numbers = [int(v) for v in values]
        if head == "status":
            count, cls, err, bad, errors, *counts = numbers
            calls.append((TiledStatus(count, cls, bool(err), bad, errors, tuple(counts)), []))
        elif head == "beat":
            if not calls:
                raise EngineError("the camera testbench wrote a beat before any status line")
            calls[-1][1].append((numbers[0], numbers[1], numbers[2]))
    frames = []
    for k, (status, beats) in enumerate(calls):
        packet = packet_of_beats(beats, n_out, f"frame {k}")
        found = decode_packet(packet, graph, f"frame {k}") if packet is not None else ()
        frames.append(TiledFrame(packet, found, status))
    return TiledRun(frames)


def map_of_tiles(found: Sequence[TileResult], rows: int, cols: int, where: str) -> np.ndarray:
    """The raw (rows, cols, n_outputs) map of a frame's tiles, which must be every tile once, in raster order;
    MismatchError otherwise."""
    want = [(r, c) for r in range(rows) for c in range(cols)]
    got = [(t.row, t.col) for t in found]
    if got != want:
        k = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
        sent = f"tile (row, column) {got[k]}" if k < len(got) else "no more tiles"
        expected = f"tile {want[k]}" if k < len(want) else "the packet's end"
        raise _malformed(
            where, f"{len(got)} tiles for a {rows} x {cols} grid; at {k}: {sent}, expected {expected} (raster order)"
        )
    return np.array([t.logits for t in found], dtype=np.int64).reshape(rows, cols, -1)


# ----------------------------------------------------------------------------- the C simulation engine
def predict_csim_frames(
    graph: Graph,
    raw: np.ndarray,
    *,
    frame: tuple[int, int] | None = None,
    backend: str = "vitis",
    strategy: str = "latency",
    reuse: int = 1,
    layer_reuse: LayerReuseArg = None,
    cache_dir: Path | None = None,
) -> np.ndarray:
    """The per-tile map of whole Mono8 frames through the camera core's C simulation: raw logits int64
    (N, TR, TC, n_outputs) of raw frames (N, H, W, 1) or (N, H, W) (the raw inputs: pixels 0..255), TR = H // h
    and TC = W // w for the model input h x w. Equal to ``lepton_hw.tiles.tile_map(graph, raw)``.

    ``frame`` (width, height): the core's largest frame (default: the frames' size); smaller frames are sent with
    the run-time size set to theirs. Frames of the model input's size go through the single-tile core
    (TR = TC = 1). MismatchError unless every frame gets one well-formed packet of all its tiles in raster order
    and no error flag.
    """
    from lepton_hw.backends.hls import csim

    images = np.asarray(raw)
    if images.ndim == 4 and images.shape[3] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise InputDataError(f"frames of shape {np.asarray(raw).shape}; expected (N, H, W, 1) or (N, H, W) Mono8")
    if images.dtype.kind not in "iub" or (images.size and (images.min() < 0 or images.max() > 255)):
        raise InputDataError("Mono8 frames hold integers 0..255")
    images = images.astype(np.uint8)
    height, width = images.shape[1:]
    largest = (width, height) if frame is None else (int(frame[0]), int(frame[1]))
    tile_h, tile_w = golden.tile_size(graph)
    if not (tile_w <= width <= largest[0] and tile_h <= height <= largest[1]):
        raise InputDataError(
            f"frames of {width} x {height}; the core takes frames from one tile ({tile_w} x {tile_h}) to "
            f"{largest[0]} x {largest[1]}"
        )
    options: dict[str, Any] = dict(
        backend=backend, strategy=strategy, reuse=reuse, layer_reuse=layer_reuse, cache_dir=cache_dir
    )
    n_out = int(np.prod(graph.output.shape))
    rows, cols = height // tile_h, width // tile_w
    if len(images) == 0:
        return np.zeros((0, rows, cols, n_out), dtype=np.int64)
    if tiled_frame(graph, largest) is None:  # one tile: the single-tile core
        run = csim.run_camera_csim(graph, list(images), **options)
        if len(run.packets) != len(images) or any(s.err_malformed for s in run.statuses):
            raise MismatchError(
                f"the camera C simulation sent {len(run.packets)} packets for {len(images)} well-formed frames"
            )
        return np.array([p[1:] for p in run.packets], dtype=np.int64).reshape(len(images), 1, 1, n_out)
    items: list[StreamItem] = [FrameSize(width, height)] if (width, height) != largest else []
    items += list(images)
    result = csim.run_tiled_csim(graph, items, frame=largest, **options)
    if len(result.frames) != len(images):
        raise MismatchError(f"the camera C simulation handled {len(result.frames)} frames of {len(images)}")
    maps = []
    for k, done in enumerate(result.frames):
        if done.status.errors:
            raise MismatchError(f"the camera C simulation flagged errors {done.status.errors:#x} on frame {k}")
        if done.packet is None:
            raise MismatchError(f"the camera C simulation sent no packet for frame {k}")
        maps.append(map_of_tiles(done.tiles, rows, cols, f"frame {k}"))
    return np.stack(maps)
