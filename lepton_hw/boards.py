"""The board database: one YAML file per FPGA board in ``lepton_hw/boards/``, validated when loaded.

A board file is data only (one schema, named fields; see ``lepton_hw/boards/README.md``): the device
and its capacities from the vendor data sheet, a typical board clock for latency and frame-rate
figures, the Yosys synthesis command of its family and, for the parts an open place-and-route tool
supports here, how to run it. Every mistake in a file is reported with its key path and what is
accepted, e.g. ``boards/foo.yaml: resources.lut: must be a positive integer, got 'many'``; all
mistakes of a file are listed at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from lepton_hw.errors import BoardError

# family -> (vendor, the Yosys synthesis pass its command starts with, the open P&R tool or None)
FAMILIES: dict[str, tuple[str, str, str | None]] = {
    "xc7": ("xilinx", "synth_xilinx", None),
    "xcup": ("xilinx", "synth_xilinx", None),
    "ecp5": ("lattice", "synth_ecp5", "nextpnr-ecp5"),
    "ice40": ("lattice", "synth_ice40", "nextpnr-ice40"),
    "nexus": ("lattice", "synth_nexus", "nextpnr-nexus"),
    "gw1n": ("gowin", "synth_gowin", "nextpnr-himbaechel-gowin"),
}
VENDORS = ("xilinx", "lattice", "gowin")
HARNESS_PINS = ("clk", "din", "dout")  # no clk pin: the harness clocks itself from the internal oscillator

_TOP_KEYS = ("id", "name", "vendor", "family", "part", "package", "speed_grade", "resources", "clock_mhz", "synth")
_OPTIONAL_TOP_KEYS = ("pnr", "notes")
_RESOURCE_KEYS = ("lut", "ff", "dsp", "dsp_kind", "bram")
_OPTIONAL_RESOURCE_KEYS = ("uram", "spram", "lram")


@dataclass(frozen=True)
class Resource:
    """A kind of on-chip memory block: how many, and the size of one in Kbit."""

    count: int
    kbits: int
    kind: str

    @property
    def total_kbits(self) -> int:
        return self.count * self.kbits


@dataclass(frozen=True)
class Resources:
    """Device capacities from the vendor data sheet (LUT6 for Xilinx, LUT4 for Lattice and Gowin)."""

    lut: int
    ff: int
    dsp: int
    dsp_kind: str
    bram: Resource
    uram: Resource | None = None  # Xilinx UltraScale+ UltraRAM
    spram: Resource | None = None  # iCE40 UltraPlus single-port RAM
    lram: Resource | None = None  # Nexus large RAM


@dataclass(frozen=True)
class PlaceAndRoute:
    """How to run the open place-and-route tool (``yowasp-<tool>``) for this board's part."""

    tool: str
    args: tuple[str, ...]
    out_of_context: bool = False
    pins: dict[str, str] = field(default_factory=dict)  # harness port -> package pin or site


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    vendor: str
    family: str
    part: str
    package: str
    speed_grade: str | None  # as the vendor writes it; None where the part has no speed grade
    resources: Resources
    clock_mhz: float
    yosys: str  # synth.yosys: the Yosys synthesis command
    pnr: PlaceAndRoute | None = None  # None: Yosys resource counts only
    notes: str = ""


# ----------------------------------------------------------------------------- the shipped boards
def _board_files() -> dict[str, Traversable]:
    folder = resources.files("lepton_hw") / "boards"
    files = (entry for entry in folder.iterdir() if entry.is_file() and entry.name.endswith(".yaml"))
    return {entry.name.removesuffix(".yaml"): entry for entry in sorted(files, key=lambda e: e.name)}


def board_ids() -> list[str]:
    """The ids of the shipped boards, sorted."""
    return list(_board_files())


@functools.cache
def get_board(board_id: str) -> Board:
    """The shipped board ``board_id``; a BoardError listing the known ids if there is none."""
    files = _board_files()
    if board_id not in files:
        raise BoardError(f"unknown board {board_id!r}; known boards: {', '.join(files)}")
    entry = files[board_id]
    return _parse(entry.read_text(encoding="utf-8"), f"boards/{entry.name}", board_id)


