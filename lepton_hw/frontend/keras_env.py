"""Import TensorFlow with Keras 2 (tf_keras), which QKeras and tfmot need.

TensorFlow 2.20's ``tf.keras`` is Keras 3 unless ``TF_USE_LEGACY_KERAS=1`` is set before
TensorFlow is first imported; QKeras layers only work with Keras 2. Every lepton_hw module
that needs TensorFlow gets it from :func:`tf_keras` so that the variable is always set first.
"""

from __future__ import annotations

import logging
import os
import sys
from types import ModuleType

from lepton_hw.errors import LeptonError


def tf_keras() -> ModuleType:
    """Return the ``tf_keras`` module, TensorFlow set up to use it as ``tf.keras``."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    # Level 3 also hides TensorFlow's harmless C++ "errors" about tf.data attributes during fit;
    # real failures still reach Python as exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        if not tf.keras.Model.__module__.startswith("tf_keras"):
            raise LeptonError(
                "TensorFlow was imported before lepton_hw could select Keras 2: set TF_USE_LEGACY_KERAS=1 "
                "in the environment, or import lepton_hw before tensorflow"
            )
    import tensorflow as tf
    import tf_keras as keras

    tf.get_logger().setLevel(logging.ERROR)  # TensorFlow's Python-side notes would drown the progress lines
    return keras


def qkeras_custom_objects() -> dict[str, object]:
    """Every QKeras layer and quantizer, for loading saved models."""
    tf_keras()
    from qkeras.utils import _add_supported_quantized_objects

    objects: dict[str, object] = {}
    _add_supported_quantized_objects(objects)
    return objects
