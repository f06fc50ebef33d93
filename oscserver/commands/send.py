"""``drumtag send``: send one OSC request to a running server, print its replies, exit by how it ended."""

from __future__ import annotations

import json
import sys

NAME = "send"
HELP = "send one request to a running drumtag server and print the replies"
ORDER = 61
DESCRIPTION = """\
Send one OSC request to `drumtag serve` and print every reply to it until the last one.

requests:  ping | info | classify PATH | classify_many PATH... | cancel TARGET_ID
           | similar PATH [K] | tag FOLDER...
The server lets a client cancel only its own requests, and each `drumtag send` is a client of its
own: to stop a running classify_many or tag, press Ctrl-C (it cancels it on the server).

Relative paths are made absolute before sending. --timeout is the longest wait for the next
reply. With --json each reply is one JSON object per line (keys: the reply's argument names)."""
EPILOG = """\
exit status:
  0    the request ended normally
  1    the server replied with an error; or a classify_many or tag ended with failed files, or
       was stopped before its end by a cancel from elsewhere or by the server stopping; or the
       done reply counts more files than the replies that arrived (replies were lost)
  2    usage: a bad argument, an unknown host, a bad port or timeout
  3    no reply within --timeout seconds, or nothing is listening at the server's address
  130  interrupted (Ctrl-C); a running classify_many or tag is cancelled on the server"""
#: the longest --timeout: a day (sockets refuse timeouts that do not fit the system's time type)
MAX_TIMEOUT = 86400.0


