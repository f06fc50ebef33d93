"""The OSC server over a real UDP socket on 127.0.0.1, with python-osc as the client; and `drumtag send` against it."""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
import time

import pytest
from pythonosc import osc_message
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

import synth
from oscserver import cli, protocol
from oscserver.catalog import Catalog
from oscserver.classes import DEFAULT_COLORS
from oscserver.classify import Prediction, classify_file
from oscserver.handlers import Context, Reply, ResultCache
from oscserver.server import Server, encode_reply, make_request, read_packet

P = protocol.PREFIX
WAIT = 30.0  # generous: the suite must pass on a loaded 2-core machine


def message(address: str, *args, types: str | None = None):
    builder = OscMessageBuilder(address)
    for i, value in enumerate(args):
        builder.add_arg(value, types[i] if types else None)
    return builder.build()


class Client:
    """A UDP socket on 127.0.0.1 that sends OSC messages and reads replies."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def send(self, server, address: str, *args, types: str | None = None) -> None:
        self.sock.sendto(message(address, *args, types=types).dgram, server.address)

    def send_raw(self, server, dgram: bytes) -> None:
        self.sock.sendto(dgram, server.address)

    def recv(self, timeout: float = WAIT):
        self.sock.settimeout(timeout)
        dgram, source = self.sock.recvfrom(65535)
        msg = osc_message.OscMessage(dgram)
        return msg.address, msg.params, len(dgram)

    def replies(self, request: str, timeout: float = WAIT) -> list:
        """Every reply until the terminal one for ``request``."""
        out = []
        while True:
            address, params, _ = self.recv(timeout)
            out.append((address, params))
            if protocol.is_terminal(request, address):
                return out

    def nothing_more(self, wait: float = 0.3) -> bool:
        self.sock.settimeout(wait)
        try:
            self.sock.recvfrom(65535)
        except socket.timeout:
            return True
        return False

    def close(self):
        self.sock.close()


@pytest.fixture
def client():
    c = Client()
    yield c
    c.close()


@pytest.fixture
def serve():
    servers = []

    def start(ctx: Context, **kw) -> Server:
        server = Server(ctx, host="127.0.0.1", port=0, **kw).start()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


@pytest.fixture(scope="module")
def kick_wav(tmp_path_factory):
    return synth.write(tmp_path_factory.mktemp("audio") / "kick one.wav", synth.kick())


@pytest.fixture
def real_ctx(synth_model):
    return Context(model=synth_model, colors=dict(DEFAULT_COLORS))


class Gate:
    """A fake classifier that blocks until opened, so tests can hold a worker busy without timing."""

    def __init__(self, model):
        self.model, self.opened, self.started = model, threading.Event(), threading.Event()

    def classify_file(self, path, model):
        self.started.set()
        assert self.opened.wait(WAIT), "gate never opened"
        return Prediction(path=path, label="kick", confidence=1.0,
                          probabilities={c: float(c == "kick") for c in model.classes})


# -- packets, requests and replies without a socket -----------------------------------------------------------------

def test_read_packet_reports_garbage_truncation_and_bad_utf8():
    assert "not an OSC message" in read_packet(b"hello")[0].problem
    assert "malformed" in read_packet(b"/drumtag/ping\x00\x00\x00,ii\x00\x00\x00\x00")[0].problem
    assert "malformed" in read_packet(b"/dr\xffm\x00\x00\x00\x00")[0].problem
    unsupported = read_packet(message(f"{P}/ping", 0, 1).dgram.replace(b",ii", b",ic"))[0]
    assert "unsupported OSC type tag(s) 'c'" in unsupported.problem
    assert unsupported.args == (0,)  # the leading ints are still read, so the error can be routed and correlated


def test_make_request_names_the_argument_and_reason():
    def problem(address, *args, types=None):
        with pytest.raises(Exception) as err:
            make_request(read_packet(message(address, *args, types=types).dgram)[0], "127.0.0.1")
        return err.value

    err = problem(f"{P}/classify", 0, 12, 5)
    assert err.request_id == 12 and "argument 3 (path) must be a string (s), got an int32 (i)" in str(err)
    assert "expects reply_port:i request_id:i path:s; got 2" in str(problem(f"{P}/classify", 0, 12))
    assert problem(f"{P}/ping").request_id == protocol.UNKNOWN_REQUEST_ID
    assert "unknown address '/drumtag/nope'" in str(problem(f"{P}/nope", 0, 3))
    assert "unknown address" in str(problem(f"{P}/pong", 0, 3, "x", "y"))  # a reply is not a request
    assert "is not a port" in str(problem(f"{P}/ping", 70000, 3))
    assert "does not fit in an int32" in str(problem(f"{P}/ping", 0, 2 ** 40, types="ih"))
    req = make_request(read_packet(message(f"{P}/ping", 0, 5, types="ih").dgram)[0], "10.1.2.3")
    assert (req.request_id, req.client_ip) == (5, "10.1.2.3")  # int64 accepted where it fits


def test_long_strings_are_cut_in_the_middle_to_fit_a_datagram():
    path = "/" + "/".join(["ordner-ü" * 20] * 12) + "/the kick.wav"
    dgram = encode_reply(Reply(f"{P}/file_error", (1, path, "x" * 900)))
    assert len(dgram) <= protocol.MAX_DATAGRAM
    args = osc_message.OscMessage(dgram).params
    assert protocol.CUT_MARK in args[1] and args[1].endswith("/the kick.wav") and args[1].startswith("/ordner-ü")
    for wrong in ((1, "p", "kick", 1.0), (1, "p", "kick", 1.0, 0, "kick")):  # a missing value, half a pair
        with pytest.raises(ValueError):
            encode_reply(Reply(f"{P}/result", wrong))


# -- over UDP -------------------------------------------------------------------------------------------------------

def test_ping_and_classify_a_real_file_with_the_real_model(serve, real_ctx, client, kick_wav):
    server = serve(real_ctx)
    client.send(server, f"{P}/ping", 0, 1)
    assert client.replies(f"{P}/ping") == [(f"{P}/pong", [1, "0.1.0", real_ctx.model.model_id])]
    client.send(server, f"{P}/classify", 0, 2, kick_wav)
    [(address, args)] = client.replies(f"{P}/classify")
    assert address == f"{P}/result" and args[:3] == [2, kick_wav, "kick"]
    probs = dict(zip(args[5::2], args[6::2]))
    assert list(probs) == list(real_ctx.model.classes)
    assert args[3] == pytest.approx(max(probs.values()), abs=1e-6)
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-4)
    assert args[4] == DEFAULT_COLORS["kick"]


def test_replies_go_to_reply_port_on_the_senders_ip(serve, real_ctx, client):
    server = serve(real_ctx)
    listener = Client()
    try:
        client.send(server, f"{P}/ping", listener.port, 9)
        assert listener.replies(f"{P}/ping")[0][1][0] == 9
        assert client.nothing_more()
    finally:
        listener.close()


def test_bad_requests_get_error_replies_and_the_server_keeps_serving(serve, real_ctx, client, tmp_path):
    server = serve(real_ctx)
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not audio")
    cases = [
        (message(f"{P}/nope", 0, 1).dgram, 1, f"{P}/nope", "unknown address"),
        (message(f"{P}/classify", 0, 2, 7).dgram, 2, f"{P}/classify", "argument 3 (path) must be a string"),
        (message(f"{P}/classify", 0, 3).dgram, 3, f"{P}/classify", "expects reply_port:i request_id:i path:s"),
        (b"\x00\x01garbage", -1, "", "malformed packet"),
        (b"/drumtag/ping\x00\x00\x00,ii\x00\x00\x00\x00", -1, "/drumtag/ping", "malformed message"),
        (b"#bundle\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x40/x", -1, "#bundle", "malformed bundle"),
        (message(f"{P}/classify", 0, 4, str(tmp_path / "missing.wav")).dgram, 4, f"{P}/classify", "no such file"),
        (message(f"{P}/classify", 0, 5, str(tmp_path)).dgram, 5, f"{P}/classify", "is a folder"),
        (message(f"{P}/classify", 0, 6, str(not_audio)).dgram, 6, f"{P}/classify", "notes.wav"),
    ]
    for dgram, rid, address, text in cases:
        client.send_raw(server, dgram)
        reply, args, _ = client.recv()
        assert reply == f"{P}/error", (dgram, args)
        assert args[0] == rid and args[1] == address and text in args[2], args
    client.send(server, f"{P}/ping", 0, 99)
    assert client.replies(f"{P}/ping")[0][1][0] == 99


def test_bundles_are_unpacked_and_future_dated_ones_refused(serve, real_ctx, client):
    server = serve(real_ctx)
    now = OscBundleBuilder(IMMEDIATELY)
    now.add_content(message(f"{P}/ping", 0, 1))
    inner = OscBundleBuilder(IMMEDIATELY)
    inner.add_content(message(f"{P}/info", 0, 2))
    now.add_content(inner.build())
    client.send_raw(server, now.build().dgram)
    got = sorted((client.recv()[:2] for _ in range(2)), key=lambda r: r[1][0])
    assert [a for a, _ in got] == [f"{P}/pong", f"{P}/model"]

    later = OscBundleBuilder(time.time() + 3600)
    later.add_content(message(f"{P}/ping", 0, 3))
    later.add_content(message(f"{P}/ping", 0, 4))
    client.send_raw(server, later.build().dgram)
    errors = [client.recv()[:2] for _ in range(2)]
    assert sorted(args[0] for _, args in errors) == [3, 4]
    assert all(a == f"{P}/error" and "future-dated bundle" in args[2] for a, args in errors)


def test_each_client_gets_only_its_own_replies(serve, real_ctx, tmp_path):
    server = serve(real_ctx, workers=2)
    paths = [synth.write(tmp_path / f"{label}.wav", synth.GENERATORS[label]()) for label in ("kick", "hat", "snare")]
    clients = [Client() for _ in paths]
    try:
        for c, path in zip(clients, paths):
            c.send(server, f"{P}/classify", 0, 1, path)  # the same request_id on purpose
        for c, path in zip(clients, paths):
            [(address, args)] = c.replies(f"{P}/classify")
            assert address == f"{P}/result" and args[1] == path
        assert all(c.nothing_more() for c in clients)
    finally:
        for c in clients:
            c.close()


def test_a_busy_worker_does_not_delay_ping_info_or_cancel(serve, synth_model, client, kick_wav):
    gate = Gate(synth_model)
    ctx = Context(model=synth_model, colors=dict(DEFAULT_COLORS), classify_file=gate.classify_file)
    server = serve(ctx, workers=1)
    client.send(server, f"{P}/classify", 0, 1, kick_wav)
    assert gate.started.wait(WAIT)
    for rid, address in ((2, f"{P}/ping"), (3, f"{P}/info")):
        client.send(server, address, 0, rid)
        assert client.replies(address)[-1][1][0] == rid  # answered while the classify is still blocked
    client.send(server, f"{P}/cancel", 0, 4, 1)
    assert client.replies(f"{P}/cancel") == [(f"{P}/cancelled", [4, 1, 0])]
    assert not gate.opened.is_set()
    gate.opened.set()
    assert client.replies(f"{P}/classify")[0][1][:3] == [1, kick_wav, "kick"]


def test_full_queue_answers_busy_and_queued_work_still_completes(serve, synth_model, client, kick_wav):
    gate = Gate(synth_model)
    ctx = Context(model=synth_model, colors=dict(DEFAULT_COLORS), classify_file=gate.classify_file)
    server = serve(ctx, workers=1, queue_size=1)
    client.send(server, f"{P}/classify", 0, 1, kick_wav)
    assert gate.started.wait(WAIT)
    client.send(server, f"{P}/classify", 0, 2, kick_wav)  # waits in the queue
    client.send(server, f"{P}/classify", 0, 3, kick_wav)  # no room
    address, args, _ = client.recv()
    assert address == f"{P}/error" and args[0] == 3 and args[2].startswith("busy:")
    gate.opened.set()
    assert sorted(client.recv()[1][0] for _ in range(2)) == [1, 2]


def test_cancel_stops_a_multi_file_request_of_the_same_client(serve, synth_model, client, tmp_path):
    paths = [synth.write(tmp_path / f"k{i}.wav", synth.kick(seed=i)) for i in range(5)]
    first_sent = threading.Event()

    def slow_many(files, model, *, cancel=None, batch=1):
        for i, f in enumerate(files):
            if i == 1:
                assert cancel.wait(WAIT), "never cancelled"
            if cancel.is_set():
                return
            yield classify_file(f, model)
            first_sent.set()

    ctx = Context(model=synth_model, colors=dict(DEFAULT_COLORS), classify_many=slow_many, progress_interval=60)
    server = serve(ctx)
    client.send(server, f"{P}/classify_many", 0, 77, *paths)
    replies = []
    while not any(a == f"{P}/result" for a, _ in replies):
        replies.append(client.recv()[:2])
    client.send(server, f"{P}/cancel", 0, 78, 77)  # from the socket the request came from
    while not any(a == f"{P}/done" for a, _ in replies) or not any(a == f"{P}/cancelled" for a, _ in replies):
        replies.append(client.recv()[:2])
    assert (f"{P}/cancelled", [78, 77, 1]) in replies
    replies.remove((f"{P}/cancelled", [78, 77, 1]))
    assert replies[-1] == (f"{P}/done", [77, f"{P}/classify_many", 1, 0, 1])


def test_a_cancel_stops_only_the_request_of_the_client_that_sent_it(serve, synth_model, tmp_path):
    """Two clients on 127.0.0.1 (their own ports) run classify_many with the same request_id 7; B's cancel 7 stops
    B's request only: jobs are keyed by the address replies go to, not the IP alone."""
    paths = [synth.write(tmp_path / f"k{i}.wav", synth.kick(seed=i)) for i in range(3)]
    release, started = threading.Event(), threading.Semaphore(0)

    def held_many(files, model, *, cancel=None, batch=1):
        yield classify_file(files[0], model)
        started.release()
        while not (release.is_set() or cancel.is_set()):
            time.sleep(0.01)
        if cancel.is_set():
            return
        for f in files[1:]:
            yield classify_file(f, model)

    ctx = Context(model=synth_model, colors=dict(DEFAULT_COLORS), classify_many=held_many, progress_interval=60,
                  cache=ResultCache(0))  # no cache: each request classifies the same files itself
    server = serve(ctx)
    a, b = Client(), Client()
    try:
        a.send(server, f"{P}/classify_many", 0, 7, *paths)
        b.send(server, f"{P}/classify_many", 0, 7, *paths)
        assert started.acquire(timeout=WAIT) and started.acquire(timeout=WAIT)
        b.send(server, f"{P}/cancel", 0, 8, 7)
        got_b = []
        while not (any(r[0] == f"{P}/done" for r in got_b) and any(r[0] == f"{P}/cancelled" for r in got_b)):
            got_b.append(b.recv()[:2])
        assert (f"{P}/cancelled", [8, 7, 1]) in got_b
        assert (f"{P}/done", [7, f"{P}/classify_many", 1, 0, 1]) in got_b
        release.set()
        done_a = a.replies(f"{P}/classify_many")[-1]
        assert done_a == (f"{P}/done", [7, f"{P}/classify_many", 3, 0, 0]), "A's request was cancelled by B"
    finally:
        release.set()
        a.close()
        b.close()


