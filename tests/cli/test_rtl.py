"""The command line of the RTL backend: `rtl`, `predict --engine rtl`, `verify --engines ...,rtl`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.ir.serialize import save_graph
from lepton_hw.testing.ir_cases import CASES, U8, T, chain
from tests.helpers import run_cli

pytestmark = pytest.mark.rtl


@pytest.fixture(autouse=True)
def shared_cache(rtl_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's simulations use the session's cache: a core the RTL tests built is not built again."""
    monkeypatch.setenv("LEPTON_HW_CACHE", str(rtl_cache.parent))


def core_schedule(rtl: Path) -> dict:
    return json.loads((rtl / "core.json").read_text())["schedule"]["layers"]


def saved(graph_name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    save_graph(CASES[graph_name], folder)
    return folder


def test_camera_example_core(camera_example: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The trained camera example: checked core, timing figures, and verify over 64 test frames."""
    status, out, err = run_cli(["rtl", str(camera_example), "--board", "pynq-z2", "--force"], capsys)
    assert status == 0, err
    rtl = camera_example / "rtl"
    assert "bit-exact: 16 of 16 packets" in out
    report = json.loads((rtl / "sim_report.json").read_text())
    assert report["frames"] == 16 and report["simulator"] == "verilator"
    # the default schedule: the convolutions full rate, the dense layer folded 4x (fed every 4 pixels)
    assert "logits  fold  4     4 clk" in out, out
    assert core_schedule(rtl)["logits"]["impl"] == "fold"
    # one pixel per clock back to back, never a stall of the camera, the result soon after the frame
    assert report["cycles_per_frame"] == 32 * 32 and report["cycles_per_frame_max"] == 32 * 32
    assert report["input_stall_cycles"] == 0
    assert report["latency_cycles"] <= 64
    core = json.loads((rtl / "core.json").read_text())
    assert core["timing"]["latency_cycles"] == report["latency_cycles"]
    assert core["frame"] == {"height": 32, "width": 32, "channels": 1} and core["n_outputs"] == 5
    listed = (rtl / "files.f").read_text().split()
    assert listed == core["sources"] and all((rtl / name).is_file() for name in listed)
    assert listed[-1] == "lepton_core.v"

    x = np.load(camera_example / "test_x.npy")[:64]
    np.save(tmp_path / "x.npy", x)
    status, out, err = run_cli(["verify", str(camera_example), "-i", str(tmp_path / "x.npy"), "--engines", "ir,rtl"],
                               capsys)  # fmt: skip
    assert status == 0, out + err
    verify = json.loads((camera_example / "verify.json").read_text())
    assert verify["bit_exact"] is True and verify["mismatches"] == {"rtl": 0} and verify["n"] == 64


def test_predict_rtl_equals_ir_in_icarus_with_mac(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = saved("stride2_avg3_signed", tmp_path / "model")
    status, _, err = run_cli(["rtl", str(model), "--board", "ecp5-25f", "--kernel", "mac", "--sim", "icarus"], capsys)
    assert status == 0, err
    assert json.loads((model / "rtl" / "core.json").read_text())["kernel"] == "mac"
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, size=(5, *CASES["stride2_avg3_signed"].input.shape)) / 64.0  # ap_fixed<8,2>
    np.save(tmp_path / "x.npy", x)
    outputs = {}
    for engine in ("ir", "rtl"):
        y = tmp_path / f"{engine}.npy"
        argv = ["predict", str(model), "-i", str(tmp_path / "x.npy"), "-o", str(y), "--engine", engine]
        status, _, err = run_cli([*argv, "--sim", "icarus"], capsys)
        assert status == 0, err
        outputs[engine] = np.load(tmp_path / f"{engine}.npy")
    assert outputs["rtl"].shape == (5, 3)
    assert (outputs["rtl"] == outputs["ir"]).all()
    assert json.loads((model / "rtl" / "sim_report.json").read_text())["frames"] == 5


def test_rtl_refuses_what_it_cannot_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "tall"
    model.mkdir()
    save_graph(chain("tall", (2, 6, 1), U8, [("conv", 2, (5, 5), 1, "same", T("ap_fixed<10,4>")), ("flatten",),
                                             ("dense", 2, T("ap_fixed<14,6>"))], seed=0), model)  # fmt: skip
    status, _, err = run_cli(["rtl", str(model), "--board", "pynq-z2", "--no-sim"], capsys)
    assert status == 2
    assert "layer 'conv0' (conv2d): same padding adds 2 row(s)" in err
    assert not (model / "rtl").exists()


def test_rtl_bad_board_and_existing_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = saved("dense_only", tmp_path / "model")
    status, _, err = run_cli(["rtl", str(model), "--board", "no-such-board", "--no-sim"], capsys)
    assert status == 2 and "no-such-board" in err and "pynq-z2" in err  # the known boards are listed
    assert run_cli(["rtl", str(model), "--board", "pynq-z2", "--no-sim"], capsys)[0] == 0
    status, _, err = run_cli(["rtl", str(model), "--board", "pynq-z2", "--no-sim"], capsys)
    assert status == 2 and "--force" in err


def test_missing_simulators_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import lepton_hw.sim.run as sim_run

    model = saved("dense_only", tmp_path / "model")
    monkeypatch.setattr(sim_run, "_verilator_bin", lambda: None)
    status, _, err = run_cli(["rtl", str(model), "--board", "pynq-z2"], capsys)
    assert status == 2 and "simulator verilator is not installed" in err
    assert not (model / "rtl").exists()  # refused before anything was written
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status, _, err = run_cli(["rtl", str(model), "--board", "pynq-z2", "--sim", "icarus"], capsys)
    assert status == 2 and "simulator icarus is not installed" in err
    np.save(tmp_path / "x.npy", np.zeros((2, 20)))
    status, _, err = run_cli(["predict", str(model), "-i", str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy"),
                              "--engine", "rtl", "--sim", "icarus"], capsys)  # fmt: skip
    assert status == 2 and "simulator icarus is not installed" in err


def test_rtl_schedule_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--pipeline, --clocks-per-pixel and --layer reach the schedule; a layer that cannot keep up is refused."""
    folder = saved("pool_pool_dense", tmp_path / "ir")
    args = ["rtl", str(folder), "--board", "pynq-z2", "--no-sim", "--force"]
    status, out, err = run_cli([*args, "--pipeline", "2", "--clocks-per-pixel", "2", "--layer", "dense7=da"], capsys)
    assert status == 0, err
    core = json.loads((folder / "rtl" / "core.json").read_text())
    assert core["pipeline"] == 2 and core["clocks_per_pixel"] == 2
    assert core["schedule"]["layers"]["dense7"] | {"impl": "da", "forced": True} == core["schedule"]["layers"]["dense7"]
    assert "dense7  da (forced)" in out
    status, out, err = run_cli([*args, "--layer", "conv3=fold:3"], capsys)
    assert status == 2 and "'conv3'" in err and "every 2 clock(s)" in err and "fold 1..2" in err, err
    assert "Traceback" not in err
    status, out, err = run_cli([*args, "--layer", "conv3"], capsys)
    assert status == 2 and "NAME=IMPL" in err, err
