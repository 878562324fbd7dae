"""The estimate as a table (terminal and estimate.md) and a utilization chart (utilization.png)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from lepton_hw.fsutil import atomic_write_bytes

COLUMNS = (
    "board", "LUT", "FF", "DSP", "BRAM", "fits", "Fmax MHz", "meets clock", "clock MHz", "latency µs", "frames/s"
)  # fmt: skip


def value_text(fig: dict[str, Any], digits: int = 0) -> str:
    """A figure's value with thousands separators, '-' when unknown (no modelled mark)."""
    value = fig.get("value")
    if value is None:
        return "-"
    if digits == 0 and isinstance(value, float) and not value.is_integer():
        digits = 1  # half block RAMs (RAMB18)
    return f"{value:,.{digits}f}"


def percent_text(fig: dict[str, Any]) -> str:
    """' (30.6%)' for a resource figure, '' when the board has none of it."""
    return f" ({fig['percent']:g}%)" if fig.get("percent") is not None else ""


def _number(fig: dict[str, Any], digits: int = 0) -> str:
    text = value_text(fig, digits)
    return text if text == "-" or fig.get("measured") else text + "*"


def _used(entry: dict[str, Any], resource: str) -> str:
    fig = entry["resources"].get(resource)
    return "-" if fig is None else _number(fig) + percent_text(fig)


