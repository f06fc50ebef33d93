"""Files -> Predictions: load, extract the model's features, predict; one file or many on every core."""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Collection, Iterable, Iterator

import numpy as np

from .audio import AUDIO_EXTENSIONS, load_audio
from .errors import AudioError, DrumtagError
from .features import FeatureSpec, extract, extract_batch
from .workers import Workers, WorkerDied, default_jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    """One file's result. On failure ``label``/``confidence`` are None and ``error`` says why."""

    path: str
    label: str | None
    confidence: float | None
    probabilities: dict[str, float]
    error: str | None = None
    features: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: SHA-256 of the file (``catalog.file_hash``), when ``classify_many`` was asked for it (``hash_paths``)
    content_hash: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        return {"path": self.path, "label": self.label, "confidence": self.confidence,
                "probabilities": self.probabilities, "error": self.error}


def file_features(path: str, spec: FeatureSpec) -> np.ndarray:
    """The feature vector of one file under ``spec`` (raises AudioError)."""
    audio = load_audio(path, sr=spec.sr, duration=spec.duration)
    return extract(audio.y, sr=audio.sr, spec=spec, file_duration=audio.file_duration)


def _prediction(path: str, model, x: np.ndarray, proba: np.ndarray, best: int | None = None,
                content_hash: str | None = None) -> Prediction:
    probs = {c: round(float(p), 6) for c, p in zip(model.classes, proba)}
    best = int(np.argmax(proba)) if best is None else best
    return Prediction(path=path, label=model.classes[best], confidence=round(float(proba[best]), 6),
                      probabilities=probs, features=x, content_hash=content_hash)


def failed(path: str, reason: str, content_hash: str | None = None) -> Prediction:
    return Prediction(path=path, label=None, confidence=None, probabilities={}, error=reason,
                      content_hash=content_hash)


def classify_file(path: str | os.PathLike, model) -> Prediction:
    """Classify one file. Raises AudioError (naming the file and the reason) when it cannot be read."""
    path = os.fspath(path)
    x = file_features(path, model.spec)
    return _prediction(path, model, x, model.predict_proba(x[None, :])[0])


def walk_folders(root: str, seen: set, *, keep: Callable[[str], bool] | None = None) -> Iterator[tuple[str, list]]:
    """``(folder, its file names, sorted)`` for ``root`` and every folder below it, in sorted order: links to folders
    followed, hidden folders skipped, and each real folder once over every walk sharing ``seen``, so a link loop
    ends and a folder reached twice (itself and through a link) is listed once, under the first spelling met (a
    folder's subfolders are claimed, in sorted order, when it is listed, before any of them is walked).
    ``keep(path)`` may refuse a subfolder more; a folder that cannot be stat-ed is left out."""
    def first_visit(folder: str) -> bool:
        try:
            st = os.stat(folder)
        except OSError:
            return False
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return False
        seen.add(key)
        return True

    if not first_visit(root):
        return
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = [d for d in sorted(dirs) if not d.startswith(".")
                   and (keep is None or keep(os.path.join(folder, d))) and first_visit(os.path.join(folder, d))]
        yield folder, sorted(files)


def iter_audio_files(paths: Iterable[str | os.PathLike], *, allowed: Callable[[str], bool] | None = None,
                     refused: Callable[[str], None] | None = None) -> Iterator[str]:
    """Files as given; folders walked recursively (``walk_folders``: sorted, links followed, each real folder once;
    audio extensions only, hidden entries skipped).

    ``allowed(real path)``: a policy (the server's --allow-root). A folder or file found in the walk whose real
    path it refuses is neither entered nor yielded, and ``refused`` hears its path as walked: the link leading
    out, never what lies behind it. (Paths given are the caller's to check.)
    Raises AudioError for a path that does not exist.
    """
    seen: set[tuple[int, int]] = set()

    def inside(path: str) -> bool:
        if allowed is None or allowed(os.path.realpath(path)):
            return True
        if refused is not None:
            refused(path)
        return False

    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            for folder, files in walk_folders(p, seen, keep=inside):
                for name in files:
                    if not name.startswith(".") and os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS \
                            and inside(os.path.join(folder, name)):
                        yield os.path.join(folder, name)
        elif os.path.lexists(p):
            yield p
        else:
            raise AudioError(p, "no such file or folder")


