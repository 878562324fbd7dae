"""The AXI4-Lite control and status registers of ``lepton_core``, as data, and everything made from it.

:func:`register_map` builds the map of the issue-16 specification (SPEC.md's table) for one core:
frozen dataclasses (:class:`RegisterMap` of :class:`Register` of :class:`Field`) that say, for every
field, its bits, its access (``ro``, ``rw``, ``w1c``), its reset value, its documentation and what
drives it inside the core. Four generators read only that description:

- :func:`verilog`: the Verilog-2005 module ``lepton_regs`` (an AXI4-Lite slave plus the registers);
- :func:`c_header`: ``lepton_regs.h`` for the driver (offsets, field masks and shifts, reset values,
  ``static inline`` accessors);
- :func:`markdown`: the register table and field descriptions for the IP core's README;
- :func:`to_json`: the map for core.json.

Why not SystemRDL/PeakRDL: PeakRDL-regblock (1.3.1, checked here) emits SystemVerilog whose package
and register block use unpacked structs and automatic variables, which Icarus Verilog 11 rejects
("sorry: Unpacked structs not supported"), and the project's cores are plain Verilog-2005 simulated
in Icarus and Verilator, so the map is this small schema of our own.

What drives a field (``Field.hw``):

- ``const``   (ro): reads its reset value (identification, generated geometry);
- ``status``  (ro): reads the input ``source`` as it is now (no storage);
- ``counter`` (ro): adds one in every clock its input pulse ``event`` is high; wraps;
- ``capture`` (ro): loads the input ``source`` in every clock ``event`` is high;
- ``stored``  (rw): written by software through the byte strobes; ``output`` names the output port
  that shows it; with ``accept = (lo, hi)`` a write whose register word (after the strobes) is
  outside lo..hi is refused: the field keeps its value and the sticky field ``reject`` is set;
- ``sticky``  (w1c): set in every clock ``event`` is high (and when a write naming it in ``reject``
  is refused); a written 1 clears a bit; a set in the same clock as the clear wins.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
from dataclasses import dataclass
from typing import Any, Literal

from lepton_hw.errors import ConfigError, UnsupportedLayerError

Access = Literal["ro", "rw", "w1c"]
ACCESSES = ("ro", "rw", "w1c")
HW_KINDS = {"const": "ro", "status": "ro", "counter": "ro", "capture": "ro", "stored": "rw", "sticky": "w1c"}

MAP_VERSION = (1, 0)  # major, minor: the VERSION register
ID_VALUE = 0x4C505448  # "LPTH"
DATA_BITS = 32
ADDRESS_BITS = 12
CLASS_COUNT_BASE = 0x040
MAX_CLASSES = ((1 << ADDRESS_BITS) - CLASS_COUNT_BASE) // 4  # CLASS_COUNT[k] must fit the address space
MAX_FRAME = (1 << 16) - 1  # frame_width / frame_height are 16-bit ports

# The inputs of lepton_regs a field may name (``source`` or ``event``) and the outputs (``output``).
STATUS_INPUTS = ("busy", "size_pending")
EVENT_INPUTS = ("ev_frame_end", "ev_malformed", "ev_dropped")
BUS_INPUTS = ("class_counts",)
OUTPUTS = {"enable": 1, "frame_width": 16, "frame_height": 16}
_SOURCE = re.compile(r"^(?P<port>[a-z_]+)(\[(?P<msb>\d+):(?P<lsb>\d+)\])?$")
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Field:
    """Bits ``lsb .. lsb + width - 1`` of a register."""

    name: str
    lsb: int
    width: int
    access: Access
    reset: int
    doc: str
    hw: str  # what drives it: a key of HW_KINDS (see the module docstring)
    source: str = ""  # status, capture: the input read (a port, or a bit range of one: "class_counts[63:32]")
    event: str = ""  # counter, capture, sticky: the input pulse
    output: str = ""  # stored: the output port that shows the field
    accept: tuple[int, int] | None = None  # stored: the accepted range of a written register word
    reject: str = ""  # stored with accept: "REGISTER.FIELD", the sticky field a refused write sets

    def __post_init__(self) -> None:
        where = f"field {self.name}"
        if not _NAME.match(self.name):
            raise ValueError(f"{where}: not an upper-case identifier")
        if self.access not in ACCESSES:
            raise ValueError(f"{where}: access {self.access!r} is none of {ACCESSES}")
        if HW_KINDS.get(self.hw) != self.access:
            raise ValueError(f"{where}: hw {self.hw!r} does not go with access {self.access!r}")
        if not (self.lsb >= 0 and self.width >= 1 and self.lsb + self.width <= DATA_BITS):
            raise ValueError(f"{where}: bits {self.lsb}+{self.width} outside a {DATA_BITS}-bit register")
        if not 0 <= self.reset < (1 << self.width):
            raise ValueError(f"{where}: reset {self.reset:#x} does not fit {self.width} bits")
        needs_source = self.hw in ("status", "capture")
        needs_event = self.hw in ("counter", "capture")
        if bool(self.source) != needs_source:
            raise ValueError(f"{where}: hw {self.hw} {'needs' if needs_source else 'takes no'} source")
        if bool(self.event) != needs_event and not (self.hw == "sticky"):
            raise ValueError(f"{where}: hw {self.hw} {'needs' if needs_event else 'takes no'} event")
        if self.event and self.event not in EVENT_INPUTS:
            raise ValueError(f"{where}: event {self.event!r} is none of {EVENT_INPUTS}")
        if self.source:
            match = _SOURCE.match(self.source)
            ports = STATUS_INPUTS if self.hw == "status" else BUS_INPUTS
            if match is None or match["port"] not in ports:
                raise ValueError(f"{where}: source {self.source!r} is not an input of {ports}")
            bits = int(match["msb"]) - int(match["lsb"]) + 1 if match["msb"] is not None else 1
            if bits != self.width:
                raise ValueError(f"{where}: source {self.source!r} has {bits} bits, the field {self.width}")
        if self.output and (self.hw != "stored" or OUTPUTS.get(self.output) != self.width):
            raise ValueError(f"{where}: output {self.output!r} is not a {self.width}-bit output of a stored field")
        if (self.accept is not None) != bool(self.reject) or (self.accept is not None and self.hw != "stored"):
            raise ValueError(f"{where}: accept and reject go together, on a stored field")
        if self.hw == "sticky" and self.width != 1:
            raise ValueError(f"{where}: a sticky field is one bit")

    @property
    def msb(self) -> int:
        return self.lsb + self.width - 1

    @property
    def mask(self) -> int:
        """The field's bits in the register word."""
        return ((1 << self.width) - 1) << self.lsb

    @property
    def bits(self) -> str:
        return str(self.lsb) if self.width == 1 else f"{self.msb}:{self.lsb}"


