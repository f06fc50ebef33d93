"""Training sets from folders and CSVs: packs, links, duplicates and the warnings a user needs."""

from __future__ import annotations

import logging
import os

import pytest

import synth
from oscserver.dataset import from_csv, groups_line, load_dataset, warn_thin_classes
from oscserver.errors import UsageError


def _files(root, layout: dict[str, int]) -> None:
    """``{"kick/VendorA/pack0": 2, ...}``: that many synthesized files of the first folder's class in each."""
    for folder, n in layout.items():
        label = folder.split("/")[0].lower().rstrip("s")
        label = label if label in ("kick", "snare", "hat") else "kick"
        for i in range(n):
            synth.write(os.path.join(root, folder, f"{i}.wav"), synth.varied(label, i))


def test_a_deeper_group_level_names_the_pack_by_its_whole_path(tmp_path):
    _files(tmp_path, {f"{c}/{v}/pack{k}": 1 for c in ("kick", "snare") for v in ("VendorA", "VendorB")
                      for k in (0, 1)})
    ds = load_dataset(str(tmp_path), group_level=2)
    assert sorted({i.group for i in ds.items}) == ["VendorA/pack0", "VendorA/pack1", "VendorB/pack0",
                                                   "VendorB/pack1"]
    assert {i.group for i in load_dataset(str(tmp_path)).items} == {"VendorA", "VendorB"}


def test_pack_names_are_compared_ignoring_case_and_keep_their_first_spelling(tmp_path):
    _files(tmp_path, {"kick/808 Kit": 2, "snare/808 kit": 2, "snare/Other": 2})
    ds = load_dataset(str(tmp_path))
    assert sorted({i.group for i in ds.items}) == ["808 Kit", "Other"]
    assert groups_line(ds) == "2 groups: 808 Kit (4 files), Other (2)"


def test_a_link_into_another_class_folder_keeps_the_files_in_their_own_class(tmp_path):
    _files(tmp_path, {"kick/p0": 2, "snare/p1": 2, "hat/p2": 2})
    os.symlink(tmp_path, tmp_path / "snare" / "p1" / "loop")  # a loop: the whole set again, inside snare
    ds = load_dataset(str(tmp_path))
    assert sorted((os.path.relpath(i.path, tmp_path), i.label) for i in ds.items) == [
        ("hat/p2/0.wav", "hat"), ("hat/p2/1.wav", "hat"), ("kick/p0/0.wav", "kick"), ("kick/p0/1.wav", "kick"),
        ("snare/p1/0.wav", "snare"), ("snare/p1/1.wav", "snare")]


def test_a_folder_linked_from_two_classes_is_left_out_with_a_warning(tmp_path, caplog):
    _files(tmp_path / "set", {"kick/p0": 2, "snare/p1": 2})
    _files(tmp_path, {"shared": 1})  # outside the set: in neither class
    os.symlink(tmp_path / "shared", tmp_path / "set" / "kick" / "shared")
    os.symlink(tmp_path / "shared", tmp_path / "set" / "snare" / "shared")
    with caplog.at_level(logging.WARNING):
        ds = load_dataset(str(tmp_path / "set"))
    assert not any("shared" in i.path for i in ds.items) and len(ds.items) == 4
    assert "1 files are reached from two class folders" in caplog.text and "(kick, snare)" in caplog.text


def test_class_folders_without_audio_are_no_class_and_the_user_hears_of_odd_folders(tmp_path, caplog):
    _files(tmp_path, {"kick/p0": 2, "Kicks/p1": 2, "snare/p0": 2})
    (tmp_path / "hat").mkdir()
    (tmp_path / "hat" / "notes.txt").write_text("todo")
    synth.write(tmp_path / "stray.wav", synth.kick())
    with caplog.at_level(logging.WARNING):
        ds = load_dataset(str(tmp_path))
    assert ds.classes == ("kick", "snare", "Kicks")
    assert "the class folder hat has no audio files; it is not a class" in caplog.text
    assert "1 audio files (stray.wav) lie directly in it" in caplog.text
    assert "the class folders Kicks and kick look like one class" in caplog.text


def test_a_thin_class_is_warned_about(tmp_path, caplog):
    _files(tmp_path, {"kick/p0": 3, "kick/p1": 3, "snare/p0": 1})
    with caplog.at_level(logging.WARNING):
        warn_thin_classes(load_dataset(str(tmp_path)))
    assert "class snare has 1 file in 1 pack" in caplog.text and "class kick" not in caplog.text


def test_a_missing_dataset_says_so(tmp_path):
    with pytest.raises(UsageError, match="no such file or folder"):
        load_dataset(str(tmp_path / "nope"))


def _csv(tmp_path, rows: list[str], name="set.csv") -> str:
    p = tmp_path / name
    p.write_text("\n".join(rows) + "\n")
    return str(p)


