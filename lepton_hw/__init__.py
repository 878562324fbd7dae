"""lepton_hw: tiny quantized CNNs for FPGAs, from camera images to a bit-exact IP core."""

__version__ = "0.1.0"
