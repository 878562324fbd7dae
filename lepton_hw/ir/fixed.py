"""Fixed-point types with the exact meaning of Xilinx ``ap_fixed<W, I, Q, O>``.

A value of type ``FixedType(signed, width=W, integer=I)`` is ``n * 2**-(W - I)`` for an
integer ``n`` that fits in W bits (two's complement when signed). All arithmetic in
lepton_hw is done on those integers ``n`` ("raw" values); floats appear only at the edges.

:meth:`FixedType.convert` casts raw integers of one type into another with the rounding
(quantization) and overflow modes of the target, exactly as ``ap_fixed`` does: round first,
then handle overflow. ``tests/ir/test_fixed_vs_ap_fixed.py`` checks it against the real
``ap_fixed`` headers compiled with g++.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from lepton_hw.errors import FixedTypeError, InputDataError, NotExactError

ROUNDING_MODES = ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_INF", "RND_MIN_INF", "RND_CONV")
OVERFLOW_MODES = ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM")

# Raw integers of at most this many bits are held in numpy int64 (two bits of headroom for
# the rounding increment and the shifts below); wider ones in object arrays of Python ints.
INT64_SAFE_BITS = 61

_TYPE_RE = re.compile(
    r"^\s*(?:ap_)?(u?)(fixed|int)\s*<\s*([^>]*)>\s*$",
)


@dataclass(frozen=True)
class FixedType:
    """A fixed-point number format: ``ap_fixed`` (signed) or ``ap_ufixed`` (unsigned)."""

    signed: bool
    width: int
    integer: int
    rounding: str = "TRN"
    overflow: str = "WRAP"

    def __post_init__(self) -> None:
        if not isinstance(self.width, int) or self.width < 1:
            raise FixedTypeError(f"fixed-point width must be a positive integer, got {self.width!r}")
        if not isinstance(self.integer, int):
            raise FixedTypeError(f"fixed-point integer bits must be an integer, got {self.integer!r}")
        if self.rounding not in ROUNDING_MODES:
            raise FixedTypeError(f"unknown rounding mode {self.rounding!r}; accepted: {', '.join(ROUNDING_MODES)}")
        if self.overflow not in OVERFLOW_MODES:
            raise FixedTypeError(f"unknown overflow mode {self.overflow!r}; accepted: {', '.join(OVERFLOW_MODES)}")

    # ----------------------------------------------------------------- properties
    @property
    def frac(self) -> int:
        """Fractional bits: the raw integer is the value times ``2**frac``."""
        return self.width - self.integer

    @property
    def min_raw(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_raw(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def lowest_raw(self) -> int:
        """The most negative raw value a cast can produce: a signed SAT_SYM type turns its own
        minimum into -max (ap_fixed does; checked against the headers in the tests)."""
        return -self.max_raw if self.overflow == "SAT_SYM" and self.signed else self.min_raw

    @property
    def min_value(self) -> Fraction:
        return Fraction(self.min_raw) / Fraction(2) ** self.frac

    @property
    def max_value(self) -> Fraction:
        return Fraction(self.max_raw) / Fraction(2) ** self.frac

    @property
    def lsb(self) -> Fraction:
        return Fraction(1) / Fraction(2) ** self.frac

    def with_modes(self, rounding: str | None = None, overflow: str | None = None) -> FixedType:
        return FixedType(
            self.signed,
            self.width,
            self.integer,
            rounding if rounding is not None else self.rounding,
            overflow if overflow is not None else self.overflow,
        )

    # ----------------------------------------------------------------- text form
    def __str__(self) -> str:
        name = "ap_fixed" if self.signed else "ap_ufixed"
        args = [str(self.width), str(self.integer)]
        if self.rounding != "TRN" or self.overflow != "WRAP":
            args += [f"AP_{self.rounding}", f"AP_{self.overflow}"]
        return f"{name}<{','.join(args)}>"

    def hls4ml_str(self) -> str:
        """The spelling hls4ml's configuration accepts: ``fixed<8,3,RND_CONV,SAT>``."""
        name = "fixed" if self.signed else "ufixed"
        args = [str(self.width), str(self.integer)]
        if self.rounding != "TRN" or self.overflow != "WRAP":
            args += [self.rounding, self.overflow]
        return f"{name}<{','.join(args)}>"

    @staticmethod
    def parse(text: str) -> FixedType:
        """Parse ``ap_fixed<W,I[,Q[,O]]>``, ``ap_ufixed<...>``, ``ap_int<W>``, ``ap_uint<W>``
        or hls4ml's ``fixed<...>`` / ``ufixed<...>`` / ``int<W>`` / ``uint<W>`` spellings."""
        accepted = "accepted: ap_fixed<W,I[,Q,O]>, ap_ufixed<W,I[,Q,O]>, ap_int<W>, ap_uint<W>"
        match = _TYPE_RE.match(text)
        if not match:
            raise FixedTypeError(f"cannot parse fixed-point type {text!r}; {accepted}")
        unsigned, kind, body = match.groups()
        args = [a.strip() for a in body.split(",")]
        try:
            numbers = [int(a) for a in args[: 1 if kind == "int" else 2]]
        except ValueError:
            raise FixedTypeError(f"cannot parse fixed-point type {text!r}; {accepted}") from None
        if kind == "int":
            if len(args) != 1:
                raise FixedTypeError(f"{text!r}: ap_int takes one argument (the width)")
            return FixedType(not unsigned, numbers[0], numbers[0])
        if len(args) < 2 or len(args) > 5:
            raise FixedTypeError(f"cannot parse fixed-point type {text!r}; {accepted}")
        modes = [a.upper().removeprefix("AP_") for a in args[2:4]]
        rounding = modes[0] if len(modes) > 0 else "TRN"
        overflow = modes[1] if len(modes) > 1 else "WRAP"
        if len(args) == 5 and args[4] != "0":
            raise FixedTypeError(f"{text!r}: saturation bits (the 5th argument) other than 0 are not supported")
        return FixedType(not unsigned, numbers[0], numbers[1], rounding, overflow)

    # ----------------------------------------------------------------- JSON
    def to_json(self) -> str:
        return str(self)

    @staticmethod
    def from_json(data: Any) -> FixedType:
        if not isinstance(data, str):
            raise FixedTypeError(f"a fixed-point type in JSON is a string like 'ap_fixed<8,3>', got {data!r}")
        return FixedType.parse(data)

    # ----------------------------------------------------------------- conversions
    def convert(self, raw: np.ndarray, source: FixedType) -> np.ndarray:
        """Cast raw integers of type ``source`` into this type, as ``ap_fixed`` assignment does."""
        if self.contains(source):  # nothing can round or overflow: only the grid changes
            return as_exact_array(raw, self.width + 2) << (self.frac - source.frac)
        return self.convert_frac(raw, source.frac, source.width)

    def convert_frac(self, raw: np.ndarray, source_frac: int, source_bits: int | None = None) -> np.ndarray:
        """Cast raw integers with ``source_frac`` fractional bits into this type.

        ``source_bits`` bounds the magnitude of ``raw`` (for choosing int64 or Python ints);
        when it is None the bound is read off the data.
        """
        raw = np.asarray(raw)
        if source_bits is None:
            source_bits = bit_length_of(raw)
        shift = source_frac - self.frac
        need_bits = max(source_bits + abs(shift), self.width) + 2
        values = as_exact_array(raw, need_bits)
        if shift > 0:
            values = _round_shift(values, shift, self.rounding)
        elif shift < 0:
            values = values << (-shift)
        return self._handle_overflow(values)

    def convert_ratio(self, numerator: np.ndarray, denominator: np.ndarray, source_frac: int) -> np.ndarray:
        """Cast the exact quotients ``numerator / denominator`` (raw, ``source_frac`` fractional
        bits; denominators positive) into this type with its rounding and overflow modes."""
        numerator = np.asarray(numerator)
        denominator = np.broadcast_to(np.asarray(denominator), numerator.shape)
        shift = self.frac - source_frac
        bits = bit_length_of(numerator) + abs(shift) + bit_length_of(denominator) + 2
        num = as_exact_array(numerator, bits)
        den = as_exact_array(denominator, bits)
        if shift >= 0:
            num = num << shift
        else:
            den = den << (-shift)
        floor = num // den
        twice_rest = 2 * (num - floor * den)  # 0 <= twice_rest < 2 * den
        negative = num < 0
        above, tie = twice_rest > den, twice_rest == den
        up = _rounding_increment(self.rounding, twice_rest != 0, above, tie, negative, floor)
        return self._handle_overflow(_same_kind(floor + up.astype(floor.dtype), floor))

    def _handle_overflow(self, values: np.ndarray) -> np.ndarray:
        lo, hi = self.min_raw, self.max_raw
        if values.size == 0 or (self.lowest_raw <= values.min() and values.max() <= hi):
            return values  # nothing overflows: every mode leaves the values alone
        if self.overflow == "WRAP":
            return _same_kind(((values - lo) & ((1 << self.width) - 1)) + lo, values)
        if self.overflow == "SAT":
            return np.clip(values, lo, hi)
        if self.overflow == "SAT_ZERO":
            return np.where((values > hi) | (values < lo), 0, values).astype(values.dtype)
        return np.clip(values, self.lowest_raw, hi)  # SAT_SYM: -max..max when signed

    def from_float(self, values: Any, what: str = "value", batched: bool = False) -> np.ndarray:
        """Raw integers of exactly representable float values; raises if one is not exact.

        With ``batched`` the first axis counts samples, and the error names the sample.
        """
        array = np.asarray(values, dtype=np.float64)
        scaled = np.ldexp(array, self.frac)
        raw = np.rint(scaled)
        bad = ~np.isfinite(array) | (raw != scaled) | (raw < self.min_raw) | (raw > self.max_raw)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            where = f"{what} at index {list(index)}"
            if batched:
                where = f"sample {index[0]}: {what} at index {list(index[1:])}"
            raise InputDataError(
                f"{where}, {float(array[index])!r}, is not exactly representable in {self} "
                f"(multiples of 2^-{self.frac} from {float(self.min_value)} to {float(self.max_value)})"
            )
        return as_exact_array(raw, self.width)

    def to_float(self, raw: np.ndarray) -> np.ndarray:
        """Float64 values of raw integers; exact while the width is at most 53 bits."""
        raw = np.asarray(raw)
        if self.width > 53:
            raise NotExactError(f"{self} has more bits than a float64 holds exactly")
        return np.ldexp(raw.astype(np.float64), -self.frac)

    def contains(self, other: FixedType) -> bool:
        """True when a cast from ``other`` never rounds or saturates: it only moves the binary point."""
        lowest = Fraction(self.lowest_raw) / Fraction(2) ** self.frac
        return self.frac >= other.frac and self.max_value >= other.max_value and lowest <= other.min_value


