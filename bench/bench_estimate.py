"""Time `lepton-hw estimate --board all` on a trained example (default build/camera_defects, which
`make demo` writes), with an empty estimate cache, after one Yosys call has paid the WebAssembly start-up.

Prints the wall time, every synthesis and place-and-route run with its seconds, then the second (cached)
run's time and the `--fast` run's time in the same process.

    python bench/bench_estimate.py [DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lepton_hw.boards import all_boards  # noqa: E402
from lepton_hw.estimate import estimate  # noqa: E402
from lepton_hw.estimate.tools import require_tool, tool_env  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", nargs="?", default=str(ROOT / "build" / "camera_defects"))
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    directory = Path(args.dir)
    if not (directory / "rtl" / "core.json").is_file():
        print(f"{directory}/rtl is missing: run `make demo` (or `lepton-hw rtl DIR --board B`) first")
        return 2
    with tempfile.TemporaryDirectory() as cache:
        os.environ["LEPTON_HW_CACHE"] = cache
        start = time.monotonic()
        subprocess.run([require_tool("yosys"), "-q", "-p", "help"], env=tool_env(), check=True, capture_output=True)
        print(f"first Yosys call (WebAssembly start-up, cached per user): {time.monotonic() - start:.1f} s")
        boards = all_boards()
        start = time.monotonic()
        doc = estimate(directory, boards, jobs=args.jobs)
        first = time.monotonic() - start
        print(f"estimate --board all ({len(boards)} boards, {os.cpu_count()} cores): {first:.1f} s")
        seen = set()
        for entry in doc["boards"]:
            synth = entry["synthesis"]
            if synth["folder"] not in seen:
                seen.add(synth["folder"])
                print(f"  yosys {entry['family']:6s} {synth['seconds']:7.1f} s")
            pnr = entry.get("place_and_route")
            if pnr:
                print(f"  {pnr['tool']:28s} {entry['board']:14s} {pnr['seconds']:7.1f} s  {pnr['error']}")
        start = time.monotonic()
        estimate(directory, boards, jobs=args.jobs)
        print(f"second run (cached): {time.monotonic() - start:.1f} s")
        start = time.monotonic()
        estimate(directory, boards, fast=True)
        print(f"--fast: {time.monotonic() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