# ---- many files: features in worker processes, predictions batched in this one ------------------------------

_WORKER_SPEC: FeatureSpec | None = None


def _init_worker(spec_dict: dict) -> None:
    global _WORKER_SPEC
    _WORKER_SPEC = FeatureSpec.from_dict(spec_dict)


def _work(jobs: list[tuple[str, bool]]) -> list[tuple[str, np.ndarray | None, str | None, str | None]]:
    """(path, features or None, error or None, content hash or None) of each of a few (path, hash it?) jobs.

    The files are decoded one by one and their features extracted together (``extract_batch``: a third less time
    per file than one at a time).
    """
    results, loaded = [], []
    for path, want_hash in jobs:
        hsh = None
        try:
            if want_hash:
                from .catalog import file_hash

                try:
                    hsh = file_hash(path)
                except OSError:
                    pass  # decoding it fails too, and says why
            loaded.append((len(results), load_audio(path, sr=_WORKER_SPEC.sr, duration=_WORKER_SPEC.duration)))
            results.append([path, None, None, hsh])
        except Exception as exc:  # a worker must answer for every file, whatever happened
            results.append([path, None, _reason(exc), hsh])
    try:
        X = extract_batch([a.y for _, a in loaded], sr=_WORKER_SPEC.sr, spec=_WORKER_SPEC,
                          file_durations=[a.file_duration for _, a in loaded])
        for (i, _), x in zip(loaded, X):
            results[i][1] = x
    except Exception:  # one sound broke the batch: each on its own, so the others still get their features
        for i, audio in loaded:
            try:
                results[i][1] = extract(audio.y, sr=audio.sr, spec=_WORKER_SPEC, file_duration=audio.file_duration)
            except Exception as exc:
                results[i][2] = _reason(exc)
    return [tuple(r) for r in results]


def _reason(exc: Exception) -> str:
    """What a file's error says: a DrumtagError's own reason, else the unexpected exception."""
    if isinstance(exc, DrumtagError):
        return getattr(exc, "reason", str(exc))
    return f"unexpected error: {type(exc).__name__}: {exc}"


