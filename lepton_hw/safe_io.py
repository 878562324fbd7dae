"""Reading untrusted files with bounded memory and time: arrays, YAML, sizes.

A user's files come from anywhere (a supplier's model, a colleague's test set), so every reader of
one checks what the file claims before it believes it:

- an .npy (or an .npz member) whose header claims more bytes than the file holds, or more than
  ``MAX_ARRAY_BYTES``, is refused before anything is allocated; object arrays are never loaded;
- YAML is read without aliases (``*name``): a config never needs them, and an alias bomb ("billion
  laughs") expands to gigabytes when walked;
- shapes (a model input, a layer's filters) are bounded by ``MAX_PIXELS`` and ``MAX_CHANNELS``.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lepton_hw.errors import UserError

MAX_ARRAY_BYTES = 8 << 30  # 8 GiB: far above any frame set lepton_hw handles, far below a hostile claim
MAX_PIXELS = 1 << 26  # an input of at most 67 million pixels (8192 x 8192)
MAX_CHANNELS = 4096  # channels, filters or units of a layer
MAX_YAML_BYTES = 1 << 20


def _array_claim(header: Any, where: str, error: type[UserError]) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, bytes) from an open .npy stream's header; refuses object arrays."""
    try:
        version = np.lib.format.read_magic(header)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = reader(header)
    except (ValueError, EOFError, OSError) as err:
        raise error(f"cannot read {where} as a .npy array: {err or 'empty file'}") from None
    if dtype.hasobject:
        raise error(f"{where}: an array of Python objects (dtype {dtype}) is not accepted; give a numeric array")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise error(
            f"{where}: its header claims a {'x'.join(map(str, shape))} {dtype} array ({nbytes:,} bytes), more than "
            f"the {MAX_ARRAY_BYTES:,} bytes accepted"
        )
    return tuple(shape), dtype, nbytes


def check_npy(path: Path, error: type[UserError]) -> None:
    """Refuse an .npy file whose header claims more than the file holds or than is accepted."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        if f.read(6) != b"\x93NUMPY":
            return  # not an .npy file (an .npz archive, or garbage): np.load says which
        f.seek(0)
        _, _, nbytes = _array_claim(f, str(path), error)
        if f.tell() + nbytes > size:
            raise error(
                f"{path}: its header claims {nbytes:,} bytes of data but the file holds {size - f.tell():,}; "
                "the file is truncated or forged"
            )


def check_npz(path: Path, error: type[UserError]) -> None:
    """Refuse an .npz archive with a member whose header claims more than the member holds."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not an archive: np.load says what it is
    with archive:
        for info in archive.infolist():
            # numpy serves members by their bare names too, and reads a member without the .npy magic
            # whole: every member must be a named .npy array of a bounded size
            if not info.filename.endswith(".npy"):
                raise error(f"{path}: member {info.filename!r} is not an .npy array; accepted: .npy members only")
            if info.file_size > MAX_ARRAY_BYTES + 4096:
                raise error(f"{path} ({info.filename}): {info.file_size:,} bytes uncompressed, more than accepted")
            with archive.open(info) as member:
                _, _, nbytes = _array_claim(member, f"{path} ({info.filename})", error)
                header_bytes = member.tell()
            if header_bytes + nbytes > info.file_size:
                raise error(
                    f"{path} ({info.filename}): its header claims {nbytes:,} bytes of data but the member holds "
                    f"{info.file_size - header_bytes:,}; the file is truncated or forged"
                )


class _NoAliasLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses aliases (an alias bomb's expansion is what exhausts memory)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            mark = event.start_mark
            raise yaml.YAMLError(
                f"line {mark.line + 1}: an alias (*{event.anchor}) is not accepted in a lepton_hw file; "
                "write the value out"
            )
        return super().compose_node(parent, index)


def load_yaml(text: str, where: str, error: type[UserError]) -> Any:
    """YAML without aliases and at most MAX_YAML_BYTES; errors as ``error`` naming ``where``."""
    if len(text) > MAX_YAML_BYTES:
        raise error(f"{where}: {len(text):,} bytes, more than the {MAX_YAML_BYTES:,} a config takes")
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as err:
        raise error(f"{where}: not valid YAML: {err}") from None


def check_shape(shape: Any, where: str, error: type[UserError]) -> None:
    """Refuse a tensor shape (H, W, C) with too many pixels or channels, or a flat (N,) with N > MAX_PIXELS."""
    if not isinstance(shape, (list, tuple)) or not all(isinstance(d, int) for d in shape):
        raise error(f"{where}: shape {shape!r} is not a list of integers")
    dims = [int(d) for d in shape]
    if any(d < 1 for d in dims):
        raise error(f"{where}: shape {tuple(dims)} has a dimension below 1")
    if len(dims) == 1:
        if dims[0] > MAX_PIXELS:
            raise error(f"{where}: {dims[0]:,} features; at most {MAX_PIXELS:,} are accepted")
        return
    if math.prod(dims[:2]) > MAX_PIXELS:
        raise error(
            f"{where}: shape {tuple(dims)} has {math.prod(dims[:2]):,} pixels; at most {MAX_PIXELS:,} are "
            "accepted (8192 x 8192)"
        )
    if dims[-1] > MAX_CHANNELS:
        raise error(f"{where}: shape {tuple(dims)} has {dims[-1]:,} channels; at most {MAX_CHANNELS:,} are accepted")
