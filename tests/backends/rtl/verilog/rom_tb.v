// Reads every row of rom_under_test (a ROM read in two registered steps) in order and prints each
// word as "row R WORD" (hex); the Python test compares the words with the ROM's contents.
`timescale 1ns/1ps
module rom_tb;
    parameter integer DEPTH = 100;
    parameter integer WIDTH = 40;
    parameter integer AW = 7;
    reg clk = 0;
    reg [AW-1:0] address = 0;
    wire [WIDTH-1:0] w2;
    rom_under_test dut (.clk(clk), .address(address), .w2(w2));
    integer t;
    always #5 clk = ~clk;
    initial begin
        for (t = 0; t < DEPTH + 2; t = t + 1) begin
            if (t >= 2) $display("row %0d %h", t - 2, w2);  // the row addressed two clocks ago
            address = (t < DEPTH) ? t : 0;
            @(negedge clk);
        end
        $finish;
    end
endmodule
