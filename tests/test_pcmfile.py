"""The numpy WAV and AIFF reader: the same samples as libsndfile for every layout it takes, libsndfile for the rest,
and truncated files reported."""

import math
import os
import struct

import numpy as np
import pytest
import soundfile as sf

import synth
from oscserver.audio import MAX_RATE, MIN_RATE, load_audio
from oscserver.errors import AudioError
from oscserver.pcmfile import PcmFile, open_pcm


def signal(channels: int, n: int = 3000) -> np.ndarray:
    """Full-scale content with both extremes, so that every bit of the sample format matters."""
    rng = np.random.default_rng(channels)
    y = rng.uniform(-1.0, 1.0, size=(n, channels)).astype(np.float32)
    y[0], y[1] = 1.0, -1.0
    return y


def opened(path):
    fd = os.open(path, os.O_RDONLY)
    return fd, open_pcm(str(path), fd)


def read_blocks(f, sizes):
    return np.concatenate([f.read(n, dtype="float32", always_2d=True) for n in sizes])


LAYOUTS = ([("WAV", st, "FILE") for st in ("PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE")]
           + [("WAVEX", st, "FILE") for st in ("PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE")]
           + [("AIFF", st, "FILE") for st in ("PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE")]
           + [("AIFF", st, "LITTLE") for st in ("PCM_16", "PCM_24", "PCM_32")])  # AIFC sowt, 42n1, 23ni


@pytest.mark.parametrize("container, subtype, endian", LAYOUTS)
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_same_samples_as_libsndfile(tmp_path, container, subtype, endian, channels):
    path = tmp_path / ("s.aiff" if container == "AIFF" else "s.wav")
    sf.write(path, signal(channels), 44100, subtype=subtype, format=container, endian=endian)
    fd, pcm = opened(path)
    try:
        assert isinstance(pcm, PcmFile) and (pcm.samplerate, pcm.channels) == (44100, channels)
        with sf.SoundFile(path) as ref:
            assert pcm.frames == ref.frames
            ours = read_blocks(pcm, [1000, 1500, 1000, 10])   # past the end: only what is there
            theirs = ref.read(dtype="float32", always_2d=True)
        assert ours.dtype == np.float32 and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    finally:
        os.close(fd)


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 48000, 96000, 192000])
def test_aiff_sample_rates_from_their_80_bit_floats(tmp_path, rate):
    path = tmp_path / "s.aiff"
    sf.write(path, signal(1, 100), rate, subtype="PCM_16", format="AIFF")
    fd, pcm = opened(path)
    os.close(fd)
    assert pcm.samplerate == rate


def with_chunk_before_data(data: bytes, name: bytes, payload: bytes) -> bytes:
    """``data`` (a RIFF/WAVE file) with a chunk inserted after ``fmt `` (odd sizes get their pad byte)."""
    riff, _, wave = data[:4], data[4:8], data[8:12]
    fmt_len = struct.unpack("<I", data[16:20])[0]
    cut = 20 + fmt_len
    chunk = name + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)
    body = wave + data[12:cut] + chunk + data[cut:]
    return riff + struct.pack("<I", len(body)) + body


def test_chunks_of_any_size_before_the_data_are_skipped(tmp_path):
    src = tmp_path / "a.wav"
    sf.write(src, signal(2), 22050, subtype="PCM_16")
    path = tmp_path / "b.wav"
    path.write_bytes(with_chunk_before_data(src.read_bytes(), b"LIST", b"INFOISFT\x03\x00\x00\x00ab\x00"))
    fd, wav = opened(path)
    try:
        np.testing.assert_array_equal(wav.read(10**6), sf.read(src, dtype="float32", always_2d=True)[0])
    finally:
        os.close(fd)


@pytest.mark.parametrize("kind", ["RIFX", "flac", "WAV-wrapped Ogg", "valid bits below the container", "AIFF u-law"])
def test_other_layouts_are_left_to_libsndfile_and_still_load(tmp_path, kind):
    path = tmp_path / "s.wav"
    y = synth.snare()
    if kind == "RIFX":
        sf.write(path, y, synth.SR, subtype="PCM_16", endian="BIG")
    elif kind == "flac":
        path = synth.write(tmp_path / "s.flac", y)
    elif kind == "AIFF u-law":
        path = tmp_path / "s.aiff"
        sf.write(path, y, synth.SR, subtype="ULAW", format="AIFF")
    elif kind == "WAV-wrapped Ogg":
        with open(synth.write(tmp_path / "inner.ogg", y, subtype="VORBIS"), "rb") as f:
            ogg = f.read()
        fmt = b"fmt " + struct.pack("<IHHIIHHH", 18, 0x674F, 1, 22050, 44100, 2, 16, 0)
        body = b"WAVE" + fmt + b"data" + struct.pack("<I", len(ogg)) + ogg
        path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    else:  # 20 valid bits in a 24-bit container (WAVEX): libsndfile's business
        sf.write(path, y, synth.SR, subtype="PCM_24", format="WAVEX")
        data = bytearray(path.read_bytes())
        data[38:40] = struct.pack("<H", 20)  # wValidBitsPerSample
        path.write_bytes(bytes(data))
    fd, wav = opened(path)
    os.close(fd)
    assert wav is None
    audio = load_audio(path, sr=synth.SR)
    assert len(audio.y) > 1000 and 0.3 < np.max(np.abs(audio.y)) <= 1.0


