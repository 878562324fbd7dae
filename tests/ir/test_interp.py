"""The interpreter against a naive reference written from the node definitions (loops, Fractions)."""

from __future__ import annotations

import zlib
from fractions import Fraction

import numpy as np
import pytest

from lepton_hw.errors import IRError
from lepton_hw.ir import interp
from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import AvgPool2D, Conv2D, Dense, Flatten, Graph, Input, MaxPool2D, ReLU, Requantize
from lepton_hw.passes.precision import infer_precisions

U8 = FixedType(False, 8, 0)


def _value(raw: int, t: FixedType) -> Fraction:
    return Fraction(int(raw), 2**t.frac)


def _cast(value: Fraction, t: FixedType) -> int:
    """Cast an exact value into ``t`` (convert_ratio is checked against the definitions in test_fixed)."""
    return int(t.convert_ratio(np.array([value.numerator]), np.array([value.denominator]), 0)[0])


def _tf_pads(size: int, k: int, s: int, padding: str) -> tuple[int, int]:
    if padding == "valid":
        return 0, (size - k) // s + 1
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, out


def _reference(graph: Graph, x: np.ndarray) -> list[Fraction]:
    """Exact values of the output for one sample, computed with plain loops over Fractions."""
    t = graph.input.type
    vals = np.vectorize(lambda r: _value(r, t), otypes=[object])(x)
    for node in graph.nodes[1:]:
        if isinstance(node, Conv2D):
            kh, kw, cin, f = node.weight.shape
            top, oh = _tf_pads(vals.shape[0], kh, node.strides[0], node.padding)
            left, ow = _tf_pads(vals.shape[1], kw, node.strides[1], node.padding)
            out = np.empty((oh, ow, f), dtype=object)
            for i in range(oh):
                for j in range(ow):
                    for o in range(f):
                        acc = _value(node.bias[o], node.bias_type)
                        for a in range(kh):
                            for b in range(kw):
                                r, c = i * node.strides[0] + a - top, j * node.strides[1] + b - left
                                if 0 <= r < vals.shape[0] and 0 <= c < vals.shape[1]:
                                    for ch in range(cin):
                                        acc += vals[r, c, ch] * _value(node.weight[a, b, ch, o], node.weight_type)
                        out[i, j, o] = acc
            vals = out
        elif isinstance(node, Dense):
            vals = np.array(
                [
                    _value(node.bias[o], node.bias_type)
                    + sum(vals[k] * _value(node.weight[k, o], node.weight_type) for k in range(len(vals)))
                    for o in range(node.weight.shape[1])
                ],
                dtype=object,
            )
        elif isinstance(node, (MaxPool2D, AvgPool2D)):
            (ph, pw), (sh, sw) = node.pool_size, node.strides
            top, oh = _tf_pads(vals.shape[0], ph, sh, node.padding)
            left, ow = _tf_pads(vals.shape[1], pw, sw, node.padding)
            out = np.empty((oh, ow, vals.shape[2]), dtype=object)
            for i in range(oh):
                for j in range(ow):
                    for ch in range(vals.shape[2]):
                        window = [
                            vals[i * sh + a - top, j * sw + b - left, ch]
                            for a in range(ph)
                            for b in range(pw)
                            if 0 <= i * sh + a - top < vals.shape[0] and 0 <= j * sw + b - left < vals.shape[1]
                        ]
                        out[i, j, ch] = max(window) if isinstance(node, MaxPool2D) else sum(window) / len(window)
            vals = out
        elif isinstance(node, ReLU):
            vals = np.vectorize(lambda v: max(v, Fraction(0)), otypes=[object])(vals)
        elif isinstance(node, Flatten):
            vals = vals.reshape(-1)
        # every node's output is then cast into its type
        vals = np.vectorize(lambda v, nt=node.type: _value(_cast(v, nt), nt), otypes=[object])(vals)
    return list(vals.reshape(-1))


