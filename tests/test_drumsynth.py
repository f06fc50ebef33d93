"""Tests of the DrumSynth (.ds) renderer and labeller in models/recipe (presets written here; no corpus, no network)."""
import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from recipe_modules import load

ds = load("drumsynth")
lds = load("label_drumsynth")
SR = ds.SR


def preset(**sections):
    """A .ds text: [General] and the given sections, each a dict of keys (sections absent are off)."""
    parts = ["[General]", "Version=DrumSynth v2.0", "Tuning=0", "Stretch=100", "Level=0", "Filter=0", "HighPass=0",
             "FilterEnv=0,100 442000,100 443000,0", ""]
    for name, keys in sections.items():
        parts.append(f"[{name}]")
        parts += [f"{k}={v}" for k, v in keys.items()]
        parts.append("")
    return "\r\n".join(parts)                  # the shipped presets are CRLF text


KICK = preset(Tone={"On": 1, "Level": 160, "F1": 150, "F2": 45, "Droop": 50, "Phase": 0,
                    "Envelope": "0,100 2000,60 8000,20 13000,0"})
HAT = preset(NoiseBand={"On": 1, "Level": 150, "F": 9000, "dF": 70, "Envelope": "0,100 600,30 2500,0"},
             Noise={"On": 1, "Level": 60, "Slope": 80, "Envelope": "0,100 400,20 2000,0"})
SNARE = preset(Tone={"On": 1, "Level": 140, "F1": 220, "F2": 180, "Droop": 30, "Phase": 0,
                     "Envelope": "0,100 1500,30 5000,0"},
               Noise={"On": 1, "Level": 120, "Slope": 20, "Envelope": "0,100 2000,40 9000,0"})


def render(text, seed=0):
    return ds.render(ds.Preset.from_text(text, "test.ds"), seed=seed)


def band_share(y, lo, hi):
    power = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    return power[(freqs >= lo) & (freqs < hi)].sum() / power.sum()


def centroid(y):
    power = np.abs(np.fft.rfft(y)) ** 2
    return (power * np.fft.rfftfreq(len(y), 1 / SR)).sum() / power.sum()


# --- parsing ---------------------------------------------------------------------------------------------------

def test_parse_ds_lowercases_names_strips_crlf_and_keeps_the_first_duplicate():
    sections = ds.parse_ds("[General]\r\nVersion=DrumSynth v1.0\r\nStretch = 50 \r\n[TONE]\r\nF1=300\r\n"
                           "[General]\r\nStretch=400\r\n")
    assert sections["general"] == {"version": "DrumSynth v1.0", "stretch": "50"}
    assert sections["tone"] == {"f1": "300"}


def test_missing_keys_take_drumsynth_defaults():
    p = ds.Preset.from_text("[General]\nVersion=DrumSynth v1.0\n[Tone]\nOn=1\n")
    assert p.num("tone", "f1", 200.0) == 200.0 and p.int("tone", "level", 128) == 128
    assert not p.on("noise")


def test_a_file_that_is_not_a_drumsynth_preset_is_refused_by_name():
    with pytest.raises(ds.PresetError, match=r"odd\.ds.*not a DrumSynth"):
        ds.Preset.from_text("[General]\nVersion=Something 3\n", "odd.ds")


def test_a_bad_envelope_names_the_preset_and_key():
    bad = preset(Tone={"On": 1, "Envelope": "0,100 abc,3"})
    with pytest.raises(ds.PresetError, match=r"test\.ds.*\[tone\] envelope"):
        render(bad)


# --- envelopes -------------------------------------------------------------------------------------------------

def test_envelope_interpolates_linearly_between_points_and_ends_at_zero():
    points = ds.parse_envelope("0,100 100,50 300,0")
    assert points == [(0.0, 100.0), (100.0, 50.0), (300.0, 0.0)]
    e = ds.envelope(points, 400)
    assert e[0] == pytest.approx(1.0)
    assert e[50] == pytest.approx(0.75)
    assert e[100] == pytest.approx(0.5)
    assert e[200] == pytest.approx(0.25)
    assert np.all(e[300:] == 0)


def test_envelope_times_scale_with_stretch_and_hold_keeps_the_last_level():
    e = ds.envelope(ds.parse_envelope("0,100 100,40"), 400, stretch=2.0, hold=True)
    assert e[100] == pytest.approx(0.7)          # halfway to the point now at sample 200
    assert e[200] == pytest.approx(0.4) and e[399] == pytest.approx(0.4)


