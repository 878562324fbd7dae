// lepton_maxpool: non-overlapping KH x KW max pooling over a streamed frame, as the elements arrive.
//
// Elements of an H x W frame arrive in raster order on in_valid (at most one per clock, gaps
// allowed), each C lanes of B bits. Output (or, oc) is the lane-wise maximum of input rows
// or*KH .. +KH-1 and columns oc*KW .. +KW-1 (strides = pool size, no padding: rows and columns
// past OH*KH and OW*KW are dropped, as a valid pooling does). out_valid and out_data come in the
// clock of the window's last element, combinationally: the instantiating stage registers them.
//
// Instead of a window of KH x KW elements (lepton_window) the pooling keeps one running maximum:
// along a row, over the columns of an output (acc); down the rows, over the OW outputs of a row
// (a line memory of OW words). An output's word is read one output ahead (at the last element of
// the output before it), so that each element goes through one comparison: max(base, element),
// where base is the running maximum of the row, or the line memory's word at an output's first
// column, or the type's minimum at an output's first element. On an iCE40, whose flip-flop fed by
// no LUT of its own takes a logic cell alone, this is half the cells of the window and its tree.
`default_nettype none

module lepton_maxpool #(
    parameter integer H = 4,
    parameter integer W = 4,
    parameter integer C = 1,       // lanes (channels) of an element
    parameter integer B = 8,       // bits of a lane
    parameter integer SIGNED = 0,  // lanes are two's complement
    parameter integer KH = 2,
    parameter integer KW = 2,
    parameter integer OH = 2,      // H / KH, rounded down
    parameter integer OW = 2       // W / KW, rounded down
) (
    input wire clk,
    input wire rst,
    input wire in_valid,
    input wire [C*B-1:0] in_data,
    output wire out_valid,
    output wire [C*B-1:0] out_data
);
    localparam integer RW = $clog2(H + 1) + 1;
    localparam integer CWW = $clog2(W + 1) + 1;
    localparam integer PHW = $clog2(KH + 1) + 1;
    localparam integer PWW = $clog2(KW + 1) + 1;
    localparam integer OCW = (OW > 1) ? $clog2(OW) : 1;
    localparam integer LAST_R = H - 1, LAST_C = W - 1, FINAL_PH = KH - 1, FINAL_PW = KW - 1;
    localparam integer POOLED_R = OH * KH, POOLED_C = OW * KW, LAST_OC = OW - 1;
    localparam integer SECOND_OC = (OW > 1) ? 1 : 0;
    localparam integer POOLED_R_1 = POOLED_R - 1, POOLED_C_1 = POOLED_C - 1;  // >= 0: OH, OW >= 1

    // ---- where the element falls: row and column, their phase in the pool, the output column. The flags
    // that the data path reads (first/last of a pool, pooled, end of line) are registers, set for the
    // element to come from comparisons of the current counters: a comparison of a counter in front of the
    // enables made the camera core's longest path on ECP5.
    reg [RW-1:0] r;
    reg [CWW-1:0] c;
    reg [PHW-1:0] rphase;
    reg [PWW-1:0] cphase;
    reg [OCW-1:0] oc, oc_next;  // oc_next = the output column after oc (0 after the last)
    reg end_of_line, last_line, col_in, row_in, first_col, last_col_of_pool, first_row, last_row_of_pool;
    wire pooled = row_in && col_in;  // inside OH*KH rows and OW*KW columns
    wire col_done = in_valid && pooled && last_col_of_pool;  // an output column of this row is complete
    wire col_wrap = end_of_line || last_col_of_pool;  // the next element starts a pool's columns
    wire row_wrap = last_line || last_row_of_pool;
    always @(posedge clk) begin
        if (rst) begin
            r <= {RW{1'b0}};
            c <= {CWW{1'b0}};
            rphase <= {PHW{1'b0}};
            cphase <= {PWW{1'b0}};
            oc <= {OCW{1'b0}};
            oc_next <= SECOND_OC[OCW-1:0];
            end_of_line <= (W == 1);
            last_line <= (H == 1);
            col_in <= 1'b1;
            row_in <= 1'b1;
            first_col <= 1'b1;
            last_col_of_pool <= (KW == 1);
            first_row <= 1'b1;
            last_row_of_pool <= (KH == 1);
        end else if (in_valid) begin
            c <= end_of_line ? {CWW{1'b0}} : c + 1'b1;
            end_of_line <= end_of_line ? (W == 1) : (c == LAST_C[CWW-1:0] - 1'b1);
            col_in <= end_of_line || (c < POOLED_C_1[CWW-1:0]);  // c + 1 < POOLED_C
            cphase <= col_wrap ? {PWW{1'b0}} : cphase + 1'b1;
            first_col <= col_wrap;
            last_col_of_pool <= col_wrap ? (KW == 1) : (cphase == FINAL_PW[PWW-1:0] - 1'b1);
            if (col_done) begin
                oc <= oc_next;
                oc_next <= (oc_next == LAST_OC[OCW-1:0]) ? {OCW{1'b0}} : oc_next + 1'b1;
            end
            if (end_of_line) begin
                r <= last_line ? {RW{1'b0}} : r + 1'b1;
                last_line <= last_line ? (H == 1) : (r == LAST_R[RW-1:0] - 1'b1);
                row_in <= last_line || (r < POOLED_R_1[RW-1:0]);  // r + 1 < POOLED_R
                rphase <= row_wrap ? {PHW{1'b0}} : rphase + 1'b1;
                first_row <= row_wrap;
                last_row_of_pool <= row_wrap ? (KH == 1) : (rphase == FINAL_PH[PHW-1:0] - 1'b1);
                // columns past OW*KW end the line without completing an output: start the next at 0
                oc <= {OCW{1'b0}};
                oc_next <= SECOND_OC[OCW-1:0];
            end
        end
    end

    // ---- the line memory: the running maximum of each output column over the rows so far
    wire [C*B-1:0] above;  // the word of this element's output column
    wire [C*B-1:0] best;   // max(base, in_data), lane by lane (below)
    wire keep_row = col_done && !last_row_of_pool;  // a row of the pool that is not its last
    generate
        if (OW > 1) begin : g_ram
            // oc != oc_next: no read needs the word written in its clock (no_rw_check: see lepton_window)
            (* no_rw_check *) reg [C*B-1:0] mem [0:OW-1];
            reg [C*B-1:0] rd;
            always @(posedge clk) begin
                if (keep_row) mem[oc] <= best;
                // the next output column's word, before its first element (nothing writes it until then)
                if (col_done) rd <= mem[oc_next];
            end
            assign above = rd;
        end else begin : g_reg  // one output column: the word is a register
            reg [C*B-1:0] word;
            always @(posedge clk) if (keep_row) word <= best;
            assign above = word;
        end
    endgenerate

    // ---- one comparison per element and lane
    reg [C*B-1:0] acc;  // the running maximum of this output's columns in this row
    genvar lane;
    generate
        for (lane = 0; lane < C; lane = lane + 1) begin : g_lane
            wire [B-1:0] x = in_data[lane*B +: B];
            wire [B-1:0] lowest = (SIGNED != 0) ? {1'b1, {(B-1){1'b0}}} : {B{1'b0}};
            wire [B-1:0] base = !first_col ? acc[lane*B +: B] : first_row ? lowest : above[lane*B +: B];
            // signed comparison as unsigned with the sign bits flipped
            wire [B-1:0] flip = (SIGNED != 0) ? {1'b1, {(B-1){1'b0}}} : {B{1'b0}};
            wire greater = (x ^ flip) > (base ^ flip);
            assign best[lane*B +: B] = greater ? x : base;
        end
    endgenerate
    always @(posedge clk) if (in_valid && pooled && !last_col_of_pool) acc <= best;
    assign out_valid = col_done && last_row_of_pool;
    assign out_data = best;
endmodule

`default_nettype wire
