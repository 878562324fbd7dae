"""DIR/report.html: one self-contained page (images inlined, no script, no external file) that an
engineer can send to a colleague. :func:`build_report` gathers the facts from the files the flow's
steps wrote; :mod:`.html` lays them out.
"""

from lepton_hw.report.html import build_report, write_report

__all__ = ["build_report", "write_report"]
