"""`drumtag organize`: a folder per class of links or copies; originals untouched; clashes, reruns, OUT inside
FOLDER."""

from __future__ import annotations

import errno
import os
import sqlite3

import pytest

import synth
from oscserver import organize as organize_module
from oscserver.catalog import Catalog, CatalogError
from oscserver.cli import main
from oscserver.errors import UsageError
from oscserver.organize import MARKER, organize, place
from test_tagging import read_only, snapshot


@pytest.fixture
def library(tmp_path):
    """Two packs with the same file names, a unicode name and a corrupt file."""
    root = tmp_path / "lib"
    for pack in ("pack A", "pack B"):
        for i, label in enumerate(("kick", "snare", "hat")):
            synth.write(root / pack / f"{label}.wav", synth.varied(label, 10 * i + len(pack) + (pack == "pack B")))
    synth.write(root / "ünï" / "タム 🥁.wav", synth.varied("percussion", 3))
    (root / "bad.wav").write_bytes(b"not audio at all")
    return str(root)


def labels(cat) -> dict[str, str | None]:
    with Catalog(cat) as c:
        return {e.path: e.label for e in c.entries()}


def listing(out) -> dict[str, str]:
    """'class/name' -> what it is (link target, or 'copy')."""
    got = {}
    for cls in sorted(d for d in os.listdir(out) if d != MARKER):
        for name in sorted(os.listdir(os.path.join(out, cls))):
            p = os.path.join(out, cls, name)
            got[f"{cls}/{name}"] = os.readlink(p) if os.path.islink(p) else "copy"
    return got


def test_links_per_class_with_name_clashes_and_originals_untouched(library, tmp_path, synth_model):
    out, cat = str(tmp_path / "sorted"), str(tmp_path / "cat.sqlite")
    before = snapshot(library)
    s = organize(library, out, model=synth_model, catalog_path=cat)
    assert snapshot(library) == before
    classes = labels(cat)
    placed = listing(out)
    assert (s.placed, s.already, s.unclassified, s.failed) == (7, 0, 1, 0)
    assert sorted(placed.values()) == sorted(p for p, lab in classes.items() if lab)
    for rel, target in placed.items():
        assert os.path.isabs(target) and rel.split("/")[0] == classes[target]
        with open(os.path.join(out, rel), "rb") as a, open(target, "rb") as b:
            assert a.read() == b.read()
    for label in ("kick", "snare", "hat"):  # each pack has one; same name -> "name (2).wav" when they agree
        same = [r for r, t in placed.items() if os.path.basename(t) == f"{label}.wav"]
        names = sorted(os.path.basename(r) for r in same)
        if len({r.split("/")[0] for r in same}) == 1:
            assert names == [f"{label} (2).wav", f"{label}.wav"]
    assert any(r.endswith("タム 🥁.wav") for r in placed)
    assert any(" (2).wav" in r for r in placed)


def test_rerun_places_only_what_is_new(library, tmp_path, synth_model):
    out, cat = str(tmp_path / "sorted"), str(tmp_path / "cat.sqlite")
    organize(library, out, model=synth_model, catalog_path=cat)
    first = listing(out)
    s = organize(library, out, model=synth_model, catalog_path=cat)
    assert (s.placed, s.already) == (0, 7) and listing(out) == first
    new = synth.write(os.path.join(library, "pack C", "kick.wav"), synth.kick(f0=48))
    s = organize(library, out, model=synth_model, catalog_path=cat)
    assert (s.placed, s.already) == (1, 7)
    added = set(listing(out).items()) - set(first.items())
    assert [t for _, t in added] == [new]


def test_copies_never_overwrite_what_is_in_out(library, tmp_path, synth_model):
    out, cat = tmp_path / "sorted", str(tmp_path / "cat.sqlite")
    organize(library, str(tmp_path / "probe"), model=synth_model, catalog_path=cat)
    kick_label = labels(cat)[os.path.join(library, "pack A", "kick.wav")]
    users = out / kick_label / "kick.wav"
    users.parent.mkdir(parents=True)
    users.write_bytes(b"the user's own file")
    s = organize(library, str(out), model=synth_model, catalog_path=cat, mode="copy")
    assert users.read_bytes() == b"the user's own file"
    copies = listing(out)
    assert set(copies.values()) == {"copy"} and s.placed == 7
    with open(os.path.join(library, "pack A", "kick.wav"), "rb") as f:
        original = f.read()
    assert (out / kick_label / "kick (2).wav").read_bytes() == original
    assert os.stat(out / kick_label / "kick (2).wav").st_mtime_ns == \
        os.stat(os.path.join(library, "pack A", "kick.wav")).st_mtime_ns
    s = organize(library, str(out), model=synth_model, catalog_path=cat, mode="copy")
    assert (s.placed, s.already) == (0, 7) and listing(out) == copies


