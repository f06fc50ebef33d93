"""Live 12 browser tags: merging into existing XMP sidecars, marking drumtag's tags, --remove, --dry-run,
backups, read-only and malformed folders, unicode names."""

from __future__ import annotations

import os
import unicodedata
import xml.etree.ElementTree as ET

import pytest

from oscserver.catalog import Catalog, file_hash
from oscserver.cli import main
from oscserver.livetags import (BACKUP_SUFFIX, NS_ABL, NS_DRUMTAG, NS_RDF, SIDECAR_FOLDER, Sidecar, live_tags,
                                sidecar_path)
from test_tagging import read_only

# A sidecar as Live might leave it, plus things drumtag does not know: an xpacket wrapper, a comment, another
# namespace with its own element and attribute, an item for a file that does not exist, and the user's own tags
# (one of them spelled exactly like drumtag's kick tag).
USER_SIDECAR = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:ablFR="https://ns.ableton.com/xmp/fs-resources/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
      xmlns:acme="http://acme.example/ns/1.0/" acme:flavour="vanilla">
   <dc:format>application/vnd.ableton.folder</dc:format>
   <ablFR:resource>folder</ablFR:resource>
   <!-- the user's comment -->
   <ablFR:items><rdf:Bag>
     <rdf:li rdf:parseType="Resource">
       <ablFR:filePath>kick.wav</ablFR:filePath>
       <ablFR:keywords><rdf:Bag>
         <rdf:li>My Favourites</rdf:li>
       </rdf:Bag></ablFR:keywords>
       <acme:rating>5</acme:rating>
     </rdf:li>
     <rdf:li rdf:parseType="Resource">
       <ablFR:filePath>snare.wav</ablFR:filePath>
       <ablFR:keywords><rdf:Bag>
         <rdf:li>Drums|Kick</rdf:li>
       </rdf:Bag></ablFR:keywords>
     </rdf:li>
     <rdf:li rdf:parseType="Resource">
       <ablFR:filePath>deleted long ago.wav</ablFR:filePath>
       <ablFR:keywords><rdf:Bag><rdf:li>Vintage</rdf:li></rdf:Bag></ablFR:keywords>
     </rdf:li>
   </rdf:Bag></ablFR:items>
   <xmp:CreatorTool>Ableton Index 12.1</xmp:CreatorTool>
   <xmp:CreateDate>2024-10-10T20:42:58+01:00</xmp:CreateDate>
   <acme:notes>keep me</acme:notes>
  </rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>
"""


def catalogue(cat, path, label, *, error=None):
    """A current catalog row for ``path`` (as `drumtag tag` would write it)."""
    st = os.stat(path)
    with Catalog(cat) as c:
        c.put(path=str(path), size=st.st_size, mtime_ns=st.st_mtime_ns, hash=file_hash(path), model_id="m",
              label=None if error else label, confidence=None if error else 0.9, error=error)


def make_file(path, data=b"RIFF fake audio"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


def keywords(path) -> dict[str, list[str]]:
    """file name -> its keywords in the sidecar at ``path``."""
    root = ET.parse(path).getroot()
    out = {}
    for li in root.iter(f"{{{NS_RDF}}}li"):
        fp = li.find(f"{{{NS_ABL}}}filePath")
        if fp is not None:
            out[fp.text] = [k.text for k in li.findall(f"{{{NS_ABL}}}keywords/{{{NS_RDF}}}Bag/{{{NS_RDF}}}li")]
    return out


def ours(path) -> dict[str, list[str]]:
    root = ET.parse(path).getroot()
    out = {}
    for li in root.iter(f"{{{NS_RDF}}}li"):
        marker = li.find(f"{{{NS_DRUMTAG}}}keywords")
        if marker is not None:
            out[li.find(f"{{{NS_ABL}}}filePath").text] = [k.text for k in marker.iter(f"{{{NS_RDF}}}li")]
    return out


def canonical(text: str) -> str:
    return ET.canonicalize(text[text.index("<x:xmpmeta"):text.rindex("</x:xmpmeta>") + 12], strip_text=True)


@pytest.fixture
def folder(tmp_path):
    """A folder with kick.wav, snare.wav, tone.wav catalogued (kick, snare, other) and the user's sidecar."""
    lib = tmp_path / "lib"
    cat = str(tmp_path / "cat.sqlite")
    for name, label in (("kick.wav", "kick"), ("snare.wav", "snare"), ("tone.wav", "other")):
        catalogue(cat, make_file(lib / name, name.encode()), label)
    side = sidecar_path(lib)
    os.makedirs(os.path.dirname(side))
    with open(side, "w", encoding="utf-8") as f:
        f.write(USER_SIDECAR)
    return str(lib), cat, side


