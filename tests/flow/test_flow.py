"""``lepton-hw flow`` end to end on a tiny config: outputs, summary, report, IP, caching, resume, failures.

One flow runs per module (about 2 minutes on 2 cores, cold caches); the other tests reuse its folder
or copies of it. The estimate runs in fast mode here (tests/estimate checks the synthesis path).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from lepton_hw import flow
from lepton_hw.config import load_config
from lepton_hw.testing.configs import TINY_FLOW
from tests.helpers import hostile_model, run_cli

pytestmark = [pytest.mark.keras, pytest.mark.rtl, pytest.mark.hls, pytest.mark.synth]

TINY = {
    **TINY_FLOW,
    "hardware": {"board": "pynq-z2", "boards": ["icebreaker", "pynq-z2"], "estimate": "fast", "check_frames": 6},
}
STEP_LINE = re.compile(r"^\[(\d)/8\] (\w+) +(ran|cached|kept) +([\d.]+) s  (.*)$")


@pytest.fixture(scope="module")
def cache(rtl_cache: Path) -> Iterator[Path]:
    """The builds shared with the other tests (each core is compiled once per session)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEPTON_HW_CACHE", str(rtl_cache.parent))
        yield rtl_cache.parent


@pytest.fixture(scope="module")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flow_config") / "tiny_flow.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


@pytest.fixture(scope="module")
def first_run(cache: Path, config_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, list]:
    """The flow through the Python API, from nothing; (DIR, result, progress lines)."""
    out = tmp_path_factory.mktemp("flow") / "run"
    lines: list[str] = []
    result = flow.run(config_path, out, progress=lines.append)
    return out, result, lines


def _steps(lines: list[str]) -> dict[str, str]:
    """Step name -> status, from the progress lines (one per step, in order)."""
    parsed = [STEP_LINE.match(line) for line in lines if line.startswith("[")]
    assert all(parsed), lines
    return {m.group(2): m.group(3) for m in parsed if m}


def test_every_step_runs_once_with_its_time(first_run: tuple[Path, Any, list]) -> None:
    _, result, lines = first_run
    assert [o.name for o in result.steps] == list(flow.STEP_NAMES)
    assert _steps(lines) == dict.fromkeys(flow.STEP_NAMES, "ran")
    assert all(o.seconds >= 0 and o.summary for o in result.steps)


def test_outputs_and_summary(first_run: tuple[Path, Any, list]) -> None:
    out, result, _ = first_run
    for name in ("model.h5", "ir/ir.json", "metrics.json", "hls/build_camera.tcl", "rtl/files.f", "verify.json",
                 "estimate.json", "report.html", "ip/README.md", "flow.json"):  # fmt: skip
        assert (out / name).exists(), name
    verify = json.loads((out / "verify.json").read_text())
    test_y = np.load(out / "test_y.npy")
    assert verify["engines"] == ["ir", "keras", "csim", "rtl"]
    assert verify["n"] == len(test_y) and verify["bit_exact"] is True
    assert verify["mismatches"] == {"keras": 0, "csim": 0, "rtl": 0}
    # the report's predictions are the interpreter's own logits
    logits = np.load(out / "test_logits.npy")
    metrics = json.loads((out / "metrics.json").read_text())
    assert float(np.mean(np.argmax(logits, axis=1) == test_y)) == metrics["test"]["accuracy"]

    doc = json.loads((out / "estimate.json").read_text())
    assert [e["board"] for e in doc["boards"]] == TINY["hardware"]["boards"] and doc["mode"] == "fast"
    s = result.summary
    assert s["accuracy"] == metrics["test"]["accuracy"] and s["bit_exact"] is True and s["samples"] == len(test_y)
    fitting = [e for e in doc["boards"] if e["fits"]]
    best = max(fitting, key=lambda e: e["frames_per_s"]["value"])
    assert s["best_board"]["board"] == best["board"]

    lines = flow.summary_lines(result)
    assert lines[0] == f"accuracy: {metrics['test']['accuracy']:.2%} on {len(test_y)} test frames (integer interpreter)"
    assert lines[1].startswith(f"bit-exact: yes: ir, keras, csim, rtl agree on all {len(test_y)} test frames")
    lut = best["resources"]["lut"]["value"]
    assert lines[2].startswith(f"best board: {best['board']} ") and f"{lut:,} LUT" in lines[2]
    assert "Fmax" in lines[2] and f"latency {best['frame_latency_us']['value']:g} µs" in lines[2]
    assert lines[3] == f"report: {out / 'report.html'}"


