// Testbench of the lepton_hw full-frame camera core (@{project}): C simulation and C/RTL co-simulation.
//
//   lepton_camera_tb BEATS [OUTPUT [EXPECTED]]
//
// BEATS: one input beat a line, "pixel tuser tlast"; or "size W H": frame_width and frame_height for the calls from
// the next start of frame on (0 0 until then: the maximum); or "clear": err_clear = 1 for the next call. The core is
// called once per start of frame, with the beats up to the next start of frame queued before the call.
// OUTPUT: per call, a line "status frame_count last_class err_malformed malformed_count errors class_count[0] ...",
// then a line "beat tdata tuser tlast" for each beat the call sent (tdata unsigned).
// EXPECTED: the packets expected, in order ("packet w0 w1 ..." lines: the beats' 32-bit words as signed integers;
// other lines are ignored). Every packet is compared exactly and checked: tuser on its first beat only,
// tlast on its last only, at most one a call. The exit status is 1 on any mismatch, 2 on a bad file.
#include <deque>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "lepton_camera.h"

struct lepton_tb_regs {
    unsigned long long width, height;
    bool clear;
};

static std::vector<std::vector<long long> > read_packets(const char *path, bool *ok) {
    std::vector<std::vector<long long> > packets;
    std::ifstream in(path);
    *ok = in.is_open();
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string head;
        if (!(words >> head) || head != "packet") continue;
        std::vector<long long> packet;
        long long v;
        while (words >> v) packet.push_back(v);
        packets.push_back(packet);
    }
    return packets;
}

// The next beat of the file into s_axis (false at its end); register lines update `regs` and `clear`.
static bool queue_beat(std::ifstream &in, hls::stream<lepton_pixel_beat> &s_axis, lepton_tb_regs &regs,
                       std::deque<lepton_tb_regs> &calls, int *bad_line) {
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string head;
        if (!(words >> head)) continue;
        if (head == "size") {
            if (!(words >> regs.width >> regs.height)) *bad_line = 1;
            continue;
        }
        if (head == "clear") {
            regs.clear = true;
            continue;
        }
        long long pixel = 0, user = 0, last = 0;
        std::istringstream beat_words(line);
        if (!(beat_words >> pixel >> user >> last)) {
            *bad_line = 1;
            continue;
        }
        lepton_pixel_beat beat;
        beat.data = pixel;
        beat.keep = 1;
        beat.strb = 1;
        beat.user = user;
        beat.last = last;
        beat.id = 0;
        beat.dest = 0;
        s_axis.write(beat);
        if (user) {
            calls.push_back(regs);
            regs.clear = false;
        }
        return true;
    }
    return false;
}

int main(int argc, char **argv) {
    const char *beats_path = argc > 1 ? argv[1] : "tb_data/beats.txt";
    const char *output_path = argc > 2 ? argv[2] : "tb_data/csim_output.txt";
    const char *expected_path = argc > 3 ? argv[3] : "tb_data/expected.txt";

    std::ifstream beats_file(beats_path);
    if (!beats_file.is_open()) {
        std::cerr << "cannot read " << beats_path << std::endl;
        return 2;
    }
    hls::stream<lepton_pixel_beat> s_axis("s_axis");
    hls::stream<lepton_result_beat> m_axis("m_axis");
    lepton_tb_regs regs = {0, 0, false};
    std::deque<lepton_tb_regs> calls;  // the registers of each queued start of frame
    int bad_line = 0;
    bool more = true;

    std::ofstream out(output_path);
    std::vector<std::vector<long long> > got;
    int protocol_errors = 0;
    for (int f = 0;; f++) {
        while (more && calls.size() < 2) more = queue_beat(beats_file, s_axis, regs, calls, &bad_line);
        if (calls.empty()) break;
        const lepton_tb_regs call = calls.front();
        calls.pop_front();
        ap_uint<32> frame_count, last_class, malformed_count, errors;
        ap_uint<32> class_count[LEPTON_N_OUT];
        bool err_malformed;
        lepton_camera(s_axis, m_axis, call.clear, &frame_count, &last_class, &err_malformed, &malformed_count,
                      (ap_uint<32>)call.width, (ap_uint<32>)call.height, &errors, class_count);
        out << "status " << frame_count.to_uint64() << " " << last_class.to_uint64() << " " << (int)err_malformed
            << " " << malformed_count.to_uint64() << " " << errors.to_uint64();
        for (int k = 0; k < LEPTON_N_OUT; k++) out << " " << class_count[k].to_uint64();
        out << "\n";
        std::vector<long long> packet;
        bool closed = false;
        while (!m_axis.empty()) {
            lepton_result_beat beat = m_axis.read();
            out << "beat " << beat.data.to_uint64() << " " << (int)beat.user.to_uint() << " " << (int)beat.last.to_uint()
                << "\n";
            if (closed || (int)beat.user.to_uint() != (packet.empty() ? 1 : 0)) {
                std::cerr << "frame " << f << ": beat " << packet.size() << " has tuser " << beat.user.to_uint()
                          << (closed ? " after the packet's tlast" : "") << std::endl;
                protocol_errors++;
            }
            packet.push_back((long long)(int)beat.data.to_uint());
            if (beat.last) {
                if (packet.size() % (LEPTON_N_OUT + 1) != 0) {
                    std::cerr << "frame " << f << ": a packet of " << packet.size() << " beats" << std::endl;
                    protocol_errors++;
                }
                got.push_back(packet);
                closed = true;
            }
        }
        if (!packet.empty() && !closed) {
            std::cerr << "frame " << f << ": a packet without tlast" << std::endl;
            protocol_errors++;
        }
    }
    out.close();
    int leftover = 0;
    while (!s_axis.empty()) {  // beats after the last frame (no start of frame): never read by the core
        s_axis.read();
        leftover++;
    }
    if (leftover) std::cout << leftover << " beats after the last start of frame were not sent" << std::endl;
    if (bad_line) {
        std::cerr << "bad lines in " << beats_path << std::endl;
        return 2;
    }

    bool have_expected = false;
    std::vector<std::vector<long long> > expected = read_packets(expected_path, &have_expected);
    if (!have_expected) {
        std::cout << "no expected packets (" << expected_path << "): " << got.size() << " packets written to "
                  << output_path << std::endl;
        return argc > 3 ? 2 : 0;
    }
    int mismatches = protocol_errors;
    if (expected.size() != got.size()) {
        std::cerr << "expected " << expected.size() << " packets, got " << got.size() << std::endl;
        mismatches++;
    }
    for (size_t p = 0; p < expected.size() && p < got.size(); p++) {
        if (expected[p] != got[p]) {
            std::cerr << "packet " << p << " differs from the expected packet" << std::endl;
            mismatches++;
        }
    }
    std::cout << (mismatches ? "FAIL" : "PASS") << ": " << got.size() << " packets compared with " << expected_path
              << std::endl;
    return mismatches ? 1 : 0;
}
