"""Helpers shared by the tests and benchmarks: random model generator, tool lookup."""
