"""Frames larger than the model's input: cut into tiles, the per-tile map, the frame's result packet.

A frame of H x W pixels holds TR x TC tiles of the model's input size h x w (TR = H // h,
TC = W // w; the right and bottom remainders are ignored), in raster order. The golden model of a
frame is the interpreter on each tile; the map of N frames has shape (N, TR, TC, outputs).

The tiled core's packet for a frame: for each tile in raster order, beat 0 = tile row << 24 |
tile column << 16 | class index, then the raw logits (lepton_hw/backends/rtl/project.py's README
text describes it for users).
"""

from __future__ import annotations

import numpy as np

from lepton_hw.errors import EngineError, InputDataError
from lepton_hw.ir import interp
from lepton_hw.ir.graph import Graph


def tile_size(graph: Graph) -> tuple[int, int]:
    """(h, w) of a tile: the model's input."""
    shape = graph.input.shape
    if len(shape) != 3:
        raise InputDataError(f"the model's input {shape} is not an image: frames of tiles need an (h, w, c) input")
    return int(shape[0]), int(shape[1])


def is_frame_batch(graph: Graph, shape: tuple[int, ...]) -> bool:
    """Whether an input array of ``shape`` holds whole frames larger than one model input (N, H, W, C)."""
    model = tuple(graph.input.shape)
    return (
        len(model) == 3
        and len(shape) == 4
        and shape[3] == model[2]
        and shape[1:3] != model[:2]
        and shape[1] >= model[0]
        and shape[2] >= model[1]
    )


def cut_tiles(frames: np.ndarray, tile: tuple[int, int]) -> np.ndarray:
    """(N * TR * TC, h, w, C) tiles of (N, H, W, C) frames, frame by frame in raster order."""
    n, height, width, channels = frames.shape
    h, w = tile
    rows, cols = height // h, width // w
    used = frames[:, : rows * h, : cols * w, :]
    tiles = used.reshape(n, rows, h, cols, w, channels).transpose(0, 1, 3, 2, 4, 5)
    return tiles.reshape(n * rows * cols, h, w, channels)


def tile_map(graph: Graph, raw_frames: np.ndarray) -> np.ndarray:
    """The interpreter's raw outputs of every tile: (N, TR, TC, outputs)."""
    h, w = tile_size(graph)
    n, height, width = raw_frames.shape[:3]
    tiles = cut_tiles(np.asarray(raw_frames), (h, w))
    out = np.asarray(interp.run(graph, tiles)).reshape(len(tiles), -1)
    return out.reshape(n, height // h, width // w, -1)


def frame_packet(raw_map: np.ndarray) -> list[int]:
    """The packet of one frame (TR, TC, outputs raw logits), beats as signed 32-bit integers."""
    beats: list[int] = []
    rows, cols = raw_map.shape[:2]
    for r in range(rows):
        for c in range(cols):
            logits = [int(v) for v in raw_map[r, c]]
            first = (r << 24) | (c << 16) | int(np.argmax(logits))
            beats.append(first - (1 << 32) if first >= 1 << 31 else first)
            beats.extend(logits)
    return beats


def map_of_packet(packet: list[int], rows: int, cols: int, outputs: int) -> np.ndarray:
    """The (rows, cols, outputs) map of a frame's packet; EngineError when a tile is missing or misplaced."""
    per_tile = outputs + 1
    if len(packet) != rows * cols * per_tile:
        raise EngineError(
            f"a frame's packet has {len(packet)} beats; {rows}x{cols} tiles of {per_tile} beats make "
            f"{rows * cols * per_tile}"
        )
    out = np.zeros((rows, cols, outputs), dtype=np.int64)
    for k in range(rows * cols):
        beats = packet[k * per_tile : (k + 1) * per_tile]
        first = beats[0] & 0xFFFFFFFF
        r, c = first >> 24, (first >> 16) & 0xFF
        if (r, c) != divmod(k, cols):
            raise EngineError(f"tile {k} of a frame's packet names tile ({r}, {c}); expected {divmod(k, cols)}")
        out[r, c] = beats[1:]
    return out