def test_handler_crash_becomes_an_error_reply(serve, synth_model, client, kick_wav):
    def broken(*args, **kw):
        raise RuntimeError("boom")

    server = serve(Context(model=synth_model, colors=dict(DEFAULT_COLORS), classify_file=broken,
                           classify_many=broken, progress_interval=60))
    client.send(server, f"{P}/classify", 0, 5, kick_wav)
    assert client.replies(f"{P}/classify") == [
        (f"{P}/error", [5, f"{P}/classify", f"{kick_wav}: could not be classified (RuntimeError: boom)"])]
    client.send(server, f"{P}/classify_many", 0, 6, kick_wav)
    replies = client.replies(f"{P}/classify_many")
    assert replies[-1] == (f"{P}/error", [6, f"{P}/classify_many", "internal error: RuntimeError: boom"])


def test_a_long_path_reply_stays_within_one_safe_datagram(serve, real_ctx, client, tmp_path):
    folder = tmp_path
    for i in range(9):
        folder = folder / (f"{i}-ordner mit ümlauten " * 8)
    folder.mkdir(parents=True)
    # libsndfile cannot open paths over 1024 bytes; the reply echoes the path as given, the server reads its target
    path = str(folder / "kick.wav")
    os.symlink(synth.write(tmp_path / "kick.wav", synth.kick()), path)
    assert len(path.encode()) > protocol.MAX_DATAGRAM
    client.send(server := serve(real_ctx), f"{P}/classify", 0, 6, path)
    address, args, size = client.recv()
    assert address == f"{P}/result" and size <= protocol.MAX_DATAGRAM
    assert args[2] == "kick" and protocol.CUT_MARK in args[1] and args[1].endswith("/kick.wav")
    client.send(server, f"{P}/classify", 0, 7, path + ".missing")
    address, args, size = client.recv()
    assert address == f"{P}/error" and size <= protocol.MAX_DATAGRAM and "no such file" in args[2]


