"""``lepton-hw sweep``: a design-space sweep on Ray, and the Pareto front per board.

A sweep file names a base flow config and the axes to vary (dotted paths into the config)::

    name: digits_sweep
    base: digits.yaml                       # a flow config, relative to this file
    axes:                                   # a grid: every combination of the values
      model.defaults.weight_bits: [4, 6]
      pruning.target_sparsity: [0.25, 0.5]
    sample:                                 # or (also) random points from ranges
      count: 4
      seed: 0
      axes: {training.learning_rate: {low: 0.002, high: 0.01, log: true}}
    boards: [icebreaker, pynq-z2]           # hardware.boards of every point
    estimate: fast                          # fast | full (hardware.estimate)
    objectives: [accuracy, lut]             # the front: accuracy up, LUTs down (also ff, dsp, bram,
                                            # fmax_mhz, latency_cycles, frames_per_s)

Each point is the base config with its values, run by the flow (lepton_hw.flow) into DIR/points/<id>/,
<id> a hash of its values: the same point always lands in the same folder. Points whose training
settings are equal share one training run (DIR/train/<id>/, copied into each point's folder, where
the flow then finds the train and import steps cached). Every step is cached by the flow itself, so a
re-run (``--resume``) computes only what is missing.

Ray runs the work: one task per training group and one per point, each asking for one CPU (training
and synthesis are CPU-bound; TensorFlow and Yosys use the CPU they get). Locally (the default) Ray
starts in this process with ``--workers`` CPUs (default: all); ``--address`` joins a running cluster
(``ray start --head`` on one machine, ``ray start --address HEAD:6379`` on the others), where the
workers need lepton_hw installed and the sweep folder on a shared file system. A task whose worker
dies is retried by Ray (``max_retries``); the flow's atomic steps make the retry's result identical.
A point that fails is recorded with its error and the sweep goes on.

Outputs: DIR/sweep.json (every point: values, accuracy, per-board resources, fit, Fmax, clock, latency,
frames/s, with the estimate's provenance), DIR/sweep.csv (one row per point and board),
DIR/pareto.json (the front per board, among the points that fit) and DIR/sweep.html (scatter plots per
board, the front highlighted, each point linked to its report.html).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import itertools
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw.errors import ConfigError, OutputExistsError
from lepton_hw.fsutil import atomic_write_bytes
from lepton_hw.safe_io import load_yaml

log = logging.getLogger(__name__)

FORMAT = "lepton_hw.sweep"
VERSION = 1
# objective -> (where it is read, whether more is better)
OBJECTIVES: dict[str, tuple[str, bool]] = {
    "accuracy": ("accuracy", True),
    "lut": ("lut", False),
    "ff": ("ff", False),
    "dsp": ("dsp", False),
    "bram": ("bram", False),
    "fmax_mhz": ("fmax_mhz", True),
    "latency_cycles": ("latency_cycles", False),
    "frames_per_s": ("frames_per_s", True),
}
TRAINING_SECTIONS = ("dataset", "model", "pruning", "training")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Point:
    id: str
    values: dict[str, Any]  # axis path -> value
    config: dict[str, Any]  # the whole flow config (YAML data)

    @property
    def training_id(self) -> str:
        return _hash({k: self.config.get(k) for k in TRAINING_SECTIONS})


@dataclass(frozen=True)
class SweepSpec:
    name: str
    source: Path
    base: dict[str, Any]
    axes: dict[str, list[Any]]
    sample_axes: dict[str, dict[str, Any]]
    sample_count: int
    sample_seed: int
    boards: tuple[str, ...]
    estimate: str
    objectives: tuple[str, ...]
    base_path: Path | None = None  # the base config's file: relative paths in it are relative to it

    def points(self) -> list[Point]:
        """Every grid combination (or the base alone), each with the sampled points' values if any."""
        grid = [dict(zip(self.axes, combo, strict=True)) for combo in itertools.product(*self.axes.values())]
        rng = np.random.default_rng(self.sample_seed)
        sampled = [self._sample(rng) for _ in range(self.sample_count)] if self.sample_axes else [{}]
        points, seen = [], set()
        for values in (dict(g, **s) for g in grid for s in sampled):
            config = copy.deepcopy(self.base)
            for path, value in values.items():
                _set(config, path, value)
            hardware = config.setdefault("hardware", {})
            hardware["boards"] = list(self.boards)
            hardware["estimate"] = self.estimate
            config["name"] = self.name  # one name: the training step's key (which holds it) is shared
            point = Point(_hash([values, self.base]), values, config)  # a base edited later: new points
            if point.id not in seen:
                seen.add(point.id)
                points.append(point)
        return points

    def _sample(self, rng: np.random.Generator) -> dict[str, Any]:
        values = {}
        for path, r in self.sample_axes.items():
            low, high = float(r["low"]), float(r["high"])
            if r.get("log"):
                value: Any = math.exp(rng.uniform(math.log(low), math.log(high)))
            else:
                value = rng.uniform(low, high)
            values[path] = round(value) if r.get("int") else round(float(value), 6)
        return values


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _set(config: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path (list indices as numbers: model.layers.0.filters) in the config data."""
    keys = path.split(".")
    node: Any = config
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def load_sweep(path: Path | str) -> SweepSpec:
    """Read and check a sweep file; every point's config is validated as the flow would."""
    from lepton_hw.boards import get_board
    from lepton_hw.config import parse_config

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"sweep file {path} does not exist")
    data = load_yaml(path.read_text(), str(path), ConfigError)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a sweep file is a mapping (name, base, axes, boards...)")
    known = {"name", "base", "axes", "sample", "boards", "estimate", "objectives"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; accepted: {', '.join(sorted(known))}")
    if "base" not in data:
        raise ConfigError(f"{path}: base: the flow config to vary is required")
    base_path = (path.parent / str(data["base"])).resolve()
    if not base_path.is_file():
        raise ConfigError(f"{path}: base config {base_path} does not exist")
    base = load_yaml(base_path.read_text(), str(base_path), ConfigError)
    axes = data.get("axes") or {}
    if not isinstance(axes, dict) or any(not isinstance(v, list) or not v for v in axes.values()):
        raise ConfigError(f"{path}: axes: a mapping of config paths to non-empty lists of values")
    if not isinstance(base, dict):
        raise ConfigError(f"{path}: base config {base_path} is not a mapping")
    sample = data.get("sample") or {}
    sample_axes = sample.get("axes") if isinstance(sample, dict) else None
    if sample and not isinstance(sample_axes, dict):
        raise ConfigError(f"{path}: sample: give {{count: N, seed: S, axes: {{path: {{low: L, high: H}}}}}}")
    sample_axes = sample_axes or {}
    for name, r in sample_axes.items():
        try:
            ok = isinstance(r, dict) and float(r["low"]) <= float(r["high"])
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"{path}: sample.axes.{name}: give {{low: L, high: H}} with numbers L <= H (and log/int)")
    boards = data.get("boards") or []
    if not isinstance(boards, list) or not boards:
        raise ConfigError(f"{path}: boards: a non-empty list of board ids (`lepton-hw boards` lists them)")
    for board in boards:
        get_board(str(board))  # raises BoardError naming the accepted ids
    estimate = str(data.get("estimate", "fast"))
    if estimate not in ("fast", "full"):
        raise ConfigError(f"{path}: estimate: fast or full, not {estimate!r}")
    objectives = tuple(data.get("objectives") or ("accuracy", "lut"))
    bad = [o for o in objectives if o not in OBJECTIVES]
    if bad or len(objectives) < 2:
        raise ConfigError(f"{path}: objectives: two or more of {', '.join(OBJECTIVES)}; got {list(objectives)}")
    spec = SweepSpec(
        name=str(data.get("name", path.stem)), source=path.resolve(), base=base,
        axes={str(k): list(v) for k, v in axes.items()}, sample_axes=dict(sample_axes),
        sample_count=int(sample.get("count", 0)), sample_seed=int(sample.get("seed", 0)),
        boards=tuple(str(b) for b in boards), estimate=estimate, objectives=objectives, base_path=base_path,
    )  # fmt: skip
    try:
        points = spec.points()
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise ConfigError(
            f"{path}: axes: a path does not lead into the base config ({type(err).__name__}: {err})"
        ) from None
    if not points:
        raise ConfigError(f"{path}: no points: give axes with values or sample.count")
    for point in points:  # every point's config must be valid before anything runs
        try:
            parse_config(
                point.config, name=point.config["name"], source=base_path, where=f"{path} point {point.values}"
            )
        except ConfigError as err:
            raise ConfigError(f"{path}: point {point.values}: {err}") from None
        except (KeyError, IndexError, TypeError, ValueError) as err:
            raise ConfigError(f"{path}: point {point.values}: cannot apply the values ({err})") from None
    return spec


