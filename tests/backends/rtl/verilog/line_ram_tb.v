// Drives lepton_line_ram (as RTL or as a synthesized netlist) with random writes and reads and
// compares every read with a plain memory read two clocks earlier; prints "checked N mismatches M".
`timescale 1ns/1ps
module line_ram_tb;
    parameter integer DEPTH = 1280;
    parameter integer WIDTH = 16;
    parameter integer AW = 11;
    parameter integer CLOCKS = 6000;
    parameter integer SEED = 1;
    reg clk = 0;
    reg we = 0;
    reg [AW-1:0] wa = 0, ra = 0;
    reg [WIDTH-1:0] wd = 0;
    wire [WIDTH-1:0] rd;
    lepton_line_ram #(.DEPTH(DEPTH), .WIDTH(WIDTH), .AW(AW)) dut (
        .clk(clk), .we(we), .wa(wa), .wd(wd), .ra(ra), .rd(rd)
    );
    reg [WIDTH-1:0] ref_mem [0:DEPTH-1];
    reg [WIDTH-1:0] want1, want2;
    reg known1, known2;
    integer seed, t, k, checked, mismatches;
    always #5 clk = ~clk;
    initial begin
        seed = SEED;
        checked = 0;
        mismatches = 0;
        known1 = 0;
        known2 = 0;
        for (t = 0; t < CLOCKS; t = t + 1) begin
            // inputs change after the rising edge
            @(negedge clk);
            if (t < DEPTH) begin  // first fill every address once
                we = 1;
                wa = t;
            end else begin
                we = ($random(seed) & 3) != 0;
                wa = {$random(seed)} % DEPTH;
            end
            for (k = 0; k < WIDTH; k = k + 1) wd[k] = $random(seed);
            ra = {$random(seed)} % DEPTH;
            if (we && ra == wa) ra = (ra == DEPTH - 1) ? 0 : ra + 1;
            @(posedge clk);
            // the reference: the word at ra before this clock's write, seen two clocks later
            if (known2) begin
                checked = checked + 1;
                if (rd !== want2) begin
                    mismatches = mismatches + 1;
                    if (mismatches < 5) $display("clock %0d: rd %h, want %h", t, rd, want2);
                end
            end
            want2 = want1;
            known2 = known1;
            want1 = ref_mem[ra];
            known1 = t >= DEPTH;
            if (we) ref_mem[wa] = wd;
        end
        $display("checked %0d mismatches %0d", checked, mismatches);
        $finish;
    end
endmodule
