"""The synthesized fixtures make what they claim: where their energy sits, how long they ring, how loud they peak."""

import numpy as np
import pytest

import synth


def _centroid(y, sr=synth.SR):
    spec = np.abs(np.fft.rfft(y))
    f = np.fft.rfftfreq(len(y), 1 / sr)
    return float((f * spec).sum() / spec.sum())


def test_kick_energy_is_low():
    y = synth.kick()
    spec = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(len(y), 1 / synth.SR)
    assert spec[f < 200].sum() / spec.sum() > 0.8


def test_hat_energy_is_high_and_short():
    y = synth.hat()
    assert _centroid(y) > 7000
    assert len(y) / synth.SR <= 0.2
    assert synth.hat(open=True).size > y.size


def test_snare_is_between_kick_and_hat():
    assert _centroid(synth.kick()) < _centroid(synth.snare()) < _centroid(synth.hat())


def test_tone_is_pitched_at_freq():
    y = synth.tone(freq=440.0)
    f = np.fft.rfftfreq(len(y), 1 / synth.SR)
    assert abs(f[np.argmax(np.abs(np.fft.rfft(y)))] - 440.0) < 2


@pytest.mark.parametrize("label", list(synth.GENERATORS))
def test_varied_is_deterministic_and_peaks_where_asked(label):
    a, b = synth.varied(label, 3), synth.varied(label, 3)
    assert np.array_equal(a, b)
    assert a.dtype == np.float32
    assert 0.4 <= np.max(np.abs(a)) <= 0.91
    assert not np.array_equal(a, synth.varied(label, 4)[: len(a)])


def test_silence_is_silent():
    assert not np.any(synth.silence())


def test_make_class_folder_layout(tmp_path):
    root = synth.make_class_folder(tmp_path, per_class=2, packs=2, classes=("kick", "hat"))
    files = sorted(p.relative_to(root).as_posix() for p in tmp_path.rglob("*.wav"))
    assert files == ["hat/pack0/hat_0.wav", "hat/pack0/hat_1.wav", "hat/pack1/hat_2.wav", "hat/pack1/hat_3.wav",
                     "kick/pack0/kick_0.wav", "kick/pack0/kick_1.wav", "kick/pack1/kick_2.wav", "kick/pack1/kick_3.wav"]
