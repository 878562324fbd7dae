"""Per-layer reuse factors sized by the camera's rate: the largest factor hls4ml accepts for a layer that is
at most the clocks between two of its inputs; carried into hls4ml's config, project.json and the C simulation.

The expectations are worked out here from the layer shapes (a 3x3 valid conv keeps its input's interval, a
2x2 pooling doubles it) and hls4ml's own ``get_valid_reuse_factors``, not from lepton_hw's code.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.hls import build_project, predict_csim
from lepton_hw.backends.hls.adapter import NetSettings, hls4ml, hls_config, schedule_reuse, stream_reuse
from lepton_hw.backends.hls.csim import cache_key, compile_csim
from lepton_hw.errors import EngineError
from lepton_hw.ir import interp
from lepton_hw.ir.fixed import FixedType
from lepton_hw.ir.graph import Conv2D, Dense, Flatten, Graph, Input, MaxPool2D, ReLU
from lepton_hw.passes.precision import accumulator_type
from lepton_hw.schedule import ScheduleOptions, make_schedule
from tests.backends.hls.test_project import _graph
from tests.helpers import assert_bit_exact

pytestmark = pytest.mark.hls

U8 = FixedType(False, 8, 0)
PART = "xc7z020clg400-1"


def camera_graph(size: int = 16, filters: int = 4, units: int = 5, first_stride: int = 1) -> Graph:
    """conv 3x3 -> relu -> 2x2 max pool -> conv 3x3 -> relu -> 2x2 max pool -> flatten -> dense, valid padding."""
    rng = np.random.default_rng(3)
    w_t = FixedType(True, 4, 1, "RND_CONV", "SAT")
    act = FixedType(False, 4, 1, "RND_CONV", "SAT")
    nodes: list = [Input("input", (size, size, 1), U8)]
    h, cin, in_t = size, 1, U8
    for i, stride in enumerate((first_stride, 1)):
        cw, cb = rng.integers(-8, 8, (3, 3, cin, filters)), rng.integers(-8, 8, filters)
        cw[rng.random(cw.shape) < 0.3] = 0
        acc = accumulator_type(in_t, cw, cb, w_t, w_t)
        h = (h - 3) // stride + 1
        nodes.append(Conv2D(f"conv{i}", (h, h, filters), acc, cw, cb, w_t, w_t, acc, strides=(stride, stride)))
        nodes.append(ReLU(f"relu{i}", (h, h, filters), act))
        h //= 2
        nodes.append(MaxPool2D(f"pool{i}", (h, h, filters), act))
        cin, in_t = filters, act
    n = h * h * filters
    dw, db = rng.integers(-8, 8, (n, units)), rng.integers(-8, 8, units)
    acc = accumulator_type(act, dw, db, w_t, w_t)
    nodes += [Flatten("flatten", (n,), act), Dense("logits", (units,), acc, dw, db, w_t, w_t, acc)]
    return Graph("camera_like", tuple(nodes), {"softmax_dropped": "true"})


def expected_reuse(graph: Graph, intervals: dict[str, int]) -> dict[str, int]:
    """The largest factor of hls4ml's own valid list (its FPGABackend) at most each layer's interval."""
    backend = hls4ml().backends.get_backend("Vitis")
    out = {}
    for node in graph.nodes:
        if isinstance(node, (Conv2D, Dense)):
            n_out = node.weight.shape[-1]
            n_in = node.weight.size // n_out  # a conv: kh * kw * cin per window; a dense: the whole vector
            out[node.name] = max(
                rf for rf in backend.get_valid_reuse_factors(n_in, n_out) if rf <= intervals[node.name]
            )
    return out


def camera_intervals(cpp: int) -> dict[str, int]:
    """Clocks between two inputs, valid 3x3 convs at stride 1 and 2x2 poolings, a pixel every ``cpp`` clocks:
    conv0 takes the pixels, conv1 the first pooling's outputs (every other column), the dense layer the
    second pooling's (every fourth column of the frame's pixel positions)."""
    return {"conv0": cpp, "conv1": 2 * cpp, "logits": 4 * cpp}


@pytest.mark.parametrize("cpp", [1, 2, 3])
def test_schedule_reuse_keeps_up_and_follows_hls4ml(cpp: int) -> None:
    graph = camera_graph()
    schedule = make_schedule(graph, ScheduleOptions(clocks_per_pixel=cpp))
    reuse = schedule_reuse(graph, schedule)
    assert reuse == expected_reuse(graph, camera_intervals(cpp))
    for plan in schedule.layers:
        assert reuse[plan.name] <= plan.interval
    assert any(rf > 1 for rf in reuse.values())
    assert stream_reuse(graph, cpp) == reuse  # the flow's and the CLI's path: no cost model, same factors


def test_reuse_of_the_16_filter_32x32_model() -> None:
    graph = camera_graph(size=32, filters=16)
    assert stream_reuse(graph) == expected_reuse(graph, camera_intervals(1)) == {"conv0": 1, "conv1": 2, "logits": 4}


def test_strided_conv_is_bounded_by_its_input_pixels() -> None:
    """hls4ml's line buffer takes every input pixel, one per ReuseFactor clocks: a stride-2 conv whose windows
    come every other clock still gets pixels every clock."""
    graph = camera_graph(size=32, first_stride=2)
    schedule = make_schedule(graph, ScheduleOptions())
    assert schedule.plan("conv0").interval == 2
    intervals = {"conv0": 1, "conv1": 4, "logits": 8}  # the stride and each pooling double the interval
    assert schedule_reuse(graph, schedule) == stream_reuse(graph) == expected_reuse(graph, intervals)


def test_config_and_project_carry_the_per_layer_factors(tmp_path: Path) -> None:
    graph = camera_graph()
    reuse = stream_reuse(graph, 2)
    assert reuse == {"conv0": 1, "conv1": 4, "logits": 8}
    config = hls_config(graph, "latency", 1, reuse)
    assert {name: config["LayerName"][name]["ReuseFactor"] for name in reuse} == reuse
    project = build_project(graph, part=PART, clock_mhz=100, layer_reuse=reuse, clocks_per_pixel=2)
    hls_layers = {row["name"]: row.get("reuse_factor") for row in project.info["layers"]}
    assert {name: hls_layers[name] for name in reuse} == reuse  # as hls4ml's model holds them
    info = json.loads(project.files["project.json"])
    assert info["clocks_per_pixel"] == 2
    assert info["layer_rates"] == {
        name: {"reuse_factor": reuse[name], "interval_clocks": interval, "keeps_up": True}
        for name, interval in camera_intervals(2).items()
    }
    assert "reuse per layer: conv0 1, conv1 4, logits 8" in project.files["README.md"]


def test_a_factor_above_the_interval_is_recorded_and_warned(caplog: pytest.LogCaptureFixture) -> None:
    graph = camera_graph()
    with caplog.at_level(logging.WARNING, logger="lepton_hw"):
        project = build_project(graph, part=PART, clock_mhz=100, strategy="resource", layer_reuse={"conv0": 3})
    assert "HLS layer" not in caplog.text  # no camera rate given (the C simulation's builds): no warning
    rates = project.info["layer_rates"]
    assert {name: r["reuse_factor"] for name, r in rates.items()} == {"conv0": 3, "conv1": 1, "logits": 1}
    assert [name for name, r in rates.items() if not r["keeps_up"]] == ["conv0"]
    with caplog.at_level(logging.WARNING, logger="lepton_hw"):
        build_project(graph, part=PART, clock_mhz=100, layer_reuse={"conv0": 3}, clocks_per_pixel=2)
    assert "HLS layer conv0 takes a new input every 3 clocks (reuse 3), but its inputs come every 2" in caplog.text


@pytest.mark.parametrize(("hls", "cpp"), [({}, 1), ({"strategy": "resource"}, 2), ({"reuse": 3}, 1)])
def test_flow_options_use_the_schedule_unless_reuse_is_set(tmp_path: Path, hls: dict, cpp: int) -> None:
    import dataclasses

    from lepton_hw.config import load_config
    from lepton_hw.flow import Context
    from lepton_hw.ir.serialize import save_graph

    graph = camera_graph()
    (tmp_path / "ir").mkdir()
    save_graph(graph, tmp_path / "ir")
    config = load_config(Path(__file__).parents[3] / "examples" / "camera_defects.yaml")
    hardware = dataclasses.replace(
        config.hardware,
        clocks_per_pixel=cpp,
        hls_strategy=hls.get("strategy", "latency"),
        hls_reuse=hls.get("reuse", 1),
    )
    options = Context(dataclasses.replace(config, hardware=hardware), tmp_path).hls_options()
    if "reuse" in hls:  # set above 1: that factor for every layer
        assert (options.reuse, options.layer_reuse) == (3, ())
    else:
        assert options.reuse == 1
        assert dict(options.layer_reuse) == expected_reuse(graph, camera_intervals(cpp))


def test_bad_per_layer_factor_names_the_layer() -> None:
    graph = _graph()  # conv: 9 x 2, logits: 18 x 3
    with pytest.raises(EngineError, match=r"reuse factor 5 does not fit layer logits \(18 inputs x 3 outputs\)"):
        build_project(graph, part=PART, clock_mhz=100, layer_reuse={"conv": 1, "logits": 5})
    with pytest.raises(EngineError, match=r"per-layer reuse factors name 'pool', not a conv or dense layer"):
        build_project(graph, part=PART, clock_mhz=100, layer_reuse={"pool": 2})
    with pytest.raises(EngineError, match=r"\(layer name, positive integer\) pair, got \('conv', 0\)"):
        build_project(graph, part=PART, clock_mhz=100, layer_reuse={"conv": 0})
    with pytest.raises(EngineError, match="reuse factor 5 does not fit layer logits"):  # before any cache lookup
        compile_csim(graph, layer_reuse={"logits": 5}, cache_dir=Path("/nonexistent"))


def test_da_does_not_apply_per_layer_reuse(caplog: pytest.LogCaptureFixture) -> None:
    graph = _graph()
    reuse = stream_reuse(graph)
    assert reuse == {"conv": 1, "logits": 2}
    with caplog.at_level(logging.INFO, logger="lepton_hw"):
        project = build_project(graph, part=PART, clock_mhz=100, strategy="da", layer_reuse=reuse)
    assert "strategy da: hls4ml's distributed arithmetic needs reuse 1" in caplog.text
    assert "(conv 1, logits 2) are not applied" in caplog.text
    assert all(row.get("reuse_factor", 1) == 1 for row in project.info["layers"])
    assert {r["reuse_factor"] for r in project.info["layer_rates"].values()} == {1}
    da = NetSettings(PART, 100.0, strategy="da", layer_reuse=(("logits", 2),))
    assert cache_key(graph, da, "net") == cache_key(graph, NetSettings(PART, 100.0, strategy="da"), "net")


def test_cache_key_follows_the_applied_factors() -> None:
    graph = _graph()
    key = {
        pairs: cache_key(graph, NetSettings(PART, 100.0, layer_reuse=pairs), "net")
        for pairs in ((), (("conv", 1), ("logits", 1)), (("logits", 2),), (("logits", 3),))
    }
    assert key[()] == key[(("conv", 1), ("logits", 1))]  # the same code: the same build
    assert len({key[()], key[(("logits", 2),)], key[(("logits", 3),)]}) == 3


def test_csim_with_per_layer_reuse_equals_ir(csim_cache: Path) -> None:
    """Resource strategy, whose multiply loops (unlike Latency's pragmas) change with the factor."""
    graph = camera_graph()
    reuse = stream_reuse(graph, 3)
    assert reuse == {"conv0": 3, "conv1": 6, "logits": 8}  # 16 x 5: below 16 inputs, a factor must divide 16
    rng = np.random.default_rng(11)
    raw = rng.integers(0, 256, size=(24, 16, 16, 1))
    raw[0], raw[1] = 0, 255
    got = predict_csim(graph, raw, strategy="resource", layer_reuse=reuse, cache_dir=csim_cache)
    assert_bit_exact(np.asarray(interp.run(graph, raw)).reshape(len(raw), -1), got, f"per-layer reuse {reuse}")
    library = compile_csim(graph, strategy="resource", layer_reuse=reuse, cache_dir=csim_cache)  # the cached build
    parameters = (library.parent / "hls" / "firmware" / "parameters.h").read_text()
    for rf in reuse.values():
        assert f"static const unsigned reuse_factor = {rf};" in parameters
