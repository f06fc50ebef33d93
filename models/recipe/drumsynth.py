"""Render LMMS DrumSynth (.ds) presets to WAV with numpy: parser, synthesizer and a CLI for the training corpus."""
# The .ds format and the meaning of its keys follow LMMS's DrumSynth renderer (src/core/DrumSynth.cpp, after Paul
# Kellett's DrumSynth 2; GPL-2-or-later). This is an independent numpy implementation of that interpretation, not a
# copy. The presets it renders ship in Debian's lmms-common (GPL-2+), so the rendered audio derives from GPL-2+ work.
#
# usage: python models/recipe/drumsynth.py [CORPUS_DIR] [--jobs N] [--force]
#   renders CORPUS_DIR/train/lmms-common/usr/share/lmms/samples/drumsynth/<kit>/<name>.ds
#   to      CORPUS_DIR/train/drumsynth/<kit>/<name>.wav   (mono, 16-bit, 44.1 kHz, at most 15 s, peak -1 dBFS)
#   CORPUS_DIR defaults to $DRUMTAG_CORPUS or ~/.cache/drumtag-corpus. Existing WAVs are kept unless --force.
#
# Signal model (one sample clock at 44.1 kHz; envelope times are samples at 44.1 kHz times Stretch/100):
#   tone       sine whose frequency sweeps F1 -> F2 over its envelope (exponentially when Droop > 0, else linearly)
#   noise      white noise through a 3-tap slope filter (Slope < 0 darker, > 0 brighter)
#   overtones  two oscillators (sine, |sine|, triangle, saw, square) mixed by Method: 0 add, 1 FM, 2 ring mod,
#              3 "808 cymbal" (six pulse trains between F1 and F2 through an envelope-swept band-pass)
#   noise band (x2) a cosine whose phase takes random steps: band-limited noise around F, width from dF
#   levels     each section's Level is squared (int16 units); [General] Level is dB; Tuning is semitones
#   filter     [General] Filter filters everything, else [Overtones] Filter filters the overtones only: a resonant
#              2-pole low-pass whose cutoff follows FilterEnv; HighPass subtracts it from its input
#   distortion bit reduction (Bits), gain (Clipping dB), sample-and-hold downsampling (Rate), then clipping
# Checked against LMMS 1.2.2's own renders of the lmms-common presets (lmms render of a one-note AudioFileProcessor
# project): envelopes, band levels and pitch agree, and where LMMS does something unexpected that changes the
# sound, this does the same: a drooping tone's glide runs to the end of its 1200-sample block and then holds the
# curve's limit, not F2 (tracked overtones go on at it); a tracked 808 cymbal takes its periods from F / F1(tone);
# the saw of a negative phase is truncated toward zero (-3..-1). LMMS reads at most 199 characters of a line, so
# the 4 presets with longer lines play as something else in LMMS (cut_lines; label_drumsynth.py leaves them out).
from __future__ import annotations

import argparse
import logging
import math
import os
import re
import sys
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SR = 44100                   # envelope times are in samples at this rate; the renderer works at it
MAX_SECONDS = 15.0           # cap; the longest preset of lmms-common lasts 14.8 s
BLOCK = 1200                 # DrumSynth renders in blocks of this many samples
LMMS_LINE_LIMIT = 199        # LMMS reads at most this many characters of a preset's line
PEAK = 10 ** (-1 / 20)       # normalise to -1 dBFS
CLIP = 32700.0               # DrumSynth mixes in int16 units and clips here
HOLD_END = 442000            # DrumSynth's "hold forever" time


class PresetError(ValueError):
    """A .ds preset that cannot be rendered; the message names the preset and the reason."""


# ---------------------------------------------------------------------------------------------------------------
# Parsing

