"""The one error hierarchy of lepton_hw.

Every error a user can cause (a bad file, an unsupported layer, a bad option) is a
:class:`UserError`: the command line prints its message on one line and exits with status 2.
Anything else that escapes is a bug in lepton_hw and keeps its traceback.
"""

from __future__ import annotations


class LeptonError(Exception):
    """Base class of every error lepton_hw raises on purpose."""


class UserError(LeptonError):
    """Bad input from the user; the message names the bad thing and what is accepted."""

    exit_status = 2


class FixedTypeError(UserError):
    """A fixed-point type that cannot be parsed or built."""


class IRError(UserError):
    """An IR that is malformed, or a file that does not hold a valid IR."""


class ModelLoadError(UserError):
    """A model file that cannot be read."""


class UnsupportedLayerError(UserError):
    """A layer (or a layer setting) that lepton_hw cannot convert exactly."""


class InputDataError(UserError):
    """Input samples of the wrong shape, dtype or values."""


class OutputExistsError(UserError):
    """An output that exists already and is not to be overwritten."""


class ConfigError(UserError):
    """A training config that cannot be read, or holds a bad value (named by its key path)."""


class DatasetError(UserError):
    """A dataset that cannot be loaded: missing files, unreadable images, bad arrays or labels."""


class BoardError(UserError):
    """An unknown board id, or a board file with a missing or wrong field."""


class EngineError(UserError):
    """An unknown engine, or an engine that cannot run here."""


class ToolError(UserError):
    """An open FPGA tool (Yosys, nextpnr) that is missing or failed on a design; names its log."""


class MismatchError(LeptonError):
    """Two engines computed different outputs for the same input: the product's promise is broken.

    Not a user error (exit status 1, like `lepton-hw verify`); the message names the engine, sample and values.
    """

    exit_status = 1


class NotExactError(LeptonError):
    """An exact computation that would need more bits than the chosen representation holds.

    Not a user error: it means an internal representation choice was wrong.
    """
