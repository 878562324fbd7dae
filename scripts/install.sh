#!/usr/bin/env bash
# Set up everything lepton_hw needs on a fresh machine: .venv/ with Python 3.11 and the pinned
# stack (pyproject.toml), and Icarus Verilog (apt-get, when missing and we are root).
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

if ! command -v iverilog >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "install: Icarus Verilog (apt-get install iverilog)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iverilog >/dev/null
    else
        echo "install: Icarus Verilog is missing; install it with: sudo apt-get install iverilog (optional simulator)" >&2
    fi
fi

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
