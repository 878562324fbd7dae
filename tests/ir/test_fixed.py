"""FixedType: parsing, printing, ranges, and the rounding/overflow rules from their definitions."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from lepton_hw.errors import FixedTypeError, InputDataError
from lepton_hw.ir.fixed import OVERFLOW_MODES, ROUNDING_MODES, FixedType, type_for_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ap_ufixed<8,0>", FixedType(False, 8, 0)),
        ("ap_fixed<6,2,AP_RND_CONV,AP_SAT>", FixedType(True, 6, 2, "RND_CONV", "SAT")),
        ("fixed<16,6>", FixedType(True, 16, 6)),
        ("ufixed<4,-1,RND,SAT_SYM>", FixedType(False, 4, -1, "RND", "SAT_SYM")),
        ("ap_int<5>", FixedType(True, 5, 5)),
        ("ap_uint<3>", FixedType(False, 3, 3)),
        (" ap_fixed< 8 , 3 , AP_TRN_ZERO > ", FixedType(True, 8, 3, "TRN_ZERO", "WRAP")),
    ],
)
def test_parse(text: str, expected: FixedType) -> None:
    assert FixedType.parse(text) == expected


@pytest.mark.parametrize(
    "t",
    [FixedType(False, 8, 0), FixedType(True, 12, -3, "RND_INF", "SAT_ZERO"), FixedType(True, 1, 1)],
)
def test_text_round_trip(t: FixedType) -> None:
    assert FixedType.parse(str(t)) == t
    assert FixedType.parse(t.hls4ml_str()) == t


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("ap_fixed<8>", "cannot parse fixed-point type 'ap_fixed<8>'"),
        ("fixed<a,b>", "cannot parse fixed-point type 'fixed<a,b>'"),
        ("ap_fixed<8,3,AP_FOO>", "unknown rounding mode 'FOO'"),
        ("float", "cannot parse fixed-point type 'float'"),
        ("ap_fixed<0,0>", "width must be a positive integer, got 0"),
        ("ap_fixed<8,3,RND,SAT,2>", "saturation bits"),
    ],
)
def test_parse_errors_name_the_bad_part(text: str, needle: str) -> None:
    with pytest.raises(FixedTypeError) as err:
        FixedType.parse(text)
    assert needle in str(err.value)


def test_ranges() -> None:
    t = FixedType(True, 6, 2)
    assert (t.min_raw, t.max_raw, t.frac) == (-32, 31, 4)
    assert (t.min_value, t.max_value) == (Fraction(-2), Fraction(31, 16))
    u = FixedType(False, 8, 0)
    assert (u.min_raw, u.max_raw, u.max_value) == (0, 255, Fraction(255, 256))


def _reference_cast(value: Fraction, t: FixedType) -> int:
    """A cast written from the definitions, on exact fractions (independent of the implementation)."""
    scaled = value * 2**t.frac
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    tie = rest == Fraction(1, 2)
    rules = {
        "TRN": False,
        "TRN_ZERO": rest != 0 and value < 0,
        "RND": rest >= Fraction(1, 2),
        "RND_ZERO": rest > Fraction(1, 2) or (tie and value < 0),
        "RND_MIN_INF": rest > Fraction(1, 2),
        "RND_INF": rest > Fraction(1, 2) or (tie and value > 0),
        "RND_CONV": rest > Fraction(1, 2) or (tie and floor % 2 == 1),
    }
    n = floor + int(rules[t.rounding])
    lo, hi = t.min_raw, t.max_raw
    if t.overflow == "WRAP":
        n = (n - lo) % (1 << t.width) + lo
    elif t.overflow == "SAT":
        n = min(max(n, lo), hi)
    elif t.overflow == "SAT_ZERO":
        n = n if lo <= n <= hi else 0
    else:
        n = min(max(n, -hi if t.signed else lo), hi)
    return n


@pytest.mark.parametrize("rounding", ROUNDING_MODES)
@pytest.mark.parametrize("overflow", OVERFLOW_MODES)
def test_convert_matches_definitions(rounding: str, overflow: str) -> None:
    source = FixedType(True, 14, 6)
    target = FixedType(True, 5, 2, rounding, overflow)
    raw = np.arange(source.min_raw, source.max_raw + 1, 7)
    ours = target.convert(raw, source)
    expected = [_reference_cast(Fraction(int(r), 2**source.frac), target) for r in raw]
    assert ours.tolist() == expected


@pytest.mark.parametrize("rounding", ROUNDING_MODES)
def test_convert_ratio_matches_definitions(rounding: str) -> None:
    target = FixedType(True, 10, 4, rounding, "SAT")
    num = np.arange(-700, 700, 3)
    for den in (1, 2, 3, 4, 6, 9):
        ours = target.convert_ratio(num, np.full(num.shape, den), 5)
        expected = [_reference_cast(Fraction(int(n), den * 2**5), target) for n in num]
        assert ours.tolist() == expected, f"denominator {den}"


def test_ties_round_as_named() -> None:
    source = FixedType(True, 8, 6)  # two fractional bits: 2.5 is raw 10, -2.5 raw -10
    raw = np.array([10, -10, 14, -14])  # 2.5, -2.5, 3.5, -3.5
    expect = {
        "RND_CONV": [2, -2, 4, -4],
        "RND": [3, -2, 4, -3],
        "RND_ZERO": [2, -2, 3, -3],
        "RND_INF": [3, -3, 4, -4],
        "RND_MIN_INF": [2, -3, 3, -4],
        "TRN": [2, -3, 3, -4],
        "TRN_ZERO": [2, -2, 3, -3],
    }
    for mode, values in expect.items():
        assert FixedType(True, 8, 8, mode, "WRAP").convert(raw, source).tolist() == values, mode


def test_wide_values_use_python_integers_exactly() -> None:
    source = FixedType(True, 90, 40)
    target = FixedType(True, 70, 40, "RND_CONV", "SAT")
    raw = np.array([(1 << 88) + 12345, -(1 << 87) - 3, 5], dtype=object)
    out = target.convert(raw, source)
    assert out.tolist() == [_reference_cast(Fraction(int(r), 2**50), target) for r in raw]


def test_from_float_is_exact_or_refuses() -> None:
    t = FixedType(False, 8, 0)
    assert t.from_float([0.0, 1 / 256, 255 / 256]).tolist() == [0, 1, 255]
    with pytest.raises(InputDataError, match=r"0\.3.*not exactly representable in ap_ufixed<8,0>"):
        t.from_float([0.0, 0.3])
    with pytest.raises(InputDataError, match=r"1\.0"):
        t.from_float([1.0])


def test_type_for_range() -> None:
    assert type_for_range(0, 255, 8) == FixedType(False, 8, 0)
    assert type_for_range(-128, 127, 3) == FixedType(True, 8, 5)
    assert type_for_range(-129, 5, 0) == FixedType(True, 9, 9)
    assert type_for_range(0, 0, 2) == FixedType(False, 1, -1)


@pytest.mark.parametrize("rounding", ROUNDING_MODES)
def test_huge_shifts_are_exact(rounding: str) -> None:
    """A shift of 68 bits is beyond int64: the cast must still round exactly (to 0 or -1 here)."""
    source = FixedType(True, 8, -60)  # raw -5 is -5 * 2**-68
    target = FixedType(True, 8, 8, rounding, "WRAP")
    expected = _reference_cast(Fraction(-5, 2**68), target)
    assert target.convert(np.array([-5]), source).tolist() == [expected]