def test_report_is_self_contained_and_shows_the_figures(first_run: tuple[Path, Any, list]) -> None:
    out, _, _ = first_run
    page = (out / "report.html").read_text()
    assert "<script" not in page and "http://" not in page and "https://" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(src.startswith("data:image/png;base64,") for src in sources)
    # training curves, utilization chart, and one picture per sample frame (6 per class)
    classes = json.loads((out / "metrics.json").read_text())["classes"]
    assert len(sources) == 2 + 6 * len(classes)
    metrics = json.loads((out / "metrics.json").read_text())
    assert f"{metrics['test']['accuracy']:.2%}" in page
    cells = [int(v) for v in re.findall(r'<td style="background:[^"]*">(\d+)</td>', page)]
    assert cells == [v for row in metrics["test"]["confusion_matrix"] for v in row]  # the confusion matrix
    for layer in metrics["layers"]:  # the model table: each weighted layer's parameters, non-zeros, MACs
        figures = [f"{layer[k]:,}" for k in ("params", "nonzero_params")] + [f"{layer['sparsity']:.1%}"]
        expected = "".join(f'<td class="num">{f}</td>' for f in [*figures, f"{layer['macs']:,}"])
        assert expected in page, layer["name"]
    for board in TINY["hardware"]["boards"]:
        assert f"<b>{board}</b>" in page
    assert page.count('class="model">*</span>') > 0  # modelled figures are marked
    verify = json.loads((out / "verify.json").read_text())
    for engine, tool in verify["tools"].items():
        assert f"<b>{engine}</b>" in page and tool.split(",")[0] in page


