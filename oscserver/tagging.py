"""Tag files and folders into the catalog: classify only new or changed files, on every core, committing as it goes.

A file is skipped when its catalog row has the same size, modification and status-change time (``Entry.matches``)
and model. Otherwise its content hash (SHA-256) decides: an unchanged hash under the same model only refreshes the
row's times, and a file
whose content is already catalogued under another path (a copy, a renamed or moved file), or is being classified
in this run, reuses that result. Only what is left is classified. Files of the same size are the only ones that
can have the same content, so the scan hashes a file (on a thread per core) only when its size is that of its
own row, of a classified row, or of another file found; the others are hashed by the workers, as they read them
anyway.

The folders are scanned in windows of a few hundred files, and each window's files go to the workers at once:
classifying starts a few milliseconds into the run, the scan goes on while the workers work, and memory stays
flat however many files there are (at most ``MAX_PENDING`` files in flight, as ``classify_many`` keeps; the scan
waits beyond that). Rows are
committed in small batches, so Ctrl-C, a cancel or a crash keeps every file already done; a file that cannot be
read becomes an error row and the run goes on.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import logging
import os
import stat
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from .catalog import Catalog, catalog_key, file_hash, storable
from .classify import MAX_PENDING, ClassifyStream, iter_audio_files
from .errors import BROKEN_LINK, NO_SUCH_FILE, NOT_REGULAR_FILE, PERMISSION_DENIED, AudioError
from .workers import default_jobs, start_preload

log = logging.getLogger(__name__)

#: Error messages kept in the summary; every error is in the catalog.
MAX_REPORTED_ERRORS = 20
#: ``scanned`` is called every this many files found
SCAN_REPORT_EVERY = 256
#: files in the first scan window (few, so that the workers start early) and in each window after it
FIRST_WINDOW = 64
WINDOW = 256
#: seconds of waiting on the workers after which the rows done are committed (see ``_Run.collect``)
IDLE_COMMIT = 0.5


@dataclass
class TagSummary:
    """What one tagging run did. ``ok + failed + skipped == total`` unless the run was cancelled."""

    catalog_path: str
    model_id: str
    total: int = 0          # audio files found
    ok: int = 0             # classified in this run (``reused`` of them copied from an identical catalogued file)
    failed: int = 0         # could not be read or classified: error rows (``still_failing`` of them unchanged)
    skipped: int = 0        # unchanged since their catalog row, which is a classification
    still_failing: int = 0  # unchanged since their catalog row, which is an error: counted in ``failed``
    pruned: int = 0         # rows of files under the tagged folders that no longer exist, removed
    reused: int = 0
    cancelled: bool = False
    elapsed: float = 0.0
    #: label -> files, over every file found (classified now or unchanged); failures are in ``failed`` only, so a
    #: custom model's class may even be named "error"
    by_label: collections.Counter = field(default_factory=collections.Counter)
    #: (path, reason) of the first MAX_REPORTED_ERRORS failures
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def files_per_second(self) -> float:
        """Files found per second of the whole run (scan, hashing, classification and writes)."""
        return self.total / self.elapsed if self.elapsed > 0 else 0.0

    def _failed(self, path: str, reason: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((path, reason))

    def lines(self) -> list[str]:
        """The summary as text lines, for the command line."""
        state = "cancelled after" if self.cancelled else "done:"
        reused = f" ({self.reused} from identical files)" if self.reused else ""
        out = [f"{state} {self.total} files in {self.elapsed:.1f} s ({self.files_per_second:.1f} files/s): "
               f"{self.ok} classified{reused}, {self.skipped} unchanged, {self.failed} failed"
               + (f" ({self.still_failing} of them unchanged since they failed)" if self.still_failing else "")]
        labels = [f"{k} {v}" for k, v in sorted(self.by_label.items())]
        if labels:
            out.append("classes: " + ", ".join(labels))
        for path, reason in self.errors:
            out.append(f"error: {path}: {reason}")
        if self.failed > len(self.errors):
            out.append(f"... and {self.failed - len(self.errors)} more errors (see `drumtag export`)")
        if self.pruned:
            rows = "1 row of a file that is" if self.pruned == 1 else f"{self.pruned} rows of files that are"
            out.append(f"removed from the catalog: {rows} no longer there")
        out.append(f"catalog: {self.catalog_path}")
        return out


@dataclass(frozen=True, slots=True)
class _Work:
    path: str
    size: int
    mtime_ns: int
    hash: str | None  # None: not hashed yet (no other file of its size), the worker hashes it
    ctime_ns: int | None = None


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


def _prune(catalog: Catalog, paths: list[str]) -> int:
    """Remove the rows of files under the folders in ``paths`` that are gone (deleted, moved or renamed); rows of
    files elsewhere, and of files that are there, stay. Never touches a file."""
    gone = [p for folder in paths if os.path.isdir(folder) for p in catalog.paths_under(folder) if _gone(p)]
    n = catalog.delete(gone)
    if n:
        log.info("removed %d catalog rows of files no longer under %s", n, ", ".join(paths))
    return n


def _gone(path: str) -> bool:
    """Whether ``path`` surely no longer exists: only "no such file" counts, not a folder that cannot be read now
    (permissions, an I/O error), whose files may all still be there."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def tag_paths(paths: Iterable[str | os.PathLike], *, model, catalog_path: str | os.PathLike | None = None,
              jobs: int | None = None, progress: Callable[[int, int], None] | None = None,
              cancel: threading.Event | None = None, retry_errors: bool = False,
              scanned: Callable[[int], None] | None = None, allowed: Callable[[str], bool] | None = None,
              refused: Callable[[str], None] | None = None) -> TagSummary:
    """Classify the audio files under ``paths`` that the catalog lacks or that changed, and record them.

    ``scanned(found)`` is called with the number of audio files found so far while the folders are scanned
    (every few hundred files, and once at the end of the scan); ``progress(done, total)`` is called with the files
    to classify (unchanged ones are not counted), first with ``done == 0``, after each file, and whenever the scan
    (which goes on while files are classified) adds to ``total``; ``cancel`` stops the run between files (the
    summary says ``cancelled``); ``retry_errors`` classifies unchanged files with error rows again (for example
    after fixing their permissions); ``allowed``/``refused``: a policy for the folders' walk (the server's
    --allow-root, ``iter_audio_files``): a file or folder found outside it is never read, nor counted.
    Raises AudioError for a path that does not exist (before any work), CatalogError for an unusable catalog.
    """
    start = time.perf_counter()
    paths = _outermost(paths)
    for p in paths:
        if not os.path.lexists(p):
            raise AudioError(p, "no such file or folder")
    start_preload()  # the workers' imports, done while the first files are scanned
    with Catalog(catalog_path) as catalog:
        summary = TagSummary(catalog_path=catalog.path, model_id=model.model_id)
        try:
            with ClassifyStream(model, jobs=jobs, cancel=cancel, batch=32) as stream:
                _Run(catalog, model, summary, stream, progress=progress, cancel=cancel, retry_errors=retry_errors,
                     scanned=scanned).run(iter_audio_files(paths, allowed=allowed, refused=refused))
            if not (cancel is not None and cancel.is_set()):
                summary.pruned = _prune(catalog, paths)
        finally:
            summary.cancelled = cancel is not None and cancel.is_set()
            summary.elapsed = time.perf_counter() - start
    log.info("tagged %d files into %s in %.1f s", summary.total, summary.catalog_path, summary.elapsed)
    return summary


