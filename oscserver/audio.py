"""path -> mono float32 at the model's sample rate: the only module that opens audio files.

Reads what libsndfile reads (WAV, AIFF, FLAC, OGG, MP3, ...) plus WAV files that wrap Ogg Vorbis data. Only a
bounded window is decoded: the search for the first non-silent sample stops after ``max_seek`` seconds and the
analysis window after ``duration`` seconds, so a ten-minute song costs about as much as a one-shot.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import stat
from dataclasses import dataclass

import numpy as np

from .errors import BROKEN_LINK, NO_SUCH_FILE, NOT_REGULAR_FILE, PERMISSION_DENIED, AudioError
from .pcmfile import open_pcm

log = logging.getLogger(__name__)

#: File name extensions treated as audio when walking folders.
AUDIO_EXTENSIONS = frozenset({
    ".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".caf", ".w64",
    ".rf64", ".au", ".snd", ".wv",
})
#: What the files of the formats above start with (bytes 0-3, and 8-11 for RIFF-style containers): how a file is
#: known to be audio whatever its name, so that drumtag never writes over one (``atomicfile.check_writable``).
_MAGIC = (b"RIFF", b"RF64", b"BW64", b"FORM", b"fLaC", b"OggS", b"ID3", b"caff", b".snd", b"wvpk", b"riff")


def looks_like_audio(head: bytes) -> bool:
    """Whether a file starting with ``head`` (its first 12 bytes or more) is audio of a format drumtag reads,
    including MP3 without an ID3 tag (an MPEG frame sync)."""
    if head.startswith(_MAGIC):
        return True
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0


#: Samples at or below this level (dBFS) count as silence when looking for the start of the sound.
SILENCE_DB = -60.0
#: Sample rates outside these (Hz) are refused: no recording uses them, and only a corrupt header gives them.
MIN_RATE, MAX_RATE = 1000, 768000
#: Files shorter than this (seconds) are refused: no hit is that short, only a broken export or a stray file is.
MIN_DURATION = 0.001
#: A mono mix this far (dB) below its loudest channel has cancelled out (a channel with inverted polarity): that
#: channel is analysed instead, the sound a listener hears in stereo. No ordinary mix comes near: a sound in one
#: channel only is 6 dB down in stereo, 18 dB down in an 8-channel file.
CANCELLED_DB = 30.0
_BLOCK = 1 << 15


@dataclass(frozen=True)
class Audio:
    """A decoded analysis window. ``y : np.ndarray [shape=(n,), dtype=float32]`` at ``sr``."""

    y: np.ndarray
    sr: int
    #: length of the whole file in seconds (from its header)
    file_duration: float
    #: where the window starts in the file (the first non-silent sample, minus a little pre-roll), seconds
    offset: float
    channels: int
    source_sr: int


def _open(path: str, stack: contextlib.ExitStack):
    """A ``pcmfile.PcmFile`` for a plain WAV or AIFF file, else a soundfile.SoundFile for ``path``, closed with
    ``stack``; WAVE-wrapped Ogg is unwrapped in memory; a truncated WAV file raises AudioError.

    The file is opened here and handed to libsndfile as a descriptor: libsndfile itself refuses paths longer than
    1024 bytes, and a Python file object would cost a callback per read (a quarter of the decode time).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    stack.callback(os.close, fd)  # ours to close, even when libsndfile refuses the file
    pcm = open_pcm(path, fd)  # plain WAV or AIFF: read with numpy (raises AudioError when truncated)
    if pcm is not None:
        return pcm
    import soundfile as sf

    try:
        return stack.enter_context(sf.SoundFile(fd, closefd=False))
    except sf.LibsndfileError as exc:
        reason = str(exc)
    except (OSError, RuntimeError) as exc:  # older soundfile raises RuntimeError
        reason = str(exc)
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            data = head + f.read()
            start = data.find(b"OggS")
            if start >= 0:
                try:
                    return stack.enter_context(sf.SoundFile(io.BytesIO(data[start:])))
                except (sf.LibsndfileError, RuntimeError) as exc:
                    raise AudioError(path, f"WAV file wrapping Ogg data that cannot be decoded ({exc})") from None
    reason = reason.split(":", 1)[-1].strip() if "Error opening" in reason else reason
    raise AudioError(path, f"not an audio file that libsndfile can read ({reason})")