def test_load_audio_gives_the_same_window_through_either_reader(tmp_path, monkeypatch):
    """Leading silence, a stereo 24-bit file, resampling: numpy's reading and libsndfile's agree exactly."""
    from oscserver import audio as A

    y = np.concatenate([np.zeros(3000, np.float32), synth.kick(sr=44100)])
    path = synth.write(tmp_path / "k.wav", np.stack([y, 0.3 * y], axis=1), sr=44100, subtype="PCM_24")
    ours = load_audio(path, sr=22050)
    monkeypatch.setattr(A, "open_pcm", lambda path, fd: None)
    theirs = load_audio(path, sr=22050)
    np.testing.assert_array_equal(ours.y, theirs.y)
    assert (ours.offset, ours.file_duration, ours.channels) == (theirs.offset, theirs.file_duration, theirs.channels)


def test_a_truncated_aiff_file_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "full.aiff"
    sf.write(path, np.tile(synth.kick(), 4), synth.SR, subtype="PCM_16", format="AIFF")
    cut = tmp_path / "cut.aiff"
    cut.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(AudioError, match="truncated: the AIFF sound data chunk promises") as err:
        load_audio(cut)
    assert str(cut) in str(err.value)


def ext80(rate: float) -> bytes:
    """``rate`` as the 80-bit extended float of an AIFF COMM chunk."""
    m, e = math.frexp(rate)
    return struct.pack(">HQ", e - 1 + 16383, int(m * 2**64))


def aiff_file(form: bytes, samples: bytes, *, channels: int = 1, frames: int | None = None, bits: int = 16,
              rate: bytes = ext80(44100), comm_tail: bytes = b"") -> bytes:
    """A FORM ``form`` file written by hand: a COMM chunk (18 bytes, then ``comm_tail``: an AIFC encoding) saying
    ``frames`` (by default what ``samples`` hold), and an SSND chunk holding ``samples``."""
    frames = len(samples) // (channels * bits // 8) if frames is None else frames

    def chunk(name: bytes, data: bytes) -> bytes:
        return name + struct.pack(">I", len(data)) + data + b"\0" * (len(data) & 1)

    comm = struct.pack(">hIh", channels, frames, bits) + rate + comm_tail
    body = form + chunk(b"COMM", comm) + chunk(b"SSND", struct.pack(">II", 0, 0) + samples)
    return b"FORM" + struct.pack(">I", len(body)) + body


def pcm_and_libsndfile(path):
    """(pcmfile's samples or None when it leaves the file to libsndfile, libsndfile's samples)."""
    fd, pcm = opened(path)
    try:
        ours = None if pcm is None else pcm.read(10**7)
    finally:
        os.close(fd)
    return ours, sf.read(path, dtype="float32", always_2d=True)[0]


@pytest.mark.parametrize("form, comm_tail, order", [
    (b"AIFF", b"sowt\0\0", "<"),            # a FORM AIFF with an AIFC COMM: libsndfile reads it little-endian
    (b"AIFF", b"sowt\x03abc", "<"),          # the long form, with a compression name
    (b"AIFF", b"twos\0\0", ">"),
    (b"AIFC", b"", ">"),                     # an AIFC with an 18-byte COMM: plain big-endian samples
    (b"AIFC", b"sowt\0\0", "<"),
])
def test_the_aiff_sample_encoding_follows_the_comm_chunk_length_as_in_libsndfile(tmp_path, form, comm_tail, order):
    """libsndfile decides the encoding from the COMM chunk's length, whatever FORM says: so does pcmfile."""
    y = synth.kick(sr=44100)
    path = tmp_path / "k.aiff"
    path.write_bytes(aiff_file(form, (y * 32767).astype(f"{order}i2").tobytes(), comm_tail=comm_tail))
    ours, theirs = pcm_and_libsndfile(path)
    assert ours is not None
    np.testing.assert_array_equal(ours, theirs)
    assert np.max(np.abs(ours[:, 0] - y)) < 1e-4  # the kick, not byte-swapped noise
    window = load_audio(path, sr=44100).y
    np.testing.assert_array_equal(window, theirs[: len(window), 0])


@pytest.mark.parametrize("encoding, bits, dtype", [(b"fl32", 16, ">f4"), (b"FL64", 32, ">f8")])
def test_a_float_encoding_has_its_own_sample_size_whatever_comm_says(tmp_path, encoding, bits, dtype):
    """libsndfile repairs "fl32" files whose COMM says 16 bits (they exist): their samples are 32-bit floats."""
    y = synth.snare(sr=44100)
    path = tmp_path / "s.aiff"
    path.write_bytes(aiff_file(b"AIFC", y.astype(dtype).tobytes(), bits=bits, comm_tail=encoding + b"\0\0",
                               frames=len(y)))
    ours, theirs = pcm_and_libsndfile(path)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours[:, 0], y)