def test_ip_folder_is_complete(first_run: tuple[Path, Any, list]) -> None:
    out, _, _ = first_run
    ip = out / "ip"
    for name in (out / "rtl" / "files.f").read_text().split():
        assert (ip / "rtl" / name).read_text() == (out / "rtl" / name).read_text()
    assert (ip / "hls" / "build_camera.tcl").is_file() and (ip / "hls" / "camera" / "lepton_camera.cpp").is_file()
    assert (ip / "report.html").read_bytes() == (out / "report.html").read_bytes()
    readme = (ip / "README.md").read_text()
    for port in ("s_axis_tdata", "s_axis_tuser", "m_axis_tdata", "err_malformed"):
        assert port in readme
    sim = json.loads((out / "rtl" / "sim_report.json").read_text())
    assert f"{sim['cycles_per_frame']} cycles per frame, latency {sim['latency_cycles']} cycles" in readme
    frames = TINY["hardware"]["check_frames"]
    assert (
        len((ip / "tb" / "expected.hex").read_text().split())
        == frames * json.loads((out / "rtl" / "core.json").read_text())["packet_beats"]
    )


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog (iverilog) is not installed")
def test_ip_testbench_passes_and_catches_a_wrong_beat(first_run: tuple[Path, Any, list], tmp_path: Path) -> None:
    out, _, _ = first_run
    ip = tmp_path / "ip"
    shutil.copytree(out / "ip", ip)
    done = subprocess.run([str(ip / "tb" / "run_icarus.sh")], capture_output=True, text=True, timeout=300)
    frames = TINY["hardware"]["check_frames"]
    assert done.returncode == 0 and f"PASS: {frames} frames" in done.stdout, done.stdout + done.stderr
    expected = (ip / "tb" / "expected.hex").read_text().split()
    expected[3] = f"{(int(expected[3], 16) + 1) & 0xFFFFFFFF:08x}"  # one logit of frame 0 off by one
    (ip / "tb" / "expected.hex").write_text("\n".join(expected) + "\n")
    done = subprocess.run([str(ip / "tb" / "run_icarus.sh")], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "FAIL: frame 0 beat 3" in done.stdout, done.stdout


def test_second_run_is_all_cached(first_run: tuple[Path, Any, list], config_path: Path, capsys: Any) -> None:
    out, _, _ = first_run
    before = (out / "report.html").stat().st_mtime_ns
    status, stdout, err = run_cli(["flow", str(config_path), "-o", str(out)], capsys)
    assert status == 0, err
    assert _steps(stdout.splitlines()) == dict.fromkeys(flow.STEP_NAMES, "cached")
    assert (out / "report.html").stat().st_mtime_ns == before
    assert f"report: {out / 'report.html'}" in stdout


def _copy(first_run: tuple[Path, Any, list], tmp_path: Path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(first_run[0], out)
    return out


def test_a_hardware_change_reruns_only_what_depends_on_it(
    first_run: tuple[Path, Any, list], config_path: Path, tmp_path: Path, capsys: Any
) -> None:
    out = _copy(first_run, tmp_path)
    config = yaml.safe_load(config_path.read_text())
    config["hardware"]["boards"] = ["tang-nano-9k"]
    changed = tmp_path / "boards.yaml"
    changed.write_text(yaml.safe_dump(config))
    status, stdout, err = run_cli(["flow", str(changed), "-o", str(out)], capsys)
    assert status == 0, err
    ran = {name for name, state in _steps(stdout.splitlines()).items() if state == "ran"}
    assert ran == {"estimate", "report", "ip"}
    assert [e["board"] for e in json.loads((out / "estimate.json").read_text())["boards"]] == ["tang-nano-9k"]


def test_a_training_change_reruns_from_training_on(
    first_run: tuple[Path, Any, list], config_path: Path, tmp_path: Path, capsys: Any
) -> None:
    out = _copy(first_run, tmp_path)
    config = yaml.safe_load(config_path.read_text())
    config["training"]["epochs"] = 3
    changed = tmp_path / "epochs.yaml"
    changed.write_text(yaml.safe_dump(config))
    status, stdout, err = run_cli(["flow", str(changed), "-o", str(out)], capsys)
    assert status == 0, err
    assert _steps(stdout.splitlines()) == dict.fromkeys(flow.STEP_NAMES, "ran")
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 3
    assert json.loads((out / "verify.json").read_text())["bit_exact"] is True


def test_a_hostile_model_file_runs_nothing(
    first_run: tuple[Path, Any, list], config_path: Path, tmp_path: Path, capsys: Any
) -> None:
    """DIR/model.h5 replaced by a file whose Lambda writes a marker: the import step refuses it unopened.

    (A plain rerun would train again, the training output having changed; --from import reads the file.)"""
    out = _copy(first_run, tmp_path)
    marker = tmp_path / "marker.txt"
    hostile_model(out / "model.h5", marker)
    ir_before = (out / "ir" / "ir.json").read_bytes()
    status, _, err = run_cli(["flow", str(config_path), "-o", str(out), "--from", "import"], capsys)
    assert status == 2, err
    assert "layer 'lambda' of class Lambda is refused before loading" in err
    assert not marker.exists()
    assert (out / "ir" / "ir.json").read_bytes() == ir_before  # the import step wrote nothing


def test_a_killed_flow_resumes_and_gives_the_same_results(
    first_run: tuple[Path, Any, list], config_path: Path, cache: Path, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "killed"
    env = dict(os.environ, LEPTON_HW_CACHE=str(cache), TF_USE_LEGACY_KERAS="1")
    argv = [sys.executable, "-m", "lepton_hw.cli", "flow", str(config_path), "-o", str(out)]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 600
    done_steps: list[str] = []
    while time.monotonic() < deadline and process.poll() is None:
        try:
            done_steps = list(json.loads((out / "flow.json").read_text())["steps"])
        except (OSError, ValueError, KeyError):
            done_steps = []
        if "hls" in done_steps:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the flow ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)  # the flow and its compilers, mid-step
    process.wait()
    killed_in = flow.STEP_NAMES[len(done_steps)]

    status, stdout, err = run_cli(["flow", str(config_path), "-o", str(out)], capsys)
    assert status == 0, err
    steps = _steps(stdout.splitlines())
    assert all(steps[name] == "cached" for name in done_steps), (done_steps, steps)
    assert steps[killed_in] == "ran"
    assert not list(out.rglob(".*.tmp")) and not list(out.parent.glob(".killed.*.tmp"))

    reference = first_run[0]
    a, b = (json.loads((d / "verify.json").read_text()) for d in (reference, out))
    for doc in (a, b):
        doc.pop("seconds")
    assert a == b
    a, b = (json.loads((d / "metrics.json").read_text()) for d in (reference, out))
    for doc in (a, b):
        doc.pop("seconds")
    assert a == b
    assert np.array_equal(np.load(reference / "test_logits.npy"), np.load(out / "test_logits.npy"))
    with np.load(reference / "ir" / "weights.npz") as wa, np.load(out / "ir" / "weights.npz") as wb:
        assert sorted(wa) == sorted(wb) and all(np.array_equal(wa[k], wb[k]) for k in wa)
    figures = [
        [(e["board"], e["resources"]["lut"]["value"], e["fits"]) for e in json.loads((d / "estimate.json").read_text())
         ["boards"]] for d in (reference, out)
    ]  # fmt: skip
    assert figures[0] == figures[1]


def test_a_failing_step_stops_the_flow_and_keeps_earlier_outputs(
    first_run: tuple[Path, Any, list], config_path: Path, tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    out = _copy(first_run, tmp_path)
    (out / "verify.json").unlink()  # verify must run again
    names = ("ir", "hls", "rtl", "estimate.json", "report.html")
    kept = {name: flow.digest(out / name, ignore=flow.RTL_VOLATILE) for name in names}  # verify re-times rtl/

    import lepton_hw.engines as engines

    real = engines.run_engine

    def broken_csim(graph: Any, x: np.ndarray, engine: str, *args: Any) -> np.ndarray:
        y = real(graph, x, engine, *args)
        if engine == "csim":
            y = y.copy()
            y[5, 1] += 1.0
        return y

    monkeypatch.setattr(engines, "run_engine", broken_csim)
    status, stdout, err = run_cli(["flow", str(config_path), "-o", str(out)], capsys)
    assert status == 1  # a mismatch, like `lepton-hw verify`
    assert "error: step verify failed: NOT bit-exact: first mismatch: engine csim, sample 5, output 1" in err
    assert "[5/8] verify   FAILED" in stdout and "[6/8]" not in stdout
    assert {name: flow.digest(out / name, ignore=flow.RTL_VOLATILE) for name in kept} == kept
    state = json.loads((out / "flow.json").read_text())
    assert "verify" not in state["steps"] and "hls" in state["steps"]
    assert json.loads((out / "verify.json").read_text())["mismatches"]["csim"] == 1

    monkeypatch.setattr(engines, "run_engine", real)
    status, stdout, err = run_cli(["flow", str(config_path), "-o", str(out)], capsys)
    assert status == 0, err
    ran = {name for name, state in _steps(stdout.splitlines()).items() if state == "ran"}
    assert "verify" in ran and not ran & {"train", "import", "hls", "rtl"}


def test_from_and_to(first_run: tuple[Path, Any, list], config_path: Path, tmp_path: Path, capsys: Any) -> None:
    out = _copy(first_run, tmp_path)
    status, stdout, err = run_cli(["flow", str(config_path), "-o", str(out), "--from", "report", "--to", "report"],
                                  capsys)  # fmt: skip
    assert status == 0, err
    steps = _steps(stdout.splitlines())
    assert steps == {**dict.fromkeys(flow.STEP_NAMES[:6], "kept"), "report": "ran"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "synth"], "--from synth: unknown step; the steps are train, import, hls"),
        (["--from", "estimate", "--to", "hls"], "--from estimate comes after --to hls"),
        (["--from", "verify"], "--from verify: step train has not run in"),
    ],
)
def test_bad_steps(config_path: Path, tmp_path: Path, capsys: Any, extra: list[str], message: str) -> None:
    out = tmp_path / "empty"
    status, _, err = run_cli(["flow", str(config_path), "-o", str(out), *extra], capsys)
    assert status == 2 and message in err and err.count("\n") == 1
    assert not out.exists() or not any(out.iterdir())