@dataclass(frozen=True)
class Register:
    """One 32-bit register; ``index`` is the element of an array register (CLASS_COUNT[k])."""

    name: str
    offset: int
    access: Access
    doc: str
    fields: tuple[Field, ...]
    index: int | None = None

    def __post_init__(self) -> None:
        where = f"register {self.label}"
        if not _NAME.match(self.name):
            raise ValueError(f"{where}: not an upper-case identifier")
        if self.offset % 4 or not 0 <= self.offset < (1 << ADDRESS_BITS):
            raise ValueError(f"{where}: offset {self.offset:#x} is not a word in the {ADDRESS_BITS}-bit space")
        if not self.fields:
            raise ValueError(f"{where}: no fields")
        used = 0
        for f in self.fields:
            if f.mask & used:
                raise ValueError(f"{where}: field {f.name} overlaps another")
            used |= f.mask
            if f.access != self.access:
                raise ValueError(f"{where}: field {f.name} is {f.access}, the register {self.access}")
            if f.accept is not None and (len(self.fields) != 1 or f.lsb != 0):
                raise ValueError(f"{where}: a range-checked field must be the register's only field, at bit 0")
        if len({f.name for f in self.fields}) != len(self.fields):
            raise ValueError(f"{where}: two fields of one name")

    @property
    def reset(self) -> int:
        value = 0
        for f in self.fields:
            value |= f.reset << f.lsb
        return value

    @property
    def label(self) -> str:
        """The name in the documentation: ``CLASS_COUNT[2]``."""
        return self.name if self.index is None else f"{self.name}[{self.index}]"

    @property
    def ident(self) -> str:
        """An identifier: ``CLASS_COUNT_2``."""
        return self.name if self.index is None else f"{self.name}_{self.index}"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.label} has no field {name}")


@dataclass(frozen=True)
class RegisterMap:
    """The registers of one core, in address order, and the parameters they were made for."""

    registers: tuple[Register, ...]
    max_width: int
    max_height: int
    tile_width: int
    tile_height: int
    n_classes: int
    version: tuple[int, int] = MAP_VERSION
    irq: tuple[str, str] = ("IRQ_STATUS", "IRQ_MASK")  # irq = |(status & mask), whole words
    data_bits: int = DATA_BITS
    address_bits: int = ADDRESS_BITS
    _by_ident: dict[str, Register] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        offsets = [r.offset for r in self.registers]
        if offsets != sorted(set(offsets)):
            raise ValueError("registers must have distinct offsets, in address order")
        by_ident = {r.ident: r for r in self.registers}
        if len(by_ident) != len(self.registers):
            raise ValueError("two registers of one name")
        object.__setattr__(self, "_by_ident", by_ident)
        for r in self.registers:
            for f in r.fields:
                if f.reject:
                    target = self.field(f.reject)
                    if target.hw != "sticky":
                        raise ValueError(f"{r.label}.{f.name}: reject {f.reject} is not a sticky field")
        status, mask = (self[name] for name in self.irq)
        if (status.access, mask.access) != ("w1c", "rw"):
            raise ValueError(f"irq: {self.irq[0]} must be w1c and {self.irq[1]} rw")
        outputs = [f.output for r in self.registers for f in r.fields if f.output]
        if sorted(outputs) != sorted(OUTPUTS):
            raise ValueError(f"the outputs {sorted(OUTPUTS)} must each be shown by one stored field, not {outputs}")

    def __getitem__(self, ident: str) -> Register:
        """A register by identifier: ``"FRAME_WIDTH"``, ``"CLASS_COUNT_2"``."""
        try:
            return self._by_ident[ident]
        except KeyError:
            raise KeyError(f"no register {ident}") from None

    def register(self, name: str, index: int | None = None) -> Register:
        return self[name if index is None else f"{name}_{index}"]

    def field(self, path: str) -> Field:
        """A field by ``"REGISTER.FIELD"``."""
        ident, _, name = path.partition(".")
        return self[ident].field(name)

    def at(self, offset: int) -> Register | None:
        """The register at byte address ``offset`` (its word), or None: unmapped."""
        for r in self.registers:
            if r.offset == offset & ~3:
                return r
        return None


