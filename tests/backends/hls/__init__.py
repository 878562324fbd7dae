"""Tests of the HLS backend (hls4ml C simulation, camera wrapper, tcl and reports)."""
