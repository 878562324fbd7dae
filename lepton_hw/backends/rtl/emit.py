"""The Verilog of one network: the top module ``lepton_core`` and its per-layer multipliers.

The core is a chain of streams. A stream carries either map elements (one pixel position of a
feature map, all channels side by side, at most one per clock, in raster order) or whole
vectors (after Flatten). Every layer registers its output; inside a layer, pipeline registers
every ``schedule.options.pipeline`` adder levels (:class:`~lepton_hw.backends.rtl.cmvm.Pipeline`)
keep the longest path short, and the layer's valid flag is delayed to match. The stages:

- Input: the framer's pixels, one lane per channel, cut to the input type's width.
- Conv2D, MaxPool2D, AvgPool2D: ``lepton_window`` (line buffers, sliding window, padding
  flags), then the multiply (as the schedule says: a full-rate graph or a folded MAC) or the
  reduction over the window.
- ReLU, Requantize: one cast per element.
- Dense after a feature map, folded: the map's positions go straight into the folded MAC, which
  accumulates them with each position's weights (no collecting).
- Flatten otherwise (and the end of a map network): a shift register that collects a frame's
  elements; its vector is valid for one clock after the frame's last element.
- Dense: one multiply of the vector.

Casts follow ``FixedType.convert`` exactly: the value is exact before every cast (sums are
wide enough never to wrap), then rounded and saturated or wrapped as the type says.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from lepton_hw.backends.rtl.cmvm import Cmvm, Pipeline, build_cmvm, literal, signed_bits
from lepton_hw.backends.rtl.fold import Fold, FoldTiles, build_fold
from lepton_hw.backends.rtl.layout import CoreLayout, Tiling, window_schedule
from lepton_hw.backends.rtl.serial import Serial, build_serial
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
    window_counts,
)
from lepton_hw.schedule import LayerPlan, Schedule, needs_collect

T = TypeVar("T")

RESULT_QUEUE_DEPTH = 2  # results the core holds while the output is stalled (more when the pipeline is long)


def result_queue_depth(pipeline_clocks: int, frame_pixels: int) -> int:
    """Results in flight: a frame is admitted only when its result has a slot, so a pipeline longer
    than a frame needs a slot per frame it holds, or back-to-back frames would wait at their start."""
    return RESULT_QUEUE_DEPTH + -(-pipeline_clocks // max(frame_pixels, 1))


@dataclass
class Stream:
    """A stage's output: ``valid`` for one clock per element (map) or per vector."""

    valid: str
    data: str
    count: int  # values per beat: channels (map) or vector length
    type: FixedType
    frame: tuple[int, int] | None  # (H, W) of a map stream; None for a vector
    held: bool = False  # data holds from one valid to the next (a register loaded on valid)

    def element(self, i: int) -> str:
        w = self.type.width
        return f"{self.data}[{(i + 1) * w - 1}:{i * w}]"

    def sign_bit(self, i: int) -> str:
        return f"{self.data}[{(i + 1) * self.type.width - 1}]"


# Names the top module declares itself (ports, framer and result wiring): never given to a layer's wire.
RESERVED = {
    "aclk", "aresetn", "clk", "rst", "s_axis_tdata", "s_axis_tuser", "s_axis_tlast", "s_axis_tvalid",
    "s_axis_tready", "m_axis_tdata", "m_axis_tlast", "m_axis_tvalid", "m_axis_tready", "frame_count",
    "err_malformed", "err_clear", "sof_ok", "pix_valid", "pix_data", "frame_start", "frame_end", "frame_bad",
    "malformed", "framer", "result", "res_valid", "res_data", "tiles_x", "tiles_y", "irq", "regs", "enable",
    "frame_width", "frame_height", "net_idle", "busy", "size_pending", "ev_frame_end", "ev_dropped",
    "class_counts", "in_flight", "m_axis_tuser",
}  # fmt: skip


@dataclass
class Module:
    """Lines of the top module under construction, with unique wire names."""

    lines: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=lambda: set(RESERVED))
    tiling: Tiling | None = None  # a frame of tiles (lepton_tile_window); None: one tile a frame

    def name(self, base: str) -> str:
        """A new identifier from ``base`` (a layer name may hold any character; Verilog's may not)."""
        base = re.sub(r"\W", "_", base)
        if not re.match(r"[A-Za-z_]", base):
            base = f"n_{base}"
        candidate, n = base, 1
        while candidate in self.names:
            candidate, n = f"{base}_{n}", n + 1
        self.names.add(candidate)
        return candidate

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def pipeline(self, levels: int) -> Pipeline:
        """Pipeline registers for one layer's logic, named uniquely in this module."""
        return Pipeline(levels, reserve=self.names.add)

    def delay(self, base: str, valid: str, clocks: int) -> str:
        """``valid`` delayed by ``clocks`` (reset to 0)."""
        if clocks == 0:
            return valid
        name = self.name(f"{base}_valid_d")
        shift = valid if clocks == 1 else f"{{{name}[{clocks - 2}:0], {valid}}}"
        self.add(
            f"    reg [{clocks - 1}:0] {name};",
            f"    always @(posedge clk) {name} <= rst ? {clocks}'d0 : {shift};",
        )
        return f"{name}[{clocks - 1}]"

    def finish(self, base: str, pipe: Pipeline, valid: str, values: list[str]) -> tuple[str, list[str]]:
        """Bring a layer's values to its last pipeline stage; the valid flag delayed to match."""
        stage = pipe.last_stage(values)
        values = [pipe.at(v, stage) if v in pipe.stage_of else v for v in values]
        self.add(*pipe.registers())
        return self.delay(base, valid, stage), values


def value_of(bits: str, t: FixedType, width: int) -> str:
    """Raw bits of type ``t`` as a signed ``width``-bit expression (width > t.width when unsigned)."""
    if width == t.width and t.signed:
        return f"$signed({bits})"
    msb = f"{bits.split('[')[0]}[{bits.split('[')[1].split(':')[0]}]" if ":" in bits else bits
    fill = msb if t.signed else "1'b0"
    return f"$signed({{{{{width - t.width}{{{fill}}}}}, {bits}}})"


def storage_bits(t: FixedType) -> int:
    """Bits of a signed value holding every value of ``t``."""
    return t.width + (0 if t.signed else 1)


ROUND_UP = {
    # rounding mode -> Verilog expression of "round the floor up", from rest/half flags
    "TRN": "1'b0",
    "TRN_ZERO": "inexact & negative",
    "RND": "above | at_half",
    "RND_ZERO": "above | (at_half & negative)",
    "RND_INF": "above | (at_half & ~negative)",
    "RND_MIN_INF": "above",
    "RND_CONV": "above | (at_half & odd)",
}


def _round_up(rounding: str, flags: dict[str, str]) -> str:
    """ROUND_UP[rounding] with each flag word replaced by its Verilog (one pass: a flag's Verilog
    holds wire names made from layer names, which may contain a flag word themselves)."""
    return re.sub(r"\b(inexact|negative|above|at_half|odd)\b", lambda w: flags[w.group(1)], ROUND_UP[rounding])


