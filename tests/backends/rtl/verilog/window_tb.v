// Drives lepton_window (as RTL or as a synthesized netlist) with a stimulus file, one line per clock:
// {in_valid, in_data} in hex. Prints every window as "out <hex>" and "done" at the end.
`timescale 1ns/1ps
module window_tb;
    parameter integer H = 8, W = 8, EW = 8, KH = 3, KW = 3, OH = 6, OW = 6;
    parameter integer CLOCKS = 100;
    reg clk = 0;
    reg rst = 1;
    reg in_valid = 0;
    reg [EW-1:0] in_data = 0;
    wire out_valid, out_last;
    wire [KH*KW*EW-1:0] out_window;
    wire [KH-1:0] out_row_ok;
    wire [KW-1:0] out_col_ok;
    lepton_window #(.H(H), .W(W), .EW(EW), .KH(KH), .KW(KW), .SH(1), .SW(1), .PT(0), .PL(0), .OH(OH), .OW(OW),
        .DRAIN(0), .PADDED(0)) dut (
        .clk(clk), .rst(rst), .in_valid(in_valid), .in_data(in_data), .out_valid(out_valid), .out_last(out_last),
        .out_window(out_window), .out_row_ok(out_row_ok), .out_col_ok(out_col_ok)
    );
    reg [EW:0] stimulus [0:CLOCKS-1];
    integer t;
    always #5 clk = ~clk;
    always @(posedge clk) if (out_valid === 1'b1) $display("out %h %b", out_window, out_last);
    initial begin
        $readmemh("stimulus.hex", stimulus);
        @(negedge clk);
        @(negedge clk);
        rst = 0;
        for (t = 0; t < CLOCKS; t = t + 1) begin
            {in_valid, in_data} = stimulus[t];
            @(negedge clk);
        end
        in_valid = 0;
        @(negedge clk);
        @(negedge clk);
        $display("done");
        $finish;
    end
endmodule