def add_arguments(parser) -> None:
    from .. import protocol
    from ..argtypes import env_default, host, port, seconds

    parser.epilog = EPILOG
    # the same environment variables as `drumtag serve`, so a server moved with them is found without options;
    # a bad value read from one is refused naming the variable
    parser.add_argument("--host", type=host, default=env_default("DRUMTAG_HOST", protocol.DEFAULT_HOST),
                        help=f"server address (default: $DRUMTAG_HOST or {protocol.DEFAULT_HOST})")
    parser.add_argument("--port", type=port, default=env_default("DRUMTAG_PORT", protocol.DEFAULT_PORT),
                        help=f"server port, 1-65535 (default: $DRUMTAG_PORT or {protocol.DEFAULT_PORT})")
    parser.add_argument("--timeout", type=seconds(MAX_TIMEOUT), default=5.0, metavar="SECONDS",
                        help="longest wait for a reply (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="one JSON object per reply")
    parser.add_argument("request", metavar="REQUEST", help="ping, info, classify, classify_many, cancel, similar, tag")
    parser.add_argument("args", nargs="*", metavar="ARGS", help="the request's arguments")


#: a cancel that found nothing: the server matches the sender too, so another client's request is not found either
_NOT_FOUND = "not running (or not this client's: a client can cancel only the requests it sent itself)"


def _hex(color: int) -> str:
    return f"#{color:06X}"


def format_reply(d: dict) -> str:
    """One reply as a line (or a few) of text for a terminal."""
    kind = d["reply"].rsplit("/", 1)[1]
    if kind == "result":
        probs = "  ".join(f"{c} {p:.3f}" for c, p in d["probabilities"].items())
        return f"{d['path']}\t{d['label']}\t{d['confidence']:.3f}\t{_hex(d['color'])}\t{probs}"
    if kind == "file_error":
        return f"{d['path']}\terror\t{d['message']}"
    if kind == "neighbor":
        return f"{d['rank']}\t{d['distance']:.4f}\t{d['label']}\t{d['path']}"
    if kind == "pong":
        return f"pong\tdrumtag {d['version']}\tmodel {d['model_id']}"
    if kind == "model":
        f1 = "unknown" if d["macro_f1"] < 0 else f"{d['macro_f1']:.3f}"
        lines = [f"model\t{d['model_id']}", f"version\t{d['version']}",
                 f"feature_version\t{d['feature_version']}", f"macro_f1\t{f1}"]
        lines += [f"{c}\t{_hex(v)}" for c, v in d["colors"].items()]
        return "\n".join(lines)
    if kind == "done":
        return f"done\tok {d['ok']}\tfailed {d['failed']}" + ("\tcancelled" if d["cancelled"] else "")
    if kind == "cancelled":
        return f"cancel {d['target_id']}\t" + ("stopped" if d["found"] else _NOT_FOUND)
    if kind == "progress":
        return f"{d['done']}/{d['total']}"
    return "\t".join(str(v) for k, v in d.items() if k not in ("reply", "request_id"))


#: requests whose done counts (ok + failed) the replies sent before it: a result or file_error per file, a neighbor
#: per rank (tag sends none per file)
_COUNTED = frozenset({"classify_many", "similar"})


class _Tally:
    """How far a multi-file request got, from its replies: files answered, and the total its progress gave; and
    the replies that arrived of those its done counts (``answers``)."""

    def __init__(self):
        self.files = 0
        self.answers = 0
        self.total: int | None = None

    def add(self, d: dict) -> None:
        kind = d["reply"].rsplit("/", 1)[1]
        if kind in ("result", "file_error", "neighbor"):
            self.answers += 1
        if kind in ("result", "file_error"):
            self.files += 1
        elif kind == "progress":
            self.files, self.total = max(self.files, d["done"]), d["total"]

    def text(self, files: int | None = None) -> str:
        """``'12 files of 600'`` (``'12 files'`` when no progress gave the total)."""
        files = self.files if files is None else files
        return f"{files} files" + (f" of {self.total}" if self.total else "")


def _done_status(address: str, d: dict, tally: _Tally) -> int:
    """Exit status of a multi-file request by its done reply: 1 if files failed, it was stopped early, or fewer
    replies arrived than it counts (UDP drops what the receive buffer cannot hold while the output is read slowly).

    This client never sees the done of a request it cancelled itself (Ctrl-C: ``_interrupted``), so a cancelled
    done here was stopped by a cancel from elsewhere or by the server stopping."""
    status = 0
    sent = d["ok"] + d["failed"]
    if address.rsplit("/", 1)[1] in _COUNTED and tally.answers < sent:
        print(f"drumtag send: {sent - tally.answers} of {sent} replies were lost (the output was read too slowly, "
              "or the network dropped them)", file=sys.stderr)
        status = 1
    if d["cancelled"]:
        print(f"drumtag send: the request was stopped after {tally.text(sent)} (cancelled from "
              "elsewhere, or the server stopped)", file=sys.stderr)
        return 1
    if d["failed"]:
        print(f"drumtag send: {d['failed']} files failed", file=sys.stderr)
        return 1
    return status


def _interrupted(args, address: str, rid: int, tally: _Tally, sock) -> int:
    """Ctrl-C: a running classify_many or tag is cancelled on the server (it would go on otherwise); exit 130.

    The cancel goes from the request's own socket: the server lets a client cancel only the requests it sent
    from the same reply address."""
    from .. import osc_client

    if address not in osc_client.CANCELLABLE:
        print("drumtag send: interrupted", file=sys.stderr)
        return 130
    found = osc_client.cancel(rid, host=args.host, port=args.port, timeout=min(args.timeout, 2.0), sock=sock)
    outcome = {True: "stopped", False: "it had already ended", None: "no answer from the server"}[found]
    print(f"drumtag send: interrupted after {tally.text()}; cancelled request {rid} on the server ({outcome})",
          file=sys.stderr)
    return 130


def run(args) -> int:
    from .. import osc_client

    address = osc_client.request_address(args.request)
    values = osc_client.request_args(address, args.args)
    rid = osc_client.new_request_id()
    with osc_client.open_socket(args.host, args.port) as sock:
        return _exchange(args, address, values, rid, sock)


def _exchange(args, address: str, values: list, rid: int, sock) -> int:
    """Send the request from ``sock``, print its replies; the exit status."""
    from .. import osc_client, protocol

    tally = _Tally()
    replies = osc_client.request(address, values, host=args.host, port=args.port, timeout=args.timeout,
                                 request_id=rid, sock=sock)
    try:
        for reply, params in replies:
            d = osc_client.reply_dict(reply, params)
            tally.add(d)
            if args.json:
                print(json.dumps(d, ensure_ascii=False), flush=True)
            elif reply == f"{protocol.PREFIX}/error":
                print(f"drumtag send: error: {d['message']}", file=sys.stderr)
            elif reply == f"{protocol.PREFIX}/progress":
                print(f"drumtag send: {format_reply(d)}", file=sys.stderr, flush=True)
            else:
                print(format_reply(d), flush=True)
            if reply == f"{protocol.PREFIX}/error":
                return 1
            if reply == f"{protocol.PREFIX}/done":
                return _done_status(address, d, tally)
    except osc_client.NotListening as exc:
        print(f"drumtag send: {exc}", file=sys.stderr)
        return 3
    except osc_client.ReplyTimeout as exc:
        print(f"drumtag send: timeout: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        replies.close()
        return _interrupted(args, address, rid, tally, sock)
    return 0