def parse_ds(text: str) -> dict[str, dict[str, str]]:
    """Sections of a .ds (INI-like) text: {section: {key: value}}, names lower-cased; the first occurrence wins."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        m = re.fullmatch(r"\[([^\]]*)\]", line)
        if m:
            name = m[1].strip().lower()
            current = None if name in sections else sections.setdefault(name, {})
            continue
        if current is not None and "=" in line:
            key, value = line.split("=", 1)
            current.setdefault(key.strip().lower(), value.strip())
    return sections


def cut_lines(text: str) -> list[int]:
    """Line numbers (1-based) longer than LMMS reads: it cuts them, and the keys that follow in their section take
    their defaults, so what LMMS plays is not what the file says (a click, silence or a DC step)."""
    return [i for i, line in enumerate(text.splitlines(), start=1) if len(line) > LMMS_LINE_LIMIT]


def parse_envelope(spec: str) -> list[tuple[float, float]]:
    """Points of an envelope "time,level time,level ...": time in samples at 44.1 kHz, level 0-100."""
    points = []
    for pair in spec.split():
        t, _, level = pair.partition(",")
        try:
            points.append((float(t), float(level or 0)))
        except ValueError:
            raise ValueError(f"bad envelope point {pair!r} in {spec!r}") from None
    if not points:
        raise ValueError(f"empty envelope {spec!r}")
    return points


def envelope(points: list[tuple[float, float]], n: int, *, stretch: float = 1.0, hold: bool = False) -> np.ndarray:
    """Envelope values (level/100) at samples 0..n-1: linear between points (times * stretch); after the last point
    0, or the last level when hold. Before the first point the first level applies; times never go backwards."""
    times = np.maximum.accumulate(np.array([p[0] for p in points], dtype=np.float64) * stretch)
    levels = np.array([p[1] for p in points], dtype=np.float64) / 100.0
    t = np.arange(n, dtype=np.float64)
    # np.interp needs increasing x; equal times (an instant jump) take the later level from that time on.
    idx = np.searchsorted(times, t, side="right") - 1           # last point at or before t
    out = np.empty(n)
    before = idx < 0
    out[before] = levels[0]
    last = len(times) - 1
    inside = (~before) & (idx < last)
    i = idx[inside]
    span = times[i + 1] - times[i]
    frac = (t[inside] - times[i]) / np.where(span > 0, span, 1.0)
    out[inside] = levels[i] + (levels[i + 1] - levels[i]) * frac
    after = idx >= last
    out[after] = levels[last] if hold else 0.0
    if not hold:
        out[t >= times[last]] = 0.0
    return out


class Preset:
    """Typed access to a parsed preset, with DrumSynth's defaults for missing keys."""

    def __init__(self, sections: dict[str, dict[str, str]], name: str = "<preset>"):
        self.sections = sections
        self.name = name
        version = self.text("general", "version", "")
        if not re.match(r"(?i)drumsynth v[12]", version):
            raise PresetError(f"{name}: not a DrumSynth v1/v2 preset (Version={version!r})")

    @classmethod
    def from_text(cls, text: str, name: str = "<preset>") -> "Preset":
        return cls(parse_ds(text), name)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "Preset":
        return cls.from_text(Path(path).read_text(encoding="latin-1"), str(path))

    def text(self, section: str, key: str, default: str) -> str:
        value = self.sections.get(section, {}).get(key, "")
        return value if value else default

    def num(self, section: str, key: str, default: float) -> float:
        value = self.text(section, key, "")
        m = re.match(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value)
        return float(m[0]) if m else float(default)

    def int(self, section: str, key: str, default: int) -> int:
        value = self.text(section, key, "")
        m = re.match(r"\s*[-+]?\d+", value)
        return int(m[0]) if m else int(default)

    def on(self, section: str) -> bool:
        return self.int(section, "on", 0) == 1

    def env(self, section: str, key: str) -> list[tuple[float, float]]:
        try:
            return parse_envelope(self.text(section, key, "0,0 100,0"))
        except ValueError as exc:
            raise PresetError(f"{self.name}: [{section}] {key}: {exc}") from None


# ---------------------------------------------------------------------------------------------------------------
# Oscillators and filters

