"""The lepton_hw IR: a chain of frozen nodes with shapes, exact fixed-point types and integer weights.

A :class:`Graph` is a sequence of nodes; each node consumes the output of the node before
it (the networks lepton_hw streams through a camera core are chains). Every node knows
the shape and the :class:`~lepton_hw.ir.fixed.FixedType` of its output; weights are integer
arrays whose real value is ``raw * 2**-type.frac``.

Semantics of each node (the interpreter in :mod:`lepton_hw.ir.interp` is the reference):

- ``Conv2D``: exact sum of products plus bias in ``accum_type`` (inferred wide enough never
  to overflow), then cast to ``type`` with its rounding and overflow modes. TensorFlow's
  padding: for ``same``, ``pad_total = max((out - 1) * stride + kernel - in, 0)`` with the
  smaller half on top/left.
- ``Dense``: the same on a vector.
- ``ReLU``: ``max(x, 0)`` cast to ``type``; ``Requantize``: ``x`` cast to ``type``.
- ``MaxPool2D``: maximum over the window's non-padded elements, in the input type.
- ``AvgPool2D``: exact sum over the window's non-padded elements divided by their count
  (TensorFlow's rule), then cast to ``type`` (exact when the count is a power of two and
  ``type`` has enough fractional bits). hls4ml computes ``accum_t(sum) / N`` then casts to the
  result type: the same numbers when its accum_t carries log2(N) more fractional bits than
  the input and every window is whole (its io_stream pooling divides by the full N).
- ``Flatten``: row-major (height, width, channel) order, as Keras flattens NHWC tensors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from lepton_hw.errors import IRError
from lepton_hw.ir.fixed import FixedType

Shape = tuple[int, ...]


def _frozen_array(values: np.ndarray) -> np.ndarray:
    array = np.array(values, dtype=np.int64 if np.asarray(values).dtype != object else object)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Node:
    """Base of all nodes: a unique name, the output shape and the output type."""

    op: ClassVar[str] = "node"
    name: str
    shape: Shape
    type: FixedType

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
                    return False
                if a.shape != b.shape or not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True

    def __hash__(self) -> int:
        return hash((self.op, self.name))

    def replace(self, **changes: Any) -> Node:
        return dataclasses.replace(self, **changes)

    @property
    def weight_arrays(self) -> dict[str, np.ndarray]:
        """The integer arrays of this node, by field name."""
        return {}

    def params(self) -> int:
        return sum(int(a.size) for a in self.weight_arrays.values())

    def nonzeros(self) -> int:
        return sum(int(np.count_nonzero(a)) for a in self.weight_arrays.values())

    def macs(self) -> int:
        """Multiply-accumulates per inference (dense count, pruned weights included)."""
        return 0


@dataclass(frozen=True, eq=False)
class Input(Node):
    op: ClassVar[str] = "input"


@dataclass(frozen=True, eq=False)
class _WeightedNode(Node):
    weight: np.ndarray = field(repr=False)
    bias: np.ndarray = field(repr=False)
    weight_type: FixedType
    bias_type: FixedType
    accum_type: FixedType

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _frozen_array(self.weight))
        object.__setattr__(self, "bias", _frozen_array(self.bias))

    @property
    def weight_arrays(self) -> dict[str, np.ndarray]:
        return {"weight": self.weight, "bias": self.bias}

    @property
    def sparsity(self) -> float:
        """Fraction of the weights (not biases) that are zero, e.g. after pruning."""
        return 1.0 - np.count_nonzero(self.weight) / self.weight.size if self.weight.size else 0.0


@dataclass(frozen=True, eq=False)
class Conv2D(_WeightedNode):
    """2-D convolution; ``weight`` has shape (kernel_h, kernel_w, in_channels, filters)."""

    op: ClassVar[str] = "conv2d"
    strides: tuple[int, int] = (1, 1)
    padding: str = "valid"

    @property
    def kernel_size(self) -> tuple[int, int]:
        return (int(self.weight.shape[0]), int(self.weight.shape[1]))

    def macs(self) -> int:
        kh, kw, cin, filters = self.weight.shape
        return int(self.shape[0] * self.shape[1] * kh * kw * cin * filters)


@dataclass(frozen=True, eq=False)
class Dense(_WeightedNode):
    """Fully connected layer; ``weight`` has shape (inputs, outputs)."""

    op: ClassVar[str] = "dense"

    def macs(self) -> int:
        return int(self.weight.size)


@dataclass(frozen=True, eq=False)
class ReLU(Node):
    op: ClassVar[str] = "relu"


@dataclass(frozen=True, eq=False)
class Requantize(Node):
    op: ClassVar[str] = "requantize"


@dataclass(frozen=True, eq=False)
class MaxPool2D(Node):
    op: ClassVar[str] = "maxpool2d"
    pool_size: tuple[int, int] = (2, 2)
    strides: tuple[int, int] = (2, 2)
    padding: str = "valid"


@dataclass(frozen=True, eq=False)
class AvgPool2D(Node):
    op: ClassVar[str] = "avgpool2d"
    pool_size: tuple[int, int] = (2, 2)
    strides: tuple[int, int] = (2, 2)
    padding: str = "valid"


@dataclass(frozen=True, eq=False)
class Flatten(Node):
    op: ClassVar[str] = "flatten"


NODE_CLASSES: dict[str, type[Node]] = {
    cls.op: cls for cls in (Input, Conv2D, Dense, ReLU, Requantize, MaxPool2D, AvgPool2D, Flatten)
}


def conv_output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """Output length along one axis, TensorFlow's rule."""
    if padding == "valid":
        return (size - kernel) // stride + 1
    return -(-size // stride)


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) zero padding of TensorFlow's ``same`` along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def output_shape(node: Node, input_shape: Shape) -> Shape:
    """The output shape a node computes from ``input_shape``; raises IRError when it can't apply."""
    where = f"node {node.name!r} ({node.op})"
    if isinstance(node, (Conv2D, MaxPool2D, AvgPool2D)):
        windows = [node.strides] + ([] if isinstance(node, Conv2D) else [node.pool_size])
        if any(len(pair) != 2 or min(pair) < 1 for pair in windows):
            raise IRError(f"{where}: strides and pool sizes are two positive integers, got {windows}")
        if isinstance(node, Conv2D) and node.weight.ndim != 4:
            raise IRError(f"{where}: kernel must be 4-D (height, width, in, out), got shape {node.weight.shape}")
        if len(input_shape) != 3:
            raise IRError(f"{where} needs a (height, width, channels) input, got shape {input_shape}")
        if node.padding not in ("valid", "same"):
            raise IRError(f"{where}: padding {node.padding!r}; accepted: valid, same")
        kernel = node.kernel_size if isinstance(node, Conv2D) else node.pool_size
        size = [conv_output_size(input_shape[a], kernel[a], node.strides[a], node.padding) for a in (0, 1)]
        if min(size) < 1:
            raise IRError(f"{where}: window {kernel} does not fit input {input_shape[:2]} with {node.padding} padding")
        if isinstance(node, Conv2D):
            if node.weight.shape[2] != input_shape[2]:
                raise IRError(
                    f"{where}: kernel shape {node.weight.shape} does not match {input_shape[2]} input channels"
                )
            return (size[0], size[1], int(node.weight.shape[3]))
        return (size[0], size[1], input_shape[2])
    if isinstance(node, Dense):
        if len(input_shape) != 1 or node.weight.ndim != 2 or node.weight.shape[0] != input_shape[0]:
            raise IRError(f"{where}: weight shape {node.weight.shape} does not match input shape {input_shape}")
        return (int(node.weight.shape[1]),)
    if isinstance(node, Flatten):
        return (int(np.prod(input_shape)),)
    return tuple(input_shape)


