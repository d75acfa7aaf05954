"""Atomic writes: build under a temporary sibling name, then rename into place.

A reader (or a rerun after a crash) sees the old content or the new one, never a torn file:
:func:`os.replace` and :func:`os.rename` are atomic within one file system, and the temporary
name lies in the target's directory. Files are flushed to disk (``fsync``) before the rename;
directories are not (their many files would make that slow), so a directory survives a killed
process, not necessarily a power loss.

Standard library only, so that every layer of netdyn can use it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Callable

__all__ = ["create_directory", "replace_directory", "write_file", "write_text"]


def _sibling(target: Path) -> Path:
    """A fresh hidden name next to ``target``."""
    return target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"


def write_file(path: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """Write the file ``path`` through ``write(tmp)``, then move it into place.

    Parameters
    ----------
    path
        Target file; missing parent directories are created, an existing file is replaced.
    write
        Writes the whole content to the temporary file it is given (an empty file that
        exists; open it for writing, e.g. ``h5py.File(tmp, "w")``).

    Returns
    -------
    pathlib.Path
        ``path``, complete. If ``write`` raises, ``path`` is left as it was and the
        temporary file is removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target)
    open(tmp, "xb").close()  # not mkstemp: its mode 0600 would end up on the target
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`write_file`."""
    return write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def create_directory(path: str | os.PathLike[str], write: Callable[[Path], Any]) -> bool:
    """Create the directory ``path`` whole, through ``write(tmp)``, unless it exists.

    Parameters
    ----------
    path
        Target directory; it must not exist or be empty. Missing parents are created.
    write
        Fills the temporary directory it is given (which does not exist yet: ``write``
        creates it, as ``Dataset.to_zarr(tmp, mode="w-")`` does).

    Returns
    -------
    bool
        True when this call's directory was moved into place; False when another process
        created ``path`` first (ours is discarded: the caller reads theirs).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target)
    try:
        write(tmp)
        try:
            os.rename(tmp, target)  # replaces an empty directory, fails on a full one
        except OSError:
            if not target.exists():
                raise
            return False
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def replace_directory(path: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """Replace the directory ``path`` by one filled through ``write(tmp)``.

    The new directory is complete before it takes the name: a reader sees the old one or
    the new one (for the instant between the two renames, none). If ``write`` raises, ``path``
    is left as it was.

    Parameters
    ----------
    path
        Target directory; missing parents are created.
    write
        Fills the temporary directory it is given (which does not exist yet).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp, old = _sibling(target), _sibling(target)
    try:
        write(tmp)
        if target.exists():
            os.rename(target, old)
        try:
            os.rename(tmp, target)
        except OSError:
            if old.exists():
                os.rename(old, target)
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return target
