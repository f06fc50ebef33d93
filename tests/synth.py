"""Synthesized audio fixtures: drum-like sounds made in code, so the tests need no sample files.

Every generator takes keyword-only arguments with librosa's names (``sr``, ``duration``) and a ``seed`` where it
uses noise, and returns ``y : np.ndarray [shape=(n,), dtype=float32]`` peaking at ``peak``.
"""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf

SR = 22050


def _env(n: int, *, sr: int, decay: float, attack: float = 0.002) -> np.ndarray:
    t = np.arange(n) / sr
    env = np.exp(-t / decay)
    a = max(1, int(attack * sr))
    env[:a] *= np.linspace(0.0, 1.0, a, endpoint=False)
    return env


def _norm(y: np.ndarray, peak: float) -> np.ndarray:
    m = float(np.max(np.abs(y))) or 1.0
    return (y * (peak / m)).astype(np.float32)


def _lowpass(x: np.ndarray, *, sr: int, cutoff: float) -> np.ndarray:
    X = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / sr)
    X[f > cutoff] = 0
    return np.fft.irfft(X, len(x))


def _highpass(x: np.ndarray, *, sr: int, cutoff: float) -> np.ndarray:
    X = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / sr)
    X[f < cutoff] = 0
    return np.fft.irfft(X, len(x))


def kick(*, sr: int = SR, duration: float = 0.5, f0: float = 55.0, sweep: float = 120.0, decay: float = 0.12,
         seed: int = 0, peak: float = 0.9) -> np.ndarray:
    """A sine whose pitch falls from ``f0 + sweep`` to ``f0`` Hz, with a short click: energy below 150 Hz."""
    rng = np.random.default_rng(seed)
    n = int(duration * sr)
    t = np.arange(n) / sr
    freq = f0 + sweep * np.exp(-t / 0.03)
    body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * _env(n, sr=sr, decay=decay)
    click = _lowpass(rng.standard_normal(n), sr=sr, cutoff=3000) * _env(n, sr=sr, decay=0.003) * 0.3
    return _norm(body + click, peak)


def snare(*, sr: int = SR, duration: float = 0.35, tone: float = 190.0, decay: float = 0.09, seed: int = 0,
          peak: float = 0.9) -> np.ndarray:
    """A short tone near 190 Hz plus broadband noise (1-9 kHz): the body and the wires of a snare."""
    rng = np.random.default_rng(seed)
    n = int(duration * sr)
    t = np.arange(n) / sr
    body = np.sin(2 * np.pi * tone * t) * _env(n, sr=sr, decay=0.04)
    wires = _highpass(_lowpass(rng.standard_normal(n), sr=sr, cutoff=9000), sr=sr, cutoff=1000)
    wires = wires / (np.max(np.abs(wires)) or 1) * _env(n, sr=sr, decay=decay)
    return _norm(0.6 * body + 0.8 * wires, peak)


def hat(*, sr: int = SR, duration: float = 0.15, decay: float = 0.03, seed: int = 0, peak: float = 0.8,
        open: bool = False) -> np.ndarray:
    """High-passed noise above 6 kHz with a fast decay (``open=True``: a longer one)."""
    rng = np.random.default_rng(seed)
    if open:
        duration, decay = max(duration, 0.6), max(decay, 0.2)
    n = int(duration * sr)
    y = _highpass(rng.standard_normal(n), sr=sr, cutoff=min(6000.0, sr / 2 * 0.6))
    return _norm(y * _env(n, sr=sr, decay=decay, attack=0.0005), peak)


def clap(*, sr: int = SR, duration: float = 0.3, seed: int = 0, peak: float = 0.8) -> np.ndarray:
    """Three quick band-passed noise bursts and a tail: a hand clap (percussion)."""
    rng = np.random.default_rng(seed)
    n = int(duration * sr)
    noise = _highpass(_lowpass(rng.standard_normal(n), sr=sr, cutoff=2500), sr=sr, cutoff=800)
    env = np.zeros(n)
    for k, start in enumerate((0.0, 0.011, 0.022)):
        s = int(start * sr)
        env[s:] += _env(n - s, sr=sr, decay=0.004 if k < 2 else 0.06)
    return _norm(noise * env, peak)


