"""Tests of the training-corpus labelling rules in models/recipe/label_corpus.py (names only: no audio, no network)."""
import csv
from pathlib import Path

import pytest

from recipe_modules import load

lc = load("label_corpus")
EX = lc.EXCLUDED


@pytest.mark.parametrize("name, label", [
    # TAXONOMY.md / TRAINING_SOURCES.md examples
    ("Hi-Hat Closed(L)", "hat"), ("Power Kick 3", "kick"), ("Brush Snr 2", "snare"),
    ("rim click", "percussion"), ("fx zap", EX), ("Metronome Bell", EX), ("Square Click", EX),
    # exclusions come first
    ("stereo_fx_01", EX), ("kick fx", EX), ("zap01", EX), ("808_Click", EX), ("Met_Click", EX),
    # hat: hi-hat / hi hat / hihat, chh/ohh/hh and hat at a word start
    ("hihat_closed01", "hat"), ("hi hat open", "hat"), ("High_Hat_Foot", "hat"), ("808_Open_Hat", "hat"),
    ("chh 01", "hat"), ("OHH2", "hat"), ("hh", "hat"), ("shhh", None), ("that", None),
    # snare: snare, snr, sn as a word
    ("snare_rim01", "snare"), ("Std_Snr_2", "snare"), ("sn_dub", "snare"), ("sn01", "snare"),
    ("snake", None), ("Ocean Wave", None),
    # kick: kick, bass drum, bd as a word
    ("bassdrum_acoustic01", "kick"), ("Bass_Drum_New", "kick"), ("bd_808", "kick"), ("808 bd", "kick"),
    ("abdomen", None), ("nasty_bass01", None),
    # first match wins
    ("hat kick", "hat"), ("snare kick", "snare"), ("kick tom", "kick"),
    # percussion families
    ("Tom_Floor", "percussion"), ("tom_hi01", "percussion"), ("custom", None), ("ElectTom", None),
    ("clap01", "percussion"), ("Filter_Snap", "percussion"), ("sidestick01", "percussion"), ("Sticks", "percussion"),
    ("nasty_rim01", "percussion"), ("Rim_Shot", "percussion"), ("prime", None),
    ("Cow Bell", "percussion"), ("Agogo_Bell", "percussion"), ("China_Crash", "percussion"), ("ride01", "percussion"),
    ("bride", None), ("Splash", "percussion"), ("BellRide", "percussion"), ("Ride_Ping", "percussion"),
    ("Low_Conga", "percussion"), ("Low_Bongo", "percussion"), ("Long_Taiko_Hit", "percussion"),
    ("Timbale_Strike", "percussion"), ("tabla_na", "percussion"), ("djembe bass", "percussion"),
    ("Maracas", "percussion"), ("shaker01", "percussion"), ("Cabasa", "percussion"), ("Brass_Tambourine", "percussion"),
    ("Rosewood_Claves", "percussion"), ("Wood Block", "percussion"), ("Mute_Triangle", "percussion"),
    ("Guiro_Up", "percussion"), ("Cuica", "percussion"), ("Castanets", "percussion"), ("Samba_Whistle", "percussion"),
    ("Vibra-Slap", "percussion"), ("cup 2", "percussion"),
    # nothing matches
    ("Sine_Wave", None), ("RmPwr 1-1", None), ("Brush Swirl", None), ("wood01", None), ("clav01", None),
])
def test_name_rules(name, label):
    assert lc.name_label(name) == label


def test_normalise_lowercases_and_turns_underscore_and_dash_into_spaces():
    assert lc.normalise("Hi-Hat_Half-Open") == "hi hat half open"


@pytest.mark.parametrize("keys, label", [
    ((35, 36), "kick"), ((25, 38, 40), "snare"), ((42, 44, 46), "hat"),
    ((26, 28, 31, 37, 39, 41, 43, 45, 47, 60, 75, 87), "percussion"),
    ((27,), EX), ((29,), EX), ((30,), EX), ((32,), EX), ((33,), EX), ((34,), EX),
])
def test_gm_key_classes(keys, label):
    assert {lc.gm_key_label(k) for k in keys} == {label}


@pytest.mark.parametrize("key", [0, 24, 88, 127])
def test_gm_keys_outside_the_drum_map_have_no_class(key):
    assert lc.gm_key_label(key) is None


