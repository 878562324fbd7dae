"""Bit-serial distributed arithmetic: one da4ml graph time-shared over the bit slices of the inputs.

A da4ml shift-add graph is specialized to its constant weights, so it cannot be shared between
layers, but it can be shared between the *bit slices* of one input: for unsigned inputs of IW bits
cut into F slices of B = ceil(IW / F) bits, ``x = sum_s 2**(s*B) * x_s`` and so

    x @ W = sum_s 2**(s*B) * (x_s @ W).

The same graph ``x_s @ W`` on B-bit inputs (narrower adders than on IW bits) serves every slice, one
a clock, most significant first, into accumulators: ``acc = (acc << B) + x_s @ W``. An input must stay
on ``in_data`` for the F clocks from its ``in_valid`` (a window's registers do while the next element
has not arrived: the schedule picks F no larger than the window's input interval). One module per
layer, of the fold module's shape::

    module NAME (input clk, rst, in_valid, input [K*IW-1:0] in_data,
                 output out_valid, output [N*YW-1:0] out_data);

``out_data`` holds the exact sums (no bias) for one clock with ``out_valid``, ``latency`` clocks after
the last slice's clock. Pipeline: the selected slice registered at every depth (its select fans out
to every input bit, and on iCE40 the register shares the multiplexer's logic cell), the graph's own
registers (``pipeline`` > 0), the accumulator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lepton_hw.backends.rtl.cmvm import Cmvm, build_cmvm, column_bounds, signed_bits
from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.ir.fixed import FixedType


@dataclass(frozen=True)
class Serial:
    name: str
    verilog: str  # the layer's module and its slice graph's module
    n_in: int  # K
    n_out: int  # N
    out_width: int
    lo: tuple[int, ...]  # exact bounds of x @ W over the whole input type
    hi: tuple[int, ...]
    fold: int  # F: clocks (slices) per input
    slice_bits: int  # B
    adders: int  # da4ml's adder cost of the slice graph
    latency: int  # clocks from the last slice's clock to out_valid


def slice_bits(in_type: FixedType, fold: int) -> int:
    """Bits of one slice when ``in_type``'s raw integers are cut into ``fold`` slices."""
    return -(-in_type.width // fold)


def slice_type(in_type: FixedType, fold: int) -> FixedType:
    """The type the slice graph takes: unsigned integers of the slice's bits."""
    return FixedType(False, slice_bits(in_type, fold), slice_bits(in_type, fold))


def check_serial(in_type: FixedType, fold: int, where: str) -> None:
    if in_type.signed:
        raise UnsupportedLayerError(
            f"{where}: impl serial cuts unsigned inputs into bit slices, and its inputs are {in_type} (signed); "
            "accepted: da, mac or fold for this layer"
        )
    if not 2 <= fold <= in_type.width:
        raise UnsupportedLayerError(
            f"{where}: impl serial with fold {fold} on {in_type.width}-bit inputs; accepted: fold 2..{in_type.width}"
        )


def build_serial(name: str, weight: np.ndarray, in_type: FixedType, fold: int, pipeline: int) -> Serial:
    """The bit-serial module ``name`` for ``x @ weight`` (K x N integers), ``fold`` clocks per input."""
    check_serial(in_type, fold, f"layer module {name!r}")
    weight = np.asarray(weight).astype(object)
    k, n = weight.shape
    b = slice_bits(in_type, fold)
    slices = -(-in_type.width // b)  # fold rounded to what B bits need (e.g. 4 bits in 3 -> 2 slices of 2)
    iw, padded = in_type.width, slices * b
    graph: Cmvm = build_cmvm(f"{name}_slice", weight, slice_type(in_type, fold), "da", pipeline)
    lo, hi = column_bounds(weight, in_type)
    yw = max(signed_bits(a, c) for a, c in zip(lo, hi, strict=True))
    gw = graph.out_width
    sw = max(1, (slices - 1).bit_length())  # the slice counter
    delay = 1 + graph.latency  # clocks from a slice on the input to its sums at the graph's output (x_q, graph)

    lines = [
        f"// {name}: y = x @ W, {k} inputs ({in_type}, raw) x {n} outputs, bit-serial: {slices} slices of {b} bit(s)",
        f"// a clock, most significant first, through one da4ml graph ({name}_slice) into accumulators",
        f"module {name} (",
        "    input wire clk,",
        "    input wire rst,",
        "    input wire in_valid,",
        f"    input wire [{k * iw - 1}:0] in_data,",
        "    output reg out_valid,",
        f"    output wire [{n * yw - 1}:0] out_data",
        ");",
        "    // ---- slice sequencing: the top slice in the clock the input arrives, then the lower ones",
        "    reg busy;",
        f"    reg [{sw - 1}:0] slice;",
        f"    wire [{sw - 1}:0] slice_now = in_valid ? {sw}'d{slices - 1} : slice;",
        "    wire active = in_valid || busy;",
        f"    wire last_now = (slice_now == {sw}'d0);",
        "    always @(posedge clk) begin",
        "        if (rst) begin",
        "            busy <= 1'b0;",
        f"            slice <= {sw}'d0;",
        "        end else if (active) begin",
        "            busy <= !last_now;",
        f"            slice <= slice_now - {sw}'d1;",
        "        end",
        "    end",
        f"    wire [{k * b - 1}:0] x_slice;",
        "    genvar gk;",
        "    generate",
        f"        for (gk = 0; gk < {k}; gk = gk + 1) begin : g_in",
        f"            wire [{padded - 1}:0] value = "
        + (f"{{{padded - iw}'d0, in_data[gk*{iw} +: {iw}]}};" if padded > iw else f"in_data[gk*{iw} +: {iw}];"),
        f"            assign x_slice[gk*{b} +: {b}] = value[slice_now*{b} +: {b}];",
        "        end",
        "    endgenerate",
    ]
    lines += [
        f"    reg [{k * b - 1}:0] x_q;",
        "    always @(posedge clk) x_q <= x_slice;",
    ]
    clock = ".clk(clk), " if graph.latency else ""
    lines += [
        f"    wire [{n * gw - 1}:0] s;",
        f"    {name}_slice graph ({clock}.x(x_q), .y(s));",
    ]
    # the valid, first-slice and last-slice flags, delayed to the graph's output
    first, last = f"(slice_now == {sw}'d{slices - 1})", "last_now"

    def shift(reg: str, bit: str) -> str:  # ``bit`` shifted into the delay line ``reg``
        return f"{{{reg}[{delay - 2}:0], {bit}}}" if delay > 1 else bit

    lines += [
        f"    reg [{delay - 1}:0] v_d, first_d, last_d;",
        "    always @(posedge clk) begin",
        f"        v_d <= rst ? {delay}'d0 : {shift('v_d', 'active')};",
        f"        first_d <= {shift('first_d', first)};",
        f"        last_d <= {shift('last_d', last)};",
        "    end",
    ]
    v, first, last = f"v_d[{delay - 1}]", f"first_d[{delay - 1}]", f"last_d[{delay - 1}]"
    lines.append("    // ---- accumulators: acc = (acc << B) + x_s @ W; the first slice starts from 0")
    for f in range(n):
        sign = "-" if graph.is_negated(f) else "+"
        s_f, top = f"s[{(f + 1) * gw - 1}:{f * gw}]", f"s[{(f + 1) * gw - 1}]"
        # sign-extended, or cut to yw bits (the sums are exact modulo 2**yw, and the result fits)
        widened = f"{{{{{yw - gw}{{{top}}}}}, {s_f}}}" if yw > gw else f"s[{f * gw + yw - 1}:{f * gw}]"
        lines += [
            f"    reg signed [{yw - 1}:0] acc{f};",
            f"    wire signed [{yw - 1}:0] term{f} = {widened};",
            f"    always @(posedge clk) if ({v}) acc{f} <= ({first} ? {yw}'sd0 : (acc{f} <<< {b})) {sign} term{f};",
        ]
    lines += [
        f"    always @(posedge clk) out_valid <= rst ? 1'b0 : ({v} && {last});",
        f"    assign out_data = {{{', '.join(f'acc{f}' for f in reversed(range(n)))}}};",
        "endmodule",
        "",
    ]
    # the slice graph's module lives in the layer's file: one file per layer
    verilog = "\n".join(lines) + "\n// verilator lint_off DECLFILENAME\n" + graph.verilog
    verilog += "// verilator lint_on DECLFILENAME\n"
    return Serial(
        name, verilog, k, n, yw, tuple(lo), tuple(hi), slices, b, graph.adders, delay + 1,
    )  # fmt: skip
