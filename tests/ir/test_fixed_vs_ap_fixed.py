"""FixedType against the real thing: the ap_fixed headers that ship inside hls4ml, compiled with g++.

Thousands of random raw values of a wide source type are cast to narrower targets with every
rounding and overflow mode; the bits g++ computes must equal FixedType.convert's, exactly.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.ir.fixed import OVERFLOW_MODES, ROUNDING_MODES, FixedType
from lepton_hw.testing.toolchain import ap_types_include_dir

# (source, target) pairs: narrowing in both directions, sign changes, fewer and more
# fractional bits, negative integer bits.
TYPE_PAIRS = [
    (FixedType(True, 20, 8), FixedType(True, 8, 4)),
    (FixedType(True, 20, 8), FixedType(False, 6, 2)),
    (FixedType(False, 16, 6), FixedType(True, 5, 3)),
    (FixedType(True, 18, 2), FixedType(True, 6, -1)),
    (FixedType(True, 12, 6), FixedType(True, 10, 3)),  # more fractional bits: no rounding
    (FixedType(True, 24, 12), FixedType(False, 4, 4)),
    (FixedType(True, 8, 3), FixedType(True, 8, 3)),  # same grid: a cast changes nothing but SAT_SYM's min
    (FixedType(True, 6, 2), FixedType(True, 10, 4)),  # a wider type holds every value
]
SAMPLES_PER_PAIR = 600


def _cpp_type(t: FixedType) -> str:
    return f"ap_{'' if t.signed else 'u'}fixed<{t.width},{t.integer},AP_{t.rounding},AP_{t.overflow}>"


def _program(cases: list[tuple[FixedType, FixedType]]) -> str:
    lines = [
        "#include <cstdio>",
        "#include <cstdint>",
        '#include "ap_fixed.h"',
        "template <typename S, typename D, int SW, int DW> void run(int id) {",
        "  unsigned long long bits;",
        '  while (std::scanf("%llx", &bits) == 1) {',
        "    if (bits == ~0ULL) break;",
        "    S s; s.range(SW - 1, 0) = bits;",
        "    D d = s;",
        '    std::printf("%d %llx\\n", id, (unsigned long long)d.range(DW - 1, 0).to_uint64());',
        "  }",
        "}",
        "int main() {",
    ]
    for i, (src, dst) in enumerate(cases):
        lines.append(f"  run<{_cpp_type(src)}, {_cpp_type(dst)}, {src.width}, {dst.width}>({i});")
    lines += ["  return 0;", "}"]
    return "\n".join(lines)


def _to_signed(bits: int, t: FixedType) -> int:
    if t.signed and bits >= 1 << (t.width - 1):
        return bits - (1 << t.width)
    return bits


@pytest.fixture(scope="module")
def ap_fixed_binary(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[FixedType, FixedType]]]:
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed: cannot compile the ap_fixed reference")
    cases = [
        (src, dst.with_modes(rounding, overflow))
        for (src, dst), rounding, overflow in itertools.product(TYPE_PAIRS, ROUNDING_MODES, OVERFLOW_MODES)
    ]
    work = tmp_path_factory.mktemp("ap_fixed")
    (work / "cast.cpp").write_text(_program(cases))
    subprocess.run(
        ["g++", "-O0", "-std=c++14", "-w", f"-I{ap_types_include_dir()}", "cast.cpp", "-o", "cast"],
        cwd=work,
        check=True,
    )
    return work / "cast", cases


def test_fixed_type_casts_equal_ap_fixed(ap_fixed_binary: tuple[Path, list[tuple[FixedType, FixedType]]]) -> None:
    binary, cases = ap_fixed_binary
    rng = np.random.default_rng(1234)
    stdin_lines, inputs = [], []
    for src, _dst in cases:
        raw = rng.integers(src.min_raw, src.max_raw + 1, size=SAMPLES_PER_PAIR)
        # Make sure the edges and exact ties are in: min, max, zero and +-half steps.
        raw[:6] = [src.min_raw, src.max_raw, 0, 1, -1 if src.signed else 2, src.max_raw - 1]
        inputs.append(raw)
        stdin_lines += [f"{int(v) & ((1 << src.width) - 1):x}" for v in raw] + [f"{(1 << 64) - 1:x}"]
    result = subprocess.run(
        [str(binary)], input="\n".join(stdin_lines) + "\n", capture_output=True, text=True, check=True
    )
    got: dict[int, list[int]] = {i: [] for i in range(len(cases))}
    for line in result.stdout.split("\n"):
        if line:
            case, bits = line.split()
            got[int(case)].append(_to_signed(int(bits, 16), cases[int(case)][1]))
    checked = 0
    for i, ((src, dst), raw) in enumerate(zip(cases, inputs, strict=True)):
        expected = np.array(got[i], dtype=np.int64)
        ours = dst.convert(raw, src)
        assert len(expected) == len(raw), f"case {i}: the C++ program printed {len(expected)} of {len(raw)} values"
        bad = np.flatnonzero(ours != expected)
        assert bad.size == 0, (
            f"{src} -> {dst}: raw {int(raw[bad[0]])} gives {int(ours[bad[0]])}, ap_fixed gives {int(expected[bad[0]])}"
            f" ({bad.size} of {raw.size} differ)"
        )
        checked += raw.size
    assert checked == len(cases) * SAMPLES_PER_PAIR
