"""The ``lepton-hw`` command line (the contract is in DESIGN.md).

User errors print one line, ``lepton-hw: error: ...``, and exit with status 2 (``--debug``
shows the traceback). The CLI prints its own results to stdout; everything else is logging.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lepton_hw import __version__
from lepton_hw.engines import ENGINES, HlsOptions, RtlOptions, load_samples
from lepton_hw.errors import BoardError, InputDataError, MismatchError, UserError
from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import Conv2D, Dense, Graph

KERNELS = ("da", "mac")  # lepton_hw.backends.rtl.cmvm.KERNELS (not imported: the CLI starts fast)
SIMULATORS = ("verilator", "cocotb-verilator", "icarus")  # lepton_hw.sim.run.SIMULATORS

if TYPE_CHECKING:
    from lepton_hw.backends.rtl.layout import Tiling
    from lepton_hw.schedule import ScheduleOptions
    from lepton_hw.train.datasets import Dataset

log = logging.getLogger("lepton_hw")


# ----------------------------------------------------------------------------- commands
def cmd_import(args: argparse.Namespace) -> int:
    from lepton_hw.frontend.qkeras import import_model
    from lepton_hw.fsutil import atomic_output_dir, refuse_existing
    from lepton_hw.ir.serialize import save_graph

    input_type = FixedType.parse(args.input_type)
    if input_type.width > 32:
        raise InputDataError(f"--input-type {input_type}: at most 32 bits are accepted (inputs are floats in X.npy)")
    out = Path(args.output)
    refuse_existing(out, args.force)  # before the slow model load; checked again when writing
    graph = import_model(args.model, input_type)
    with atomic_output_dir(out, force=args.force) as tmp:
        save_graph(graph, tmp)
    print(f"imported {args.model} -> {out}/ir.json, {out}/weights.npz")
    print(_summary(graph))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from lepton_hw.engines import load_ir

    graph = load_ir(args.dir)
    print(format_info(graph))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from lepton_hw.engines import load_ir, run_engine
    from lepton_hw.fsutil import atomic_write_bytes

    graph = load_ir(args.dir)
    out = Path(args.output)
    if out.is_dir() or not out.parent.is_dir():
        raise InputDataError(f"output {out}: give a file path in an existing folder")
    x = load_samples(Path(args.input))
    y = run_engine(graph, x, args.engine, _hls_options(args), _rtl_options(args))
    buffer = io.BytesIO()
    np.save(buffer, y)
    atomic_write_bytes(out, buffer.getvalue())
    classes = np.bincount(np.argmax(y, axis=-1).ravel(), minlength=y.shape[-1]) if y.shape[-1] > 1 else None
    if y.ndim == 4:  # whole frames: a map of tiles
        print(
            f"{args.engine}: {y.shape[0]} frames x {y.shape[1]}x{y.shape[2]} tiles x {y.shape[3]} outputs "
            f"({graph.output.type}) -> {args.output}"
        )
    else:
        print(f"{args.engine}: {y.shape[0]} samples x {y.shape[1]} outputs ({graph.output.type}) -> {args.output}")
    if classes is not None:
        print("argmax class counts: " + " ".join(f"{c}:{n}" for c, n in enumerate(classes)))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Every engine against the first (the interpreter by default), with ==; exit 1 on any mismatch."""
    from lepton_hw.engines import check_engines, compare_outputs, load_ir, mismatch_text, run_engine
    from lepton_hw.fsutil import atomic_write_bytes

    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    check_engines(engines)
    graph = load_ir(args.dir)
    x = load_samples(Path(args.input))
    outputs = {}
    for engine in engines:
        log.info("verify: running engine %s on %d samples", engine, len(x))
        outputs[engine] = run_engine(graph, x, engine, _hls_options(args), _rtl_options(args))
    report = compare_outputs(outputs)
    path = Path(args.dir) / "verify.json"
    atomic_write_bytes(path, (json.dumps(report, indent=1) + "\n").encode())
    n = report["n"]
    for engine in engines[1:]:
        print(f"{engine} vs {engines[0]}: {report['mismatches'][engine]} of {n} samples differ")
    if not report["bit_exact"]:
        print(mismatch_text(report))
        print(f"-> {path}")
        return 1
    print(f"bit-exact: {', '.join(engines)} agree on all {n} samples x {report['outputs']} outputs")
    print(f"-> {path}")
    return 0


