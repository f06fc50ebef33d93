"""Tests of the GM melodic-note renderer in models/recipe/gm_melodic.py (a fake fluidsynth; no soundfont, no network)."""
import csv
import os
import stat
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import synth
from recipe_modules import load

gm = load("gm_melodic")
SR = 44100


def tone(freq, seconds=1.0, *, shape="sine", sr=SR, decay=3.0):
    t = np.arange(int(seconds * sr)) / sr
    phase = 2 * np.pi * freq * t
    wave = {"sine": np.sin(phase), "square": np.sign(np.sin(phase)),
            "saw": 2 * (freq * t % 1.0) - 1}[shape]
    return (0.5 * wave * np.exp(-decay * t)).astype(np.float32)


# --- MIDI ------------------------------------------------------------------------------------------------------

def read_smf(data):
    """(format, tracks, division, [(absolute tick, status, data bytes)]) of a one-track SMF; meta events as 0xFF."""
    assert data[:4] == b"MThd"
    length, fmt, ntracks, division = struct.unpack(">IHHH", data[4:14])
    assert length == 6 and data[14:18] == b"MTrk"
    (size,) = struct.unpack(">I", data[18:22])
    track, pos, tick, events = data[22:22 + size], 0, 0, []
    assert len(track) == size and 22 + size == len(data)

    def vlq():
        nonlocal pos
        n = 0
        while True:
            b = track[pos]
            pos += 1
            n = (n << 7) | (b & 0x7F)
            if not b & 0x80:
                return n

    while pos < len(track):
        tick += vlq()
        status = track[pos]
        pos += 1
        if status == 0xFF:
            kind = track[pos]
            pos += 1
            n = vlq()
            events.append((tick, 0xFF, bytes([kind]) + track[pos:pos + n]))
            pos += n
        else:
            n = 1 if status & 0xF0 in (0xC0, 0xD0) else 2
            events.append((tick, status, track[pos:pos + n]))
            pos += n
    return fmt, ntracks, division, events


@pytest.mark.parametrize("program, note", [(0, 60), (8, 60), (32, 36), (33, 36), (39, 36), (40, 60), (126, 60)])
def test_midi_file_plays_one_note_of_the_program_on_channel_0_for_one_second(program, note):
    fmt, ntracks, division, events = read_smf(gm.midi_file(program))
    assert (fmt, ntracks) == (0, 1)
    (_, _, tempo), (_, pc, prog), (on_tick, on, on_data), (off_tick, off, off_data), (end_tick, _, end) = events
    assert tempo[0] == 0x51
    seconds_per_tick = int.from_bytes(tempo[1:], "big") / 1e6 / division
    assert pc == 0xC0 and prog == bytes([program])              # channel 0, never 9 (drums)
    assert on == 0x90 and on_data == bytes([note, 100]) and on_tick == 0
    assert off == 0x80 and off_data[0] == note
    assert (off_tick - on_tick) * seconds_per_tick == pytest.approx(1.0)
    assert end == b"\x2f" and end_tick == off_tick


def test_midi_lengths_over_127_ticks_use_variable_length_quantities():
    assert gm._vlq(0) == b"\x00" and gm._vlq(127) == b"\x7f"
    assert gm._vlq(128) == b"\x81\x00" and gm._vlq(960) == b"\x87\x40"


# --- programs --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("program", [47, *range(112, 128)])
def test_timpani_percussive_family_and_sound_effects_are_left_out_with_a_reason(program):
    label, reason = gm.program_label(program)
    assert label is None and reason


@pytest.mark.parametrize("program", [0, 8, 9, 12, 14, 33, 46, 55, 111])
def test_other_melodic_programs_are_other(program):
    assert gm.program_label(program) == ("other", None)


def test_exclusion_reasons_say_why():
    assert "timpani" in gm.program_label(47)[1]
    assert "percussive" in gm.program_label(115)[1]
    assert "percussion" in gm.program_label(127)[1] and "ambiguous" in gm.program_label(120)[1]
    assert sum(gm.program_label(p)[0] == "other" for p in range(128)) == 111
    with pytest.raises(ValueError):
        gm.program_label(128)


def test_gm_names_and_file_names():
    assert len(gm.GM_PROGRAMS) == 128 and len(set(gm.GM_PROGRAMS)) == 128
    assert gm.wav_name(0) == "000_Acoustic_Grand_Piano.wav"
    assert gm.wav_name(8) == "008_Celesta.wav"
    assert gm.wav_name(24) == "024_Acoustic_Guitar_nylon.wav"
    assert gm.wav_name(87) == "087_Lead_8_bass_lead.wav"
    assert gm.GM_PROGRAMS[47] == "Timpani" and gm.GM_PROGRAMS[127] == "Gunshot"