def _build(rng: np.random.Generator, padding: str, stride: int, pool: str) -> Graph:
    from lepton_hw.ir.graph import output_shape

    wt = FixedType(True, 4, 1, "RND_CONV", "SAT")
    w1 = rng.integers(-8, 8, size=(3, 3, 2, 3))
    w1[rng.random(w1.shape) < 0.4] = 0  # pruned weights are zeros
    nodes: list = [Input("in", (9, 8, 2), U8)]

    def add(node_factory):  # compute each node's shape from the one before it
        probe = node_factory((1,))
        shape = output_shape(probe, nodes[-1].shape)
        nodes.append(node_factory(shape))

    add(lambda s: Conv2D("c1", s, wt, w1, rng.integers(-8, 8, size=3), wt, wt, wt, (stride, stride), padding))
    add(lambda s: ReLU("r1", s, FixedType(False, 5, 2, "RND_CONV", "SAT")))
    pool_cls = MaxPool2D if pool == "max" else AvgPool2D
    pool_type = FixedType(False, 7, 2, "RND_CONV", "SAT") if pool == "avg" else nodes[-1].type
    add(lambda s: pool_cls("p1", s, pool_type, (2, 2), (2, 2), padding))
    add(lambda s: Requantize("q1", s, FixedType(True, 4, 1, "RND", "WRAP")))
    add(lambda s: Flatten("f", s, nodes[-1].type))
    n_in = int(np.prod(nodes[-1].shape))
    add(lambda s: Dense("d", s, wt, rng.integers(-8, 8, size=(n_in, 4)), rng.integers(-8, 8, size=4), wt, wt, wt))
    return infer_precisions(Graph("g", tuple(nodes)))


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("pool", ["max", "avg"])
def test_interpreter_equals_reference(padding: str, stride: int, pool: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{padding}{stride}{pool}".encode()))
    graph = _build(rng, padding, stride, pool)
    x = rng.integers(0, 256, size=(4, 9, 8, 2))
    x[0] = 0
    x[1] = 255
    out = interp.run(graph, x)
    t = graph.output.type
    for sample in range(len(x)):
        got = [_value(r, t) for r in out[sample].reshape(-1)]
        assert got == _reference(graph, x[sample]), f"sample {sample}"


def test_float32_float64_int64_and_python_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    graph = _build(rng, "same", 1, "avg")
    x = rng.integers(0, 256, size=(6, 9, 8, 2))
    fast = interp.run(graph, x)
    assert max(n.accum_type.width for n in graph.nodes if hasattr(n, "accum_type")) <= interp.FLOAT32_EXACT_BITS
    monkeypatch.setattr(interp, "FLOAT32_EXACT_BITS", 0)
    float64 = interp.run(graph, x)
    monkeypatch.setattr(interp, "FLOAT64_EXACT_BITS", 0)
    int64 = interp.run(graph, x)
    monkeypatch.setattr(interp, "INT64_SAFE_BITS", 0)
    python_ints = interp.run(graph, x)
    assert np.array_equal(fast, float64)
    assert np.array_equal(fast, int64)
    assert np.array_equal(fast, python_ints)


def test_wide_accumulator_is_exact() -> None:
    """A 70-bit accumulator (beyond int64) is computed on Python integers, exactly."""
    wt = FixedType(True, 40, 10)
    w = np.array([[(1 << 38) - 1], [-(1 << 38)]], dtype=np.int64)
    inp = FixedType(True, 32, 16)
    graph = infer_precisions(
        Graph("wide", (Input("in", (2,), inp), Dense("d", (1,), wt, w, np.array([0]), wt, wt, wt)))
    )
    assert graph.output.type.width > 64
    x = np.array([[(1 << 31) - 1, -(1 << 31)]], dtype=np.int64)
    out = interp.run(graph, x)
    expected = ((1 << 31) - 1) * ((1 << 38) - 1) + (1 << 31) * (1 << 38)
    assert int(out[0, 0]) == expected


def test_shape_mismatch_in_graph_is_refused() -> None:
    wt = FixedType(True, 4, 1)
    with pytest.raises(IRError, match="does not follow"):
        Graph("bad", (Input("in", (4,), U8), Dense("d", (3,), wt, np.zeros((4, 2)), np.zeros(2), wt, wt, wt)))
