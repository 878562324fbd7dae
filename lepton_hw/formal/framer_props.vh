// Formal properties of lepton_framer (SymbiYosys). lepton_hw.formal reads the module with this file
// included before its `endmodule`, so that the properties see the ports and, for the induction, the
// state; the shipped module is unchanged.
//
// The environment: the first clock is in reset; the master keeps an offered beat, unchanged, until it
// is taken (AXI4-Stream); sof_ok is arbitrary. The promises, on the ports:
//   - reset: s_tready low in reset, no output pulse in the clock after it;
//   - exactly H x W pixels from each frame_start to its frame_end, none outside a frame, at most one
//     every CPP clocks;
//   - s_tready high inside a frame, at the pixel pace, until the input is malformed;
//   - a start of frame offered with room (sof_ok) starts a frame within (H*W + 2)*CPP + 4 clocks, whatever
//     came before: a malformed frame is repaired or dropped and nothing deadlocks.
// The f_* assertions on the state tie the port monitors to it, so that k-induction closes.
    reg f_past = 1'b0;
    always @(posedge clk) f_past <= 1'b1;
    initial assume (rst);
    always @(posedge clk)
        if (f_past && !$past(rst) && !rst && $past(s_tvalid && !s_tready))
            assume (s_tvalid && $stable(s_tdata) && $stable(s_tuser) && $stable(s_tlast));

    // ---- monitors on the ports
    localparam integer F_NW = $clog2(H * W + 1) + 1;
    reg [F_NW-1:0] f_n = 0;         // pixels sent in the current frame
    reg f_in_frame = 1'b0;          // between frame_start and frame_end
    reg f_repairing = 1'b0;         // a malformation was seen in the current frame
    reg [7:0] f_waiting = 8'd0;     // clocks a start of frame has been offered with room, not started
    wire f_inside = (f_in_frame || frame_start) && !frame_end;
    wire [F_NW-1:0] f_n_now = frame_start ? 1 : f_n + pix_valid;
    wire f_repairing_now = malformed || (f_repairing && !frame_start);
    always @(posedge clk) begin
        f_n <= rst ? 0 : f_n_now;
        f_in_frame <= !rst && f_inside;
        f_repairing <= !rst && !frame_end && f_repairing_now;
        f_waiting <= (rst || frame_start || !(s_tvalid && s_tuser && sof_ok)) ? 8'd0 : f_waiting + 1'b1;
    end

    // ---- the promises
    always @(*) if (rst) assert (!s_tready);
    always @(posedge clk)
        if (f_past && $past(rst)) assert (!pix_valid && !frame_start && !frame_end && !malformed);
    always @(*)
        if (f_past && !rst) begin
            if (frame_start) assert (pix_valid && !f_in_frame);
            if (pix_valid) assert (f_in_frame || frame_start);
            if (f_in_frame || frame_start) assert (f_n_now <= H * W);
            assert (frame_end == (pix_valid && (f_in_frame || frame_start) && f_n_now == H * W));
            if (f_inside && !f_repairing_now && !s_tuser && paced) assert (s_tready);
            assert (f_waiting <= (H * W + 2) * CPP + 4);
        end
    // the pixel pace, on the ports: clocks since the last pixel (saturating)
    reg [7:0] f_since = 8'hff;
    always @(posedge clk) f_since <= pix_valid ? 8'd1 : (f_since == 8'hff ? f_since : f_since + 1'b1);
    always @(*) if (f_past && !rst && pix_valid) assert (f_since >= CPP);
    always @(posedge clk)
        if (f_past && !$past(rst) && !rst) begin
            cover (frame_end && !frame_bad);
            cover (frame_end && frame_bad);
        end

    // ---- the state behind them (for the induction)
    wire f_frame_state = (state == FRAME) || (state == FILL_LINE) || (state == FILL_FRAME) ||
                         (state == SKIP && !skip_done);
    always @(*)
        if (f_past && !rst) begin
            assert (state <= SKIP);
            assert (f_n <= H * W);
            assert (f_inside == f_frame_state);
            if (f_frame_state) begin
                assert (row < H && col < W);
                assert (f_n_now == row * W + col);
                assert (f_repairing_now == (bad || state != FRAME));
            end
            if (state == FILL_LINE || state == FILL_FRAME || (state == SKIP && !skip_done))
                assert (bad);  // every way into a fill or a skip inside a frame marks the frame bad
            // a start of frame waits at most for the rest of the frame to be filled, then one pixel slot
            if (f_frame_state && !frame_start)
                assert (f_waiting <= (row * W + col) * CPP + 3);
            else
                assert (f_waiting <= (H * W + 1) * CPP + 3);
            if (CPP > 1) assert (pace < CPP);
        end
