"""``lepton-hw sweep`` on local Ray: a tiny sweep killed mid-way and resumed, its front checked against
the points' own estimate.json files; bad sweep files; (slow) a Ray worker killed during a task.

The sweep is the flow test's tiny digits config over two values of hardware.pipeline: two points that
share one training run. The default suite runs it once (about two minutes on 2 cores).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from lepton_hw.sweep import OBJECTIVES, load_sweep, run_sweep
from lepton_hw.testing.configs import TINY_FLOW
from tests.helpers import run_cli

pytestmark = [pytest.mark.keras, pytest.mark.rtl, pytest.mark.hls, pytest.mark.synth]

TINY = TINY_FLOW  # the flow tests' tiny digits config
SWEEP = {
    "name": "tiny_sweep",
    "base": "tiny.yaml",
    "axes": {"hardware.pipeline": [1, 2]},
    "boards": ["icebreaker", "pynq-z2"],
    "estimate": "fast",
    "objectives": ["accuracy", "lut"],
}


def write_sweep(folder: Path, **changes: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({**SWEEP, **changes}))
    return path


def front_from_files(out: Path, board: str, objectives: list[str]) -> list[str]:
    """The Pareto front recomputed from each point's own metrics.json and estimate.json."""
    rows = {}
    for folder in sorted((out / "points").iterdir()):
        accuracy = json.loads((folder / "metrics.json").read_text())["test"]["accuracy"]
        entry = next(b for b in json.loads((folder / "estimate.json").read_text())["boards"] if b["board"] == board)
        if not entry["fits"]:
            continue
        values = []
        for name in objectives:
            key, up = OBJECTIVES[name]
            v = accuracy if key == "accuracy" else entry["resources"][key]["value"]
            values.append(v if up else -v)
        rows[folder.name] = values
    return sorted(
        i
        for i, v in rows.items()
        if not any(w != v and all(a >= b for a, b in zip(w, v, strict=True)) for w in rows.values())
    )


