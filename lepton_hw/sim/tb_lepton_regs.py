"""cocotb testbench of the generated register block ``lepton_regs`` (lepton_hw.backends.rtl.regmap).

The register map it was generated from comes as JSON (``regmap.to_json``, path in $LEPTON_REGS_MAP):
the tests take offsets, fields and reset values from it, and :class:`Model` (a few lines of Python
per field kind) predicts every read. Most tests drive the bus through cocotbext-axi's AxiLiteMaster
(prefix ``s_axil``); the ones that need a transfer in an exact clock (a clear in the same clock as
an event, AW before W and W before AW, responses held against bready/rready low) drive the
signals themselves (:class:`RawBus`; no master exists in those tests).

Timing convention (as tb_lepton_core): the inputs of a clock are written after a rising edge; the
outputs are read at the falling edge, which is what the next rising edge sees.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiResp

EVENTS = ("ev_frame_end", "ev_malformed", "ev_dropped")
SEED = int(os.environ.get("LEPTON_REGS_SEED", "1"))
WRITE_CLOCKS = 2  # a register is written this many clocks after both of its beats are held (regmap.py)
READ_CLOCKS = 4  # rvalid rises this many clocks after the read address is taken (regmap.py)


# ----------------------------------------------------------------------------- the map and its model
def load_map() -> dict[str, Any]:
    return json.loads(Path(os.environ["LEPTON_REGS_MAP"]).read_text())


def ident(reg: dict[str, Any]) -> str:
    return reg["name"] if "index" not in reg else f"{reg['name']}_{reg['index']}"


def field_mask(f: dict[str, Any]) -> int:
    return ((1 << f["width"]) - 1) << f["lsb"]


def lane_mask(strb: int) -> int:
    return sum(0xFF << (8 * lane) for lane in range(4) if strb >> lane & 1)


@dataclass
class Model:
    """What every register should read: stored fields, live inputs, constants."""

    regmap: dict[str, Any]
    state: dict[tuple[str, str], int] = field(default_factory=dict)
    inputs: dict[str, int] = field(default_factory=lambda: {"busy": 0, "size_pending": 0})

    def __post_init__(self) -> None:
        self.regs = {ident(r): r for r in self.regmap["registers"]}
        self.by_offset = {r["offset"]: r for r in self.regmap["registers"]}
        self.reset()

    def reset(self) -> None:
        self.state = {(ident(r), f["name"]): f["reset"] for r in self.regmap["registers"] for f in r["fields"]}

    def offset(self, name: str) -> int:
        return int(self.regs[name]["offset"])

    def field(self, path: str) -> dict[str, Any]:
        name, _, fname = path.partition(".")
        return next(f for f in self.regs[name]["fields"] if f["name"] == fname)

    def read(self, addr: int) -> int:
        reg = self.by_offset.get(addr & ~3)
        if reg is None:
            return 0
        word = 0
        for f in reg["fields"]:
            if f["hw"] == "status":
                value = self.inputs[f["source"]]
            elif f["hw"] == "const":
                value = f["reset"]
            else:
                value = self.state[(ident(reg), f["name"])]
            word |= value << f["lsb"]
        return word

    def write(self, addr: int, data: int, strb: int = 0xF) -> None:
        reg = self.by_offset.get(addr & ~3)
        if reg is None or reg["access"] == "ro":
            return
        mask = lane_mask(strb)
        if reg["access"] == "w1c":
            for f in reg["fields"]:
                if data & mask & field_mask(f):
                    self.state[(ident(reg), f["name"])] = 0
            return
        word = (self.read(addr) & ~mask) | (data & mask)
        for f in reg["fields"]:
            if "accept" in f and not f["accept"][0] <= word <= f["accept"][1]:
                name, _, fname = f["reject"].partition(".")
                self.state[(name, fname)] = 1
                continue
            self.state[(ident(reg), f["name"])] = (word & field_mask(f)) >> f["lsb"]

    def event(self, name: str, class_counts: int = 0) -> None:
        """One clock with the pulse ``name`` high (after any write of that clock: a set wins)."""
        for reg in self.regmap["registers"]:
            for f in reg["fields"]:
                if f.get("event") != name:
                    continue
                key = (ident(reg), f["name"])
                if f["hw"] == "counter":
                    self.state[key] = (self.state[key] + 1) % (1 << f["width"])
                elif f["hw"] == "sticky":
                    self.state[key] = 1
                elif f["hw"] == "capture":
                    match = re.fullmatch(r"class_counts\[(\d+):(\d+)\]", f["source"])
                    assert match is not None, f["source"]
                    self.state[key] = (class_counts >> int(match[2])) & ((1 << f["width"]) - 1)

    def irq(self) -> int:
        status, mask = (self.read(self.offset(n)) for n in ("IRQ_STATUS", "IRQ_MASK"))
        return int(status & mask != 0)

    def outputs(self) -> dict[str, int]:
        out = {f["output"]: self.state[(ident(r), f["name"])] for r in self.regmap["registers"] for f in r["fields"]
               if "output" in f}  # fmt: skip
        return {**out, "irq": self.irq()}


# ----------------------------------------------------------------------------- bench
class Bench:
    """Clock, reset, the core-side inputs, and (unless ``master=False``) an AxiLiteMaster."""

    def __init__(self, dut: Any, master: bool = True) -> None:
        self.dut = dut
        self.model = Model(load_map())
        self.rng = random.Random(SEED)
        self.class_counts = 0
        self.axil: AxiLiteMaster | None = None
        if master:
            self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
            for channel in (self.axil.write_if, self.axil.read_if):
                channel.log.setLevel(logging.WARNING)

    async def start(self) -> Bench:
        dut = self.dut
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())  # type: ignore[arg-type]
        if self.axil is None:
            for name in ("awvalid", "wvalid", "bready", "arvalid", "rready", "awaddr", "wdata", "araddr"):
                getattr(dut, f"s_axil_{name}").value = 0
            dut.s_axil_wstrb.value = 0
        for name in (*EVENTS, "busy", "size_pending", "class_counts"):
            getattr(dut, name).value = 0
        dut.rst.value = 1
        await ClockCycles(dut.clk, 4)
        dut.rst.value = 0
        await ClockCycles(dut.clk, 2)
        return self

    def off(self, name: str) -> int:
        return self.model.offset(name)

    async def read(self, addr: int) -> int:
        assert self.axil is not None
        resp = await self.axil.read(addr, 4)
        assert resp.resp == AxiResp.OKAY, f"read 0x{addr:03X}: {resp.resp}"
        return int.from_bytes(resp.data, "little")

    async def write(self, addr: int, value: int, strb: int = 0xF) -> None:
        """A write through the master; ``strb`` must be contiguous lanes (the master derives it)."""
        assert self.axil is not None
        lanes = [lane for lane in range(4) if strb >> lane & 1]
        assert lanes == list(range(lanes[0], lanes[-1] + 1)), f"strobes {strb:04b} are not contiguous"
        data = value.to_bytes(4, "little")[lanes[0] : lanes[-1] + 1]
        resp = await self.axil.write(addr + lanes[0], data)
        assert resp.resp == AxiResp.OKAY, f"write 0x{addr:03X}: {resp.resp}"
        self.model.write(addr, value, strb)

    async def pulse(self, *events: str, clocks: int = 1) -> None:
        """Hold ``events`` high for ``clocks`` clocks (each clock one pulse)."""
        await RisingEdge(self.dut.clk)
        for name in events:
            getattr(self.dut, name).value = 1
        self.dut.class_counts.value = self.class_counts
        await ClockCycles(self.dut.clk, clocks)
        for name in events:
            getattr(self.dut, name).value = 0
        for _ in range(clocks):
            for name in events:
                self.model.event(name, self.class_counts)
        await RisingEdge(self.dut.clk)

    async def check_all(self, why: str) -> None:
        """Every register reads what the model says, and the outputs show it."""
        for reg in self.model.regmap["registers"]:
            got = await self.read(reg["offset"])
            want = self.model.read(reg["offset"])
            assert got == want, f"{why}: {ident(reg)} reads 0x{got:08X}, expected 0x{want:08X}"
        await self.check_outputs(why)

    async def check_outputs(self, why: str) -> None:
        await FallingEdge(self.dut.clk)
        for name, want in self.model.outputs().items():
            got = int(getattr(self.dut, name).value)
            assert got == want, f"{why}: output {name} is {got}, expected {want}"


class RawBus:
    """Drives s_axil itself, clock by clock, and checks what the slave does (no master in the test)."""

    def __init__(self, dut: Any) -> None:
        self.dut = dut

    async def write(
        self, addr: int, data: int, strb: int = 0xF, aw_at: int = 0, w_at: int = 0, bready_at: int = 0,
        events: dict[int, tuple[str, ...]] | None = None, watch: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """One write: AW valid from clock ``aw_at``, W from ``w_at``, bready from ``bready_at`` (clocks
        counted from the call), ``events`` high in the clocks given. Returns the clocks of the AW, W and
        B handshakes and, with ``watch``, that output's value in every clock. Checks that B, once valid,
        stays valid and OKAY until bready, and that nothing more is taken while a transfer is held."""
        dut, events = self.dut, events or {}
        done: dict[str, Any] = {"aw": None, "w": None, "b": None, "watch": []}
        clock = 0
        b_first = None
        while done["b"] is None:
            assert clock < 100, f"write 0x{addr:03X} did not complete: AW at {done['aw']}, W at {done['w']}"
            aw_valid = done["aw"] is None and clock >= aw_at
            w_valid = done["w"] is None and clock >= w_at
            dut.s_axil_awvalid.value = int(aw_valid)
            dut.s_axil_awaddr.value = addr
            dut.s_axil_wvalid.value = int(w_valid)
            dut.s_axil_wdata.value = data
            dut.s_axil_wstrb.value = strb
            dut.s_axil_bready.value = int(clock >= bready_at)
            for name in EVENTS:
                getattr(dut, name).value = int(name in events.get(clock, ()))
            await FallingEdge(dut.clk)
            if watch:
                done["watch"].append(int(getattr(dut, watch).value))
            if done["aw"] is not None:
                assert not int(dut.s_axil_awready.value), f"clock {clock}: awready with an address held"
            if done["w"] is not None:
                assert not int(dut.s_axil_wready.value), f"clock {clock}: wready with data held"
            if aw_valid and int(dut.s_axil_awready.value):
                done["aw"] = clock
            if w_valid and int(dut.s_axil_wready.value):
                done["w"] = clock
            if int(dut.s_axil_bvalid.value):
                assert int(dut.s_axil_bresp.value) == 0, f"clock {clock}: bresp {int(dut.s_axil_bresp.value)}"
                b_first = clock if b_first is None else b_first
                if clock >= bready_at:
                    done["b"] = clock
            else:
                assert b_first is None, f"clock {clock}: bvalid dropped before bready"
            await RisingEdge(dut.clk)
            clock += 1
        for name in ("awvalid", "wvalid", "bready"):
            getattr(dut, f"s_axil_{name}").value = 0
        for name in EVENTS:
            getattr(dut, name).value = 0
        done["b_first"] = b_first
        return done

    async def read(self, addr: int, ar_at: int = 0, rready_at: int = 0) -> dict[str, Any]:
        """One read; checks that R, once valid, holds its data and OKAY until rready."""
        dut = self.dut
        done: dict[str, Any] = {"ar": None, "r": None, "r_first": None, "data": None}
        clock = 0
        while done["r"] is None:
            assert clock < 100, f"read 0x{addr:03X} did not complete: {done}"
            ar_valid = done["ar"] is None and clock >= ar_at
            dut.s_axil_arvalid.value = int(ar_valid)
            dut.s_axil_araddr.value = addr
            dut.s_axil_rready.value = int(clock >= rready_at)
            await FallingEdge(dut.clk)
            if done["ar"] is not None:
                assert not int(dut.s_axil_arready.value), f"clock {clock}: arready with a read response waiting"
            if ar_valid and int(dut.s_axil_arready.value):
                done["ar"] = clock
            if int(dut.s_axil_rvalid.value):
                assert int(dut.s_axil_rresp.value) == 0, f"clock {clock}: rresp {int(dut.s_axil_rresp.value)}"
                data = int(dut.s_axil_rdata.value)
                if done["r_first"] is None:
                    done["r_first"], done["data"] = clock, data
                assert data == done["data"], f"clock {clock}: rdata changed from {done['data']:#x} to {data:#x}"
                if clock >= rready_at:
                    done["r"] = clock
            else:
                assert done["r_first"] is None, f"clock {clock}: rvalid dropped before rready"
            await RisingEdge(dut.clk)
            clock += 1
        dut.s_axil_arvalid.value = 0
        dut.s_axil_rready.value = 0
        return done


# ----------------------------------------------------------------------------- tests
@cocotb.test()
async def reset_values_read_back(dut: Any) -> None:
    bench = await Bench(dut).start()
    model = bench.model
    for reg in model.regmap["registers"]:
        got = await bench.read(reg["offset"])
        assert got == reg["reset"], f"{ident(reg)} reads 0x{got:08X} after reset, expected 0x{reg['reset']:08X}"
    top = max(r["offset"] for r in model.regmap["registers"])
    for addr in (top + 4, top + 8, 0x800, 0xFFC):
        got = await bench.read(addr)
        assert got == 0, f"unmapped 0x{addr:03X} reads 0x{got:08X}"
    # a one-byte read of lane 1 of ID: the master takes byte 1 of the word ("LPTH" -> 'T')
    resp = await bench.axil.read(bench.off("ID") + 1, 1)  # type: ignore[union-attr]
    assert resp.data == bytes([model.read(0) >> 8 & 0xFF]), resp
    await bench.check_outputs("after reset")


@cocotb.test()
async def rw_registers_read_back_writes(dut: Any) -> None:
    bench = await Bench(dut).start()
    rw = [r for r in bench.model.regmap["registers"] if r["access"] == "rw"]
    for reg in rw:
        fields = reg["fields"]
        for k in range(6):
            if "accept" in fields[0]:
                lo, hi = fields[0]["accept"]
                value = bench.rng.randint(lo, hi)
            else:
                value = bench.rng.getrandbits(32) if k else 0xFFFFFFFF
            await bench.write(reg["offset"], value)
            got = await bench.read(reg["offset"])
            want = bench.model.read(reg["offset"])
            assert got == want, f"{ident(reg)}: wrote 0x{value:08X}, reads 0x{got:08X}, expected 0x{want:08X}"
            await bench.check_outputs(f"{ident(reg)} = 0x{want:08X}")
    # byte lanes: a write of one lane leaves the other lanes alone
    control = bench.off("CONTROL")
    await bench.write(control, 0x1)
    await bench.write(control, 0x0, strb=0b0010)  # lane 1 only: ENABLE (bit 0) unchanged
    assert await bench.read(control) == 1, "a write of lane 1 changed bit 0"
    await bench.write(control, 0xFFFFFF00, strb=0b1110)
    assert await bench.read(control) == 1, "a write of lanes 1-3 changed bit 0"
    await bench.write(control, 0xFFFFFFFE, strb=0b0001)
    assert await bench.read(control) == 0, "a write of lane 0 did not clear bit 0"
    await bench.check_outputs("ENABLE cleared through lane 0")
    width = bench.off("FRAME_WIDTH")
    lo, hi = bench.model.field("FRAME_WIDTH.VALUE")["accept"]
    await bench.write(width, hi)
    await bench.write(width, lo & 0xFF, strb=0b0001)  # lane 0 only: the upper byte stays hi's
    composed = (hi & 0xFF00) | (lo & 0xFF)
    assert await bench.read(width) == bench.model.read(width)
    assert not lo <= composed <= hi or bench.model.read(width) == composed
    await bench.check_all("after the byte-lane writes")


@cocotb.test()
async def ro_registers_ignore_writes(dut: Any) -> None:
    bench = await Bench(dut).start()
    bench.class_counts = bench.rng.getrandbits(32 * bench.model.regmap["n_classes"])
    await bench.pulse(*EVENTS, clocks=3)  # counters and captures away from their reset values
    dut.busy.value = 1
    bench.model.inputs["busy"] = 1
    for reg in bench.model.regmap["registers"]:
        if reg["access"] != "ro":
            continue
        for value, strb in ((0xFFFFFFFF, 0xF), (0x0, 0xF), (bench.rng.getrandbits(32), 0b0110)):
            await bench.write(reg["offset"], value, strb)
            got = await bench.read(reg["offset"])
            want = bench.model.read(reg["offset"])
            assert got == want, f"{ident(reg)} changed to 0x{got:08X} by a write of 0x{value:08X}"
    for addr in (0x800, 0xFFC):  # unmapped: ignored too
        await bench.write(addr, 0xFFFFFFFF)
    await bench.check_all("after writes to read-only and unmapped addresses")
    dut.busy.value = 0


@cocotb.test()
async def w1c_clears_only_written_ones(dut: Any) -> None:
    bench = await Bench(dut).start()
    errors, irq_status = bench.off("ERRORS"), bench.off("IRQ_STATUS")
    all_errors = sum(field_mask(f) for f in bench.model.regs["ERRORS"]["fields"])
    await bench.pulse("ev_malformed", "ev_dropped", "ev_frame_end")
    await bench.write(bench.off("FRAME_WIDTH"), 0)  # refused: sets BAD_SIZE
    assert await bench.read(errors) == all_errors
    assert await bench.read(irq_status) == 1
    await bench.write(errors, 0)  # zeros clear nothing
    assert await bench.read(errors) == all_errors
    await bench.write(errors, 0xFF, strb=0b0010)  # ones, but not in the lane of the bits
    assert await bench.read(errors) == all_errors
    dropped = field_mask(bench.model.field("ERRORS.DROPPED"))
    await bench.write(errors, dropped)
    assert await bench.read(errors) == all_errors & ~dropped, "clearing DROPPED cleared other bits"
    await bench.write(errors, 0xFFFFFFFF)
    assert await bench.read(errors) == 0
    assert await bench.read(irq_status) == 1, "clearing ERRORS touched IRQ_STATUS"
    await bench.write(irq_status, 1)
    assert await bench.read(irq_status) == 0
    await bench.check_all("after the clears")


@cocotb.test()
async def w1c_set_in_the_clearing_clock_wins(dut: Any) -> None:
    bench = await Bench(dut, master=False).start()
    bus = RawBus(dut)
    model = bench.model
    for reg, path, event in (("ERRORS", "ERRORS.MALFORMED", "ev_malformed"), ("IRQ_STATUS", "IRQ_STATUS.END_OF_FRAME",
                                                                            "ev_frame_end")):  # fmt: skip
        addr, bit = model.offset(reg), field_mask(model.field(path))
        done = await bus.write(0x800, 0, events={0: (event,)})  # set it (the write goes nowhere)
        assert (await bus.read(addr))["data"] & bit, f"{path} not set by {event}"
        done = await bus.write(addr, bit)  # a clear alone clears it
        assert done["aw"] == done["w"] == 0
        assert not (await bus.read(addr))["data"] & bit, f"{path} not cleared"
        await bus.write(0x800, 0, events={0: (event,)})
        # the register is written WRITE_CLOCKS clocks after both beats are taken
        done = await bus.write(addr, bit, events={WRITE_CLOCKS: (event,)})  # the clear and a new event in one clock
        assert done["aw"] == done["w"] == 0, f"the write's beats were not taken at once: {done}"
        assert (await bus.read(addr))["data"] & bit, f"{path}: the clear won over an event in the same clock"
        done = await bus.write(addr, bit, events={WRITE_CLOCKS + 1: (event,)})  # the event one clock after the clear
        assert (await bus.read(addr))["data"] & bit, f"{path}: an event after the clear was lost"
        done = await bus.write(addr, bit, events={})
        assert not (await bus.read(addr))["data"] & bit


@cocotb.test()
async def bad_frame_sizes_are_refused(dut: Any) -> None:
    bench = await Bench(dut).start()
    model = bench.model
    errors, bad = bench.off("ERRORS"), field_mask(model.field("ERRORS.BAD_SIZE"))
    for name in ("FRAME_WIDTH", "FRAME_HEIGHT"):
        addr = bench.off(name)
        lo, hi = model.field(f"{name}.VALUE")["accept"]
        for good in (lo, hi, bench.rng.randint(lo, hi), hi):
            await bench.write(addr, good)
            assert await bench.read(addr) == good, f"{name}: {good} not stored"
            assert not await bench.read(errors) & bad, f"{name}: {good} set BAD_SIZE"
            await bench.check_outputs(f"{name} = {good}")
        keep = model.read(addr)
        for wrong in (0, lo - 1, hi + 1, 0xFFFF, 0x10000 | lo, 0xFFFFFFFF):
            await bench.write(addr, wrong)
            got = await bench.read(addr)
            assert got == keep, f"{name}: {wrong:#x} was not refused (reads {got:#x}, kept {keep:#x})"
            assert await bench.read(errors) & bad, f"{name}: {wrong:#x} did not set BAD_SIZE"
            await bench.check_outputs(f"{name} refused {wrong:#x}")
            await bench.write(errors, bad)
            assert not await bench.read(errors) & bad
        # judged on the whole word after the strobes: lane 2 = 0x01 makes it 0x10000 + the 16-bit field
        await bench.write(addr, 0x01 << 16, strb=0b0100)
        assert await bench.read(addr) == keep and await bench.read(errors) & bad
        await bench.write(errors, bad)
    await bench.check_all("after the frame sizes")


@cocotb.test()
async def counters_count_every_pulse(dut: Any) -> None:
    bench = await Bench(dut).start()
    n_classes = bench.model.regmap["n_classes"]
    rng = bench.rng
    counts = dict.fromkeys(EVENTS, 0)
    last_counts = 0
    await RisingEdge(dut.clk)
    for _ in range(400):  # random pulses, several in a row at times, in 400 clocks
        high = {name: rng.random() < p for name, p in zip(EVENTS, (0.3, 0.5, 0.15), strict=True)}
        counts_now = rng.getrandbits(32 * n_classes)
        for name, on in high.items():
            getattr(dut, name).value = int(on)
            counts[name] += on
        dut.class_counts.value = counts_now
        if high["ev_frame_end"]:
            last_counts = counts_now
        for name, on in high.items():
            if on:
                bench.model.event(name, counts_now)
        await RisingEdge(dut.clk)
    for name in EVENTS:
        getattr(dut, name).value = 0
    dut.class_counts.value = 0
    for reg, event in (("FRAME_COUNT", "ev_frame_end"), ("MALFORMED_COUNT", "ev_malformed"),
                       ("DROPPED_COUNT", "ev_dropped")):  # fmt: skip
        got = await bench.read(bench.off(reg))
        assert got == counts[event], f"{reg} counted {got} of {counts[event]} pulses"
    for k in range(n_classes):
        got = await bench.read(bench.off(f"CLASS_COUNT_{k}"))
        assert got == (last_counts >> (32 * k)) & 0xFFFFFFFF, f"CLASS_COUNT[{k}] is not the last frame end's"
    await bench.check_all("after random pulses")


@cocotb.test()
async def class_counts_latch_at_frame_end(dut: Any) -> None:
    bench = await Bench(dut).start()
    n = bench.model.regmap["n_classes"]
    first = sum((k + 1) * 0x01010101 << (32 * k) for k in range(n))
    second = sum((0xA0000000 + k) << (32 * k) for k in range(n))

    async def class_words() -> list[int]:
        return [await bench.read(bench.off(f"CLASS_COUNT_{k}")) for k in range(n)]

    dut.class_counts.value = first
    await ClockCycles(dut.clk, 3)
    assert await class_words() == [0] * n, "CLASS_COUNT loaded without ev_frame_end"
    bench.class_counts = first
    await bench.pulse("ev_frame_end")
    assert await class_words() == [(first >> (32 * k)) & 0xFFFFFFFF for k in range(n)]
    dut.class_counts.value = second
    await ClockCycles(dut.clk, 3)
    assert await class_words() == [(first >> (32 * k)) & 0xFFFFFFFF for k in range(n)], "not held until the next"
    bench.class_counts = second
    await bench.pulse("ev_frame_end")
    assert await class_words() == [(second >> (32 * k)) & 0xFFFFFFFF for k in range(n)]
    await bench.check_all("after two frame ends")


@cocotb.test()
async def irq_follows_status_and_mask(dut: Any) -> None:
    bench = await Bench(dut).start()
    mask, status = bench.off("IRQ_MASK"), bench.off("IRQ_STATUS")

    async def irq_is(want: int, why: str) -> None:
        await FallingEdge(dut.clk)
        assert int(dut.irq.value) == want, f"irq {int(dut.irq.value)} {why}"

    await irq_is(0, "after reset")
    await bench.pulse("ev_frame_end")
    await irq_is(0, "with the cause masked")
    await bench.pulse("ev_malformed", "ev_dropped")
    await irq_is(0, "from ERRORS (not an interrupt cause)")
    await bench.write(mask, 1)
    await irq_is(1, "with IRQ_STATUS & IRQ_MASK set")
    await bench.write(status, 1)
    await irq_is(0, "after the cause was cleared")
    await bench.pulse("ev_frame_end")
    await irq_is(1, "at a frame end, unmasked")
    await bench.write(mask, 0)
    await irq_is(0, "masked again")
    assert await bench.read(status) == 1, "masking cleared IRQ_STATUS"
    await bench.check_all("after the interrupt sequence")


@cocotb.test()
async def status_bits_follow_inputs(dut: Any) -> None:
    bench = await Bench(dut).start()
    for busy, pending in ((1, 0), (0, 1), (1, 1), (0, 0)):
        dut.busy.value, dut.size_pending.value = busy, pending
        bench.model.inputs.update(busy=busy, size_pending=pending)
        await RisingEdge(dut.clk)
        got, want = await bench.read(bench.off("STATUS")), bench.model.read(bench.off("STATUS"))
        assert got == want, f"STATUS 0x{got:X} with busy={busy} size_pending={pending}, expected 0x{want:X}"


@cocotb.test()
async def writes_in_either_channel_order(dut: Any) -> None:
    bench = await Bench(dut, master=False).start()
    bus = RawBus(dut)
    addr = bench.off("FRAME_WIDTH")
    lo, hi = bench.model.field("FRAME_WIDTH.VALUE")["accept"]
    values = [lo, hi, (lo + hi) // 2 or lo]
    for (aw_at, w_at), value in zip(((0, 4), (4, 0), (0, 0), (2, 2)), [*values, lo], strict=True):
        before = int(dut.frame_width.value)
        done = await bus.write(addr, value, aw_at=aw_at, w_at=w_at, watch="frame_width")
        assert (done["aw"], done["w"]) == (aw_at, w_at), f"AW/W taken at {done['aw']}/{done['w']}"
        # both beats are held at the edge that ends clock `last`; the register is written two clocks after
        # (WRITE_CLOCKS: one to register the decode and range checks, one to write)
        last = max(aw_at, w_at) + WRITE_CLOCKS
        seen = done["watch"]
        assert all(v == before for v in seen[: last + 1]), f"frame_width changed before both AW and W: {seen}"
        assert seen[last + 1] == value, f"frame_width {seen[last + 1]} after AW at {aw_at}, W at {w_at}"
        assert done["b_first"] == last + 1, f"B at {done['b_first']}, expected the clock after the write"
        assert (await bus.read(addr))["data"] == value


@cocotb.test()
async def master_orders_aw_and_w(dut: Any) -> None:
    """The same through AxiLiteMaster: one channel paused while the other goes first."""
    bench = await Bench(dut).start()
    axil = bench.axil
    assert axil is not None
    addr = bench.off("FRAME_WIDTH")
    lo, hi = bench.model.field("FRAME_WIDTH.VALUE")["accept"]
    for first, second, value in (
        (axil.write_if.aw_channel, axil.write_if.w_channel, lo),
        (axil.write_if.w_channel, axil.write_if.aw_channel, hi),
    ):
        second.pause = True
        write = cocotb.start_soon(bench.write(addr, value))
        await ClockCycles(dut.clk, 6)
        assert not write.done(), "the write completed with one channel paused"
        assert first.idle(), "the first channel's beat was not taken"
        second.pause = False
        await write
        assert await bench.read(addr) == value


@cocotb.test()
async def responses_wait_for_ready(dut: Any) -> None:
    bench = await Bench(dut, master=False).start()
    bus = RawBus(dut)
    mask = bench.off("IRQ_MASK")
    done = await bus.write(mask, 1, bready_at=6)  # RawBus checks bvalid/bresp held and awready low
    # the write in clock WRITE_CLOCKS, its response from the clock after
    assert done["b_first"] == WRITE_CLOCKS + 1 and done["b"] == 6, done
    done = await bus.read(mask, rready_at=5)  # ... and rvalid/rdata held and arready low
    assert (done["r_first"], done["r"], done["data"]) == (READ_CLOCKS, 5, 1), done
    done = await bus.read(bench.off("ID"), rready_at=3)
    assert done["data"] == bench.model.read(0), done
    # a write's response waiting does not hold up a read
    write = cocotb.start_soon(bus.write(mask, 0, bready_at=12))
    await ClockCycles(dut.clk, 3)
    assert (await bus.read(bench.off("N_CLASSES")))["data"] == bench.model.regmap["n_classes"]
    assert not write.done(), "the write's response did not wait for bready"
    await write


@cocotb.test()
async def random_traffic_with_backpressure(dut: Any) -> None:
    """Random writes and reads against the model, every channel paused at random, B and R watched."""
    bench = await Bench(dut).start()
    axil = bench.axil
    assert axil is not None
    rng = bench.rng
    for channel in (axil.write_if.aw_channel, axil.write_if.w_channel, axil.write_if.b_channel,
                    axil.read_if.ar_channel, axil.read_if.r_channel):  # fmt: skip
        channel.set_pause_generator(iter(lambda: rng.random() < 0.4, None))
    violations: list[str] = []

    async def watch() -> None:
        held: dict[str, tuple[int, ...] | None] = {"b": None, "r": None}
        while True:
            await FallingEdge(dut.clk)
            for ch, payload in (("b", ("bresp",)), ("r", ("rdata", "rresp"))):
                valid = int(getattr(dut, f"s_axil_{ch}valid").value)
                ready = int(getattr(dut, f"s_axil_{ch}ready").value)
                now = tuple(int(getattr(dut, f"s_axil_{p}").value) for p in payload) if valid else None
                if held[ch] is not None and now != held[ch]:
                    violations.append(f"{ch}: {held[ch]} changed to {now} while waiting for ready")
                held[ch] = now if valid and not ready else None

    cocotb.start_soon(watch())
    offsets = [r["offset"] for r in bench.model.regmap["registers"]] + [0x800]
    for _ in range(120):
        addr = rng.choice(offsets)
        if rng.random() < 0.5:
            lanes = rng.choice((0xF, 0xF, 0b0001, 0b0010, 0b1100, 0b0110))
            await bench.write(addr, rng.getrandbits(32) if rng.random() < 0.5 else rng.randint(0, 200), lanes)
        else:
            got, want = await bench.read(addr), bench.model.read(addr)
            assert got == want, f"0x{addr:03X} reads 0x{got:08X}, expected 0x{want:08X}"
        if rng.random() < 0.2:
            bench.class_counts = rng.getrandbits(32 * bench.model.regmap["n_classes"])
            await bench.pulse(rng.choice(EVENTS))
    assert not violations, violations[:5]
    await bench.check_all("after random traffic")


@cocotb.test()
async def reset_restores_reset_values(dut: Any) -> None:
    bench = await Bench(dut).start()
    bench.class_counts = (1 << (32 * bench.model.regmap["n_classes"])) - 1
    await bench.pulse(*EVENTS, clocks=2)
    for name, value in (("CONTROL", 0), ("IRQ_MASK", 1)):
        await bench.write(bench.off(name), value)
    lo = bench.model.field("FRAME_HEIGHT.VALUE")["accept"][0]
    await bench.write(bench.off("FRAME_HEIGHT"), lo)
    await bench.check_all("before the reset")
    await RisingEdge(dut.clk)
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)
    bench.model.reset()
    await bench.check_all("after a reset")
