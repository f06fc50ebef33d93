"""tag_paths and `drumtag tag`: incremental runs, model changes, interruptions, crashes, errors, read-only folders,
unicode paths; and the progress bar the command draws."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import synth
from oscserver import tagging
from oscserver.catalog import Catalog, file_hash
from oscserver.cli import main
from oscserver.errors import AudioError
from oscserver.model import DrumModel, load_model
from oscserver.progress import Progress, format_duration
from oscserver.tagging import tag_paths

UNICODE_NAMES = ["kick é.wav", "スネア.wav", "hat ß 🥁.wav"]


def make_library(root, *, per_class: int = 2) -> dict[str, str]:
    """root/<class>s/<class>_<i>.wav plus unicode names, a corrupt and an empty file; path -> expected class."""
    files = {}
    for label in ("kick", "snare", "hat", "percussion", "other"):
        for i in range(per_class):
            path = synth.write(os.path.join(root, f"{label}s", f"{label}_{i}.wav"), synth.varied(label, 50 + i))
            files[path] = label
    for name, label in zip(UNICODE_NAMES, ("kick", "snare", "hat")):
        files[synth.write(os.path.join(root, "ünïcode", name), synth.varied(label, 70))] = label
    os.makedirs(os.path.join(root, "bad"))
    with open(os.path.join(root, "bad", "corrupt.wav"), "wb") as f:
        f.write(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
    open(os.path.join(root, "bad", "empty.wav"), "wb").close()
    return files


@pytest.fixture
def library(tmp_path):
    root = tmp_path / "library"
    files = make_library(str(root))
    return str(root), files


class Spy:
    """Records which paths the tagger sends to be classified (``ClassifyStream.submit``)."""

    def __init__(self, monkeypatch):
        self.paths: list[str] = []
        real = tagging.ClassifyStream.submit

        def spy(stream, paths, **kw):
            paths = list(paths)
            self.paths += paths
            return real(stream, paths, **kw)

        monkeypatch.setattr(tagging.ClassifyStream, "submit", spy)


def other_model(model, model_id="another-model"):
    return DrumModel(estimator=model.estimator, spec=model.spec, classes=model.classes,
                     metadata=dict(model.metadata, model_id=model_id))


def rows(catalog_path):
    with Catalog(catalog_path) as c:
        return {e.path: e for e in c.entries(features=True)}


@contextlib.contextmanager
def read_only(path):
    """Make a folder read-only for the test's process: chmod, and for root (which ignores modes) `chattr +i`."""
    path = os.fspath(path)
    mode = os.stat(path).st_mode
    os.chmod(path, 0o555)
    immutable = False
    try:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", path],
                                                                 capture_output=True).returncode:
                pytest.skip("running as root without `chattr +i`: cannot make a folder read-only")
            immutable = True
        with pytest.raises(OSError):
            open(os.path.join(path, ".probe"), "w").close()
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", path], check=True)
        os.chmod(path, mode)


