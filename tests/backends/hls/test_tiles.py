"""The full-frame HLS camera core (a frame larger than the model input): every tile classified, one packet per
frame, the per-tile map == the IR interpreter on each tile, malformed frames flagged and resynchronized, the
run-time frame size.

The model is the hand-built 8x8 chain of test_project (conv 3x3 -> relu -> max pool -> dense, 3 outputs): its
full-frame C simulation compiles in about 10 s, once per session (``csim_cache``). The frame is 31 x 21: 3 x 2
tiles, a 7-pixel right remainder and a 5-row bottom remainder.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lepton_hw import tiles
from lepton_hw.backends.hls import (
    ErrClear,
    FrameSize,
    build_project,
    expected_tile_packets,
    predict_csim_frames,
    run_tiled_csim,
)
from lepton_hw.backends.hls.csim import CAMERA_EXE, _cached_build, _settings
from lepton_hw.backends.hls.project import frame_beats
from lepton_hw.backends.hls.tiles import ERR_BAD_SIZE, ERR_MALFORMED, map_of_tiles, parse_output, tiled_frame
from lepton_hw.errors import EngineError, InputDataError, MismatchError
from lepton_hw.ir.graph import Graph
from tests.backends.hls.test_project import _graph

pytestmark = pytest.mark.hls

FRAME = (31, 21)  # (width, height): 3 x 2 tiles of 8 x 8, plus 7 columns and 5 rows ignored
PART, CLOCK = "xc7z020clg400-1", 100.0


def _csim_values(graph: Graph, frames: np.ndarray, **options: Any) -> np.ndarray:
    """The csim engine's map in real units: predict_csim_frames' raw integers through the output type."""
    raw = predict_csim_frames(graph, frames, **options)
    return np.asarray(graph.output.type.to_float(raw), dtype=np.float64)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return _graph("max")


def _golden(graph: Graph, frames: np.ndarray) -> np.ndarray:
    """The interpreter on each tile (lepton_hw.tiles): raw (N, TR, TC, n_outputs)."""
    return tiles.tile_map(graph, np.asarray(frames, dtype=np.int64)[..., None])


def _values(graph: Graph, frames: np.ndarray) -> np.ndarray:
    return graph.output.type.to_float(_golden(graph, frames))


def _noise(seed: int, n: int, size: tuple[int, int] = FRAME) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, size[1], size[0])).astype(np.uint8)


def _structured() -> np.ndarray:
    """Frames whose tiles are patterns (flat, ramps, checkerboards, a spot, stripes) and whose remainders are
    noise or saturated: the remainders must change nothing."""
    y, x = np.mgrid[0:8, 0:8]
    patterns = [
        np.zeros((8, 8)),
        np.full((8, 8), 255),
        x * 32 + 16,
        y * 36,
        ((x + y) % 2) * 255,
        np.where((abs(y - 3) <= 1) & (abs(x - 4) <= 1), 250, 5),
        (x % 3 == 0) * 200,
        255 - (x + y) * 16,
    ]
    rng = np.random.default_rng(5)
    frames = []
    for k in range(4):
        frame = rng.integers(0, 256, (FRAME[1], FRAME[0])) if k % 2 else np.full((FRAME[1], FRAME[0]), 255)
        for r in range(2):
            for c in range(3):
                frame[r * 8 : r * 8 + 8, c * 8 : c * 8 + 8] = patterns[(k + 3 * r + c) % len(patterns)]
        frames.append(frame)
    return np.asarray(frames, dtype=np.uint8)


def test_tile_map_of_random_frames(graph: Graph, csim_cache: Path) -> None:
    frames = _noise(1, 6)
    frames[0], frames[1] = 0, 255
    got = _csim_values(graph, frames[..., None], cache_dir=csim_cache)  # (N, H, W, 1) as well as (N, H, W)
    assert got.shape == (6, 2, 3, 3) and got.dtype == np.float64
    assert np.array_equal(got, _values(graph, frames))
    raw = predict_csim_frames(graph, frames, cache_dir=csim_cache)  # what engines.py calls: raw integers
    assert raw.dtype == np.int64 and np.array_equal(raw, _golden(graph, frames))


def test_tile_map_of_structured_frames(graph: Graph, csim_cache: Path) -> None:
    frames = _structured()
    got = _csim_values(graph, frames, cache_dir=csim_cache)
    want = _values(graph, frames)
    assert np.array_equal(got, want)
    # the same pattern in two tiles, of frames with other remainders (saturated, noise) and neighbours
    assert np.array_equal(got[0, 0, 1], got[1, 0, 0]) and np.array_equal(got[0, 1, 0], got[1, 0, 2])
    assert np.array_equal(got[2, 0, 0], got[1, 0, 1])
    assert len({tuple(v) for v in want.reshape(-1, 3)}) >= 6  # the patterns give distinct logits


def test_packets_beats_and_status(graph: Graph, csim_cache: Path) -> None:
    frames = list(_structured()) + list(_noise(2, 2))
    run = run_tiled_csim(graph, frames, frame=FRAME, cache_dir=csim_cache)
    expected = expected_tile_packets(graph, frames)
    assert run.packets == expected
    assert all(len(p) == 6 * 4 for p in run.packets)  # 6 tiles of 1 + 3 beats
    assert [s.frame_count for s in run.statuses] == list(range(1, 7))
    for done in run.frames:
        classes = [t.cls for t in done.tiles]
        assert [(t.row, t.col) for t in done.tiles] == [(r, c) for r in range(2) for c in range(3)]
        assert list(done.status.class_counts) == np.bincount(classes, minlength=3).tolist()
        assert done.status.last_class == classes[-1] and done.status.errors == 0 and not done.status.err_malformed
    # beat 0 of tile (row 1, column 2): 1 << 24 | 2 << 16 | class
    assert run.packets[0][5 * 4] == 1 << 24 | 2 << 16 | run.frames[0].tiles[5].cls


def _bad_frames(good: np.ndarray) -> dict[str, tuple[list[tuple[int, int, int]], int]]:
    """Malformed versions of ``good`` (31 x 21) as beat lists, with the tile rows received whole before the
    error (the tiles of those rows make the malformed frame's packet)."""
    w = FRAME[0]
    beats = frame_beats(good)
    return {
        "short line in tile row 1": (beats[: 9 * w + 3] + beats[9 * w + 4 :], 1),
        "long line in tile row 0": ([*beats[: 2 * w + 5], (7, 0, 0), *beats[2 * w + 5 :]], 0),
        "early tlast in tile row 1": ([(p, u, 1 if i == 12 * w + 20 else t) for i, (p, u, t) in enumerate(beats)], 1),
        "too few lines": (beats[: 10 * w], 1),
        "short line below the tiles": (beats[: 18 * w + 3] + beats[18 * w + 4 :], 2),
        "start of frame missing": ([(p, 0, t) for p, u, t in beats], -1),
    }


@pytest.mark.parametrize(
    "case",
    [
        "short line in tile row 1",
        "long line in tile row 0",
        "early tlast in tile row 1",
        "too few lines",
        "short line below the tiles",
        "start of frame missing",
    ],
)
def test_malformed_frame_then_good_frame(case: str, graph: Graph, csim_cache: Path) -> None:
    before, source, after = _noise(3, 3)
    bad, whole_rows = _bad_frames(source)[case]
    run = run_tiled_csim(graph, [before, bad, after], frame=FRAME, cache_dir=csim_cache)
    good_packets = expected_tile_packets(graph, [before, after])
    assert run.frames[0].packet == good_packets[0] and run.frames[0].status.errors == 0
    assert run.frames[-1].packet == good_packets[1], case  # the core resynchronized
    final = run.status
    assert final is not None and final.err_malformed and final.errors == ERR_MALFORMED
    assert final.malformed_count == 1 and final.last_class == run.frames[-1].tiles[-1].cls
    if whole_rows < 0:  # no start of frame: no call of its own, flagged at the next frame
        assert len(run.frames) == 2 and final.frame_count == 2
        return
    assert len(run.frames) == 3 and final.frame_count == 3  # malformed frames count as frames
    flagged = run.frames[1]
    assert flagged.status.err_malformed and flagged.status.malformed_count == 1
    partial = source[: whole_rows * 8]
    if whole_rows == 0:
        assert flagged.packet is None and flagged.status.class_counts == (0, 0, 0)
    else:  # the tiles of the tile rows received whole, in one well-formed packet
        want = tiles.frame_packet(_golden(graph, partial[None])[0])
        assert flagged.packet == want
        assert sum(flagged.status.class_counts) == 3 * whole_rows


def test_surplus_lines_are_flagged_at_the_next_frame(graph: Graph, csim_cache: Path) -> None:
    a, b = _noise(4, 2)
    surplus = frame_beats(a)[FRAME[0] : 3 * FRAME[0]]  # two more lines without a start of frame
    run = run_tiled_csim(graph, [a, surplus, b], frame=FRAME, cache_dir=csim_cache)
    assert run.packets == expected_tile_packets(graph, [a, b])
    assert run.statuses[0].errors == 0 and run.statuses[1].err_malformed and run.statuses[1].malformed_count == 1


def test_run_time_frame_size(graph: Graph, csim_cache: Path) -> None:
    small = _noise(6, 3, (16, 8))  # 2 x 1 tiles
    odd = _noise(7, 1, (23, 13))[0]  # 2 x 1 tiles, with 7 columns and 5 rows ignored
    full = _noise(8, 2)
    items = [
        FrameSize(16, 8), small[0], small[1],
        FrameSize(5, 8), small[2],  # narrower than a tile: not used, BAD_SIZE; 16 x 8 stays
        FrameSize(23, 13), odd,
        FrameSize(32, 13), odd,  # wider than the maximum: not used; 23 x 13 stays
        ErrClear(), FrameSize(0, 0), full[0],  # 0 = the maximum
        full[1],
    ]  # fmt: skip
    run = run_tiled_csim(graph, items, frame=FRAME, cache_dir=csim_cache)
    frames = [small[0], small[1], small[2], odd, odd, full[0], full[1]]
    assert run.packets == expected_tile_packets(graph, frames)
    assert [len(p) // 4 for p in run.packets] == [2, 2, 2, 2, 2, 6, 6]
    assert [s.errors for s in run.statuses] == [0, 0, ERR_BAD_SIZE, ERR_BAD_SIZE, ERR_BAD_SIZE, 0, 0]
    assert not any(s.err_malformed for s in run.statuses)
    # tile_map_csim sets the size of smaller frames itself
    got = _csim_values(graph, np.stack([odd, odd]), frame=FRAME, cache_dir=csim_cache)
    assert got.shape == (2, 1, 2, 3) and np.array_equal(got, _values(graph, np.stack([odd, odd])))


def test_written_project_testbench_passes(graph: Graph, csim_cache: Path, tmp_path: Path) -> None:
    """The project's own testbench data (frames of the largest size and of one tile, with a size line) pass the
    testbench: the cached build is the same code."""
    project = build_project(graph, part=PART, clock_mhz=CLOCK, frame=FRAME)
    for name in ("beats.txt", "expected.txt"):
        (tmp_path / name).write_text(project.files[f"camera/tb_data/{name}"])
    assert "size 8 8\n" in project.files["camera/tb_data/beats.txt"]
    exe = _cached_build(graph, _settings("vitis", "latency", 1), "camera", csim_cache, frame=FRAME) / CAMERA_EXE
    argv = [str(exe), "beats.txt", "out.txt", "expected.txt"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS: 4 packets" in done.stdout


def test_project_files(graph: Graph) -> None:
    same = build_project(graph, part=PART, clock_mhz=CLOCK)
    # the frame of the model input's size is the single-tile core, file for file
    assert build_project(graph, part=PART, clock_mhz=CLOCK, frame=(8, 8)).files == same.files
    assert "frame" not in same.info
    tiled = build_project(graph, part=PART, clock_mhz=CLOCK, frame=FRAME)
    assert set(tiled.files) == set(same.files)
    assert tiled.info["frame"]["tile_cols"] == 3 and tiled.info["frame"]["tile_rows"] == 2
    header = tiled.files["camera/lepton_camera.h"]
    assert "#define LEPTON_MAX_W 31" in header and "#define LEPTON_TILE_H 8" in header
    assert "ap_uint<32> frame_width" in header and "class_count[LEPTON_N_OUT]" in header
    assert "/tmp" not in "".join(tiled.files.values())
    assert tiled.files == build_project(graph, part=PART, clock_mhz=CLOCK, frame=FRAME).files  # reproducible


def test_frame_checks(graph: Graph) -> None:
    assert tiled_frame(graph, None) is None and tiled_frame(graph, (8, 8)) is None
    assert tiled_frame(graph, (9, 8)) == (9, 8)
    with pytest.raises(EngineError, match="smaller than the model input"):
        tiled_frame(graph, (31, 7))
    with pytest.raises(EngineError, match="at most 256 x 256 tiles"):
        tiled_frame(graph, (8 * 257, 8))
    with pytest.raises(EngineError, match="two integers"):
        tiled_frame(graph, (31.0, 21))  # type: ignore[arg-type]
    with pytest.raises(InputDataError, match="one tile"):
        build_project(graph, part=PART, clock_mhz=CLOCK, frame=FRAME, tb_frames=[np.zeros((7, 31), np.uint8)])


def test_malformed_packets_are_refused(graph: Graph) -> None:
    """The checks of the testbench's output: tuser and tlast, whole tiles, argmax, raster order."""
    good = ["status 1 0 0 0 0 1 0 0", "beat 0 1 0", "beat 5 0 0", "beat 3 0 0", "beat 4294967295 0 1"]  # -1
    run = parse_output("\n".join(good), graph)
    assert run.packets == [[0, 5, 3, -1]] and run.frames[0].tiles[0].logits == (5, 3, -1)
    cases = {
        "no tuser on the packet's first beat": [good[0], "beat 0 0 0", *good[2:]],
        "tuser on beat 2": [*good[:3], "beat 3 1 0", good[4]],
        "no tlast on the last beat": [*good[:4], "beat 1 0 0"],
        "tlast on beat 1": [good[0], good[1], "beat 5 0 1", *good[3:]],
        "not a whole number of tiles": [*good[:3], "beat 3 0 1"],
        "the argmax of its logits": [good[0], "beat 1 1 0", *good[2:]],
    }
    for problem, lines in cases.items():
        with pytest.raises(MismatchError, match=problem):
            parse_output("\n".join(lines), graph)
    swapped = parse_output("\n".join([good[0], "beat 65536 1 0", *good[2:]]), graph)  # tile (0, 1) first
    with pytest.raises(MismatchError, match=r"expected tile \(0, 0\)"):
        map_of_tiles(swapped.frames[0].tiles, 1, 2, "frame 0")


@pytest.mark.slow
def test_single_tile_frames_through_the_map(graph: Graph, csim_cache: Path) -> None:
    """Frames of the model input's size take the single-tile core: a (N, 1, 1, n) map."""
    frames = _noise(9, 4, (8, 8))
    got = _csim_values(graph, frames, cache_dir=csim_cache)
    assert got.shape == (4, 1, 1, 3) and np.array_equal(got, _values(graph, frames))


@pytest.mark.slow
@pytest.mark.keras
def test_trained_camera_example_tiles(camera_example: Path, csim_cache: Path) -> None:
    """The trained camera example (32 x 32 tiles) on 3 x 2 mosaics of its test frames, with a 7-pixel right and
    a 5-row bottom remainder: every tile as the interpreter classifies it, then a malformed frame and a good one."""
    from lepton_hw.engines import load_ir

    graph = load_ir(camera_example)
    x = np.load(camera_example / "test_x.npy")
    patches = np.round(x[:18, ..., 0] * 256).astype(np.uint8)
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, (3, 2 * 32 + 5, 3 * 32 + 7)).astype(np.uint8)
    for k in range(18):
        f, r, c = k // 6, k % 6 // 3, k % 3
        frames[f, r * 32 : r * 32 + 32, c * 32 : c * 32 + 32] = patches[k]
    got = _csim_values(graph, frames, cache_dir=csim_cache)
    assert np.array_equal(got, _values(graph, frames))
    beats = frame_beats(frames[1])
    run = run_tiled_csim(graph, [beats[:4000], frames[2]], frame=(103, 69), cache_dir=csim_cache)
    assert run.frames[-1].packet == expected_tile_packets(graph, [frames[2]])[0]
    assert run.status is not None and run.status.err_malformed
