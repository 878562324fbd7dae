"""Vendor HLS runs (Vitis HLS, Vivado HLS) of a written project, and their csynth report parser.

Command lines are plain values (:func:`synth_commands`), so they are tested where the tools are
absent; :func:`run_synth` runs them when a tool is on PATH and otherwise says what would have run.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lepton_hw.errors import EngineError

log = logging.getLogger(__name__)

TCL = "build_camera.tcl"
HLS_PROJECT = "lepton_camera_prj"
SOLUTION = "solution1"
REPORT_FILE = "report.json"


@dataclass(frozen=True)
class BuildSteps:
    csim: bool = True
    synth: bool = True
    cosim: bool = False
    export: bool = False


@dataclass(frozen=True)
class Command:
    """One tool run: its argument vector and the folder it runs in."""

    argv: tuple[str, ...]
    cwd: str

    def __str__(self) -> str:
        return f"(cd {self.cwd} && {' '.join(self.argv)})"


def tool_command(backend: str, tcl: str = TCL, *, which: Any = shutil.which) -> list[str]:
    """The command line that runs ``tcl``: Vitis (``vitis-run --mode hls``, or ``vitis_hls -f`` when only
    the older launcher is installed) or Vivado HLS (``vivado_hls -f``)."""
    if backend == "vitis":
        if which("vitis-run") is None and which("vitis_hls") is not None:
            return ["vitis_hls", "-f", tcl]
        return ["vitis-run", "--mode", "hls", "--tcl", tcl]
    if backend == "vivado":
        return ["vivado_hls", "-f", tcl]
    raise EngineError(f"unknown HLS backend {backend!r}; accepted: vitis, vivado")


def build_opts_tcl(steps: BuildSteps) -> str:
    """build_opts.tcl: the steps build_camera.tcl runs."""
    flags = " ".join(f"{k} {int(getattr(steps, k))}" for k in ("csim", "synth", "cosim", "export"))
    return f"# written by lepton_hw: the steps build_camera.tcl runs\narray set opt {{{flags}}}\n"


def synth_commands(project_dir: Path | str, backend: str = "vitis", *, which: Any = shutil.which) -> list[Command]:
    """The command lines that build a written project (the steps are in its build_opts.tcl)."""
    return [Command(tuple(tool_command(backend, TCL, which=which)), str(project_dir))]


def tool_available(backend: str, *, which: Any = shutil.which) -> bool:
    return which(tool_command(backend, which=which)[0]) is not None


def run_synth(
    project_dir: Path | str,
    backend: str = "vitis",
    *,
    steps: BuildSteps | None = None,
    which: Any = shutil.which,
) -> dict[str, Any]:
    """Run C synthesis (and co-simulation / export when asked) and write project_dir/report.json.

    Without the tool on PATH nothing runs; report.json then says so, gives the command that would
    have run, and still records da4ml's per-layer cost estimates (strategy da).
    """
    project_dir = Path(project_dir)
    steps = steps or BuildSteps(csim=False, synth=True)
    if not (project_dir / TCL).is_file():
        raise EngineError(f"{project_dir} holds no {TCL}: write the project with the HLS backend first")
    commands = synth_commands(project_dir, backend, which=which)
    result: dict[str, Any] = {"backend": backend, "commands": [str(c) for c in commands], "steps": vars(steps)}
    project_info = project_dir / "project.json"
    if project_info.is_file():  # da4ml's cost estimates (strategy da) need no vendor tool
        result["da4ml_costs"] = json.loads(project_info.read_text()).get("da4ml_costs", {})
    if not tool_available(backend, which=which):
        tool = commands[0].argv[0]
        log.warning("%s is not on PATH: C synthesis not run; it would run %s", tool, commands[0])
        result.update(ran=False, reason=f"{tool} is not on PATH", report=None)
    else:
        (project_dir / "build_opts.tcl").write_text(build_opts_tcl(steps))
        for command in commands:
            log.info("running %s", command)
            done = subprocess.run(command.argv, cwd=command.cwd, capture_output=True, text=True, check=False)
            (project_dir / "synth.log").write_text(done.stdout + done.stderr)
            if done.returncode != 0:
                raise EngineError(f"{command} failed with status {done.returncode}; see {project_dir / 'synth.log'}")
        report = find_csynth_report(project_dir)
        result.update(ran=True, report=parse_csynth_report(report) if report else None)
    (project_dir / REPORT_FILE).write_text(json.dumps(result, indent=1) + "\n")
    return result


def find_csynth_report(project_dir: Path) -> Path | None:
    report_dir = project_dir / HLS_PROJECT / SOLUTION / "syn" / "report"
    for name in ("csynth.xml", "lepton_camera_csynth.xml"):
        if (report_dir / name).is_file():
            return report_dir / name
    return None


def _int(element: ET.Element | None, path: str) -> int | None:
    if element is None:
        return None
    node = element.find(path)
    if node is None or node.text is None:
        return None
    text = node.text.strip()
    try:
        return int(text)
    except ValueError:
        return None  # "undef" for data-dependent latencies


def _float(element: ET.Element | None, path: str) -> float | None:
    node = element.find(path) if element is not None else None
    try:
        return float(node.text) if node is not None and node.text else None
    except ValueError:
        return None


def parse_csynth_report(path: Path | str) -> dict[str, Any]:
    """The figures of a Vivado/Vitis HLS csynth.xml: latency, II, clock, LUT, FF, DSP, BRAM (used and available)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as err:
        raise EngineError(f"cannot read the csynth report {path}: {err}") from None
    perf = root.find("PerformanceEstimates")
    latency = perf.find("SummaryOfOverallLatency") if perf is not None else None
    timing = perf.find("SummaryOfTimingAnalysis") if perf is not None else None
    area = root.find("AreaEstimates")
    used = area.find("Resources") if area is not None else None
    available = area.find("AvailableResources") if area is not None else None
    resources = {}
    for key, tag in (("lut", "LUT"), ("ff", "FF"), ("dsp", "DSP"), ("bram_18k", "BRAM_18K"), ("uram", "URAM")):
        value = _int(used, tag)
        if tag == "DSP" and value is None:
            value = _int(used, "DSP48E")
        resources[key] = value
    avail = {}
    for key, tag in (("lut", "LUT"), ("ff", "FF"), ("dsp", "DSP"), ("bram_18k", "BRAM_18K"), ("uram", "URAM")):
        value = _int(available, tag)
        if tag == "DSP" and value is None:
            value = _int(available, "DSP48E")
        avail[key] = value
    user = root.find("UserAssignments")
    return {
        "top": (user.findtext("TopModelName") if user is not None else None),
        "part": (user.findtext("Part") if user is not None else None),
        "target_clock_ns": _float(user, "TargetClockPeriod"),
        "estimated_clock_ns": _float(timing, "EstimatedClockPeriod"),
        "latency_cycles": {"best": _int(latency, "Best-caseLatency"), "worst": _int(latency, "Worst-caseLatency")},
        "interval_cycles": {"min": _int(latency, "Interval-min"), "max": _int(latency, "Interval-max")},
        "resources": resources,
        "available": avail,
    }
