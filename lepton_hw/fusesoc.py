"""A FuseSoC core file (CAPI2) for the IP folder: ``DIR/ip/lepton_core.core``.

:func:`fusesoc_core` reads ``rtl/files.f`` (and ``rtl/core.json`` for the description) in the IP folder
and returns the core ``lepton_hw:lepton:lepton_core:1.0``. Its paths are relative to the core file,
which sits next to ``rtl/`` and ``tb/``:

- fileset ``rtl``: the sources in files.f order (verilogSource); ``tb``: the plain testbench
  ``tb/tb_lepton_core.v`` with ``tb/frames.hex`` and ``tb/expected.hex`` copied into the work root
  (the testbench reads them from there);
- targets ``lint`` (Verilator ``--lint-only -Wall`` on lepton_core), ``sim`` (the testbench in Icarus
  Verilog: it prints PASS or FAIL) and ``synth_ice40``, ``synth_ecp5``, ``synth_xc7``: Yosys synthesis
  (``synth_ice40``, ``synth_ecp5``, ``synth_xilinx``) through edalize's generic flow, with the options of
  lepton_hw's boards of each family and lepton_core's parameters as lepton_hw's own synthesis sets them
  (estimate/synth.py). No place and route: the core's ports are no board's pins. edalize's yosys tool runs
  a Tcl script, so these targets need a Yosys built with Tcl (OSS CAD Suite, distribution packages; not
  the YoWASP one), recent enough for the boards' options (``synth_ecp5 -noiopad``).

Every target uses FuseSoC's flow API (``flow: lint / sim / generic``): edalize 0.6 marks the older tool
API (``default_tool``) deprecated. Use: ``fusesoc --cores-root DIR/ip run --target sim
lepton_hw:lepton:lepton_core`` (FuseSoC 2.x).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import yaml

from lepton_hw.backends.rtl.project import VERILOG_MACROS, macros_read
from lepton_hw.errors import UnsupportedLayerError

log = logging.getLogger(__name__)

TOP = "lepton_core"
NAME = "lepton_hw:lepton:lepton_core:1.0"
CORE_FILE = "lepton_core.core"
TESTBENCH = "tb_lepton_core.v"  # lepton_hw.ip.TESTBENCH
TB_DATA = ("frames.hex", "expected.hex")
# target -> (Yosys' arch in edalize, lepton_hw family, netlist format: JSON for nextpnr, EDIF for Vivado).
# edalize's generic flow with its yosys tool: its icestorm and trellis flows stop after synthesis with pnr
# "none", but edalize 0.6.8's trellis flow still calls nextpnr-ecp5 then.
SYNTH_TARGETS = {
    "synth_ice40": ("ice40", "ice40", "json"),
    "synth_ecp5": ("ecp5", "ecp5", "json"),
    "synth_xc7": ("xilinx", "xc7", "edif"),
}
PARAMETER_DOCS = {
    "LUT_MULTIPLIERS": "Folded layers' multipliers: 1 = shift-and-add in LUTs, 0 = `*` for DSP blocks",
    "ROM_IN_LUTS": "Folded layers' weight ROMs: 0 = block RAM, 1 = LUTs",
    "RESULT_QUEUE_BRAM": "The result queue: 0 = flip-flops, 1 = block RAM",
}


def synth_options(family: str) -> list[str]:
    """The options of the Yosys synthesis command of lepton_hw's first board (by id) of ``family``."""
    from lepton_hw.boards import all_boards

    boards = sorted((b for b in all_boards() if b.family == family and b.yosys), key=lambda b: b.id)
    if not boards:
        raise UnsupportedLayerError(f"no board of family {family} has a Yosys synthesis command")
    return boards[0].yosys.split()[1:]


def family_defines(family: str) -> tuple[str, ...]:
    """The Verilog macros lepton_hw's synthesis defines for ``family``."""
    from lepton_hw.estimate.synth import FAMILY_DEFINES

    return FAMILY_DEFINES.get(family, ())


def family_parameters(family: str) -> list[str]:
    """lepton_core's parameters for ``family``, as lepton_hw's synthesis sets them (``NAME=value``)."""
    from lepton_hw.estimate.synth import DSP_MULTIPLIER_FAMILIES, QUEUE_BRAM_FAMILIES

    params = []
    if family in DSP_MULTIPLIER_FAMILIES:
        params.append("LUT_MULTIPLIERS=0")
    if family in QUEUE_BRAM_FAMILIES:
        params.append("RESULT_QUEUE_BRAM=1")
    return params