def snapshot(root) -> dict[str, tuple]:
    """Every entry under root with its size, mtime and content hash."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(folder, name)
            st = os.lstat(p)
            out[p] = (st.st_size, st.st_mtime_ns, file_hash(p) if os.path.isfile(p) else None)
    return out


# -- first run and incremental runs ------------------------------------------------------------------------------

def test_first_run_catalogues_every_file_with_errors_as_rows(library, tmp_path, synth_model):
    root, files = library
    cat = str(tmp_path / "cat.sqlite")
    s = tag_paths([root], model=synth_model, catalog_path=cat, jobs=2)
    assert (s.total, s.ok, s.failed, s.skipped) == (len(files) + 2, len(files), 2, 0)
    got = rows(cat)
    assert set(got) == set(files) | {os.path.join(root, "bad", "corrupt.wav"), os.path.join(root, "bad", "empty.wav")}
    for path, label in files.items():
        e = got[path]
        st = os.stat(path)
        assert (e.size, e.mtime_ns, e.hash, e.model_id) == (st.st_size, st.st_mtime_ns, file_hash(path),
                                                           synth_model.model_id)
        assert e.error is None and e.label in synth_model.classes
        assert set(e.probabilities) == set(synth_model.classes)
        assert sum(e.probabilities.values()) == pytest.approx(1, abs=1e-3)
        assert e.features is not None and e.features.dtype == np.float32 and len(e.features) > 5
    # the model trained on the same synthesizer gets the clear cases right
    assert sum(got[p].label == lab for p, lab in files.items()) >= 0.8 * len(files)
    for bad in ("corrupt.wav", "empty.wav"):
        e = got[os.path.join(root, "bad", bad)]
        assert e.label is None and e.error and e.features is None
    assert s.failed == 2 and "error" not in s.by_label and sum(s.by_label.values()) + s.failed == s.total
    # in completion order, which the worker pool decides
    assert sorted(p for p, _ in s.errors) == [os.path.join(root, "bad", b) for b in ("corrupt.wav", "empty.wav")]


def test_the_scan_reports_files_found_and_classifying_starts_before_it_ends(library, tmp_path, synth_model,
                                                                            monkeypatch):
    root, files = library
    monkeypatch.setattr(tagging, "SCAN_REPORT_EVERY", 4)
    monkeypatch.setattr(tagging, "FIRST_WINDOW", 3)
    monkeypatch.setattr(tagging, "WINDOW", 5)
    events = []
    s = tag_paths([root], model=synth_model, catalog_path=str(tmp_path / "cat.sqlite"), jobs=1,
                  scanned=lambda n: events.append(("scanned", n)),
                  progress=lambda done, total: events.append(("classified", done, total)))
    found = [e[1] for e in events if e[0] == "scanned"]
    assert found == list(range(4, s.total + 1, 4)) + [s.total]  # then once more at the end
    classified = [e[1:] for e in events if e[0] == "classified"]
    assert classified[0] == (0, 3)  # the first window's files, sent as soon as it was scanned
    assert events.index(("classified", 0, 3)) < events.index(("scanned", 4))  # before the scan went on
    totals = [t for _, t in classified]
    assert totals == sorted(totals) and totals[-1] == len(files) + 2  # the total grows with the scan
    assert classified[-1] == (len(files) + 2, len(files) + 2)


def test_files_in_flight_stay_bounded_however_many_are_found(tmp_path, synth_model, monkeypatch,
                                                             pending_after_submit):
    """Memory flat in the number of files: the scan waits while MAX_PENDING files are in flight."""
    lib = tmp_path / "lib"
    for i in range(40):
        synth.write(lib / f"s{i:02d}.wav", synth.tone(duration=0.1 + 0.01 * i, freq=200 + 20 * i))
    monkeypatch.setattr(tagging, "FIRST_WINDOW", 4)
    monkeypatch.setattr(tagging, "WINDOW", 4)
    monkeypatch.setattr(tagging, "MAX_PENDING", 6)
    s = tag_paths([lib], model=synth_model, catalog_path=tmp_path / "cat.sqlite", jobs=2)
    assert (s.ok, s.failed) == (40, 0) and len(rows(tmp_path / "cat.sqlite")) == 40
    seen = pending_after_submit
    assert len(seen) == 10 and max(seen) <= 6 + 4


def test_unchanged_rerun_classifies_nothing(library, tmp_path, synth_model, monkeypatch):
    root, files = library
    cat = str(tmp_path / "cat.sqlite")
    first = tag_paths([root], model=synth_model, catalog_path=cat)
    before = rows(cat)
    spy = Spy(monkeypatch)
    again = tag_paths([root], model=synth_model, catalog_path=cat)
    assert spy.paths == []
    assert first.failed == 2  # the library's two broken files
    # unchanged files are not classified again; the broken ones still fail, so the run says so
    assert (again.skipped, again.ok, again.failed, again.total) == (first.total - 2, 0, 2, first.total)
    assert again.still_failing == 2 and len(again.errors) == 2
    hint = "unchanged since it failed; `drumtag tag --retry-errors` tries again"
    assert all(hint in reason for _, reason in again.errors)
    assert again.by_label == first.by_label
    assert {p: e.tagged_at for p, e in rows(cat).items()} == {p: e.tagged_at for p, e in before.items()}


def test_changed_file_is_classified_again_and_touched_file_is_not(library, tmp_path, synth_model, monkeypatch):
    root, files = library
    cat = str(tmp_path / "cat.sqlite")
    tag_paths([root], model=synth_model, catalog_path=cat)
    changed = os.path.join(root, "kicks", "kick_0.wav")
    synth.write(changed, synth.hat(seed=3))  # now a hat
    touched = os.path.join(root, "snares", "snare_0.wav")
    os.utime(touched, ns=(10**18, 10**18))
    spy = Spy(monkeypatch)
    s = tag_paths([root], model=synth_model, catalog_path=cat)
    assert spy.paths == [changed]
    assert s.ok == 1 and s.skipped + s.still_failing == s.total - 1
    got = rows(cat)
    assert got[changed].hash == file_hash(changed) and got[changed].label == "hat"
    assert got[touched].mtime_ns == 10**18  # the new mtime is recorded, so the next run skips it quickly
    spy.paths.clear()
    tag_paths([root], model=synth_model, catalog_path=cat)
    assert spy.paths == []


def test_a_new_model_classifies_everything_again(library, tmp_path, synth_model, monkeypatch):
    root, files = library
    cat = str(tmp_path / "cat.sqlite")
    tag_paths([root], model=synth_model, catalog_path=cat)
    spy = Spy(monkeypatch)
    s = tag_paths([root], model=other_model(synth_model), catalog_path=cat)
    bad = [os.path.join(root, "bad", b) for b in ("corrupt.wav", "empty.wav")]
    assert sorted(spy.paths) == sorted(list(files) + bad)
    assert (s.skipped, s.ok, s.failed) == (0, len(files), 2)
    assert {e.model_id for e in rows(cat).values()} == {"another-model"}


def test_copies_and_renamed_files_reuse_the_result(library, tmp_path, synth_model, monkeypatch):
    root, files = library
    cat = str(tmp_path / "cat.sqlite")
    tag_paths([root], model=synth_model, catalog_path=cat)
    src = os.path.join(root, "hats", "hat_1.wav")
    os.makedirs(os.path.join(root, "moved"))
    dst = os.path.join(root, "moved", "renamed hat.wav")
    shutil.copy(src, dst)
    spy = Spy(monkeypatch)
    s = tag_paths([root], model=synth_model, catalog_path=cat)
    assert spy.paths == [] and (s.ok, s.reused) == (1, 1)
    got = rows(cat)
    assert got[dst].label == got[src].label and np.array_equal(got[dst].features, got[src].features)


def test_identical_new_files_are_classified_once(tmp_path, synth_model, monkeypatch):
    y = synth.varied("snare", 5)
    paths = [synth.write(tmp_path / "lib" / name, y) for name in ("a.wav", "b.wav", "c.wav")]
    spy = Spy(monkeypatch)
    s = tag_paths([tmp_path / "lib"], model=synth_model, catalog_path=tmp_path / "cat.sqlite")
    assert spy.paths == [paths[0]] and (s.ok, s.reused) == (3, 2)
    got = rows(tmp_path / "cat.sqlite")
    assert len({got[p].label for p in paths}) == 1


def test_copies_waiting_for_a_file_in_flight_count_against_the_bound(tmp_path, synth_model, monkeypatch):
    lib = tmp_path / "lib"
    y = synth.varied("snare", 5)
    for i in range(30):
        synth.write(lib / f"copy{i:02d}.wav", y)
    monkeypatch.setattr(tagging, "FIRST_WINDOW", 4)
    monkeypatch.setattr(tagging, "WINDOW", 4)
    monkeypatch.setattr(tagging, "MAX_PENDING", 3)
    seen = []
    real = tagging._Run.scan

    def scan(run, window, last):
        seen.append(run.stream.pending + run.held)  # what the previous windows left in flight or waiting
        real(run, window, last)

    monkeypatch.setattr(tagging._Run, "scan", scan)
    spy = Spy(monkeypatch)
    s = tag_paths([lib], model=synth_model, catalog_path=tmp_path / "cat.sqlite", jobs=1)
    assert len(spy.paths) == 1 and (s.ok, s.reused) == (30, 29)
    assert max(seen) <= 3  # the scan waited for the original instead of piling up copies


@pytest.mark.parametrize("jobs", [1, 2])
def test_copies_in_later_windows_of_a_file_in_flight_are_classified_once(tmp_path, synth_model, monkeypatch, jobs):
    """A copy found while its original is still being classified waits for that result: a hashed original
    (``waiting``) or one its worker hashes, which only then tells whether the copy is one (``deferred``)."""
    lib = tmp_path / "lib"
    snare, kick = synth.varied("snare", 5), synth.varied("kick", 6)
    names = {"a.wav": snare, "b.wav": kick, "c.wav": kick, "d.wav": snare, "e.wav": synth.tone(duration=0.3),
             "f.wav": kick, "g.wav": snare}
    paths = {name: synth.write(lib / name, y) for name, y in names.items()}
    monkeypatch.setattr(tagging, "FIRST_WINDOW", 2)
    monkeypatch.setattr(tagging, "WINDOW", 2)
    spy = Spy(monkeypatch)
    s = tag_paths([lib], model=synth_model, catalog_path=tmp_path / "cat.sqlite", jobs=jobs)
    # windows [a b] [c d] [e f] [g]: a and b (no other file of their size yet) are hashed by their workers; c, d,
    # f and g are copies of files still in flight (jobs=1 runs them only when the scan waits) or catalogued
    assert sorted(spy.paths) == [paths["a.wav"], paths["b.wav"], paths["e.wav"]]
    assert (s.ok, s.reused, s.failed) == (7, 4, 0)
    got = rows(tmp_path / "cat.sqlite")
    for group in (("a.wav", "d.wav", "g.wav"), ("b.wav", "c.wav", "f.wav")):
        entries = [got[paths[n]] for n in group]
        assert len({e.label for e in entries}) == 1 and len({e.hash for e in entries}) == 1
        assert all(np.array_equal(e.features, entries[0].features) for e in entries)


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_scan_hashes_only_files_whose_size_another_file_shares(tmp_path, synth_model, monkeypatch, jobs):
    """Files of a size nothing else has cannot be copies: the workers hash them (as they read them anyway)."""
    lib = tmp_path / "lib"
    unique = [synth.write(lib / f"tone_{i}.wav", synth.tone(duration=d, freq=200 + 50 * i))
              for i, d in enumerate((0.2, 0.3, 0.4, 0.7))]
    same_size = [synth.write(lib / f"noise_{i}.wav", synth.noise(duration=0.5, seed=i)) for i in range(2)]
    hashed = []
    monkeypatch.setattr(tagging, "file_hash", lambda p: hashed.append(p) or file_hash(p))
    cat = tmp_path / "cat.sqlite"
    s = tag_paths([lib], model=synth_model, catalog_path=cat, jobs=jobs)
    assert sorted(hashed) == same_size and (s.ok, s.reused, s.failed) == (6, 0, 0)
    got = rows(cat)
    assert all(got[p].hash == file_hash(p) and got[p].label for p in unique + same_size)
    # a renamed file now has the size of a classified row: hashed by the scan, and its result reused
    os.rename(unique[0], lib / "renamed.wav")
    hashed.clear()
    s = tag_paths([lib], model=synth_model, catalog_path=cat, jobs=jobs)
    assert hashed == [str(lib / "renamed.wav")] and (s.ok, s.reused, s.skipped) == (1, 1, 5)


def test_overlapping_arguments_count_each_file_once(library, tmp_path, synth_model):
    root, files = library
    s = tag_paths([root, os.path.join(root, "kicks"), root], model=synth_model, catalog_path=tmp_path / "c.sqlite")
    assert s.total == len(files) + 2


def test_missing_path_is_a_clear_error(tmp_path, synth_model):
    with pytest.raises(AudioError, match="nowhere"):
        tag_paths([tmp_path / "nowhere"], model=synth_model, catalog_path=tmp_path / "c.sqlite")


def test_retry_errors_tries_unchanged_failures_again(library, tmp_path, synth_model, monkeypatch):
    root, _ = library
    cat = str(tmp_path / "cat.sqlite")
    tag_paths([root], model=synth_model, catalog_path=cat)
    spy = Spy(monkeypatch)
    unchanged = tag_paths([root], model=synth_model, catalog_path=cat)
    assert (unchanged.failed, unchanged.still_failing) == (2, 2) and spy.paths == []
    s = tag_paths([root], model=synth_model, catalog_path=cat, retry_errors=True)
    assert sorted(spy.paths) == [os.path.join(root, "bad", "corrupt.wav"), os.path.join(root, "bad", "empty.wav")]
    assert s.failed == 2


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="file names must be valid UTF-8 there")
def test_file_name_that_is_not_utf8_is_reported_and_the_run_goes_on(tmp_path, synth_model):
    lib = tmp_path / "lib"
    good = synth.write(lib / "good.wav", synth.kick())
    bad = os.path.join(os.fsencode(lib), b"bad \xff.wav")
    shutil.copy(good, bad)
    s = tag_paths([lib], model=synth_model, catalog_path=tmp_path / "c.sqlite")
    assert (s.ok, s.failed) == (1, 1)
    assert "UTF-8" in s.errors[0][1] and s.errors[0][0] == os.fsdecode(bad)


# -- interruptions -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_keeps_what_was_done_and_the_next_run_continues(library, tmp_path, synth_model, monkeypatch, jobs):
    root, files = library
    cat = str(tmp_path / "cat.sqlite")
    seen = []

    def interrupt(done, total):
        seen.append(done)
        if done == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tag_paths([root], model=synth_model, catalog_path=cat, jobs=jobs, progress=interrupt)
    assert seen[-1] == 4
    kept = set(rows(cat))  # the 4 files done (the 2 bad ones sort first: error rows count as done)
    assert len(kept) == 4
    every = set(files) | {os.path.join(root, "bad", b) for b in ("corrupt.wav", "empty.wav")}
    spy = Spy(monkeypatch)
    s = tag_paths([root], model=synth_model, catalog_path=cat, jobs=jobs)
    assert sorted(spy.paths) == sorted(every - kept)
    assert s.skipped + s.still_failing == 4 and s.ok + s.failed - s.still_failing == len(every) - 4


def test_cancel_stops_the_run_and_the_next_run_does_the_rest(tmp_path, synth_model, monkeypatch):
    # more files than classify_many predicts in one batch (32), so the cancel lands mid-run
    files = make_library(str(tmp_path / "library"), per_class=10)
    root, total = str(tmp_path / "library"), len(files) + 2
    cat = str(tmp_path / "cat.sqlite")
    cancel = threading.Event()

    def progress(done, total):
        if done == 3:
            cancel.set()

    s = tag_paths([root], model=synth_model, catalog_path=cat, jobs=1, progress=progress, cancel=cancel)
    done = s.ok + s.failed
    assert s.cancelled and 3 <= done < total and len(rows(cat)) == done
    spy = Spy(monkeypatch)
    s = tag_paths([root], model=synth_model, catalog_path=cat, jobs=1)
    assert not s.cancelled and len(spy.paths) == total - done and s.skipped + s.still_failing == done


@pytest.mark.parametrize("sig, jobs", [(signal.SIGKILL, 1), (signal.SIGINT, 2)], ids=["crash", "ctrl-c"])
def test_stopped_command_keeps_committed_rows_and_next_run_does_the_rest(tmp_path, synth_model_path, monkeypatch,
                                                                         sig, jobs):
    lib = tmp_path / "lib"
    n = 320  # many prediction batches, so the stop lands mid-run
    for i in range(n):
        synth.write(lib / f"s{i:03d}.wav", synth.varied(("kick", "snare", "hat")[i % 3], i))
    cat = str(tmp_path / "cat.sqlite")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([repo, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "oscserver", "tag", str(lib), "--catalog", cat,
                             "--model", synth_model_path, "-j", str(jobs)], env=env, cwd=repo,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    committed = 0
    deadline = time.monotonic() + 120  # a bound for a hung run, not a timing assertion
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(sqlite3.Error):
                if not os.path.exists(cat):
                    raise sqlite3.Error("not created yet")
                db = sqlite3.connect(cat)
                committed = db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
                db.close()
            if committed >= 5:
                break
            time.sleep(0.01)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # like Ctrl-C in a terminal: the whole process group
        _, err = proc.communicate(timeout=120)
    kept = rows(cat)
    if len(kept) == n:
        pytest.skip("the run had finished its work before it could be stopped")
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "run the same command to continue" in err
    assert committed >= 5
    assert len(kept) >= committed and all(e.label for e in kept.values())
    spy = Spy(monkeypatch)
    s = tag_paths([lib], model=load_model(synth_model_path), catalog_path=cat)
    assert s.skipped == len(kept) and s.ok == n - len(kept) and len(spy.paths) == n - len(kept)


# -- read-only folders -------------------------------------------------------------------------------------------

def test_tagging_a_read_only_folder_writes_only_the_catalog(tmp_path, synth_model):
    lib = tmp_path / "lib"
    for i, label in enumerate(("kick", "snare", "hat", "other")):
        synth.write(lib / f"{label}.wav", synth.varied(label, i))
    before = snapshot(lib)
    with read_only(lib):
        s = tag_paths([lib], model=synth_model, catalog_path=tmp_path / "cat.sqlite", jobs=2)
    assert (s.ok, s.failed) == (4, 0)
    assert snapshot(lib) == before


# -- the command -------------------------------------------------------------------------------------------------

def test_tag_command_prints_a_summary_and_exit_status(library, tmp_path, synth_model_path, capsys):
    root, files = library
    cat = str(tmp_path / "cat.sqlite")
    assert main(["tag", root, "--catalog", cat, "--model", synth_model_path, "-j", "2"]) == 1  # 2 files failed
    out, err = capsys.readouterr()
    assert f"{len(files) + 2} files" in out and f"{len(files)} classified" in out and "2 failed" in out
    assert "corrupt.wav" in out and f"catalog: {cat}" in out
    assert err == ""  # no bar when stderr is not a terminal
    assert main(["tag", root, "--catalog", cat, "--model", synth_model_path]) == 1  # still failing
    out, _ = capsys.readouterr()
    assert f"{len(files)} unchanged, 2 failed (2 of them unchanged since they failed)" in out


def test_tag_command_bar_counts_files_classified_while_the_scan_goes_on(library, tmp_path, synth_model_path,
                                                                        monkeypatch, capsys):
    import oscserver.progress as progress

    root, files = library
    monkeypatch.setattr(tagging, "FIRST_WINDOW", 2)
    monkeypatch.setattr(tagging, "WINDOW", 3)
    monkeypatch.setattr(tagging, "SCAN_REPORT_EVERY", 2)
    drawn = []

    class Drawn(progress.Progress):  # drawn as on a terminal, every update
        def __init__(self, total, **kw):
            super().__init__(total, **dict(kw, enabled=True, min_interval=0.0))

        def _draw(self, now):
            drawn.append(self.line(200))

    monkeypatch.setattr(progress, "Progress", Drawn)
    n = len(files) + 2
    assert main(["tag", root, "--catalog", str(tmp_path / "c.sqlite"), "--model", synth_model_path, "-j", "1"]) == 1
    tagging_lines = [d for d in drawn if d.startswith("tagging")]
    assert tagging_lines and f"tagging ({n} found)" in drawn[-1] and f" {n}/{n} " in drawn[-1]
    # files found never count as files done: the bar's count only grows
    done = [int(d.split("] ")[1].split("/")[0]) for d in tagging_lines if "] " in d]
    assert done == sorted(done)


def test_tag_command_default_catalog_is_in_the_user_data_folder(tmp_path, synth_model_path, monkeypatch, capsys):
    import platformdirs

    data = tmp_path / "data"
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda app, appauthor=None, **kw: str(data / app))
    synth.write(tmp_path / "lib" / "k.wav", synth.kick())
    assert main(["tag", str(tmp_path / "lib"), "--model", synth_model_path]) == 0
    assert os.path.isfile(data / "drumtag" / "catalog.sqlite")


# -- progress bar ------------------------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_progress_shows_count_rate_and_eta():
    clock, out = Clock(), io.StringIO()
    bar = Progress(100, stream=out, label="tagging", enabled=True, clock=clock)
    for _ in range(20):
        clock.t += 0.5
        bar.update(2)
    assert bar.rate == pytest.approx(4.0) and bar.eta == pytest.approx(15.0)
    line = bar.line(100)
    assert line.startswith("tagging [") and "40/100" in line and "40%" in line and "4.0 files/s" in line
    assert "ETA 0:15" in line and len(line) <= 100
    bar.close()
    assert out.getvalue().endswith("\n") and "\r" in out.getvalue()


def test_progress_rate_forgets_a_slow_start():
    clock = Clock()
    bar = Progress(1000, stream=io.StringIO(), enabled=True, clock=clock, window=10)
    clock.t = 30.0  # a pool that took 30 s to start
    bar.update(1)
    for _ in range(40):
        clock.t += 0.5
        bar.update(10)
    assert bar.rate == pytest.approx(20.0)


def test_progress_set_zero_restarts_the_clock():
    clock = Clock()
    bar = Progress(None, stream=io.StringIO(), enabled=True, clock=clock)
    clock.t = 50.0  # scanning
    bar.set(0, 10)
    clock.t = 51.0
    bar.set(5)
    assert bar.total == 10 and bar.rate == pytest.approx(5.0) and bar.elapsed == pytest.approx(1.0)


def test_progress_is_silent_when_not_a_terminal_unless_forced():
    out = io.StringIO()  # isatty() is False
    bar = Progress(3, stream=out)
    bar.update(3)
    bar.close()
    assert out.getvalue() == ""
    forced = io.StringIO()
    with Progress(3, stream=forced, enabled=True) as bar:
        bar.update(3)
    assert "3/3" in forced.getvalue()


def test_progress_without_total_and_duration_format():
    bar = Progress(None, stream=io.StringIO(), enabled=True, clock=Clock())
    bar.update(7)
    assert "7 files" in bar.line() and "ETA" not in bar.line()
    assert (format_duration(75), format_duration(3725), format_duration(0)) == ("1:15", "1:02:05", "0:00")


def test_rows_of_files_gone_from_a_tagged_folder_are_removed_and_nothing_else(library, tmp_path, synth_model):
    root, files = library
    files = sorted(files)
    cat = str(tmp_path / "cat.sqlite")
    elsewhere = synth.write(tmp_path / "elsewhere" / "kick.wav", synth.kick())
    tag_paths([root], model=synth_model, catalog_path=cat)
    tag_paths([elsewhere], model=synth_model, catalog_path=cat)
    moved = files[0] + ".moved.wav"
    os.rename(files[0], moved)
    os.remove(files[1])
    before = snapshot(root)
    s = tag_paths([root], model=synth_model, catalog_path=cat)
    assert s.pruned == 2 and "removed from the catalog: 2 rows" in "\n".join(s.lines())
    paths = set(rows(cat))
    assert files[0] not in paths and files[1] not in paths and moved in paths
    assert elsewhere in paths, "rows outside the tagged folder stay"
    assert snapshot(root) == before, "no file was touched"
    os.remove(elsewhere)
    assert tag_paths([root], model=synth_model, catalog_path=cat).pruned == 0  # not under the folder tagged
    assert elsewhere in set(rows(cat))


def test_a_still_failing_file_is_reported_under_the_same_absolute_path_on_every_run(tmp_path, synth_model,
                                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    synth.write(tmp_path / "lib" / "snare.wav", synth.snare())
    (tmp_path / "lib" / "notes.wav").write_text("not audio")
    first = tag_paths(["lib"], model=synth_model, catalog_path="cat.sqlite")
    again = tag_paths(["lib"], model=synth_model, catalog_path="cat.sqlite")
    want = str(tmp_path / "lib" / "notes.wav")
    assert [p for p, _ in first.errors] == [want] and [p for p, _ in again.errors] == [want]


def test_a_row_is_pruned_only_when_its_file_is_surely_gone(tmp_path, synth_model, monkeypatch):
    """A folder that cannot be read for now (permissions, an I/O error) still holds its files: their rows stay."""
    lib = tmp_path / "lib"
    kept = synth.write(lib / "locked" / "kick.wav", synth.kick())
    gone = synth.write(lib / "gone" / "hat.wav", synth.hat())
    cat = str(tmp_path / "cat.sqlite")
    tag_paths([lib], model=synth_model, catalog_path=cat)
    os.remove(gone)
    real_lstat = os.lstat

    def lstat(path, *a, **kw):
        if os.fspath(path).startswith(str(lib / "locked")):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_lstat(path, *a, **kw)

    monkeypatch.setattr(os, "lstat", lstat)
    s = tag_paths([lib], model=synth_model, catalog_path=cat)
    monkeypatch.undo()
    assert s.pruned == 1 and set(rows(cat)) == {kept}


def test_osc_tag_counts_files_that_still_fail_as_failed_on_every_run(library, tmp_path, synth_model):
    from oscserver import handlers, protocol
    from oscserver.classes import DEFAULT_COLORS

    root, files = library
    ctx = handlers.Context(model=synth_model, colors=dict(DEFAULT_COLORS), catalog_path=str(tmp_path / "cat.sqlite"))
    done = []
    for rid in (1, 2):
        req = handlers.Request(address=f"{protocol.PREFIX}/tag", reply_port=9000, request_id=rid, params={},
                               rest=(root,))
        done.append(list(handlers.tag(ctx, req))[-1].args)
    # (request id, address, ok, failed, cancelled): the two broken files fail on the re-run too
    assert [d[2:] for d in done] == [(len(files), 2, 0), (len(files), 2, 0)]


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="needs FIFOs and /dev/zero")
def test_a_fifo_or_device_named_like_audio_is_an_error_row_not_a_hang(tmp_path, synth_model):
    import threading

    from oscserver.catalog import file_hash

    lib = tmp_path / "lib"
    synth.write(lib / "kick.wav", synth.kick())
    os.mkfifo(lib / "pipe.wav")  # opening it for reading would wait for a writer
    os.symlink("/dev/zero", lib / "zero.wav")  # reading it would never end
    with pytest.raises(OSError, match="not a regular file"):
        file_hash(lib / "pipe.wav")
    done = {}
    worker = threading.Thread(target=lambda: done.setdefault(
        "summary", tag_paths([lib], model=synth_model, catalog_path=tmp_path / "c.sqlite", jobs=1)), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "tag hung on a FIFO or a device"
    s = done["summary"]
    assert (s.ok, s.failed) == (1, 2)
    assert sorted(s.errors) == [(str(lib / "pipe.wav"), "not a regular file"), (str(lib / "zero.wav"),
                                                                                "not a regular file")]


# -- files that change while the run goes on, and a run that waits on a slow file ----------------------------------

def _after_scan_hashes(monkeypatch, then):
    """Call ``then()`` once the scan has hashed its first window: the moment a file can change under the run."""
    real = tagging._hashes

    def hashes(paths, cancel, **kw):
        out = list(real(paths, cancel, **kw))
        then()
        return iter(out)

    monkeypatch.setattr(tagging, "_hashes", hashes)


def test_a_file_saved_again_during_the_run_gives_its_copies_nothing(tmp_path, synth_model, monkeypatch):
    """a.wav is replaced by a snare after the scan hashed it as a kick: its row has the snare's label but neither
    the kick's hash (so no copy of the kick takes the snare's label, now or later) nor an mtime (the next run does
    it again); its copy b.wav, still the kick, is classified itself."""
    lib = tmp_path / "lib"
    kick = synth.varied("kick", 1)
    a, b = synth.write(lib / "a.wav", kick), synth.write(lib / "b.wav", kick)
    kick_hash = file_hash(a)

    def edit():
        synth.write(a, synth.varied("snare", 2))
        os.utime(a, ns=(time.time_ns(), time.time_ns() + 10 ** 9))

    _after_scan_hashes(monkeypatch, edit)
    spy = Spy(monkeypatch)
    s = tag_paths([lib], model=synth_model, catalog_path=tmp_path / "cat.sqlite", jobs=1)
    got = rows(tmp_path / "cat.sqlite")
    assert sorted(spy.paths) == [a, b] and (s.ok, s.reused, s.failed) == (2, 0, 0)
    assert (got[a].label, got[a].hash, got[a].mtime_ns) == ("snare", None, -1)
    assert (got[b].label, got[b].hash) == ("kick", kick_hash)

    monkeypatch.undo()
    c = synth.write(lib / "c.wav", kick)  # a later copy of the kick takes b's row, not a's
    tag_paths([lib], model=synth_model, catalog_path=tmp_path / "cat.sqlite", jobs=1)
    got = rows(tmp_path / "cat.sqlite")
    assert got[c].label == "kick" and got[a].hash == file_hash(a) and got[a].mtime_ns == os.stat(a).st_mtime_ns


def test_a_copy_deleted_during_the_run_does_not_fail_the_copy_left(tmp_path, synth_model, monkeypatch):
    lib = tmp_path / "lib"
    kick = synth.varied("kick", 1)
    a, b = synth.write(lib / "a.wav", kick), synth.write(lib / "b.wav", kick)
    _after_scan_hashes(monkeypatch, lambda: os.remove(a))
    s = tag_paths([lib], model=synth_model, catalog_path=tmp_path / "cat.sqlite", jobs=1)
    got = rows(tmp_path / "cat.sqlite")
    assert got[b].error is None and got[b].label == "kick"
    assert (s.ok, s.failed, s.errors) == (1, 1, [(a, "no such file")])
    assert a not in got and s.pruned == 1     # its error row went with the end-of-run pruning: the file is gone
    monkeypatch.undo()
    again = tag_paths([lib], model=synth_model, catalog_path=tmp_path / "cat.sqlite", jobs=1)
    assert (again.failed, again.skipped) == (0, 1)


def test_a_copy_of_a_file_that_cannot_be_decoded_shares_its_error(tmp_path, synth_model):
    """The content's own failure still goes to its copies: nothing is decoded twice for nothing."""
    lib = tmp_path / "lib"
    for name in ("a.wav", "b.wav"):
        (lib / name).parent.mkdir(exist_ok=True)
        (lib / name).write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
    s = tag_paths([lib], model=synth_model, catalog_path=tmp_path / "cat.sqlite", jobs=1)
    assert s.failed == 2 and len({r.error for r in rows(tmp_path / "cat.sqlite").values()}) == 1


