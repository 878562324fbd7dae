"""The flow's facts in a few lines: accuracy, bit-exactness and the best board, from the files the steps wrote.

Shared by the flow's closing lines, the report and the IP README; kept apart from :mod:`lepton_hw.flow`
so that the report and the IP, which the flow runs, do not import the flow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def summarize(directory: Path) -> dict[str, Any]:
    """Accuracy, bit-exactness and the best-fitting board, from the files the steps wrote."""

    def read(name: str) -> dict[str, Any] | None:
        path = directory / name
        return json.loads(path.read_text()) if path.is_file() else None

    summary: dict[str, Any] = {}
    metrics = read("metrics.json")
    if metrics:
        summary["accuracy"] = metrics["test"]["accuracy"]
        summary["test_frames"] = metrics["samples"]["test"]
    verify = read("verify.json")
    if verify:
        summary["bit_exact"] = verify["bit_exact"]
        summary["engines"] = verify["engines"]
        summary["samples"] = verify["n"]
        summary["outputs"] = verify["outputs"]
        summary["mismatches"] = verify["mismatches"]
    doc = read("estimate.json")
    if doc:
        best = best_board(doc)
        summary["best_board"] = best
        summary["boards"] = len(doc["boards"])
    return summary


def fact_lines(s: dict[str, Any]) -> list[str]:
    """Accuracy, bit-exactness and the best board of a :func:`summarize` dict, a line each."""
    lines = []
    if "accuracy" in s:
        lines.append(f"accuracy: {s['accuracy']:.2%} on {s['test_frames']} test frames (integer interpreter)")
    if "bit_exact" in s:
        reference, others = s["engines"][0], s["engines"][1:]
        if s["bit_exact"]:
            lines.append(
                f"bit-exact: yes: {', '.join(s['engines'])} agree on all {s['samples']} test frames "
                f"x {s['outputs']} outputs (0 mismatches)"
            )
        else:
            differ = ", ".join(f"{e} {s['mismatches'][e]}" for e in others if s["mismatches"][e])
            lines.append(f"bit-exact: NO: frames that differ from {reference}: {differ} (of {s['samples']})")
    if "boards" in s:
        best = s["best_board"]
        lines.append(f"best board: {board_line(best)}" if best else f"best board: none of {s['boards']} fits")
    return lines


def best_board(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The fitting board with the most frames per second (then the lowest LUT use); None if none fits."""
    fitting = [e for e in doc["boards"] if e["fits"]]
    if not fitting:
        return None
    return max(fitting, key=lambda e: (e["frames_per_s"]["value"] or 0, -(e["resources"]["lut"]["percent"] or 0)))


def board_line(entry: dict[str, Any]) -> str:
    lut = entry["resources"]["lut"]
    fmax = entry["fmax_mhz"]
    fmax_text = (
        f"Fmax {fmax['value']:.1f} MHz ({'measured' if fmax['measured'] else 'modelled'})"
        if fmax["value"] is not None
        else "Fmax unknown"
    )
    latency = entry["frame_latency_us"]["value"]
    latency_text = f"latency {latency:g} µs" if latency is not None else "latency unknown"
    return (
        f"{entry['board']} ({entry['part']}): {lut['value']:,} LUT ({lut['percent']:g}%), {fmax_text}, "
        f"{latency_text} at {entry['clock_mhz']['value']:g} MHz, {entry['frames_per_s']['value']:,} frames/s"
    )
