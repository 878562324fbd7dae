// Native simulation harness of a generated lepton_core (lepton_hw.sim.native builds it with Verilator).
//
// Usage: lepton_sim PROGRAM RESULT [WAVES.fst]
//
// PROGRAM is a binary file of little-endian int64 words written by lepton_hw.sim.native: a header,
// then operations (lines of pixels, idle gaps, resets, error clears). This file runs them one clock
// at a time with no Python involved and writes what it saw to RESULT. The per-clock rules are the
// ones of lepton_hw/sim/sequencer.py, which the cocotb testbench runs: the two must stay the same
// clock for clock (tests/sim/test_native.py compares them on random traffic).
//
// Each clock: at the falling edge the outputs are sampled (the values the rising edge will see),
// handshakes are recorded and the next inputs are chosen; they are applied after the rising edge.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "Vlepton_core.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif

namespace {

constexpr int64_t kMagic = 0x4c4550544f4e5031;  // "LEPTONP1"
constexpr int64_t kResultMagic = 0x4c4550544f4e5231;  // "LEPTONR1"
constexpr int64_t kVersion = 1;
enum Op : int64_t { kEnd = 0, kLine = 1, kIdle = 2, kReset = 3, kWaitSent = 4, kClearError = 5 };
constexpr int kStartupResetCycles = 4;  // aresetn low for this many clocks after the first one
constexpr int kAfterResetCycles = 2;    // then high and idle for this many

// splitmix64: the pause generator shared with sequencer.py (a pause when the top 32 bits < threshold)
struct Pauses {
    uint64_t state;
    uint64_t threshold;
    bool next() {
        if (threshold == 0) return false;
        uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        return (z >> 32) < threshold;
    }
};

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "lepton_sim: %s\n", what);
    std::exit(2);
}

std::vector<int64_t> read_words(const char* path) {
    FILE* f = std::fopen(path, "rb");
    if (!f) fail("cannot open the program file");
    std::vector<int64_t> words;
    int64_t buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, sizeof(int64_t), 4096, f)) > 0) words.insert(words.end(), buffer, buffer + n);
    std::fclose(f);
    return words;
}

struct Sequencer {
    // program
    const std::vector<int64_t>& w;
    size_t pc;             // index of the current operation's first word
    int64_t line_left = 0; // beats of the current line still to present
    size_t line_pos = 0;   // word index of the next beat
    bool line_sof = false;
    int64_t line_len = 0;
    int64_t wait = 0;      // cycles left in the current idle/settle/reset phase
    int phase = 0;         // within an idle or reset operation: 0 = not started
    // inputs driven
    bool rst_n = false, s_valid = false, s_user = false, s_last = false, m_ready = false, err_clear = false;
    uint64_t s_data = 0;
    // settings
    Pauses in_pause, out_pause;
    int64_t settle, expected, timeout;
    int64_t startup = kStartupResetCycles + kAfterResetCycles;
    bool ended = false;    // all operations done; waiting for the packets
    int64_t end_cycle = -1;
    int64_t settle_left = -1;

    explicit Sequencer(const std::vector<int64_t>& words) : w(words) {}

    // Next inputs after the edge, given whether the current input beat was taken.
    // Returns false when the run is over.
    bool next(bool in_taken, bool out_valid, int64_t cycle, int64_t packets, std::vector<int64_t>& resets) {
        bool in_paused = in_pause.next();
        bool out_paused = out_pause.next();
        m_ready = !out_paused;
        err_clear = false;
        if (startup > 0) {  // the start: reset, then a few idle clocks
            --startup;
            rst_n = startup < kAfterResetCycles;
            return true;
        }
        bool source_busy = s_valid && !in_taken;  // a beat is offered and not taken: keep it
        if (!source_busy) s_valid = false;
        while (!source_busy) {
            int64_t op = ended ? kEnd : w[pc];
            if (op == kLine) {
                if (line_left == 0 && line_len == 0) {  // start the line
                    line_sof = w[pc + 1] != 0;
                    line_len = w[pc + 2];
                    line_left = line_len;
                    line_pos = pc + 3;
                }
                if (line_left == 0) {  // finished: next operation
                    pc = line_pos;
                    line_len = 0;
                    continue;
                }
                if (!in_paused) {
                    s_valid = true;
                    s_data = static_cast<uint64_t>(w[line_pos]);
                    s_user = line_sof && line_left == line_len;
                    s_last = line_left == 1;
                    ++line_pos;
                    --line_left;
                }
                return true;
            }
            if (op == kIdle) {
                if (phase == 0) { wait = w[pc + 1]; phase = 1; }
                if (wait > 0) { --wait; return true; }
                phase = 0;
                pc += 2;
                continue;
            }
            if (op == kReset) {
                // earlier packets come out first: settle clocks in a row without a result beat
                if (phase == 0) { wait = settle; phase = 1; }
                if (phase == 1) {
                    if (out_valid) wait = settle;
                    if (wait > 0) { --wait; return true; }
                    phase = 2;
                    wait = w[pc + 1];
                    resets.push_back(cycle);
                }
                if (phase == 2) {
                    if (wait > 0) { --wait; rst_n = false; return true; }
                    phase = 3;
                    wait = kAfterResetCycles;
                    rst_n = true;
                }
                if (wait > 0) { --wait; return true; }
                phase = 0;
                pc += 2;
                continue;
            }
            if (op == kWaitSent) { pc += 1; continue; }
            if (op == kClearError) {
                err_clear = true;
                pc += 1;
                return true;
            }
            if (op == kEnd) {  // wait for the packets (or the timeout), then settle
                if (!ended) { ended = true; end_cycle = cycle; }
                if (settle_left < 0) {
                    if (packets < expected && cycle - end_cycle < timeout) return true;
                    settle_left = settle;
                }
                if (settle_left > 0) { --settle_left; return true; }
                return false;
            }
            fail("unknown operation in the program");
        }
        return true;
    }
};