def test_merges_into_the_users_sidecar_and_keeps_everything(folder, capsys):
    lib, cat, side = folder
    assert main(["live-tags", lib, "--catalog", cat]) == 0
    assert "added 2" in capsys.readouterr().out
    kw = keywords(side)
    assert kw["kick.wav"] == ["My Favourites", "Drums|Kick"]
    assert kw["snare.wav"] == ["Drums|Kick", "Drums|Snare"]  # the user's own "Drums|Kick" stays
    assert kw["deleted long ago.wav"] == ["Vintage"]
    assert "tone.wav" not in kw  # "other" gets no tag
    assert ours(side) == {"kick.wav": ["Drums|Kick"], "snare.wav": ["Drums|Snare"]}  # the user's kick tag is not ours
    text = open(side, encoding="utf-8").read()
    assert text.startswith('<?xpacket begin="\ufeff"') and text.rstrip().endswith('<?xpacket end="w"?>')
    assert "<!-- the user's comment -->" in text and "<acme:rating>5</acme:rating>" in text
    assert 'acme:flavour="vanilla"' in text and "<acme:notes>keep me</acme:notes>" in text
    assert "Ableton Index 12.1" in text
    # new tags are laid out in the file's own indentation
    assert "\n         <rdf:li>My Favourites</rdf:li>\n         <rdf:li>Drums|Kick</rdf:li>\n" in text
    with open(side + BACKUP_SUFFIX, encoding="utf-8") as f:
        assert f.read() == USER_SIDECAR
    assert sorted(os.listdir(os.path.dirname(side))) == sorted([os.path.basename(side),
                                                                 os.path.basename(side) + BACKUP_SUFFIX])


def test_remove_takes_away_exactly_drumtags_tags(folder, capsys):
    lib, cat, side = folder
    assert main(["live-tags", lib, "--catalog", cat]) == 0
    assert main(["live-tags", lib, "--remove"]) == 0  # needs no catalog
    assert "removed 2" in capsys.readouterr().out
    kw = keywords(side)
    assert kw["kick.wav"] == ["My Favourites"] and kw["snare.wav"] == ["Drums|Kick"]
    assert ours(side) == {}
    # the same document as the user's, up to formatting
    assert canonical(open(side, encoding="utf-8").read()) == canonical(USER_SIDECAR)


def test_items_drumtag_created_go_away_on_remove_unless_the_user_tagged_them(tmp_path):
    lib, cat = tmp_path / "lib", str(tmp_path / "cat.sqlite")
    for name, label in (("a.wav", "hat"), ("b.wav", "percussion")):
        catalogue(cat, make_file(lib / name, name.encode()), label)
    list(live_tags([lib], catalog_path=cat))
    side = sidecar_path(lib)
    assert keywords(side) == {"a.wav": ["Drums|Hihat"], "b.wav": ["Drums|Percussion"]}
    # the user adds a tag of their own to b.wav in Live
    text = open(side, encoding="utf-8").read().replace("<rdf:li>Drums|Percussion</rdf:li>",
                                                       "<rdf:li>Drums|Percussion</rdf:li><rdf:li>Mine</rdf:li>", 1)
    with open(side, "w", encoding="utf-8") as f:
        f.write(text)
    reports = list(live_tags([lib], remove=True))
    assert [len(r.changes) for r in reports] == [2]
    assert keywords(side) == {"b.wav": ["Mine"]}
    assert "createdItem" not in open(side, encoding="utf-8").read()


