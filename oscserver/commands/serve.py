"""``drumtag serve``: the OSC server that the Max for Live device, the REAPER script and `drumtag send` talk to."""

from __future__ import annotations

import argparse
import os
import sys

NAME = "serve"
HELP = "run the OSC server (classify files for Live, REAPER and other OSC clients)"
ORDER = 60
DESCRIPTION = """\
Serve classifications over OSC (UDP). Loads the model once, warms up, then prints one line:
"listening on HOST:PORT, model MODEL_ID". Ctrl-C or SIGTERM stops it (exit status 0).

The address table is in the README and in `python -m oscserver.protocol`. Relative paths in
requests are relative to this server's working directory. The server only reads audio files;
it never writes to them. Use --allow-root to restrict which folders it may read."""

_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}


def parse_bytes(text: str) -> int:
    """``'2G'``, ``'500M'``, ``'1024'`` -> bytes (for --max-bytes)."""
    t = text.strip().lower().removesuffix("b").removesuffix("i")
    unit = t[-1:] if t[-1:] in _UNITS and not t[-1:].isdigit() else ""
    try:
        value = float(t[: len(t) - len(unit)]) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 2G, 500M, 1048576)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the size must be positive")
    return int(value)


def add_arguments(parser) -> None:
    from .. import handlers, protocol
    from ..argtypes import at_least, env_default, host

    parser.add_argument("--host", type=host, default=env_default("DRUMTAG_HOST", protocol.DEFAULT_HOST),
                        help="address to listen on (default: $DRUMTAG_HOST or %s; "
                             "anything but loopback exposes the server to the network)" % protocol.DEFAULT_HOST)
    # checked in run(), where 0 (any free port) is allowed too; a bad value names $DRUMTAG_PORT if it came from there
    parser.add_argument("--port", default=env_default("DRUMTAG_PORT", protocol.DEFAULT_PORT),
                        help="UDP port (default: $DRUMTAG_PORT or %s; 0: any free port, printed at start)"
                             % protocol.DEFAULT_PORT)
    parser.add_argument("--model", metavar="PATH", help="model file (default: the bundled model)")
    parser.add_argument("--colors", metavar="SPEC",
                        help="class colours: 'kick=#ff0000,hat=#00ffff' or a JSON file (default: the shared map)")
    parser.add_argument("--workers", type=int, default=2, help="threads classifying single files (default 2)")
    parser.add_argument("--queue-size", type=int, default=64,
                        help="requests that may wait per lane before 'busy' errors (default 64)")
    parser.add_argument("--allow-root", action="append", default=[], metavar="DIR",
                        help="only read files under DIR (repeatable; symlinks resolved first; default: anywhere)")
    parser.add_argument("--max-bytes", type=parse_bytes, default=handlers.DEFAULT_MAX_BYTES, metavar="SIZE",
                        help="refuse files larger than this (default 2G)")
    parser.add_argument("--cache-size", type=at_least(0), default=512, metavar="N",
                        help="remember the last N results (a file is classified again when it changes; 0: off; "
                             "default %(default)s)")
    parser.add_argument("--catalog", metavar="PATH", help="catalog for similar and tag (default: the user's)")


def _is_loopback(host: str) -> bool:
    import ipaddress
    import socket

    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback
                   for info in socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM))
    except (OSError, ValueError):
        return False


def run(args) -> int:
    import signal
    import threading
    import warnings

    from ..argtypes import source
    from ..errors import UsageError

    try:
        port = int(args.port)
        if not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        raise UsageError(f"{source(args.port, '--port')}: {args.port!r} is not a port number (0-65535)") from None
    if args.workers < 1 or args.queue_size < 1:
        raise UsageError("--workers and --queue-size must be at least 1")
    for root in args.allow_root:
        if not os.path.isdir(root):
            raise UsageError(f"--allow-root {root}: no such folder")
    _check_paths(args)
    if not _is_loopback(args.host):
        print(f"drumtag serve: warning: --host {args.host} is not a loopback address: anyone who can reach it "
              "can make the server read and classify files (restrict with --allow-root)", file=sys.stderr)

    # scikit-learn warns once when a forest predicts from a thread other than the one that set its config; the
    # server has no per-thread config to propagate, so the warning says nothing useful to its user
    warnings.filterwarnings("ignore", message=r"`sklearn\.utils\.parallel\.delayed` should be used")
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())  # from here on, SIGTERM ends with status 0
    try:
        return _serve(args, port, stop)
    except KeyboardInterrupt:
        print("drumtag serve: stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_paths(args) -> None:
    """Refuse a --catalog that cannot be one before loading anything: otherwise the server would start and fail on
    every request that needs it (similar, tag). (``load_model`` names a --model that is a folder.)"""
    from ..catalog import CatalogError, check_catalog_path
    from ..errors import UsageError

    if args.catalog:
        try:
            check_catalog_path(os.path.abspath(args.catalog))
        except CatalogError as exc:
            raise UsageError(f"--catalog {exc}") from None


def _check_replies_fit(model) -> None:
    """Refuse a model whose replies cannot fit one datagram: every classify and info would fail with an error."""
    from .. import protocol
    from ..errors import UsageError
    from ..handlers import osc_reply_fits

    fits, needed = osc_reply_fits(model.classes)
    if not fits:
        raise UsageError(f"--model {model.path}: its {len(model.classes)} class names make OSC replies of up to "
                         f"{needed} bytes, over the limit of {protocol.MAX_DATAGRAM} (one datagram); train it with "
                         "fewer classes or shorter class names")


def _serve(args, port: int, stop) -> int:
    from .. import handlers
    from ..classes import parse_colors
    from ..errors import UsageError
    from ..model import load_model
    from ..server import Server

    model = load_model(args.model)
    _check_replies_fit(model)
    ctx = handlers.Context(model=model, colors=parse_colors(args.colors, classes=model.classes),
                           allow_roots=tuple(args.allow_root), max_bytes=args.max_bytes, catalog_path=args.catalog,
                           cache=handlers.ResultCache(args.cache_size))
    try:
        server = Server(ctx, host=args.host, port=port, workers=args.workers, queue_size=args.queue_size)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{port}: {exc.strerror or exc}") from None
    try:
        handlers.warm_up(ctx)
        server.start()
        host, bound = server.address
        print(f"drumtag serve: listening on {host}:{bound}, model {model.model_id}", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("drumtag serve: stopped", file=sys.stderr, flush=True)
    return 0