def test_a_folder_not_made_by_the_flow_is_not_overwritten(config_path: Path, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    status, _, err = run_cli(["flow", str(config_path), "-o", str(out)], capsys)
    assert status == 2 and "was not made by `lepton-hw flow`; pass --force" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_bad_hardware_section(config_path: Path, tmp_path: Path, capsys: Any) -> None:
    config = yaml.safe_load(config_path.read_text())
    config["hardware"] = {"boards": ["pynq-z2", "de10-nano"], "estimate": "quick", "hls": {"reuse": 0}}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    status, _, err = run_cli(["flow", str(bad), "-o", str(tmp_path / "out")], capsys)
    assert status == 2
    assert "hardware.boards[1]: unknown board 'de10-nano'; known: arty-a7-100" in err
    assert "hardware.estimate: must be one of full, fast, got 'quick'" in err
    assert "hardware.hls.reuse: must be an integer in 1..1000000, got 0" in err
    assert not (tmp_path / "out").exists()


def test_the_config_round_trips_with_its_hardware_section(config_path: Path) -> None:
    from lepton_hw.config import parse_config

    config = load_config(config_path)
    assert parse_config(config.to_dict(), source=config_path) == config
    assert config.hardware.target == "pynq-z2" and config.hardware.boards == ("icebreaker", "pynq-z2")
    assert dataclasses.replace(config.hardware, board=None).target == "icebreaker"  # default: the first board
    assert "hardware" not in config.training_dict()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars"]  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test-slow installs it with apt-get)")
