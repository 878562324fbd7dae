"""Per-board estimates of a generated core: resources, fit, clock rate, latency and frame rate.

:func:`estimate` reads DIR/rtl (and DIR/rtl/sim_report.json, DIR/hls when present) and, per board:

1. synthesizes the core with the board family's Yosys flow (one run per family, cached) and
   counts LUT, FF, DSP and block RAM (:mod:`lepton_hw.estimate.cells`), or, with ``fast``, takes
   them from the analytic model (:mod:`lepton_hw.estimate.fast`);
2. finds the clock rate: nextpnr's Fmax for the Lattice and Gowin boards when the design fits,
   the logic-depth model for Xilinx (:mod:`lepton_hw.estimate.timing`);
3. turns the simulated cycles into microseconds, frames/s and pixels/s at min(board clock, Fmax).

Every figure in the result carries where it comes from: ``measured`` (a tool ran on this design,
named in ``by``) or modelled. Tool runs go in parallel, at most ``jobs`` at a time, place and route
first (:class:`_Scheduler`).
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lepton_hw.boards import Board, all_boards, get_board, load_board
from lepton_hw.errors import BoardError, ToolError, UserError
from lepton_hw.estimate.figures import Design, board_entry, figure, resource_table
from lepton_hw.estimate.pnr import PnrResult, run_pnr
from lepton_hw.estimate.synth import TOP, SynthPlan, SynthResult, run_synth, synth_plan
from lepton_hw.estimate.timing import MODEL, Timing, estimate_fmax
from lepton_hw.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

FORMAT = "lepton_hw.estimate"
VERSION = 1


def load_design(directory: Path) -> Design:
    directory = Path(directory)
    if not directory.is_dir():
        raise UserError(f"{directory} is not a folder; give the output folder of `lepton-hw train` or `import`")
    rtl_dir = directory / "rtl"
    if not (rtl_dir / "core.json").is_file() or not (rtl_dir / "files.f").is_file():
        raise UserError(f"{rtl_dir} has no generated core; run `lepton-hw rtl {directory} --board B` first")
    try:
        core = json.loads((rtl_dir / "core.json").read_text())
        missing = [name for name in (rtl_dir / "files.f").read_text().split() if not (rtl_dir / name).is_file()]
    except (OSError, ValueError) as err:
        raise UserError(f"{rtl_dir} cannot be read ({err}); rewrite it with `lepton-hw rtl --force`") from None
    if missing:
        raise UserError(
            f"{rtl_dir} lacks {', '.join(missing)} (listed in files.f); rewrite it with `lepton-hw rtl --force`"
        )
    report_path = rtl_dir / "sim_report.json"
    sim_report = json.loads(report_path.read_text()) if report_path.is_file() else None
    return Design(directory, rtl_dir, core, sim_report)


def resolve_boards(spec: str) -> list[Board]:
    """``all``, comma-separated board ids, or paths to board files (validated; BoardError names the field)."""
    if spec == "all":
        return all_boards()
    boards = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        path = Path(item)
        if item.endswith((".yaml", ".yml")) or path.is_file():
            boards.append(load_board(path))
        else:
            boards.append(get_board(item))
    if not boards:
        raise BoardError("no board given; pass a board id, a board file or `all` (see `lepton-hw boards`)")
    return boards


# ----------------------------------------------------------------------------- all boards
class _Scheduler:
    """Runs tool jobs on threads, at most ``jobs`` tools at once (each tool is one process).

    A freed slot goes to the waiting job of the lowest priority number, then the earliest submitted:
    place and route (0) before synthesis (1). A place and route is the longest single run (nextpnr-ecp5:
    3-6 minutes on the camera core, against 20-35 s per synthesis), so it starts as soon as its netlist
    exists instead of queueing behind the other families' syntheses."""

    PNR, SYNTH = 0, 1

    def __init__(self, jobs: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=32)
        self._free = jobs
        self._waiting: list[tuple[int, int, threading.Event]] = []  # a heap of (priority, order, wake-up)
        self._lock = threading.Lock()
        self._order = itertools.count()

    def submit(self, priority: int, fn: Any, *args: Any) -> Future:
        """Queue ``fn(*args)`` now (its place among the waiting jobs is taken in this call); run it in a slot."""
        wake_up = threading.Event()
        with self._lock:
            if self._free > 0:  # no job waits while a slot is free: a release hands its slot on
                self._free -= 1
                wake_up.set()
            else:
                heapq.heappush(self._waiting, (priority, next(self._order), wake_up))

        def run() -> Any:
            wake_up.wait()
            try:
                return fn(*args)
            finally:
                self._release()

        return self.pool.submit(run)

    def _release(self) -> None:
        with self._lock:
            if self._waiting:
                heapq.heappop(self._waiting)[2].set()  # the slot passes straight to the next job
            else:
                self._free += 1


