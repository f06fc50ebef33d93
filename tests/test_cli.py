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
    assert out[0].split() == ["label", "conf", "kick", "snare", "hat", "percussion", "other", "path"]
    assert len({line.index("  /") for line in out[1:] if "  /" in line}) == 1  # the columns line up
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
    assert re.search(r"^groups: pack folder 1 level\(s\) below each class folder, 3 groups: \S+ \(30 files\), "
                     r"\S+ \(30\), \S+ \(30\)$", captured.err, re.M)
    assert "\nevery file of a class weighs the same (--weighting class)" in captured.err
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


# -- refused before any work: train's and evaluate's output files, train --seed ---------------------------------------

def _no_dataset(monkeypatch):
    from oscserver import dataset

    def no_work(*a, **kw):
        raise AssertionError("the dataset was read before the options were checked")

    monkeypatch.setattr(dataset, "load_dataset", no_work)


def test_train_refuses_outputs_it_could_not_write_and_bad_seeds_before_any_work(synth_train_dir, tmp_path, capsys,
                                                                                  monkeypatch):
    _no_dataset(monkeypatch)
    a_file = tmp_path / "a file"
    a_file.write_text("")
    (tmp_path / "old.joblib").write_bytes(b"previous model")
    (tmp_path / "old.joblib.bak").mkdir()
    cases = [(["-o", str(a_file / "m.joblib")], f"{a_file} is not a folder"),
             (["-o", ""], "give a file name"),
             (["--report", str(tmp_path)], f"--report {tmp_path}: is a folder"),
             (["--report", str(tmp_path / "no such" / "cv.json")], "does not exist"),
             (["-o", str(tmp_path / "old.joblib")], "old.joblib.bak, which is a folder")]
    if os.path.isdir("/proc/self"):  # no file can be made there, whoever asks (os.access says yes to root)
        cases.append((["-o", "/proc/m.joblib"], "-o /proc/m.joblib: cannot write in /proc"))
    for argv, reason in cases:
        assert main(["train", synth_train_dir, *argv]) == 2, argv
        err = capsys.readouterr().err
        assert reason in err and len(err.strip().splitlines()) == 1, (argv, err)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".probe")]
    for seed, reason in (("-1", "must be 0 to 4294967295, not -1"), (str(2 ** 32), "must be 0 to 4294967295"),
                         ("x", "'x' is not a whole number")):
        with pytest.raises(SystemExit) as stop:
            main(["train", synth_train_dir, "--seed", seed])
        assert stop.value.code == 2 and f"argument --seed: {reason}" in capsys.readouterr().err


def test_evaluate_refuses_outputs_it_could_not_write_before_classifying(tmp_path, capsys, monkeypatch):
    from oscserver import model

    def no_work(*a, **kw):
        raise AssertionError("the model was loaded before the options were checked")

    monkeypatch.setattr(model, "load_model", no_work)
    ev = tmp_path / "ev.csv"
    ev.write_text("path,label\nk.wav,kick\n")
    for argv, reason in ((["--png", str(tmp_path)], f"--png {tmp_path}: is a folder"),
                         (["--json", str(tmp_path / "no such" / "r.json")], "does not exist"),
                         (["--png", "", "--json", str(ev)], "is the dataset itself")):
        assert main(["evaluate", str(ev), *argv]) == 2, argv
        assert reason in capsys.readouterr().err, argv


def test_evaluate_help_says_json_takes_a_file():
    from oscserver.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    text = " ".join(sub.choices["evaluate"].format_help().split())
    assert "--json FILE" in text and "unlike other commands' --json this takes a file name" in text


@pytest.mark.parametrize("command", ["classify", "evaluate", "tag", "organize", "train"])
def test_jobs_zero_is_refused(command, tmp_path, capsys):
    extra = ["--into", str(tmp_path / "o")] if command == "organize" else []
    with pytest.raises(SystemExit) as stop:
        main([command, str(tmp_path), *extra, "-j", "0"])
    assert stop.value.code == 2 and "argument -j/--jobs: must be at least 1, not 0" in capsys.readouterr().err


# -- evaluate on files of some classes only -------------------------------------------------------------------------

