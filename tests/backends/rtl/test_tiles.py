"""Full-frame tiles (hardware.frame): the tiled core against the interpreter on each tile, with ==.

- the native harness on several corner networks, frames with right and bottom remainders: every
  tile's result, W x H clocks per frame back to back, no input stall;
- the cocotb testbench lepton_hw/sim/tb_lepton_tiles.py (AXI4-Lite through cocotbext-axi): the
  registers, a smaller frame set at run time, a stalled m_axis (drops counted exactly), malformed
  frames, the interrupt;
- the schedule and generator refusals, and the engines' per-tile maps.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.rtl.layout import Tiling
from lepton_hw.backends.rtl.project import RtlProject, build_rtl
from lepton_hw.engines import RtlOptions, compare_outputs, run_engine
from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.ir.graph import Graph
from lepton_hw.schedule import LayerChoice, ScheduleOptions
from lepton_hw.sim import run as sim_run
from lepton_hw.testing.ir_cases import CASES, U8, T, chain
from lepton_hw.tiles import cut_tiles, frame_packet, tile_map

TB_MODULE = "lepton_hw.sim.tb_lepton_tiles"
TB_FILE = Path(__file__).parents[3] / "lepton_hw" / "sim" / "tb_lepton_tiles.py"


def random_frames(graph: Graph, n: int, width: int, height: int, seed: int) -> np.ndarray:
    t = graph.input.type
    rng = np.random.default_rng(seed)
    return rng.integers(t.min_raw, t.max_raw + 1, size=(n, height, width, graph.input.shape[2]))


# ----------------------------------------------------------------------------- the golden model
def test_tiles_are_cut_in_raster_order() -> None:
    frames = np.arange(2 * 7 * 9).reshape(2, 7, 9, 1)
    tiles = cut_tiles(frames, (3, 4))  # 2 x 2 tiles a frame; the last column and row are a remainder
    assert tiles.shape == (8, 3, 4, 1)
    assert (tiles[1, :, :, 0] == frames[0, 0:3, 4:8, 0]).all()  # frame 0, tile (0, 1)
    assert (tiles[6, :, :, 0] == frames[1, 3:6, 0:4, 0]).all()  # frame 1, tile (1, 0)


def test_the_frame_packet_names_each_tile() -> None:
    raw_map = np.array([[[1, 5], [7, 2]]])  # one tile row, two tiles, two outputs
    assert frame_packet(raw_map) == [0 << 16 | 1, 1, 5, 1 << 16 | 0, 7, 2]


# ----------------------------------------------------------------------------- native harness
# (case, frame width, height): remainders on the right and at the bottom in every one
NATIVE_CASES = [
    ("pool_pool_dense", 47, 31),  # valid convolutions and pooling, the dense layer folded per tile column
    ("odd_frame_k5_same", 40, 23),  # same padding: windows masked at the tile edges, the last tile row drains
    ("stride2_avg3_signed", 37, 30),  # strides and average pooling with partial windows, signed pixels
    ("k4_same_k1_stride2_rgb", 30, 17),  # asymmetric same padding, three channels
    ("rounding_modes", 20, 15),  # every cast between the layers
    ("pool_pool_dense", 90, 31),  # lines over 64 words: block RAM, read ahead through a queue
]


@pytest.mark.rtl
@pytest.mark.parametrize("case, width, height", NATIVE_CASES, ids=[f"{c[0]}-{c[1]}x{c[2]}" for c in NATIVE_CASES])
def test_every_tile_equals_the_interpreter(case: str, width: int, height: int, rtl_cache: Path) -> None:
    graph = CASES[case]
    project = build_rtl(graph, options=ScheduleOptions(frame=(width, height)))
    assert project.tiling == Tiling(width, height, graph.input.shape[0], graph.input.shape[1])
    raw = random_frames(graph, 3, width, height, seed=len(case))
    run = sim_run.simulate(project, graph, raw, cache_dir=rtl_cache)
    want = tile_map(graph, raw)
    assert run.outputs.shape == want.shape
    assert np.array_equal(run.outputs, want)
    assert run.result.packets == [frame_packet(m) for m in want]
    assert run.report["cycles_per_frame"] == width * height  # back to back, one pixel per clock
    assert run.report["input_stall_cycles"] == 0


@pytest.mark.rtl
def test_the_ecp5_form_equals_the_interpreter(rtl_cache: Path) -> None:
    """With LEPTON_ECP5_DP16KD (as lepton_hw's ECP5 synthesis reads the core), the line buffers and the
    folded layer's weight ROM are DP16KD blocks; simulated on the DP16KD model that test_line_ram.py checks
    against Yosys' own mapping."""
    graph = CASES["pool_pool_dense"]
    project = build_rtl(graph, options=ScheduleOptions(frame=(90, 31)))  # lines over 64 words: block RAM
    assert "`ifdef LEPTON_ECP5_DP16KD" in project.files["lepton_line_ram.v"]
    assert any("`ifdef LEPTON_ECP5_DP16KD" in text for name, text in project.files.items() if "fold" in name)
    model = (Path(__file__).parent / "verilog" / "dp16kd_model.v").read_text()
    files = {"ecp5_define.v": "`define LEPTON_ECP5_DP16KD\n", "dp16kd_model.v": model, **project.files}
    ecp5 = dataclasses.replace(project, files=files)
    raw = random_frames(graph, 3, 90, 31, seed=5)
    run = sim_run.simulate(ecp5, graph, raw, cache_dir=rtl_cache)
    assert np.array_equal(run.outputs, tile_map(graph, raw))
    assert run.report["cycles_per_frame"] == 90 * 31 and run.report["input_stall_cycles"] == 0


@pytest.mark.rtl
def test_a_tile_column_saved_and_continued_in_consecutive_clocks(rtl_cache: Path) -> None:
    """A dense layer straight on the pixels, one tile column: a tile row's last pixel and the next row's
    first come in consecutive clocks, so the folded layer reads back a column's sums in the clock they
    are saved (its read-ahead must pass the new sums through)."""
    graph = chain("pixels_dense", (6, 5, 1), U8, [("flatten",), ("dense", 3, T("ap_fixed<16,8>"))], seed=11)
    project = build_rtl(graph, options=ScheduleOptions(frame=(5, 18)))
    assert project.tiling is not None and (project.tiling.tiles_x, project.tiling.tiles_y) == (1, 3)
    raw = random_frames(graph, 3, 5, 18, seed=3)
    run = sim_run.simulate(project, graph, raw, cache_dir=rtl_cache)
    assert np.array_equal(run.outputs, tile_map(graph, raw))
    assert run.report["cycles_per_frame"] == 5 * 18


@pytest.mark.rtl
def test_two_clocks_per_pixel_and_a_forced_fold(rtl_cache: Path) -> None:
    graph = CASES["pool_pool_dense"]
    options = ScheduleOptions(frame=(30, 30), clocks_per_pixel=2, layers={"dense7": LayerChoice("fold", 4)})
    project = build_rtl(graph, options=options)
    assert project.schedule is not None and project.schedule.plan("dense7").fold == 4
    raw = random_frames(graph, 2, 30, 30, seed=5)
    run = sim_run.simulate(project, graph, raw, cache_dir=rtl_cache)
    assert np.array_equal(run.outputs, tile_map(graph, raw))
    assert run.report["cycles_per_frame"] == 2 * 30 * 30


@pytest.mark.rtl
def test_the_engines_give_the_same_map(tmp_path: Path) -> None:
    """predict's engines on whole frames: the interpreter per tile and the tiled core, compared with ==."""
    graph = CASES["pool_pool_dense"]
    raw = random_frames(graph, 2, 33, 29, seed=9)
    x = graph.input.type.to_float(raw)
    ir = run_engine(graph, x, "ir")
    rtl = run_engine(graph, x, "rtl", rtl=RtlOptions(rtl_dir=tmp_path / "none"))
    assert ir.shape == (2, 2, 2, 3)
    report = compare_outputs({"ir": ir, "rtl": rtl})
    assert report["bit_exact"] and report["tiles"] == [2, 2]
    rtl[1, 1, 0, 2] += 1  # a wrong value is reported with its tile
    report = compare_outputs({"ir": ir, "rtl": rtl})
    assert not report["bit_exact"] and report["first_mismatch"]["tile"] == [1, 0]


# ----------------------------------------------------------------------------- refusals
def test_refusals_name_the_layer_and_what_is_accepted() -> None:
    with pytest.raises(UnsupportedLayerError, match=r"smaller than one tile .*accepted: width 14\.\."):
        build_rtl(CASES["pool_pool_dense"], options=ScheduleOptions(frame=(13, 40)))
    with pytest.raises(UnsupportedLayerError, match=r"at most 256 across"):
        build_rtl(CASES["pool_pool_dense"], options=ScheduleOptions(frame=(14 * 257, 14)))
    with pytest.raises(UnsupportedLayerError, match=r"'conv0'.*5x4 feature map cannot be collected per tile"):
        build_rtl(CASES["conv_only"], options=ScheduleOptions(frame=(12, 13)))
    forced = ScheduleOptions(frame=(30, 30), layers={"dense7": LayerChoice("da")})
    with pytest.raises(UnsupportedLayerError, match=r"'dense7'.*accumulates.*accepted: fold"):
        build_rtl(CASES["pool_pool_dense"], options=forced)


def test_a_frame_of_one_model_input_is_todays_core() -> None:
    graph = CASES["pool_pool_dense"]
    one, today = build_rtl(graph, options=ScheduleOptions(frame=(14, 14))), build_rtl(graph)
    assert one.tiling is None
    assert {p: one.files[p] for p in one.sources} == {p: today.files[p] for p in today.sources}  # the same Verilog


# ----------------------------------------------------------------------------- cocotb testbench
CORE = ("pool_pool_dense", 75, 31)  # 5 x 2 tiles of 14 x 14, remainders of 5 columns and 3 rows (block RAM lines)
SMALL = (30, 20)  # set at run time: 2 x 1 tiles, remainders of 2 columns and 6 rows


def _case(project: RtlProject, graph: Graph) -> dict:
    from lepton_hw.backends.rtl.regmap import register_map

    t = project.tiling
    assert t is not None
    regs = register_map(t.frame_width, t.frame_height, t.tile_width, t.tile_height, project.layout.n_outputs)
    words = sim_run.input_words

    def frames(raw: np.ndarray) -> dict:
        return {
            "frames": words(raw, project.layout).astype(int).tolist(),
            "packets": [frame_packet(m) for m in tile_map(graph, raw)],
        }

    _, width, height = CORE
    return {
        "registers": {r.ident: r.offset for r in regs.registers},
        # SPEC.md's values for this core (literal: the registers must not drift)
        "reset_values": {
            "ID": 0x4C505448,
            "VERSION": 0x00010000,
            "CONTROL": 1,
            "FRAME_WIDTH": width,
            "FRAME_HEIGHT": height,
            "MAX_WIDTH": width,
            "MAX_HEIGHT": height,
            "TILE_SIZE": 14 << 16 | 14,
            "N_CLASSES": 3,
            "ERRORS": 0,
            "FRAME_COUNT": 0,
            "DROPPED_COUNT": 0,
            "MALFORMED_COUNT": 0,
            "IRQ_MASK": 0,
            "IRQ_STATUS": 0,
        },
        "outputs": project.layout.n_outputs,
        "max_width": width,
        "tile_height": 14,
        "full": frames(random_frames(graph, 3, width, height, seed=1)),
        "small": {"width": SMALL[0], "height": SMALL[1], **frames(random_frames(graph, 2, *SMALL, seed=2))},
    }


def cocotb_tests() -> list[str]:
    tree = ast.parse(TB_FILE.read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef) and any("cocotb.test" in ast.unparse(d) for d in node.decorator_list)
    ]