def test_the_backup_keeps_the_users_sidecar_through_later_runs(folder):
    """A second write (a new label, or --remove) does not replace the backup with drumtag's own earlier version."""
    lib, cat, side = folder
    assert main(["live-tags", lib, "--catalog", cat]) == 0
    catalogue(cat, os.path.join(lib, "tone.wav"), "hat")  # re-tagged: another write
    assert main(["live-tags", lib, "--catalog", cat]) == 0
    assert main(["live-tags", lib, "--remove"]) == 0
    with open(side + BACKUP_SUFFIX, encoding="utf-8") as f:
        assert f.read() == USER_SIDECAR
    # the user edits the sidecar in Live (drumtag's marks gone): that version is the next backup
    with open(side, "w", encoding="utf-8") as f:
        f.write(USER_SIDECAR.replace("Vintage", "Vintage 2"))
    assert main(["live-tags", lib, "--catalog", cat]) == 0
    with open(side + BACKUP_SUFFIX, encoding="utf-8") as f:
        assert "Vintage 2" in f.read()


def test_remove_deletes_a_sidecar_drumtag_made_once_it_is_empty(tmp_path, capsys):
    lib, cat = tmp_path / "lib", str(tmp_path / "cat.sqlite")
    catalogue(cat, make_file(lib / "a.wav", b"a"), "hat")
    list(live_tags([lib], catalog_path=cat))
    catalogue(cat, str(lib / "a.wav"), "kick")
    list(live_tags([lib], catalog_path=cat))  # a second write: a backup of drumtag's own version
    assert main(["live-tags", str(lib), "--remove"]) == 0
    assert "so it was deleted" in capsys.readouterr().out
    assert sorted(os.listdir(lib)) == ["a.wav"], "no sidecar, backup or sidecar folder is left behind"
    # one the user tagged too is only written back
    list(live_tags([lib], catalog_path=cat))
    side = sidecar_path(lib)
    text = open(side, encoding="utf-8").read().replace("<rdf:li>Drums|Kick</rdf:li>",
                                                       "<rdf:li>Drums|Kick</rdf:li><rdf:li>Mine</rdf:li>", 1)
    with open(side, "w", encoding="utf-8") as f:
        f.write(text)
    list(live_tags([lib], remove=True))
    assert keywords(side) == {"a.wav": ["Mine"]}


def test_the_backup_keeps_the_users_bytes_after_remove_and_another_run(folder):
    """--remove writes the user's document back (reformatted); the next run must not take that for the user's."""
    lib, cat, side = folder
    for args in (["--catalog", cat], ["--remove"], ["--catalog", cat]):
        assert main(["live-tags", lib, *args]) == 0
    with open(side + BACKUP_SUFFIX, encoding="utf-8") as f:
        assert f.read() == USER_SIDECAR
    # an edit of the user's after --remove is a version of their own: the next backup
    assert main(["live-tags", lib, "--remove"]) == 0
    text = open(side, encoding="utf-8").read().replace("Vintage", "Vintage 2")
    with open(side, "w", encoding="utf-8") as f:
        f.write(text)
    assert main(["live-tags", lib, "--catalog", cat]) == 0
    with open(side + BACKUP_SUFFIX, encoding="utf-8") as f:
        assert f.read() == text


def test_remove_deletes_an_empty_sidecar_an_earlier_drumtag_left_behind(tmp_path, capsys):
    lib = tmp_path / "lib"
    make_file(lib / "a.wav")
    side = sidecar_path(lib)
    for path in (side, side + BACKUP_SUFFIX):  # what drumtag's --remove used to leave: items gone, file kept
        make_file(path, Sidecar.new().to_bytes())
    assert main(["live-tags", str(lib), "--remove", "--dry-run"]) == 0
    assert "so it would be deleted" in capsys.readouterr().out and os.path.exists(side)
    assert main(["live-tags", str(lib), "--remove"]) == 0
    out = capsys.readouterr().out
    assert "so it was deleted" in out and "1 folders changed" in out
    assert sorted(os.listdir(lib)) == ["a.wav"]


@pytest.mark.parametrize("mine", ["<dc:title>My kit</dc:title>", "<!-- my note -->",
                                  '<xmp:Rating>5</xmp:Rating>'])