# ----------------------------------------------------------------------------- the Ray tasks
def _parse(config: dict[str, Any], source: str | None) -> Any:
    from lepton_hw.config import parse_config

    return parse_config(config, name=config["name"], source=Path(source) if source else None)


def _train_group(config: dict[str, Any], folder: str, source: str | None) -> str:
    """Train once for every point of a group: the flow up to import, in ``folder``."""
    from lepton_hw import flow

    flow.run(_parse(config, source), folder, to_step="import")
    return folder


def _run_point(config: dict[str, Any], folder: str, trained: str, source: str | None) -> dict[str, Any]:
    """The whole flow of one point in ``folder``, starting from its group's training (``trained``)."""
    from lepton_hw import flow

    target = Path(folder)
    if not (target / flow.STATE_FILE).is_file():
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        shutil.copytree(trained, tmp, dirs_exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    start = time.perf_counter()
    try:
        result = flow.run(_parse(config, source), folder)
    except Exception as err:  # recorded, and the sweep goes on
        return {"status": "failed", "error": f"{type(err).__name__}: {err}", "seconds": time.perf_counter() - start}
    steps = {s.name: s.status for s in result.steps}
    return {"status": "done", "steps": steps, "seconds": time.perf_counter() - start}


# ----------------------------------------------------------------------------- running
@dataclass
class SweepResult:
    directory: Path
    points: list[dict[str, Any]] = field(default_factory=list)
    pareto: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0


def run_sweep(
    spec: SweepSpec, out: Path | str, *, address: str | None = None, workers: int | None = None,
    resume: bool = False, progress: Progress | None = None,
) -> SweepResult:  # fmt: skip
    """Run every point of ``spec`` into ``out`` on Ray; write sweep.json, sweep.csv, pareto.json, sweep.html."""
    import ray

    say: Progress = progress or (lambda line: None)
    out = Path(out).resolve()
    marker = out / "sweep.spec.json"
    if out.exists() and any(out.iterdir()) and not resume:
        raise OutputExistsError(f"{out} exists; --resume continues the sweep in it (only what is missing runs)")
    if resume and marker.is_file() and json.loads(marker.read_text()).get("name") != spec.name:
        raise OutputExistsError(f"{out} holds another sweep ({json.loads(marker.read_text()).get('name')})")
    (out / "points").mkdir(parents=True, exist_ok=True)
    (out / "train").mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(marker, json.dumps({"name": spec.name, "source": str(spec.source)}, indent=1).encode())
    points = spec.points()
    source = str(spec.base_path) if spec.base_path else None
    started = time.perf_counter()
    env = {"env_vars": {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}}
    if address:
        ray.init(address=address, runtime_env=env, log_to_driver=False)
    else:
        ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False, runtime_env=env,
                 log_to_driver=False)  # fmt: skip
    try:
        train = ray.remote(num_cpus=1, max_retries=3)(_train_group)
        point_task = ray.remote(num_cpus=1, max_retries=3)(_run_point)
        groups: dict[str, Any] = {}
        pending: dict[Any, Point] = {}
        for point in points:
            gid = point.training_id
            if gid not in groups:
                groups[gid] = train.remote(point.config, str(out / "train" / gid), source)
            folder = str(out / "points" / point.id)
            pending[point_task.remote(point.config, folder, groups[gid], source)] = point
        capacity = max(int(ray.cluster_resources().get("CPU", 1)), 1)  # tasks that can run at once
        say(f"sweep {spec.name}: {len(points)} points, {len(groups)} training runs, on Ray "
            f"({address or f'local, {workers or os.cpu_count()} CPUs'})")  # fmt: skip
        outcomes: dict[str, dict[str, Any]] = {}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            point = pending.pop(done[0])
            try:
                outcome = ray.get(done[0])
            except Exception as err:  # the training task failed (or retries ran out): the point fails
                first_line = (str(err).splitlines() or [""])[0]
                outcome = {"status": "failed", "error": f"{type(err).__name__}: {first_line}"}
            outcomes[point.id] = outcome
            finished = len(outcomes)
            failed = sum(o["status"] != "done" for o in outcomes.values())
            elapsed = time.perf_counter() - started
            left = elapsed / finished * (len(points) - finished)
            cached = outcome.get("steps") and all(s == "cached" for s in outcome["steps"].values())
            state = "cached" if cached else outcome["status"]
            running = min(len(pending), capacity)
            say(f"[{finished}/{len(points)}] point {point.id} {state}: {point.values}; {failed} failed, "
                f"{running} running, {len(pending) - running} waiting, {elapsed:.0f} s elapsed, "
                f"about {left:.0f} s left")  # fmt: skip
    finally:
        ray.shutdown()
    result = collect(spec, out, points, outcomes)
    result.seconds = time.perf_counter() - started
    return result