void put(std::vector<int64_t>& out, int64_t v) { out.push_back(v); }

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) fail("usage: lepton_sim PROGRAM RESULT [WAVES.fst]");
    std::vector<int64_t> w = read_words(argv[1]);
    if (w.size() < 9 || w[0] != kMagic || w[1] != kVersion) fail("not a lepton_sim program of this version");
    Sequencer seq(w);
    seq.in_pause = {static_cast<uint64_t>(w[4]) * 2 + 1, static_cast<uint64_t>(w[2])};
    seq.out_pause = {static_cast<uint64_t>(w[4]) * 2 + 2, static_cast<uint64_t>(w[3])};
    seq.timeout = w[5];
    seq.settle = w[6];
    seq.expected = w[7];
    const int64_t max_cycles = w[8];  // a hard stop (0: none), for a core that never takes its input
    seq.pc = 9;

    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vlepton_core>(ctx.get());
#if VM_TRACE
    std::unique_ptr<VerilatedFstC> trace;
    if (argc > 3) {
        ctx->traceEverOn(true);
        trace = std::make_unique<VerilatedFstC>();
        top->trace(trace.get(), 99);
        trace->open(argv[3]);
    }
#endif
    std::vector<int64_t> in_beats, out_beats, resets;
    in_beats.reserve(1 << 20);
    int64_t in_stalls = 0, out_stalls = 0, cycle = 0, packets = 0, violations = 0;
    bool stopped = false;  // the hard stop came first
    bool held = false;  // an output beat was offered and not taken at the last edge
    uint64_t held_data = 0;
    bool held_last = false;

    auto apply = [&] {
        top->aresetn = seq.rst_n;
        top->s_axis_tvalid = seq.s_valid;
        top->s_axis_tdata = seq.s_data;
        top->s_axis_tuser = seq.s_user;
        top->s_axis_tlast = seq.s_last;
        top->m_axis_tready = seq.m_ready;
        top->err_clear = seq.err_clear;
    };
    top->aclk = 1;
    apply();
    top->eval();
    uint64_t time_ps = 0;
    auto edge = [&](int level) {  // one half clock: the clock's new level, evaluated, traced
        top->aclk = level;
        top->eval();
        time_ps += 5000;
#if VM_TRACE
        if (trace) trace->dump(time_ps);
#endif
    };
    while (true) {
        edge(0);  // falling edge: outputs settle to what the rising edge will see
        ++cycle;
        bool in_taken = false, out_valid = false;
        if (seq.rst_n) {
            bool s_ready = top->s_axis_tready;
            bool m_valid = top->m_axis_tvalid;
            out_valid = m_valid;
            uint64_t m_data = top->m_axis_tdata;
            bool m_last = top->m_axis_tlast;
            if (held && (!m_valid || m_data != held_data || m_last != held_last)) ++violations;
            if (seq.s_valid) {
                if (s_ready) {
                    in_taken = true;
                    in_beats.push_back(cycle << 2 | int64_t(seq.s_user) << 1 | int64_t(seq.s_last));
                } else {
                    ++in_stalls;
                }
            }
            held = m_valid && !seq.m_ready;
            if (m_valid) {
                if (seq.m_ready) {
                    out_beats.push_back(cycle << 1 | int64_t(m_last));
                    out_beats.push_back(static_cast<int32_t>(m_data));
                    if (m_last) ++packets;
                } else {
                    ++out_stalls;
                    held_data = m_data;
                    held_last = m_last;
                }
            }
        } else {
            held = false;
        }
        bool go_on = seq.next(in_taken, out_valid, cycle, packets, resets);
        edge(1);  // rising edge: the core takes the inputs chosen one clock ago
        if (!go_on) break;
        if (max_cycles > 0 && cycle >= max_cycles) {
            stopped = true;
            break;
        }
        apply();
    }
    top->final();
#if VM_TRACE
    if (trace) trace->close();
#endif
    std::vector<int64_t> out;
    put(out, kResultMagic);
    put(out, cycle);
    put(out, in_stalls);
    put(out, out_stalls);
    put(out, top->err_malformed);
    put(out, top->frame_count);
    put(out, (stopped || packets < seq.expected) ? 1 : 0);
    put(out, violations);
    put(out, static_cast<int64_t>(in_beats.size()));
    put(out, static_cast<int64_t>(out_beats.size() / 2));
    put(out, static_cast<int64_t>(resets.size()));
    out.insert(out.end(), in_beats.begin(), in_beats.end());
    out.insert(out.end(), out_beats.begin(), out_beats.end());
    out.insert(out.end(), resets.begin(), resets.end());
    FILE* f = std::fopen(argv[2], "wb");
    if (!f || std::fwrite(out.data(), sizeof(int64_t), out.size(), f) != out.size()) fail("cannot write the result");
    std::fclose(f);
    return 0;
}
