// Drives lepton_maxpool (as RTL or as a synthesized netlist) with a stimulus file, one line per clock:
// {in_valid, in_data} in hex. Prints every output as "out <hex>" and "done" at the end.
`timescale 1ns/1ps
module maxpool_tb;
    parameter integer H = 4, W = 4, C = 1, B = 4, SIGNED = 0, KH = 2, KW = 2, OH = 2, OW = 2;
    parameter integer CLOCKS = 100;
    reg clk = 0;
    reg rst = 1;
    reg in_valid = 0;
    reg [C*B-1:0] in_data = 0;
    wire out_valid;
    wire [C*B-1:0] out_data;
    lepton_maxpool #(.H(H), .W(W), .C(C), .B(B), .SIGNED(SIGNED), .KH(KH), .KW(KW), .OH(OH), .OW(OW)) dut (
        .clk(clk), .rst(rst), .in_valid(in_valid), .in_data(in_data), .out_valid(out_valid), .out_data(out_data)
    );
    reg [C*B:0] stimulus [0:CLOCKS-1];
    integer t;
    always #5 clk = ~clk;
    // the outputs are combinational: read them just before the edge that registers them
    always @(posedge clk) if (out_valid === 1'b1) $display("out %h", out_data);
    always @(posedge clk) if (!rst && out_valid !== 1'b0 && out_valid !== 1'b1) $display("out_valid unknown");
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
        $display("done");
        $finish;
    end
endmodule
