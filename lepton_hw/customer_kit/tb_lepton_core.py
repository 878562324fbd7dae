"""cocotb tests of the camera classifier core, against the golden packets of golden.json.

golden.json was written by lepton_hw from its integer interpreter (the bit-exact golden model of the
network): the test frames as AXI4-Stream tdata words, line by line, and the result packet the core must
send for each frame. Every check compares with those packets, or with counts derived from them.

Two kinds of core (golden.json: core.tiled):

- one-tile: a frame is one model input; its packet is the class index, then the logits (32-bit beats);
- tiled: whole camera frames cut into tiles; per tile, beat 0 = row << 24 | column << 16 | class, then the
  logits; m_axis_tuser on a packet's first beat; an AXI4-Lite register block (s_axil_*) and an interrupt.

The HDL names come from a port map (environment variable LEPTON_PORTS):

- ``lepton`` (the default): the core's own names (aclk, aresetn, s_axis_tdata, ...);
- ``vitis``: the RTL that Vitis HLS exports for the HLS version of the core: ap_clk, ap_rst_n,
  s_axis_TDATA, ..., m_axis_TLAST; the status words (frame_count, err_malformed, ...) are registers of
  the AXI4-Lite bundle s_axi_ctrl, at the offsets that Vitis writes in the address map comment of its
  ``*_ctrl_s_axi.v`` (or of the driver's ``x*_hw.h``: LEPTON_CTRL_MAP names that file); the core runs
  once it is started with ap_start | auto_restart (written again after every reset);
- a path to a JSON file of your own (its name ending in .json): {"top": "module", "ports": {"aclk": "clk",
  ...}, "axil": "prefix or null", "ctrl": {"frame_count": 24, ...}, "start": [offset, value] or null,
  "tie": {"port": value, or -1 for all ones}}; ports not named keep the core's own names.

Timing convention: the core's outputs are sampled at the falling edge (what the next rising edge sees);
the testbench changes its inputs just after a rising edge.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
from collections import deque
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

log = logging.getLogger("cocotb.lepton")

GOLDEN_FILE = Path(os.environ.get("LEPTON_GOLDEN") or Path(__file__).with_name("golden.json"))
GOLDEN: dict[str, Any] = json.loads(GOLDEN_FILE.read_text())
CORE: dict[str, Any] = GOLDEN["core"]
TILED: bool = bool(CORE["tiled"])
FRAMES: list[list[list[int]]] = [f["tdata"] for f in GOLDEN["frames"]]
PACKETS: list[list[int]] = [f["packet"] for f in GOLDEN["frames"]]
WIDTH, HEIGHT = CORE["frame_width"], CORE["frame_height"]  # of the test frames
PIXELS = WIDTH * HEIGHT
FRAME_CLOCKS = PIXELS * int(CORE.get("clocks_per_pixel", 1))  # a frame's clocks at the core's pixel rate
PER_TILE = CORE["n_outputs"] + 1  # beats per tile (tiled) or per packet (one-tile)
SEED = int(os.environ.get("LEPTON_SEED", "1"))
CLOCK_NS = 10

# ----------------------------------------------------------------------------- port maps
LOGICAL = (
    "aclk", "aresetn", "s_axis_tdata", "s_axis_tuser", "s_axis_tlast", "s_axis_tvalid", "s_axis_tready",
    "m_axis_tdata", "m_axis_tuser", "m_axis_tlast", "m_axis_tvalid", "m_axis_tready",
    "frame_count", "err_malformed", "err_clear", "irq",
)  # fmt: skip
AP_CTRL_START = 0x81  # Vitis HLS block control: ap_start (bit 0) | auto_restart (bit 7)


def _vitis_name(logical: str) -> str | None:
    if logical == "aclk":
        return "ap_clk"
    if logical == "aresetn":
        return "ap_rst_n"
    if logical.startswith(("s_axis_", "m_axis_")):
        bus, _, signal = logical.rpartition("_")
        return f"{bus}_{signal.upper()}"  # s_axis_tdata -> s_axis_TDATA
    return None  # frame_count, err_malformed, err_clear: registers of s_axi_ctrl; irq: Vitis' own interrupt


BUILTIN_MAPS: dict[str, dict[str, Any]] = {
    "lepton": {"ports": {name: name for name in LOGICAL}, "axil": "s_axil", "ctrl": {}, "start": None, "tie": {}},
    "vitis": {
        "ports": {name: _vitis_name(name) for name in LOGICAL},
        "axil": "s_axi_ctrl",
        "ctrl": None,  # from the address map comment of the Vitis RTL
        "start": [0x00, AP_CTRL_START],
        # ap_axiu side channels the core does not use: all bytes valid, stream 0
        "tie": {"s_axis_TKEEP": -1, "s_axis_TSTRB": -1, "s_axis_TID": 0, "s_axis_TDEST": 0},
    },
}
CTRL_LINE = re.compile(r"//\s*0x([0-9a-fA-F]+)\s*:\s*Data signal of (\w+)")


def ctrl_offsets(texts: list[str]) -> dict[str, int]:
    """Register offsets of a Vitis HLS s_axilite bundle from its address map comment (``// 0x18 : Data
    signal of frame_count``); a 64-bit argument's first (low) word."""
    offsets: dict[str, int] = {}
    for text in texts:
        for match in CTRL_LINE.finditer(text):
            offsets.setdefault(match.group(2), int(match.group(1), 16))
    return offsets


