"""Tag files and folders into the catalog: classify only new or changed files, on every core, committing as it goes.

A file is skipped when its catalog row has the same size, modification time and model. Otherwise its content
hash (SHA-256) decides: an unchanged hash under the same model only refreshes the row's size/mtime, and a file
whose content is already catalogued under another path (a copy, a renamed or moved file) reuses that row's
result. Only what is left goes to ``classify_many``. Files of the same size are the only ones that can have the
same content, so the scan hashes a file (on a thread per core) only when its size is that of its own row, of a
classified row, or of another file found; the others are hashed by the workers, as they read them anyway. Rows
are committed in small batches, so Ctrl-C, a cancel or a crash keeps every file already done; a file that cannot
be read becomes an error row and the run goes on.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from .catalog import Catalog, catalog_key, file_hash
from .classify import classify_many, default_jobs, iter_audio_files, start_preload

log = logging.getLogger(__name__)

#: Error messages kept in the summary; every error is in the catalog.
MAX_REPORTED_ERRORS = 20
#: ``scanned`` is called every this many files found
SCAN_REPORT_EVERY = 256


@dataclass
class TagSummary:
    """What one tagging run did. ``ok + failed + skipped == total`` unless the run was cancelled."""

    catalog_path: str
    model_id: str
    total: int = 0          # audio files found
    ok: int = 0             # classified in this run (``reused`` of them copied from an identical catalogued file)
    failed: int = 0         # could not be read or classified: error rows
    skipped: int = 0        # unchanged since their catalog row
    reused: int = 0
    cancelled: bool = False
    elapsed: float = 0.0
    #: label -> files, over every file found (classified now or unchanged); failures count under "error"
    by_label: collections.Counter = field(default_factory=collections.Counter)
    #: (path, reason) of the first MAX_REPORTED_ERRORS failures
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def files_per_second(self) -> float:
        """Files found per second of the whole run (scan, hashing, classification and writes)."""
        return self.total / self.elapsed if self.elapsed > 0 else 0.0

    def _failed(self, path: str, reason: str) -> None:
        self.failed += 1
        self.by_label["error"] += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((path, reason))

    def lines(self) -> list[str]:
        """The summary as text lines, for the command line."""
        state = "cancelled after" if self.cancelled else "done:"
        reused = f" ({self.reused} from identical files)" if self.reused else ""
        out = [f"{state} {self.total} files in {self.elapsed:.1f} s ({self.files_per_second:.1f} files/s): "
               f"{self.ok} classified{reused}, {self.skipped} unchanged, {self.failed} failed"]
        labels = [f"{k} {v}" for k, v in sorted(self.by_label.items(), key=lambda kv: (kv[0] == "error", kv[0]))]
        if labels:
            out.append("classes: " + ", ".join(labels))
        for path, reason in self.errors:
            out.append(f"error: {path}: {reason}")
        if self.failed > len(self.errors):
            out.append(f"... and {self.failed - len(self.errors)} more errors (see `drumtag export`)")
        out.append(f"catalog: {self.catalog_path}")
        return out


@dataclass(frozen=True, slots=True)
class _Work:
    path: str
    size: int
    mtime_ns: int
    hash: str | None  # None: not hashed yet (no other file of its size), the worker hashes it


def _outermost(paths: Iterable[str | os.PathLike]) -> list[str]:
    """The given paths without those inside (or equal to) another given folder, so no file is seen twice."""
    given = [os.fspath(p) for p in paths]
    real = [os.path.realpath(p) for p in given]
    folders = {r for p, r in zip(given, real) if os.path.isdir(p)}
    keep, seen = [], set()
    for p, r in zip(given, real):
        inside = any(r != f and r.startswith(f.rstrip(os.sep) + os.sep) for f in folders)
        if not inside and r not in seen:
            seen.add(r)
            keep.append(p)
    return keep


def tag_paths(paths: Iterable[str | os.PathLike], *, model, catalog_path: str | os.PathLike | None = None,
              jobs: int | None = None, progress: Callable[[int, int], None] | None = None,
              cancel: threading.Event | None = None, retry_errors: bool = False,
              scanned: Callable[[int], None] | None = None) -> TagSummary:
    """Classify the audio files under ``paths`` that the catalog lacks or that changed, and record them.

    ``scanned(found)`` is called with the number of audio files found so far while the folders are scanned (every
    few hundred files: a large library takes a while before classifying starts); ``progress(done, total)`` is
    called with the files to classify (unchanged ones are not counted), first with ``done == 0``; ``cancel`` stops
    the run between files (the summary says ``cancelled``); ``retry_errors`` classifies unchanged files with error
    rows again (for example after fixing their permissions).
    Raises AudioError for a path that does not exist, CatalogError for an unusable catalog.
    """
    start = time.perf_counter()
    model_id = model.model_id
    start_preload()  # the workers' imports, done while the catalog is scanned
    with Catalog(catalog_path) as catalog:
        summary = TagSummary(catalog_path=catalog.path, model_id=model_id)
        try:
            todo, copies = _scan(_outermost(paths), catalog, model_id, summary, retry_errors=retry_errors,
                                 cancel=cancel, scanned=scanned)
            catalog.commit()
            if not (cancel is not None and cancel.is_set()):
                _classify(todo, copies, catalog, model, summary, jobs=jobs, progress=progress, cancel=cancel)
        finally:
            summary.cancelled = cancel is not None and cancel.is_set()
            summary.elapsed = time.perf_counter() - start
    log.info("tagged %d files into %s in %.1f s", summary.total, summary.catalog_path, summary.elapsed)
    return summary


def _scan(paths: list[str], catalog: Catalog, model_id: str, summary: TagSummary, *, retry_errors: bool,
          cancel: threading.Event | None,
          scanned: Callable[[int], None] | None = None) -> tuple[dict[str, _Work], list[_Work]]:
    """Sort every file into skipped, refreshed, reused, failed (written now) or to classify (returned).

    Returns the files to classify (by path) and the new files whose content equals one of those (``copies``).
    First every file is stat-ed and looked up; then the ones that need a hash now (a size shared with another new
    file, with its own row or with a classified row) are hashed, on every core, and sorted in the order found.
    """
    found: list[tuple[str, int, int, object]] = []  # (path, size, mtime_ns, catalog entry) of new or changed files
    sizes: collections.Counter = collections.Counter()
    for path in iter_audio_files(paths):
        if cancel is not None and cancel.is_set():
            break
        summary.total += 1
        if scanned is not None and summary.total % SCAN_REPORT_EVERY == 0:
            scanned(summary.total)
        key = catalog_key(path)
        try:
            key.encode("utf-8")
        except UnicodeEncodeError:
            summary._failed(path, "the file name is not valid UTF-8, so the catalog cannot store it; rename it")
            continue
        try:
            st = os.stat(path)
        except OSError as exc:
            _error_row(catalog, summary, model_id, path, size=-1, mtime_ns=-1, reason=exc.strerror or str(exc))
            continue
        entry = catalog.get(key)
        if entry is not None and entry.model_id == model_id and entry.matches(st) \
                and not (retry_errors and entry.error):
            summary.skipped += 1
            summary.by_label[entry.label or "error"] += 1
            continue
        found.append((key, st.st_size, st.st_mtime_ns, entry))
        sizes[st.st_size] += 1
    if scanned is not None:
        scanned(summary.total)

    todo: dict[str, _Work] = {}
    to_hash = []
    catalogued = catalog.count(model_id=model_id) > 0  # rows that a new file could be a copy of
    for key, size, mtime_ns, entry in found:
        own_row = entry is not None and entry.model_id == model_id and entry.error is None and entry.size == size
        if own_row or sizes[size] > 1 or (catalogued and catalog.has_size(size, model_id)):
            to_hash.append((key, size, mtime_ns, entry, own_row))
        else:  # no other file has its size, so it is no copy: its worker hashes it
            todo[key] = _Work(key, size, mtime_ns, None)
    by_hash: dict[str, str] = {}
    copies: list[_Work] = []
    for (key, size, mtime_ns, entry, own_row), hsh in zip(to_hash, _hashes([t[0] for t in to_hash], cancel)):
        if isinstance(hsh, OSError):
            _error_row(catalog, summary, model_id, key, size=size, mtime_ns=mtime_ns,
                       reason=f"cannot read: {hsh.strerror or hsh}")
            continue
        work = _Work(key, size, mtime_ns, hsh)  # the absolute path: one string per file
        if own_row and entry.hash == hsh:
            catalog.touch(key, size=size, mtime_ns=mtime_ns)  # touched, not changed
            summary.skipped += 1
            summary.by_label[entry.label] += 1
        elif _reuse(catalog, summary, model_id, work):
            pass
        elif hsh in by_hash:
            copies.append(work)
        else:
            by_hash[hsh] = key
            todo[key] = work
        catalog.maybe_commit()
    return todo, copies


def _hashes(paths: list[str], cancel: threading.Event | None, *, chunk: int = 64) -> Iterator[str | OSError]:
    """``file_hash`` of each path (or the OSError it raised), in order, on a thread per core (reading and SHA-256
    release the GIL), ``chunk`` files per task: a task per file costs more than it saves. Stops early when
    ``cancel`` is set."""
    from concurrent.futures import ThreadPoolExecutor

    def some(part: list[str]) -> list[str | OSError]:
        out: list[str | OSError] = []
        for path in part:
            if cancel is not None and cancel.is_set():
                break
            try:
                out.append(file_hash(path))
            except OSError as exc:
                out.append(exc)
        return out

    parts = [paths[i: i + chunk] for i in range(0, len(paths), chunk)]
    if len(parts) < 2:
        yield from (h for part in parts for h in some(part))
        return
    with ThreadPoolExecutor(max_workers=default_jobs(), thread_name_prefix="drumtag-hash") as pool:
        for hashes in pool.map(some, parts):
            yield from hashes
            if cancel is not None and cancel.is_set():
                return


def _reuse(catalog: Catalog, summary: TagSummary, model_id: str, work: _Work) -> bool:
    """Copy the result of an identical catalogued file under the same model into ``work``'s row, if there is one."""
    same = catalog.find_by_hash(work.hash, model_id)
    if same is None:
        return False
    catalog.put(path=work.path, size=work.size, mtime_ns=work.mtime_ns, hash=work.hash, model_id=model_id,
                label=same.label, confidence=same.confidence, probabilities=same.probabilities,
                features=same.features)
    summary.ok += 1
    summary.reused += 1
    summary.by_label[same.label] += 1
    return True


