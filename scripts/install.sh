#!/usr/bin/env bash
# Set up everything lepton_hw needs on a fresh machine: .venv/ with Python 3.11 and the pinned
# stack (pyproject.toml), Icarus Verilog and g++ (apt-get, when missing and we are root).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP=$VENV/.installed
PYTHON=${PYTHON:-$(command -v python3.11 || true)}

if [ -z "$PYTHON" ]; then
    echo "install: Python 3.11 is required (the pinned TensorFlow 2.20 stack); install python3.11 or set PYTHON=" >&2
    exit 2
fi

# Debian packages: Icarus Verilog (optional simulator), g++ (the HLS C simulation and the native
# RTL harness), the LZ4 header (Verilator's FST waveform writer) and tclsh (the tests run the
# generated Vivado scripts in it with stubbed Vivado commands); with --with-chromium also
# Chromium (the slow test that renders report.html headless). Each entry is what must exist (a
# command, or a file when it starts with /) and the package that brings it.
packages="iverilog:iverilog g++:g++ /usr/include/lz4.h:liblz4-dev tclsh:tcl"
if [ "${1:-}" = "--with-chromium" ]; then
    packages="$packages chromium:chromium"
fi
for tool_package in $packages; do
    tool=${tool_package%%:*}
    package=${tool_package##*:}
    if [ "${tool#/}" != "$tool" ]; then present() { [ -e "$1" ]; }; else present() { command -v "$1" >/dev/null 2>&1; }; fi
    if ! present "$tool"; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            echo "install: $package (apt-get install $package)"
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
        else
            echo "install: $tool is missing; install it with: sudo apt-get install $package" >&2
        fi
    fi
done

if [ -f "$STAMP" ] && [ "$STAMP" -nt pyproject.toml ] && [ -x "$VENV/bin/lepton-hw" ]; then
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "install: creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
echo "install: pip install -e .[hw,test] (the first time takes a few minutes and ~2.7 GB)"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[hw,test]"
touch "$STAMP"
echo "install: done"