def _synthesis_order(boards: list[Board]) -> list[str]:
    """Families in the order their syntheses start: the most place-and-route work behind them first (ECP5's
    two boards), then Xilinx and Nexus (the longest syntheses), then by name."""
    pnr_boards = Counter(board.family for board in boards if board.pnr is not None)
    order = sorted(boards, key=lambda b: (-pnr_boards[b.family], b.family not in ("xc7", "xcup", "nexus"), b.id))
    return list(dict.fromkeys(b.family for b in order))


def estimate(directory: Path | str, boards: list[Board], fast: bool = False, jobs: int | None = None) -> dict[str, Any]:
    """The estimate of DIR for ``boards``, as estimate.json holds it (nothing is written here)."""
    design = load_design(Path(directory))
    jobs = jobs or max(1, os.cpu_count() or 1)
    start = time.monotonic()
    if fast:
        from lepton_hw.estimate.fast import fast_estimate

        entries = [fast_estimate(design, board) for board in boards]
        return _document(design, entries, "fast", {}, time.monotonic() - start)

    scheduler = _Scheduler(jobs)
    tdata_bits = int(design.core.get("tdata_bits", 8))
    pnr_jobs: dict[str, Future] = {}

    def synthesize(plan: SynthPlan, family_boards: list[Board]) -> SynthResult:
        """The family's synthesis; then, while it still holds its slot, the place and route of each of its
        boards that the design fits is queued, so that the slot goes on to one of them."""
        synth = run_synth(plan)
        for board in family_boards:
            if board.pnr is not None and resource_table(board, synth.usage, "", True)[1]:
                pnr_jobs[board.id] = scheduler.submit(_Scheduler.PNR, run_pnr, synth, board, tdata_bits)
        return synth

    synths: dict[str, Future] = {}
    for family in _synthesis_order(boards):
        family_boards = [board for board in boards if board.family == family]
        plan = synth_plan(design.rtl_dir, family_boards[0])
        synths[family] = scheduler.submit(_Scheduler.SYNTH, synthesize, plan, family_boards)
    clocks = {board.id: scheduler.pool.submit(_clock, synths[board.family], board, pnr_jobs) for board in boards}
    entries, tools = [], {}
    try:
        for board in boards:
            synth: SynthResult = synths[board.family].result()
            fmax, pnr = clocks[board.id].result()
            tools["yosys"] = synth.tool
            if pnr is not None:
                tools[pnr.tool] = pnr.version
            entry = board_entry(design, board, synth.usage, f"yosys: {board.yosys}", True, fmax)
            entry["synthesis"] = {
                "folder": str(synth.folder),
                "seconds": round(synth.seconds, 1),
                "cached": synth.cached,
            }
            if pnr is not None:
                entry["place_and_route"] = {
                    "tool": pnr.tool, "version": pnr.version, "seed": pnr.seed, "seconds": round(pnr.seconds, 1),
                    "cached": pnr.cached, "log": str(pnr.log) if pnr.log else None, "error": pnr.error,
                }  # fmt: skip
                if pnr.overfull:  # the LUT and FF counts fit apart, but not packed into the device's cells
                    entry["fits"] = False
                    entry["packed"] = {
                        name: {**figure(used, True, f"{pnr.tool} packing"), "available": available}
                        for name, used, available in pnr.overfull
                    }
            entries.append(entry)
    finally:
        scheduler.pool.shutdown(wait=True, cancel_futures=True)
    return _document(design, entries, "synthesis", tools, time.monotonic() - start)