@pytest.mark.parametrize("keys, label", [
    ([35, 36], "kick"), ([41, 43, 45, 47, 48, 50], "percussion"),
    ([36, 41, 43], EX),          # the keys disagree
    ([28, 29], EX),              # one key is excluded
    ([], None), ([35, 90], None),
])
def test_gm_keys_must_agree(keys, label):
    assert lc.gm_keys_label(keys) == label


@pytest.mark.parametrize("font, name, keys, label", [
    ("FluidR3_GM", "Brush Snr 2", [39], "snare"),           # the name wins over the clap key
    ("TimGM6mb", "Snare Verb", [38, 41, 43, 45], "snare"),  # plays toms too, but it is a snare
    ("FluidR3_GM", "RmPwr 1-1", [38], "snare"),             # no name rule: the key decides
    ("FluidR3_GM", "Brush Swirl", [40], "snare"),
    ("FluidR3_GM", "ElectTom", [41, 43, 45, 47, 48, 50], "percussion"),
    ("TimGM6mb", "Sine Wave", [36, 41, 43], EX),
    ("TimGM6mb", "Carillon C6", [34], EX),
    ("FluidR3_GM", "Scratch Push", [29], EX),
    ("FluidR3_GM", "808 High Conga", [62], EX),             # evaluation-set overlap
    ("FluidR3_GM", "808_High_Conga", [62], EX),
    ("FluidR3_GM", "808 Mid Conga", [63], "percussion"),
    ("TimGM6mb", "Ocean Wave", [40], EX),                   # the sea on the electric-snare key
    ("sf_GMbank", "Ocean_Wave", [40], EX),
    ("FluidR3_GM", "Syn Drum Wave", [41, 43], "percussion"),  # a wave that is a drum
])
def test_sf2_label(font, name, keys, label):
    assert lc.sf2_label(font, name, keys) == label


@pytest.mark.parametrize("stem, label", [
    ("bd_haus", "kick"), ("drum_heavy_kick", "kick"), ("elec_hollow_kick", "kick"),
    ("sn_zome", "snare"), ("drum_snare_soft", "snare"), ("elec_filt_snare", "snare"), ("elec_snare", "snare"),
    ("hat_zap", "hat"), ("drum_cymbal_closed", "hat"), ("drum_cymbal_pedal", "hat"), ("tbd_perc_hat", "hat"),
    ("drum_cymbal_hard", "percussion"), ("drum_splash_soft", "percussion"), ("drum_tom_lo_hard", "percussion"),
    ("elec_wood", "percussion"), ("tabla_ghe8", "percussion"), ("perc_bell2", "percussion"),
    ("ride_via", "percussion"), ("tbd_perc_tap_2", "percussion"),
    ("elec_bell", "other"), ("elec_twang", "other"), ("ambi_choir", "other"), ("bass_voxy_hit_c", "other"),
    ("glitch_robot2", "other"), ("tbd_highkey_c4", "other"), ("vinyl_hiss", "other"),
    ("loop_amen", EX), ("arovane_beat_a", EX), ("tbd_fxbed_loop", EX), ("glitch_perc3", EX),
    ("perc_impact2", EX), ("elec_tick", EX), ("drum_roll", EX), ("tbd_perc_blip", EX),
    ("unknown_thing", None),
])
def test_sonicpi_rules(stem, label):
    assert lc.sonicpi_label(stem) == label


@pytest.mark.parametrize("folder, stem, label", [
    ("drums", "kick_soft01", EX),                            # evaluation-set overlap
    ("drums", "kick_soft02", "kick"), ("drums", "bassdrum01", "kick"),
    ("drums", "zap02", EX), ("drums", "nasty_bass01", EX),
    ("drums", "clav01", "percussion"), ("drums", "wood01", "percussion"),
    ("drums", "snare_rim01", "snare"), ("drums", "hihat_foot_pedal01", "hat"), ("drums", "sidestick01", "percussion"),
    ("basses", "bass_acid01", "other"), ("latin", "latin_guitar01", "other"), ("effects", "explode01", "other"),
    ("misc", "dong01", "other"), ("misc", "metronome02", EX), ("misc", "hit01", EX), ("misc", "snaph01", EX),
    ("beats", "rave_kick01", EX), ("bassloops", "tb303_01", EX), ("shapes", "moog", EX), ("waveforms", "saw1", EX),
    ("nosuchfolder", "kick01", None),
])
def test_lmms_rules(folder, stem, label):
    assert lc.lmms_label(folder, stem) == label


