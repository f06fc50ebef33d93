"""Audio loading: formats, rates, channels, leading silence, short and long files, and clear errors."""

import os

import numpy as np
import pytest

import synth
from oscserver.audio import load_audio
from oscserver.errors import AudioError


@pytest.mark.parametrize("ext,subtype", [("wav", "PCM_16"), ("wav", "PCM_24"), ("wav", "FLOAT"), ("aiff", "PCM_16"),
                                         ("flac", "PCM_16"), ("ogg", "VORBIS"), ("mp3", "MPEG_LAYER_III")])
def test_reads_every_format(tmp_path, ext, subtype):
    y = synth.snare(sr=44100)
    path = synth.write(tmp_path / f"s.{ext}", y, sr=44100, subtype=subtype)
    audio = load_audio(path, sr=22050)
    assert audio.sr == 22050 and audio.source_sr == 44100
    assert abs(len(audio.y) - len(y) / 2) < 1200  # mp3 pads a little
    assert 0.5 < np.max(np.abs(audio.y)) <= 1.0


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 48000, 96000])
def test_any_rate_and_channels_become_mono_at_model_rate(tmp_path, rate):
    y = synth.kick(sr=rate)
    stereo = np.stack([y, 0.5 * y], axis=1)
    audio = load_audio(synth.write(tmp_path / "k.wav", stereo, sr=rate), sr=22050)
    assert audio.y.ndim == 1 and audio.channels == 2
    assert abs(len(audio.y) - len(y) * 22050 / rate) <= 2
    assert abs(np.max(np.abs(audio.y)) - 0.75 * 0.9) < 0.05  # the mean of the channels


def test_leading_silence_is_skipped(tmp_path):
    y = np.concatenate([np.zeros(22050, np.float32), synth.kick()])
    audio = load_audio(synth.write(tmp_path / "late.wav", y), sr=22050)
    assert audio.offset == pytest.approx(1.0, abs=0.01)
    assert np.max(np.abs(audio.y[:200])) > 0.01  # the sound starts within the first 10 ms


def test_silence_longer_than_the_seek_limit_is_an_error_not_a_sound(tmp_path):
    """Beyond max_seek the window is analysed as it is, but a silent window is still an error, never a class."""
    long_silence = synth.write(tmp_path / "silence 36 s.wav", np.zeros(36 * 8000, np.float32), sr=8000)
    with pytest.raises(AudioError, match=r"silence 36 s\.wav: no sample above -60 dBFS in its first \d+ s "
                                         r"\(drumtag looks 30 s into a file"):
        load_audio(long_silence)
    late = np.concatenate([np.zeros(40 * 8000, np.float32), synth.kick(sr=8000)])
    with pytest.raises(AudioError, match="no sample above -60 dBFS in its first"):
        load_audio(synth.write(tmp_path / "kick after 40 s.wav", late, sr=8000))
    # a very quiet intro, then a sound inside the window after it: analysed from the sound, not from 30 s
    for at in (30.5, 34.0):  # blocks of 4.1 s at 8 kHz: the quiet stretch ends at 32.8 s
        intro = np.concatenate([np.zeros(int(at * 8000), np.float32), synth.kick(sr=8000)])
        audio = load_audio(synth.write(tmp_path / "quiet intro.wav", intro, sr=8000), sr=8000)
        assert np.max(np.abs(audio.y[:80])) > 0.1  # the kick within the first 10 ms
        assert audio.offset == pytest.approx(at, abs=0.01)


def test_very_short_file(tmp_path):
    y = synth.hat()[: int(0.01 * synth.SR)]  # 10 ms
    audio = load_audio(synth.write(tmp_path / "tick.wav", y), sr=22050)
    assert 0 < len(audio.y) <= len(y)