def waveform(phase: np.ndarray, form: int) -> np.ndarray:
    """DrumSynth's overtone waveforms: 0 sine, 1 |sine| (rectified, full range), 2 triangle, 3 saw, 4 square."""
    if form == 0:
        return np.sin(phase)
    if form == 1:
        return np.abs(2.0 * np.sin(0.5 * phase)) - 1.0
    saw01 = np.mod(phase / (2 * np.pi), 1.0)
    if form == 2:
        return 1.0 - 4.0 * np.abs(saw01 - 0.5)
    if form == 3:                                     # as LMMS: ph - 2pi*(int)(ph/2pi), truncated toward zero, so
        return (phase - 2 * np.pi * np.trunc(phase / (2 * np.pi))) / np.pi - 1.0   # a negative phase gives -3..-1
    return np.where(saw01 < 0.5, 1.0, -1.0)


def resonant_lowpass(x: np.ndarray, cutoff_env: np.ndarray, resonance: float) -> np.ndarray:
    """Two cascaded one-pole low-passes with resonant feedback; cutoff_env (0..1, per sample) opens the filter."""
    e = cutoff_env
    fb = np.where(e > 0.2, 1.001 - np.power(10.0, e - 1.0), 0.999 - 0.7824 * e)
    gain = resonance * (1.0 + 1.0 / fb)
    out = np.empty(len(x))
    s_in = s_out = 0.0
    for n, (xn, p, k) in enumerate(zip(x.tolist(), fb.tolist(), gain.tolist())):
        u = xn + k * (s_in - s_out)
        s_in = p * (s_in - u) + u
        s_out = p * (s_out - s_in) + s_in
        out[n] = s_out
    return out


def cymbal_bandpass(x: np.ndarray, freq: np.ndarray, q: float) -> np.ndarray:
    """The 808-cymbal band-pass: a state-variable filter with per-sample frequency coefficient freq."""
    out = np.empty(len(x))
    low = band = prev = 0.0
    for n, (xn, f) in enumerate(zip(x.tolist(), freq.tolist())):
        low += f * band
        band += f * (xn + prev - q * band - low)
        prev = xn
        out[n] = band
    return out


# ---------------------------------------------------------------------------------------------------------------
# Synthesis

def _length(p: Preset, stretch: float) -> int:
    """Samples to render: DrumSynth's rule (2400 + the longest active envelope, in 1200-sample blocks), capped."""
    longest = 0.0
    for section, keys in (("tone", ("envelope",)), ("noise", ("envelope",)), ("overtones", ("envelope1", "envelope2")),
                          ("noiseband", ("envelope",)), ("noiseband2", ("envelope",))):
        if p.on(section):
            for key in keys:
                longest = max(longest, max(t for t, _ in p.env(section, key)) * stretch)
    return min(2 * BLOCK + BLOCK * int(longest / BLOCK), int(MAX_SECONDS * SR))


