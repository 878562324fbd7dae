"""What a simulation run does, clock by clock: the program format and the per-clock rules.

A run is a *program*: a header (pause probabilities, seed, timeouts, expected packets) and operations
(a line of pixels, an idle gap, a reset, an error clear). Both simulation paths execute it with the
same rules, so that they agree clock for clock:

- the native harness (``harness.cpp``, compiled with Verilator; no Python per clock);
- the cocotb testbench (``tb_lepton_core.py``), which runs :class:`Sequencer` below.

The rules, per clock: at the falling edge the core's outputs are sampled (the values the rising edge
sees); a handshake is recorded when valid and ready are both high; then the next inputs are chosen:
an offered input beat stays until it is taken; a new beat is offered unless the input pause generator
says pause; m_axis_tready is high unless the output pause generator says pause. The pause generators
are splitmix64 streams seeded from the program's seed (a pause when the top 32 bits of the next value
are below probability x 2^32), drawn once per clock each, so both paths draw the same pauses.
A reset operation waits until the input is idle and ``settle`` clocks in a row pass without a result
beat (earlier packets come out), holds aresetn low, then leaves two idle clocks. The run starts with
aresetn low for 5 clocks (the first clock's and STARTUP_RESET_CYCLES more) and 2 idle clocks, and ends
``settle`` clocks after the expected packets arrived (or the timeout, or the program's clock limit).
"""

from __future__ import annotations

import numpy as np

MAGIC = 0x4C4550544F4E5031  # "LEPTONP1"
RESULT_MAGIC = 0x4C4550544F4E5231  # "LEPTONR1"
VERSION = 1
END, LINE, IDLE, RESET, WAIT_SENT, CLEAR_ERROR = range(6)
HEADER_WORDS = 9
STARTUP_RESET_CYCLES = 4
AFTER_RESET_CYCLES = 2
MASK64 = (1 << 64) - 1


def threshold(probability: float) -> int:
    """A pause probability as the 32-bit threshold both generators compare with."""
    if not 0.0 <= probability < 1.0:
        raise ValueError(f"a pause probability must be in [0, 1), not {probability}")
    return min(round(probability * (1 << 32)), (1 << 32) - 1)  # never a pause on every clock


class Pauses:
    """splitmix64, as in harness.cpp: ``next()`` is True (pause) with the threshold's probability."""

    def __init__(self, seed: int, limit: int) -> None:
        self.state = seed & MASK64
        self.limit = limit

    def next(self) -> bool:
        if self.limit == 0:
            return False
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        return (z >> 32) < self.limit


def pause_streams(words: np.ndarray) -> tuple[Pauses, Pauses]:
    seed = int(words[4]) & MASK64
    return Pauses(seed * 2 + 1, int(words[2])), Pauses(seed * 2 + 2, int(words[3]))


class Sequencer:
    """The per-clock rules over a program (int64 words); a line-by-line port of harness.cpp's."""

    def __init__(self, words: np.ndarray) -> None:
        if len(words) < HEADER_WORDS or int(words[0]) != MAGIC or int(words[1]) != VERSION:
            raise ValueError("not a lepton_sim program of this version")
        self.w = [int(v) for v in words]
        self.in_pause, self.out_pause = pause_streams(words)
        self.timeout, self.settle, self.expected, self.max_cycles = self.w[5], self.w[6], self.w[7], self.w[8]
        self.pc = HEADER_WORDS
        self.line_left = self.line_len = self.line_pos = 0
        self.line_sof = False
        self.wait = self.phase = 0
        self.rst_n = self.s_valid = self.s_user = self.s_last = self.m_ready = self.err_clear = False
        self.s_data = 0
        self.startup = STARTUP_RESET_CYCLES + AFTER_RESET_CYCLES
        self.ended = False
        self.end_cycle = -1
        self.settle_left = -1

    def next(self, in_taken: bool, out_valid: bool, cycle: int, packets: int, resets: list[int]) -> bool:
        """Choose the inputs for the next clock; False when the run is over."""
        in_paused = self.in_pause.next()
        out_paused = self.out_pause.next()
        self.m_ready = not out_paused
        self.err_clear = False
        if self.startup > 0:
            self.startup -= 1
            self.rst_n = self.startup < AFTER_RESET_CYCLES
            return True
        source_busy = self.s_valid and not in_taken
        if not source_busy:
            self.s_valid = False
        w = self.w
        while not source_busy:
            op = END if self.ended else w[self.pc]
            if op == LINE:
                if self.line_left == 0 and self.line_len == 0:
                    self.line_sof = w[self.pc + 1] != 0
                    self.line_len = self.line_left = w[self.pc + 2]
                    self.line_pos = self.pc + 3
                if self.line_left == 0:
                    self.pc = self.line_pos
                    self.line_len = 0
                    continue
                if not in_paused:
                    self.s_valid = True
                    self.s_data = w[self.line_pos] & MASK64
                    self.s_user = self.line_sof and self.line_left == self.line_len
                    self.s_last = self.line_left == 1
                    self.line_pos += 1
                    self.line_left -= 1
                return True
            if op == IDLE:
                if self.phase == 0:
                    self.wait, self.phase = w[self.pc + 1], 1
                if self.wait > 0:
                    self.wait -= 1
                    return True
                self.phase = 0
                self.pc += 2
                continue
            if op == RESET:
                if self.phase == 0:
                    self.wait, self.phase = self.settle, 1
                if self.phase == 1:  # earlier packets come out first: settle clocks without a result beat
                    if out_valid:
                        self.wait = self.settle
                    if self.wait > 0:
                        self.wait -= 1
                        return True
                    self.phase, self.wait = 2, w[self.pc + 1]
                    resets.append(cycle)
                if self.phase == 2:
                    if self.wait > 0:
                        self.wait -= 1
                        self.rst_n = False
                        return True
                    self.phase, self.wait, self.rst_n = 3, AFTER_RESET_CYCLES, True
                if self.wait > 0:
                    self.wait -= 1
                    return True
                self.phase = 0
                self.pc += 2
                continue
            if op == WAIT_SENT:
                self.pc += 1
                continue
            if op == CLEAR_ERROR:
                self.err_clear = True
                self.pc += 1
                return True
            if op == END:
                if not self.ended:
                    self.ended, self.end_cycle = True, cycle
                if self.settle_left < 0:
                    if packets < self.expected and cycle - self.end_cycle < self.timeout:
                        return True
                    self.settle_left = self.settle
                if self.settle_left > 0:
                    self.settle_left -= 1
                    return True
                return False
            raise ValueError(f"unknown operation {op} at word {self.pc}")
        return True


