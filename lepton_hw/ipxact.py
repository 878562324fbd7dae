"""IP-XACT components (``component.xml``) for ``lepton_core``, written without Vivado.

:func:`component_xml` reads the IP folder (``DIR/ip``: ``rtl/files.f``, ``rtl/core.json`` and the top
module ``rtl/lepton_core.v``) and returns the component: VLNV ``lepton_hw:lepton:lepton_core:1.0``, the
sources as file sets (paths ``rtl/<name>``, relative to the component file), the model (its ports and
module parameters, parsed from the Verilog's ``module lepton_core`` header, never from a hand-kept list),
the bus interfaces and, for a tiled core, the AXI4-Lite memory map with every register of core.json.

Two forms of the same content: IEEE 1685-2014 (``ipxact:``; port maps inside ``abstractionTypes``,
``componentInstantiation`` with ``moduleParameters``, reset values per field) and IEEE 1685-2009
(``spirit:``), the form Vivado's IP packager writes (Vivado 2017 to 2025 alike) and its IP catalog reads.

The bus interfaces follow what Vivado's packager writes for such a module (UG1118; the same
associations as ADI's adi_ip_xilinx.tcl):

- ``S_AXIS`` (slave) and ``M_AXIS`` (master): ``xilinx.com:interface:axis:1.0`` / ``axis_rtl:1.0``, one
  port map per ``s_axis_*`` / ``m_axis_*`` port (TUSER on M_AXIS only where the core has m_axis_tuser);
- ``S_AXIL`` (slave, tiled cores): ``xilinx.com:interface:aximm:1.0`` / ``aximm_rtl:1.0``, PROTOCOL
  AXI4LITE, with its memory map ``S_AXIL`` (address block ``reg0``: offset, size 32, access, reset value and fields of
  every register);
- ``aclk``: ``xilinx.com:signal:clock:1.0`` with ``ASSOCIATED_BUSIF`` (every bus interface above) and
  ``ASSOCIATED_RESET = aresetn``; ``aresetn``: ``xilinx.com:signal:reset:1.0``, ``POLARITY ACTIVE_LOW``;
  ``irq`` (tiled cores): ``xilinx.com:signal:interrupt:1.0``, ``SENSITIVITY LEVEL_HIGH``.

Vivado's views and file sets (``xilinx_anylanguagesynthesis``, ``xilinx_anylanguagebehavioralsimulation``)
and parameter ids (``PARAM_VALUE.*``, ``MODELPARAM_VALUE.*``) are kept. The only vendor extension is
``xilinx:coreExtensions`` (supported families, the IP catalog's taxonomy and display name); no checksums,
dates or paths: the text is a function of its inputs.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lepton_hw.errors import UnsupportedLayerError

log = logging.getLogger(__name__)

TOP = "lepton_core"
VLNV = ("lepton_hw", "lepton", TOP, "1.0")
Standard = Literal["2014", "2009"]
NAMESPACES: dict[str, tuple[str, str]] = {
    "2014": ("ipxact", "http://www.accellera.org/XMLSchema/IPXACT/1685-2014"),
    "2009": ("spirit", "http://www.spiritconsortium.org/XMLSchema/SPIRIT/1685-2009"),
}
XILINX_NS = "http://www.xilinx.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
for _prefix, _uri in (*NAMESPACES.values(), ("xilinx", XILINX_NS), ("xsi", XSI_NS)):
    ET.register_namespace(_prefix, _uri)

# Vivado's views of an RTL IP and the file set each one reads.
VIEWS = (
    ("xilinx_anylanguagesynthesis", "Synthesis", ":vivado.xilinx.com:synthesis"),
    ("xilinx_anylanguagebehavioralsimulation", "Simulation", ":vivado.xilinx.com:simulation"),
)
# Module parameter values in the component: Vivado targets Xilinx parts, whose DSP blocks beat a small
# multiplier in LUTs (lepton_hw's own Xilinx synthesis sets the same, estimate/synth.py); the others keep
# the Verilog's default. Both stay user parameters in the IP's customization.
XILINX_PARAMETERS = {"LUT_MULTIPLIERS": 0}
PARAMETER_DOCS = {
    "LUT_MULTIPLIERS": "Folded layers' multipliers: 1 = shift-and-add in LUTs, 0 = DSP blocks",
    "ROM_IN_LUTS": "Folded layers' weight ROMs: 0 = block RAM, 1 = LUTs",
    "RESULT_QUEUE_BRAM": "The result queue: 0 = flip-flops, 1 = block RAM",
}
SUPPORTED_FAMILIES = (
    "artix7", "kintex7", "virtex7", "spartan7", "zynq", "kintexu", "virtexu", "kintexuplus", "virtexuplus",
    "artixuplus", "zynquplus", "versal",
)  # fmt: skip

# The logical ports of the bus definitions used (Xilinx's axis_rtl and aximm_rtl, AXI4-Lite subset).
AXIS_SIGNALS = ("TDATA", "TSTRB", "TKEEP", "TLAST", "TID", "TDEST", "TUSER", "TVALID", "TREADY")
AXI4LITE_SIGNALS = (
    "AWADDR", "AWPROT", "AWVALID", "AWREADY", "WDATA", "WSTRB", "WVALID", "WREADY", "BRESP", "BVALID", "BREADY",
    "ARADDR", "ARPROT", "ARVALID", "ARREADY", "RDATA", "RRESP", "RVALID", "RREADY",
)  # fmt: skip
# (interface name, Verilog port prefix, bus type, interface mode, logical ports)
STREAM_BUSES = (
    ("S_AXIS", "s_axis_", "axis", "slave", AXIS_SIGNALS),
    ("M_AXIS", "m_axis_", "axis", "master", AXIS_SIGNALS),
    ("S_AXIL", "s_axil_", "aximm", "slave", AXI4LITE_SIGNALS),
)
CLOCK, RESET, INTERRUPT = "aclk", "aresetn", "irq"
ACCESS = {"ro": "read-only", "rw": "read-write", "w1c": "read-write"}
VOLATILE_HW = ("status", "counter", "capture", "sticky")  # fields the hardware changes


# ----------------------------------------------------------------------------- the Verilog module header
@dataclass(frozen=True)
class Port:
    """One port of a Verilog module: ``msb`` and ``lsb`` are None for a one-bit port without a range."""

    name: str
    direction: Literal["in", "out", "inout"]
    msb: int | None = None
    lsb: int | None = None

    @property
    def width(self) -> int:
        return 1 if self.msb is None or self.lsb is None else abs(self.msb - self.lsb) + 1


@dataclass(frozen=True)
class Parameter:
    """A module parameter and its default value (integers only: lepton_core has no other)."""

    name: str
    default: int


@dataclass(frozen=True)
class ModuleHeader:
    name: str
    parameters: tuple[Parameter, ...]
    ports: tuple[Port, ...]

    def port(self, name: str) -> Port | None:
        for p in self.ports:
            if p.name == name:
                return p
        return None


_DIRECTIONS = {"input": "in", "output": "out", "inout": "inout"}
_NET_TYPES = {"wire", "reg", "logic", "tri", "var", "integer", "signed", "unsigned"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r"\(\*.*?\*\)", " ", text, flags=re.S)  # attributes


def _balanced(text: str, start: int) -> int:
    """The index just past the parenthesis that closes the one at ``text[start]``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    raise UnsupportedLayerError("unbalanced parentheses in a Verilog module header")


