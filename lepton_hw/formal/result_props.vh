// Formal properties of lepton_result (SymbiYosys), read with this file included before `endmodule`.
//
// The environment is the framer and the network around the queue: the first clock is in reset; a
// frame starts (frame_start) only in the clock after sof_ok was high, and only once the frame before
// it has ended; every started frame later gives one frame_end (with frame_bad) and one result
// (res_valid), each in frame order, in either order between them; m_tready is arbitrary.
// The promises, on the ports:
//   - reset: no result beat in the clock after reset;
//   - a beat offered and not taken stays, unchanged (AXI4-Stream);
//   - tlast on the last of the BEATS beats of each packet, and only there;
//   - no packet lost, duplicated, reordered or made up: one frame, chosen by the solver among all,
//     is followed from its start; if it is good, the packets of the good frames before it come first,
//     then its own packet with its result (beat 0 the class index, beats 1.. the values widened), and
//     no packet comes out in its place before its end and result are in; if it is bad, it has no packet;
//   - no deadlock: once the followed frame is good, complete and next in line, its packet is out within
//     (DEPTH + 1) * (BEATS + 2) clocks of m_tready held high.
    reg f_past = 1'b0;
    always @(posedge clk) f_past <= 1'b1;
    initial assume (rst);

    // ---- the environment's bookkeeping: frames started, ended, with results (counts mod 2^FW)
    localparam integer FW = 4;
    reg [FW-1:0] f_started = 0, f_ended = 0, f_results = 0;
    wire [FW-1:0] f_started_now = f_started + frame_start;
    always @(posedge clk) begin
        if (rst) begin
            f_started <= 0;
            f_ended <= 0;
            f_results <= 0;
        end else begin
            f_started <= f_started_now;
            f_ended <= f_ended + frame_end;
            f_results <= f_results + res_valid;
        end
    end
    always @(*)
        if (f_past && !rst) begin
            assume (f_started - f_ended <= DEPTH && f_started - f_results <= DEPTH + 1);
            if (frame_start) assume (f_started == f_ended);  // one frame at a time through the framer
            if (frame_end) assume (f_started_now != f_ended);  // an end for a started frame
            if (res_valid) assume (f_started != f_results);  // a result for a frame started before this clock
        end
    always @(posedge clk)
        if (f_past && frame_start) assume (!$past(rst) && $past(sof_ok));

    // ---- reset, holding, tlast
    reg [BW-1:0] f_beat = 0;  // beats of the current packet sent so far
    always @(posedge clk)
        f_beat <= (rst || (m_tvalid && m_tready && m_tlast)) ? 0 : f_beat + (m_tvalid && m_tready);
    always @(posedge clk)
        if (f_past) begin
            if ($past(rst)) assert (!m_tvalid);
            else if (!rst && $past(m_tvalid && !m_tready))
                assert (m_tvalid && $stable(m_tdata) && $stable(m_tlast));
        end
    always @(*)
        if (f_past && !rst && m_tvalid) assert (m_tlast == (f_beat == BEATS - 1));

    // ---- one frame followed from its start (the solver picks which: f_choose at its frame_start)
    (* anyseq *) wire f_choose;
    reg f_tracking = 1'b0, f_end_seen = 1'b0, f_res_seen = 1'b0, f_bad = 1'b0;
    reg [FW-1:0] f_results_before = 0;  // earlier frames' results still to come (their ends have all come)
    reg [FW-1:0] f_ahead = 0;  // packets that must come out before ours (earlier good frames)
    reg [FW-1:0] f_pending = 0;  // good frames ended and not yet sent (all frames, for f_ahead's start)
    reg [FW-1:0] f_after = 0;  // frames started after ours
    reg [RW-1:0] f_data = 0;
    reg [7:0] f_wait = 0;
    wire f_packet_done = m_tvalid && m_tready && m_tlast;
    wire f_start_here = frame_start && f_choose && !f_tracking;  // (the frame before ours has ended)
    wire f_our_end = f_tracking && frame_end && !f_end_seen;  // one frame at a time: the next end is ours
    wire f_our_res = f_tracking && res_valid && f_results_before == 0 && !f_res_seen;
    wire f_ours_next = f_tracking && f_ahead == 0;  // the next packet out would be ours
    always @(posedge clk) begin
        if (rst) begin
            f_tracking <= 1'b0;
            f_pending <= 0;
        end else begin
            f_pending <= f_pending + (frame_end && !frame_bad) - f_packet_done;
            if (f_start_here) begin
                // a frame of one pixel ends in the clock it starts: that end is ours
                f_tracking <= !(frame_end && frame_bad);
                f_end_seen <= frame_end;
                f_bad <= frame_bad;
                f_res_seen <= 1'b0;
                f_results_before <= f_started - f_results - res_valid;
                f_ahead <= f_pending - f_packet_done;
                f_after <= 0;
            end else if (f_tracking) begin
                if (frame_start) f_after <= f_after + 1'b1;
                if (f_packet_done && f_ahead != 0) f_ahead <= f_ahead - 1'b1;
                if (res_valid && f_results_before != 0) f_results_before <= f_results_before - 1'b1;
                if (f_our_end) begin
                    f_end_seen <= 1'b1;
                    f_bad <= frame_bad;
                end
                if (f_our_res) begin
                    f_res_seen <= 1'b1;
                    f_data <= res_data;
                end
                if (f_ours_next && f_packet_done) f_tracking <= 1'b0;  // our packet is out
                if (f_our_end && frame_bad) f_tracking <= 1'b0;        // ours is dropped
            end
        end
    end
    // our packet's beats: beat 0 the class index, beats 1.. the values sign-extended
    wire [31:0] f_expected = (f_beat == 0) ? {{(32 - CW){1'b0}}, f_data[CW-1:0]}
                                           : {{(32 - VW){f_data[CW + (f_beat - 1) * VW + VW - 1]}},
                                              f_data[CW + (f_beat - 1) * VW +: VW]};
    always @(*)
        if (f_past && !rst && f_tracking) begin
            assert (f_ahead <= f_pending);
            if (f_ours_next && m_tvalid) begin
                assert (f_end_seen && f_res_seen && !f_bad);  // no packet in our place before our end and result
                assert (m_tdata == f_expected);
            end
        end
    // no deadlock: ours is good, complete and next: out within a bound while m_tready is high
    always @(posedge clk)
        f_wait <= (rst || !m_tready || !(f_ours_next && f_end_seen && f_res_seen && !f_bad)) ? 8'd0 : f_wait + 1'b1;
    always @(*) if (f_past && !rst) assert (f_wait <= (DEPTH + 1) * (BEATS + 2));

    // ---- the state behind them (for the induction; the queue proofs use DEPTH = 2)
    // the stored words, from whichever storage the BRAM parameter chose
    wire [RW-1:0] f_word [0:DEPTH-1];
    genvar f_i;
    generate
        for (f_i = 0; f_i < DEPTH; f_i = f_i + 1) begin : f_words
            if (BRAM != 0) begin : f_bram
                assign f_word[f_i] = g_bram.results[f_i];
            end else begin : f_regs
                assign f_word[f_i] = g_regs.results[f_i];
            end
        end
    endgenerate
    // the head register holds a written word: flip-flops, read through, always once one is queued;
    // block RAM, read in the clock before, once a word was written before that clock and not retired
    reg f_head_read = 1'b0;
    always @(posedge clk) f_head_read <= !rst && ((BRAM != 0) ? res_readable != 0 : res_count_n != 0);
    wire [QW-1:0] f_end_second = next_index(end_rd);
    wire [NW-1:0] f_good_queued = (end_count >= 1 && !bad_flags[end_rd]) + (end_count >= 2 && !bad_flags[f_end_second]);
    wire [FW-1:0] f_unended = f_started - f_ended, f_unresulted = f_started - f_results;
    wire [FW-1:0] f_end_pos = end_count - 1'b1 - (f_after - f_unended);     // our place in the end queue
    wire [FW-1:0] f_res_pos = res_count - 1'b1 - (f_after - f_unresulted);  // ... and in the results
    wire [NW-1:0] f_ahead_queued = (f_end_pos == 1 && !bad_flags[end_rd]) ? 1 : 0;
    always @(*)
        if (f_past && !rst) begin
            assert (f_unended <= 1);  // one frame at a time through the framer (follows from the assumptions)
            assert (outstanding <= DEPTH && end_count <= outstanding && res_count <= outstanding);
            assert (outstanding - end_count == f_started - f_ended);
            assert (outstanding - res_count == f_started - f_results);
            assert (end_wr == end_rd + end_count[QW-1:0] && res_wr == res_rd + res_count[QW-1:0]);
            // block RAM: a result is the head from the second clock after its write (f_head_read)
            assert (head_ready == (f_head_read && end_count != 0));
            if (f_head_read) assert (res_count != 0 && head == f_word[res_rd]);
            if (end_count != 0) assert (head_bad == bad_flags[end_rd]);
            assert (head_last == (beat == BEATS - 1) && beat < BEATS && f_beat == beat);
            if (!(head_ready && !head_bad)) assert (beat == 0);
            assert (f_pending == f_good_queued);
            if (f_tracking) begin
                assert (!f_end_seen || !f_bad);
                assert (f_ahead == (f_end_seen ? f_ahead_queued : f_good_queued));
                // frames end and give results in order: ours has ended once no more than the frames
                // started after it are unended; its entries sit behind those of the earlier frames
                assert (f_after <= f_unended || f_after <= DEPTH);
                assert (f_end_seen == (f_unended <= f_after));
                if (!f_end_seen) assert (f_after == 0 && f_unended == 1);
                assert (f_after <= DEPTH);
                assert (f_res_seen == (f_unresulted <= f_after));
                if (!f_res_seen) assert (f_results_before == f_unresulted - f_after - 1'b1);
                if (f_end_seen) assert (f_end_pos < end_count && bad_flags[end_rd + f_end_pos[QW-1:0]] == f_bad);
                if (f_res_seen) assert (f_res_pos < res_count && f_word[res_rd + f_res_pos[QW-1:0]] == f_data);
            end
        end

    always @(posedge clk)
        if (f_past && !$past(rst) && !rst) begin
            cover (f_tracking && f_ours_next && f_packet_done);
            cover (f_our_end && frame_bad);
        end
