"""The RTL project of an IR graph, as a value: Verilog files, the file list, core.json, README.

:func:`build_rtl` makes it (nothing touches the disk); :func:`write_rtl` writes it into a
folder atomically. Layout of ``DIR/rtl/``::

    lepton_core.v      the top module (generated)
    <layer>_cmvm.v     each layer's constant-matrix multiply (generated: da4ml adders or plain multiplies)
    lepton_window.v, lepton_maxpool.v, lepton_framer.v, lepton_result.v   lepton_hw's fixed building blocks
    files.f            the sources in compile order
    core.json          the core's interface and figures (DESIGN.md)
    README.md          ports and timing
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lepton_hw.backends.rtl.cmvm import KERNELS
from lepton_hw.backends.rtl.emit import emit_network
from lepton_hw.backends.rtl.fold import Fold
from lepton_hw.backends.rtl.layout import CoreLayout, Tiling, check_supported, core_layout, make_tiling
from lepton_hw.backends.rtl.regmap import c_header, register_map
from lepton_hw.backends.rtl.regmap import markdown as regmap_markdown
from lepton_hw.backends.rtl.regmap import to_json as regmap_json
from lepton_hw.backends.rtl.regmap import verilog as regmap_verilog
from lepton_hw.backends.rtl.serial import Serial
from lepton_hw.boards import Board
from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.fsutil import atomic_output_dir
from lepton_hw.ir.graph import Graph
from lepton_hw.schedule import Schedule, ScheduleOptions, make_schedule, schedule_table

TOP = "lepton_core"
LIBRARY = ("lepton_window.v", "lepton_maxpool.v", "lepton_framer.v", "lepton_result.v")
TILED_LIBRARY = ("lepton_line_ram.v", "lepton_tile_window.v", "lepton_tile_framer.v", "lepton_tile_result.v")
# Verilog macros the sources may test (lepton_hw's synthesis defines them per family: estimate/synth.py)
VERILOG_MACROS = {
    "LEPTON_ECP5_DP16KD": "Line buffers and folded layers' weight ROMs as ECP5 DP16KD blocks with their output "
    "register (ECP5 only)",
}


def macros_read(texts: Iterable[str]) -> tuple[str, ...]:
    """The macros of :data:`VERILOG_MACROS` that the Verilog ``texts`` test with `ifdef."""
    texts = list(texts)
    return tuple(macro for macro in VERILOG_MACROS if any(f"`ifdef {macro}" in text for text in texts))


@dataclass(frozen=True)
class RtlProject:
    """Files (relative path -> text) in compile order, and the core's description."""

    files: dict[str, str]
    core: dict[str, Any]
    layout: CoreLayout
    schedule: Schedule | None = None
    stages: dict[str, int] | None = None  # clocks through each layer
    tiling: Tiling | None = None  # frames of tiles (hardware.frame); None: a frame is one model input

    def schedule_table(self) -> str:
        assert self.schedule is not None
        return schedule_table(self.schedule, self.stages)

    @property
    def sources(self) -> list[str]:
        return [path for path in self.files if path.endswith(".v")]

    @property
    def content_hash(self) -> str:
        """Hash of the Verilog: a simulation or synthesis of it can be cached under this key."""
        h = hashlib.sha256()
        for path in self.sources:
            h.update(path.encode() + b"\0" + self.files[path].encode() + b"\0")
        return h.hexdigest()[:32]


def library_source(name: str) -> str:
    return (resources.files("lepton_hw.backends.rtl") / "verilog" / name).read_text()


