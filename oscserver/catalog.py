"""The SQLite catalog of tagged files: one row per file with its size, mtime, content hash, model, label and features.

Rows are keyed by absolute path (``os.path.abspath``, symlinks not resolved). The database runs in WAL mode and
writers commit in small batches (``maybe_commit``), so an interrupted run keeps every row it finished. Features
are stored as little-endian float32 bytes; probabilities as a JSON object in the model's class order.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import json
import logging
import os
import sqlite3
import stat
import time
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np

from .errors import NOT_REGULAR_FILE, DrumtagError

log = logging.getLogger(__name__)

#: 2 added ``ctime_ns``: a file replaced by another of the same size and mtime (``mv``, ``cp -p``, an archive
#: extracted again) has another status-change time, so it is not taken for unchanged
SCHEMA_VERSION = 2
CATALOG_NAME = "catalog.sqlite"
#: seconds a write waits for another process's write lock on the catalog before it gives up
BUSY_TIMEOUT = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path          TEXT PRIMARY KEY,
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    ctime_ns      INTEGER,
    hash          TEXT,
    model_id      TEXT NOT NULL,
    label         TEXT,
    confidence    REAL,
    probabilities TEXT,
    features      BLOB,
    error         TEXT,
    tagged_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_hash ON files (hash);
CREATE INDEX IF NOT EXISTS files_model ON files (model_id);
CREATE INDEX IF NOT EXISTS files_size ON files (size);
"""
_LIGHT = "path, size, mtime_ns, hash, model_id, label, confidence, probabilities, error, tagged_at, ctime_ns"
_FULL = _LIGHT + ", features"
#: rows classified under the model given as the parameter, with their features: what a copy can reuse
_CLASSIFIED = "model_id = ? AND error IS NULL AND features IS NOT NULL"
#: lookups by their own index: left to itself, SQLite may pick the model's, which scans every row of the model
_BY_HASH = f"SELECT {_FULL} FROM files INDEXED BY files_hash WHERE hash = ? AND {_CLASSIFIED} LIMIT 1"
_HAS_SIZE = f"SELECT 1 FROM files INDEXED BY files_size WHERE size = ? AND {_CLASSIFIED} LIMIT 1"


class CatalogError(DrumtagError):
    """The catalog is missing, unreadable, or was written by a newer drumtag."""


def default_catalog_path() -> str:
    """``<user data dir>/drumtag/catalog.sqlite`` (platformdirs), for example ``~/.local/share/drumtag/...``."""
    import platformdirs

    return os.path.join(platformdirs.user_data_dir("drumtag", appauthor=False), CATALOG_NAME)


def file_hash(path: str | os.PathLike, *, chunk: int = 1 << 18) -> str:
    """SHA-256 of the file's bytes, hex: collision-safe for deduplication, and computed in hardware by current CPUs
    (x86 SHA extensions, ARMv8), where it is about three times as fast as BLAKE2b.

    Raises OSError ("not a regular file") for a FIFO, a device or a folder, without blocking on or reading it:
    a named pipe called ``x.wav`` would wait for a writer, ``/dev/zero`` would never end."""
    h = hashlib.sha256()
    view = memoryview(bytearray(chunk))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR_FILE, os.fspath(path))
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb", buffering=0) as f:
        while n := f.readinto(view):
            h.update(view[:n])
    return h.hexdigest()


def catalog_key(path: str | os.PathLike) -> str:
    """The key a file has in the catalog: its absolute path."""
    return os.path.abspath(os.fspath(path))


def storable(key: str) -> bool:
    """Whether the catalog can hold this path: SQLite text is UTF-8, and a file name that is not valid UTF-8
    reaches Python with its stray bytes as surrogates."""
    try:
        key.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def now_iso() -> str:
    """The current UTC time to the second, ISO 8601 (formatted once per second: every row written needs it)."""
    now = int(time.time())
    if now != _now_cache[0]:
        _now_cache[:] = [now, _dt.datetime.fromtimestamp(now, _dt.timezone.utc).isoformat()]
    return _now_cache[1]


