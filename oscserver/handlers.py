"""The work behind each OSC request: pure functions from a request and a context to reply messages (no sockets).

A handler is a generator: ``handler(ctx, req)`` yields :class:`Reply` tuples, the last of which is terminal
(``protocol.is_terminal(request, reply)``). The server sends each as it is yielded, so a multi-file request
streams its results. Handlers raise ``DrumtagError`` (or ``AudioError``) for bad input; the server turns any
exception into one ``/drumtag/error`` reply.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import stat
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from . import __version__, protocol
from .classes import DEFAULT_COLORS, parse_colors
from .errors import NOT_REGULAR_FILE, PERMISSION_DENIED, AudioError, UsageError

log = logging.getLogger(__name__)

P = protocol.PREFIX
#: Requests answered on the receive thread (cheap, never touch a file): a long job never delays them.
FAST = frozenset({f"{P}/ping", f"{P}/info", f"{P}/cancel"})
#: Requests that may run for long (many files): their own lane, cancellable with /drumtag/cancel.
BATCH = frozenset({f"{P}/classify_many", f"{P}/tag"})
DEFAULT_MAX_BYTES = 2 * 1024 ** 3
SIMILAR_K_MAX = 50


class Reply(NamedTuple):
    address: str
    args: tuple


@dataclass
class Request:
    """One validated request: its address, head arguments, named arguments and the client's address."""

    address: str
    reply_port: int
    request_id: int
    params: dict[str, Any]
    rest: tuple = ()  # the repeated trailing arguments (paths, folders)
    client_ip: str = "127.0.0.1"
    cancel: threading.Event = field(default_factory=threading.Event)
    #: the port its replies go to: ``reply_port``, or the request's source port when that is 0
    client_port: int = 0

    @property
    def client(self) -> tuple[str, int]:
        """Who sent it, as its replies are addressed: (IP, reply port). Two clients on one host differ here."""
        return self.client_ip, self.client_port


class Jobs:
    """Running and queued multi-file requests, keyed by the client (IP, reply port) and request_id.

    The key is the address the replies go to, so a client can cancel only its own requests: two clients on one
    host (two Max devices with their own reply ports, or two sockets replied to at their source ports) may use
    the same request_id without stopping each other's work.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, int, int], list[threading.Event]] = {}

    def add(self, client: tuple[str, int], request_id: int, event: threading.Event) -> None:
        with self._lock:
            self._jobs.setdefault((*client, request_id), []).append(event)

    def remove(self, client: tuple[str, int], request_id: int, event: threading.Event) -> None:
        with self._lock:
            key = (*client, request_id)
            events = self._jobs.get(key, [])
            if event in events:
                events.remove(event)
            if not events:
                self._jobs.pop(key, None)

    def cancel(self, client: tuple[str, int], request_id: int) -> bool:
        """Set the cancel event of every job of this client with this id; True if there was one."""
        with self._lock:
            events = list(self._jobs.get((*client, request_id), []))
        for event in events:
            event.set()
        return bool(events)

    def cancel_all(self) -> None:
        with self._lock:
            events = [e for es in self._jobs.values() for e in es]
        for event in events:
            event.set()

    def __len__(self) -> int:
        with self._lock:
            return sum(len(es) for es in self._jobs.values())


class ResultCache:
    """Recent predictions keyed by the file's real path and identity: a clip selected again is answered without
    decoding it.

    Size and mtime alone are not enough: a file replaced by another of the same size and time stamp (``mv new.wav
    kick.wav``, ``cp -p``, an archive extracted again) would keep the old answer. The key adds the device and inode
    (a rename puts another file there) and the change time (a write, rename or utime always sets it, and no one can
    set it back), so a stale result is never served.
    """

    def __init__(self, size: int = 512):
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple, Any] = OrderedDict()

    @staticmethod
    def key(real: str) -> tuple | None:
        try:
            st = os.stat(real)
        except OSError:
            return None
        return real, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns

    def get(self, key: tuple | None):
        if key is None or self.size <= 0:
            return None
        with self._lock:
            prediction = self._items.get(key)
            if prediction is not None:
                self._items.move_to_end(key)
            return prediction

    def put(self, key: tuple | None, prediction) -> None:
        if key is None or self.size <= 0 or prediction.error:
            return
        with self._lock:
            self._items[key] = prediction
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Context:
    """What the handlers need: the model, the colour map, the file-access policy and the job registry.

    ``classify_file``, ``classify_many``, ``iter_audio_files``, ``tag_paths`` and ``find_similar`` default to the
    package's own functions (imported when first used); tests pass fakes.
    """

    model: Any
    colors: dict[str, int]
    allow_roots: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    catalog_path: str | None = None
    jobs: Jobs = field(default_factory=Jobs)
    cache: ResultCache = field(default_factory=ResultCache)
    progress_interval: float = 0.5
    #: classify_many predicts this many files at once: 1 streams each result, more is faster for big folders
    batch: int = 4
    classify_file: Callable | None = None
    classify_many: Callable | None = None
    iter_audio_files: Callable | None = None
    tag_paths: Callable | None = None
    find_similar: Callable | None = None

    def __post_init__(self):
        self.allow_roots = tuple(os.path.realpath(os.path.abspath(r)) for r in self.allow_roots)
        if self.classify_file is None or self.classify_many is None or self.iter_audio_files is None:
            from . import classify
            self.classify_file = self.classify_file or classify.classify_file
            self.classify_many = self.classify_many or classify.classify_many
            self.iter_audio_files = self.iter_audio_files or classify.iter_audio_files

    def color(self, label: str | None) -> int:
        """The label's colour; a label outside the map (not one of the model's classes) gets other's."""
        return self.colors.get(label, self.colors.get("other", DEFAULT_COLORS["other"]))


