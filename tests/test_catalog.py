"""The SQLite catalog (rows, batching, refusing what is not a catalog) and `drumtag export`."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sqlite3
import types

import numpy as np
import pytest

from oscserver.atomicfile import atomic_copy, atomic_write
from oscserver.catalog import Catalog, CatalogError, default_catalog_path, file_hash
from oscserver.cli import main

PROBS = {"kick": 0.7, "snare": 0.1, "hat": 0.1, "percussion": 0.05, "other": 0.05}


def put_row(c: Catalog, path: str, *, label="kick", error=None, features=(1.5, -2.0, 3.25), model_id="m1"):
    c.put(path=path, size=123, mtime_ns=456, hash="abc", model_id=model_id, label=None if error else label,
          confidence=None if error else 0.7, probabilities=None if error else PROBS,
          features=None if error else np.array(features), error=error)


def test_rows_round_trip_with_unicode_paths_and_float32_features(tmp_path):
    path = str(tmp_path / "ünï cödé" / "スネア 🥁.wav")
    with Catalog(tmp_path / "c.sqlite") as c:
        put_row(c, path)
        put_row(c, str(tmp_path / "bad.wav"), error="not audio")
    with Catalog(tmp_path / "c.sqlite", create=False) as c:
        e = c.get(path, features=True)
        assert (e.path, e.size, e.mtime_ns, e.hash, e.model_id, e.label, e.confidence) == \
               (path, 123, 456, "abc", "m1", "kick", 0.7)
        assert e.probabilities == PROBS and list(e.probabilities) == list(PROBS)  # class order kept
        assert e.features.dtype == np.float32 and e.features.tolist() == [1.5, -2.0, 3.25]
        assert c.get(path).features is None  # features only when asked for
        bad = c.get(tmp_path / "bad.wav")
        assert (bad.label, bad.error, bad.probabilities) == (None, "not audio", {})
        assert c.count() == 2 and c.count(model_id="m1") == 2 and c.model_ids() == ["m1"]
        assert [e.path for e in c.entries()] == sorted([path, str(tmp_path / "bad.wav")])


def test_paths_are_keyed_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Catalog("c.sqlite") as c:
        put_row(c, "rel.wav")
        assert c.get(str(tmp_path / "rel.wav")).path == str(tmp_path / "rel.wav")
        assert c.get("rel.wav") is not None


def test_matches_compares_size_and_mtime(tmp_path):
    f = tmp_path / "a.wav"
    f.write_bytes(b"x" * 10)
    st = os.stat(f)
    with Catalog(tmp_path / "c.sqlite") as c:
        c.put(path=str(f), size=st.st_size, mtime_ns=st.st_mtime_ns, hash=file_hash(f), model_id="m")
        assert c.get(f).matches(os.stat(f))
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
        assert not c.get(f).matches(os.stat(f))


def test_rows_are_committed_in_batches_and_on_close(tmp_path):
    path = str(tmp_path / "c.sqlite")
    c = Catalog(path, commit_every=3, commit_seconds=3600)
    other = sqlite3.connect(path)
    count = lambda: other.execute("SELECT COUNT(*) FROM files").fetchone()[0]  # noqa: E731
    for i in range(2):
        put_row(c, f"/x/{i}.wav")
        c.maybe_commit()
    assert count() == 0  # pending
    put_row(c, "/x/2.wav")
    c.maybe_commit()
    assert count() == 3
    put_row(c, "/x/3.wav")
    c.close()
    assert count() == 4
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_find_by_hash_only_returns_classified_rows_of_the_same_model(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as c:
        put_row(c, "/a.wav", model_id="m1")
        put_row(c, "/b.wav", model_id="m2", error="bad")
        assert c.find_by_hash("abc", "m1").path == "/a.wav"
        assert c.find_by_hash("abc", "m2") is None and c.find_by_hash("nope", "m1") is None


def test_known_reports_the_rows_of_many_paths_in_few_queries(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as c:
        for i in range(7):
            put_row(c, f"/s{i}.wav", error="bad" if i == 3 else None)
        got = c.known([f"/s{i}.wav" for i in range(9)], batch=3)  # /s7 and /s8 have no row
        assert sorted(got) == [f"/s{i}.wav" for i in range(7)]
        assert (got["/s3.wav"].error, got["/s3.wav"].label, got["/s0.wav"].label) == ("bad", None, "kick")
        k = got["/s1.wav"]
        assert (k.size, k.mtime_ns, k.hash, k.model_id) == (123, 456, "abc", "m1")
        assert k.matches(types.SimpleNamespace(st_size=123, st_mtime_ns=456))
        assert not k.matches(types.SimpleNamespace(st_size=123, st_mtime_ns=457))
        assert c.known([]) == {}


def test_lookups_by_hash_and_size_use_their_own_index(tmp_path):
    """Not the model's index, which matches every row of a one-model catalog: a lookup per file would scan them all."""
    from oscserver import catalog as C

    with Catalog(tmp_path / "c.sqlite") as c:
        for sql, args, index in ((C._BY_HASH, ("abc", "m1"), "files_hash"), (C._HAS_SIZE, (1, "m1"), "files_size")):
            plan = " ".join(str(r[-1]) for r in c._db.execute("EXPLAIN QUERY PLAN " + sql, args))
            assert f"USING INDEX {index}" in plan, plan


