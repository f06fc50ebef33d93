"""Atomic file writes: a temporary file beside the target, flushed to disk, then renamed over it."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from typing import IO, Iterator


def _temp_path(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.tmp")


def check_writable(path: str, option: str = "-o", example: str = "my-model.joblib") -> None:
    """UsageError unless ``atomic_write`` can write ``path``: not a folder, in a folder that exists and takes a new
    file. Tried with the temporary file ``atomic_write`` would make, as ``os.access`` says yes to root on a
    read-only or virtual file system. Run before the work, so that nothing is lost to a bad file name."""
    from .errors import UsageError

    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a folder; give a file name (for example {os.path.join(path, example)})")
    if not os.path.basename(path):
        raise UsageError(f"{option} {path!r}: give a file name (for example {example})")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(parent):
        raise UsageError(f"{option} {path}: the folder {parent} does not exist")
    if not os.path.isdir(parent):
        raise UsageError(f"{option} {path}: {parent} is not a folder")
    probe = _temp_path(path)
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write in {parent} ({exc.strerror or exc})") from None


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", *, encoding: str | None = "utf-8",
                 newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file for writing; on a clean exit it replaces ``path`` in one rename.

    On an exception the temporary file is removed and ``path`` is left as it was. A new file gets the usual
    permissions (0o666 minus the umask); a replaced file keeps its mode.
    """
    path = os.fspath(path)
    tmp = _temp_path(path)
    try:
        perms = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        perms = 0o666
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), perms)
    try:
        binary = "b" in mode
        with open(fd, mode, encoding=None if binary else encoding, newline=None if binary else newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_copy(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Copy ``src`` to ``dst`` (contents, mode and times) through a temporary file and one rename."""
    dst = os.fspath(dst)
    tmp = _temp_path(dst)
    try:
        shutil.copy2(src, tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            with contextlib.suppress(OSError):  # some systems refuse fsync on a read-only descriptor
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