def _split(text: str) -> list[str]:
    """Split at the commas outside (), [] and {}."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    items.append("".join(current).strip())
    return [item for item in items if item]


def _int_expr(text: str, values: dict[str, int], where: str) -> int:
    """A constant integer expression of the header (numbers, parameters, + - * / % and parentheses)."""
    source = re.sub(r"\b\d+'[sS]?[dD](\d+)\b", r"\1", text.strip())
    source = re.sub(r"\b\d+'[sS]?[hH]([0-9a-fA-F_]+)\b", lambda m: str(int(m[1].replace("_", ""), 16)), source)
    source = re.sub(r"\b\d+'[sS]?[bB]([01_]+)\b", lambda m: str(int(m[1].replace("_", ""), 2)), source)

    def value(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name) and node.id in values:
            return values[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            v = value(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = value(node.left), value(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div | ast.FloorDiv) and b:
                return int(a / b)  # Verilog's integer division truncates toward zero
            if isinstance(node.op, ast.Mod) and b:
                return a % b
        raise ValueError

    try:
        return value(ast.parse(source, mode="eval"))
    except (SyntaxError, ValueError):
        raise UnsupportedLayerError(f"{where}: {text.strip()!r} is not a constant integer expression") from None


def module_header(verilog: str, module: str = TOP) -> ModuleHeader:
    """The parameters and ports of ``module`` in ``verilog`` (a Verilog-2001 ANSI header, as lepton_hw writes)."""
    text = _strip_comments(verilog)
    match = re.search(rf"\bmodule\s+{re.escape(module)}\b", text)
    if match is None:
        raise UnsupportedLayerError(f"no `module {module}` in the Verilog source")
    pos = match.end()
    params: list[Parameter] = []
    values: dict[str, int] = {}
    rest = text[pos:].lstrip()
    pos = len(text) - len(rest)
    if rest.startswith("#"):
        open_at = text.index("(", pos)
        close_at = _balanced(text, open_at)
        for item in _split(text[open_at + 1 : close_at - 1]):
            decl, eq, default = item.partition("=")
            words = decl.replace("[", " [").split()
            if not eq or not words or not _IDENT.match(words[-1]):
                raise UnsupportedLayerError(f"module {module}: parameter {item!r} has no default value")
            name = words[-1]
            values[name] = _int_expr(default, values, f"module {module} parameter {name}")
            params.append(Parameter(name, values[name]))
        pos = close_at
    open_at = text.index("(", pos)
    close_at = _balanced(text, open_at)
    ports: list[Port] = []
    direction: str | None = None
    bits: tuple[int | None, int | None] = (None, None)
    for item in _split(text[open_at + 1 : close_at - 1]):
        head = re.match(r"^(input|output|inout)\b(.*)$", item, flags=re.S)
        if head is not None:
            direction, item = _DIRECTIONS[head[1]], head[2]
            bits = (None, None)
            rng = re.search(r"\[([^\]:]+):([^\]]+)\]", item)
            if rng is not None:
                where = f"module {module} port range [{rng[1]}:{rng[2]}]"
                bits = (_int_expr(rng[1], values, where), _int_expr(rng[2], values, where))
                item = item[: rng.start()] + " " + item[rng.end() :]
        words = [w for w in item.split() if w not in _NET_TYPES]
        if direction is None or len(words) != 1 or not _IDENT.match(words[0]):
            raise UnsupportedLayerError(
                f"module {module}: cannot read port declaration {item.strip()!r} (an ANSI port list is expected)"
            )
        ports.append(Port(words[0], direction, *bits))  # type: ignore[arg-type]
    if len({p.name for p in ports}) != len(ports):
        raise UnsupportedLayerError(f"module {module}: two ports of one name")
    return ModuleHeader(module, tuple(params), tuple(ports))


# ----------------------------------------------------------------------------- bus interfaces
@dataclass(frozen=True)
class BusInterface:
    name: str
    bus: tuple[str, str, str, str]  # vendor, library, name, version of the bus definition
    mode: Literal["master", "slave"]
    port_maps: tuple[tuple[str, str], ...]  # (logical port, physical port)
    parameters: tuple[tuple[str, str], ...] = ()
    memory_map: str | None = None

    @property
    def abstraction(self) -> tuple[str, str, str, str]:
        vendor, library, name, version = self.bus
        return vendor, library, f"{name}_rtl", version


def bus_interfaces(header: ModuleHeader, tiled: bool) -> list[BusInterface]:
    """The bus interfaces of the module's ports, as Vivado's packager groups them."""
    ports = {p.name: p for p in header.ports}
    out: list[BusInterface] = []
    for name, prefix, bus, mode, signals in STREAM_BUSES:
        members = [p for p in header.ports if p.name.startswith(prefix)]
        if not members:
            continue
        maps = []
        for p in members:
            logical = p.name[len(prefix) :].upper()
            if logical not in signals:
                raise UnsupportedLayerError(f"port {p.name}: {logical} is not a signal of {bus} ({name})")
            maps.append((logical, p.name))
        out.append(
            BusInterface(
                name, ("xilinx.com", "interface", bus, "1.0"), mode, tuple(maps),  # type: ignore[arg-type]
                parameters=(("PROTOCOL", "AXI4LITE"),) if bus == "aximm" else (),
                memory_map=name if bus == "aximm" else None,
            )
        )  # fmt: skip
    if tiled != any(b.name == "S_AXIL" for b in out):
        raise UnsupportedLayerError(
            f"core.json {'describes' if tiled else 'has no'} registers but {TOP} has "
            f"{'no' if tiled else 'an'} AXI4-Lite port; rewrite the core with `lepton-hw rtl --force`"
        )
    for port in (CLOCK, RESET):
        if port not in ports or ports[port].direction != "in" or ports[port].width != 1:
            raise UnsupportedLayerError(f"{TOP} has no one-bit input {port}")
    out.append(
        BusInterface(
            CLOCK, ("xilinx.com", "signal", "clock", "1.0"), "slave", (("CLK", CLOCK),),
            (("ASSOCIATED_BUSIF", ":".join(b.name for b in out)), ("ASSOCIATED_RESET", RESET)),
        )
    )  # fmt: skip
    out.append(
        BusInterface(
            RESET, ("xilinx.com", "signal", "reset", "1.0"), "slave", (("RST", RESET),), (("POLARITY", "ACTIVE_LOW"),)
        )
    )
    if INTERRUPT in ports:
        out.append(
            BusInterface(
                INTERRUPT, ("xilinx.com", "signal", "interrupt", "1.0"), "master", (("INTERRUPT", INTERRUPT),),
                (("SENSITIVITY", "LEVEL_HIGH"),),
            )
        )  # fmt: skip
    return out


# ----------------------------------------------------------------------------- XML
class _Writer:
    """Elements of one IP-XACT standard: 1685-2014 (``ipxact:``, plain attributes, expressions such as
    ``'h40``) or 1685-2009 (``spirit:``, attributes in the namespace, numbers such as ``0x40``)."""

    def __init__(self, standard: Standard) -> None:
        if standard not in NAMESPACES:
            raise UnsupportedLayerError(f"IP-XACT standard {standard!r}; accepted: {', '.join(NAMESPACES)}")
        self.standard = standard
        self.ns = NAMESPACES[standard][1]

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    def el(self, parent: ET.Element, tag: str, text: str | int | None = None, **attrs: str) -> ET.Element:
        names = {k: self.q(k) if self.standard == "2009" else k for k in attrs}
        element = ET.SubElement(parent, self.q(tag), {names[k]: v for k, v in attrs.items()})
        if text is not None:
            element.text = str(text)
        return element

    def number(self, value: int) -> str:
        return f"'h{value:X}" if self.standard == "2014" else f"0x{value:X}"

    def vlnv(self, parent: ET.Element, tag: str, vlnv: tuple[str, str, str, str]) -> None:
        vendor, library, name, version = vlnv
        self.el(parent, tag, vendor=vendor, library=library, name=name, version=version)

    def parameter(self, parent: ET.Element, name: str, value: str, ident: str, **attrs: str) -> ET.Element:
        """A name-value parameter; ``attrs`` (resolve, format, ...) go where the standard puts them."""
        if self.standard == "2014":
            param = self.el(parent, "parameter", parameterId=ident, **attrs)
            self.el(param, "name", name)
            self.el(param, "value", value)
        else:
            param = self.el(parent, "parameter")
            self.el(param, "name", name)
            self.el(param, "value", value, id=ident, **attrs)
        return param


def _x(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{XILINX_NS}}}{tag}", {f"{{{XILINX_NS}}}{k}": v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _port_maps(w: _Writer, parent: ET.Element, bus: BusInterface) -> None:
    maps = w.el(parent, "portMaps")
    for logical, physical in bus.port_maps:
        port_map = w.el(maps, "portMap")
        w.el(w.el(port_map, "logicalPort"), "name", logical)
        w.el(w.el(port_map, "physicalPort"), "name", physical)


