"""The Hydrogen held-out check (models/recipe/hydrogen_kits.py): labels from instrument names, every velocity layer,
repeats and training recordings left out. Kits are synthesized here; the real packages are never fetched."""

import collections

import numpy as np
import pytest
import soundfile as sf

import synth
from recipe_modules import load

hk = load("hydrogen_kits")

NS = "http://www.hydrogen-music.org/drumkit"


@pytest.mark.parametrize("name, label", [
    ("BassDrum", "kick"), ("Kick (Tama Superstar 22\")", "kick"), ("c3 - bass drum 1", "kick"),
    ("Snare Roll", "snare"), ("Pearl Snare Rimshot", "snare"),
    ("Hi Hat Opened", "hat"), ("Sabian Hat Choke", "hat"), ("Side OHH", "hat"), ("Closed HH 2", "hat"),
    ("Ride Bell", "percussion"), ("Stick", "percussion"), ("Djembe1 Bass", "percussion"),
    ("Tambourine", "percussion"), ("Finger Snaps", "percussion"),
])
def test_instrument_names_follow_the_name_rules_with_camel_case_split(name, label):
    assert hk.instrument_label(name) == label


@pytest.mark.parametrize("name", ["17", "Drum 1", "Zap 1", "FX", "Click", "Sample: beats_01-10.flac", "", None])
def test_names_no_rule_gives_or_that_say_exclude_are_left_out(name):
    assert hk.instrument_label(name) is None


def _kit(folder, instruments, *, namespace=True):
    """A kit folder with drumkit.xml listing (name, [file, ...]) as instruments with velocity layers."""
    folder.mkdir(parents=True)
    ns = f' xmlns="{NS}"' if namespace else ""
    body = "".join(f"<instrument><id>{i}</id><name>{name}</name><instrumentComponent>"
                   + "".join(f"<layer><filename>{f}</filename></layer>" for f in files)
                   + "</instrumentComponent></instrument>" for i, (name, files) in enumerate(instruments))
    (folder / "drumkit.xml").write_text(f"<drumkit_info{ns}><name>k</name><instrumentList>{body}"
                                        "</instrumentList></drumkit_info>")
    return folder


def test_every_layer_of_every_instrument_is_a_sample_with_or_without_a_namespace(tmp_path):
    layers = [("Kick", ["k1.wav", "k2.wav"]), ("Hat", ["h.wav"])]
    for ns in (True, False):
        kit = _kit(tmp_path / str(ns), layers, namespace=ns)
        assert hk.kit_samples(kit) == [("Kick", "k1.wav"), ("Kick", "k2.wav"), ("Hat", "h.wav")]


@pytest.fixture
def kits(tmp_path):
    """Two packages' worth of kits: a repeated sample, an unnamed instrument, a missing layer."""
    root = tmp_path / "heldout"
    a = _kit(root / "hydrogen-data" / hk.KITS_DIR / "GMRockKit",
             [("Kick", ["kick.wav"]), ("HatClosed", ["hat-soft.wav", "hat-hard.wav"]), ("17", ["x.wav"]),
              ("Snare", ["snare.wav", "gone.wav"])])
    b = _kit(root / "hydrogen-drumkits" / hk.KITS_DIR / "Audiophob",
             [("Kick", ["kick.wav"]), ("Ride", ["ride.wav"])])
    synth.write(a / "kick.wav", synth.kick())
    synth.write(a / "hat-soft.wav", 0.3 * synth.hat())
    synth.write(a / "hat-hard.wav", synth.hat())
    synth.write(a / "x.wav", synth.tone())
    synth.write(a / "snare.wav", synth.snare())
    synth.write(b / "kick.wav", synth.kick())                     # the same PCM as GMRockKit's kick
    synth.write(b / "ride.wav", synth.hat(duration=1.0, decay=0.6))
    return root


def test_label_kits_keeps_each_sample_once_with_its_kit_as_pack_and_says_what_it_left_out(kits):
    items, dropped = hk.label_kits(kits, training=[])
    got = sorted((it.group, it.label, it.path.rsplit("/", 1)[1], it.licence) for it in items)
    assert got == [("hydrogen:Audiophob", "percussion", "ride.wav", "CC0"),
                   ("hydrogen:GMRockKit", "hat", "hat-hard.wav", "GPL-2+"),
                   ("hydrogen:GMRockKit", "hat", "hat-soft.wav", "GPL-2+"),
                   ("hydrogen:GMRockKit", "kick", "kick.wav", "GPL-2+"),
                   ("hydrogen:GMRockKit", "snare", "snare.wav", "GPL-2+")]
    assert {it.source for it in items} == {"hydrogen-data", "hydrogen-drumkits"}
    assert dropped == collections.Counter({("GMRockKit", hk.NO_RULE): 1, ("GMRockKit", hk.MISSING): 1,
                                           ("Audiophob", hk.REPEATED): 1})


def test_a_kit_of_unknown_licence_is_refused(kits):
    _kit(kits / "hydrogen-drumkits" / hk.KITS_DIR / "NewKit", [("Kick", ["kick.wav"])])
    with pytest.raises(ValueError, match="NewKit: a kit this recipe does not know the licence of"):
        hk.label_kits(kits, training=[])


def test_a_sample_that_is_a_training_recording_is_dropped(kits, tmp_path):
    """The same recording, delayed and quieter, in the training set: dropped from the check, so the check never
    scores what the model was trained on."""
    x = sf.read(kits / "hydrogen-data" / hk.KITS_DIR / "GMRockKit" / "snare.wav", dtype="float32")[0]
    trained = synth.write(tmp_path / "train snare.wav", np.concatenate([np.zeros(300, np.float32), 0.5 * x]))
    other = synth.write(tmp_path / "train kick.wav", synth.kick(f0=80.0))
    items, dropped = hk.label_kits(kits, training=[str(trained), str(other)])
    assert "snare.wav" not in {it.path.rsplit("/", 1)[1] for it in items}
    assert dropped[("GMRockKit", "the same recording as a training file")] == 1