def test_envelope_with_two_points_at_one_time_jumps():
    e = ds.envelope(ds.parse_envelope("0,0 0,90 90,0"), 100)
    assert e[0] == pytest.approx(0.9)
    assert e[45] == pytest.approx(0.45)


# --- sounds ----------------------------------------------------------------------------------------------------

def test_kick_preset_is_a_low_pitched_sweep():
    y = render(KICK)
    assert band_share(y, 0, 200) > 0.9
    early, late = y[:1024], y[6000:7024]
    # the pitch falls: fewer zero crossings later in the sound
    crossings = lambda seg: np.count_nonzero(np.diff(np.signbit(seg)))
    assert crossings(late) < crossings(early)


def test_hat_preset_is_bright_and_decays():
    y = render(HAT)
    assert centroid(y) > 5000
    rms = lambda seg: np.sqrt(np.mean(seg ** 2))
    assert rms(y[2000:2500]) < 0.2 * rms(y[:500])
    assert len(y) / SR < 0.2


def test_snare_preset_has_both_a_tone_and_noise():
    y = render(SNARE)
    assert band_share(y, 150, 260) > 0.2        # the drum's tone
    assert band_share(y, 2000, SR / 2) > 0.2     # the snares' noise


def test_808_cymbal_overtones_through_a_high_pass_are_bright():
    text = preset(Overtones={"On": 1, "Level": 120, "F1": 453, "F2": 589, "Method": 3, "Param": 43,
                             "Envelope1": "0,100 1745,9 3490,0", "Envelope2": "0,89 3490,89 4000,0"})
    text = text.replace("Filter=0", "Filter=1").replace("HighPass=0", "HighPass=1").replace(
        "FilterEnv=0,100", "FilterEnv=0,59")
    assert centroid(render(text)) > 5000


# --- where LMMS's DrumSynth does something unexpected, the port does the same (compared with LMMS 1.2.2's renders)

def test_saw_of_a_negative_phase_truncates_toward_zero_as_lmms_does():
    phase = np.array([-0.5 * np.pi, 0.5 * np.pi, 2.5 * np.pi, -2.5 * np.pi])
    # (ph - 2pi * (int)(ph / 2pi)) / pi - 1: -1.5 for -pi/2, where a wrapped phase would give +0.5
    assert ds.waveform(phase, 3) == pytest.approx([-1.5, -0.5, -0.5, -1.5])


def _increments(text):
    p = ds.Preset.from_text(text, "test.ds")
    phase, _ = ds._tone_phase(p, 6000, 1.0, 1.0)
    return np.diff(phase) * SR / (2 * np.pi)                   # Hz, per sample


def test_after_a_drooping_tone_ends_its_glide_holds_the_curves_limit_from_the_next_block():
    f1, f2, droop, length = 200.0, 100.0, 50, 1500
    inc = _increments(preset(Tone={"On": 1, "Level": 100, "F1": f1, "F2": f2, "Droop": droop,
                                   "Envelope": f"0,100 {length},0"}))
    end = np.exp(-4.0 * 10 ** ((droop - 20.0) / 30.0))
    limit = f1 + (f2 - f1) / (1.0 - end)                        # not F2: LMMS holds its F2 variable, the limit
    assert inc[1000] > f2                                       # still gliding down to F2 at the envelope's end
    assert inc[2000] == pytest.approx(inc[1600], rel=1e-3) == pytest.approx(inc[1800], rel=1e-3)  # the block runs on
    assert inc[2500] == pytest.approx(limit) and inc[5000] == pytest.approx(limit)
    linear = _increments(preset(Tone={"On": 1, "Level": 100, "F1": f1, "F2": f2, "Droop": 0,
                                      "Envelope": f"0,100 {length},0"}))
    assert linear[2500] == pytest.approx(f2)                    # without droop the limit is F2 itself


def test_a_tracked_808_cymbal_divides_its_frequencies_by_the_tones_before_taking_periods():
    def cymbal(f1, f2, track):
        return preset(Tone={"On": 1, "Level": 0, "F1": 440, "F2": 440, "Envelope": "0,100 6000,0"},
                      Overtones={"On": 1, "Level": 120, "F1": f1, "F2": f2, "Method": 3, "Param": 43,
                                 "Track1": track, "Track2": track,
                                 "Envelope1": "0,100 3000,50 6000,0", "Envelope2": "0,80 6000,80"})
    # tracked, the increment 2pi*F/SR is divided by the tone's 2pi*440/SR: the same periods as an untracked
    # oscillator at F * SR / (2pi * 440) Hz
    k = SR / (2 * np.pi * 440)
    tracked = render(cymbal(3000, 5000, 1))
    assert np.allclose(tracked, render(cymbal(3000 * k, 5000 * k, 0)), atol=1e-5)
    assert not np.allclose(tracked, render(cymbal(3000, 5000, 0)), atol=1e-3)


