"""OSC server benchmark: round-trip latency, lost replies, time to ready and memory of a real `drumtag serve`.

Runs `python -m oscserver serve` as a subprocess on a free port and measures, for a synthesized 1-second one-shot:
the in-process `classify_file` time and one client's round trip in alternating blocks (so both see the same load);
round-trip latency p50/p99 with 8 concurrent clients; ping and cached-result round trips; 10,000 requests from 8
clients (each keeping a few requests in flight), counting replies, busy errors and lost replies; the time from
start until the first pong; the server's resident memory. Prints each figure next to its target. Latency figures
use a server started with ``--cache-size 0``, so every request decodes and classifies the file.

    python benchmarks/bench_osc.py [--model PATH] [--requests 10000] [--clients 8]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from pythonosc import osc_message  # noqa: E402
from pythonosc.osc_message_builder import OscMessageBuilder  # noqa: E402

P = "/drumtag"


def build(address: str, *args) -> bytes:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resolve_model(path: str | None, tmp: str) -> tuple[str, str]:
    """(model path, how it was chosen): the given one, the bundled one, or a small model trained on synth audio."""
    from oscserver.model import bundled_model_path

    if path:
        return path, "given"
    if bundled_model_path().is_file():
        return str(bundled_model_path()), "bundled"
    import synth
    from oscserver.dataset import load_dataset
    from oscserver.training import train_model

    print("bench_osc: no bundled model yet; training a small model on synthesized audio instead", file=sys.stderr)
    root = synth.make_class_folder(os.path.join(tmp, "train"), per_class=6, packs=3)
    model, _ = train_model(load_dataset(root), cv_splits=3)
    return model.save(os.path.join(tmp, "synth.joblib")), "synthesized fallback (no bundled model)"


class Client:
    def __init__(self, port: int):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.dest = ("127.0.0.1", port)

    def call(self, address: str, rid: int, *args, timeout: float = 10.0):
        self.sock.sendto(build(address, 0, rid, *args), self.dest)
        self.sock.settimeout(timeout)
        while True:
            msg = osc_message.OscMessage(self.sock.recvfrom(65535)[0])
            if msg.params[0] == rid:
                return msg.address, msg.params


def wait_ready(port: int, proc, limit: float = 120.0) -> float:
    """Seconds from now until the server answers a ping (polling every 20 ms)."""
    start = time.perf_counter()
    c = Client(port)
    rid = 0
    while time.perf_counter() - start < limit:
        if proc.poll() is not None:
            raise SystemExit(f"bench_osc: the server exited with status {proc.returncode}")
        rid += 1
        try:
            if c.call(f"{P}/ping", rid, timeout=0.02)[0] == f"{P}/pong":
                return time.perf_counter() - start
        except (socket.timeout, ConnectionRefusedError):
            continue
    raise SystemExit("bench_osc: the server did not answer within 120 s")


def latencies(port: int, path: str | None, *, clients: int, per_client: int) -> tuple[list[float], int]:
    """Sequential classify (or, without a path, ping) round trips from ``clients`` threads; (seconds, errors)."""
    out: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def run(k: int):
        c = Client(port)
        mine = []
        for i in range(per_client):
            t0 = time.perf_counter()
            rid = k * 1_000_000 + i + 1
            address, params = c.call(f"{P}/classify", rid, path) if path else c.call(f"{P}/ping", rid)
            mine.append(time.perf_counter() - t0)
            if address not in (f"{P}/result", f"{P}/pong"):
                with lock:
                    errors[0] += 1
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out, errors[0]


def interleaved(port: int, path: str, model, *, rounds: int, block: int = 25) -> tuple[list, list, int]:
    """In-process classify_file and one client's OSC round trips in alternating blocks, so both see the same load.

    Blocks rather than single calls: alternating every call leaves both processes' caches cold and costs each
    side several times its warm time.
    """
    from oscserver.classify import classify_file

    c = Client(port)
    inproc, osc, errors, rid = [], [], 0, 0
    while len(osc) < rounds:
        for _ in range(block):
            t0 = time.perf_counter()
            classify_file(path, model)
            inproc.append(time.perf_counter() - t0)
        for _ in range(block):
            rid += 1
            t0 = time.perf_counter()
            address, _ = c.call(f"{P}/classify", rid, path)
            osc.append(time.perf_counter() - t0)
            errors += address != f"{P}/result"
    return inproc, osc, errors


def flood(port: int, path: str, *, total: int, clients: int, window: int = 4, linger: float = 10.0) -> dict:
    """``total`` classify requests from ``clients`` sockets, each keeping ``window`` in flight; count what came back."""
    counts = {"result": 0, "busy": 0, "other_error": 0, "lost": 0, "duplicates": 0}
    lock = threading.Lock()
    per = [total // clients + (1 if k < total % clients else 0) for k in range(clients)]

    def run(k: int):
        c = Client(port)
        c.sock.settimeout(linger)
        pending: set[int] = set()
        seen: set[int] = set()
        local = dict.fromkeys(counts, 0)
        sent = 0
        while sent < per[k] or pending:
            while sent < per[k] and len(pending) < window:
                sent += 1
                pending.add(sent)
                c.sock.sendto(build(f"{P}/classify", 0, sent, path), c.dest)
            try:
                msg = osc_message.OscMessage(c.sock.recvfrom(65535)[0])
            except socket.timeout:
                local["lost"] += len(pending)
                pending.clear()
                continue
            rid = msg.params[0]
            if rid in seen:
                local["duplicates"] += 1
                continue
            seen.add(rid)
            pending.discard(rid)
            if msg.address == f"{P}/result":
                local["result"] += 1
            elif msg.address == f"{P}/error" and msg.params[2].startswith("busy"):
                local["busy"] += 1
            else:
                local["other_error"] += 1
        with lock:
            for key, v in local.items():
                counts[key] += v

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts["seconds"] = time.perf_counter() - t0
    return counts


class Serve:
    """`python -m oscserver serve` on a free port, its stderr in a temporary file; ``ready`` = seconds to first pong."""

    def __init__(self, model_path: str, *extra: str):
        self.port = free_port()
        self.log = tempfile.TemporaryFile("w+")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "oscserver", "serve", "--port", str(self.port),
                                      "--model", model_path, *extra], cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=self.log, text=True)

    def __enter__(self):
        try:
            wait_ready(self.port, self.proc)
        except SystemExit:
            print(*self.log_lines()[-20:], sep="\n", file=sys.stderr)
            raise
        self.ready = time.perf_counter() - self.t0  # from Popen, so interpreter start-up counts
        return self

    def first_classify(self, wav: str) -> float:
        Client(self.port).call(f"{P}/classify", 1, wav, timeout=120)
        return time.perf_counter() - self.t0

    def log_lines(self) -> list[str]:
        self.log.seek(0)
        return self.log.read().splitlines()

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def row(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
    mark = "" if ok is None else ("ok" if ok else "MISSED")
    print(f"  {name:<54} {value:>16}   {target:<10} {mark}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model file (default: the bundled model, else a small synthesized one)")
    from oscserver.argtypes import at_least

    parser.add_argument("--requests", type=at_least(1), default=10_000, help="requests in the lost-reply test")
    parser.add_argument("--clients", type=at_least(1), default=8)
    parser.add_argument("--rounds", type=at_least(1), default=300, help="round trips for the one-client latency")
    args = parser.parse_args()
    if args.model and not os.path.isfile(args.model):
        parser.error(f"--model {args.model}: no such model file")

    import synth
    from oscserver.classify import classify_file, file_features
    from oscserver.model import load_model

    with tempfile.TemporaryDirectory(prefix="bench-osc-") as tmp:
        model_path, how = resolve_model(args.model, tmp)
        wav = synth.write(os.path.join(tmp, "one-shot 1s.wav"), synth.kick(duration=1.0))

        model = load_model(model_path)
        classify_file(wav, model)
        feats, preds = [], []
        for _ in range(50):
            t0 = time.perf_counter()
            x = file_features(wav, model.spec)
            t1 = time.perf_counter()
            model.predict_proba(x[None, :])
            feats.append(t1 - t0)
            preds.append(time.perf_counter() - t1)

        # every request classifies the file (--cache-size 0): the honest latency of classification over OSC
        with Serve(model_path, "--cache-size", "0") as server:
            port = server.port
            ready, ready_classify = server.ready, server.first_classify(wav)
            rss_idle, _ = rss_mb(server.proc.pid)
            latencies(port, wav, clients=1, per_client=20)  # warm the socket path
            pings, err_p = latencies(port, None, clients=1, per_client=args.rounds)
            inproc, one, err1 = interleaved(port, wav, model, rounds=args.rounds)
            many, err8 = latencies(port, wav, clients=args.clients, per_client=max(1, args.rounds // args.clients))
            counts = flood(port, wav, total=args.requests, clients=args.clients)
            rss_now, rss_peak = rss_mb(server.proc.pid)
            server_log = server.log_lines()
        # the default server: a clip asked for again is answered from the result cache
        with Serve(model_path) as server:
            server.first_classify(wav)
            cached, err_c = latencies(server.port, wav, clients=1, per_client=args.rounds)

    ms = 1000.0
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"drumtag OSC benchmark: model {model.model_id} ({how}); {os.cpu_count()} CPUs, load average {load}; "
          f"a 1-second synthesized kick")
    row("in-process classify_file p50 / p99 (alternating)", f"{statistics.median(inproc) * ms:.1f} / "
        f"{percentile(inproc, 99) * ms:.1f} ms")
    row("  of which decode + features (p50)", f"{statistics.median(feats) * ms:.1f} ms")
    row("  of which predict_proba, one row (p50)", f"{statistics.median(preds) * ms:.1f} ms")
    p50, p99 = statistics.median(one) * ms, percentile(one, 99) * ms
    row(f"round trip, 1 client, p50 ({len(one)} requests, alternating)", f"{p50:.1f} ms", "<= 10 ms", p50 <= 10)
    row("round trip, 1 client, p99", f"{p99:.1f} ms", "<= 30 ms", p99 <= 30)
    row("  overhead over in-process (p50)", f"{p50 - statistics.median(inproc) * ms:+.1f} ms")
    row(f"round trip, {args.clients} clients, p50 ({len(many)} requests)", f"{statistics.median(many) * ms:.1f} ms")
    row(f"round trip, {args.clients} clients, p99", f"{percentile(many, 99) * ms:.1f} ms")
    row("ping round trip (transport alone) p50 / p99", f"{statistics.median(pings) * ms:.2f} / "
        f"{percentile(pings, 99) * ms:.2f} ms")
    row("round trip, 1 client, cached result, p50 / p99", f"{statistics.median(cached) * ms:.1f} / "
        f"{percentile(cached, 99) * ms:.1f} ms")
    errors = err1 + err8 + err_c + err_p
    row("errors in the latency runs", f"{errors}", "0", errors == 0)
    row(f"{args.requests} requests from {args.clients} clients (4 in flight each)", f"{counts['seconds']:.1f} s")
    row("  results", f"{counts['result']}")
    row("  busy errors (queue full)", f"{counts['busy']}")
    row("  other errors", f"{counts['other_error']}", "0", counts["other_error"] == 0)
    row("  lost replies", f"{counts['lost']}", "0", counts["lost"] == 0)
    row("  duplicate replies", f"{counts['duplicates']}", "0", counts["duplicates"] == 0)
    row("ready (start until first pong)", f"{ready:.2f} s", "<= 2 s", ready <= 2)
    row("start until first classify result", f"{ready_classify:.2f} s")
    row("server RSS idle / after load / peak", f"{rss_idle:.0f}/{rss_now:.0f}/{rss_peak:.0f} MB", "< 300 MB",
        rss_peak < 300)
    if len(server_log) > 2:
        print(f"server log ({len(server_log)} lines), last lines:", *server_log[-5:], sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
