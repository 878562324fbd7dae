"""The Vivado scripts of the IP folder (lepton_hw.vivado), without Vivado.

Their text is checked (part, clock period, reports, every source of files.f), and each script runs in
tclsh with every Vivado command replaced by a stub that records the call: the scripts are valid Tcl,
read what they should, and call synth_design, the reports and the packager's commands as UG835 names
them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lepton_hw.backends.rtl import build_rtl, write_rtl
from lepton_hw.boards import get_board
from lepton_hw.errors import UserError
from lepton_hw.schedule import ScheduleOptions
from lepton_hw.testing.ir_cases import CASES
from lepton_hw.vivado import VLNV, vivado_files

TCLSH = shutil.which("tclsh")
needs_tclsh = pytest.mark.skipif(TCLSH is None, reason="tclsh is not installed (apt-get install tcl)")

# Every command Tcl does not know (all of Vivado's) is recorded, one call a line, its words separated by
# \x1f, and answered with a token naming it.
STUBS = r"""
set script [lindex $argv 0]
set log [open [lindex $argv 1] w]
set argv [lrange $argv 2 end]
set argc [llength $argv]
proc unknown {args} {
    set words {}
    foreach word $args { lappend words [string map [list \\ \\\\ \n \\n] $word] }
    puts $::log [join $words \x1f]
    flush $::log
    return "<[lindex $args 0]>"
}
source $script
close $log
"""


def _ip_folder(tmp_path: Path, project, board_id: str | None, clock_mhz: float | None = None) -> Path:
    ip = tmp_path / "ip"
    write_rtl(project, ip / "rtl")
    board = get_board(board_id) if board_id else None
    for name, text in vivado_files(project.core, board, clock_mhz).items():
        (ip / "vivado").mkdir(parents=True, exist_ok=True)
        (ip / "vivado" / name).write_text(text)
    return ip


def _run(script: Path, cwd: Path, *args: str) -> list[list[str]]:
    """``script`` in tclsh with the stubs: the recorded calls, in order."""
    driver = cwd / "stubs.tcl"
    driver.write_text(STUBS)
    log = cwd / "calls.log"
    done = subprocess.run([TCLSH or "tclsh", str(driver), str(script), str(log), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return [line.split("\x1f") for line in log.read_text().splitlines()]


def _calls(calls: list[list[str]], command: str) -> list[list[str]]:
    return [call[1:] for call in calls if call[0] == command]


@pytest.fixture(scope="module")
def plain_core():
    """A core without registers (one tile per frame), for the PYNQ-Z2 at a 74.25 MHz pixel clock."""
    options = ScheduleOptions(pixel_clock_mhz=74.25)
    return build_rtl(CASES["rounding_modes"], board=get_board("pynq-z2"), options=options)


@pytest.fixture(scope="module")
def tiled_core():
    """A core with the AXI4-Lite registers and the interrupt (tiles of a 28x28 frame), for the ZCU104."""
    return build_rtl(CASES["pool_pool_dense"], board=get_board("zcu104"), options=ScheduleOptions(frame=(28, 28)))


# ----------------------------------------------------------------------------- the text
def test_the_text_names_the_part_the_clock_and_the_reports(plain_core) -> None:
    files = vivado_files(plain_core.core, None, None)
    assert sorted(files) == ["README.md", "lepton_core.xdc", "package_ip.tcl", "synth.tcl"]
    synth = files["synth.tcl"]
    assert "set part xc7z020clg400-1\n" in synth  # the board of core.json
    assert "synth_design -top lepton_core -part $part -mode out_of_context -generic LUT_MULTIPLIERS=0" in synth
    assert "files.f" in synth and "read_verilog $path" in synth
    assert "report_utilization -file [file join $out_dir utilization.rpt]" in synth
    assert "report_timing_summary -file [file join $out_dir timing.rpt]" in synth
    assert "opt_design\n" in synth and "place_design\n" in synth and "route_design\n" in synth
    # the camera's pixel clock: 1000 / 74.25 MHz = 13.468 ns
    assert files["lepton_core.xdc"].splitlines()[-1] == "create_clock -period 13.468 -name aclk [get_ports aclk]"
    readme = files["README.md"]
    for command in ("vivado -mode batch -source synth.tcl", "vivado -mode batch -source package_ip.tcl",
                    "--vendor-reports", VLNV):  # fmt: skip
        assert command in readme
    for source in plain_core.core["sources"]:
        assert f"`{source}`" in readme
    # reproducible: no absolute path, no date, the same text twice
    for text in files.values():
        assert "/tmp" not in text and "/work" not in text and "/home" not in text
        assert not re.search(r"20\d\d-\d\d-\d\d", text)
    assert vivado_files(plain_core.core, None, None) == files


def test_the_target_clock_and_part(plain_core) -> None:
    core = {k: v for k, v in plain_core.core.items() if k != "pixel_clock_mhz"}
    xdc = vivado_files(core, get_board("zcu104"), None)["lepton_core.xdc"]
    assert "create_clock -period 10.000 -name aclk" in xdc  # no pixel clock: the board's 100 MHz
    files = vivado_files(core, get_board("zcu104"), 250.0)
    assert "create_clock -period 4.000 -name aclk" in files["lepton_core.xdc"]
    assert "set part xczu7ev-ffvc1156-2-e\n" in files["synth.tcl"]
    # a Lattice board: the scripts name the default Xilinx part and say so
    files = vivado_files(plain_core.core, get_board("ecp5-25f"), None)
    assert "set part xc7z020clg400-1\n" in files["synth.tcl"]
    assert "ecp5-25f, is not a Xilinx board" in files["README.md"]
    with pytest.raises(UserError, match="positive"):
        vivado_files(plain_core.core, None, 0.0)


# ----------------------------------------------------------------------------- run in tclsh
@needs_tclsh
def test_synth_tcl_reads_every_source_and_writes_both_reports(plain_core, tmp_path: Path) -> None:
    ip = _ip_folder(tmp_path, plain_core, None)
    run = tmp_path / "run"
    run.mkdir()
    calls = _run(ip / "vivado" / "synth.tcl", run)
    order = (ip / "rtl" / "files.f").read_text().split()
    read = [Path(args[0]) for args in _calls(calls, "read_verilog")]
    assert [p.name for p in read] == order and all(p.is_file() for p in read)
    assert [Path(args[0]).name for args in _calls(calls, "read_xdc")] == ["lepton_core.xdc"]
    (synth,) = _calls(calls, "synth_design")
    assert synth == ["-top", "lepton_core", "-part", "xc7z020clg400-1", "-mode", "out_of_context",
                     "-generic", "LUT_MULTIPLIERS=0"]  # fmt: skip
    commands = [call[0] for call in calls]
    assert "opt_design" not in commands and "route_design" not in commands
    reports = [(call[0], call[2]) for call in calls if call[0].startswith("report_")]
    assert reports == [
        ("report_utilization", "reports/utilization.rpt"),
        ("report_timing_summary", "reports/timing.rpt"),
    ]
    assert (run / "reports").is_dir()
    # the XDC is Tcl too: its clock
    xdc = _run(ip / "vivado" / "lepton_core.xdc", run)
    assert _calls(xdc, "create_clock") == [["-period", "13.468", "-name", "aclk", "<get_ports>"]]
    assert _calls(xdc, "get_ports") == [["aclk"]]


@needs_tclsh
def test_synth_tcl_implementation_and_arguments(plain_core, tmp_path: Path) -> None:
    ip = _ip_folder(tmp_path, plain_core, None)
    run = tmp_path / "run"
    run.mkdir()
    calls = _run(ip / "vivado" / "synth.tcl", run, "-impl", "-part", "xc7a35ticsg324-1L", "-out", "arty")
    commands = [call[0] for call in calls]
    steps = [
        "synth_design",
        "write_checkpoint",
        "report_utilization",
        "report_timing_summary",
        "opt_design",
        "place_design",
        "route_design",
        "write_checkpoint",
        "report_utilization",
        "report_timing_summary",
    ]
    assert [c for c in commands if c in steps] == steps
    assert _calls(calls, "synth_design")[0][3] == "xc7a35ticsg324-1L"
    reports = [call[2] for call in calls if call[0].startswith("report_")]
    assert reports == ["arty/utilization_synth.rpt", "arty/timing_synth.rpt", "arty/utilization.rpt", "arty/timing.rpt"]
    # an unknown argument is an error that names the accepted ones
    driver = run / "stubs.tcl"
    done = subprocess.run([TCLSH or "tclsh", str(driver), str(ip / "vivado" / "synth.tcl"), str(run / "x.log"),
                           "-fast"], cwd=run, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode != 0 and "unknown argument '-fast'; accepted: -impl, -part PART, -out DIR" in done.stderr
    # a missing source is named
    (ip / "rtl" / plain_core.core["sources"][0]).unlink()
    done = subprocess.run([TCLSH or "tclsh", str(driver), str(ip / "vivado" / "synth.tcl"), str(run / "x.log")],
                          cwd=run, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode != 0 and f"{plain_core.core['sources'][0]} (listed in files.f) does not exist" in done.stderr


# the signals a slave drives: of AXI4-Stream TREADY, of AXI4-Lite the ready of the address and write channels
# and the response channels; the master drives the others (a clock and a reset are inputs of a slave, an
# interrupt is driven by its master)
SLAVE_OUTPUTS = {"TREADY", "AWREADY", "WREADY", "BRESP", "BVALID", "ARREADY", "RDATA", "RRESP", "RVALID"}


def _verilog_ports(verilog: str) -> dict[str, str]:
    """lepton_core's ports: name -> direction."""
    start = verilog.index("module lepton_core")
    header = verilog[start : verilog.index(");", start)]
    return {
        m.group(2): m.group(1) for m in re.finditer(r"\b(input|output)\s+(?:wire|reg)\s+(?:\[[^]]+\]\s*)?(\w+)", header)
    }


