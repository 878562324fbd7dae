"""The testbench the customer keeps (DIR/ip/tests/), as files copied verbatim by lepton_hw.customer.

These modules run WITHOUT lepton_hw installed: they import only the standard library, pytest, cocotb and
cocotbext-axi, and read what is particular to a core from golden.json (written by lepton_hw.customer).
Nothing in lepton_hw imports them; tests/test_customer.py runs them as the customer would.
"""