def _round_shift(values: np.ndarray, shift: int, rounding: str) -> np.ndarray:
    """Divide by ``2**shift`` with one of the ap_fixed rounding modes."""
    half = 1 << (shift - 1)
    # The common modes as one add and one arithmetic shift (floor division by 2**shift).
    if rounding == "TRN":
        return values >> shift
    if rounding == "RND":
        return (values + half) >> shift
    if rounding == "RND_MIN_INF":
        return (values + (half - 1)) >> shift
    if rounding == "RND_CONV":  # a tie rounds up exactly when the floor is odd
        out = values >> shift
        out &= 1
        out += values
        out += half - 1
        out >>= shift
        return out
    floor = values >> shift
    rest = values - (floor << shift)  # 0 <= rest < 2**shift
    up = _rounding_increment(rounding, rest != 0, rest > half, rest == half, values < 0, floor)
    return _same_kind(floor + up.astype(floor.dtype), floor)


def _rounding_increment(
    rounding: str,
    inexact: np.ndarray,
    above_half: np.ndarray,
    at_half: np.ndarray,
    negative: np.ndarray,
    floor: np.ndarray,
) -> np.ndarray:
    """1 where the floor of a quotient must be rounded up, else 0, for each ap_fixed mode."""
    if rounding == "TRN":  # toward minus infinity
        return np.zeros(np.shape(floor), dtype=bool)
    if rounding == "TRN_ZERO":
        return inexact & negative
    if rounding == "RND":  # nearest, ties toward plus infinity
        return above_half | at_half
    if rounding == "RND_ZERO":  # nearest, ties toward zero
        return above_half | (at_half & negative)
    if rounding == "RND_MIN_INF":  # nearest, ties toward minus infinity
        return above_half
    if rounding == "RND_INF":  # nearest, ties away from zero
        return above_half | (at_half & ~negative)
    if rounding == "RND_CONV":  # nearest, ties to even
        return above_half | (at_half & ((floor & 1) == 1))
    raise AssertionError(rounding)  # pragma: no cover - FixedType validates its modes


