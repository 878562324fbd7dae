"""Vivado scripts for the IP folder's ``vivado/`` subfolder: synthesis, a clock constraint, IP packaging.

:func:`vivado_files` writes, for one core (its core.json) and one board, the text of:

- ``synth.tcl``: non-project synthesis of ``../rtl`` (the Verilog in ``../rtl/files.f``'s order) with
  ``synth_design -mode out_of_context`` for the board's part, ``lepton_core.xdc`` for the clock, then
  ``report_utilization`` and ``report_timing_summary`` to ``utilization.rpt`` and ``timing.rpt``
  (``-tclargs -impl``: opt_design, place_design and route_design first). ``lepton-hw estimate
  --vendor-reports`` reads those two files back (:mod:`lepton_hw.estimate.vendor`).
- ``lepton_core.xdc``: ``create_clock`` on ``aclk`` at the target clock.
- ``package_ip.tcl``: ``ipx::package_project`` of the same sources, VLNV ``lepton_hw:lepton:lepton_core:1.0``,
  the AXI4-Stream (and, for a core with registers, AXI4-Lite with its register map) interfaces, ``aclk``
  associated with them and with ``aresetn`` (active low), ``irq`` as an interrupt; an alternative to a
  component.xml written without Vivado.
- ``README.md``: how to run each with ``vivado -mode batch -source ...``.

The commands are those of UG835 (Tcl reference) and UG1118 (packaging custom IP); every script
finds its sources relative to itself (``info script``), so the folder can be copied anywhere. The
folded layers' multipliers go to DSP blocks (``LUT_MULTIPLIERS = 0``), as lepton_hw's own Yosys
synthesis sets it for Xilinx (:func:`lepton_hw.estimate.synth.core_parameters`).

The target clock: ``clock_mhz`` when given, else the camera's pixel clock x clocks per pixel from
core.json, else the board's clock. A board that is not a Xilinx one (or none) gets the scripts for
:data:`DEFAULT_BOARD`'s part, and the README says how to pass another part.
"""

from __future__ import annotations

import logging
from typing import Any

from lepton_hw.boards import Board, get_board
from lepton_hw.errors import UserError
from lepton_hw.estimate.figures import core_clock_mhz

log = logging.getLogger(__name__)

TOP = "lepton_core"
VENDOR, LIBRARY, NAME, VERSION = "lepton_hw", "lepton", TOP, "1.0"
VLNV = f"{VENDOR}:{LIBRARY}:{NAME}:{VERSION}"
XILINX_FAMILIES = ("xc7", "xcup")
DEFAULT_BOARD = "pynq-z2"  # the part the scripts name when the core's board is not a Xilinx one
DEFAULT_CLOCK_MHZ = 100.0
# lepton_core's parameters for Xilinx, as lepton_hw.estimate.synth.core_parameters sets them for Yosys
XILINX_PARAMETERS = {"LUT_MULTIPLIERS": 0}
REPORTS = ("utilization.rpt", "timing.rpt")

# AXI4-Stream and AXI4-Lite port maps: (logical name, physical port) as Vivado's axis/aximm definitions name them
_AXIS_IN = (("TDATA", "s_axis_tdata"), ("TUSER", "s_axis_tuser"), ("TLAST", "s_axis_tlast"),
            ("TVALID", "s_axis_tvalid"), ("TREADY", "s_axis_tready"))  # fmt: skip