def test_lines_longer_than_lmms_reads_are_found():
    text = preset(Tone={"On": 1, "Envelope": " ".join(f"{t},50" for t in range(0, 40000, 500))})
    long = [i for i, line in enumerate(text.splitlines(), 1) if len(line) > ds.LMMS_LINE_LIMIT]
    assert long and ds.cut_lines(text) == long
    assert ds.cut_lines(KICK) == []


def test_render_is_normalised_and_deterministic_per_seed():
    a, b, c = render(HAT, seed=7), render(HAT, seed=7), render(HAT, seed=8)
    assert a.dtype == np.float32
    assert np.max(np.abs(a)) == pytest.approx(ds.PEAK, rel=1e-4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_render_is_capped_at_max_seconds_and_a_silent_preset_renders_zeros():
    long = preset(Tone={"On": 1, "Level": 100, "F1": 100, "F2": 100, "Envelope": "0,100 800000,100 800001,0"})
    assert len(render(long)) == int(ds.MAX_SECONDS * SR)
    silent = preset(Tone={"On": 1, "Level": 0, "Envelope": "0,100 4000,0"})
    assert not np.any(render(silent))


def test_distortion_clips_at_the_loudest_section_level():
    text = preset(Tone={"On": 1, "Level": 100, "F1": 100, "F2": 100, "Envelope": "0,100 4000,100 4001,0"},
                  Distortion={"On": 1, "Clipping": 20, "Bits": 0, "Rate": 0})
    y = ds.synthesize(ds.Preset.from_text(text), seed=0)
    assert np.max(np.abs(y)) == pytest.approx(100 ** 2)
    assert np.mean(np.abs(y[:4000]) >= 100 ** 2 - 1) > 0.5      # 20 dB of drive squares the sine off


# --- corpus rendering and labels --------------------------------------------------------------------------------

def _corpus(tmp_path):
    src = ds.preset_dir(tmp_path)
    files = {"tr808/Kick": KICK, "tr808/Hat_c": HAT, "tr808/Snare": SNARE, "tr808/Mystery": SNARE,
             "misc_hats/sizzle": HAT, "misc_hats/q_ride": HAT, "misc_perc/knock": SNARE,
             "misc_fx/whoosh": KICK, "misc_fx/click": HAT, "r_n_b/k_soft": KICK, "misc_hats/k_dusty": KICK,
             "misc/quiet_kick": preset(Tone={"On": 1, "Level": 0, "Envelope": "0,100 4000,0"})}
    # distinct recipes (a slight detune each), then one true copy of tr808/Kick in another kit
    files = {rel: text.replace("Tuning=0", f"Tuning=0.0{i}") for i, (rel, text) in enumerate(files.items())}
    files["tr909/Kick_copy"] = files["tr808/Kick"].replace("Version=", "Comment=copied\r\nVersion=")
    for rel, text in files.items():
        path = src / f"{rel}.ds"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="latin-1")
    return files


def test_render_corpus_writes_16_bit_wavs_and_skips_existing_ones(tmp_path):
    files = _corpus(tmp_path)
    counts = ds.render_corpus(tmp_path, jobs=1)
    assert counts == {"found": len(files), "rendered": len(files), "kept": 0, "failed": 0}
    wav = ds.render_dir(tmp_path) / "tr808" / "Kick.wav"
    info = sf.info(str(wav))
    assert (info.samplerate, info.channels, info.subtype) == (SR, 1, "PCM_16")
    stamp = wav.stat().st_mtime_ns
    assert ds.render_corpus(tmp_path, jobs=1)["kept"] == len(files)
    assert wav.stat().st_mtime_ns == stamp
    assert not list(ds.render_dir(tmp_path).rglob("*.tmp"))


