"""Build drumtag.amxd (the Max for Live device) from drumtag.maxpat, and read .amxd files back (stdlib only).

Usage: ``python3 max_device/build.py`` writes max_device/drumtag.amxd; ``--check`` exits 1 if the checked-in
device is not what the sources build (run it in CI); ``--dump FILE.amxd`` prints a device's patch JSON (its type to
stderr), and ``--dump FILE.amxd -o max_device/drumtag.maxpat`` writes it there atomically, to bring edits saved from
Max back into the source: a device that cannot be read leaves the source as it was (a shell redirection would
have emptied it first).

Layout written (the unfrozen-device layout described by third-party builders; see README.md, "Device file"):

    b"ampf" u32le(4) TYPE           TYPE: b"aaaa" audio effect, b"mmmm" MIDI effect, b"iiii" instrument
    b"meta" u32le(4) u32le(0)
    b"ptch" u32le(N) PATCH b"\\0"   PATCH: the .maxpat JSON as UTF-8 bytes; N counts the terminating NUL

The device's JavaScript (drumtag.js) is not embedded: Live finds it next to the .amxd (an unfrozen device).
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MAXPAT = os.path.join(HERE, "drumtag.maxpat")
AMXD = os.path.join(HERE, "drumtag.amxd")

DEVICE_TYPES = {b"aaaa": "audio effect", b"mmmm": "MIDI effect", b"iiii": "instrument"}
AUDIO_EFFECT = b"aaaa"
META_VALUE = 0


class AmxdError(ValueError):
    """A file is not an .amxd this module can read, or a patch cannot become one."""


def _chunk(tag: bytes, payload: bytes) -> bytes:
    return tag + struct.pack("<I", len(payload)) + payload


def pack(patch: bytes, device_type: bytes = AUDIO_EFFECT) -> bytes:
    """The .amxd bytes of a patch (the .maxpat JSON bytes) for a device type (b"aaaa", b"mmmm", b"iiii")."""
    if device_type not in DEVICE_TYPES:
        raise AmxdError(f"device type {device_type!r} is not one of {sorted(DEVICE_TYPES)}")
    document = _parse_patch(patch, "patch")
    amxdtype = document["patcher"].get("project", {}).get("amxdtype")
    if amxdtype is not None and amxdtype != struct.unpack(">I", device_type)[0]:
        raise AmxdError(f"patch: project.amxdtype {amxdtype} does not match device type {device_type!r}")
    return (_chunk(b"ampf", device_type) + _chunk(b"meta", struct.pack("<I", META_VALUE))
            + _chunk(b"ptch", patch + b"\0"))


def unpack(data: bytes, name: str = "device") -> tuple[bytes, bytes]:
    """(device type, patch JSON bytes) of .amxd bytes; raises AmxdError naming what is wrong."""
    chunks = {}
    offset = 0
    while offset < len(data):
        if offset + 8 > len(data):
            raise AmxdError(f"{name}: truncated chunk header at byte {offset}")
        tag = data[offset:offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4:offset + 8])
        if offset + 8 + size > len(data):
            raise AmxdError(f"{name}: chunk {tag!r} at byte {offset} claims {size} bytes, "
                            f"{len(data) - offset - 8} remain")
        if not chunks and tag != b"ampf":
            raise AmxdError(f"{name}: not an .amxd file (starts with {data[:4]!r}, expected b'ampf')")
        chunks[tag] = data[offset + 8:offset + 8 + size]
        offset += 8 + size
    if b"ampf" not in chunks:
        raise AmxdError(f"{name}: empty file")
    device_type = chunks[b"ampf"]
    if device_type not in DEVICE_TYPES:
        raise AmxdError(f"{name}: unknown device type {device_type!r}")
    if b"ptch" not in chunks:
        raise AmxdError(f"{name}: no ptch chunk")
    patch = chunks[b"ptch"]
    if not patch.endswith(b"\0"):
        raise AmxdError(f"{name}: the patch is not NUL-terminated (a frozen device? this reader does not "
                        "read frozen devices)")
    patch = patch[:-1]
    _parse_patch(patch, name)
    return device_type, patch


def read_amxd(path: str) -> dict:
    """The patcher JSON object ({"patcher": ...}) of an .amxd file."""
    with open(path, "rb") as f:
        _, patch = unpack(f.read(), path)
    return json.loads(patch.decode("utf-8"))


def build(maxpat: str = MAXPAT) -> bytes:
    """The .amxd bytes built from a .maxpat file."""
    with open(maxpat, "rb") as f:
        return pack(f.read())


def write_atomic(path: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".drumtag-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _parse_patch(patch: bytes, name: str) -> dict:
    try:
        document = json.loads(patch.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise AmxdError(f"{name}: the patch is not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("patcher"), dict):
        raise AmxdError(f"{name}: the patch JSON has no top-level \"patcher\" object")
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build max_device/drumtag.amxd from max_device/drumtag.maxpat.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="exit 1 if drumtag.amxd is not up to date")
    group.add_argument("--dump", metavar="AMXD", help="print an .amxd file's device type and patch JSON")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="with --dump: write the patch JSON to FILE (atomically, only if AMXD reads) instead of "
                             "printing it")
    args = parser.parse_args(argv)
    if args.output and not args.dump:
        parser.error("-o/--output goes with --dump AMXD")
    try:
        if args.dump:
            with open(args.dump, "rb") as f:
                device_type, patch = unpack(f.read(), args.dump)
            print(f"{args.dump}: {DEVICE_TYPES[device_type]} ({device_type.decode()}), patch {len(patch)} bytes",
                  file=sys.stderr)
            if args.output:
                write_atomic(args.output, patch)
                print(f"wrote {args.output}", file=sys.stderr)
            else:
                sys.stdout.write(patch.decode("utf-8"))
            return 0
        data = build()
        if args.check:
            current = open(AMXD, "rb").read() if os.path.exists(AMXD) else b""
            if current != data:
                print(f"{AMXD} is out of date: run python3 max_device/build.py", file=sys.stderr)
                return 1
            print(f"{AMXD} is up to date", file=sys.stderr)
            return 0
        write_atomic(AMXD, data)
        print(f"wrote {AMXD} ({len(data)} bytes)", file=sys.stderr)
        return 0
    except (OSError, AmxdError) as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