def test_out_inside_folder_is_not_scanned_again(library, tmp_path, synth_model):
    out, cat = os.path.join(library, "_sorted"), str(tmp_path / "cat.sqlite")
    for mode in ("link", "link", "copy"):
        s = organize(library, out, model=synth_model, catalog_path=cat, mode=mode)
        assert s.tagging.total == 8
    assert not [p for p in labels(cat) if p.startswith(out)]
    kinds = list(listing(out).values())
    assert len(kinds) == 14 and kinds.count("copy") == 7  # a link and a copy of each file, nothing of OUT's own


def test_read_only_folder_can_be_organized(library, tmp_path, synth_model):
    before = snapshot(library)
    with read_only(library):
        s = organize(library, str(tmp_path / "sorted"), model=synth_model, catalog_path=tmp_path / "c.sqlite")
    assert s.placed == 7 and snapshot(library) == before


def test_bad_layouts_are_refused(library, tmp_path, synth_model, capsys):
    with pytest.raises(UsageError, match="must not be the folder"):
        organize(library, library, model=synth_model, catalog_path=tmp_path / "c.sqlite")
    inside_a_class = tmp_path / "out" / "kick" / "pack"
    synth.write(inside_a_class / "k.wav", synth.kick())
    with pytest.raises(UsageError, match="class folder"):
        organize(str(inside_a_class), str(tmp_path / "out"), model=synth_model, catalog_path=tmp_path / "c.sqlite")
    assert main(["organize", str(tmp_path / "nowhere"), "--into", str(tmp_path / "o"),
                 "--model", synth_model.path]) == 2
    assert "nowhere: not a folder" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "c.sqlite")


def test_no_symlinks_is_a_clear_error_suggesting_copy(library, tmp_path, synth_model, monkeypatch, capsys):
    def refuse(*a, **k):
        raise OSError(errno.EPERM, "A required privilege is not held by the client")

    monkeypatch.setattr(organize_module.os, "symlink", refuse)
    assert main(["organize", library, "--into", str(tmp_path / "o"), "--catalog", str(tmp_path / "c.sqlite"),
                 "--model", synth_model.path]) == 2
    err = capsys.readouterr().err
    assert "--link" in err and "use --copy" in err and "privilege" in err
    assert os.listdir(tmp_path / "o") == [] and not os.path.exists(tmp_path / "c.sqlite")


def test_place_numbers_clashes_and_recognises_its_own_link(tmp_path):
    a, b = tmp_path / "a" / "x.wav", tmp_path / "b" / "x.wav"
    for p, data in ((a, b"a"), (b, b"b")):
        p.parent.mkdir()
        p.write_bytes(data)
    d = str(tmp_path / "out")
    assert place(str(a), d, mode="link") == (os.path.join(d, "x.wav"), True)
    assert place(str(b), d, mode="link") == (os.path.join(d, "x (2).wav"), True)
    assert place(str(b), d, mode="link") == (os.path.join(d, "x (2).wav"), False)
    assert place(str(a), d, mode="copy") == (os.path.join(d, "x (3).wav"), True)
    assert place(str(a), d, mode="copy") == (os.path.join(d, "x (3).wav"), False)


def test_organize_command_prints_a_summary(library, tmp_path, synth_model, capsys):
    out = str(tmp_path / "sorted")
    assert main(["organize", library, "--into", out, "--copy", "--catalog", str(tmp_path / "c.sqlite"),
                 "--model", synth_model.path]) == 1  # bad.wav could not be classified
    text = capsys.readouterr().out
    assert "7 files copied into" in text and "1 not classified" in text and "bad.wav" in text


