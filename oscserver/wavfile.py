"""Plain RIFF/WAVE files (integer PCM or float samples) read with numpy, and the truncation check of every WAV file.

WAV is what sample libraries hold most, and reading one straight from its bytes takes a fraction of what going
through libsndfile costs per file (opening it through soundfile alone costs more than decoding a one-shot). The
samples come out exactly as libsndfile gives them: integers scaled by 1 / 2^(bits - 1), 8-bit unsigned around
128, floats as they are. Anything else (RIFX, RF64, compressed or odd layouts, WAVE-wrapped Ogg) is left to
libsndfile by ``audio.py``.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import numpy as np

from .errors import AudioError

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
#: (format, bytes per sample) -> numpy dtype of the stored samples (24-bit ones are assembled from bytes)
_DTYPES = {(_PCM, 1): np.dtype("u1"), (_PCM, 2): np.dtype("<i2"), (_PCM, 3): None, (_PCM, 4): np.dtype("<i4"),
           (_FLOAT, 4): np.dtype("<f4"), (_FLOAT, 8): np.dtype("<f8")}


@dataclass
class WavFile:
    """An open WAV file's samples, read like ``soundfile.SoundFile``: ``read(n)`` -> float32 [shape=(n, channels)].

    Reads the descriptor ``fd`` (which stays the caller's to close) at ``offset`` onwards.
    """

    fd: int
    samplerate: int
    channels: int
    frames: int
    fmt: int           # _PCM or _FLOAT
    width: int         # bytes per sample
    offset: int        # of the first sample in the file
    pos: int = 0       # frames read so far

    def read(self, n: int, dtype: str = "float32", always_2d: bool = True) -> np.ndarray:
        n = max(0, min(n, self.frames - self.pos))
        step = self.channels * self.width
        raw = os.pread(self.fd, n * step, self.offset + self.pos * step)
        n = len(raw) // step  # fewer when the file shrank since it was opened
        self.pos += n
        return _samples(raw[: n * step], self.fmt, self.width).reshape(n, self.channels)


def _samples(raw: bytes, fmt: int, width: int) -> np.ndarray:
    """Little-endian samples -> float32, scaled as libsndfile scales them."""
    if fmt == _FLOAT:
        return np.frombuffer(raw, dtype=_DTYPES[fmt, width]).astype(np.float32)
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        x = (b[:, 0] << 8) | (b[:, 1] << 16) | (b[:, 2] << 24)  # the top 24 bits of an int32: its sign too
        return x.astype(np.float32) * np.float32(2.0 ** -31)
    x = np.frombuffer(raw, dtype=_DTYPES[fmt, width])
    if width == 1:
        return (x.astype(np.float32) - np.float32(128.0)) * np.float32(1 / 128)
    return x.astype(np.float32) * np.float32(2.0 ** (1 - 8 * width))


def open_wav(path: str, fd: int) -> WavFile | None:
    """A WavFile for the open descriptor ``fd`` of ``path`` when it is a plain RIFF/WAVE file this reader takes,
    else None (not WAV, or a kind left to libsndfile), the descriptor then back at the start of the file.

    Raises AudioError when the data chunk of a RIFF/WAVE file promises more bytes than the file holds
    (truncation): libsndfile quietly shortens such files, and a cut-off download or copy should be reported.
    """
    try:
        size = os.fstat(fd).st_size
        head = os.pread(fd, 12, 0)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
            return None
        order = "<" if head[:4] == b"RIFF" else ">"
        fmt_chunk = None
        pos = 12
        while pos + 8 <= size:
            chunk = os.pread(fd, 8, pos)
            if len(chunk) < 8:
                return None
            length = struct.unpack(order + "I", chunk[4:])[0]
            if chunk[:4] == b"fmt ":
                fmt_chunk = os.pread(fd, min(length, 64), pos + 8)
            elif chunk[:4] == b"data":
                if length != 0xFFFFFFFF and pos + 8 + length > size:
                    raise AudioError(path, f"truncated: the WAV data chunk promises {length} bytes "
                                           f"but the file holds {size - pos - 8}")
                return _wav(fd, order, fmt_chunk, pos + 8, length)
            pos += 8 + length + (length & 1)
        return None
    finally:
        os.lseek(fd, 0, os.SEEK_SET)


def _wav(fd: int, order: str, fmt_chunk: bytes | None, offset: int, length: int) -> WavFile | None:
    if order != "<" or fmt_chunk is None or len(fmt_chunk) < 16 or length in (0, 0xFFFFFFFF):
        return None
    fmt, channels, rate, _, align, bits = struct.unpack("<HHIIHH", fmt_chunk[:16])
    if fmt == _EXTENSIBLE:
        if len(fmt_chunk) < 40 or struct.unpack("<H", fmt_chunk[18:20])[0] not in (0, bits):
            return None  # valid bits below the container's: left to libsndfile
        fmt = struct.unpack("<H", fmt_chunk[24:26])[0]
    width = bits // 8
    if (fmt, width) not in _DTYPES or bits != 8 * width or channels < 1 or rate < 1 or align != channels * width:
        return None
    return WavFile(fd=fd, samplerate=rate, channels=channels, frames=length // align, fmt=fmt, width=width,
                   offset=offset)