def _windows(paths: Iterable[str]) -> Iterator[tuple[list[str], bool]]:
    """``(paths, last)``: ``FIRST_WINDOW`` paths, then ``WINDOW`` at a time; ``last`` for the final list."""
    it = iter(paths)
    window = list(itertools.islice(it, FIRST_WINDOW))
    while window:
        following = list(itertools.islice(it, WINDOW))
        yield window, not following
        window = following


class _Run:
    """One tagging run: scans windows of files, sends what needs classifying to ``stream``, records results.

    Besides the catalog, it knows only the files in flight (bounded by ``MAX_PENDING``): by path (``todo``), their
    sizes, the copies found of them (``waiting``), and the files that can only be told apart from one of them
    once the workers have hashed it (``deferred``: a file whose size is that of a file in flight that the scan
    did not hash).
    """

    def __init__(self, catalog: Catalog, model, summary: TagSummary, stream: ClassifyStream, *,
                 progress: Callable[[int, int], None] | None, cancel: threading.Event | None, retry_errors: bool,
                 scanned: Callable[[int], None] | None):
        self.catalog, self.model_id, self.summary, self.stream = catalog, model.model_id, summary, stream
        self.progress, self.cancel, self.retry_errors, self.scanned = progress, cancel, retry_errors, scanned
        self.empty = catalog.count() == 0  # a first run: no row to look up
        self.catalogued = not self.empty and catalog.count(model_id=self.model_id) > 0  # rows a copy could reuse
        self.todo: dict[str, _Work] = {}
        self.sizes: collections.Counter = collections.Counter()     # of the files in flight
        self.unhashed: collections.Counter = collections.Counter()  # of those the workers hash
        self.waiting: dict[str, list[_Work]] = {}  # hash of a file in flight -> copies of it found since
        self.deferred: dict[int, list[_Work]] = {}  # size of an unhashed file in flight -> hashed files of that size
        self.held = 0  # files in those lists: waiting for a file in flight, so they count against MAX_PENDING too
        self.total = self.done = 0  # files sent to be classified, and returned

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def run(self, files: Iterable[str]) -> None:
        for window, last in _windows(files):
            self.scan(window, last)
            if self.cancelled():
                return
            self.collect(wait=False)
            while self.stream.pending and self.stream.pending + self.held > MAX_PENDING and not self.cancelled():
                self.collect(wait=True)
        if self.scanned is not None:
            self.scanned(self.summary.total)
        while self.stream.pending and not self.cancelled():
            self.collect(wait=True)

    def scan(self, window: list[str], last: bool) -> None:
        """Sort every file of ``window`` into skipped, refreshed, reused, failed (written now), a copy of a file
        in flight, or to classify (sent now).

        First every file is stat-ed and looked up; then the ones that need a hash now (a size shared with another
        new file, a file in flight, its own row or a classified row) are hashed, on every core, in the order found.
        """
        catalog, summary = self.catalog, self.summary
        found: list[tuple[str, int, int, int, object]] = []  # (path, size, mtime, ctime, its row): new or changed
        sizes: collections.Counter = collections.Counter()
        keys = [catalog_key(path) for path in window]
        known = {} if self.empty else catalog.known(keys)
        for path, key in zip(window, keys):
            if self.cancelled():
                return
            summary.total += 1
            if self.scanned is not None and summary.total % SCAN_REPORT_EVERY == 0:
                self.scanned(summary.total)
            if not storable(key):
                summary._failed(path, "the file name is not valid UTF-8, so the catalog cannot store it; rename it")
                continue
            try:
                st = os.stat(path)
            except OSError as exc:
                _error_row(catalog, summary, self.model_id, key, size=-1, mtime_ns=-1,
                           reason=exc.strerror or str(exc))
                continue
            if not stat.S_ISREG(st.st_mode):  # a FIFO or device named *.wav: reading it could block or never end
                _error_row(catalog, summary, self.model_id, key, size=st.st_size, mtime_ns=st.st_mtime_ns,
                           ctime_ns=st.st_ctime_ns, reason=NOT_REGULAR_FILE)
                continue
            entry = known.get(key)
            if entry is not None and entry.model_id == self.model_id and entry.matches(st) \
                    and not (self.retry_errors and entry.error):
                if entry.error:  # still an error: it fails this run too, so the exit status says so
                    summary.still_failing += 1
                    summary._failed(key, f"{entry.error} (unchanged since it failed; "
                                         "`drumtag tag --retry-errors` tries again)")
                else:
                    summary.skipped += 1
                    summary.by_label[entry.label] += 1
                continue
            found.append((key, st.st_size, st.st_mtime_ns, st.st_ctime_ns, entry))
            sizes[st.st_size] += 1

        send: list[_Work] = []
        to_hash = []
        for key, size, mtime_ns, ctime_ns, entry in found:
            own_row = entry is not None and entry.model_id == self.model_id and entry.error is None \
                and entry.size == size
            if own_row or sizes[size] > 1 or self.sizes[size] \
                    or (self.catalogued and catalog.has_size(size, self.model_id)):
                to_hash.append((_Work(key, size, mtime_ns, None, ctime_ns), entry, own_row))
            else:  # no other file has its size, so it is no copy: its worker hashes it
                send.append(_Work(key, size, mtime_ns, None, ctime_ns))
        for (work, entry, own_row), hsh in zip(to_hash, _hashes([t[0].path for t in to_hash], self.cancel)):
            if isinstance(hsh, OSError):
                _error_row(catalog, summary, self.model_id, work.path, size=work.size, mtime_ns=work.mtime_ns,
                           ctime_ns=work.ctime_ns, reason=f"cannot read: {hsh.strerror or hsh}")
                continue
            work = dataclasses.replace(work, hash=hsh)
            if own_row and entry.hash == hsh:  # touched, not changed
                catalog.touch(work.path, size=work.size, mtime_ns=work.mtime_ns, ctime_ns=work.ctime_ns)
                summary.skipped += 1
                summary.by_label[entry.label] += 1
            else:
                self.route(work, send)
            catalog.maybe_commit()
        self.send(send, last=last)

    def route(self, work: _Work, send: list[_Work]) -> None:
        """A hashed file: reuse a catalogued result, wait for a file in flight with its content, or classify it."""
        if self.catalogued and _reuse(self.catalog, self.summary, self.model_id, work):
            return
        if work.hash in self.waiting:
            self.waiting[work.hash].append(work)
            self.held += 1
        elif self.unhashed[work.size]:
            self.deferred.setdefault(work.size, []).append(work)
            self.held += 1
        else:
            self.waiting[work.hash] = []
            send.append(work)

    def send(self, works: list[_Work], *, last: bool = False) -> None:
        if not works:
            return
        for w in works:
            self.todo[w.path] = w
            self.sizes[w.size] += 1
            if w.hash is None:
                self.unhashed[w.size] += 1
        self.stream.submit([w.path for w in works], hash_paths={w.path for w in works if w.hash is None}, last=last)
        self.total += len(works)
        if self.progress is not None:
            self.progress(self.done, self.total)

    def collect(self, *, wait: bool) -> None:
        """Record the results the workers have finished (``wait``: at least one). A wait longer than
        ``IDLE_COMMIT`` (a slow share, a slow decoder) first commits the rows done: an open transaction holds the
        catalog's write lock, and another run (or the server) writing to it would wait until it timed out."""
        ready = self.stream.ready(wait=wait, timeout=IDLE_COMMIT if wait else None)
        if wait and not ready:
            self.catalog.commit_pending()
            ready = self.stream.ready(wait=True)
        for pred in ready:
            work = self.todo.pop(pred.path)
            self.record(work, work.hash or pred.content_hash, pred)
            self.release(work)
            self.catalog.maybe_commit()
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.total)

    def record(self, work: _Work, hsh: str | None, pred) -> None:
        """``pred``'s row, and the same row for every copy of the file found meanwhile.

        Unless the file changed since the scan (saved again, replaced or deleted while the run went on): then the
        hash may be of other bytes than those classified, so its row keeps no hash (no copy will take its label)
        and no modification time (the next run does it again), and its copies, which still hold the bytes that
        were hashed, are sent to be classified themselves. The same for a failure that is the path's, not the
        content's (no such file, permission denied): a readable copy must not inherit it."""
        catalog, summary = self.catalog, self.summary
        copies = self.waiting.pop(work.hash, []) if work.hash else []
        self.held -= len(copies)
        changed = _changed(work)
        if changed or (copies and pred.error is not None and _not_the_contents(pred.error)):
            if pred.error is not None:
                _error_row(catalog, summary, self.model_id, work.path, size=work.size,
                           mtime_ns=-1 if changed else work.mtime_ns, ctime_ns=None if changed else work.ctime_ns,
                           reason=pred.error, hsh=None)
            else:
                _result_row(catalog, summary, self.model_id, _Work(work.path, work.size, -1, None, None), pred,
                            None, reused=False)
            if copies:
                self.waiting[copies[0].hash] = copies[1:]
                self.held += len(copies) - 1
                self.send(copies[:1])
            return
        for w in [work] + copies:
            if pred.error is not None:
                _error_row(catalog, summary, self.model_id, w.path, size=w.size, mtime_ns=w.mtime_ns,
                           ctime_ns=w.ctime_ns, reason=pred.error, hsh=w.hash or hsh)
                continue
            _result_row(catalog, summary, self.model_id, w, pred, w.hash or hsh, reused=w is not work)
            self.catalogued = True

    def release(self, work: _Work) -> None:
        """``work`` is no longer in flight: the files deferred on its size can be sorted now."""
        self.sizes[work.size] -= 1
        if not self.sizes[work.size]:
            del self.sizes[work.size]
        if work.hash is not None:
            return
        self.unhashed[work.size] -= 1
        if self.unhashed[work.size]:
            return
        del self.unhashed[work.size]
        send: list[_Work] = []
        deferred = self.deferred.pop(work.size, [])
        self.held -= len(deferred)
        for w in deferred:
            self.route(w, send)
        self.send(send)


