"""The OSC transport: receives UDP datagrams, checks them against protocol.py, runs handlers, sends every reply.

One receive thread parses each datagram itself (python-osc's readers, without its silent drop), so a malformed
packet, an unknown address or a wrong argument gets an ``/drumtag/error`` reply. ping, info and cancel are answered
on the receive thread; classify and similar go to a bounded queue served by a pool of worker threads, and
classify_many and tag to a second lane of their own, so neither a long batch nor a huge file delays a ping or
another client's short request. When a lane's queue is full the request is refused with ``busy: ...``.

Replies go to the sender's IP at ``reply_port`` (0: the request's source port); that address is also the client's
identity for ``/drumtag/cancel``, so a client stops only its own requests. Bundles are unpacked and their
messages handled in order; a bundle time-tagged more than ``FUTURE_TOLERANCE`` seconds ahead is not scheduled: each
of its messages gets an error reply. A reply longer than ``protocol.MAX_DATAGRAM`` bytes has its longest string
(a path or message) cut in the middle, where ``protocol.CUT_MARK`` stands for the bytes left out.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from dataclasses import dataclass

from pythonosc import osc_bundle
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.parsing import osc_types

from . import protocol
from .errors import DrumtagError
from .handlers import BATCH, FAST, HANDLERS, Context, Reply, Request, error_reply

log = logging.getLogger(__name__)

#: A bundle whose time tag is at most this many seconds ahead (clock skew) is handled at once; later: refused.
FUTURE_TOLERANCE = 1.0
#: Largest datagram read (requests may be larger than replies: several paths).
RECV_SIZE = 65535
#: OSC type tags python-osc can read; anything else cannot be skipped safely, so the message is refused.
_READABLE = set("ifsdhbrmtTFN")
#: Accepted OSC types for each declared argument type.
_ACCEPT = {"i": "ih", "f": "fdi", "s": "s"}
_TYPE_NAMES = {"i": "an int32 (i)", "h": "an int64 (h)", "f": "a float (f)", "d": "a double (d)", "s": "a string (s)",
               "b": "a blob (b)", "T": "true (T)", "F": "false (F)", "N": "nil (N)", "r": "a colour (r)",
               "m": "MIDI (m)", "t": "a time tag (t)"}
_INT32 = (-2 ** 31, 2 ** 31 - 1)


class BadRequest(Exception):
    """A request that cannot be run; ``request_id`` is -1 if the request's own could not be read."""

    def __init__(self, request_id: int, message: str, *, reply_port: int = 0):
        super().__init__(message)
        self.request_id, self.reply_port = request_id, reply_port


@dataclass
class Incoming:
    """One message read from a datagram: its address, OSC type tags and values, or why it could not be read."""

    address: str
    tags: str = ""
    args: tuple = ()
    problem: str | None = None


# -- reading -------------------------------------------------------------------------------------------------------

def _read_message(dgram: bytes) -> Incoming:
    try:
        address, index = osc_types.get_string(dgram, 0)
    except Exception:
        return Incoming("", problem="malformed packet: not an OSC message or bundle")
    try:
        tags, start = "", index
        if dgram[index:]:
            tags, start = osc_types.get_string(dgram, index)
            if not tags.startswith(","):
                return Incoming(address, problem="malformed message: the type tag string does not start with ','")
            tags = tags[1:]
        unreadable = sorted(set(tags) - _READABLE)
        if unreadable:
            return Incoming(address, tags, _leading_ints(dgram, index, tags),
                            problem=f"unsupported OSC type tag(s) {''.join(unreadable)!r}; "
                                    "send ints as i, strings as s")
        return Incoming(address, tags, _read_args(dgram, start, tags))
    except Exception as exc:  # the ints before the broken argument still route the error to its request
        return Incoming(address, tags, _leading_ints(dgram, index, tags) if tags else (),
                        problem=f"malformed message: {_why(exc)}")