def test_a_run_waiting_on_a_slow_file_commits_what_it_has_done(tmp_path, synth_model):
    """When the workers have given nothing for ``IDLE_COMMIT`` seconds (a slow share, a slow decoder), the rows
    done are committed before the run waits on: another run can write to the catalog meanwhile."""
    path = tmp_path / "cat.sqlite"
    seen = []

    class SlowStream:
        pending = 1

        def ready(self, *, wait=False, timeout=None):
            if timeout is not None:
                return []                       # nothing within IDLE_COMMIT
            other = sqlite3.connect(path, timeout=0.1)
            try:
                other.execute("BEGIN IMMEDIATE")  # the write lock: free only if the rows were committed
                other.rollback()
                seen.append("could write")
            except sqlite3.OperationalError as exc:
                seen.append(str(exc))
            finally:
                other.close()
            return []

    with Catalog(path) as catalog:
        catalog.put(path="/lib/done.wav", size=1, mtime_ns=1, hash=None, model_id="m", error="e")
        run = tagging._Run(catalog, synth_model, tagging.TagSummary(str(path), "m"), SlowStream(), progress=None,
                           cancel=None, retry_errors=False, scanned=None)
        run.collect(wait=True)
    assert seen == ["could write"]


def test_a_catalog_locked_by_another_run_is_a_catalog_error(tmp_path, monkeypatch):
    from oscserver import catalog as catalog_module
    from oscserver.catalog import CatalogError

    monkeypatch.setattr(catalog_module, "BUSY_TIMEOUT", 0.1)
    path = tmp_path / "cat.sqlite"
    with Catalog(path) as first:
        first.put(path="/x/a.wav", size=1, mtime_ns=1, hash=None, model_id="m", error="e")  # holds the lock
        with Catalog(path) as second:
            with pytest.raises(CatalogError, match="in use by another drumtag run"):
                second.put(path="/x/b.wav", size=1, mtime_ns=1, hash=None, model_id="m", error="e")
                second.commit()
            second._pending = 0


