"""The schedule: how each layer of the camera core is built, sized to the rate its inputs arrive at.

A camera sends one pixel every ``clocks_per_pixel`` clocks and cannot wait. Every layer behind it
receives its inputs at a rate fixed by the layers before it: a 3x3 convolution on the raw frame
receives a window every clock, the layer after a 2x2 pooling at most every other clock, a dense
layer after two poolings a feature vector at most every 4 clocks. :func:`make_schedule` works the
rate of every layer out from the IR (like FINN's folding config, a value, not code), then picks
each weighted layer's implementation by its modelled cost at that rate:

- ``da``: a full-rate da4ml shift-add graph, specialized to the constant weights (zero weights
  cost nothing, shared subexpressions are shared). It takes a new input every clock and cannot
  be time-shared, because its structure *is* the weights.
- ``mac``: a full-rate sum of constant products (``x * w``), for synthesis to map to DSP blocks.
- ``fold``: a folded multiply-accumulate: each input is consumed over ``fold`` clocks by
  ``ceil(K / fold) x N`` generic multipliers fed with the weights from a ROM. It pays for the
  multipliers and the ROM and loses da4ml's zero-skipping, so it wins only where the rate is low
  (a dense layer fed every few clocks), and it needs ``fold`` clocks between two inputs.
- ``serial``: bit-serial distributed arithmetic: one da4ml graph on ``ceil(bits / fold)``-bit slices of
  the (unsigned) inputs, a slice a clock into accumulators (``backends.rtl.serial``). The graph is
  the weights' own, so it keeps da4ml's zero-skipping and sharing, and its adders are narrower; it
  pays for the slice multiplexers and the accumulators, and needs the input held for ``fold``
  clocks (a window holds it while its next element has not arrived). Chosen by cost at pipeline 0
  (the smallest core); at higher pipelines only where the config forces it, because its slice select
  fans out to every input bit and costs clock rate.

A dense layer after a feature map (through Flatten) accumulates as the map's positions arrive:
no frame-wide shift register. ``pipeline`` sets the adder levels between pipeline registers
everywhere (1: the longest path is about one adder; 0: no register inside a layer, the
combinational core of before). The emitter (``backends.rtl.emit``) writes what the schedule says;
``core.json`` records it. The figures called *cost* here are modelled LUT counts, not synthesis
results: the choice needs only their order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import AvgPool2D, Conv2D, Dense, Flatten, Graph, MaxPool2D

IMPLS = ("da", "mac", "fold", "serial")
FULL_RATE = ("da", "mac")
MAX_PIPELINE = 8
MAX_CLOCKS_PER_PIXEL = 64


@dataclass(frozen=True)
class LayerChoice:
    """A layer's implementation forced by the config (``hardware.layers``); None fields stay free."""

    impl: str | None = None
    fold: int | None = None


@dataclass(frozen=True)
class ScheduleOptions:
    """What the schedule is computed for: the camera's rate and the user's choices."""

    kernel: str = "da"  # full-rate layers: da (shift-add graphs) or mac (constant products)
    clocks_per_pixel: int = 1
    pixel_clock_mhz: float | None = None  # the camera's pixel rate (None: unknown, the board's clock is used)
    pipeline: int = 1  # adder levels per pipeline stage; 0: no registers inside a layer
    layers: Mapping[str, LayerChoice] = field(default_factory=dict)
    frame: tuple[int, int] | None = None  # (width, height) of the camera's largest frame; None: one tile

    @property
    def core_clock_mhz(self) -> float | None:
        """The clock the core must run at: pixel clock x clocks per pixel."""
        return None if self.pixel_clock_mhz is None else self.pixel_clock_mhz * self.clocks_per_pixel

    def to_dict(self) -> dict[str, Any]:
        return {
            "kernel": self.kernel,
            "clocks_per_pixel": self.clocks_per_pixel,
            "pixel_clock_mhz": self.pixel_clock_mhz,
            "pipeline": self.pipeline,
            **({"frame": {"width": self.frame[0], "height": self.frame[1]}} if self.frame else {}),
            "layers": {
                name: {k: v for k, v in (("impl", c.impl), ("fold", c.fold)) if v is not None}
                for name, c in sorted(self.layers.items())
            },
        }