def cmd_hls(args: argparse.Namespace) -> int:
    from lepton_hw.backends.hls import BuildSteps, build_project, run_synth, write_project
    from lepton_hw.backends.hls.project import reuse_text
    from lepton_hw.boards import get_board
    from lepton_hw.engines import load_ir
    from lepton_hw.fsutil import atomic_output_dir, refuse_existing

    board = get_board(args.board)
    graph = load_ir(args.dir)
    out = Path(args.dir) / "hls"
    refuse_existing(out, args.force)
    if args.synth and board.vendor != "xilinx":
        raise BoardError(
            f"--synth runs Vitis/Vivado HLS, which target Xilinx parts; {board.id} is a {board.vendor} board "
            "(write the project without --synth, or pick a Xilinx board)"
        )
    clock = args.clock if args.clock is not None else board.clock_mhz
    reuse, layer_reuse = args.reuse, None
    if reuse is None:  # each layer's from the camera's rate (the schedule's intervals); --reuse: one model-wide
        from lepton_hw.backends.hls.adapter import stream_reuse

        reuse, layer_reuse = 1, stream_reuse(graph, args.clocks_per_pixel)
    project = build_project(
        graph, part=board.part, clock_mhz=clock, backend=args.backend, strategy=args.strategy, reuse=reuse,
        layer_reuse=layer_reuse, clocks_per_pixel=args.clocks_per_pixel,
    )  # fmt: skip
    settings = f"{args.backend}, strategy {args.strategy}, reuse {reuse_text(graph, project.settings)}"
    print(f"hls: {graph.name} for {board.id} ({board.part}, {clock:g} MHz), {settings}")
    with atomic_output_dir(out, force=args.force) as tmp:
        write_project(project, tmp)
        if args.strategy == "da" and not args.synth:  # da4ml's own estimate needs no vendor tool
            costs = project.info["da4ml_costs"]
            report = {"ran": False, "reason": "no --synth", "da4ml_costs": costs}
            (tmp / "report.json").write_text(json.dumps(report, indent=1) + "\n")
            total = sum(layer["da4ml_cost"] for layer in costs.values())
            print(f"da4ml cost estimate: {total:g} (adders, da4ml units) over {len(costs)} layers -> report.json")
    print(f"wrote {out}/ (hls/ = the hls4ml project, camera/ = the IP wrapper and testbench, build_camera.tcl)")
    if args.synth:
        steps = BuildSteps(csim=False, synth=True, cosim=args.cosim, export=True)
        report = run_synth(out, args.backend, steps=steps)
        if not report.get("ran"):
            print(f"{report['reason']}: C synthesis not run; it would run: {report['commands'][0]}")
        print(f"-> {out}/report.json")
    return 0


def cmd_rtl(args: argparse.Namespace) -> int:
    from lepton_hw.backends.rtl import build_rtl, write_rtl
    from lepton_hw.backends.rtl.project import record_timing
    from lepton_hw.boards import get_board
    from lepton_hw.engines import load_ir
    from lepton_hw.fsutil import refuse_existing
    from lepton_hw.sim import run as sim_run

    board = get_board(args.board)
    graph = load_ir(args.dir)
    out = Path(args.dir) / "rtl"
    refuse_existing(out, args.force)
    if not args.no_sim:
        sim_run.require_simulator(args.sim)  # before the slow steps
    options = _schedule_options(args)
    print(
        f"rtl: {graph.name} -> lepton_core for {board.id} ({board.part}), kernel {options.kernel}, "
        f"{options.clocks_per_pixel} clock(s) per pixel, pipeline {options.pipeline}"
    )
    project = build_rtl(graph, board, options=options)
    write_rtl(project, out, force=args.force)
    print(project.schedule_table())
    print(f"wrote {out}/: {len(project.sources)} Verilog files, files.f, core.json (with the schedule), README.md")
    if args.no_sim:
        return 0
    raw = _rtl_check_frames(graph, Path(args.dir), args.frames)
    if project.tiling is not None:
        raw = _tiled_check_frames(graph, project.tiling, raw, args.frames)
    print(f"simulating {len(raw)} frames back to back with {args.sim} (the first build takes a while) ...")
    run = sim_run.simulate(project, graph, raw, args.sim)
    expected = sim_run.expected_packets(graph, raw, project.tiling)
    got = run.result.packets
    if got != expected:
        from lepton_hw.packets import first_difference

        waves = sim_run.waves_of(project, sim_run.frames_plan(project, raw), args.sim)
        print(f"NOT bit-exact: {first_difference(got, expected)}")
        print(f"waveform: {waves}" if waves else "waveform: not available")
        return 1
    record_timing(out, run.report)
    r = run.report
    print(
        f"bit-exact: {len(raw)} of {len(raw)} packets equal the interpreter's; {r['cycles_per_frame']} cycles per "
        f"frame ({r['pixels_per_frame']} pixels), latency {r['latency_cycles']} cycles from the last pixel "
        f"-> {out}/sim_report.json"
    )
    return 0


