"""Render one note per GM melodic program (36 = C2 for basses 32-39, else 60 = C4) from each GM soundfont, labelled other."""
# usage: python models/recipe/gm_melodic.py [CORPUS_DIR] [-o gm_melodic.csv] [--jobs N]
#   Run models/recipe/fetch_corpus.sh first (it extracts the soundfonts under train/_src/). Needs fluidsynth
#   (apt-get install fluidsynth). Renders CORPUS_DIR/train/gm-melodic/<font>/<prog:03d>_<name>.wav (a font is built
#   in a temp dir and renamed into place; fonts already rendered are skipped), labels them per TRAINING_SOURCES.md
#   ("More sources": melodic GM soundfont samples for other) and writes -o (default CORPUS_DIR/gm_melodic.csv).
#   The bundled model is not trained on them: in grouped cross-validation they changed nothing on the drum packs,
#   and a model that never saw them already calls nearly all of them other. build_default_model.sh scores the
#   model on them instead, as a check on pitched instruments from packs it never saw (models/README.md).
#   The note: velocity 100, released after 1.0 s; reverb and chorus off (sample packs are dry).
from __future__ import annotations

import argparse
import collections
import logging
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import label_corpus  # a sibling script: python puts the script's folder on sys.path

log = logging.getLogger(__name__)

FONTS = ("FluidR3_GM", "TimGM6mb", "sf_GMbank")        # duplicates are dropped from the later font
SR = 44100
VELOCITY = 100
NOTE_SECONDS = 1.0
MAX_SECONDS = 3.0
FADE_SECONDS = 0.01                                   # fade-out where the 3 s cap cuts a note, so it does not click
SILENCE_DBFS = -60.0
FLUIDSYNTH_ARGS = ("-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(SR))
RENDER_TIMEOUT = 120                                  # seconds per note; a render takes well under one
# TRAINING_SOURCES.md: onset-aligned cross-correlation of the first 0.2 s at 8 kHz >= 0.95 is the same recording.
COMPARE_RATE = 8000
COMPARE_SECONDS = 0.2
MAX_LAG_SECONDS = 0.01                                # slack for the onset detector
SAME_RECORDING = 0.95

GM_PROGRAMS = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ", "Accordion", "Harmonica",
    "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
    "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass", "Slap Bass 1", "Slap Bass 2",
    "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs",
    "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)", "Lead 5 (charang)",
    "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)", "Pad 6 (metallic)",
    "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)", "FX 5 (brightness)", "FX 6 (goblins)",
    "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring", "Helicopter", "Applause",
    "Gunshot",
)

EXCLUDED_PROGRAMS = {
    47: "timpani is a drum (TRAINING_SOURCES.md skips program 47)",
    **dict.fromkeys(range(112, 120), "GM percussive family 112-119 (TRAINING_SOURCES.md skips it)"),
    **dict.fromkeys(range(120, 128), "GM sound effects 120-127: short noise hits (fret noise, bird tweet, gunshot) "
                                     "that TAXONOMY.md files under percussion beside long FX that are other, "
                                     "so ambiguous"),
}
SILENT = "silent render (the font has no sample for the program at its note)"


def program_label(program: int) -> tuple[str | None, str | None]:
    """("other", None) for a GM melodic program we render, else (None, reason it is left out)."""
    if not 0 <= program < 128:
        raise ValueError(f"GM program {program} is outside 0-127")
    reason = EXCLUDED_PROGRAMS.get(program)
    return (None, reason) if reason else ("other", None)


def note_of(program: int) -> int:
    """36 (C2) for the bass programs 32-39, 60 (C4) for every other program."""
    return 36 if 32 <= program <= 39 else 60


def wav_name(program: int) -> str:
    """<prog:03d>_<GM name with every run of other characters turned into _>.wav"""
    return f"{program:03d}_{re.sub(r'[^A-Za-z0-9]+', '_', GM_PROGRAMS[program]).strip('_')}.wav"


# ---------------------------------------------------------------------------------------------------------------
# MIDI

TICKS_PER_QUARTER = 480
TEMPO_US = 500000                                     # 120 bpm: a quarter note lasts 0.5 s


def _vlq(n: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def midi_file(program: int) -> bytes:
    """A format-0 Standard MIDI File: tempo, program change and a note_of(program) at VELOCITY on channel 0 (never
    9, the drum channel), released after NOTE_SECONDS, then the end of the track."""
    ticks = round(NOTE_SECONDS * 1e6 / TEMPO_US * TICKS_PER_QUARTER)
    note = note_of(program)
    events = (_vlq(0) + b"\xff\x51\x03" + TEMPO_US.to_bytes(3, "big")
              + _vlq(0) + bytes((0xC0, program))
              + _vlq(0) + bytes((0x90, note, VELOCITY))
              + _vlq(ticks) + bytes((0x80, note, 0))
              + _vlq(0) + b"\xff\x2f\x00")
    return (b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QUARTER)
            + b"MTrk" + struct.pack(">I", len(events)) + events)


# ---------------------------------------------------------------------------------------------------------------
# Audio

