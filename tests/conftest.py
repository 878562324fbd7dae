"""Test set-up: Keras 2 for QKeras (before TensorFlow is imported anywhere), quiet TensorFlow."""

from __future__ import annotations

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # no GPU on CI; don't let TensorFlow look for one