def test_evaluate_scores_macro_f1_over_the_classes_present_and_marks_the_others(synth_model_path, tmp_path,
                                                                                   capsys):
    rows = ["path,label"]
    for label in ("kick", "hat"):
        for i in range(3):
            rows.append(f"{synth.write(tmp_path / f'{label}{i}.wav', synth.varied(label, 90 + i))},{label}")
    (tmp_path / "ev.csv").write_text("\n".join(rows) + "\n")
    code = main(["evaluate", str(tmp_path / "ev.csv"), "--model", synth_model_path, "--png", "", "-j", "1",
                 "--json", str(tmp_path / "ev.json")])
    text = capsys.readouterr().out
    rep = json.loads((tmp_path / "ev.json").read_text())
    assert code == 0 and rep["macro_f1_classes"] == ["kick", "hat"]
    assert rep["macro_f1"] == round((rep["per_class"]["kick"]["f1"] + rep["per_class"]["hat"]["f1"]) / 2, 4)
    assert rep["per_class"]["snare"]["recall"] is None and rep["per_class"]["snare"]["f1"] is None
    assert rep["per_class"]["snare"]["support"] == 0
    assert "macro-F1 is over the 2 classes present in these files (kick, hat); snare, percussion, other have none" \
        in text
    row = next(line.split() for line in text.splitlines() if line.startswith("snare "))
    assert row[2:] == ["-", "-", "0"] and row[1] in ("-", "0.000")
    assert "packs" not in rep and "accuracy per pack" not in text       # no group column: no packs


def test_evaluate_scores_the_pack_folders_of_a_folder_and_counts_loose_files_apart(synth_model_path, tmp_path,
                                                                                    capsys, caplog):
    for label in ("kick", "snare"):
        for i in range(2):
            synth.write(tmp_path / "set" / label / "Kit A" / f"{i}.wav", synth.varied(label, 40 + i))
        synth.write(tmp_path / "set" / label / "loose.wav", synth.varied(label, 50))
    argv = ["evaluate", str(tmp_path / "set"), "--model", synth_model_path, "--png", "", "-j", "1", "--json",
            str(tmp_path / "ev.json")]
    assert main(argv) == 0
    packs = json.loads((tmp_path / "ev.json").read_text())["packs"]
    assert sorted((r["group"], r["files"]) for r in packs["per_pack"]) == [("(no pack)", 2), ("Kit A", 4)]
    assert "no pack" not in caplog.text.replace("(no pack)", "")  # evaluating: loose files are not warned about
    assert main(argv + ["--group-level", "0"]) == 0
    assert "packs" not in json.loads((tmp_path / "ev.json").read_text())
    capsys.readouterr()


def test_evaluate_scores_each_pack_of_a_csv_with_a_group_column(synth_model_path, tmp_path, capsys, monkeypatch):
    """Packs from the CSV's group column: each pack's accuracy, worst first, and their mean, in text and JSON."""
    import dataclasses

    import oscserver.classify

    rows = ["path,label,group"]
    for pack, n in (("big kit", 4), ("small kit", 2)):
        for i in range(n):
            for label in ("kick", "snare"):
                path = synth.write(tmp_path / f"{pack} {label}{i}.wav", synth.varied(label, 60 + i))
                rows.append(f"{path},{label},{pack}")
    (tmp_path / "ev.csv").write_text("\n".join(rows) + "\n")
    real = oscserver.classify.classify_many

    def rigged(paths, model, **kw):  # every file right, but the big kit's snares taken for hats
        for pred in real(paths, model, **kw):
            name = os.path.basename(pred.path)
            label = "hat" if name.startswith("big kit snare") else "kick" if " kick" in name else "snare"
            yield dataclasses.replace(pred, label=label)

    monkeypatch.setattr(oscserver.classify, "classify_many", rigged)
    assert main(["evaluate", str(tmp_path / "ev.csv"), "--model", synth_model_path, "--png", "", "-j", "1",
                 "--json", str(tmp_path / "ev.json")]) == 0
    rep = json.loads((tmp_path / "ev.json").read_text())
    assert rep["packs"] == {"packs": 2, "mean_accuracy": 0.75,
                            "per_pack": [{"group": "big kit", "files": 8, "accuracy": 0.5},
                                         {"group": "small kit", "files": 4, "accuracy": 1.0}]}
    text = capsys.readouterr().out
    assert "accuracy per pack: mean 0.750 over 2 packs:" in text
    assert [line.split()[-2:] for line in text.splitlines() if line.startswith("  big kit")] == [["8", "0.500"]]


# -- drumtag send: timeout, help, how far a request got, Ctrl-C --------------------------------------------------------

def test_send_refuses_a_timeout_that_is_not_a_number_of_seconds(capsys):
    for bad, reason in (("0", "must be above 0"), ("-1", "must be above 0"), ("nan", "must be above 0"),
                        ("inf", "at most 86400 seconds"), ("1e300", "at most 86400 seconds"),
                        ("soon", "'soon' is not a number of seconds")):
        with pytest.raises(SystemExit) as stop:
            main(["send", "--timeout", bad, "ping"])
        assert stop.value.code == 2 and reason in (err := capsys.readouterr().err) and "argument --timeout:" in err, bad


def test_send_help_lists_the_exit_statuses():
    from oscserver.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    text = sub.choices["send"].format_help()
    assert "exit status:" in text
    for status in ("0 ", "1 ", "2 ", "3 ", "130 "):
        assert f"\n  {status}" in text, status
    assert "failed files" in text and "server stopping" in text and "cancelled on the server" in text


