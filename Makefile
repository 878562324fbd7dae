# Thin wrappers; each target works alone on a fresh machine (install runs first).
VENV := .venv
PY := $(VENV)/bin/python
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: install demo test test-slow lint bench formal clean

install:
	@scripts/install.sh

# The default example, end to end: train (QAT + pruning) -> IR -> HLS project (camera C simulation)
# -> Verilog core (RTL simulation) -> interpreter == Keras == C simulation == RTL on the whole test
# set -> per-board estimate -> build/camera_defects/report.html and build/camera_defects/ip/.
# A second `make demo` finds every step cached.
demo: install
	$(VENV)/bin/lepton-hw flow examples/camera_defects.yaml

test: install
	$(PY) -m pytest -m "not slow" -q

test-slow: install
	@scripts/install.sh --with-chromium
	$(PY) -m pytest -m slow -q

# SymbiYosys proofs of the framer and the result queue (k-induction and covers; about a minute)
formal: install
	$(PY) -m lepton_hw.formal

lint: install
	$(VENV)/bin/ruff check lepton_hw tests bench
	$(VENV)/bin/ruff format --check lepton_hw tests bench
	$(VENV)/bin/mypy lepton_hw

bench: install
	$(PY) bench/bench_interp.py
	$(PY) bench/bench_train.py
	$(PY) bench/bench_csim.py
	$(PY) bench/bench_rtl.py
	$(PY) bench/bench_core.py
	$(PY) bench/bench_estimate.py
	$(PY) bench/bench_flow.py

clean:
	rm -rf build .pytest_cache .ruff_cache .mypy_cache
