"""cocotb testbench of a generated ``lepton_core``: runs a program (lepton_hw.sim.sequencer).

The program (int64 words, path in $LEPTON_SIM_PROGRAM) lists lines of pixels to send (each line one
AXI4-Stream packet: tuser on its first beat when it starts a frame, tlast on its last), idle gaps,
resets and error clears, with random pauses on either stream. :class:`Sequencer` chooses the inputs
clock by clock with the same rules as the native harness (harness.cpp), so that both give the same
packets and cycle counts; this testbench only applies them through cocotb and records every
handshake, stall and protocol slip, in harness.cpp's result format, to $LEPTON_SIM_RESULT.

The testbench judges nothing itself: the Python side compares the packets with the IR interpreter.
Each clock, the outputs are read at the falling edge (what the rising edge will see) and the next
inputs are written at the rising edge (cocotb applies them after it).
"""

from __future__ import annotations

import os
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from lepton_hw.sim.sequencer import Sequencer, encode_result


def _apply(dut: Any, seq: Sequencer) -> None:
    dut.aresetn.value = int(seq.rst_n)
    dut.s_axis_tvalid.value = int(seq.s_valid)
    dut.s_axis_tdata.value = seq.s_data
    dut.s_axis_tuser.value = int(seq.s_user)
    dut.s_axis_tlast.value = int(seq.s_last)
    dut.m_axis_tready.value = int(seq.m_ready)
    dut.err_clear.value = int(seq.err_clear)


@cocotb.test()
async def run_program(dut: Any) -> None:
    seq = Sequencer(np.fromfile(os.environ["LEPTON_SIM_PROGRAM"], dtype="<i8"))
    _apply(dut, seq)
    cocotb.start_soon(Clock(dut.aclk, 10, unit="ns").start(start_high=True))  # type: ignore[arg-type]
    in_beats: list[int] = []
    out_beats: list[int] = []
    resets: list[int] = []
    cycle = in_stalls = out_stalls = packets = violations = 0
    held, held_data, held_last = False, 0, 0
    stopped = False
    while True:
        await FallingEdge(dut.aclk)
        cycle += 1
        in_taken = out_valid = False
        if seq.rst_n:
            s_ready = int(dut.s_axis_tready.value)
            m_valid = int(dut.m_axis_tvalid.value)
            out_valid = bool(m_valid)
            # tdata/tlast are only defined with tvalid (Icarus shows them as x before the first result)
            m_data = int(dut.m_axis_tdata.value) if m_valid else 0
            m_last = int(dut.m_axis_tlast.value) if m_valid else 0
            if held and (not m_valid or m_data != held_data or m_last != held_last):
                violations += 1
            if seq.s_valid:
                if s_ready:
                    in_taken = True
                    in_beats.append(cycle << 2 | int(seq.s_user) << 1 | int(seq.s_last))
                else:
                    in_stalls += 1
            held = bool(m_valid) and not seq.m_ready
            if m_valid:
                if seq.m_ready:
                    out_beats += [cycle << 1 | m_last, m_data - (1 << 32) if m_data & (1 << 31) else m_data]
                    packets += m_last
                else:
                    out_stalls += 1
                    held_data, held_last = m_data, m_last
        else:
            held = False
        go_on = seq.next(in_taken, out_valid, cycle, packets, resets)
        await RisingEdge(dut.aclk)
        if not go_on:
            break
        if seq.max_cycles > 0 and cycle >= seq.max_cycles:
            stopped = True
            break
        _apply(dut, seq)
    result = encode_result(
        cycle, in_stalls, out_stalls, int(dut.err_malformed.value), int(dut.frame_count.value),
        stopped or packets < seq.expected, violations, in_beats, out_beats, resets,
    )  # fmt: skip
    result.astype("<i8").tofile(os.environ["LEPTON_SIM_RESULT"])