def bit_length_of(raw: np.ndarray) -> int:
    """Bits of a signed integer that can hold every element of ``raw``."""
    raw = np.asarray(raw)
    if raw.size == 0:
        return 1
    lo, hi = int(raw.min()), int(raw.max())
    return max(lo.bit_length(), hi.bit_length()) + 1


def as_exact_array(raw: Any, bits: int) -> np.ndarray:
    """An int64 array when ``bits`` fit in it safely, else an object array of Python ints."""
    raw = np.asarray(raw)
    if bits <= INT64_SAFE_BITS:
        return raw.astype(np.int64, copy=False)
    if raw.dtype == object:
        return raw
    return np.array([int(v) for v in raw.ravel()], dtype=object).reshape(raw.shape)


def _same_kind(result: np.ndarray, like: np.ndarray) -> np.ndarray:
    return result.astype(object) if like.dtype == object else result.astype(np.int64)


def type_for_range(lo: int, hi: int, frac: int, rounding: str = "TRN", overflow: str = "WRAP") -> FixedType:
    """The narrowest type with ``frac`` fractional bits holding raw integers ``lo..hi``."""
    signed = lo < 0
    if signed:
        bits = max(1 + (hi.bit_length() if hi > 0 else 0), (-lo - 1).bit_length() + 1, 1)
    else:
        bits = max(hi.bit_length(), 1)
    return FixedType(signed, bits, bits - frac, rounding, overflow)
