"""The flow's report as one HTML page: sections in the order an engineer reads them.

Every number says where it comes from: measured by a tool on this design (which tool and version)
or modelled. Images are inlined as PNG data URIs, so the file stands alone.
"""

from __future__ import annotations

import base64
import html
import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from lepton_hw import __version__
from lepton_hw.fsutil import atomic_write_bytes
from lepton_hw.ir.graph import Conv2D, Dense, Graph
from lepton_hw.summary import fact_lines, summarize

SAMPLES_PER_CLASS = 6
SAMPLE_SCALE = 3  # the sample frames are drawn 3x, pixel for pixel


def write_report(directory: Path | str, config: Any = None) -> Path:
    """Write DIR/report.html (atomically) from DIR's files; returns its path."""
    directory = Path(directory)
    path = directory / "report.html"
    atomic_write_bytes(path, build_report(directory, config).encode())
    return path


def build_report(directory: Path | str, config: Any = None) -> str:
    """The page's HTML. Sections whose files are missing say which step makes them."""
    from lepton_hw.engines import load_ir

    directory = Path(directory)
    graph = load_ir(directory)
    name = config.name if config is not None else graph.name
    sections = [
        _summary(directory),
        _model(graph, _read(directory / "metrics.json")),
        _accuracy(directory),
        _samples(directory, graph),
        _whole_frame(directory, graph),
        _bit_exact(directory),
        _timing(directory),
        _boards(directory),
        _hls(directory),
        _provenance(directory, config),
    ]
    return _page(f"lepton_hw report: {name}", "\n".join(sections))


# ----------------------------------------------------------------------------- helpers
def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _image(path: Path, alt: str) -> str:
    if not path.is_file():
        return f'<p class="missing">{_e(path.name)} is missing.</p>'
    return f'<img class="figure" src="{_png_uri(path.read_bytes())}" alt="{_e(alt)}">'


