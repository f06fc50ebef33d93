"""Files -> Predictions: load, extract the model's features, predict; one file or many on every core."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Callable, Collection, Iterable, Iterator

import numpy as np

from .audio import AUDIO_EXTENSIONS, load_audio
from .errors import AudioError, DrumtagError
from .features import FeatureSpec, extract, extract_batch

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


def iter_audio_files(paths: Iterable[str | os.PathLike]) -> Iterator[str]:
    """Files as given; folders walked recursively (sorted, audio extensions only, hidden entries skipped).

    Raises AudioError for a path that does not exist.
    """
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS:
                        yield os.path.join(root, name)
        elif os.path.lexists(p):
            yield p
        else:
            raise AudioError(p, "no such file or folder")


# ---- many files: features in worker processes, predictions batched in this one ------------------------------

_WORKER_SPEC: FeatureSpec | None = None
_preload: threading.Thread | None = None


def _import_worker_modules() -> None:
    import soundfile  # noqa: F401
    import soxr  # noqa: F401

    from .fft import backend

    backend()


def start_preload() -> None:
    """Import what every worker process needs on a background thread, while this process does other work (loads
    the model, scans the catalog): workers forked afterwards start with it loaded instead of importing it each."""
    global _preload
    if _preload is None:
        _preload = threading.Thread(target=_import_worker_modules, name="drumtag-preload", daemon=True)
        _preload.start()


def single_threaded_blas() -> None:
    """One BLAS thread per worker process: the matrices are small, and the processes already use every core."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # threadpoolctl comes with scikit-learn; without it, only speed suffers
        pass


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


def pool_start_method() -> str:
    """fork when this process has one thread (fast: workers start in milliseconds); otherwise forkserver, since
    forking a process with threads (the OSC server) can deadlock the child."""
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _start_worker(initializer: Callable, *initargs) -> None:
    """Runs first in every pool process."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    single_threaded_blas()
    initializer(*initargs)


def map_unordered(func: Callable, items: list, *, initializer: Callable, initargs: tuple = (),
                  jobs: int | None = None, cancel: threading.Event | None = None,
                  chunksize: int | None = None) -> Iterator:
    """``func(item)`` for every item, in completion order, after ``initializer(*initargs)``.

    On ``jobs`` processes (default: every core); in this process when ``jobs`` is 1 or there are too few items to
    pay for starting a pool. Stops early, and stops the pool, when ``cancel`` is set or the caller stops iterating.
    """
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs == 1 or len(items) < 4:
        initializer(*initargs)
        for item in items:
            if cancel is not None and cancel.is_set():
                return
            yield func(item)
        return
    import multiprocessing as mp

    if _preload is not None:
        _preload.join()  # before forking: a fork must not copy a thread half-way through an import
    _import_worker_modules()  # forked workers share them (a no-op when already imported)
    ctx = mp.get_context(pool_start_method())
    chunk = max(1, min(8, len(items) // (jobs * 8))) if chunksize is None else chunksize
    pool = ctx.Pool(jobs, initializer=_start_worker, initargs=(initializer, *initargs))
    try:
        for result in pool.imap_unordered(func, items, chunksize=chunk):
            yield result
            if cancel is not None and cancel.is_set():
                return
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def extract_many(paths: list[str], spec: FeatureSpec, *, jobs: int | None = None,
                 cancel: threading.Event | None = None, hash_paths: Collection[str] = (),
                 ) -> Iterator[tuple[str, np.ndarray | None, str | None, str | None]]:
    """(path, features or None, error or None, SHA-256 or None) per file, in completion order, on ``jobs``
    processes; the hash only of the files in ``hash_paths``. Each worker task is a few files (up to 8, fewer for
    small folders so that every process gets several tasks)."""
    jobs = default_jobs() if jobs is None else max(1, jobs)
    size = max(1, min(8, len(paths) // (jobs * 4)))
    todo = [(p, p in hash_paths) for p in paths]
    chunks = [todo[i: i + size] for i in range(0, len(todo), size)]
    for results in map_unordered(_work, chunks, initializer=_init_worker, initargs=(spec.to_dict(),), jobs=jobs,
                                 cancel=cancel, chunksize=1):
        yield from results


def classify_many(paths: Iterable[str | os.PathLike], model, *, jobs: int | None = None,
                  cancel: threading.Event | None = None, batch: int = 256,
                  max_delay: float = 0.2, hash_paths: Collection[str] = ()) -> Iterator[Prediction]:
    """Classify files on every core; yields a Prediction per file in completion order (failures included).

    Features are extracted in worker processes; predictions are made here in batches, because predicting 256
    rows costs about as much as predicting one. A batch is predicted when it holds ``batch`` files or its first
    file has waited ``max_delay`` seconds, so results keep streaming. The workers also compute the SHA-256 of the
    files in ``hash_paths`` (``Prediction.content_hash``), while they read them anyway.
    """
    import time

    paths = [os.fspath(p) for p in paths]
    pending: list[tuple[str, np.ndarray, str | None]] = []
    since = 0.0

    def flush():
        if pending:
            proba = model.predict_proba(np.stack([x for _, x, _ in pending]))
            for (p, x, hsh), pr, best in zip(pending, proba, proba.argmax(axis=1).tolist()):
                yield _prediction(p, model, x, pr, best, hsh)
            pending.clear()

    for path, x, error, hsh in extract_many(paths, model.spec, jobs=jobs, cancel=cancel, hash_paths=hash_paths):
        if error is not None:
            yield failed(path, error, hsh)
            continue
        if not pending:
            since = time.monotonic()
        pending.append((path, x, hsh))
        if len(pending) >= batch or time.monotonic() - since >= max_delay:
            yield from flush()
    yield from flush()