def _clock(synth_future: Future, board: Board, pnr_jobs: dict[str, Future]) -> tuple[dict, PnrResult | None]:
    """The board's Fmax figure: nextpnr when the board has a P&R tool and the design fits, else the model."""
    synth: SynthResult = synth_future.result()  # its place and route, if any, is in pnr_jobs from now on
    if board.pnr is None:
        timing = _modelled_fmax(synth) if board.family in ("xc7", "xcup") else None
        if timing is None:
            return figure(None, False, "no open place and route and no model for this family"), None
        by = f"model: {timing.model}, {timing.logic_levels} cells on the longest path; not placed and routed"
        return figure(timing.fmax_mhz, False, by), None
    if board.id not in pnr_jobs:
        return figure(None, False, "not placed and routed: the design does not fit the device"), None
    pnr: PnrResult = pnr_jobs[board.id].result()
    if pnr.fmax_mhz is None:
        return figure(None, False, f"{pnr.error}; log: {pnr.log}"), pnr
    by = f"{pnr.tool} ({pnr.version}), seed {pnr.seed}" + (
        ", out of context" if board.pnr.out_of_context else ", in the timing harness"
    )
    return figure(pnr.fmax_mhz, True, by), pnr


_timing_lock = threading.Lock()


def _modelled_fmax(synth: SynthResult) -> Timing:
    """The logic-depth model on the synthesized netlist, kept beside it (boards of a family share it)."""
    path = synth.folder / "timing.json"
    with _timing_lock:
        if path.is_file():
            cached = json.loads(path.read_text())
            if cached.get("model") == MODEL:  # a timing of an older model is recomputed
                return Timing(**cached)
        timing = estimate_fmax(synth.netlist, TOP, synth.family)
        atomic_write_bytes(path, json.dumps(dataclasses.asdict(timing)).encode())
        return timing


def _document(design: Design, entries: list[dict], mode: str, tools: dict[str, str], seconds: float) -> dict[str, Any]:
    report = design.sim_report or {}
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "mode": mode,
        "design": {
            "rtl": str(design.rtl_dir),
            "content_hash": design.core.get("content_hash"),
            "kernel": design.core.get("kernel"),
            "frame": design.core.get("frame"),
            "pixels_per_frame": design.pixels_per_frame,
            "layers": design.core.get("layers", {}),
            "schedule": design.core.get("schedule"),
            "pixel_clock_mhz": design.core.get("pixel_clock_mhz"),
            "clocks_per_pixel": design.core.get("clocks_per_pixel", 1),
            "simulated": {
                k: report[k] for k in ("simulator", "frames", "cycles_per_frame", "latency_cycles") if k in report
            },
        },
        "tools": tools,
        "boards": entries,
        "seconds": round(seconds, 1),
    }
    hls = _hls_side(design.directory / "hls")
    if hls is not None:
        doc["hls"] = hls
    return doc


def _hls_side(hls_dir: Path) -> dict[str, Any] | None:
    """The HLS project's own figures: da4ml's cost and, after `hls --synth`, the vendor's csynth report."""
    project_path = hls_dir / "project.json"
    if not project_path.is_file():
        return None
    project = json.loads(project_path.read_text())
    side: dict[str, Any] = {
        "part": project.get("part"),
        "strategy": project.get("strategy"),
        "clock_mhz": project.get("clock_mhz"),
    }
    report_path = hls_dir / "report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    costs = report.get("da4ml_costs") or project.get("da4ml_costs")
    if costs:
        side["da4ml_cost"] = figure(
            sum(layer["da4ml_cost"] for layer in costs.values()), False, "da4ml cost model (adders)"
        )
    vendor = report.get("report") if report.get("ran") else None
    if vendor:
        side["vendor"] = {key: figure(value, True, "Vitis/Vivado HLS csynth report") for key, value in vendor.items()}
    else:
        side["vendor"] = None
        side["vendor_note"] = (
            report.get("reason") or "no vendor report: run `lepton-hw hls DIR --board B --synth` with Vitis HLS"
        )
    return side


__all__ = ["ToolError", "estimate", "load_design", "resolve_boards"]
