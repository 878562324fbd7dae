"""Folded multiply-accumulate: a layer fed every F clocks, with F-fold shared multipliers and ROM weights.

One module per layer, of the shape::

    module NAME (input clk, rst, in_valid, input [K*IW-1:0] in_data,
                 output out_valid, output [N*YW-1:0] out_data);

An input of K raw values arrives on ``in_valid``, at least F clocks after the one before (the
schedule guarantees it). It is consumed over F clocks, P = ceil(K / F) values a clock: the clock it
arrives, chunk 0 straight from ``in_data``; then chunks 1..F-1 from a shift register. Every chunk
is multiplied by its P x N weights, read from a ROM at ``position * F + chunk``, and added into N
accumulators. ``E`` inputs (positions) add into one result: a dense layer after a feature map takes
the map's positions as they arrive, with each position's weights, and needs no frame-wide
register; a convolution has E = 1. ``out_data`` holds the exact sums (no bias) for one clock with
``out_valid``, ``latency`` clocks after the last chunk of the E-th input.

Pipeline: ROM read and chunk registered (1), again in fabric registers (1), products in two
registered steps (2), the adder tree of P products with a register every ``pipeline`` levels, the
accumulator (1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lepton_hw.backends.rtl.cmvm import Pipeline, adder_tree, column_bounds, signed_bits
from lepton_hw.ir.fixed import FixedType


@dataclass(frozen=True)
class Fold:
    name: str
    verilog: str
    n_in: int  # K
    n_out: int  # N
    out_width: int
    lo: tuple[int, ...]
    hi: tuple[int, ...]
    fold: int
    positions: int
    multipliers: int
    rom_bits: int
    latency: int  # clocks from the last chunk's clock (the E-th input's arrival + F - 1) to out_valid


def _bits(value: int) -> int:
    return max(1, (value - 1).bit_length())


@dataclass(frozen=True)
class FoldTiles:
    """A folded layer fed the feature maps of a row of tiles side by side (see lepton_tile_window.v):
    each input line holds ``tiles_x`` tiles' rows of ``width`` positions, so each tile column has its
    own accumulators, and a tile's result is ready at its last position."""

    height: int
    width: int
    columns: int  # the most tiles across
    count_bits: int  # bits of the tiles_x port


