"""The engines that compute a model's outputs, behind one function for ``predict`` and ``verify``.

- ``ir``: the integer interpreter (the golden model);
- ``keras``: the QKeras model the IR was imported from, in TensorFlow (float32);
- ``csim``: hls4ml's C simulation of the HLS backend's network (g++, compiled once and cached);
- ``rtl``: cocotb simulation (Verilator or Icarus) of the RTL core: the one in DIR/rtl when it
  exists (its sim_report.json is then updated), else one generated for the run.

Every engine returns float64 values (N, outputs) that are the exact fixed-point outputs, so that
two engines agree exactly when, and only when, their arrays are equal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw import tiles
from lepton_hw.errors import EngineError, InputDataError, IRError
from lepton_hw.ir import interp
from lepton_hw.ir.graph import Graph
from lepton_hw.safe_io import check_npy

log = logging.getLogger(__name__)

ENGINES = ("ir", "keras", "csim", "rtl")


@dataclass(frozen=True)
class HlsOptions:
    """How the csim engine configures hls4ml (`lepton-hw predict/verify`'s options; the flow's HLS step)."""

    backend: str = "vitis"
    strategy: str = "latency"
    reuse: int = 1  # model-wide
    layer_reuse: tuple[tuple[str, int], ...] = ()  # (layer name, reuse factor), sorted; overrides ``reuse``


@dataclass(frozen=True)
class RtlOptions:
    """How the rtl engine simulates: which core (DIR/rtl, else a fresh one of ``kernel``) and simulator."""

    kernel: str = "da"
    sim: str = "verilator"
    rtl_dir: Path | None = None


def ir_dir(directory: Path | str) -> Path:
    """The folder holding ir.json: DIR itself (`import -o DIR`) or DIR/ir (`train -o DIR`)."""
    directory = Path(directory)
    if not (directory / "ir.json").is_file() and (directory / "ir" / "ir.json").is_file():
        return directory / "ir"
    return directory


def load_ir(directory: Path | str) -> Graph:
    from lepton_hw.ir.serialize import load_graph

    folder = ir_dir(directory)
    if not (folder / "ir.json").is_file():
        raise IRError(
            f"{directory} holds no ir.json (nor ir/ir.json); create it with `lepton-hw import MODEL -o {directory}` "
            f"or `lepton-hw train CONFIG -o {directory}`"
        )
    return load_graph(folder)


def load_samples(path: Path) -> np.ndarray:
    """An (N, ...) float array from a .npy file, with a clear error when it isn't one."""
    if not path.is_file():
        raise InputDataError(f"input file {path} does not exist")
    check_npy(path, InputDataError)  # a forged header must not make np.load allocate terabytes
    try:
        x = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise InputDataError(f"cannot read {path} as a .npy array: {err or 'empty file'}") from None
    if not isinstance(x, np.ndarray):
        x.close()
        raise InputDataError(f"{path} is an .npz archive; give one array as a .npy file")
    if x.dtype.kind not in "fiu":
        raise InputDataError(f"{path}: expected a numeric array, got dtype {x.dtype}")
    return x


def check_engines(names: list[str]) -> None:
    unknown = [name for name in names if name not in ENGINES]
    if unknown or not names:
        raise EngineError(f"unknown engine {', '.join(unknown) or '(none)'}; accepted: {', '.join(ENGINES)}")


def run_engine(
    graph: Graph, x: np.ndarray, engine: str, hls: HlsOptions | None = None, rtl: RtlOptions | None = None
) -> np.ndarray:
    """Outputs (N, n_out) float64 of ``engine`` on float input values ``x`` (N, *input shape).

    Frames larger than the model's input (N, H, W, C) give the per-tile map (N, H // h, W // w, n_out)
    (lepton_hw.tiles): the interpreter and Keras on each tile, the RTL core on the whole frames."""
    check_engines([engine])
    if graph.output.type.width > 53:
        raise InputDataError(f"the output type {graph.output.type} has more than 53 bits: float64 cannot hold it")
    if tiles.is_frame_batch(graph, np.shape(x)):
        return _run_frames(graph, np.asarray(x), engine, hls or HlsOptions(), rtl or RtlOptions())
    raw = interp.quantize_input(graph, x)  # rejects shapes and values the hardware can't take
    if engine == "ir":
        y = graph.output.type.to_float(np.asarray(interp.run(graph, raw)))
    elif engine == "keras":
        from lepton_hw.frontend.keras_engine import predict_keras

        y = predict_keras(graph, graph.input.type.to_float(raw))
    elif engine == "rtl":
        y = graph.output.type.to_float(simulate_rtl(graph, raw, rtl or RtlOptions()))
    else:
        from lepton_hw.backends.hls import predict_csim

        options = hls or HlsOptions()
        out = predict_csim(
            graph,
            raw,
            backend=options.backend,
            strategy=options.strategy,
            reuse=options.reuse,
            layer_reuse=options.layer_reuse,
        )
        y = graph.output.type.to_float(out)
    return np.asarray(y, dtype=np.float64).reshape(len(raw), -1)