_now_cache: list = [None, ""]


def encode_features(x: np.ndarray | None) -> bytes | None:
    return None if x is None else np.asarray(x, dtype="<f4").tobytes()


def decode_features(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype="<f4")


@dataclass(frozen=True)
class Entry:
    """One catalog row. ``error`` is set (and ``label`` None) for a file that could not be classified."""

    path: str
    size: int
    mtime_ns: int
    hash: str | None
    model_id: str
    label: str | None
    confidence: float | None
    probabilities: dict[str, float]
    error: str | None
    tagged_at: str
    features: np.ndarray | None = field(default=None, repr=False, compare=False)
    ctime_ns: int | None = None  # None: a row from before schema 2

    def matches(self, st: os.stat_result) -> bool:
        """Same size, modification time and status-change time as ``st``: the file has not changed since it was
        catalogued. The status-change time tells a file replaced by another of the same size and mtime (``mv
        new.wav kick.wav``, ``cp -p``, an archive extracted again); it also moves on a chmod or a new tag in the
        file's extended attributes, which costs only a hash (the same content then just refreshes the row)."""
        return self.size == st.st_size and self.mtime_ns == st.st_mtime_ns \
            and (self.ctime_ns is None or self.ctime_ns == st.st_ctime_ns)

    def to_dict(self, *, features: bool = False) -> dict:
        d = {"path": self.path, "label": self.label, "confidence": self.confidence,
             "probabilities": self.probabilities, "error": self.error, "size": self.size,
             "mtime": _dt.datetime.fromtimestamp(self.mtime_ns / 1e9, _dt.timezone.utc).isoformat(),
             "hash": self.hash, "model_id": self.model_id, "tagged_at": self.tagged_at}
        if features:
            d["features"] = None if self.features is None else [float(v) for v in self.features]
        return d


@dataclass(frozen=True, slots=True)
class Known:
    """The part of a catalog row that tells whether its file changed (``Catalog.known``)."""

    path: str
    size: int
    mtime_ns: int
    hash: str | None
    model_id: str
    label: str | None
    error: str | None
    ctime_ns: int | None

    matches = Entry.matches


def _entry(row: tuple) -> Entry:
    path, size, mtime_ns, hsh, model_id, label, conf, probs, error, tagged_at, ctime_ns, *rest = row
    return Entry(path=path, size=size, mtime_ns=mtime_ns, hash=hsh, model_id=model_id, label=label,
                 confidence=conf, probabilities=json.loads(probs) if probs else {}, error=error,
                 tagged_at=tagged_at, features=decode_features(rest[0]) if rest else None, ctime_ns=ctime_ns)


#: what an SQLite database file starts with
SQLITE_MAGIC = b"SQLite format 3\0"


