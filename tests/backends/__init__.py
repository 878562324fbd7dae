"""Tests of the hardware backends."""
