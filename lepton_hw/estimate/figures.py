"""The figures of estimate.json: one board's entry from its resource use and Fmax figure.

Every number is a :func:`figure`: its value, whether a tool measured it on this design, and by what.
Shared by the synthesis path (:mod:`.runner`) and the analytic model (:mod:`.fast`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lepton_hw.boards import Board
from lepton_hw.estimate.cells import RESOURCES, Usage


def figure(value: float | None, measured: bool, by: str) -> dict[str, Any]:
    """One number of the estimate, with where it comes from."""
    return {"value": value, "measured": measured, "by": by}


@dataclass(frozen=True)
class Design:
    """What the estimate needs to know about DIR: the RTL and its simulated timing."""

    directory: Path
    rtl_dir: Path
    core: dict[str, Any]
    sim_report: dict[str, Any] | None

    @property
    def pixels_per_frame(self) -> int:
        tiling = self.core.get("tiling")  # a tiled core takes the camera's whole frame
        if tiling:
            return int(tiling["max_width"] * tiling["max_height"])
        frame = self.core["frame"]
        return int(frame["height"] * frame["width"])


def resource_table(board: Board, usage: Usage, by: str, measured: bool) -> tuple[dict[str, Any], bool]:
    """Each resource's use against the board's (value, available, percent), and whether all of them fit."""
    available = {
        "lut": board.resources.lut,
        "ff": board.resources.ff,
        "dsp": board.resources.dsp,
        "bram": board.resources.bram.count,
        "uram": board.resources.uram.count if board.resources.uram else 0,
        "spram": board.resources.spram.count if board.resources.spram else 0,
        "lram": board.resources.lram.count if board.resources.lram else 0,
    }
    table: dict[str, Any] = {}
    fits = True
    for resource in RESOURCES:
        used = getattr(usage, resource)  # an int where the count is whole
        if resource in ("uram", "spram", "lram") and not available[resource] and not used:
            continue
        percent = round(100.0 * used / available[resource], 1) if available[resource] else (0.0 if not used else None)
        fits = fits and used <= available[resource]
        table[resource] = {**figure(used, measured, by), "available": available[resource], "percent": percent}
    return table, fits


def _throughput(design: Design, clock_mhz: float, clock_by: str, measured_clock: bool) -> dict[str, Any]:
    report = design.sim_report or {}
    pixels = design.pixels_per_frame
    if "cycles_per_frame" in report:
        cycles = int(report["cycles_per_frame"])
        cycles_by = f"RTL simulation ({report.get('simulator', '?')}, {report.get('frames', '?')} frames)"
        cycles_measured = True
    else:
        cycles = max(pixels, int(design.core.get("packet_beats", 0)))
        cycles_by = "model: one pixel per clock (no rtl/sim_report.json)"
        cycles_measured = False
    latency = report.get("latency_cycles")
    f_hz = clock_mhz * 1e6
    frame_us = (pixels + latency) / clock_mhz if latency is not None else None
    both = cycles_measured and measured_clock
    by = f"{cycles_by}; clock: {clock_by}"
    return {
        "cycles_per_frame": figure(cycles, cycles_measured, cycles_by),
        "latency_cycles": figure(latency, latency is not None, cycles_by if latency is not None else "not simulated"),
        "latency_us": figure(round(latency / clock_mhz, 4) if latency is not None else None, both, by),
        "frame_latency_us": figure(round(frame_us, 2) if frame_us is not None else None, both, by),
        "frames_per_s": figure(round(f_hz / cycles), both, by),
        "pixels_per_s": figure(round(f_hz * pixels / cycles), both, by),
    }


def core_clock_mhz(core: dict[str, Any]) -> float | None:
    """The clock a camera drives the core at (core.json's pixel clock x clocks per pixel), if known."""
    pixel = core.get("pixel_clock_mhz")
    return None if pixel is None else round(float(pixel) * int(core.get("clocks_per_pixel", 1)), 4)


def board_entry(
    design: Design, board: Board, usage: Usage, usage_by: str, usage_measured: bool, fmax: dict[str, Any]
) -> dict[str, Any]:
    """One board's entry of estimate.json: resources and fit, Fmax, the clock used, latency and frame rate."""
    resources, fits = resource_table(board, usage, usage_by, usage_measured)
    # min(board clock, Fmax) is only as good as the Fmax figure it compared against
    clock_measured = bool(fmax["measured"])
    required = core_clock_mhz(design.core)
    meets = None if required is None or fmax["value"] is None else bool(fmax["value"] >= required)
    if required is not None:  # the camera sets the clock: pixel clock x clocks per pixel
        cpp = int(design.core.get("clocks_per_pixel", 1))
        clock, clock_by = (
            required,
            f"the camera's pixel clock {design.core['pixel_clock_mhz']:g} MHz x {cpp} clock(s) per pixel",
        )
        clock_measured = True
    elif fmax["value"] is None:
        clock, clock_by = board.clock_mhz, f"board clock of {board.id}.yaml; Fmax unknown"
    elif fmax["value"] < board.clock_mhz:
        clock, clock_by = float(fmax["value"]), f"Fmax, below the board clock {board.clock_mhz:g} MHz"
    else:
        clock, clock_by = board.clock_mhz, f"board clock of {board.id}.yaml, below Fmax {fmax['value']:g} MHz"
    entry = {
        "board": board.id,
        "name": board.name,
        "vendor": board.vendor,
        "family": board.family,
        "part": board.part,
        "resources": resources,
        "fits": fits,
        "fmax_mhz": fmax,
        "board_clock_mhz": board.clock_mhz,
        "required_clock_mhz": required,
        "meets_clock": meets,  # Fmax >= pixel clock x clocks per pixel (None: no pixel clock, or Fmax unknown)
        "clock_mhz": figure(round(clock, 2), clock_measured, clock_by),
        **_throughput(design, clock, clock_by, clock_measured),
    }
    if usage.unknown:
        entry["unknown_cells"] = usage.unknown
    return entry