# --- audio -----------------------------------------------------------------------------------------------------

def test_trim_drops_the_tail_below_minus_60_dbfs():
    x = np.concatenate([tone(440, 0.5), np.full(SR, 0.0005, np.float32), np.zeros(SR, np.float32)])
    y = gm.trim(x, SR)
    assert len(y) == np.flatnonzero(np.abs(x) >= 10 ** (-60 / 20))[-1] + 1
    assert len(y) <= SR // 2 and np.array_equal(y, x[:len(y)])


def test_trim_keeps_stereo_until_the_last_loud_channel_and_silence_trims_to_nothing():
    x = np.zeros((SR, 2), np.float32)
    x[:100, 0] = 0.5
    x[:300, 1] = 0.5
    assert gm.trim(x, SR).shape == (300, 2)
    assert len(gm.trim(np.zeros(SR, np.float32), SR)) == 0


def test_trim_caps_at_three_seconds_with_a_fade():
    x = np.full(5 * SR, 0.5, np.float32)
    y = gm.trim(x, SR)
    assert len(y) == 3 * SR
    assert y[0] == 0.5 and y[-1] == 0.0 and y[-int(0.005 * SR)] < 0.5


# --- duplicate detector ----------------------------------------------------------------------------------------

def test_a_delayed_scaled_copy_is_the_same_recording():
    x = tone(330, 0.5, shape="saw")
    copy = np.concatenate([np.zeros(int(0.05 * SR), np.float32), 0.3 * x])
    assert gm.similarity(x, SR, copy, SR) >= gm.SAME_RECORDING
    stereo = np.stack([copy, copy], axis=1)
    assert gm.similarity(x, SR, stereo, SR) >= gm.SAME_RECORDING


def test_same_recordings_agrees_with_the_pairwise_test(tmp_path):
    """The matrix form finds exactly the pairs gm_melodic.similarity calls the same recording."""
    sounds = {"kick": synth.kick(), "kick late": np.concatenate([np.zeros(500, np.float32), 0.7 * synth.kick()]),
              "snare": synth.snare(), "hat": synth.hat(), "tone": synth.tone()}
    paths = {k: str(synth.write(tmp_path / f"{k}.wav", v)) for k, v in sounds.items()}
    cands, train = [paths["kick late"], paths["hat"], paths["tone"]], [paths["kick"], paths["snare"]]
    found = gm.same_recordings(cands, train)
    for c in cands:
        for t in train:
            a, sr = sf.read(c, dtype="float32")
            b, _ = sf.read(t, dtype="float32")
            same = gm.similarity(a, sr, b, sr) >= gm.SAME_RECORDING
            assert (found.get(c, (None,))[0] == t) == same, (c, t)
    assert list(found) == [paths["kick late"]]


def test_different_tones_are_different_recordings():
    assert gm.similarity(tone(440), SR, tone(620, shape="square"), SR) < gm.SAME_RECORDING
    assert gm.similarity(tone(440), SR, tone(466), SR) < gm.SAME_RECORDING        # a semitone apart
    assert gm.similarity(tone(440), SR, np.zeros(SR, np.float32), SR) == 0.0


# --- rendering with a fake fluidsynth --------------------------------------------------------------------------

FAKE = """#!/bin/sh
# fake fluidsynth: log the call, then copy $FAKE_DIR/<font>/<program>.wav (or <font>/default.wav) to the -F file
echo "$@" >> "$FAKE_DIR/calls.log"
[ -n "$FAKE_FAIL" ] && { echo "fluidsynth: error: boom" >&2; exit 1; }
out=""
while [ $# -gt 2 ]; do [ "$1" = -F ] && out="$2"; shift; done
font=$(basename "$1" .sf2); prog=$(basename "$2" .mid)
src="$FAKE_DIR/$font/$prog.wav"; [ -f "$src" ] || src="$FAKE_DIR/$font/default.wav"
cp "$src" "$out"
"""


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A corpus with three empty fonts and a fake fluidsynth on PATH. FluidR3_GM plays a sine, TimGM6mb a saw (program
    5: silence), sf_GMbank a delayed, quieter copy of TimGM6mb's saw (program 0: a square)."""
    corpus, fakedir, bindir = tmp_path / "corpus", tmp_path / "fake", tmp_path / "bin"
    for font in gm.FONTS:
        f = gm.font_file(corpus, font)
        f.parent.mkdir(parents=True)
        f.write_bytes(b"RIFF")
        (fakedir / font).mkdir(parents=True)
    saw = tone(220, shape="saw")

    def put(font, name, x):
        sf.write(fakedir / font / f"{name}.wav", np.stack([x, x], axis=1), SR, subtype="PCM_16")  # stereo, as rendered

    put("FluidR3_GM", "default", tone(440))
    put("TimGM6mb", "default", saw)
    put("TimGM6mb", "005", np.zeros(SR, np.float32))
    put("sf_GMbank", "default", np.concatenate([np.zeros(1000, np.float32), 0.5 * saw]))
    put("sf_GMbank", "000", tone(330, shape="square"))
    bindir.mkdir()
    exe = bindir / "fluidsynth"
    exe.write_text(FAKE)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DIR", str(fakedir))
    return corpus, fakedir