def test_feature_batches_stream_every_classified_row(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as c:
        for i in range(10):
            put_row(c, f"/f{i:02d}.wav", features=(i, 2 * i))
        put_row(c, "/err.wav", error="bad")
        put_row(c, "/other-model.wav", model_id="m2")
        batches = list(c.feature_batches("m1", batch=4))
    assert [len(p) for p, _, _ in batches] == [4, 4, 2]
    X = np.vstack([x for _, _, x in batches])
    assert X.dtype == np.float64 and X[:, 1].tolist() == [2.0 * i for i in range(10)]


def test_missing_catalog_is_refused_for_readers(tmp_path):
    with pytest.raises(CatalogError, match="drumtag tag"):
        Catalog(tmp_path / "none.sqlite", create=False)
    assert not os.path.exists(tmp_path / "none.sqlite")


def test_not_a_catalog_is_refused(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(CatalogError, match="junk.sqlite"):
        Catalog(junk)
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE songs (x)")
    db.commit()
    db.close()
    with pytest.raises(CatalogError, match="not a drumtag catalog"):
        Catalog(other)


def test_newer_catalog_schema_is_refused(tmp_path):
    path = tmp_path / "c.sqlite"
    Catalog(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.commit()
    db.close()
    with pytest.raises(CatalogError, match="newer drumtag"):
        Catalog(path)


def test_default_catalog_path_is_in_the_user_data_folder(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.setattr(platformdirs, "user_data_dir", lambda app, appauthor=None, **kw: str(tmp_path / app))
    assert default_catalog_path() == str(tmp_path / "drumtag" / "catalog.sqlite")


def test_file_hash_is_sha256_of_every_byte(tmp_path):
    data = os.urandom(3 * (1 << 20) + 17)  # crosses read chunks
    (tmp_path / "f").write_bytes(data)
    assert file_hash(tmp_path / "f") == hashlib.sha256(data).hexdigest()
    (tmp_path / "e").write_bytes(b"")
    assert file_hash(tmp_path / "e") == hashlib.sha256(b"").hexdigest()


# -- atomic writes -------------------------------------------------------------------------------------------------

def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["out.txt"]
    with atomic_write(target) as f:
        f.write("new")
    assert target.read_text() == "new" and os.stat(target).st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["out.txt"]


def test_atomic_copy_keeps_content_and_times(tmp_path):
    src = tmp_path / "a.bin"
    src.write_bytes(b"abc" * 1000)
    os.utime(src, ns=(10**18, 10**18))
    atomic_copy(src, tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == src.read_bytes()
    assert os.stat(tmp_path / "b.bin").st_mtime_ns == 10**18
    assert sorted(os.listdir(tmp_path)) == ["a.bin", "b.bin"]


# -- drumtag export ----------------------------------------------------------------------------------------------

@pytest.fixture
def catalog(tmp_path):
    path = str(tmp_path / "c.sqlite")
    with Catalog(path) as c:
        put_row(c, "/lib/ß kick.wav")
        put_row(c, "/lib/bad.wav", error="not audio")
    return path


def test_export_csv_has_a_column_per_class(catalog, capsys):
    assert main(["export", "--catalog", catalog]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["path"] for r in rows] == ["/lib/bad.wav", "/lib/ß kick.wav"]
    kick = rows[1]
    assert kick["label"] == "kick" and float(kick["p_kick"]) == 0.7 and float(kick["p_other"]) == 0.05
    assert kick["hash"] == "abc" and kick["model_id"] == "m1" and kick["error"] == ""
    assert rows[0]["error"] == "not audio" and rows[0]["label"] == ""
    assert list(rows[0])[:8] == ["path", "label", "confidence", "p_kick", "p_snare", "p_hat", "p_percussion",
                                 "p_other"]


def test_export_json_to_a_file_atomically(catalog, tmp_path, capsys):
    out = tmp_path / "export.json"
    out.write_text("previous export")
    assert main(["export", "--catalog", catalog, "-o", str(out), "--features"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [d["path"] for d in data] == ["/lib/bad.wav", "/lib/ß kick.wav"]
    assert data[1]["probabilities"] == PROBS and data[1]["features"] == [1.5, -2.0, 3.25]
    assert data[0]["features"] is None and data[0]["error"] == "not audio"
    assert "2 files" in capsys.readouterr().err
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_export_csv_features_adds_columns(catalog, capsys):
    assert main(["export", "--catalog", catalog, "--features", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert (rows[1]["f0"], rows[1]["f2"]) == ("1.5", "3.25") and rows[0]["f0"] == ""


def test_export_csv_names_feature_columns_after_the_model_that_made_them(tmp_path, synth_model, synth_model_path,
                                                                           capsys):
    names = synth_model.metadata["feature_names"]
    path = str(tmp_path / "c.sqlite")
    with Catalog(path) as c:
        put_row(c, "/lib/a.wav", features=np.arange(len(names)), model_id=synth_model.model_id)
    assert main(["export", "--catalog", path, "--features", "--model", synth_model_path]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert header[-len(names):] == names
    with Catalog(path) as c:  # a second model's vectors: the names no longer apply to every column
        put_row(c, "/lib/b.wav", features=np.arange(len(names)), model_id="another")
    assert main(["export", "--catalog", path, "--features", "--model", synth_model_path]) == 0
    assert capsys.readouterr().out.splitlines()[0].split(",")[-len(names):] == [f"f{i}" for i in range(len(names))]


def test_export_empty_catalog_is_valid_json(tmp_path, capsys):
    Catalog(tmp_path / "c.sqlite").close()
    assert main(["export", "--catalog", str(tmp_path / "c.sqlite"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_export_errors_name_the_problem(tmp_path, catalog, capsys):
    assert main(["export", "--catalog", str(tmp_path / "none.sqlite")]) == 2
    assert "none.sqlite" in capsys.readouterr().err
    assert main(["export", "--catalog", catalog, "-o", str(tmp_path / "no" / "dir" / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "x.csv" in err and f"the folder {tmp_path / 'no' / 'dir'} does not exist" in err
    assert main(["export", "--catalog", catalog, "-o", str(tmp_path)]) == 2
    assert f"-o {tmp_path}: is a folder; give a file name" in capsys.readouterr().err


def test_a_catalog_path_that_is_surely_not_a_catalog_is_refused_and_left_as_it_was(tmp_path):
    empty_audio = tmp_path / "kick.wav"
    empty_audio.write_bytes(b"")
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    for path, reason in ((empty_audio, "named like an audio file"), (notes, "is not an SQLite database"),
                         (empty, "is empty"), (tmp_path, "is a folder")):
        with pytest.raises(CatalogError, match=reason):
            Catalog(path)
    assert empty_audio.read_bytes() == b"" and notes.read_text() == "my notes" and empty.read_bytes() == b""
    with Catalog(tmp_path / "new.sqlite") as c:  # a new file, and then an existing catalog, are fine
        put_row(c, "/a.wav")
    with Catalog(tmp_path / "new.sqlite") as c:
        assert c.count() == 1


def test_export_never_replaces_the_catalog_or_another_database(tmp_path, capsys):
    cat = str(tmp_path / "cat.sqlite")
    with Catalog(cat) as c:
        put_row(c, "/a.wav")
    before = open(cat, "rb").read()
    os.symlink(cat, tmp_path / "same.sqlite")
    other = str(tmp_path / "other.sqlite")
    with Catalog(other) as c:
        put_row(c, "/b.wav")
    for output, reason in ((cat, "is the catalog itself"), (str(tmp_path / "same.sqlite"), "is the catalog itself"),
                           (other, "is an SQLite database")):
        assert main(["export", "--catalog", cat, "-o", output]) == 2
        assert reason in capsys.readouterr().err
    assert open(cat, "rb").read() == before
    with Catalog(other) as c:
        assert c.count() == 1
    assert main(["export", "--catalog", cat, "-o", str(tmp_path / "out.csv")]) == 0


def test_an_empty_file_named_like_a_database_is_a_new_catalog(tmp_path):
    for name in ("touched.sqlite", "touched.db"):
        (tmp_path / name).write_bytes(b"")
        with Catalog(tmp_path / name) as c:
            put_row(c, "/a.wav")
        with Catalog(tmp_path / name, create=False) as c:
            assert c.count() == 1
    (tmp_path / "touched.wav").write_bytes(b"")
    with pytest.raises(CatalogError, match="named like an audio file"):
        Catalog(tmp_path / "touched.wav")
    assert (tmp_path / "touched.wav").read_bytes() == b""


def test_export_never_writes_over_the_files_sqlite_keeps_beside_the_catalog(tmp_path, capsys):
    cat = str(tmp_path / "cat.sqlite")
    with Catalog(cat) as c:
        put_row(c, "/a.wav")
    os.symlink(cat, tmp_path / "link.sqlite")
    for catalog, output in ((cat, cat + "-wal"), (cat, cat + "-shm"), (cat, cat + "-journal"),
                            (str(tmp_path / "link.sqlite"), cat + "-wal")):
        assert main(["export", "--catalog", catalog, "-o", output]) == 2
        err = capsys.readouterr().err
        assert output in err and "beside the catalog" in err
        assert not os.path.exists(output)
    with Catalog(cat, create=False) as c:
        assert c.count() == 1


def test_a_schema_1_catalog_is_upgraded_in_place_and_its_rows_still_count_as_unchanged(tmp_path):
    """A catalog from before the status-change time column keeps its rows; they match on size and mtime alone
    until the file changes, so an upgrade does not classify a whole library again."""
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                     hash TEXT, model_id TEXT NOT NULL, label TEXT, confidence REAL, probabilities TEXT,
                     features BLOB, error TEXT, tagged_at TEXT NOT NULL);""")
    db.execute("INSERT INTO files VALUES ('/lib/a.wav', 10, 20, 'h', 'm', 'kick', 0.9, NULL, NULL, NULL, 'then')")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    with Catalog(path) as c:
        entry = c.get("/lib/a.wav")
        assert (entry.label, entry.ctime_ns) == ("kick", None)
        assert entry.matches(types.SimpleNamespace(st_size=10, st_mtime_ns=20, st_ctime_ns=999))   # any ctime
        assert not entry.matches(types.SimpleNamespace(st_size=10, st_mtime_ns=21, st_ctime_ns=999))
    with Catalog(path) as c:
        c.touch("/lib/a.wav", size=10, mtime_ns=20, ctime_ns=5)
    with Catalog(path) as c:
        assert not c.get("/lib/a.wav").matches(types.SimpleNamespace(st_size=10, st_mtime_ns=20, st_ctime_ns=999))
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