def core_dict(
    core: dict[str, Any], sources: list[str], parameters: dict[str, int], macros: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The CAPI2 core as data: ``sources`` in compile order (names inside rtl/), ``parameters`` lepton_core's
    parameters with their Verilog defaults, ``macros`` the macros the sources read (:func:`macros_read`)."""
    if not sources or any("/" in s or "\\" in s or s.startswith(".") for s in sources):
        raise UnsupportedLayerError(f"files.f must list file names inside rtl/, not {sources!r}")
    frame = core.get("frame", {})
    tiling = core.get("tiling")
    what = (
        f"{frame.get('height')}x{frame.get('width')}x{frame.get('channels')} tiles of frames up to "
        f"{tiling['max_width']}x{tiling['max_height']}"
        if tiling
        else f"{frame.get('height')}x{frame.get('width')}x{frame.get('channels')} frames"
    )
    targets: dict[str, Any] = {
        "default": {"filesets": ["rtl"], "toplevel": TOP},
        "lint": {
            "description": "Verilator lint of the core (-Wall; each waiver is commented in the source)",
            "flow": "lint",
            "flow_options": {"tool": "verilator", "verilator_options": ["-Wall"]},  # the flow sets --lint-only
            "filesets": ["rtl"],
            "toplevel": TOP,
        },
        "sim": {
            "description": "The plain testbench in Icarus Verilog: test frames in, every result beat compared; "
            "prints PASS or FAIL",
            "flow": "sim",
            "flow_options": {"tool": "icarus", "iverilog_options": ["-g2005"]},
            "filesets": ["rtl", "tb"],
            "toplevel": "tb_lepton_core",
        },
    }
    for target, (arch, family, netlist) in SYNTH_TARGETS.items():
        entry: dict[str, Any] = {
            "description": f"Yosys synthesis for {family} (no place and route: the core is an IP, not a design)",
            "flow": "generic",
            "flow_options": {"tool": "yosys", "arch": arch, "output_format": netlist},
            "filesets": ["rtl"],
            "toplevel": TOP,
        }
        entry["flow_options"]["yosys_synth_options"] = synth_options(family)
        params = [p for p in family_parameters(family) if p.split("=")[0] in parameters]
        params += [f"{macro}=true" for macro in family_defines(family) if macro in macros]
        if params:
            entry["parameters"] = params
        targets[target] = entry
    return {
        "name": NAME,
        "description": f"lepton_core: camera classifier generated by lepton_hw ({what}, "
        f"{core.get('n_outputs')} classes)",
        "filesets": {
            "rtl": {"files": [f"rtl/{s}" for s in sources], "file_type": "verilogSource"},
            "tb": {
                "files": [
                    f"tb/{TESTBENCH}",
                    *({f"tb/{name}": {"file_type": "user", "copyto": name}} for name in TB_DATA),
                ],
                "file_type": "verilogSource",
            },
        },
        "parameters": {
            **{
                name: {
                    "datatype": "int",
                    "paramtype": "vlogparam",
                    "default": value,
                    "description": PARAMETER_DOCS.get(name, name),
                }
                for name, value in parameters.items()
            },
            **{
                macro: {"datatype": "bool", "paramtype": "vlogdefine", "description": VERILOG_MACROS[macro]}
                for macro in macros
            },
        },
        "targets": targets,
    }


def fusesoc_core(ip_dir: Path | str) -> str:
    """The text of ``lepton_core.core`` for the IP folder ``ip_dir`` (``DIR/ip``: reads ``rtl/files.f``,
    ``rtl/core.json`` and the parameters of ``rtl/lepton_core.v``); write it as ``DIR/ip/lepton_core.core``."""
    from lepton_hw.ipxact import module_header

    rtl = Path(ip_dir) / "rtl"
    try:
        core = json.loads((rtl / "core.json").read_text())
        sources = [line.strip() for line in (rtl / "files.f").read_text().splitlines() if line.strip()]
        top = (rtl / f"{TOP}.v").read_text()
    except (OSError, ValueError) as err:
        raise UnsupportedLayerError(
            f"{rtl} is not a complete RTL project ({err}); rewrite it with `lepton-hw rtl --force`"
        ) from None
    parameters = {p.name: p.default for p in module_header(top, TOP).parameters}
    try:
        macros = macros_read((rtl / source).read_text() for source in sources)
    except OSError as err:
        raise UnsupportedLayerError(
            f"{rtl} lacks a file files.f lists ({err}); rewrite it with `lepton-hw rtl --force`"
        ) from None
    data = core_dict(core, sources, parameters, macros)
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120)
    text = (
        "CAPI=2:\n"
        "# FuseSoC core of lepton_core, generated by lepton_hw. Paths are relative to this file.\n"
        "#   fusesoc --cores-root . run --target sim lepton_hw:lepton:lepton_core    (Icarus: PASS or FAIL)\n"
        "#   fusesoc --cores-root . run --target lint lepton_hw:lepton:lepton_core   (Verilator)\n"
        "#   fusesoc --cores-root . run --target synth_ecp5 lepton_hw:lepton:lepton_core   (Yosys; also\n"
        "#   synth_ice40, synth_xc7)\n\n" + body
    )
    log.debug("FuseSoC core of %s: %d sources", rtl, len(sources))
    return text