def test_a_file_name_that_is_not_utf8_does_not_end_a_folder_request(serve, real_ctx, client, tmp_path):
    """OSC strings are UTF-8: the reply for such a file carries U+FFFD for its stray bytes, and the others follow."""
    folder = tmp_path / "names"
    folder.mkdir()
    synth.write(folder / "a kick.wav", synth.kick())
    bad = os.fsdecode(os.fsencode(str(folder)) + b"/b snare \xff\xfe.wav")
    synth.write(bad, synth.snare())
    synth.write(folder / "c hat.wav", synth.hat())
    client.send(serve(real_ctx), f"{P}/classify_many", 0, 9, str(folder))
    replies = client.replies(f"{P}/classify_many")
    results = sorted(args[1] for address, args in replies if address == f"{P}/result")
    assert [os.path.basename(r) for r in results] == ["a kick.wav", "b snare \ufffd\ufffd.wav", "c hat.wav"]
    assert replies[-1] == (f"{P}/done", [9, f"{P}/classify_many", 3, 0, 0])


def osc_string(data: bytes) -> bytes:
    """An OSC string of raw bytes: NUL-terminated, padded to a multiple of 4."""
    data += b"\0"
    return data + b"\0" * (-len(data) % 4)


def test_a_path_that_is_not_utf8_is_classified_and_answered_under_its_request_id(serve, real_ctx, client, tmp_path):
    """REAPER on Linux passes a Latin-1 file name's bytes through: the file is classified like `drumtag classify`
    does, and a message that still cannot be read gets an error the client can match (not request_id -1)."""
    name = os.fsencode(str(tmp_path)) + b"/caf\xe9 kick.wav"
    synth.write(os.fsdecode(name), synth.kick())
    server = serve(real_ctx)
    head = osc_string(f"{P}/classify".encode()) + osc_string(b",iis")
    client.send_raw(server, head + struct.pack(">ii", 0, 77) + osc_string(name))
    address, args, _ = client.recv()
    assert (address, args[0], args[2]) == (f"{P}/result", 77, "kick")
    assert args[1] == name.decode("utf-8", "replace")  # U+FFFD for the stray byte: OSC strings are UTF-8
    client.send_raw(server, head + struct.pack(">ii", 0, 78) + b"/no/terminator.wav")  # cut short after the ids
    address, args, _ = client.recv()
    assert (address, args[0]) == (f"{P}/error", 78) and "cut short" in args[2]