def is_sqlite(path: str) -> bool:
    """Whether ``path`` is an SQLite database file (by its first bytes)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


#: file name extensions of SQLite databases: an empty file named so is taken as a new catalog (``touch x.sqlite``)
CATALOG_EXTENSIONS = (".sqlite", ".sqlite3", ".db", ".db3")


def check_catalog_path(path: str) -> None:
    """CatalogError for a --catalog that is surely not one: a folder, an audio file name, or an existing file that
    is not an SQLite database (SQLite would make an empty file into one, and refuse any other); an empty file
    named like a database (``CATALOG_EXTENSIONS``) is a new catalog."""
    from .audio import AUDIO_EXTENSIONS

    if os.path.isdir(path):
        raise CatalogError(f"{path}: is a folder; give the catalog's file name (for example {path}/drumtag.sqlite)")
    ext = os.path.splitext(path)[1].lower()
    if ext in AUDIO_EXTENSIONS:
        raise CatalogError(f"{path}: is named like an audio file, not a catalog; give a .sqlite file")
    if os.path.isfile(path) and not is_sqlite(path):
        empty = os.path.getsize(path) == 0
        if empty and ext in CATALOG_EXTENSIONS:
            return
        what = "is empty" if empty else "is not an SQLite database"
        raise CatalogError(f"{path}: {what}, so it is no drumtag catalog; give a new file name or a catalog")


class Catalog:
    """An open catalog. Use as a context manager: leaving it commits what was written and closes it.

    ``create=False`` refuses a catalog that does not exist yet (readers: export, similar, live-tags).
    """

    def __init__(self, path: str | os.PathLike | None = None, *, create: bool = True,
                 commit_every: int = 64, commit_seconds: float = 1.0):
        self.path = os.path.abspath(os.fspath(path)) if path is not None else default_catalog_path()
        check_catalog_path(self.path)
        if not create and not os.path.isfile(self.path):
            raise CatalogError(f"{self.path}: no catalog here yet; run `drumtag tag FOLDER` first "
                               f"(or pass the --catalog you tagged into)")
        if create:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._commit_every = commit_every
        self._commit_seconds = commit_seconds
        self._pending = 0
        self._last_commit = time.monotonic()
        try:
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT)
            self._setup()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"{self.path}: not a usable drumtag catalog ({exc})") from None

    def _setup(self) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CatalogError(f"{self.path}: written by a newer drumtag (catalog schema {version}, this drumtag "
                               f"reads up to {SCHEMA_VERSION}); upgrade drumtag or use another --catalog")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash keeps every committed batch
        if version < SCHEMA_VERSION:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables - {"files"}:
                raise CatalogError(f"{self.path}: this SQLite file is not a drumtag catalog")
            if "files" in tables and "ctime_ns" not in {r[1] for r in db.execute("PRAGMA table_info(files)")}:
                db.execute("ALTER TABLE files ADD COLUMN ctime_ns INTEGER")  # schema 1: its rows keep NULL
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.commit()

    # -- lifecycle --------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A write that another process holding the catalog's write lock for longer than the busy timeout made fail:
        a CatalogError that says so, not SQLite's bare "database is locked"."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise CatalogError(f"{self.path}: the catalog is in use by another drumtag run, which kept it locked for "
                               f"{BUSY_TIMEOUT:.0f} s; try again once that run has finished") from None

    def commit(self) -> None:
        with self._writing():
            self._db.commit()
        self._pending = 0
        self._last_commit = time.monotonic()

    def commit_pending(self) -> None:
        """Commit if any row is waiting: before a long wait, so that no other process waits on this one's lock."""
        if self._pending:
            self.commit()

    def maybe_commit(self) -> None:
        """Commit when ``commit_every`` rows are pending or ``commit_seconds`` have passed since the last commit."""
        if self._pending and (self._pending >= self._commit_every
                              or time.monotonic() - self._last_commit >= self._commit_seconds):
            self.commit()

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self._db.close()

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------------------------------

    def get(self, path: str | os.PathLike, *, features: bool = False) -> Entry | None:
        """The row of ``path``, or None (also for a name that is not valid UTF-8: the catalog cannot hold one)."""
        key = catalog_key(path)
        if not storable(key):
            return None
        row = self._db.execute(f"SELECT {_FULL if features else _LIGHT} FROM files WHERE path = ?",
                               (key,)).fetchone()
        return _entry(row) if row else None

    def known(self, paths: list[str], *, batch: int = 500) -> dict[str, "Known"]:
        """What the catalog knows of each of ``paths`` (catalog keys) that has a row: one query per ``batch``
        paths, without the probabilities and features (what a scan needs to tell whether a file changed)."""
        out: dict[str, Known] = {}
        paths = [p for p in paths if storable(p)]
        for i in range(0, len(paths), batch):
            part = paths[i: i + batch]
            sql = (f"SELECT path, size, mtime_ns, hash, model_id, label, error, ctime_ns FROM files "
                   f"WHERE path IN ({','.join('?' * len(part))})")
            for row in self._db.execute(sql, part):
                out[row[0]] = Known(*row)
        return out

    def find_by_hash(self, hsh: str, model_id: str) -> Entry | None:
        """A classified row (with features) of the same content under the same model, if any."""
        row = self._db.execute(_BY_HASH, (hsh, model_id)).fetchone()
        return _entry(row) if row else None

    def has_size(self, size: int, model_id: str) -> bool:
        """Whether a classified row (with features) under ``model_id`` has a file of ``size`` bytes: only then can
        a file of that size be a copy of a catalogued one."""
        return self._db.execute(_HAS_SIZE, (size, model_id)).fetchone() is not None

    def entries(self, *, model_id: str | None = None, features: bool = False,
                batch: int = 1024) -> Iterator[Entry]:
        """Every row in path order (optionally of one model), fetched ``batch`` rows at a time."""
        sql = f"SELECT {_FULL if features else _LIGHT} FROM files"
        args: tuple = ()
        if model_id is not None:
            sql += " WHERE model_id = ?"
            args = (model_id,)
        cur = self._db.execute(sql + " ORDER BY path", args)
        while rows := cur.fetchmany(batch):
            yield from map(_entry, rows)

    def feature_batches(self, model_id: str, *, batch: int = 4096) -> Iterator[tuple[list[str], list[str], np.ndarray]]:
        """(paths, labels, features [shape=(n, d)]) for the classified rows of ``model_id``, ``batch`` at a time."""
        cur = self._db.execute(f"SELECT path, label, features FROM files WHERE {_CLASSIFIED} ORDER BY path",
                               (model_id,))
        while rows := cur.fetchmany(batch):
            yield ([r[0] for r in rows], [r[1] for r in rows],
                   np.stack([decode_features(r[2]) for r in rows]).astype(np.float64))

    def count(self, *, model_id: str | None = None) -> int:
        if model_id is None:
            return self._db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM files WHERE model_id = ?", (model_id,)).fetchone()[0]

    def model_ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT model_id FROM files ORDER BY model_id")]

    # -- writing ----------------------------------------------------------------------------------------------

    def put(self, *, path: str, size: int, mtime_ns: int, hash: str | None, model_id: str, label: str | None = None,
            confidence: float | None = None, probabilities: dict[str, float] | None = None,
            features: np.ndarray | None = None, error: str | None = None, ctime_ns: int | None = None) -> None:
        """Insert or replace the row of ``path`` (committed by the next ``maybe_commit``/``commit``/``close``)."""
        with self._writing():
            self._db.execute(
                "INSERT OR REPLACE INTO files (path, size, mtime_ns, ctime_ns, hash, model_id, label, confidence, "
                "probabilities, features, error, tagged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (catalog_key(path), size, mtime_ns, ctime_ns, hash, model_id, label, confidence,
                 json.dumps(probabilities) if probabilities else None, encode_features(features), error, now_iso()))
        self._pending += 1

    def paths_under(self, folder: str | os.PathLike) -> list[str]:
        """The catalogued paths inside ``folder`` (at any depth), in path order."""
        prefix = catalog_key(folder).rstrip(os.sep) + os.sep
        end = prefix[:-1] + chr(ord(os.sep) + 1)  # every string that starts with prefix sorts before this
        return [r[0] for r in self._db.execute("SELECT path FROM files WHERE path >= ? AND path < ? ORDER BY path",
                                               (prefix, end))]

    def delete(self, paths: Iterable[str]) -> int:
        """Remove the rows of ``paths`` (catalog keys); returns how many there were."""
        n = 0
        with self._writing():
            for path in paths:
                n += self._db.execute("DELETE FROM files WHERE path = ?", (path,)).rowcount
                self._pending += 1
        return n

    def touch(self, path: str, *, size: int, mtime_ns: int, ctime_ns: int | None = None) -> None:
        """Record a new size/mtime/ctime for a row whose content (hash) did not change."""
        with self._writing():
            self._db.execute("UPDATE files SET size = ?, mtime_ns = ?, ctime_ns = ? WHERE path = ?",
                             (size, mtime_ns, ctime_ns, catalog_key(path)))
        self._pending += 1
