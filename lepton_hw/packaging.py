"""The IP folder's packaging files, for the tools an FPGA engineer integrates the core with.

:func:`packaging_files` returns, for an IP folder (``DIR/ip`` with ``rtl/`` and ``tb/``), the text of each
file to write next to ``rtl/`` (the paths inside them are relative to that folder):

- ``component.xml``: the IP-XACT component in the IEEE 1685-2009 form, the one Vivado's IP packager writes
  and its IP catalog reads (add DIR/ip as an IP repository);
- ``lepton_core.1685-2014.xml``: the same component in IEEE 1685-2014 (Kactus2 and other 2014 tools);
- ``lepton_core.core``: the FuseSoC core (lint, sim, synthesis targets).
"""

from __future__ import annotations

from pathlib import Path

from lepton_hw.fusesoc import CORE_FILE, fusesoc_core
from lepton_hw.ipxact import Standard, component_xml

COMPONENT_FILES: dict[Standard, str] = {"2009": "component.xml", "2014": "lepton_core.1685-2014.xml"}


def packaging_files(ip_dir: Path | str) -> dict[str, str]:
    """File name (in ``ip_dir``) -> text: the IP-XACT components and the FuseSoC core of the IP folder."""
    files = {name: component_xml(ip_dir, standard) for standard, name in COMPONENT_FILES.items()}
    files[CORE_FILE] = fusesoc_core(ip_dir)
    return files