def _noise(p: Preset, n: int, stretch: float, rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import lfilter

    level = p.int("noise", "level", 0) ** 2
    slope = p.int("noise", "slope", 0)
    if slope < 0:                                     # darker: a one-pole low-pass, louder to compensate
        b, a = [1.0 + slope / 105.0], [1.0, slope / 105.0]
        gain = (1.0 + 0.0005 * slope * slope) * level
    else:                                             # brighter: a 3-tap FIR tilt
        b, a = [1.0, -slope / 50.0, abs(slope) / 100.0], [1.0]
        gain = level
    white = rng.uniform(-1.0, 1.0, n)
    return lfilter(b, a, white) * gain * envelope(p.env("noise", "envelope"), n, stretch=stretch)


def _tone_phase(p: Preset, n: int, stretch: float, tune: float) -> tuple[np.ndarray, float]:
    """Tone phase per sample (radians; starts at Phase) and its start increment F1 (radians/sample)."""
    f1 = tune * 2 * np.pi * p.num("tone", "f1", 200.0) / SR
    if abs(f1) < 0.001:
        f1 = 0.001
    f2 = tune * 2 * np.pi * p.num("tone", "f2", 120.0) / SR
    unstretched = max(max(t for t, _ in p.env("tone", "envelope")), 1.0)
    length = max(unstretched * stretch, 1.0)
    t = np.arange(n, dtype=np.float64)
    droop = p.num("tone", "droop", 0.0)
    if droop > 0:
        # Exponential glide that lands on F2 at the envelope's last point; as in DrumSynth, the glide's time scale
        # is the unstretched envelope (Stretch lengthens the sound, not the pitch drop).
        rate = -4.0 * 10 ** ((droop - 20.0) / 30.0) / unstretched
        end = math.exp(rate * unstretched)
        inc = f2 + (f1 - f2) * (np.exp(rate * t) - end) / (1.0 - end)
    else:                                             # linear glide over the (stretched) envelope
        inc = f1 + (f2 - f1) * t / length
    # The tone is over; tracked overtones keep the glide's last increment. As in LMMS, the glide runs for whole
    # 1200-sample blocks (the tone is switched off after the first block reaching the envelope's end), and what
    # is held is its F2 variable, which with Droop is the exponential's limit F1 + (F2 - F1) / (1 - end).
    held = f1 + (f2 - f1) / (1.0 - end) if droop > 0 else f2
    inc[t >= BLOCK * max(1, math.ceil(length / BLOCK))] = held
    start = p.num("tone", "phase", 90.0) * np.pi / 180.0
    return start + np.cumsum(inc), f1


def _noise_band(p: Preset, section: str, n: int, stretch: float, tune: float, rng: np.random.Generator) -> np.ndarray:
    level = p.int(section, "level", 128) ** 2
    freq = tune * 2 * np.pi * p.num(section, "f", 1000.0) / SR
    width = p.int(section, "df", 50)
    jitter = width * width / (10000.0 - 6600.0 * (math.sqrt(max(freq, 0.0)) - 0.19))
    step = max(1, 1 + int((40.0 - width / 2.5) / (jitter + 1.0 + freq)))   # samples between random phase steps
    steps = rng.uniform(-0.5, 0.5, n // step + 1)
    phase = np.pi / 4 + np.cumsum(freq + jitter * np.repeat(steps, step)[:n])
    return np.cos(phase) * envelope(p.env(section, "envelope"), n, stretch=stretch) * level


def _overtones(p: Preset, n: int, stretch: float, tune: float, tone_phase: np.ndarray | None,
               tone_f1: float) -> np.ndarray:
    s = "overtones"
    level = p.int(s, "level", 128) ** 2
    e1 = envelope(p.env(s, "envelope1"), n, stretch=stretch)
    e2 = envelope(p.env(s, "envelope2"), n, stretch=stretch)
    method = p.int(s, "method", 2)
    f1 = tune * 2 * np.pi * p.num(s, "f1", 200.0) / SR
    f2 = tune * 2 * np.pi * p.num(s, "f2", 120.0) / SR
    w1, w2 = p.int(s, "wave1", 0), p.int(s, "wave2", 0)
    param = float(p.int(s, "param", 50))
    drive = param ** 3 / 125000.0
    bal2 = param / 100.0
    bal1 = 1.0 - bal2
    start = p.num("tone", "phase", 90.0) * np.pi / 180.0
    t = np.arange(1, n + 1, dtype=np.float64)
    # Track: the oscillator follows the tone's glide at a fixed ratio F/F1(tone) (only with the tone on).
    ph1 = tone_phase * (f1 / tone_f1) if (tone_phase is not None and p.int(s, "track1", 0) == 1) else start + t * f1
    ph2 = tone_phase * (f2 / tone_f1) if (tone_phase is not None and p.int(s, "track2", 0) == 1) else start + t * f2
    if method == 0:                                   # add
        return level * (bal1 * e1 * waveform(ph1, w1) + bal2 * e2 * waveform(ph2, w2))
    if method == 1:                                   # FM: oscillator 2 modulates oscillator 1's phase
        return level * e1 * waveform(ph1 + drive * e2 * waveform(ph2, w2), w1)
    if method == 2:                                   # ring modulation, depth from Param
        return level * e1 * waveform(ph1, w1) * ((1 - drive / 8) + (drive / 8) * e2 * waveform(ph2, w2))
    # 3: 808 cymbal. Six pulse trains with periods spread from 1/F1 to 1/F2 (samples); a pulse of height
    # level*env1 wherever any fires, through a band-pass whose frequency follows env2.
    a = 0.28 + bal1 * bal1
    q = a * a
    fc = (1.8 - 0.7 * q) * 0.92
    # as LMMS: a tracked oscillator's frequency is first divided by the tone's F1, then the period is 2pi / that
    r1 = f1 / tone_f1 if (tone_phase is not None and p.int(s, "track1", 0) == 1) else f1
    r2 = f2 / tone_f1 if (tone_phase is not None and p.int(s, "track2", 0) == 1) else f2
    period1 = 2 * np.pi / max(r1, 1e-6)
    period2 = 2 * np.pi / max(r2, 1e-6)
    fires = np.zeros(n, dtype=bool)
    for j in range(6):
        period = max(period1 + (period2 - period1) * 0.2 * j, 1.0)
        fires[np.floor(np.arange(0, n / period) * period).astype(np.int64).clip(0, n - 1)] = True
    pulses = np.where(fires, level * e1, 0.0)
    return cymbal_bandpass(pulses, e2 * fc, q)


def synthesize(preset: Preset, *, seed: int = 0) -> np.ndarray:
    """The preset's signal in DrumSynth's int16 units (clipped at +-32700), float64, shape (n,), at 44.1 kHz."""
    p = preset
    stretch = min(max(0.01 * p.num("general", "stretch", 100.0), 0.2), 10.0)
    tune = 1.0594631 ** p.num("general", "tuning", 0.0)
    gain = 10 ** (0.05 * p.num("general", "level", 0.0))
    n = _length(p, stretch)
    noise_rng, band_rng, band2_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))

    mix = np.zeros(n)
    if p.on("noise"):
        mix += _noise(p, n, stretch, noise_rng)
    tone_phase, tone_f1 = None, 1.0
    if p.on("tone"):
        tone_phase, tone_f1 = _tone_phase(p, n, stretch, tune)
        level = p.int("tone", "level", 128) ** 2
        mix += level * envelope(p.env("tone", "envelope"), n, stretch=stretch) * np.sin(tone_phase)
    if p.on("noiseband"):
        mix += _noise_band(p, "noiseband", n, stretch, tune, band_rng)
    if p.on("noiseband2"):
        mix += _noise_band(p, "noiseband2", n, stretch, tune, band2_rng)
    over = _overtones(p, n, stretch, tune, tone_phase, tone_f1) if p.on("overtones") else np.zeros(n)

    mode = 2 * p.int("general", "filter", 0) or p.int("overtones", "filter", 0)   # 2 all, 1 overtones, 0 none
    highpass = p.int("general", "highpass", 0)
    if mode:
        cutoff = envelope(p.env("general", "filterenv"), n, stretch=stretch, hold=True)
        resonance = math.sqrt(max(0.0101 * p.num("general", "resonance", 0.0), 0.0))
        source = mix + over if mode == 2 else over
        filtered = resonant_lowpass(source, cutoff, resonance) - highpass * source
        mix = filtered if mode == 2 else mix + filtered
    else:
        mix = mix + over

    clip = CLIP
    if p.on("distortion"):
        levels = [p.int(s, "level", d) for s, d in (("tone", 128), ("noise", 0), ("overtones", 128),
                                                    ("noiseband", 128), ("noiseband2", 128)) if p.on(s)]
        clip = min(CLIP, gain * max(levels, default=0) ** 2)
        quantum = 2.0 ** (2 * p.int("distortion", "bits", 0))
        drive = quantum * gain * 10 ** (0.05 * p.int("distortion", "clipping", 0))
        mix = drive * np.trunc(mix / quantum)                    # bit reduction, then gain into the clipper
        hold = {5: 8, 6: 10, 7: 20}.get(1 + p.int("distortion", "rate", 0), 1 + p.int("distortion", "rate", 0))
        if hold > 1:                                             # sample-and-hold averaging (rate reduction)
            pad = (-n) % hold
            blocks = np.concatenate([mix, np.zeros(pad)]).reshape(-1, hold)
            mix = np.repeat(blocks.mean(axis=1), hold)[:n]
    else:
        mix = mix * gain
    return np.clip(mix, -clip, clip)


