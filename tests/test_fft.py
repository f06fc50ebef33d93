import numpy as np
import pytest
import scipy.fft

from oscserver import fft


@pytest.fixture(params=["pocketfft", "scipy.fft"])
def backend(request, monkeypatch):
    """Both paths: scipy's pocketfft module loaded on its own, and scipy.fft when it cannot be."""
    if request.param == "scipy.fft":
        monkeypatch.setattr(fft, "backend", lambda: None)
    else:
        assert fft.backend() is not None, "pocketfft should load on its own with the pinned scipy"
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_rfft_of_frames_equals_scipy(backend, dtype):
    x = (np.random.default_rng(0).standard_normal((7, 1024)) * 100).astype(dtype)
    got, ref = fft.rfft(x, axis=1), scipy.fft.rfft(x, axis=1)
    assert got.dtype == ref.dtype
    assert np.allclose(got, ref, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("n", [8192, 4800, 100])
def test_rfft_pads_or_cuts_to_n_points_as_scipy(backend, n):
    x = np.random.default_rng(1).standard_normal(4000).astype(np.float32)
    assert np.allclose(fft.rfft(x, n), scipy.fft.rfft(x, n), rtol=1e-5, atol=1e-3)


def test_irfft_inverts_rfft_as_scipy(backend):
    x = np.random.default_rng(2).standard_normal(4800).astype(np.float32)
    X = fft.rfft(x)
    assert np.allclose(fft.irfft(X), scipy.fft.irfft(X), atol=1e-5)
    assert np.allclose(fft.irfft(np.abs(X) ** 2, 4800), scipy.fft.irfft(np.abs(X) ** 2, 4800), rtol=1e-4, atol=1e-2)
    assert np.allclose(fft.irfft(X, 4800), x, atol=1e-4)


def test_next_fast_len_as_scipy(backend):
    for n in (1, 17, 4647, 8191):
        assert fft.next_fast_len(n, real=True) == scipy.fft.next_fast_len(n, real=True)


def test_features_need_no_scipy_fft_import():
    """A fresh process extracts features without importing scipy.fft (0.2 s of start-up)."""
    import subprocess
    import sys

    code = ("import sys, numpy as np; from oscserver.features import FeatureSpec, extract; "
            "y = np.sin(np.arange(22050) / 3).astype(np.float32); extract(y, sr=22050, spec=FeatureSpec()); "
            "print('scipy.fft' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
