"""Vivado's own reports read back: ``lepton-hw estimate DIR --vendor-reports PATH``.

The IP folder's ``vivado/synth.tcl`` (:mod:`lepton_hw.vivado`) writes ``utilization.rpt``
(``report_utilization``) and ``timing.rpt`` (``report_timing_summary``). :func:`read_vendor_reports`
reads them, as Vivado prints them (a header block of ``| Key : value`` lines between dashed rules,
tables with ``+---+`` borders):

- utilization: LUTs (``Slice LUTs`` on 7-series, ``CLB LUTs`` on UltraScale and UltraScale+),
  flip-flops (``Register as Flip Flop``, else ``Slice/CLB Registers``), ``DSPs``, block RAM as Vivado
  counts it (``Block RAM Tile``: a RAMB36 is one, a RAMB18 half; from ``RAMB36/FIFO`` and ``RAMB18``
  where the tile row is missing) and ``URAM``;
- timing: the clock's period from the ``Clock Summary`` table, its worst negative slack (the
  ``Intra Clock Table`` row, else the ``Design Timing Summary``), and Fmax = 1000 / (period - WNS) MHz;
- both: the Vivado version (``Tool Version : Vivado v.2023.2 ...``), the device (``Device :
  xc7z020clg400-1``; older versions print ``7z020clg400-1``) and the design state.

:func:`add_vendor_reports` puts the figures into estimate.json beside the open tools' ones, as a
``vendor_tool`` block of the board whose part is the reports' device, every number marked as
measured by Vivado with its version. A file that is missing or not in Vivado's format is an
:class:`~lepton_hw.errors.InputDataError` naming the file and what was expected.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lepton_hw.boards import Board
from lepton_hw.errors import BoardError, InputDataError
from lepton_hw.estimate.cells import Usage
from lepton_hw.estimate.figures import core_clock_mhz, figure, resource_table

log = logging.getLogger(__name__)

UTILIZATION, TIMING = "utilization.rpt", "timing.rpt"
MAX_REPORT_BYTES = 256 << 20  # a report of one core is kilobytes; refuse what would not be one (untrusted input)
_COMMANDS = {"utilization": "report_utilization", "timing": "report_timing_summary"}
_HOW = "written by the IP folder's vivado/synth.tcl"
_HEADER_LINE = re.compile(r"^\|\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$")
_VERSION = re.compile(r"Vivado\s+v\.?(\d{4}\.\d+(?:\.\d+)?)")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_CLOCK_ROW = re.compile(r"^\s*(\S+)\s+\{([^}]*)\}\s+(\S+)\s+(\S+)\s*$")


# ----------------------------------------------------------------------------- finding the two files
def read_vendor_reports(path: Path | str | Sequence[Path | str]) -> dict[str, Any]:
    """The figures of a folder holding ``utilization.rpt`` and ``timing.rpt`` (or of the two files).

    In a folder without those names, the ``.rpt`` files are told apart by the command in their
    header (a Vivado project's ``<top>_utilization_synth.rpt`` and ``<top>_timing_summary_routed.rpt``).
    """
    files = _report_files(path)
    utilization = parse_utilization(_read(files["utilization"], "utilization"), files["utilization"])
    timing = parse_timing(_read(files["timing"], "timing"), files["timing"])
    device = utilization["device"]
    if not _part_key(device).startswith(_part_key(timing["device"])):
        raise InputDataError(
            f"{files['utilization']} is a report of device {device} but {files['timing']} of {timing['device']}; "
            "give the two reports of one run of synth.tcl"
        )
    log.info("vivado reports: %s, Vivado %s, %s", device, utilization["version"], utilization["design_state"])
    return {
        "tool": "Vivado",
        "version": utilization["version"],
        "device": device,
        "design": utilization["design"],
        "utilization": utilization,
        "timing": timing,
    }


def _report_files(path: Path | str | Sequence[Path | str]) -> dict[str, Path]:
    paths = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
    for p in paths:
        if not p.exists():
            raise InputDataError(f"{p} does not exist; expected a folder holding {UTILIZATION} and {TIMING} ({_HOW})")
    if len(paths) == 1 and paths[0].is_dir():
        folder = paths[0]
        found = {"utilization": folder / UTILIZATION, "timing": folder / TIMING}
        found = {kind: p for kind, p in found.items() if p.is_file()}
        if len(found) < 2:  # a Vivado project's reports: told apart by the command that wrote them
            for candidate in sorted(folder.glob("*.rpt")):
                kind = _kind(candidate)
                if kind is not None and kind not in found:
                    found[kind] = candidate
        for kind, name in (("utilization", UTILIZATION), ("timing", TIMING)):
            if kind not in found:
                raise InputDataError(
                    f"{folder} holds no {name} (no .rpt file in it was written by {_COMMANDS[kind]}); "
                    f"expected the reports {_HOW}: {UTILIZATION} and {TIMING}"
                )
        return found
    if len(paths) != 2 or not all(p.is_file() for p in paths):
        shown = ", ".join(str(p) for p in paths)
        raise InputDataError(
            f"--vendor-reports {shown}: give a folder holding {UTILIZATION} and {TIMING}, or those two files "
            "separated by a comma"
        )
    kinds = {p: _kind(p) for p in paths}
    found = {kind: p for p, kind in kinds.items() if kind is not None}
    if len(found) != 2:
        for p, kind in kinds.items():
            if kind is None:
                raise InputDataError(_not_vivado(p, "the output of report_utilization or report_timing_summary"))
        raise InputDataError(
            f"{paths[0]} and {paths[1]} are reports of one command; "
            "give one of report_utilization and one of report_timing_summary"
        )
    return found


def _kind(path: Path) -> str | None:
    """``utilization`` or ``timing`` by the header's command, None for a file that is neither."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = fh.read(4000)
    except OSError:
        return None
    command = _header(head).get("Command", "").split()
    for kind, name in _COMMANDS.items():
        if command[:1] == [name]:
            return kind
    return None


def _read(path: Path, kind: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise InputDataError(
                f"{path} is {size / 2**20:.0f} MiB, more than the {MAX_REPORT_BYTES >> 20} MiB a report of one core "
                f"takes; expected the output of {_COMMANDS[kind]} ({_HOW})"
            )
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise InputDataError(f"{path} cannot be read ({err}); expected the output of {_COMMANDS[kind]}") from None


def _not_vivado(path: Path, expected: str) -> str:
    return (
        f"{path} is not a Vivado report: it has no header with '| Tool Version : Vivado v.<year>.<n>' and "
        f"'| Command : ...' lines; expected {expected} ({_HOW})"
    )


# ----------------------------------------------------------------------------- the header block
def _header(text: str) -> dict[str, str]:
    """The ``| Key : value`` lines of the header block (the lines before the first table)."""
    fields: dict[str, str] = {}
    for line in text.splitlines()[:40]:
        found = _HEADER_LINE.match(line)
        if found and found.group(1) not in fields:
            fields[found.group(1)] = found.group(2)
    return fields


def _common(text: str, path: Path, kind: str) -> dict[str, Any]:
    """Version, device, design and design state of a report; an error unless ``kind``'s command wrote it."""
    expected = f"the output of {_COMMANDS[kind]}"
    header = _header(text)
    version = _VERSION.search(header.get("Tool Version", ""))
    if version is None or "Command" not in header:
        raise InputDataError(_not_vivado(path, expected))
    command = header["Command"].split()
    if command[:1] != [_COMMANDS[kind]]:
        raise InputDataError(f"{path} was written by `{header['Command']}`; expected {expected} ({_HOW})")
    if "Device" not in header or not header["Device"]:
        raise InputDataError(f"{path} has no '| Device : <part>' header line; expected {expected} ({_HOW})")
    return {
        "file": str(path),
        "version": version.group(1),
        "command": header["Command"],
        "design": header.get("Design"),
        "device": header["Device"],
        "design_state": header.get("Design State"),
    }


def _part_key(part: str) -> str:
    """A part for comparison: lower case, no 'xc' prefix, no dashes (xc7z020clg400-1 -> 7z020clg4001)."""
    key = part.strip().lower()
    return key.removeprefix("xc").replace("-", "")


def _number(text: str) -> float | None:
    text = text.strip().replace(",", "")
    return float(text) if _NUMBER.match(text) else None


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


# ----------------------------------------------------------------------------- report_utilization
def _table_rows(text: str) -> dict[str, dict[str, str]]:
    """Every ``| Site Type | Used | ... |`` row by its site type (asterisks and indent dropped; first wins)."""
    rows: dict[str, dict[str, str]] = {}
    columns: list[str] = []
    header_next = False
    previous = ""
    for line in text.splitlines():
        line = line.rstrip()
        if line.startswith("+-"):
            header_next = header_next or not previous.startswith(("|", "+"))  # a table's top border
        elif line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if header_next:  # the header row: only the Site Type tables are read
                columns = cells if cells[0] == "Site Type" else []
                header_next = False
            elif columns and len(cells) == len(columns):
                name = cells[0].rstrip("*").strip()
                rows.setdefault(name, dict(zip(columns, cells, strict=True)))
        previous = line
    return rows


def parse_utilization(text: str, path: Path | str = UTILIZATION) -> dict[str, Any]:
    """LUT, FF, DSP, block RAM (and URAM) of a ``report_utilization`` report, 7-series or UltraScale(+)."""
    path = Path(path)
    out = _common(text, path, "utilization")
    if "-hierarchical" in out["command"].split():
        raise InputDataError(
            f"{path} is a hierarchical utilization report; expected the flat one: report_utilization -file {path.name}"
        )
    rows = _table_rows(text)

    def used(*names: str) -> tuple[float, str] | None:
        for name in names:
            if name in rows:
                value = _number(rows[name].get("Used", ""))
                if value is None:
                    raise InputDataError(f"{path}: the {name} row has no number in its Used column")
                return value, name
        return None

    def available(name: str) -> float | None:
        return _number(rows[name].get("Available", "")) if name in rows else None

    lut = used("Slice LUTs", "CLB LUTs")
    ff = used("Register as Flip Flop", "Slice Registers", "CLB Registers")
    dsp = used("DSPs")
    missing = [what for what, found in (("Slice LUTs or CLB LUTs", lut), ("Slice/CLB Registers", ff),
                                        ("DSPs", dsp)) if found is None]  # fmt: skip
    if lut is None or ff is None or dsp is None:
        raise InputDataError(
            f"{path} has no {', no '.join(missing)} row; expected the tables of report_utilization "
            "(| Site Type | Used | ... | Available | Util% |) as Vivado prints them"
        )
    ramb36 = used("RAMB36/FIFO")
    ramb18 = used("RAMB18")
    tile = used("Block RAM Tile")
    if tile is not None:
        bram = tile[0]
    elif ramb36 is not None or ramb18 is not None:  # as Vivado counts a tile: a RAMB18 is half of one
        bram = (ramb36[0] if ramb36 else 0.0) + (ramb18[0] if ramb18 else 0.0) / 2
    else:
        raise InputDataError(f"{path} has no Block RAM Tile (nor RAMB36/FIFO, RAMB18) row; expected report_utilization")
    uram = used("URAM")
    sites = {"lut": lut[1], "ff": ff[1], "dsp": "DSPs", "bram": "Block RAM Tile", "uram": "URAM"}
    out.update(
        {
            "layout": "7-series" if lut[1] == "Slice LUTs" else "UltraScale",
            "lut": _whole(lut[0]),
            "ff": _whole(ff[0]),
            "dsp": _whole(dsp[0]),
            "bram": _whole(bram),
            "ramb36": _whole(ramb36[0]) if ramb36 else None,
            "ramb18": _whole(ramb18[0]) if ramb18 else None,
            "uram": _whole(uram[0]) if uram else None,
            "available": {key: _whole(n) for key, name in sites.items() if (n := available(name)) is not None},
        }
    )
    return out


# ----------------------------------------------------------------------------- report_timing_summary
def _section(lines: list[str], title: str) -> list[str]:
    """The lines of the ``| title`` section, up to the next section's rule."""
    for i, line in enumerate(lines):
        if line.strip() == f"| {title}":
            body: list[str] = []
            for rest in lines[i + 3 :]:  # the title, its underline and the closing rule
                if rest.startswith("-----") and len(rest.strip("-")) == 0 and body:
                    break
                body.append(rest)
            return body
    return []


def _table_after(body: list[str], first_column: str) -> tuple[list[str], list[list[str]]]:
    """The header words and the rows (split on white space) of the table whose header starts with ``first_column``."""
    for i, line in enumerate(body):
        words = line.split()
        if words[:1] == [first_column]:
            rows: list[str] = []
            for row in body[i + 2 :]:  # the header and its dashes
                if not row.strip():
                    if rows:
                        break
                    continue
                rows.append(row)
            return words, [r.split() for r in rows]
    return [], []


def parse_timing(text: str, path: Path | str = TIMING) -> dict[str, Any]:
    """The clock, its period, WNS and Fmax = 1000 / (period - WNS) of a ``report_timing_summary`` report."""
    path = Path(path)
    out = _common(text, path, "timing")
    header = _header(text)
    speed = (header.get("Speed File", "").split() or [""])[0]
    lines = text.splitlines()
    expected = "expected report_timing_summary's tables as Vivado prints them"

    summary_header, summary_rows = _table_after(_section(lines, "Design Timing Summary"), "WNS(ns)")
    if not summary_header or not summary_rows:
        raise InputDataError(f"{path} has no Design Timing Summary table (WNS(ns) TNS(ns) ...); {expected}")
    summary = summary_rows[0]

    clocks: dict[str, float] = {}
    for line in _section(lines, "Clock Summary"):
        found = _CLOCK_ROW.match(line)
        if found and found.group(1) != "Clock" and _number(found.group(3)) is not None:
            clocks[found.group(1)] = float(found.group(3))
    if not clocks:
        raise InputDataError(
            f"{path} has no clock in its Clock Summary table: the design was timed without a create_clock "
            "(synth.tcl reads lepton_core.xdc for aclk); " + expected
        )
    if "aclk" in clocks:
        clock = "aclk"
    elif len(clocks) == 1:
        clock = next(iter(clocks))
    else:
        raise InputDataError(f"{path} times clocks {', '.join(clocks)}, none of them lepton_core's aclk")
    period = clocks[clock]

    _, intra = _table_after(_section(lines, "Intra Clock Table"), "Clock")
    clock_rows = [row for row in intra if row[:1] == [clock] and len(row) > 1]
    wns_text, where = (clock_rows[0][1], "Intra Clock Table") if clock_rows else (summary[0], "Design Timing Summary")
    wns = _number(wns_text)
    if wns is None and wns_text.lower() not in ("inf", "-inf", "na"):
        raise InputDataError(f"{path}: the WNS in its {where} is {wns_text!r}, not a number; {expected}")
    fmax = round(1000.0 / (period - wns), 2) if wns is not None and period - wns > 0 else None
    out.update(
        {
            "device": out["device"] + (speed if speed.startswith("-") else ""),
            "speed_grade": speed or None,
            "clock": clock,
            "period_ns": period,
            "clock_mhz": round(1000.0 / period, 3),
            "wns_ns": wns,
            "wns_from": where,
            "tns_ns": _number(summary[1]) if len(summary) > 1 else None,
            "failing_endpoints": _whole(v) if len(summary) > 2 and (v := _number(summary[2])) is not None else None,
            "whs_ns": _number(summary[4]) if len(summary) > 4 else None,
            "met": None if wns is None else wns >= 0,
            "fmax_mhz": fmax,
        }
    )
    return out


# ----------------------------------------------------------------------------- into estimate.json
def matching_boards(reports: dict[str, Any], boards: Sequence[Board]) -> list[Board]:
    """The boards whose part is the reports' device; a BoardError naming the device and the parts if none is."""
    device = _part_key(reports["device"])
    found = [b for b in boards if _part_key(b.part).startswith(device) or device.startswith(_part_key(b.part))]
    if not found:
        parts = ", ".join(f"{b.id} ({b.part})" for b in boards)
        raise BoardError(
            f"the Vivado reports are of device {reports['device']} ({reports['utilization']['file']}), which is the "
            f"part of none of the boards estimated: {parts}; pass --board with a board of that part "
            "(`lepton-hw boards` lists them, or give a board file)"
        )
    return found


def vendor_block(reports: dict[str, Any], board: Board, core: dict[str, Any]) -> dict[str, Any]:
    """One board's ``vendor_tool`` block of estimate.json: the reports' figures, each marked measured by Vivado."""
    util, timing = reports["utilization"], reports["timing"]
    util_by = f"Vivado {util['version']} (report_utilization" + _state(util) + ")"
    timing_by = f"Vivado {timing['version']} (report_timing_summary" + _state(timing) + ")"
    usage = Usage(lut=util["lut"], ff=util["ff"], dsp=util["dsp"], bram=util["bram"], uram=util["uram"] or 0)
    resources, fits = resource_table(board, usage, util_by, True)
    for key, value in util["available"].items():
        if key in resources:
            resources[key]["device_available"] = value  # Vivado's own count of the device's sites
    required = core_clock_mhz(core)
    fmax = timing["fmax_mhz"]
    return {
        "tool": "Vivado",
        "version": util["version"],
        "device": reports["device"],
        "design": util["design"],
        "design_state": {"utilization": util["design_state"], "timing": timing["design_state"]},
        "reports": {"utilization": util["file"], "timing": timing["file"]},
        "resources": resources,
        "fits": fits,
        "clock": timing["clock"],
        "clock_period_ns": figure(timing["period_ns"], True, timing_by),
        "wns_ns": figure(timing["wns_ns"], True, f"{timing_by}, {timing['wns_from']}"),
        "fmax_mhz": figure(fmax, True, f"{timing_by}: 1000 / (period - WNS)")
        if fmax is not None
        else figure(None, False, f"{timing_by}: no constrained path, no WNS"),
        "timing_met": timing["met"],
        "meets_clock": None if required is None or fmax is None else bool(fmax >= required),
    }


def _state(report: dict[str, Any]) -> str:
    return f"; design state: {report['design_state']}" if report.get("design_state") else ""


def add_vendor_reports(doc: dict[str, Any], reports: dict[str, Any], boards: Sequence[Board]) -> list[str]:
    """Put the reports' figures into ``doc`` (estimate.json) beside the open tools' ones, as a ``vendor_tool``
    block of every board whose part is the reports' device; the ids of those boards."""
    matched = {b.id: b for b in matching_boards(reports, boards)}
    core = {
        "pixel_clock_mhz": doc["design"].get("pixel_clock_mhz"),
        "clocks_per_pixel": doc["design"].get("clocks_per_pixel", 1),
    }
    for entry in doc["boards"]:
        board = matched.get(entry["board"])
        if board is not None:
            entry["vendor_tool"] = vendor_block(reports, board, core)
    doc.setdefault("tools", {})["vivado"] = f"v{reports['version']} (its reports, given with --vendor-reports)"
    return list(matched)


__all__ = [
    "add_vendor_reports",
    "matching_boards",
    "parse_timing",
    "parse_utilization",
    "read_vendor_reports",
    "vendor_block",
]
