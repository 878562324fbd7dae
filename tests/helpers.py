"""Small helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from lepton_hw.cli import main


def run_cli(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``lepton-hw argv`` in this process; return (exit status, stdout, stderr)."""
    capsys.readouterr()
    try:
        status = main(list(argv))
    except SystemExit as exit_:  # argparse usage errors
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return status, out, err