# ----------------------------------------------------------------------------- the map of SPEC.md
def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} {value!r}: not a whole number")
    return int(value)


def register_map(max_width: int, max_height: int, tile_width: int, tile_height: int, n_classes: int) -> RegisterMap:
    """The register map of a core for frames up to ``max_width`` x ``max_height`` pixels, cut into
    ``tile_width`` x ``tile_height`` tiles, with ``n_classes`` outputs."""
    max_width, max_height, tile_width, tile_height, n_classes = (
        _whole(name, value)
        for name, value in (
            ("max_width", max_width), ("max_height", max_height), ("tile_width", tile_width),
            ("tile_height", tile_height), ("n_classes", n_classes),
        )
    )  # fmt: skip
    for name, value in (("tile width", tile_width), ("tile height", tile_height)):
        if not 1 <= value <= MAX_FRAME:
            raise ConfigError(f"{name} {value}: the registers accept 1 .. {MAX_FRAME}")
    for name, value, tile in (("frame width", max_width, tile_width), ("frame height", max_height, tile_height)):
        if not tile <= value <= MAX_FRAME:
            raise ConfigError(f"maximum {name} {value}: accepted one tile ({tile}) .. {MAX_FRAME} pixels")
    if not 1 <= n_classes <= MAX_CLASSES:
        raise UnsupportedLayerError(
            f"{n_classes} classes: the register map holds CLASS_COUNT for 1 .. {MAX_CLASSES} classes "
            f"(0x{CLASS_COUNT_BASE:03X} + 4*k in a {ADDRESS_BITS}-bit address space)"
        )

    def const(name: str, value: int, doc: str, lsb: int = 0, width: int = 32) -> Field:
        return Field(name, lsb, width, "ro", value, doc, "const")

    def count(doc: str, event: str) -> Field:
        return Field("VALUE", 0, 32, "ro", 0, doc, "counter", event=event)

    def size(unit: str, output: str, maximum: int, tile: int) -> Field:
        return Field(
            "VALUE", 0, 16, "rw", maximum,
            f"{unit}, {tile} (one tile) .. {maximum}; a written word (after the byte strobes) outside that range is "
            "not stored and sets ERRORS.BAD_SIZE",
            "stored", output=output, accept=(tile, maximum), reject="ERRORS.BAD_SIZE",
        )  # fmt: skip

    major, minor = MAP_VERSION
    # fmt: off
    regs = [
        Register("ID", 0x000, "ro", 'identifies a lepton_hw core: "LPTH"', (const("VALUE", ID_VALUE, '"LPTH"'),)),
        Register("VERSION", 0x004, "ro", "register map version: major << 16 | minor", (
            const("MINOR", minor, "minor version", 0, 16),
            const("MAJOR", major, "major version", 16, 16),
        )),
        Register("CONTROL", 0x008, "rw", "bit 0 ENABLE: 1 = classify; 0 = frames are accepted and discarded", (
            Field("ENABLE", 0, 1, "rw", 1,
                  "1: classify frames; 0: frames are accepted and discarded (s_axis_tready stays high)",
                  "stored", output="enable"),
        )),
        Register("STATUS", 0x00C, "ro", "live: bit 0 BUSY (a frame is in progress), bit 1 SIZE_PENDING (a new "
                 "frame size waits for the next start of frame)", (
            Field("BUSY", 0, 1, "ro", 0, "a frame is in progress", "status", source="busy"),
            Field("SIZE_PENDING", 1, 1, "ro", 0, "a new frame size waits for the next start of frame", "status",
                  source="size_pending"),
        )),
        Register("ERRORS", 0x010, "w1c", "sticky errors: bit 0 MALFORMED, bit 1 DROPPED, bit 2 BAD_SIZE", (
            Field("MALFORMED", 0, 1, "w1c", 0, "a malformed frame was seen", "sticky", event="ev_malformed"),
            Field("DROPPED", 1, 1, "w1c", 0, "a tile result was dropped (m_axis not ready in time)", "sticky",
                  event="ev_dropped"),
            Field("BAD_SIZE", 2, 1, "w1c", 0,
                  "a frame size outside the accepted range was written to FRAME_WIDTH or FRAME_HEIGHT and not used",
                  "sticky"),
        )),
        Register("FRAME_WIDTH", 0x014, "rw",
                 f"run-time frame width in pixels, {tile_width} .. {max_width}; used from the next start of frame; a "
                 "value outside is refused (ERRORS.BAD_SIZE)",
                 (size("pixels", "frame_width", max_width, tile_width),)),
        Register("FRAME_HEIGHT", 0x018, "rw",
                 f"run-time frame height in rows, {tile_height} .. {max_height}; used from the next start of frame; a "
                 "value outside is refused (ERRORS.BAD_SIZE)",
                 (size("rows", "frame_height", max_height, tile_height),)),
        Register("MAX_WIDTH", 0x01C, "ro", "the largest frame width the core was generated for",
                 (const("VALUE", max_width, "pixels", 0, 16),)),
        Register("MAX_HEIGHT", 0x020, "ro", "the largest frame height the core was generated for",
                 (const("VALUE", max_height, "rows", 0, 16),)),
        Register("TILE_SIZE", 0x024, "ro", "one tile (the model's input): bits [15:0] width, [31:16] height", (
            const("WIDTH", tile_width, "tile width in pixels", 0, 16),
            const("HEIGHT", tile_height, "tile height in rows", 16, 16),
        )),
        Register("FRAME_COUNT", 0x028, "ro", "frames completed (well-formed and malformed); wraps",
                 (count("frames completed", "ev_frame_end"),)),
        Register("DROPPED_COUNT", 0x02C, "ro", "tile results dropped because m_axis was not ready in time; wraps",
                 (count("tile results dropped", "ev_dropped"),)),
        Register("MALFORMED_COUNT", 0x030, "ro", "malformed frames; wraps",
                 (count("malformed frames", "ev_malformed"),)),
        Register("IRQ_MASK", 0x034, "rw", "interrupt enables: bit 0 END_OF_FRAME", (
            Field("END_OF_FRAME", 0, 1, "rw", 0, "interrupt at every frame end", "stored"),
        )),
        Register("IRQ_STATUS", 0x038, "w1c",
                 "interrupt causes, set whatever the mask: bit 0 END_OF_FRAME; irq = |(IRQ_STATUS & IRQ_MASK)", (
            Field("END_OF_FRAME", 0, 1, "w1c", 0, "a frame ended", "sticky", event="ev_frame_end"),
        )),
        Register("N_CLASSES", 0x03C, "ro", "number of classes (outputs)",
                 (const("VALUE", n_classes, "classes"),)),
    ]
    regs += [
        Register(
            "CLASS_COUNT",
            CLASS_COUNT_BASE + 4 * k,
            "ro",
            f"tiles classified as class {k} in the last completed frame",
            (
                Field(
                    "VALUE",
                    0,
                    32,
                    "ro",
                    0,
                    "tiles",
                    "capture",
                    source=f"class_counts[{32 * k + 31}:{32 * k}]",
                    event="ev_frame_end",
                ),
            ),
            index=k,
        )
        for k in range(n_classes)
    ]
    # fmt: on
    return RegisterMap(tuple(regs), max_width, max_height, tile_width, tile_height, n_classes)


