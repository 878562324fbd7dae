// lepton_hw camera IP core (HLS) for full frames, generated for @{project}.
//
// One call of lepton_camera handles one frame (run it free-running with auto-restart). A frame is
// frame_width x frame_height Mono8 pixels in raster order, one pixel a beat (at most @{max_w} x @{max_h}); it holds
// TC = frame_width / @{frame_w} by TR = frame_height / @{frame_h} tiles of @{frame_h} x @{frame_w} pixels (the network's
// input), in raster order; the pixels right of the last tile column and below the last tile row are read and
// dropped.
//   read_frame   waits for a start of frame (tuser[0]) and writes the frame's pixels into a strip buffer of one
//                tile height, double-buffered: while the rows of tile row s arrive and fill one half, the tiles of
//                tile row s - 1 are fed from the other half to the network, one tile after the other, one pixel a
//                clock (TC x @{frame_h} x @{frame_w} pixels fed while @{frame_h} x frame_width pixels arrive). A line of
//                the wrong length (early or missing tlast) or a start of frame inside the frame makes the frame
//                malformed: reading stops (an early start of frame is kept for the next call), the tile row being
//                received and the rows after it are not fed, and the beats up to the next start of frame are
//                dropped. Beats that arrive before a start of frame (a frame missing its start of frame, surplus
//                lines after a whole frame) are dropped and flagged.
//   run_net      the hls4ml network @{project} (io_stream), called once per tile.
//   write_result one packet per frame: per tile, beat 0 = class index (argmax, lowest index on a tie) | tile
//                column << 16 | tile row << 24, then the @{n_out} logits' raw two's-complement integers
//                sign-extended to 32 bits; tuser on the packet's first beat, tlast on its last (the latest beat is
//                held back until the next one, or the frame's end, is known). A malformed frame's packet holds the
//                tiles of the tile rows received whole before the error (none: no packet). Then the status.
//
// AXI-Lite bundle ctrl (Vitis HLS / Vivado HLS assign the offsets, in the order of the arguments, after their own
// block-level control registers at 0x00-0x0C; the driver header xlepton_camera_hw.h lists them):
//   err_clear             in   1: clear the sticky errors at the end of the frame (an error of that frame still wins)
//   frame_count           out  frames completed, well-formed and malformed (the SPEC's FRAME_COUNT)
//   last_class            out  the class index of the last tile sent
//   err_malformed         out  errors bit 0
//   malformed_count       out  malformed frames, and runs of beats outside a frame (the SPEC's MALFORMED_COUNT)
//   frame_width/_height   in   the run-time frame size (the SPEC's FRAME_WIDTH / FRAME_HEIGHT), read at each call:
//                              0 (the reset value) = the maximum; a value outside one tile .. the maximum is not used
//                              (the size in use stays) and sets errors.BAD_SIZE once per value written
//   errors                out  the SPEC's ERRORS bits, sticky until err_clear: MALFORMED, BAD_SIZE (DROPPED is
//                              never set: when m_axis is not ready this core stalls s_axis, it drops nothing)
//   class_count[k]        out  tiles classified as class k in the last completed frame (the SPEC's CLASS_COUNT)
#include "lepton_camera.h"
#include "lepton_raw.h"

struct lepton_tile_token {
    bool frame_end;    // no tile: the frame's end (the flags below are set)
    ap_uint<8> row;    // the tile's row and column in the frame
    ap_uint<8> col;
    bool well_formed;  // frame_end: the frame had its lines of its pixels, and one start of frame
    bool junk_before;  // frame_end: beats without a start of frame were dropped before it
    bool bad_size;     // frame_end: a frame size outside the accepted range was written
};

// A frame size argument: 0 = the largest; a value outside tile .. largest is not used (false, once per value).
static bool lepton_take_size(ap_uint<32> value, ap_uint<32> &seen, ap_uint<16> &size, int tile, int largest) {
    if (value == seen) return true;
    seen = value;
    ap_uint<32> wanted = value == 0 ? (ap_uint<32>)largest : value;
    if (wanted < (ap_uint<32>)tile || wanted > (ap_uint<32>)largest) return false;
    size = wanted;
    return true;
}

