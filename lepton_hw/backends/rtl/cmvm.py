"""Constant matrix-vector multiplies (CMVM) in Verilog: ``y = x @ W`` on raw integers.

Every multiply of the RTL backend goes through one module of the same shape::

    module NAME (input wire [K*IW-1:0] x, output wire [F*YW-1:0] y);

``x`` holds K raw input integers of IW bits each (signed or not, as the input type says),
``y`` holds F exact signed sums of YW bits, wide enough that nothing ever wraps. Two kernels:

- ``da``: da4ml's multiplier-free shift-add graph (distributed arithmetic), wrapped so that
  its packed ports (unused inputs dropped, outputs at their own minimal widths) take the
  common layout;
- ``mac``: one ``x * constant`` product per non-zero weight, summed; synthesis maps the
  products to DSP blocks or LUTs as it sees fit.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass

import numpy as np

from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.ir.fixed import FixedType

KERNELS = ("da", "mac")

# da4ml's building blocks, shipped with da4ml; the generated modules instantiate them.
DA4ML_SOURCES = ("shift_adder.v", "negative.v", "mux.v", "multiplier.v", "binop.v", "lookup_table.v")


def signed_bits(lo: int, hi: int) -> int:
    """Bits of a two's-complement integer holding every value in lo..hi."""
    return max(hi.bit_length() + 1 if hi > 0 else 1, (-lo - 1).bit_length() + 1 if lo < 0 else 1)


def literal(value: int, width: int) -> str:
    """A signed Verilog literal of ``width`` bits (two's complement hex)."""
    return f"{width}'sh{value & ((1 << width) - 1):x}"


@dataclass(frozen=True)
class Cmvm:
    name: str
    verilog: str
    n_in: int
    in_width: int
    n_out: int
    out_width: int
    lo: tuple[int, ...]  # exact bounds of each output
    hi: tuple[int, ...]
    adders: int  # da: da4ml's adder count; mac: products (non-zero weights)
    kernel: str


def column_bounds(weight: np.ndarray, in_type: FixedType) -> tuple[list[int], list[int]]:
    """Exact min and max of each column of ``x @ weight`` over every input the type allows."""
    lo_x, hi_x = in_type.min_raw, in_type.max_raw
    lo, hi = [], []
    for column in weight.T:
        ws = [int(w) for w in column]
        lo.append(sum(min(w * lo_x, w * hi_x) for w in ws))
        hi.append(sum(max(w * lo_x, w * hi_x) for w in ws))
    return lo, hi


def build_cmvm(name: str, weight: np.ndarray, in_type: FixedType, kernel: str) -> Cmvm:
    """The CMVM module ``name`` for the integer matrix ``weight`` (K inputs, F outputs)."""
    if kernel not in KERNELS:
        raise UnsupportedLayerError(f"unknown kernel {kernel!r}; accepted: {', '.join(KERNELS)}")
    weight = np.asarray(weight).astype(object)
    n_in, n_out = weight.shape
    lo, hi = column_bounds(weight, in_type)
    out_width = max(signed_bits(a, b) for a, b in zip(lo, hi, strict=True))
    header = (
        f"// {name}: y = x @ W, {n_in} inputs ({in_type}, raw) x {n_out} outputs, kernel {kernel}\n"
        f"module {name} (\n    input wire [{n_in * in_type.width - 1}:0] x,\n"
        f"    output wire [{n_out * out_width - 1}:0] y\n);\n"
    )
    if kernel == "da" and np.count_nonzero(weight) > 0:
        body, extra, adders = _da_body(name, weight, in_type, out_width)
    else:
        body, extra, adders = _mac_body(weight, in_type, out_width), "", int(np.count_nonzero(weight))
    used = [k for k in range(n_in) if any(weight[k])]
    waiver = ""
    if len(used) < n_in:  # pruned inputs: their bits of x are unused on purpose
        waiver = "\n".join(
            [
                "    // verilator lint_off UNUSEDSIGNAL",
                "    wire unused_inputs = ^x;",
                "    // verilator lint_on UNUSEDSIGNAL",
                "",
            ]
        )
    if extra:  # da4ml's adder graph lives in the same file as the wrapper that adapts its ports
        extra = "/* verilator lint_off DECLFILENAME */\n" + extra + "/* verilator lint_on DECLFILENAME */\n"
    verilog = header + waiver + body + "endmodule\n" + extra
    return Cmvm(name, verilog, n_in, in_type.width, n_out, out_width, tuple(lo), tuple(hi), adders, kernel)