def port_map() -> dict[str, Any]:
    """The port map chosen by LEPTON_PORTS, its ctrl offsets filled in."""
    choice = os.environ.get("LEPTON_PORTS", "lepton")
    if choice in BUILTIN_MAPS:
        chosen = json.loads(json.dumps(BUILTIN_MAPS[choice]))
    else:
        chosen = {"ports": {}, "axil": None, "ctrl": {}, "start": None, "tie": {}}
        chosen.update(json.loads(Path(choice).read_text()))
        chosen["ports"] = {**BUILTIN_MAPS["lepton"]["ports"], **chosen["ports"]}
    if chosen.get("ctrl") is None:
        files = [os.environ["LEPTON_CTRL_MAP"]] if os.environ.get("LEPTON_CTRL_MAP") else []
        if not files:
            files = [p for p in os.environ.get("LEPTON_SOURCES", "").split(os.pathsep) if p]
        chosen["ctrl"] = ctrl_offsets([Path(f).read_text(errors="replace") for f in files])
        log.info("s_axilite offsets from the Vitis address map: %s", chosen["ctrl"])
    return chosen


PORT_MAP = port_map()


# ----------------------------------------------------------------------------- helpers
def bit(value: Any) -> int:
    """A signal's value as an int; 0 while it is undefined (x or z)."""
    try:
        return int(value)
    except ValueError:
        return 0


def signed32(word: int) -> int:
    return word - (1 << 32) if word & (1 << 31) else word


def lines_of(frame: list[list[int]]) -> list[tuple[bool, list[int]]]:
    """A well-formed frame's lines: (start of frame, tdata words)."""
    return [(r == 0, list(row)) for r, row in enumerate(frame)]


def tiles_of(packets: list[list[int]]) -> list[tuple[int, ...]]:
    return [tuple(p[k : k + PER_TILE]) for p in packets for k in range(0, len(p), PER_TILE)]


def first_difference(got: list[list[int]], want: list[list[int]]) -> str:
    """Where two packet lists first differ, for a failure message."""
    for k, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            beat = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            return (
                f"packet {k}, beat {beat}: got {a[beat] if beat < len(a) else 'no beat'}, the golden model "
                f"computes {b[beat] if beat < len(b) else 'no beat'} (got {a}, expected {b})"
            )
    return f"{len(got)} packets, expected {len(want)}"


def check_packets(got: list[list[int]], want: list[list[int]]) -> None:
    assert got == want, first_difference(got, want)


