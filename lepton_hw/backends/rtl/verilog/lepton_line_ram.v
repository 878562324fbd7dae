// lepton_line_ram: a simple dual-port RAM for line buffers, one write port and one read port on one
// clock, read in two registered steps: rd is the word at ra two clocks after ra.
//
// The word is read into the RAM's own register, then into an output register. Written as a plain
// memory it maps to any vendor's block RAM (Vivado puts the second register into the block's output
// register). Yosys' ECP5 mapping never uses the DP16KD's output register: its data then leaves the
// block 5.8 ns after the clock (nextpnr-ecp5, -6), which capped the whole-frame core near 100 MHz.
// With LEPTON_ECP5_DP16KD defined (lepton_hw's ECP5 synthesis defines it; so can a Diamond or Radiant
// project) the RAM is built from DP16KD blocks with REGMODE_B = "OUTREG" instead: the same two clocks,
// and 0.96 ns from the clock to the data.
//
// A read and a write of the same address in the same clock are not allowed (the block RAM's result is
// undefined there); the line buffers never do it.
`default_nettype none

module lepton_line_ram #(
    parameter integer DEPTH = 1024,
    parameter integer WIDTH = 8,
    parameter integer AW = 10
) (
    input  wire             clk,
    input  wire             we,
    input  wire [AW-1:0]    wa,
    input  wire [WIDTH-1:0] wd,
    input  wire [AW-1:0]    ra,
    output wire [WIDTH-1:0] rd
);
`ifdef LEPTON_ECP5_DP16KD
    // One DP16KD is 1024 x 18, 2048 x 9, 4096 x 4, 8192 x 2 or 16384 x 1; the narrowest that holds
    // DEPTH words, side by side for WIDTH bits. Its address pins are AD13..AD0 with the word address
    // at the top (AD13 down) and unused pins low; at x18, AD1..AD0 are the write's byte enables.
    localparam integer DW = DEPTH <= 1024 ? 18 : DEPTH <= 2048 ? 9 : DEPTH <= 4096 ? 4 : DEPTH <= 8192 ? 2 : 1;
    localparam integer ABITS = DW == 18 ? 10 : DW == 9 ? 11 : DW == 4 ? 12 : DW == 2 ? 13 : 14;
    localparam integer BLOCKS = (WIDTH + DW - 1) / DW;
    wire [13:0] wa_z = wa;
    wire [13:0] ra_z = ra;
    wire [13:0] wad = (wa_z << (14 - ABITS)) | (DW == 18 ? 14'd3 : 14'd0);
    wire [13:0] rad = ra_z << (14 - ABITS);
    wire [BLOCKS*DW-1:0] din = wd;
    wire [BLOCKS*18-1:0] dout;
    genvar b;
    generate
        for (b = 0; b < BLOCKS; b = b + 1) begin : g_block
            wire [17:0] di = din[b*DW +: DW];
            wire [17:0] do_b;
            DP16KD #(
                .DATA_WIDTH_A(DW), .DATA_WIDTH_B(DW),
                .REGMODE_A("NOREG"), .REGMODE_B("OUTREG"),
                .RESETMODE("SYNC"), .ASYNC_RESET_RELEASE("SYNC"),
                .CSDECODE_A("0b000"), .CSDECODE_B("0b000"),
                .WRITEMODE_A("NORMAL"), .WRITEMODE_B("NORMAL"),
                .GSR("DISABLED")
            ) ram (
                .CLKA(clk), .CEA(1'b1), .OCEA(1'b1), .WEA(we), .RSTA(1'b0),
                .CSA0(1'b0), .CSA1(1'b0), .CSA2(1'b0),
                .ADA0(wad[0]), .ADA1(wad[1]), .ADA2(wad[2]), .ADA3(wad[3]), .ADA4(wad[4]), .ADA5(wad[5]),
                .ADA6(wad[6]), .ADA7(wad[7]), .ADA8(wad[8]), .ADA9(wad[9]), .ADA10(wad[10]), .ADA11(wad[11]),
                .ADA12(wad[12]), .ADA13(wad[13]),
                .DIA0(di[0]), .DIA1(di[1]), .DIA2(di[2]), .DIA3(di[3]), .DIA4(di[4]), .DIA5(di[5]),
                .DIA6(di[6]), .DIA7(di[7]), .DIA8(di[8]), .DIA9(di[9]), .DIA10(di[10]), .DIA11(di[11]),
                .DIA12(di[12]), .DIA13(di[13]), .DIA14(di[14]), .DIA15(di[15]), .DIA16(di[16]), .DIA17(di[17]),
                .CLKB(clk), .CEB(1'b1), .OCEB(1'b1), .WEB(1'b0), .RSTB(1'b0),
                .CSB0(1'b0), .CSB1(1'b0), .CSB2(1'b0),
                .ADB0(rad[0]), .ADB1(rad[1]), .ADB2(rad[2]), .ADB3(rad[3]), .ADB4(rad[4]), .ADB5(rad[5]),
                .ADB6(rad[6]), .ADB7(rad[7]), .ADB8(rad[8]), .ADB9(rad[9]), .ADB10(rad[10]), .ADB11(rad[11]),
                .ADB12(rad[12]), .ADB13(rad[13]),
                .DIB0(1'b0), .DIB1(1'b0), .DIB2(1'b0), .DIB3(1'b0), .DIB4(1'b0), .DIB5(1'b0),
                .DIB6(1'b0), .DIB7(1'b0), .DIB8(1'b0), .DIB9(1'b0), .DIB10(1'b0), .DIB11(1'b0),
                .DIB12(1'b0), .DIB13(1'b0), .DIB14(1'b0), .DIB15(1'b0), .DIB16(1'b0), .DIB17(1'b0),
                .DOB0(do_b[0]), .DOB1(do_b[1]), .DOB2(do_b[2]), .DOB3(do_b[3]), .DOB4(do_b[4]), .DOB5(do_b[5]),
                .DOB6(do_b[6]), .DOB7(do_b[7]), .DOB8(do_b[8]), .DOB9(do_b[9]), .DOB10(do_b[10]),
                .DOB11(do_b[11]), .DOB12(do_b[12]), .DOB13(do_b[13]), .DOB14(do_b[14]), .DOB15(do_b[15]),
                .DOB16(do_b[16]), .DOB17(do_b[17])
            );
            assign dout[b*18 +: 18] = do_b;
        end
        for (b = 0; b < WIDTH; b = b + 1) begin : g_bit
            assign rd[b] = dout[(b / DW) * 18 + (b % DW)];
        end
    endgenerate
`else
    (* ram_style = "block" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
    reg [WIDTH-1:0] ram_q, out_q;
    always @(posedge clk) begin
        if (we) mem[wa] <= wd;
        ram_q <= mem[ra];
        out_q <= ram_q;
    end
    assign rd = out_q;
`endif
endmodule

`default_nettype wire