def _bus_interface(w: _Writer, parent: ET.Element, bus: BusInterface) -> None:
    element = w.el(parent, "busInterface")
    w.el(element, "name", bus.name)
    w.vlnv(element, "busType", bus.bus)
    if w.standard == "2014":  # the port maps belong to the abstraction type, before the interface mode
        abstraction = w.el(w.el(element, "abstractionTypes"), "abstractionType")
        w.vlnv(abstraction, "abstractionRef", bus.abstraction)
        _port_maps(w, abstraction, bus)
        mode = w.el(element, bus.mode)
    else:  # 2009: abstraction type, interface mode, port maps
        w.vlnv(element, "abstractionType", bus.abstraction)
        mode = w.el(element, bus.mode)
        _port_maps(w, element, bus)
    if bus.memory_map is not None:
        w.el(mode, "memoryMapRef", memoryMapRef=bus.memory_map)
    if bus.parameters:
        holder = w.el(element, "parameters")
        for name, value in bus.parameters:
            w.parameter(holder, name, value, f"BUSIFPARAM_VALUE.{bus.name.upper()}.{name}")


def _memory_map(w: _Writer, parent: ET.Element, name: str, registers: dict[str, Any]) -> None:
    memory_map = w.el(w.el(parent, "memoryMaps"), "memoryMap")
    w.el(memory_map, "name", name)
    block = w.el(memory_map, "addressBlock")
    w.el(block, "name", "reg0")
    w.el(block, "description", f"lepton_core control and status registers, map version {registers['version']}")
    w.el(block, "baseAddress", w.number(0))
    w.el(block, "range", str(1 << int(registers["address_bits"])))
    w.el(block, "width", str(registers["data_bits"]))
    w.el(block, "usage", "register")
    for reg in registers["registers"]:
        ident = reg["name"] if reg.get("index") is None else f"{reg['name']}_{reg['index']}"
        register = w.el(block, "register")
        w.el(register, "name", ident)
        w.el(register, "description", reg["doc"])
        w.el(register, "addressOffset", w.number(reg["offset"]))
        w.el(register, "size", str(registers["data_bits"]))
        w.el(register, "volatile", "true" if any(f["hw"] in VOLATILE_HW for f in reg["fields"]) else "false")
        w.el(register, "access", ACCESS[reg["access"]])
        if w.standard == "2009":  # 2009: one reset value per register; 2014: per field
            reset = w.el(register, "reset")
            w.el(reset, "value", w.number(reg["reset"]))
            mask = sum(((1 << f["width"]) - 1) << f["lsb"] for f in reg["fields"])
            w.el(reset, "mask", w.number(mask))
        for f in reg["fields"]:
            field = w.el(register, "field")
            w.el(field, "name", f["name"])
            w.el(field, "description", f["doc"])
            w.el(field, "bitOffset", str(f["lsb"]))
            if w.standard == "2014":
                w.el(w.el(w.el(field, "resets"), "reset"), "value", w.number(f["reset"]))
            w.el(field, "bitWidth", str(f["width"]))
            w.el(field, "volatile", "true" if f["hw"] in VOLATILE_HW else "false")
            w.el(field, "access", ACCESS[f["access"]])
            if f["access"] == "w1c":
                w.el(field, "modifiedWriteValue", "oneToClear")