@pytest.mark.parametrize("kit, name, label", [
    ("tr808", "Kick", "kick"), ("tr909", "Hat-c", "hat"), ("tr808", "Snr_snap", "snare"), ("tr808", "Tom_hi", "percussion"),
    ("misc", "fatness", None), ("electro", "B1_B2", None),                 # ambiguous names are left out
    ("misc_hats", "sizzle", "hat"), ("misc_claps", "u_don't_kno", "percussion"), ("latin", "guiro", "percussion"),
    ("misc_perc", "poppy", "percussion"), ("magnetboy", "Tone1", "other"), ("instrument", "Oboe", "other"),
    ("misc_hats", "q_ride", lds.EXCLUDED),                                 # name contradicts folder
    ("instrument", "Temple_Bell", lds.EXCLUDED), ("misc_fx", "click", lds.EXCLUDED),
    ("latin", "ThumbPno", lds.EXCLUDED), ("r_n_b", "snare&hat", lds.EXCLUDED),
])
def test_drumsynth_label(kit, name, label):
    assert lds.drumsynth_label(kit, name)[0] == label


# Drum-machine kit abbreviations, which the shared name rules do not know (every preset the rule labels, by kit).
KIT_ABBREVIATED = {
    "kick": ["acoustic/K_Muffle", "electro/K_8bit", "electro/K_Linn", "electro/K_reverb", "r_n_b/k_hard",
             "r_n_b/k_muffle", "r_n_b/k_soft", "r_n_b/old_kik", "linn/linn_kik", "misc/simple-k"],
    "snare": ["electro/S_8bit", "electro/S_Linn", "electro/S_reverb", "r_n_b/S_hollow", "r_n_b/s_pitch",
              "r_n_b/s_spit", "misc/Simple-s"],
    "hat": ["electro/H_closed", "electro/H_open", "misc/simple-h"],
    "percussion": ["cr78/Tamb", "linn/linn_tamb", "electro/Syntom_1", "electro/Syntom_2", "farfisa/Fisa_Cym",
                   "tr77/Tr77_cym", "jorgensohn/ramacymlong", "jorgensohn/ramacymshort", "jorgensohn/wood",
                   "jorgensohn/wood2", "linn/linn_cab", "linn/linn_cga1", "linn/linn_cga2", "linn/linn_cga3",
                   "linn/linn_cgam", "linn/linn_clp", "linn/linn_cow", "linn/linn_stk", "tr77/Tr77_cui1",
                   "tr77/Tr77_cui2"],
    "other": ["jorgensohn/vibra"],                                         # a vibraphone is tonal
}


@pytest.mark.parametrize("rel, label", [(rel, label) for label, rels in KIT_ABBREVIATED.items() for rel in rels])
def test_kit_abbreviations_label_what_the_shared_name_rules_miss(rel, label):
    kit, name = rel.split("/")
    assert lds.label_corpus.name_label(name) is None                       # only where the shared rules found nothing
    got, reason = lds.drumsynth_label(kit, name)
    assert (got, reason.split(" (")[0]) == (label, "kit abbreviation")


@pytest.mark.parametrize("rel", [
    "acoustic/Brush1", "acoustic/Brush2",                                  # a brush on what?
    "farfisa/Fisa_K_H", "farfisa/Fisa_K_K", "farfisa/Fisa_S_B",            # two slots, or unclear: no slot letter mid-name
    "misc_bass/bumble_bass", "misc_bass/metal_bass", "misc_bass/synthbass", "misc_bass/the_funk", "misc_bass/solid",
    "misc/b1_0", "misc/b1_9", "misc/B1_B2", "electro/Hi-q", "electro/Hi-q_2", "misc/Simple-c", "misc/Simple-r",
    "electro/s_eq", "r_n_b/x_backwd",
    "misc/N_low", "misc/n_hi", "misc/ot_12", "electro/Boom", "jorgensohn/zurrr", "misc/fatness", "misc/vibrato",
    "misc/cowboy", "misc/woody", "misc/kabuki",                            # whole words only: cow, wood, k
])
def test_really_ambiguous_names_stay_out(rel):
    kit, name = rel.split("/")
    assert lds.drumsynth_label(kit, name) == (None, "ambiguous name")


@pytest.mark.parametrize("kit, name, label", [
    ("misc_hats", "k_dusty", lds.EXCLUDED), ("misc_hats", "linn_cow", lds.EXCLUDED),   # abbreviation contradicts folder
    ("misc_perc", "S_tight", lds.EXCLUDED), ("misc_fx", "old_kik", lds.EXCLUDED),
    ("misc_hats", "H_open", "hat"), ("misc_perc", "hollow_wood", "percussion"),         # abbreviation agrees
    ("latin", "Tamb_hit", "percussion"), ("misc_synth", "vibrato_pad", "other"),
])
def test_kit_abbreviations_in_folder_kits(kit, name, label):
    got, reason = lds.drumsynth_label(kit, name)
    assert got == label
    if label == lds.EXCLUDED:
        assert reason == f"name says {lds.kit_abbreviation_label(kit, name)[0]}, folder says {lds.FOLDER_LABELS[kit]}"


