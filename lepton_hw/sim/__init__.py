"""RTL simulation of generated cores: cocotb testbenches (tb_*.py, run by cocotb in the simulator)
and the Python side that builds, runs and reads them (:mod:`lepton_hw.sim.run`)."""
