"""emit_cast (every rounding and overflow mode) against FixedType.convert, in Icarus, on random values."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.rtl.emit import Module, emit_cast
from lepton_hw.ir.fixed import OVERFLOW_MODES, ROUNDING_MODES, FixedType

pytestmark = pytest.mark.rtl

# (source width, source fractional bits) -> destination types: drops bits, adds bits, same grid
SOURCES = [(13, 6), (9, 0), (21, 14), (6, 2)]
DESTINATIONS = [
    "ap_fixed<5,2>",
    "ap_ufixed<4,2>",
    "ap_fixed<12,4>",
    "ap_ufixed<3,2>",
    "ap_fixed<8,8>",
    "ap_ufixed<9,3>",
]
N_VALUES = 400


def run_casts(tmp_path: Path, src_width: int, src_frac: int, dsts: list[FixedType], values: np.ndarray) -> np.ndarray:
    m = Module()
    outputs = [emit_cast(m, f"c{i}", "x", src_width, src_frac, t) for i, t in enumerate(dsts)]
    body = "\n".join(m.lines)
    prints = " ".join("%0d" for _ in outputs)
    signed_outs = ", ".join(
        f"$signed({{{'1' if t.signed else '2'}'b0, {o}}})" if not t.signed else f"$signed({o})"
        for o, t in zip(outputs, dsts, strict=True)
    )
    signed_outs = ", ".join(
        (f"$signed({o})" if t.signed else f"$signed({{1'b0, {o}}})") for o, t in zip(outputs, dsts, strict=True)
    )
    mask = (1 << src_width) - 1
    (tmp_path / "values.hex").write_text("\n".join(f"{int(v) & mask:x}" for v in values) + "\n")
    (tmp_path / "tb.v").write_text(f"""
module tb;
    reg signed [{src_width - 1}:0] mem [0:{len(values) - 1}];
    reg signed [{src_width - 1}:0] x;
{body}
    integer i, f;
    initial begin
        $readmemh("values.hex", mem);
        f = $fopen("out.txt", "w");
        for (i = 0; i < {len(values)}; i = i + 1) begin
            x = mem[i];
            #1 $fdisplay(f, "{prints}", {signed_outs});
        end
        $fclose(f);
        $finish;
    end
endmodule
""")
    subprocess.run(["iverilog", "-g2005", "-o", "tb.vvp", "tb.v"], cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(["vvp", "tb.vvp"], cwd=tmp_path, check=True, capture_output=True)
    rows = [list(map(int, line.split())) for line in (tmp_path / "out.txt").read_text().splitlines()]
    return np.array(rows, dtype=np.int64)


@pytest.mark.parametrize("src", SOURCES, ids=lambda s: f"w{s[0]}f{s[1]}")
def test_cast_equals_fixedtype_convert(src: tuple[int, int], tmp_path: Path) -> None:
    if shutil.which("iverilog") is None:
        pytest.skip("Icarus Verilog (iverilog) is not installed; scripts/install.sh installs it")
    src_width, src_frac = src
    rng = np.random.default_rng(src_width)
    lo, hi = -(1 << (src_width - 1)), (1 << (src_width - 1)) - 1
    values = np.concatenate([[lo, hi, 0, -1, 1], rng.integers(lo, hi + 1, size=N_VALUES)])
    dsts = [
        FixedType.parse(text).with_modes(rounding, overflow)
        for text in DESTINATIONS
        for rounding in ROUNDING_MODES
        for overflow in OVERFLOW_MODES
    ]
    got = run_casts(tmp_path, src_width, src_frac, dsts, values)
    for i, t in enumerate(dsts):
        expected = t.convert_frac(values, src_frac, src_width)
        bad = np.flatnonzero(got[:, i] != expected)
        assert bad.size == 0, (
            f"{t} from {src_width} bits ({src_frac} frac): value {values[bad[0]]} -> {got[bad[0], i]}, "
            f"expected {expected[bad[0]]}"
        )
