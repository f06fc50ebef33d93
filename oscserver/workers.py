"""Worker processes for per-file work: started by the first item, fed as items come, results in completion order.

``Workers`` runs ``func(item)`` on every core (or in this process for ``jobs=1``). Items can be submitted while
earlier ones are still running, so a caller can scan a folder and classify what it found so far at the same
time, with only a bounded number of items in flight. A worker process that dies (killed, or a crash in a native
decoder) fails the items in flight with ``WorkerDied`` instead of hanging the run; the next submit starts new
processes.
"""

from __future__ import annotations

import atexit
import collections
import os
import queue
import threading
import time
from typing import Callable, Iterator

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
        # joined before the interpreter finalises: a run with nothing to classify (only copies of catalogued files)
        # could end while the thread was still inside a native import, and C++ static destructors running under
        # it aborted the process ("terminate called without an active exception", exit 134)
        atexit.register(_preload.join)


def single_threaded_blas() -> None:
    """One BLAS thread per worker process: the matrices are small, and the processes already use every core."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # threadpoolctl comes with scikit-learn; without it, only speed suffers
        pass


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
    """Runs first in every worker process."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    single_threaded_blas()
    initializer(*initargs)


class WorkerDied(Exception):
    """The worker process running (or about to run) the item ended: killed, or crashed in native code."""


class Workers:
    """``func(item)`` for submitted items on ``jobs`` processes (default: every core), results as they finish.

    ``submit(item)`` queues an item; ``results(wait=False)`` returns the ``(item, outcome)`` pairs finished since
    the last call, the outcome being what ``func`` returned or the exception it raised (``WorkerDied`` when its
    process died). ``wait=True`` blocks until at least one item is done, the cancel event is set, or nothing is
    pending. The processes start at the first submit, after ``initializer(*initargs)`` ran in each; with ``jobs``
    1 the items run here, one per ``results(wait=True)`` call, so that a caller can stop between them.
    Use as a context manager: leaving it stops the processes (items not started yet are dropped).
    """

    def __init__(self, func: Callable, *, initializer: Callable, initargs: tuple = (), jobs: int | None = None,
                 cancel: threading.Event | None = None):
        self.func = func
        self.jobs = default_jobs() if jobs is None else max(1, jobs)
        self.cancel = cancel
        self._initializer, self._initargs = initializer, initargs
        self._executor = None
        self._local: collections.deque | None = None  # jobs == 1: items not run yet
        self._finished: queue.SimpleQueue = queue.SimpleQueue()
        self._items: dict = {}  # future -> item, for the items in flight

    @property
    def pending(self) -> int:
        """Items submitted and not yet returned by ``results``."""
        return len(self._items) + len(self._local or ())

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def submit(self, item) -> None:
        if self.jobs == 1:
            if self._local is None:
                self._initializer(*self._initargs)
                self._local = collections.deque()
            self._local.append(item)
        else:
            if self._executor is None:
                self._start()
            future = self._executor.submit(self.func, item)
            self._items[future] = item
            future.add_done_callback(self._finished.put)

    def _start(self) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        if _preload is not None:
            _preload.join()  # before forking: a fork must not copy a thread half-way through an import
        _import_worker_modules()  # forked workers share them (a no-op when already imported)
        self._executor = ProcessPoolExecutor(self.jobs, mp_context=mp.get_context(pool_start_method()),
                                             initializer=_start_worker,
                                             initargs=(self._initializer, *self._initargs))

    def results(self, *, wait: bool = False, timeout: float | None = None) -> list[tuple[object, object]]:
        """The items finished since the last call, with their outcomes; ``wait``: block until there is one (or
        ``timeout`` seconds passed, the cancel event is set, or nothing is pending)."""
        if self._local is not None:
            if not (wait and self._local) or self._cancelled():
                return []
            item = self._local.popleft()
            try:
                return [(item, self.func(item))]
            except Exception as exc:
                return [(item, exc)]
        from concurrent.futures.process import BrokenProcessPool

        out: list[tuple[object, object]] = []
        block = wait and self.pending > 0
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                if block:
                    left = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
                    future = self._finished.get(timeout=max(0.0, left))
                else:
                    future = self._finished.get_nowait()
            except queue.Empty:
                if block and not self._cancelled() and (deadline is None or time.monotonic() < deadline):
                    continue
                return out
            block = False
            item = self._items.pop(future)
            try:
                out.append((item, future.result()))
            except BrokenProcessPool:
                out.append((item, WorkerDied("the worker process died")))
                self._restart()
            except Exception as exc:
                out.append((item, exc))

    def _restart(self) -> None:
        """After a worker died: the next submit starts new processes (the old executor's threads are joined
        first, so that it can fork again)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def close(self) -> None:
        """Stop the processes. Items still running (a cancel, Ctrl-C or an error ended the caller early) are not
        waited for: their processes are ended, since a file on a stalled share or a decoder in a loop would
        never let the wait return, and a server would lose the thread that waits."""
        if self._executor is not None:
            if any(not f.done() for f in self._items):
                for process in list((getattr(self._executor, "_processes", None) or {}).values()):
                    process.terminate()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self._items.clear()
        self._local = None


def map_unordered(func: Callable, items: list, *, initializer: Callable, initargs: tuple = (),
                  jobs: int | None = None, cancel: threading.Event | None = None) -> Iterator:
    """``func(item)`` for every item, in completion order, after ``initializer(*initargs)``.

    On ``jobs`` processes (default: every core); in this process when ``jobs`` is 1 or there are too few items to
    pay for starting processes. Stops early, and stops the processes, when ``cancel`` is set or the caller stops
    iterating. An exception raised by ``func`` (or ``WorkerDied``) is raised here.
    """
    jobs = default_jobs() if jobs is None else max(1, jobs)
    with Workers(func, initializer=initializer, initargs=initargs, jobs=1 if len(items) < 4 else jobs,
                 cancel=cancel) as workers:
        for item in items:
            workers.submit(item)
        while workers.pending and not workers._cancelled():
            for _, outcome in workers.results(wait=True):
                if isinstance(outcome, Exception):
                    raise outcome
                yield outcome