@needs_tclsh
@pytest.mark.parametrize("which", ["tiled", "plain"])
def test_package_ip_tcl_declares_every_bus_of_the_verilog(which: str, plain_core, tiled_core, tmp_path: Path) -> None:
    project = tiled_core if which == "tiled" else plain_core
    ip = _ip_folder(tmp_path, project, None)
    run = tmp_path / "run"
    run.mkdir()
    calls = _run(ip / "vivado" / "package_ip.tcl", run)
    (create,) = _calls(calls, "create_project")
    part = "xczu7ev-ffvc1156-2-e" if which == "tiled" else "xc7z020clg400-1"
    assert create == ["-force", "lepton_core_package", str(run / ".lepton_core_package"), "-part", part]
    (added,) = _calls(calls, "add_files")
    assert [Path(p).name for p in added[3].split()] == project.core["sources"]
    (package,) = _calls(calls, "ipx::package_project")
    options = dict(zip(package[::2], package[1::2], strict=False))
    assert options["-vendor"] == "lepton_hw" and options["-library"] == "lepton"
    assert Path(options["-root_dir"]) == run / "ip_repo" / "lepton_core"
    assert "-import_files" in package
    props = {(args[0], args[1]) for args in _calls(calls, "set_property") if args[2] == "<ipx::current_core>"}
    assert {("vendor", "lepton_hw"), ("library", "lepton"), ("name", "lepton_core"), ("version", "1.0")} <= props

    # every port of the Verilog is in one bus interface, its direction as the bus's mode says
    mapped: dict[str, tuple[str, str, str]] = {}  # physical port -> (bus, mode, logical name)
    bus = mode = logical = ""
    for call in calls:
        if call[0] == "ipx::add_bus_interface":
            bus = call[1]
        elif call[:2] == ["set_property", "interface_mode"]:
            mode = call[2]
        elif call[0] == "ipx::add_port_map":
            logical = call[1]
        elif call[:2] == ["set_property", "physical_name"]:
            assert call[2] not in mapped, f"{call[2]} is in two bus interfaces"
            mapped[call[2]] = (bus, mode, logical)
    ports = _verilog_ports((ip / "rtl" / "lepton_core.v").read_text())
    side_band = {"frame_count", "err_malformed", "err_clear"}  # plain ports, not part of a bus
    assert set(mapped) == set(ports) - side_band
    for port, (bus, mode, logical) in mapped.items():
        driven_by_slave = logical in SLAVE_OUTPUTS
        assert ports[port] == ("output" if driven_by_slave == (mode == "slave") else "input"), (port, bus, mode)
        assert logical.lower() == port.rsplit("_", 1)[-1] or (bus, logical) in (
            ("aclk", "CLK"),
            ("aresetn", "RST"),
            ("irq", "INTERRUPT"),
        ), (port, logical)
    buses = {b for b, _, _ in mapped.values()}
    expected = ["S_AXIS", "M_AXIS", "aclk", "aresetn"] + (["S_AXIL", "irq"] if which == "tiled" else [])
    assert sorted(buses) == sorted(expected)
    physical = list(mapped)
    assert ("m_axis_tuser" in physical) is (which == "tiled")
    # the clock clocks every bus and the reset; the reset is active low; irq is an interrupt
    associated = _calls(calls, "ipx::associate_bus_interfaces")
    busifs = [args[1] for args in associated if args[0] == "-busif"]
    assert sorted(busifs) == sorted(b for b in expected if b.startswith(("S_", "M_")))
    assert all(args[args.index("-clock") + 1] == "aclk" for args in associated)
    assert ["-clock", "aclk", "-reset", "aresetn", "<ipx::current_core>"] in associated
    parameters = [args[0] for args in _calls(calls, "ipx::add_bus_parameter")]
    values = {args[1] for args in _calls(calls, "set_property") if args[0] == "value"}
    assert "POLARITY" in parameters and "ACTIVE_LOW" in values
    assert ("SENSITIVITY" in parameters) is (which == "tiled")
    abstraction = [args[1] for args in _calls(calls, "set_property") if args[0] == "abstraction_type_vlnv"]
    assert "xilinx.com:interface:axis_rtl:1.0" in abstraction and "xilinx.com:signal:reset_rtl:1.0" in abstraction
    assert ("xilinx.com:signal:interrupt_rtl:1.0" in abstraction) is (which == "tiled")
    # the register map, one register per entry of core.json's
    registers = _calls(calls, "ipx::add_register")
    if which == "tiled":
        assert len(registers) == len(project.core["registers"]["registers"])
        assert registers[0][0] == "ID" and registers[-1][0] == "CLASS_COUNT_2"
        assert ["slave_memory_map_ref", "S_AXIL", "<ipx::add_bus_interface>"] in _calls(calls, "set_property")
    else:
        assert registers == [] and _calls(calls, "ipx::add_memory_map") == []
    # DSP multipliers by default, then the core is saved and the project removed
    assert ["value", "0", "<ipx::get_user_parameters>"] in _calls(calls, "set_property")
    commands = [call[0] for call in calls]
    assert commands.index("ipx::save_core") > commands.index("ipx::associate_bus_interfaces")
    assert commands[-1] == "close_project" and not (run / ".lepton_core_package").exists()
