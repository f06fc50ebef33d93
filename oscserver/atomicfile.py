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

    kept = user_data(path)
    if kept:
        raise UsageError(f"{option} {path}: {kept}; drumtag never writes over it, give another file name")
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


#: what SQLite's write-ahead log and rollback journal start with; its shared-memory file has no signature
_SQLITE_SIDE_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83", b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7")


def user_data(path: str) -> str | None:
    """Why ``path`` holds data of the user's that an output must never replace, or None: audio (by its name or its
    first bytes, through links), an SQLite database such as a catalog, or a file SQLite keeps beside one."""
    from .audio import AUDIO_EXTENSIONS, looks_like_audio
    from .catalog import SQLITE_MAGIC

    if os.path.splitext(path)[1].lower() in AUDIO_EXTENSIONS:
        return "is named like an audio file"
    real = os.path.realpath(path)
    if not os.path.isfile(real):
        return None
    try:
        with open(real, "rb") as f:
            head = f.read(16)
    except OSError:
        return None  # unreadable: the write check that follows says what is wrong
    if looks_like_audio(head):
        return "is an audio file"
    if head == SQLITE_MAGIC:
        return "is an SQLite database (a drumtag catalog?)"
    base, _, side = real.rpartition("-")
    if head.startswith(_SQLITE_SIDE_MAGIC) or (side == "shm" and os.path.isfile(base)):
        return "is a file SQLite keeps beside a database (a catalog's log, journal or shared memory)"
    return None


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
