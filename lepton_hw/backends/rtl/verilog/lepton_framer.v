// lepton_framer: AXI4-Stream video in (UG934: tuser = start of frame, tlast = end of line),
// exactly H x W pixels per frame out, in raster order.
//
// The network behind it counts positions, so it must never see a malformed frame. The framer
// repairs one instead and marks it bad (its result is dropped, err_malformed is raised):
//   - short line (tlast before column W-1): the rest of the line is filled with zero pixels;
//   - long line (no tlast at column W-1): the extra pixels are dropped up to the next tlast;
//   - start of frame in mid-frame: the rest of the frame is filled, then the new frame starts;
//   - pixels outside a frame (missing start of frame): dropped up to the next start of frame.
// Filling takes one clock per missing pixel with s_tready low; otherwise s_tready is high
// inside a frame. A new frame is accepted only when sof_ok (room for its result).
// CPP > 1 (clocks per pixel): at most one pixel (or fill) passes every CPP clocks; the layers
// behind are sized for that rate. A camera at its pixel rate never sees s_tready low in a frame.
`default_nettype none

module lepton_framer #(
    parameter integer H = 32,
    parameter integer W = 32,
    parameter integer DW = 8,
    parameter integer CPP = 1
) (
    input wire clk,
    input wire rst,
    input wire [DW-1:0] s_tdata,
    input wire s_tuser,
    input wire s_tlast,
    input wire s_tvalid,
    output reg s_tready,
    input wire sof_ok,
    output reg pix_valid,
    output reg [DW-1:0] pix_data,
    output reg frame_start,  // pulse: a frame's first pixel was accepted
    output reg frame_end,    // pulse with the frame's last pixel
    output reg frame_bad,    // with frame_end: the frame was malformed (repaired)
    output reg malformed     // pulse: a malformation was seen
);
    localparam integer RW = $clog2(H + 1) + 1;
    localparam integer CW = $clog2(W + 1) + 1;
    localparam [2:0] IDLE = 3'd0, FRAME = 3'd1, FILL_LINE = 3'd2, FILL_FRAME = 3'd3, SKIP = 3'd4;

    reg [2:0] state;
    reg [RW-1:0] row;
    reg [CW-1:0] col;
    reg bad;
    reg skip_done;  // SKIP after the frame's last pixel: wait for a start of frame next

    // Pacing: `pace` clocks must pass before the next pixel (CPP = 1: always ready).
    localparam integer PCW = $clog2(CPP + 1) + 1;
    reg [PCW-1:0] pace;
    wire pix_next;
    wire paced = (CPP == 1) || (pace == {PCW{1'b0}});

    wire at_eol = (col == W[CW-1:0] - 1'b1);
    wire at_eof = at_eol && (row == H[RW-1:0] - 1'b1);

    // Not ready in reset: rst is aresetn registered, so it ends one clock after aresetn rises, and
    // a master may send from the first clock after aresetn rises (AXI4-Stream); that pixel must wait.
    always @(*) begin
        if (rst)
            s_tready = 1'b0;
        else
            case (state)
                IDLE: s_tready = sof_ok && paced;
                FRAME: s_tready = !s_tuser && paced;  // a start of frame in mid-frame waits for the fill
                SKIP: s_tready = !s_tuser;     // a start of frame ends the skipping
                default: s_tready = 1'b0;      // filling
            endcase
    end

    wire beat = s_tvalid && s_tready;
    assign pix_next = (state == IDLE && beat && s_tuser) || (state == FRAME && beat && !s_tuser) ||
                      ((state == FILL_LINE || state == FILL_FRAME) && paced);

    always @(posedge clk) begin
        if (rst || CPP == 1)
            pace <= {PCW{1'b0}};
        else if (pix_next)
            pace <= CPP[PCW-1:0] - 1'b1;
        else if (pace != {PCW{1'b0}})
            pace <= pace - 1'b1;
    end

    // pix_data takes s_tdata (zeros while filling) in every clock, with no clock enable: only pix_valid
    // says it holds a pixel. (Loaded on a beat, s_tvalid and the ready logic fanned out to every bit's
    // enable: the one-tile core's longest path on ECP5.)
    always @(posedge clk) begin
        if (rst || state == FILL_LINE || state == FILL_FRAME)
            pix_data <= {DW{1'b0}};
        else
            pix_data <= s_tdata;
    end

    always @(posedge clk) begin
        pix_valid <= 1'b0;
        frame_start <= 1'b0;
        frame_end <= 1'b0;
        malformed <= 1'b0;
        if (rst) begin
            state <= IDLE;
            row <= {RW{1'b0}};
            col <= {CW{1'b0}};
            bad <= 1'b0;
            skip_done <= 1'b0;
            frame_bad <= 1'b0;
        end else begin
            case (state)
                IDLE: if (beat) begin
                    if (s_tuser) begin
                        frame_start <= 1'b1;
                        pix_valid <= 1'b1;
                        bad <= 1'b0;
                        row <= {RW{1'b0}};
                        col <= {CW{1'b0}};
                        // the first pixel, then the same checks as any pixel at (0, 0)
                        if (H == 1 && W == 1) begin
                            frame_end <= 1'b1;
                            frame_bad <= !s_tlast;
                            if (!s_tlast) begin
                                malformed <= 1'b1;
                                skip_done <= 1'b1;
                                state <= SKIP;
                            end
                        end else if (W == 1) begin
                            if (!s_tlast) begin
                                bad <= 1'b1;
                                malformed <= 1'b1;
                                skip_done <= 1'b0;
                                state <= SKIP;
                            end else begin
                                state <= FRAME;
                            end
                            row <= {{(RW-1){1'b0}}, 1'b1};
                        end else begin
                            col <= {{(CW-1){1'b0}}, 1'b1};
                            if (s_tlast) begin  // a one-pixel line
                                bad <= 1'b1;
                                malformed <= 1'b1;
                                state <= FILL_LINE;
                            end else begin
                                state <= FRAME;
                            end
                        end
                    end else begin
                        malformed <= 1'b1;  // a pixel outside any frame: dropped
                    end
                end
                FRAME: begin
                    if (s_tvalid && s_tuser) begin  // the frame was cut short
                        bad <= 1'b1;
                        malformed <= 1'b1;
                        state <= FILL_FRAME;
                    end else if (beat) begin
                        pix_valid <= 1'b1;
                        if (at_eol) begin
                            col <= {CW{1'b0}};
                            row <= row + 1'b1;
                            if (!s_tlast) begin
                                malformed <= 1'b1;
                                skip_done <= at_eof;
                                state <= SKIP;
                            end
                            if (at_eof) begin
                                frame_end <= 1'b1;
                                frame_bad <= bad || !s_tlast;
                                if (s_tlast) state <= IDLE;
                            end else if (!s_tlast) begin
                                bad <= 1'b1;
                            end
                        end else begin
                            col <= col + 1'b1;
                            if (s_tlast) begin
                                bad <= 1'b1;
                                malformed <= 1'b1;
                                state <= FILL_LINE;
                            end
                        end
                    end
                end
                FILL_LINE, FILL_FRAME: if (paced) begin
                    pix_valid <= 1'b1;
                    if (at_eol) begin
                        col <= {CW{1'b0}};
                        row <= row + 1'b1;
                        if (at_eof) begin
                            frame_end <= 1'b1;
                            frame_bad <= 1'b1;
                            state <= IDLE;
                        end else if (state == FILL_LINE) begin
                            state <= FRAME;
                        end
                    end else begin
                        col <= col + 1'b1;
                    end
                end
                default: begin  // SKIP
                    if (s_tvalid && s_tuser) begin
                        state <= skip_done ? IDLE : FILL_FRAME;
                    end else if (beat && s_tlast) begin
                        state <= skip_done ? IDLE : FRAME;
                    end
                end
            endcase
        end
    end
endmodule

`default_nettype wire