# ----------------------------------------------------------------------------- Verilog
def _hex(value: int, width: int) -> str:
    return f"{width}'h{value:0{-(-width // 4)}X}"


def _signal(reg: Register, f: Field) -> str:
    return f"{reg.ident.lower()}_{f.name.lower()}"


def _word(reg: Register) -> str:
    return f"word_{reg.ident.lower()}"


def _field_value(reg: Register, f: Field) -> str:
    if f.hw == "const":
        return _hex(f.reset, f.width)
    if f.hw == "status":
        return f.source
    return _signal(reg, f)


def _concat(reg: Register) -> str:
    """The register's read word: its fields, zeros between them."""
    parts, bit = [], DATA_BITS
    for f in sorted(reg.fields, key=lambda f: -f.lsb):
        if bit > f.msb + 1:
            parts.append(f"{bit - f.msb - 1}'d0")
        parts.append(_field_value(reg, f))
        bit = f.lsb
    if bit > 0:
        parts.append(f"{bit}'d0")
    return parts[0] if len(parts) == 1 else "{" + ", ".join(parts) + "}"


def verilog(regmap: RegisterMap) -> str:
    """The Verilog-2005 module ``lepton_regs``: an AXI4-Lite slave with the map's registers."""
    n = regmap.n_classes
    word_bits = ADDRESS_BITS - 2
    indices = list(range(len(regmap.registers)))
    groups = [indices[i : i + 4] for i in range(0, len(indices), 4)]  # the read's OR, four registers a group
    lines = [
        f"// lepton_regs: the AXI4-Lite control and status registers of lepton_core, register map version "
        f"{regmap.version[0]}.{regmap.version[1]}",
        "// (frames up to "
        f"{regmap.max_width}x{regmap.max_height}, tiles {regmap.tile_width}x{regmap.tile_height}, {n} classes).",
        "// Generated by lepton_hw.backends.rtl.regmap from the register map: do not edit.",
        "//",
        "// AXI4-Lite slave: 32-bit data, 12-bit byte addresses (bits [1:0] ignored), OKAY responses only.",
        "// AW and W are taken independently, in either order or together; the register is written two",
        "// clocks after both are there. A read takes four clocks from its address to rvalid (the address,",
        "// its decode, the words of each group of four registers, then the word are registered). One write",
        "// and one read at a time: the ready signals depend on state only (low",
        "// while a write or read is under way or its response waits, and in reset). Writes to read-only registers",
        "// are ignored; unmapped addresses read 0. W1C: a written 1 clears a bit; a set in the same clock",
        "// wins. rst: active-high synchronous (the core's registered reset).",
        "`default_nettype none",
        "",
        "module lepton_regs (",
        "    input  wire        clk,",
        "    input  wire        rst,",
        "    input  wire [11:0] s_axil_awaddr,",
        "    input  wire        s_axil_awvalid,",
        "    output wire        s_axil_awready,",
        "    input  wire [31:0] s_axil_wdata,",
        "    input  wire [3:0]  s_axil_wstrb,",
        "    input  wire        s_axil_wvalid,",
        "    output wire        s_axil_wready,",
        "    output wire [1:0]  s_axil_bresp,",
        "    output wire        s_axil_bvalid,",
        "    input  wire        s_axil_bready,",
        "    input  wire [11:0] s_axil_araddr,",
        "    input  wire        s_axil_arvalid,",
        "    output wire        s_axil_arready,",
        "    output wire [31:0] s_axil_rdata,",
        "    output wire [1:0]  s_axil_rresp,",
        "    output wire        s_axil_rvalid,",
        "    input  wire        s_axil_rready,",
        "    output wire        enable,",
        "    output wire [15:0] frame_width,",
        "    output wire [15:0] frame_height,",
        "    output wire        irq,",
        "    input  wire        ev_frame_end,   // pulse: a frame ended (FRAME_COUNT, IRQ_STATUS, CLASS_COUNT latched)",
        "    input  wire        ev_malformed,   // pulse: a malformed frame (MALFORMED_COUNT, ERRORS.MALFORMED)",
        "    input  wire        ev_dropped,     // pulse: one tile result dropped (DROPPED_COUNT, ERRORS.DROPPED)",
        "    input  wire        busy,           // STATUS.BUSY",
        "    input  wire        size_pending,   // STATUS.SIZE_PENDING",
        f"    input  wire [{n * 32 - 1}:0] class_counts  // N_CLASSES*32 bits, N_CLASSES = {n}: class k in bits "
        "[32k+31:32k], valid with ev_frame_end",
        ");",
        "    // ---- write channel",
        "    reg aw_full, w_full, bvalid_q;  // an address / data beat is held; a response waits",
        f"    reg [{word_bits - 1}:0] aw_word_q;",
        "    reg [31:0] w_data_q;",
        "    reg [3:0] w_strb_q;",
        "    assign s_axil_awready = !rst && !aw_full && !bvalid_q;",
        "    assign s_axil_wready = !rst && !w_full && !bvalid_q;",
        "    assign s_axil_bvalid = bvalid_q;",
        "    assign s_axil_bresp = 2'b00;",
        "    wire aw_take = s_axil_awvalid && s_axil_awready;",
        "    wire w_take = s_axil_wvalid && s_axil_wready;",
        "    // A write takes two clocks once both beats are held: wr_load registers the address decode and",
        "    // the range checks, wr_go writes (strobes, decode and range checks in one clock were the tiled",
        "    // core's longest path on Xilinx; straight from the bus inputs, on ECP5).",
        "    reg wr_go;  // a register write, this clock",
        "    wire wr_load = aw_full && w_full && !wr_go;",
        f"    wire [{word_bits - 1}:0] wr_word = aw_word_q;",
        "    wire [31:0] wr_data = w_data_q;",
        "    wire [3:0] wr_strb = w_strb_q;",
        "    wire [31:0] wr_mask = {{8{wr_strb[3]}}, {8{wr_strb[2]}}, {8{wr_strb[1]}}, {8{wr_strb[0]}}};",
        "    wire [31:0] w_mask_in = {{8{s_axil_wstrb[3]}}, {8{s_axil_wstrb[2]}}, {8{s_axil_wstrb[1]}}, "
        "{8{s_axil_wstrb[0]}}};",
        "    always @(posedge clk) begin",
        "        if (rst) begin",
        "            aw_full <= 1'b0;",
        "            w_full <= 1'b0;",
        "            bvalid_q <= 1'b0;",
        "            wr_go <= 1'b0;",
        "        end else if (wr_go) begin  // implies !bvalid_q",
        "            wr_go <= 1'b0;",
        "            aw_full <= 1'b0;",
        "            w_full <= 1'b0;",
        "            bvalid_q <= 1'b1;",
        "        end else begin",
        "            wr_go <= wr_load;",
        "            if (aw_take) aw_full <= 1'b1;",
        "            if (w_take) w_full <= 1'b1;",
        "            if (s_axil_bready) bvalid_q <= 1'b0;",
        "        end",
        "    end",
        "    always @(posedge clk) begin",
        "        if (aw_take) aw_word_q <= s_axil_awaddr[11:2];",
        "        if (w_take) begin",
        "            w_data_q <= s_axil_wdata;",
        "            w_strb_q <= s_axil_wstrb;",
        "        end",
        "    end",
        "",
        "    // ---- registers",
    ]
    rejects: dict[str, list[str]] = {}  # sticky field path -> refused-write signals
    for reg in regmap.registers:
        for f in reg.fields:
            if f.reject:
                rejects.setdefault(f.reject, []).append(f"{_signal(reg, f)}_bad")
    for reg in regmap.registers:  # declarations first: a sticky field names refused writes of later registers
        if reg.access != "ro":
            ident = reg.ident.lower()
            lines += [
                f"    reg sel_{ident};",
                f"    always @(posedge clk) sel_{ident} <= wr_word == {word_bits}'d{reg.offset >> 2};",
                f"    wire wr_{ident} = wr_go && sel_{ident};",
            ]
    for reg in regmap.registers:
        for f in reg.fields:
            if f.hw not in ("const", "status"):
                lines.append(f"    reg [{f.width - 1}:0] {_signal(reg, f)};")
    for reg in regmap.registers:
        for f in reg.fields:
            if f.accept is not None:
                name, (lo, hi) = _signal(reg, f), f.accept
                high = f"|{name}_merged[31:{f.width}]" if f.width < 32 else "1'b0"
                lines += [
                    f"    // {reg.label}: the written word (after the strobes) is merged as the data beat arrives",
                    "    // (nothing else writes the register until this write is done), then checked against",
                    f"    // {lo} .. {hi} in the clock before the write (merge and compare in one clock were the",
                    "    // whole-frame core's longest path on ECP5)",
                    f"    wire [31:0] {name}_merged = ({_concat(reg)} & ~w_mask_in) | (s_axil_wdata & w_mask_in);",
                    f"    reg [{f.width - 1}:0] {name}_new;",
                    f"    reg {name}_high;  // a bit above the field is set",
                    f"    reg {name}_ok;",
                    "    always @(posedge clk) begin",
                    "        if (w_take) begin",
                    f"            {name}_new <= {name}_merged[{f.width - 1}:0];",
                    f"            {name}_high <= {high};",
                    "        end",
                    f"        {name}_ok <= !{name}_high && {name}_new >= {f.width}'d{lo} && "
                    f"{name}_new <= {f.width}'d{hi};",
                    "    end",
                    f"    wire {name}_bad = wr_{reg.ident.lower()} && !{name}_ok;  // refused: sets {f.reject}",
                ]
    for reg in regmap.registers:
        lines.append(f"    // 0x{reg.offset:03X} {reg.label} ({reg.access}): {reg.doc}")
        for f in reg.fields:
            lines += _field_verilog(reg, f, rejects)
        lines.append(f"    wire [31:0] {_word(reg)} = {_concat(reg)};")
    status, mask = (regmap[name] for name in regmap.irq)
    lines += ["", "    // ---- outputs"]
    for reg in regmap.registers:
        for f in reg.fields:
            if f.output:
                lines.append(f"    assign {f.output} = {_signal(reg, f)};")
    lines += [
        f"    assign irq = |({_word(status)} & {_word(mask)});",
        "",
        "    // ---- read channel, four clocks from the address to rvalid: the address is registered when taken,",
        "    // then decoded into one select bit per register, then each group of four registers' selected word",
        "    // is registered, then their OR (a 10-bit case multiplexer from the address was the tiled core's",
        "    // longest path on ECP5, and one OR over every register the next one)",
        "    reg rvalid_q;",
        "    reg [2:0] rd_stage;  // [0]: ar_word_q holds the address, [1]: rd_sel its decode, [2]: rd_part the words",
        "    reg [31:0] rdata_q;",
        f"    reg [{word_bits - 1}:0] ar_word_q;",
        f"    reg [{len(regmap.registers) - 1}:0] rd_sel;",
        f"    reg [31:0] rd_part [0:{len(groups) - 1}];",
        "    assign s_axil_arready = !rst && !rvalid_q && rd_stage == 3'b000;",
        "    assign s_axil_rvalid = rvalid_q;",
        "    assign s_axil_rdata = rdata_q;",
        "    assign s_axil_rresp = 2'b00;",
        "    wire ar_take = s_axil_arvalid && s_axil_arready;",
        "    always @(posedge clk) begin",
        "        if (ar_take) ar_word_q <= s_axil_araddr[11:2];",
    ]
    lines += [
        f"        rd_sel[{i}] <= (ar_word_q == {word_bits}'d{reg.offset >> 2});  // {reg.label}"
        for i, reg in enumerate(regmap.registers)
    ]
    for g, group in enumerate(groups):
        terms = " | ".join(f"({{32{{rd_sel[{i}]}}}} & {_word(regmap.registers[i])})" for i in group)
        lines.append(f"        rd_part[{g}] <= {terms};")
    lines += [
        "        if (rst) begin",
        "            rvalid_q <= 1'b0;",
        "            rd_stage <= 3'b000;",
        "            rdata_q <= 32'd0;",
        "        end else begin",
        "            rd_stage <= {rd_stage[1:0], ar_take};",
        "            if (rd_stage[2]) begin",
        f"                rdata_q <= {' | '.join(f'rd_part[{g}]' for g in range(len(groups)))};",
        "                rvalid_q <= 1'b1;",
        "            end else if (s_axil_rready) begin",
        "                rvalid_q <= 1'b0;",
        "            end",
        "        end",
        "    end",
        "",
        "    // verilator lint_off UNUSEDSIGNAL",
        "    wire unused_bits = ^{s_axil_awaddr[1:0], s_axil_araddr[1:0], wr_data, wr_mask};  // byte offsets; "
        "bits of no writable field",
        "    // verilator lint_on UNUSEDSIGNAL",
        "endmodule",
        "",
        "`default_nettype wire",
    ]
    return "\n".join(lines) + "\n"