# -- file-access policy --------------------------------------------------------------------------------------------

#: Why a file is refused under --allow-root; it follows the path as the client gave it (or the link it was reached by).
OUTSIDE = "outside the folders this server may read (see drumtag serve --allow-root)"


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _allowed(ctx: Context, real: str) -> bool:
    """Whether a real (resolved) path may be read: no --allow-root, or under one of them."""
    return not ctx.allow_roots or any(_under(real, root) for root in ctx.allow_roots)


def check_path(ctx: Context, path: str, *, folder_ok: bool = False) -> str:
    """The real path of ``path`` after the policy checks; raises AudioError naming the path and the reason.

    Relative paths are relative to the server's working directory. Symlinks and ``..`` are resolved before the
    ``--allow-root`` check, so a link inside an allowed folder cannot reach a file outside it.
    """
    if not path:
        raise AudioError(path, "the path is empty")
    real = os.path.realpath(os.path.abspath(path))
    if not _allowed(ctx, real):
        raise AudioError(path, OUTSIDE)
    try:  # one stat: a file deleted or replaced meanwhile gets one clear reason, not a stray exception
        st = os.stat(real)
    except FileNotFoundError:
        raise AudioError(path, "no such file or folder") from None
    except PermissionError:
        raise AudioError(path, PERMISSION_DENIED) from None
    except OSError as exc:
        raise AudioError(path, f"cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        if not folder_ok:
            raise AudioError(path, "is a folder, not a file (use /drumtag/classify_many for folders)")
        return real
    if not stat.S_ISREG(st.st_mode):
        raise AudioError(path, NOT_REGULAR_FILE)
    size = st.st_size
    if size > ctx.max_bytes:
        raise AudioError(path, f"is {size} bytes, over this server's limit of {ctx.max_bytes} (--max-bytes)")
    if not os.access(real, os.R_OK):
        raise AudioError(path, PERMISSION_DENIED)
    return real


def found_in(ctx: Context, real: str, given: str) -> Iterator[tuple[str | None, str]]:
    """The audio files under a checked folder (``real``, given by the client as ``given``), as ``(path, shown)``:
    ``shown`` is the file's spelling under ``given``.

    The walk follows links, so it can lead outside the allowed roots: it does not enter or yield what lies outside
    (``iter_audio_files``'s ``allowed``), and each link leading out comes as ``(None, link)``, spelled under
    ``given``, however many files are behind it. So a refusal names only what lies inside the root.
    """
    def shown(f: str) -> str:
        return os.path.join(given, os.path.relpath(f, real))

    outside: list[str] = []
    allowed = (lambda r: _allowed(ctx, r)) if ctx.allow_roots else None  # no policy: no path resolved per file
    for f in ctx.iter_audio_files([real], allowed=allowed, refused=outside.append):
        while outside:
            yield None, shown(outside.pop(0))
        yield f, shown(f)
    yield from ((None, shown(link)) for link in outside)


# -- replies -------------------------------------------------------------------------------------------------------

def result_reply(ctx: Context, request_id: int, path: str, prediction) -> Reply:
    pairs: list = []
    for cls, p in prediction.probabilities.items():
        pairs += [cls, float(p)]
    return Reply(f"{P}/result", (request_id, path, prediction.label, float(prediction.confidence),
                                 ctx.color(prediction.label), *pairs))


def error_reply(request_id: int, address: str, message: str) -> Reply:
    return Reply(f"{P}/error", (request_id, address, message))


def _reason(exc: Exception) -> str:
    return exc.reason if isinstance(exc, AudioError) else str(exc)


def _unused(*_, **__):
    raise AssertionError("not called: osc_reply_fits only builds replies")


def osc_reply_fits(classes, *, limit: int = protocol.MAX_DATAGRAM) -> tuple[bool, int]:
    """(whether every reply of a model with these classes fits one datagram, the bytes its largest one needs).

    The class names go into every /drumtag/result (with each one's probability) and /drumtag/model (with each
    one's colour), where they must stay whole; a long path or model id is cut, down to ``server.CUT_MIN`` bytes.
    So the worst case is the result for the longest class name with a path cut that far, or the model reply:
    both built with the replies' own builders and measured uncut. ``drumtag serve`` refuses a model that does not
    fit; ``drumtag train`` can warn with it.
    """
    from types import SimpleNamespace as Stand_in  # a model and a prediction: the attributes replies read

    from .server import CUT_MIN, shrink_reply

    classes = tuple(classes)
    model = Stand_in(classes=classes, model_id="m" * CUT_MIN, feature_version=0, metadata={})
    ctx = Context(model=model, colors=parse_colors(None, classes=classes), classify_file=_unused,
                  classify_many=_unused, iter_audio_files=_unused)
    label = max(classes, key=lambda c: len(c.encode("utf-8")), default="")
    worst = Stand_in(label=label, confidence=1.0, probabilities={c: 1.0 for c in classes})
    replies = [result_reply(ctx, 0, "/" + "p" * (CUT_MIN - 1), worst),
               *info(ctx, Request(f"{P}/info", 0, 0, {}))]
    needed = max(len(shrink_reply(r, max_size=2 ** 31)) for r in replies)  # uncut: class names stay whole
    return needed <= limit, needed


# -- handlers ------------------------------------------------------------------------------------------------------

def ping(ctx: Context, req: Request) -> Iterator[Reply]:
    yield Reply(f"{P}/pong", (req.request_id, __version__, ctx.model.model_id))


def info(ctx: Context, req: Request) -> Iterator[Reply]:
    model = ctx.model
    f1 = (getattr(model, "metadata", None) or {}).get("cv", {}).get("macro_f1")
    pairs: list = []
    for cls in model.classes:
        pairs += [cls, ctx.color(cls)]
    yield Reply(f"{P}/model", (req.request_id, model.model_id, __version__, int(model.feature_version),
                               float(f1) if f1 is not None else -1.0, *pairs))


def cancel(ctx: Context, req: Request) -> Iterator[Reply]:
    target = req.params["target_id"]
    found = ctx.jobs.cancel(req.client, target)
    yield Reply(f"{P}/cancelled", (req.request_id, target, int(found)))


def classify(ctx: Context, req: Request) -> Iterator[Reply]:
    path = req.params["path"]
    real = check_path(ctx, path)
    key = ctx.cache.key(real)
    prediction = ctx.cache.get(key)
    if prediction is None:
        try:
            prediction = ctx.classify_file(real, ctx.model)
        except AudioError as exc:  # name the file as the client gave it, not its resolved path
            raise AudioError(path, exc.reason) from None
        except Exception as exc:  # a decoder or feature bug still gets an answer that names the file
            log.exception("classifying %s", real)
            raise AudioError(path, f"could not be classified ({type(exc).__name__}: {exc})") from None
        if prediction.error:
            raise AudioError(path, prediction.error)
        ctx.cache.put(key, prediction)
    yield result_reply(ctx, req.request_id, path, prediction)


class _Progress:
    """Yields a /drumtag/progress reply at most every ``interval`` seconds."""

    def __init__(self, request_id: int, interval: float):
        self.request_id, self.interval, self.last = request_id, interval, time.monotonic()

    def due(self, done: int, total: int) -> Reply | None:
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            return Reply(f"{P}/progress", (self.request_id, done, total))
        return None


def _gather(ctx: Context, req: Request, files: dict[str, list[str]]) -> Iterator[Reply]:
    """Fill ``files`` (real path -> the spellings the client will see it under) from the paths of ``req``, yielding
    a file_error for each path or file refused.

    A file reached by two spellings (a link and its target, a linked folder) is classified once but answered under
    each: the client matches replies by path, and waits for every path it sent.
    """
    for given in req.rest:
        try:
            real = check_path(ctx, given, folder_ok=True)
            found = [(real, given)] if not os.path.isdir(real) else list(found_in(ctx, real, given))
        except AudioError as exc:
            yield Reply(f"{P}/file_error", (req.request_id, given, _reason(exc)))
            continue
        for f, shown in found:
            try:
                if f is None:
                    raise AudioError(shown, OUTSIDE)
                spellings = files.setdefault(check_path(ctx, f), [])
            except AudioError as exc:
                yield Reply(f"{P}/file_error", (req.request_id, shown, _reason(exc)))
                continue
            if shown not in spellings:  # the same string twice gets one reply: the client cannot tell two apart
                spellings.append(shown)
        if req.cancel.is_set():
            break


def classify_many(ctx: Context, req: Request) -> Iterator[Reply]:
    """A result or file_error for every file asked for, each real file classified once.

    ``done``'s counts are those of the client's paths: a file asked for under two spellings counts twice, as it
    gets two replies, so ok + failed is the number of result and file_error replies sent.
    """
    rid = req.request_id
    if not req.rest:
        raise UsageError("path: give at least one file or folder")
    files: dict[str, list[str]] = {}
    failed = 0
    for reply in _gather(ctx, req, files):
        failed += 1
        yield reply
    asked = sum(len(spellings) for spellings in files.values())
    total = asked + failed
    ok = done = 0
    progress = _Progress(rid, ctx.progress_interval)
    keys = {real: ctx.cache.key(real) for real in files}
    hits = {real: ctx.cache.get(keys[real]) for real in files}
    cached = [p for p in hits.values() if p is not None]
    todo = [real for real, p in hits.items() if p is None]
    if files and not req.cancel.is_set():
        yield Reply(f"{P}/progress", (rid, failed, total))
        fresh = ctx.classify_many(todo, ctx.model, cancel=req.cancel, batch=ctx.batch) if todo else ()
        for prediction in itertools.chain(cached, fresh):
            spellings = files.get(prediction.path, [prediction.path])
            if prediction.error:
                failed += len(spellings)
                for shown in spellings:
                    yield Reply(f"{P}/file_error", (rid, shown, prediction.error))
            else:
                ok += len(spellings)
                ctx.cache.put(keys.get(prediction.path), prediction)
                for shown in spellings:
                    yield result_reply(ctx, rid, shown, prediction)
            done += len(spellings)
            if req.cancel.is_set():
                break
            tick = progress.due(done + (total - asked), total)
            if tick:
                yield tick
    yield Reply(f"{P}/done", (rid, req.address, ok, failed, int(req.cancel.is_set())))


def similar(ctx: Context, req: Request) -> Iterator[Reply]:
    path, k = req.params["path"], req.params["k"]
    if not 1 <= k <= SIMILAR_K_MAX:
        raise UsageError(f"k: {k} is out of range; use 1-{SIMILAR_K_MAX}")
    real = check_path(ctx, path)
    find = ctx.find_similar
    if find is None:
        from .similar import find_similar as find
    allowed = None
    if ctx.allow_roots:  # the catalog may list files outside them: those are not named either
        def allowed(real_path: str) -> bool:
            return any(_under(real_path, root) for root in ctx.allow_roots)
    neighbours = find(real, model=ctx.model, catalog_path=ctx.catalog_path, k=k, allowed=allowed)
    for rank, n in enumerate(neighbours, 1):
        yield Reply(f"{P}/neighbor", (req.request_id, rank, n.path, float(n.distance), n.label or ""))
    yield Reply(f"{P}/done", (req.request_id, req.address, len(neighbours), 0, 0))


def tag(ctx: Context, req: Request) -> Iterator[Reply]:
    """Runs ``tag_paths`` in a helper thread and relays its progress callbacks as replies."""
    rid = req.request_id
    if not req.rest:
        raise UsageError("folder: give at least one folder")
    folders = [check_path(ctx, f, folder_ok=True) for f in req.rest]
    tag_paths = ctx.tag_paths
    if tag_paths is None:
        from .tagging import tag_paths
    events: queue.Queue = queue.Queue()
    progress = _Progress(rid, ctx.progress_interval)

    def on_progress(done, total, *_):
        tick = progress.due(int(done), int(total))
        if tick:
            events.put(("progress", tick))

    outside: list[str] = []  # links in the folders that lead outside --allow-root: never read, counted as failed
    policy = {"allowed": lambda r: _allowed(ctx, r), "refused": outside.append} if ctx.allow_roots else {}

    def work():
        try:
            summary = tag_paths(folders, model=ctx.model, catalog_path=ctx.catalog_path, progress=on_progress,
                                cancel=req.cancel, **policy)
            for link in outside:
                log.info("tag: %s leads outside the allowed roots; skipped", link)
            events.put(("summary", (summary, len(outside))))
        except BaseException as exc:  # relayed to the handler's thread, where the server reports it
            events.put(("error", exc))

    threading.Thread(target=work, name=f"drumtag-tag-{rid}", daemon=True).start()
    while True:
        kind, value = events.get()
        if kind == "progress":
            yield value
        elif kind == "error":
            raise value
        else:
            summary, refused = value
            # ok counts files tagged now or already up to date (skipped because unchanged)
            ok = int(summary.ok) + int(getattr(summary, "skipped", 0))
            failed = int(summary.failed) + refused
            yield Reply(f"{P}/done", (rid, req.address, ok, failed, int(req.cancel.is_set())))
            return


HANDLERS: dict[str, Callable[[Context, Request], Iterable[Reply]]] = {
    f"{P}/ping": ping,
    f"{P}/info": info,
    f"{P}/cancel": cancel,
    f"{P}/classify": classify,
    f"{P}/classify_many": classify_many,
    f"{P}/similar": similar,
    f"{P}/tag": tag,
}


def warm_up(ctx: Context) -> float:
    """Classify a synthesized one-shot once, so the first real request does not pay for lazy imports; seconds."""
    import numpy as np
    import soundfile as sf

    start = time.perf_counter()
    sr = 22050
    t = np.arange(int(0.3 * sr)) / sr
    y = (np.sin(2 * np.pi * 60 * t) * np.exp(-t / 0.08)).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="drumtag-warmup-") as tmp:
        path = os.path.join(tmp, "warmup.wav")
        sf.write(path, y, sr)
        ctx.classify_file(path, ctx.model)
    return time.perf_counter() - start
