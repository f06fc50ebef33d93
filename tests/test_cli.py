"""The classify, train, evaluate and info commands, run in-process."""

import json
import os
import re
import subprocess
import sys

import pytest

import synth
from oscserver.cli import main


@pytest.fixture()
def files(tmp_path):
    d = tmp_path / "my pack ü"
    return {label: synth.write(d / f"{label} 1.wav", synth.varied(label, 50)) for label in synth.GENERATORS}


def test_classify_json_lines(files, synth_model_path, tmp_path, capsys):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"x" * 500)
    code = main(["classify", "--json", "--model", synth_model_path, files["kick"], str(junk), str(tmp_path / "no.wav")])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_path = {r["path"]: r for r in lines}
    assert code == 1  # some failed
    assert by_path[files["kick"]]["label"] == "kick" and by_path[files["kick"]]["error"] is None
    assert set(by_path[files["kick"]]["probabilities"]) == {"kick", "snare", "hat", "percussion", "other"}
    for bad, reason in ((str(junk), "not an audio file"), (str(tmp_path / "no.wav"), "no such file")):
        assert by_path[bad]["label"] is None and reason in by_path[bad]["error"]
    assert set(lines[0]) == {"path", "label", "confidence", "probabilities", "error"}


def test_classify_folder_table(files, synth_model_path, capsys):
    folder = os.path.dirname(files["kick"])
    assert main(["classify", "--model", synth_model_path, folder]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["label", "conf", "kick", "snare", "hat", "percus", "other", "path"]
    assert len(out) == 6
    for label, path in files.items():
        (row,) = [line for line in out[1:] if line.endswith("  " + path)]
        assert row.split()[0] == label


def test_classify_bad_model_is_one_clear_line(files, tmp_path, capsys):
    bad = tmp_path / "m.joblib"
    bad.write_bytes(b"nope")
    assert main(["classify", "--model", str(bad), files["kick"]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a drumtag model" in err[0] and str(bad) in err[0]


def test_train_evaluate_info(synth_train_dir, tmp_path, capsys):
    out = tmp_path / "m.joblib"
    out.write_bytes(b"previous model")
    assert main(["train", synth_train_dir, "-o", str(out), "--cv-splits", "3", "-j", "1", "--weighting", "class",
                 "--report", str(tmp_path / "cv.json")]) == 0
    captured = capsys.readouterr()
    text = captured.out
    assert "grouped cross-validation (3 folds over 3 groups: pack folder" in text and "macro-F1" in text
    assert "3 groups; every file of a class weighs the same (--weighting class)" in captured.err
    assert "confidence calibrated: probabilities raised to the power" in text
    assert (tmp_path / "m.joblib.bak").read_bytes() == b"previous model"
    assert json.loads((tmp_path / "cv.json").read_text())["macro_f1"] > 0.9

    png = tmp_path / "cm.png"
    assert main(["evaluate", synth_train_dir, "--model", str(out), "--png", str(png), "-j", "1",
                 "--json", str(tmp_path / "eval.json")]) == 0
    text = capsys.readouterr().out
    rep = json.loads((tmp_path / "eval.json").read_text())
    assert sum(r["files"] for r in rep["confidence"]["reliability"]) == rep["n"]
    assert 0 <= rep["confidence"]["calibration_error"] <= 1
    assert "accuracy" in text and "confusion matrix" in text and "precision" in text
    assert re.search(r"confidence: mean [01]\.\d{3} against accuracy [01]\.\d{3}; expected calibration error 0\.\d{3}", text)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert main(["info", "--model", str(out)]) == 0
    text = capsys.readouterr().out
    assert "grouped cross-validation" in text and "classes   kick, snare, hat, percussion, other" in text
    assert "augmentation 0 per file, class weighting" in text and "confidence calibrated" in text
    assert main(["info", "--json", "--model", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["cv"]["n_groups"] == 3


def test_evaluate_rejects_unknown_labels(tmp_path, synth_model_path, capsys):
    synth.write(tmp_path / "set" / "cowbell" / "c.wav", synth.clap())
    synth.write(tmp_path / "set" / "kick" / "k.wav", synth.kick())
    assert main(["evaluate", str(tmp_path / "set"), "--model", synth_model_path, "--png", ""]) == 2
    assert "cowbell" in capsys.readouterr().err


def test_train_needs_class_folders(tmp_path, capsys):
    synth.write(tmp_path / "only" / "kick" / "k.wav", synth.kick())
    assert main(["train", str(tmp_path / "only")]) == 2
    assert "at least two class subfolders" in capsys.readouterr().err


def test_help_lists_every_command_and_imports_nothing_heavy():
    proc = subprocess.run([sys.executable, "-m", "oscserver", "--help"], capture_output=True, text=True, check=True)
    for command in ("classify", "train", "evaluate", "info", "serve", "send", "tag"):
        assert command in proc.stdout
    # --help must not import the heavy libraries
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "oscserver", "--help"], capture_output=True,
                          text=True, check=True)
    for heavy in ("sklearn", "librosa", "scipy", "numpy", "matplotlib"):
        assert f" {heavy}\n" not in proc.stderr and f"| {heavy}\n" not in proc.stderr


def test_train_offers_exactly_the_weightings_training_knows():
    from oscserver.cli import build_parser
    from oscserver.training import WEIGHTINGS

    parser = build_parser()
    train = next(a for a in parser._subparsers._group_actions[0].choices.values() if a.prog.endswith(" train"))
    weighting = next(a for a in train._actions if a.dest == "weighting")
    assert tuple(weighting.choices) == WEIGHTINGS and weighting.default == WEIGHTINGS[0]


def test_train_refuses_bad_options_before_any_work(synth_train_dir, tmp_path, capsys, monkeypatch):
    from oscserver import dataset

    def no_work(*a, **kw):
        raise AssertionError("the dataset was read before the options were checked")

    monkeypatch.setattr(dataset, "load_dataset", no_work)
    for option, value, reason in (("--cv-splits", "1", "must be at least 2, not 1"),
                                  ("--cv-splits", "0", "must be at least 2, not 0"),
                                  ("--cv-repeats", "0", "must be at least 1"),
                                  ("--augment", "-1", "must be at least 0"),
                                  ("--group-level", "0", "must be at least 1"),
                                  ("-j", "0", "must be at least 1")):
        with pytest.raises(SystemExit) as stop:
            main(["train", synth_train_dir, option, value])
        assert stop.value.code == 2
        assert f"argument {option}" in (err := capsys.readouterr().err) and reason in err, (option, value, err)
    for output, reason in ((tmp_path, "is a folder"), (tmp_path / "no such" / "m.joblib", "does not exist")):
        assert main(["train", synth_train_dir, "-o", str(output)]) == 2
        assert reason in capsys.readouterr().err


@pytest.mark.parametrize("command", ["classify", "evaluate", "tag", "organize"])
def test_jobs_must_be_at_least_one(command, tmp_path, capsys):
    argv = {"classify": ["classify", str(tmp_path)], "evaluate": ["evaluate", str(tmp_path)],
            "tag": ["tag", str(tmp_path)], "organize": ["organize", str(tmp_path), "--into", str(tmp_path / "o")]}
    with pytest.raises(SystemExit) as stop:
        main(argv[command] + ["-j", "-3"])
    assert stop.value.code == 2 and "must be at least 1, not -3" in capsys.readouterr().err