# ----------------------------------------------------------------------------- results
def _value(entry: dict[str, Any], key: str) -> Any:
    item = entry.get(key)
    return item.get("value") if isinstance(item, dict) else item


def point_record(spec: SweepSpec, out: Path, point: Point, outcome: dict[str, Any]) -> dict[str, Any]:
    """One point's row of sweep.json, from its folder's metrics.json and estimate.json."""
    folder = out / "points" / point.id
    record: dict[str, Any] = {
        "id": point.id, "values": point.values, "folder": f"points/{point.id}", "status": outcome.get("status"),
        "error": outcome.get("error"), "steps": outcome.get("steps"), "accuracy": None, "boards": {},
    }  # fmt: skip
    if (folder / "metrics.json").is_file():
        record["accuracy"] = json.loads((folder / "metrics.json").read_text())["test"]["accuracy"]
    if (folder / "estimate.json").is_file():
        estimate = json.loads((folder / "estimate.json").read_text())
        record["estimate_mode"] = estimate.get("mode")
        record["tools"] = estimate.get("tools")
        for entry in estimate["boards"]:
            res = entry.get("resources", {})
            record["boards"][entry["board"]] = {
                "lut": _value(res, "lut"), "ff": _value(res, "ff"), "dsp": _value(res, "dsp"),
                "bram": _value(res, "bram"), "fits": entry.get("fits"), "fmax_mhz": _value(entry, "fmax_mhz"),
                "meets_clock": entry.get("meets_clock"), "latency_cycles": _value(entry, "latency_cycles"),
                "frames_per_s": _value(entry, "frames_per_s"),
                "by": {k: (entry.get(k) or res.get(k) or {}).get("by") for k in ("lut", "fmax_mhz", "frames_per_s")},
            }  # fmt: skip
    if (folder / "report.html").is_file():
        record["report"] = f"points/{point.id}/report.html"
    return record


