"""A minimal OSC client: send one drumtag request from its own socket and read its replies until the terminal one."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import socket
import time
from typing import Iterator

from pythonosc import osc_message
from pythonosc.osc_message_builder import OscMessageBuilder

from . import protocol
from .errors import UsageError

#: Optional trailing arguments of a request and their defaults (``drumtag send similar PATH [K]``).
DEFAULTS: dict[str, dict[str, object]] = {f"{protocol.PREFIX}/similar": {"k": 10}}
_PATH_ARGS = {"path", "folder"}
#: The largest UDP payload over IPv4.
MAX_REQUEST = 65507
#: Requests that run until a done reply and that /drumtag/cancel can stop (the server's batch lane, handlers.BATCH).
CANCELLABLE = frozenset({f"{protocol.PREFIX}/classify_many", f"{protocol.PREFIX}/tag"})


#: The receive buffer asked for (as the server's): a classify_many streams its results as fast as it classifies them,
#: and UDP drops what does not fit while the output is read slowly (the system may grant less).
RECEIVE_BUFFER = 4 << 20


class ReplyTimeout(Exception):
    """No reply (or no terminal reply) arrived in time."""


class NotListening(ReplyTimeout):
    """The system reported at once that nothing listens at the server's address (ICMP port unreachable)."""


def request_address(name: str) -> str:
    """``'classify'`` or ``'/drumtag/classify'`` -> ``'/drumtag/classify'``; UsageError for an unknown request."""
    address = name if name.startswith("/") else f"{protocol.PREFIX}/{name}"
    if address not in protocol.REQUEST_ADDRESSES:
        known = ", ".join(sorted(a.rsplit("/", 1)[1] for a in protocol.REQUEST_ADDRESSES))
        raise UsageError(f"unknown request {name!r}; use one of: {known}")
    return address


def request_args(address: str, words: list[str]) -> list:
    """Command-line words -> the request's arguments after ``reply_port request_id``, typed as protocol.py says.

    Paths are made absolute here (the server resolves relative paths against its own working directory).
    """
    spec = protocol.BY_ADDRESS[address]
    fixed = spec.args[2:]
    defaults = DEFAULTS.get(address, {})
    words = list(words)
    missing = [a for a in fixed[len(words):]]
    if any(a.name not in defaults for a in missing):
        raise UsageError(f"{address.rsplit('/', 1)[1]} needs {' '.join(a.name.upper() for a in fixed)}"
                         + (" ..." if spec.repeated else ""))
    words += [defaults[a.name] for a in missing]
    if len(words) > len(fixed) and not spec.repeated:
        raise UsageError(f"{address.rsplit('/', 1)[1]}: too many arguments ({len(words)}; expects {len(fixed)})")
    if spec.repeated and len(words) == len(fixed):
        raise UsageError(f"{address.rsplit('/', 1)[1]} needs at least one {spec.repeated[0].name.upper()}")
    decl = list(fixed) + list(spec.repeated) * (len(words) - len(fixed))
    out = []
    for arg, word in zip(decl, words):
        try:
            value = {"i": int, "f": float, "s": str}[arg.type](word)
        except ValueError:
            raise UsageError(f"{arg.name}: {word!r} is not {'an integer' if arg.type == 'i' else 'a number'}") from None
        if arg.name in _PATH_ARGS:
            value = os.path.abspath(value)
        out.append(value)
    return out