def tom(*, sr: int = SR, duration: float = 0.6, f0: float = 110.0, decay: float = 0.25, peak: float = 0.9,
        seed: int = 0) -> np.ndarray:
    """A pitched membrane: a sine at ``f0`` gliding slightly down, a slow decay (percussion)."""
    n = int(duration * sr)
    t = np.arange(n) / sr
    freq = f0 * (1 + 0.15 * np.exp(-t / 0.05))
    y = np.sin(2 * np.pi * np.cumsum(freq) / sr) + 0.3 * np.sin(2 * np.pi * 1.5 * np.cumsum(freq) / sr)
    return _norm(y * _env(n, sr=sr, decay=decay), peak)


def tone(*, sr: int = SR, duration: float = 1.0, freq: float = 440.0, peak: float = 0.5) -> np.ndarray:
    """A steady harmonic tone with a gentle fade in and out (other: pitched, sustained)."""
    n = int(duration * sr)
    t = np.arange(n) / sr
    y = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3, 4))
    fade = np.minimum(1.0, np.minimum(t / 0.02, (duration - t) / 0.05))
    return _norm(y * np.clip(fade, 0, 1), peak)


def noise(*, sr: int = SR, duration: float = 1.0, seed: int = 0, peak: float = 0.5) -> np.ndarray:
    """Steady white noise."""
    return _norm(np.random.default_rng(seed).standard_normal(int(duration * sr)), peak)


def silence(*, sr: int = SR, duration: float = 0.5) -> np.ndarray:
    return np.zeros(int(duration * sr), dtype=np.float32)


GENERATORS = {"kick": kick, "snare": snare, "hat": hat, "percussion": clap, "other": tone}


def varied(label: str, i: int, *, sr: int = SR) -> np.ndarray:
    """The ``i``-th variation of a class: pitch, decay and noise seed change with ``i``, deterministically."""
    rng = np.random.default_rng(1000 + i)
    if label == "kick":
        return kick(sr=sr, f0=rng.uniform(40, 70), sweep=rng.uniform(60, 200), decay=rng.uniform(0.08, 0.3), seed=i)
    if label == "snare":
        return snare(sr=sr, tone=rng.uniform(150, 260), decay=rng.uniform(0.05, 0.15), seed=i)
    if label == "hat":
        return hat(sr=sr, decay=rng.uniform(0.015, 0.06), seed=i, open=bool(i % 4 == 3))
    if label == "percussion":
        return clap(sr=sr, seed=i) if i % 2 else tom(sr=sr, f0=rng.uniform(80, 250), decay=rng.uniform(0.1, 0.4))
    if label == "other":
        return tone(sr=sr, freq=rng.uniform(150, 900), duration=rng.uniform(0.8, 2.0)) if i % 3 else \
            noise(sr=sr, duration=rng.uniform(1.0, 2.0), seed=i)
    raise ValueError(f"unknown label {label!r}")


def write(path: str | os.PathLike, y: np.ndarray, *, sr: int = SR, subtype: str | None = None,
          format: str | None = None) -> str:
    """Write ``y`` (shape (n,) or (n, channels)) with soundfile; returns the path as a string."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    ext = os.path.splitext(path)[1].lstrip(".").upper()
    format = format or {"AIF": "AIFF", "OGA": "OGG"}.get(ext, ext)
    with open(path, "wb") as f:  # a file object: libsndfile refuses paths over 1024 bytes
        sf.write(f, y, sr, subtype=subtype, format=format)
    return path


def make_class_folder(root: str | os.PathLike, *, per_class: int = 8, packs: int = 2, sr: int = SR,
                      classes=("kick", "snare", "hat", "percussion", "other")) -> str:
    """``root/<class>/<pack>/<class>_<i>.wav``: a training folder (classes are the top folders, packs below)."""
    root = os.fspath(root)
    for p in range(packs):
        for label in classes:
            for i in range(per_class):
                k = p * per_class + i
                write(os.path.join(root, label, f"pack{p}", f"{label}_{k}.wav"), varied(label, k, sr=sr), sr=sr)
    return root