def build_fold(
    name: str, weight: np.ndarray, in_type: FixedType, k: int, fold: int, positions: int, pipeline: int,
    tiles: FoldTiles | None = None,
) -> Fold:  # fmt: skip
    """The folded MAC for ``x @ weight``; ``weight`` has ``positions * k`` rows (position-major). With
    ``tiles``, the positions are a tile's (height x width) and tiles of a tile row arrive interleaved."""
    weight = np.asarray(weight).astype(object)
    n = int(weight.shape[1])
    assert weight.shape[0] == positions * k, (weight.shape, positions, k)
    lo, hi = column_bounds(weight, in_type)
    yw = max(signed_bits(a, b) for a, b in zip(lo, hi, strict=True))
    p = -(-k // fold)
    iw = in_type.width
    xw = iw + (0 if in_type.signed else 1)  # the input as a signed value
    wmax = max((abs(int(w)) for w in weight.flat), default=0)
    ww = max(2, wmax.bit_length() + 1)  # signed weight bits
    pw = xw + ww  # a product
    depth = positions * fold
    rom_width = p * n * ww
    aw = _bits(depth)
    fw, ew = _bits(fold), _bits(positions)

    # ROM word at position e, chunk t: weight of value t*P + j for output o at bits [(o*P + j)*WW +: WW].
    words = []
    for e in range(positions):
        for t in range(fold):
            word = 0
            for o in range(n):
                for j in range(p):
                    kk = t * p + j
                    w = int(weight[e * k + kk, o]) if kk < k else 0
                    word |= (w & ((1 << ww) - 1)) << ((o * p + j) * ww)
            words.append(word)

    lines = [
        f"// {name}: y = sum over {positions} position(s) of x @ W[position], {k} inputs ({in_type}, raw) x {n} "
        f"outputs;",
        f"// folded {fold}x: {p} value(s) a clock into {p * n} multipliers, weights in a {depth} x {rom_width}-bit ROM",
        f"module {name} #(",
        "    parameter integer LUT_MULT = 1,  // 1: multipliers in LUTs (shift and add); 0: `*`, for DSP blocks",
        "    parameter integer ROM_IN_LUTS = 0  // 1: the weight ROM in LUTs; 0: in block RAM",
        ") (",
        "    input wire clk,",
        "    input wire rst,",
        *([f"    input wire [{tiles.count_bits - 1}:0] tiles_x,"] if tiles else []),
        "    input wire in_valid,",
        f"    input wire [{k * iw - 1}:0] in_data,",
        "    output reg out_valid,",
        f"    output wire [{n * yw - 1}:0] out_data",
        ");",
        "    // verilator lint_off UNUSEDSIGNAL",
        *_rom_lines(words, depth, rom_width, aw, pipeline),
        "",
        "    // ---- chunk sequencing: chunk 0 in the clock the input arrives, then 1..F-1",
    ]
    if tiles is not None:
        # The whole-frame core's layer takes its input through one more register (one more clock of latency):
        # the layer before it and this control logic sat far apart on ECP5, and that route was a critical path.
        lines += [
            "    reg in_valid_q;",
            f"    reg [{k * iw - 1}:0] in_data_q;",
            "    always @(posedge clk) begin",
            "        in_valid_q <= rst ? 1'b0 : in_valid;",
            "        in_data_q <= in_data;",
            "    end",
        ]
    valid_in, raw_in = ("in_valid_q", "in_data_q") if tiles is not None else ("in_valid", "in_data")
    padded = p * fold * iw
    data_in = f"{{{padded - k * iw}'d0, {raw_in}}}" if padded > k * iw else raw_in
    if fold > 1:
        lines += [
            f"    wire [{padded - 1}:0] padded_in = {data_in};",
            f"    reg [{padded - p * iw - 1}:0] rest;  // chunks 1..F-1 of the current input, chunk 1 lowest",
            "    reg busy;",
            f"    reg [{fw - 1}:0] chunk;",
            f"    wire [{p * iw - 1}:0] x_now = {valid_in} ? padded_in[{p * iw - 1}:0] : rest[{p * iw - 1}:0];",
            f"    wire [{fw - 1}:0] chunk_now = {valid_in} ? {fw}'d0 : chunk;",
            f"    wire active = {valid_in} || busy;",
            f"    wire last_chunk = (chunk_now == {fw}'d{fold - 1});",
            "    always @(posedge clk) begin",
            f"        if ({valid_in}) rest <= padded_in[{padded - 1}:{p * iw}];",
        ]
        if fold > 2:
            lines.append(f"        else rest <= {{{p * iw}'d0, rest[{padded - p * iw - 1}:{p * iw}]}};")
        lines += [
            "        if (rst) begin",
            "            busy <= 1'b0;",
            f"            chunk <= {fw}'d0;",
            "        end else if (active) begin",
            "            busy <= !last_chunk;",
            f"            chunk <= last_chunk ? {fw}'d0 : chunk_now + 1'b1;",
            "        end",
            "    end",
        ]
    else:
        lines += [
            f"    wire [{p * iw - 1}:0] x_now = {data_in};",
            f"    wire active = {valid_in};",
            f"    wire [{fw - 1}:0] chunk_now = {fw}'d0;",
            "    wire last_chunk = 1'b1;",
        ]
    if tiles is None:
        lines += [
            f"    reg [{ew - 1}:0] position;  // the input's position among the E that add into one result",
            "    always @(posedge clk) begin",
            f"        if (rst) position <= {ew}'d0;",
            "        else if (active && last_chunk)",
            f"            position <= (position == {ew}'d{positions - 1}) ? {ew}'d0 : position + 1'b1;",
            "    end",
            *_address_lines(aw, ew, fw, fold, positions),
            f"    wire first_now = (position == {ew}'d0) && (chunk_now == {fw}'d0);",
            f"    wire last_now = (position == {ew}'d{positions - 1}) && last_chunk;",
        ]
    else:
        lines += _tile_position_lines(aw, fw, fold, tiles)
    lines += [
        "",
        "    // ---- stage 1: the ROM word in its first register (w1, above), the chunk alongside",
        f"    reg [{p * iw - 1}:0] x1;",
        "    reg v1, first1, last1;",
        "    always @(posedge clk) begin",
        "        x1 <= x_now;",
        "        first1 <= first_now;",
        "        last1 <= last_now;",
        "        v1 <= rst ? 1'b0 : active;",
        "    end",
        "",
        "    // ---- stage 2: the ROM word out of its second register (w2, above), the chunk alongside",
        f"    reg [{p * iw - 1}:0] x2;",
        "    reg v1b, first1b, last1b;",
        "    always @(posedge clk) begin",
        "        x2 <= x1;",
        "        v1b <= rst ? 1'b0 : v1;",
        "        first1b <= first1;",
        "        last1b <= last1;",
        "    end",
        "",
        "    // ---- stage 3: P x N products, registered",
    ]
    # Two forms of the same products, chosen by the LUT_MULT parameter: shift-and-add in LUTs (the
    # default: a small product is faster in fabric than through an ECP5 or iCE40 DSP block, whose own
    # delay was the longest path), or `*` for synthesis to map to DSP blocks (Xilinx's are fast).
    # Each form in two registered steps, one adder level each: two half sums, then their sum.
    products = [(o, j) for o in range(n) for j in range(p)]
    halves = ", ".join(f"a{o}_{j}, b{o}_{j}" for o, j in products)
    lines += [f"    wire signed [{pw - 1}:0] {halves};", "    generate"]
    lines.append("        if (LUT_MULT != 0) begin : g_lut_mult")
    for o, j in products:
        x = f"x2[{(j + 1) * iw - 1}:{j * iw}]"
        w_bits = f"w2[{(o * p + j + 1) * ww - 1}:{(o * p + j) * ww}]"
        low, high = _shift_add_halves(x, iw, bool(in_type.signed), w_bits, ww, pw)
        lines.append(f"            assign a{o}_{j} = {low};")
        lines.append(f"            assign b{o}_{j} = {high};")
    lines += ["        end else begin : g_dsp_mult"]
    for o, j in products:
        x = f"x2[{(j + 1) * iw - 1}:{j * iw}]"
        xs = f"$signed({x})" if in_type.signed else f"$signed({{1'b0, {x}}})"
        w_bits = f"w2[{(o * p + j + 1) * ww - 1}:{(o * p + j) * ww}]"
        lines.append(f"            assign a{o}_{j} = {xs} * $signed({w_bits});")
        lines.append(f"            assign b{o}_{j} = {pw}'sd0;")
    lines += ["        end", "    endgenerate"]
    lines.append(f"    reg signed [{pw - 1}:0] {', '.join(f'h{o}_{j}, g{o}_{j}' for o, j in products)};")
    lines.append(f"    reg signed [{pw - 1}:0] {', '.join(f'p{o}_{j}' for o, j in products)};")
    lines.append("    reg v1c, first1c, last1c, v2, first2, last2;")
    lines.append("    always @(posedge clk) begin")
    lines += [f"        h{o}_{j} <= a{o}_{j};" for o, j in products]
    lines += [f"        g{o}_{j} <= b{o}_{j};" for o, j in products]
    lines += [f"        p{o}_{j} <= h{o}_{j} + g{o}_{j};" for o, j in products]
    lines += [
        "        v1c <= rst ? 1'b0 : v1b;",
        "        first1c <= first1b;",
        "        last1c <= last1b;",
        "        v2 <= rst ? 1'b0 : v1c;",
        "        first2 <= first1c;",
        "        last2 <= last1c;",
        "    end",
        "",
    ]

    # ---- adder trees of the P products of each output (at yw bits: every partial sum fits)
    pipe = Pipeline(pipeline)
    tree_lines: list[str] = []
    sums = []
    for o in range(n):
        terms = []
        for j in range(p):
            ext = f"e{o}_{j}"
            tree_lines.append(f"    wire signed [{yw - 1}:0] {ext} = {_sext(f'p{o}_{j}', pw, yw)};")
            pipe.define(ext, yw, 0)
            terms.append((ext, 0))
        sums.append(adder_tree(pipe, tree_lines, f"t{o}", terms, yw))
    tree_stages = max((pipe.stage_of[s] for s in sums), default=0) + (1 if pipeline and p > 1 else 0)
    sums = [pipe.at(s, tree_stages) for s in sums]
    lines += ["    // ---- adder trees", *tree_lines, *pipe.registers()]
    # the flags follow the tree's registers
    v, first, last = "v2", "first2", "last2"
    v_ahead, last_ahead = "v1c", "last1c"  # the flags' values one clock before
    for stage in range(tree_stages):
        v_ahead, last_ahead = v, last
        lines += [
            f"    reg v3_{stage}, first3_{stage}, last3_{stage};",
            "    always @(posedge clk) begin",
            f"        v3_{stage} <= rst ? 1'b0 : {v};",
            f"        first3_{stage} <= {first};",
            f"        last3_{stage} <= {last};",
            "    end",
        ]
        v, first, last = f"v3_{stage}", f"first3_{stage}", f"last3_{stage}"
    if tiles is None:
        lines += ["", "    // ---- accumulators: the first chunk of position 0 starts a result"]
        for o in range(n):
            lines += [
                f"    reg signed [{yw - 1}:0] acc{o};",
                f"    always @(posedge clk) if ({v}) acc{o} <= {first} ? {sums[o]} : acc{o} + {sums[o]};",
            ]
        done = f"{v} && {last}"
    else:
        flags = (v, first, v_ahead, last_ahead)
        lines += _tile_accumulator_lines(n, yw, sums, flags, 4 + tree_stages, tiles)
        done = f"{v} && {last} && row_last_d"
    lines += [
        "    always @(posedge clk) begin",
        f"        out_valid <= rst ? 1'b0 : ({done});",
        "    end",
        f"    assign out_data = {{{', '.join(f'acc{o}' for o in reversed(range(n)))}}};",
        "    // verilator lint_on UNUSEDSIGNAL",
        "endmodule",
        "",
    ]
    latency = 4 + tree_stages + 1 + (1 if tiles is not None else 0)
    return Fold(
        name, "\n".join(lines), k, n, yw, tuple(lo), tuple(hi), fold, positions, p * n, depth * rom_width, latency
    )


def _tile_position_lines(aw: int, fw: int, fold: int, tiles: FoldTiles) -> list[str]:
    """Position in the tile (row pr, column pc) and tile column ptc of the current input, and the ROM
    address ``(pr * width + pc) * fold + chunk`` as a counter register: at the end of a tile's row segment it
    goes back to the row's start for the next tile column (``row_base``), or on to the next row."""
    cw, rw, tw = _bits(tiles.width + 1), _bits(tiles.height + 1), tiles.count_bits
    w_last, h_last = tiles.width - 1, tiles.height - 1
    return [
        f"    reg [{cw - 1}:0] pc;  // the input's column and row in its tile, and its tile column",
        f"    reg [{rw - 1}:0] pr;",
        f"    reg [{tw - 1}:0] ptc;",
        f"    wire pc_end = (pc == {cw}'d{w_last});",
        f"    wire pr_end = (pr == {rw}'d{h_last});",
        # tiles_x changes only while the core is empty. Registered twice: with tiles_x - 1 from tiles_x itself,
        # Yosys merged this register with the tile windows' equal one, and the ECP5 core's critical path was
        # that one register's route across the chip into this layer's addressing.
        f"    reg [{tw - 1}:0] tiles_x_q, tx_last;",
        "    always @(posedge clk) begin",
        "        tiles_x_q <= tiles_x;",
        f"        tx_last <= rst ? {tw}'d{tiles.columns - 1} : tiles_x_q - 1'b1;",
        "    end",
        # ptc == tx_last from a register compared every clock: ptc steps at a tile's last position, at least
        # width * fold clocks before the compare is used again (through the compare, the tile column's path into
        # the ROM addressing was the ECP5 core's longest in a place-and-route run)
        "    reg ptc_end_q;",
        "    always @(posedge clk) ptc_end_q <= (ptc == tx_last);",
        f"    wire ptc_end = {'ptc_end_q' if tiles.width * fold >= 2 else '(ptc == tx_last)'};",
        f"    reg [{aw - 1}:0] address, row_base;  // (pr * {tiles.width} + pc) * {fold} + chunk; its row's start",
        "    always @(posedge clk) begin",
        "        if (rst) begin",
        f"            pc <= {cw}'d0;",
        f"            pr <= {rw}'d0;",
        f"            ptc <= {tw}'d0;",
        f"            address <= {aw}'d0;",
        f"            row_base <= {aw}'d0;",
        "        end else if (active) begin",
        "            address <= address + 1'b1;",
        "            if (last_chunk) begin",
        f"                pc <= pc_end ? {cw}'d0 : pc + 1'b1;",
        "                if (pc_end) begin",
        f"                    ptc <= ptc_end ? {tw}'d0 : ptc + 1'b1;",
        "                    address <= row_base;",
        "                    if (ptc_end) begin",
        f"                        pr <= pr_end ? {rw}'d0 : pr + 1'b1;",
        f"                        address <= pr_end ? {aw}'d0 : address + 1'b1;",
        f"                        row_base <= pr_end ? {aw}'d0 : address + 1'b1;",
        "                    end",
        "                end",
        "            end",
        "        end",
        "    end",
        f"    wire first_now = (pc == {cw}'d0) && (chunk_now == {fw}'d0);  // a row segment of a tile starts",
        "    wire last_now = pc_end && last_chunk;  // and ends",
        f"    wire [{tw + 1}:0] tag_now = {{pr == {rw}'d0, pr_end, ptc}};  // the tile's first or last row, its column",
    ]


DP16KD_ROWS, DP16KD_BITS = 1024, 18  # an ECP5 block RAM at x18, the one shape a weight ROM takes on it


def _rom_lines(words: list[int], depth: int, width: int, aw: int, pipeline: int = 1) -> list[str]:
    """The weight ROM, read in two registered steps: the RAM's register, then an output register (``w2``).

    At pipeline 0 the second step registers the address instead of the word, with the same timing: the
    word's register, fed by no logic, took a logic cell per bit on iCE40; its address is a few bits."""
    digits = -(-width // 4)
    init = [f"                rom[{a}] = {width}'h{word:0{digits}x};" for a, word in enumerate(words)]

    def memory(style: str) -> list[str]:
        head = [
            f'            (* ram_style = "{style}" *) reg [{width - 1}:0] rom [0:{depth - 1}];',
            "            initial begin",
            *init,
            "            end",
        ]
        if pipeline == 0:
            return [
                *head,
                f"            reg [{aw - 1}:0] address_q;",
                f"            reg [{width - 1}:0] w_q;",
                "            always @(posedge clk) begin",
                "                address_q <= address;",
                "                w_q <= rom[address_q];",
                "            end",
                "            assign w2 = w_q;",
            ]
        return [
            *head,
            f"            reg [{width - 1}:0] w1_q, w2_q;",
            "            always @(posedge clk) begin",
            "                w1_q <= rom[address];",
            "                w2_q <= w1_q;",
            "            end",
            "            assign w2 = w2_q;",
        ]

    lines = [
        "    // The weights, read in two registered steps (the RAM's register, then an output register): block",
        "    // RAM unless ROM_IN_LUTS; on ECP5 with LEPTON_ECP5_DP16KD, DP16KD blocks using their own output",
        "    // register, which Yosys' mapping leaves unused (see lepton_line_ram.v). The same words every way.",
        f"    wire [{width - 1}:0] w2;",
        "    generate",
        "        if (ROM_IN_LUTS != 0) begin : g_lut_rom",
        *memory("logic"),
        "        end else begin : g_block_rom",
    ]
    if depth <= DP16KD_ROWS:
        lines += ["`ifdef LEPTON_ECP5_DP16KD", *_dp16kd_rom(words, width, aw), "`else", *memory("block"), "`endif"]
    else:
        lines += memory("block")
    return [*lines, "        end", "    endgenerate"]


def _dp16kd_rom(words: list[int], width: int, aw: int) -> list[str]:
    """``words`` in DP16KD blocks at x18 (``width`` bits side by side), port B read with REGMODE_B = OUTREG.
    INITVAL_kk holds rows 16k .. 16k+15, row i of them at bits [20i +: 18] (Yosys' convention, which
    tests/backends/rtl/test_line_ram.py checks the DP16KD model against)."""
    blocks = -(-width // DP16KD_BITS)
    address = "address" if aw == 10 else f"{{{10 - aw}'d0, address}}"
    lines = [
        f"            wire [{blocks * DP16KD_BITS - 1}:0] dob;",
        f"            wire [13:0] adb = {{{address}, 4'd0}};  // x18: the row address on AD13..AD4",
    ]
    mask = (1 << DP16KD_BITS) - 1
    for b in range(blocks):
        params = ['.DATA_WIDTH_A(18)', '.DATA_WIDTH_B(18)', '.REGMODE_A("NOREG")', '.REGMODE_B("OUTREG")',
                  '.CSDECODE_A("0b000")', '.CSDECODE_B("0b000")', '.GSR("DISABLED")']  # fmt: skip
        for k in range(-(-len(words) // 16)):
            value = 0
            for i, word in enumerate(words[16 * k : 16 * k + 16]):
                value |= ((word >> (b * DP16KD_BITS)) & mask) << (20 * i)
            if value:
                params.append(f".INITVAL_{k:02X}(320'h{value:080x})")
        ports = [".CLKA(clk)", ".CEA(1'b0)", ".OCEA(1'b0)", ".WEA(1'b0)", ".RSTA(1'b0)",
                 ".CSA0(1'b0)", ".CSA1(1'b0)", ".CSA2(1'b0)",
                 *(f".ADA{i}(1'b0)" for i in range(14)), *(f".DIA{i}(1'b0)" for i in range(18)),
                 ".CLKB(clk)", ".CEB(1'b1)", ".OCEB(1'b1)", ".WEB(1'b0)", ".RSTB(1'b0)",
                 ".CSB0(1'b0)", ".CSB1(1'b0)", ".CSB2(1'b0)",
                 *(f".ADB{i}(adb[{i}])" for i in range(14)), *(f".DIB{i}(1'b0)" for i in range(18)),
                 *(f".DOB{i}(dob[{b * DP16KD_BITS + i}])" for i in range(18))]  # fmt: skip
        param_lines = [f"                {', '.join(params[i : i + 4])}," for i in range(0, len(params), 4)]
        port_lines = [f"                {', '.join(ports[i : i + 9])}," for i in range(0, len(ports), 9)]
        param_lines[-1], port_lines[-1] = param_lines[-1].rstrip(","), port_lines[-1].rstrip(",")
        lines += ["            DP16KD #(", *param_lines, f"            ) rom{b} (", *port_lines, "            );"]
    return [*lines, f"            assign w2 = dob[{width - 1}:0];"]


def _tile_accumulator_lines(
    n: int, yw: int, sums: list[str], flags: tuple[str, str, str, str], delay: int, tiles: FoldTiles
) -> list[str]:  # fmt: skip
    """Accumulators per tile column: a row segment continues its tile's sums from ``saved`` (distributed
    RAM), or starts them at the tile's first row; it saves them at its end, or gives them out at the tile's
    last row. ``tag_now`` is delayed ``delay`` clocks to meet the sums. ``saved`` is read a clock ahead
    into a register, from the tag one step earlier, with the value written in that clock passed through
    when it is the same column's (read, add and write back in one clock were the tiled core's longest
    path on ECP5). ``flags``: the sums' valid and first-chunk flags, and the valid and last-chunk flags of
    a clock earlier (the save and pass-through selects are registers set from them)."""
    assert delay >= 3, delay
    v, first, v_ahead, last_ahead = flags
    tw = tiles.count_bits
    ib = max(1, (tiles.columns - 1).bit_length())
    index = f"column_d[{ib - 1}:0]" if tiles.columns > 1 else "1'b0"
    index_ahead = f"column_e[{ib - 1}:0]" if tiles.columns > 1 else "1'b0"
    lines = [
        "",
        "    // ---- accumulators, one set per tile column",
        f"    reg [{tw + 1}:0] tag_d [0:{delay - 1}];",
        "    integer td;",
        "    always @(posedge clk) begin",
        "        tag_d[0] <= tag_now;",
        f"        for (td = 1; td < {delay}; td = td + 1) tag_d[td] <= tag_d[td - 1];",
        "    end",
        f"    wire row_first_d = tag_d[{delay - 1}][{tw + 1}];",
        f"    wire row_last_d = tag_d[{delay - 1}][{tw}];",
        f"    wire [{tw - 1}:0] column_d = tag_d[{delay - 1}][{tw - 1}:0];",
        f"    wire [{tw - 1}:0] column_e = tag_d[{delay - 2}][{tw - 1}:0];  // column_d of the next clock",
        f"    reg [{n * yw - 1}:0] saved [0:{tiles.columns - 1}];",
        f"    reg [{n * yw - 1}:0] saved_now;  // saved[column_d], read a clock ahead",
        # save and the pass-through's select fan out to every bit: registers, from the flags a clock
        # earlier (v_ahead, last_ahead and tag_d one step back are v, last and tag_d of the next clock)
        "    reg save, pass;  // saved[column_d] <= the sums, this clock; and saved_now <= them",
        f"    wire save_ahead = {v_ahead} && {last_ahead} && !tag_d[{delay - 2}][{tw}];",
        f"    wire [{tw - 1}:0] column_f = tag_d[{delay - 3}][{tw - 1}:0];  // column_e of the next clock",
        "    always @(posedge clk) begin",
        "        save <= !rst && save_ahead;",
        "        pass <= !rst && save_ahead && column_f == column_e;",
        "    end",
    ]
    for o in range(n):
        lines += [
            f"    reg signed [{yw - 1}:0] acc{o};",
            f"    wire signed [{yw - 1}:0] base{o} = {first} ? (row_first_d ? {yw}'sd0 : "
            f"$signed(saved_now[{(o + 1) * yw - 1}:{o * yw}])) : acc{o};",
            f"    wire signed [{yw - 1}:0] next{o} = base{o} + {sums[o]};",
            f"    always @(posedge clk) if ({v}) acc{o} <= next{o};",
        ]
    nexts = ", ".join(f"next{o}" for o in reversed(range(n)))
    lines += [
        "    always @(posedge clk) begin",
        f"        if (save) saved[{index}] <= {{{nexts}}};",
        f"        saved_now <= pass ? {{{nexts}}} : saved[{index_ahead}];",
        "    end",
    ]
    return lines


def _shift_add_halves(x: str, iw: int, signed: bool, w: str, ww: int, pw: int) -> tuple[str, str]:
    """x * w as two sums of partial products (x's bit b selects w << b; a signed x's top bit weighs
    -2**(iw-1)): the low bits' and the high bits', each a balanced tree, every term sign-extended to
    ``pw`` bits (exact: the product fits). Their sum is the product."""
    w_name, w_low = w.split("[")[0], int(w.split(":")[1].rstrip("]"))
    wide = f"{{{{{pw - ww}{{{w_name}[{w_low + ww - 1}]}}}}, {w}}}"
    name, low = x.split("[")[0], int(x.split(":")[1].rstrip("]"))
    terms = [f"({name}[{low + b}] ? ({wide} <<< {b}) : {pw}'sd0)" for b in range(iw)]
    half = (iw + 1) // 2
    return _tree(terms[:half], pw), _tree(terms[half:], pw, negative_last=signed)


def _tree(terms: list[str], pw: int, negative_last: bool = False) -> str:
    if not terms:
        return f"{pw}'sd0"
    negative = terms.pop() if negative_last else None
    while len(terms) > 1:  # pairwise, so the adder depth is log2 of the terms
        terms = [f"({terms[k]} + {terms[k + 1]})" for k in range(0, len(terms) - 1, 2)] + (
            [terms[-1]] if len(terms) % 2 else []
        )
    if not terms:
        return f"({pw}'sd0 - {negative})"
    return f"({terms[0]} - {negative})" if negative else terms[0]


def _address_lines(aw: int, ew: int, fw: int, fold: int, positions: int) -> list[str]:
    """The ROM's read address, ``position * fold + chunk``, as a counter register: the read then starts at a
    flip-flop (the address computed from the input's valid, through the chunk multiplexer and an adder, was
    the ECP5 core's longest path). An input arrives only when the previous one's chunks are done (the
    schedule's fold is at most the layer's interval), so the next chunk's address is always one more, or 0
    after the last position's last chunk."""
    if positions == 1 and fold == 1:
        return [f"    wire [{aw - 1}:0] address = {aw}'d0;"]
    return [
        f"    reg [{aw - 1}:0] address;  // position * {fold} + chunk",
        "    always @(posedge clk) begin",
        f"        if (rst) address <= {aw}'d0;",
        "        else if (active)",
        f"            address <= (position == {ew}'d{positions - 1} && last_chunk) ? {aw}'d0 : address + 1'b1;",
        "    end",
    ]


def _sext(name: str, width: int, to: int) -> str:
    if to <= width:
        return f"{name}[{to - 1}:0]" if to < width else name
    return f"{{{{{to - width}{{{name}[{width - 1}]}}}}, {name}}}"
