"""The camera core's C simulation (wrapper + hls4ml network) == the IR interpreter, packet for packet.

A 32x32 Mono8 model (two blocks of 3x3 4-bit QConv2D + quantized_relu(4) + 2x2 max pooling, one
QDense output layer, random weights) is run on back-to-back frames and on malformed frames: those
give no packet and set the malformed flag, and the next good frame's packet is correct.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lepton_hw.backends.hls import expected_packets, frame_beats, run_camera_csim
from lepton_hw.ir.graph import Graph

pytestmark = [pytest.mark.hls, pytest.mark.keras]


@pytest.fixture(scope="module")
def camera_graph(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    from lepton_hw.frontend.keras_env import tf_keras
    from lepton_hw.frontend.qkeras import import_model

    keras = tf_keras()
    import qkeras

    keras.backend.clear_session()
    rng = np.random.default_rng(2024)
    inputs = keras.Input((32, 32, 1), name="pixels")
    x = inputs
    for i in range(2):
        x = qkeras.QConv2D(
            4, 3, name=f"conv{i}",
            kernel_quantizer="quantized_bits(4,0,alpha=1)", bias_quantizer="quantized_bits(4,0,alpha=1)",
        )(x)  # fmt: skip
        x = qkeras.QActivation("quantized_relu(4,1)", name=f"relu{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = qkeras.QDense(
        6, name="logits", kernel_quantizer="quantized_bits(4,0,alpha=1)", bias_quantizer="quantized_bits(4,0,alpha=1)"
    )(x)
    model: Any = keras.Model(inputs, x, name="camera32")
    for weight in model.weights:
        weight.assign(rng.normal(0.0, 0.6, size=tuple(weight.shape)).astype(np.float32))
    path = tmp_path_factory.mktemp("camera") / "camera32.h5"
    model.save(path)
    return import_model(path)


def _frames(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    frames = [np.zeros((32, 32), np.uint8), np.full((32, 32), 255, np.uint8)]
    frames += [rng.integers(0, 256, (32, 32)).astype(np.uint8) for _ in range(n - 2)]
    return frames[:n]


def test_back_to_back_frames(camera_graph: Graph, csim_cache: Path) -> None:
    frames = _frames(8, 1)
    run = run_camera_csim(camera_graph, frames, cache_dir=csim_cache)
    expected = expected_packets(camera_graph, frames)
    assert run.packets == expected
    assert len(run.packets) == 8 and all(len(p) == 7 for p in run.packets)  # class index + 6 logits each
    assert [s.frame_count for s in run.statuses] == list(range(1, 9))
    assert [s.last_class for s in run.statuses] == [p[0] for p in expected]
    assert not any(s.err_malformed for s in run.statuses)


def _malformed_cases(good: np.ndarray) -> dict[str, list[tuple[int, int, int]]]:
    beats = frame_beats(good)
    short_line = beats[:40] + beats[41:]  # line 1 is one pixel short
    long_line = [*beats[:63], (7, 0, 0), *beats[63:]]  # line 1 has 33 pixels
    early_tlast = [(p, u, 1 if i == 70 else t) for i, (p, u, t) in enumerate(beats)]
    few_lines = beats[: 32 * 20]
    no_sof = [(p, 0, t) for p, u, t in beats]
    return {
        "short line": short_line,
        "long line": long_line,
        "early tlast": early_tlast,
        "too few lines": few_lines,
        "missing start of frame": no_sof,
    }


@pytest.mark.parametrize("case", ["short line", "long line", "early tlast", "too few lines", "missing start of frame"])
def test_malformed_frame_then_good_frame(case: str, camera_graph: Graph, csim_cache: Path) -> None:
    good = _frames(4, 2)
    bad = _malformed_cases(good[3])[case]
    run = run_camera_csim(camera_graph, [good[2], bad, good[3]], cache_dir=csim_cache)
    expected = expected_packets(camera_graph, [good[2], good[3]])
    assert run.packets == expected, case  # no packet for the malformed frame; the next one is right
    final = run.status
    assert final is not None and final.err_malformed and final.malformed_count >= 1
    assert final.frame_count == 2 and final.last_class == expected[1][0]


def test_too_many_lines_are_flagged(camera_graph: Graph, csim_cache: Path) -> None:
    """Surplus lines after a whole frame are flagged when the next start of frame arrives."""
    a, b = _frames(4, 3)[2:]
    surplus = frame_beats(a)[32:96]  # two more lines without a start of frame
    run = run_camera_csim(camera_graph, [a, surplus, b], cache_dir=csim_cache)
    assert run.packets == expected_packets(camera_graph, [a, b])
    assert not run.statuses[0].err_malformed and run.statuses[1].err_malformed


def test_trained_camera_example(camera_example: Path, csim_cache: Path) -> None:
    """The camera example model (examples/camera_defects.yaml, trained): its test frames back to back, then a
    malformed frame (a short line) and the next good frame; every packet equals the interpreter's."""
    from lepton_hw.engines import load_ir

    graph = load_ir(camera_example)
    x = np.load(camera_example / "test_x.npy")
    frames = [np.round(frame[..., 0] * 256).astype(np.uint8) for frame in x[:12]]
    beats = frame_beats(frames[11])
    short_line = beats[:40] + beats[41:]
    run = run_camera_csim(graph, [*frames[:11], short_line, frames[11]], cache_dir=csim_cache)
    assert run.packets == expected_packets(graph, frames)
    final = run.status
    assert final is not None and final.err_malformed and final.frame_count == 12