def test_files_below_the_confidence_go_to_unsure_to_check_by_ear(library, tmp_path, synth_model):
    out, cat = str(tmp_path / "sorted"), str(tmp_path / "cat.sqlite")
    organize(library, str(tmp_path / "first"), model=synth_model, catalog_path=cat)
    with sqlite3.connect(cat) as db:  # the synth model is sure of everything: give three files less confidence
        db.execute("UPDATE files SET confidence = 0.45 WHERE rowid IN "
                   "(SELECT rowid FROM files WHERE label IS NOT NULL ORDER BY path LIMIT 3)")
    db.close()
    with Catalog(cat) as c:
        conf = {e.path: e.confidence for e in c.entries() if e.label}
    cut = 0.6
    s = organize(library, out, model=synth_model, catalog_path=cat, unsure_below=cut)
    sure = {rel: target for rel, target in listing(out).items() if not rel.startswith("unsure/")}
    unsure = listing(os.path.join(out, "unsure"))  # "<class>/<name>" -> the original
    assert sorted(unsure.values()) == sorted(p for p, v in conf.items() if v < cut)
    assert sorted(sure.values()) == sorted(p for p, v in conf.items() if v >= cut)
    assert (s.placed, s.unsure) == (7, 3) and "3 of them with confidence below" in "\n".join(s.lines())
    classes = labels(cat)
    assert all(rel.split("/")[0] == classes[target] for rel, target in {**sure, **unsure}.items())


@pytest.mark.parametrize("bad", [0.0, -0.5, 1.5])
def test_unsure_below_must_be_a_confidence(library, tmp_path, synth_model, bad):
    with pytest.raises(UsageError, match="--unsure-below"):
        organize(library, str(tmp_path / "o"), model=synth_model, catalog_path=tmp_path / "c.sqlite",
                 unsure_below=bad)
    assert not os.path.exists(tmp_path / "o")


def test_organize_command_takes_unsure_below(library, tmp_path, synth_model, capsys, monkeypatch):
    # the synthesized model is sure of every file to the shown percent (100%): compare the raw confidence here, to
    # see the option reach organize (the rounding itself: test_reaper's test_organize_marks_unsure_...)
    monkeypatch.setattr(organize_module, "is_unsure", lambda confidence, below: (confidence or 0.0) < below)
    out = str(tmp_path / "sorted")
    assert main(["organize", library, "--into", out, "--unsure-below", "1", "--catalog", str(tmp_path / "c.sqlite"),
                 "--model", synth_model.path]) == 1
    assert "of them with confidence below 1 are in" in capsys.readouterr().out
    assert "unsure" in os.listdir(out)


