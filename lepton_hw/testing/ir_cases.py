"""Small IR networks built directly (no Keras): the corners of the streaming core that random
QKeras models reach rarely: odd frames, kernels 1 to 5, strides, same padding with partial
pooling windows, average pooling by 3x3 (division by 4, 6 and 9), multi-channel and signed
input, every rounding and overflow mode, dense-only and conv-only networks."""

from __future__ import annotations

from typing import Any

import numpy as np

from lepton_hw.ir.fixed import FixedType
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
    output_shape,
)
from lepton_hw.passes.precision import accumulator_type

T = FixedType.parse
WEIGHT = T("ap_fixed<4,1>")
BIAS = T("ap_fixed<8,3>")


def chain(
    name: str, input_shape: tuple[int, ...], input_type: FixedType, layers: list[tuple[Any, ...]], seed: int
) -> Graph:
    """A Graph from layer tuples: (conv, filters, (kh, kw), stride, padding, type), (dense, units, type),
    (relu, type), (requant, type), (maxpool, size, stride, padding), (avgpool, size, stride, padding, type),
    (flatten,)."""
    rng = np.random.default_rng(seed)
    nodes: list[Node] = [Input("input", tuple(input_shape), input_type)]
    shape, in_type = tuple(input_shape), input_type
    for i, layer in enumerate(layers):
        kind, n = layer[0], f"{layer[0]}{i}"
        node: Node
        probe: Node
        wshape: tuple[int, ...]
        if kind in ("conv", "dense"):
            wt, bt = WEIGHT, BIAS
            if kind == "conv":
                _, filters, kernel, stride, padding, out_type = layer
                wshape = (kernel[0], kernel[1], shape[2], filters)
            else:
                _, filters, out_type, *types = layer
                wt, bt = types if types else (WEIGHT, BIAS)
                wshape = (shape[0], filters)
            weight = rng.integers(wt.min_raw, wt.max_raw + 1, size=wshape)
            weight[rng.random(wshape) < 0.3] = 0  # pruned
            bias = rng.integers(bt.min_raw, bt.max_raw + 1, size=filters)
            acc = accumulator_type(in_type, weight, bias, wt, bt)
            out_type = out_type or acc  # None: the exact sum (the layer's cast changes nothing)
            if kind == "conv":
                probe = Conv2D(n, (1,), out_type, weight, bias, wt, bt, acc, (stride, stride), padding)
            else:
                probe = Dense(n, (1,), out_type, weight, bias, wt, bt, acc)
        elif kind == "relu":
            probe = ReLU(n, (1,), layer[1])
        elif kind == "requant":
            probe = Requantize(n, (1,), layer[1])
        elif kind == "maxpool":
            _, size, stride, padding = layer
            probe = MaxPool2D(n, (1,), in_type, (size, size), (stride, stride), padding)
        elif kind == "avgpool":
            _, size, stride, padding, out_type = layer
            probe = AvgPool2D(n, (1,), out_type, (size, size), (stride, stride), padding)
        elif kind == "flatten":
            probe = Flatten(n, (1,), in_type)
        else:
            raise ValueError(kind)
        shape = output_shape(probe, shape)
        node = probe.replace(shape=shape)
        nodes.append(node)
        in_type = node.type
    return Graph(name, tuple(nodes), {"model": f"tests/backends/rtl/ir_cases.py:{name}"})


U8 = T("ap_ufixed<8,0>")

