"""The command line of the HLS backend: `hls`, `predict --engine csim` and `verify`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.engines import load_ir
from lepton_hw.testing.models import random_inputs, random_model
from tests.helpers import assert_bit_exact, run_cli

pytestmark = [pytest.mark.hls, pytest.mark.keras]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small random conv model (seed 0 of the generator: conv, average pooling, two dense), imported."""
    from lepton_hw.cli import main
    from lepton_hw.frontend.keras_env import tf_keras

    work = tmp_path_factory.mktemp("hls_cli")
    tf_keras().backend.clear_session()
    spec, model = random_model(0)
    model.save(work / "model.h5")
    np.save(work / "x.npy", random_inputs(spec.input_shape, 24, 0))
    assert main(["import", str(work / "model.h5"), "-o", str(work / "model")]) == 0
    return work


@pytest.fixture(autouse=True)
def shared_cache(csim_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's csim engine uses the test session's cache: a design the HLS tests compiled is not compiled again."""
    monkeypatch.setenv("LEPTON_HW_CACHE", str(csim_cache.parent))


def test_hls_writes_the_project(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = imported / "model"
    status, out, err = run_cli(["hls", str(model), "--board", "pynq-z2", "--synth"], capsys)
    assert status == 0, err
    assert (model / "hls" / "build_camera.tcl").is_file()
    tcl = (model / "hls" / "build_camera.tcl").read_text() + (model / "hls" / "build_opts.tcl").read_text()
    assert "xc7z020clg400-1" in tcl
    assert "C synthesis not run; it would run:" in out and "vitis-run --mode hls" in out  # says what would run
    report = json.loads((model / "hls" / "report.json").read_text())
    assert report["ran"] is False
    status, _, err = run_cli(["hls", str(model), "--board", "pynq-z2"], capsys)
    assert status == 2 and "exists already; pass --force" in err
    status, _, err = run_cli(["hls", str(model), "--board", "no-such-board"], capsys)
    assert status == 2 and "unknown board 'no-such-board'" in err and "pynq-z2" in err


def test_hls_da_records_da4ml_costs(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = imported / "model"
    status, out, err = run_cli(["hls", str(model), "--board", "ulx3s-85f", "--strategy", "da", "--force"], capsys)
    assert status == 0, err
    report = json.loads((model / "hls" / "report.json").read_text())
    costs = report["da4ml_costs"]
    assert len(costs) == 3, costs  # seed 0 has three weighted layers: one conv, two dense
    assert all(layer["da4ml_cost"] > 0 for layer in costs.values())
    assert "da4ml cost estimate" in out and "LFE5U-85F-6BG381C" in out


def test_predict_csim_equals_ir(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {}
    for engine in ("ir", "csim"):
        y = imported / f"y_{engine}.npy"
        argv = ["predict", str(imported / "model"), "-i", str(imported / "x.npy"), "-o", str(y), "--engine", engine]
        status, _, err = run_cli(argv, capsys)
        assert status == 0, err
        outputs[engine] = np.load(y)
    assert_bit_exact(outputs["ir"], outputs["csim"], "predict --engine csim")


def test_verify_all_engines(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = imported / "model"
    argv = ["verify", str(model), "-i", str(imported / "x.npy"), "--engines", "ir,keras,csim"]
    status, out, err = run_cli(argv, capsys)
    assert status == 0, err
    report = json.loads((model / "verify.json").read_text())
    outputs = int(np.prod(load_ir(model).output.shape))
    assert report == {
        "n": 24,
        "outputs": outputs,
        "engines": ["ir", "keras", "csim"],
        "reference": "ir",
        "mismatches": {"keras": 0, "csim": 0},
        "bit_exact": True,
        "first_mismatch": None,
    }
    assert "bit-exact" in out


def test_verify_reports_the_first_mismatch(
    imported: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One changed output value in one engine: exit 1, and verify.json names engine, sample and output."""
    import lepton_hw.engines as engines

    real = engines.run_engine

    def off_by_one_lsb(graph, x, engine, hls=None, rtl=None):  # type: ignore[no-untyped-def]
        y = real(graph, x, engine, hls, rtl)
        if engine == "keras":
            y = y.copy()
            y[5, 1] += 2.0**-graph.output.type.frac
        return y

    monkeypatch.setattr(engines, "run_engine", off_by_one_lsb)
    model = imported / "model"
    status, out, _ = run_cli(["verify", str(model), "-i", str(imported / "x.npy")], capsys)
    assert status == 1
    report = json.loads((model / "verify.json").read_text())
    assert report["bit_exact"] is False and report["mismatches"] == {"keras": 1}
    first = report["first_mismatch"]
    assert (first["engine"], first["sample"], first["index"]) == ("keras", 5, 1)
    assert first["got"] != first["expected"]
    assert "NOT bit-exact" in out


def test_verify_unknown_engine(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["verify", str(imported / "model"), "-i", str(imported / "x.npy"), "--engines", "ir,fpga"]
    status, _, err = run_cli(argv, capsys)
    assert status == 2 and "unknown engine fpga; accepted: ir, keras, csim" in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--backend", "quartus"], "invalid choice: 'quartus'"),
        (["--strategy", "fast"], "invalid choice: 'fast'"),
        (["--strategy", "da", "--reuse", "2"], "strategy 'da' (hls4ml's distributed_arithmetic) needs reuse 1"),
        (["--strategy", "resource", "--reuse", "7"], "reuse factor 7 does not fit layer"),
        (["--clock", "0"], "clock must be a positive frequency"),
        (["--board", "icebreaker", "--synth"], "--synth runs Vitis/Vivado HLS, which target Xilinx parts"),
    ],
)
def test_hls_bad_options(imported: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str) -> None:
    board = [] if "--board" in options else ["--board", "pynq-z2"]
    status, _, err = run_cli(["hls", str(imported / "model"), *board, *options, "--force"], capsys)
    assert status == 2 and message in err, err