def _get_string(dgram: bytes, index: int) -> tuple[str, int]:
    """An OSC string argument and the index after it, like python-osc's ``get_string`` but not strict about UTF-8.

    A file name that is not valid UTF-8 (Latin-1 names from old archives, passed through by REAPER on Linux) keeps
    its stray bytes as surrogates, as ``os.fsdecode`` does, so the server opens the very file the client named;
    the reply's copy of the path gets U+FFFD for them (``_utf8``). A strict decode made the whole message
    unreadable, and its error could not even carry the request's id.
    """
    end = dgram.find(b"\0", index)
    size = (end - index) // 4 * 4 + 4  # the string, its NUL and the padding to a multiple of 4
    if end < 0 or index + size > len(dgram):
        raise osc_types.ParseError("Datagram is too short")
    return dgram[index:end].decode("utf-8", "surrogateescape"), index + size


#: How each readable argument type is read (T, F and N carry no bytes).
_READERS = {"i": osc_types.get_int, "h": osc_types.get_int64, "f": osc_types.get_float, "d": osc_types.get_double,
            "s": _get_string, "b": osc_types.get_blob, "r": osc_types.get_rgba, "m": osc_types.get_midi,
            "t": osc_types.get_timetag}
_CONSTANTS = {"T": True, "F": False, "N": None}


def _read_args(dgram: bytes, index: int, tags: str) -> tuple:
    """The arguments (of the types ``tags``, every one readable) that start at ``index``."""
    out = []
    for tag in tags:
        if tag in _CONSTANTS:
            out.append(_CONSTANTS[tag])
        else:
            value, index = _READERS[tag](dgram, index)
            out.append(value)
    return tuple(out)


def _why(exc: Exception) -> str:
    """The reason in python-osc's parse errors, without their wrapping: ``ParseError('Found incorrect datagram,
    ignoring it', ParseError('Datagram is too short.'))`` -> ``the arguments are cut short (Datagram is too
    short.)``; an IndexError from reading past the end reads the same."""
    inner = exc
    while inner.args and isinstance(inner.args[-1], Exception):
        inner = inner.args[-1]
    text = str(inner).removeprefix("Could not parse datagram ").strip()
    if isinstance(inner, IndexError) or "too short" in text or "out of range" in text:
        return f"the arguments are cut short ({text})"
    return text or type(inner).__name__


def _leading_ints(dgram: bytes, index: int, tags: str) -> tuple:
    """The int32 arguments before the first other one (reply_port, request_id), so an error can still be routed;
    as many as can be read, in a message cut short."""
    out: list[int] = []
    try:
        _, index = osc_types.get_string(dgram, index)
        for tag in tags:
            if tag != "i":
                break
            value, index = osc_types.get_int(dgram, index)
            out.append(value)
    except Exception:
        pass
    return tuple(out)


#: bundles inside bundles deeper than this are refused (a datagram of nested headers would otherwise recurse)
MAX_BUNDLE_DEPTH = 16


def _elements(dgram: bytes, depth: int = 1) -> int | str:
    """How many elements the bundle ``dgram`` holds, or why its layout (or that of a bundle inside it) is broken:
    every element is a positive size, a multiple of 4, followed by that many bytes of the datagram, and bundles
    nest at most ``MAX_BUNDLE_DEPTH`` deep. Checked before python-osc parses it, which parses inner bundles at
    once, loops for ever (and grows without end) on a size that points back (-4), and reads past the end on one
    too large."""
    if depth > MAX_BUNDLE_DEPTH:
        return f"bundles nested more than {MAX_BUNDLE_DEPTH} deep"
    if len(dgram) < 16:
        return "shorter than its header ('#bundle' and a time tag)"
    index, count = 16, 0
    while index < len(dgram):
        if index + 4 > len(dgram):
            return f"{len(dgram) - index} stray bytes after element {count}"
        size = int.from_bytes(dgram[index:index + 4], "big", signed=True)
        if size <= 0 or size % 4:
            return f"element {count + 1} has size {size} (a positive multiple of 4 is needed)"
        if index + 4 + size > len(dgram):
            return f"element {count + 1} has size {size}, past the end of the datagram"
        element = dgram[index + 4:index + 4 + size]
        if element.startswith(b"#bundle\x00"):
            inner = _elements(element, depth + 1)
            if isinstance(inner, str):
                return inner if inner.startswith("bundles nested") else f"in element {count + 1}: {inner}"
        index += 4 + size
        count += 1
    return count


