"""The schedule (lepton_hw.schedule): each layer's input rate, and the implementation it picks or refuses.

The expected rates are worked out here from the geometry, not read from the code: a 3x3 valid conv
on the raw frame gets a window every pixel; after a 2x2/2 max pooling, windows come at most every
2 pixels; a dense layer after a second pooling gets a feature vector at most every 4 pixels.
"""

from __future__ import annotations

import pytest

from lepton_hw.errors import UnsupportedLayerError
from lepton_hw.ir.fixed import FixedType
from lepton_hw.schedule import LayerChoice, ScheduleOptions, make_schedule, schedule_table
from lepton_hw.testing.ir_cases import CASES

GRAPH = CASES["pool_pool_dense"]  # 14x14 -> conv 3x3 -> pool 2 -> conv 3x3 -> pool 2 -> dense


def test_rates_and_default_choices() -> None:
    schedule = make_schedule(GRAPH)
    conv0, conv3, dense = schedule.layers
    assert (conv0.interval, conv0.arrivals) == (1, 12 * 12)  # every pixel of rows/cols 2..13
    assert (conv3.interval, conv3.arrivals) == (2, 4 * 4)  # pooled pixels come every other pixel
    assert (dense.interval, dense.arrivals, dense.positions) == (4, 2 * 2, 4)  # 2x2 positions of 4 channels
    # at the default pipeline 1 the convolutions are full-rate graphs (serial only at pipeline 0 or forced)
    assert [p.impl for p in schedule.layers] == ["da", "da", "fold"]
    assert conv3.fold == 1 and conv3.multipliers == 0
    assert dense.fold == 4 and dense.inputs == 4 and dense.multipliers == 1 * 3  # 4 values over 4 clocks, 3 outputs
    assert schedule.frame_clocks == 14 * 14
    table = schedule_table(schedule)
    assert "dense7  fold" in table and "4 clk" in table


def test_clocks_per_pixel_scale_the_rates() -> None:
    schedule = make_schedule(GRAPH, ScheduleOptions(clocks_per_pixel=3))
    assert [p.interval for p in schedule.layers] == [3, 6, 12]
    assert schedule.frame_clocks == 3 * 14 * 14


def test_forced_choices() -> None:
    options = ScheduleOptions(layers={"dense7": LayerChoice(impl="da"), "conv3": LayerChoice(impl="fold", fold=2)})
    schedule = make_schedule(GRAPH, options)
    conv3, dense = schedule.plan("conv3"), schedule.plan("dense7")
    assert (conv3.impl, conv3.fold, conv3.forced) == ("fold", 2, True)
    assert conv3.multipliers == 18 * 4  # a 3x3x4 window over 2 clocks, 4 filters
    # a full-rate graph on the collected map: one 16-value vector per frame
    assert (dense.impl, dense.positions, dense.inputs, dense.arrivals) == ("da", 1, 16, 1)


def test_a_fold_that_cannot_keep_up_is_refused_by_name() -> None:
    with pytest.raises(UnsupportedLayerError) as err:
        make_schedule(GRAPH, ScheduleOptions(layers={"conv3": LayerChoice(impl="fold", fold=3)}))
    text = str(err.value)
    assert "'conv3'" in text and "every 2 clock(s)" in text and "fold 1..2" in text and "clocks_per_pixel to 2" in text


@pytest.mark.parametrize(
    ("layers", "words"),
    [
        ({"nope": LayerChoice(impl="da")}, ["'nope'", "conv0, conv3, dense7"]),
        ({"conv0": LayerChoice(impl="fast")}, ["'conv0'", "unknown impl", "da, mac, fold"]),
        ({"dense7": LayerChoice(fold=5)}, ["'dense7'", "fold 5", "1..4"]),
        ({"dense7": LayerChoice(impl="da", fold=2)}, ["'dense7'", "full rate"]),
    ],
)
def test_bad_choices_name_the_layer_and_what_is_accepted(layers: dict, words: list[str]) -> None:
    with pytest.raises(UnsupportedLayerError) as err:
        make_schedule(GRAPH, ScheduleOptions(layers=layers))
    assert all(word in str(err.value) for word in words), str(err.value)


def test_bad_options() -> None:
    with pytest.raises(UnsupportedLayerError, match=r"clocks_per_pixel must be in 1\.\.64"):
        make_schedule(GRAPH, ScheduleOptions(clocks_per_pixel=0))
    with pytest.raises(UnsupportedLayerError, match=r"pipeline must be in 0\.\.8"):
        make_schedule(GRAPH, ScheduleOptions(pipeline=9))
    with pytest.raises(UnsupportedLayerError, match="unknown kernel"):
        make_schedule(GRAPH, ScheduleOptions(kernel="lut"))