def _input_expr(k: int, in_type: FixedType, width: int) -> str:
    """Input k of x, sign- or zero-extended to a signed ``width``-bit value."""
    w = in_type.width
    bits = f"x[{k * w + w - 1}:{k * w}]"
    if width == w and in_type.signed:
        return f"$signed({bits})"
    fill = f"x[{k * w + w - 1}]" if in_type.signed else "1'b0"
    return f"$signed({{{{{width - w}{{{fill}}}}}, {bits}}})"


def _mac_body(weight: np.ndarray, in_type: FixedType, yw: int) -> str:
    lines = []
    n_in, n_out = weight.shape
    for k in range(n_in):
        if any(weight[k]):
            lines.append(f"    wire signed [{yw - 1}:0] x{k} = {_input_expr(k, in_type, yw)};")
    for f in range(n_out):
        terms = [f"x{k} * {literal(int(weight[k, f]), yw)}" for k in range(n_in) if weight[k, f] != 0]
        total = " + ".join(terms) if terms else f"{yw}'sd0"
        lines.append(f"    assign y[{(f + 1) * yw - 1}:{f * yw}] = {total};")
    return "\n".join(lines) + "\n"


def _da_body(name: str, weight: np.ndarray, in_type: FixedType, yw: int) -> tuple[str, str, int]:
    from da4ml.codegen.rtl import verilog_comb_logic_gen
    from da4ml.trace import FixedVariableArrayInput, comb_trace
    from da4ml.types import minimal_kif

    n_in = weight.shape[0]
    signed = int(in_type.signed)
    inp = FixedVariableArrayInput((n_in,))
    x = inp.quantize(
        np.full(n_in, signed, dtype=int), np.full(n_in, in_type.width - signed, dtype=int), np.zeros(n_in, dtype=int)
    )
    solution = comb_trace(inp, x @ weight.astype(np.int64))
    core = verilog_comb_logic_gen(solution, f"{name}_da")
    in_widths = [sum(minimal_kif(q)) for q in solution.inp_qint]
    parts = []
    for k, width in enumerate(in_widths):
        if width:
            if width != in_type.width:  # pragma: no cover - da4ml keeps declared widths
                raise AssertionError(f"da4ml input {k} has {width} bits, expected {in_type.width}")
            parts.append(f"x[{(k + 1) * width - 1}:{k * width}]")
    lines = [
        f"    wire [{sum(in_widths) - 1}:0] model_inp = {{{', '.join(reversed(parts))}}};",
    ]
    out_kifs = [minimal_kif(q) for q in solution.out_qint]
    out_bits = sum(sum(kif) for kif in out_kifs)
    if out_bits:
        # da4ml's output intervals may be wider than the exact bounds: the bits above are sign copies.
        lines.append("    // verilator lint_off UNUSEDSIGNAL")
        lines.append(f"    wire [{out_bits - 1}:0] model_out;")
        lines.append("    // verilator lint_on UNUSEDSIGNAL")
        lines.append(f"    {name}_da core (.model_inp(model_inp), .model_out(model_out));")
    offset = 0
    for f, (keep_negative, integers, fractional) in enumerate(out_kifs):
        width = int(keep_negative) + integers + fractional
        target = f"y[{(f + 1) * yw - 1}:{f * yw}]"
        if width == 0:
            lines.append(f"    assign {target} = {yw}'sd0;")
            continue
        if fractional > 0 or solution.out_idxs[f] < 0:  # pragma: no cover - integer in, integer out
            raise AssertionError(f"da4ml output {f} is not an integer: {keep_negative, integers, fractional}")
        raw = f"model_out[{offset + width - 1}:{offset}]"
        shift = -fractional
        fill = f"model_out[{offset + width - 1}]" if keep_negative else "1'b0"
        pad = yw - width - shift
        if pad >= 0:
            zeros = f", {shift}'b0" if shift else ""
            value = f"{{{{{pad}{{{fill}}}}}, {raw}{zeros}}}" if pad else f"{{{raw}{zeros}}}"
        else:  # da4ml's interval is looser than the exact bound: the low bits hold the exact value
            value = f"{{model_out[{offset + yw - shift - 1}:{offset}]" + (f", {shift}'b0}}" if shift else "}")
        lines.append(f"    assign {target} = {value};")
        offset += width
    return "\n".join(lines) + "\n", core, int(solution.cost)


def da4ml_source(filename: str) -> str:
    """The text of one of da4ml's Verilog building blocks."""
    folder = importlib.resources.files("da4ml") / "codegen" / "rtl" / "verilog" / "source"
    return (folder / filename).read_text()