def _types(address: str, n_args: int) -> list[str]:
    spec = protocol.BY_ADDRESS[address]
    rep = [a.type for a in spec.repeated]
    return [a.type for a in spec.args] + rep * ((n_args - len(spec.args)) // max(1, len(rep)))


def build(address: str, args: list) -> bytes:
    builder = OscMessageBuilder(address)
    for value, t in zip(args, _types(address, len(args))):
        builder.add_arg(value, t)
    return builder.build().dgram


def _short_float(x: float) -> float:
    return float(f"{x:.7g}")  # float32 precision, without its binary noise (0.93, not 0.9300000071525879)


def reply_dict(address: str, args: list) -> dict:
    """A reply as a dict keyed by protocol.py's argument names; repeated pairs become one ``{key: value}`` object."""
    spec = protocol.BY_ADDRESS.get(address)
    out: dict = {"reply": address}
    if spec is None:
        out["args"] = list(args)
        return out
    clean = [_short_float(a) if isinstance(a, float) else a for a in args]
    for arg, value in zip(spec.args, clean):
        out[arg.name] = value
    rest = clean[len(spec.args):]
    if len(spec.repeated) == 2:
        name = spec.repeated[1].name
        key = name[:-1] + "ies" if name.endswith("y") else name + "s"
        out[key] = dict(zip(rest[0::2], rest[1::2]))
    elif spec.repeated:
        out[spec.repeated[0].name + "s"] = rest
    return out


def new_request_id() -> int:
    return random.randint(1, 2 ** 31 - 1)


def cancel(target_id: int, *, host: str = protocol.DEFAULT_HOST, port: int = protocol.DEFAULT_PORT,
           timeout: float = 2.0, sock: socket.socket | None = None) -> bool | None:
    """Ask the server to stop this client's request ``target_id``.

    The server matches the id and the client's reply address (IP and port), so pass the ``sock`` the request was
    sent from: a cancel from another socket does not reach it. True if it was running, False if it was not (it
    had ended, or belongs to another socket), None if no answer came within ``timeout``.
    """
    try:
        for reply, params in request(f"{protocol.PREFIX}/cancel", [target_id], host=host, port=port,
                                     timeout=timeout, sock=sock):
            if reply == f"{protocol.PREFIX}/cancelled":
                return bool(params[2])
    except (ReplyTimeout, UsageError):
        return None
    return None


def _resolve(host: str, port: int) -> tuple[int, tuple]:
    """(address family, socket address) of the server; UsageError naming --host or --port when there is none."""
    from .argtypes import source

    try:
        family, _, _, _, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise UsageError(f"{source(host, '--host')} {host}: cannot find this host "
                         f"({getattr(exc, 'strerror', None) or exc})") from None
    except OverflowError:
        raise UsageError(f"{source(port, '--port')} {port}: not a port (1-65535)") from None
    return family, sockaddr


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def _udp_socket(family: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    except OSError:
        pass
    return sock


def open_socket(host: str = protocol.DEFAULT_HOST, port: int = protocol.DEFAULT_PORT) -> socket.socket:
    """A UDP socket for talking to the server at host:port, to pass to ``request`` and ``cancel``: the server
    replies to (and lets cancel the requests of) the socket a request came from."""
    return _udp_socket(_resolve(host, port)[0])


def request(address: str, args: list, *, host: str = protocol.DEFAULT_HOST, port: int = protocol.DEFAULT_PORT,
            timeout: float = 5.0, request_id: int | None = None,
            sock: socket.socket | None = None) -> Iterator[tuple[str, list]]:
    """Send ``address reply_port=0 request_id *args`` and yield ``(reply_address, reply_args)`` for its replies.

    Stops after the terminal reply. ``timeout`` is the longest wait for the next reply (a long request that sends
    progress keeps going); raises ReplyTimeout when it passes, NotListening as soon as the system says nothing
    listens there. Sent from ``sock`` (left open) if given, else from a socket of its own.

    For a server on this machine (a loopback address) the socket is connected to it: only then does the system
    report an ICMP port unreachable (on the next receive), so "nothing is listening" comes at once instead of
    after the timeout. A connected socket takes datagrams from that address only; the server replies from the
    socket it listens on, so on loopback its replies come from the address they were sent to. Another host (which
    may reply from another of its addresses) is sent to unconnected.
    """
    rid = new_request_id() if request_id is None else request_id
    family, sockaddr = _resolve(host, port)
    dgram = build(address, [0, rid, *args])
    if len(dgram) > MAX_REQUEST:
        raise UsageError(f"the request is {len(dgram)} bytes, more than one UDP datagram holds ({MAX_REQUEST}); "
                         "send fewer paths per request, or their folder")
    not_listening = f"nothing is listening on {host}:{port} (is `drumtag serve` running?)"
    with (_udp_socket(family) if sock is None else contextlib.nullcontext(sock)) as sock:
        try:
            if _loopback(sockaddr[0]):
                sock.connect(sockaddr)
                sock.send(dgram)
            else:
                sock.sendto(dgram, sockaddr)
        except (ConnectionRefusedError, ConnectionResetError):  # an earlier datagram's port unreachable
            raise NotListening(not_listening) from None
        except OSError as exc:
            raise UsageError(f"cannot send to {host}:{port} ({exc.strerror or exc})") from None
        deadline = time.monotonic() + timeout
        replies = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if replies:
                    raise ReplyTimeout(f"no reply for {timeout:g} s after {replies} "
                                       f"{'reply' if replies == 1 else 'replies'} (replies may have been lost)")
                raise ReplyTimeout(f"no reply from {host}:{port} within {timeout:g} s "
                                   f"(is `drumtag serve` running there?)")
            sock.settimeout(remaining)
            try:
                dgram = sock.recv(65535)
            except socket.timeout:
                continue
            except (ConnectionRefusedError, ConnectionResetError):  # port unreachable (Windows: reset)
                raise NotListening(not_listening) from None
            try:
                msg = osc_message.OscMessage(dgram)
            except Exception:
                continue
            params = msg.params
            if not params or params[0] != rid:
                continue
            replies += 1
            yield msg.address, params
            if msg.address not in protocol.REPLY_ADDRESSES or protocol.is_terminal(address, msg.address):
                return
            # the wait starts again now: time the caller took over a reply (its output read slowly) is not waiting
            deadline = time.monotonic() + timeout