def test_stk_chuck_exadrums_supercollider_rules():
    assert [lc.stk_label(s) for s in ("bassdrum", "snardrum", "hihatcym", "tambourn", "mandpluk", "sinewave")] == \
        ["kick", "snare", "hat", "percussion", "other", EX]
    assert [lc.chuck_label(s) for s in ("kick_04", "snare-hop", "hihat-open", "cowbell_01", "stereo_fx_03",
                                        "twilight-granular", "click_01", "mystery")] == \
        ["kick", "snare", "hat", "percussion", "other", "other", EX, None]
    assert [lc.exadrums_label(s) for s in ("BD_Acou_01", "HiHat", "RideEdge", "Other")] == \
        ["kick", "hat", "percussion", None]
    assert [lc.supercollider_label(s) for s in ("a11wlk01", "a11wlk01-44_1", "SinedPink")] == ["other", "other", EX]


@pytest.mark.parametrize("program, label", [(0, "other"), (46, "other"), (47, EX), (111, "other"),
                                             (112, EX), (115, EX), (119, EX), (120, "other")])
def test_freepats_tones(program, label):
    assert lc.freepats_tone_label(program) == label


def test_sf2_stereo_pairs_keep_only_left(tmp_path):
    for name in ("0001_Clap_L_k39", "0002_Clap_R_k39", "0003_Lone_R_k50", "0004_Kick_k36"):
        (tmp_path / f"{name}.wav").touch()
    right = {p.name: r for p, _, _, r in lc._sf2_entries(tmp_path)}
    assert right == {"0001_Clap_L_k39.wav": False, "0002_Clap_R_k39.wav": True,
                     "0003_Lone_R_k50.wav": False, "0004_Kick_k36.wav": False}


def test_sf2_entries_parse_names_and_keys(tmp_path):
    (tmp_path / "0607_Hi-Hat_Closed_L_k42-44.wav").touch()
    [(path, name, keys, _)] = lc._sf2_entries(tmp_path)
    assert (name, keys) == ("Hi-Hat_Closed_L", [42, 44])


def test_avl_drums_are_refused(tmp_path):
    lab = lc.Labeller(tmp_path)
    with pytest.raises(ValueError, match="AVL"):
        lab.add("exadrums", "x", tmp_path / "avldrums" / "kick.wav", "kick")


def test_labeller_keeps_classes_and_counts_drops(tmp_path):
    lab = lc.Labeller(tmp_path)
    lab.add("stk", "stk:rawwaves", tmp_path / "bassdrum.wav", "kick")
    lab.add("stk", "stk:rawwaves", tmp_path / "sinewave.wav", EX, reason="synthesis table")
    lab.add("stk", "stk:rawwaves", tmp_path / "odd.wav", None)
    assert [(i.label, i.licence, Path(i.path).is_absolute()) for i in lab.items] == [("kick", "STK (MIT-style)", True)]
    assert lab.dropped == {("stk", "synthesis table"): 1, ("stk", "no rule"): 1}


def test_write_csv_columns(tmp_path):
    out = tmp_path / "corpus.csv"
    items = [lc.Item("/a/b,c.wav", "hat", "sf2:TimGM6mb", "timgm6mb-soundfont", "GPL-2")]
    lc.write_csv(items, out)
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [list(lc.COLUMNS), ["/a/b,c.wav", "hat", "sf2:TimGM6mb", "timgm6mb-soundfont", "GPL-2"]]
    assert [p.name for p in tmp_path.iterdir()] == ["corpus.csv"]      # no temp file left behind


def test_every_source_has_a_licence_and_expected_counts():
    assert set(lc.LICENCES) == set(lc.EXPECTED)
    assert sum(sum(v) for v in lc.EXPECTED.values()) == 638


def test_sf2_exclusions_say_why_where_the_summary_needs_it():
    """label_corpus's summary lists a sound effect's exclusion under its own reason, apart from the other rules."""
    assert lc.sf2_label_reason("TimGM6mb", "Ocean_Wave", [40]) == (EX, "named after a sound effect, not a drum")
    assert lc.sf2_label_reason("FluidR3_GM", "808 High Conga", [62]) == (EX, "")
    assert lc.sf2_label_reason("FluidR3_GM", "Brush Snr 2", [39]) == ("snare", "")
