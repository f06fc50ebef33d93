"""Tag files and folders into the catalog: classify only new or changed files, on every core, committing as it goes.

A file is skipped when its catalog row has the same size, modification time and model. Otherwise its content
hash (SHA-256) is computed: an unchanged hash under the same model only refreshes the row's size/mtime, and a
file whose content is already catalogued under another path (a copy, a renamed or moved file) reuses that row's
result. Only what is left goes to ``classify_many``. Rows are committed in small batches, so Ctrl-C, a cancel or
a crash keeps every file already done; a file that cannot be read becomes an error row and the run goes on.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .catalog import Catalog, catalog_key, file_hash
from .classify import classify_many, iter_audio_files, start_preload

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
    hash: str


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
    few hundred files: a first run hashes each new file, so a large library takes a while before classifying
    starts); ``progress(done, total)`` is called with the files to classify (unchanged ones are not counted),
    first with ``done == 0``; ``cancel`` stops the run between files (the summary says ``cancelled``); ``retry_errors``
    classifies unchanged files with error rows again (for example after fixing their permissions).
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
    """
    todo: dict[str, _Work] = {}
    by_hash: dict[str, str] = {}
    copies: list[_Work] = []
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
        try:
            hsh = file_hash(path)
        except OSError as exc:
            _error_row(catalog, summary, model_id, path, size=st.st_size, mtime_ns=st.st_mtime_ns,
                       reason=f"cannot read: {exc.strerror or exc}")
            continue
        work = _Work(key, st.st_size, st.st_mtime_ns, hsh)  # the absolute path: one string per file
        if entry is not None and entry.hash == hsh and entry.model_id == model_id and entry.error is None:
            catalog.touch(path, size=st.st_size, mtime_ns=st.st_mtime_ns)  # touched, not changed
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
    if scanned is not None:
        scanned(summary.total)
    return todo, copies


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
    for pred in classify_many((w.path for w in todo.values()), model, jobs=jobs, cancel=cancel, batch=32):
        work = todo.pop(pred.path)
        if pred.error is not None:
            failed_hashes[work.hash] = pred.error
            _error_row(catalog, summary, model.model_id, work.path, size=work.size, mtime_ns=work.mtime_ns,
                       reason=pred.error, hsh=work.hash)
        else:
            catalog.put(path=work.path, size=work.size, mtime_ns=work.mtime_ns, hash=work.hash,
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