def _field_verilog(reg: Register, f: Field, rejects: dict[str, list[str]]) -> list[str]:
    name, ident, w = _signal(reg, f), reg.ident.lower(), f.width
    rng = f"[{f.msb}:{f.lsb}]"
    if f.hw in ("const", "status"):
        return []
    out: list[str] = []
    if f.hw == "counter":
        update = [f"        end else if ({f.event}) begin", f"            {name} <= {name} + {w}'d1;"]
    elif f.hw == "capture":
        update = [f"        end else if ({f.event}) begin", f"            {name} <= {f.source};"]
    elif f.hw == "stored" and f.accept is None:
        update = [
            f"        end else if (wr_{ident}) begin",
            f"            {name} <= ({name} & ~wr_mask{rng}) | (wr_data{rng} & wr_mask{rng});",
        ]
    elif f.hw == "stored":
        update = [
            f"        end else if ({name}_ok && wr_{ident}) begin",
            f"            {name} <= {name}_new;",
        ]
    else:  # sticky
        sets = ([f.event] if f.event else []) + rejects.get(f"{reg.ident}.{f.name}", [])
        if not sets:
            raise ValueError(f"{reg.label}.{f.name}: a sticky field that nothing sets")
        out += [
            f"    wire {name}_set = {' || '.join(sets)};",
            f"    wire {name}_clr = wr_{ident} && wr_data[{f.lsb}] && wr_mask[{f.lsb}];",
        ]
        update = [
            "        end else begin",
            f"            {name} <= ({name} && !{name}_clr) || {name}_set;  // a set wins over a clear",
        ]
    return [
        *out,
        "    always @(posedge clk) begin",
        "        if (rst) begin",
        f"            {name} <= {_hex(f.reset, w)};",
        *update,
        "        end",
        "    end",
    ]