def _schedule_options(args: argparse.Namespace) -> ScheduleOptions:
    """The schedule's options from `rtl`'s flags; --layer NAME=IMPL[:FOLD] or NAME=FOLD forces a layer."""
    from lepton_hw.schedule import IMPLS, LayerChoice, ScheduleOptions

    layers = {}
    for text in args.layer or []:
        name, _, choice = text.partition("=")
        impl, _, fold = choice.partition(":")
        if impl.isdigit() and not fold:
            impl, fold = "fold", impl
        if not name or impl not in IMPLS or (fold and not fold.isdigit()):
            raise UserError(f"--layer {text!r}: expected NAME=IMPL or NAME=IMPL:FOLD, IMPL one of {', '.join(IMPLS)}")
        layers[name] = LayerChoice(impl=impl, fold=int(fold) if fold else None)
    return ScheduleOptions(
        kernel=args.kernel, clocks_per_pixel=args.clocks_per_pixel, pixel_clock_mhz=args.pixel_clock,
        pipeline=args.pipeline, layers=layers, frame=args.frame,
    )  # fmt: skip


def _frame_size(text: str) -> tuple[int, int]:
    """--frame WxH -> (width, height)."""
    width, sep, height = text.lower().partition("x")
    if (
        not sep
        or not width.isdigit()
        or not height.isdigit()
        or not (0 < int(width) <= 8192 and 0 < int(height) <= 8192)
    ):
        raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT in pixels, like 1280x1024 (each 1..8192)")
    return int(width), int(height)


def _rtl_check_frames(graph: Graph, directory: Path, count: int) -> np.ndarray:
    """Raw frames for the check simulation: the test set's first frames, else all-0, all-max and noise."""
    from lepton_hw.ir import interp

    test_x = directory / "test_x.npy"
    if test_x.is_file():
        x = load_samples(test_x)[:count]
        return interp.quantize_input(graph, x)
    t = graph.input.type
    rng = np.random.default_rng(0)
    raw = rng.integers(t.min_raw, t.max_raw + 1, size=(max(count, 2), *graph.input.shape))
    raw[0], raw[1] = t.min_raw, t.max_raw
    return raw[:count]


def _tiled_check_frames(graph: Graph, tiling: Tiling, samples: np.ndarray, count: int) -> np.ndarray:
    """Whole frames for a tiled core's check: the samples laid out as tiles (a mosaic, in turn), the
    remainder strips and any tile left over random."""
    t = graph.input.type
    rng = np.random.default_rng(0)
    frames = rng.integers(
        t.min_raw, t.max_raw + 1, size=(count, tiling.frame_height, tiling.frame_width, samples.shape[-1])
    )
    h, w = tiling.tile_height, tiling.tile_width
    k = 0
    for f in range(count):
        for r in range(tiling.tiles_y):
            for c in range(tiling.tiles_x):
                frames[f, r * h : (r + 1) * h, c * w : (c + 1) * w] = samples[k % len(samples)]
                k += 1
    return frames


def cmd_estimate(args: argparse.Namespace) -> int:
    from lepton_hw.estimate import estimate, resolve_boards, write_estimate
    from lepton_hw.estimate.report import format_table

    boards = resolve_boards(args.board)
    directory = Path(args.dir)
    reports = None
    if args.vendor_reports:  # read and matched to a board first: a bad report costs no synthesis
        from lepton_hw.estimate.vendor import add_vendor_reports, matching_boards, read_vendor_reports

        given = [part for part in args.vendor_reports.split(",") if part]
        reports = read_vendor_reports(given[0] if len(given) == 1 else given)
        matching_boards(reports, boards)
    what = "analytic model, no synthesis" if args.fast else "Yosys synthesis per family, nextpnr for Lattice/Gowin"
    print(f"estimate: {directory}/rtl on {len(boards)} board(s) ({what})")
    doc = estimate(directory, boards, fast=args.fast, jobs=args.jobs)
    if reports is not None:
        matched = add_vendor_reports(doc, reports, boards)
        print(
            f"Vivado {reports['version']} reports ({reports['device']}, "
            f"{reports['utilization']['design_state'] or 'design state not given'}) beside {', '.join(matched)}"
        )
    write_estimate(doc, directory)
    print(format_table(doc))
    print("* modelled; other figures measured by a tool on this design (estimate.md says which and how)")
    print(f"-> {directory}/estimate.json, estimate.md, utilization.png ({doc['seconds']} s)")
    return 0