# ----------------------------------------------------------------------------- the bench
class Bench:
    """The DUT with a pixel source, a result sink (with pauses on either side) and the register bus."""

    def __init__(self, dut: Any) -> None:
        self.dut = dut
        self.map = PORT_MAP
        self.clk = self.port("aclk", required=True)
        self.rst_n = self.port("aresetn", required=True)
        self.s = {name: self.port(f"s_axis_{name}", required=True) for name in ("tdata", "tuser", "tlast", "tvalid")}
        self.s_ready = self.port("s_axis_tready", required=True)
        self.m = {name: self.port(f"m_axis_{name}", required=True) for name in ("tdata", "tlast", "tvalid")}
        self.m_user = self.port("m_axis_tuser")
        self.m_ready = self.port("m_axis_tready", required=True)
        self.rng = random.Random(SEED)
        self.queue: deque[tuple[int, int, int]] = deque()  # (tdata, tuser, tlast) not yet offered
        self.offered = False  # a beat is on s_axis, not yet taken
        self.in_gap = 0.0  # probability of an idle clock before a pixel (random gaps on s_axis_tvalid)
        self.out_pause = 0.0  # probability of m_axis_tready low in a clock (backpressure)
        self.ready_low_until = 0  # m_axis_tready held low until this clock
        self.clock = 0
        self.in_reset = True
        self.packets: list[list[int]] = []
        self.current: list[int] = []
        self.problems: list[str] = []  # protocol slips seen by the sink
        self.axil: Any = None
        self.regs: dict[str, int] = dict(GOLDEN.get("registers", {})) if self.map.get("axil") == "s_axil" else {}
        self.ctrl: dict[str, int] = dict(self.map.get("ctrl") or {})

    def port(self, logical: str, required: bool = False) -> Any:
        name = self.map["ports"].get(logical)
        handle = getattr(self.dut, name, None) if name else None
        if handle is None and required:
            raise AssertionError(f"the core has no port {name or logical!r} ({logical}; LEPTON_PORTS port map)")
        return handle

    @classmethod
    async def create(cls, dut: Any) -> Bench:
        """Clock, reset, monitors; the core configured for the test frames."""
        bench = cls(dut)
        await bench.start()
        return bench

    async def start(self) -> None:
        cocotb.start_soon(Clock(self.clk, CLOCK_NS, unit="ns").start())  # type: ignore[arg-type]
        for handle in self.s.values():
            handle.value = 0
        self.m_ready.value = 1
        clear = self.port("err_clear")
        if clear is not None:
            clear.value = 0
        for name, value in (self.map.get("tie") or {}).items():
            handle = getattr(self.dut, name, None)
            if handle is not None:
                handle.value = (1 << len(handle)) - 1 if value == -1 else value
        self.rst_n.value = 0
        prefix = self.map.get("axil")
        if prefix and (self.regs or self.ctrl):
            from cocotbext.axi import AxiLiteBus, AxiLiteMaster

            logging.getLogger(f"cocotb.{self.dut._name}.{prefix}").setLevel(logging.WARNING)  # not a line a reset
            bus = AxiLiteBus.from_prefix(self.dut, prefix)
            self.axil = AxiLiteMaster(bus, self.clk, self.rst_n, reset_active_level=False)
        await ClockCycles(self.clk, 5)
        self.rst_n.value = 1
        self.in_reset = False
        cocotb.start_soon(self._run())
        await ClockCycles(self.clk, 2)
        await self.configure()

    async def configure(self) -> None:
        """After every reset: start a Vitis HLS core; set the test frames' size on a tiled core."""
        start = self.map.get("start")
        if start:
            assert self.axil is not None, (
                f"the core must be started through {self.map.get('axil')}, but it has no such bus or its address "
                "map was not found (LEPTON_CTRL_MAP)"
            )
            await self.axil.write_dword(int(start[0]), int(start[1]))
        if TILED and (CORE["max_width"], CORE["max_height"]) != (WIDTH, HEIGHT):
            wrote = await self.write("FRAME_WIDTH", WIDTH) and await self.write("FRAME_HEIGHT", HEIGHT)
            assert wrote, "the test frames are smaller than the core's largest: it needs FRAME_WIDTH/FRAME_HEIGHT"
            await ClockCycles(self.clk, 40)  # the tile counts are worked out in a few clocks

    async def _run(self) -> None:
        """Every clock: sample both streams at the falling edge, drive the next inputs after the rising edge."""
        held: tuple[int, int, int] | None = None
        ready = 1
        while True:
            await FallingEdge(self.clk)
            taken = False
            if not self.in_reset:
                taken = self.offered and bit(self.s_ready.value) == 1
                if bit(self.m["tvalid"].value):
                    beat = (
                        int(self.m["tdata"].value),
                        bit(self.m["tlast"].value),
                        bit(self.m_user.value) if self.m_user is not None else -1,
                    )
                    if held is not None and beat != held:
                        self.problems.append(f"clock {self.clock}: a waiting result beat changed: {held} {beat}")
                    held = None if ready else beat
                    if ready:
                        self._take(*beat)
                elif held is not None:
                    self.problems.append(f"clock {self.clock}: m_axis_tvalid fell before the beat was taken")
                    held = None
            await RisingEdge(self.clk)
            self.clock += 1
            if self.in_reset:
                self.offered, held = False, None
                self.s["tvalid"].value = 0
                continue
            if taken:
                self.offered = False
            if not self.offered:
                if self.queue and not (self.in_gap and self.rng.random() < self.in_gap):
                    data, user, last = self.queue.popleft()
                    self.s["tdata"].value = data
                    self.s["tuser"].value = user
                    self.s["tlast"].value = last
                    self.s["tvalid"].value = 1
                    self.offered = True
                else:
                    self.s["tvalid"].value = 0
            paused = self.clock < self.ready_low_until or (self.out_pause and self.rng.random() < self.out_pause)
            ready = 0 if paused else 1
            self.m_ready.value = ready

    def _take(self, data: int, last: int, user: int) -> None:
        if TILED and user >= 0 and bool(user) != (not self.current):
            self.problems.append(f"m_axis_tuser {user} on beat {len(self.current)} of packet {len(self.packets)}")
        self.current.append(signed32(data))
        if last:
            self.packets.append(self.current)
            self.current = []

    # -- the stream
    async def send_lines(self, lines: list[tuple[bool, list[int]]]) -> None:
        """Lines (start of frame, tdata words), tlast on each line's last word; returns when all are taken."""
        for sof, words in lines:
            for i, word in enumerate(words):
                self.queue.append((int(word), int(sof and i == 0), int(i == len(words) - 1)))
        limit = self.clock + 50 * (len(self.queue) + 1) + 20 * FRAME_CLOCKS + 2000
        while self.queue or self.offered:
            assert self.clock < limit, f"the core took no pixel for too long ({len(self.queue)} left to send)"
            await RisingEdge(self.clk)

    async def send_frames(self, indices: list[int] | range) -> None:
        for k in indices:
            await self.send_lines(lines_of(FRAMES[k]))

    async def wait_packets(self, count: int, why: str = "") -> None:
        limit = self.clock + 40 * FRAME_CLOCKS + 5000
        while len(self.packets) < count:
            assert self.clock < limit, f"{len(self.packets)} packets of {count} arrived {why}".strip()
            await RisingEdge(self.clk)

    async def settle(self, quiet: int = 200) -> None:
        """Wait until no result beat came for ``quiet`` clocks."""
        seen = (len(self.packets), len(self.current))
        calm = 0
        while calm < quiet:
            await RisingEdge(self.clk)
            now = (len(self.packets), len(self.current))
            calm = calm + 1 if now == seen else 0
            seen = now

    async def reset(self, clocks: int = 5) -> None:
        """aresetn low for ``clocks`` clocks, whatever the streams are doing; the source drops what it had."""
        self.in_reset = True
        self.queue.clear()
        self.rst_n.value = 0
        await ClockCycles(self.clk, clocks)
        self.current = []  # a partial packet does not survive a reset
        self.rst_n.value = 1
        self.in_reset = False
        await ClockCycles(self.clk, 2)
        await self.configure()

    # -- registers and status
    def offset(self, name: str) -> int | None:
        """A register of this core by its name in lepton_regs.h (tiled core), or a Vitis s_axilite argument."""
        if name in self.regs:
            return self.regs[name]
        return self.ctrl.get(name.lower())

    async def read(self, name: str) -> int | None:
        offset = self.offset(name)
        if self.axil is None or offset is None:
            return None
        return int(await self.axil.read_dword(offset))

    async def write(self, name: str, value: int) -> bool:
        offset = self.offset(name)
        if self.axil is None or offset is None:
            return False
        await self.axil.write_dword(offset, value)
        return True

    async def frame_count(self) -> int:
        port = self.port("frame_count")
        if port is not None:
            return int(port.value)
        value = await self.read("FRAME_COUNT")
        assert value is not None, "the core shows no frame count (port or register)"
        return value

    async def err_malformed(self) -> int:
        port = self.port("err_malformed")
        if port is not None:
            return bit(port.value)
        value = await self.read("err_malformed") if "err_malformed" in self.ctrl else None
        if value is None:
            value = await self.read("ERRORS")
        assert value is not None, "the core shows no malformed-frame flag (port or register)"
        return value & 1

    def check_protocol(self) -> None:
        assert not self.problems, "; ".join(self.problems[:5])


