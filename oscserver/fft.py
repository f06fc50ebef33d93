"""Real FFTs for feature extraction: scipy's pocketfft, without the 0.2 s of ``import scipy.fft``.

``import scipy.fft`` pulls in scipy.special and scipy's array-API layer: about 0.2 s, most of a cold
``drumtag classify`` and of a worker's start-up. The transforms themselves are one compiled module inside scipy,
``scipy/fft/_pocketfft/pypocketfft``, which loads in a millisecond. ``rfft`` and ``irfft`` call it directly, as
``scipy.fft`` does (same arguments, same results), and use ``scipy.fft`` itself when a scipy release has moved or
changed the module.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import logging
import os

import numpy as np

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def backend():
    """scipy's compiled pocketfft module, loaded on its own; None when it cannot be (then scipy.fft is used)."""
    try:
        scipy = importlib.util.find_spec("scipy")
        folder = os.path.join(os.path.dirname(scipy.origin), "fft", "_pocketfft")
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "pypocketfft" + suffix)
            if os.path.exists(path):
                loader = importlib.machinery.ExtensionFileLoader("pypocketfft", path)
                module = importlib.util.module_from_spec(importlib.util.spec_from_loader("pypocketfft", loader))
                loader.exec_module(module)
                # the call signature scipy.fft uses (scipy >= 1.4): r2c(a, axes, forward, inorm, out, nthreads)
                module.c2r(module.r2c(np.ones(4, dtype=np.float32), (0,), True, 0, None, 1), (0,), 4, False, 2,
                           None, 1)
                return module
    except Exception as exc:  # any failure only costs start-up time
        log.debug("pocketfft not loadable on its own (%s); using scipy.fft", exc)
    return None


def _real_input(x) -> np.ndarray:
    """As scipy.fft: float32 stays float32, everything else becomes float64."""
    x = np.asarray(x)
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


def rfft(x, n: int | None = None, axis: int = -1) -> np.ndarray:
    """``scipy.fft.rfft(x, n, axis)``: the real input zero-padded (or cut) to ``n`` points along ``axis``."""
    module = backend()
    if module is None:
        from scipy.fft import rfft as scipy_rfft

        return scipy_rfft(x, n, axis=axis)
    x = _real_input(x)
    axis = axis % x.ndim
    if n is not None and n != x.shape[axis]:
        if n < 1:
            raise ValueError(f"rfft: invalid number of points {n}")
        shape = list(x.shape)
        shape[axis] = n
        fitted = np.zeros(shape, dtype=x.dtype)
        keep = tuple(slice(0, min(n, x.shape[axis])) if a == axis else slice(None) for a in range(x.ndim))
        fitted[keep] = x[keep]
        x = fitted
    return module.r2c(x, (axis,), True, 0, None, 1)


def irfft(X, n: int | None = None, axis: int = -1) -> np.ndarray:
    """``scipy.fft.irfft(X, n, axis)`` for a spectrum that holds exactly ``n // 2 + 1`` bins along ``axis``."""
    module = backend()
    if module is None:
        from scipy.fft import irfft as scipy_irfft

        return scipy_irfft(X, n, axis=axis)
    X = np.asarray(X)
    if not np.iscomplexobj(X):
        X = X + (np.complex64(0) if X.dtype == np.float32 else 0j)
    axis = axis % X.ndim
    n = 2 * (X.shape[axis] - 1) if n is None else n
    if X.shape[axis] != n // 2 + 1:
        raise ValueError(f"irfft: {X.shape[axis]} bins do not make {n} points")
    return module.c2r(X, (axis,), n, False, 2, None, 1)


def next_fast_len(target: int, real: bool = False) -> int:
    """``scipy.fft.next_fast_len``: the smallest size >= ``target`` that the transforms handle fast."""
    module = backend()
    if module is None:
        from scipy.fft import next_fast_len as scipy_next_fast_len

        return scipy_next_fast_len(target, real)
    return module.good_size(target, real)