def test_a_file_shorter_than_a_millisecond_is_an_error_not_a_label(tmp_path):
    """A one-sample WAV (a broken export) is refused with its length, not classified; 1 ms itself is read."""
    one = synth.write(tmp_path / "one sample.wav", np.full(1, 0.9, np.float32), sr=44100)
    with pytest.raises(AudioError, match=r"one sample\.wav: too short to analyse: 1 sample \(0\.023 ms; "
                                         r"drumtag needs at least 1 ms\)"):
        load_audio(one)
    assert len(load_audio(synth.write(tmp_path / "1 ms.wav", synth.hat()[:45], sr=44100)).y) > 0
    with pytest.raises(AudioError, match=r"44 samples \(0\.998 ms; "):   # not "1 ms", which is enough
        load_audio(synth.write(tmp_path / "44.wav", synth.hat()[:44], sr=44100))


def test_long_file_reads_only_a_bounded_window(tmp_path):
    sr = 22050
    y = (np.random.default_rng(0).standard_normal(sr * 600) * 0.1).astype(np.float32)  # ten minutes
    path = synth.write(tmp_path / "song.wav", y, sr=sr)
    audio = load_audio(path, sr=sr, duration=4.0)
    assert audio.file_duration == pytest.approx(600.0)
    assert len(audio.y) <= int(4.01 * sr)


def test_wave_wrapped_ogg(tmp_path):
    """LMMS ships WAV files whose RIFF header wraps Ogg Vorbis data (format tag 0x674f)."""
    ogg = synth.write(tmp_path / "inner.ogg", synth.snare(), subtype="VORBIS")
    data = open(ogg, "rb").read()
    fmt = (b"fmt " + (18).to_bytes(4, "little") + (0x674F).to_bytes(2, "little") + (1).to_bytes(2, "little")
           + (22050).to_bytes(4, "little") + (44100).to_bytes(4, "little") + (2).to_bytes(2, "little")
           + (16).to_bytes(2, "little") + (0).to_bytes(2, "little"))
    body = b"WAVE" + fmt + b"data" + len(data).to_bytes(4, "little") + data
    wrapped = tmp_path / "wrapped.wav"
    wrapped.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)
    audio = load_audio(wrapped, sr=22050)
    assert len(audio.y) > 1000


