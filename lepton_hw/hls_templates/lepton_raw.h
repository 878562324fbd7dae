// Raw two's-complement integers of ap_fixed values (value * 2^fractional_bits), and back.
#ifndef LEPTON_RAW_H_
#define LEPTON_RAW_H_

#include "ap_fixed.h"
#include "ap_int.h"

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
long long lepton_raw_of(const ap_fixed_base<W, I, S, Q, O, N> &v) {
    ap_int_base<W, S> bits = v.range(W - 1, 0);
    return bits.to_int64();
}

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
void lepton_set_raw(ap_fixed_base<W, I, S, Q, O, N> &v, long long raw) {
    ap_int_base<W, S> bits = raw;
    v.range(W - 1, 0) = bits;
}

#endif