def test_report_renders_in_headless_chromium(first_run: tuple[Path, Any, list], tmp_path: Path) -> None:
    """The report opens without console or loading errors; the PNG is kept in the test's folder to look at."""
    from PIL import Image

    assert CHROMIUM is not None
    out, _, _ = first_run
    png = tmp_path / "report.png"
    url = (out / "report.html").resolve().as_uri()
    argv = [CHROMIUM, *CHROMIUM_FLAGS, "--enable-logging=stderr", "--v=0", "--window-size=1200,3200"]
    done = subprocess.run([*argv, f"--screenshot={png}", url], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    problems = [line for line in done.stderr.splitlines()
                if re.search(r"CONSOLE|Uncaught|Failed to load resource|net::ERR_", line)]  # fmt: skip
    assert not problems, problems
    image = Image.open(png).convert("RGB")
    assert image.size == (1200, 3200)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200  # text, tables, charts and sample frames, not a blank page
    dom = subprocess.run([*argv, "--dump-dom", url], capture_output=True, text=True, timeout=180).stdout
    for section in ("summary", "model", "accuracy", "samples", "bit-exact", "timing", "boards", "hls", "provenance"):
        assert f'<section id="{section}">' in dom, section
    shutil.copy(png, Path(os.environ.get("LEPTON_HW_REPORT_PNG", tmp_path / "copy.png")))


def test_whole_frames_run_through_every_step(
    first_run: tuple[Path, Any, list], config_path: Path, tmp_path: Path, capsys: Any
) -> None:
    """hardware.frame: the core and the HLS wrapper take whole frames of tiles; verify compares their maps
    with the interpreter's, the report draws a frame's map, and the IP testbench passes on a whole frame."""
    out = _copy(first_run, tmp_path)
    config = yaml.safe_load(config_path.read_text())
    config["hardware"]["frame"] = {"width": 27, "height": 20}  # 3 x 2 tiles of 8 x 8, remainders 3 and 4
    changed = tmp_path / "frame.yaml"
    changed.write_text(yaml.safe_dump(config))
    status, stdout, err = run_cli(["flow", str(changed), "-o", str(out)], capsys)
    assert status == 0, err
    ran = {name for name, state in _steps(stdout.splitlines()).items() if state == "ran"}
    assert ran == {"hls", "rtl", "verify", "estimate", "report", "ip"}
    core = json.loads((out / "rtl" / "core.json").read_text())
    assert core["tiling"] == {"max_width": 27, "max_height": 20, "tile_width": 8, "tile_height": 8, "tiles_x": 3,
                              "tiles_y": 2}  # fmt: skip
    frames = json.loads((out / "verify.json").read_text())["frames"]
    assert frames["bit_exact"] and frames["engines"] == ["ir", "csim", "rtl"] and frames["tiles"] == [2, 3]
    with np.load(out / "frames.npz") as data:
        assert data["x"].shape[1:3] == (20, 27) and data["map"].shape[1:3] == (2, 3)
    assert "A whole camera frame" in (out / "report.html").read_text()
    ip = out / "ip"
    assert (ip / "rtl" / "lepton_regs.h").is_file() and (ip / "rtl" / "REGISTERS.md").is_file()
    if shutil.which("iverilog"):
        done = subprocess.run([str(ip / "tb" / "run_icarus.sh")], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and "PASS: 1 frames" in done.stdout, done.stdout + done.stderr
    _the_ip_folder_works_alone(ip, tmp_path)


def _the_ip_folder_works_alone(ip: Path, tmp_path: Path) -> None:
    """DIR/ip copied to an empty folder: the customer's testbench passes with a Python that has no lepton_hw,
    FuseSoC's lint and sim targets pass, the firmware example compiles."""
    from tests.test_customer import HIDE_LEPTON_HW, REPO, run_testbench, summary
    from tests.test_fusesoc import fusesoc

    alone = tmp_path / "empty" / "ip"
    shutil.copytree(ip, alone)
    hide = tmp_path / "customer-python"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(HIDE_LEPTON_HW % str(REPO))
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": os.environ.get("HOME", str(hide)), "PYTHONPATH": str(hide), "PYTHONNOUSERSITE": "1",
        "LANG": "C.UTF-8",
    }  # fmt: skip
    done = run_testbench(alone, env)
    assert done.returncode == 0 and " passed" in summary(done), done.stdout[-3000:] + done.stderr[-2000:]
    for target in ("lint", "sim"):
        run = fusesoc(alone, tmp_path / f"fusesoc-{target}", target)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        if target == "sim":
            assert "PASS" in run.stdout, run.stdout[-2000:]
    compiled = subprocess.run(
        ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-c", "example.c", "-o", "example.o"],
        cwd=alone / "driver", capture_output=True, text=True,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stderr