def _run_frames(graph: Graph, x: np.ndarray, engine: str, hls: HlsOptions, rtl: RtlOptions) -> np.ndarray:
    """The per-tile map (N, TR, TC, n_out) of whole frames x (N, H, W, C)."""
    n, height, width = x.shape[:3]
    h, w = tiles.tile_size(graph)
    raw = graph.input.type.from_float(x, what="input value", batched=True)
    if engine == "rtl":
        out = simulate_rtl(graph, raw, rtl, frame=(width, height))
    elif engine == "csim":
        from lepton_hw.backends.hls.tiles import predict_csim_frames

        out = predict_csim_frames(
            graph, raw, backend=hls.backend, strategy=hls.strategy, reuse=hls.reuse, layer_reuse=hls.layer_reuse
        )
    else:
        cut = tiles.cut_tiles(raw, (h, w))
        if engine == "ir":
            out = np.asarray(interp.run(graph, cut))
        else:
            from lepton_hw.frontend.keras_engine import predict_keras

            out = predict_keras(graph, graph.input.type.to_float(cut))
            return np.asarray(out, dtype=np.float64).reshape(n, height // h, width // w, -1)
    y = graph.output.type.to_float(np.asarray(out))
    return np.asarray(y, dtype=np.float64).reshape(n, height // h, width // w, -1)


def simulate_rtl(
    graph: Graph, raw: np.ndarray, options: RtlOptions, frame: tuple[int, int] | None = None
) -> np.ndarray:  # fmt: skip
    """Raw outputs of the RTL core on raw inputs; records the run's timing in DIR/rtl when it is used.
    ``frame`` (width, height): whole frames of tiles, for a tiled core of that frame size."""
    """Raw outputs of the RTL core on raw inputs; records the run's timing in DIR/rtl when it is used."""
    from lepton_hw.backends.rtl import build_rtl
    from lepton_hw.backends.rtl.project import load_rtl, record_timing
    from lepton_hw.sim.run import require_simulator, simulate

    require_simulator(options.sim)  # before any slow step
    from lepton_hw.schedule import ScheduleOptions

    folder = options.rtl_dir
    project = None
    if folder is not None and (folder / "core.json").is_file():
        project = load_rtl(folder, graph)
        t = project.tiling
        if (None if t is None else (t.frame_width, t.frame_height)) != frame:
            what = "one model input" if t is None else f"{t.frame_width}x{t.frame_height} frames"
            log.info("%s takes %s: simulating a core generated now for these inputs", folder, what)
            project = None
    if project is None:
        folder = None
        log.info("simulating a core generated now (kernel %s)", options.kernel)
        project = build_rtl(graph, options=ScheduleOptions(kernel=options.kernel, frame=frame))
    log.info("rtl: simulating %d frames with %s", len(raw), options.sim)
    run = simulate(project, graph, raw, options.sim)
    if folder is not None:
        record_timing(folder, run.report)
    return run.outputs


def compare_outputs(outputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """verify.json's document: every engine against the first (the reference), with ==.

    ``outputs`` maps engine names, in order, to their (N, n_out) arrays.
    """
    engines = list(outputs)
    reference = outputs[engines[0]]
    mismatches: dict[str, int] = {}
    first = None
    for engine in engines[1:]:
        bad = np.argwhere(outputs[engine] != reference)
        mismatches[engine] = len(np.unique(bad[:, 0])) if bad.size else 0
        if bad.size and first is None:
            where = tuple(int(v) for v in bad[0])
            first = {
                "engine": engine,
                "sample": where[0],
                "index": where[-1],
                "expected": float(reference[where]),
                "got": float(outputs[engine][where]),
            }
            if len(where) == 4:  # a per-tile map: (frame, tile row, tile column, output)
                first["tile"] = [where[1], where[2]]
    return {
        "n": len(reference),
        "outputs": int(reference.shape[-1]) if reference.ndim >= 2 else 1,
        **({"tiles": [int(reference.shape[1]), int(reference.shape[2])]} if reference.ndim == 4 else {}),
        "engines": engines,
        "reference": engines[0],
        "mismatches": mismatches,
        "bit_exact": first is None,
        "first_mismatch": first,
    }


def mismatch_text(report: dict[str, Any]) -> str:
    first = report["first_mismatch"]
    tile = f"tile {tuple(first['tile'])}, " if "tile" in first else ""
    return (
        f"NOT bit-exact: first mismatch: engine {first['engine']}, sample {first['sample']}, {tile}"
        f"output {first['index']}: expected {first['expected']!r}, got {first['got']!r}"
    )