def test_a_killed_sweep_resumes_and_recomputes_nothing_finished(tmp_path: Path, capsys: Any) -> None:
    sweep = write_sweep(tmp_path)
    out = tmp_path / "out"
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", PYTHONUNBUFFERED="1")  # progress lines as they come
    command = [sys.executable, "-m", "lepton_hw.cli", "sweep", str(sweep), "-o", str(out), "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                               start_new_session=True)  # fmt: skip
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # kill the whole sweep (driver, Ray) as soon as one point is done
        lines.append(line)
        if line.startswith("[1/2]"):
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    finished = [p for p in (out / "points").iterdir() if (p / "report.html").is_file()]
    assert len(finished) == 1, "".join(lines)
    before = {p: p.stat().st_mtime_ns for p in finished[0].rglob("*") if p.is_file()}
    assert not (out / "sweep.json").exists()  # killed before the results were collected

    status, stdout, err = run_cli(["sweep", str(sweep), "-o", str(out), "--resume", "--workers", "1"], capsys)
    assert status == 0, stdout + err
    doc = json.loads((out / "sweep.json").read_text())
    by_id = {p["id"]: p for p in doc["points"]}
    done_before = by_id[finished[0].name]
    assert set(done_before["steps"].values()) == {"cached"}, done_before["steps"]
    assert {p: p.stat().st_mtime_ns for p in finished[0].rglob("*") if p.is_file()} == before
    other = next(p for p in doc["points"] if p["id"] != finished[0].name)
    # training is shared; the unfinished point computes on resume whatever it had not finished (which of
    # its steps that is depends on when the kill landed: rtl, or only report and ip)
    assert other["steps"]["train"] == "cached" and "ran" in other["steps"].values(), other["steps"]
    assert all(p["status"] == "done" and p["accuracy"] > 0.5 for p in doc["points"])
    for board in SWEEP["boards"]:
        assert doc["points"][0]["boards"][board]["lut"] > 0
        pareto = json.loads((out / "pareto.json").read_text())["boards"][board]
        assert sorted(p["id"] for p in pareto) == front_from_files(out, board, SWEEP["objectives"])
    csv_lines = (out / "sweep.csv").read_text().splitlines()
    assert len(csv_lines) == 1 + 2 * len(SWEEP["boards"]) and csv_lines[0].startswith("point,hardware.pipeline")
    page = (out / "sweep.html").read_text()
    assert all(f'href="points/{i}/report.html"' in page for i in by_id)
    assert "front on icebreaker" in stdout and "2 of 2 points done" in stdout


@pytest.mark.parametrize(
    "change, words",
    [
        ({"boards": ["no-such-board"]}, ["no-such-board"]),
        ({"axes": {"model.defaults.weight_bits": [4, 99]}}, ["weight_bits", "99"]),
        ({"colour": "red"}, ["unknown key", "colour"]),
        ({"objectives": ["accuracy", "beauty"]}, ["objectives", "beauty"]),
        ({"base": "missing.yaml"}, ["missing.yaml"]),
        ({"axes": {"model.layers.9.filters": [4]}}, ["does not lead into the base config"]),
        ({"sample": {"count": 2, "axes": {"training.learning_rate": {"low": "x", "high": 1}}}}, ["sample.axes"]),
    ],
)
def test_bad_sweep_files(change: dict[str, Any], words: list[str], tmp_path: Path, capsys: Any) -> None:
    sweep = write_sweep(tmp_path, **change)
    status, _, err = run_cli(["sweep", str(sweep), "-o", str(tmp_path / "out")], capsys)
    assert status == 2, err
    assert all(word in err for word in words), err
    assert not (tmp_path / "out").exists()


def test_an_existing_folder_needs_resume(tmp_path: Path, capsys: Any) -> None:
    sweep = write_sweep(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "something").write_text("x")
    status, _, err = run_cli(["sweep", str(sweep), "-o", str(tmp_path / "out")], capsys)
    assert status == 2 and "--resume" in err, err


def _kill_one_point_worker(stop: threading.Event, killed: list[int]) -> None:
    """Kill (SIGKILL) the first Ray worker seen running a point, a few seconds into its task."""
    while not stop.is_set() and not killed:
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"ray::_run_point"):
                time.sleep(5)
                try:
                    os.kill(int(proc.name), signal.SIGKILL)
                    killed.append(int(proc.name))
                except ProcessLookupError:
                    continue
                break
        time.sleep(0.5)


@pytest.mark.slow
def test_a_worker_killed_during_a_task_gives_identical_results(tmp_path: Path) -> None:
    spec = load_sweep(write_sweep(tmp_path))
    reference = run_sweep(spec, tmp_path / "reference", workers=2)
    stop, killed = threading.Event(), []
    watcher = threading.Thread(target=_kill_one_point_worker, args=(stop, killed))
    watcher.start()
    try:
        result = run_sweep(spec, tmp_path / "killed", workers=2)
    finally:
        stop.set()
        watcher.join()
    assert killed, "no point worker was seen to kill"

    def figures(points: list[dict[str, Any]]) -> list[Any]:
        return [(p["id"], p["status"], p["accuracy"], p["boards"]) for p in points]

    assert figures(result.points) == figures(reference.points)


@pytest.mark.slow
def test_the_digits_sweep_example(tmp_path: Path, capsys: Any) -> None:
    """examples/digits_sweep.yaml end to end on local Ray; the front against the points' estimate.json."""
    example = Path(__file__).parents[1] / "examples" / "digits_sweep.yaml"
    spec = load_sweep(example)
    status, stdout, err = run_cli(["sweep", str(example), "-o", str(tmp_path / "out"), "--workers", "2"], capsys)
    assert status == 0, stdout + err
    doc = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert len(doc["points"]) == len(spec.points()) and all(p["status"] == "done" for p in doc["points"])
    for board in spec.boards:
        pareto = json.loads((tmp_path / "out" / "pareto.json").read_text())["boards"][board]
        assert sorted(p["id"] for p in pareto) == front_from_files(tmp_path / "out", board, list(spec.objectives))