# ----------------------------------------------------------------------------- the tests
N = len(FRAMES)


async def _all_frames(bench: Bench, why: str) -> None:
    before = await bench.frame_count()
    await bench.send_frames(range(N))
    await bench.wait_packets(N, why)
    await bench.settle()
    check_packets(bench.packets, PACKETS)
    bench.check_protocol()
    assert (await bench.frame_count() - before) % (1 << 32) == N, "the frame count did not count every frame"
    assert await bench.err_malformed() == 0, "a well-formed frame was flagged malformed"


@cocotb.test()
async def golden_frames_back_to_back(dut: Any) -> None:
    """Every test frame, back to back, output always ready: the golden model's packets, in order."""
    bench = await Bench.create(dut)
    await _all_frames(bench, "for frames back to back")


@cocotb.test()
async def random_gaps_on_tvalid(dut: Any) -> None:
    """The camera pauses between pixels at random (s_axis_tvalid low 30% of the clocks): the same packets."""
    bench = await Bench.create(dut)
    bench.in_gap = 0.3
    await _all_frames(bench, "with gaps in the input")


@cocotb.test()
async def backpressure_on_tready(dut: Any) -> None:
    """m_axis_tready held low for two frames' time, then low at random half of the clocks.

    One-tile core: it holds its results and stalls the camera: every packet arrives, none changed.
    Tiled core: the camera never waits; the tiles that come out are the golden ones, in order, and
    DROPPED_COUNT counts the others exactly (a core that drops nothing must deliver them all)."""
    bench = await Bench.create(dut)
    bench.ready_low_until = bench.clock + 2 * FRAME_CLOCKS
    bench.out_pause = 0.5
    await bench.send_frames(range(N))
    if TILED:
        while bench.clock < bench.ready_low_until:
            await RisingEdge(bench.clk)
        await bench.settle()
        bench.check_protocol()
        want, got = tiles_of(PACKETS), tiles_of(bench.packets)
        position = 0
        for tile in got:
            while position < len(want) and want[position] != tile:
                position += 1
            assert position < len(want), f"delivered tile {tile} is not the golden model's next"
            position += 1
        dropped = await bench.read("DROPPED_COUNT")
        log.info("%d of %d tiles delivered, DROPPED_COUNT %s", len(got), len(want), dropped)
        if dropped is None:  # a core without a drop counter (the HLS core stalls the camera instead)
            assert got == want, "tiles lost by a core that counts no drops"
        else:
            assert dropped == len(want) - len(got), f"DROPPED_COUNT {dropped}, but {len(want) - len(got)} tiles lost"
            depth = CORE.get("result_queue_depth", 0)
            if len(want) // N > depth:  # more tiles in a frame than the queue holds: some must have gone
                assert dropped > 0, "no tile dropped while m_axis_tready was low for two frames"
                errors = await bench.read("ERRORS")
                assert errors is None or errors & 2, "ERRORS.DROPPED not set"
        count = await bench.read("FRAME_COUNT")
        assert count is None or count == N, f"FRAME_COUNT {count} after {N} frames"
    else:
        await bench.wait_packets(N, "under backpressure")
        await bench.settle()
        check_packets(bench.packets, PACKETS)
        bench.check_protocol()


