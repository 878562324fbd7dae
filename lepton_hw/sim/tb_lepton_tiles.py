"""cocotb testbench of a tiled lepton_core (hardware.frame): registers through AXI4-Lite, frames, drops.

Run by tests/backends/rtl/test_tiles.py, which writes the case into the JSON file named by
LEPTON_TILES_CASE: the register offsets, the core's sizes and, for each frame the tests send, its
pixels (tdata words) and the packet the interpreter computes for it. Every check compares with
those packets or with counts derived from them, exactly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

CASE_FILE = os.environ.get("LEPTON_TILES_CASE")
CASE: dict[str, Any] = json.loads(Path(CASE_FILE).read_text()) if CASE_FILE else {}


def reg(name: str) -> int:
    return CASE["registers"][name]


class Core:
    """The DUT with a pixel driver, a result monitor and the register bus."""

    def __init__(self, dut: Any) -> None:
        self.dut = dut
        bus = AxiLiteBus.from_prefix(dut, "s_axil")
        self.axil = AxiLiteMaster(bus, dut.aclk, dut.aresetn, reset_active_level=False)
        self.beats: list[tuple[int, int, int]] = []  # (tdata as unsigned, tuser, tlast)
        self.stalls_in_frame = 0  # clocks with a pixel offered inside a frame and s_axis_tready low
        self.ready = True
        self.irq_rises = 0

    async def start(self) -> None:
        dut = self.dut
        cocotb.start_soon(Clock(dut.aclk, 10, unit="ns").start())  # type: ignore[arg-type]
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tuser.value = 0
        dut.s_axis_tlast.value = 0
        dut.s_axis_tdata.value = 0
        dut.m_axis_tready.value = 1
        dut.err_clear.value = 0
        dut.aresetn.value = 0
        await ClockCycles(dut.aclk, 5)
        dut.aresetn.value = 1
        await ClockCycles(dut.aclk, 3)
        cocotb.start_soon(self._monitor())

    async def _monitor(self) -> None:
        dut = self.dut
        irq = 0
        while True:
            await FallingEdge(dut.aclk)
            dut.m_axis_tready.value = int(self.ready)
            await RisingEdge(dut.aclk)
            if int(dut.m_axis_tvalid.value) and int(dut.m_axis_tready.value):
                self.beats.append(
                    (int(dut.m_axis_tdata.value), int(dut.m_axis_tuser.value), int(dut.m_axis_tlast.value))
                )
            now = int(dut.irq.value)
            self.irq_rises += int(now and not irq)
            irq = now

    async def send_lines(self, lines: list[tuple[int, list[int]]]) -> None:
        """Lines back to back, one pixel per clock: (start of frame, tdata words); tlast on each line's last."""
        dut = self.dut
        for sof, words in lines:
            for i, word in enumerate(words):
                dut.s_axis_tdata.value = word
                dut.s_axis_tuser.value = int(sof and i == 0)
                dut.s_axis_tlast.value = int(i == len(words) - 1)
                dut.s_axis_tvalid.value = 1
                await RisingEdge(dut.aclk)
                while not int(dut.s_axis_tready.value):  # the core must never do this inside a frame
                    self.stalls_in_frame += 1
                    await RisingEdge(dut.aclk)
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tuser.value = 0
        dut.s_axis_tlast.value = 0

    async def send_frames(self, frames: list[list[list[int]]]) -> None:
        for frame in frames:
            await self.send_lines([(int(r == 0), row) for r, row in enumerate(frame)])

    async def settle(self, clocks: int = 400) -> None:
        await ClockCycles(self.dut.aclk, clocks)

    def packets(self) -> list[list[int]]:
        """Packets (beats as signed 32-bit, as the Python side computes them); asserts tuser on each first beat."""
        out: list[list[int]] = []
        current: list[int] = []
        for data, user, last in self.beats:
            assert bool(user) == (not current), f"tuser {user} on beat {len(current)} of a packet"
            current.append(data - (1 << 32) if data >= 1 << 31 else data)
            if last:
                out.append(current)
                current = []
        assert not current, f"{len(current)} beats after the last tlast"
        return out

    async def read(self, name: str) -> int:
        return await self.axil.read_dword(reg(name))

    async def write(self, name: str, value: int) -> None:
        await self.axil.write_dword(reg(name), value)


def frames_of(key: str) -> tuple[list, list]:
    case = CASE[key]
    return case["frames"], case["packets"]