def cmd_flow(args: argparse.Namespace) -> int:
    from lepton_hw import flow

    progress = None if args.quiet else print
    try:
        result = flow.run(
            args.config, args.output, from_step=args.from_step, to_step=args.to_step, force=args.force,
            progress=progress,
        )  # fmt: skip
    except flow.StepFailed as failed:
        if args.debug:
            raise
        print(f"lepton-hw: error: {failed}", file=sys.stderr)
        return failed.exit_status
    for line in flow.summary_lines(result):
        print(line)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from lepton_hw.sweep import load_sweep, run_sweep

    spec = load_sweep(args.sweep)
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers}: give 1 or more")
    result = run_sweep(spec, args.output, address=args.address, workers=args.workers, resume=args.resume,
                       progress=None if args.quiet else print)  # fmt: skip
    failed = [p for p in result.points if p["status"] != "done"]
    print(f"sweep {spec.name}: {len(result.points) - len(failed)} of {len(result.points)} points done in "
          f"{result.seconds:.0f} s -> {result.directory}/sweep.json, sweep.csv, pareto.json, sweep.html")  # fmt: skip
    for board, ids in result.pareto.items():
        front = [p for p in result.points if p["id"] in ids]
        shown = "; ".join(f"{p['id']} {p['values']} {p['accuracy']:.2%} {p['boards'][board]['lut']} LUT" for p in front)
        print(f"front on {board}: {shown or 'no point fits'}")
    for p in failed:
        print(f"failed: point {p['id']} {p['values']}: {p['error']}")
    return 1 if failed else 0


def cmd_boards(args: argparse.Namespace) -> int:
    from lepton_hw.boards import all_boards, format_table

    print(format_table(all_boards()))
    return 0


def _hls_options(args: argparse.Namespace) -> HlsOptions:
    return HlsOptions(backend=args.backend, strategy=args.strategy, reuse=args.reuse)


def _rtl_options(args: argparse.Namespace) -> RtlOptions:
    return RtlOptions(kernel=args.kernel, sim=args.sim, rtl_dir=Path(args.dir) / "rtl")


def cmd_train(args: argparse.Namespace) -> int:
    from lepton_hw.config import load_config
    from lepton_hw.train.run import train

    config = load_config(args.config)
    out = Path(args.output) if args.output else Path("build") / config.name
    progress = None if args.quiet else print
    result = train(config, out, force=args.force, progress=progress)
    model = result.metrics["model"]
    print(
        f"trained {config.name} -> {out}/: test accuracy {result.metrics['test']['accuracy']:.2%}, "
        f"{model['nonzero_params']}/{model['params']} parameters non-zero, {model['bops']} BOPs; "
        f"model.h5, ir/, metrics.json, training.png, confusion.png"
    )
    return 0


def cmd_dataset(args: argparse.Namespace) -> int:
    from lepton_hw.config import load_config
    from lepton_hw.fsutil import atomic_output_dir, refuse_existing
    from lepton_hw.train.datasets import export_png, load_dataset

    if args.frames is not None or args.frame_size is not None:
        return _dataset_frames(args)
    config = load_config(args.config)
    refuse_existing(Path(args.output), args.force)  # before generating or reading many frames
    dataset = load_dataset(config.dataset, config.model.input)
    with atomic_output_dir(Path(args.output), force=args.force) as tmp:
        written = export_png(dataset, tmp, per_class=args.limit)
        _write_preview(dataset, tmp / "preview.png")
    total = sum(written.values())
    print(f"{dataset.description}: wrote {total} PNG frames to {args.output}/<class>/ and preview.png")
    print("per class: " + ", ".join(f"{name} {count}" for name, count in written.items()))
    return 0