def test_a_file_replaced_by_one_of_the_same_size_and_mtime_is_classified_again(tmp_path, synth_model, monkeypatch):
    """`mv new.wav kick.wav` (or `cp -p`, an archive extracted again) with the same size and mtime: the
    status-change time tells it from the file catalogued; a chmod alone moves it too, but then costs only a hash."""
    lib, cat = tmp_path / "lib", tmp_path / "cat.sqlite"
    kick, hat = synth.varied("kick", 1), synth.varied("hat", 2)
    n = min(len(kick), len(hat))
    target = synth.write(lib / "kick.wav", kick[:n])
    new = synth.write(tmp_path / "new.wav", hat[:n])
    st = os.stat(target)
    assert os.path.getsize(new) == st.st_size
    tag_paths([lib], model=synth_model, catalog_path=cat, jobs=1)
    assert rows(cat)[target].label == "kick"
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(new, target)
    assert (os.stat(target).st_size, os.stat(target).st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    spy = Spy(monkeypatch)
    s = tag_paths([lib], model=synth_model, catalog_path=cat, jobs=1)
    assert spy.paths == [target] and s.ok == 1 and rows(cat)[target].label == "hat"

    os.chmod(target, 0o600)  # the status changes, the content does not: hashed, the row refreshed, not classified
    spy.paths.clear()
    s = tag_paths([lib], model=synth_model, catalog_path=cat, jobs=1)
    assert spy.paths == [] and s.skipped == 1 and rows(cat)[target].ctime_ns == os.stat(target).st_ctime_ns