class ClassifyStream:
    """Files in, Predictions out: features extracted on worker processes (``workers.Workers``), predictions made
    here in batches (a forest predicts 32 rows in little more time than one), of up to ``batch`` files, and after
    at most ``max_delay`` seconds, so that results keep streaming.

    ``submit(paths)`` sends files to the workers, a few per task; ``ready()`` returns the Predictions of the files
    finished since the last call (with ``wait=True`` at least one, unless cancelled or nothing is pending);
    ``pending`` counts the files submitted and not yet returned, so that a caller can keep it bounded. The workers
    also compute the SHA-256 of the files in ``hash_paths`` (``Prediction.content_hash``), as they read them
    anyway. When a worker process dies (a crash in a native decoder), the files that were in flight are tried
    again one at a time, alone, so that only a file that kills its worker on its own fails, and the run goes on.
    Use as a context manager: leaving it stops the workers.
    """

    def __init__(self, model, *, jobs: int | None = None, cancel: threading.Event | None = None, batch: int = 256,
                 max_delay: float = 0.2):
        self.model = model
        self.jobs = default_jobs() if jobs is None else max(1, jobs)
        self.cancel = cancel
        self.batch = max(1, batch)
        self.max_delay = max_delay
        self.pending = 0
        self._rows: list[tuple[str, np.ndarray, str | None]] = []  # finished, not yet predicted
        self._since = 0.0  # when the first of them came in
        self._workers: Workers | None = None
        self._suspects: collections.deque = collections.deque()  # (path, want_hash) in flight when a worker died
        self._alone: list | None = None  # the suspect running on its own
        self._held: collections.deque = collections.deque()  # chunks held back while suspects run

    def __enter__(self) -> "ClassifyStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()

    def submit(self, paths: Iterable[str | os.PathLike], *, hash_paths: Collection[str] = (),
               last: bool = False) -> None:
        """Queue ``paths``. ``last``: nothing follows, so that a handful of files are done in this process
        instead of paying for starting the workers."""
        paths = [os.fspath(p) for p in paths]
        if not paths:
            return
        if self._workers is None:
            jobs = 1 if last and len(paths) < 4 else self.jobs
            self._workers = Workers(_work, initializer=_init_worker, initargs=(self.model.spec.to_dict(),),
                                    jobs=jobs, cancel=self.cancel)
        # up to 8 files per task, fewer for a few files so that every process gets several tasks
        size = max(1, min(8, len(paths) // (self.jobs * 4)))
        for i in range(0, len(paths), size):
            chunk = [(p, p in hash_paths) for p in paths[i: i + size]]
            if self._suspects or self._alone is not None:
                self._held.append(chunk)
            else:
                self._workers.submit(chunk)
        self.pending += len(paths)

    def ready(self, *, wait: bool = False, timeout: float | None = None) -> list[Prediction]:
        """The files finished since the last call: failures at once; the others predicted together once ``batch``
        of them are in, the first has waited ``max_delay`` seconds, or none is pending. ``wait`` gives up after
        ``timeout`` seconds (None: never) and may then return nothing."""
        if self._workers is None:
            return []
        done: list[Prediction] = []
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            # the wait ends when the rows held must be predicted, or at the caller's deadline
            ends = ([self._since + self.max_delay] if self._rows else []) + ([deadline] if deadline is not None else [])
            wait_for = max(0.0, min(ends) - time.monotonic()) if ends else None
            for chunk, outcome in self._workers.results(wait=wait, timeout=wait_for):
                alone = chunk is self._alone
                if alone:
                    self._alone = None
                if isinstance(outcome, WorkerDied) and not alone:
                    self._suspects.extend(chunk)  # each tried again on its own
                    continue
                if isinstance(outcome, Exception):  # died on its own, or a bug in _work: the file's error
                    reason = ("the worker process died reading it (a crash in the audio decoder?)"
                              if alone else _reason(outcome))
                    outcome = [(path, None, reason, None) for path, _ in chunk]
                for path, x, error, hsh in outcome:
                    self.pending -= 1
                    if error is not None:
                        done.append(failed(path, error, hsh))
                        continue
                    if not self._rows:
                        self._since = time.monotonic()
                    self._rows.append((path, x, hsh))
            self._feed()
            if self._rows and (len(self._rows) >= self.batch or not self.pending
                               or time.monotonic() - self._since >= self.max_delay):
                done += self._predict()
            if done or not wait or not self.pending or (self.cancel is not None and self.cancel.is_set()) \
                    or (deadline is not None and time.monotonic() >= deadline):
                return done

    def _predict(self) -> list[Prediction]:
        out = []
        for i in range(0, len(self._rows), self.batch):
            part = self._rows[i: i + self.batch]
            proba = self.model.predict_proba(np.stack([x for _, x, _ in part]))
            for (p, x, hsh), pr, best in zip(part, proba, proba.argmax(axis=1).tolist()):
                out.append(_prediction(p, self.model, x, pr, best, hsh))
        self._rows = []
        return out

    def _feed(self) -> None:
        """The next suspect, alone; when none is left, the chunks held back meanwhile."""
        if self._alone is not None:
            return
        if self._suspects:
            self._alone = [self._suspects.popleft()]
            self._workers.submit(self._alone)
            return
        while self._held:
            self._workers.submit(self._held.popleft())


#: files kept in flight (a few tenths of a second of work for the workers): the rest wait with the caller
MAX_PENDING = 256


def classify_many(paths: Iterable[str | os.PathLike], model, *, jobs: int | None = None,
                  cancel: threading.Event | None = None, batch: int = 256, max_delay: float = 0.2,
                  hash_paths: Collection[str] = ()) -> Iterator[Prediction]:
    """Classify files on every core; yields a Prediction per file in completion order (failures included).

    Features are extracted in worker processes and predictions made here, in batches of up to ``batch`` files,
    with none held back more than ``max_delay`` seconds (see ``ClassifyStream``).
    """
    paths = [os.fspath(p) for p in paths]
    start = 0
    with ClassifyStream(model, jobs=jobs, cancel=cancel, batch=batch, max_delay=max_delay) as stream:
        while start < len(paths) or stream.pending:
            if start < len(paths) and stream.pending <= MAX_PENDING:
                part = paths[start: start + MAX_PENDING]
                start += len(part)
                stream.submit(part, hash_paths=hash_paths, last=start >= len(paths))
            if cancel is not None and cancel.is_set():
                return
            yield from stream.ready(wait=True)
