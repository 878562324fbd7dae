"""The HLS backend: an hls4ml (io_stream) network configured from the IR, lepton_hw's camera IP wrapper
around it, a testbench, build tcl for Vitis HLS / Vivado HLS, and C simulation engines.

- :func:`build_project` -> :class:`HlsProject` (a value); :func:`write_project` writes it.
- :func:`predict_csim`: raw integers through hls4ml's C simulation (compiled once, cached).
- :func:`run_camera_csim`: Mono8 frames through the camera core's C simulation.
- :func:`synth_commands`, :func:`run_synth`, :func:`parse_csynth_report`: the vendor tools, when present.

hls4ml itself is imported only by :mod:`lepton_hw.backends.hls.adapter`.
"""

from lepton_hw.backends.hls.adapter import BACKENDS, STRATEGIES, check_supported
from lepton_hw.backends.hls.csim import CameraRun, CameraStatus, compile_csim, predict_csim, run_camera_csim
from lepton_hw.backends.hls.project import HlsProject, build_project, expected_packets, frame_beats, write_project
from lepton_hw.backends.hls.synth import BuildSteps, Command, parse_csynth_report, run_synth, synth_commands

__all__ = [
    "BACKENDS",
    "STRATEGIES",
    "BuildSteps",
    "CameraRun",
    "CameraStatus",
    "Command",
    "HlsProject",
    "build_project",
    "check_supported",
    "compile_csim",
    "expected_packets",
    "frame_beats",
    "parse_csynth_report",
    "predict_csim",
    "run_camera_csim",
    "run_synth",
    "synth_commands",
    "write_project",
]