@pytest.fixture
def osc_server():
    from oscserver.server import Server

    servers = []

    def start(ctx):
        servers.append(Server(ctx, host="127.0.0.1", port=0).start())
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def _ctx(model, classify_many):
    from oscserver.classes import DEFAULT_COLORS
    from oscserver.handlers import Context

    return Context(model=model, colors=dict(DEFAULT_COLORS), classify_many=classify_many, progress_interval=60)


def test_send_says_how_far_a_request_stopped_by_the_server_got(osc_server, synth_model, files, capsys):
    from oscserver.classify import classify_file

    def stopped_many(paths, model, *, cancel=None, batch=1):
        yield classify_file(paths[0], model)
        cancel.set()  # what the server's stop does to the requests it is running

    server = osc_server(_ctx(synth_model, stopped_many))
    code = main(["send", "--port", str(server.address[1]), "--timeout", "30", "classify_many", files["kick"],
                 files["hat"], files["snare"]])
    err = capsys.readouterr().err
    assert code == 1 and "the request was stopped after 1 files of 3 (cancelled from elsewhere" in err


def test_send_ctrl_c_cancels_its_folder_request_on_the_server(osc_server, synth_model, files, capsys, monkeypatch):
    import threading

    from oscserver import osc_client, protocol
    from oscserver.classify import classify_file

    cancelled = threading.Event()

    def slow_many(paths, model, *, cancel=None, batch=1):
        try:
            yield classify_file(paths[0], model)
            if cancel.wait(30):  # the rest only comes if nobody cancels
                return
            for p in paths[1:]:
                yield classify_file(p, model)
        finally:  # the server may see the cancel first and close this generator at its first yield
            if cancel.is_set():
                cancelled.set()

    real = osc_client.request

    def interrupted_after_a_result(address, args, **kw):
        for reply, params in real(address, args, **kw):
            yield reply, params
            if address == f"{protocol.PREFIX}/classify_many" and reply == f"{protocol.PREFIX}/result":
                raise KeyboardInterrupt

    monkeypatch.setattr(osc_client, "request", interrupted_after_a_result)
    server = osc_server(_ctx(synth_model, slow_many))
    code = main(["send", "--port", str(server.address[1]), "--timeout", "30", "classify_many", files["kick"],
                 files["hat"], files["snare"]])
    err = capsys.readouterr().err
    assert code == 130 and cancelled.wait(30), err
    assert re.search(r"interrupted after 1 files of 3; cancelled request \d+ on the server \(stopped\)", err), err


def test_send_cancels_exactly_the_requests_the_server_lets_cancel():
    from oscserver import handlers, osc_client

    assert osc_client.CANCELLABLE == handlers.BATCH


def test_train_warns_when_serve_would_refuse_the_model(tmp_path, capsys):
    """Class names so long that an OSC reply cannot carry them: the model still works on the command line."""
    for k in range(6):
        for p in range(2):
            for i in range(2):
                synth.write(tmp_path / "set" / (f"c{k}_" + "x" * 240) / f"p{p}" / f"{i}.wav", synth.varied("kick", i))
    assert main(["train", str(tmp_path / "set"), "-o", str(tmp_path / "m.joblib"), "--cv-splits", "2",
                 "--cv-repeats", "1", "-j", "1"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"warning: drumtag serve will refuse this model: its OSC replies would need \d+ bytes, more "
                     r"than one datagram carries \(1400\)", err)


def test_info_shows_whole_licences_the_repeats_and_no_augmentation_claim(synth_model):
    """info's source table is as wide as its longest licence (none is cut), the macro-F1 of every assignment of
    packs to folds follows the report, and a model without augmented rows does not say it has them."""
    from types import SimpleNamespace

    from oscserver.commands import info

    meta = dict(synth_model.metadata, augment=0)
    meta["training"] = dict(meta["training"], rows=meta["training"]["files"])
    meta["sources"] = [{"source": "freepats", "licence": "GPL-2+ with composition exception", "files": 120},
                       {"source": "stk", "licence": "STK (MIT-style)", "files": 11}]
    model = SimpleNamespace(**{k: getattr(synth_model, k) for k in
                               ("model_id", "path", "feature_version", "spec", "classes")}, metadata=meta)
    text = info.card(model)
    assert "\nfreepats  GPL-2+ with composition exception    120\nstk       STK (MIT-style)" in text
    assert "(no augmented variants)" in text and "with augmentation" not in text
    assert "macro-F1 over 3 assignments of packs to folds (fold seeds 0-2)" in text
    meta.update(augment=2, training=dict(meta["training"], rows=3 * meta["training"]["files"]))
    assert f"({3 * meta['training']['files']} rows: each file and 2 augmented variants of it)" in info.card(model)
