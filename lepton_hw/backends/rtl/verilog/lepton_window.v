// lepton_window: line buffers and a sliding window over a streamed frame (one element per slot).
//
// Elements of an H x W frame arrive in raster order on in_valid (at most one per clock, gaps
// allowed). Every element also advances a "slot": the line buffers are delay lines of W slots
// and the window holds the last KW columns of KH rows, so that the window element (i, j) at
// slot t is the element of slot t - (KH-1-i)*W - (KW-1-j). The output at (or, oc) is emitted
// at the slot whose window covers input rows or*SH-PT .. +KH-1 and columns oc*SW-PL .. +KW-1;
// window elements outside the frame (zero padding) are flagged by out_row_ok/out_col_ok.
//
// With same padding the last outputs need slots after the frame's last element (DRAIN = 1).
// Those slots are the next frame's first elements when they come at once (back-to-back frames
// cost no extra cycle), or empty "dummy" slots, one per clock, when the input is idle.
// The generator refuses layers whose outputs would need slots past the next frame.
//
// Output: out_valid for one clock per output position, with the window registers (element
// (i, j) at bits [(i*KW+j)*EW +: EW]) and the padding flags; out_last marks the frame's last.
`default_nettype none

module lepton_window #(
    parameter integer H = 8,
    parameter integer W = 8,
    parameter integer EW = 8,    // bits of one element (all channels)
    parameter integer KH = 3,
    parameter integer KW = 3,
    parameter integer SH = 1,
    parameter integer SW = 1,
    parameter integer PT = 0,    // zero rows above the frame
    parameter integer PL = 0,    // zero columns left of the frame
    parameter integer OH = 6,
    parameter integer OW = 6,
    parameter integer DRAIN = 0, // 1: outputs continue after the frame's last element
    parameter integer PADDED = 1 // 0: no window reaches outside the frame (valid padding): the flags are all 1
) (
    input wire clk,
    input wire rst,
    input wire in_valid,
    input wire [EW-1:0] in_data,
    output reg out_valid,
    output reg out_last,
    output wire [KH*KW*EW-1:0] out_window,
    output reg [KH-1:0] out_row_ok,
    output reg [KW-1:0] out_col_ok
);
    localparam integer HW = H * W;
    localparam integer T_FIRST = (KH - 1 - PT) * W + (KW - 1 - PL);  // slot of output (0, 0)
    localparam integer T_LAST = ((OH - 1) * SH + KH - 1 - PT) * W + (OW - 1) * SW + KW - 1 - PL;
    localparam integer TW = $clog2(T_LAST + 2) + 1;   // slot counters (unsigned)
    localparam integer CW = $clog2(HW + 1) + 1;       // element counter
    localparam integer PW = $clog2(H + W + KH + KW + 4) + 2;  // signed window positions
    localparam integer AW = (W > 1) ? $clog2(W) : 1;  // line buffer address

    // ---------------------------------------------------------------- slot bookkeeping
    reg busy;              // a frame is current (its input or its outputs are not finished)
    reg in_done;           // every element of the current frame has arrived
    reg out_done;          // every output of the current frame has been emitted
    reg nxt;               // the next frame's first element has arrived (current still draining)
    reg [TW-1:0] os;       // slots since the current frame's first element
    reg [TW-1:0] delta;    // os at the next frame's first element
    reg [CW-1:0] in_count; // elements of the frame that is arriving
    reg [TW-1:0] tgt;      // slot of the next output
    reg [TW-1:0] row_tgt;  // slot of the first output of the current output row
    reg [PW-1:0] or_count, oc_count;   // next output position
    reg signed [PW-1:0] rbase, cbase;  // its window's top-left input position

    wire dummy = (DRAIN != 0) && busy && in_done && !out_done && !nxt && !in_valid;
    wire slot = in_valid || dummy;
    wire [TW-1:0] os_now = busy ? os : {TW{1'b0}};
    wire emit, last_out;  // an output at this slot; the frame's last (see g_simple / g_general below)
    wire emit_general = slot && !(busy && out_done) && (os_now == tgt);
    wire last_col = (oc_count == OW[PW-1:0] - 1'b1);
    wire last_general = emit_general && last_col && (or_count == OH[PW-1:0] - 1'b1);
    wire elem_current = in_valid && !(busy && in_done);      // belongs to the current frame
    wire last_elem = elem_current && (in_count == HW[CW-1:0] - 1'b1);
    wire in_done_n = (busy && in_done) || last_elem;
    wire out_done_n = (busy && out_done) || last_out;
    wire first_of_next = in_valid && busy && in_done && !nxt;
    wire nxt_n = nxt || first_of_next;
    wire [TW-1:0] delta_n = first_of_next ? os_now : delta;
    wire retire = in_done_n && out_done_n;

    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            in_done <= 1'b0;
            out_done <= 1'b0;
            nxt <= 1'b0;
            os <= {TW{1'b0}};
            delta <= {TW{1'b0}};
            in_count <= {CW{1'b0}};
            tgt <= T_FIRST[TW-1:0];
            row_tgt <= T_FIRST[TW-1:0];
            or_count <= {PW{1'b0}};
            oc_count <= {PW{1'b0}};
            rbase <= -$signed(PT[PW-1:0]);
            cbase <= -$signed(PL[PW-1:0]);
        end else if (slot) begin
            if (in_valid) in_count <= (in_count == HW[CW-1:0] - 1'b1) ? {CW{1'b0}} : in_count + 1'b1;
            if (retire) begin
                // The next frame (if it has started) becomes current; its slots count from its first.
                busy <= nxt_n;
                in_done <= 1'b0;
                out_done <= 1'b0;
                nxt <= 1'b0;
                os <= os_now + 1'b1 - delta_n;
                tgt <= T_FIRST[TW-1:0];
                row_tgt <= T_FIRST[TW-1:0];
                or_count <= {PW{1'b0}};
                oc_count <= {PW{1'b0}};
                rbase <= -$signed(PT[PW-1:0]);
                cbase <= -$signed(PL[PW-1:0]);
            end else begin
                busy <= 1'b1;
                in_done <= in_done_n;
                out_done <= out_done_n;
                nxt <= nxt_n;
                delta <= delta_n;
                os <= os_now + 1'b1;
                if (emit_general) begin
                    if (last_col) begin
                        oc_count <= {PW{1'b0}};
                        or_count <= or_count + 1'b1;
                        tgt <= row_tgt + SH[TW-1:0] * W[TW-1:0];
                        row_tgt <= row_tgt + SH[TW-1:0] * W[TW-1:0];
                        cbase <= -$signed(PL[PW-1:0]);
                        rbase <= rbase + $signed(SH[PW-1:0]);
                    end else begin
                        oc_count <= oc_count + 1'b1;
                        tgt <= tgt + SW[TW-1:0];
                        cbase <= cbase + $signed(SW[PW-1:0]);
                    end
                end
            end
        end
    end

    // Valid padding and no drain (the common case): an output falls on input element (r, c) when a
    // whole window ends there on the stride grid; a row and a column counter and their stride phases
    // say it, instead of the general slot arithmetic above (which synthesis then drops).
    generate
        // verilator lint_off UNSIGNED
        if (DRAIN == 0 && PADDED == 0) begin : g_simple
            localparam integer RCW = $clog2(H + 1) + 1;
            localparam integer CCW = $clog2(W + 1) + 1;
            localparam integer LAST_R = (OH - 1) * SH + KH - 1;
            localparam integer LAST_C = (OW - 1) * SW + KW - 1;
            localparam integer FR = KH - 1, RS = SH - 1, LL = H - 1, FC = KW - 1, CS = SW - 1, LP = W - 1;
            wire [RCW-1:0] FIRST_ROW = FR[RCW-1:0], LAST_ROW = LAST_R[RCW-1:0];
            wire [RCW-1:0] ROW_STEP = RS[RCW-1:0], LAST_LINE = LL[RCW-1:0];
            wire [CCW-1:0] FIRST_COL = FC[CCW-1:0], LAST_COL = LAST_C[CCW-1:0];
            wire [CCW-1:0] COL_STEP = CS[CCW-1:0], LAST_PIXEL = LP[CCW-1:0];
            reg [RCW-1:0] r;
            reg [CCW-1:0] c;
            reg [RCW-1:0] rphase;  // (r - (KH-1)) mod SH, from row KH-1 on
            reg [CCW-1:0] cphase;
            wire row_out = (r >= FIRST_ROW) && (r <= LAST_ROW) && (rphase == {RCW{1'b0}});
            wire col_out = (c >= FIRST_COL) && (c <= LAST_COL) && (cphase == {CCW{1'b0}});
            wire end_of_line = (c == LAST_PIXEL);
            // verilator lint_off UNUSEDSIGNAL
            wire unused_general = last_general;  // the general bookkeeping is not used here
            // verilator lint_on UNUSEDSIGNAL
            assign emit = in_valid && row_out && col_out;
            assign last_out = emit && (r == LAST_ROW) && (c == LAST_COL);
            always @(posedge clk) begin
                if (rst) begin
                    r <= {RCW{1'b0}};
                    c <= {CCW{1'b0}};
                    rphase <= {RCW{1'b0}};
                    cphase <= {CCW{1'b0}};
                end else if (in_valid) begin
                    c <= end_of_line ? {CCW{1'b0}} : c + 1'b1;
                    cphase <= (end_of_line || c < FIRST_COL || cphase == COL_STEP) ? {CCW{1'b0}} : cphase + 1'b1;
                    if (end_of_line) begin
                        r <= (r == LAST_LINE) ? {RCW{1'b0}} : r + 1'b1;
                        rphase <= (r == LAST_LINE || r < FIRST_ROW || rphase == ROW_STEP) ? {RCW{1'b0}} : rphase + 1'b1;
                    end
                end
            end
        end else begin : g_general
            assign emit = emit_general;
            assign last_out = last_general;
        end
        // verilator lint_on UNSIGNED
    endgenerate

    // ---------------------------------------------------------------- line buffers
    // KH-1 lines packed side by side in one memory of depth W: a write and a read per slot.
    // The read is registered (block RAM) and addressed one slot ahead.
    wire [EW-1:0] new_elem = in_valid ? in_data : {EW{1'b0}};
    // verilator lint_off UNUSEDSIGNAL
    wire [(KH > 1 ? (KH - 1) * EW : EW)-1:0] lines;   // line l = element l+1 rows above (unused when KH = 1)
    // verilator lint_on UNUSEDSIGNAL
    generate
        if (KH > 1) begin : g_lines
            localparam integer LW = (KH - 1) * EW;
            reg [LW-1:0] rd;
            wire [LW-1:0] wr;
            if (KH > 2) begin : g_chain
                assign wr = {rd[LW-EW-1:0], new_elem};
            end else begin : g_single
                assign wr = new_elem;
            end
            if (W > 1) begin : g_ram
                // Lines longer than 64 words are asked to be block RAM (a full camera line must be);
                // shorter ones are left to synthesis, which makes them LUT RAM where the family has it
                // (on ECP5 a block RAM's read, 5.8 ns clock-to-out with Yosys, would cap the clock).
                // sc: this slot's address; sc_inc = sc + 1 (mod W), kept ready in a register. A slot
                // writes its element at sc and reads the next slot's word at sc_inc: nothing writes that
                // word before the next slot, so the read address is a register and the slot only the
                // read's enable (a multiplexer by slot in front of a LUT RAM's address made the
                // one-tile core's ECP5 critical path).
                reg [AW-1:0] sc, sc_inc;
                always @(posedge clk) begin
                    if (rst) begin
                        sc <= {AW{1'b0}};
                        sc_inc <= {{(AW-1){1'b0}}, 1'b1};
                    end else if (slot) begin
                        sc <= sc_inc;
                        sc_inc <= (sc_inc == W[AW-1:0] - 1'b1) ? {AW{1'b0}} : sc_inc + 1'b1;
                    end
                end
                // sc != sc_inc (W > 1): no read needs the word written in its clock, which no_rw_check
                // tells Yosys (else, on iCE40, it delays the write and bypasses the read through
                // registers as wide as the line: a third of the 8-filter core's lone flip-flops).
                if (W > 64) begin : g_block
                    (* ram_style = "block", no_rw_check *) reg [LW-1:0] mem [0:W-1];
                    always @(posedge clk) begin
                        if (slot) mem[sc] <= wr;
                        if (slot) rd <= mem[sc_inc];
                    end
                end else begin : g_any
                    (* no_rw_check *) reg [LW-1:0] mem [0:W-1];
                    always @(posedge clk) begin
                        if (slot) mem[sc] <= wr;
                        if (slot) rd <= mem[sc_inc];
                    end
                end
            end else begin : g_reg  // a one-element line is a register
                always @(posedge clk) if (slot) rd <= wr;
            end
            assign lines = rd;
        end else begin : g_no_lines
            assign lines = {EW{1'b0}};
        end
    endgenerate

    // ---------------------------------------------------------------- window
    // win[(i*KW + j)*EW +: EW]: row i (0 = top), column j (0 = left). Each slot shifts the
    // columns left and appends the new column: row KH-1 = the new element, row i = line KH-2-i.
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
                always @(posedge clk) if (slot) element <= shift_in;
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
    generate
        if (PADDED != 0) begin : g_flags
            // Window positions as 32-bit integers, to compare with the frame size.
            wire signed [31:0] rbase32 = {{(32 - PW){rbase[PW-1]}}, rbase};
            wire signed [31:0] cbase32 = {{(32 - PW){cbase[PW-1]}}, cbase};
            integer pi;  // one loop variable per always block (Yosys: no shared drivers)
            always @(posedge clk) begin
                if (emit) begin
                    for (pi = 0; pi < KH; pi = pi + 1)
                        out_row_ok[pi] <= (rbase32 + pi >= 0) && (rbase32 + pi < H);
                end
            end
            integer pj;
            always @(posedge clk) begin
                if (emit) begin
                    for (pj = 0; pj < KW; pj = pj + 1)
                        out_col_ok[pj] <= (cbase32 + pj >= 0) && (cbase32 + pj < W);
                end
            end
        end else begin : g_no_flags
            // verilator lint_off UNUSEDSIGNAL
            wire unused_positions = ^{rbase, cbase};
            // verilator lint_on UNUSEDSIGNAL
            always @(posedge clk) begin
                out_row_ok <= {KH{1'b1}};
                out_col_ok <= {KW{1'b1}};
            end
        end
    endgenerate
endmodule

`default_nettype wire