def window_counts(size: tuple[int, ...], window: tuple[int, int], strides: tuple[int, int], padding: str) -> np.ndarray:
    """(out_h, out_w) number of non-padded input elements under each window position."""
    per_axis = []
    for a in (0, 1):
        out = conv_output_size(size[a], window[a], strides[a], padding)
        before = same_padding(size[a], window[a], strides[a])[0] if padding == "same" else 0
        starts = np.arange(out) * strides[a] - before
        per_axis.append(np.minimum(starts + window[a], size[a]) - np.maximum(starts, 0))
    return np.outer(per_axis[0], per_axis[1])


@dataclass(frozen=True)
class Graph:
    """A chain of nodes; ``nodes[0]`` is the Input. ``source`` records where it came from."""

    name: str
    nodes: tuple[Node, ...]
    source: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.nodes or not isinstance(self.nodes[0], Input):
            raise IRError("an IR graph starts with exactly one Input node")
        names = [n.name for n in self.nodes]
        if len(set(names)) != len(names):
            raise IRError(f"node names must be unique, got {names}")
        shape, in_type = self.nodes[0].shape, self.nodes[0].type
        for node in self.nodes[1:]:
            if isinstance(node, Input):
                raise IRError(f"node {node.name!r}: only the first node may be an Input")
            if isinstance(node, (MaxPool2D, Flatten)) and node.type != in_type:
                # they pass values through unchanged: another type would reinterpret the raw integers
                raise IRError(f"node {node.name!r} ({node.op}): type {node.type} must be its input's type {in_type}")
            in_type = node.type
            expected = output_shape(node, shape)
            if tuple(node.shape) != expected:
                raise IRError(
                    f"node {node.name!r} ({node.op}): shape {node.shape} does not follow from input {shape}; "
                    f"expected {expected}"
                )
            shape = expected

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    @property
    def input(self) -> Input:
        node = self.nodes[0]
        assert isinstance(node, Input)
        return node

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def replace_nodes(self, nodes: tuple[Node, ...]) -> Graph:
        return Graph(self.name, nodes, dict(self.source))

    def params(self) -> int:
        return sum(n.params() for n in self.nodes)

    def nonzeros(self) -> int:
        return sum(n.nonzeros() for n in self.nodes)

    def macs(self) -> int:
        return sum(n.macs() for n in self.nodes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return self.name == other.name and self.nodes == other.nodes

    def __hash__(self) -> int:
        return hash((self.name, tuple(n.name for n in self.nodes)))