def test_classify_many_replies_to_each_spelling_of_one_file(serve, real_ctx, client, tmp_path):
    """Two clips of one file, one through a linked folder: the Max device waits for a reply to each path."""
    kick = synth.write(tmp_path / "samples" / "kick.wav", synth.kick())
    os.symlink(tmp_path / "samples", tmp_path / "link")
    via_link = str(tmp_path / "link" / "kick.wav")
    client.send(serve(real_ctx), f"{P}/classify_many", 0, 4, kick, via_link)
    replies = client.replies(f"{P}/classify_many")
    assert sorted(args[1] for address, args in replies if address == f"{P}/result") == sorted([kick, via_link])
    assert replies[-1] == (f"{P}/done", [4, f"{P}/classify_many", 2, 0, 0])


def test_allow_root_holds_for_files_reached_through_links_inside_it(serve, synth_model, client, tmp_path):
    """A folder link and a file link inside the root lead outside: tag neither reads nor catalogues what they lead
    to, and classify_many's refusals name the links, not the files outside."""
    base = os.path.realpath(tmp_path)
    root, private = os.path.join(base, "root"), os.path.join(base, "outside", "private")
    kick = synth.write(os.path.join(root, "mine", "kick.wav"), synth.kick())
    hat = synth.write(os.path.join(root, "mine", "hat.wav"), synth.hat())
    for i in (1, 2):
        synth.write(os.path.join(private, f"secret-take-{i}.wav"), synth.snare(seed=i))
    os.symlink(private, os.path.join(root, "ext"))
    os.symlink(os.path.join(private, "secret-take-1.wav"), os.path.join(root, "one.wav"))
    catalog = os.path.join(base, "catalog.sqlite")
    server = serve(Context(model=synth_model, colors=dict(DEFAULT_COLORS), catalog_path=catalog, allow_roots=(root,)))

    client.send(server, f"{P}/classify_many", 0, 4, root)
    replies = client.replies(f"{P}/classify_many")
    assert sorted(args[1] for address, args in replies if address == f"{P}/file_error") == [
        os.path.join(root, "ext"), os.path.join(root, "one.wav")]
    assert not any("secret" in str(args) for _, args in replies)
    assert replies[-1] == (f"{P}/done", [4, f"{P}/classify_many", 2, 2, 0])

    client.send(server, f"{P}/tag", 0, 5, root)
    assert client.replies(f"{P}/tag")[-1] == (f"{P}/done", [5, f"{P}/tag", 2, 2, 0])  # each link: one failure
    with Catalog(catalog) as cat:
        assert cat.paths_under(base) == sorted([hat, kick])
    os.remove(hat)  # rows of files gone from the folder are still removed
    client.send(server, f"{P}/tag", 0, 6, root)
    assert client.replies(f"{P}/tag")[-1] == (f"{P}/done", [6, f"{P}/tag", 1, 2, 0])
    with Catalog(catalog) as cat:
        assert cat.paths_under(base) == [kick]


