"""Files drumtag writes never replace the user's audio or catalog, whatever the option (-o, --report, --png,
--json, export -o), and are refused before any work."""

from __future__ import annotations

import os

import pytest

import synth
from oscserver.atomicfile import user_data
from oscserver.catalog import Catalog
from oscserver.cli import main


@pytest.fixture
def precious(tmp_path) -> dict[str, bytes]:
    """{path: bytes} of files a user would lose: audio under any name, a catalog, and a catalog's sidecar."""
    synth.write(tmp_path / "kick.wav", synth.kick())
    synth.write(tmp_path / "snare.flac", synth.snare())
    synth.write(tmp_path / "renamed.dat", synth.hat(), format="FLAC")  # audio whatever its name says
    with Catalog(tmp_path / "cat.sqlite"):
        pass
    (tmp_path / "cat.sqlite-shm").write_bytes(b"\0" * 64)
    os.symlink(tmp_path / "kick.wav", tmp_path / "link.out")
    return {str(p): p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}


def test_user_data_knows_audio_by_name_and_by_content_and_sqlite_files(precious, tmp_path):
    for path in precious:
        assert user_data(path), path
    assert user_data(str(tmp_path / "new.wav")) == "is named like an audio file"
    (tmp_path / "model.joblib").write_bytes(b"\x80\x04previous model")
    (tmp_path / "report.json").write_text("{}")
    assert user_data(str(tmp_path / "model.joblib")) is None and user_data(str(tmp_path / "report.json")) is None
    assert user_data(str(tmp_path / "nothing yet.png")) is None


def _refused(argv, capsys, reason="drumtag never writes over it") -> None:
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    assert reason in err and len(err.strip().splitlines()) == 1, (argv, err)


def test_train_and_evaluate_refuse_to_write_over_audio_or_a_catalog(precious, synth_train_dir, synth_model_path,
                                                                    tmp_path, capsys):
    for path in precious:
        _refused(["train", synth_train_dir, "-o", path], capsys)
        _refused(["train", synth_train_dir, "-o", str(tmp_path / "m.joblib"), "--report", path], capsys)
        _refused(["evaluate", synth_train_dir, "--model", synth_model_path, "--png", "", "--json", path], capsys)
        if path.endswith((".wav", ".flac")):
            _refused(["evaluate", synth_train_dir, "--model", synth_model_path, "--png", path], capsys)
    assert {p: open(p, "rb").read() for p in precious} == precious


def test_train_keeps_a_previous_model_but_never_over_audio_named_like_its_backup(synth_train_dir, tmp_path, capsys):
    (tmp_path / "m.joblib").write_bytes(b"previous model")
    synth.write(tmp_path / "m.joblib.bak", synth.kick(), format="WAV")
    _refused(["train", synth_train_dir, "-o", str(tmp_path / "m.joblib")], capsys,
             "m.joblib.bak, which is an audio file; move it or choose another file name")


def test_evaluate_draws_only_to_a_png_name(synth_train_dir, synth_model_path, tmp_path, capsys):
    _refused(["evaluate", synth_train_dir, "--model", synth_model_path, "--png", str(tmp_path / "cm.svg")], capsys,
             "the confusion matrix is drawn as a PNG image; give a file name ending in .png")


def test_export_refuses_audio_and_writes_to_stdout_for_a_dash(precious, tmp_path, capsys):
    cat = str(tmp_path / "cat.sqlite")
    for path in precious:
        if path != cat:
            assert main(["export", "--catalog", cat, "-o", path]) == 2, path
            capsys.readouterr()
    assert {p: open(p, "rb").read() for p in precious} == precious
    assert main(["export", "--catalog", cat, "-o", "-"]) == 0
    assert capsys.readouterr().out.startswith("path,label,confidence")
    assert not os.path.exists("-")