def encode(
    steps: list[dict], packets: int, in_pause: float, out_pause: float, seed: int, timeout_cycles: int,
    settle_cycles: int = 64, max_cycles: int = 0,
) -> np.ndarray:  # fmt: skip
    """The program of a plan's steps (see lepton_hw.sim.run.Plan) as int64 words."""
    header = [MAGIC, VERSION, threshold(in_pause), threshold(out_pause), seed, timeout_cycles, settle_cycles,
              packets, max_cycles]  # fmt: skip
    chunks: list[np.ndarray] = [np.array(header, dtype=np.int64)]
    for step in steps:
        if "lines" in step:
            for sof, beats in step["lines"]:
                if any(int(b) >> 64 for b in beats):
                    raise ValueError("a tdata word wider than 64 bits: the simulation harness takes at most 64")
                data = np.asarray(beats, dtype=np.uint64).astype(np.int64)
                chunks.append(np.array([LINE, int(bool(sof)), len(data)], dtype=np.int64))
                chunks.append(data)
        elif "words" in step:  # whole frames as one array (H, W): the compact form of well-formed lines
            frames = np.asarray(step["words"], dtype=np.uint64).astype(np.int64)
            n, h, width = frames.shape
            table = np.empty((n, h, width + 3), dtype=np.int64)
            table[:, :, 0] = LINE
            table[:, :, 1] = 0
            table[:, 0, 1] = 1
            table[:, :, 2] = width
            table[:, :, 3:] = frames
            chunks.append(table.reshape(-1))
        elif "idle" in step:
            chunks.append(np.array([IDLE, int(step["idle"])], dtype=np.int64))
        elif "reset" in step:
            chunks.append(np.array([RESET, int(step["reset"])], dtype=np.int64))
        elif "wait_sent" in step:
            chunks.append(np.array([WAIT_SENT], dtype=np.int64))
        elif "clear_error" in step:
            chunks.append(np.array([CLEAR_ERROR], dtype=np.int64))
        else:
            raise ValueError(f"unknown plan step {sorted(step)}")
    chunks.append(np.array([END], dtype=np.int64))
    return np.concatenate(chunks)


def packets_of(out_beats: np.ndarray, resets: list[int]) -> list[list[int]]:
    """Result packets from the output beats (rows: cycle, tlast, tdata); a reset drops a partial one."""
    packets: list[list[int]] = []
    current: list[int] = []
    pending = iter(sorted(resets))
    next_reset = next(pending, None)
    for cycle, last, data in out_beats.tolist():
        while next_reset is not None and next_reset < cycle:
            current = []
            next_reset = next(pending, None)
        current.append(int(data))
        if last:
            packets.append(current)
            current = []
    return packets


def encode_result(
    cycles: int, in_stalls: int, out_stalls: int, err_malformed: int, frame_count: int, timed_out: bool,
    protocol_violations: int, in_beats: list[int], out_beats: list[int], resets: list[int],
) -> np.ndarray:  # fmt: skip
    """A result in harness.cpp's format: in_beats as cycle<<2|tuser<<1|tlast, out_beats as pairs
    (cycle<<1|tlast, tdata), resets as cycles."""
    header = [RESULT_MAGIC, cycles, in_stalls, out_stalls, err_malformed, frame_count, int(timed_out),
              protocol_violations, len(in_beats), len(out_beats) // 2, len(resets)]  # fmt: skip
    return np.array(header + in_beats + out_beats + resets, dtype=np.int64)