def test_stop_answers_waiting_requests_instead_of_dropping_them(synth_model, client, kick_wav):
    gate = Gate(synth_model)
    ctx = Context(model=synth_model, colors=dict(DEFAULT_COLORS), classify_file=gate.classify_file)
    server = Server(ctx, host="127.0.0.1", port=0, workers=1).start()
    client.send(server, f"{P}/classify", 0, 1, kick_wav)
    assert gate.started.wait(WAIT)
    client.send(server, f"{P}/classify", 0, 2, kick_wav)
    client.send(server, f"{P}/ping", 0, 3)
    assert client.replies(f"{P}/ping")[0][1][0] == 3  # so request 2 was received and queued
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    address, args, _ = client.recv()
    assert (address, args[0]) == (f"{P}/error", 2) and "stopping" in args[2]
    gate.opened.set()
    stopper.join(WAIT)


# -- drumtag send ---------------------------------------------------------------------------------------------------

def send(capsys, server, *argv):
    code = cli.main(["send", "--port", str(server.address[1]), "--timeout", str(WAIT), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_send_prints_a_table_or_json_and_exits_by_outcome(serve, real_ctx, kick_wav, tmp_path, capsys):
    server = serve(real_ctx)
    code, out, _ = send(capsys, server, "ping")
    assert code == 0 and out.startswith("pong") and real_ctx.model.model_id in out
    code, out, _ = send(capsys, server, "classify", kick_wav)
    assert code == 0 and out.split("\t")[:2] == [kick_wav, "kick"]
    code, out, _ = send(capsys, server, "--json", "classify", kick_wav)
    d = json.loads(out)
    assert code == 0 and d["reply"] == f"{P}/result" and d["path"] == kick_wav and d["label"] == "kick"
    assert set(d) == {"reply", "request_id", "path", "label", "confidence", "color", "probabilities"}
    assert list(d["probabilities"]) == list(real_ctx.model.classes) and d["color"] == DEFAULT_COLORS["kick"]
    code, out, _ = send(capsys, server, "--json", "info")
    assert code == 0 and json.loads(out)["colors"] == {c: DEFAULT_COLORS[c] for c in real_ctx.model.classes}
    missing = str(tmp_path / "missing.wav")
    code, out, err = send(capsys, server, "classify", missing)
    assert code == 1 and "no such file" in err and missing in err
    code, out, _ = send(capsys, server, "--json", "classify", missing)
    assert code == 1 and json.loads(out)["address"] == f"{P}/classify"
    code, out, err = send(capsys, server, "--json", "classify_many", kick_wav, missing)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and lines[-1]["reply"] == f"{P}/done" and (lines[-1]["ok"], lines[-1]["failed"]) == (1, 1)
    assert "1 files failed" in err  # as drumtag classify: a file that failed makes the exit status 1
    assert {d["reply"] for d in lines} >= {f"{P}/result", f"{P}/file_error"}


def test_send_makes_relative_paths_absolute(serve, real_ctx, kick_wav, monkeypatch, capsys):
    server = serve(real_ctx)
    monkeypatch.chdir(os.path.dirname(kick_wav))
    code, out, _ = send(capsys, server, "--json", "classify", os.path.basename(kick_wav))
    assert code == 0 and json.loads(out)["path"] == kick_wav


def test_send_times_out_with_exit_3_and_refuses_bad_usage_with_exit_2(capsys):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # receives, never answers
    try:
        code = cli.main(["send", "--port", str(silent.getsockname()[1]), "--timeout", "0.2", "ping"])
        assert code == 3 and "timeout" in capsys.readouterr().err
    finally:
        silent.close()
    for argv in (["send", "classify"], ["send", "frobnicate"], ["send", "cancel", "seven"], ["send", "ping", "x"]):
        assert cli.main(argv) == 2, argv
        assert "error" in capsys.readouterr().err
    assert cli.main(["send", "--host", "nosuchhost.invalid", "ping"]) == 2
    assert "--host nosuchhost.invalid: cannot find this host" in capsys.readouterr().err
    for bad in ("0", "70000", "x"):
        with pytest.raises(SystemExit) as stop:  # argparse refuses it, before any socket
            cli.main(["send", "--port", bad, "ping"])
        assert stop.value.code == 2 and "argument --port:" in capsys.readouterr().err


def test_send_exits_1_when_a_folder_request_is_stopped_before_its_end(serve, synth_model, kick_wav, capsys):
    """The server stopping (or a cancel from elsewhere) ends the request with done cancelled=1: not a success."""
    def stopped_many(files, model, *, cancel=None, batch=1):
        yield classify_file(files[0], model)
        cancel.set()  # what the server's stop does to the requests it is running

    server = serve(Context(model=synth_model, colors=dict(DEFAULT_COLORS), classify_many=stopped_many,
                           progress_interval=60))
    code, out, err = send(capsys, server, "--json", "classify_many", kick_wav, kick_wav)
    assert json.loads(out.splitlines()[-1])["cancelled"] == 1
    assert code == 1 and "the request was stopped after 1 files" in err


def test_tag_then_similar_with_the_real_catalog(serve, synth_model, tmp_path, capsys):
    kit = tmp_path / "kit"
    for i in range(3):
        for label in ("kick", "snare", "hat"):
            synth.write(kit / f"{label}_{i}.wav", synth.varied(label, i))
    catalog = str(tmp_path / "catalog.sqlite")
    server = serve(Context(model=synth_model, colors=dict(DEFAULT_COLORS), catalog_path=catalog))
    code, out, _ = send(capsys, server, "--json", "tag", str(kit))
    done = json.loads(out.splitlines()[-1])
    assert code == 0 and (done["reply"], done["address"], done["ok"], done["failed"]) == (f"{P}/done", f"{P}/tag", 9, 0)
    code, out, _ = send(capsys, server, "--json", "tag", str(kit))  # unchanged files count as ok (up to date)
    assert code == 0 and json.loads(out.splitlines()[-1])["ok"] == 9
    query = synth.write(tmp_path / "query.wav", synth.varied("kick", 7))
    code, out, _ = send(capsys, server, "--json", "similar", query, "3")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [d["rank"] for d in lines[:-1]] == [1, 2, 3]
    assert all(d["reply"] == f"{P}/neighbor" and d["path"].startswith(str(kit)) for d in lines[:-1])
    assert [d["distance"] for d in lines[:-1]] == sorted(d["distance"] for d in lines[:-1])
    assert (lines[-1]["reply"], lines[-1]["ok"]) == (f"{P}/done", 3)
    code, _, err = send(capsys, server, "similar", query, "0")
    assert code == 1 and "k: 0" in err


def test_send_refuses_a_request_too_big_for_one_datagram(capsys):
    paths = [f"/samples/{'x' * 200}/{i}.wav" for i in range(400)]
    assert cli.main(["send", "--port", "9", "classify_many", *paths]) == 2
    assert "more than one UDP datagram holds" in capsys.readouterr().err


def test_send_finds_the_server_through_the_same_environment_variables_as_serve(serve, real_ctx, monkeypatch,
                                                                                 capsys):
    server = serve(real_ctx)
    monkeypatch.setenv("DRUMTAG_HOST", "127.0.0.1")
    monkeypatch.setenv("DRUMTAG_PORT", str(server.address[1]))
    assert cli.main(["send", "ping"]) == 0
    assert capsys.readouterr().out.startswith("pong")
    monkeypatch.setenv("DRUMTAG_PORT", "70000")
    with pytest.raises(SystemExit) as stop:
        cli.main(["send", "ping"])
    assert stop.value.code == 2 and "70000 is not a port" in capsys.readouterr().err


def test_broken_bundle_layouts_get_an_error_and_never_hang_the_reader():
    """python-osc loops for ever on an element size that points back (-4): the layout is checked first."""
    import struct

    from oscserver.server import MAX_BUNDLE_DEPTH, read_packet

    ping = b"/drumtag/ping\0\0\0,ii\0" + struct.pack(">ii", 0, 1)
    head = b"#bundle\0" + struct.pack(">Q", 1)
    cases = {struct.pack(">i", -4) + ping: "element 1 has size -4",
             struct.pack(">i", 0) + ping: "element 1 has size 0",
             struct.pack(">i", 6) + ping: "element 1 has size 6",
             struct.pack(">i", 400) + ping: "element 1 has size 400, past the end",
             struct.pack(">i", len(ping)) + ping + b"\0\0": "2 stray bytes after element 1"}
    for body, reason in cases.items():
        [got] = read_packet(head + body)
        assert got.problem.startswith(f"malformed bundle: {reason}"), body
    inner = head + struct.pack(">i", -4) + ping
    outer = head + struct.pack(">i", len(inner)) + inner
    [bad] = read_packet(outer)  # python-osc parses inner bundles at once: the whole tree is checked first
    assert bad.problem.startswith("malformed bundle: in element 1: element 1 has size -4")
    nested = ping
    for _ in range(MAX_BUNDLE_DEPTH + 5):
        nested = head + struct.pack(">i", len(nested)) + nested
    assert [m.problem for m in read_packet(nested)] == [f"malformed bundle: bundles nested more than "
                                                        f"{MAX_BUNDLE_DEPTH} deep"]
    [short] = read_packet(b"/drumtag/ping\0\0\0,ii\0" + struct.pack(">i", 0))
    assert short.problem.startswith("malformed message: the arguments are cut short")
