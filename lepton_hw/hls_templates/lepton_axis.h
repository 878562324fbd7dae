// AXI4-Stream side channels (tdata, tkeep, tstrb, tuser, tlast, tid, tdest) for the camera wrapper.
// Under the Xilinx tools (Vitis HLS / Vivado HLS) their own ap_axi_sdata.h is used; with plain g++ and
// the ap_types headers that hls4ml ships (which have no ap_axi_sdata.h) a struct of the same layout.
// Define LEPTON_OWN_AXIS to force the struct, LEPTON_VENDOR_AXIS to force the vendor header.
#ifndef LEPTON_AXIS_H_
#define LEPTON_AXIS_H_

#include "ap_int.h"

#if !defined(LEPTON_OWN_AXIS) && !defined(LEPTON_VENDOR_AXIS)
#if defined(__SYNTHESIS__)
#define LEPTON_VENDOR_AXIS
#elif defined(__has_include)
#if __has_include(<ap_axi_sdata.h>)
#define LEPTON_VENDOR_AXIS
#endif
#endif
#endif

#ifdef LEPTON_VENDOR_AXIS
#include <ap_axi_sdata.h>
#else
template <int D, int U, int TI, int TD> struct ap_axiu {
    ap_uint<D> data;
    ap_uint<(D + 7) / 8> keep;
    ap_uint<(D + 7) / 8> strb;
    ap_uint<U> user;
    ap_uint<1> last;
    ap_uint<TI> id;
    ap_uint<TD> dest;
};
#endif

#endif