def emit_cast(
    m: Module, base: str, src: str, src_width: int, src_frac: int, dst: FixedType, pipe: Pipeline | None = None
) -> str:  # fmt: skip
    """Wires casting the signed ``src`` (``src_width`` bits, ``src_frac`` fractional) to ``dst``.

    Returns the name of a ``dst.width``-bit wire of raw bits, as ``FixedType.convert`` computes.
    With ``pipe``, ``src`` is a value defined in it; the rounding adder and the saturation each
    take one adder level (the rounding flags compare with constants: plain logic).
    """
    pipe = pipe or Pipeline(0)
    if src not in pipe.stage_of:
        pipe.define(src, src_width, 0)
    level = pipe.level_of[src]
    shift = src_frac - dst.frac
    if shift > 0:
        level += 1
        stage = pipe.stage(level)
        source = pipe.at(src, stage)
        ext = max(src_width, shift + 2)
        a = m.name(f"{base}_a")
        m.add(f"    wire signed [{ext - 1}:0] {a} = {_sext(source, src_width, ext)};")
        fw = ext - shift
        floor = m.name(f"{base}_floor")
        m.add(f"    wire signed [{fw - 1}:0] {floor} = {a}[{ext - 1}:{shift}];")
        up = m.name(f"{base}_up")
        if dst.rounding == "TRN":
            m.add(f"    wire {up} = 1'b0;")
        else:
            rest = f"{a}[{shift - 1}:0]"
            # above / at half: the top dropped bit set, and some / none of the others (plain logic)
            others = f"(|{a}[{shift - 2}:0])" if shift > 1 else "1'b0"
            flags = {
                "inexact": f"(|{rest})",
                "negative": f"{a}[{ext - 1}]",
                "above": f"({a}[{shift - 1}] & {others})",
                "at_half": f"({a}[{shift - 1}] & !{others})",
                "odd": f"{floor}[0]",
            }
            m.add(f"    wire {up} = {_round_up(dst.rounding, flags)};")
        rw = fw + 1
        rounded = m.name(f"{base}_round")
        m.add(f"    wire signed [{rw - 1}:0] {rounded} = {_sext(floor, fw, rw)} + {{{{{rw - 1}{{1'b0}}}}, {up}}};")
        pipe.define(rounded, rw, level)
    elif shift < 0:
        rw = src_width - shift
        rounded = m.name(f"{base}_shift")
        m.add(f"    wire signed [{rw - 1}:0] {rounded} = {{{pipe.at(src, pipe.stage(level))}, {-shift}'b0}};")
        pipe.define(rounded, rw, level)
    else:
        rw, rounded = src_width, src
    return saturate(m, base, rounded, rw, level, dst, pipe)


def saturate(
    m: Module, base: str, rounded: str, rw: int, level: int, dst: FixedType, pipe: Pipeline, relu: bool = False
) -> str:  # fmt: skip
    """The overflow half of a cast: the signed ``rounded`` (``rw`` bits, on ``dst``'s grid) wrapped or
    saturated into ``dst``; with ``relu``, negative values become 0 first (free when ``dst`` is unsigned
    and saturates: its lower bound is 0)."""
    lo = dst.lowest_raw if dst.overflow == "SAT_SYM" else dst.min_raw
    hi = dst.max_raw
    fits_lo = -(1 << (rw - 1)) >= lo  # the value can't go below the bound
    fits_hi = (1 << (rw - 1)) - 1 <= hi
    if relu and (dst.overflow == "WRAP" or lo < 0):  # the clamp below would not zero negatives
        stage = pipe.stage(level)
        zero = m.name(f"{base}_relu")
        source = pipe.at(rounded, stage)
        m.add(f"    wire signed [{rw - 1}:0] {zero} = {source}[{rw - 1}] ? {rw}'sd0 : {source};")
        rounded = pipe.define(zero, rw, level)
    out = m.name(f"{base}_q")
    zw = max(rw, dst.width + 1)
    wraps = dst.overflow == "WRAP" or (fits_lo and fits_hi)
    level += 0 if wraps else 1
    z = m.name(f"{base}_z")
    m.add(f"    wire signed [{zw - 1}:0] {z} = {_sext(pipe.at(rounded, pipe.stage(level)), rw, zw)};")
    if wraps:
        m.add(f"    wire [{dst.width - 1}:0] {out} = {z}[{dst.width - 1}:0];")
        pipe.define(out, dst.width, level)
        return out
    below, above = _out_of_range(z, zw, dst, lo, hi)
    sat = m.name(f"{base}_sat")
    if dst.overflow == "SAT_ZERO":
        m.add(f"    wire signed [{zw - 1}:0] {sat} = ({below} || {above}) ? {zw}'sd0 : {z};")
    else:  # SAT, SAT_SYM
        m.add(f"    wire signed [{zw - 1}:0] {sat} = {above} ? {literal(hi, zw)} : {below} ? {literal(lo, zw)} : {z};")
    m.add(f"    wire [{dst.width - 1}:0] {out} = {sat}[{dst.width - 1}:0];")
    pipe.define(out, dst.width, level)
    return out


def _out_of_range(z: str, zw: int, dst: FixedType, lo: int, hi: int) -> tuple[str, str]:
    """Verilog of ``z < lo`` and ``z > hi`` for the signed ``zw``-bit ``z``. At a type's own bounds
    (powers of two) these are the sign and the bits above the type's: OR/AND trees instead of two
    comparators' carry chains (they were on the longest paths)."""
    sign = f"{z}[{zw - 1}]"
    top = dst.width if not dst.signed else dst.width - 1  # bits at and above this one must be copies of the sign
    if hi == dst.max_raw and lo in (dst.min_raw, dst.lowest_raw) and top < zw - 1:
        high = f"{z}[{zw - 2}:{top}]"
        above = f"(!{sign} && (|{high}))"
        below = f"({sign} && !(&{high}))" if dst.signed else sign
        if lo != dst.min_raw:  # SAT_SYM: the type's minimum itself is below too
            below = f"({below} || ({z} == {literal(dst.min_raw, zw)}))"
        return below, above
    return f"({z} < {literal(lo, zw)})", f"({z} > {literal(hi, zw)})"


def _sext(name: str, width: int, to: int) -> str:
    if to == width:
        return name
    return f"{{{{{to - width}{{{name}[{width - 1}]}}}}, {name}}}"


# ----------------------------------------------------------------------------- the network
@dataclass(frozen=True)
class Network:
    """The generated Verilog of a network: the top module and the multipliers it uses."""

    top: str
    cmvms: tuple[Cmvm | Fold | Serial, ...]
    layout: CoreLayout
    stages: dict[str, int]  # clocks from a layer's input to its registered output
    queue_depth: int  # results the core holds


def emit_network(
    graph: Graph, layout: CoreLayout, schedule: Schedule, clocks_per_pixel: int = 1, tiling: Tiling | None = None
) -> Network:  # fmt: skip
    m = Module(tiling=tiling)
    cmvms: list[Cmvm | Fold | Serial] = []
    stages: dict[str, int] = {}
    levels = schedule.options.pipeline
    stream = _input_stream(m, graph, layout)
    nodes = graph.nodes
    fused: set[str] = set()
    for index, node in enumerate(nodes[1:], start=1):
        base = m.name(node.name)
        m.add("", f"    // ---- {node.name}: {node.op} -> {node.shape} {node.type}")
        following = nodes[index + 1] if index + 1 < len(nodes) else None
        post = None
        if (
            isinstance(node, (Conv2D, Dense))
            and isinstance(following, (ReLU, Requantize))
            and cast_is_exact(node, nodes[index - 1].type)
        ):
            post = following
            fused.add(following.name)
        if node.name in fused:
            m.add("    // computed with the layer before it (its cast)")
            clocks = 0
        elif isinstance(node, Conv2D):
            stream, clocks = _conv(m, base, node, stream, schedule.plan(node.name), levels, cmvms, post)
        elif isinstance(node, Dense):
            plan = schedule.plan(node.name)
            if stream.frame is not None and needs_collect(plan):
                _refuse_collect_in_tiles(m, node.name, stream)
                stream = _collect(m, f"{base}_in", stream)
            stream, clocks = _dense(m, base, node, stream, plan, levels, cmvms, post)
        elif isinstance(node, (MaxPool2D, AvgPool2D)):
            stream, clocks = _pool(m, base, node, stream, levels)
        elif isinstance(node, (ReLU, Requantize)):
            stream, clocks = _elementwise(m, base, node, stream, levels)
        elif isinstance(node, Flatten):
            if isinstance(following, Dense) and not needs_collect(schedule.plan(following.name)):
                m.add("    // the map goes on position by position: the next layer accumulates it as it arrives")
                stream = Stream(stream.valid, stream.data, stream.count, node.type, stream.frame, stream.held)
                clocks = 0
            else:
                stream, clocks = _collect(m, base, stream), 1
        else:  # pragma: no cover - check_supported refuses the rest
            raise AssertionError(node.op)
        stages[node.name] = clocks
    if stream.frame is not None:  # a network ending on a feature map sends all of it
        _refuse_collect_in_tiles(m, graph.output.name, stream)
        stream = _collect(m, "result_in", stream)
    stages["argmax"] = _result(m, stream, layout, levels)
    result_widths = (max((stream.count - 1).bit_length(), 1), storage_bits(stream.type))
    if tiling is None:
        depth = result_queue_depth(sum(stages.values()), layout.height * layout.width)
        top = _top_module(m, layout, clocks_per_pixel, depth, result_widths)
    else:
        depth = tile_queue_depth(tiling, layout, clocks_per_pixel)
        top = _tiled_top_module(m, layout, tiling, clocks_per_pixel, depth, result_widths)
    return Network(top, tuple(cmvms), layout, stages, depth)