@dataclass(frozen=True)
class LayerPlan:
    """How one weighted layer is built."""

    name: str
    op: str
    inputs: int  # K: values of one input (a window, a map position's channels, or a vector)
    outputs: int  # N
    positions: int  # E: inputs that add into one result (a map's positions for a dense layer, else 1)
    arrivals: int  # inputs per frame
    interval: int  # fewest clocks between two inputs
    impl: str  # da | mac | fold | serial
    fold: int  # clocks per input (1 for da and mac)
    multipliers: int  # generic multipliers (fold), constant products (mac), 0 (da)
    cost: int  # modelled LUTs of the multiply (da: da4ml's adder bits)
    forced: bool  # chosen by the config

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "impl": self.impl,
            "fold": self.fold,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "positions": self.positions,
            "arrivals_per_frame": self.arrivals,
            "interval_clocks": self.interval,
            "multipliers": self.multipliers,
            "modelled_cost_luts": self.cost,
            "forced": self.forced,
        }


@dataclass(frozen=True)
class Schedule:
    options: ScheduleOptions
    frame_clocks: int  # clocks of one input frame at the camera's rate
    layers: tuple[LayerPlan, ...]

    def plan(self, name: str) -> LayerPlan:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.options.to_dict(),
            "frame_clocks": self.frame_clocks,
            "layers": {layer.name: layer.to_dict() for layer in self.layers},
        }


# ----------------------------------------------------------------------------- rates
@dataclass(frozen=True)
class Rate:
    """A stream between two layers: a value every ``interval`` clocks at the fastest."""

    interval: int
    per_frame: int
    map_shape: tuple[int, int] | None  # (H, W) of a feature map; None for a vector


def _window_gap(
    node: Conv2D | MaxPool2D | AvgPool2D, in_shape: tuple[int, ...], tiled: bool = False
) -> tuple[int, bool]:  # fmt: skip
    """Fewest input slots between two outputs of a window layer, and whether it drains past the frame.
    ``tiled``: tiles side by side, so a tile's last output of a row is followed by the next tile's first."""
    from lepton_hw.backends.rtl.layout import window_schedule

    s = window_schedule(node, in_shape)
    gaps = []
    if s.out_width > 1:
        gaps.append(s.strides[1])
    if tiled:
        gaps.append(s.width - (s.out_width - 1) * s.strides[1])
    if s.out_height > 1:
        gaps.append(s.strides[0] * s.width - (s.out_width - 1) * s.strides[1])
    gaps.append(s.height * s.width + s.first - s.last)  # last output of a frame -> first of the next
    drain = s.last >= s.height * s.width
    return max(1, min(gaps)), drain


def stream_rates(graph: Graph, clocks_per_pixel: int, tiles: int = 0) -> list[Rate]:
    """The rate at which each node's output arrives (index = position in ``graph.nodes``).

    A window layer's outputs are at least its smallest slot gap apart, in units of its input's
    interval; the drain slots of same padding come one per clock, so there the unit is 1.
    ``tiles``: the frame is that many tiles of the model's input (0: one frame is one input); rates are
    then per tile, and a tile's vector comes a tile's map row after the one of the tile beside it."""
    shape = graph.input.shape
    h, w = (shape[0], shape[1]) if len(shape) == 3 else (1, shape[0])
    frame_clocks = h * w * clocks_per_pixel
    rate = Rate(clocks_per_pixel, h * w, (h, w))
    rates = [rate]
    drained = 0  # slots a frame's outputs may run late by (same padding's drain)
    for index, node in enumerate(graph.nodes[1:], start=1):
        following = graph.nodes[index + 1] if index + 1 < len(graph.nodes) else None
        if tiles and isinstance(node, (Conv2D, MaxPool2D, AvgPool2D)):
            gap, _ = _window_gap(node, shape, tiled=True)
            rate = Rate(gap * rate.interval, node.shape[0] * node.shape[1], (node.shape[0], node.shape[1]))
        elif tiles and (isinstance(node, Dense) or (isinstance(node, Flatten) and not isinstance(following, Dense))):
            width = rate.map_shape[1] if rate.map_shape is not None else 1
            rate = Rate(max(1, width * rate.interval), 1, None)
        elif isinstance(node, (Conv2D, MaxPool2D, AvgPool2D)):
            gap, drain = _window_gap(node, shape)
            unit = 1 if drain else rate.interval
            if drain:
                drained += h * w
            rate = Rate(gap * unit, node.shape[0] * node.shape[1], (node.shape[0], node.shape[1]))
        elif isinstance(node, Dense) or (isinstance(node, Flatten) and not isinstance(following, Dense)):
            # a vector once per frame (a Flatten before a dense layer keeps the map: the layer may take it
            # position by position)
            rate = Rate(max(1, frame_clocks - drained), 1, None)
        rates.append(rate)
        shape = node.shape
    return rates


