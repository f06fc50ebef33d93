"""drumtag classify at the edges: walking folders with links, file names that are not UTF-8, and Ctrl-C in the
middle of a folder."""

import json
import os

import synth
from oscserver import classify as classify_module
from oscserver.classify import iter_audio_files
from oscserver.cli import main


def test_folder_links_are_followed_once_and_loops_end(tmp_path):
    lib, elsewhere = tmp_path / "lib", tmp_path / "elsewhere"
    kick = synth.write(lib / "a" / "kick.wav", synth.kick())
    hat = synth.write(elsewhere / "hat.wav", synth.hat())
    os.symlink(lib / "a", lib / "b again")          # the same folder twice
    os.symlink(elsewhere, lib / "c linked")         # a folder outside, reached only through a link
    os.symlink(lib, lib / "a" / "loop")             # a loop
    found = list(iter_audio_files([lib]))
    assert found == [kick, str(lib / "c linked" / "hat.wav")]
    assert os.path.realpath(found[1]) == hat


def test_a_policy_keeps_the_walk_out_of_what_it_refuses_and_names_only_the_link(tmp_path):
    """The server's --allow-root: a link leading out is neither entered nor listed; the policy hears of the link
    once, never of the files behind it, and is never asked about them."""
    lib, elsewhere = tmp_path / "lib", tmp_path / "elsewhere"
    kick = synth.write(lib / "kick.wav", synth.kick())
    synth.write(elsewhere / "deep" / "hat.wav", synth.hat())
    synth.write(elsewhere / "snare.wav", synth.snare())
    os.symlink(elsewhere, lib / "out")
    os.symlink(elsewhere / "snare.wav", lib / "one.wav")
    asked, refused = [], []

    def allowed(real):
        asked.append(real)
        return real.startswith(str(lib.resolve()) + os.sep)

    assert list(iter_audio_files([lib], allowed=allowed, refused=refused.append)) == [kick]
    assert refused == [str(lib / "out"), str(lib / "one.wav")]
    assert not any("deep" in a or a.endswith("hat.wav") for a in asked)


def test_json_lines_stay_valid_utf8_for_a_file_name_that_is_not(tmp_path, synth_model_path, capsys):
    name = os.fsencode(str(tmp_path)) + b"/kick \xff\xfe.wav"
    synth.write(os.fsdecode(name), synth.kick())
    assert main(["classify", "--json", "--model", synth_model_path, str(tmp_path)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    line.encode("utf-8")  # no stray bytes in the output
    record = json.loads(line)
    assert os.fsencode(record["path"]) == name, "the \\u escapes give the file's name back"
    assert record["error"] is None


def test_ctrl_c_prints_the_rows_finished_so_far(tmp_path, synth_model_path, monkeypatch, capsys):
    paths = [synth.write(tmp_path / f"{label}.wav", synth.varied(label, 1)) for label in ("kick", "snare", "hat")]
    real = classify_module.classify_many

    def interrupted(files, model, **kw):
        for n, pred in enumerate(real(files, model, jobs=1)):
            if n == 2:
                raise KeyboardInterrupt
            yield pred

    monkeypatch.setattr(classify_module, "classify_many", interrupted)
    assert main(["classify", "--model", synth_model_path, *paths]) == 130
    out, err = capsys.readouterr()
    rows = out.splitlines()[1:]
    assert [row.split()[-1] for row in rows] == paths[:2]
    assert "interrupted after 2 of 3 files" in err


def test_control_characters_in_a_file_name_cannot_break_a_table_row(tmp_path, synth_model_path, capsys):
    synth.write(tmp_path / "new\nline.wav", synth.kick())
    synth.write(tmp_path / "tab\there.wav", synth.hat())
    (tmp_path / "esc\x1b[2J.wav").write_bytes(b"not audio")
    assert main(["classify", "--model", synth_model_path, "--progress", "never", str(tmp_path)]) == 1
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 4  # the header and one row per file
    assert rows[1].startswith("error") and f"{tmp_path / 'esc'}\\x1b[2J.wav: not an audio file" in rows[1]
    assert rows[2].endswith(str(tmp_path / "new\\nline.wav")) and rows[3].endswith(str(tmp_path / "tab\\there.wav"))


def test_a_file_name_that_is_not_utf8_shows_its_own_bytes_in_the_table():
    """Python hands such a name over with lone surrogates (U+DCFF for byte 0xff); the table shows the byte, as
    ``ls -b`` does; other unprintable characters beyond Latin-1 show as \\uXXXX."""
    from oscserver.commands.classify import _shown

    assert _shown(os.fsdecode(b"kick\xff\xfe.wav")) == "kick\\xff\\xfe.wav"
    assert _shown("a\u2028b\x7f.wav") == "a\\u2028b\\x7f.wav"
    assert _shown("Caf\u00e9 \u30c9\u30e9\u30e0.wav") == "Caf\u00e9 \u30c9\u30e9\u30e0.wav"


def test_a_folder_with_no_audio_says_so_and_is_not_a_failure(tmp_path, synth_model_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no audio here")
    assert main(["classify", "--model", synth_model_path, str(tmp_path / "empty")]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[1:] == []  # the header only
    assert f"{tmp_path / 'empty'}: no audio files in this folder or below it" in err