def trim(x: np.ndarray, sr: int) -> np.ndarray:
    """x without its trailing samples below SILENCE_DBFS (all of it when silent), capped at MAX_SECONDS with a
    FADE_SECONDS fade-out where the cap cuts. Mono (n,) or multichannel (n, channels)."""
    level = np.abs(x) if x.ndim == 1 else np.abs(x).max(axis=1)
    loud = np.flatnonzero(level >= 10 ** (SILENCE_DBFS / 20))
    end = loud[-1] + 1 if loud.size else 0
    cap = int(MAX_SECONDS * sr)
    if end <= cap:
        return x[:end]
    y = x[:cap].copy()
    fade = int(FADE_SECONDS * sr)
    ramp = np.linspace(1.0, 0.0, fade)
    y[-fade:] *= ramp if y.ndim == 1 else ramp[:, None]
    return y


def _compare_window(x: np.ndarray, sr: int) -> np.ndarray:
    """Mono at COMPARE_RATE, from the onset (first sample at a tenth of the peak) for COMPARE_SECONDS, zero-padded."""
    from scipy.signal import resample_poly

    mono = x if x.ndim == 1 else x.mean(axis=1)
    g = np.gcd(COMPARE_RATE, sr)
    y = resample_poly(mono.astype(np.float64), COMPARE_RATE // g, sr // g)
    n = int(COMPARE_SECONDS * COMPARE_RATE)
    if not y.size or not np.abs(y).max() > 0:
        return np.zeros(n)
    onset = int(np.argmax(np.abs(y) >= 0.1 * np.abs(y).max()))
    w = y[onset:onset + n]
    return np.pad(w, (0, n - len(w)))


def similarity(a: np.ndarray, sr_a: int, b: np.ndarray, sr_b: int) -> float:
    """Onset-aligned normalised cross-correlation of the first COMPARE_SECONDS at COMPARE_RATE (peak |r| within
    MAX_LAG_SECONDS), as TRAINING_SOURCES.md tells the same recording: 1 for a delayed or scaled copy."""
    wa, wb = _compare_window(a, sr_a), _compare_window(b, sr_b)
    norm = np.linalg.norm(wa) * np.linalg.norm(wb)
    if norm == 0:
        return 0.0
    full = np.correlate(wa, wb, mode="full")          # index len(wb) - 1 is lag 0
    lag = int(MAX_LAG_SECONDS * COMPARE_RATE)
    centre = len(wb) - 1
    return float(np.abs(full[centre - lag:centre + lag + 1]).max() / norm)


def _windows(paths: list[str]) -> np.ndarray:
    """The comparison window of every file, as unit-norm rows (zeros for a silent one)."""
    rows = []
    for p in paths:
        x, sr = label_corpus.read_pcm(Path(p))
        w = _compare_window(x[: sr], sr)      # the first second holds the onset and the window
        n = np.linalg.norm(w)
        rows.append(w / n if n > 0 else w)
    return np.asarray(rows)


def same_recordings(candidates: list[str], training: list[str]) -> dict[str, tuple[str, float]]:
    """candidate -> (training file, similarity) for those at or above SAME_RECORDING: gm_melodic.similarity for
    every pair, computed as one matrix product per lag (hydrogen_kits.py checks its 638 files against the
    1215 training files this way)."""
    if not candidates or not training:
        return {}
    a, b = _windows(candidates), _windows(training)
    lag = int(MAX_LAG_SECONDS * COMPARE_RATE)
    n = a.shape[1]
    best = np.zeros((len(a), len(b)))
    for shift in range(-lag, lag + 1):          # sum over t of a[t + shift] * b[t]
        if shift >= 0:
            r = a[:, shift:] @ b[:, : n - shift].T
        else:
            r = a[:, : n + shift] @ b[:, -shift:].T
        np.maximum(best, np.abs(r), out=best)
    out = {}
    for i, j in zip(*np.nonzero(best >= SAME_RECORDING)):
        if candidates[i] not in out or best[i, j] > out[candidates[i]][1]:
            out[candidates[i]] = (training[j], float(best[i, j]))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Rendering

def font_file(corpus_dir: str | os.PathLike, font: str) -> Path:
    """Where fetch_corpus.sh extracted the font's package."""
    package = label_corpus.FONT_SOURCE[font]
    return Path(corpus_dir) / "train" / "_src" / package / "usr" / "share" / "sounds" / "sf2" / f"{font}.sf2"


def render_dir(corpus_dir: str | os.PathLike) -> Path:
    return Path(corpus_dir) / "train" / "gm-melodic"


def fluidsynth() -> str:
    """Path of the fluidsynth program, or FileNotFoundError saying how to install it."""
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise FileNotFoundError("fluidsynth: not found on PATH; install it with `apt-get install fluidsynth`")
    return exe


def render_note(exe: str, font: Path, program: int, out: Path, work: Path) -> None:
    """Render program's note from font with fluidsynth into work/, trim it and write it to out as 16-bit WAV
    (mono when both channels are equal)."""
    import soundfile as sf

    mid = work / f"{program:03d}.mid"
    raw = work / f"{program:03d}.wav"
    mid.write_bytes(midi_file(program))
    cmd = [exe, *FLUIDSYNTH_ARGS, "-F", str(raw), str(font), str(mid)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=RENDER_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{font}: fluidsynth took over {RENDER_TIMEOUT} s on program {program}") from None
    if done.returncode != 0 or not raw.is_file():
        tail = (done.stderr or done.stdout).strip()[-300:]
        raise RuntimeError(f"{font}: fluidsynth failed on program {program} (exit {done.returncode}): {tail}")
    x, sr = sf.read(raw, dtype="float32", always_2d=True)
    if x.shape[1] == 2 and np.array_equal(x[:, 0], x[:, 1]):
        x = x[:, :1]
    sf.write(out, trim(x, sr), sr, subtype="PCM_16", format="WAV")
    mid.unlink()
    raw.unlink()


def render_font(corpus_dir: str | os.PathLike, font: str, *, jobs: int = 2) -> bool:
    """Render every program program_label keeps into render_dir/<font>/, built in a temp dir and renamed into place;
    False (nothing done) when that folder already exists."""
    dest = render_dir(corpus_dir) / font
    if dest.is_dir():
        return False
    sf2 = font_file(corpus_dir, font)
    if not sf2.is_file():
        raise FileNotFoundError(f"{sf2}: missing; run models/recipe/fetch_corpus.sh first")
    exe = fluidsynth()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{font}.", suffix=".tmp", dir=dest.parent))
    try:
        work = tmp / ".work"
        work.mkdir()
        programs = [p for p in range(128) if program_label(p)[0]]
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(render_note, exe, sf2, p, tmp / wav_name(p), work) for p in programs]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                pool.shutdown(cancel_futures=True)    # the first failure stops the font; nothing is kept
                raise
        work.rmdir()
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("rendered %d programs of %s into %s", len(programs), sf2.name, dest)
    return True


# ---------------------------------------------------------------------------------------------------------------
# Labels

def label_gm_melodic(corpus_dir: str | os.PathLike):
    """Items for the rendered notes, and counts of dropped programs by (font, reason): left out by program_label,
    silent, or the same recording as the program kept from an earlier font in FONTS."""
    import soundfile as sf

    root = Path(corpus_dir).expanduser()
    items, dropped = [], collections.Counter()
    kept = collections.defaultdict(list)                     # program -> [(font, audio, rate)] kept so far
    for font in FONTS:
        folder = render_dir(root) / font
        source = label_corpus.FONT_SOURCE[font]
        for program in range(128):
            label, reason = program_label(program)
            if label is None:
                dropped[font, reason] += 1
                continue
            wav = folder / wav_name(program)
            if not wav.is_file():
                raise FileNotFoundError(f"{wav}: missing render; delete {folder} and rerun models/recipe/gm_melodic.py")
            x, sr = sf.read(wav, dtype="float32")
            if not len(x):
                log.info("%s: %s", wav, SILENT)
                dropped[font, SILENT] += 1
                continue
            same = next((f for f, y, r in kept[program] if similarity(x, sr, y, r) >= SAME_RECORDING), None)
            if same:
                log.info("%s: same recording as %s's program %d; dropped", wav, same, program)
                dropped[font, f"same recording as {same}'s render"] += 1
                continue
            kept[program].append((font, x, sr))
            items.append(label_corpus.Item(str(wav.resolve()), label, f"gm-melodic:{font}", source,
                                           label_corpus.LICENCES[source]))
    return items, dropped


def summary(items: list, dropped: collections.Counter) -> str:
    per_font = collections.Counter(it.group.split(":", 1)[1] for it in items)
    lines = [f"gm-melodic: {len(items)} rows (other): " + ", ".join(f"{f} {per_font[f]}" for f in FONTS)]
    for font in FONTS:
        reasons = "; ".join(f"{r}: {n}" for (f, r), n in sorted(dropped.items()) if f == font)
        lines.append(f"  {font} left out {sum(n for (f, _), n in dropped.items() if f == font)}: {reasons}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus_dir", nargs="?", default=label_corpus.default_corpus_dir(),
                        help="folder fetch_corpus.sh filled (default: $DRUMTAG_CORPUS or ~/.cache/drumtag-corpus)")
    parser.add_argument("-o", "--output", help="CSV of the rendered notes (default: CORPUS_DIR/gm_melodic.csv)")
    parser.add_argument("--jobs", type=int, default=2, help="fluidsynth renders at once (default: 2)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every program left out, and why")
    args = parser.parse_args(argv)
    label_corpus.log_to_stderr(args.verbose)
    root = Path(args.corpus_dir).expanduser()
    output = Path(args.output or root / "gm_melodic.csv")
    start = time.monotonic()
    try:
        rendered = [font for font in FONTS if render_font(root, font, jobs=args.jobs)]
        items, dropped = label_gm_melodic(root)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"gm_melodic: {exc}", file=sys.stderr)
        return 2
    label_corpus.write_csv(items, output)
    print(summary(items, dropped))
    print(f"rendered {', '.join(rendered) or 'nothing (all fonts were rendered already)'} "
          f"in {time.monotonic() - start:.1f} s; wrote {len(items)} rows to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