def test_remove_keeps_a_sidecar_drumtag_created_once_the_user_added_to_it(tmp_path, mine):
    lib, cat = tmp_path / "lib", str(tmp_path / "cat.sqlite")
    catalogue(cat, make_file(lib / "a.wav", b"a"), "hat")
    list(live_tags([lib], catalog_path=cat))
    side = sidecar_path(lib)
    text = open(side, encoding="utf-8").read()
    text = text.replace("<xmp:CreatorTool>", mine + "<xmp:CreatorTool>", 1)
    with open(side, "w", encoding="utf-8") as f:
        f.write(text)
    [report] = list(live_tags([lib], remove=True))
    assert not report.deleted and report.written
    assert mine in open(side, encoding="utf-8").read() and keywords(side) == {}


def test_remove_keeps_a_sidecar_drumtag_created_with_an_attribute_of_the_users(tmp_path):
    lib, cat = tmp_path / "lib", str(tmp_path / "cat.sqlite")
    catalogue(cat, make_file(lib / "a.wav", b"a"), "hat")
    list(live_tags([lib], catalog_path=cat))
    side = sidecar_path(lib)
    text = open(side, encoding="utf-8").read().replace('rdf:about=""', 'rdf:about="" xmp:Label="Red"', 1)
    with open(side, "w", encoding="utf-8") as f:
        f.write(text)
    [report] = list(live_tags([lib], remove=True))
    assert not report.deleted and 'xmp:Label="Red"' in open(side, encoding="utf-8").read()


def test_a_new_label_replaces_drumtags_old_tag(folder):
    lib, cat, side = folder
    list(live_tags([lib], catalog_path=cat))
    kick = os.path.join(lib, "kick.wav")
    catalogue(cat, kick, "percussion")  # tagged again with another result
    [report] = list(live_tags([lib], catalog_path=cat))
    assert [(c.name, c.added, c.removed) for c in report.changes] == \
           [("kick.wav", ("Drums|Percussion",), ("Drums|Kick",))]
    assert keywords(side)["kick.wav"] == ["My Favourites", "Drums|Percussion"]
    assert ours(side)["kick.wav"] == ["Drums|Percussion"]


def test_second_run_writes_nothing(folder):
    lib, cat, side = folder
    list(live_tags([lib], catalog_path=cat))
    before = (open(side, "rb").read(), os.stat(side).st_mtime_ns, open(side + BACKUP_SUFFIX, "rb").read())
    [report] = list(live_tags([lib], catalog_path=cat))
    assert report.changes == [] and not report.written
    assert (open(side, "rb").read(), os.stat(side).st_mtime_ns, open(side + BACKUP_SUFFIX, "rb").read()) == before


