# Thin wrappers; each target works alone on a fresh machine (install runs first).
VENV := .venv
PY := $(VENV)/bin/python
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: install demo test test-slow lint bench clean

install:
	@scripts/install.sh

# The default example, as far as the pipeline goes today: train (QAT + pruning) -> IR, the HLS
# project, the Verilog core (checked in Verilator), then interpreter == Keras == hls4ml C simulation
# == RTL simulation on the whole test set, then resources and clock on two boards (one that fits, one
# that does not; `estimate --board all` covers the 11 boards in several more minutes).
DEMO := build/camera_defects
demo: install
	$(VENV)/bin/lepton-hw train examples/camera_defects.yaml -o $(DEMO) --force
	$(VENV)/bin/lepton-hw hls $(DEMO) --board pynq-z2 --force
	$(VENV)/bin/lepton-hw rtl $(DEMO) --board pynq-z2 --force
	$(VENV)/bin/lepton-hw verify $(DEMO) -i $(DEMO)/test_x.npy --engines ir,keras,csim,rtl
	$(VENV)/bin/lepton-hw estimate $(DEMO) --board pynq-z2,icebreaker

test: install
	$(PY) -m pytest -m "not slow" -q

test-slow: install
	$(PY) -m pytest -m slow -q

lint: install
	$(VENV)/bin/ruff check lepton_hw tests bench
	$(VENV)/bin/ruff format --check lepton_hw tests bench
	$(VENV)/bin/mypy lepton_hw

bench: install
	$(PY) bench/bench_interp.py
	$(PY) bench/bench_train.py
	$(PY) bench/bench_csim.py
	$(PY) bench/bench_rtl.py
	$(PY) bench/bench_estimate.py

clean:
	rm -rf build .pytest_cache .ruff_cache .mypy_cache