@cocotb.test()
async def reset_in_mid_frame(dut: Any) -> None:
    """aresetn in the middle of a frame, then a good frame: exactly its packet."""
    bench = await Bench.create(dut)
    await bench.send_lines(lines_of(FRAMES[0])[: max(1, HEIGHT // 2)])
    await bench.reset()
    before, done = await bench.frame_count(), len(bench.packets)
    await bench.send_frames([1])
    await bench.wait_packets(done + 1, "after the reset")
    await bench.settle()
    check_packets(bench.packets[done:], [PACKETS[1]])
    assert (await bench.frame_count() - before) % (1 << 32) == 1
    bench.check_protocol()


@cocotb.test()
async def malformed_frame_is_flagged(dut: Any) -> None:
    """A frame with a short line (row 1 cut by up to 3 pixels) is flagged malformed; the next good frame
    gives exactly its packet. A one-tile core sends no packet for the malformed frame."""
    bench = await Bench.create(dut)
    lines = lines_of(FRAMES[0])
    row = min(1, HEIGHT - 1)
    sof, words = lines[row]
    lines[row] = (sof, words[: -min(3, len(words) - 1)] if len(words) > 1 else words + words)  # short (or long)
    await bench.send_lines(lines)
    for _ in range(FRAME_CLOCKS + 300):  # the core fills the rest of the frame (one clock a pixel), then resynchronizes
        await RisingEdge(bench.clk)
    await bench.settle()
    assert await bench.err_malformed() == 1, "the short line was not flagged"
    count = await bench.read("MALFORMED_COUNT")
    assert count is None or count >= 1, "MALFORMED_COUNT did not count the frame"
    if not TILED:
        assert not bench.packets, f"a packet for a malformed frame: {bench.packets}"
    done = len(bench.packets)
    await bench.send_frames([1])
    await bench.wait_packets(done + 1, "for the good frame after the malformed one")
    await bench.settle()
    check_packets(bench.packets[done:], [PACKETS[1]])
    bench.check_protocol()


@cocotb.test(skip=not TILED)
async def registers_read_back(dut: Any) -> None:
    """Through AXI4-Lite: ID, version and sizes; after the frames FRAME_COUNT and the last frame's CLASS_COUNTs;
    the end-of-frame interrupt when enabled."""
    bench = await Bench.create(dut)
    if bench.axil is None or not (bench.regs or bench.ctrl):
        log.warning("no register bus in this port map: nothing to read")
        return
    for name, value in GOLDEN.get("reset_values", {}).items():
        got = await bench.read(name)
        if got is not None:
            assert got == value, f"{name} reads {got:#x}, expected {value:#x}"
    for name, value in (("FRAME_WIDTH", WIDTH), ("FRAME_HEIGHT", HEIGHT)):
        got = await bench.read(name)
        assert got is None or got == value, f"{name} reads {got}, set to {value}"
    irq = bench.port("irq")
    await bench.write("IRQ_MASK", 1)
    await bench.send_frames(range(N))
    await bench.wait_packets(N)
    await bench.settle()
    check_packets(bench.packets, PACKETS)
    assert await bench.read("FRAME_COUNT") in (None, N)
    last = PACKETS[-1]
    classes = [last[k] & 0xFFFF for k in range(0, len(last), PER_TILE)]
    for k in range(CORE["n_outputs"]):
        got = await bench.read(f"CLASS_COUNT_{k}")
        assert got is None or got == classes.count(k), f"CLASS_COUNT_{k} reads {got}, expected {classes.count(k)}"
    for name in ("DROPPED_COUNT", "MALFORMED_COUNT", "ERRORS"):
        got = await bench.read(name)
        assert got in (None, 0), f"{name} reads {got} after good frames"
    if irq is not None and bench.offset("IRQ_STATUS") is not None:
        assert bit(irq.value) == 1, "irq low after a frame with IRQ_MASK.END_OF_FRAME set"
        assert await bench.read("IRQ_STATUS") == 1
        await bench.write("IRQ_STATUS", 1)
        await ClockCycles(bench.clk, 2)
        assert bit(irq.value) == 0, "irq still high after IRQ_STATUS was cleared"