def test_render_and_label_end_to_end(fake, capsys):
    corpus, fakedir = fake
    assert gm.main([str(corpus), "--jobs", "2"]) == 0

    calls = (fakedir / "calls.log").read_text().splitlines()
    assert len(calls) == 3 * 111
    assert all(c.startswith("-ni -q -R 0 -C 0 -g 0.6 -r 44100 -F ") and c.endswith(".mid") for c in calls)
    out = gm.render_dir(corpus)
    assert sorted(p.name for p in out.iterdir()) == sorted(gm.FONTS)        # no temp dirs left
    wav = out / "FluidR3_GM" / "000_Acoustic_Grand_Piano.wav"
    info = sf.info(wav)
    assert (info.samplerate, info.channels, info.subtype) == (SR, 1, "PCM_16")  # equal channels become mono
    assert not (out / "FluidR3_GM" / "047_Timpani.wav").exists()
    assert sorted(p.name for p in (out / "TimGM6mb").iterdir()) == sorted(
        gm.wav_name(p) for p in range(128) if gm.program_label(p)[0])

    with open(corpus / "gm_melodic.csv", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == ("path", "label", "group", "source", "licence")
        rows = list(reader)
    by_group = {}
    for r in rows:
        by_group.setdefault(r["group"], []).append(Path(r["path"]).name)
    # TimGM6mb's program 5 is silent; sf_GMbank repeats TimGM6mb except program 0 (its own square) and program 5
    # (TimGM6mb kept no program 5 to repeat)
    assert {g: len(v) for g, v in by_group.items()} == {"gm-melodic:FluidR3_GM": 111, "gm-melodic:TimGM6mb": 110,
                                                        "gm-melodic:sf_GMbank": 2}
    assert sorted(by_group["gm-melodic:sf_GMbank"]) == [gm.wav_name(0), gm.wav_name(5)]
    assert {r["label"] for r in rows} == {"other"}
    assert {(r["group"], r["source"], r["licence"]) for r in rows} == {
        ("gm-melodic:FluidR3_GM", "fluid-soundfont-gm", "MIT"),
        ("gm-melodic:TimGM6mb", "timgm6mb-soundfont", "GPL-2"),
        ("gm-melodic:sf_GMbank", "csound-soundfont", "public-domain")}
    assert all(Path(r["path"]).is_absolute() and Path(r["path"]).is_file() for r in rows)

    printed = capsys.readouterr().out
    assert "FluidR3_GM 111" in printed and gm.SILENT + ": 1" in printed
    assert "same recording as TimGM6mb's render: 109" in printed

    # a second run renders nothing and writes the same rows
    assert gm.main([str(corpus)]) == 0
    assert len((fakedir / "calls.log").read_text().splitlines()) == 3 * 111
    assert list(csv.DictReader(open(corpus / "gm_melodic.csv", newline=""))) == rows


def test_a_failed_render_names_the_font_and_program_and_leaves_nothing(fake, monkeypatch, capsys):
    corpus, _ = fake
    monkeypatch.setenv("FAKE_FAIL", "1")
    assert gm.main([str(corpus)]) == 2
    err = capsys.readouterr().err
    assert "FluidR3_GM.sf2: fluidsynth failed on program" in err and "boom" in err
    assert list(gm.render_dir(corpus).iterdir()) == []


def test_missing_fluidsynth_says_how_to_install_it(fake, monkeypatch, capsys):
    corpus, _ = fake
    monkeypatch.setenv("PATH", str(corpus))                   # no fluidsynth there
    assert gm.main([str(corpus)]) == 2
    assert "apt-get install fluidsynth" in capsys.readouterr().err


def test_missing_font_says_to_fetch_first(fake, capsys):
    corpus, _ = fake
    gm.font_file(corpus, "TimGM6mb").unlink()
    assert gm.main([str(corpus)]) == 2
    assert "TimGM6mb.sf2: missing; run models/recipe/fetch_corpus.sh" in capsys.readouterr().err


