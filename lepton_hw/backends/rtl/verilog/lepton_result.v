// lepton_result: pairs each frame's result with its end-of-frame flag, drops the results of
// malformed frames, and sends the others as packets of BEATS 32-bit beats (tlast on the last).
// A result is stored compact (the class index in CW bits, then BEATS-1 signed values of VW bits)
// and widened to 32-bit beats on the way out: beat 0 the index, beats 1.. the values sign-extended.
//
// Backpressure without losing anything: a frame is admitted (sof_ok) only while the frames
// admitted and not yet retired are fewer than DEPTH, the result queue's size. The network
// itself never stalls; the only stall point is the start of a frame, in the framer.
`default_nettype none

module lepton_result #(
    parameter integer BEATS = 6,
    parameter integer DEPTH = 2,
    parameter integer CW = 3,    // bits of the class index
    parameter integer VW = 32,   // bits of one value (at most 32)
    parameter integer BRAM = 0   // 1: the queue in block RAM, read through a register (see g_bram)
) (
    input wire clk,
    input wire rst,
    input wire frame_start,
    input wire frame_end,
    input wire frame_bad,
    input wire res_valid,
    input wire [CW+(BEATS-1)*VW-1:0] res_data,
    output wire sof_ok,
    output wire [31:0] m_tdata,
    output wire m_tlast,
    output wire m_tvalid,
    input wire m_tready,
    output reg [31:0] frame_count
);
    localparam integer QW = $clog2(DEPTH) > 0 ? $clog2(DEPTH) : 1;  // queue index
    localparam integer NW = $clog2(DEPTH + 1) + 1;                  // counts 0..DEPTH
    localparam integer BW = $clog2(BEATS + 1);

    localparam integer RW = CW + (BEATS - 1) * VW;
    function [QW-1:0] next_index(input [QW-1:0] index);
        next_index = (index == DEPTH[QW-1:0] - 1'b1) ? {QW{1'b0}} : index + 1'b1;
    endfunction

    reg [DEPTH-1:0] bad_flags;
    reg [QW-1:0] res_wr, res_rd, end_wr, end_rd;
    reg [NW-1:0] res_count, end_count, outstanding;
    reg [BW-1:0] beat;

    // The head's status is kept in registers, computed from the next state (the combinational
    // version, counters -> compare -> retire -> every pointer, was the core's longest path on ECP5).
    reg head_ready;  // a result and its frame's end flag are both queued
    reg head_bad;    // the head's frame was malformed: its result is dropped
    reg head_last;   // beat is the packet's last
    assign m_tvalid = head_ready && !head_bad;
    wire [RW-1:0] head;
    wire retire = head_ready && (head_bad || (m_tready && m_tlast));
    wire [QW-1:0] res_rd_n = retire ? next_index(res_rd) : res_rd;
    // The queue: flip-flops read through a multiplexer, or (BRAM) a block RAM read into a register at
    // the next head's address. Where flip-flops are scarce (iCE40: a flip-flop fed by no LUT of its own
    // takes a logic cell alone) the block RAM saves a cell per stored bit. A block RAM read in the clock
    // of a write returns the old word (or, on iCE40, an undefined one), so there a result is the head
    // only from the second clock after its write (head_ready below): one clock more to the first beat
    // when the queue was empty. No read then needs the word written in its clock, which no_rw_check
    // tells Yosys (else it adds a bypass register and multiplexer as wide as the word).
    generate
        if (BRAM != 0) begin : g_bram
            (* ram_style = "block", no_rw_check *) reg [RW-1:0] results [0:DEPTH-1];
            reg [RW-1:0] head_q;
            always @(posedge clk) begin
                if (res_valid) results[res_wr] <= res_data;
                head_q <= results[res_rd_n];
            end
            assign head = head_q;
        end else begin : g_regs
            reg [RW-1:0] results [0:DEPTH-1];
            always @(posedge clk) if (res_valid) results[res_wr] <= res_data;
            assign head = results[res_rd];
        end
    endgenerate
    // The beats, widened: a plain multiplexer over BEATS words (no shifter).
    wire [31:0] beats [0:(1 << BW) - 1];  // indexed by beat: every value of its BW bits exists
    assign beats[0] = {{(32 - CW){1'b0}}, head[CW-1:0]};
    genvar gb;
    generate
        for (gb = BEATS; gb < (1 << BW); gb = gb + 1) begin : g_unused
            assign beats[gb] = 32'd0;
        end
        for (gb = 1; gb < BEATS; gb = gb + 1) begin : g_beat
            wire [VW-1:0] value = head[CW + (gb - 1) * VW +: VW];
            if (VW < 32) begin : g_extend
                assign beats[gb] = {{(32 - VW){value[VW-1]}}, value};
            end else begin : g_whole
                assign beats[gb] = value;
            end
        end
    endgenerate
    assign m_tdata = beats[beat];
    assign m_tlast = head_last;
    // frame_start is a registered pulse: a frame admitted in the clock before is not counted yet.
    wire [NW-1:0] admitted = outstanding + {{(NW-1){1'b0}}, frame_start};
    assign sof_ok = admitted < DEPTH[NW-1:0];

    wire [NW-1:0] res_count_n = res_count + {{(NW-1){1'b0}}, res_valid} - {{(NW-1){1'b0}}, retire};
    wire [NW-1:0] end_count_n = end_count + {{(NW-1){1'b0}}, frame_end} - {{(NW-1){1'b0}}, retire};
    wire [QW-1:0] end_rd_n = retire ? next_index(end_rd) : end_rd;
    wire [BW-1:0] beat_n = retire ? {BW{1'b0}} : (m_tvalid && m_tready) ? beat + 1'b1 : beat;
    // a flag written in this clock is read through (the queue was empty, or is wrapping onto it)
    wire bad_n = (frame_end && end_wr == end_rd_n) ? frame_bad : bad_flags[end_rd_n];

    // results written before this clock and not retired in it (BRAM: the words the next read returns)
    wire [NW-1:0] res_readable = res_count - {{(NW-1){1'b0}}, retire};
    wire res_ready_n = (BRAM != 0) ? (res_readable != {NW{1'b0}}) : (res_count_n != {NW{1'b0}});
    always @(posedge clk) begin
        head_ready <= !rst && res_ready_n && (end_count_n != {NW{1'b0}});
        head_bad <= rst ? 1'b0 : bad_n;
        head_last <= rst ? (BEATS == 1) : (beat_n == BEATS[BW-1:0] - 1'b1);
    end

    always @(posedge clk) begin
        if (frame_end) bad_flags[end_wr] <= frame_bad;
        if (rst) begin
            res_wr <= {QW{1'b0}};
            res_rd <= {QW{1'b0}};
            end_wr <= {QW{1'b0}};
            end_rd <= {QW{1'b0}};
            res_count <= {NW{1'b0}};
            end_count <= {NW{1'b0}};
            outstanding <= {NW{1'b0}};
            beat <= {BW{1'b0}};
            frame_count <= 32'd0;
        end else begin
            if (res_valid) res_wr <= next_index(res_wr);
            if (frame_end) end_wr <= next_index(end_wr);
            res_count <= res_count_n;
            end_count <= end_count_n;
            outstanding <= outstanding + {{(NW-1){1'b0}}, frame_start} - {{(NW-1){1'b0}}, retire};
            end_rd <= end_rd_n;
            beat <= beat_n;
            res_rd <= res_rd_n;
            if (retire && !head_bad) frame_count <= frame_count + 1'b1;
        end
    end
endmodule

`default_nettype wire
