"""The C-simulation cache fixture `csim_cache` lives in tests/conftest.py (the CLI tests share it)."""