def _file(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make,reason", [
    (lambda d: d / "missing.wav", "no such file"),
    (lambda d: d, "is a folder"),
    (lambda d: _file(d / "empty.wav", b""), "empty file"),
    (lambda d: _file(d / "text.wav", b"not audio at all " * 20), "not an audio file"),
    (lambda d: synth.write(d / "silent.wav", synth.silence()), "silent"),
])
def test_bad_input_names_file_and_reason(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(AudioError) as err:
        load_audio(path)
    assert reason in str(err.value)
    assert os.fspath(path) in str(err.value)


@pytest.mark.parametrize("rate", [3, 4_000_000_000])
def test_implausible_sample_rate_from_a_corrupt_header_is_refused(tmp_path, rate):
    """Resampling from 3 Hz (or to 22050 Hz from 4 GHz) would take minutes: such a header is corrupt."""
    path = synth.write(tmp_path / "k.wav", synth.kick(), subtype="PCM_16")
    data = bytearray(open(path, "rb").read())
    data[24:28] = rate.to_bytes(4, "little")  # the fmt chunk's sample rate
    bad = tmp_path / "bad.wav"
    bad.write_bytes(bytes(data))
    with pytest.raises(AudioError, match=f"unsupported sample rate {rate} Hz") as err:
        load_audio(bad)
    assert str(bad) in str(err.value)


def test_a_header_with_no_sample_rate_or_no_channels_says_so(tmp_path):
    """Rate 0 or 0 channels in a WAV's fmt chunk (libsndfile alone says "SF_INFO struct incomplete"), or in an
    AIFF's COMM chunk: the reason names what is missing."""
    wav = bytearray(open(synth.write(tmp_path / "k.wav", synth.kick(), subtype="PCM_16"), "rb").read())
    for offset, size, what in ((24, 4, "sample rate 0 Hz, 1 channel"), (22, 2, "0 channels")):
        bad = bytearray(wav)
        bad[offset:offset + size] = bytes(size)
        (tmp_path / "bad.wav").write_bytes(bytes(bad))
        with pytest.raises(AudioError, match=rf"bad\.wav: invalid header: .*{what} \(a corrupt file\)"):
            load_audio(tmp_path / "bad.wav")
    aiff = bytearray(open(synth.write(tmp_path / "k.aiff", synth.kick(), subtype="PCM_16"), "rb").read())
    comm = aiff.index(b"COMM") + 8
    aiff[comm + 8:comm + 18] = bytes(10)  # the 80-bit float rate: 0
    (tmp_path / "bad.aiff").write_bytes(bytes(aiff))
    with pytest.raises(AudioError, match=r"bad\.aiff: invalid header: sample rate 0 Hz"):
        load_audio(tmp_path / "bad.aiff")


def test_truncated_wav_is_reported(tmp_path):
    path = synth.write(tmp_path / "full.wav", np.tile(synth.kick(), 4), subtype="PCM_16")
    data = open(path, "rb").read()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(AudioError, match="truncated"):
        load_audio(cut)


def test_loading_never_writes(tmp_path):
    path = synth.write(tmp_path / "k.wav", synth.kick())
    before = (os.stat(path).st_mtime_ns, open(path, "rb").read())
    load_audio(path)
    assert (os.stat(path).st_mtime_ns, open(path, "rb").read()) == before


def test_path_longer_than_libsndfile_accepts(tmp_path):
    """libsndfile refuses paths over 1024 bytes; drumtag opens the file itself."""
    folder = tmp_path
    while len(os.fspath(folder)) < 1100:
        folder = folder / ("long folder name ü " * 10)
    path = synth.write(folder / "kick.wav", synth.kick())
    assert len(os.fsencode(path)) > 1024
    assert len(load_audio(path).y) > 1000


@pytest.mark.parametrize("where", ["one-shot", "after 3 s of silence", "long", "after a 34 s silence"])
@pytest.mark.parametrize("reader", ["pcmfile", "libsndfile"])
def test_channels_that_cancel_in_the_mono_mix_are_analysed_as_the_loudest_channel(tmp_path, monkeypatch, where,
                                                                                    reader):
    """R = -L (an inverted channel, a common mistake in stereo one-shots) mixes to silence, but a listener hears the
    sound: the loudest channel is analysed, as a mono file of it would be, whichever reader reads the file and
    however many blocks the onset search and the window take."""
    from oscserver import audio as A

    sr = 8000 if "34 s" in where else 44100
    y = synth.tone(sr=sr, duration=3.0) if where == "long" else synth.kick(sr=sr)
    lead = {"after 3 s of silence": 3 * sr, "after a 34 s silence": 34 * sr}.get(where, 0)
    y = np.concatenate([np.zeros(lead, np.float32), y])
    if reader == "libsndfile":
        monkeypatch.setattr(A, "open_pcm", lambda path, fd: None)
    stereo = load_audio(synth.write(tmp_path / "inverted.wav", np.stack([y, -0.99 * y], axis=1), sr=sr), sr=sr)
    alone = load_audio(synth.write(tmp_path / "left.wav", y, sr=sr), sr=sr)
    np.testing.assert_array_equal(stereo.y, alone.y)
    assert (stereo.offset, stereo.channels) == (alone.offset, 2) and stereo.offset == pytest.approx(lead / sr, abs=0.01)


@pytest.mark.parametrize("channels", [2, 8])
def test_a_sound_in_one_channel_only_is_still_the_mean_of_the_channels(tmp_path, channels):
    """Ordinary files are mixed as always: a hard-panned sound (6 dB down in the mix, 18 dB in 8 channels) is no
    cancelled mix, and its window is exactly the mean of the channels."""
    y = synth.snare(sr=44100)
    frames = np.zeros((len(y), channels), np.float32)
    frames[:, 0] = y
    spread = load_audio(synth.write(tmp_path / "panned.wav", frames, sr=44100, subtype="FLOAT"), sr=44100)
    alone = load_audio(synth.write(tmp_path / "mono.wav", y, sr=44100, subtype="FLOAT"), sr=44100)
    np.testing.assert_array_equal(spread.y, alone.y * np.float32(1 / channels))
