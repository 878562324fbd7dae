"""What the RTL backend can build, and the outside of the core it builds (ports, frame, packet).

:func:`check_supported` refuses, by name and with the reason, every network the streaming core
cannot compute exactly; :func:`core_layout` describes the core's interface for a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Graph,
    MaxPool2D,
    ReLU,
    Requantize,
    same_padding,
)

MAX_RESULT_BITS = 32  # result beats are 32-bit words
MAX_LANE_BITS = 32
MAX_VECTOR_BITS = 1 << 16  # bits a Flatten collects: beyond this the core would be mostly registers


@dataclass(frozen=True)
class CoreLayout:
    """The outside of a generated core."""

    height: int
    width: int
    channels: int
    lane_bits: int  # bits of s_axis_tdata per channel (the input type's width, rounded up to bytes)
    input_type: FixedType
    output_type: FixedType
    n_outputs: int
    source: str

    @property
    def tdata_bits(self) -> int:
        return self.channels * self.lane_bits

    @property
    def summary(self) -> str:
        return (
            f"{self.height}x{self.width}x{self.channels} frames of {self.input_type} in, "
            f"{self.n_outputs} logits of {self.output_type} and their argmax out"
        )


MAX_TILES = 256  # tiles across and down: a result beat holds the tile's row and column in 8 bits each
MAX_FRAME = 8192  # pixels across or down


@dataclass(frozen=True)
class Tiling:
    """A camera frame cut into tiles of the model's input size (``hardware.frame``): the largest frame
    the core takes; the registers can set a smaller one at run time."""

    frame_width: int
    frame_height: int
    tile_height: int
    tile_width: int

    @property
    def tiles_x(self) -> int:
        return self.frame_width // self.tile_width

    @property
    def tiles_y(self) -> int:
        return self.frame_height // self.tile_height

    @property
    def count_bits(self) -> int:
        """Bits of the tile-count ports (tiles_x, tiles_y)."""
        return max(self.tiles_x, self.tiles_y).bit_length() + 1

    def to_dict(self) -> dict[str, int]:
        return {
            "max_width": self.frame_width, "max_height": self.frame_height, "tile_width": self.tile_width,
            "tile_height": self.tile_height, "tiles_x": self.tiles_x, "tiles_y": self.tiles_y,
        }  # fmt: skip


def make_tiling(layout: CoreLayout, frame: tuple[int, int] | None) -> Tiling | None:
    """The tiling of ``frame`` (width, height); None when it is the model's input (the one-tile core)."""
    if frame is None or tuple(frame) == (layout.width, layout.height):
        return None
    width, height = frame
    where = f"hardware.frame {width}x{height}"
    if width < layout.width or height < layout.height:
        raise UnsupportedLayerError(
            f"{where} is smaller than one tile (the model's input, {layout.width}x{layout.height}); accepted: "
            f"width {layout.width}..{MAX_FRAME}, height {layout.height}..{MAX_FRAME}"
        )
    if width > MAX_FRAME or height > MAX_FRAME:
        raise UnsupportedLayerError(f"{where}: at most {MAX_FRAME} pixels across and down")
    t = Tiling(width, height, layout.height, layout.width)
    if t.tiles_x > MAX_TILES or t.tiles_y > MAX_TILES:
        raise UnsupportedLayerError(
            f"{where} holds {t.tiles_x}x{t.tiles_y} tiles of {layout.width}x{layout.height}; a result names its "
            f"tile in 8 bits, so at most {MAX_TILES} across and down"
        )
    if layout.n_outputs > 1 << 16:
        raise UnsupportedLayerError(f"{layout.n_outputs} outputs: a tile's class index has 16 bits")
    return t


