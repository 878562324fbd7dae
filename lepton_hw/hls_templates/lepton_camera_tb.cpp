// Testbench of the lepton_hw camera core (@{project}): C simulation and C/RTL co-simulation.
//
//   lepton_camera_tb BEATS [OUTPUT [EXPECTED]]
//
// BEATS: one input beat a line, "pixel tuser tlast". The core is called once per start of frame.
// OUTPUT: one line per call: "status frame_count last_class err_malformed malformed_count", followed by a
// line "packet v0 v1 ..." for each result packet the call sent (v0 = class index, then the raw logits).
// EXPECTED: the packet lines expected, in order ("packet ..." lines of the same format; other lines are
// ignored). Every packet is compared exactly; the exit status is 1 on any mismatch, 2 on a bad file.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "lepton_camera.h"

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
    int frames = 0;
    long long pixel, user, last;
    while (beats_file >> pixel >> user >> last) {
        lepton_pixel_beat beat;
        beat.data = pixel;
        beat.keep = 1;
        beat.strb = 1;
        beat.user = user;
        beat.last = last;
        beat.id = 0;
        beat.dest = 0;
        s_axis.write(beat);
        frames += user ? 1 : 0;
    }

    std::ofstream out(output_path);
    std::vector<std::vector<long long> > got;
    for (int f = 0; f < frames; f++) {
        ap_uint<32> frame_count, last_class, malformed_count;
        bool err_malformed;
        lepton_camera(s_axis, m_axis, false, &frame_count, &last_class, &err_malformed, &malformed_count);
        out << "status " << frame_count.to_uint64() << " " << last_class.to_uint64() << " " << (int)err_malformed
            << " " << malformed_count.to_uint64() << "\n";
        std::vector<long long> packet;
        while (!m_axis.empty()) {
            lepton_result_beat beat = m_axis.read();
            packet.push_back(packet.empty() ? (long long)beat.data.to_uint64() : (long long)(int)beat.data.to_uint());
            if (beat.last) {
                out << "packet";
                for (size_t i = 0; i < packet.size(); i++) out << " " << packet[i];
                out << "\n";
                got.push_back(packet);
                packet.clear();
            }
        }
        if (!packet.empty()) {
            std::cerr << "frame " << f << ": a packet without tlast" << std::endl;
            return 1;
        }
    }
    out.close();

    bool have_expected = false;
    std::vector<std::vector<long long> > expected = read_packets(expected_path, &have_expected);
    if (!have_expected) {
        std::cout << "no expected packets (" << expected_path << "): " << got.size() << " packets written to "
                  << output_path << std::endl;
        return argc > 3 ? 2 : 0;
    }
    int mismatches = 0;
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