def _error_row(catalog: Catalog, summary: TagSummary, model_id: str, path: str, *, size: int, mtime_ns: int,
               reason: str, hsh: str | None = None) -> None:
    catalog.put(path=path, size=size, mtime_ns=mtime_ns, hash=hsh, model_id=model_id, error=reason)
    summary._failed(path, reason)
    log.debug("%s: %s", path, reason)


def _classify(todo: dict[str, _Work], copies: list[_Work], catalog: Catalog, model, summary: TagSummary, *,
              jobs: int | None, progress: Callable[[int, int], None] | None,
              cancel: threading.Event | None) -> None:
    total = len(todo)
    if progress is not None:
        progress(0, total)
    done = 0
    failed_hashes: dict[str, str] = {}
    # batches of 32: results reach the catalog, the progress bar and a cancel promptly, at little cost in speed
    unhashed = {w.path for w in todo.values() if w.hash is None}
    for pred in classify_many([w.path for w in todo.values()], model, jobs=jobs, cancel=cancel, batch=32,
                              hash_paths=unhashed):
        work = todo.pop(pred.path)
        hsh = work.hash or pred.content_hash
        if pred.error is not None:
            if hsh is not None:
                failed_hashes[hsh] = pred.error
            _error_row(catalog, summary, model.model_id, work.path, size=work.size, mtime_ns=work.mtime_ns,
                       reason=pred.error, hsh=hsh)
        else:
            catalog.put(path=work.path, size=work.size, mtime_ns=work.mtime_ns, hash=hsh,
                        model_id=model.model_id, label=pred.label, confidence=pred.confidence,
                        probabilities=pred.probabilities, features=pred.features)
            summary.ok += 1
            summary.by_label[pred.label] += 1
        catalog.maybe_commit()
        done += 1
        if progress is not None:
            progress(done, total)
    if cancel is not None and cancel.is_set():
        return
    for work in copies:  # same content as a file classified above: same result, no second classification
        if work.hash in failed_hashes:
            _error_row(catalog, summary, model.model_id, work.path, size=work.size, mtime_ns=work.mtime_ns,
                       reason=failed_hashes[work.hash], hsh=work.hash)
        elif not _reuse(catalog, summary, model.model_id, work):
            _error_row(catalog, summary, model.model_id, work.path, size=work.size, mtime_ns=work.mtime_ns,
                       reason="its identical twin was not classified", hsh=work.hash)
    catalog.maybe_commit()
