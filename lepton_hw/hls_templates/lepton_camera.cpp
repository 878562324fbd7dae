// lepton_hw camera IP core (HLS), generated for @{project}.
//
// One call of lepton_camera handles one frame (run it free-running with auto-restart):
//   read_frame   waits for a start of frame (tuser[0]), then passes exactly @{frame_h} x @{frame_w} pixels to the
//                network. A frame with a line of the wrong length (early or missing tlast) or a start of frame
//                inside it is malformed: the rest of it is fed to the network as zeros (so that the network's
//                line buffers stay in step), its beats are dropped up to the next start of frame, and a token
//                tells write_result not to emit a packet. Beats that arrive before a start of frame (a frame
//                missing its start of frame, or surplus lines after a whole frame) are dropped and flagged.
//   @{project}   the hls4ml network (io_stream).
//   write_result one packet per well-formed frame: beat 0 = class index (argmax, lowest index on a tie),
//                beats 1..@{n_out} = the logits' raw two's-complement integers sign-extended to 32 bits, tlast on the
//                last beat; and the AXI-Lite status: frame_count (packets sent), last_class, err_malformed
//                (sticky until err_clear), malformed_count.
#include "lepton_camera.h"
#include "lepton_raw.h"

struct lepton_frame_token {
    bool well_formed;  // the frame had @{frame_h} lines of @{frame_w} pixels and one start of frame
    bool junk_before;  // beats without a start of frame were dropped before it
};

static void read_frame(hls::stream<lepton_pixel_beat> &s_axis, hls::stream<input_t> &net_in,
                       hls::stream<lepton_frame_token> &tokens) {
    static bool held = false;             // a start-of-frame beat that ended the previous (malformed) frame
    static lepton_pixel_beat held_beat;
    static bool previous_bad = false;     // beats after a malformed frame belong to it: not a new error
    lepton_frame_token token;
    token.junk_before = false;

    lepton_pixel_beat beat;
    if (held) {
        beat = held_beat;
        held = false;
    } else {
        beat = s_axis.read();
    }
wait_sof:
    while (!beat.user[0]) {
        token.junk_before = !previous_bad;
        beat = s_axis.read();
    }

    bool bad = false;
rows:
    for (int r = 0; r < LEPTON_FRAME_H; r++) {
    cols:
        for (int c = 0; c < LEPTON_FRAME_W; c++) {
#pragma HLS PIPELINE II = 1
            ap_uint<8> pixel = 0;
            if (!bad) {
                if (r != 0 || c != 0) {
                    beat = s_axis.read();
                    if (beat.user[0]) {  // the next frame started early: keep its first beat
                        bad = true;
                        held = true;
                        held_beat = beat;
                    }
                }
                if (!bad) {
                    pixel = beat.data;
                    if (beat.last != (c == LEPTON_FRAME_W - 1)) bad = true;  // line too short or too long
                }
            }
            input_t in;
            lepton_set_raw(in[0], (long long)pixel);
            net_in.write(in);
        }
    }
    token.well_formed = !bad;
    previous_bad = bad;
    tokens.write(token);
}

static void write_result(hls::stream<result_t> &net_out, hls::stream<lepton_frame_token> &tokens,
                         hls::stream<lepton_result_beat> &m_axis, bool err_clear, ap_uint<32> *frame_count,
                         ap_uint<32> *last_class, bool *err_malformed, ap_uint<32> *malformed_count) {
    static ap_uint<32> frames = 0;
    static ap_uint<32> bad_events = 0;
    static ap_uint<32> class_reg = 0;
    static bool sticky = false;

    typename result_t::value_type logits[LEPTON_N_OUT];
read_logits:
    for (int i = 0; i < LEPTON_N_OUT / (int)result_t::size; i++) {
        result_t beat = net_out.read();
        for (int c = 0; c < (int)result_t::size; c++) logits[i * result_t::size + c] = beat[c];
    }
    lepton_frame_token token = tokens.read();

    if (err_clear) sticky = false;
    if (token.junk_before || !token.well_formed) {
        sticky = true;
        bad_events += (token.junk_before ? 1 : 0) + (token.well_formed ? 0 : 1);
    }
    if (token.well_formed) {
        int best = 0;
    argmax:
        for (int i = 1; i < LEPTON_N_OUT; i++)
            if (logits[i] > logits[best]) best = i;  // strict: the lowest index wins a tie
        lepton_result_beat out;
        out.keep = -1;
        out.strb = -1;
        out.user = 0;
        out.id = 0;
        out.dest = 0;
        out.data = best;
        out.last = 0;
        m_axis.write(out);
    send:
        for (int i = 0; i < LEPTON_N_OUT; i++) {
            out.data = (ap_uint<32>)(ap_int<32>)lepton_raw_of(logits[i]);
            out.last = (i == LEPTON_N_OUT - 1);
            m_axis.write(out);
        }
        frames++;
        class_reg = best;
    }
    *frame_count = frames;
    *last_class = class_reg;
    *err_malformed = sticky;
    *malformed_count = bad_events;
}

void lepton_camera(hls::stream<lepton_pixel_beat> &s_axis, hls::stream<lepton_result_beat> &m_axis, bool err_clear,
                   ap_uint<32> *frame_count, ap_uint<32> *last_class, bool *err_malformed,
                   ap_uint<32> *malformed_count) {
#pragma HLS INTERFACE axis port = s_axis
#pragma HLS INTERFACE axis port = m_axis
#pragma HLS INTERFACE s_axilite port = err_clear bundle = ctrl
#pragma HLS INTERFACE s_axilite port = frame_count bundle = ctrl
#pragma HLS INTERFACE s_axilite port = last_class bundle = ctrl
#pragma HLS INTERFACE s_axilite port = err_malformed bundle = ctrl
#pragma HLS INTERFACE s_axilite port = malformed_count bundle = ctrl
#pragma HLS INTERFACE s_axilite port = return bundle = ctrl
#pragma HLS DATAFLOW
    hls::stream<input_t> net_in("net_in");
    hls::stream<result_t> net_out("net_out");
    hls::stream<lepton_frame_token> tokens("tokens");
#pragma HLS STREAM variable = tokens depth = 2
    read_frame(s_axis, net_in, tokens);
    @{project}(net_in, net_out);
    write_result(net_out, tokens, m_axis, err_clear, frame_count, last_class, err_malformed, malformed_count);
}