def rows(doc: dict[str, Any]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for entry in doc["boards"]:
        out.append(
            (
                entry["board"],
                _used(entry, "lut"),
                _used(entry, "ff"),
                _used(entry, "dsp"),
                _used(entry, "bram"),
                "yes" if entry["fits"] else "NO",
                _number(entry["fmax_mhz"], 1),
                {True: "yes", False: "NO"}.get(entry.get("meets_clock"), "-"),
                _number(entry["clock_mhz"], 1),
                _number(entry["frame_latency_us"], 2),
                _number(entry["frames_per_s"], 0),
            )
        )
        vendor = entry.get("vendor_tool")
        if vendor:  # the vendor's own reports, beside the open tools' figures (estimate --vendor-reports)
            out.append(
                (
                    f"{entry['board']} ({vendor['tool']} {vendor['version']})",
                    _used(vendor, "lut"),
                    _used(vendor, "ff"),
                    _used(vendor, "dsp"),
                    _used(vendor, "bram"),
                    "yes" if vendor["fits"] else "NO",
                    _number(vendor["fmax_mhz"], 1),
                    {True: "yes", False: "NO"}.get(vendor.get("meets_clock"), "-"),
                    "-",
                    "-",
                    "-",
                )
            )
    return out


def format_table(doc: dict[str, Any]) -> str:
    """A plain-text table; numbers marked * are modelled, the others measured by a tool."""
    table = [COLUMNS, *rows(doc)]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def legend(doc: dict[str, Any]) -> list[str]:
    lines = ["* = modelled (not measured by a tool on this design); every other figure is measured."]
    if doc["mode"] == "fast":
        lines.append("Resources from the analytic model (`estimate --fast`): no synthesis ran.")
    else:
        lines.append("Resources: Yosys synthesis per family (" + doc["tools"].get("yosys", "?") + ").")
        lines.append(
            "Fmax: nextpnr place and route for Lattice and Gowin boards where the design fits; "
            "for Xilinx, a logic-depth model of the synthesized netlist (no open place and route for Xilinx)."
        )
    design = doc["design"]
    sim = design.get("simulated") or {}
    if sim:
        lines.append(
            f"Cycles: RTL simulation ({sim.get('simulator')}, {sim.get('frames')} frames): "
            f"{sim.get('cycles_per_frame')} cycles per frame, "
            f"{sim.get('latency_cycles')} cycles from the last pixel to the result."
        )
    pixel = design.get("pixel_clock_mhz")
    if pixel is not None:
        cpp = design.get("clocks_per_pixel", 1)
        lines.append(
            f"clock = the camera's pixel clock {pixel:g} MHz x {cpp} clock(s) per pixel; meets clock: Fmax >= that."
        )
    else:
        lines.append("clock = min(board clock, Fmax) (no pixel clock given: meets clock not judged).")
    lines.append("latency µs = first pixel in to first result beat (pixels + latency cycles) at the clock column.")
    vendors = [e["vendor_tool"] for e in doc["boards"] if e.get("vendor_tool")]
    if vendors:
        v = vendors[0]
        states = v["design_state"]
        lines.append(
            f"Rows '({v['tool']} {v['version']})': {v['tool']}'s own reports of this core on {v['device']} "
            f"(report_utilization: {states['utilization'] or '?'} design; report_timing_summary: "
            f"{states['timing'] or '?'} design, Fmax = 1000 / (period - WNS)), given with --vendor-reports."
        )
    return lines


def schedule_rows(doc: dict[str, Any]) -> list[tuple[str, ...]]:
    """Per weighted layer: implementation, fold, rate, stages, modelled LUTs and their share of each
    board's measured core LUTs."""
    design = doc["design"]
    schedule = design.get("schedule") or {}
    stages = schedule.get("stages", {})
    out: list[tuple[str, ...]] = []
    for name, layer in (schedule.get("layers") or {}).items():
        shares = []
        for entry in doc["boards"]:
            total = entry["resources"].get("lut", {}).get("value")
            if total:
                shares.append(f"{entry['board']} {100 * layer['modelled_cost_luts'] / total:.0f}%*")
        out.append((
            name, layer["impl"], str(layer["fold"]), f"{layer['interval_clocks']} clk", str(layer["multipliers"]),
            str(stages.get(name, "")), f"{layer['modelled_cost_luts']:,}*", ", ".join(shares) or "-",
        ))  # fmt: skip
    return out


SCHEDULE_COLUMNS = ("layer", "impl", "fold", "input every", "multipliers", "stages", "LUT", "share of core LUT")


def markdown(doc: dict[str, Any]) -> str:
    design = doc["design"]
    frame = design.get("frame") or {}
    out = [
        f"# Per-board estimate of {design['rtl']}",
        "",
        f"Core: {frame.get('height')}x{frame.get('width')}x{frame.get('channels')} frames, "
        f"kernel {design.get('kernel')}, "
        f"content hash {design.get('content_hash')}. Mode: {doc['mode']}. Took {doc['seconds']} s.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    out += ["| " + " | ".join(row) + " |" for row in rows(doc)]
    out += ["", *legend(doc)]
    schedule = schedule_rows(doc)
    if schedule:
        sched = design["schedule"]
        out += [
            "",
            "## The schedule (lepton_hw.schedule: each layer sized to its input rate)",
            "",
            f"{sched.get('clocks_per_pixel', 1)} clock(s) per pixel, pipeline {sched.get('pipeline')} adder level(s) "
            f"per stage, {sched.get('pipeline_clocks')} clocks of pipeline in all. LUT = modelled cost of the "
            "layer's multiply (*), and its share of each board's measured core LUTs.",
            "",
            "| " + " | ".join(SCHEDULE_COLUMNS) + " |",
            "|" + "---|" * len(SCHEDULE_COLUMNS),
        ]
        out += ["| " + " | ".join(row) + " |" for row in schedule]
    out += _vendor_markdown(doc)
    out += ["", "## Where each clock figure comes from", ""]
    out += [f"- {e['board']}: Fmax {e['fmax_mhz']['by']}" for e in doc["boards"]]
    for e in doc["boards"]:
        for name, cells in (e.get("packed") or {}).items():
            out.append(
                f"- {e['board']} does not fit: {cells['by']} needs {cells['value']:,} {name} of "
                f"{cells['available']:,} (LUTs and flip-flops share these cells)"
            )
    tools = doc.get("tools") or {}
    if tools:
        out += ["", "## Tools", ""] + [f"- {name}: {version}" for name, version in tools.items()]
    hls = doc.get("hls")
    if hls:
        out += ["", "## HLS side (DIR/hls)", "", f"- part {hls.get('part')}, strategy {hls.get('strategy')}"]
        if "da4ml_cost" in hls:
            out.append(f"- da4ml cost estimate: {hls['da4ml_cost']['value']:g} adders (modelled)")
        if hls.get("vendor"):
            out += [f"- {key}: {fig['value']} (vendor report)" for key, fig in hls["vendor"].items()]
        else:
            out.append(f"- vendor figures: {hls.get('vendor_note')}")
    return "\n".join(out) + "\n"


def _vendor_markdown(doc: dict[str, Any]) -> list[str]:
    """Per board with vendor reports: each figure of the open tools beside the vendor's."""
    out: list[str] = []
    for entry in doc["boards"]:
        vendor = entry.get("vendor_tool")
        if not vendor:
            continue
        tool = f"{vendor['tool']} {vendor['version']}"
        out += [
            "",
            f"## {entry['board']}: the open tools beside {tool} ({vendor['device']})",
            "",
            f"| figure | lepton_hw (Yosys / nextpnr / model) | {tool} |",
            "|---|---|---|",
        ]
        for key, label in (("lut", "LUT"), ("ff", "FF"), ("dsp", "DSP"), ("bram", "BRAM"), ("uram", "URAM")):
            if key in entry["resources"] or key in vendor["resources"]:
                out.append(f"| {label} | {_used(entry, key)} | {_used(vendor, key)} |")
        out += [
            f"| Fmax MHz | {_number(entry['fmax_mhz'], 1)} | {_number(vendor['fmax_mhz'], 1)} |",
            f"| WNS ns (clock {vendor['clock']}, period {vendor['clock_period_ns']['value']:g} ns) | - | "
            f"{_number(vendor['wns_ns'], 3)} |",
            "",
            f"- {tool}: resources by {vendor['resources']['lut']['by']}; Fmax by {vendor['fmax_mhz']['by']}.",
            f"- Reports: {vendor['reports']['utilization']}, {vendor['reports']['timing']}.",
        ]
    return out


def utilization_png(doc: dict[str, Any], path: Path) -> None:
    """A bar chart: LUT, FF, DSP and BRAM utilization (%) per board, 100% marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    entries = doc["boards"]
    resources = ("lut", "ff", "dsp", "bram")
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(entries) + 2), 4.2), dpi=110)
    width = 0.8 / len(resources)
    for i, resource in enumerate(resources):
        values = [min((e["resources"].get(resource, {}).get("percent") or 0.0), 400.0) for e in entries]
        xs = [k + (i - 1.5) * width for k in range(len(entries))]
        ax.bar(xs, values, width, label=resource.upper())
    ax.axhline(100, color="black", linewidth=1, linestyle="--")
    ax.set_xticks(range(len(entries)))
    ax.set_xticklabels([e["board"] + ("" if e["fits"] else "\n(no fit)") for e in entries], rotation=30, ha="right")
    ax.set_ylabel("utilization % (bars stop at 400)")
    mode = "analytic model" if doc["mode"] == "fast" else "Yosys synthesis"
    ax.set_title(f"Utilization per board ({mode})")
    ax.legend(ncol=4, fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