def build_rtl(
    graph: Graph, board: Board | None = None, kernel: str = "da", options: ScheduleOptions | None = None
) -> RtlProject:  # fmt: skip
    """The Verilog core of ``graph``, built as the schedule for ``options`` says (default: ``kernel``
    for full-rate layers, one pixel per clock, one adder level per pipeline stage); ``board`` only sets
    the default clock recorded in core.json."""
    options = options or ScheduleOptions(kernel=kernel)
    kernel = options.kernel
    if kernel not in KERNELS:
        raise UnsupportedLayerError(f"unknown kernel {kernel!r}; accepted: {', '.join(KERNELS)}")
    check_supported(graph)
    layout = core_layout(graph)
    tiling = make_tiling(layout, options.frame)
    schedule = make_schedule(graph, options)
    network = emit_network(graph, layout, schedule, options.clocks_per_pixel, tiling)
    files: dict[str, str] = {}
    for name in LIBRARY if tiling is None else TILED_LIBRARY:
        files[name] = library_source(name)
    registers = None
    if tiling is not None:
        registers = register_map(
            tiling.frame_width, tiling.frame_height, tiling.tile_width, tiling.tile_height, layout.n_outputs
        )
        files["lepton_regs.v"] = regmap_verilog(registers)
    for cmvm in network.cmvms:
        files[f"{cmvm.name}.v"] = "`default_nettype none\n" + cmvm.verilog + "`default_nettype wire\n"
    files[f"{TOP}.v"] = network.top
    sources = [p for p in files if p.endswith(".v")]
    core: dict[str, Any] = {
        "top": TOP,
        "kernel": kernel,
        "board": board.id if board else None,
        "clock_mhz": board.clock_mhz if board else None,
        "frame": {"height": layout.height, "width": layout.width, "channels": layout.channels},
        "pixel_type": str(layout.input_type),
        "tdata_bits": layout.tdata_bits,
        "output_type": str(layout.output_type),
        "n_outputs": layout.n_outputs,
        "packet_beats": layout.n_outputs + 1,
        "result_queue_depth": network.queue_depth,
        "clocks_per_pixel": options.clocks_per_pixel,
        "pixel_clock_mhz": options.pixel_clock_mhz,
        "pipeline": options.pipeline,
        "sources": sources,
        "layers": {
            c.name.removesuffix("_cmvm").removesuffix("_fold").removesuffix("_serial"): _multiply_entry(c)
            for c in network.cmvms
        },
        "schedule": {
            **schedule.to_dict(),
            "stages": network.stages,
            "pipeline_clocks": sum(network.stages.values()),
        },
        "timing": None,  # filled in from sim_report.json once the core has been simulated
    }
    if tiling is not None and registers is not None:
        core["tiling"] = tiling.to_dict()
        core["registers"] = regmap_json(registers)
        files["lepton_regs.h"] = c_header(registers)
        files["REGISTERS.md"] = regmap_markdown(registers)
    files["files.f"] = "\n".join(sources) + "\n"
    files["README.md"] = _readme(layout, kernel, core, tiling, macros_read(files.values()))
    project = RtlProject(files, core, layout, schedule, network.stages, tiling)
    core["content_hash"] = project.content_hash
    files["core.json"] = json.dumps(core, indent=2) + "\n"
    return project


def _multiply_entry(multiply: Any) -> dict[str, Any]:
    if isinstance(multiply, Serial):
        return {
            "inputs": multiply.n_in, "outputs": multiply.n_out, "kernel": "serial", "fold": multiply.fold,
            "slice_bits": multiply.slice_bits, "adders": multiply.adders, "latency": multiply.latency,
        }  # fmt: skip
    if isinstance(multiply, Fold):
        return {
            "inputs": multiply.n_in, "outputs": multiply.n_out, "kernel": "fold", "fold": multiply.fold,
            "positions": multiply.positions, "multipliers": multiply.multipliers, "rom_bits": multiply.rom_bits,
            "latency": multiply.latency,
        }  # fmt: skip
    return {
        "inputs": multiply.n_in, "outputs": multiply.n_out, "kernel": multiply.kernel, "adders": multiply.adders,
        "latency": multiply.latency,
    }  # fmt: skip


def write_rtl(project: RtlProject, out_dir: Path | str, force: bool = False) -> Path:
    """Write the project into ``out_dir`` (all of it, or nothing)."""
    out_dir = Path(out_dir)
    with atomic_output_dir(out_dir, force=force) as tmp:
        for path, text in project.files.items():
            target = tmp / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    return out_dir


