"""Features: the spectral building blocks equal librosa's, and the vector separates the drum classes sensibly."""

import numpy as np
import pytest

import synth
from oscserver import features as F


@pytest.fixture(scope="module")
def librosa():
    return pytest.importorskip("librosa")


def test_stft_matches_librosa(librosa):
    y = synth.snare()
    ours = F.stft(y, n_fft=1024, hop_length=256)
    ref = np.abs(librosa.stft(y, n_fft=1024, hop_length=256, center=True, pad_mode="constant"))
    assert ours.shape == ref.shape
    assert np.allclose(ours, ref, atol=1e-3 * ref.max())


@pytest.mark.parametrize("make", [synth.hat, synth.kick, synth.tone])
def test_spectral_contrast_matches_librosa(librosa, make):
    S = F.stft(make(), n_fft=1024, hop_length=256)
    bands = F.octave_bands(freqs=F.fft_frequencies(sr=22050, n_fft=1024), fmin=200.0, n_bands=6)
    ref = librosa.feature.spectral_contrast(S=S, sr=22050, n_fft=1024, fmin=200.0, n_bands=6, quantile=0.02)
    assert np.allclose(F.spectral_contrast(S=S, bands=bands, quantile=0.02), ref, atol=1e-4)


def test_octave_bands_cover_the_spectrum_in_order():
    bands = F.octave_bands(freqs=F.fft_frequencies(sr=22050, n_fft=1024), fmin=200.0, n_bands=6)
    assert len(bands) == 7 and bands[0][0] == 0 and bands[-1][1] == 513
    assert all(a[1] <= b[0] + 1 for a, b in zip(bands, bands[1:]))  # neighbours share at most the edge bin


@pytest.mark.parametrize("edges", [[0, 3, 9, 20], [0, 3, 9, 19], [2, 3, 9], [0, 3, 3, 9]],
                         ids=["to-the-end", "before-the-end", "from-inside", "an-empty-band"])
def test_band_sums_equal_slice_sums(edges):
    X = np.random.default_rng(0).random((5, 20)).astype(np.float32)
    ref = np.stack([X[:, a:b].sum(axis=1) for a, b in zip(edges[:-1], edges[1:])], axis=1)
    assert np.allclose(F._band_sums(X, np.array(edges)), ref, rtol=1e-6)


def test_band_means_equal_slice_means():
    X = np.random.default_rng(0).random((3, 40))
    bands = [(0, 5), (4, 17), (17, 40)]
    assert np.allclose(F.band_means(X, bands), np.stack([X[:, a:b].mean(axis=1) for a, b in bands], axis=1))


def test_octave_flatness_tells_a_tone_from_noise():
    tone, noise = _named(synth.tone(freq=1000.0, duration=0.5)), _named(synth.noise(duration=0.5))
    # the 800-1600 Hz octave holds the tone: one peak over a quiet floor, against flat noise
    assert tone["octave3_flatness_body"] < 0.1 < noise["octave3_flatness_body"]
    assert tone["octave3_contrast_body"] > noise["octave3_contrast_body"] + 20


def test_centroid_matches_librosa(librosa):
    y = synth.hat()
    S = F.stft(y, n_fft=1024, hop_length=256)
    ref = librosa.feature.spectral_centroid(S=S, sr=22050, n_fft=1024)[0]
    assert np.allclose(F.spectral_centroid(S=S, freqs=F.fft_frequencies(sr=22050, n_fft=1024)), ref, rtol=1e-4)


@pytest.mark.parametrize("freq", [55.0, 110.0, 440.0, 1000.0])
def test_pitch_estimate_finds_a_tone(freq):
    f0, periodicity = F._pitch(synth.tone(freq=freq, duration=0.3), sr=22050, fmin=40, fmax=2000)
    assert f0 == pytest.approx(freq, rel=0.03)
    assert periodicity > 0.9


def test_pitch_of_noise_is_not_periodic():
    assert F._pitch(synth.noise(duration=0.3), sr=22050, fmin=40, fmax=2000)[1] < 0.3