def all_boards() -> list[Board]:
    """Every shipped board, sorted by id."""
    return [get_board(board_id) for board_id in board_ids()]


def load_board(path: Path | str) -> Board:
    """Read and validate one board file; a BoardError lists every mistake in it."""
    path = Path(path)
    if not path.is_file():
        raise BoardError(f"board file {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BoardError(f"{path}: cannot be read: {err}") from None
    return _parse(text, str(path), path.stem)


# ----------------------------------------------------------------------------- validation
class _Reader:
    """Reads typed values out of a board file's data, collecting one message per mistake."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def mapping(self, data: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        """``data`` as a dict; unknown and missing keys are mistakes."""
        accepted = (*required, *optional)
        if not isinstance(data, dict):
            self.fail(path or "(file)", f"must be a mapping with keys {', '.join(accepted)}, got {_show(data)}")
            return {}
        for key in data:
            if key not in accepted:
                self.fail(_join(path, key), f"unknown key; accepted: {', '.join(accepted)}")
        for key in required:
            if key not in data:
                self.fail(_join(path, key), "missing; this key is required")
        return data

    def text(self, data: dict, key: str, path: str, default: str = "") -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            if key in data:
                self.fail(_join(path, key), f"must be a non-empty string, got {_show(value)}")
            return default
        return value

    def choice(self, data: dict, key: str, path: str, accepted: tuple[str, ...]) -> str:
        value = data.get(key)
        if key in data and value not in accepted:
            self.fail(_join(path, key), f"must be one of {', '.join(accepted)}, got {_show(value)}")
        return value if value in accepted else ""

    def count(self, data: dict, key: str, path: str) -> int:
        value = data.get(key)
        if key in data and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            self.fail(_join(path, key), f"must be a positive integer, got {_show(value)}")
            return 0
        return value if isinstance(value, int) else 0

    def memory(self, data: dict, key: str, path: str) -> Resource | None:
        if key not in data:
            return None
        where = _join(path, key)
        m = self.mapping(data[key], where, ("count", "kbits"), ("kind",))
        return Resource(
            self.count(m, "count", where), self.count(m, "kbits", where), self.text(m, "kind", where, key.upper())
        )


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) < 60 else text[:57] + "..."


def _parse(text: str, where: str, stem: str) -> Board:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise BoardError(f"{where}: not valid YAML: {err}") from None
    r = _Reader()
    top = r.mapping(data, "", _TOP_KEYS, _OPTIONAL_TOP_KEYS)

    board_id = r.text(top, "id", "")
    if board_id and board_id != stem:
        r.fail("id", f"must equal the file name ({stem!r}), got {_show(board_id)}")
    vendor = r.choice(top, "vendor", "", VENDORS)
    family = r.choice(top, "family", "", tuple(FAMILIES))
    family_vendor, synth_pass, pnr_tool = FAMILIES.get(family, ("", "", None))
    if vendor and family and vendor != family_vendor:
        families = ", ".join(f for f, (v, _, _) in FAMILIES.items() if v == vendor)
        r.fail("family", f"{family} is a {family_vendor} family, but vendor is {vendor} (accepted: {families})")

    speed_grade = top.get("speed_grade")
    if speed_grade is not None and (not isinstance(speed_grade, str) or not speed_grade.strip()):
        r.fail(
            "speed_grade", f'must be a string as the vendor writes it (e.g. "-1"), or null, got {_show(speed_grade)}'
        )
        speed_grade = None

    clock = top.get("clock_mhz")
    if "clock_mhz" in top and (isinstance(clock, bool) or not isinstance(clock, (int, float)) or not clock > 0):
        r.fail("clock_mhz", f"must be a positive number (MHz), got {_show(clock)}")
        clock = None

    synth = r.mapping(top.get("synth"), "synth", ("yosys",)) if "synth" in top else {}
    yosys = r.text(synth, "yosys", "synth")
    if yosys and synth_pass and yosys.split()[0] != synth_pass:
        r.fail("synth.yosys", f"family {family} is synthesized with {synth_pass}, got {_show(yosys)}")

    board = Board(
        id=board_id,
        name=r.text(top, "name", ""),
        vendor=vendor,
        family=family,
        part=r.text(top, "part", ""),
        package=r.text(top, "package", ""),
        speed_grade=speed_grade,
        resources=_resources(r, top),
        clock_mhz=float(clock) if clock else 0.0,
        yosys=yosys,
        pnr=_pnr(r, top, family, pnr_tool),
        notes=r.text(top, "notes", "") if top.get("notes") is not None else "",
    )
    if r.errors:
        raise BoardError("\n".join(f"{where}: {error}" for error in r.errors))
    return board


def _resources(r: _Reader, top: dict) -> Resources:
    res = {}
    if "resources" in top:
        res = r.mapping(top["resources"], "resources", _RESOURCE_KEYS, _OPTIONAL_RESOURCE_KEYS)
    return Resources(
        lut=r.count(res, "lut", "resources"),
        ff=r.count(res, "ff", "resources"),
        dsp=r.count(res, "dsp", "resources"),
        dsp_kind=r.text(res, "dsp_kind", "resources"),
        bram=r.memory(res, "bram", "resources") or Resource(0, 0, "BRAM"),
        uram=r.memory(res, "uram", "resources"),
        spram=r.memory(res, "spram", "resources"),
        lram=r.memory(res, "lram", "resources"),
    )


def _pnr(r: _Reader, top: dict, family: str, tool: str | None) -> PlaceAndRoute | None:
    data = top.get("pnr")
    if data is None:
        return None
    if tool is None:
        if family:
            r.fail("pnr", f"family {family} has no open place-and-route tool here; omit pnr (or set it to null)")
        return None
    p = r.mapping(data, "pnr", ("tool", "args"), ("out_of_context", "pins"))
    if "tool" in p and p["tool"] != tool:
        r.fail("pnr.tool", f"family {family} is placed and routed with {tool}, got {_show(p['tool'])}")
    args = p.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) and a for a in args):
        r.fail("pnr.args", f"must be a list of strings (quote numbers), got {_show(args)}")
        args = []
    out_of_context = p.get("out_of_context", False)
    if not isinstance(out_of_context, bool):
        r.fail("pnr.out_of_context", f"must be true or false, got {_show(out_of_context)}")
        out_of_context = False
    elif out_of_context and tool != "nextpnr-ecp5":
        r.fail("pnr.out_of_context", f"only nextpnr-ecp5 places out of context; {tool} needs a harness with pins")
    pins = p.get("pins", {})
    if not isinstance(pins, dict):
        r.fail("pnr.pins", f"must be a mapping of {', '.join(HARNESS_PINS)} to pin names, got {_show(pins)}")
        pins = {}
    for port, pin in pins.items():
        if port not in HARNESS_PINS:
            r.fail(f"pnr.pins.{port}", f"unknown harness port; accepted: {', '.join(HARNESS_PINS)}")
        elif not isinstance(pin, str) or not pin:
            r.fail(f"pnr.pins.{port}", f'must be a pin or site name as a quoted string (e.g. "52"), got {_show(pin)}')
    if not out_of_context and p:
        for port in ("din", "dout"):
            if port not in pins:
                r.fail(f"pnr.pins.{port}", "missing; without out_of_context the timing harness needs a constrained pin")
    return PlaceAndRoute(tool=tool, args=tuple(args), out_of_context=out_of_context, pins=dict(pins))


# ----------------------------------------------------------------------------- the table
def format_table(boards: list[Board]) -> str:
    """The board list as a plain-text table (what ``lepton-hw boards`` prints)."""
    header = ("id", "name", "part", "family", "LUT", "FF", "DSP", "BRAM", "clock MHz", "P&R tool")
    rows = [header]
    for b in boards:
        res = b.resources
        rows.append(
            (
                b.id,
                b.name,
                b.part,
                b.family,
                f"{res.lut:,}",
                f"{res.ff:,}",
                f"{res.dsp:,}",
                f"{res.bram.count} x {res.bram.kbits} Kb",
                f"{b.clock_mhz:g}",
                b.pnr.tool if b.pnr else "none (yosys counts only)",
            )
        )
    numeric = {4, 5, 6, 8}  # right-aligned columns
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(row))

    lines = [line(row) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