_AXIL = tuple(
    (signal.upper(), f"s_axil_{signal}")
    for signal in ("awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid",
                   "bready", "araddr", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready")
)  # fmt: skip
_ACCESS = {"ro": "read-only", "rw": "read-write", "w1c": "read-write"}


def vivado_files(core: dict[str, Any], board: Board | None, clock_mhz: float | None) -> dict[str, str]:
    """The files of the IP folder's ``vivado/`` subfolder (name -> text) for ``core`` (core.json as a dict).

    ``board``: the board whose part the scripts synthesize for (None: core.json's board); a board that
    is not a Xilinx one gets :data:`DEFAULT_BOARD`'s part. ``clock_mhz``: the target clock of the XDC
    constraint (None: the pixel clock x clocks per pixel of core.json, else the board's clock).
    """
    target, substituted = _target_board(core, board)
    clock, clock_why = _target_clock(core, target, clock_mhz)
    sources = [str(name) for name in core.get("sources", [])]
    registers = core.get("registers")
    context = _Context(core, target, substituted, clock, clock_why, registers is not None, "tiling" in core)
    files = {
        "synth.tcl": _synth_tcl(context),
        f"{TOP}.xdc": _xdc(context),
        "package_ip.tcl": _package_tcl(context, registers),
        "README.md": _readme(context, sources),
    }
    log.debug("vivado scripts for %s at %g MHz", target.part, clock)
    return files


class _Context:
    """What every generated file says about the core, its part and its clock."""

    def __init__(self, core: dict[str, Any], board: Board, substituted: str | None, clock_mhz: float,
                 clock_why: str, has_registers: bool, tiled: bool) -> None:  # fmt: skip
        self.core = core
        self.board = board
        self.substituted = substituted  # the board asked for when its part is not a Xilinx one, else None
        self.clock_mhz = clock_mhz
        self.clock_why = clock_why
        self.period_ns = _period(clock_mhz)
        self.has_registers = has_registers
        self.tiled = tiled

    @property
    def part(self) -> str:
        return self.board.part

    @property
    def part_note(self) -> str:
        if self.substituted is None:
            return f"{self.part} ({self.board.name}, lepton_hw board {self.board.id})"
        return (
            f"{self.part} ({self.board.name}), as the core's board, {self.substituted}, is not a Xilinx board; "
            "pass another part with -tclargs -part PART"
        )


def _target_board(core: dict[str, Any], board: Board | None) -> tuple[Board, str | None]:
    """The board whose part the scripts name, and the board asked for when that is another one."""
    if board is None and core.get("board"):
        try:
            board = get_board(str(core["board"]))
        except UserError:  # a board file of the user's own: its id is not a shipped board
            board = None
    if board is not None and board.family in XILINX_FAMILIES:
        return board, None
    asked = board.id if board is not None else str(core.get("board") or "none given")
    return get_board(DEFAULT_BOARD), asked


def _target_clock(core: dict[str, Any], board: Board, clock_mhz: float | None) -> tuple[float, str]:
    if clock_mhz is not None:
        if not clock_mhz > 0:
            raise UserError(f"the target clock must be a positive frequency in MHz, got {clock_mhz!r}")
        return float(clock_mhz), "the target clock given"
    required = core_clock_mhz(core)
    if required is not None:
        cpp = int(core.get("clocks_per_pixel", 1))
        return required, f"the camera's pixel clock {core['pixel_clock_mhz']:g} MHz x {cpp} clock(s) per pixel"
    if board.clock_mhz:
        return float(board.clock_mhz), f"the clock of board {board.id}"
    return DEFAULT_CLOCK_MHZ, "no clock known: 100 MHz"


def _period(clock_mhz: float) -> str:
    """The clock period in ns with 3 decimals, as Vivado prints it (13.468 for 74.25 MHz)."""
    return f"{1000.0 / clock_mhz:.3f}"


def _tcl_string(text: str) -> str:
    """``text`` as one double-quoted Tcl word: no substitution happens; control and non-ASCII characters
    become Tcl's backslash-u escapes of four hex digits."""
    out = []
    for char in text:
        if char in '\\"$[]{}':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 32 or ord(char) > 126:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_HEADER = "# Generated by lepton_hw for lepton_core; regenerate it rather than editing it.\n"

# Reads ../rtl/files.f (the compile order) into the list `sources`; one error naming the file if absent.
_READ_FILE_LIST = """\
set here [file dirname [file normalize [info script]]]
set rtl_dir [file join [file dirname $here] rtl]
set list_file [file join $rtl_dir files.f]
if {![file exists $list_file]} {
    error "lepton_core: $list_file does not exist; this script expects the IP folder's rtl/ beside vivado/"
}
set fh [open $list_file r]
set sources {}
foreach name [regexp -all -inline {\\S+} [read $fh]] {
    set path [file join $rtl_dir $name]
    if {![file exists $path]} {
        error "lepton_core: $path (listed in files.f) does not exist"
    }
    lappend sources $path
}
close $fh
"""


def _arguments(options: str, defaults: str, cases: str) -> str:
    """A loop over -tclargs setting the variables of ``cases``; an error lists the accepted ones."""
    return (
        f"{defaults}"
        "for {set i 0} {$i < [llength $argv]} {incr i} {\n"
        "    set arg [lindex $argv $i]\n"
        "    switch -exact -- $arg {\n"
        f"{cases}"
        f"        default {{ error \"lepton_core: unknown argument '$arg'; accepted: {options}\" }}\n"
        "    }\n"
        "}\n"
    )


def _synth_tcl(c: _Context) -> str:
    generics = " ".join(f"-generic {name}={value}" for name, value in XILINX_PARAMETERS.items())
    return (
        "# synth.tcl: Vivado synthesis of lepton_core out of context, the utilization and timing reports.\n"
        + _HEADER
        + "#\n"
        "#   vivado -mode batch -source synth.tcl                     synthesis, then the reports\n"
        "#   vivado -mode batch -source synth.tcl -tclargs -impl      synthesis, opt/place/route, then the reports\n"
        "#   -tclargs [-impl] [-part PART] [-out DIR]                 another part; reports in DIR (default reports)\n"
        "#\n"
        f"# Part: {c.part_note}.\n"
        f"# Clock: aclk at {c.clock_mhz:g} MHz ({c.clock_why}), period {c.period_ns} ns (lepton_core.xdc).\n"
        "# Writes DIR/utilization.rpt (report_utilization) and DIR/timing.rpt (report_timing_summary):\n"
        "# `lepton-hw estimate MODEL_DIR --board B --vendor-reports DIR` shows them beside the open tools' figures.\n"
        "# With -impl, the reports after synthesis are kept as utilization_synth.rpt and timing_synth.rpt.\n"
        "\n"
        + _arguments(
            "-impl, -part PART, -out DIR",
            f"set part {c.part}\nset out_dir reports\nset impl 0\n",
            "        -impl { set impl 1 }\n"
            "        -part { incr i; set part [lindex $argv $i] }\n"
            "        -out { incr i; set out_dir [lindex $argv $i] }\n",
        )
        + "file mkdir $out_dir\n"
        "\n"
        "# the Verilog of ../rtl in the compile order of ../rtl/files.f\n"
        + _READ_FILE_LIST
        + "foreach path $sources {\n"
        "    read_verilog $path\n"
        "}\n"
        f"read_xdc [file join $here {TOP}.xdc]\n"
        "\n"
        "# LUT_MULTIPLIERS 0: the folded layers' multipliers are `*` for the DSP blocks (lepton_hw's Yosys\n"
        "# synthesis for Xilinx sets the same); out of context: no I/O buffers, the core as a block of a design.\n"
        f"synth_design -top {TOP} -part $part -mode out_of_context {generics}\n"
        "write_checkpoint -force [file join $out_dir post_synth.dcp]\n"
        "if {$impl} {\n"
        "    report_utilization -file [file join $out_dir utilization_synth.rpt]\n"
        "    report_timing_summary -file [file join $out_dir timing_synth.rpt]\n"
        "    opt_design\n"
        "    place_design\n"
        "    route_design\n"
        "    write_checkpoint -force [file join $out_dir post_route.dcp]\n"
        "}\n"
        "report_utilization -file [file join $out_dir utilization.rpt]\n"
        "report_timing_summary -file [file join $out_dir timing.rpt]\n"
        'puts "lepton_core: reports in [file normalize $out_dir]: utilization.rpt, timing.rpt"\n'
    )


def _xdc(c: _Context) -> str:
    return (
        f"# lepton_core.xdc: the clock of lepton_core, {c.clock_mhz:g} MHz ({c.clock_why}).\n"
        + _HEADER
        + "# Out of context, the core's ports have no I/O delays: report_timing_summary times the paths inside it.\n"
        f"create_clock -period {c.period_ns} -name aclk [get_ports aclk]\n"
    )


def _bus(name: str, mode: str, kind: str, ports: tuple[tuple[str, str], ...]) -> str:
    """A ``lepton_bus`` call: bus interface ``name`` of ``kind`` (axis, aximm, clock, reset, interrupt)."""
    if kind in ("axis", "aximm"):
        abstraction, bus_type = f"xilinx.com:interface:{kind}_rtl:1.0", f"xilinx.com:interface:{kind}:1.0"
    else:
        abstraction, bus_type = f"xilinx.com:signal:{kind}_rtl:1.0", f"xilinx.com:signal:{kind}:1.0"
    pairs = " ".join(f"{logical} {physical}" for logical, physical in ports)
    return f"set bus_{name} [lepton_bus $core {name} {mode} {abstraction} {bus_type} {{{pairs}}}]\n"


def _register_tcl(registers: dict[str, Any]) -> str:
    """The AXI4-Lite slave's memory map: one address block of registers with their fields."""
    size = 1 << int(registers.get("address_bits", 12))
    lines = [
        "# the register map (core.json's registers; REGISTERS.md and lepton_regs.h in ../rtl describe it)",
        "set memory_map [ipx::add_memory_map S_AXIL $core]",
        "set_property slave_memory_map_ref S_AXIL $bus_S_AXIL",
        "set block [ipx::add_address_block reg0 $memory_map]",
        f"set_property range {size} $block",
        f"set_property width {int(registers.get('data_bits', 32))} $block",
        "set_property usage register $block",
    ]
    for reg in registers.get("registers", []):
        name = reg["name"] if reg.get("index") is None else f"{reg['name']}_{reg['index']}"
        lines += [
            f"set reg [ipx::add_register {name} $block]",
            f"set_property address_offset 0x{int(reg['offset']):03X} $reg",
            "set_property size 32 $reg",
            f"set_property access {_ACCESS[reg['access']]} $reg",
            f"set_property description {_tcl_string(reg.get('doc', ''))} $reg",
        ]
        for f in reg.get("fields", []):
            lines += [
                f"set field [ipx::add_field {f['name']} $reg]",
                f"set_property bit_offset {int(f['lsb'])} $field",
                f"set_property bit_width {int(f['width'])} $field",
                f"set_property access {_ACCESS[f['access']]} $field",
            ]
            if f["access"] == "w1c":
                lines.append("set_property modified_write_value oneToClear $field")
            lines.append(f"set_property description {_tcl_string(f.get('doc', ''))} $field")
    return "\n".join(lines) + "\n"


def _package_tcl(c: _Context, registers: dict[str, Any] | None) -> str:
    axis_out = [("TDATA", "m_axis_tdata")] + ([("TUSER", "m_axis_tuser")] if c.tiled else [])
    axis_out += [("TLAST", "m_axis_tlast"), ("TVALID", "m_axis_tvalid"), ("TREADY", "m_axis_tready")]
    buses = ["S_AXIS", "M_AXIS"] + (["S_AXIL"] if c.has_registers else [])
    frame = c.core.get("frame") or {}
    shape = f"{frame.get('width')}x{frame.get('height')}x{frame.get('channels')}"
    tiling = c.core.get("tiling") or {}
    pixels = f"frames of up to {tiling['max_width']}x{tiling['max_height']} in {shape} tiles" if tiling else shape
    description = f"lepton_hw streaming CNN core: {pixels} in on AXI4-Stream, one result packet per frame out"
    parameters = "".join(
        f"set_property value {value} [ipx::get_user_parameters {name} -of_objects $core]\n"
        f"set_property value {value} [ipx::get_hdl_parameters {name} -of_objects $core]\n"
        for name, value in XILINX_PARAMETERS.items()
    )
    return (
        f"# package_ip.tcl: lepton_core packaged as Vivado IP {VLNV} with ipx::package_project.\n" + _HEADER + "#\n"
        "#   vivado -mode batch -source package_ip.tcl                    writes ip_repo/lepton_core/component.xml\n"
        "#   -tclargs [-part PART] [-out DIR]                              another project part; the IP in DIR\n"
        "#\n"
        "# Then, in a Vivado project: set_property ip_repo_paths ip_repo [current_project]; update_ip_catalog\n"
        f"# and add {VLNV} to a block design. The packaging project is made in a folder of its own\n"
        "# (.lepton_core_package, deleted at the end); the sources are copied into the IP (-import_files).\n"
        f"# Part of the packaging project: {c.part_note}.\n"
        "\n"
        + _arguments(
            "-part PART, -out DIR",
            f"set part {c.part}\nset root_dir [file join ip_repo {NAME}]\n",
            "        -part { incr i; set part [lindex $argv $i] }\n"
            "        -out { incr i; set root_dir [lindex $argv $i] }\n",
        )
        + "set root_dir [file normalize $root_dir]\n"
        "set work [file normalize .lepton_core_package]\n"
        "file delete -force $work\n"
        "\n"
        "# the Verilog of ../rtl in the compile order of ../rtl/files.f\n" + _READ_FILE_LIST + "\n"
        "create_project -force lepton_core_package $work -part $part\n"
        "add_files -norecurse -fileset sources_1 $sources\n"
        f"set_property top {TOP} [get_filesets sources_1]\n"
        "update_compile_order -fileset sources_1\n"
        f"ipx::package_project -root_dir $root_dir -vendor {VENDOR} -library {LIBRARY} -taxonomy /UserIP "
        "-import_files -force\n"
        "set core [ipx::current_core]\n"
        f"set_property vendor {VENDOR} $core\n"
        f"set_property library {LIBRARY} $core\n"
        f"set_property name {NAME} $core\n"
        f"set_property version {VERSION} $core\n"
        "set_property core_revision 1 $core\n"
        f"set_property display_name {TOP} $core\n"
        f"set_property description {_tcl_string(description)} $core\n"
        f"set_property vendor_display_name {VENDOR} $core\n"
        "# every family this Vivado knows: the core is plain Verilog with no primitive of a family\n"
        "set families {}\n"
        "foreach family [lsort -unique [get_property FAMILY [get_parts]]] {\n"
        "    lappend families $family Production\n"
        "}\n"
        "set_property supported_families $families $core\n"
        "\n"
        "# The bus interfaces, declared port by port (whatever ipx::package_project inferred from the port\n"
        "# names is replaced, so that the interface names and port maps are these on every Vivado version).\n"
        "ipx::remove_all_bus_interface $core\n"
        "foreach memory_map [ipx::get_memory_maps -quiet -of_objects $core] {\n"
        "    ipx::remove_memory_map [get_property NAME $memory_map] $core\n"
        "}\n"
        "proc lepton_bus {core name mode abstraction bus_type ports} {\n"
        "    set bus [ipx::add_bus_interface $name $core]\n"
        "    set_property abstraction_type_vlnv $abstraction $bus\n"
        "    set_property bus_type_vlnv $bus_type $bus\n"
        "    set_property interface_mode $mode $bus\n"
        "    foreach {logical physical} $ports {\n"
        "        set port_map [ipx::add_port_map $logical $bus]\n"
        "        set_property logical_name $logical $port_map\n"
        "        set_property physical_name $physical $port_map\n"
        "    }\n"
        "    return $bus\n"
        "}\n"
        + _bus("S_AXIS", "slave", "axis", _AXIS_IN)
        + _bus("M_AXIS", "master", "axis", tuple(axis_out))
        + (_bus("S_AXIL", "slave", "aximm", _AXIL) if c.has_registers else "")
        + ("set_property value AXI4LITE [ipx::add_bus_parameter PROTOCOL $bus_S_AXIL]\n" if c.has_registers else "")
        + _bus("aclk", "slave", "clock", (("CLK", "aclk"),))
        + _bus("aresetn", "slave", "reset", (("RST", "aresetn"),))
        + "set_property value ACTIVE_LOW [ipx::add_bus_parameter POLARITY $bus_aresetn]\n"
        + (
            _bus("irq", "master", "interrupt", (("INTERRUPT", "irq"),))
            + "set_property value LEVEL_HIGH [ipx::add_bus_parameter SENSITIVITY $bus_irq]\n"
            if c.has_registers
            else ""
        )
        + "# aclk clocks every bus (ASSOCIATED_BUSIF) and aresetn resets them (ASSOCIATED_RESET)\n"
        + "".join(f"ipx::associate_bus_interfaces -busif {bus} -clock aclk $core\n" for bus in buses)
        + "ipx::associate_bus_interfaces -clock aclk -reset aresetn $core\n"
        + "\n"
        + (_register_tcl(registers) + "\n" if registers is not None else "")
        + "# lepton_core's parameters for Xilinx: the folded layers' multipliers in DSP blocks\n"
        + parameters
        + "\n"
        "ipx::create_xgui_files $core\n"
        "ipx::update_checksums $core\n"
        "ipx::check_integrity $core\n"
        "ipx::save_core $core\n"
        "close_project -delete\n"
        "file delete -force $work\n"
        f'puts "lepton_core: IP {VLNV} in $root_dir"\n'
    )


def _readme(c: _Context, sources: list[str]) -> str:
    buses = "`S_AXIS` (slave) and `M_AXIS` (master), AXI4-Stream"
    if c.has_registers:
        buses += "; `S_AXIL`, AXI4-Lite slave with the register map (REGISTERS.md); `irq`, interrupt (level high)"
    listed = ", ".join(f"`{name}`" for name in sources) if sources else "the files of `../rtl/files.f`"
    return f"""# Vivado scripts for lepton_core

For users who have Vivado. The commands are those of UG835 (Tcl reference) and UG1118 (packaging
custom IP); lepton_hw's tests run the scripts in tclsh with every Vivado command stubbed (Vivado is not
installed where lepton_hw is tested), so a first run in Vivado is the real check. Run them in this
folder; they find the Verilog in `../rtl` through `../rtl/files.f` ({listed}), so the IP folder can be
copied anywhere. Generated by lepton_hw: regenerate rather than edit.

Part: {c.part_note}.
Clock: `aclk` at {c.clock_mhz:g} MHz ({c.clock_why}), a period of {c.period_ns} ns in `lepton_core.xdc`.

## Synthesis and the reports: `synth.tcl`

```
vivado -mode batch -source synth.tcl                      # synthesis, out of context
vivado -mode batch -source synth.tcl -tclargs -impl       # synthesis, then opt_design, place_design, route_design
vivado -mode batch -source synth.tcl -tclargs -part xc7a35ticsg324-1L -out reports-arty
```

`synth_design -mode out_of_context` synthesizes the core as a block of a larger design (no I/O buffers;
the ports have no I/O delays, so the timing is that of the paths inside the core) with
`LUT_MULTIPLIERS=0` (the folded layers' multipliers in DSP blocks, as lepton_hw's own Yosys synthesis
for Xilinx). Then `report_utilization` and `report_timing_summary` write `reports/utilization.rpt`
and `reports/timing.rpt` (with `-impl`, after routing; the reports after synthesis are kept as
`utilization_synth.rpt` and `timing_synth.rpt`), and the checkpoints `post_synth.dcp` (and
`post_route.dcp`). To change the clock, edit the period in `lepton_core.xdc`.

Back in lepton_hw, the reports go beside the open tools' figures (LUT, FF, DSP, block RAM, WNS and
Fmax = 1000 / (period - WNS) MHz), for the board whose part matches the report's device:

```
lepton-hw estimate MODEL_DIR --board {c.board.id} --vendor-reports reports
```

A post-synthesis WNS has no routing in it: after `-impl` it is the figure to trust.

## The IP for IP Integrator: `package_ip.tcl`

```
vivado -mode batch -source package_ip.tcl                 # writes ip_repo/lepton_core/component.xml
vivado -mode batch -source package_ip.tcl -tclargs -out /path/to/my_ip_repo/lepton_core
```

`ipx::package_project` packages the Verilog as `{VLNV}` (vendor, library, name, version),
copying the sources into the IP folder. Bus interfaces (the names of the IP folder's component.xml):
{buses}; `aclk` is associated with each bus (ASSOCIATED_BUSIF) and with `aresetn` (ASSOCIATED_RESET),
and `aresetn` is active low. `LUT_MULTIPLIERS` defaults to 0 (DSP multipliers). This is an alternative
to the component.xml that lepton_hw writes without Vivado (same VLNV): put one or the other in an IP
repository, not both. To use the IP in a project:

```
set_property ip_repo_paths /path/to/ip_repo [current_project]
update_ip_catalog
create_bd_cell -type ip -vlnv {VLNV} lepton_core_0
```
"""