def tile_queue_depth(tiling: Tiling, layout: CoreLayout, clocks_per_pixel: int) -> int:
    """Tile results the core holds while m_axis is slow. A tile row's results come out one per tile column
    as its last line passes, ``tile_width`` pixels apart; a result is ``n_outputs + 1`` beats. When the
    beats outrun the pixels, the queue holds the backlog of a tile row (an always-ready m_axis loses none)."""
    beats = layout.n_outputs + 1
    spacing = layout.width * clocks_per_pixel
    backlog = -(-tiling.tiles_x * max(0, beats - spacing) // beats)
    return 4 + backlog


def _refuse_collect_in_tiles(m: Module, name: str, stream: Stream) -> None:
    """A frame of tiles interleaves the tiles' elements: collecting a whole tile map would need one
    register set per tile column. A dense layer accumulates instead (impl fold); a 1x1 map is one element."""
    if m.tiling is not None and stream.frame not in (None, (1, 1)):
        h, w = stream.frame
        raise UnsupportedLayerError(
            f"layer {name!r}: with hardware.frame, a {h}x{w} feature map cannot be collected per tile; a dense "
            f"layer after it must accumulate position by position (impl fold), or the map must be 1x1"
        )


def _input_stream(m: Module, graph: Graph, layout: CoreLayout) -> Stream:
    t = graph.input.type
    parts = [f"pix_data[{c * layout.lane_bits + t.width - 1}:{c * layout.lane_bits}]" for c in range(layout.channels)]
    data = m.name("input_elem")
    m.add(f"    wire [{layout.channels * t.width - 1}:0] {data} = {{{', '.join(reversed(parts))}}};")
    if layout.lane_bits > t.width:
        unused = m.name("unused_lane_bits")
        m.add(f"    wire {unused} = ^pix_data;  // bits of a lane above the input type's width")
    return Stream("pix_valid", data, layout.channels, t, (layout.height, layout.width))


def _register(m: Module, base: str, valid_in: str, values: list[str], t: FixedType, frame) -> Stream:
    """Register a stage's output values (each ``t.width`` raw bits) and its valid.

    A feature map's elements are read only on their valid (by a window, a folded layer, a collecting
    shift register), so their register loads every clock: no enable, whose fan-out to every data bit
    was the ECP5 core's critical net. A vector (or a 1x1 map) keeps its enable, and its stream says so
    (``held``): a bit-serial layer reads it for several clocks after its valid, the argmax and the
    result read the logits where they are held (_held_argmax)."""
    valid, data = m.name(f"{base}_valid"), m.name(f"{base}_data")
    width = len(values) * t.width
    hold = frame is None or tuple(frame) == (1, 1)
    load = f"if ({valid_in}) " if hold else ""
    m.add(
        f"    reg {valid};",
        f"    reg [{width - 1}:0] {data};",
        "    always @(posedge clk) begin",
        f"        {valid} <= rst ? 1'b0 : {valid_in};",
        f"        {load}{data} <= {{{', '.join(reversed(values))}}};",
        "    end",
    )
    return Stream(valid, data, len(values), t, frame, held=hold)


def _elements(m: Module, base: str, stream: Stream, pipe: Pipeline) -> list[str]:
    """The stream's values as named wires of its type, defined at level 0 in ``pipe``."""
    names = []
    for i in range(stream.count):
        name = m.name(f"{base}_e{i}")
        m.add(f"    wire [{stream.type.width - 1}:0] {name} = {stream.element(i)};")
        names.append(pipe.define(name, stream.type.width, 0))
    return names


def _window(m: Module, base: str, node: Conv2D | MaxPool2D | AvgPool2D, stream: Stream) -> tuple[str, str, str, str]:
    """Instantiate lepton_window for a conv or pool node; returns valid, window, row_ok, col_ok."""
    assert stream.frame is not None
    sched = window_schedule(node, stream.frame)
    h, w, (kh, kw), (sh, sw) = sched.height, sched.width, sched.kernel, sched.strides
    pt, pl, oh, ow = sched.pad_top, sched.pad_left, sched.out_height, sched.out_width
    drain = int(sched.last >= h * w)
    # some window reaches outside the frame: above/left, or below/right of it
    padded = int(pt > 0 or pl > 0 or (oh - 1) * sh + kh - pt > h or (ow - 1) * sw + kw - pl > w)
    ew = stream.count * stream.type.width
    valid, win, rows, cols = (m.name(f"{base}_{s}") for s in ("win_valid", "window", "row_ok", "col_ok"))
    last = m.name(f"{base}_win_last")
    if m.tiling is not None:
        if kh - 1 - pt >= h or kw - 1 - pl >= w:
            raise UnsupportedLayerError(
                f"layer {node.name!r}: its {kh}x{kw} window reaches past a {h}x{w} tile (same padding on a map "
                "smaller than the window); with hardware.frame, use a smaller window or valid padding"
            )
        t = m.tiling
        # the last output's window ends below or right of its tile: it needs slots after the frame
        drain = int((oh - 1) * sh + kh - 1 - pt > h - 1 or (ow - 1) * sw + kw - 1 - pl > w - 1)
        m.add(
            f"    wire {valid}, {last};",
            f"    wire [{kh * kw * ew - 1}:0] {win};",
            f"    wire [{kh - 1}:0] {rows};",
            f"    wire [{kw - 1}:0] {cols};",
            f"    lepton_tile_window #(.H({h}), .W({w}), .TR({t.tiles_y}), .TC({t.tiles_x}), .TXW({t.count_bits}), "
            f".EW({ew}), .KH({kh}), .KW({kw}), .SH({sh}), .SW({sw}), .PT({pt}), .PL({pl}), .OH({oh}), .OW({ow}), "
            f".DRAIN({drain})) {base}_win (",
            "        .clk(clk), .rst(rst), .tiles_x(tiles_x), .tiles_y(tiles_y),",
            f"        .in_valid({stream.valid}), .in_data({stream.data}),",
            f"        .out_valid({valid}), .out_last({last}), .out_window({win}),",
            f"        .out_row_ok({rows}), .out_col_ok({cols}));",
        )
        return valid, win, rows, cols
    m.add(
        f"    wire {valid}, {last};",
        f"    wire [{kh * kw * ew - 1}:0] {win};",
        f"    wire [{kh - 1}:0] {rows};",
        f"    wire [{kw - 1}:0] {cols};",
        f"    lepton_window #(.H({h}), .W({w}), .EW({ew}), .KH({kh}), .KW({kw}), .SH({sh}), .SW({sw}), "
        f".PT({pt}), .PL({pl}), .OH({oh}), .OW({ow}), .DRAIN({drain}), .PADDED({padded})) {base}_win (",
        f"        .clk(clk), .rst(rst), .in_valid({stream.valid}), .in_data({stream.data}),",
        f"        .out_valid({valid}), .out_last({last}), .out_window({win}),",
        f"        .out_row_ok({rows}), .out_col_ok({cols}));",
    )
    return valid, win, rows, cols


def _conv(
    m: Module, base: str, node: Conv2D, stream: Stream, plan: LayerPlan, levels: int, cmvms: list[Cmvm | Fold | Serial],
    post: ReLU | Requantize | None = None,
) -> tuple[Stream, int]:  # fmt: skip
    kh, kw = node.kernel_size
    valid, win, rows, cols = _window(m, base, node, stream)
    c, w = stream.count, stream.type.width
    ew = c * w
    assert stream.frame is not None
    frame = stream.frame
    padded = node.padding == "same" and any(
        same_padding(frame[a], node.kernel_size[a], node.strides[a]) != (0, 0) for a in (0, 1)
    )
    x = m.name(f"{base}_x")
    m.add(f"    wire [{kh * kw * ew - 1}:0] {x};")
    if padded:  # window elements in the zero padding count as 0
        for i in range(kh):
            for j in range(kw):
                part = f"[{(i * kw + j) * ew + ew - 1}:{(i * kw + j) * ew}]"
                m.add(f"    assign {x}{part} = ({rows}[{i}] && {cols}[{j}]) ? {win}{part} : {ew}'d0;")
    else:
        m.add(f"    assign {x} = {win};")
        m.add(f"    wire {base}_unused_flags = ^{{{rows}, {cols}}};  // no padding: every element is inside")
    weight = node.weight.reshape(-1, node.weight.shape[-1])
    values_valid, values, clocks = _affine(m, base, node, valid, x, weight, stream.type, plan, levels, cmvms, post)
    out_type = post.type if post is not None else node.type
    out = _register(m, base, values_valid, values, out_type, (node.shape[0], node.shape[1]))
    return out, 1 + clocks + 1  # window, multiply and cast, output register


def _dense(
    m: Module, base: str, node: Dense, stream: Stream, plan: LayerPlan, levels: int, cmvms: list[Cmvm | Fold | Serial],
    post: ReLU | Requantize | None = None,
) -> tuple[Stream, int]:  # fmt: skip
    tiles = None
    if m.tiling is not None and stream.frame is not None and plan.positions > 1:
        tiles = FoldTiles(stream.frame[0], stream.frame[1], m.tiling.tiles_x, m.tiling.count_bits)
    values_valid, values, clocks = _affine(
        m, base, node, stream.valid, stream.data, node.weight, stream.type, plan, levels, cmvms, post, tiles
    )
    return _register(m, base, values_valid, values, post.type if post else node.type, None), clocks + 1


def cast_is_exact(node: Conv2D | Dense, in_type: FixedType) -> bool:
    """Whether the layer's own cast changes no sum: its type has the sums' fractional bits (or more) and
    holds their whole range. Then a ReLU or Requantize after it can take the sums directly."""
    from lepton_hw.backends.rtl.cmvm import column_bounds

    weight = node.weight.reshape(-1, node.weight.shape[-1])
    product_frac = in_type.frac + node.weight_type.frac
    frac = max(product_frac, node.bias_type.frac)
    scale = node.type.frac - frac
    if scale < 0:
        return False
    for f, (lo, hi) in enumerate(zip(*column_bounds(weight.astype(object), in_type), strict=True)):
        bias = int(node.bias[f]) << (frac - node.bias_type.frac)
        lo_s, hi_s = (lo << (frac - product_frac)) + bias, (hi << (frac - product_frac)) + bias
        if (lo_s << scale) < node.type.min_raw or (hi_s << scale) > node.type.max_raw:
            return False
    return True


def _affine(
    m: Module, base: str, node: Conv2D | Dense, valid: str, x: str, weight: np.ndarray, in_type: FixedType,
    plan: LayerPlan, levels: int, cmvms: list[Cmvm | Fold | Serial], post: ReLU | Requantize | None = None,
    tiles: FoldTiles | None = None,
) -> tuple[str, list[str], int]:  # fmt: skip
    """x @ weight + bias, cast to the node's type: the valid flag and one raw-bits wire per output, and
    the clocks from ``valid`` to them (for a folded layer: from the last input's arrival).

    With ``post`` (a ReLU or Requantize after the layer, whose own cast :func:`cast_is_exact` says is
    the identity), the sum goes straight into ``post``'s cast instead: one rounding for two layers.
    Where that cast rounds to nearest or truncates, the rounding constant joins the bias, so the bias
    adder is the rounding adder: ``floor((s + half) / 2**k)``, with ties to even fixed by clearing the
    last bit when the dropped bits of ``s + half`` are all zero (then ``floor`` is the odd neighbour)."""
    y = m.name(f"{base}_y")
    if plan.impl == "fold":
        fold = build_fold(f"{base}_fold", weight, in_type, plan.inputs, plan.fold, plan.positions, levels, tiles)
        cmvms.append(fold)
        multiply: Cmvm | Fold | Serial = fold
        y_valid = m.name(f"{base}_y_valid")
        m.add(
            f"    wire {y_valid};",
            f"    wire [{fold.n_out * fold.out_width - 1}:0] {y};",
            f"    {fold.name} #(.LUT_MULT(LUT_MULTIPLIERS), .ROM_IN_LUTS(ROM_IN_LUTS)) {base}_mul (.clk(clk), "
            f".rst(rst), {'.tiles_x(tiles_x), ' if tiles else ''}.in_valid({valid}), "
            f".in_data({x}),",
            f"        .out_valid({y_valid}), .out_data({y}));",
        )
        clocks = plan.fold - 1 + fold.latency
    elif plan.impl == "serial":
        serial = build_serial(f"{base}_serial", weight, in_type, plan.fold, levels)
        cmvms.append(serial)
        multiply = serial
        y_valid = m.name(f"{base}_y_valid")
        m.add(
            f"    wire {y_valid};",
            f"    wire [{serial.n_out * serial.out_width - 1}:0] {y};",
            f"    {serial.name} {base}_mul (.clk(clk), .rst(rst), .in_valid({valid}), .in_data({x}),",
            f"        .out_valid({y_valid}), .out_data({y}));",
        )
        clocks = serial.fold - 1 + serial.latency
    else:
        cmvm = build_cmvm(f"{base}_cmvm", weight, in_type, plan.impl, levels)
        cmvms.append(cmvm)
        multiply = cmvm
        clock = ".clk(clk), " if cmvm.latency else ""
        m.add(
            f"    wire [{cmvm.n_out * cmvm.out_width - 1}:0] {y};",
            f"    {cmvm.name} {base}_mul ({clock}.x({x}), .y({y}));",
        )
        y_valid = m.delay(f"{base}_y", valid, cmvm.latency)
        clocks = cmvm.latency
    yw = multiply.out_width
    pipe = m.pipeline(levels)
    product_frac = in_type.frac + node.weight_type.frac
    frac = max(product_frac, node.bias_type.frac)
    sums = []
    for f in range(multiply.n_out):
        scale_y, scale_b = frac - product_frac, frac - node.bias_type.frac
        bias = int(node.bias[f]) << scale_b
        lo, hi = (multiply.lo[f] << scale_y) + bias, (multiply.hi[f] << scale_y) + bias
        sw = max(signed_bits(lo, hi), yw + scale_y, signed_bits(bias, bias)) + 1
        s, y_f = m.name(f"{base}_sum{f}"), m.name(f"{base}_y{f}")
        negated = isinstance(multiply, Cmvm) and multiply.is_negated(f)
        dst = post.type if post is not None else node.type
        shift = frac - dst.frac
        merged = post is not None and shift > 0 and dst.rounding in ("TRN", "RND", "RND_CONV")
        half = (1 << (shift - 1)) if merged and dst.rounding != "TRN" else 0
        if half:  # the sum with the rounding constant (before the operand is widened to sw bits)
            sw = max(sw, signed_bits(lo + half, hi + half) + 1)
        shifted = (
            f"({_sext(y_f, yw, sw)} <<< {scale_y})" if scale_y else _sext(y_f, yw, sw)
        )  # (): << binds looser than +
        constant = literal(bias + half, sw)
        total = f"{constant} - {shifted}" if negated else f"{shifted} + {constant}"
        m.add(
            f"    wire signed [{yw - 1}:0] {y_f} = {y}[{(f + 1) * yw - 1}:{f * yw}];",
            f"    wire signed [{sw - 1}:0] {s} = {total};",
        )
        pipe.define(s, sw, 1)
        relu = isinstance(post, ReLU)
        if merged:
            stage = pipe.stage(1)
            t = pipe.at(s, stage)
            fw = sw - shift
            rounded = m.name(f"{base}_o{f}_round")
            if dst.rounding == "RND_CONV":  # the last bit cleared on a tie (dropped bits all zero)
                top = f"{t}[{sw - 1}:{shift + 1}], " if fw > 1 else ""
                m.add(f"    wire signed [{fw - 1}:0] {rounded} = {{{top}{t}[{shift}] & (|{t}[{shift - 1}:0])}};")
            else:
                m.add(f"    wire signed [{fw - 1}:0] {rounded} = {t}[{sw - 1}:{shift}];")
            pipe.define(rounded, fw, 1)
            sums.append(saturate(m, f"{base}_o{f}", rounded, fw, 1, dst, pipe, relu))
        elif relu:
            stage = pipe.stage(1)
            zero = m.name(f"{base}_relu{f}")
            m.add(
                f"    wire signed [{sw - 1}:0] {zero} = {pipe.at(s, stage)}[{sw - 1}] ? {sw}'sd0 : {pipe.at(s, stage)};"
            )
            pipe.define(zero, sw, 1)
            sums.append(emit_cast(m, f"{base}_o{f}", zero, sw, frac, dst, pipe))
        else:
            sums.append(emit_cast(m, f"{base}_o{f}", s, sw, frac, dst, pipe))
    out_valid, values = m.finish(base, pipe, y_valid, sums)
    return out_valid, values, clocks + pipe.last_stage(sums)


def _elementwise(m: Module, base: str, node: ReLU | Requantize, stream: Stream, levels: int) -> tuple[Stream, int]:
    t = stream.type
    pipe = m.pipeline(levels)
    values = []
    for i, element in enumerate(_elements(m, base, stream, pipe)):
        v = m.name(f"{base}_v{i}")
        sw = storage_bits(t)
        source = value_of(element, t, sw)
        if isinstance(node, ReLU) and t.signed:
            m.add(f"    wire signed [{sw - 1}:0] {v} = {element}[{t.width - 1}] ? {sw}'sd0 : {source};")
        else:
            m.add(f"    wire signed [{sw - 1}:0] {v} = {source};")
        pipe.define(v, sw, 0)
        values.append(emit_cast(m, f"{base}_o{i}", v, sw, t.frac, node.type, pipe))
    valid, values = m.finish(base, pipe, stream.valid, values)
    return _register(m, base, valid, values, node.type, stream.frame), pipe.last_stage(values) + 1


def _streaming_max_pool(node: MaxPool2D, frame: tuple[int, int], tiling: Tiling | None) -> bool:
    """A max pooling lepton_maxpool computes as the elements arrive: windows side by side (strides =
    pool size), none reaching outside the frame, on a frame that is one model input (not tiles)."""
    if tiling is not None or tuple(node.strides) != tuple(node.pool_size):
        return False
    (h, w), (kh, kw) = frame, node.pool_size
    sched = window_schedule(node, frame)
    inside = sched.pad_top == 0 and sched.pad_left == 0 and (sched.out_height, sched.out_width) == (h // kh, w // kw)
    return inside and kh * kw > 1


def _max_pool_stream(m: Module, base: str, node: MaxPool2D, stream: Stream) -> tuple[str, str]:
    """Instantiate lepton_maxpool; returns its valid and data (the maxima, in the input's type)."""
    assert stream.frame is not None
    (h, w), (kh, kw), (oh, ow) = stream.frame, node.pool_size, node.shape[:2]
    t, c = stream.type, stream.count
    valid, data = m.name(f"{base}_max_valid"), m.name(f"{base}_max")
    m.add(
        f"    wire {valid};",
        f"    wire [{c * t.width - 1}:0] {data};",
        f"    lepton_maxpool #(.H({h}), .W({w}), .C({c}), .B({t.width}), .SIGNED({int(t.signed)}), .KH({kh}), "
        f".KW({kw}), .OH({oh}), .OW({ow})) {base}_pool (",
        f"        .clk(clk), .rst(rst), .in_valid({stream.valid}), .in_data({stream.data}),",
        f"        .out_valid({valid}), .out_data({data}));",
    )
    return valid, data


def _pool(m: Module, base: str, node: MaxPool2D | AvgPool2D, stream: Stream, levels: int) -> tuple[Stream, int]:
    assert stream.frame is not None
    ph, pw = node.pool_size
    if isinstance(node, MaxPool2D) and _streaming_max_pool(node, stream.frame, m.tiling):
        out_frame = (node.shape[0], node.shape[1])
        valid, data = _max_pool_stream(m, base, node, stream)
        maxima = Stream(valid, data, stream.count, stream.type, out_frame)
        pipe = m.pipeline(levels)
        t, sw = stream.type, storage_bits(stream.type)
        values = []
        for ch in range(stream.count):
            v = m.name(f"{base}_max{ch}")
            m.add(f"    wire signed [{sw - 1}:0] {v} = {value_of(maxima.element(ch), t, sw)};")
            values.append(emit_cast(m, f"{base}_o{ch}", pipe.define(v, sw, 0), sw, t.frac, node.type, pipe))
        valid, values = m.finish(base, pipe, valid, values)
        return _register(m, base, valid, values, node.type, out_frame), pipe.last_stage(values) + 1
    valid, win, rows, cols = _window(m, base, node, stream)
    t, c = stream.type, stream.count
    ew = c * t.width
    sw = storage_bits(t)
    counts = window_counts(stream.frame, node.pool_size, node.strides, node.padding)
    whole = bool((counts == ph * pw).all())
    pipe = m.pipeline(levels)
    values = []
    for ch in range(c):
        elements = []
        for i in range(ph):
            for j in range(pw):
                lo = (i * pw + j) * ew + ch * t.width
                elements.append((i, j, value_of(f"{win}[{lo + t.width - 1}:{lo}]", t, sw)))
        if isinstance(node, MaxPool2D):
            # A tree of maxima; padding never wins (it counts as the type's minimum, and each window
            # holds at least one element of the frame), so the tree equals the max over the frame's elements.
            terms = []
            for n, (i, j, e) in enumerate(elements):
                cur = m.name(f"{base}_in{ch}_{n}")
                ok = "1'b1" if whole else f"({rows}[{i}] && {cols}[{j}])"
                m.add(f"    wire signed [{sw - 1}:0] {cur} = {ok} ? {e} : {literal(t.min_raw, sw)};")
                terms.append(pipe.define(cur, sw, 0))
            n = 0
            while len(terms) > 1:
                a, b = terms[0], terms[1]
                level = max(pipe.level_of[a], pipe.level_of[b]) + 1
                stage = pipe.stage(level)
                a_at, b_at = pipe.at(a, stage), pipe.at(b, stage)
                cur = m.name(f"{base}_max{ch}_{n}")
                n += 1
                m.add(f"    wire signed [{sw - 1}:0] {cur} = ({b_at} > {a_at}) ? {b_at} : {a_at};")
                terms = [*terms[2:], pipe.define(cur, sw, level)]
            values.append(emit_cast(m, f"{base}_o{ch}", terms[0], sw, t.frac, node.type, pipe))
        else:
            area = ph * pw
            tw = sw + area.bit_length() + 1
            terms = [e if whole else f"(({rows}[{i}] && {cols}[{j}]) ? {e} : {sw}'sd0)" for i, j, e in elements]
            total = m.name(f"{base}_sum{ch}")
            ext = []
            for n, term in enumerate(terms):
                e = m.name(f"{base}_term{ch}_{n}")
                m.add(f"    wire signed [{sw - 1}:0] {e} = {term};")
                ext.append(_sext(e, sw, tw))
            m.add(f"    wire signed [{tw - 1}:0] {total} = {' + '.join(ext)};")
            pipe.define(total, tw, 1)
            if whole and area & (area - 1) == 0:  # a power of two: the division is a shift
                frac = t.frac + area.bit_length() - 1
                values.append(emit_cast(m, f"{base}_o{ch}", total, tw, frac, node.type, pipe))
            else:
                values.append(_divide(m, f"{base}_o{ch}", total, tw, t.frac, rows, cols, node, pipe))
    if whole:
        m.add(f"    wire {base}_unused_flags = ^{{{rows}, {cols}}};  // no padding: every element is inside")
    valid, values = m.finish(base, pipe, valid, values)
    out = _register(m, base, valid, values, node.type, (node.shape[0], node.shape[1]))
    return out, 1 + pipe.last_stage(values) + 1


def _divide(
    m: Module, base: str, total: str, tw: int, frac: int, rows: str, cols: str, node: AvgPool2D, pipe: Pipeline
) -> str:  # fmt: skip
    """total / (elements inside the frame), cast to the node's type (FixedType.convert_ratio).

    One combinational step (a divider): ``total`` is read in its own stage, where the window's
    padding flags still hold."""
    dst = node.type
    ph, pw = node.pool_size
    shift = dst.frac - frac
    cw = (ph * pw).bit_length() + 1
    nw = max(tw + max(shift, 0), cw + max(-shift, 0)) + 2
    count = m.name(f"{base}_count")
    row_terms = " + ".join(f"{{{cw - 1}'d0, {rows}[{i}]}}" for i in range(ph))
    col_terms = " + ".join(f"{{{cw - 1}'d0, {cols}[{j}]}}" for j in range(pw))
    m.add(f"    wire [{cw - 1}:0] {count} = ({row_terms}) * ({col_terms});")
    num, den = m.name(f"{base}_num"), m.name(f"{base}_den")
    m.add(f"    wire signed [{nw - 1}:0] {num} = {_sext(total, tw, nw)}" + (f" <<< {shift};" if shift > 0 else ";"))
    m.add(
        f"    wire signed [{nw - 1}:0] {den} = $signed({{{nw - cw}'d0, {count}}})"
        + (f" <<< {-shift};" if shift < 0 else ";")
    )
    # Floor division: Verilog's / truncates toward zero.
    q, r = m.name(f"{base}_trunc"), m.name(f"{base}_rem")
    m.add(f"    wire signed [{nw - 1}:0] {q} = {num} / {den};", f"    wire signed [{nw - 1}:0] {r} = {num} % {den};")
    floor, rest = m.name(f"{base}_floor"), m.name(f"{base}_rest")
    m.add(
        f"    wire signed [{nw - 1}:0] {floor} = ({r} < 0) ? {q} - {nw}'sd1 : {q};",
        f"    wire signed [{nw - 1}:0] {rest} = ({r} < 0) ? {r} + {den} : {r};  // 0 <= rest < den",
    )
    twice = f"({rest} <<< 1)"
    flags = {
        "inexact": f"({rest} != 0)",
        "negative": f"({num} < 0)",
        "above": f"({twice} > {den})",
        "at_half": f"({twice} == {den})",
        "odd": f"{floor}[0]",
    }
    expr = ROUND_UP[dst.rounding]
    for flag, text in flags.items():
        expr = expr.replace(flag, text)
    up, rounded = m.name(f"{base}_up"), m.name(f"{base}_quot")
    m.add(
        f"    wire {up} = {expr};",
        f"    wire signed [{nw - 1}:0] {rounded} = {floor} + {{{{{nw - 1}{{1'b0}}}}, {up}}};",
    )
    pipe.define(rounded, nw, pipe.level_of[total])
    return emit_cast(m, base, rounded, nw, dst.frac, dst, pipe)


def _collect(m: Module, base: str, stream: Stream) -> Stream:
    """Collect a frame's elements into one vector (Flatten's row-major h, w, c order)."""
    assert stream.frame is not None
    h, w = stream.frame
    n = h * w
    ew = stream.count * stream.type.width
    buf, count, valid = m.name(f"{base}_buf"), m.name(f"{base}_count"), m.name(f"{base}_valid")
    cw = max(n.bit_length(), 1)
    shift_in = f"{stream.data}" if n == 1 else f"{{{stream.data}, {buf}[{n * ew - 1}:{ew}]}}"
    m.add(
        f"    reg [{n * ew - 1}:0] {buf};  // element k at bits [k*{ew} +: {ew}]",
        f"    reg [{cw - 1}:0] {count};",
        f"    reg {valid};",
        "    always @(posedge clk) begin",
        f"        if ({stream.valid}) {buf} <= {shift_in};",
        "        if (rst) begin",
        f"            {count} <= {cw}'d0;",
        f"            {valid} <= 1'b0;",
        "        end else begin",
        f"            {valid} <= {stream.valid} && ({count} == {cw}'d{n - 1});",
        f"            if ({stream.valid}) {count} <= ({count} == {cw}'d{n - 1}) ? {cw}'d0 : {count} + 1'b1;",
        "        end",
        "    end",
    )
    return Stream(valid, buf, n * stream.count, stream.type, None)


def _greater(m: Module, pipe: Pipeline, name: str, a: str, b: str, width: int, level: int) -> int:
    """``name`` = (signed ``a`` > signed ``b``), defined in ``pipe``; returns its level. Pipelined and
    wider than 8 bits, it takes two levels: the sign of b - a (one carry chain, one bit wider than the
    operands, so that it cannot overflow) registered, then read as it is. ``a > b`` written as such made
    Yosys chain a second carry chain after the first for the signed comparison, and splitting it into a
    top and a low part compared apart still left one chain into logic: each was the one-tile core's
    longest path on ECP5."""
    if pipe.levels == 0 or width <= 8:
        m.add(f"    wire {name} = {a} > {b};")
        pipe.define(name, 1, level)
        return level
    difference, sign = m.name(f"{name}_b_minus_a"), m.name(f"{name}_sign")
    m.add(
        f"    wire [{width}:0] {difference} = {{{b}[{width - 1}], {b}}} - {{{a}[{width - 1}], {a}}};",
        f"    wire {sign} = {difference}[{width}];  // b - a < 0: a > b",
    )
    pipe.define(sign, 1, level)
    registered = pipe.at(sign, pipe.stage(level + 1))
    m.add(f"    wire {name} = {registered};")
    pipe.define(name, 1, level + 1)
    return level + 1


def _result(m: Module, stream: Stream, layout: CoreLayout, levels: int) -> int:
    """Argmax (lowest index on a tie) and the 32-bit beats of the result packet; returns its clocks.

    The argmax is a tree of (value, index) pairs: the right one wins only when strictly greater,
    and every index on the right is higher, so ties go to the lowest index as in a linear scan."""
    t = stream.type
    sw = storage_bits(t)
    n = stream.count
    iw = max((n - 1).bit_length(), 1)
    logits, indices = [], []
    for i in range(n):
        v, index = m.name(f"logit{i}"), m.name(f"index{i}")
        m.add(
            f"    wire signed [{sw - 1}:0] {v} = {value_of(stream.element(i), t, sw)};",
            f"    wire [{iw - 1}:0] {index} = {iw}'d{i};",
        )
        logits.append(v)
        indices.append(index)
    tree_levels = (n - 1).bit_length()
    # A frame's logits hold in their layer's register until the next frame's, H x W clocks later at least.
    if stream.held and m.tiling is None and layout.height * layout.width >= tree_levels + 2:
        return _held_argmax(m, stream.valid, logits, indices, sw, iw, tree_levels)
    pipe = m.pipeline(levels)
    count = itertools.count()

    def merge(a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str]:
        (va, ia), (vb, ib) = a, b
        # the comparison (a carry chain as wide as the logits) and the selection take a level each
        level = max(pipe.level_of[va], pipe.level_of[vb]) + 1
        stage = pipe.stage(level)
        k = next(count)
        gt, nv, ni = m.name(f"right_wins{k}"), m.name(f"best_v{k}"), m.name(f"best_i{k}")
        level = _greater(m, pipe, gt, pipe.at(vb, stage), pipe.at(va, stage), sw, level)
        stage = pipe.stage(level + 1)
        g, va, ia, vb, ib = (pipe.at(x, stage) for x in (gt, va, ia, vb, ib))
        m.add(
            f"    wire signed [{sw - 1}:0] {nv} = {g} ? {vb} : {va};",
            f"    wire [{iw - 1}:0] {ni} = {g} ? {ib} : {ia};",
        )
        return pipe.define(nv, sw, level + 1), pipe.define(ni, iw, level + 1)

    pairs = [(pipe.define(v, sw, 0), pipe.define(i, iw, 0)) for v, i in zip(logits, indices, strict=True)]
    best_v, best_i = _pairwise(pairs, merge)
    valid, values = m.finish("result", pipe, stream.valid, [best_i, *logits])
    best_i, logits = values[0], values[1:]
    m.add(
        "    reg res_valid;",
        f"    reg [{iw + n * sw - 1}:0] res_data;  // class index, then the logits (compact: see lepton_result)",
        "    always @(posedge clk) begin",
        f"        res_valid <= rst ? 1'b0 : {valid};",
        f"        if ({valid}) res_data <= {{{', '.join(reversed(logits))}, {best_i}}};",
        "    end",
    )
    if n == 1:
        m.add(f"    wire {m.name('unused_best')} = ^{best_v};")
    return pipe.last_stage([best_i]) + 1


def _pairwise(items: list[T], merge: Callable[[T, T], T]) -> T:
    """``items`` reduced a tree level at a time: neighbours merged in order, an odd last one carried up."""
    while len(items) > 1:
        merged = [merge(items[j], items[j + 1]) for j in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            merged.append(items[-1])
        items = merged
    return items[0]


def _held_argmax(
    m: Module, valid: str, logits: list[str], indices: list[str], sw: int, iw: int, tree_levels: int
) -> int:  # fmt: skip
    """The argmax of logits that hold from their valid until after the result is taken; returns its clocks.

    Nothing moves while the tree works, so only each comparison is registered (a clock per tree level,
    whatever the pipeline setting: a register there takes the cell of the carry chain that feeds it), and
    the selections and the values they pass on need none. lepton_result reads the logits where they are
    held (a copy in res_data was a flip-flop per bit, each a logic cell of its own on iCE40)."""
    count = itertools.count()

    def merge(a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str]:
        (va, ia), (vb, ib) = a, b
        k = next(count)
        gt, difference = m.name(f"right_wins{k}"), m.name(f"a_minus_b{k}")
        nv, ni = m.name(f"best_v{k}"), m.name(f"best_i{k}")
        m.add(
            # the sign of a - b, one bit wider than the values: b > a (one carry chain)
            f"    wire [{sw}:0] {difference} = {{{va}[{sw - 1}], {va}}} - {{{vb}[{sw - 1}], {vb}}};",
            f"    reg {gt};",
            f"    always @(posedge clk) {gt} <= {difference}[{sw}];",
            f"    wire signed [{sw - 1}:0] {nv} = {gt} ? {vb} : {va};",
            f"    wire [{iw - 1}:0] {ni} = {gt} ? {ib} : {ia};",
        )
        return nv, ni

    best_v, best_i = _pairwise(list(zip(logits, indices, strict=True)), merge)
    clocks = tree_levels  # a registered comparison per tree level
    done, index = m.delay("result", valid, clocks), m.name("res_index")
    m.add(
        "    reg res_valid;",
        f"    reg [{iw - 1}:0] {index};",
        "    always @(posedge clk) begin",
        f"        res_valid <= rst ? 1'b0 : {done};",
        f"        if ({done}) {index} <= {best_i};",
        "    end",
        f"    wire [{iw + len(logits) * sw - 1}:0] res_data = {{{', '.join(reversed(logits))}, {index}}};  "
        "// class index, then the logits (compact: see lepton_result)",
    )
    if len(logits) == 1:
        m.add(f"    wire {m.name('unused_best')} = ^{best_v};")
    return clocks + 1


def _top_module(
    m: Module, layout: CoreLayout, clocks_per_pixel: int, queue_depth: int, result_widths: tuple[int, int]
) -> str:  # fmt: skip
    header = f"""// lepton_core: {layout.summary}
// Generated by lepton_hw from {layout.source}; do not edit (regenerate with `lepton-hw rtl`).
//
// Ports (Xilinx UG934 AXI4-Stream video naming):
//   s_axis_*: pixels, {layout.channels} channel(s) x {layout.lane_bits} bits;
//             tuser = start of frame, tlast = end of line
//   m_axis_*: one packet of {layout.n_outputs + 1} beats per frame: class index, then the {layout.n_outputs} logits
//             ({layout.output_type}) as raw two's-complement integers sign-extended to 32 bits; tlast on the last
//   frame_count: packets sent; err_malformed: a malformed frame was seen (sticky until err_clear)
`default_nettype none

{_module_open(layout, tiled=False)}
    input wire m_axis_tready,
    output wire [31:0] frame_count,
    output reg err_malformed,
    input wire err_clear
);
    wire clk = aclk;
    reg rst;  // aresetn, registered: every flip-flop resets synchronously from one register
    always @(posedge clk) rst <= !aresetn;

    wire sof_ok, pix_valid, frame_start, frame_end, frame_bad, malformed;
    wire [{layout.tdata_bits - 1}:0] pix_data;
    lepton_framer #(.H({layout.height}), .W({layout.width}), .DW({layout.tdata_bits}),
        .CPP({clocks_per_pixel})) framer (
        .clk(clk), .rst(rst), .s_tdata(s_axis_tdata), .s_tuser(s_axis_tuser), .s_tlast(s_axis_tlast),
        .s_tvalid(s_axis_tvalid), .s_tready(s_axis_tready), .sof_ok(sof_ok), .pix_valid(pix_valid),
        .pix_data(pix_data), .frame_start(frame_start), .frame_end(frame_end), .frame_bad(frame_bad),
        .malformed(malformed));

{STICKY_MALFORMED_AND_BODY}"""
    footer = f"""
    // verilator lint_on UNUSEDSIGNAL

    lepton_result #(.BEATS({layout.n_outputs + 1}), .DEPTH({queue_depth}), .CW({result_widths[0]}),
        .VW({result_widths[1]}), .BRAM(RESULT_QUEUE_BRAM)) result (
        .clk(clk), .rst(rst), .frame_start(frame_start), .frame_end(frame_end), .frame_bad(frame_bad),
        .res_valid(res_valid), .res_data(res_data), .sof_ok(sof_ok), .m_tdata(m_axis_tdata),
        .m_tlast(m_axis_tlast), .m_tvalid(m_axis_tvalid), .m_tready(m_axis_tready), .frame_count(frame_count));
endmodule

`default_nettype wire
"""
    return header + "\n".join(m.lines) + "\n" + footer


# Both tops: the sticky err_malformed flag, then the opening of the network's body.
STICKY_MALFORMED_AND_BODY = """    always @(posedge clk) begin
        if (rst) err_malformed <= 1'b0;
        else if (malformed) err_malformed <= 1'b1;  // a new malformation wins over a clear in the same clock
        else if (err_clear) err_malformed <= 1'b0;
    end

    // Casts and multiplies keep exact widths; the bits a type drops are unused on purpose.
    // verilator lint_off UNUSEDSIGNAL
"""


def _module_open(layout: CoreLayout, tiled: bool) -> str:
    """The top module's parameters and its stream ports up to m_axis_tvalid (a tiled core adds m_axis_tuser)."""
    tuser = "    output wire m_axis_tuser,\n" if tiled else ""
    return f"""module lepton_core #(
    // Folded layers' multipliers: 1 = shift-and-add in LUTs, 0 = `*` for DSP blocks (lepton_hw's
    // synthesis sets 0 for Xilinx, whose DSPs are fast). The same products either way.
    // Folded layers' weight ROMs: 0 = block RAM, 1 = LUTs (set for ECP5, whose block RAM reads are slow).
    // The result queue: 0 = flip-flops, 1 = block RAM (lepton_hw's synthesis sets 1 for iCE40, where a
    // stored bit in a flip-flop takes a logic cell).
    // verilator lint_off UNUSEDPARAM
    parameter integer LUT_MULTIPLIERS = 1,
    parameter integer ROM_IN_LUTS = 0,
    parameter integer RESULT_QUEUE_BRAM = 0
    // verilator lint_on UNUSEDPARAM
) (
    input wire aclk,
    input wire aresetn,
    input wire [{layout.tdata_bits - 1}:0] s_axis_tdata,
    input wire s_axis_tuser,
    input wire s_axis_tlast,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [31:0] m_axis_tdata,
{tuser}    output wire m_axis_tlast,
    output wire m_axis_tvalid,"""


def _tiled_top_module(
    m: Module, layout: CoreLayout, tiling: Tiling, clocks_per_pixel: int, queue_depth: int,
    result_widths: tuple[int, int],
) -> str:  # fmt: skip
    t, n = tiling, layout.n_outputs
    txw = t.count_bits
    header = f"""// lepton_core: {layout.summary}, on every tile of frames of up to {t.frame_width}x{t.frame_height}
// Generated by lepton_hw from {layout.source}; do not edit (regenerate with `lepton-hw rtl`).
//
// Ports (Xilinx UG934 AXI4-Stream video naming):
//   s_axis_*: pixels, {layout.channels} channel(s) x {layout.lane_bits} bits; tuser = start of frame, tlast = end
//             of line.
//             The frame is FRAME_WIDTH x FRAME_HEIGHT (registers; at most {t.frame_width}x{t.frame_height}), cut into
//             {layout.width}x{layout.height} tiles in raster order; s_axis_tready stays high (the camera never waits).
//   m_axis_*: one packet per frame: per tile {n + 1} beats, {{tile row[7:0], tile column[7:0], class index[15:0]}},
//             then the {n} logits ({layout.output_type}) sign-extended to 32 bits; tuser on the first beat,
//             tlast on the last. A result m_axis cannot take in time is dropped and counted.
//   s_axil_*: AXI4-Lite control and status registers (see the register map); irq: end of frame, masked.
//   frame_count: frames completed; err_malformed: a malformed frame was seen (sticky until err_clear).
`default_nettype none

{_module_open(layout, tiled=True)}
    input wire m_axis_tready,
    input wire [11:0] s_axil_awaddr,
    input wire s_axil_awvalid,
    output wire s_axil_awready,
    input wire [31:0] s_axil_wdata,
    input wire [3:0] s_axil_wstrb,
    input wire s_axil_wvalid,
    output wire s_axil_wready,
    output wire [1:0] s_axil_bresp,
    output wire s_axil_bvalid,
    input wire s_axil_bready,
    input wire [11:0] s_axil_araddr,
    input wire s_axil_arvalid,
    output wire s_axil_arready,
    output wire [31:0] s_axil_rdata,
    output wire [1:0] s_axil_rresp,
    output wire s_axil_rvalid,
    input wire s_axil_rready,
    output wire irq,
    output reg [31:0] frame_count,
    output reg err_malformed,
    input wire err_clear
);
    wire clk = aclk;
    reg rst;  // aresetn, registered: every flip-flop resets synchronously from one register
    always @(posedge clk) rst <= !aresetn;

    wire enable, busy, size_pending, pix_valid, frame_start, malformed, ev_frame_end, ev_dropped;
    wire [15:0] frame_width, frame_height;
    wire [{txw - 1}:0] tiles_x, tiles_y;
    wire [{layout.tdata_bits - 1}:0] pix_data;
    wire [{n * 32 - 1}:0] class_counts;

    // Frames in the network: begun by the framer, not yet out of the result stage. A new frame size
    // waits until there are none.
    reg [3:0] in_flight;
    always @(posedge clk) begin
        if (rst) in_flight <= 4'd0;
        else in_flight <= in_flight + {{3'd0, frame_start}} - {{3'd0, ev_frame_end}};
    end
    wire net_idle = (in_flight == 4'd0) && !frame_start;

    lepton_tile_framer #(.TH({layout.height}), .TW({layout.width}), .MAXH({t.frame_height}), .MAXW({t.frame_width}),
        .DW({layout.tdata_bits}), .CPP({clocks_per_pixel}), .TXW({txw})) framer (
        .clk(clk), .rst(rst), .rst_next(!aresetn), .s_tdata(s_axis_tdata), .s_tuser(s_axis_tuser),
        .s_tlast(s_axis_tlast), .s_tvalid(s_axis_tvalid), .s_tready(s_axis_tready), .enable(enable),
        .frame_width(frame_width),
        .frame_height(frame_height), .net_idle(net_idle), .tiles_x(tiles_x), .tiles_y(tiles_y),
        .pix_valid(pix_valid), .pix_data(pix_data), .frame_start(frame_start), .malformed(malformed),
        .busy(busy), .size_pending(size_pending));

    lepton_regs regs (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awvalid(s_axil_awvalid), .s_axil_awready(s_axil_awready),
        .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb), .s_axil_wvalid(s_axil_wvalid),
        .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp), .s_axil_bvalid(s_axil_bvalid),
        .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr), .s_axil_arvalid(s_axil_arvalid),
        .s_axil_arready(s_axil_arready), .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp),
        .s_axil_rvalid(s_axil_rvalid), .s_axil_rready(s_axil_rready),
        .enable(enable), .frame_width(frame_width), .frame_height(frame_height), .irq(irq),
        .ev_frame_end(ev_frame_end), .ev_malformed(malformed), .ev_dropped(ev_dropped),
        .busy(busy || !net_idle), .size_pending(size_pending), .class_counts(class_counts));

    // The sidebands for a design without the register bus: frames completed, a sticky malformed flag.
    always @(posedge clk) begin
        if (rst) frame_count <= 32'd0;
        else if (ev_frame_end) frame_count <= frame_count + 1'b1;
    end
{STICKY_MALFORMED_AND_BODY}"""
    footer = f"""
    // verilator lint_on UNUSEDSIGNAL

    lepton_tile_result #(.BEATS({n + 1}), .DEPTH({queue_depth}), .CW({result_widths[0]}), .VW({result_widths[1]}),
        .NC({n}), .TXW({txw}), .TR({t.tiles_y}), .TC({t.tiles_x})) result (
        .clk(clk), .rst(rst), .tiles_x(tiles_x), .tiles_y(tiles_y), .res_valid(res_valid), .res_data(res_data),
        .m_tdata(m_axis_tdata), .m_tuser(m_axis_tuser), .m_tlast(m_axis_tlast), .m_tvalid(m_axis_tvalid),
        .m_tready(m_axis_tready), .ev_frame_end(ev_frame_end), .ev_dropped(ev_dropped),
        .class_counts(class_counts));
endmodule

`default_nettype wire
"""
    return header + "\n".join(m.lines) + "\n" + footer
