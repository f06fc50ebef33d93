"""The OSC address table: every address drumtag serves or sends, its arguments and its replies (pure data).

This module is the single source of truth for the protocol. The server builds its dispatcher from it, the README
table is generated from it (``python -m oscserver.protocol``), and tests check that the Max device, the REAPER
script and the README use no address it does not declare.

Every request starts with ``reply_port:i`` (0: reply to the port the request came from) and ``request_id:i``
(echoed as the first argument of every reply to it). Every request gets exactly one terminal reply; multi-file
requests send their per-file replies first.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "/drumtag"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9010
#: Port the Max for Live device listens on by default (udpreceive); the REAPER script uses the source port (0).
DEFAULT_DEVICE_REPLY_PORT = 9011
#: Keep each datagram under this many bytes (one Ethernet MTU with headers), splitting long replies.
MAX_DATAGRAM = 1400
#: request_id used in an error reply when the request's own id could not be read.
UNKNOWN_REQUEST_ID = -1
#: Stands for the bytes cut from the middle of a string (a long path or message) to keep a reply within MAX_DATAGRAM.
CUT_MARK = "[\u2026]"


@dataclass(frozen=True)
class Arg:
    name: str
    type: str  # OSC type tag: i (int32), f (float32), s (string)
    description: str = ""


@dataclass(frozen=True)
class Message:
    address: str
    args: tuple[Arg, ...]
    description: str
    #: the trailing arguments repeat (for example ``class:s probability:f`` pairs, or several paths)
    repeated: tuple[Arg, ...] = ()
    #: addresses of the replies a request can produce (requests only)
    replies: tuple[str, ...] = ()
    #: for replies: always ends its request (no more replies with that request_id follow); see is_terminal()
    terminal: bool = False

    @property
    def signature(self) -> str:
        """``'reply_port:i request_id:i path:s'``, with repeated arguments as ``[class:s probability:f]...``."""
        parts = [f"{a.name}:{a.type}" for a in self.args]
        if self.repeated:
            parts.append("[" + " ".join(f"{a.name}:{a.type}" for a in self.repeated) + "]...")
        return " ".join(parts)


_HEAD = (Arg("reply_port", "i", "port to reply to on the sender's IP; 0 = the request's source port"),
         Arg("request_id", "i", "echoed as the first argument of every reply"))
_ID = Arg("request_id", "i")

REQUESTS: tuple[Message, ...] = (
    Message(f"{PREFIX}/ping", _HEAD, "Is the server up, and which model does it serve?",
            replies=(f"{PREFIX}/pong",)),
    Message(f"{PREFIX}/classify",
            _HEAD + (Arg("path", "s", "one audio file (absolute; a relative path is relative to the server's cwd)"),),
            "Classify one file.", replies=(f"{PREFIX}/result",)),
    Message(f"{PREFIX}/classify_many", _HEAD,
            "Classify files and folders (recursively): a result or file_error per file as it completes, "
            "progress now and then, then done.",
            repeated=(Arg("path", "s", "file or folder"),),
            replies=(f"{PREFIX}/result", f"{PREFIX}/file_error", f"{PREFIX}/progress", f"{PREFIX}/done")),
    Message(f"{PREFIX}/cancel", _HEAD + (Arg("target_id", "i", "request_id of the running request to stop"),),
            "Stop a running multi-file request of this client; it ends with done (cancelled=1).",
            replies=(f"{PREFIX}/cancelled",)),
    Message(f"{PREFIX}/info", _HEAD, "The served model and the class-to-colour map.",
            replies=(f"{PREFIX}/model",)),
    Message(f"{PREFIX}/similar", _HEAD + (Arg("path", "s", "audio file to match"),
                                          Arg("k", "i", "how many neighbours (1-50)")),
            "The k (1-50) sounds in the catalog nearest to a file, nearest first, then done (with --allow-root, "
            "only files under those folders).",
            replies=(f"{PREFIX}/neighbor", f"{PREFIX}/done")),
    Message(f"{PREFIX}/tag", _HEAD, "Tag folders into the catalog (skipping unchanged files): progress, then done "
            "(ok counts files tagged or already up to date).",
            repeated=(Arg("folder", "s"),), replies=(f"{PREFIX}/progress", f"{PREFIX}/done")),
)

REPLIES: tuple[Message, ...] = (
    Message(f"{PREFIX}/pong", (_ID, Arg("version", "s", "drumtag version"), Arg("model_id", "s")),
            "Answer to ping.", terminal=True),
    Message(f"{PREFIX}/result",
            (_ID, Arg("path", "s", "as given"), Arg("label", "s"), Arg("confidence", "f"),
             Arg("color", "i", "0xRRGGBB of the label")),
            "One file's class, confidence and colour, then the probability of every class of the model. "
            "Ends a classify request; classify_many sends one per file.",
            repeated=(Arg("class", "s"), Arg("probability", "f"))),
    Message(f"{PREFIX}/file_error", (_ID, Arg("path", "s"), Arg("message", "s")),
            "One file of a multi-file request could not be classified; the request goes on."),
    Message(f"{PREFIX}/progress", (_ID, Arg("done", "i"), Arg("total", "i")),
            "Progress of a multi-file request."),
    Message(f"{PREFIX}/done",
            (_ID, Arg("address", "s", "the request's address"), Arg("ok", "i"), Arg("failed", "i"),
             Arg("cancelled", "i", "1 if stopped by cancel")),
            "End of a multi-file request, with counts.", terminal=True),
    Message(f"{PREFIX}/cancelled", (_ID, Arg("target_id", "i"), Arg("found", "i", "1 if it was running")),
            "Answer to cancel.", terminal=True),
    Message(f"{PREFIX}/model",
            (_ID, Arg("model_id", "s"), Arg("version", "s", "drumtag version"), Arg("feature_version", "i"),
             Arg("macro_f1", "f", "grouped cross-validation macro-F1 (-1 if unknown)")),
            "Answer to info: the model, then every class with its colour.",
            repeated=(Arg("class", "s"), Arg("color", "i")), terminal=True),
    Message(f"{PREFIX}/neighbor",
            (_ID, Arg("rank", "i", "1 = nearest"), Arg("path", "s"), Arg("distance", "f"), Arg("label", "s")),
            "One neighbour found by similar."),
    Message(f"{PREFIX}/error", (_ID, Arg("address", "s", "the request's address"),
                                Arg("message", "s", "names the argument or file and the reason")),
            "The request failed (bad arguments, unreadable file, busy, unknown address...).", terminal=True),
)

BY_ADDRESS: dict[str, Message] = {m.address: m for m in REQUESTS + REPLIES}
REQUEST_ADDRESSES: frozenset[str] = frozenset(m.address for m in REQUESTS)
REPLY_ADDRESSES: frozenset[str] = frozenset(m.address for m in REPLIES)


def is_terminal(request: str, reply: str) -> bool:
    """Whether ``reply`` ends ``request``: error always; done for multi-reply requests; else the single reply."""
    if reply == f"{PREFIX}/error":
        return True
    replies = BY_ADDRESS[request].replies
    if f"{PREFIX}/done" in replies:
        return reply == f"{PREFIX}/done"
    return reply in replies


def markdown_table() -> str:
    """The README's address table, generated from this module."""
    rows = ["| address | arguments | replies | what it does |", "| --- | --- | --- | --- |"]
    for m in REQUESTS:
        replies = ", ".join(f"`{r}`" for r in m.replies) + ", or `/drumtag/error`"
        rows.append(f"| `{m.address}` | `{m.signature}` | {replies} | {m.description} |")
    rows += ["", "| reply | arguments | what it means |", "| --- | --- | --- |"]
    for m in REPLIES:
        end = " Terminal." if m.terminal else ""
        rows.append(f"| `{m.address}` | `{m.signature}` | {m.description}{end} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