def test_dry_run_shows_changes_and_writes_nothing(folder, tmp_path, capsys):
    lib, cat, side = folder
    fresh = tmp_path / "lib" / "fresh"
    catalogue(cat, make_file(fresh / "hat.wav"), "hat")
    assert main(["live-tags", lib, "--catalog", cat, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "+ Drums|Kick\tkick.wav" in out and "+ Drums|Snare\tsnare.wav" in out and "+ Drums|Hihat\that.wav" in out
    assert "would add 2" in out and "2 folders would change" in out
    assert open(side, encoding="utf-8").read() == USER_SIDECAR
    assert not os.path.exists(side + BACKUP_SUFFIX) and not os.path.exists(fresh / SIDECAR_FOLDER)
    main(["live-tags", lib, "--catalog", cat])
    capsys.readouterr()
    assert main(["live-tags", lib, "--remove", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "- Drums|Kick\tkick.wav" in out and "- Drums|Hihat\that.wav" in out
    assert ours(side) == {"kick.wav": ["Drums|Kick"], "snare.wav": ["Drums|Snare"]}


def test_recurses_into_subfolders_with_a_sidecar_each(tmp_path):
    cat = str(tmp_path / "cat.sqlite")
    catalogue(cat, make_file(tmp_path / "lib" / "a" / "k.wav"), "kick")
    catalogue(cat, make_file(tmp_path / "lib" / "a" / "b" / "s.wav"), "snare")
    make_file(tmp_path / "lib" / "untagged" / "x.wav")
    reports = list(live_tags([tmp_path / "lib"], catalog_path=cat))
    assert [os.path.relpath(r.folder, tmp_path) for r in reports] == ["lib/a", "lib/a/b"]
    assert keywords(sidecar_path(tmp_path / "lib" / "a")) == {"k.wav": ["Drums|Kick"]}
    assert keywords(sidecar_path(tmp_path / "lib" / "a" / "b")) == {"s.wav": ["Drums|Snare"]}
    assert not os.path.exists(tmp_path / "lib" / "untagged" / SIDECAR_FOLDER)


def test_files_changed_since_tagging_and_error_rows_are_left_alone(tmp_path, capsys):
    cat, lib = str(tmp_path / "cat.sqlite"), tmp_path / "lib"
    catalogue(cat, make_file(lib / "k.wav"), "kick")
    changed = make_file(lib / "changed.wav", b"one")
    catalogue(cat, changed, "snare")
    make_file(changed, b"two, longer")
    catalogue(cat, make_file(lib / "bad.wav"), None, error="not audio")
    assert main(["live-tags", str(lib), "--catalog", cat]) == 0
    assert "1 files changed since tagging" in capsys.readouterr().out
    assert keywords(sidecar_path(lib)) == {"k.wav": ["Drums|Kick"]}


def test_unicode_names_match_across_normal_forms(tmp_path):
    cat, lib = str(tmp_path / "cat.sqlite"), tmp_path / "lib"
    nfd = unicodedata.normalize("NFD", "Caixa é 🥁.wav")
    catalogue(cat, make_file(lib / nfd), "snare")
    catalogue(cat, make_file(lib / "スネア.wav"), "snare")
    side = sidecar_path(lib)
    os.makedirs(os.path.dirname(side))
    with open(side, "w", encoding="utf-8") as f:  # the item was written with the NFC spelling
        f.write(USER_SIDECAR.replace("kick.wav", unicodedata.normalize("NFC", nfd)))
    list(live_tags([lib], catalog_path=cat))
    kw = keywords(side)
    assert kw[unicodedata.normalize("NFC", nfd)] == ["My Favourites", "Drums|Snare"]
    assert nfd not in kw or nfd == unicodedata.normalize("NFC", nfd)
    assert kw["スネア.wav"] == ["Drums|Snare"]


def test_read_only_folder_is_an_error_for_that_folder_only(tmp_path, capsys):
    cat = str(tmp_path / "cat.sqlite")
    catalogue(cat, make_file(tmp_path / "lib" / "a" / "k.wav"), "kick")
    catalogue(cat, make_file(tmp_path / "lib" / "b" / "s.wav"), "snare")
    with read_only(tmp_path / "lib" / "a"):
        assert main(["live-tags", str(tmp_path / "lib"), "--catalog", cat]) == 1
    out, err = capsys.readouterr()
    assert f"{tmp_path / 'lib' / 'a'}" in err and "cannot write" in err
    assert "1 folders changed, 0 already up to date, 1 failed" in out
    assert keywords(sidecar_path(tmp_path / "lib" / "b")) == {"s.wav": ["Drums|Snare"]}
    assert not os.path.exists(tmp_path / "lib" / "a" / SIDECAR_FOLDER)


def test_read_only_sidecar_folder_keeps_the_users_file(folder, capsys):
    lib, cat, side = folder
    with read_only(os.path.dirname(side)):
        assert main(["live-tags", lib, "--catalog", cat]) == 1
        assert main(["live-tags", lib, "--catalog", cat, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "not writable" in out
    assert open(side, encoding="utf-8").read() == USER_SIDECAR


@pytest.mark.parametrize("content", [b"<x:xmpmeta><unclosed>", b"\xff\xfe\x00 not utf-8",
                                     b'<?xml version="1.0" encoding="UTF-16"?><a/>', b"<a><b/></a>"])
def test_unreadable_sidecar_is_left_untouched(tmp_path, capsys, content):
    cat, lib = str(tmp_path / "cat.sqlite"), tmp_path / "lib"
    catalogue(cat, make_file(lib / "k.wav"), "kick")
    side = sidecar_path(lib)
    os.makedirs(os.path.dirname(side))
    with open(side, "wb") as f:
        f.write(content)
    assert main(["live-tags", str(lib), "--catalog", cat]) == 1
    assert "left as it is" in capsys.readouterr().err
    assert open(side, "rb").read() == content and not os.path.exists(side + BACKUP_SUFFIX)


def test_missing_folder_and_missing_catalog_are_clear_errors(tmp_path, capsys):
    assert main(["live-tags", str(tmp_path / "nope"), "--catalog", str(tmp_path / "c.sqlite")]) == 2
    assert "nope: not a folder" in capsys.readouterr().err
    (tmp_path / "lib").mkdir()
    assert main(["live-tags", str(tmp_path / "lib"), "--catalog", str(tmp_path / "c.sqlite")]) == 2
    assert "drumtag tag" in capsys.readouterr().err
    Catalog(tmp_path / "c.sqlite").close()
    assert main(["live-tags", str(tmp_path / "lib"), "--catalog", str(tmp_path / "c.sqlite")]) == 0
    assert "no catalogued files" in capsys.readouterr().err


def test_new_sidecar_follows_lives_layout():
    s = Sidecar.new()
    s.set_tags("bd1.wav", {"Drums|Kick"})
    root = ET.fromstring(s.to_bytes())
    desc = root.find(f"{{{NS_RDF}}}RDF/{{{NS_RDF}}}Description")
    assert desc.find("{http://purl.org/dc/elements/1.1/}format").text == "application/vnd.ableton.folder"
    assert desc.find(f"{{{NS_ABL}}}resource").text == "folder"
    li = desc.find(f"{{{NS_ABL}}}items/{{{NS_RDF}}}Bag/{{{NS_RDF}}}li")
    assert li.get(f"{{{NS_RDF}}}parseType") == "Resource" and li.find(f"{{{NS_ABL}}}filePath").text == "bd1.wav"


# -- a custom model's classes ----------------------------------------------------------------------------------------

def test_a_custom_models_classes_get_a_drums_tag_of_their_own(tmp_path, capsys):
    """A model trained on clap/tom folders: its files are tagged Drums|Clap and Drums|Tom like the defaults, not
    left untagged with the folder reported "already up to date"."""
    lib = tmp_path / "lib"
    cat = str(tmp_path / "cat.sqlite")
    for name, label in (("c.wav", "clap"), ("t.wav", "tom"), ("k.wav", "kick"), ("o.wav", "other")):
        catalogue(cat, make_file(lib / name, name.encode()), label)
    assert main(["live-tags", str(lib), "--catalog", cat]) == 0
    out = capsys.readouterr().out
    assert "added 3" in out and "1 folders changed" in out
    side = sidecar_path(lib)
    assert keywords(side) == {"c.wav": ["Drums|Clap"], "t.wav": ["Drums|Tom"], "k.wav": ["Drums|Kick"]}
    assert main(["live-tags", "--remove", str(lib), "--catalog", cat]) == 0
    assert not os.path.exists(side)  # drumtag's own sidecar, and nothing else was in it


@pytest.mark.parametrize("label, tag", [("kick", "Drums|Kick"), ("hat", "Drums|Hihat"), ("clap", "Drums|Clap"),
                                        ("open hat", "Drums|Open hat"), ("  rim\tshot ", "Drums|Rim shot"),
                                        ("tom|floor", "Drums|Tom-floor"), ("other", None), ("", None),
                                        (None, None), ("|", "Drums|-"), ("Hat", "Drums|Hihat"),
                                        ("KICK", "Drums|Kick"), ("Other", None)])
def test_tag_for_builds_one_level_under_drums(label, tag):
    from oscserver.livetags import tag_for

    assert tag_for(label) == tag


def test_overlapping_folders_are_each_handled_once(folder, tmp_path):
    lib, cat, side = folder
    catalogue(cat, make_file(tmp_path / "lib" / "kit" / "hat.wav"), "hat")
    os.symlink(os.path.join(lib, "kit"), tmp_path / "kit link")
    reports = list(live_tags([lib, os.path.join(lib, "kit"), lib, str(tmp_path / "kit link")], catalog_path=cat))
    assert sorted(os.path.realpath(r.folder) for r in reports) == sorted([os.path.realpath(lib),
                                                                          os.path.realpath(os.path.join(lib, "kit"))])


def test_linked_folders_that_tag_followed_get_their_tags_once(tmp_path, synth_model):
    """A pack linked into the library (``~/Samples/Vendor -> /mnt/nas/Vendor``): `tag` catalogues its files, so
    live-tags writes its sidecar, in the real folder and once, however often it is reached; a link loop ends."""
    import synth
    from oscserver.livetags import tag_for
    from oscserver.tagging import tag_paths

    lib, nas = tmp_path / "Samples", tmp_path / "nas" / "Vendor"
    synth.write(lib / "Own" / "bd.wav", synth.kick())
    sd = synth.write(nas / "sd.wav", synth.snare())
    os.symlink(nas, lib / "Vendor")
    os.symlink(nas, nas / "again")  # a loop
    cat = str(tmp_path / "cat.sqlite")
    tag_paths([str(lib)], model=synth_model, catalog_path=cat, jobs=1)
    with Catalog(cat) as c:
        label = c.get(os.path.join(lib, "Vendor", "sd.wav")).label
    reports = list(live_tags([lib, nas, lib / "Vendor"], catalog_path=cat))
    folders = [os.path.realpath(r.folder) for r in reports]
    assert sorted(folders) == sorted([str(lib / "Own"), os.path.realpath(nas)])
    assert all(r.written for r in reports)
    assert keywords(sidecar_path(nas)) == {"sd.wav": [tag_for(label)]} and os.path.exists(sd)
    assert not any(r.changes or r.written for r in live_tags([lib], catalog_path=cat))  # up to date
    removed = list(live_tags([lib], remove=True))
    assert sorted(os.path.realpath(r.folder) for r in removed) == sorted(folders)
    assert not os.path.exists(sidecar_path(nas))


def test_a_sidecar_with_its_own_prefixes_leaves_the_next_sidecars_alone():
    """A sidecar whose RDF is the default namespace (valid RDF/XML) or that names Ableton's namespace ``abl``: its
    prefixes are used when it is written back, and never leak into the sidecars written after it (ElementTree's
    prefix table is the process's): a new sidecar still says rdf:about and rdf:parseType, and ablFR."""
    own = ('<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:r="' + NS_RDF + '"><RDF xmlns="' + NS_RDF + '">'
           '<Description r:about="" xmlns:abl="' + NS_ABL + '" xmlns:my="urn:mine"><abl:items><Bag>'
           '<li r:parseType="Resource"><abl:filePath>kick.wav</abl:filePath><my:note>x</my:note></li>'
           '</Bag></abl:items></Description></RDF></x:xmpmeta>').encode()
    again = Sidecar.parse(own).to_bytes()
    assert b"my:note" in again and ET.fromstring(again).find(f".//{{{NS_ABL}}}filePath").text == "kick.wav"
    fresh = Sidecar.new().to_bytes().decode()
    assert 'rdf:about=""' in fresh and "ablFR:" in fresh and "abl:" not in fresh.replace("ablFR:", "")
    s = Sidecar.new()
    s.set_tags("snare.wav", {"Drums|Snare"})
    assert 'rdf:parseType="Resource"' in s.to_bytes().decode()


def test_keywords_in_an_rdf_seq_get_the_tags_in_that_container_not_a_second_one():
    """A second container beside the user's rdf:Seq would give the property two values (invalid RDF)."""
    seq = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="' + NS_RDF + '"><rdf:Description rdf:about="" '
           'xmlns:ablFR="' + NS_ABL + '"><ablFR:items><rdf:Bag><rdf:li rdf:parseType="Resource">'
           '<ablFR:filePath>kick.wav</ablFR:filePath><ablFR:keywords><rdf:Seq><rdf:li>Mine</rdf:li></rdf:Seq>'
           '</ablFR:keywords></rdf:li></rdf:Bag></ablFR:items></rdf:Description></rdf:RDF></x:xmpmeta>').encode()
    s = Sidecar.parse(seq)
    assert s.set_tags("kick.wav", {"Drums|Kick"}) is not None
    keywords = ET.fromstring(s.to_bytes()).find(f".//{{{NS_ABL}}}keywords")
    assert [c.tag.split("}")[1] for c in keywords] == ["Seq"]
    assert [li.text for li in keywords[0]] == ["Mine", "Drums|Kick"]


def test_a_comment_holding_a_bracket_before_the_root_is_kept_and_the_sidecar_read():
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- exported by <MyTool> -->\n'
            + Sidecar.new().to_bytes().decode())
    s = Sidecar.parse(text.encode())
    assert s.set_tags("kick.wav", {"Drums|Kick"}) is not None
    assert s.to_bytes().decode().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!-- exported by <MyTool> -->\n')
