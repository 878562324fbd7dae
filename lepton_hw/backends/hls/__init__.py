"""The HLS backend: an hls4ml (io_stream) network configured from the IR, lepton_hw's camera IP wrapper
around it, a testbench, build tcl for Vitis HLS / Vivado HLS, and C simulation engines.

- :func:`build_project` -> :class:`HlsProject` (a value); :func:`write_project` writes it.
- :func:`predict_csim`: raw integers through hls4ml's C simulation (compiled once, cached).
- :func:`run_camera_csim`: Mono8 frames through the camera core's C simulation.
- Full frames (a ``frame`` larger than the model input, :mod:`lepton_hw.backends.hls.tiles`):
  :func:`predict_csim_frames` (frames -> the per-tile map, raw integers),
  :func:`run_tiled_csim` (any stream through the full-frame core), :func:`expected_tile_packets`.
- :func:`synth_commands`, :func:`run_synth`, :func:`parse_csynth_report`: the vendor tools, when present.

hls4ml itself is imported only by :mod:`lepton_hw.backends.hls.adapter`.
"""

from lepton_hw.backends.hls.adapter import BACKENDS, STRATEGIES, check_supported
from lepton_hw.backends.hls.csim import (
    CameraRun,
    CameraStatus,
    compile_csim,
    predict_csim,
    run_camera_csim,
    run_tiled_csim,
)
from lepton_hw.backends.hls.project import HlsProject, build_project, expected_packets, frame_beats, write_project
from lepton_hw.backends.hls.synth import BuildSteps, Command, parse_csynth_report, run_synth, synth_commands
from lepton_hw.backends.hls.tiles import (
    ErrClear,
    FrameSize,
    TiledRun,
    TiledStatus,
    expected_tile_packets,
    predict_csim_frames,
    tiled_frame,
)

__all__ = [
    "BACKENDS",
    "STRATEGIES",
    "BuildSteps",
    "CameraRun",
    "CameraStatus",
    "Command",
    "ErrClear",
    "FrameSize",
    "HlsProject",
    "TiledRun",
    "TiledStatus",
    "build_project",
    "check_supported",
    "compile_csim",
    "expected_packets",
    "expected_tile_packets",
    "frame_beats",
    "parse_csynth_report",
    "predict_csim",
    "predict_csim_frames",
    "run_camera_csim",
    "run_synth",
    "run_tiled_csim",
    "synth_commands",
    "tiled_frame",
    "write_project",
]
