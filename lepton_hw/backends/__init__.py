"""Hardware backends of lepton_hw: each turns the IR into a project (files + how to build and run them)."""
