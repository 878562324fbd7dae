"""Outputs appear whole or not at all: write to a temporary path, then rename into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lepton_hw.errors import OutputExistsError


def user_cache_dir() -> Path:
    """``~/.cache/lepton_hw`` (``$XDG_CACHE_HOME`` respected): caches kept per user, whatever the run."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lepton_hw"


def cache_root() -> Path:
    """Where builds are cached: ``$LEPTON_HW_CACHE``, else :func:`user_cache_dir`."""
    configured = os.environ.get("LEPTON_HW_CACHE")
    return Path(configured) if configured else user_cache_dir()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def publish_cache_entry(work: Path, folder: Path, marker: str) -> None:
    """Move the finished cache entry ``work`` to ``folder``, unless another process published it first.

    An entry is complete once it holds ``marker``. Two runs of the same key (two estimates at once) both
    compute it; the first rename wins and the other's copy is dropped. A complete entry is never removed,
    so that no reader of it sees it vanish under it; only a folder without the marker is replaced."""
    try:
        os.replace(work, folder)  # fails while ``folder`` exists and is not empty
        return
    except OSError:
        if (folder / marker).exists():  # published by another process
            shutil.rmtree(work, ignore_errors=True)
            return
    shutil.rmtree(folder, ignore_errors=True)  # a leftover without its marker (a run killed half-way)
    os.replace(work, folder)


def refuse_existing(path: Path, force: bool) -> None:
    """An existing output folder is not overwritten unless the user asked (``--force``)."""
    if Path(path).exists() and not force:
        raise OutputExistsError(f"output folder {path} exists already; pass --force to overwrite it")


@contextlib.contextmanager
def atomic_output_dir(path: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path``.

    An existing ``path`` is an error unless ``force``; on any exception the temporary folder
    is removed and ``path`` is left as it was.
    """
    path = Path(path)
    refuse_existing(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if path.exists():
        old = path.parent / f".{path.name}.old-{os.getpid()}"
        os.replace(path, old)
    os.replace(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