def _changed(work: _Work) -> bool:
    """Whether ``work``'s file is no longer what the scan saw: another size, modification or status-change time,
    or gone."""
    try:
        st = os.stat(work.path)
    except OSError:
        return True
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns) != (work.size, work.mtime_ns, work.ctime_ns)


def _not_the_contents(reason: str) -> bool:
    """Whether a failure is the path's (the file is gone, unreadable or not a file), which a copy does not share."""
    return reason in (NO_SUCH_FILE, BROKEN_LINK, PERMISSION_DENIED, NOT_REGULAR_FILE) \
        or reason.startswith("cannot read")


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
    _result_row(catalog, summary, model_id, work, same, work.hash, reused=True)
    return True


def _result_row(catalog: Catalog, summary: TagSummary, model_id: str, work: _Work, result, hsh: str | None, *,
                reused: bool) -> None:
    """``work``'s row with the label, probabilities and features of ``result`` (its Prediction, or the catalog
    Entry of a file with the same content)."""
    catalog.put(path=work.path, size=work.size, mtime_ns=work.mtime_ns, ctime_ns=work.ctime_ns, hash=hsh,
                model_id=model_id, label=result.label, confidence=result.confidence, probabilities=result.probabilities,
                features=result.features)
    summary.ok += 1
    summary.reused += reused
    summary.by_label[result.label] += 1


def _error_row(catalog: Catalog, summary: TagSummary, model_id: str, path: str, *, size: int, mtime_ns: int,
               reason: str, hsh: str | None = None, ctime_ns: int | None = None) -> None:
    catalog.put(path=path, size=size, mtime_ns=mtime_ns, ctime_ns=ctime_ns, hash=hsh, model_id=model_id,
                error=reason)
    summary._failed(path, reason)
    log.debug("%s: %s", path, reason)