def _port(w: _Writer, parent: ET.Element, port: Port) -> None:
    element = w.el(parent, "port")
    w.el(element, "name", port.name)
    wire = w.el(element, "wire")
    w.el(wire, "direction", port.direction)
    if port.msb is not None and port.lsb is not None:
        if w.standard == "2014":
            vector = w.el(w.el(wire, "vectors"), "vector")
            w.el(vector, "left", str(port.msb))
            w.el(vector, "right", str(port.lsb))
        else:
            vector = w.el(wire, "vector")
            w.el(vector, "left", str(port.msb), format="long")
            w.el(vector, "right", str(port.lsb), format="long")
    typedef = w.el(w.el(wire, "wireTypeDefs"), "wireTypeDef")
    w.el(typedef, "typeName", "wire")
    for view, _, _ in VIEWS:
        w.el(typedef, "viewRef" if w.standard == "2014" else "viewNameRef", view)


def _model(w: _Writer, root: ET.Element, header: ModuleHeader) -> None:
    model = w.el(root, "model")
    views = w.el(model, "views")
    for name, display, env in VIEWS:
        view = w.el(views, "view")
        w.el(view, "name", name)
        w.el(view, "displayName", display)
        w.el(view, "envIdentifier", env)
        if w.standard == "2014":
            w.el(view, "componentInstantiationRef", name)
        else:
            w.el(view, "language", "Verilog")
            w.el(view, "modelName", TOP)
            w.el(w.el(view, "fileSetRef"), "localName", f"{name}_view_fileset")
    if w.standard == "2014":
        instantiations = w.el(model, "instantiations")
        for name, _, _ in VIEWS:
            inst = w.el(instantiations, "componentInstantiation")
            w.el(inst, "name", name)
            w.el(inst, "language", "Verilog")
            w.el(inst, "moduleName", TOP)
            if header.parameters:
                module_params = w.el(inst, "moduleParameters")
                for p in header.parameters:
                    mp = w.el(
                        module_params, "moduleParameter", parameterId=f"MODELPARAM_VALUE.{p.name}.{name}",
                        resolve="generated", type="int", dataType="integer",
                    )  # fmt: skip
                    w.el(mp, "name", p.name)
                    w.el(mp, "displayName", p.name)
                    w.el(mp, "value", str(XILINX_PARAMETERS.get(p.name, p.default)))
            w.el(w.el(inst, "fileSetRef"), "localName", f"{name}_view_fileset")
    ports = w.el(model, "ports")
    for port in header.ports:
        _port(w, ports, port)
    if w.standard == "2009" and header.parameters:
        model_params = w.el(model, "modelParameters")
        for p in header.parameters:
            mp = w.el(model_params, "modelParameter", dataType="integer")
            w.el(mp, "name", p.name)
            w.el(mp, "displayName", p.name)
            w.el(
                mp, "value", str(XILINX_PARAMETERS.get(p.name, p.default)), format="long", resolve="generated",
                id=f"MODELPARAM_VALUE.{p.name}",
            )  # fmt: skip