def test_a_file_name_that_is_not_utf8_is_left_out_and_the_others_are_placed(tmp_path, synth_model):
    src = tmp_path / "src"
    kick = synth.write(src / "a kick.wav", synth.kick())
    synth.write(os.fsdecode(os.fsencode(str(src)) + b"/b \xff\xfe.wav"), synth.hat())
    snare = synth.write(src / "c snare.wav", synth.snare())
    out = tmp_path / "out"
    s = organize(src, out, model=synth_model, catalog_path=tmp_path / "cat.sqlite")
    assert (s.placed, s.unclassified, s.tagging.failed) == (2, 1, 1)
    placed = sorted(os.path.realpath(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs if f != MARKER)
    assert placed == sorted([kick, snare])


def test_an_earlier_view_inside_folder_is_not_sorted_again(library, tmp_path, synth_model):
    """A view left inside FOLDER by an earlier run (links or copies) is marked, and its files are not sorted into a
    new view a second time; a link to a file that is itself in FOLDER counts once too."""
    cat = str(tmp_path / "cat.sqlite")
    first = organize(library, os.path.join(library, "sorted1"), model=synth_model, catalog_path=cat)
    copies = organize(library, os.path.join(library, "copies"), model=synth_model, catalog_path=cat, mode="copy")
    assert os.path.isfile(os.path.join(library, "sorted1", MARKER)) and copies.placed == first.placed
    kick = next(p for p in listing(os.path.join(library, "sorted1")).values())
    os.symlink(kick, os.path.join(library, "another link.wav"))
    again = organize(library, str(tmp_path / "o2"), model=synth_model, catalog_path=cat)
    assert again.placed == first.placed and sum(again.by_label.values()) == first.placed
    assert sorted(listing(tmp_path / "o2").values()) == sorted(listing(os.path.join(library, "sorted1")).values())


def test_a_bad_catalog_or_a_file_as_out_is_refused_before_out_is_made(library, tmp_path, synth_model):
    with pytest.raises(CatalogError, match="named like an audio file"):
        organize(library, str(tmp_path / "o"), model=synth_model, catalog_path=tmp_path / "x.wav")
    assert not os.path.exists(tmp_path / "o")
    (tmp_path / "afile").write_text("mine")
    with pytest.raises(UsageError, match="--into .*afile: is a file, not a folder"):
        organize(library, str(tmp_path / "afile"), model=synth_model, catalog_path=tmp_path / "c.sqlite")
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_class_folder_it_cannot_write_is_named_in_the_error(library, tmp_path, synth_model, monkeypatch):
    from oscserver import organize as organize_module

    def read_only(src, class_dir, **kw):
        raise PermissionError(13, "Permission denied", os.path.join(class_dir, os.path.basename(src)))

    monkeypatch.setattr(organize_module, "place", read_only)
    s = organize(library, str(tmp_path / "o"), model=synth_model, catalog_path=tmp_path / "c.sqlite")
    path, reason = s.errors[0]
    cls = labels(tmp_path / "c.sqlite")[path]
    assert reason == (f"cannot place it in {tmp_path / 'o' / cls} ({tmp_path / 'o' / cls / os.path.basename(path)}: "
                      "Permission denied)")


def test_a_copy_the_user_renamed_is_not_made_again(library, tmp_path, synth_model):
    out, cat = tmp_path / "sorted", str(tmp_path / "cat.sqlite")
    organize(library, str(out), model=synth_model, catalog_path=cat, mode="copy")
    before = listing(out)
    rel = next(iter(before))
    cls = rel.split("/")[0]
    os.rename(out / rel, out / cls / "my favourite.wav")
    again = organize(library, str(out), model=synth_model, catalog_path=cat, mode="copy")
    assert again.placed == 0 and again.already == len(before)
    after = listing(out)
    assert f"{cls}/my favourite.wav" in after and rel not in after and len(after) == len(before)


def test_a_link_the_user_renamed_is_not_made_again(library, tmp_path, synth_model):
    out, cat = tmp_path / "sorted", str(tmp_path / "cat.sqlite")
    organize(library, str(out), model=synth_model, catalog_path=cat)
    before = listing(out)
    rel, target = next(iter(before.items()))
    cls = rel.split("/")[0]
    os.rename(out / rel, out / cls / "my favourite.wav")
    again = organize(library, str(out), model=synth_model, catalog_path=cat)
    assert again.placed == 0 and again.already == len(before)
    after = listing(out)
    assert after.pop(f"{cls}/my favourite.wav") == target and rel not in after


def test_a_rerun_through_a_link_to_the_folder_places_nothing_again(library, tmp_path, synth_model):
    """The same folder through another spelling (``~/Samples`` linking to the real folder): its files are already
    placed, and the links keep the spelling they were made with."""
    out, cat = str(tmp_path / "sorted"), str(tmp_path / "cat.sqlite")
    organize(library, out, model=synth_model, catalog_path=cat)
    first = listing(out)
    spelling = str(tmp_path / "Samples")
    os.symlink(library, spelling)
    again = organize(spelling, out, model=synth_model, catalog_path=cat)
    assert (again.placed, again.already) == (0, 7) and listing(out) == first


def _set_row(cat, path, **values):
    """Change a catalog row as a new model (or another confidence) would, without touching the file."""
    with sqlite3.connect(cat) as db:
        db.execute(f"UPDATE files SET {', '.join(f'{k} = ?' for k in values)} WHERE path = ?",
                   (*values.values(), path))
    db.close()


def test_a_file_that_changes_class_leaves_its_old_class_folder_in_link_mode(tmp_path, synth_model):
    src, out, cat = tmp_path / "src", str(tmp_path / "sorted"), str(tmp_path / "cat.sqlite")
    hit = synth.write(src / "hit.wav", synth.kick())
    synth.write(src / "snare.wav", synth.snare())
    organize(src, out, model=synth_model, catalog_path=cat)
    old_class = labels(cat)[hit]
    mine = os.path.join(out, "my picks", "hit.wav")  # the user's own folder in OUT, with a link of their own
    os.makedirs(os.path.dirname(mine))
    os.symlink(hit, mine)
    synth.write(hit, synth.snare(seed=5, duration=0.4))  # the user replaces the sound
    os.utime(hit, ns=(os.stat(hit).st_atime_ns, os.stat(hit).st_mtime_ns + 10**9))
    before = snapshot(src)
    s = organize(src, out, model=synth_model, catalog_path=cat)
    new_class = labels(cat)[hit]
    assert new_class != old_class and snapshot(src) == before
    assert (s.placed, s.already, s.moved) == (1, 1, 1)
    assert "1 of them moved to another class" in "\n".join(s.lines())
    places = [rel for rel, target in listing(out).items() if target == hit]
    assert sorted(places) == ["my picks/hit.wav", f"{new_class}/hit.wav"]
    again = organize(src, out, model=synth_model, catalog_path=cat)
    assert (again.placed, again.already, again.moved) == (0, 2, 0)


def test_a_file_no_longer_unsure_leaves_the_unsure_folder(library, tmp_path, synth_model):
    out, cat = str(tmp_path / "sorted"), str(tmp_path / "cat.sqlite")
    kick = os.path.join(library, "pack A", "kick.wav")
    organize(library, str(tmp_path / "first"), model=synth_model, catalog_path=cat)
    _set_row(cat, kick, confidence=0.45)
    organize(library, out, model=synth_model, catalog_path=cat, unsure_below=0.6)
    cls = labels(cat)[kick]
    assert listing(os.path.join(out, "unsure")) == {f"{cls}/kick.wav": kick}
    s = organize(library, out, model=synth_model, catalog_path=cat)  # no --unsure-below this time
    assert (s.moved, s.placed, s.already) == (1, 1, 6)
    assert os.listdir(os.path.join(out, "unsure", cls)) == []
    assert [rel for rel, target in listing(out).items() if target == kick] == [f"{cls}/kick (2).wav"]


def test_copy_mode_reports_earlier_copies_under_another_class_and_keeps_them(tmp_path, synth_model):
    src, out, cat = tmp_path / "src", tmp_path / "sorted", str(tmp_path / "cat.sqlite")
    hit = synth.write(src / "hit.wav", synth.kick())
    synth.write(src / "snare.wav", synth.snare())
    organize(src, str(out), model=synth_model, catalog_path=cat, mode="copy")
    old_class = labels(cat)[hit]
    new_class = next(c for c in synth_model.classes if c != old_class)
    _set_row(cat, hit, label=new_class)  # as a new model would say
    old_copy = out / old_class / "hit.wav"
    kept = snapshot(out / old_class)
    s = organize(src, str(out), model=synth_model, catalog_path=cat, mode="copy")
    assert (s.placed, s.already, s.earlier) == (1, 1, 1) and snapshot(out / old_class) == kept
    assert (out / new_class / "hit.wav").read_bytes() == old_copy.read_bytes()
    assert s.earlier_copies == [(str(old_copy), hit)]
    text = "\n".join(s.lines())
    assert "1 earlier copy of them sits under another class" in text and f"earlier copy: {old_copy}" in text


def test_two_originals_with_the_same_bytes_get_a_copy_each(tmp_path, synth_model):
    """Copy mode tells a copy by content and name: an identical copy named after another original is that one's;
    a renamed copy is an original's when no original's name explains it."""
    src, out, cat = tmp_path / "src", tmp_path / "sorted", str(tmp_path / "cat.sqlite")
    hit = synth.write(src / "packA" / "hit.wav", synth.kick())
    twin = src / "packB" / "kick_copy.wav"
    twin.parent.mkdir()
    twin.write_bytes(open(hit, "rb").read())
    s = organize(src, str(out), model=synth_model, catalog_path=cat, mode="copy")
    cls = labels(cat)[hit]
    assert (s.placed, s.already) == (2, 0) and sorted(os.listdir(out / cls)) == ["hit.wav", "kick_copy.wav"]
    s = organize(src, str(out), model=synth_model, catalog_path=cat, mode="copy")
    assert (s.placed, s.already) == (0, 2)
    os.rename(out / cls / "hit.wav", out / cls / "my favourite.wav")  # renamed: still hit's copy
    s = organize(src, str(out), model=synth_model, catalog_path=cat, mode="copy")
    assert (s.placed, s.already) == (0, 2) and sorted(os.listdir(out / cls)) == ["kick_copy.wav", "my favourite.wav"]
    os.rename(out / cls / "kick_copy.wav", out / cls / "best.wav")  # both renamed: one each
    s = organize(src, str(out), model=synth_model, catalog_path=cat, mode="copy")
    assert (s.placed, s.already) == (0, 2) and sorted(os.listdir(out / cls)) == ["best.wav", "my favourite.wav"]
    os.remove(out / cls / "best.wav")
    os.rename(out / cls / "my favourite.wav", out / cls / "kick_copy.wav")  # only the twin's copy is left
    s = organize(src, str(out), model=synth_model, catalog_path=cat, mode="copy")
    assert (s.placed, s.already) == (1, 1) and sorted(os.listdir(out / cls)) == ["hit.wav", "kick_copy.wav"]


def test_a_model_whose_class_cannot_be_a_folder_name_is_refused_before_any_work(tmp_path):
    from types import SimpleNamespace

    (tmp_path / "lib").mkdir()
    model = SimpleNamespace(classes=("kick", ".."), model_id="old-model")
    with pytest.raises(UsageError, match=r"the model old-model: the class name '\.\.' cannot be used"):
        organize_module.organize(tmp_path / "lib", tmp_path / "out", model=model)
    assert not (tmp_path / "out").exists()