@pytest.mark.parametrize("comm_tail", [b"so", b"sow"])  # 20 and 21 (padded to 22, the pad byte the encoding's)
def test_a_comm_chunk_of_a_length_libsndfile_refuses_is_left_to_it(tmp_path, comm_tail):
    path = tmp_path / "k.aiff"
    path.write_bytes(aiff_file(b"AIFF", (synth.kick() * 32767).astype(">i2").tobytes(), comm_tail=comm_tail))
    fd, pcm = opened(path)
    os.close(fd)
    assert pcm is None


@pytest.mark.parametrize("comm_frames", [0, 10, 22049, 22051, 22150])
def test_aiff_frames_come_from_the_sound_data_as_in_libsndfile(tmp_path, comm_frames):
    """A COMM frame count that disagrees with a whole SSND chunk (a writer's mistake) neither cuts the file short
    nor makes it "truncated": libsndfile and every player read what the sound data holds."""
    y = np.stack([synth.kick(sr=44100), -0.5 * synth.kick(sr=44100)], axis=1)[:22050]
    path = tmp_path / "k.aiff"
    path.write_bytes(aiff_file(b"AIFF", (y * 32767).astype(">i2").tobytes(), channels=2, frames=comm_frames))
    ours, theirs = pcm_and_libsndfile(path)
    assert ours is not None and len(theirs) == 22050
    np.testing.assert_array_equal(ours, theirs)
    assert load_audio(path, sr=44100).file_duration == pytest.approx(0.5)


@pytest.mark.parametrize("exponent, mantissa, rate", [
    (0x7FFE, 1 << 63, "inf"),                 # an exponent far beyond a double's
    (16383 + 1100, 1 << 63, "inf"),
    (16383 + 40, 1 << 63, r"1\.09951e\+12"),  # finite, but beyond what a sample rate field holds
    (0x7FFF, 0, "inf"),                       # the infinity encoding
    (0x7FFF, (1 << 63) | 1, "nan"),           # a NaN
    (0x8000 | (16383 + 15), 44100 << 48, "-44100"),  # the sign bit: libsndfile refuses a negative rate too
])
def test_a_corrupt_aiff_sample_rate_is_an_invalid_header_not_an_overflow(tmp_path, exponent, mantissa, rate):
    path = tmp_path / "bad.aiff"
    path.write_bytes(aiff_file(b"AIFF", (synth.kick() * 32767).astype(">i2").tobytes(),
                               rate=struct.pack(">HQ", exponent, mantissa)))
    with pytest.raises(AudioError, match=rf"bad\.aiff: invalid header: sample rate {rate} Hz, 1 channel \(a corrupt"):
        load_audio(path)


def test_a_truncated_data_chunk_is_an_error_naming_the_file(tmp_path):
    path = synth.write(tmp_path / "full.wav", np.tile(synth.kick(), 4), subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(open(path, "rb").read()[:5000])
    fd = os.open(cut, os.O_RDONLY)
    try:
        with pytest.raises(AudioError, match="truncated: the WAV data chunk promises") as err:
            open_pcm(str(cut), fd)
        assert str(cut) in str(err.value)
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0
    finally:
        os.close(fd)


def test_corrupt_headers_give_an_error_or_the_samples_libsndfile_gives(tmp_path):
    """Random bytes in the headers of real WAV and AIFF files: load_audio raises AudioError or reads audio, never
    anything else; and where both readers take the file, numpy's samples are libsndfile's."""
    import random

    bases = [open(synth.write(tmp_path / f"b_{st}.wav", np.stack([synth.snare()] * 2, axis=1), subtype=st),
                  "rb").read() for st in ("PCM_16", "PCM_24", "FLOAT", "PCM_U8")]
    for st, endian in (("PCM_16", "FILE"), ("PCM_24", "LITTLE"), ("FLOAT", "FILE")):
        sf.write(tmp_path / "b.aiff", np.stack([synth.snare()] * 2, axis=1), synth.SR, subtype=st, format="AIFF",
                 endian=endian)
        bases.append((tmp_path / "b.aiff").read_bytes())
    rng = random.Random(0)
    path = tmp_path / "f.wav"
    compared = 0
    for _ in range(400):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(60)] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(12, len(data))]
        path.write_bytes(bytes(data))
        try:
            audio = load_audio(path)
            assert audio.y.dtype == np.float32 and np.all(np.isfinite(audio.y))
        except AudioError:
            pass
        fd = os.open(path, os.O_RDONLY)
        try:
            wav = open_pcm(str(path), fd)
            ours = wav.read(10**7) if wav is not None else None
        except AudioError:
            ours = None
        finally:
            os.close(fd)
        if ours is None:
            continue
        try:
            theirs, rate = sf.read(path, dtype="float32", always_2d=True)
        except RuntimeError:
            continue  # libsndfile refuses what numpy reads (a corrupt RIFF size, say): the samples are intact
        if MIN_RATE <= wav.samplerate <= MAX_RATE:  # beyond, load_audio refuses the file whichever reader read it
            assert rate == wav.samplerate
        np.testing.assert_array_equal(ours, theirs)
        compared += 1
    assert compared > 50