def test_a_csv_listing_a_file_under_two_labels_is_refused_and_a_repeat_is_used_once(tmp_path, caplog):
    _files(tmp_path, {"kick/p0": 2})
    bad = _csv(tmp_path, ["path,label,group", "kick/p0/0.wav,kick,a", "kick/p0/1.wav,kick,a",
                          "./kick/p0/0.wav,snare,b"])
    with pytest.raises(UsageError, match=r"line 4: \./kick/p0/0\.wav is labelled snare, but kick on line 2"):
        from_csv(bad)
    again = _csv(tmp_path, ["path,label,group", "kick/p0/0.wav,kick,a", "kick/p0/0.wav,kick,a"], "again.csv")
    with caplog.at_level(logging.WARNING):
        assert len(from_csv(again).items) == 1
    assert "line 3 lists kick/p0/0.wav again" in caplog.text


def _four_files_csv(root) -> str:
    """root/{kick,snare}/p0/{0,1}.wav and a dataset CSV listing them (path,label, no groups)."""
    _files(root, {"kick/p0": 2, "snare/p0": 2})
    return _csv(root, ["path,label", "kick/p0/0.wav,kick", "kick/p0/1.wav,kick", "snare/p0/0.wav,snare",
                       "snare/p0/1.wav,snare"])


def test_groups_apply_to_a_csv_dataset_and_a_csv_without_groups_is_warned_about(tmp_path, caplog):
    data = _four_files_csv(tmp_path)
    groups = _csv(tmp_path, ["path,group", "kick/p0/0.wav,A", "kick/p0/1.wav,B", "snare/p0/0.wav,A",
                             "snare/p0/1.wav,B"], "groups.csv")
    ds = load_dataset(data, groups_csv=groups)
    assert [i.group for i in ds.items] == ["A", "B", "A", "B"] and ds.grouping == f"groups from {groups}"
    with caplog.at_level(logging.WARNING):
        assert load_dataset(data).grouping == "none (each file its own group)"
    assert "4 files have no group" in caplog.text and "will look better than it is" in caplog.text
    with pytest.raises(UsageError, match="--group-level: .* is a CSV"):
        load_dataset(data, group_level=2)
    (tmp_path / "sub").mkdir()
    elsewhere = _csv(tmp_path / "sub", ["path,group", "kick/p0/0.wav,A"], "groups.csv")
    with pytest.raises(UsageError, match=rf"groups.csv: no row for {tmp_path}/kick/p0/0.wav; its paths are "
                                         "relative to its own folder"):
        load_dataset(data, groups_csv=elsewhere)


def test_groups_csv_cells_are_read_as_a_dataset_csvs_group_column(tmp_path):
    """In --groups as in a dataset CSV: " A" and "A" are one pack, and an empty cell makes the file its own group
    (not one pack "" of every such file); a row without a path names its line."""
    data = _four_files_csv(tmp_path)
    groups = _csv(tmp_path, ["path,group", "kick/p0/0.wav, A", "kick/p0/1.wav,", "snare/p0/0.wav,A ", "snare/p0/1.wav"],
                  "groups.csv")
    ds = load_dataset(data, groups_csv=groups)
    assert [i.group for i in ds.items] == ["A", str(tmp_path / "kick/p0/1.wav"), "A", str(tmp_path / "snare/p0/1.wav")]
    bad = _csv(tmp_path, ["path,group", ",A"], "bad.csv")
    with pytest.raises(UsageError, match="bad.csv: line 2: empty path"):
        load_dataset(data, groups_csv=bad)


def test_an_empty_header_only_or_binary_csv_says_which(tmp_path):
    for content, reason in ((b"", "empty"), (b"path,label\n", "no rows below the header"),
                            (b"\xff\xfe\x00binary", "not a UTF-8 CSV file")):
        (tmp_path / "set.csv").write_bytes(content)
        with pytest.raises(UsageError, match=reason):
            load_dataset(str(tmp_path / "set.csv"))


def test_an_evaluation_csv_without_groups_is_not_warned_about(tmp_path, caplog):
    _files(tmp_path, {"kick/p0": 1})
    data = _csv(tmp_path, ["path,label", "kick/p0/0.wav,kick"])
    with caplog.at_level(logging.WARNING):
        load_dataset(data, group_level=0)  # as `drumtag evaluate` loads it: packs play no part there
    assert caplog.text == ""


@pytest.mark.parametrize("label", ["..", "hat|open", "a/b"])
def test_a_class_name_that_cannot_be_a_folder_or_clip_name_field_is_refused(tmp_path, label):
    """organize makes OUT/<class>/ (a label .. put links in OUT's parent) and the DAW scripts write
    "<class> 93% | <clip name>" (a | in the class broke restoring the clip's own name)."""
    _files(tmp_path, {"kick/p0": 2})
    data = _csv(tmp_path, ["path,label", "kick/p0/0.wav,kick", f"kick/p0/1.wav,{label}"])
    with pytest.raises(UsageError, match=r"set.csv: the class name .* cannot be used"):
        load_dataset(data)


def test_csv_labels_that_differ_only_in_case_are_warned_about(tmp_path, caplog):
    _files(tmp_path, {"kick/p0": 2})
    data = _csv(tmp_path, ["path,label", "kick/p0/0.wav,Kick", "kick/p0/1.wav,kick"])
    with caplog.at_level(logging.WARNING):
        assert load_dataset(data).classes == ("kick", "Kick")
    assert "the labels Kick and kick look like one class" in caplog.text