def pareto_front(records: list[dict[str, Any]], board: str, objectives: tuple[str, ...]) -> list[str]:
    """Ids of the points that fit ``board`` and that no other fitting point dominates."""

    def vector(r: dict[str, Any]) -> tuple[float, ...] | None:
        entry = r["boards"].get(board) or {}
        values = []
        for name in objectives:
            key, up = OBJECTIVES[name]
            v = r.get("accuracy") if key == "accuracy" else entry.get(key)
            if v is None:
                return None
            values.append(float(v) if up else -float(v))
        return tuple(values)

    candidates = [(r["id"], vector(r)) for r in records if (r["boards"].get(board) or {}).get("fits")]
    scored = [(i, v) for i, v in candidates if v is not None]
    front = []
    for i, v in scored:
        dominated = any(all(a >= b for a, b in zip(w, v, strict=True)) and w != v for _, w in scored)
        if not dominated:
            front.append(i)
    return sorted(front)


def collect(spec: SweepSpec, out: Path, points: list[Point], outcomes: dict[str, dict[str, Any]]) -> SweepResult:
    """Write sweep.json, sweep.csv, pareto.json and sweep.html from the points' folders."""
    records = [point_record(spec, out, p, outcomes.get(p.id, {"status": "missing"})) for p in points]
    pareto = {board: pareto_front(records, board, spec.objectives) for board in spec.boards}
    doc = {
        "format": FORMAT, "version": VERSION, "name": spec.name, "base": str(spec.source),
        "axes": spec.axes, "sample": {"count": spec.sample_count, "seed": spec.sample_seed, "axes": spec.sample_axes},
        "boards": list(spec.boards), "estimate": spec.estimate, "objectives": list(spec.objectives),
        "points": records,
    }  # fmt: skip
    atomic_write_bytes(out / "sweep.json", (json.dumps(doc, indent=1, default=str) + "\n").encode())
    fronts = {b: [r for r in records if r["id"] in ids] for b, ids in pareto.items()}
    front_doc = {"objectives": list(spec.objectives), "boards": fronts}
    atomic_write_bytes(out / "pareto.json", (json.dumps(front_doc, indent=1, default=str) + "\n").encode())
    atomic_write_bytes(out / "sweep.csv", _csv(spec, records).encode())
    atomic_write_bytes(out / "sweep.html", _html(spec, records, pareto).encode())
    return SweepResult(out, records, pareto)