@cocotb.test()
async def frames_counts_and_interrupt(dut: Any) -> None:
    """Full-size frames back to back: packets equal the interpreter's, the camera never waits, the
    counters and the per-class counts follow, the interrupt fires once per frame when enabled."""
    core = Core(dut)
    await core.start()
    for name, value in CASE["reset_values"].items():
        got = await core.read(name)
        assert got == value, f"{name} reads {got:#x} after reset, expected {value:#x}"
    await core.write("IRQ_MASK", 1)
    frames, packets = frames_of("full")
    await core.send_frames(frames)
    await core.settle()
    assert core.stalls_in_frame == 0, f"s_axis_tready was low {core.stalls_in_frame} clock(s) inside frames"
    assert core.packets() == packets
    assert await core.read("FRAME_COUNT") == len(frames)
    assert await core.read("DROPPED_COUNT") == 0
    last = packets[-1]
    per_tile = CASE["outputs"] + 1
    classes = [last[k] & 0xFFFF for k in range(0, len(last), per_tile)]
    for k in range(CASE["outputs"]):
        assert await core.read(f"CLASS_COUNT_{k}") == classes.count(k), f"CLASS_COUNT[{k}]"
    assert core.irq_rises >= 1 and int(dut.irq.value) == 1
    assert await core.read("IRQ_STATUS") == 1
    await core.write("IRQ_STATUS", 1)
    await ClockCycles(dut.aclk, 2)
    assert int(dut.irq.value) == 0 and await core.read("IRQ_STATUS") == 0
    # masked: the status is set at the end of a frame, the line stays low
    await core.write("IRQ_MASK", 0)
    await core.send_frames(frames[:1])
    await core.settle()
    assert await core.read("IRQ_STATUS") == 1 and int(dut.irq.value) == 0


@cocotb.test()
async def smaller_frame_at_run_time(dut: Any) -> None:
    """FRAME_WIDTH/HEIGHT below the maximum: frames of that size give their tiles' packets; a size
    outside the accepted range sets ERRORS.BAD_SIZE and is not used."""
    core = Core(dut)
    await core.start()
    full, full_packets = frames_of("full")
    await core.send_frames(full[:1])  # a frame of the largest size first: the lines restart at the new size
    await core.settle()
    small = CASE["small"]
    await core.write("FRAME_WIDTH", small["width"])
    await core.write("FRAME_HEIGHT", small["height"])
    await ClockCycles(dut.aclk, 40)  # the tile counts are worked out in a few clocks, then used
    assert await core.read("STATUS") & 2 == 0, "SIZE_PENDING still set on an idle core"
    frames, packets = frames_of("small")
    await core.send_frames(frames)
    await core.settle()
    assert core.stalls_in_frame == 0
    assert core.packets() == [full_packets[0], *packets]
    for name, value in (("FRAME_WIDTH", CASE["max_width"] + 1), ("FRAME_HEIGHT", CASE["tile_height"] - 1)):
        await core.write(name, value)
        assert await core.read(name) == small[name.split("_")[1].lower()], f"{name} took the bad value {value}"
    assert await core.read("ERRORS") & 4, "ERRORS.BAD_SIZE not set"
    assert await core.read("MALFORMED_COUNT") == 0


@cocotb.test()
async def stalled_output_drops_and_counts(dut: Any) -> None:
    """m_axis_tready low for whole frames: the camera still never waits; the tiles that come out are
    the interpreter's, in order, never duplicated; the others are counted in DROPPED_COUNT exactly."""
    core = Core(dut)
    await core.start()
    frames, packets = frames_of("full")
    core.ready = False
    await core.send_frames(frames)
    await core.settle()
    core.ready = True
    await core.settle()
    assert core.stalls_in_frame == 0, f"s_axis_tready was low {core.stalls_in_frame} clock(s) inside frames"
    per_tile = CASE["outputs"] + 1
    expected = [tuple(p[k : k + per_tile]) for p in packets for k in range(0, len(p), per_tile)]
    got = [tuple(p[k : k + per_tile]) for p in core.packets() for k in range(0, len(p), per_tile)]
    # in order: each delivered tile is the next one of the expected sequence that has its value
    position = 0
    for tile in got:
        while position < len(expected) and expected[position] != tile:
            position += 1
        assert position < len(expected), f"delivered tile {tile} is not the interpreter's next"
        position += 1
    dropped = await core.read("DROPPED_COUNT")
    assert dropped == len(expected) - len(got) and dropped > 0, (dropped, len(expected), len(got))
    assert await core.read("ERRORS") & 2, "ERRORS.DROPPED not set"
    assert await core.read("FRAME_COUNT") == len(frames)


@cocotb.test()
async def malformed_frames_resynchronize(dut: Any) -> None:
    """A short line, a long line, an early start of frame and a frame with a line too many are each
    flagged and counted; the camera never waits; the next good frame is classified exactly."""
    core = Core(dut)
    await core.start()
    frames, packets = frames_of("full")
    good = frames[0]
    short_line = [row[:] for row in good]
    short_line[1] = short_line[1][:-3]
    long_line = [row[:] for row in good]
    long_line[2] = long_line[2] + [7, 7]
    for bad in (short_line, long_line):
        await core.send_lines([(int(r == 0), row) for r, row in enumerate(bad)])
        await core.settle(len(good) * len(good[0]) + 100)  # the fill of the rest of the frame
    await core.send_lines([(int(r == 0), row) for r, row in enumerate(good[:3])])  # cut short by the next frame
    await core.send_frames([good])  # its start of frame is taken as the malformation: dropped
    await core.settle(len(good) * len(good[0]) + 100)
    await core.send_lines([(int(r == 0), row) for r, row in enumerate([*good, good[0]])])  # a line too many
    await core.settle()
    before = len(core.packets())
    await core.send_frames([good])
    await core.settle()
    assert core.stalls_in_frame == 0
    assert core.packets()[before:] == [packets[0]], "the good frame after the malformed ones"
    assert await core.read("MALFORMED_COUNT") == 4
    assert await core.read("ERRORS") & 1
    assert int(dut.err_malformed.value) == 1