def _table(header: list[str] | None, rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    """Rows of already-escaped HTML cells; the ``numeric`` columns are right-aligned."""

    def cell(tag: str, index: int, text: str) -> str:
        return f'<{tag} class="num">{text}</{tag}>' if index in numeric else f"<{tag}>{text}</{tag}>"

    head = "<thead><tr>" + "".join(cell("th", i, c) for i, c in enumerate(header)) + "</tr></thead>" if header else ""
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _section(anchor: str, title: str, body: str, source: str = "") -> str:
    note = f'<p class="source">Source: {source}</p>' if source else ""
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{body}{note}</section>'


def _missing(what: str, step: str) -> str:
    return f'<p class="missing">No {_e(what)} yet: the flow\'s <code>{_e(step)}</code> step writes it.</p>'


def _fig(fig: dict[str, Any] | None, digits: int = 0) -> str:
    """A figure of estimate.json: its value, marked * when modelled, its provenance as a tooltip."""
    from lepton_hw.estimate.report import value_text

    if fig is None:
        return "-"
    text = value_text(fig, digits)
    star = "" if text == "-" or fig.get("measured") else '<span class="model">*</span>'
    return f'<span title="{_e(fig.get("by", ""))}">{_e(text)}{star}</span>'


# ----------------------------------------------------------------------------- sections
def _summary(directory: Path) -> str:
    items = "".join(f"<li>{_e(line)}</li>" for line in fact_lines(summarize(directory)))
    verify = _read(directory / "verify.json")
    badge = ""
    if verify is not None:
        ok = verify["bit_exact"]
        badge = f'<p class="badge {"ok" if ok else "bad"}">{"BIT-EXACT" if ok else "NOT BIT-EXACT"}</p>'
    return _section("summary", "Summary", badge + f"<ul>{items}</ul>")


def _model(graph: Graph, metrics: dict[str, Any] | None) -> str:
    rows = []
    for node in graph.nodes:
        shape = "x".join(str(d) for d in node.shape)
        weights = params = nonzero = sparsity = macs = ""
        if isinstance(node, (Conv2D, Dense)):
            weights = "<br>".join(
                f"{what}&nbsp;<code>{_e(t)}</code>"
                for what, t in (("w", node.weight_type), ("b", node.bias_type), ("acc", node.accum_type))
            )
            params, nonzero = f"{node.params():,}", f"{node.nonzeros():,}"
            sparsity, macs = f"{node.sparsity:.1%}", f"{node.macs():,}"
        row = [_e(node.name), _e(node.op), _e(shape), f"<code>{_e(node.type)}</code>", weights]
        rows.append([*row, params, nonzero, sparsity, macs])
    header = ["layer", "op", "output shape", "output type", "weight / bias / accumulator types", "parameters",
              "non-zero", "sparsity", "MACs"]  # fmt: skip
    n_params, n_nonzero = graph.params(), graph.nonzeros()
    total = (
        f"<p>{len(graph.nodes) - 1} layers; {n_params:,} parameters, {n_nonzero:,} non-zero "
        f"(sparsity {1 - n_nonzero / max(n_params, 1):.1%}); {graph.macs():,} MACs per frame"
    )
    if metrics:
        model = metrics["model"]
        total += f"; {model['bops']:,} BOPs ({model['nonzero_macs']:,} non-zero MACs)"
    total += ".</p>"
    source = _e(Path(str(graph.source.get("model", "the IR"))).name)
    return _section(
        "model", "Model", total + _table(header, rows, (5, 6, 7, 8)), f"DIR/ir/ (imported from {source}; exact types)"
    )


def _accuracy(directory: Path) -> str:
    metrics = _read(directory / "metrics.json")
    if metrics is None:
        return _section("accuracy", "Accuracy", _missing("metrics.json", "train"))
    test = metrics["test"]
    classes = metrics["classes"]
    n = int(sum(sum(row) for row in test["confusion_matrix"]))
    text = (
        f"<p>Test accuracy <b>{test['accuracy']:.2%}</b> on {n} held-out frames, computed by the integer "
        f"interpreter (the hardware's arithmetic). Keras (float) on the same frames: "
        f"{metrics['keras_test_accuracy']:.2%}; validation accuracy {metrics['validation_accuracy']:.2%}; "
        f"{metrics['epochs_run']} epochs, {metrics['seconds']['training']:.0f} s of training.</p>"
    )
    confusion = np.asarray(test["confusion_matrix"])
    peak = max(int(confusion.max()), 1)
    rows = []
    for i, name in enumerate(classes):
        cells = [f"<th>{_e(name)}</th>"]
        for j in range(len(classes)):
            value = int(confusion[i, j])
            shade = 0.85 * value / peak
            color = f"rgba(46,125,50,{shade:.2f})" if i == j else f"rgba(198,40,40,{min(1.0, 4 * shade):.2f})"
            cells.append(f'<td style="background:{color}">{value}</td>')
        per = test["per_class"][name]
        cells.append(f"<td>{per['precision']:.1%}</td><td>{per['recall']:.1%}</td><td>{per['support']}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "<tr><th>true \\ predicted</th>" + "".join(f"<th>{_e(c)}</th>" for c in classes)
    head += "<th>precision</th><th>recall</th><th>frames</th></tr>"
    table = f'<table class="confusion"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
    plots = _image(directory / "training.png", "loss, accuracy and sparsity per epoch")
    return _section("accuracy", "Accuracy and confusion matrix", text + table + plots, "DIR/metrics.json (train step)")


def _samples(directory: Path, graph: Graph) -> str:
    metrics = _read(directory / "metrics.json")
    paths = [directory / name for name in ("test_x.npy", "test_y.npy", "test_logits.npy")]
    if metrics is None or not all(p.is_file() for p in paths):
        return _section("samples", "Sample frames", _missing("predictions", "verify"))
    from PIL import Image

    from lepton_hw.ir import interp

    x, y, logits = (np.load(p, allow_pickle=False) for p in paths)
    raw = interp.quantize_input(graph, x)  # the pixels as the core sees them
    predicted = np.argmax(logits, axis=1)  # argmax, lowest index on a tie: what the core's beat 0 carries
    classes = metrics["classes"]
    wrong = np.flatnonzero(predicted != y)
    rows = []
    for k, name in enumerate(classes):
        picks = list(np.flatnonzero(y == k)[:SAMPLES_PER_CLASS])
        cells = []
        for index in picks:
            frame = np.clip(raw[index].reshape(raw.shape[1], raw.shape[2], -1)[:, :, 0], 0, 255).astype(np.uint8)
            image = Image.fromarray(frame, mode="L").resize(
                (frame.shape[1] * SAMPLE_SCALE, frame.shape[0] * SAMPLE_SCALE), Image.Resampling.NEAREST
            )
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            guess = classes[int(predicted[index])]
            ok = guess == name
            cells.append(
                f'<figure class="{"ok" if ok else "bad"}"><img src="{_png_uri(buffer.getvalue())}" '
                f'alt="test frame {index}"><figcaption>#{index}: {_e(guess)}</figcaption></figure>'
            )
        rows.append(f'<div class="samples"><div class="label">{_e(name)}</div>{"".join(cells)}</div>')
    text = (
        f"<p>The first {SAMPLES_PER_CLASS} test frames of each true class (rows), captioned with the class the "
        f"golden model predicts (the core's result beat 0); red = wrong. {len(wrong)} of {len(y)} test frames "
        f"are misclassified.</p>"
    )
    return _section("samples", "Sample frames", text + "".join(rows), "DIR/test_x.npy, test_y.npy, test_logits.npy")


def _whole_frame(directory: Path, graph: Graph) -> str:
    """A camera frame with its defect map (hardware.frame): only when the flow checked whole frames."""
    path = directory / "frames.npz"
    metrics = _read(directory / "metrics.json")
    if not path.is_file():
        return ""
    from lepton_hw.report.defect_map import defect_map_svg

    with np.load(path, allow_pickle=False) as data:
        x, tile_map = data["x"], data["map"]
        labels = data["labels"] if "labels" in data.files else None
    raw = graph.input.type.from_float(x[:1], what="input value", batched=True)[0]
    frame = np.clip(raw, 0, 255).astype(np.uint8)
    predicted = np.argmax(tile_map[0], axis=-1)  # lowest index on a tie, as the core's beat 0
    n = tile_map.shape[-1]
    classes = metrics["classes"] if metrics and len(metrics.get("classes", [])) == n else [str(k) for k in range(n)]
    tile = (int(graph.input.shape[0]), int(graph.input.shape[1]))
    svg = defect_map_svg(frame, predicted, classes, tile, None if labels is None else labels[0])
    text = (
        f"<p>The first of {len(x)} whole {x.shape[2]}x{x.shape[1]} frames the flow checked: every tile tinted by the "
        "class the golden model gives it (the core's and the HLS wrapper's maps are equal to it, see below)"
        + (", tiles where it differs from the defect planted there crossed out" if labels is not None else "")
        + ".</p>"
    )
    return _section("frame", "A whole camera frame", text + f'<div class="frame">{svg}</div>', "DIR/frames.npz")


def _bit_exact(directory: Path) -> str:
    verify = _read(directory / "verify.json")
    if verify is None:
        return _section("bit-exact", "Bit-exactness", _missing("verify.json", "verify"))
    tools = verify.get("tools", {})
    seconds = verify.get("seconds", {})
    rows = []
    for engine in verify["engines"]:
        reference = engine == verify["reference"]
        bad = verify["mismatches"].get(engine, 0)
        result = "reference" if reference else ("equal" if bad == 0 else "DIFFERENT")
        cls = "ok" if bad == 0 else "bad"
        rows.append(
            [
                f"<b>{_e(engine)}</b>",
                _e(tools.get(engine, "")),
                str(verify["n"]),
                "-" if reference else f'<span class="{cls}">{bad}</span>',
                f'<span class="{cls}">{result}</span>',
                f"{seconds[engine]:.1f}" if engine in seconds else "-",
            ]
        )
    table = _table(["engine", "tool", "test frames", "frames that differ", "result", "seconds"], rows, (2, 3, 5))
    text = (
        f"<p>Every engine ran on all {verify['n']} test frames; each of the {verify['outputs']} outputs (logits) "
        f"is compared with <code>==</code> on its exact fixed-point value against the reference "
        f"({_e(verify['reference'])}, the integer interpreter).</p>"
    )
    first = verify.get("first_mismatch")
    if first:
        text += (
            f'<p class="bad">First mismatch: engine {_e(first["engine"])}, frame {first["sample"]}, output '
            f"{first['index']}: expected {first['expected']!r}, got {first['got']!r}.</p>"
        )
    checks = []
    camera = _read(directory / "hls" / "camera_check.json")
    if camera and camera.get("ran"):
        checks.append(
            f"the HLS camera IP's C simulation (AXI4-Stream wrapper included) sent {camera['packets_equal']} of "
            f"{camera['frames']} result packets equal to the interpreter's"
        )
    if checks:
        text_checks = "".join(f"<li>{_e(c)}</li>" for c in checks)
        table += f"<p>Also checked:</p><ul>{text_checks}</ul>"
    return _section("bit-exact", "Bit-exactness", text + table, "DIR/verify.json (verify step)")


def _timing(directory: Path) -> str:
    sim = _read(directory / "rtl" / "sim_report.json")
    core = _read(directory / "rtl" / "core.json")
    if sim is None or core is None:
        return _section("timing", "Throughput and latency", _missing("RTL simulation report", "rtl"))
    rows = [
        ["frame", f"{core['frame']['height']} x {core['frame']['width']} x {core['frame']['channels']}"
         f" ({_e(core['pixel_type'])} pixels)"],
        ["cycles per frame", f"{sim['cycles_per_frame']:,} ({sim['pixels_per_frame']:,} pixels; "
         f"{sim.get('input_stall_cycles', 0)} input stall cycles)"],
        ["latency", f"{sim['latency_cycles']} cycles from the frame's last pixel to the first result beat"],
        ["result packet", f"{core['packet_beats']} beats: class index, then {core['n_outputs']} logits "
         f"({_e(core['output_type'])})"],
    ]  # fmt: skip
    text = _table(["", "simulated"], rows)
    doc = _read(directory / "estimate.json")
    if doc:
        per_board = [
            [
                _e(e["board"]),
                _fig(e["clock_mhz"], 1),
                _fig(e["frame_latency_us"], 2),
                _fig(e["latency_us"], 3),
                _fig(e["frames_per_s"]),
                _fig(e["pixels_per_s"]),
            ]
            for e in doc["boards"]
        ]
        header = ["board", "clock MHz", "frame latency µs", "result latency µs", "frames/s", "pixels/s"]
        text += "<p>At each board's clock (min of the board clock and Fmax):</p>" + _table(
            header, per_board, (1, 2, 3, 4, 5)
        )
    source = f"DIR/rtl/sim_report.json ({_e(sim['simulator'])}, {sim['frames']} frames back to back)"
    return _section("timing", "Throughput and latency", text, source)


def _boards(directory: Path) -> str:
    doc = _read(directory / "estimate.json")
    if doc is None:
        return _section("boards", "Per-board estimate", _missing("estimate.json", "estimate"))
    from lepton_hw.estimate.report import SCHEDULE_COLUMNS, legend, percent_text, schedule_rows

    rows = []
    for e in doc["boards"]:
        res = e["resources"]

        def used(resource: str, res: dict[str, Any] = res) -> str:
            fig = res.get(resource)
            return "-" if fig is None else _fig(fig) + _e(percent_text(fig))

        fits = '<span class="ok">yes</span>' if e["fits"] else '<span class="bad">NO</span>'
        rows.append(
            [
                f"<b>{_e(e['board'])}</b><br><small>{_e(e['part'])}</small>",
                used("lut"),
                used("ff"),
                used("dsp"),
                used("bram"),
                fits,
                _fig(e["fmax_mhz"], 1),
                _fig(e["clock_mhz"], 1),
                _fig(e["frame_latency_us"], 2),
                _fig(e["frames_per_s"]),
            ]
        )
    header = ["board", "LUT", "FF", "DSP", "BRAM", "fits", "Fmax MHz", "clock MHz", "latency µs", "frames/s"]
    meets = {True: '<span class="ok">yes</span>', False: '<span class="bad">NO</span>'}
    if any(e.get("meets_clock") is not None for e in doc["boards"]):
        header.insert(7, "meets clock")
        for row, e in zip(rows, doc["boards"], strict=True):
            row.insert(7, meets.get(e.get("meets_clock"), "-"))
    notes = "".join(f"<li>{_e(line)}</li>" for line in legend(doc))
    by = "".join(
        f"<li><b>{_e(e['board'])}</b>: resources {_e(e['resources']['lut']['by'])}; Fmax {_e(e['fmax_mhz']['by'])}</li>"
        for e in doc["boards"]
    )
    schedule = schedule_rows(doc)
    schedule_html = ""
    if schedule:
        schedule_html = (
            "<h3>The schedule: each layer sized to its input rate</h3>"
            + _table(list(SCHEDULE_COLUMNS), [[_e(cell) for cell in row] for row in schedule], (2, 3, 4, 5, 6))
            + "<p class='legend'>LUT: the layer's multiply as the schedule models it (*); its share of each "
            "board's measured core LUTs beside it.</p>"
        )
    body = (
        _table(header, rows, tuple(range(1, len(header))))
        + f"<ul class='legend'>{notes}</ul>"
        + schedule_html
        + _image(directory / "utilization.png", "utilization per board")
        + f"<h3>Where each figure comes from</h3><ul class='legend'>{by}</ul>"
    )
    mode = "analytic model (--fast)" if doc["mode"] == "fast" else "Yosys synthesis and nextpnr"
    return _section("boards", "Per-board estimate", body, f"DIR/estimate.json ({mode}, {doc['seconds']} s)")


def _hls(directory: Path) -> str:
    project = _read(directory / "hls" / "project.json")
    if project is None:
        return _section("hls", "HLS project", _missing("HLS project", "hls"))
    report = _read(directory / "hls" / "report.json") or {}
    rows = [
        ["part", _e(project.get("part"))],
        ["clock", f"{project.get('clock_mhz')} MHz"],
        ["hls4ml", f"{_e(project.get('backend'))} backend, strategy {_e(project.get('strategy'))}, "
         f"reuse {_e(project.get('reuse'))}"],
    ]  # fmt: skip
    costs = report.get("da4ml_costs")
    if costs:
        total = sum(layer["da4ml_cost"] for layer in costs.values())
        rows.append(["da4ml cost", f"{total:g} adders<span class='model'>*</span> (da4ml's cost model)"])
    vendor = report.get("report") if report.get("ran") else None
    if vendor:
        rows += [[_e(k), f"{_e(v)} (vendor csynth report)"] for k, v in vendor.items()]
    else:
        how = " - run <code>lepton-hw hls DIR --board B --synth</code> where Vitis HLS is installed"
        rows.append(["vendor figures", _e(report.get("reason", "C synthesis not run")) + how])
    return _section("hls", "HLS project", _table(None, rows), "DIR/hls/project.json, report.json")


def _provenance(directory: Path, config: Any) -> str:
    verify = _read(directory / "verify.json") or {}
    doc = _read(directory / "estimate.json") or {}
    rows = [["lepton_hw", _e(__version__)]]
    rows += [[_e(engine), _e(tool)] for engine, tool in (verify.get("tools") or {}).items()]
    rows += [[_e(tool), _e(version)] for tool, version in (doc.get("tools") or {}).items()]
    state = _read(directory / "flow.json") or {}
    steps = "".join(
        f"<li><b>{_e(name)}</b> ({record.get('seconds', 0):.1f} s, {_e(record.get('finished', ''))}): "
        f"{_e(record.get('summary', ''))}</li>"
        for name, record in (state.get("steps") or {}).items()
    )
    hardware = ""
    if config is not None:
        hardware = f"<pre>{_e(json.dumps(config.to_dict(), indent=1))}</pre>"
    body = (
        "<p>Figures marked <span class='model'>*</span> are modelled; all others were measured by the named tool "
        "on this design. Hover a figure for its source.</p>"
        + _table(["engine / tool", "version"], rows)
        + (f"<h3>Flow steps</h3><ul>{steps}</ul>" if steps else "")
        + (f"<h3>Config</h3>{hardware}" if hardware else "")
        + f"<p class='source'>Generated {_e(time.strftime('%Y-%m-%d %H:%M'))} by lepton_hw {_e(__version__)}.</p>"
    )
    return _section("provenance", "Where the numbers come from", body)


# ----------------------------------------------------------------------------- the page
CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2em auto; max-width: 1100px;
       color: #1d1d1f; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }
.num { text-align: right; } td { font-variant-numeric: tabular-nums; }
table.confusion td { min-width: 3em; text-align: right; }
.ok { color: #1b5e20; } .bad { color: #b71c1c; font-weight: bold; }
.badge { display: inline-block; padding: 0.3em 0.8em; border-radius: 4px; font-weight: bold; color: white; }
.badge.ok { background: #2e7d32; } .badge.bad { background: #c62828; }
.model { color: #888; } .source { color: #666; font-size: 0.85em; } .missing { color: #a66; }
img.figure { max-width: 100%; display: block; margin: 0.8em 0; }
.samples { display: flex; align-items: center; gap: 0.6em; margin: 0.3em 0; }
.samples .label { width: 6em; font-weight: bold; }
figure { margin: 0; text-align: center; font-size: 0.75em; border: 2px solid #2e7d32; padding: 2px; }
figure.bad { border-color: #c62828; } figure img { display: block; image-rendering: pixelated; }
code { font-size: 0.8em; white-space: nowrap; }
pre { background: #f7f7f7; padding: 0.6em; font-size: 0.8em; overflow-x: auto; }
"""


def _page(title: str, body: str) -> str:
    nav = " ".join(
        f'<a href="#{anchor}">{_e(label)}</a>'
        for anchor, label in (
            ("summary", "Summary"), ("model", "Model"), ("accuracy", "Accuracy"), ("samples", "Samples"),
            ("bit-exact", "Bit-exactness"), ("timing", "Timing"), ("boards", "Boards"), ("hls", "HLS"),
            ("provenance", "Sources"),
        )
    )  # fmt: skip
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{_e(title)}</title>\n'
        f"<style>{CSS}</style>\n</head>\n<body>\n<h1>{_e(title)}</h1>\n<nav>{nav}</nav>\n{body}\n</body>\n</html>\n"
    )