def core_layout(graph: Graph) -> CoreLayout:
    shape = graph.input.shape
    if len(shape) == 3:
        height, width, channels = shape
    else:  # a vector input arrives as one line of pixels
        height, width, channels = 1, shape[0], 1
    t = graph.input.type
    out = graph.output
    n_outputs = 1
    for d in out.shape:
        n_outputs *= d
    return CoreLayout(
        height=height,
        width=width,
        channels=channels,
        lane_bits=8 * -(-t.width // 8),
        input_type=t,
        output_type=out.type,
        n_outputs=n_outputs,
        source=source_text(graph),
    )


def source_text(graph: Graph) -> str:
    """What the generated files say they were made from: the model's file name and its digest.

    Never its absolute path: the same model gives byte-identical Verilog wherever it is built.
    """
    model = graph.source.get("model")
    name = PurePath(str(model)).name if model else graph.name
    digest = graph.source.get("sha256")
    return f"{name} (sha256 {str(digest)[:16]})" if digest else name


def check_supported(graph: Graph) -> None:
    """Raise UnsupportedLayerError naming the first node the RTL backend cannot build, and why."""
    t = graph.input.type
    if t.width > MAX_LANE_BITS:
        raise UnsupportedLayerError(
            f"input {graph.input.name!r}: type {t} has {t.width} bits; the RTL core takes pixels of at most "
            f"{MAX_LANE_BITS} bits per channel"
        )
    shape, in_type = graph.input.shape, graph.input.type
    for node in graph.nodes[1:]:
        where = f"layer {node.name!r} ({node.op})"
        if not isinstance(node, (Conv2D, Dense, MaxPool2D, AvgPool2D, ReLU, Requantize, Flatten)):
            raise UnsupportedLayerError(f"{where}: the RTL backend has no streaming form of this layer")
        if isinstance(node, (Conv2D, MaxPool2D, AvgPool2D)):
            kernel = node.kernel_size if isinstance(node, Conv2D) else node.pool_size
            schedule = window_schedule(node, shape)
            if schedule.last > 2 * schedule.height * schedule.width - 2:
                bottom = same_padding(shape[0], kernel[0], node.strides[0])[1]
                raise UnsupportedLayerError(
                    f"{where}: same padding adds {bottom} row(s) below a {shape[0]}x{shape[1]} input, so its last "
                    f"outputs would wait for the frame after next; the streaming window needs fewer padded rows "
                    f"than input rows (use valid padding or a larger input)"
                )
        collected = None  # (shape, type) of a feature map the core collects into one vector
        if isinstance(node, (Dense, Flatten)) and len(shape) == 3:
            collected = (shape, in_type)
        elif node is graph.output and len(node.shape) == 3:
            collected = (node.shape, node.type)
        if collected is not None:
            bits = int(np.prod(collected[0])) * collected[1].width
            if bits > MAX_VECTOR_BITS:
                raise UnsupportedLayerError(
                    f"{where}: collecting its {'x'.join(map(str, collected[0]))} feature map takes {bits} "
                    "register bits "
                    f"(limit {MAX_VECTOR_BITS}); reduce the feature map with pooling or strides first"
                )
        shape, in_type = node.shape, node.type
    out = graph.output.type
    if out.width + (0 if out.signed else 1) > MAX_RESULT_BITS:
        raise UnsupportedLayerError(
            f"layer {graph.output.name!r}: output type {out} needs {out.width + (not out.signed)} bits as a signed "
            f"integer; result beats hold {MAX_RESULT_BITS} (quantize the last layer's output)"
        )


@dataclass(frozen=True)
class WindowSchedule:
    """Where a conv or pool layer's outputs fall in its input stream (see lepton_window.v)."""

    height: int
    width: int
    kernel: tuple[int, int]
    strides: tuple[int, int]
    pad_top: int
    pad_left: int
    out_height: int
    out_width: int

    @property
    def first(self) -> int:
        """Slot of output (0, 0), counted from the frame's first element."""
        return (self.kernel[0] - 1 - self.pad_top) * self.width + self.kernel[1] - 1 - self.pad_left

    @property
    def last(self) -> int:
        """Slot of the frame's last output; past height*width - 1 it needs slots after the frame."""
        (kh, kw), (sh, sw) = self.kernel, self.strides
        rows = (self.out_height - 1) * sh + kh - 1 - self.pad_top
        return rows * self.width + (self.out_width - 1) * sw + kw - 1 - self.pad_left


def window_schedule(node: Conv2D | MaxPool2D | AvgPool2D, in_shape: tuple[int, ...]) -> WindowSchedule:
    kernel = node.kernel_size if isinstance(node, Conv2D) else node.pool_size
    h, w = in_shape[0], in_shape[1]
    pads = [same_padding((h, w)[a], kernel[a], node.strides[a])[0] if node.padding == "same" else 0 for a in (0, 1)]
    return WindowSchedule(h, w, kernel, node.strides, pads[0], pads[1], node.shape[0], node.shape[1])
