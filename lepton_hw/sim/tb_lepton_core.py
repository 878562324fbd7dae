"""cocotb testbench of a generated ``lepton_core``, driven by a plan file (see lepton_hw.sim.plan).

The plan (JSON, path in $LEPTON_SIM_PLAN) lists steps: lines of pixels to send (each line one
AXI4-Stream packet: tuser on its first beat when it starts a frame, tlast on its last), idle
gaps, resets. cocotbext-axi's AxiStreamSource sends them and AxiStreamSink collects the result
packets, both with optional random pauses (backpressure). A monitor counts clock cycles and
records every handshake, from which lepton_hw computes throughput, latency and stalls.

The testbench judges nothing itself: it writes what it saw to $LEPTON_SIM_RESULT (JSON) and the
Python side compares the packets with the IR interpreter, exactly.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource


def _pauses(probability: float, seed: int):
    """An endless pause pattern: True with the given probability each clock."""
    rng = random.Random(seed)
    while True:
        yield rng.random() < probability


class Monitor:
    """Counts clocks and records each accepted beat on both streams."""

    def __init__(self, dut: Any) -> None:
        self.dut = dut
        self.cycle = 0
        self.in_beats: list[list[int]] = []  # [cycle, tuser, tlast]
        self.out_beats: list[list[int]] = []  # [cycle, tlast]
        self.in_stalls = 0  # cycles with s_axis_tvalid high and s_axis_tready low (outside resets)
        self.out_stalls = 0  # cycles with m_axis_tvalid high and m_axis_tready low

    async def run(self) -> None:
        dut = self.dut
        while True:
            await RisingEdge(dut.aclk)
            self.cycle += 1
            if not int(dut.aresetn.value):
                continue
            if int(dut.s_axis_tvalid.value):
                if int(dut.s_axis_tready.value):
                    self.in_beats.append([self.cycle, int(dut.s_axis_tuser.value), int(dut.s_axis_tlast.value)])
                else:
                    self.in_stalls += 1
            if int(dut.m_axis_tvalid.value):
                if int(dut.m_axis_tready.value):
                    self.out_beats.append([self.cycle, int(dut.m_axis_tlast.value)])
                else:
                    self.out_stalls += 1


def _signed32(value: int) -> int:
    return value - (1 << 32) if value & (1 << 31) else value


@cocotb.test()
async def run_plan(dut: Any) -> None:
    with open(os.environ["LEPTON_SIM_PLAN"]) as f:
        plan = json.load(f)
    cocotb.start_soon(Clock(dut.aclk, 10, unit="ns").start())  # type: ignore[arg-type]
    dut.aresetn.value = 0
    dut.err_clear.value = 0
    dut.s_axis_tvalid.value = 0
    dut.m_axis_tready.value = 0
    source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.aclk, dut.aresetn,
                             reset_active_level=False, byte_lanes=1)  # fmt: skip
    sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.aclk, dut.aresetn,
                         reset_active_level=False, byte_lanes=1)  # fmt: skip
    if plan.get("in_pause", 0) > 0:
        source.set_pause_generator(_pauses(plan["in_pause"], plan.get("seed", 0)))
    if plan.get("out_pause", 0) > 0:
        sink.set_pause_generator(_pauses(plan["out_pause"], plan.get("seed", 0) + 1))
    monitor = Monitor(dut)
    cocotb.start_soon(monitor.run())
    await ClockCycles(dut.aclk, 4)
    dut.aresetn.value = 1
    await ClockCycles(dut.aclk, 2)

    packets: list[list[int]] = []
    events: list[dict[str, int]] = []
    for step in plan["steps"]:
        if "lines" in step:
            for sof, pixels in step["lines"]:
                tuser = [0] * len(pixels)
                if sof:
                    tuser[0] = 1
                await source.send(AxiStreamFrame(tdata=list(pixels), tuser=tuser))
        elif "wait_sent" in step:
            await source.wait()
        elif "idle" in step:
            await source.wait()
            await ClockCycles(dut.aclk, int(step["idle"]))
        elif "reset" in step:
            await source.wait()
            await ClockCycles(dut.aclk, int(plan.get("settle_cycles", 64)))  # earlier packets come out
            while not sink.empty():
                packets.append([_signed32(v) for v in sink.recv_nowait().tdata])
            events.append({"reset_at": monitor.cycle})
            dut.aresetn.value = 0
            await ClockCycles(dut.aclk, int(step["reset"]))
            dut.aresetn.value = 1
            await ClockCycles(dut.aclk, 2)
        elif "clear_error" in step:
            dut.err_clear.value = 1
            await RisingEdge(dut.aclk)
            dut.err_clear.value = 0
    await source.wait()

    expected = int(plan["packets"])
    budget = int(plan.get("timeout_cycles", 100_000))
    start = monitor.cycle
    while len(packets) + sink.count() < expected and monitor.cycle - start < budget:
        await ClockCycles(dut.aclk, 16)
    await ClockCycles(dut.aclk, int(plan.get("settle_cycles", 64)))  # anything extra would show now
    while not sink.empty():
        packets.append([_signed32(v) for v in sink.recv_nowait().tdata])

    result = {
        "packets": packets,
        "in_beats": monitor.in_beats,
        "out_beats": monitor.out_beats,
        "in_stalls": monitor.in_stalls,
        "out_stalls": monitor.out_stalls,
        "cycles": monitor.cycle,
        "err_malformed": int(dut.err_malformed.value),
        "frame_count": int(dut.frame_count.value),
        "events": events,
        "timed_out": len(packets) < expected,
    }
    with open(os.environ["LEPTON_SIM_RESULT"], "w") as f:
        json.dump(result, f)