static void read_frame(hls::stream<lepton_pixel_beat> &s_axis, ap_uint<32> frame_width, ap_uint<32> frame_height,
                       hls::stream<input_t> &net_in, hls::stream<bool> &net_run,
                       hls::stream<lepton_tile_token> &tiles) {
    static bool held = false;  // a start-of-frame beat that ended the previous (malformed) frame
    static lepton_pixel_beat held_beat;
    static bool previous_bad = false;           // beats after a malformed frame belong to it: not a new error
    static ap_uint<32> seen_w = 0, seen_h = 0;  // the size arguments last read
    static ap_uint<16> width = LEPTON_MAX_W, height = LEPTON_MAX_H;  // the frame size in use
    static ap_uint<8> strip0[LEPTON_TILE_H][LEPTON_MAX_W];  // the strip buffer's halves: even and odd tile rows
    static ap_uint<8> strip1[LEPTON_TILE_H][LEPTON_MAX_W];

    const bool width_ok = lepton_take_size(frame_width, seen_w, width, LEPTON_TILE_W, LEPTON_MAX_W);
    const bool height_ok = lepton_take_size(frame_height, seen_h, height, LEPTON_TILE_H, LEPTON_MAX_H);
    const ap_uint<10> tile_cols = width / LEPTON_TILE_W;
    const ap_uint<10> tile_rows = height / LEPTON_TILE_H;
    const ap_uint<16> kept_w = tile_cols * LEPTON_TILE_W;            // the columns inside tiles
    const ap_uint<16> rest_h = height - tile_rows * LEPTON_TILE_H;  // the rows below the last tile row

    lepton_tile_token end;
    end.frame_end = true;
    end.row = 0;
    end.col = 0;
    end.junk_before = false;
    end.bad_size = !(width_ok && height_ok);

    lepton_pixel_beat beat;
    if (held) {
        beat = held_beat;
        held = false;
    } else {
        beat = s_axis.read();
    }
wait_sof:
    while (!beat.user[0]) {
        end.junk_before = !previous_bad;
        beat = s_axis.read();
    }

    bool bad = false;
    bool first = true;  // `beat` is the frame's first pixel, read already
    bool feed = false;  // the half holding tile row s - 1 was received whole
strips:
    for (ap_uint<10> s = 0; s <= tile_rows; s++) {  // strip s arrives while tile row s - 1 is fed
#pragma HLS LOOP_TRIPCOUNT min = 2 max = @{max_strips}
        const bool in_tiles = s < tile_rows;  // strip s is a tile row (else: the rows below the last one)
        const ap_uint<16> rows = in_tiles ? (ap_uint<16>)LEPTON_TILE_H : rest_h;
        const ap_uint<32> n_in = bad ? (ap_uint<32>)0 : (ap_uint<32>)(rows * width);
        const ap_uint<32> n_feed = feed ? (ap_uint<32>)(tile_cols * (LEPTON_TILE_H * LEPTON_TILE_W)) : (ap_uint<32>)0;
        const ap_uint<32> n = n_in > n_feed ? n_in : n_feed;
        const bool odd = s[0];
        ap_uint<16> r = 0, c = 0;  // the arriving pixel's row in the strip and column
        ap_uint<16> y = 0, x = 0;  // the fed pixel's row and column in its tile
        ap_uint<16> base = 0;      // the fed tile's first column
        ap_uint<8> t = 0;          // the fed tile's column
    pixels:
        for (ap_uint<32> i = 0; i < n; i++) {
#pragma HLS LOOP_TRIPCOUNT min = @{strip_min} max = @{strip_max}
#pragma HLS PIPELINE II = 1
            // one half of the strip buffer is written, the other read: no dependence between iterations
#pragma HLS DEPENDENCE variable = strip0 inter false
#pragma HLS DEPENDENCE variable = strip1 inter false
            if (i < n_in && !bad) {
                if (!first) {
                    beat = s_axis.read();
                    if (beat.user[0]) {  // the next frame started early: keep its first beat
                        bad = true;
                        held = true;
                        held_beat = beat;
                    }
                }
                first = false;
                const bool line_end = c == width - 1;
                if (!bad && beat.last != line_end) bad = true;  // a line too short or too long
                if (!bad && in_tiles && c < kept_w) {
                    if (odd)
                        strip1[r][c] = beat.data;
                    else
                        strip0[r][c] = beat.data;
                }
                if (line_end) {
                    c = 0;
                    r++;
                } else {
                    c++;
                }
            }
            if (i < n_feed) {
                if (y == 0 && x == 0) {  // a tile starts
                    lepton_tile_token tile;
                    tile.frame_end = false;
                    tile.row = s - 1;
                    tile.col = t;
                    tile.well_formed = true;
                    tile.junk_before = false;
                    tile.bad_size = false;
                    tiles.write(tile);
                    net_run.write(true);
                }
                const ap_uint<8> pixel = odd ? strip0[y][base + x] : strip1[y][base + x];
                input_t in;
                lepton_set_raw(in[0], (long long)pixel);
                net_in.write(in);
                if (x == LEPTON_TILE_W - 1) {
                    x = 0;
                    if (y == LEPTON_TILE_H - 1) {
                        y = 0;
                        t++;
                        base += LEPTON_TILE_W;
                    } else {
                        y++;
                    }
                } else {
                    x++;
                }
            }
        }
        feed = in_tiles && !bad;
    }
    end.well_formed = !bad;
    previous_bad = bad;
    tiles.write(end);
    net_run.write(false);
}

static void run_net(hls::stream<bool> &net_run, hls::stream<input_t> &net_in, hls::stream<result_t> &net_out) {
calls:
    while (net_run.read()) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = @{max_tiles}
        @{project}(net_in, net_out);
    }
}

// Send `word` as the packet's next beat: the beat held back goes out first (tlast 0).
static void lepton_send(hls::stream<lepton_result_beat> &m_axis, lepton_result_beat &held, bool &holding,
                        ap_uint<32> word) {
    if (holding) m_axis.write(held);
    held.user = holding ? 0 : 1;  // tuser on the packet's first beat
    held.data = word;
    held.last = 0;
    holding = true;
}