# fmt: off
CASES: dict[str, Graph] = {  # each one a regression: read the comment before it
    # 10x12, a 5x5 same conv (2 rows and columns of padding each side), 3x3 max pooling with
    # partial windows at the edges, then dense.
    "odd_frame_k5_same": chain(
        "odd_frame_k5_same",
        (10, 12, 1),
        U8,
        [
            ("conv", 3, (5, 5), 1, "same", T("ap_fixed<12,4,AP_RND_CONV,AP_SAT>")),
            ("relu", T("ap_ufixed<6,2,AP_RND_CONV,AP_SAT>")),
            ("maxpool", 3, 3, "same"),
            ("flatten",),
            ("dense", 4, T("ap_fixed<16,6>")),
        ],
        seed=1,
    ),
    # signed two-channel input, stride-2 same conv, 3x3 average pooling with same padding: the
    # window counts are 4, 6 and 9 (a real division), then dense.
    "stride2_avg3_signed": chain(
        "stride2_avg3_signed",
        (9, 11, 2),
        T("ap_fixed<8,2>"),
        [
            ("conv", 4, (3, 3), 2, "same", T("ap_fixed<10,4,AP_RND,AP_SAT_SYM>")),
            ("avgpool", 3, 1, "same", T("ap_fixed<14,4,AP_RND_INF,AP_SAT>")),
            ("flatten",),
            ("dense", 3, T("ap_fixed<18,8>")),
        ],
        seed=2,
    ),
    # every rounding mode and narrow wrapping/saturating types between the layers
    "rounding_modes": chain(
        "rounding_modes",
        (7, 6, 1),
        U8,
        [
            ("conv", 2, (2, 3), 1, "valid", T("ap_fixed<7,2,AP_TRN_ZERO,AP_WRAP>")),
            ("requant", T("ap_fixed<5,1,AP_RND_ZERO,AP_SAT_ZERO>")),
            ("requant", T("ap_fixed<4,1,AP_RND_MIN_INF,AP_SAT_SYM>")),
            ("relu", T("ap_ufixed<3,1,AP_RND_INF,AP_WRAP>")),
            ("avgpool", 2, 2, "valid", T("ap_ufixed<5,1,AP_RND,AP_SAT>")),
            ("flatten",),
            ("dense", 5, T("ap_fixed<9,3,AP_TRN,AP_WRAP>")),
        ],
        seed=3,
    ),
    # a 4x4 kernel (asymmetric same padding), then a 1x1 kernel with stride 2, on three channels
    "k4_same_k1_stride2_rgb": chain(
        "k4_same_k1_stride2_rgb",
        (8, 9, 3),
        U8,
        [
            ("conv", 3, (4, 4), 1, "same", T("ap_fixed<10,3,AP_RND_CONV,AP_SAT>")),
            ("relu", T("ap_ufixed<4,1,AP_RND_CONV,AP_SAT>")),
            ("conv", 2, (1, 1), 2, "valid", T("ap_fixed<8,3,AP_RND_CONV,AP_SAT>")),
            ("flatten",),
            ("dense", 2, T("ap_fixed<14,6>")),
        ],
        seed=4,
    ),
    # the bias has more fractional bits than the products: the products are shifted before the add
    "dense_only": chain(
        "dense_only",
        (20,),
        U8,
        [
            ("dense", 8, T("ap_fixed<10,3,AP_RND_CONV,AP_SAT>"), T("ap_fixed<3,3>"), T("ap_fixed<12,1>")),
            ("relu", T("ap_ufixed<4,1,AP_RND_CONV,AP_SAT>")),
            ("dense", 3, T("ap_fixed<12,4>")),
        ],
        seed=5,
    ),
    # the camera example's shape, small: conv -> relu -> pool twice, then dense. The convs' types are
    # their exact sums, so each hands its sums to the ReLU's cast; the dense layer is folded
    "pool_pool_dense": chain(
        "pool_pool_dense",
        (14, 14, 1),
        U8,
        [
            ("conv", 4, (3, 3), 1, "valid", None),
            ("relu", T("ap_ufixed<4,1,AP_RND_CONV,AP_SAT>")),
            ("maxpool", 2, 2, "valid"),
            ("conv", 4, (3, 3), 1, "valid", None),
            ("relu", T("ap_ufixed<4,1,AP_RND_CONV,AP_SAT>")),
            ("maxpool", 2, 2, "valid"),
            ("flatten",),
            ("dense", 3, T("ap_fixed<16,8>")),
        ],
        seed=7,
    ),
    # no Flatten or Dense: the result packet carries the whole 5x4x2 feature map
    "conv_only": chain(
        "conv_only",
        (6, 5, 1),
        U8,
        [
            ("conv", 2, (2, 2), 1, "valid", T("ap_fixed<9,3,AP_RND_CONV,AP_SAT>")),
        ],
        seed=6,
    ),
}
# fmt: on
