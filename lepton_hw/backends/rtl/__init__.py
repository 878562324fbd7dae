"""The RTL backend: a streaming camera core in Verilog (top ``lepton_core``), bit-exact to the IR."""

from lepton_hw.backends.rtl.project import RtlProject, build_rtl, write_rtl

__all__ = ["RtlProject", "build_rtl", "write_rtl"]
