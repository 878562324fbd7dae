"""Frontends: models from other tools -> lepton_hw IR."""