def render(preset: Preset, *, seed: int = 0) -> np.ndarray:
    """The preset as float32 mono at 44.1 kHz, peak-normalised to -1 dBFS (all zeros if silent), with a 10 ms
    fade-out when the sound was cut at MAX_SECONDS."""
    y = synthesize(preset, seed=seed)
    if not np.all(np.isfinite(y)):
        raise PresetError(f"{preset.name}: the synthesis diverged (non-finite samples)")
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if not peak > 0:
        return np.zeros(len(y), dtype=np.float32)
    y = y * (PEAK / peak)
    if len(y) >= int(MAX_SECONDS * SR):
        fade = int(0.01 * SR)
        y[-fade:] *= np.linspace(1.0, 0.0, fade)
    return y.astype(np.float32)


def preset_seed(kit: str, name: str) -> int:
    """A stable per-preset noise seed (crc32 of "kit/name"), so renders are reproducible anywhere."""
    return zlib.crc32(f"{kit}/{name}".encode("utf-8"))


# ---------------------------------------------------------------------------------------------------------------
# Corpus rendering (CLI)

def preset_dir(corpus_dir: str | os.PathLike) -> Path:
    return Path(corpus_dir) / "train" / "lmms-common" / "usr" / "share" / "lmms" / "samples" / "drumsynth"