# ----------------------------------------------------------------------------- costs
def _value_bits(t: FixedType) -> int:
    return t.width + (0 if t.signed else 1)


def _da_cost(weight: np.ndarray, in_type: FixedType) -> int:
    from lepton_hw.backends.rtl.cmvm import da_solution

    return int(da_solution(weight, in_type).cost) if np.count_nonzero(weight) else 0


def _costs(weight: np.ndarray, in_type: FixedType, k: int, fold: int, accum_bits: int) -> dict[str, int]:
    """Modelled LUTs of each implementation of ``x @ weight``, the fold one taking inputs of ``k`` values
    (``weight`` has k x positions rows) over ``fold`` clocks each."""
    n = int(weight.shape[1])
    positions = weight.shape[0] // k
    nonzero = int(np.count_nonzero(weight))
    weight_bits = max(int(abs(weight).max()).bit_length() + 1, 2) if nonzero else 2
    xb = _value_bits(in_type)
    per_clock = -(-k // fold)
    rom_bits = positions * fold * per_clock * n * weight_bits
    return {
        "da": _da_cost(weight, in_type),
        "mac": nonzero * (xb + accum_bits) // 2,
        # multipliers, their adder tree and accumulator, the ROM (64 bits a LUT6) and the input mux
        "fold": per_clock * n * (xb * weight_bits + accum_bits) + rom_bits // 64 + per_clock * xb,
    }


def _serial_cost(weight: np.ndarray, in_type: FixedType, fold: int) -> int:
    """Modelled LUTs of the bit-serial layer: the slice graph, the slice multiplexers, the accumulators."""
    from lepton_hw.backends.rtl.cmvm import column_bounds, signed_bits
    from lepton_hw.backends.rtl.serial import slice_type

    k, n = weight.shape
    t = slice_type(in_type, fold)
    slices = -(-in_type.width // t.width)
    lo, hi = column_bounds(np.asarray(weight).astype(object), in_type)
    yw = max(signed_bits(a, b) for a, b in zip(lo, hi, strict=True))
    return _da_cost(weight, t) + k * t.width * (slices - 1) + n * yw


# ----------------------------------------------------------------------------- the schedule
def make_schedule(graph: Graph, options: ScheduleOptions | None = None) -> Schedule:
    """Rate, implementation and fold of every weighted layer of ``graph``."""
    options = options or ScheduleOptions()
    _check_options(graph, options)
    tiles = _tile_count(graph, options)
    rates = stream_rates(graph, options.clocks_per_pixel, tiles)
    plans = []
    for index, node in enumerate(graph.nodes):
        if not isinstance(node, (Conv2D, Dense)):
            continue
        rate = rates[index] if isinstance(node, Conv2D) else rates[index - 1]  # windows, or the input stream
        prev = graph.nodes[index - 1]
        in_type = prev.type
        if isinstance(node, Conv2D):
            k = int(np.prod(node.weight.shape[:3]))
            positions = 1
        elif rate.map_shape is not None:  # a dense layer after a map accumulates per position
            positions = rate.map_shape[0] * rate.map_shape[1]
            k = int(node.weight.shape[0]) // positions
        else:
            positions, k = 1, int(node.weight.shape[0])
        weight = node.weight.reshape(-1, node.weight.shape[-1])
        frame_interval = rates[-1].interval if rates[-1].map_shape is None else rates[0].per_frame * rates[0].interval
        hold = _input_hold(node, prev.shape, rates[index - 1], rate, positions)
        plans.append(_choose(node, weight, in_type, k, positions, rate, options, frame_interval, tiles > 0, hold))
    frame_clocks = rates[0].per_frame * options.clocks_per_pixel
    if tiles:
        frame_clocks = options.frame[0] * options.frame[1] * options.clocks_per_pixel  # type: ignore[index]
    return Schedule(options, frame_clocks, tuple(plans))


def _input_hold(
    node: Conv2D | Dense, in_shape: tuple[int, ...], in_rate: Rate, rate: Rate, positions: int
) -> int:  # fmt: skip
    """Clocks an input surely stays on the layer's input after it arrives (what a bit-serial layer needs):
    a window's registers change with the window's next element (its input's interval), or every clock
    while a same-padded window drains; a dense layer's vector stays until the next one. 0: not known
    (a dense layer taking a map position by position)."""
    if isinstance(node, Conv2D):
        _, drain = _window_gap(node, in_shape)
        return 1 if drain else in_rate.interval
    return rate.interval if positions == 1 else 0


def _tile_count(graph: Graph, options: ScheduleOptions) -> int:
    """Tiles of the model's input in ``options.frame`` (0 when the frame is one input)."""
    shape = graph.input.shape
    if options.frame is None or len(shape) != 3 or tuple(options.frame) == (shape[1], shape[0]):
        return 0
    return (options.frame[0] // shape[1]) * (options.frame[1] // shape[0])


def _choose(
    node: Conv2D | Dense, weight: np.ndarray, in_type: FixedType, k: int, positions: int, rate: Rate,
    options: ScheduleOptions, frame_interval: int, tiled: bool = False, hold: int = 0,
) -> LayerPlan:  # fmt: skip
    forced = options.layers.get(node.name, LayerChoice())
    if tiled and positions > 1 and forced.impl in FULL_RATE:
        raise UnsupportedLayerError(
            f"layer {node.name!r}: with hardware.frame, a dense layer after a feature map accumulates it position "
            f"by position for each tile (impl fold); impl {forced.impl} would collect whole tiles; accepted: fold"
        )
    n = int(weight.shape[1])
    max_fold = max(1, min(rate.interval, k))
    accum_bits = node.accum_type.width
    where = f"layer {node.name!r}"
    # bit-serial: unsigned inputs held at least 2 clocks, one tile a frame (tile windows are not analysed)
    serial_max = 0 if (tiled or in_type.signed) else min(hold, in_type.width)
    if forced.impl == "serial":
        return _forced_serial(node, weight, in_type, k, rate, options, forced, serial_max, tiled, hold)
    if forced.fold is not None:
        if forced.fold > k:
            raise UnsupportedLayerError(
                f"{where}: fold {forced.fold} is more than the {k} values of one input; accepted: 1..{k}"
            )
        if forced.fold > rate.interval:
            raise UnsupportedLayerError(
                f"{where} receives an input every {rate.interval} clock(s) at clocks_per_pixel "
                f"{options.clocks_per_pixel}, so it cannot take {forced.fold} clocks per input; accepted: fold "
                f"1..{max_fold}, or raise hardware.clocks_per_pixel to {_needed_cpp(forced.fold, rate, options)}"
            )
        if forced.impl in FULL_RATE and forced.fold != 1:
            raise UnsupportedLayerError(
                f"{where}: impl {forced.impl} is full rate (fold 1); fold {forced.fold} needs impl fold"
            )
    fold_at = forced.fold if forced.fold is not None else max_fold
    costs = _costs(weight, in_type, k, fold_at, accum_bits)
    if forced.impl is not None:
        impl = forced.impl
    elif forced.fold is not None and forced.fold > 1:
        impl = "fold"
    else:
        candidates = [options.kernel] + (["fold"] if fold_at > 1 or positions > 1 else [])
        if tiled and positions > 1:
            candidates = ["fold"]
        # chosen by cost only for the smallest core (pipeline 0): the slice multiplexers' select fans out to
        # every input bit, which cost the camera example's core 8% of its ECP5 Fmax at pipeline 1 (README)
        auto_serial = options.kernel == "da" and forced.fold is None and options.pipeline == 0
        serial_folds = range(2, serial_max + 1) if auto_serial else range(0)
        for f in serial_folds:
            costs[f"serial{f}"] = _serial_cost(weight, in_type, f)
            candidates.append(f"serial{f}")
        impl = min(candidates, key=lambda c: costs[c])
        if impl.startswith("serial"):
            serial_fold = int(impl.removeprefix("serial"))
            return _serial_plan(node, weight, in_type, k, rate, serial_fold, costs[impl], forced=False)
    fold = fold_at if impl == "fold" else 1
    multipliers = {"fold": -(-k // fold) * n, "mac": int(np.count_nonzero(weight)), "da": 0}[impl]
    if impl in FULL_RATE and positions > 1:  # a full-rate graph on the collected map: once per frame
        arrivals, interval, inputs, pos = 1, frame_interval, k * positions, 1
    else:
        arrivals, interval, inputs, pos = rate.per_frame, rate.interval, k, positions
    return LayerPlan(
        name=node.name, op=node.op, inputs=inputs, outputs=n, positions=pos, arrivals=arrivals, interval=interval,
        impl=impl, fold=fold, multipliers=multipliers, cost=int(costs[impl]),
        forced=forced.impl is not None or forced.fold is not None,
    )  # fmt: skip


def _serial_plan(
    node: Conv2D | Dense, weight: np.ndarray, in_type: FixedType, k: int, rate: Rate, fold: int, cost: int,
    forced: bool,
) -> LayerPlan:  # fmt: skip
    from lepton_hw.backends.rtl.serial import slice_bits

    slices = -(-in_type.width // slice_bits(in_type, fold))  # e.g. fold 3 on 4 bits: 2 slices of 2 bits
    return LayerPlan(
        name=node.name, op=node.op, inputs=k, outputs=int(weight.shape[1]), positions=1, arrivals=rate.per_frame,
        interval=rate.interval, impl="serial", fold=slices, multipliers=0, cost=int(cost), forced=forced,
    )  # fmt: skip


def _forced_serial(
    node: Conv2D | Dense, weight: np.ndarray, in_type: FixedType, k: int, rate: Rate, options: ScheduleOptions,
    forced: LayerChoice, serial_max: int, tiled: bool, hold: int,
) -> LayerPlan:  # fmt: skip
    from lepton_hw.backends.rtl.serial import check_serial, slice_bits

    where = f"layer {node.name!r}"
    if tiled:
        raise UnsupportedLayerError(f"{where}: impl serial is not available with hardware.frame (tiles) yet")
    if options.kernel != "da":
        raise UnsupportedLayerError(f"{where}: impl serial is a da4ml graph; it needs hardware.kernel da")
    fold = forced.fold if forced.fold is not None else max(2, serial_max)
    check_serial(in_type, fold, where)
    if hold < -(-in_type.width // slice_bits(in_type, fold)):  # the slices it takes (fold 3 on 4 bits: 2)
        held = f"holds its input {hold} clock(s)" if hold else "takes a feature map position by position"
        raise UnsupportedLayerError(
            f"{where} {held} at clocks_per_pixel {options.clocks_per_pixel}, so impl serial cannot take {fold} "
            f"clocks per input; accepted: fold 2..{serial_max} (none if less than 2), or another impl"
        )
    return _serial_plan(node, weight, in_type, k, rate, fold, _serial_cost(weight, in_type, fold), forced=True)


def _needed_cpp(fold: int, rate: Rate, options: ScheduleOptions) -> int:
    per_pixel = rate.interval / options.clocks_per_pixel
    return min(MAX_CLOCKS_PER_PIXEL, math.ceil(fold / per_pixel)) if per_pixel > 0 else MAX_CLOCKS_PER_PIXEL


def _check_options(graph: Graph, options: ScheduleOptions) -> None:
    from lepton_hw.backends.rtl.cmvm import KERNELS

    if options.kernel not in KERNELS:
        raise UnsupportedLayerError(f"unknown kernel {options.kernel!r}; accepted: {', '.join(KERNELS)}")
    if not 1 <= options.clocks_per_pixel <= MAX_CLOCKS_PER_PIXEL:
        raise UnsupportedLayerError(
            f"clocks_per_pixel must be in 1..{MAX_CLOCKS_PER_PIXEL}, got {options.clocks_per_pixel}"
        )
    if not 0 <= options.pipeline <= MAX_PIPELINE:
        raise UnsupportedLayerError(f"pipeline must be in 0..{MAX_PIPELINE}, got {options.pipeline}")
    weighted = [node.name for node in graph.nodes if isinstance(node, (Conv2D, Dense))]
    for name, choice in options.layers.items():
        if name not in weighted:
            raise UnsupportedLayerError(
                f"hardware.layers names {name!r}, which is not a conv or dense layer of {graph.name!r}; "
                f"accepted: {', '.join(weighted)}"
            )
        if choice.impl is not None and choice.impl not in IMPLS:
            raise UnsupportedLayerError(f"layer {name!r}: unknown impl {choice.impl!r}; accepted: {', '.join(IMPLS)}")
        if choice.fold is not None and choice.fold < 1:
            raise UnsupportedLayerError(f"layer {name!r}: fold must be at least 1, got {choice.fold}")


def schedule_table(schedule: Schedule, stages: Mapping[str, int] | None = None) -> str:
    """The schedule as a plain-text table (what `lepton-hw rtl` prints)."""
    stages = stages or {}
    rows = [("layer", "impl", "fold", "every", "inputs/frame", "mults", "cost (modelled LUT)", "stages")]
    for p in schedule.layers:
        rows.append((
            p.name, p.impl + (" (forced)" if p.forced else ""), str(p.fold), f"{p.interval} clk", str(p.arrivals),
            str(p.multipliers), f"{p.cost:,}", str(stages.get(p.name, "")),
        ))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def needs_collect(plan: LayerPlan | None) -> bool:
    """Whether a dense layer after a feature map needs the map collected into one vector first."""
    return plan is None or plan.impl in FULL_RATE
