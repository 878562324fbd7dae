# Thin wrappers; each target works alone on a fresh machine (install runs first).
VENV := .venv
PY := $(VENV)/bin/python
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: install demo test test-slow lint bench formal fuzz clean

install:
	@scripts/install.sh

# The default example, end to end: train (QAT + pruning) -> IR -> HLS project (camera C simulation)
# -> Verilog core (RTL simulation) -> interpreter == Keras == C simulation == RTL on the whole test
# set -> per-board estimate -> build/camera_defects/report.html and build/camera_defects/ip/.
# A second `make demo` finds every step cached.
demo: install
	$(VENV)/bin/lepton-hw flow examples/camera_defects.yaml

# two workers (CI's two cores); --dist loadscope keeps each module's tests, and its fixtures, on one worker
test: install
	$(PY) -m pytest -m "not slow" -q -n 2 --dist loadscope

test-slow: install
	@scripts/install.sh --with-chromium
	$(PY) -m pytest -m slow -q

# SymbiYosys proofs of the framer and the result queue (k-induction and covers; about a minute)
formal: install
	$(PY) -m lepton_hw.formal

# Random traffic through the native RTL harness, and random models through every engine (a few
# minutes; FUZZ_FRAMES=100000 FUZZ_MODELS=100 for the long run quoted in README)
FUZZ_FRAMES ?= 20000
FUZZ_MODELS ?= 10
fuzz: install
	$(PY) -m lepton_hw.testing.fuzz soak --frames $(FUZZ_FRAMES)
	$(PY) -m lepton_hw.testing.fuzz models --count $(FUZZ_MODELS)

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
	$(PY) bench/bench_sweep.py

clean:
	rm -rf build .pytest_cache .ruff_cache .mypy_cache