def _read_bundle(dgram: bytes, now: float) -> list[Incoming]:
    count = _elements(dgram)  # the whole tree, inner bundles too, before python-osc parses any of it
    if isinstance(count, str):
        return [Incoming("#bundle", problem=f"malformed bundle: {count}")]
    try:
        bundle = osc_bundle.OscBundle(dgram)
        skipped = count - bundle.num_contents
    except Exception as exc:
        return [Incoming("#bundle", problem=f"malformed bundle: {exc}")]
    out: list[Incoming] = []
    ahead = bundle.timestamp - now if bundle.timestamp != osc_types.IMMEDIATELY else 0.0
    for element in bundle:
        if isinstance(element, osc_bundle.OscBundle):
            inner = _read_bundle(element.dgram, now)
        else:
            inner = [_read_message(element.dgram)]
        if ahead > FUTURE_TOLERANCE:
            for m in inner:
                m.problem = m.problem or (f"future-dated bundle ({ahead:.1f} s ahead): drumtag does not schedule "
                                          "messages; send them now, or in a bundle tagged 'immediately'")
        out += inner
    if skipped:
        out.append(Incoming("#bundle", problem=f"malformed bundle: {skipped} element(s) are neither a message "
                                                "nor a bundle"))
    return out


def read_packet(dgram: bytes, now: float | None = None) -> list[Incoming]:
    """Every message in a datagram (a message, or a bundle unpacked recursively), each possibly with a problem."""
    now = time.time() if now is None else now
    if dgram.startswith(b"#bundle\x00"):
        return _read_bundle(dgram, now)
    if dgram.startswith(b"/"):
        return [_read_message(dgram)]
    return [Incoming("", problem="malformed packet: not an OSC message or bundle")]


