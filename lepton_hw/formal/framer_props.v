// Formal properties of lepton_framer, on its ports only (SymbiYosys, read -formal).
//
// The environment is any AXI4-Stream master (a beat offered and not taken stays, unchanged) and any
// sof_ok. The framer must:
//   - leave reset cleanly: no output pulse in the clock after reset, s_tready low in reset;
//   - send exactly H x W pixels from each frame_start to its frame_end, never a pixel outside one;
//   - keep s_tready high inside a frame, at its pixel pace, until the input is malformed;
//   - start the next frame within a bounded time once a start of frame is offered with room for its
//     result, whatever came before (a malformed frame is repaired or dropped: no deadlock).
`default_nettype none

module framer_props #(
    parameter integer H = 2,
    parameter integer W = 3,
    parameter integer CPP = 1
) (
    input wire clk,
    input wire rst,
    input wire [1:0] s_tdata,
    input wire s_tuser,
    input wire s_tlast,
    input wire s_tvalid,
    input wire sof_ok
);
    wire s_tready, pix_valid, frame_start, frame_end, frame_bad, malformed;
    wire [1:0] pix_data;
    lepton_framer #(.H(H), .W(W), .DW(2), .CPP(CPP)) dut (
        .clk(clk), .rst(rst), .s_tdata(s_tdata), .s_tuser(s_tuser), .s_tlast(s_tlast), .s_tvalid(s_tvalid),
        .s_tready(s_tready), .sof_ok(sof_ok), .pix_valid(pix_valid), .pix_data(pix_data),
        .frame_start(frame_start), .frame_end(frame_end), .frame_bad(frame_bad), .malformed(malformed)
    );

    reg past_valid = 1'b0;
    always @(posedge clk) past_valid <= 1'b1;
    initial assume (rst);

    // the master: an offered beat stays until taken, unchanged
    always @(posedge clk)
        if (past_valid && !$past(rst) && !rst && $past(s_tvalid && !s_tready))
            assume (s_tvalid && $stable(s_tdata) && $stable(s_tuser) && $stable(s_tlast));

    // reset
    always @(*) if (rst) assert (!s_tready);
    always @(posedge clk)
        if (past_valid && $past(rst)) assert (!pix_valid && !frame_start && !frame_end && !malformed);

    // pixels per frame: n counts the pixels sent since frame_start (frame_start comes with the first)
    localparam integer NW = $clog2(H * W + 1) + 1;
    reg [NW-1:0] n = 0;
    reg in_frame = 1'b0;
    wire [NW-1:0] n_now = frame_start ? 1 : n + pix_valid;
    always @(posedge clk) begin
        if (rst) begin
            n <= 0;
            in_frame <= 1'b0;
        end else begin
            n <= n_now;
            in_frame <= (in_frame || frame_start) && !frame_end;
        end
    end
    always @(*) begin
        if (!rst) begin
            if (frame_start) assert (pix_valid && !in_frame);
            if (pix_valid) assert (in_frame || frame_start);
            if (in_frame || frame_start) assert (n_now <= H * W);
            assert (frame_end == (pix_valid && (in_frame || frame_start) && n_now == H * W));
        end
    end
    // at most one pixel every CPP clocks
    generate
        if (CPP > 1) begin : g_pace
            reg [7:0] since = 8'hff;
            always @(posedge clk) since <= pix_valid ? 8'd1 : (since == 8'hff ? since : since + 1'b1);
            always @(*) if (!rst && pix_valid) assert (since >= CPP);
        end
    endgenerate

    // s_tready inside a frame: high at the pixel pace while no malformation was seen in this frame
    reg repairing = 1'b0;  // a malformed pulse came in this frame (the framer fills or skips)
    always @(posedge clk) repairing <= !rst && !frame_end && (malformed || (repairing && !frame_start));
    reg [7:0] idle_in_frame = 0;  // clocks since the last pixel inside a frame
    always @(posedge clk) idle_in_frame <= (rst || pix_valid || !in_frame) ? 8'd0 : idle_in_frame + 1'b1;
    always @(*)
        if (!rst && in_frame && !frame_end && !repairing && !malformed && !s_tuser && idle_in_frame + 1 >= CPP)
            assert (s_tready);

    // liveness as a bound: a start of frame offered with room starts a frame within H*W*CPP + 4 clocks
    reg [7:0] waiting = 0;
    always @(posedge clk)
        waiting <= (rst || frame_start || !(s_tvalid && s_tuser && sof_ok)) ? 8'd0 : waiting + 1'b1;
    always @(*) if (!rst) assert (waiting <= H * W * CPP + 4);

    // what a run can show
    always @(posedge clk)
        if (past_valid && !$past(rst) && !rst) begin
            cover (frame_end && !frame_bad);
            cover (frame_end && frame_bad);
        end
endmodule

`default_nettype wire
