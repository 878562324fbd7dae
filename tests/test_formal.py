"""The framer and the result queue, proven with SymbiYosys; broken variants must fail their proofs.

Every proof of lepton_hw.formal runs (k-induction and cover, a second or a few each). Then each module
is broken on purpose in a way a careless edit could, and its proof must fail in the base case (a trace
from reset that breaks a property, not only an induction step): so the proofs are not vacuous.
"""

from __future__ import annotations

import pytest

from lepton_hw.formal import PROOFS, Proof, module_source, run_proof

pytestmark = pytest.mark.synth


@pytest.mark.parametrize("task", ["prove", "cover"])
@pytest.mark.parametrize("proof", PROOFS, ids=lambda p: p.name)
def test_the_proof_passes(proof: Proof, task: str) -> None:
    result = run_proof(proof, task)
    assert result.status == "PASS", result.detail


FRAMER = next(p for p in PROOFS if p.top == "lepton_framer")
FRAMER_CPP2 = next(p for p in PROOFS if p.top == "lepton_framer" and p.parameters["CPP"] == 2)
RESULT = next(p for p in PROOFS if p.top == "lepton_result")
RESULT_BRAM = next(p for p in PROOFS if p.top == "lepton_result" and p.parameters["BRAM"] == 1)
BROKEN = [
    (  # a result beat dropped when tready falls: the last beat retires the head without a handshake
        RESULT,
        "wire retire = head_ready && (head_bad || (m_tready && m_tlast));",
        "wire retire = head_ready && (head_bad || m_tlast);",
        "result_props.vh",
    ),
    (  # tlast one beat early
        RESULT,
        "head_last <= rst ? (BEATS == 1) : (beat_n == BEATS[BW-1:0] - 1'b1);",
        "head_last <= rst ? (BEATS == 1) : (beat_n == BEATS[BW-1:0] - 2'd2);",
        "result_props.vh",
    ),
    (  # a malformed frame's result not dropped
        RESULT,
        "assign m_tvalid = head_ready && !head_bad;",
        "assign m_tvalid = head_ready;",
        "result_props.vh",
    ),
    (  # block RAM: the head read at the current head's address, so a retired head stays one clock
        RESULT_BRAM,
        "head_q <= results[res_rd_n];",
        "head_q <= results[res_rd];",
        "result_props.vh",
    ),
    (  # block RAM: a result offered in the clock after its write, when the read still returned the old word
        RESULT_BRAM,
        "wire res_ready_n = (BRAM != 0) ? (res_readable != {NW{1'b0}})",
        "wire res_ready_n = (BRAM != 0) ? (res_count_n != {NW{1'b0}})",
        "result_props.vh",
    ),
    (  # s_tready low on every line's last pixel inside a frame
        FRAMER,
        "FRAME: s_tready = !s_tuser && paced;",
        "FRAME: s_tready = !s_tuser && paced && !s_tlast;",
        "framer_props.vh",
    ),
    (  # at two clocks per pixel, a pixel every clock: the pace counter reloaded one short
        FRAMER_CPP2,
        "pace <= CPP[PCW-1:0] - 1'b1;",
        "pace <= CPP[PCW-1:0] - 2'd2;",
        "framer_props.vh",
    ),
    (  # a frame one pixel short: the last row ends a pixel early
        FRAMER,
        "wire at_eof = at_eol && (row == H[RW-1:0] - 1'b1);",
        "wire at_eof = (col == W[CW-1:0] - 2'd2) && (row == H[RW-1:0] - 1'b1);",
        "framer_props.vh",
    ),
]


@pytest.mark.parametrize("proof, original, broken, props", BROKEN, ids=lambda v: v if isinstance(v, str) else "")
def test_a_broken_module_fails_its_proof(proof: Proof, original: str, broken: str, props: str) -> None:
    text = module_source(proof.module)
    assert original in text  # the line being broken exists as written
    result = run_proof(proof, "prove", module_text=text.replace(original, broken))
    assert result.status == "FAIL", result
    assert result.detail.startswith("basecase"), result.detail  # a real trace from reset, not only an induction step
    # which broken property the solver reports first varies with its search: the module's own file is named
    assert props in result.detail, result.detail