static void write_result(hls::stream<lepton_tile_token> &tiles, hls::stream<result_t> &net_out,
                         hls::stream<lepton_result_beat> &m_axis, bool err_clear, ap_uint<32> *frame_count,
                         ap_uint<32> *last_class, bool *err_malformed, ap_uint<32> *malformed_count,
                         ap_uint<32> *errors, ap_uint<32> class_count[LEPTON_N_OUT]) {
    static ap_uint<32> frames = 0;
    static ap_uint<32> bad_events = 0;
    static ap_uint<32> class_reg = 0;
    static ap_uint<32> sticky = 0;

    ap_uint<32> counts[LEPTON_N_OUT];
clear_counts:
    for (int k = 0; k < LEPTON_N_OUT; k++) counts[k] = 0;

    lepton_result_beat held;
    held.keep = -1;
    held.strb = -1;
    held.user = 0;
    held.id = 0;
    held.dest = 0;
    held.data = 0;
    held.last = 0;
    bool holding = false;

    lepton_tile_token tile = tiles.read();
tile_loop:
    while (!tile.frame_end) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = @{max_tiles}
        typename result_t::value_type logits[LEPTON_N_OUT];
    read_logits:
        for (int i = 0; i < LEPTON_N_OUT / (int)result_t::size; i++) {
            result_t beat = net_out.read();
            for (int c = 0; c < (int)result_t::size; c++) logits[i * result_t::size + c] = beat[c];
        }
        int best = 0;
    argmax:
        for (int i = 1; i < LEPTON_N_OUT; i++)
            if (logits[i] > logits[best]) best = i;  // strict: the lowest index wins a tie
        ap_uint<32> head = best;
        head.range(23, 16) = tile.col;
        head.range(31, 24) = tile.row;
        lepton_send(m_axis, held, holding, head);
    send:
        for (int i = 0; i < LEPTON_N_OUT; i++) {
#pragma HLS PIPELINE II = 1
            lepton_send(m_axis, held, holding, (ap_uint<32>)(ap_int<32>)lepton_raw_of(logits[i]));
        }
        counts[best]++;
        class_reg = best;
        tile = tiles.read();
    }
    if (holding) {  // the frame's end: its packet's last beat
        held.last = 1;
        m_axis.write(held);
    }

    if (err_clear) sticky = 0;
    if (tile.junk_before || !tile.well_formed) {
        sticky |= LEPTON_ERR_MALFORMED;
        bad_events += (tile.junk_before ? 1 : 0) + (tile.well_formed ? 0 : 1);
    }
    if (tile.bad_size) sticky |= LEPTON_ERR_BAD_SIZE;
    frames++;
    *frame_count = frames;
    *last_class = class_reg;
    *err_malformed = (sticky & LEPTON_ERR_MALFORMED) != 0;
    *malformed_count = bad_events;
    *errors = sticky;
write_counts:
    for (int k = 0; k < LEPTON_N_OUT; k++) class_count[k] = counts[k];
}

void lepton_camera(hls::stream<lepton_pixel_beat> &s_axis, hls::stream<lepton_result_beat> &m_axis, bool err_clear,
                   ap_uint<32> *frame_count, ap_uint<32> *last_class, bool *err_malformed,
                   ap_uint<32> *malformed_count, ap_uint<32> frame_width, ap_uint<32> frame_height,
                   ap_uint<32> *errors, ap_uint<32> class_count[LEPTON_N_OUT]) {
#pragma HLS INTERFACE axis port = s_axis
#pragma HLS INTERFACE axis port = m_axis
#pragma HLS INTERFACE s_axilite port = err_clear bundle = ctrl
#pragma HLS INTERFACE s_axilite port = frame_count bundle = ctrl
#pragma HLS INTERFACE s_axilite port = last_class bundle = ctrl
#pragma HLS INTERFACE s_axilite port = err_malformed bundle = ctrl
#pragma HLS INTERFACE s_axilite port = malformed_count bundle = ctrl
#pragma HLS INTERFACE s_axilite port = frame_width bundle = ctrl
#pragma HLS INTERFACE s_axilite port = frame_height bundle = ctrl
#pragma HLS INTERFACE s_axilite port = errors bundle = ctrl
#pragma HLS INTERFACE s_axilite port = class_count bundle = ctrl
#pragma HLS INTERFACE s_axilite port = return bundle = ctrl
#pragma HLS DATAFLOW
    hls::stream<input_t> net_in("net_in");
    hls::stream<result_t> net_out("net_out");
    hls::stream<bool> net_run("net_run");
    hls::stream<lepton_tile_token> tiles("tiles");
#pragma HLS STREAM variable = net_run depth = 4
#pragma HLS STREAM variable = tiles depth = 4
    read_frame(s_axis, frame_width, frame_height, net_in, net_run, tiles);
    run_net(net_run, net_in, net_out);
    write_result(tiles, net_out, m_axis, err_clear, frame_count, last_class, err_malformed, malformed_count, errors,
                 class_count);
}
