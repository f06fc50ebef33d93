"""End to end: liblo's `oscsend` and `oscdump` (Debian liblo-tools) talk to a running `drumtag serve` process.

Without liblo-tools these tests skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import synth
from oscserver import __version__, osc_client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAIT = 60.0  # generous: the suite must pass on a loaded 2-core machine


@pytest.fixture(autouse=True)
def liblo_tools():
    """Skip without liblo-tools, except in CI (``CI`` set), where these tests must run."""
    if not (shutil.which("oscsend") and shutil.which("oscdump")):
        if os.environ.get("CI"):
            pytest.fail("liblo-tools (oscsend, oscdump) is not installed, and CI must run these tests")
        pytest.skip("liblo-tools (oscsend, oscdump) is not installed (apt-get install liblo-tools)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lines:
    """Collects a subprocess stream's lines in a thread, so tests wait for a line without blocking reads."""

    def __init__(self, stream):
        self.queue: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def wait_for(self, predicate, timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no matching line within {timeout} s; got {self.seen}") from None
            if line is None:
                raise AssertionError(f"stream ended; got {self.seen}")
            self.seen.append(line)
            if predicate(line):
                return line


def start_server(model_path: str, port: int, *extra: str):
    # SIGINT at its default, as for a server started in the foreground: a test run started in the background of a
    # non-interactive shell inherits SIGINT ignored, and Python then leaves Ctrl-C ignored too
    proc = subprocess.Popen([sys.executable, "-m", "oscserver", "serve", "--port", str(port), "--model", model_path,
                             *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    err = Lines(proc.stderr)
    line = err.wait_for(lambda s: "listening on" in s)
    return proc, err, line


def stop(proc) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(WAIT)


@pytest.fixture(scope="module")
def server(synth_model_path):
    port = free_port()
    proc, err, line = start_server(synth_model_path, port)
    yield port, line
    assert stop(proc) == 0


@pytest.fixture
def dump():
    """An oscdump process on a free port; returns (port, parsed-message getter)."""
    port = free_port()
    proc = subprocess.Popen(["oscdump", "-L", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Lines(proc.stdout)
    deadline = time.monotonic() + WAIT
    while True:  # oscdump prints nothing when ready: poke it until it echoes
        oscsend("127.0.0.1", port, "/hello", "i", 1)
        try:
            out.wait_for(lambda s: "/hello" in s, timeout=0.5)
            break
        except AssertionError:
            assert time.monotonic() < deadline, "oscdump never started"

    def next_message(address_prefix: str = "/drumtag/"):
        line = out.wait_for(lambda s: f" {address_prefix}" in s)
        _, address, types, *args = shlex.split(line)  # '<time tag> /address types args...'
        return address, types, args

    yield port, next_message
    proc.terminate()
    proc.wait(WAIT)


def oscsend(host, port, address, types, *args):
    subprocess.run(["oscsend", host, str(port), address, types, *map(str, args)], check=True, timeout=WAIT)


def test_serve_logs_where_it_listens_and_which_model(server, synth_model):
    port, line = server
    assert f"listening on 127.0.0.1:{port}, model {synth_model.model_id}" in line


def test_oscsend_ping_reaches_oscdump_on_the_reply_port(server, dump, synth_model):
    port, _ = server
    dump_port, next_message = dump
    oscsend("127.0.0.1", port, "/drumtag/ping", "ii", dump_port, 5)
    assert next_message() == ("/drumtag/pong", "iss", ["5", __version__, synth_model.model_id])


def test_oscsend_classify_a_unicode_path_with_spaces(server, dump, tmp_path):
    port, _ = server
    dump_port, next_message = dump
    path = synth.write(tmp_path / "Snare Kit ü" / "snäre 01.wav", synth.snare())
    oscsend("127.0.0.1", port, "/drumtag/classify", "iis", dump_port, 6, path)
    address, types, args = next_message()
    assert address == "/drumtag/result" and types == "issfi" + "sf" * 5
    assert args[:3] == ["6", path, "snare"]
    assert int(args[4]) == 0xF2A51A


@pytest.mark.parametrize("address, types, args, rid, text", [
    ("/drumtag/classify", "iii", (7, 1), "7", "argument 3 (path) must be a string"),
    ("/drumtag/classify", "ii", (7,), "7", "expects reply_port:i request_id:i path:s"),
    ("/drumtag/zap", "ii", (7,), "7", "unknown address '/drumtag/zap'"),
    ("/drumtag/classify", "iiS", (9, "/x.wav"), "9", "unsupported OSC type tag(s) 'S'"),
    ("/drumtag/classify", "iis", (8, "/no/such/file.wav"), "8", "/no/such/file.wav: no such file"),
])
def test_bad_requests_from_oscsend_get_an_error_reply(server, dump, address, types, args, rid, text):
    port, _ = server
    dump_port, next_message = dump
    oscsend("127.0.0.1", port, address, types, dump_port, *args)
    reply, reply_types, reply_args = next_message()
    assert (reply, reply_types, reply_args[0], reply_args[1]) == ("/drumtag/error", "iss", rid, address)
    assert text in reply_args[2]


def test_drumtag_send_subprocess_the_way_reaper_calls_it(server, tmp_path):
    port, _ = server
    path = synth.write(tmp_path / "hat.wav", synth.hat())
    run = subprocess.run([sys.executable, "-m", "oscserver", "send", "--port", str(port), "--timeout", str(WAIT),
                          "--json", "classify", path], cwd=ROOT, capture_output=True, text=True, timeout=WAIT * 2)
    assert run.returncode == 0, run.stderr
    reply = json.loads(run.stdout)
    assert (reply["reply"], reply["path"], reply["label"]) == ("/drumtag/result", path, "hat")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_stop_the_server_cleanly(synth_model_path, sig, tmp_path):
    port = free_port()
    proc, err, _ = start_server(synth_model_path, port)
    for i in range(5):  # enough files for classify_many to start its process pool first
        synth.write(tmp_path / f"k{i}.wav", synth.kick(seed=i))
    replies = list(osc_client.request("/drumtag/classify_many", [str(tmp_path)], port=port, timeout=WAIT))
    assert replies[-1][0] == "/drumtag/done" and replies[-1][1][2:] == [5, 0, 0]
    proc.send_signal(sig)
    assert proc.wait(WAIT) == 0
    err.wait_for(lambda s: "stopped" in s)


def test_non_loopback_host_prints_a_warning(synth_model_path):
    proc, err, _ = start_server(synth_model_path, free_port(), "--host", "0.0.0.0")
    try:
        assert any("warning" in s and "not a loopback address" in s for s in err.seen)
    finally:
        assert stop(proc) == 0