def test_the_cost_model_orders_the_choices() -> None:
    """At full rate a shift-add graph of constant weights beats generic multipliers; the dense layer,
    fed every 4 clocks, is cheaper folded than as a graph over the whole map."""
    default = make_schedule(GRAPH)
    forced = make_schedule(GRAPH, ScheduleOptions(layers={"dense7": LayerChoice(impl="da")}))
    assert default.plan("dense7").cost < forced.plan("dense7").cost
    conv_fold = make_schedule(GRAPH, ScheduleOptions(layers={"conv3": LayerChoice(impl="fold", fold=2)}))
    assert default.plan("conv3").cost < conv_fold.plan("conv3").cost


def test_bit_serial_layers_take_as_many_slices_as_their_input_is_held() -> None:
    """The serial fold is the clocks a layer's input stays on its input: conv3's window changes with each
    pooled pixel (every 2 clocks at one clock per pixel); at 3 clocks per pixel conv0's window is held 3
    clocks, its 8-bit pixels cut into 3 slices of 3 bits (the top one padded). Chosen by cost at pipeline 0."""
    smallest = make_schedule(GRAPH, ScheduleOptions(pipeline=0))
    assert [p.impl for p in smallest.layers] == ["da", "serial", "fold"]
    assert smallest.plan("conv3").fold == 2 and smallest.plan("conv3").multipliers == 0
    cpp3 = make_schedule(GRAPH, ScheduleOptions(clocks_per_pixel=3, pipeline=0))
    assert [(p.impl, p.fold) for p in cpp3.layers[:2]] == [("serial", 3), ("serial", 4)]
    # a fold that does not divide the bits takes the slices its bits need: 4 bits in 3 -> 2 slices of 2
    forced = make_schedule(GRAPH, ScheduleOptions(layers={"conv3": LayerChoice("serial", 3)}))
    assert (forced.plan("conv3").impl, forced.plan("conv3").fold, forced.plan("conv3").forced) == ("serial", 2, True)
    # the serial graph is cheaper than the full-rate one in the model too (that is why it is chosen)
    full = make_schedule(GRAPH, ScheduleOptions(pipeline=0, layers={"conv3": LayerChoice(impl="da")}))
    assert smallest.plan("conv3").cost < full.plan("conv3").cost
    # kernel mac asks for DSP products: no shift-add graph, serial or not, is chosen
    mac = make_schedule(GRAPH, ScheduleOptions(kernel="mac", pipeline=0))
    assert "serial" not in [p.impl for p in mac.layers]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (
            ScheduleOptions(layers={"conv3": LayerChoice("serial", 4)}),
            ["'conv3'", "holds its input 2 clock(s)", "fold 2..2"],
        ),
        (
            ScheduleOptions(layers={"conv0": LayerChoice("serial", 2)}),
            ["'conv0'", "holds its input 1 clock(s)", "another impl"],
        ),
        (ScheduleOptions(layers={"dense7": LayerChoice("serial", 2)}), ["'dense7'", "position by position"]),
        (ScheduleOptions(layers={"conv3": LayerChoice("serial", 9)}), ["'conv3'", "fold 9", "accepted: fold 2..4"]),
        (ScheduleOptions(kernel="mac", layers={"conv3": LayerChoice("serial")}), ["'conv3'", "hardware.kernel da"]),
        (ScheduleOptions(frame=(28, 28), layers={"conv3": LayerChoice("serial")}), ["'conv3'", "hardware.frame"]),
    ],
)
def test_a_serial_choice_that_cannot_work_is_refused_by_name(options: ScheduleOptions, words: list[str]) -> None:
    with pytest.raises(UnsupportedLayerError) as err:
        make_schedule(GRAPH, options)
    assert all(word in str(err.value) for word in words), str(err.value)


def test_bit_serial_needs_unsigned_inputs() -> None:
    from lepton_hw.backends.rtl.serial import check_serial, slice_type

    with pytest.raises(UnsupportedLayerError, match=r"'c'.*signed.*accepted: da, mac or fold"):
        check_serial(FixedType(True, 8, 2), 2, "layer 'c'")
    assert slice_type(FixedType(False, 8, 0), 3) == FixedType(False, 3, 3)  # ceil(8 / 3) bits, integers