def _readme(
    layout: CoreLayout, kernel: str, core: dict[str, Any], tiling: Tiling | None, macros: tuple[str, ...]
) -> str:
    interface = ports_and_timing(layout, core) if tiling is None else tiled_ports_and_timing(layout, core, tiling)
    return f"""# lepton_core

Generated by lepton_hw (`lepton-hw rtl`, kernel `{kernel}`) from {layout.source}.
{layout.summary}.

{interface}
## Files
`files.f` lists the sources in compile order. Plain Verilog-2005: no vendor primitives; the line
buffers are written so that synthesis infers block or distributed RAM.{_ecp5_note(macros)}
"""


def _ecp5_note(macros: tuple[str, ...]) -> str:
    if "LEPTON_ECP5_DP16KD" not in macros:
        return ""
    return """ On ECP5, define `LEPTON_ECP5_DP16KD`
(Yosys: `read_verilog -DLEPTON_ECP5_DP16KD`; lepton_hw's estimate and the FuseSoC core's `synth_ecp5` target
do): the frame-wide line buffers (`lepton_line_ram.v`) and the folded layers' weight ROMs then instantiate
DP16KD blocks with their output register, which Yosys' own mapping leaves unused (5.8 ns from the clock to a
block RAM's data without it)."""


def ports_and_timing(layout: CoreLayout, core: dict[str, Any]) -> str:
    """The core's interface, as its README and the IP folder's README describe it (Markdown)."""
    return f"""## Ports
- `aclk`, `aresetn`: clock; synchronous active-low reset.
- `s_axis_tdata[{layout.tdata_bits - 1}:0]`: a pixel, {layout.channels} channel(s) of {layout.lane_bits} bits, the raw
  bits of {layout.input_type}. `s_axis_tuser`: start of frame, on the first pixel. `s_axis_tlast`: end of
  line, on the last pixel of each of the {layout.height} lines of {layout.width} pixels. `s_axis_tvalid`,
  `s_axis_tready`: handshake.
- `m_axis_tdata[31:0]`: one result packet of {layout.n_outputs + 1} beats per frame: the class index (argmax,
  lowest index on a tie), then the {layout.n_outputs} logits ({layout.output_type}) as raw two's-complement
  integers sign-extended to 32 bits. `m_axis_tlast` on the last beat; `m_axis_tvalid`, `m_axis_tready`.
- `frame_count[31:0]`: packets sent since reset. `err_malformed`: a malformed frame was seen (sticky);
  `err_clear` clears it.

## Timing
- One pixel per clock, sustained: inside a frame s_axis_tready stays high. Back-to-back frames
  need no idle cycle between them. s_axis_tready is low during reset and for one clock after aresetn
  rises (the reset is registered).
- The network never stalls. When m_axis_tready is held low, the core holds up to
  {core["result_queue_depth"]} results and then stops at the next frame's first pixel
  (s_axis_tready low) until a packet has been sent: nothing is lost or duplicated.
- A malformed frame (a short or long line, a start of frame in mid-frame, pixels without a start of
  frame) sends no packet and sets err_malformed; the core resynchronizes at the next start of frame.
  Filling a cut-short line or frame takes one clock per missing pixel.
- Latency and cycles per frame, as simulated: see core.json (`timing`) and sim_report.json.
"""