def make_request(msg: Incoming, client_ip: str, source_port: int = 0) -> Request:
    """Check a message against its declaration in protocol.py; raises BadRequest naming the argument and reason.

    ``source_port`` is the datagram's: replies go there when the request's reply_port is 0."""
    head = [a if t in "ih" and isinstance(a, int) and _INT32[0] <= a <= _INT32[1] else None
            for t, a in zip(msg.tags[:2], msg.args[:2])]
    reply_port = head[0] if head and head[0] is not None and 0 <= head[0] <= 65535 else 0
    request_id = head[1] if len(head) > 1 and head[1] is not None else protocol.UNKNOWN_REQUEST_ID
    if msg.problem:
        raise BadRequest(request_id, msg.problem, reply_port=reply_port)
    spec = protocol.BY_ADDRESS.get(msg.address)
    if spec is None or msg.address not in protocol.REQUEST_ADDRESSES:
        raise BadRequest(request_id, f"unknown address {msg.address!r}; known: "
                                     f"{', '.join(sorted(protocol.REQUEST_ADDRESSES))}", reply_port=reply_port)
    n_fixed, n_rep = len(spec.args), len(spec.repeated)
    extra = len(msg.args) - n_fixed
    if extra < 0 or (extra and not n_rep) or (n_rep and extra % n_rep):
        raise BadRequest(request_id, f"expects {spec.signature}; got {len(msg.args)} argument(s)",
                         reply_port=reply_port)
    decl = list(spec.args) + list(spec.repeated) * (extra // n_rep if n_rep else 0)
    values = []
    for n, (arg, tag, value) in enumerate(zip(decl, msg.tags, msg.args), 1):
        if tag not in _ACCEPT[arg.type]:
            raise BadRequest(request_id, f"argument {n} ({arg.name}) must be {_TYPE_NAMES[arg.type]}, "
                                         f"got {_TYPE_NAMES.get(tag, repr(tag))}", reply_port=reply_port)
        if arg.type == "i" and not _INT32[0] <= value <= _INT32[1]:
            raise BadRequest(request_id, f"argument {n} ({arg.name}): {value} does not fit in an int32",
                             reply_port=reply_port)
        values.append(float(value) if arg.type == "f" else value)
    if not 0 <= values[0] <= 65535:
        raise BadRequest(request_id, f"argument 1 (reply_port): {values[0]} is not a port (0-65535)")
    params = {a.name: v for a, v in zip(spec.args[2:], values[2:n_fixed])}
    return Request(msg.address, values[0], values[1], params, tuple(values[n_fixed:]), client_ip,
                   client_port=values[0] or source_port)


# -- writing -------------------------------------------------------------------------------------------------------

#: A string is cut to no fewer than this many bytes: the shortest a long path or message becomes in a reply.
CUT_MIN = 64


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes: its start and (more of) its end around ``protocol.CUT_MARK``."""
    data, mark = text.encode("utf-8"), protocol.CUT_MARK.encode("utf-8")
    if len(data) <= limit:
        return text
    keep = max(0, limit - len(mark))
    head = keep // 3
    tail = keep - head
    return (data[:head].decode("utf-8", "ignore") + protocol.CUT_MARK
            + data[len(data) - tail:].decode("utf-8", "ignore"))


def _utf8(text: str) -> str:
    """``text`` as OSC can carry it: a file name that is not valid UTF-8 (bytes kept by Python as surrogates) gets
    U+FFFD for its stray bytes, so the reply still goes out and the request goes on."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _build(address: str, args, types) -> bytes:
    builder = OscMessageBuilder(address)
    for value, t in zip(args, types):
        builder.add_arg(float(value) if t == "f" else value, t)
    return builder.build().dgram


def encode_reply(reply: Reply, *, max_size: int = protocol.MAX_DATAGRAM) -> bytes:
    """The datagram of a reply, typed by its declaration; long strings are cut to keep it within ``max_size``."""
    data = shrink_reply(reply, max_size=max_size)
    if len(data) > max_size:
        raise ValueError(f"{reply.address}: reply of {len(data)} bytes cannot be cut to {max_size}")
    return data


def shrink_reply(reply: Reply, *, max_size: int = protocol.MAX_DATAGRAM) -> bytes:
    """The datagram of a reply with its longest strings cut (down to about CUT_MIN bytes each) until it fits in
    ``max_size``, or nothing is left to cut: then it is larger, and its size is what the reply needs at least."""
    spec = protocol.BY_ADDRESS[reply.address]
    extra = len(reply.args) - len(spec.args)
    types = [a.type for a in spec.args] + [a.type for a in spec.repeated] * (extra // max(1, len(spec.repeated)))
    if len(types) != len(reply.args):
        raise ValueError(f"{reply.address}: {len(reply.args)} arguments do not match {spec.signature}")
    args = [_utf8(a) if t == "s" and isinstance(a, str) else a for a, t in zip(reply.args, types)]
    data = _build(reply.address, args, types)
    while len(data) > max_size:
        strings = [i for i, t in enumerate(types) if t == "s" and len(args[i].encode("utf-8")) > CUT_MIN]
        if not strings:
            break
        i = max(strings, key=lambda j: len(args[j].encode("utf-8")))
        args[i] = _cut(args[i], max(CUT_MIN, len(args[i].encode("utf-8")) - (len(data) - max_size) - 8))
        data = _build(reply.address, args, types)
    return data


# -- the server ----------------------------------------------------------------------------------------------------

class Server:
    """A UDP OSC server bound at construction (port 0 picks a free port; see ``address``)."""

    def __init__(self, ctx: Context, *, host: str = protocol.DEFAULT_HOST, port: int = protocol.DEFAULT_PORT,
                 workers: int = 2, batch_workers: int = 2, queue_size: int = 64):
        self.ctx = ctx
        family, _, _, _, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        except OSError:
            pass
        self.sock.bind(sockaddr)
        self.sock.settimeout(0.2)
        self._stopping = threading.Event()
        self._lanes = {"single": queue.Queue(maxsize=max(1, queue_size)),
                       "batch": queue.Queue(maxsize=max(1, queue_size))}
        self._workers = [threading.Thread(target=self._work, args=(self._lanes[lane],), daemon=True,
                                          name=f"drumtag-{lane}-{i}")
                         for lane, n in (("single", workers), ("batch", batch_workers)) for i in range(max(1, n))]
        self._thread: threading.Thread | None = None
        for t in self._workers:
            t.start()

    @property
    def address(self) -> tuple[str, int]:
        return self.sock.getsockname()[:2]

    # transport
    def send(self, reply: Reply, dest) -> None:
        try:
            data = encode_reply(reply)
        except Exception as exc:  # a reply that cannot be encoded still gets its request an answer
            log.error("cannot encode %s: %s", reply.address, exc)
            if reply.address == f"{protocol.PREFIX}/error":
                return
            data = encode_reply(error_reply(reply.args[0], reply.address, f"reply could not be sent: {exc}"))
        try:
            self.sock.sendto(data, dest)
        except OSError as exc:
            log.warning("cannot send %s to %s: %s", reply.address, dest, exc)

    def _dispatch(self, dgram: bytes, source) -> None:
        client_ip = source[0]
        for msg in read_packet(dgram):
            try:
                req = make_request(msg, client_ip, source[1])
            except BadRequest as exc:
                dest = (client_ip, exc.reply_port or source[1]) + tuple(source[2:])
                log.info("%s from %s: %s", msg.address or "packet", source, exc)
                self.send(error_reply(exc.request_id, msg.address, str(exc)), dest)
                continue
            dest = req.client + tuple(source[2:])  # the client's identity for cancel too (Jobs)
            log.debug("%s %s from %s", req.address, req.request_id, source)
            if req.address in FAST:
                self.run(req, dest)
            else:
                self._enqueue(req, dest)

    def _enqueue(self, req: Request, dest) -> None:
        lane = self._lanes["batch" if req.address in BATCH else "single"]
        if req.address in BATCH:
            self.ctx.jobs.add(req.client, req.request_id, req.cancel)
        try:
            lane.put_nowait((req, dest))
        except queue.Full:
            if req.address in BATCH:
                self.ctx.jobs.remove(req.client, req.request_id, req.cancel)
            self.send(error_reply(req.request_id, req.address,
                                  f"busy: {lane.maxsize} requests are waiting; try again shortly"), dest)

    def run(self, req: Request, dest) -> None:
        """Run one request's handler, sending its replies; exactly one terminal reply, whatever happens."""
        terminal = False
        try:
            if self._stopping.is_set():
                raise DrumtagError("the server is stopping")
            for reply in HANDLERS[req.address](self.ctx, req):
                self.send(reply, dest)
                if protocol.is_terminal(req.address, reply.address):
                    terminal = True
                    break
        except DrumtagError as exc:
            message = str(exc)
        except Exception as exc:
            log.exception("%s %s failed", req.address, req.request_id)
            message = f"internal error: {type(exc).__name__}: {exc}"
        else:
            message = "internal error: the handler sent no terminal reply"
        finally:
            if req.address in BATCH:
                self.ctx.jobs.remove(req.client, req.request_id, req.cancel)
        if not terminal:
            self.send(error_reply(req.request_id, req.address, message), dest)

    def _work(self, lane: queue.Queue) -> None:
        while True:
            item = lane.get()
            if item is None:
                return
            self.run(*item)

    # life cycle
    def serve_forever(self) -> None:
        """Receive until ``stop()``; never lets an exception end the loop."""
        while not self._stopping.is_set():
            try:
                dgram, source = self.sock.recvfrom(RECV_SIZE)
            except socket.timeout:
                continue
            except OSError as exc:
                if self._stopping.is_set():
                    break
                log.warning("receive failed: %s", exc)
                continue
            try:
                self._dispatch(dgram, source)
            except Exception:
                log.exception("datagram from %s", source)
                self.send(error_reply(protocol.UNKNOWN_REQUEST_ID, "", "internal error reading the packet"), source)

    def start(self) -> Server:
        """Serve in a background thread (for tests and embedding)."""
        self._thread = threading.Thread(target=self.serve_forever, name="drumtag-receive", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        """Stop receiving, cancel running jobs, refuse queued requests with an error, and close the socket."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self.ctx.jobs.cancel_all()
        if self._thread is not None:
            self._thread.join(timeout)
        for lane in self._lanes.values():
            while True:
                try:
                    item = lane.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    self.run(*item)  # answers "the server is stopping"
        for t in self._workers:
            self._lanes["batch" if "batch" in t.name else "single"].put(None)
        deadline = time.monotonic() + timeout
        for t in self._workers:
            t.join(max(0.0, deadline - time.monotonic()))
        self.sock.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
