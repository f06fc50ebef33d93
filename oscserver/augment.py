"""Training-time augmentation: playback-rate, filter, noise and tail variations of a decoded sound.

Variants stay in their source file's group, and cross-validation scores only original files, so augmentation can
never leak a held-out pack into training or flatter a score.
"""

from __future__ import annotations

import numpy as np


def _rate(y: np.ndarray, factor: float) -> np.ndarray:
    """Play back ``factor`` times faster (pitch and length change together, like a sampler)."""
    import soxr

    return soxr.resample(y, 1000.0 * factor, 1000.0, quality="HQ").astype(np.float32)


def _one_pole(y: np.ndarray, *, sr: int, cutoff: float, high: bool) -> np.ndarray:
    from scipy.signal import lfilter

    a = float(np.exp(-2 * np.pi * cutoff / sr))
    low = lfilter([1 - a], [1, -a], y).astype(np.float32)
    return y - low if high else low


def variants(y: np.ndarray, *, sr: int, n: int, seed: int) -> list[np.ndarray]:
    """``n`` augmented copies of ``y``, deterministic for a given ``seed``."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        v = y
        kind = k % 4
        if kind == 0:
            v = _rate(v, float(2 ** (rng.uniform(-3, 3) / 12)))
        elif kind == 1:
            v = _one_pole(v, sr=sr, cutoff=float(rng.uniform(3000, 9000)), high=False) if rng.random() < 0.5 \
                else _one_pole(v, sr=sr, cutoff=float(rng.uniform(30, 150)), high=True)
        elif kind == 2:
            level = 10 ** (rng.uniform(-55, -40) / 20) * float(np.max(np.abs(v)) or 1.0)
            v = v + rng.standard_normal(len(v)).astype(np.float32) * level
        else:
            keep = int(len(v) * rng.uniform(0.4, 0.8))
            if keep > sr // 20:
                fade = np.linspace(1.0, 0.0, keep // 4, dtype=np.float32)
                v = v[:keep].copy()
                v[-len(fade):] *= fade
            else:
                v = _rate(v, float(2 ** (rng.uniform(-2, 2) / 12)))
        out.append(np.asarray(v, dtype=np.float32))
    return out