@pytest.mark.parametrize("n", [300, 401, 1000, 2999, 4096])
@pytest.mark.parametrize("freq", [440.0, 1000.0])
def test_pitch_of_a_steady_sine_at_any_segment_length(n, freq):
    """The difference function is exact (no full-length approximation, which read a steady 440 Hz sine as 470-510
    Hz), and right at odd transform sizes too (401 + 200 -> 605 points)."""
    y = np.sin(2 * np.pi * freq * np.arange(n) / 22050).astype(np.float32)
    f0, periodicity = F._pitch(y, sr=22050, fmin=40, fmax=2000)
    assert f0 == pytest.approx(freq, rel=0.01) and periodicity > 0.95


def test_a_batch_gives_each_sound_the_vector_it_gets_alone():
    """extract_batch is what the workers run and extract what training and single files run: the same numbers,
    whatever else is in the batch (lengths from under one frame to the whole window, silence, other levels)."""
    spec = F.FeatureSpec()
    sounds = [synth.kick(), synth.hat()[:300], synth.tone(duration=4.5), np.zeros(2000, np.float32),
              synth.snare() * 0.01, synth.noise(duration=0.02), synth.varied("percussion", 3)]
    durations = [0.5, None, 4.5, 0.1, None, 0.02, 1.0]
    batch = F.extract_batch(sounds, sr=spec.sr, spec=spec, file_durations=durations)
    alone = np.stack([F.extract(y, sr=spec.sr, spec=spec, file_duration=d) for y, d in zip(sounds, durations)])
    assert batch.shape == (len(sounds), len(F.feature_names(spec))) and batch.dtype == np.float32
    assert np.array_equal(batch, alone)
    assert np.array_equal(F.extract_batch(sounds[::-1], sr=spec.sr, spec=spec, file_durations=durations[::-1]),
                          alone[::-1])
    assert F.extract_batch([], sr=spec.sr, spec=spec).shape == (0, len(F.feature_names(spec)))


def _named(y, spec=F.FeatureSpec()):
    return dict(zip(F.feature_names(spec), F.extract(y, sr=spec.sr, spec=spec)))


def test_vector_shape_names_and_finiteness():
    spec = F.FeatureSpec()
    for label in synth.GENERATORS:
        v = F.extract(synth.varied(label, 1), sr=spec.sr, spec=spec)
        assert v.shape == (len(F.feature_names(spec)),) and v.dtype == np.float32
        assert np.all(np.isfinite(v))


def test_features_order_the_classes_as_physics_says():
    kick, snare, hat, tone = (_named(synth.kick()), _named(synth.snare()), _named(synth.hat()),
                              _named(synth.tone(duration=1.5)))
    assert kick["log_centroid_body"] < snare["log_centroid_body"] < hat["log_centroid_body"]
    assert kick["low_high_ratio"] > 0 > hat["low_high_ratio"]
    assert tone["log_duration_60"] > kick["log_duration_60"] > hat["log_duration_60"]
    assert tone["harmonicity"] > 0.9 > hat["harmonicity"]
    assert np.exp(kick["log_pitch"]) < 150


def test_level_does_not_change_features():
    y = synth.snare()
    spec = F.FeatureSpec()
    # rtol too: an octave's contrast above 50 dB rests on near-empty bins, where float32 FFT rounding moves it
    # by hundredths of a dB
    assert np.allclose(F.extract(y, sr=spec.sr, spec=spec), F.extract(0.1 * y, sr=spec.sr, spec=spec),
                       rtol=1e-3, atol=1e-3)


def test_tiny_and_silent_input_give_finite_vectors():
    spec = F.FeatureSpec()
    for y in (synth.hat()[:50], np.zeros(100, np.float32)):
        assert np.all(np.isfinite(F.extract(y, sr=spec.sr, spec=spec)))


def test_wrong_rate_is_refused():
    with pytest.raises(ValueError, match="sr=44100"):
        F.extract(synth.kick(), sr=44100, spec=F.FeatureSpec())


def test_spec_round_trips_through_a_dict():
    spec = F.FeatureSpec()
    assert F.FeatureSpec.from_dict(spec.to_dict()) == spec
