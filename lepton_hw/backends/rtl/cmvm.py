"""Constant matrix-vector multiplies (CMVM) in Verilog: ``y = x @ W`` on raw integers.

Every multiply of the RTL backend goes through one module of the same shape::

    module NAME (input wire [K*IW-1:0] x, output wire [F*YW-1:0] y);

``x`` holds K raw input integers of IW bits each (signed or not, as the input type says),
``y`` holds F exact signed sums of YW bits, wide enough that nothing ever wraps. Two kernels:

- ``da``: da4ml's multiplier-free shift-add graph (distributed arithmetic), solved by da4ml
  and written here as one ``assign`` per adder;
- ``mac``: one ``x * constant`` product per non-zero weight, summed; synthesis maps the
  products to DSP blocks or LUTs as it sees fit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.ir.fixed import FixedType

KERNELS = ("da", "mac")


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
    adders: int  # da: da4ml's adder cost (adder bits); mac: products (non-zero weights)
    kernel: str
    latency: int = 0  # clocks from x to y; 0: combinational (the module has no clk port)
    negated: tuple[bool, ...] = ()  # y_f holds -(x @ W)_f: the user adds it with a subtraction (no negator)

    def is_negated(self, f: int) -> bool:
        return bool(self.negated) and self.negated[f]


def column_bounds(weight: np.ndarray, in_type: FixedType) -> tuple[list[int], list[int]]:
    """Exact min and max of each column of ``x @ weight`` over every input the type allows."""
    lo_x, hi_x = in_type.min_raw, in_type.max_raw
    lo, hi = [], []
    for column in weight.T:
        ws = [int(w) for w in column]
        lo.append(sum(min(w * lo_x, w * hi_x) for w in ws))
        hi.append(sum(max(w * lo_x, w * hi_x) for w in ws))
    return lo, hi


class Pipeline:
    """Pipeline registers every ``levels`` adder levels (0: none), as a value is seen in later stages.

    A value defined at adder level d (inputs: level 0) is computed in stage ``(d - 1) // levels``;
    a consumer in a later stage reads it through a chain of registers, one per stage boundary
    (``name_s1``, ``name_s2``...). The registers have no enable and no reset: a pipeline delays
    every value by the same number of clocks, and the caller delays the valid flag to match."""

    def __init__(self, levels: int, reserve: Callable[[str], None] | None = None) -> None:
        self.levels = levels
        self.reserve = reserve  # told every register name made (the top module keeps its names unique)
        self.stage_of: dict[str, int] = {}
        self.level_of: dict[str, int] = {}
        self.widths: dict[str, int] = {}
        self.declarations: list[str] = []
        self.assignments: dict[int, list[str]] = {}  # stage -> register assignments at its end

    def stage(self, level: int) -> int:
        return 0 if self.levels == 0 or level <= 0 else (level - 1) // self.levels

    def define(self, name: str, width: int, level: int) -> str:
        self.stage_of[name], self.widths[name], self.level_of[name] = self.stage(level), width, level
        return name

    def last_stage(self, names: list[str]) -> int:
        return max((self.stage_of[n] for n in names if n in self.stage_of), default=0)

    def at(self, name: str, stage: int) -> str:
        """``name`` as seen in ``stage`` (registered once per stage boundary since its own)."""
        own = self.stage_of[name]
        if stage <= own:
            return name
        previous = self.at(name, stage - 1)
        registered = f"{name}_s{stage}"
        if registered not in self.widths:
            if self.reserve is not None:
                self.reserve(registered)
            self.widths[registered], self.stage_of[registered] = self.widths[name], stage
            # signed: comparisons of a registered copy must compare as the value did (only the
            # top module compares; elsewhere values are sliced and concatenated, where it is moot)
            self.declarations.append(f"    reg signed [{self.widths[name] - 1}:0] {registered};")
            self.assignments.setdefault(stage - 1, []).append(f"        {registered} <= {previous};")
        return registered

    def registers(self) -> list[str]:
        lines = list(self.declarations)
        for stage in sorted(self.assignments):
            lines += ["    always @(posedge clk) begin", *self.assignments[stage], "    end"]
        return lines


def build_cmvm(name: str, weight: np.ndarray, in_type: FixedType, kernel: str, pipeline: int = 0) -> Cmvm:
    """The CMVM module ``name`` for the integer matrix ``weight`` (K inputs, F outputs).

    ``pipeline`` > 0 puts registers every ``pipeline`` adder levels and on the outputs."""
    if kernel not in KERNELS:
        raise UnsupportedLayerError(f"unknown kernel {kernel!r}; accepted: {', '.join(KERNELS)}")
    weight = np.asarray(weight).astype(object)
    n_in, n_out = weight.shape
    lo, hi = column_bounds(weight, in_type)
    # wide enough for each output and its negation (da4ml may produce an output negated)
    out_width = max(signed_bits(min(a, -b), max(b, -a)) for a, b in zip(lo, hi, strict=True))
    pipe = Pipeline(pipeline)
    negated = [False] * n_out
    if kernel == "da" and np.count_nonzero(weight) > 0:
        outputs, body, adders, negated = _da_body(name, weight, in_type, out_width, pipe)
    else:
        outputs, body = _mac_body(weight, in_type, out_width, pipe)
        adders = int(np.count_nonzero(weight))
    # Every output leaves through the same number of registers (at least one when pipelined).
    levels = [pipe.stage_of[o] for o in outputs if o in pipe.stage_of]
    latency = (max(levels, default=0) + 1) if pipeline else 0
    for f, out in enumerate(outputs):
        value = pipe.at(out, latency) if out in pipe.stage_of else out
        body.append(f"    assign y[{(f + 1) * out_width - 1}:{f * out_width}] = {value};")
    clock = "    input wire clk,\n" if latency else ""
    header = (
        f"// {name}: y = x @ W, {n_in} inputs ({in_type}, raw) x {n_out} outputs, kernel {kernel}"
        + (f", {latency} clock(s) of latency" if latency else "")
        + (
            f"\n// negated outputs (y_f = -(x @ W)_f): {[f for f in range(n_out) if negated[f]]}"
            if any(negated)
            else ""
        )
        + f"\nmodule {name} (\n{clock}    input wire [{n_in * in_type.width - 1}:0] x,\n"
        f"    output wire [{n_out * out_width - 1}:0] y\n);\n"
    )
    used = [k for k in range(n_in) if any(weight[k])]
    waiver = ""
    if len(used) < n_in:  # pruned inputs: their bits of x are unused on purpose
        waiver = "\n".join(
            [
                "    // Pruned weights: the inputs they multiply are unused on purpose.",
                "    // verilator lint_off UNUSEDSIGNAL",
                "    wire unused_inputs = ^x;",
                "    // verilator lint_on UNUSEDSIGNAL",
                "",
            ]
        )
    lines = [
        "    // Each value keeps the low bits its exact interval needs: the higher bits of its",
        "    // operands are unused on purpose.",
        "    // verilator lint_off UNUSEDSIGNAL",
        *body,
        *pipe.registers(),
        "    // verilator lint_on UNUSEDSIGNAL",
    ]
    verilog = header + waiver + "\n".join(lines) + "\nendmodule\n"
    return Cmvm(
        name, verilog, n_in, in_type.width, n_out, out_width, tuple(lo), tuple(hi), adders, kernel, latency,
        tuple(negated),
    )  # fmt: skip


def _input_expr(k: int, in_type: FixedType, width: int) -> str:
    """Input k of x, sign- or zero-extended to a signed ``width``-bit value."""
    w = in_type.width
    bits = f"x[{k * w + w - 1}:{k * w}]"
    if width == w and in_type.signed:
        return f"$signed({bits})"
    fill = f"x[{k * w + w - 1}]" if in_type.signed else "1'b0"
    return f"$signed({{{{{width - w}{{{fill}}}}}, {bits}}})"


def _mac_body(weight: np.ndarray, in_type: FixedType, yw: int, pipe: Pipeline) -> tuple[list[str], list[str]]:
    """One constant product per non-zero weight (level 1), summed by a balanced adder tree."""
    lines = []
    n_in, n_out = weight.shape
    for k in range(n_in):
        if any(weight[k]):
            lines.append(f"    wire signed [{yw - 1}:0] x{k} = {_input_expr(k, in_type, yw)};")
    outputs = []
    for f in range(n_out):
        terms = []
        for k in range(n_in):
            if weight[k, f] != 0:
                product = f"p{k}_{f}"
                lines.append(f"    wire signed [{yw - 1}:0] {product} = x{k} * {literal(int(weight[k, f]), yw)};")
                pipe.define(product, yw, 1)
                terms.append((product, 1))
        if not terms:
            outputs.append(f"{yw}'d0")
            continue
        outputs.append(adder_tree(pipe, lines, f"s{f}", terms, yw))
    return outputs, lines


def adder_tree(pipe: Pipeline, lines: list[str], base: str, terms: list[tuple[str, int]], width: int) -> str:
    """Sum of ``terms`` ((wire, adder level) pairs, each a signed ``width``-bit wire), pairwise by level.

    Returns the wire of the sum, defined in ``pipe`` at its level. ``width`` must hold every partial sum."""
    level_terms = sorted(terms, key=lambda term: term[1])
    n = 0
    while len(level_terms) > 1:
        (a, la), (b, lb) = level_terms[0], level_terms[1]
        level = max(la, lb) + 1
        stage = pipe.stage(level)
        name = f"{base}_{n}"
        n += 1
        lines.append(f"    wire signed [{width - 1}:0] {name} = {pipe.at(a, stage)} + {pipe.at(b, stage)};")
        pipe.define(name, width, level)
        level_terms = sorted([*level_terms[2:], (name, level)], key=lambda term: term[1])
    return level_terms[0][0]


def da_solution(weight: np.ndarray, in_type: FixedType) -> Any:
    """da4ml's adder graph (a CombLogic) for ``x @ weight`` on raw integers of ``in_type`` (solved once
    per process: the schedule prices it, the emitter writes it)."""
    array = np.ascontiguousarray(np.asarray(weight).astype(np.int64))
    return _solve(array.tobytes(), array.shape, in_type)


@functools.lru_cache(maxsize=32)
def _solve(weight_bytes: bytes, shape: tuple[int, ...], in_type: FixedType) -> Any:
    from da4ml.trace import FixedVariableArrayInput, comb_trace

    weight = np.frombuffer(weight_bytes, dtype=np.int64).reshape(shape)
    n_in = weight.shape[0]
    signed = int(in_type.signed)
    inp = FixedVariableArrayInput((n_in,))
    x = inp.quantize(
        np.full(n_in, signed, dtype=int), np.full(n_in, in_type.width - signed, dtype=int), np.zeros(n_in, dtype=int)
    )
    return comb_trace(inp, x @ np.asarray(weight).astype(np.int64))


def _da_body(
    name: str, weight: np.ndarray, in_type: FixedType, yw: int, pipe: Pipeline
) -> tuple[list[str], list[str], int, list[bool]]:
    """da4ml's adder graph for ``x @ weight``, written as one flat ``assign`` per adder.

    da4ml's own Verilog instantiates a module per adder; flat assigns compute the same bits and
    make Verilator's C++ several times smaller (its build time is most of an RTL test's time).
    Every value is kept as a two's-complement integer of its exact interval's grid: op i holds
    ``value_i * 2**f_i`` in ``w_i`` bits (da4ml's minimal k, i, f, plus a sign bit when unsigned),
    and an adder ``v0 +/- v1 * 2**data`` becomes shifts of the two operands onto op i's grid, each
    cut to ``w_i`` bits, then one add: exact, because the result fits ``w_i`` bits. An op's adder
    level (inputs 0, an adder or a negation one more than its deepest operand) places it in a
    pipeline stage. Returns the output wires, the lines, da4ml's adder cost and which outputs are
    negated: an output da4ml computes as a negation is left as it is (the caller subtracts it
    instead of adding it), which saves a row of inverters a bit.
    """
    from da4ml.types import minimal_kif

    solution = da_solution(weight, in_type)
    if any(shift != 0 for shift in solution.inp_shifts):  # pragma: no cover - integer inputs are not scaled
        raise AssertionError(f"{name}: da4ml scaled the inputs: {solution.inp_shifts}")
    widths: dict[int, int] = {}  # op -> bits of its signed wire
    fracs: dict[int, int] = {}  # op -> its grid: value = raw * 2**-frac
    levels: dict[int, int] = {}
    flipped: dict[int, bool] = {}  # op -> its wire holds minus its value (one more bit)
    lines: list[str] = []
    for i, op in enumerate(solution.ops):
        if solution.ref_count[i] == 0:
            continue
        keep_negative, integers, fractional = minimal_kif(op.qint)
        width = int(keep_negative) + integers + fractional + (0 if keep_negative else 1)
        fracs[i], flip = fractional, False
        if op.opcode == -1:  # an input: its raw integer
            level = 0
            value = _resize(f"x[{(op.id0 + 1) * in_type.width - 1}:{op.id0 * in_type.width}]",
                            in_type.width, bool(in_type.signed), fractional, width)  # fmt: skip
        elif op.opcode in (0, 1):  # v0 +/- v1 * 2**data
            # With wires a = s0 * v0 and b = s1 * v1 (s = -1 where flipped), the value is
            # s0 * (a + c * b) with c = s0 * s1 * (+1 or -1): one add or subtract, and the sign s0.
            level = max(levels[op.id0], levels[op.id1]) + 1
            stage = pipe.stage(level)
            flip = flipped[op.id0]
            subtract = (op.opcode == 1) != (flipped[op.id0] != flipped[op.id1])
            shift_a, shift_b = fractional - fracs[op.id0], op.data + fractional - fracs[op.id1]
            width += flip
            if subtract and shift_a > shift_b:
                # a's low bits are zeros: a - b would negate b's low bits (a row of inverters);
                # b - a has none, and the wire holds the negation.
                flip = not flip
                width += 1 if flip else -1
            a = _resize(pipe.at(f"v{op.id0}", stage), widths[op.id0], True, shift_a, width)
            b = _resize(pipe.at(f"v{op.id1}", stage), widths[op.id1], True, shift_b, width)
            if subtract and flip != flipped[op.id0]:
                a, b, shift_a, shift_b = b, a, shift_b, shift_a
            # The low bits where one operand is all zeros are the other's: they bypass the carry chain
            # (in it, a subtrahend's zero bits cost an inverter each).
            low = min(max(shift_a, shift_b, 0), width)
            keep = "a" if shift_b > shift_a else "b"
            if low == 0:
                value = f"{a} {'-' if subtract else '+'} {b}"
            else:
                lines.append(f"    wire [{width - 1}:0] v{i}_a = {a};")
                lines.append(f"    wire [{width - 1}:0] v{i}_b = {b};")
                low_bits = f"v{i}_{keep}[{low - 1}:0]"
                if low == width:
                    value = f"v{i}_{keep}"
                else:
                    top = f"v{i}_a[{width - 1}:{low}] {'-' if subtract else '+'} v{i}_b[{width - 1}:{low}]"
                    value = f"{{{top}, {low_bits}}}"
        elif op.opcode in (3, -3):  # (+/-v0) on op i's grid (exact: the dropped bits are zeros)
            level = levels[op.id0]  # a negation only flips the sign the wire stands for
            flip = flipped[op.id0] != (op.opcode == -3)
            width += flip
            source = pipe.at(f"v{op.id0}", pipe.stage(level))
            value = _resize(source, widths[op.id0], True, fractional - fracs[op.id0], width)
        elif op.opcode == 5:  # a constant
            level = 0
            value = literal(int(op.data), width)
        else:  # pragma: no cover - a constant matrix multiply uses inputs, adders and constants
            raise AssertionError(f"{name}: da4ml opcode {op.opcode} in a constant-matrix multiply")
        levels[i], widths[i], flipped[i] = level, width, flip
        pipe.define(f"v{i}", width, level)
        lines.append(f"    wire [{width - 1}:0] v{i} = {value};")
    outputs = []
    negated = []
    for f in range(weight.shape[1]):
        idx = solution.out_idxs[f]
        if idx < 0 or idx not in widths:
            negated.append(False)
            outputs.append(f"{yw}'d0")
            continue
        negated.append(bool(solution.out_negs[f]) != flipped[idx])
        level = levels[idx]
        source = pipe.at(f"v{idx}", pipe.stage(level))
        value = _resize(source, widths[idx], True, solution.out_shifts[f] - fracs[idx], yw)
        lines.append(f"    wire [{yw - 1}:0] o{f} = {value};")
        pipe.define(f"o{f}", yw, level)
        outputs.append(f"o{f}")
    return outputs, lines, int(solution.cost), negated


def _resize(bits: str, width: int, signed: bool, shift: int, target: int) -> str:
    """The low ``target`` bits of ``bits`` (a ``width``-bit integer) times ``2**shift``, as a concatenation.

    ``shift`` < 0 divides exactly (the dropped bits are zero on the exact grid)."""
    name = bits.split("[")[0]
    msb = f"{name}[{width - 1}]" if "[" not in bits else f"{name}[{bits.split('[')[1].split(':')[0]}]"
    lsb = int(bits.split(":")[1].rstrip("]")) if "[" in bits else 0
    fill = msb if signed else "1'b0"
    if shift < 0:  # drop the -shift low bits
        width += shift
        lsb -= shift
        if width <= 0:
            return f"{target}'d0"
        shift = 0
    parts = []
    used = min(width, target - shift)
    if used <= 0:
        return f"{target}'d0"
    if target - shift > width:
        parts.append(f"{{{target - shift - width}{{{fill}}}}}")
    parts.append(f"{name}[{lsb + used - 1}:{lsb}]")
    if shift:
        parts.append(f"{shift}'d0")
    return "{" + ", ".join(parts) + "}"