# ----------------------------------------------------------------------------- C header
def _arrays(regmap: RegisterMap) -> dict[str, list[Register]]:
    """Array registers (CLASS_COUNT) by name, elements in index order."""
    groups: dict[str, list[Register]] = {}
    for reg in regmap.registers:
        if reg.index is not None:
            groups.setdefault(reg.name, []).append(reg)
    for name, elements in groups.items():
        first = elements[0]
        if [r.index for r in elements] != list(range(len(elements))) or any(
            r.offset != first.offset + 4 * r.index or r.access != first.access or _shape(r) != _shape(first)
            for r in elements
            if r.index is not None
        ):
            raise ValueError(f"array register {name}: elements must be alike, at 4-byte steps from index 0")
    return groups


def _shape(reg: Register) -> list[tuple[Any, ...]]:
    return [(f.name, f.lsb, f.width, f.access, f.reset, f.hw, f.event) for f in reg.fields]


def _singles(regmap: RegisterMap) -> list[Register]:
    return [r for r in regmap.registers if r.index is None]


def _c_comment(text: str) -> str:
    return text.replace("*/", "* /")


def c_header(regmap: RegisterMap) -> str:
    """``lepton_regs.h``: offsets, field masks and shifts, reset values and accessors (C99)."""
    guard = "LEPTON_REGS_H"
    lines = [
        "/* lepton_regs.h: the AXI4-Lite registers of a lepton_hw core (lepton_core), register map version "
        f"{regmap.version[0]}.{regmap.version[1]}.",
        " * Generated by lepton_hw.backends.rtl.regmap: do not edit.",
        " * Offsets are byte offsets from the core's base address; every register is 32 bits wide.",
        " * ro: writes are ignored. rw: read/write. w1c: write 1 to clear a bit. Unmapped addresses read 0. */",
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        "#include <stdint.h>",
        "",
        f"#define LEPTON_REGMAP_VERSION_MAJOR {regmap.version[0]}u",
        f"#define LEPTON_REGMAP_VERSION_MINOR {regmap.version[1]}u",
        f"#define LEPTON_N_CLASSES {regmap.n_classes}u",
        f"#define LEPTON_MAX_WIDTH {regmap.max_width}u",
        f"#define LEPTON_MAX_HEIGHT {regmap.max_height}u",
        f"#define LEPTON_TILE_WIDTH {regmap.tile_width}u",
        f"#define LEPTON_TILE_HEIGHT {regmap.tile_height}u",
        "",
        "/* Register offsets (bytes). */",
    ]
    for reg in _singles(regmap):
        lines.append(f"#define LEPTON_REG_{reg.name} 0x{reg.offset:03X}u  /* {reg.access}: {_c_comment(reg.doc)} */")
    for name, elements in _arrays(regmap).items():
        base = elements[0]
        lines += [
            f"#define LEPTON_REG_{name}_BASE 0x{base.offset:03X}u",
            f"#define LEPTON_REG_{name}_COUNT {len(elements)}u",
            f"#define LEPTON_REG_{name}(k) (LEPTON_REG_{name}_BASE + 4u * (uint32_t)(k))  /* {base.access}, "
            f"k < {len(elements)} */",
        ]
    lines += ["", "/* Fields: value = (register & MASK) >> SHIFT; RESET: the register's value after reset. */"]
    shown = [*_singles(regmap), *(elements[0] for elements in _arrays(regmap).values())]
    for reg in shown:
        lines.append(f"#define LEPTON_{reg.name}_RESET 0x{reg.reset:08X}u")
        for f in reg.fields:
            lines += [
                f"#define LEPTON_{reg.name}_{f.name}_SHIFT {f.lsb}u",
                f"#define LEPTON_{reg.name}_{f.name}_MASK 0x{f.mask:08X}u  /* {_c_comment(f.doc)} */",
            ]
    lines += ["", "/* Accessors: base is the core's register block, as 32-bit words. */"]
    for reg in _singles(regmap):
        fn, off = reg.name.lower(), f"LEPTON_REG_{reg.name}"
        lines.append(f"static inline uint32_t lepton_read_{fn}(volatile uint32_t *base) {{ return base[{off} / 4u]; }}")
        if reg.access == "rw":
            lines.append(
                f"static inline void lepton_write_{fn}(volatile uint32_t *base, uint32_t value) "
                f"{{ base[{off} / 4u] = value; }}"
            )
        if reg.access == "w1c":
            lines.append(
                f"static inline void lepton_clear_{fn}(volatile uint32_t *base, uint32_t bits) "
                f"{{ base[{off} / 4u] = bits; }}"
            )
    for name in _arrays(regmap):
        lines.append(
            f"static inline uint32_t lepton_read_{name.lower()}(volatile uint32_t *base, uint32_t k) "
            f"{{ return base[LEPTON_REG_{name}(k) / 4u]; }}"
        )
    lines += ["", f"#endif /* {guard} */"]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- Markdown
