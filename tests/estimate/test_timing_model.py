"""The logic-depth Fmax model (lepton_hw.estimate.timing) on small hand-written Yosys netlists: no synthesis."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from lepton_hw.estimate.timing import DELAYS, MODEL, estimate_fmax, path_timing

ECP5 = DELAYS["ecp5"]


def cell(kind: str, ports: Mapping[str, tuple[str, Sequence[int | str]]], **parameters: str) -> dict:
    return {
        "type": kind,
        "parameters": parameters,
        "port_directions": {port: direction for port, (direction, _) in ports.items()},
        "connections": {port: bits for port, (_, bits) in ports.items()},
    }


def ff(d: int, q: int) -> dict:
    return cell("TRELLIS_FF", {"CLK": ("input", [1]), "DI": ("input", [d]), "Q": ("output", [q])})


def lut4(inputs: list[int], z: int) -> dict:
    ports = {name: ("input", [bit]) for name, bit in zip("ABCD", inputs, strict=False)}
    return cell("LUT4", {**ports, "Z": ("output", [z])})


def ccu2c(a0: int, cin: int | str, s0: int, cout: int) -> dict:
    return cell(
        "CCU2C",
        {"A0": ("input", [a0]), "CIN": ("input", [cin]), "S0": ("output", [s0]), "COUT": ("output", [cout])},
    )


def module(*cells: dict) -> dict:
    return {"cells": {f"c{i}": c for i, c in enumerate(cells)}}


def period(m: dict, family: str = "ecp5") -> float:
    return path_timing(m, DELAYS[family]).period_ns


def test_ecp5_delays_are_the_family_set(tmp_path: Path) -> None:
    # register -> LUT4 -> LUT4 -> register
    m = module(ff(12, 10), lut4([10], 11), lut4([11], 13), ff(13, 14))
    path = tmp_path / "netlist.json"
    path.write_text(json.dumps({"modules": {"lepton_core": m}}))
    timing = estimate_fmax(path, "lepton_core", "ecp5")
    d = ECP5
    expected = d.clk_to_q + 2 * (d.lut + d.net) + d.net + d.setup
    assert timing.period_ns == pytest.approx(expected, abs=1e-3)
    assert timing.fmax_mhz == round(1000 / expected, 1)
    assert timing.logic_levels == 2
    assert estimate_fmax(path, "lepton_core", "xc7").period_ns != timing.period_ns


def test_leaving_a_carry_chain_costs_carry_out() -> None:
    # register -> CCU2C (data in) -> CCU2C (carry in) -> its sum into a LUT4 -> register
    m = module(ff(30, 10), ccu2c(10, "0", 20, 11), ccu2c(21, 11, 12, 22), lut4([12], 13), ff(13, 14))
    d = ECP5
    expected = d.clk_to_q + (d.carry + d.net) + d.carry_in + d.carry_out + (d.lut + d.net) + d.net + d.setup
    assert period(m) == pytest.approx(expected, abs=1e-3)
    # without carry_out (Xilinx: 0) the chain costs carry_in only
    assert DELAYS["xc7"].carry_out == 0.0


def test_a_block_ram_read_starts_late() -> None:
    ram = cell("DP16KD", {"CLKB": ("input", [1]), "ADB0": ("input", [5]), "DOB0": ("output", [10])})
    read = ECP5.ram_clk_to_q
    assert read is not None and read > ECP5.clk_to_q
    straight = module(ram, ff(10, 11))
    assert period(straight) == pytest.approx(read + ECP5.net + ECP5.setup, abs=1e-3)
    through_lut = module(ram, lut4([10], 12), ff(12, 13))
    assert period(through_lut) == pytest.approx(read + ECP5.lut + 2 * ECP5.net + ECP5.setup, abs=1e-3)


def test_lut_ram_write_ports_are_not_read_through() -> None:
    ports = {
        "WAD": ("input", [20]),
        "DI": ("input", [21]),
        "WRE": ("input", [22]),
        "WCK": ("input", [1]),
        "RAD": ("input", [10]),
        "DO": ("output", [11]),
    }
    ram = cell("TRELLIS_DPR16X4", ports)
    deep_write = [lut4([30 + i], 31 + i) for i in range(5)] + [lut4([35], 21)]  # a long path into DI only
    m = module(ff(9, 10), ram, ff(11, 12), ff(40, 30), *deep_write)
    d = ECP5
    # the longest path ends at the RAM's data input (6 LUTs), not through it to the register behind it
    assert period(m) == pytest.approx(d.clk_to_q + 6 * (d.lut + d.net) + d.net + d.setup, abs=1e-3)


def test_registered_ecp5_multiplier_is_a_register() -> None:
    mult = {"A0": ("input", [10]), "P0": ("output", [11])}
    combinational = module(ff(9, 10), cell("MULT18X18D", mult), ff(11, 12))
    registered = module(ff(9, 10), cell("MULT18X18D", mult, REG_OUTPUT_CLK="CLK0"), ff(11, 12))
    assert period(combinational) == pytest.approx(ECP5.clk_to_q + ECP5.dsp + 2 * ECP5.net + ECP5.setup, abs=1e-3)
    assert period(registered) == pytest.approx(ECP5.clk_to_q + ECP5.net + ECP5.setup, abs=1e-3)


def test_the_model_text_carries_the_ecp5_check() -> None:
    assert "ECP5" in MODEL and "nextpnr" in MODEL and "%" in MODEL