def check_path(path: str | os.PathLike) -> str:
    """Raise AudioError unless ``path`` is an existing, non-empty, readable regular file; return it as str."""
    path = os.fspath(path)
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode) and st.st_size > 0 and os.access(path, os.R_OK):
            return path  # the common case, in two system calls; the checks below name what is wrong
    except (OSError, ValueError):
        pass
    if not os.path.lexists(path):
        raise AudioError(path, NO_SUCH_FILE)
    if os.path.isdir(path):
        raise AudioError(path, "is a folder, not an audio file")
    if not os.path.exists(path):
        raise AudioError(path, BROKEN_LINK)
    if not os.path.isfile(path):
        raise AudioError(path, NOT_REGULAR_FILE)
    if os.path.getsize(path) == 0:
        raise AudioError(path, "empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise AudioError(path, PERMISSION_DENIED)
    return path


def _mono(block: np.ndarray) -> np.ndarray:
    """Mean of the channels of ``block [shape=(n, channels)]``, column by column: numpy's ``mean(axis=1)`` over a
    few channels is several times slower."""
    if block.shape[1] == 1:
        return block[:, 0]
    out = block[:, 0].copy()
    for c in range(1, block.shape[1]):
        out += block[:, c]
    out *= np.float32(1.0 / block.shape[1])
    return out


def _mix(frames: np.ndarray, path: str) -> np.ndarray:
    """The analysed signal of the window ``frames [shape=(n, channels)]``: the mean of the channels, or the loudest
    channel when they cancel in the mean (``CANCELLED_DB``), where analysing the mean would classify near-silence.

    Decided on the whole window, never block by block, so that every reader and block size gives the same signal.
    """
    y = _mono(frames)
    if frames.shape[1] == 1 or not len(y):
        return y
    loudest = _peak(frames)  # the loudest channel's peak: the peak of all samples (flat, so no slow axis=0 pass)
    if _peak(y) < loudest * 10.0 ** (-CANCELLED_DB / 20.0):
        channel = next(c for c in range(frames.shape[1]) if _peak(frames[:, c]) == loudest)
        log.info("%s: its channels cancel out in a mono mix (one with inverted polarity?); analysing channel %d",
                 path, channel + 1)
        return np.ascontiguousarray(frames[:, channel])
    return y


def _peak(x: np.ndarray) -> float:
    """The largest absolute sample of ``x``, without the temporary array of ``np.abs``; NaN if it holds a NaN."""
    return max(float(np.max(x)), -float(np.min(x)))


def _first_above(block: np.ndarray, threshold: float) -> int | None:
    """Index of the first frame of ``block [shape=(n, channels)]`` with a sample above ``threshold`` in any channel."""
    first = None
    for c in range(block.shape[1]):
        loud = np.abs(block[:, c]) > threshold
        i = int(np.argmax(loud))  # argmax stops at the first True
        if loud[i] and (first is None or i < first):
            first = i
    return first


def load_audio(path: str | os.PathLike, *, sr: int = 22050, duration: float = 4.0, max_seek: float = 30.0,
               preroll: float = 0.005) -> Audio:
    """Decode the analysis window of ``path``: from just before its first sample above -60 dBFS, ``duration`` s long,
    the mean of its channels (or its loudest channel, when the channels cancel out in the mean: ``_mix``).

    If nothing rises above -60 dBFS within ``max_seek`` seconds, the window after that quiet stretch is analysed
    from its first sound (a song with a very quiet intro, a hit after a long silence), unless it is silent too.

    Raises AudioError (naming the file and the reason) for missing, empty, unreadable, non-audio, silent or
    truncated files and for folders.
    """
    path = check_path(path)
    threshold = 10.0 ** (SILENCE_DB / 20.0)
    with contextlib.ExitStack() as stack:
        try:
            f = _open(path, stack)
        except PermissionError:
            raise AudioError(path, PERMISSION_DENIED) from None
        except OSError as exc:
            raise AudioError(path, f"cannot read ({exc.strerror or exc})") from None
        src_sr, channels, frames = f.samplerate, f.channels, f.frames
        if src_sr <= 0 or channels <= 0:
            raise AudioError(path, "invalid header (no sample rate or channels)")
        if not MIN_RATE <= src_sr <= MAX_RATE:  # a corrupt header: resampling from it could take minutes
            raise AudioError(path, f"unsupported sample rate {src_sr} Hz (drumtag reads {MIN_RATE}-{MAX_RATE} Hz)")
        if frames == 0:
            raise AudioError(path, "contains no audio frames")
        if 0 < frames < MIN_DURATION * src_sr:
            raise AudioError(path, f"too short to analyse: {frames} sample{'s' if frames > 1 else ''} "
                                   f"({frames / src_sr * 1000:.3f} ms; drumtag needs at least "
                                   f"{MIN_DURATION * 1000:g} ms)")
        file_duration = frames / src_sr if frames > 0 else float("nan")
        window = int(round(duration * src_sr))
        seek_limit = int(max_seek * src_sr)
        pre = int(preroll * src_sr)
        kept: list[np.ndarray] = []  # blocks of frames [shape=(n, channels)], mixed once the window is whole
        start = None  # index in the file of the first non-silent sample
        heard = False  # whether a sample above the threshold was found before max_seek
        pos = 0
        tail = np.zeros((0, channels), dtype=np.float32)  # the last `pre` frames before the current block
        try:
            while True:
                if start is None:
                    block = f.read(_BLOCK, dtype="float32", always_2d=True)
                    if not len(block):
                        break
                    loud = _first_above(block, threshold)
                    if loud is not None:
                        start, heard = pos + loud, True
                        joined = np.concatenate([tail, block]) if len(tail) else block
                        first = len(tail) + loud
                        kept.append(joined[max(0, first - pre):])
                    else:
                        tail = block[-pre:] if pre else tail
                        if pos + len(block) >= seek_limit:
                            # no onset within max_seek: analyse what follows the quiet stretch as it is
                            start = pos + len(block)
                    pos += len(block)
                else:
                    have = sum(len(k) for k in kept)
                    if have >= window + pre:
                        break
                    block = f.read(min(_BLOCK, window + pre - have), dtype="float32", always_2d=True)
                    if not len(block):
                        break
                    kept.append(block)
                    pos += len(block)
        except RuntimeError as exc:  # soundfile's LibsndfileError is one
            raise AudioError(path, f"truncated or corrupt audio data ({exc})") from None
        except OSError as exc:
            raise AudioError(path, f"cannot read ({exc.strerror or exc})") from None
        if frames > 0 and pos < min(frames, seek_limit) and start is None:
            raise AudioError(path, f"truncated: the header promises {frames} frames but only {pos} could be read")
    if start is None or not kept:
        raise AudioError(path, f"silent: no sample above {SILENCE_DB:.0f} dBFS")
    y = _mix((kept[0] if len(kept) == 1 else np.concatenate(kept))[: window + pre], path)  # a one-shot: one block
    if not heard:
        loud = np.flatnonzero(np.abs(y) > threshold)
        if not loud.size:
            raise AudioError(path, f"no sample above {SILENCE_DB:.0f} dBFS in its first "
                                   f"{(start + len(y)) / src_sr:.0f} s (drumtag looks {max_seek:g} s into a file "
                                   "for the start of the sound)")
        # the window after the quiet stretch: its own leading silence is skipped too (a hit 2 s into it is
        # analysed from the hit, on what is left of the window)
        skip = max(0, int(loud[0]) - pre)
        y, start = y[skip:], start + skip + pre
    if not np.all(np.isfinite(y)):
        raise AudioError(path, "contains NaN or infinite samples")
    if src_sr != sr:
        import soxr

        y = soxr.resample(y, src_sr, sr, quality="HQ").astype(np.float32, copy=False)
    return Audio(y=y, sr=sr, file_duration=file_duration, offset=max(0, start - pre) / src_sr,
                 channels=channels, source_sr=src_sr)