def render_dir(corpus_dir: str | os.PathLike) -> Path:
    return Path(corpus_dir) / "train" / "drumsynth"


def write_wav(path: Path, y: np.ndarray) -> None:
    """Write y as 16-bit mono 44.1 kHz WAV atomically (temp file in the same folder, then rename)."""
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".wav.tmp", dir=path.parent)
    os.close(fd)
    try:
        sf.write(tmp, y, SR, subtype="PCM_16", format="WAV")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def render_file(ds: str, wav: str, kit: str) -> tuple[str, float, str | None]:
    """Render one preset file to wav; returns (wav, seconds of audio, error or None)."""
    try:
        preset = Preset.from_file(ds)
        y = render(preset, seed=preset_seed(kit, Path(ds).stem))
        write_wav(Path(wav), y)
        return wav, len(y) / SR, None
    except (OSError, ValueError) as exc:
        return wav, 0.0, f"{ds}: {exc}"


def render_corpus(corpus_dir: str | os.PathLike, *, jobs: int | None = None, force: bool = False) -> dict:
    """Render every preset under the corpus's drumsynth folder; returns counts {found, rendered, kept, failed}."""
    src = preset_dir(corpus_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"{src}: no DrumSynth presets; run models/recipe/fetch_corpus.sh first")
    out = render_dir(corpus_dir)
    todo, kept = [], 0
    presets = sorted(src.glob("*/*.ds"))
    for ds in presets:
        wav = out / ds.parent.name / f"{ds.stem}.wav"
        if wav.is_file() and not force:
            kept += 1
        else:
            todo.append((str(ds), str(wav), ds.parent.name))
    failed = 0
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        for i, (wav, _, error) in enumerate(pool.map(render_file, *zip(*todo), chunksize=4) if todo else (), 1):
            if error:
                failed += 1
                log.warning("%s", error)
            if i % 100 == 0:
                log.info("rendered %d/%d", i, len(todo))
    return {"found": len(presets), "rendered": len(todo) - failed, "kept": kept, "failed": failed}


def default_corpus_dir() -> str:
    return os.environ.get("DRUMTAG_CORPUS") or os.path.expanduser("~/.cache/drumtag-corpus")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus_dir", nargs="?", default=default_corpus_dir(),
                        help="folder fetch_corpus.sh filled (default: $DRUMTAG_CORPUS or ~/.cache/drumtag-corpus)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--force", action="store_true", help="re-render presets whose WAV already exists")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="drumsynth: %(message)s", stream=sys.stderr)
    start = time.monotonic()
    try:
        counts = render_corpus(args.corpus_dir, jobs=args.jobs, force=args.force)
    except OSError as exc:
        print(f"drumsynth: {exc}", file=sys.stderr)
        return 2
    print(f"presets {counts['found']}: rendered {counts['rendered']}, kept {counts['kept']}, failed {counts['failed']} "
          f"in {time.monotonic() - start:.1f} s -> {render_dir(args.corpus_dir)}")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