def test_shared_name_rules_and_exclusions_come_before_kit_abbreviations():
    assert lds.drumsynth_label("electro", "K_snare") == ("snare", "name rule")
    assert lds.drumsynth_label("electro", "S_kick") == ("kick", "name rule")
    assert lds.drumsynth_label("electro", "K_click")[0] == lds.EXCLUDED
    assert lds.drumsynth_label("electro", "H_fx")[0] == lds.EXCLUDED


_RENDERED = Path("~/.cache/drumtag-corpus").expanduser()


@pytest.mark.skipif(not (lds.drumsynth.render_dir(_RENDERED).is_dir() and lds.drumsynth.preset_dir(_RENDERED).is_dir()),
                    reason="the DrumSynth corpus is not rendered here (fetch_corpus.sh, then drumsynth.py)")
def test_counts_on_the_rendered_lmms_presets():
    items, dropped = lds.label_drumsynth(_RENDERED, check_audio=False)
    counts = {c: sum(it.label == c for it in items) for c in lds.label_corpus.CLASSES}
    # 542 rows (kick 80, snare 72, hat 78, percussion 150, other 162) and 192 ambiguous before the kit abbreviations
    assert (len(items), counts) == (579, {"kick": 90, "snare": 79, "hat": 81, "percussion": 170, "other": 159})
    assert dropped["ambiguous name"] == 151
    assert dropped["name contradicts folder"] == 17
    assert dropped["LMMS cuts a line of it: LMMS's sound is not the file's"] == 4     # misc_fx/frequency_revolution ...
    render = lds.drumsynth.render_dir(_RENDERED)
    got = {Path(it.path).relative_to(render).with_suffix("").as_posix(): it.label for it in items}
    assert {rel: got.get(rel) for rels in KIT_ABBREVIATED.values() for rel in rels} == \
        {rel: label for label, rels in KIT_ABBREVIATED.items() for rel in rels}


def test_label_drumsynth_main_writes_its_csv_and_the_merged_one(tmp_path, capsys):
    _corpus(tmp_path)
    ds.render_corpus(tmp_path, jobs=1)
    base = tmp_path / "corpus.csv"
    base.write_text("path,label,group,source,licence\n/x/kick.wav,kick,lmms:drums,lmms-common,GPL-2+\n")
    assert lds.main([str(tmp_path)]) == 0
    rows = list(csv.DictReader(open(tmp_path / "drumsynth.csv")))
    got = {Path(r["path"]).relative_to(ds.render_dir(tmp_path)).with_suffix("").as_posix(): r["label"] for r in rows}
    # Mystery: ambiguous; q_ride and k_dusty: contradict their folder; click: excluded name; tr909/Kick_copy: the
    # same recipe as tr808/Kick (first in sorted order; comments do not count); quiet_kick: silent render;
    # r_n_b/k_soft: a kit abbreviation (the K_ kick slot)
    assert got == {"tr808/Kick": "kick", "tr808/Hat_c": "hat", "tr808/Snare": "snare", "misc_hats/sizzle": "hat",
                   "misc_perc/knock": "percussion", "misc_fx/whoosh": "other", "r_n_b/k_soft": "kick"}
    assert {r["group"] for r in rows} == {"drumsynth:tr808", "drumsynth:misc_hats", "drumsynth:misc_perc",
                                          "drumsynth:misc_fx", "drumsynth:r_n_b"}
    assert {(r["source"], r["licence"]) for r in rows} == {(lds.SOURCE, "GPL-2+")}
    merged = list(csv.DictReader(open(tmp_path / "corpus_plus_drumsynth.csv")))
    assert merged[0]["path"] == "/x/kick.wav" and merged[1:] == rows
    assert "drumsynth: 7 rows in 5 groups: kick 2, snare 1, hat 2, percussion 1, other 1" in capsys.readouterr().out


def test_label_drumsynth_says_to_render_first(tmp_path, capsys):
    _corpus(tmp_path)
    (tmp_path / "corpus.csv").write_text("path,label,group,source,licence\n")
    assert lds.main([str(tmp_path)]) == 2
    assert "run models/recipe/drumsynth.py" in capsys.readouterr().err
