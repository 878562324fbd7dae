"""Check the logic-depth Fmax model (lepton_hw.estimate.timing) against nextpnr-ecp5's measured Fmax.

The model is what estimate.json reports for Xilinx boards, where no open place and route runs. On
ECP5 both exist, so each core here is synthesized for the board ecp5-25f (Yosys, cached), placed and
routed with nextpnr-ecp5 (out of context, seed 1, cached) and run through the model on the same
netlist with the model's ECP5 delays (timing.DELAYS["ecp5"]).

Cores: the hand-built IR networks of lepton_hw/testing/ir_cases.py and random QKeras models
(lepton_hw.testing.models, saved to .h5 and imported as a user would), each at a pipeline depth
of 0 (no registers inside a layer), 1 or 2 adder levels per stage, so that the clock range is wide.
Models the RTL backend refuses, and cores above MAX_LUT LUTs, are skipped.

Prints, per core: pipeline, LUTs, the model's Fmax and cells on its longest path, nextpnr's Fmax and
its critical path split into logic and routing, and the error (model / measured - 1); then the
median and largest absolute error. Then the one uncertain constant, the routed-net delay, is refitted
(least squares on log(model / measured), the cell delays kept at nextpnr's own) and the table is
printed again, with the leave-one-out error (each core predicted with the net delay fitted on the
others). It asserts nothing about timing.

    TF_USE_LEGACY_KERAS=1 python bench/check_fmax_model.py [--no-random]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lepton_hw.backends.rtl import build_rtl  # noqa: E402
from lepton_hw.backends.rtl.project import write_rtl  # noqa: E402
from lepton_hw.boards import get_board  # noqa: E402
from lepton_hw.errors import UnsupportedLayerError  # noqa: E402
from lepton_hw.estimate.pnr import run_pnr  # noqa: E402
from lepton_hw.estimate.synth import TOP, run_synth, synth_plan  # noqa: E402
from lepton_hw.estimate.timing import DELAYS, Delays, NetlistPaths  # noqa: E402
from lepton_hw.ir.graph import Graph  # noqa: E402
from lepton_hw.schedule import ScheduleOptions  # noqa: E402

BOARD = "ecp5-25f"
OUT = ROOT / "build" / "bench" / "fmax"
# (IR case name, pipeline): cases of lepton_hw/testing/ir_cases.py; a name no longer there is skipped
IR_CORES = [
    ("odd_frame_k5_same", 0), ("odd_frame_k5_same", 2), ("stride2_avg3_signed", 0), ("stride2_avg3_signed", 1),
    ("rounding_modes", 1), ("k4_same_k1_stride2_rgb", 0), ("k4_same_k1_stride2_rgb", 2), ("dense_only", 0),
    ("dense_only", 1), ("pool_pool_dense", 0), ("pool_pool_dense", 1), ("conv_only", 2),
]  # fmt: skip
# (random model seed, pipeline)
RANDOM_CORES = [(0, 0), (1, 1), (2, 2), (3, 0), (4, 1), (5, 2), (7, 2), (8, 0), (9, 0), (10, 1), (12, 1)]
MAX_LUT = 12_000  # half the LFE5U-25F: bigger cores are skipped (nextpnr takes minutes or they do not fit)
NET_GRID = [round(0.20 + 0.01 * i, 2) for i in range(281)]  # ns, the routed-net delays tried by the refit

_CRITICAL = re.compile(r"Info: ([0-9.]+) ns logic, ([0-9.]+) ns routing")
_SEGMENT = re.compile(r"Info:\s+(clk-to-q|logic|routing|setup)\s+([0-9.]+)\s+[0-9.]+\s+(?:Source|Net)\s+(\S+)")


@dataclass
class Row:
    name: str
    pipeline: int
    lut: int
    measured: float  # nextpnr's Fmax, MHz
    logic_ns: float  # nextpnr's critical path: cells ...
    routing_ns: float  # ... and routing
    paths: NetlistPaths  # the netlist, ready for the model
    log: Path


def ir_graphs() -> list[tuple[str, Graph, int]]:
    from lepton_hw.testing.ir_cases import CASES

    return [(f"ir:{name}", CASES[name], p) for name, p in IR_CORES if name in CASES]


def random_graphs() -> list[tuple[str, Graph, int]]:
    from lepton_hw.frontend.keras_env import tf_keras
    from lepton_hw.frontend.qkeras import import_model
    from lepton_hw.testing.models import random_model

    folder = OUT / "models"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for seed, pipeline in RANDOM_CORES:
        tf_keras().backend.clear_session()
        _, model = random_model(seed)
        path = folder / f"model_{seed}.h5"
        model.save(path)
        out.append((f"random:{seed}", import_model(path), pipeline))
    return out


def measure(name: str, graph: Graph, pipeline: int) -> Row | None:
    board = get_board(BOARD)
    label = f"{name} P{pipeline}"
    try:
        project = build_rtl(graph, board, options=ScheduleOptions(pipeline=pipeline))
    except UnsupportedLayerError as err:
        print(f"  {label}: skipped, the RTL backend refuses it: {err}", flush=True)
        return None
    rtl = write_rtl(project, OUT / f"{name.replace(':', '_')}_p{pipeline}" / "rtl", force=True)
    start = time.monotonic()
    synth = run_synth(synth_plan(rtl, board))
    took = "cached" if synth.cached else f"{synth.seconds:.0f} s"
    print(f"  {label}: yosys {took}, {synth.usage.lut:,.0f} LUT", end="", flush=True)
    if synth.usage.lut > MAX_LUT:
        print(f"; skipped: above {MAX_LUT:,} LUT (nextpnr would take long, or not fit)", flush=True)
        return None
    pnr = run_pnr(synth, board, project.core["tdata_bits"])
    print(f"; nextpnr-ecp5 {'cached' if pnr.cached else f'{pnr.seconds:.0f} s'}: ", end="", flush=True)
    if pnr.fmax_mhz is None or pnr.log is None:
        print(f"no Fmax ({pnr.error})", flush=True)
        return None
    text = pnr.log.read_text(errors="replace")
    logic, routing = (float(x) for x in _CRITICAL.findall(text)[-1])
    print(f"{pnr.fmax_mhz} MHz ({time.monotonic() - start:.0f} s)", flush=True)
    paths = NetlistPaths(json.loads(synth.netlist.read_text())["modules"][TOP])
    return Row(name, pipeline, round(synth.usage.lut), pnr.fmax_mhz, logic, routing, paths, pnr.log)


def errors(rows: list[Row], fmax: list[float]) -> list[float]:
    return [f / r.measured - 1 for r, f in zip(rows, fmax, strict=True)]


def table(title: str, rows: list[Row], delays: Delays, loo: list[float] | None = None) -> list[float]:
    """Print the comparison with ``delays``; the errors (model / measured - 1)."""
    timings = [r.paths.timing(delays) for r in rows]
    errs = errors(rows, [t.fmax_mhz for t in timings])
    print(f"\n{title}")
    print(f"  delays: {delays}")
    head = f"{'core':28s} {'P':>2s} {'LUT':>6s} {'model MHz':>9s} {'cells':>5s} {'nextpnr MHz':>11s}"
    head += f" {'logic/route ns':>14s} {'error':>7s}" + (f" {'LOO err':>7s}" if loo else "")
    print(head)
    for i, (r, t, e) in enumerate(zip(rows, timings, errs, strict=True)):
        line = f"{r.name:28s} {r.pipeline:2d} {r.lut:6,d} {t.fmax_mhz:9.1f} {t.logic_levels:5d} {r.measured:11.1f}"
        line += f" {r.logic_ns:6.2f}/{r.routing_ns:5.2f}  {100 * e:+6.1f}%" + (f" {100 * loo[i]:+6.1f}%" if loo else "")
        print(line)
    print(summary("error", errs) + (f"; leave-one-out: {summary('error', loo)}" if loo else ""))
    return errs


def summary(what: str, errs: list[float]) -> str:
    absolute = [abs(e) for e in errs]
    return (
        f"{what} over {len(errs)} cores: median |{what}| {100 * statistics.median(absolute):.1f}%, "
        f"max {100 * max(absolute):.1f}%, mean {100 * statistics.mean(errs):+.1f}%"
    )


def refit_net(rows: list[Row], base: Delays) -> tuple[float, list[float]]:
    """The routed-net delay minimizing sum(log(model / measured)^2), and the leave-one-out errors."""
    fmax = {x: [r.paths.timing(dataclasses.replace(base, net=x)).fmax_mhz for r in rows] for x in NET_GRID}

    def best(keep: list[int]) -> float:
        return min(NET_GRID, key=lambda x: sum(math.log(fmax[x][i] / rows[i].measured) ** 2 for i in keep))

    everyone = list(range(len(rows)))
    loo = []
    for i in everyone:
        x = best([j for j in everyone if j != i])
        loo.append(fmax[x][i] / rows[i].measured - 1)
    return best(everyone), loo


def cell_delays(rows: list[Row]) -> None:
    """What nextpnr-ecp5 printed for each kind of step on the critical paths (where the ECP5 cell delays come from)."""
    seen: dict[str, Counter[float]] = defaultdict(Counter)
    for r in rows:
        text = r.log.read_text(errors="replace")
        report = text[text.rfind("Critical path report for clock") :]
        for kind, ns, name in _SEGMENT.findall(report):
            pin = re.sub(r"\d+$", "", name.rsplit(".", 1)[-1]) if kind != "routing" else ""
            cell = "CCU2C " if "$CCU2_COMB" in name else ""
            seen[f"{kind} {cell}{pin}".strip()][float(ns)] += 1
    print("\nnextpnr-ecp5's critical paths, each step by kind and output pin: ns x count (the most common)")
    for key in sorted(seen):
        if key != "routing":
            common = ", ".join(f"{ns:.2f} x{n}" for ns, n in seen[key].most_common(4))
            print(f"  {key:18s} {common}")
    nets = sorted(seen["routing"].elements())
    routed = [x for x in nets if x > 0]
    print(f"  routing: {len(nets) - len(routed)} dedicated (0 ns), {len(routed)} routed nets, median "
          f"{statistics.median(routed):.2f} ns, {min(routed):.2f}-{max(routed):.2f}")  # fmt: skip


def generator_version() -> str:
    """The commit the cores were generated from, and whether lepton_hw had local changes."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "lepton_hw"], capture_output=True, text=True, check=False
    )
    return head.stdout.strip() + (" with local changes to lepton_hw" if dirty.stdout.strip() else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-random", action="store_true", help="only the IR cases (no TensorFlow)")
    args = parser.parse_args()
    start = time.monotonic()
    graphs = ir_graphs()
    if not args.no_random:
        print("importing the random models ...", flush=True)
        graphs += random_graphs()
    print(f"{len(graphs)} cores for {BOARD} (lepton_hw {generator_version()}): yosys, nextpnr-ecp5, the model")
    rows = [row for name, graph, p in graphs if (row := measure(name, graph, p)) is not None]
    print(f"measured {len(rows)} cores in {time.monotonic() - start:.0f} s", flush=True)
    if len(rows) < 2:
        print("too few cores to compare")
        return 1
    cell_delays(rows)
    base = DELAYS["ecp5"]
    measured = [r.measured for r in rows]
    print(f"\nnextpnr Fmax range: {min(measured):.1f} - {max(measured):.1f} MHz")
    table("Model with timing.DELAYS['ecp5'] against nextpnr-ecp5 (error = model / measured - 1)", rows, base)
    net, loo = refit_net(rows, base)
    table(
        f"Refit: routed-net delay {base.net:.2f} -> {net:.2f} ns (least squares on log(model/measured); "
        "LOO err = the core predicted with the net delay fitted on the others)",
        rows,
        dataclasses.replace(base, net=net),
        loo,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
