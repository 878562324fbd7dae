"""The HLS project value, its files, the types hls4ml is given, tcl and command lines, report parsing.

Nothing here runs g++ or a vendor tool: building the hls4ml model graph and writing it are quick.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.hls import (
    BuildSteps,
    build_project,
    parse_csynth_report,
    run_synth,
    synth_commands,
    write_project,
)
from lepton_hw.backends.hls.adapter import avgpool_accum_type, check_supported
from lepton_hw.backends.hls.synth import build_opts_tcl, tool_command
from lepton_hw.errors import EngineError, UnsupportedLayerError
from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import AvgPool2D, Conv2D, Dense, Flatten, Graph, Input, MaxPool2D, ReLU
from lepton_hw.passes.precision import accumulator_type

pytestmark = pytest.mark.hls

DATA = Path(__file__).parent / "data"
U8 = FixedType(False, 8, 0)


def _graph(pool: str = "avg", pool_padding: str = "valid", size: tuple[int, int] = (8, 8)) -> Graph:
    """A small IR chain built by hand: conv -> relu -> pool -> flatten -> dense."""
    rng = np.random.default_rng(0)
    w_t, b_t = FixedType(True, 4, 1, "RND_CONV", "SAT"), FixedType(True, 4, 1, "RND_CONV", "SAT")
    cw, cb = rng.integers(-8, 8, (3, 3, 1, 2)), rng.integers(-8, 8, 2)
    conv_acc = accumulator_type(U8, cw, cb, w_t, b_t)
    relu_t = FixedType(False, 4, 1, "RND_CONV", "SAT")
    h, w = size
    conv = Conv2D("conv", (h - 2, w - 2, 2), conv_acc, cw, cb, w_t, b_t, conv_acc)
    oh, ow = -(-(h - 2) // 2) if pool_padding == "same" else (h - 2) // 2, (w - 2) // 2
    if pool_padding == "same":
        ow = -(-(w - 2) // 2)
    pool_node: AvgPool2D | MaxPool2D
    if pool == "avg":
        pool_node = AvgPool2D("pool", (oh, ow, 2), FixedType(False, 6, 1), padding=pool_padding)
    else:
        pool_node = MaxPool2D("pool", (oh, ow, 2), relu_t, padding=pool_padding)
    n = oh * ow * 2
    dw, db = rng.integers(-8, 8, (n, 3)), rng.integers(-8, 8, 3)
    dense_acc = accumulator_type(pool_node.type, dw, db, w_t, b_t)
    dense = Dense("logits", (3,), dense_acc, dw, db, w_t, b_t, dense_acc)
    nodes = (Input("input", (h, w, 1), U8), conv, ReLU("relu", conv.shape, relu_t), pool_node)
    nodes += (Flatten("flatten", (n,), pool_node.type), dense)
    return Graph("hand", nodes, {"softmax_dropped": "true"})


def test_every_layer_type_comes_from_the_ir() -> None:
    graph = _graph()
    project = build_project(graph, part="xc7z020clg400-1", clock_mhz=125.0)
    layers = {row["name"]: row for row in project.info["layers"]}
    assert "ap_fixed<16,6>" not in json.dumps(project.info["layers"])  # hls4ml's default is never used
    conv, dense = graph.nodes[1], graph.nodes[-1]
    assert isinstance(conv, Conv2D) and isinstance(dense, Dense)
    assert layers["conv"]["weight"] == str(conv.weight_type)
    assert layers["conv"]["accum"] == str(conv.accum_type)
    assert layers["logits"]["result"] == str(dense.type)
    pool = graph.nodes[3]
    assert isinstance(pool, AvgPool2D)
    assert layers["pool"]["accum"] == str(avgpool_accum_type(pool, graph.nodes[2].type))
    # the network's output is the IR's output node (the trailing softmax was dropped by the IR)
    assert project.info["top"] == "lepton_camera" and project.info["softmax_dropped"]
    assert project.info["n_outputs"] == 3 and project.info["output_type"] == str(dense.type)


def test_avgpool_accumulator_has_log2n_more_integer_and_fractional_bits() -> None:
    pool = AvgPool2D("p", (2, 2, 1), FixedType(False, 6, 1), pool_size=(2, 2))
    acc = avgpool_accum_type(pool, FixedType(False, 4, 1))
    assert (acc.width, acc.integer, acc.frac) == (8, 3, 5)


@pytest.mark.parametrize("pool", ["avg", "max"])
def test_padded_pooling_is_refused(pool: str) -> None:
    graph = _graph(pool, "same", size=(9, 9))  # 7x7 into 2x2 windows: the last row and column are partial
    with pytest.raises(UnsupportedLayerError, match=r"same-padded .* pooling with partial windows"):
        check_supported(graph)
    same_but_whole = _graph(pool, "same", size=(10, 10))  # 8x8: every window whole, no padding
    check_supported(same_but_whole)


def test_settings_are_validated() -> None:
    graph = _graph()
    with pytest.raises(EngineError, match="needs reuse 1"):
        build_project(graph, part="p", clock_mhz=100, strategy="da", reuse=2)
    with pytest.raises(EngineError, match="accepted: vitis, vivado"):
        build_project(graph, part="p", clock_mhz=100, backend="quartus")
    with pytest.raises(EngineError, match="accepted: latency, resource, da"):
        build_project(graph, part="p", clock_mhz=100, strategy="fast")


def test_da_records_da4ml_costs(tmp_path: Path) -> None:
    project = build_project(_graph(), part="xc7z020clg400-1", clock_mhz=100, strategy="da")
    costs = project.info["da4ml_costs"]
    assert set(costs) == {"conv", "logits"}
    assert all(c["da4ml_cost"] > 0 and c["reuse_factor"] == 1 for c in costs.values())
    out = write_project(project, tmp_path / "prj")
    report = run_synth(out, "vitis", which=lambda _: None)  # no vendor tool: the estimates are still there
    assert json.loads((out / "report.json").read_text())["da4ml_costs"] == costs == report["da4ml_costs"]


@pytest.mark.parametrize("backend", ["vitis", "vivado"])
def test_written_project(backend: str, tmp_path: Path) -> None:
    graph = _graph()
    project = build_project(graph, part="xc7a35ticsg324-1L", clock_mhz=125.0, backend=backend, strategy="resource")
    out = write_project(project, tmp_path / "prj")
    for rel in (
        "hls/firmware/lepton_net.cpp", "hls/build_prj.tcl", "camera/lepton_camera.cpp", "camera/lepton_camera.h",
        "camera/lepton_camera_tb.cpp", "camera/lepton_axis.h", "camera/tb_data/beats.txt",
        "camera/tb_data/expected.txt", "build_camera.tcl", "build_opts.tcl", "README.md", "project.json",
    ):  # fmt: skip
        assert (out / rel).is_file(), rel
    tcl = (out / "build_camera.tcl").read_text()
    assert "set_part {xc7a35ticsg324-1L}" in tcl and "create_clock -period 8 " in tcl
    assert "export_design -format ip_catalog" in tcl and "cosim_design" in tcl and "csynth_design" in tcl
    assert ("-flow_target vivado" in tcl) == (backend == "vitis")
    assert "set_top lepton_camera" in tcl
    hls_tcl = (out / "hls/project.tcl").read_text()
    assert "xc7a35ticsg324-1L" in hls_tcl
    assert "@{" not in "".join(project.files.values())  # every placeholder filled
    readme = (out / "README.md").read_text()
    assert " ".join(tool_command(backend, which=lambda _: None)) in readme or backend == "vitis"
    beats = (out / "camera/tb_data/beats.txt").read_text().splitlines()
    assert len(beats) == 5 * 8 * 8 and beats[0].endswith(" 1 0") and beats[7].endswith(" 0 1")
    again = write_project(project, tmp_path / "again")  # a value: it can be written any number of times
    # and the same network built again (hls4ml draws a new random stamp) gives the same bytes elsewhere
    rebuilt = build_project(graph, part="xc7a35ticsg324-1L", clock_mhz=125.0, backend=backend, strategy="resource")
    elsewhere = write_project(rebuilt, tmp_path / "else" / "where")
    files = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for copy in (again, elsewhere):
        assert files == {str(p.relative_to(copy)): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert not [name for name, data in files.items() if str(tmp_path).encode() in data]


def test_command_lines() -> None:
    nothing = {}.get
    everything = {"vitis-run": "/x", "vitis_hls": "/x", "vivado_hls": "/x"}.get
    only_vitis_hls = {"vitis_hls": "/x"}.get
    assert tool_command("vitis", which=nothing) == ["vitis-run", "--mode", "hls", "--tcl", "build_camera.tcl"]
    assert tool_command("vitis", which=everything) == ["vitis-run", "--mode", "hls", "--tcl", "build_camera.tcl"]
    assert tool_command("vitis", which=only_vitis_hls) == ["vitis_hls", "-f", "build_camera.tcl"]
    assert tool_command("vivado", which=nothing) == ["vivado_hls", "-f", "build_camera.tcl"]
    commands = synth_commands("/prj", "vivado", which=nothing)
    assert [c.argv for c in commands] == [("vivado_hls", "-f", "build_camera.tcl")]
    assert commands[0].cwd == "/prj" and str(commands[0]) == "(cd /prj && vivado_hls -f build_camera.tcl)"
    with pytest.raises(EngineError):
        tool_command("quartus")


def test_build_opts() -> None:
    assert "array set opt {csim 0 synth 1 cosim 1 export 1}" in build_opts_tcl(BuildSteps(False, True, True, True))
    assert "array set opt {csim 1 synth 1 cosim 0 export 0}" in build_opts_tcl(BuildSteps())


def test_run_synth_without_the_tools(tmp_path: Path) -> None:
    out = write_project(build_project(_graph(), part="xc7z020clg400-1", clock_mhz=100), tmp_path / "prj")
    result = run_synth(out, "vitis", which=lambda _: None)
    assert result["ran"] is False and "vitis-run is not on PATH" in result["reason"]
    assert json.loads((out / "report.json").read_text()) == result
    assert result["commands"] == [f"(cd {out} && vitis-run --mode hls --tcl build_camera.tcl)"]
    with pytest.raises(EngineError, match=r"holds no build_camera\.tcl"):
        run_synth(tmp_path, "vitis", which=lambda _: None)


def test_parse_vitis_report() -> None:
    report = parse_csynth_report(DATA / "csynth_vitis.xml")
    assert report["top"] == "lepton_camera" and report["part"] == "xc7z020-clg400-1"
    assert report["target_clock_ns"] == 10.0 and report["estimated_clock_ns"] == 7.268
    assert report["latency_cycles"] == {"best": 1062, "worst": 1081}
    assert report["interval_cycles"] == {"min": 1027, "max": 1030}
    assert report["resources"] == {"lut": 5421, "ff": 3120, "dsp": 3, "bram_18k": 2, "uram": 0}
    assert report["available"]["lut"] == 53200 and report["available"]["dsp"] == 220


def test_parse_vivado_report() -> None:
    report = parse_csynth_report(DATA / "csynth_vivado.xml")
    assert report["latency_cycles"] == {"best": 2051, "worst": None}  # "undef": data dependent
    assert report["interval_cycles"] == {"min": 2049, "max": None}
    assert report["resources"] == {"lut": 8113, "ff": 4410, "dsp": 7, "bram_18k": 4, "uram": None}


def test_bad_report(tmp_path: Path) -> None:
    (tmp_path / "bad.xml").write_text("<profile")
    with pytest.raises(EngineError, match="cannot read the csynth report"):
        parse_csynth_report(tmp_path / "bad.xml")


@pytest.mark.parametrize(("n_in", "n_out"), [(9, 4), (576, 5), (27, 8), (1, 1), (16, 10)])
def test_valid_reuse_factors_follow_hls4ml(n_in: int, n_out: int) -> None:
    from lepton_hw.backends.hls.adapter import hls4ml, valid_reuse_factors

    backend = hls4ml().backends.get_backend("Vitis")
    assert valid_reuse_factors(n_in, n_out) == backend.get_valid_reuse_factors(n_in, n_out)