def _dataset_frames(args: argparse.Namespace) -> int:
    """`dataset --frames N [--frame-size WxH]`: whole camera frames with defects in known tiles; the size
    defaults to the config's hardware.frame."""
    import csv

    from PIL import Image

    from lepton_hw.config import load_config
    from lepton_hw.fsutil import atomic_output_dir, refuse_existing
    from lepton_hw.train.datasets import frames_tile, load_frames

    if args.frames is None:
        raise UserError("--frame-size WxH goes with --frames N (e.g. --frames 4 --frame-size 640x480)")
    if args.limit is not None:
        raise UserError("--limit applies to the per-class PNG export; with --frames, N is the number of frames")
    config = load_config(args.config)
    frame_size = args.frame_size or config.hardware.frame
    if frame_size is None:
        raise UserError(f"--frames: give --frame-size WxH (e.g. 640x480); {args.config} has no hardware.frame")
    frames_tile(config.dataset, config.model.input, frame_size)  # a bad size or kind writes nothing
    out = Path(args.output)
    refuse_existing(out, args.force)
    frames = load_frames(config.dataset, config.model.input, args.frames, frame_size)
    labels = frames.tile_labels
    digits = max(3, len(str(len(frames.x) - 1)))
    with atomic_output_dir(out, force=args.force) as tmp:
        np.save(tmp / "frames.npy", frames.x)
        np.save(tmp / "tile_labels.npy", labels)
        with (tmp / "labels.csv").open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["frame", "tile_row", "tile_col", "class_index", "class_name"])
            for (i, row, col), k in np.ndenumerate(labels):
                writer.writerow([i, row, col, k, frames.classes[k]])
        for i, frame in enumerate(frames.x):
            Image.fromarray(frame[:, :, 0], mode="L").save(tmp / f"frame_{i:0{digits}d}.png")
    n, rows, cols = labels.shape
    counts = np.bincount(labels.ravel(), minlength=len(frames.classes))
    print(
        f"{frames.description}: wrote {n} frames, {rows} rows x {cols} columns of tiles each, to {out}/: "
        "frames.npy, tile_labels.npy, labels.csv, frame_*.png"
    )
    shown = ", ".join(f"{name} {count}" for name, count in zip(frames.classes, counts, strict=True))
    print(f"tiles per class: {shown}")
    return 0


def _write_preview(dataset: Dataset, path: Path) -> None:
    from PIL import Image

    from lepton_hw.train.surface_defects import render_grid

    Image.fromarray(render_grid(dataset.x, dataset.y, dataset.classes), mode="L").save(path)


# ----------------------------------------------------------------------------- output text
def _summary(graph: Graph) -> str:
    params, nonzero = graph.params(), graph.nonzeros()
    sparsity = 1 - nonzero / params if params else 0.0
    return (
        f"{len(graph.nodes) - 1} layers, {params} parameters ({nonzero} non-zero, sparsity {sparsity:.1%}), "
        f"{graph.macs()} MACs; input {graph.input.shape} {graph.input.type}, "
        f"output {graph.output.shape} {graph.output.type}"
    )


def format_info(graph: Graph) -> str:
    rows = [("layer", "op", "shape", "type", "weights / accumulator", "params", "non-zero", "sparsity", "MACs")]
    for node in graph.nodes:
        detail, params, nonzero, sparsity, macs = "", "", "", "", ""
        if isinstance(node, (Conv2D, Dense)):
            detail = f"w {node.weight_type} b {node.bias_type} acc {node.accum_type}"
            params, nonzero = str(node.params()), str(node.nonzeros())
            sparsity, macs = f"{node.sparsity:.1%}", str(node.macs())
        shape = "x".join(str(d) for d in node.shape)
        rows.append((node.name, node.op, shape, str(node.type), detail, params, nonzero, sparsity, macs))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    source = graph.source.get("model", "(unknown)")
    return f"model {graph.name} (from {source})\n" + "\n".join(lines) + "\n" + _summary(graph)