def tiled_ports_and_timing(layout: CoreLayout, core: dict[str, Any], tiling: Tiling) -> str:
    """The interface of a core that classifies every tile of a camera's frame (Markdown)."""
    t, n = tiling, layout.n_outputs
    return f"""## What it does
The camera's whole frame streams in; the core cuts it into tiles of {t.tile_width}x{t.tile_height} pixels (the
model's input) in raster order and classifies every tile, at one pixel per clock
(x {core["clocks_per_pixel"]} clocks per pixel), with no frame buffer: each layer's line buffers span the
frame's width, and the dense layer keeps one set of accumulators per tile column. The largest frame is
{t.frame_width}x{t.frame_height} ({t.tiles_x}x{t.tiles_y} tiles); a smaller one is set at run time in the
registers FRAME_WIDTH and FRAME_HEIGHT. Pixels right of the last whole tile column and below the last whole
tile row are accepted and ignored.

## Ports
- `aclk`, `aresetn`: clock; synchronous active-low reset.
- `s_axis_tdata[{layout.tdata_bits - 1}:0]`: a pixel, {layout.channels} channel(s) of {layout.lane_bits} bits (the
  raw bits of {layout.input_type}). `s_axis_tuser`: start of frame, on the first pixel. `s_axis_tlast`: end of
  line. `s_axis_tvalid`, `s_axis_tready`.
- `m_axis_*`: one packet per frame. For each tile, in raster order, {n + 1} beats of 32 bits:
  beat 0 = `{{tile row[7:0], tile column[7:0], class index[15:0]}}` (the class is the argmax, lowest index on
  a tie), then the {n} logits ({layout.output_type}) as raw two's-complement integers sign-extended to 32 bits.
  `m_axis_tuser` is high on the packet's first beat, `m_axis_tlast` on its last.
- `s_axil_*`: AXI4-Lite slave, 12-bit addresses: control and status registers (REGISTERS.md; C header
  lepton_regs.h). `irq`: end of frame, when enabled in IRQ_MASK.
- `frame_count[31:0]`, `err_malformed`, `err_clear`: the same counts as the registers, for a design that
  does not connect the register bus.

## Timing
- The camera never waits: s_axis_tready is high outside reset{
        "" if core["clocks_per_pixel"] == 1 else " (once every clocks_per_pixel clocks)"
    }. A frame takes
  its width x height clocks, back to back; a tile row's results leave while the next tile row streams in.
- The network never stalls either. A tile result that m_axis cannot take in time (the queue holds
  {core["result_queue_depth"]}) is dropped and counted (DROPPED_COUNT); the tile position in beat 0 keeps the
  rest of the packet unambiguous. A frame's packet ends with tlast on its last queued tile.
- A malformed frame (a line shorter or longer than FRAME_WIDTH, a start of frame before the last line)
  sets ERRORS.MALFORMED and counts in MALFORMED_COUNT; the core completes it with zero pixels at one per
  clock while it drops the input (the packet of that frame is still sent, its later tiles computed on
  zeros: discard it), then waits for the next start of frame. Pixels outside a frame are dropped and
  flagged the same way.
- A new frame size takes effect at the first start of frame when no earlier frame is in the core.
"""


def load_rtl(folder: Path | str, graph: Graph) -> RtlProject:
    """The project written in ``folder`` (DIR/rtl), as it is on disk: sources listed in files.f."""
    folder = Path(folder)
    try:
        core = json.loads((folder / "core.json").read_text())
        names = [line.strip() for line in (folder / "files.f").read_text().splitlines() if line.strip()]
        files = {name: (folder / name).read_text() for name in names}
    except (OSError, ValueError) as err:
        raise UnsupportedLayerError(
            f"{folder} is not a complete RTL project ({err}); rewrite it with `lepton-hw rtl --force`"
        ) from None
    layout = core_layout(graph)
    frame = core.get("frame", {})
    if (frame.get("height"), frame.get("width"), frame.get("channels")) != (
        layout.height,
        layout.width,
        layout.channels,
    ):
        raise UnsupportedLayerError(
            f"{folder}/core.json describes {frame} frames, but the IR's input is {graph.input.shape}; "
            "regenerate it with `lepton-hw rtl --force`"
        )
    tiling = None
    if isinstance(core.get("tiling"), dict):
        t = core["tiling"]
        tiling = Tiling(t["max_width"], t["max_height"], t["tile_height"], t["tile_width"])
    return RtlProject(files, core, layout, tiling=tiling)


def record_timing(folder: Path | str, report: dict[str, Any]) -> None:
    """Write DIR/rtl/sim_report.json and copy the figures into core.json's ``timing``."""
    from lepton_hw.fsutil import atomic_write_bytes

    folder = Path(folder)
    atomic_write_bytes(folder / "sim_report.json", (json.dumps(report, indent=2) + "\n").encode())
    core_path = folder / "core.json"
    if core_path.is_file():
        core = json.loads(core_path.read_text())
        core["timing"] = {
            key: report[key]
            for key in ("simulator", "frames", "cycles_per_frame", "latency_cycles", "input_stall_cycles")
            if key in report
        }
        atomic_write_bytes(core_path, (json.dumps(core, indent=2) + "\n").encode())
