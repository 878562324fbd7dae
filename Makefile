# Thin wrappers; each target works alone on a fresh machine (install runs first).
VENV := .venv
PY := $(VENV)/bin/python
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: install demo test test-slow lint bench clean

install:
	@scripts/install.sh

demo: install
	$(PY) examples/quick_demo.py

test: install
	$(PY) -m pytest -m "not slow" -q

test-slow: install
	$(PY) -m pytest -m slow -q

lint: install
	$(VENV)/bin/ruff check lepton_hw tests bench examples
	$(VENV)/bin/ruff format --check lepton_hw tests bench examples
	$(VENV)/bin/mypy lepton_hw

bench: install
	$(PY) bench/bench_interp.py

clean:
	rm -rf build .pytest_cache .ruff_cache .mypy_cache
