"""The integer interpreter of the IR: the golden model every other engine is checked against.

Everything is computed on raw integers (value * 2**frac). Multiply-accumulates run as float32
or float64 matrix products (BLAS) when the accumulator has at most 23 or 52 bits, where every
partial sum is an integer that the float holds exactly; as int64 products up to 61 bits; and on
Python integers beyond that. The paths give the same integers; only the speed differs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lepton_hw.errors import InputDataError
from lepton_hw.ir.fixed import INT64_SAFE_BITS, FixedType, as_exact_array
from lepton_hw.ir.graph import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Graph,
    Input,
    MaxPool2D,
    Node,
    ReLU,
    Requantize,
    same_padding,
    window_counts,
)

log = logging.getLogger(__name__)

# Accumulators up to these widths are computed in floating point: every partial sum is then
# an integer of magnitude below 2**23 (float32) or 2**52 (float64), which the float holds exactly.
FLOAT32_EXACT_BITS = 23
FLOAT64_EXACT_BITS = 52
BATCH = 64  # samples per pass: the intermediate arrays of a batch stay in cache


def quantize_input(graph: Graph, x: Any) -> np.ndarray:
    """Raw integers of float input samples; each value must be exact in the input type."""
    node = graph.input
    array = np.asarray(x)
    if array.dtype.kind not in "fiu":
        raise InputDataError(f"input samples must be a numeric array, got dtype {array.dtype}")
    expected = tuple(node.shape)
    if array.ndim == len(expected) and array.shape == expected:
        array = array[None]
    if array.shape[1:] != expected:
        raise InputDataError(
            f"input shape {array.shape} does not match the model's input: expected (N, {', '.join(map(str, expected))})"
        )
    return node.type.from_float(array, what="input value", batched=True)


def run(graph: Graph, x_raw: np.ndarray, *, keep: bool = False) -> np.ndarray | dict[str, np.ndarray]:
    """Run the graph on raw input integers of shape (N, *input shape).

    Returns the raw output integers (N, *output shape), or with ``keep`` every node's output
    by name (for locating the first layer where two engines disagree).
    """
    x = as_exact_array(x_raw, graph.input.type.width)
    if x.shape[1:] != tuple(graph.input.shape):
        raise InputDataError(f"raw input shape {x.shape} does not match (N, {graph.input.shape})")
    if not keep and len(x) > BATCH:  # 2-3x faster than one big pass
        parts = [run(graph, x[i : i + BATCH]) for i in range(0, len(x), BATCH)]
        return np.concatenate(parts)  # type: ignore[arg-type]
    outputs: dict[str, np.ndarray] = {graph.input.name: x}
    in_type = graph.input.type
    for node in graph.nodes[1:]:
        x = _KERNELS[type(node)](node, x, in_type)
        in_type = node.type
        if keep:
            outputs[node.name] = x
    return outputs if keep else x


def run_float(graph: Graph, x: Any) -> np.ndarray:
    """Float input samples in, float64 output values out (exact: the output type has <= 53 bits)."""
    raw = run(graph, quantize_input(graph, x))
    assert isinstance(raw, np.ndarray)
    return graph.output.type.to_float(raw)


# ----------------------------------------------------------------------------- kernels
def _compute_array(x: np.ndarray, acc: FixedType) -> np.ndarray:
    """The array type a layer multiplies in: float32 or float64 (BLAS; exact while every partial
    sum is an integer below 2**23 or 2**52), int64, or Python integers."""
    if acc.width <= FLOAT32_EXACT_BITS:
        return x.astype(np.float32)
    if acc.width <= FLOAT64_EXACT_BITS:
        return x.astype(np.float64)
    if acc.width <= INT64_SAFE_BITS:
        return x.astype(np.int64)
    log.debug("%d-bit accumulator: computing on Python integers", acc.width)
    return as_exact_array(x, acc.width + 2)


def _mac(node: Conv2D | Dense, patches: np.ndarray, in_type: FixedType) -> np.ndarray:
    """Exact ``patches @ weight + bias`` on the accumulator's grid, then cast to the node's type.

    ``patches`` is already in the compute array type of :func:`_compute_array`.
    """
    acc = node.accum_type
    product_frac = in_type.frac + node.weight_type.frac
    weight = _compute_array(node.weight.reshape(-1, node.weight.shape[-1]), acc)
    bias = as_exact_array(node.bias, acc.width + 2) << (acc.frac - node.bias_type.frac)
    total = patches @ weight
    if total.dtype.kind == "f":
        # Exact: every partial sum, scaled sum and biased sum is an integer the float holds.
        if acc.frac != product_frac:
            total *= float(1 << (acc.frac - product_frac))
        total += bias.astype(total.dtype)
        total = total.astype(np.int64)
    else:
        total = (total << (acc.frac - product_frac)) + bias
    return node.type.convert(total, acc)


def _windows(x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int]) -> np.ndarray:
    """(N, OH, OW, KH, KW, C) windows of a padded (N, H, W, C) array."""
    view = sliding_window_view(x, kernel, axis=(1, 2))  # (N, H', W', C, KH, KW)
    view = view[:, :: strides[0], :: strides[1]]
    return view.transpose(0, 1, 2, 4, 5, 3)


def _pad(x: np.ndarray, node: Conv2D | MaxPool2D | AvgPool2D, kernel: tuple[int, int], value: int) -> np.ndarray:
    if node.padding == "valid":
        return x
    pads = [same_padding(x.shape[1 + a], kernel[a], node.strides[a]) for a in (0, 1)]
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


def _conv2d(node: Conv2D, x: np.ndarray, in_type: FixedType) -> np.ndarray:
    kernel = node.kernel_size
    windows = _windows(_pad(_compute_array(x, node.accum_type), node, kernel, 0), kernel, node.strides)
    n, oh, ow = windows.shape[:3]
    patches = windows.reshape(n * oh * ow, -1)
    return _mac(node, patches, in_type).reshape(n, oh, ow, -1)


def _dense(node: Dense, x: np.ndarray, in_type: FixedType) -> np.ndarray:
    return _mac(node, _compute_array(x, node.accum_type), in_type)


def _relu(node: ReLU, x: np.ndarray, in_type: FixedType) -> np.ndarray:
    return node.type.convert(np.maximum(x, 0), in_type)


def _requantize(node: Requantize, x: np.ndarray, in_type: FixedType) -> np.ndarray:
    return node.type.convert(x, in_type)


def _maxpool(node: MaxPool2D, x: np.ndarray, in_type: FixedType) -> np.ndarray:
    # Padding with the type's minimum never wins against a real element (each window has one).
    padded = _pad(x, node, node.pool_size, in_type.min_raw)
    (ph, pw), (sh, sw) = node.pool_size, node.strides
    if (ph, pw) == (sh, sw):  # non-overlapping windows: a reshape, much faster than a window view
        n, c = padded.shape[0], padded.shape[3]
        oh, ow = node.shape[0], node.shape[1]
        return padded[:, : oh * ph, : ow * pw].reshape(n, oh, ph, ow, pw, c).max(axis=(2, 4))
    return _windows(padded, node.pool_size, node.strides).max(axis=(3, 4))


def _avgpool(node: AvgPool2D, x: np.ndarray, in_type: FixedType) -> np.ndarray:
    area = node.pool_size[0] * node.pool_size[1]
    x = as_exact_array(x, in_type.width + area.bit_length() + 1)  # room for the window sums
    windows = _windows(_pad(x, node, node.pool_size, 0), node.pool_size, node.strides)
    sums = windows.sum(axis=(3, 4))
    counts = window_counts(x.shape[1:3], node.pool_size, node.strides, node.padding)[None, :, :, None]
    return node.type.convert_ratio(sums, counts, in_type.frac)


def _flatten(node: Flatten, x: np.ndarray, in_type: FixedType) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


def _input(node: Input, x: np.ndarray, in_type: FixedType) -> np.ndarray:  # pragma: no cover
    raise AssertionError("the Input node is not run")


_KERNELS: dict[type[Node], Callable[[Any, np.ndarray, FixedType], np.ndarray]] = {
    Input: _input,
    Conv2D: _conv2d,
    Dense: _dense,
    ReLU: _relu,
    Requantize: _requantize,
    MaxPool2D: _maxpool,
    AvgPool2D: _avgpool,
    Flatten: _flatten,
}