# ----------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from lepton_hw.flow import STEP_NAMES

    parser = argparse.ArgumentParser(prog="lepton-hw", description="Tiny quantized CNNs for FPGAs, bit-exact.")
    parser.add_argument("--version", action="version", version=f"lepton-hw {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("import", help="QKeras/tf_keras model -> DIR/ir.json + DIR/weights.npz")
    p.add_argument("model", help="a .h5 or .keras model file")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--input-type", default="ap_ufixed<8,0>", metavar="T",
        help="the input's fixed-point type in ap_fixed syntax (default ap_ufixed<8,0>: Mono8 pixel / 256)",
    )  # fmt: skip
    p.add_argument("--force", action="store_true", help="overwrite DIR if it exists")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("info", help="layers, types, parameters, sparsity, MACs of an IR")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("predict", help="run an engine on X.npy, write the exact outputs to Y.npy")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("-i", "--input", required=True, metavar="X.npy", help="float array (N, H, W, C) of input values")
    p.add_argument("-o", "--output", required=True, metavar="Y.npy", help="float64 array (N, outputs)")
    p.add_argument("--engine", default="ir", help=f"one of {', '.join(ENGINES)} (default ir)")
    _add_hls_options(p)
    _add_rtl_options(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("verify", help="run several engines on X.npy and compare them exactly -> DIR/verify.json")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("-i", "--input", required=True, metavar="X.npy", help="float array (N, H, W, C) of input values")
    p.add_argument(
        "--engines", default="ir,keras", help=f"comma-separated, the first is the reference ({', '.join(ENGINES)})"
    )
    _add_hls_options(p)
    _add_rtl_options(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("hls", help="hls4ml project + camera IP wrapper + build tcl -> DIR/hls/")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--board", required=True, help="a board id (`lepton-hw boards` lists them)")
    _add_hls_options(p)
    p.set_defaults(reuse=None)  # hls: without --reuse, each layer's reuse factor comes from the camera's rate
    p.add_argument("--clocks-per-pixel", type=_positive_int, default=1, metavar="N",
                   help="core clocks per camera pixel (default 1): without --reuse, each layer gets the largest "
                        "reuse factor that keeps up with the camera at this rate")  # fmt: skip
    p.add_argument("--clock", type=float, metavar="MHz", help="target clock (default: the board's)")
    p.add_argument("--synth", action="store_true", help="run csynth with the vendor tool when it is installed")
    p.add_argument("--cosim", action="store_true", help="with --synth: also run C/RTL co-simulation")
    p.add_argument("--force", action="store_true", help="overwrite DIR/hls if it exists")
    p.set_defaults(func=cmd_hls)

    p = sub.add_parser("rtl", help="streaming Verilog core lepton_core -> DIR/rtl/, checked in simulation")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--board", required=True, help="a board id (`lepton-hw boards` lists them)")
    p.add_argument("--kernel", default="da", choices=KERNELS,
                   help="multiplies: da = da4ml shift-add graphs (default), mac = plain multiplies (DSPs)")  # fmt: skip
    p.add_argument("--pipeline", type=int, default=1, metavar="N", choices=range(0, 9),
                   help="adder levels between pipeline registers (default 1; 0: none inside layers)")  # fmt: skip
    p.add_argument("--clocks-per-pixel", type=_positive_int, default=1, metavar="N",
                   help="core clocks per camera pixel (default 1); more lets layers fold further")  # fmt: skip
    p.add_argument("--pixel-clock", type=float, metavar="MHz", help="the camera's pixel rate, recorded in core.json")
    p.add_argument("--layer", action="append", metavar="NAME=IMPL[:FOLD]",
                   help="force a layer's implementation (da, mac, fold, serial), e.g. logits=fold:4; "
                        "repeatable")  # fmt: skip
    p.add_argument("--frame", type=_frame_size, metavar="WxH",
                   help="the camera's largest frame, e.g. 1280x1024: the core classifies every tile of the model's "
                   "input size in it (default: frames of the model's input size)")  # fmt: skip
    p.add_argument("--sim", default="verilator", choices=SIMULATORS,
                   help="simulator for the check: verilator (native C++ harness, default), cocotb-verilator or "
                   "icarus (through the cocotb testbench)")  # fmt: skip
    p.add_argument("--frames", type=_positive_int, default=16, metavar="N",
                   help="frames simulated to check the core and measure its timing (default 16)")  # fmt: skip
    p.add_argument("--no-sim", action="store_true", help="write the Verilog only")
    p.add_argument("--force", action="store_true", help="overwrite DIR/rtl if it exists")
    p.set_defaults(func=cmd_rtl)

    p = sub.add_parser("estimate", help="per-board resources, fit, Fmax, latency, frames/s -> DIR/estimate.json")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--board", required=True, metavar="B",
                   help="a board id, several separated by commas, a board file (.yaml), or `all`")  # fmt: skip
    p.add_argument("--fast", action="store_true", help="analytic model only: no synthesis, no place and route")
    p.add_argument("--jobs", type=_positive_int, metavar="N", help="tool runs at once (default: the number of cores)")
    p.add_argument("--vendor-reports", metavar="PATH",
                   help="Vivado's utilization.rpt and timing.rpt (a folder, or the two files separated by a "
                   "comma; ip/vivado/synth.tcl writes them): shown beside the open tools' figures for the board "
                   "of that part")  # fmt: skip
    p.set_defaults(func=cmd_estimate)

    p = sub.add_parser("flow", help="everything: train -> import -> hls -> rtl -> verify -> estimate -> report -> ip")
    p.add_argument("config", metavar="CONFIG.yaml")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default build/<config name>)")
    steps = ", ".join(STEP_NAMES)
    p.add_argument("--from", dest="from_step", metavar="STEP",
                   help=f"run again from STEP on; the earlier steps are used as they are ({steps})")  # fmt: skip
    p.add_argument("--to", dest="to_step", metavar="STEP", help="stop after STEP")
    p.add_argument("--force", action="store_true",
                   help="run every step again, and overwrite DIR even if the flow did not make it")  # fmt: skip
    p.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress lines, only the summary"
    )  # fmt: skip
    p.set_defaults(func=cmd_flow)

    p = sub.add_parser("sweep", help="a design-space sweep of flows on Ray: accuracy, LUTs, clock per board")
    p.add_argument("sweep", metavar="SWEEP.yaml")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the sweep's folder")
    p.add_argument("--address", metavar="auto|HOST:PORT", help="join a running Ray cluster (default: local Ray)")
    p.add_argument("--workers", type=int, metavar="N", help="local Ray: CPUs to use, one point each (default all)")
    p.add_argument("--resume", action="store_true", help="continue the sweep in DIR: only what is missing runs")
    p.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress lines, only the summary"
    )  # fmt: skip
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("boards", help="list the boards and their resources")
    p.set_defaults(func=cmd_boards)

    p = sub.add_parser("train", help="QAT + pruning from a YAML config -> DIR/model.h5, DIR/ir/, DIR/metrics.json")
    p.add_argument("config", metavar="CONFIG.yaml")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default build/<config name>)")
    p.add_argument("--force", action="store_true", help="overwrite DIR if it exists")
    p.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress lines, only the result"
    )  # fmt: skip
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("dataset", help="write a config's dataset as PNG files, one folder per class")
    p.add_argument("config", metavar="CONFIG.yaml")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="at most N frames per class")
    p.add_argument("--frames", type=_positive_int, metavar="N",
                   help="instead: N whole camera frames with defects in known tiles of the model input's size "
                   "(surface-defects configs) -> frames.npy, tile_labels.npy, labels.csv, frame_*.png")  # fmt: skip
    p.add_argument("--frame-size", type=_frame_size, metavar="WxH",
                   help="with --frames: the frame size, e.g. 640x480 (default: hardware.frame)")  # fmt: skip
    p.add_argument("--force", action="store_true", help="overwrite DIR if it exists")
    p.set_defaults(func=cmd_dataset)
    return parser


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def _add_hls_options(p: argparse.ArgumentParser) -> None:
    from lepton_hw.backends.hls.adapter import BACKENDS, STRATEGIES

    p.add_argument("--backend", default="vitis", choices=BACKENDS, help="HLS tool flavour (default vitis)")
    p.add_argument("--strategy", default="latency", choices=STRATEGIES, help="hls4ml strategy (default latency)")
    p.add_argument("--reuse", type=int, default=1, metavar="N", help="hls4ml reuse factor (default 1)")


def _add_rtl_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sim", default="verilator", choices=SIMULATORS,
                   help="rtl engine: simulator: verilator (native C++ harness, default), cocotb-verilator or icarus "
                   "(through cocotb)")  # fmt: skip
    p.add_argument("--kernel", default="da", choices=KERNELS,
                   help="rtl engine without a DIR/rtl folder: kernel of the core generated (default da)")  # fmt: skip


def _setup_logging(debug: bool, quiet: bool) -> None:
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("lepton-hw: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.debug, args.quiet)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (UserError, MismatchError) as err:
        if args.debug:
            raise
        print(f"lepton-hw: error: {err}", file=sys.stderr)
        return err.exit_status
    except KeyboardInterrupt:
        print("lepton-hw: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
