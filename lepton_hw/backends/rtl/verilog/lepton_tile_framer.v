// lepton_tile_framer: a camera's whole frames (AXI4-Stream video, UG934: tuser = start of frame,
// tlast = end of line) in, the pixels of its tiles out, in raster order, never stalling the camera.
//
// The frame is frame_width x frame_height pixels (run-time values from the registers, at most
// MAXW x MAXH). It holds tiles_x x tiles_y tiles of TW x TH pixels; the pixels right of and below
// the last whole tile are accepted and dropped. A new frame size is used from the first start of
// frame at which no earlier frame is still in the network (net_idle) and that follows two clocks
// without a pixel (the framer works a clock behind the bus): the network's line buffers and counters
// must not change size under a frame.
//
// s_tready is high outside reset (with CPP > 1, once every CPP clocks: a camera at its pixel rate
// never sees it low). A malformed frame (a line shorter or longer than frame_width, a start of
// frame before its last pixel) is flagged (malformed), then completed with zero pixels at one per
// clock while the input is dropped, so that the network behind always sees whole frames; the next
// start of frame after that begins a new frame. Pixels outside a frame are dropped (and flagged).
`default_nettype none

module lepton_tile_framer #(
    parameter integer TH = 32,    // a tile's rows and columns
    parameter integer TW = 32,
    parameter integer MAXH = 64,  // the largest frame
    parameter integer MAXW = 64,
    parameter integer DW = 8,
    parameter integer CPP = 1,
    parameter integer TXW = 9     // bits of tiles_x and tiles_y
) (
    input wire clk,
    input wire rst,
    input wire rst_next,             // rst in the next clock (!aresetn: rst is it registered)
    input wire [DW-1:0] s_tdata,
    input wire s_tuser,
    input wire s_tlast,
    input wire s_tvalid,
    output wire s_tready,
    input wire enable,
    input wire [15:0] frame_width,   // checked by the registers: TW..MAXW
    input wire [15:0] frame_height,
    input wire net_idle,             // no frame in the network
    output reg [TXW-1:0] tiles_x,    // the frame in use
    output reg [TXW-1:0] tiles_y,
    output reg pix_valid,
    output reg [DW-1:0] pix_data,
    output reg frame_start,          // pulse: a frame began (its tiles will come out)
    output reg malformed,            // pulse: a malformed frame or a pixel outside a frame
    output wire busy,                // in_tiles a frame (receiving or filling)
    output wire size_pending         // the registers' size is not the one in use yet (a clock late)
);
    // After a new size is applied, the layers work out their line lengths from it: a few clocks, during which
    // no frame starts (s_tready is low; this happens only between frames, when the size changes).
    localparam integer SETTLE = 4;
    reg [2:0] settle;
    localparam integer RCW = $clog2(TH + 1) + 1;
    localparam integer CCW = $clog2(TW + 1) + 1;
    localparam integer MAX_TX_I = MAXW / TW, MAX_TY_I = MAXH / TH;
    localparam [TXW-1:0] MAX_TX = MAX_TX_I[TXW-1:0];
    localparam [TXW-1:0] MAX_TY = MAX_TY_I[TXW-1:0];

    // ---- the size in use, and the tiles of the registers' size (by repeated subtraction: sizes change rarely)
    reg [15:0] cur_w, cur_h;
    reg [15:0] div_w, div_h, rem_w, rem_h;
    reg [TXW-1:0] q_w, q_h;
    reg div_done;
    // the size registers differ from the size divided: registered (from the registers through the 16-bit
    // compares into the divider's enables it was the whole-frame core's longest path); one clock late, the
    // divider loads the new size twice, harmlessly
    reg div_stale;
    always @(posedge clk) div_stale <= !rst && ((frame_width != div_w) || (frame_height != div_h));
    // rem >= tile, kept in registers: each step compares the remainder after it (rem >= 2 tiles) beside its
    // subtraction (the compare in front of the step's enables was the whole-frame core's longest path)
    reg ge_w, ge_h;
    localparam integer TW2_I = 2 * TW, TH2_I = 2 * TH;
    localparam [16:0] TW2 = TW2_I[16:0], TH2 = TH2_I[16:0];
    always @(posedge clk) begin
        if (rst) begin
            div_w <= MAXW[15:0];
            div_h <= MAXH[15:0];
            rem_w <= MAXW[15:0] % TW[15:0];
            rem_h <= MAXH[15:0] % TH[15:0];
            ge_w <= 1'b0;
            ge_h <= 1'b0;
            q_w <= MAX_TX;
            q_h <= MAX_TY;
            div_done <= 1'b1;
        end else if (div_stale) begin
            div_w <= frame_width;
            div_h <= frame_height;
            rem_w <= frame_width;
            rem_h <= frame_height;
            ge_w <= frame_width >= TW[15:0];
            ge_h <= frame_height >= TH[15:0];
            q_w <= {TXW{1'b0}};
            q_h <= {TXW{1'b0}};
            div_done <= 1'b0;
        end else if (!div_done) begin
            if (ge_w) begin
                rem_w <= rem_w - TW[15:0];
                ge_w <= {1'b0, rem_w} >= TW2;
                q_w <= q_w + 1'b1;
            end
            if (ge_h) begin
                rem_h <= rem_h - TH[15:0];
                ge_h <= {1'b0, rem_h} >= TH2;
                q_h <= q_h + 1'b1;
            end
            if (!ge_w && !ge_h) div_done <= 1'b1;
        end
    end
    // a status bit, registered (from the size registers through the compares into the register read, it was
    // the whole-frame core's longest path)
    reg size_pending_q;
    always @(posedge clk) size_pending_q <= div_stale || !div_done || (div_w != cur_w) || (div_h != cur_h);
    assign size_pending = size_pending_q;

    // ---- pacing (CPP > 1): at most one pixel, received or filled, every CPP clocks
    localparam integer PCW = $clog2(CPP + 1) + 1;
    reg [PCW-1:0] pace;
    wire paced = (CPP == 1) || (pace == {PCW{1'b0}});

    // The state, one-hot: idle (between frames), in a frame, filling a malformed frame, skipping (the rest of
    // a dropped frame). Each bit's next value is written out below from the events that move it, so that it
    // depends on few signals (the framer's state logic, as ABC mapped a binary state, six cells deep, was the
    // whole-frame core's longest path on ECP5).
    reg s_idle, s_frame, s_fill, s_skip;
    // s_tready straight from a register, set from the next clock's reset, settle and pace (from rst, settle
    // and pace through the handshake into the state, it was the whole-frame core's longest path on ECP5)
    reg tready_q;
    assign s_tready = tready_q;
    wire bus_beat = s_tvalid && s_tready;  // a pixel accepted in this clock (it paces s_tready)
    // The accepted beat, registered before the framer looks at it: everything below works one clock behind
    // the bus (from tready's register through the handshake into the state and the counters, it was the
    // whole-frame core's longest path on ECP5). Its kind is decoded on the way in: a start of frame while
    // enabled (b_go) or not (b_stop; enable is sampled with the beat), or a pixel that continues a frame
    // (b_cont); at most one of them is set, and beat is their OR.
    reg beat, b_go, b_stop, b_cont, b_last;
    reg [DW-1:0] b_data;
    always @(posedge clk) begin
        beat <= !rst && bus_beat;
        b_go <= !rst && bus_beat && s_tuser && enable;
        b_stop <= !rst && bus_beat && s_tuser && !enable;
        b_cont <= !rst && bus_beat && !s_tuser;
        b_last <= s_tlast;
        b_data <= s_tdata;
    end
    assign busy = s_frame || s_fill;

    // ---- the position of the next pixel: column x (in tile xt, at xi in it), row y (tile yt, row yi)
    reg [15:0] x, y;
    reg [CCW-1:0] xi;
    reg [RCW-1:0] yi;
    reg [TXW:0] xt, yt;  // one bit more: the remainder strips count past the last tile
    reg [15:0] w_last, h_last;  // cur_w - 1, cur_h - 1, kept with them (a subtraction before the compares)
    // x_end (x == w_last) kept in a register: set when x advances onto the line's last pixel (x == w_last - 1
    // before it), cleared when it leaves it, and set again when a new width is applied (x is 0 between frames).
    // y_end (y == h_last) likewise, stepping with y (x and y are 0 outside FRAME and FILL, so when a size is
    // applied): as a 16-bit compare it sat on the state register's path, the whole-frame core's longest on ECP5.
    reg x_end_q, y_end_q;
    reg [15:0] w_last_m1, h_last_m1;  // w_last - 1, h_last - 1
    wire x_end = x_end_q;
    wire y_end = y_end_q;
    wire in_tiles = (xt < {1'b0, tiles_x}) && (yt < {1'b0, tiles_y});
    wire filling = s_fill && paced;

    wire [PCW-1:0] pace_n = (rst || CPP == 1) ? {PCW{1'b0}} : (bus_beat || filling) ? CPP[PCW-1:0] - 1'b1 :
                            (pace != {PCW{1'b0}}) ? pace - 1'b1 : {PCW{1'b0}};
    always @(posedge clk) pace <= pace_n;

    // A pixel that starts a frame (from idle or skip), or continues one; checked against the line's end (m).
    wire m = (x_end == b_last);
    wire frame_end = x_end && y_end;  // the next pixel is the frame's last
    wire at_start = (s_idle || s_skip) && b_go;
    wire good = s_frame ? (b_cont && m) : (at_start && m);
    // a line too short or too long, or a start of frame too early
    wire bad = s_frame ? (b_go || b_stop || (b_cont && !m)) : (at_start && !m);
    wire stray = s_idle && b_cont;  // a pixel outside any frame
    wire advance = good || filling;
    // The size compares are registered (one clock late is harmless: the size is applied only between
    // frames, and a write that lands meanwhile is divided and applied next): compare, apply and the
    // settle count in one clock were the ECP5 core's longest path.
    reg differs_q;
    always @(posedge clk) differs_q <= (div_w != cur_w) || (div_h != cur_h);
    // Not while a pixel is on its way in (bus_beat) or being taken (beat): it may start a frame, which must
    // find the size applied and s_tready high through its last pixel. (Between frames, a size is applied
    // in a clock with no pixel in either place: two clocks without tvalid.)
    wire apply = s_idle && !beat && !bus_beat && net_idle && div_done && !div_stale && differs_q &&
                 (settle == 3'd0);

    // pix_data takes the beat's data (zeros while filling) in every clock, with no clock enable: only pix_valid
    // says it holds a pixel (a beat fanned out to every bit's enable makes a long path).
    always @(posedge clk) begin
        if (rst || s_fill)
            pix_data <= {DW{1'b0}};
        else
            pix_data <= b_data;
    end

    wire [2:0] settle_n = apply ? SETTLE[2:0] : (settle != 3'd0) ? settle - 1'b1 : 3'd0;
    always @(posedge clk) tready_q <= !rst_next && (settle_n == 3'd0) && (CPP == 1 || pace_n == {PCW{1'b0}});
    always @(posedge clk) begin
        if (rst) begin
            x_end_q <= (MAXW == 1);
            y_end_q <= (MAXH == 1);
            w_last_m1 <= MAXW[15:0] - 16'd2;
            h_last_m1 <= MAXH[15:0] - 16'd2;
        end else if (apply) begin
            x_end_q <= (div_w == 16'd1);
            y_end_q <= (div_h == 16'd1);
            w_last_m1 <= div_w - 16'd2;
            h_last_m1 <= div_h - 16'd2;
        end else if (advance) begin
            x_end_q <= x_end_q ? (w_last == 16'd0) : (x == w_last_m1);
            if (x_end) y_end_q <= y_end_q ? (h_last == 16'd0) : (y == h_last_m1);
        end
    end

    // The state's next values. A frame starts at an enabled start of frame (a well-formed first pixel), ends
    // at its last pixel (to idle) or at a malformed one (to fill); a fill ends at the frame's last position,
    // to skip (the rest of that frame is dropped), as does a start of frame while not enabled or a pixel
    // outside any frame; skip ends at an enabled start of frame.
    always @(posedge clk) begin
        if (rst) begin
            s_idle <= 1'b1;
            s_frame <= 1'b0;
            s_fill <= 1'b0;
            s_skip <= 1'b0;
        end else begin
            s_idle <= (s_idle && !beat) || (good && frame_end);
            s_frame <= s_frame ? !(b_go || b_stop || (b_cont && (!m || frame_end))) :
                       (!s_fill && b_go && m && !frame_end);
            s_fill <= s_fill ? !(paced && frame_end) : bad;
            s_skip <= s_skip ? !b_go : ((s_idle && (b_cont || b_stop)) || (s_fill && paced && frame_end));
        end
    end

    always @(posedge clk) begin
        pix_valid <= 1'b0;
        frame_start <= 1'b0;
        malformed <= 1'b0;
        if (rst) begin
            settle <= 3'd0;
            cur_w <= MAXW[15:0];
            cur_h <= MAXH[15:0];
            w_last <= MAXW[15:0] - 1'b1;
            h_last <= MAXH[15:0] - 1'b1;
            tiles_x <= MAX_TX;
            tiles_y <= MAX_TY;
            x <= 16'd0;
            y <= 16'd0;
            xi <= {CCW{1'b0}};
            yi <= {RCW{1'b0}};
            xt <= {(TXW + 1){1'b0}};
            yt <= {(TXW + 1){1'b0}};
        end else begin
            settle <= settle_n;
            if (apply) begin
                cur_w <= div_w;
                cur_h <= div_h;
                w_last <= div_w - 1'b1;
                h_last <= div_h - 1'b1;
                tiles_x <= q_w;
                tiles_y <= q_h;
            end
            if (at_start) frame_start <= 1'b1;
            if (stray || bad) malformed <= 1'b1;
            if (advance) begin
                pix_valid <= in_tiles;
                if (x_end) begin
                    x <= 16'd0;
                    xi <= {CCW{1'b0}};
                    xt <= {(TXW + 1){1'b0}};
                    if (y_end) begin
                        y <= 16'd0;
                        yi <= {RCW{1'b0}};
                        yt <= {(TXW + 1){1'b0}};
                    end else begin
                        y <= y + 1'b1;
                        if (yi == TH[RCW-1:0] - 1'b1) begin
                            yi <= {RCW{1'b0}};
                            yt <= yt + 1'b1;
                        end else begin
                            yi <= yi + 1'b1;
                        end
                    end
                end else begin
                    x <= x + 1'b1;
                    if (xi == TW[CCW-1:0] - 1'b1) begin
                        xi <= {CCW{1'b0}};
                        xt <= xt + 1'b1;
                    end else begin
                        xi <= xi + 1'b1;
                    end
                end
            end
        end
    end
endmodule

`default_nettype wire
