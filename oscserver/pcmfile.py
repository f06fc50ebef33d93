"""Uncompressed WAV and AIFF files (integer or float samples) read with numpy, and their truncation check.

WAV and AIFF are what sample libraries hold most, and reading one straight from its bytes takes a fraction of
what going through libsndfile costs per file (opening a file through soundfile alone costs more than decoding a
one-shot). The samples come out exactly as libsndfile gives them: integers scaled by 1 / 2^(bits - 1), WAV's
8-bit unsigned samples around 128, floats as they are. Anything else (RIFX, RF64, compressed or odd layouts,
WAVE-wrapped Ogg) is left to libsndfile by ``audio.py``.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass

import numpy as np

from .errors import AudioError

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE  # WAV format tags
#: AIFC compression types libsndfile reads as plain samples -> (kind, byte order); a short COMM chunk is "NONE"
_AIFC = {b"NONE": ("i", ">"), b"twos": ("i", ">"), b"sowt": ("i", "<"), b"42n1": ("i", "<"), b"23ni": ("i", "<"),
         b"raw ": ("u", ">"), b"fl32": ("f", ">"), b"FL32": ("f", ">"), b"fl64": ("f", ">"), b"FL64": ("f", ">")}
#: the sample size of the float encodings, whatever COMM says (libsndfile's repair of files saying 16 bits for fl32)
_AIFC_FLOAT_BITS = {b"fl32": 32, b"FL32": 32, b"fl64": 64, b"FL64": 64}
#: the sample layouts read here: (kind, bytes per sample); "u" unsigned and "i" signed integers, "f" floats
_LAYOUTS = {("u", 1), ("i", 1), ("i", 2), ("i", 3), ("i", 4), ("f", 4), ("f", 8)}


@dataclass
class PcmFile:
    """An open file's samples, read like ``soundfile.SoundFile``: ``read(n)`` -> float32 [shape=(n, channels)].

    Reads the descriptor ``fd`` (which stays the caller's to close) from ``offset`` on.
    """

    fd: int
    samplerate: int
    channels: int
    frames: int
    kind: str          # "u", "i" or "f"
    width: int         # bytes per sample
    order: str         # "<" or ">"
    offset: int        # of the first sample in the file
    pos: int = 0       # frames read so far

    def read(self, n: int, dtype: str = "float32", always_2d: bool = True) -> np.ndarray:
        n = max(0, min(n, self.frames - self.pos))
        step = self.channels * self.width
        raw = os.pread(self.fd, n * step, self.offset + self.pos * step)
        n = len(raw) // step  # fewer when the file shrank since it was opened
        self.pos += n
        return _samples(raw[: n * step], self.kind, self.width, self.order).reshape(n, self.channels)


def _samples(raw: bytes, kind: str, width: int, order: str) -> np.ndarray:
    """Samples -> float32, scaled as libsndfile scales them."""
    if kind == "f":
        return np.frombuffer(raw, dtype=f"{order}f{width}").astype(np.float32)
    if kind == "u":
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - np.float32(128.0)) * np.float32(1 / 128)
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        lo, mid, hi = (b[:, 0], b[:, 1], b[:, 2]) if order == "<" else (b[:, 2], b[:, 1], b[:, 0])
        x = (lo << 8) | (mid << 16) | (hi << 24)  # the top 24 bits of an int32: its sign too
        return x.astype(np.float32) * np.float32(2.0 ** -31)
    x = np.frombuffer(raw, dtype=f"{order}i{width}")
    return x.astype(np.float32) * np.float32(2.0 ** (1 - 8 * width))


def open_pcm(path: str, fd: int) -> PcmFile | None:
    """A PcmFile for the open descriptor ``fd`` of ``path`` when it is a plain WAV or AIFF file this reader takes,
    else None (another format, or a kind left to libsndfile); the descriptor is left at the start of the file.

    Raises AudioError when the sample data chunk promises more bytes than the file holds (truncation):
    libsndfile quietly shortens such files, and a cut-off download or copy should be reported.
    """
    try:
        size = os.fstat(fd).st_size
        head = os.pread(fd, 12, 0)
        if len(head) < 12:
            return None
        if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
            return _wav(path, fd, size, "<" if head[:4] == b"RIFF" else ">")
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            return _aiff(path, fd, size)
        return None
    finally:
        os.lseek(fd, 0, os.SEEK_SET)


def _chunks(fd: int, size: int, order: str):
    """(id, start of its data, length) of each chunk after the 12-byte file header, as long as they fit."""
    pos = 12
    while pos + 8 <= size:
        chunk = os.pread(fd, 8, pos)
        if len(chunk) < 8:
            return
        length = struct.unpack(order + "I", chunk[4:])[0]
        yield chunk[:4], pos + 8, length
        pos += 8 + length + (length & 1)


def _truncated(path: str, what: str, length: int, held: int) -> AudioError:
    return AudioError(path, f"truncated: the {what} promises {length} bytes but the file holds {max(held, 0)}")


def _no_rate(path: str, rate, channels: int) -> AudioError | None:
    """The error for a header with no sample rate or no channels (libsndfile would only say "SF_INFO struct
    incomplete"), or with a rate no header field holds (an AIFF float that is negative, NaN or 2^32 Hz and up: its
    exponent corrupt), else None."""
    if not 1 <= rate < 2**32 or channels < 1:
        return AudioError(path, f"invalid header: sample rate {rate:g} Hz, {channels} channel"
                                f"{'' if channels == 1 else 's'} (a corrupt file)")
    return None


def _wav(path: str, fd: int, size: int, order: str) -> PcmFile | None:
    fmt_chunk = None
    for name, start, length in _chunks(fd, size, order):
        if name == b"fmt ":
            fmt_chunk = os.pread(fd, min(length, 64), start)
        elif name == b"data":
            if length != 0xFFFFFFFF and start + length > size:
                raise _truncated(path, "WAV data chunk", length, size - start)
            if order != "<" or fmt_chunk is None or len(fmt_chunk) < 16 or length in (0, 0xFFFFFFFF):
                return None
            fmt, channels, rate, _, align, bits = struct.unpack("<HHIIHH", fmt_chunk[:16])
            if (error := _no_rate(path, rate, channels)) is not None:
                raise error
            if fmt == _EXTENSIBLE:
                if len(fmt_chunk) < 40 or struct.unpack("<H", fmt_chunk[18:20])[0] not in (0, bits):
                    return None  # valid bits below the container's: left to libsndfile
                fmt = struct.unpack("<H", fmt_chunk[24:26])[0]
            width = bits // 8
            kind = {_PCM: "u" if width == 1 else "i", _FLOAT: "f"}.get(fmt)
            return _layout(fd, rate, channels, length // align if align else 0, kind, width, bits, align, "<", start)
    return None


def _aiff(path: str, fd: int, size: int) -> PcmFile | None:
    comm = None
    for name, start, length in _chunks(fd, size, ">"):
        if name == b"COMM":
            comm = os.pread(fd, min(length, 64), start)
            encoding = _aiff_encoding(comm, length)
        elif name == b"SSND":
            if start + length > size:
                raise _truncated(path, "AIFF sound data chunk", length, size - start)
            if comm is None or len(comm) < 18 or length < 8 or encoding is None:
                return None
            channels, _, bits = struct.unpack(">hIh", comm[:8])
            rate = _aiff_rate(comm)
            if (error := _no_rate(path, rate, channels)) is not None:
                raise error
            kind, order = _AIFC.get(encoding, (None, ">"))
            bits = _AIFC_FLOAT_BITS.get(encoding, bits)
            width = (bits + 7) // 8
            data = start + 8 + struct.unpack(">I", os.pread(fd, 4, start))[0]  # after the offset field
            if rate != int(rate) or channels < 1 or width < 1:
                return None
            # the frames the sound data holds, as libsndfile counts them: COMM's numSampleFrames can be wrong
            frames = (start + length - data) // (channels * width)
            return _layout(fd, int(rate), channels, frames, kind, width, bits, channels * width, order, data)
    return None


def _aiff_encoding(comm: bytes, length: int) -> bytes | None:
    """The sample encoding of a COMM chunk of ``length`` bytes, decided as libsndfile decides it: by the chunk's
    length (padded to even), not by FORM's AIFF or AIFC: 18 bytes are plain big-endian samples ("NONE"), 22 or more
    name their compression, whatever the file type says (a FORM AIFF with a "sowt" COMM exists and plays). None for
    the lengths libsndfile refuses, and for the byte-swapped lengths it repairs: left to it."""
    length += length & 1
    if length == 18:
        return b"NONE"
    if length >= 22 and len(comm) >= 22 and not (length > 0x10000 and length & 0xFFFF == 0):
        return comm[18:22]
    return None


def _aiff_rate(comm: bytes) -> float:
    """The sample rate of a COMM chunk, an 80-bit extended float, with its sign: infinite (or NaN) rather than an
    OverflowError when a corrupt exponent exceeds a double's, so that the header is refused as invalid."""
    exponent, mantissa = struct.unpack(">HQ", comm[8:18])
    e = (exponent & 0x7FFF) - 16383
    if exponent & 0x7FFF == 0:
        rate = 0.0
    elif exponent & 0x7FFF == 0x7FFF and mantissa & ((1 << 63) - 1):
        rate = math.nan
    else:  # 2^1023 is a double's largest power of two, and the 64-bit mantissa may round up to 2^64
        rate = math.ldexp(mantissa, e - 63) if e < 1023 else math.inf
    return -rate if exponent & 0x8000 and rate else rate


def _layout(fd: int, rate: int, channels: int, frames: int, kind: str | None, width: int, bits: int, align: int,
            order: str, offset: int) -> PcmFile | None:
    """The PcmFile, if the layout is one read here: whole bytes per sample, interleaved, nothing unusual."""
    if (kind, width) not in _LAYOUTS or bits != 8 * width or channels < 1 or rate < 1 or align != channels * width \
            or frames < 1:
        return None
    return PcmFile(fd=fd, samplerate=rate, channels=channels, frames=frames, kind=kind, width=width, order=order,
                   offset=offset)