def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _reset_text(reg: Register) -> str:
    return f"0x{reg.reset:08X}"


def markdown(regmap: RegisterMap) -> str:
    """The register map for the IP core's README: a table of registers, then each one's fields."""
    arrays = _arrays(regmap)
    n = regmap.n_classes
    lines = [
        "## Registers",
        "",
        f"AXI4-Lite slave `s_axil`: 32-bit data, {regmap.address_bits}-bit byte addresses (bits [1:0] ignored), "
        f"register map version {regmap.version[0]}.{regmap.version[1]}. Every access gets an OKAY response: a "
        "write to a read-only register is ignored and an address not in the table reads 0. `w1c`: writing 1 "
        "to a bit clears it, 0 leaves it; a bit set by the core in the same clock as the clear stays set. "
        "Counters are 32 bits and wrap. One write and one read at a time: a write takes effect 2 clocks after "
        "its address and data are both taken (then bvalid), a read's rvalid rises 4 clocks after its address "
        "is taken. The C header `lepton_regs.h` has the same offsets, masks and reset "
        "values.",
        "",
        f"Generated for frames up to {regmap.max_width} x {regmap.max_height} pixels, tiles of "
        f"{regmap.tile_width} x {regmap.tile_height}, {n} classes.",
        "",
        "| Offset | Register | Access | Reset | Description |",
        "|---|---|---|---|---|",
    ]
    done: set[str] = set()
    for reg in regmap.registers:
        if reg.index is None:
            lines.append(f"| 0x{reg.offset:03X} | {reg.name} | {reg.access} | {_reset_text(reg)} | {_md(reg.doc)} |")
        elif reg.name not in done:
            done.add(reg.name)
            first = arrays[reg.name][0]
            doc = first.doc.replace(f"class {first.index}", "class k")
            lines.append(
                f"| 0x{first.offset:03X} + 4*k | {reg.name}[k], k = 0 .. {len(arrays[reg.name]) - 1} | "
                f"{reg.access} | {_reset_text(first)} | {_md(doc)} |"
            )
    lines += ["", "### Fields", ""]
    shown = [*_singles(regmap), *(elements[0] for elements in arrays.values())]
    for reg in shown:
        label = f"{reg.name}[k]" if reg.index is not None else reg.name
        where = f"0x{reg.offset:03X}" + (" + 4*k" if reg.index is not None else "")
        lines += [
            f"**{label}** ({where}, {reg.access})",
            "",
            "| Bits | Field | Reset | Description |",
            "|---|---|---|---|",
        ]
        for f in sorted(reg.fields, key=lambda f: f.lsb):
            reset = f"0x{f.reset:X}" if f.reset > 9 else str(f.reset)
            lines.append(f"| {f.bits} | {f.name} | {reset} | {_md(_field_doc(f))} |")
        lines.append("")
    irq_status, irq_mask = regmap.irq
    lines += [
        f"`irq` (active high, level) = OR of ({irq_status} & {irq_mask}): it stays high until software clears "
        f"the cause in {irq_status} (or masks it).",
        "",
    ]
    return "\n".join(lines)


