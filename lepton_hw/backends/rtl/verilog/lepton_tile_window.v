// lepton_tile_window: line buffers and a sliding window over a frame made of tiles.
//
// The frame is tiles_y x tiles_x tiles of H x W elements (tiles_x, tiles_y set at run time, at most
// TR x TC), streamed in raster order over the whole frame: a line is tiles_x * W elements. Every
// tile is an image of its own: a window never mixes two tiles (elements of a neighbouring tile are
// flagged as padding by out_row_ok/out_col_ok), and each tile has OH x OW outputs.
//
// Every element advances a "slot"; the line buffers are delay lines of one frame line, so the
// window element (i, j) at slot t is the element of slot t - (KH-1-i)*line - (KW-1-j). The output
// whose window starts at tile row r0 - PT and column c0 - PL (its "anchor" (r0, c0), a point of
// the output grid) is emitted at the slot of the element D = DR*line + DC after the anchor, with
// DR = KH-1-PT, DC = KW-1-PL: the window's bottom-right element. A second set of counters walks
// the anchors D slots behind the input. With same padding the last outputs need slots after the
// frame's last element: empty "dummy" slots, one per clock, while the input is idle, or the next
// frame's first elements (then back-to-back frames cost no extra clock).
//
// The generator requires DR < H and DC < W (the window's lag stays inside the first tile).
`default_nettype none

module lepton_tile_window #(
    parameter integer H = 8,     // a tile's rows and columns (of this layer's input)
    parameter integer W = 8,
    parameter integer TR = 2,    // the most tiles down and across (the sizes in reset)
    parameter integer TC = 2,
    parameter integer TXW = 9,   // bits of tiles_x and tiles_y
    parameter integer EW = 8,    // bits of one element (all channels)
    parameter integer KH = 3,
    parameter integer KW = 3,
    parameter integer SH = 1,
    parameter integer SW = 1,
    parameter integer PT = 0,    // zero rows above a tile
    parameter integer PL = 0,    // zero columns left of a tile
    parameter integer OH = 6,    // outputs of a tile
    parameter integer OW = 6,
    // 1: the last outputs need slots after the frame (same padding below or right of a tile); 0: none do,
    // and the dummy slots are left out (their enable, on every window register, was a long path)
    parameter integer DRAIN = 1
) (
    input wire clk,
    input wire rst,
    input wire [TXW-1:0] tiles_x,  // constant while a frame is in the layer
    input wire [TXW-1:0] tiles_y,
    input wire in_valid,
    input wire [EW-1:0] in_data,
    output reg out_valid,
    output reg out_last,
    output wire [KH*KW*EW-1:0] out_window,
    output reg [KH-1:0] out_row_ok,
    output reg [KW-1:0] out_col_ok
);
    // The input, registered: the window's logic then starts at flip-flops placed beside it, whatever the
    // distance to the layer before (a route across the device from that layer's valid into this module's
    // control was the whole-frame core's longest path). It costs the layer one clock.
    // valid_d is a copy of valid_q for the data path (line buffers and window registers, which it enables),
    // so that each fan-out starts at a flip-flop of its own; without the reset (the input is low in reset
    // anyway), so that synthesis does not merge the two.
    reg valid_q, valid_d;
    reg [EW-1:0] data_q;
    always @(posedge clk) begin
        valid_q <= !rst && in_valid;
        valid_d <= in_valid;
        data_q <= in_data;
    end

    localparam integer DR = KH - 1 - PT;
    localparam integer DC = KW - 1 - PL;
    localparam integer RW = $clog2(H + 1) + 1;  // in-tile row and column counters
    localparam integer CW = $clog2(W + 1) + 1;
    localparam integer LINE = TC * W;           // the longest line
    localparam integer AW = (LINE > 1) ? $clog2(LINE) : 1;
    localparam integer LR = (OH - 1) * SH;      // the anchor row and column of a tile's last output
    localparam integer LC = (OW - 1) * SW;

    // The last tile column and row, registered: tiles_x and tiles_y change only while the core is empty,
    // and the compares below then start at a flip-flop (through the subtraction they were the longest path).
    reg [TXW-1:0] tx_last, ty_last;
    localparam integer TC_LAST_I = TC - 1, TR_LAST_I = TR - 1;
    localparam [TXW-1:0] TC_LAST = TC_LAST_I[TXW-1:0], TR_LAST = TR_LAST_I[TXW-1:0];  // in reset: the largest frame, as the framer's
    always @(posedge clk) begin
        tx_last <= rst ? TC_LAST : tiles_x - 1'b1;
        ty_last <= rst ? TR_LAST : tiles_y - 1'b1;
    end

    // ---------------------------------------------------------------- input position
    reg [CW-1:0] c;
    reg [RW-1:0] r;
    reg [TXW-1:0] tc, tr;
    // The tile counters' compares with the last tile column / row, in registers compared every clock: a
    // counter steps only at its tile's last element, W >= 2 elements before the compare is used again, and
    // tx_last and ty_last change only while the core is empty (W == 1 keeps them direct). Through the
    // compares, the counters' paths into the anchors' start flag were among the whole-frame core's longest.
    reg tc_end_q, tr_end_q;
    always @(posedge clk) begin
        tc_end_q <= (tc == tx_last);
        tr_end_q <= (tr == ty_last);
    end
    wire c_end = (c == W[CW-1:0] - 1'b1);
    wire tc_end = (W >= 2) ? tc_end_q : (tc == tx_last);
    wire r_end = (r == H[RW-1:0] - 1'b1);
    wire tr_end = (W >= 2) ? tr_end_q : (tr == ty_last);
    wire frame_last = c_end && tc_end && r_end && tr_end;
    reg in_done;  // the frame's last element has arrived (until the next frame's first)
    // at_d: the next element is element D of tile (0, 0), where a frame's walk of the anchors starts. Kept
    // in a register, from compares on the counters' present values, as the anchors' flags below are.
    localparam integer DC_M1 = DC - 1, DR_M1 = DR - 1;
    localparam AT_D_0 = (DR == 0) && (DC == 0);
    reg at_d;
    // verilator lint_off UNSIGNED
    wire next_c_dc = c_end ? (DC == 0) : (DC > 0) && (c == DC_M1[CW-1:0]);
    wire next_tc_0 = c_end ? tc_end : (tc == {TXW{1'b0}});
    wire next_r_dr = (c_end && tc_end) ? (r_end ? (DR == 0) : (DR > 0) && (r == DR_M1[RW-1:0])) : (r == DR[RW-1:0]);
    wire next_tr_0 = (c_end && tc_end && r_end) ? tr_end : (tr == {TXW{1'b0}});
    // verilator lint_on UNSIGNED
    always @(posedge clk) begin
        if (rst) begin
            c <= {CW{1'b0}};
            r <= {RW{1'b0}};
            tc <= {TXW{1'b0}};
            tr <= {TXW{1'b0}};
            in_done <= 1'b0;
            at_d <= AT_D_0;
        end else if (valid_q) begin
            in_done <= frame_last;
            at_d <= next_c_dc && next_tc_0 && next_r_dr && next_tr_0;
            c <= c_end ? {CW{1'b0}} : c + 1'b1;
            if (c_end) begin
                tc <= tc_end ? {TXW{1'b0}} : tc + 1'b1;
                if (tc_end) begin
                    r <= r_end ? {RW{1'b0}} : r + 1'b1;
                    if (r_end) tr <= tr_end ? {TXW{1'b0}} : tr + 1'b1;
                end
            end
        end
    end

    // ---------------------------------------------------------------- anchors, D slots behind
    // The anchor counters are 0 whenever the walk is not running (reset, and cleared at the walk's last
    // output), so a walk starts from them as they are. Their compares with constants are kept in flag
    // registers (f_*), each set from the counter's present value as the counter steps (x + 1 == K is
    // x == K - 1), so that the emit and end-of-walk logic starts at flip-flops: through the compares it
    // was the whole-frame core's longest path.
    reg run;  // the anchors walk a frame
    reg [CW-1:0] ac;
    reg [RW-1:0] ar;
    reg [TXW-1:0] atc, atr;
    reg [CW-1:0] acp;  // ac mod SW (reset at each tile's left edge)
    reg [RW-1:0] arp;  // ar mod SH
    reg f_c_end, f_c_in, f_c_last, f_cp_0, f_cp_end;  // ac == W-1, ac <= LC, ac == LC, acp == 0, acp == SW-1
    reg f_r_end, f_r_in, f_r_last, f_rp_0, f_rp_end;  // the same for ar, with H, LR and SH
    localparam F_C_END_0 = (W == 1), F_C_LAST_0 = (LC == 0), F_CP_END_0 = (SW == 1);
    localparam F_R_END_0 = (H == 1), F_R_LAST_0 = (LR == 0), F_RP_END_0 = (SH == 1);
    localparam integer W_M2 = W - 2, H_M2 = H - 2, LC_M1 = LC - 1, LR_M1 = LR - 1, SW_M2 = SW - 2, SH_M2 = SH - 2;
    // The anchor (0, 0) of a frame is reached when its element D arrives: row DR, column DC of tile (0, 0).
    wire start = valid_q && !run && at_d;
    wire dummy = (DRAIN != 0) && run && in_done && !valid_q;
    wire slot = valid_q || dummy;
    wire slot_d = valid_d || ((DRAIN != 0) && run && in_done && !valid_d);  // slot, for the data path
    wire active = slot && (run || start);
    wire on_grid = f_cp_0 && f_c_in && f_rp_0 && f_r_in;
    // The walk ends at the frame's last output. Without dummy slots, and when the anchor trails the input
    // (D >= 1), the anchors are cleared in the clock after it, from a register (walk_end): as a reset made
    // by the last-output logic, on every anchor register, it was the whole-frame core's longest path. In
    // that clock nothing is emitted, and no walk starts (run is still set): the next frame's element D
    // comes at least D slots after its first element, which comes after this frame's last output.
    localparam END_REG = (DRAIN == 0) && ((DR > 0) || (DC > 0));
    reg walk_end;
    wire ending = END_REG ? walk_end : 1'b0;
    wire emit = active && on_grid && !ending;
    // The anchors' tile compares, registered in the same way when a tile has W >= 2 columns and LC >= 1
    // (its last output is not in its first column): atc steps at a tile's last column, at least two slots
    // before a compare is used again, and atr at the last column too, before a last output.
    reg atc_end_q, atr_end_q;
    always @(posedge clk) begin
        atc_end_q <= (atc == tx_last);
        atr_end_q <= (atr == ty_last);
    end
    localparam A_REG = (W >= 2) && (LC >= 1);
    wire a_tc_end = A_REG ? atc_end_q : (atc == tx_last);
    wire a_tr_end = A_REG ? atr_end_q : (atr == ty_last);
    wire last_out = emit && f_c_last && f_r_last && a_tc_end && a_tr_end;
    wire a_row_step = f_c_end && a_tc_end;  // the anchor moves to the next row
    wire c_wrap = f_c_end;
    wire cp_wrap = f_c_end || f_cp_end;
    wire r_wrap = f_r_end;
    wire rp_wrap = f_r_end || f_rp_end;
    always @(posedge clk) walk_end <= !rst && active && last_out;
    wire clear = END_REG ? walk_end : (active && last_out);
    // verilator lint_off UNSIGNED
    always @(posedge clk) begin
        if (rst || clear) begin  // the walk ends at the frame's last output
            run <= 1'b0;
            ac <= {CW{1'b0}};
            ar <= {RW{1'b0}};
            atc <= {TXW{1'b0}};
            atr <= {TXW{1'b0}};
            acp <= {CW{1'b0}};
            arp <= {RW{1'b0}};
            {f_c_end, f_c_in, f_c_last, f_cp_0, f_cp_end} <= {F_C_END_0, 1'b1, F_C_LAST_0, 1'b1, F_CP_END_0};
            {f_r_end, f_r_in, f_r_last, f_rp_0, f_rp_end} <= {F_R_END_0, 1'b1, F_R_LAST_0, 1'b1, F_RP_END_0};
        end else if (active) begin
            run <= 1'b1;
            ac <= c_wrap ? {CW{1'b0}} : ac + 1'b1;
            f_c_end <= c_wrap ? F_C_END_0 : (W > 1) && (ac == W_M2[CW-1:0]);
            f_c_in <= c_wrap ? 1'b1 : (ac < LC[CW-1:0]);
            f_c_last <= c_wrap ? F_C_LAST_0 : (LC > 0) && (ac == LC_M1[CW-1:0]);
            acp <= cp_wrap ? {CW{1'b0}} : acp + 1'b1;
            f_cp_0 <= cp_wrap;
            f_cp_end <= cp_wrap ? F_CP_END_0 : (SW > 1) && (acp == SW_M2[CW-1:0]);
            if (c_wrap) atc <= a_tc_end ? {TXW{1'b0}} : atc + 1'b1;
            if (a_row_step) begin
                ar <= r_wrap ? {RW{1'b0}} : ar + 1'b1;
                f_r_end <= r_wrap ? F_R_END_0 : (H > 1) && (ar == H_M2[RW-1:0]);
                f_r_in <= r_wrap ? 1'b1 : (ar < LR[RW-1:0]);
                f_r_last <= r_wrap ? F_R_LAST_0 : (LR > 0) && (ar == LR_M1[RW-1:0]);
                arp <= rp_wrap ? {RW{1'b0}} : arp + 1'b1;
                f_rp_0 <= rp_wrap;
                f_rp_end <= rp_wrap ? F_RP_END_0 : (SH > 1) && (arp == SH_M2[RW-1:0]);
                if (r_wrap) atr <= atr + 1'b1;
            end
        end
    end
    // verilator lint_on UNSIGNED

    // ---------------------------------------------------------------- line buffers
    // KH-1 lines packed side by side in one memory of one line: a write and a read per slot. The read
    // is registered (block RAM) and addressed one slot ahead. The line is tiles_x * W long.
    // line_last = tiles_x * W - 1 = tx_last * W + W - 1, in three registered steps of shifts and adds: the
    // shifted copies of tx_last for W's even-ranked and odd-ranked set bits, summed apart; their sum; plus
    // W - 1 (a multiplier block here, then two adders in one clock, were the ECP5 core's longest path).
    // tiles_x changes only while the core is empty, and the framer waits SETTLE clocks after a change
    // before it takes a frame (its first pixel comes out of the framer at least 6 clocks after tiles_x):
    // line_last is ready 4 clocks after tiles_x, the line addressing's copy of it 5.
    function [AW-1:0] times_w_half(input [TXW-1:0] v, input integer rank);  // rank 0: even, 1: odd
        integer b, k;
        reg [AW+TXW+31:0] sum;
        begin
            sum = {(AW + TXW + 32){1'b0}};
            k = 0;
            for (b = 0; b < 31; b = b + 1)
                if (((W >> b) & 1) != 0) begin
                    if ((k % 2) == rank) sum = sum + ({{(AW + 32){1'b0}}, v} << b);
                    k = k + 1;
                end
            times_w_half = sum[AW-1:0];
        end
    endfunction
    reg [AW-1:0] prod_even, prod_odd, line_prod;
    // verilator lint_off UNUSEDSIGNAL
    reg [AW-1:0] line_last;  // unused when KH = 1 (no line buffer)
    // verilator lint_on UNUSEDSIGNAL
    localparam integer PROD_MAX_I = (TC - 1) * W, LINE_LAST_MAX_I = TC * W - 1;
    localparam integer W_M1_I = W - 1;
    localparam [AW-1:0] PROD_MAX = PROD_MAX_I[AW-1:0], LINE_LAST_MAX = LINE_LAST_MAX_I[AW-1:0];
    localparam [AW-1:0] W_M1 = W_M1_I[AW-1:0];
    always @(posedge clk) begin
        prod_even <= times_w_half(rst ? TC_LAST : tx_last, 0);
        prod_odd <= times_w_half(rst ? TC_LAST : tx_last, 1);
        line_prod <= rst ? PROD_MAX : prod_even + prod_odd;
        line_last <= rst ? LINE_LAST_MAX : line_prod + W_M1;
    end
    wire [EW-1:0] new_elem = valid_d ? data_q : {EW{1'b0}};
    // verilator lint_off UNUSEDSIGNAL
    wire [(KH > 1 ? (KH - 1) * EW : EW)-1:0] lines;   // line l = element l+1 rows above (unused when KH = 1)
    // verilator lint_on UNUSEDSIGNAL
    generate
        if (KH > 1) begin : g_lines
            localparam integer LW = (KH - 1) * EW;
            wire [LW-1:0] rd;  // the lines' word of this slot's address (written a line ago)
            wire [LW-1:0] wr;
            if (KH > 2) begin : g_chain
                assign wr = {rd[LW-EW-1:0], new_elem};
            end else begin : g_single
                assign wr = new_elem;
            end
            // A new tile count (only while the core is empty; the framer then waits SETTLE clocks before the
            // next frame) restarts the line addressing from 0, a clock later: restart is a register (as the
            // compare's output it fanned out, as a synchronous reset, across the chip in one clock).
            reg [TXW-1:0] tiles_x_q;
            reg size_changed;
            always @(posedge clk) begin
                tiles_x_q <= tiles_x;
                size_changed <= !rst && (tiles_x != tiles_x_q);
            end
            wire restart = rst || size_changed;
            // The line addressing's own copy of line_last, a clock later (ready 5 clocks after tiles_x, before
            // the first slot): the addressing sits by the line RAM, and the route from the shared line_last
            // across the chip into its compares made the ECP5 core's longest path in a place-and-route run.
            reg [AW-1:0] addr_last;
            always @(posedge clk) addr_last <= line_last;
            reg [AW-1:0] sc, sc_inc;  // this slot's address; the next one, kept ready in a register
            always @(posedge clk) begin
                if (restart) begin
                    sc <= {AW{1'b0}};
                    sc_inc <= (LINE > 1) ? {{(AW-1){1'b0}}, 1'b1} : {AW{1'b0}};
                end else if (slot_d) begin
                    sc <= sc_inc;
                    sc_inc <= (sc_inc == addr_last) ? {AW{1'b0}} : sc_inc + 1'b1;
                end
            end
            if (LINE > 64 && W >= 8) begin : g_block
                // Block RAM, read ahead: the RAM's word comes out two clocks after its address (RAM register,
                // then output register: see lepton_line_ram.v) into a queue of CAP words before the window uses
                // them. Reads run at most CAP slots ahead of the writes; a line is at least W >= 8 slots, so a
                // word is read after it was written a line ago, never in the clock it is written. After a reset
                // or a restart the queue counts as full with the words of addresses 0 .. CAP-1: they are the
                // line above the frame's first row, never used (valid windows) or masked as padding, so any
                // value will do, and the reads go on from address CAP (3 clocks of latency, at most one slot a
                // clock: in time).
                localparam integer CAP = 4;
                wire [LW-1:0] fab_q;  // the word read two clocks ago
                reg [LW-1:0] queue [0:CAP-1];
                reg [AW-1:0] ra;      // the address of the next read
                reg [2:0] level;      // words read or in flight, not yet taken by a slot
                reg v1, v2;           // a read in the RAM's register, in the fabric register
                reg [1:0] qw, qr;     // queue pointers
                wire issue = (level < CAP[2:0]) || slot_d;
                lepton_line_ram #(.DEPTH(LINE), .WIDTH(LW), .AW(AW)) ram (
                    .clk(clk), .we(slot_d), .wa(sc), .wd(wr), .ra(ra), .rd(fab_q)
                );
                always @(posedge clk) if (v2) queue[qw] <= fab_q;
                always @(posedge clk) begin
                    if (restart) begin
                        ra <= CAP[AW-1:0];
                        level <= CAP[2:0];
                        v1 <= 1'b0;
                        v2 <= 1'b0;
                        qw <= 2'd0;
                        qr <= 2'd0;
                    end else begin
                        v1 <= issue;
                        v2 <= v1;
                        if (issue) ra <= (ra == addr_last) ? {AW{1'b0}} : ra + 1'b1;
                        level <= level + {2'd0, issue} - {2'd0, slot_d};
                        if (v2) qw <= qw + 1'b1;
                        if (slot_d) qr <= qr + 1'b1;
                    end
                end
                assign rd = queue[qr];
            end else begin : g_any
                reg [LW-1:0] mem [0:LINE-1];
                reg [LW-1:0] rd_q;
                always @(posedge clk) begin
                    if (slot_d) mem[sc] <= wr;
                    if (slot_d) rd_q <= mem[sc_inc];  // the next slot's word (see lepton_window.v)
                end
                assign rd = rd_q;
            end
            assign lines = rd;
        end else begin : g_no_lines
            assign lines = {EW{1'b0}};
        end
    endgenerate

    // ---------------------------------------------------------------- window
    wire [KH*KW*EW-1:0] win;
    genvar gi, gj;
    generate
        for (gi = 0; gi < KH; gi = gi + 1) begin : g_row
            wire [EW-1:0] column_in;
            if (gi == KH - 1) begin : g_new
                assign column_in = new_elem;
            end else begin : g_old
                assign column_in = lines[(KH - 2 - gi)*EW +: EW];
            end
            for (gj = 0; gj < KW; gj = gj + 1) begin : g_col
                reg [EW-1:0] element;
                wire [EW-1:0] shift_in;
                if (gj == KW - 1) begin : g_last
                    assign shift_in = column_in;
                end else begin : g_inner
                    assign shift_in = win[(gi*KW + gj + 1)*EW +: EW];
                end
                always @(posedge clk) if (slot_d) element <= shift_in;
                assign win[(gi*KW + gj)*EW +: EW] = element;
            end
        end
    endgenerate
    assign out_window = win;

    // ---------------------------------------------------------------- outputs
    always @(posedge clk) begin
        if (rst) begin
            out_valid <= 1'b0;
            out_last <= 1'b0;
        end else begin
            out_valid <= emit;
            out_last <= last_out;
        end
    end
    // Padding flags: the window's row i is tile row ar - PT + i; inside the tile or not (constants only).
    wire signed [31:0] ar32 = {{(32 - RW){1'b0}}, ar};
    wire signed [31:0] ac32 = {{(32 - CW){1'b0}}, ac};
    integer pi;
    always @(posedge clk) begin
        if (emit) begin
            for (pi = 0; pi < KH; pi = pi + 1)
                out_row_ok[pi] <= (ar32 + pi - PT >= 0) && (ar32 + pi - PT < H);
        end
    end
    integer pj;
    always @(posedge clk) begin
        if (emit) begin
            for (pj = 0; pj < KW; pj = pj + 1)
                out_col_ok[pj] <= (ac32 + pj - PL >= 0) && (ac32 + pj - PL < W);
        end
    end
endmodule

`default_nettype wire
