// lepton_tile_result: the results of a frame's tiles as one packet per frame, never stalling the network.
//
// Results arrive one per tile, in raster order (tiles_x per tile row, tiles_y rows), stored compact
// (the class index in CW bits, then BEATS-1 signed values of VW bits). Each goes out as BEATS 32-bit
// beats: beat 0 = {tile row[7:0], tile column[7:0], class index[15:0]}, beats 1.. the values
// sign-extended; m_tuser on a frame's first beat, m_tlast on its last.
//
// The camera cannot wait, so neither can the network: a result that finds the queue full is
// dropped and counted (ev_dropped). The queue keeps one entry for a frame's last tile, so a frame's
// packet ends with it; if even that entry is taken, the last result is dropped and the frame's
// packet ends on the last one queued (its tlast flag is set in the queue, where it still waits).
`default_nettype none

module lepton_tile_result #(
    parameter integer BEATS = 6,
    parameter integer DEPTH = 4,  // at least 2
    parameter integer CW = 3,     // bits of the class index (at most 16)
    parameter integer VW = 32,    // bits of one value (at most 32)
    parameter integer NC = 5,     // classes (counted per frame)
    parameter integer TXW = 9,    // bits of tiles_x and tiles_y
    parameter integer TR = 2,     // the most tiles down and across (the sizes in reset)
    parameter integer TC = 2
) (
    input wire clk,
    input wire rst,
    input wire [TXW-1:0] tiles_x,  // constant while a frame's results are out
    input wire [TXW-1:0] tiles_y,
    input wire res_valid,
    input wire [CW+(BEATS-1)*VW-1:0] res_data,
    output wire [31:0] m_tdata,
    output wire m_tuser,
    output wire m_tlast,
    output wire m_tvalid,
    input wire m_tready,
    output reg ev_frame_end,         // pulse: a frame's last tile was classified
    output reg ev_dropped,           // pulse: a result was dropped
    output reg [NC*32-1:0] class_counts  // tiles per class of the last frame (updated with ev_frame_end)
);
    localparam integer QW = $clog2(DEPTH);
    localparam integer NW = $clog2(DEPTH + 1) + 1;
    localparam integer BW = $clog2(BEATS + 1);
    localparam integer RW = CW + (BEATS - 1) * VW;
    localparam integer EW = RW + 16 + 1;  // result, tile position, first flag (the last flags apart)

    // ---- the tile of each result, and the per-class counts of the frame
    reg [TXW-1:0] tx_last, ty_last;  // registered: the sizes change only while the core is empty
    localparam integer TC_LAST_I = TC - 1, TR_LAST_I = TR - 1;
    localparam [TXW-1:0] TC_LAST = TC_LAST_I[TXW-1:0], TR_LAST = TR_LAST_I[TXW-1:0];
    always @(posedge clk) begin
        tx_last <= rst ? TC_LAST : tiles_x - 1'b1;
        ty_last <= rst ? TR_LAST : tiles_y - 1'b1;
    end
    reg [TXW-1:0] col, row;
    // (col, row) at the last column / row, as registers: compares in the result's path into the queue's
    // write were the core's longest path; they are made a clock ahead, on the counters' next values.
    reg col_end, row_end;
    wire frame_last = col_end && row_end;
    wire [TXW-1:0] col_n = rst ? {TXW{1'b0}} : !res_valid ? col : col_end ? {TXW{1'b0}} : col + 1'b1;
    wire [TXW-1:0] row_n = rst ? {TXW{1'b0}} : !(res_valid && col_end) ? row : row_end ? {TXW{1'b0}} : row + 1'b1;
    always @(posedge clk) begin
        col <= col_n;
        row <= row_n;
        col_end <= (col_n == tx_last);
        row_end <= (row_n == ty_last);
    end
    // The class counts work a clock behind, from registered copies of the result's class and last flag
    // (sharing frame_last with the queue's room logic, the wide counters drew it across the chip).
    reg c_valid, c_last;
    reg [CW-1:0] cls;
    always @(posedge clk) begin
        c_valid <= !rst && res_valid;
        c_last <= frame_last;
        cls <= res_data[CW-1:0];
    end
    reg [31:0] counting [0:NC-1];
    integer k;
    always @(posedge clk) begin
        ev_frame_end <= !rst && c_valid && c_last;
        if (rst) begin
            for (k = 0; k < NC; k = k + 1) counting[k] <= 32'd0;
            class_counts <= {NC*32{1'b0}};
        end else if (c_valid) begin
            for (k = 0; k < NC; k = k + 1) begin
                if (c_last) begin
                    counting[k] <= 32'd0;
                    class_counts[k*32 +: 32] <= counting[k] + ((cls == k[CW-1:0]) ? 32'd1 : 32'd0);
                end else if (cls == k[CW-1:0]) begin
                    counting[k] <= counting[k] + 1'b1;
                end
            end
        end
    end

    // ---- the queue
    reg [EW-1:0] entries [0:DEPTH-1];
    reg [QW-1:0] wr, rd;
    reg [NW-1:0] count;
    reg [BW-1:0] beat;
    reg open;  // a packet is open: a tile of this frame is queued and its last is not yet
    wire [EW-1:0] head = entries[rd];
    wire head_last = last_flags[rd];
    // beat == BEATS - 1, kept in a register stepped with beat (the compare sat on the path from the handshake
    // through retire into the queue's room flags)
    reg last_beat;
    localparam integer BEATS_M2_I = BEATS >= 2 ? BEATS - 2 : 0;
    localparam [BW-1:0] BEATS_M2 = BEATS_M2_I[BW-1:0];
    reg nonempty;  // count != 0, kept in a register
    assign m_tvalid = nonempty;
    wire sent = m_tvalid && m_tready;
    wire retire = sent && last_beat;
    // Room for a result, from registers: a frame's last tile may take the last entry, the others all but it.
    // (Counted before this clock's retire: a result that comes as the queue frees an entry is dropped; the
    // direct form, count - retire compared with the limit, was the core's longest path.)
    reg room_tile, room_last;
    wire accept = res_valid && (frame_last ? room_last : room_tile);
    wire drop = res_valid && !accept;
    wire [7:0] row8, col8;  // the tile's row and column in 8 bits (TXW may be less or more)
    generate
        if (TXW >= 8) begin : g_narrow
            assign row8 = row[7:0];
            assign col8 = col[7:0];
        end else begin : g_wide
            assign row8 = {{(8 - TXW){1'b0}}, row};
            assign col8 = {{(8 - TXW){1'b0}}, col};
        end
    endgenerate
    wire [15:0] position = {row8, col8};
    reg [QW-1:0] tail;  // the entry written last
    reg [DEPTH-1:0] last_flags;  // entry k holds its frame's last tile (flip-flops: two writers)

    wire [RW-1:0] head_result = head[RW-1:0];
    wire [31:0] beats [0:(1 << BW) - 1];
    assign beats[0] = {head[RW +: 16], {(16 - CW){1'b0}}, head_result[CW-1:0]};
    genvar gb;
    generate
        for (gb = BEATS; gb < (1 << BW); gb = gb + 1) begin : g_unused
            assign beats[gb] = 32'd0;
        end
        for (gb = 1; gb < BEATS; gb = gb + 1) begin : g_beat
            wire [VW-1:0] value = head_result[CW + (gb - 1) * VW +: VW];
            if (VW < 32) begin : g_extend
                assign beats[gb] = {{(32 - VW){value[VW-1]}}, value};
            end else begin : g_whole
                assign beats[gb] = value;
            end
        end
    endgenerate
    assign m_tdata = beats[beat];
    assign m_tuser = head[EW-1] && (beat == {BW{1'b0}});
    assign m_tlast = head_last && last_beat;

    wire [NW-1:0] count_n = count - {{(NW-1){1'b0}}, retire} + {{(NW-1){1'b0}}, accept};
    // The next count's flags, each compared from count for the three steps it can take and then selected by
    // the step (count_n compared, an adder then a compare after the handshake, was the core's longest path).
    localparam integer DEPTH_M1 = DEPTH - 1, DEPTH_M2 = DEPTH - 2;
    localparam [NW-1:0] D = DEPTH[NW-1:0], D1 = DEPTH_M1[NW-1:0], D2 = DEPTH_M2[NW-1:0];
    localparam [NW-1:0] ONE = 1;
    // Written as a choice by accept and retire between flags of count (the form "count goes up / down"
    // made a deeper path from m_tready into these registers).
    wire lt_d2 = count < D2, lt_d1 = count < D1, lt_d = count < D;
    wire nz = count != {NW{1'b0}}, gt_one = count > ONE;
    always @(posedge clk) begin
        room_tile <= rst || (accept ? (retire ? lt_d1 : lt_d2) : (retire ? lt_d : lt_d1));
        room_last <= rst || (accept ? (retire ? lt_d : lt_d1) : (retire || lt_d));
        nonempty <= !rst && (accept || (retire ? gt_one : nz));
    end

    always @(posedge clk) begin
        ev_dropped <= !rst && drop;
        if (accept) begin
            entries[wr] <= {!open, position, res_data};
            last_flags[wr] <= frame_last;
            tail <= wr;
        end
        // the frame's last result dropped: its packet ends on the last tile queued (not sent yet: the queue is full)
        if (drop && frame_last && open) last_flags[tail] <= 1'b1;
        if (rst) begin
            wr <= {QW{1'b0}};
            rd <= {QW{1'b0}};
            count <= {NW{1'b0}};
            beat <= {BW{1'b0}};
            last_beat <= (BEATS == 1);
            open <= 1'b0;
        end else begin
            if (accept) wr <= (wr == DEPTH[QW-1:0] - 1'b1) ? {QW{1'b0}} : wr + 1'b1;
            if (retire) rd <= (rd == DEPTH[QW-1:0] - 1'b1) ? {QW{1'b0}} : rd + 1'b1;
            count <= count_n;
            if (sent) begin
                beat <= last_beat ? {BW{1'b0}} : beat + 1'b1;
                last_beat <= last_beat ? (BEATS == 1) : (beat == BEATS_M2);
            end
            if (res_valid) open <= frame_last ? 1'b0 : (open || accept);
        end
    end
endmodule

`default_nettype wire