def _field_doc(f: Field) -> str:
    extra = {
        "status": f"; the input `{f.source}`, live",
        "counter": f"; counts `{f.event}` pulses",
        "capture": f"; loaded from `{f.source.split('[')[0]}` at every `{f.event}`",
        "sticky": f"; set by `{f.event}`" if f.event else "",
    }.get(f.hw, "")
    if f.output:
        extra = f"; drives the output `{f.output}`"
    return f.doc + extra


# ----------------------------------------------------------------------------- JSON
def to_json(regmap: RegisterMap) -> dict[str, Any]:
    """The map as plain data (core.json's ``registers``): every register, field and hardware source."""

    def field_json(f: Field) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": f.name, "lsb": f.lsb, "width": f.width, "access": f.access, "reset": f.reset, "doc": f.doc,
            "hw": f.hw,
        }  # fmt: skip
        for key in ("source", "event", "output", "reject"):
            if getattr(f, key):
                out[key] = getattr(f, key)
        if f.accept is not None:
            out["accept"] = list(f.accept)
        return out

    return {
        "version": f"{regmap.version[0]}.{regmap.version[1]}",
        "data_bits": regmap.data_bits,
        "address_bits": regmap.address_bits,
        "max_width": regmap.max_width,
        "max_height": regmap.max_height,
        "tile_width": regmap.tile_width,
        "tile_height": regmap.tile_height,
        "n_classes": regmap.n_classes,
        "irq": f"|({regmap.irq[0]} & {regmap.irq[1]})",
        "registers": [
            {
                "name": r.name,
                **({"index": r.index} if r.index is not None else {}),
                "offset": r.offset,
                "access": r.access,
                "reset": r.reset,
                "doc": r.doc,
                "fields": [field_json(f) for f in r.fields],
            }
            for r in regmap.registers
        ],
    }
