"""The RTL core == the IR interpreter, bit for bit, on random QKeras models (lepton_hw.testing.models).

Each seed's model is imported as a user would (saved .h5 -> import), built and simulated with the
native Verilator harness on 256 frames sent back to back (including all-zero and all-255 frames):
every result packet must equal the interpreter's, and a frame must take at most
max(W*H, outputs + 1) + 8 cycles. The default suite runs 16 seeds, the kernel alternating (da for even
seeds, mac for odd: a build costs 3-10 s, the run well under a second, so each model is built once); the
slow sweep runs the same seeds with the other kernel and 40 more seeds with both. A few seeds also run
in Icarus through cocotb. Models the backend refuses must be refused by name.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from lepton_hw.backends.rtl import build_rtl
from lepton_hw.backends.rtl.cmvm import KERNELS
from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.ir import interp
from lepton_hw.ir.graph import Graph
from lepton_hw.testing.models import random_inputs, random_model
from tests.backends.rtl.check import check_frames

pytestmark = [pytest.mark.rtl, pytest.mark.keras]

DEFAULT_SEEDS = list(range(16))
SLOW_SEEDS = list(range(100, 140))
ICARUS_SEEDS = [0, 1, 2]
N_FRAMES = 256


@functools.cache
def imported(seed: int, folder: Path) -> Graph:
    from lepton_hw.frontend.keras_env import tf_keras
    from lepton_hw.frontend.qkeras import import_model

    tf_keras().backend.clear_session()
    _, model = random_model(seed)
    path = folder / f"model_{seed}.h5"
    model.save(path)
    return import_model(path)


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("random_models")


def _check(seed: int, kernel: str, sim: str, frames: int, folder: Path, cache: Path) -> None:
    graph = imported(seed, folder)
    try:
        project = build_rtl(graph, kernel=kernel)
    except UnsupportedLayerError as err:  # a refusal must name a real layer and say why
        assert any(f"'{node.name}'" in str(err) for node in graph.nodes), err
        assert "padding" in str(err) or "bits" in str(err), err
        return
    raw = interp.quantize_input(graph, random_inputs(graph.input.shape, frames, seed))
    run = check_frames(project, graph, raw, sim, cache)
    layout = project.layout
    assert run.report["cycles_per_frame_max"] <= max(layout.height * layout.width, layout.n_outputs + 1) + 8


@pytest.mark.parametrize("seed", DEFAULT_SEEDS)
def test_random_model_in_verilator(seed: int, model_folder: Path, rtl_cache: Path) -> None:
    _check(seed, KERNELS[seed % 2], "verilator", N_FRAMES, model_folder, rtl_cache)


@pytest.mark.slow
@pytest.mark.parametrize("seed", DEFAULT_SEEDS)
def test_random_model_other_kernel(seed: int, model_folder: Path, rtl_cache: Path) -> None:
    _check(seed, KERNELS[1 - seed % 2], "verilator", N_FRAMES, model_folder, rtl_cache)


@pytest.mark.parametrize("seed", ICARUS_SEEDS)
def test_random_model_in_icarus(seed: int, model_folder: Path, rtl_cache: Path) -> None:
    _check(seed, "da", "icarus", 12, model_folder, rtl_cache)


@pytest.mark.slow
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_random_model_sweep(seed: int, kernel: str, model_folder: Path, rtl_cache: Path) -> None:
    _check(seed, kernel, "verilator", N_FRAMES, model_folder, rtl_cache)