def _csv(spec: SweepSpec, records: list[dict[str, Any]]) -> str:
    axes = sorted({k for r in records for k in r["values"]})
    fields = ["point", *axes, "status", "accuracy", "board", "lut", "ff", "dsp", "bram", "fits", "fmax_mhz",
              "meets_clock", "latency_cycles", "frames_per_s", "pareto", "error"]  # fmt: skip
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(fields)
    for r in records:
        for board in spec.boards:
            e = r["boards"].get(board, {})
            front = r["id"] in pareto_front(records, board, spec.objectives)
            figures = [e.get(k) for k in ("lut", "ff", "dsp", "bram", "fits", "fmax_mhz", "meets_clock",
                                          "latency_cycles", "frames_per_s")]  # fmt: skip
            values = [r["values"].get(a, "") for a in axes]
            writer.writerow(
                [r["id"], *values, r["status"], r["accuracy"], board, *figures, front, r.get("error") or ""]
            )
    return text.getvalue()


def _scatter(records: list[dict[str, Any]], board: str, x_key: str, front: list[str], x_label: str) -> str:
    """An SVG scatter of accuracy against ``x_key`` for ``board``; each point links to its report."""
    raw = [(r, (r["boards"].get(board) or {}).get(x_key), r.get("accuracy")) for r in records]
    pts: list[tuple[dict[str, Any], float, float]] = [
        (r, float(x), float(y)) for r, x, y in raw if x is not None and y is not None
    ]
    width, height, pad = 420, 260, 46
    if not pts:
        return f"<p>No {x_label} figures for {board} (a fast estimate has no Fmax).</p>"
    xs, ys = [p[1] for p in pts], [p[2] for p in pts]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 0.01

    def sx(v: float) -> float:
        return pad + (v - x0) / (x1 - x0) * (width - 2 * pad)

    def sy(v: float) -> float:
        return height - pad - (v - y0) / (y1 - y0) * (height - 2 * pad)

    dots = []
    for r, x, y in sorted(pts, key=lambda p: p[0]["id"] in front):
        on = r["id"] in front
        fits = (r["boards"].get(board) or {}).get("fits")
        color = "#d62728" if on else ("#1f77b4" if fits else "#aaaaaa")
        title = f"{r['id']} {r['values']}: accuracy {y:.2%}, {x_label} {x:g}{'' if fits else ' (does not fit)'}"
        dot = (
            f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="{6 if on else 4}" fill="{color}">'
            f"<title>{title}</title></circle>"
        )
        dots.append(f'<a href="{r["report"]}">{dot}</a>' if r.get("report") else dot)
    axes = (
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#333"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#333"/>'
        f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle" font-size="12">'
        f"{x_label} ({x0:g} .. {x1:g})</text>"
        f'<text x="12" y="{height / 2}" font-size="12" transform="rotate(-90 12 {height / 2})" text-anchor="middle">'
        f"accuracy ({y0:.1%} .. {y1:.1%})</text>"
    )  # fmt: skip
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">{axes}{"".join(dots)}</svg>'


def _html(spec: SweepSpec, records: list[dict[str, Any]], pareto: dict[str, list[str]]) -> str:
    import html

    rows = []
    for r in records:
        cells = [f'<a href="{r["report"]}">{r["id"]}</a>' if r.get("report") else r["id"],
                 html.escape(json.dumps(r["values"])), r["status"] or "",
                 f"{r['accuracy']:.2%}" if r["accuracy"] is not None else ""]  # fmt: skip
        for board in spec.boards:
            e = r["boards"].get(board) or {}
            mark = " *" if r["id"] in pareto[board] else ""
            cells.append(f"{e.get('lut', '')} LUT, {'fits' if e.get('fits') else 'no fit'}{mark}" if e else "")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    plots = []
    for board in spec.boards:
        plots.append(f"<h2>{html.escape(board)}</h2><p>front (red): {', '.join(pareto[board]) or 'none'}</p>")
        plots.append(_scatter(records, board, "lut", pareto[board], "LUTs"))
        plots.append(_scatter(records, board, "fmax_mhz", pareto[board], "Fmax MHz"))
    head = "".join(f"<th>{h}</th>" for h in ["point", "values", "status", "accuracy", *spec.boards])
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>sweep {html.escape(spec.name)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
        "svg{margin:4px 12px 4px 0}</style></head><body>"
        f"<h1>Sweep {html.escape(spec.name)}</h1><p>{len(records)} points; objectives: "
        f"{', '.join(spec.objectives)}; the front per board among the points that fit (* in the table, red in "
        "the plots; grey: does not fit). Each point links to its own report.</p>"
        f"{''.join(plots)}<h2>Points</h2><table><tr>{head}</tr>{''.join(rows)}</table></body></html>\n"
    )
