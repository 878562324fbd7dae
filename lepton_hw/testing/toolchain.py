"""Where the external tools and headers the tests use are found."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def ap_types_include_dir() -> Path:
    """The ap_fixed / ap_int headers that ship inside the hls4ml package."""
    return Path(str(resources.files("hls4ml") / "templates" / "vivado" / "ap_types"))