def run_testbench(sim: str, cache: Path) -> dict[str, str]:
    """Build the tiled core once for ``sim`` (cached) and run every cocotb test; each one's failure ("" passed)."""
    name, width, height = CORE
    graph = CASES[name]
    project = build_rtl(graph, options=ScheduleOptions(frame=(width, height)))
    build = sim_run.build(project, sim, cache_dir=cache)
    work = build.folder.parent / f"tiles-{build.folder.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "case.json").write_text(json.dumps(_case(project, graph)))
    results = work / "results.xml"
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(open(os.devnull, "w")):
        sim_run._runner(sim_run.cocotb_simulator(sim)).test(
            hdl_toplevel=sim_run.TOP, hdl_toplevel_lang="verilog", test_module=TB_MODULE, build_dir=build.build_dir,
            test_dir=work, extra_env={"LEPTON_TILES_CASE": str(work / "case.json")}, results_xml=str(results),
            timescale=sim_run.TIMESCALE, log_file=work / "sim.log",
        )  # fmt: skip
    assert results.is_file(), f"the {sim} run wrote no results; log: {work / 'sim.log'}"
    outcome = {}
    for case in ET.parse(results).getroot().iter("testcase"):
        failure = case.find("failure")
        failure = case.find("error") if failure is None else failure
        outcome[case.get("name", "")] = (
            "" if failure is None else f"{failure.get('message', '') or 'failed'} (log: {work / 'sim.log'})"
        )
    return outcome


@pytest.fixture(scope="module", params=["icarus", pytest.param("cocotb-verilator", marks=pytest.mark.slow)])
def tiles_testbench(request: pytest.FixtureRequest, rtl_cache: Path) -> tuple[str, dict[str, str]]:
    return request.param, run_testbench(request.param, rtl_cache)


@pytest.mark.rtl
@pytest.mark.parametrize("case", cocotb_tests())
def test_tiled_core_testbench(tiles_testbench: tuple[str, dict[str, str]], case: str) -> None:
    sim, outcome = tiles_testbench
    assert case in outcome, f"{case} did not run on {sim} (ran: {sorted(outcome)})"
    assert outcome[case] == "", f"{sim}: {case}: {outcome[case]}"