def _description(core: dict[str, Any]) -> str:
    frame = core.get("frame", {})
    text = (
        f"Camera classifier generated by lepton_hw: {frame.get('height')}x{frame.get('width')}x"
        f"{frame.get('channels')} {core.get('pixel_type')} pixels in (AXI4-Stream), {core.get('n_outputs')} "
        "logits and the class index out per frame"
    )
    tiling = core.get("tiling")
    if tiling:
        text += (
            f"; whole frames up to {tiling['max_width']}x{tiling['max_height']} cut into tiles, every tile "
            "classified, AXI4-Lite registers and an interrupt"
        )
    if core.get("content_hash"):
        text += f" (Verilog {core['content_hash']})"
    return text + "."


def component_from(
    core: dict[str, Any], sources: Sequence[str], top_verilog: str, standard: Standard = "2014"
) -> str:  # fmt: skip
    """The component.xml text (IP-XACT ``standard``, 1685-2014 or 1685-2009) for a core described by
    ``core`` (core.json), whose sources are ``sources`` (files.f order, names inside rtl/) and whose top
    module's Verilog is ``top_verilog``."""
    w = _Writer(standard)
    header = module_header(top_verilog, TOP)
    registers = core.get("registers")
    tiled = isinstance(registers, dict)
    buses = bus_interfaces(header, tiled)
    if not sources or any("/" in s or "\\" in s or s.startswith(".") for s in sources):
        raise UnsupportedLayerError(f"files.f must list file names inside rtl/, not {list(sources)!r}")
    unknown = set(XILINX_PARAMETERS) - {p.name for p in header.parameters}
    if unknown:
        raise UnsupportedLayerError(f"{TOP} has no parameter {', '.join(sorted(unknown))}")

    namespace = NAMESPACES[standard][1]
    root = ET.Element(w.q("component"), {f"{{{XSI_NS}}}schemaLocation": f"{namespace} {namespace}/index.xsd"})
    for tag, text in zip(("vendor", "library", "name", "version"), VLNV, strict=True):
        w.el(root, tag, text)
    interfaces = w.el(root, "busInterfaces")
    for bus in buses:
        _bus_interface(w, interfaces, bus)
    if tiled:
        assert registers is not None
        _memory_map(w, root, "S_AXIL", registers)
    _model(w, root, header)
    file_sets = w.el(root, "fileSets")
    for name, _, _ in VIEWS:
        file_set = w.el(file_sets, "fileSet")
        w.el(file_set, "name", f"{name}_view_fileset")
        for source in sources:
            f = w.el(file_set, "file")
            w.el(f, "name", f"rtl/{source}")
            w.el(f, "fileType", "verilogSource")
    w.el(root, "description", _description(core))
    if header.parameters:
        params = w.el(root, "parameters")
        for p in header.parameters:
            value, ident = str(XILINX_PARAMETERS.get(p.name, p.default)), f"PARAM_VALUE.{p.name}"
            if standard == "2014":
                param = w.el(params, "parameter", parameterId=ident, resolve="user", type="int")
            else:
                param = w.el(params, "parameter")
            w.el(param, "name", p.name)
            w.el(param, "displayName", p.name)
            if p.name in PARAMETER_DOCS:
                w.el(param, "description", PARAMETER_DOCS[p.name])
            if standard == "2014":
                w.el(param, "value", value)
            else:
                w.el(param, "value", value, format="long", resolve="user", id=ident)

    extensions = w.el(root, "vendorExtensions")
    core_ext = _x(extensions, "coreExtensions")
    families = _x(core_ext, "supportedFamilies")
    for family in SUPPORTED_FAMILIES:
        _x(families, "family", family, lifeCycle="Production")
    _x(_x(core_ext, "taxonomies"), "taxonomy", "/UserIP")
    _x(core_ext, "displayName", "lepton_core (lepton_hw)")
    _x(core_ext, "coreRevision", "1")

    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def component_xml(ip_dir: Path | str, standard: Standard = "2014") -> str:
    """The component.xml of the IP folder ``ip_dir`` (``DIR/ip``: it reads ``rtl/files.f``, ``rtl/core.json``
    and ``rtl/lepton_core.v``) in IP-XACT ``standard`` ("2014": IEEE 1685-2014; "2009": IEEE 1685-2009, the
    form Vivado's packager writes); write it as ``DIR/ip/component.xml``, next to ``rtl/``."""
    rtl = Path(ip_dir) / "rtl"
    try:
        core = json.loads((rtl / "core.json").read_text())
        sources = [line.strip() for line in (rtl / "files.f").read_text().splitlines() if line.strip()]
        top = (rtl / f"{TOP}.v").read_text()
    except (OSError, ValueError) as err:
        raise UnsupportedLayerError(
            f"{rtl} is not a complete RTL project ({err}); rewrite it with `lepton-hw rtl --force`"
        ) from None
    if f"{TOP}.v" not in sources:
        raise UnsupportedLayerError(f"{rtl}/files.f does not list {TOP}.v")
    text = component_from(core, sources, top, standard)
    log.debug("IP-XACT %s component of %s: %d sources, %d bytes", standard, rtl, len(sources), len(text))
    return text
