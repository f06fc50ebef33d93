"""`drumtag send` over loopback: replies lost on the way (a slow reader, UDP), and a server that is not there."""

from __future__ import annotations

import json
import re
import socket
import time

import pytest

import synth
from oscserver import cli, osc_client, protocol
from oscserver.classes import DEFAULT_COLORS
from oscserver.classify import classify_file
from oscserver.handlers import Context
from oscserver.server import Server

P = protocol.PREFIX


class Dropping:
    """The server's socket, but the datagrams ``drop`` picks are never sent: what a full receive buffer does."""

    def __init__(self, sock, drop):
        self._sock, self._drop, self.dropped = sock, drop, 0

    def sendto(self, data, dest):
        if self._drop(data):
            self.dropped += 1
            return len(data)
        return self._sock.sendto(data, dest)

    def __getattr__(self, name):
        return getattr(self._sock, name)


@pytest.fixture
def serve():
    servers = []

    def start(ctx, drop=lambda data: False):
        server = Server(ctx, host="127.0.0.1", port=0)
        server.sock = Dropping(server.sock, drop)
        servers.append(server.start())
        return server

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def kit(tmp_path, synth_model):
    """Three files, and a context whose classify_many answers them at once (no classifying while the test waits)."""
    paths = [synth.write(tmp_path / f"{label}.wav", synth.varied(label, 0)) for label in ("kick", "snare", "hat")]
    predictions = {p: classify_file(p, synth_model) for p in paths}

    def instant_many(files, model, *, cancel=None, batch=1):
        for f in files:
            yield predictions[f]

    return paths, Context(model=synth_model, colors=dict(DEFAULT_COLORS), classify_many=instant_many,
                          progress_interval=60)


def _nth(address: str, n: int):
    """A drop picking the n-th datagram (from 1) for ``address``."""
    seen = [0]

    def drop(data: bytes) -> bool:
        if data.startswith(address.encode() + b"\0"):
            seen[0] += 1
            return seen[0] == n
        return False
    return drop


def send(capsys, port, *argv):
    code = cli.main(["send", "--port", str(port), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_send_says_how_many_replies_were_lost_and_exits_1(serve, kit, capsys):
    paths, ctx = kit
    server = serve(ctx, drop=_nth(f"{P}/result", 2))
    code, out, err = send(capsys, server.address[1], "--timeout", "30", "--json", "classify_many", *paths)
    lines = [json.loads(line) for line in out.splitlines()]
    assert server.sock.dropped == 1
    assert (lines[-1]["reply"], lines[-1]["ok"], lines[-1]["failed"]) == (f"{P}/done", 3, 0)
    assert sum(d["reply"] == f"{P}/result" for d in lines) == 2
    assert code == 1 and "drumtag send: 1 of 3 replies were lost" in err, err


def test_send_without_replies_lost_exits_0(serve, kit, capsys):
    paths, ctx = kit
    server = serve(ctx)
    code, out, err = send(capsys, server.address[1], "--timeout", "30", "classify_many", *paths)
    assert code == 0 and "lost" not in err and out.splitlines()[-1] == "done\tok 3\tfailed 0"


def test_send_whose_done_was_lost_does_not_blame_the_server(serve, kit, capsys):
    paths, ctx = kit
    server = serve(ctx, drop=_nth(f"{P}/done", 1))
    code, out, err = send(capsys, server.address[1], "--timeout", "2", "classify_many", *paths)
    assert server.sock.dropped == 1 and len(out.splitlines()) == 3
    assert code == 3 and re.search(r"timeout: no reply for 2 s after \d+ replies \(replies may have been lost\)", err)
    assert "running" not in err, err


def test_the_timeout_does_not_count_the_time_the_caller_takes_over_a_reply(serve, kit):
    """A reader that takes longer than the timeout over one reply (output piped into a slow program) gets the rest:
    they waited in the receive buffer."""
    paths, ctx = kit
    server = serve(ctx)
    replies = []
    for reply, params in osc_client.request(f"{P}/classify_many", paths, port=server.address[1], timeout=0.5):
        replies.append(reply)
        if len(replies) == 1:
            time.sleep(1.0)  # meanwhile the server sends everything
    assert replies.count(f"{P}/result") == 3 and replies[-1] == f"{P}/done"


def test_the_client_socket_asks_for_a_large_receive_buffer():
    plain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big = osc_client.open_socket("127.0.0.1", 9)
    try:
        default, granted = (s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) for s in (plain, big))
    finally:
        plain.close()
        big.close()
    try:
        with open("/proc/sys/net/core/rmem_max") as f:
            limit = int(f.read())
    except (OSError, ValueError):
        limit = None
    if limit is not None and limit <= default:
        pytest.skip(f"the system grants no receive buffer above its default (net.core.rmem_max {limit})")
    assert granted > default


def _free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return port


def test_send_learns_at_once_that_nothing_is_listening(capsys):
    port = _free_port()
    started = time.monotonic()
    code, _, err = send(capsys, port, "--timeout", "20", "ping")
    assert code == 3 and f"drumtag send: nothing is listening on 127.0.0.1:{port} (is `drumtag serve` running?)" in err
    assert time.monotonic() - started < 10, "it waited for the timeout"


class _ResetSocket:
    """A socket as Windows has it after an ICMP port unreachable: the receive fails with WSAECONNRESET."""

    def connect(self, address):
        pass

    def send(self, data):
        return len(data)

    def settimeout(self, seconds):
        pass

    def recv(self, size):
        raise ConnectionResetError(10054, "An existing connection was forcibly closed by the remote host")


def test_a_connection_reset_on_receive_also_means_nothing_is_listening():
    with pytest.raises(osc_client.NotListening, match="nothing is listening on 127.0.0.1:9"):
        next(osc_client.request(f"{P}/ping", [], port=9, timeout=5, sock=_ResetSocket()))
