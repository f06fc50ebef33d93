"""Training on synthesized classes, grouped CV, save/load, and refusing incompatible model files."""

import os
import re
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest

import synth
from oscserver import calibration
from oscserver import model as M
from oscserver.classify import classify_file, classify_many
from oscserver.dataset import from_csv, load_dataset
from oscserver.errors import ModelError, UsageError
from oscserver.features import FEATURE_VERSION
from oscserver.training import (WEIGHTINGS, build_estimator, featurize, fit_weighted, grouped_cv, sample_weights,
                                train_model)


def test_synth_model_learns_the_classes(synth_model, tmp_path):
    for label in ("kick", "snare", "hat", "percussion", "other"):
        path = synth.write(tmp_path / f"{label}.wav", synth.varied(label, 99))
        pred = classify_file(path, synth_model)
        assert pred.label == label
        assert set(pred.probabilities) == set(synth_model.classes)
        assert sum(pred.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
        assert pred.confidence == max(pred.probabilities.values())


def test_metadata_is_complete(synth_model):
    m = synth_model.metadata
    assert m["spec"]["version"] == FEATURE_VERSION
    assert m["classes"] == list(synth_model.classes)
    assert {"scikit-learn", "numpy", "drumtag"} <= set(m["versions"])
    assert m["cv"]["macro_f1"] > 0.9 and len(m["cv"]["confusion"]) == 5
    assert "pack folder" in m["cv"]["grouping"]
    assert sum(s["files"] for s in m["sources"]) == m["training"]["files"] == 90
    assert synth_model.model_id.startswith("extratrees-")


def test_cv_is_repeated_over_other_assignments_of_packs_to_folds(synth_model):
    from oscserver.training import repeats_line

    cv = synth_model.metadata["cv"]
    assert [r["fold_seed"] for r in cv["repeats"]] == [0, 1, 2]
    assert cv["repeats"][0]["macro_f1"] == cv["macro_f1"] and cv["repeats"][0]["accuracy"] == cv["accuracy"]
    assert all(0 <= r["min_recall"] <= 1 for r in cv["repeats"])
    line = repeats_line(cv)
    mean = sum(r["macro_f1"] for r in cv["repeats"]) / 3
    assert line.startswith("macro-F1 over 3 assignments of packs to folds (fold seeds 0-2): ")
    assert line.endswith(f"mean {mean:.3f}")
    assert repeats_line({"repeats": cv["repeats"][:1]}) == ""


def test_training_is_reproducible(synth_train_dir):
    ds = load_dataset(synth_train_dir)
    a, _ = train_model(ds, jobs=1, seed=3, cv_splits=3)
    b, _ = train_model(ds, jobs=2, seed=3, cv_splits=3)
    assert a.model_id == b.model_id
    X = np.random.default_rng(0).normal(size=(5, len(a.metadata["feature_names"]))).astype(np.float32)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))


def test_cv_folds_never_split_a_pack(synth_train_dir):
    """Every group is scored by a model that saw none of its files: a pack that differs from the rest is missed."""
    ds = load_dataset(synth_train_dir)
    feats = featurize(ds, M.FeatureSpec(), jobs=1)
    # relabel pack2's kicks as other: had a fold split the pack, siblings in training would teach "other"
    moved = (feats.groups == "pack2") & (feats.y == "kick")
    feats.y = np.where(moved, "other", feats.y)
    _, yp, _, _ = grouped_cv(feats, estimator="extratrees", classes=ds.classes, n_splits=3)
    # scored by a model trained on packs 0-1 only, where kicks are kicks
    assert np.mean(yp[moved] == "kick") > 0.8


def _mixed_packs(n_packs=40, seed=0):
    """Labels and packs of a corpus like the bundled one: packs of mixed classes and sizes."""
    rng = np.random.default_rng(seed)
    classes = np.array(["kick", "snare", "hat", "percussion", "other"])
    y, g = [], []
    for k in range(n_packs):
        size = int(rng.integers(3, 60))
        y += list(rng.choice(classes, size, p=rng.dirichlet(np.ones(5))))
        g += [f"pack{k}"] * size
    return np.array(y), np.array(g)


def _assignment(folds, n):
    fold = np.full(n, -1)
    for k, (train, test) in enumerate(folds):
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == n
        fold[test] = k
    return fold


def test_pack_folds_keep_packs_whole_and_cover_every_row_once():
    from oscserver.training import pack_folds

    y, g = _mixed_packs()
    fold = _assignment(pack_folds(y, g, 5, 0), len(y))
    assert (fold >= 0).all() and len(set(fold)) == 5
    assert all(len(set(fold[g == p])) == 1 for p in set(g))
    assert np.array_equal(fold, _assignment(pack_folds(y, g, 5, 0), len(y)))      # a seed is one assignment


def test_pack_folds_balance_the_classes_across_folds():
    from oscserver.training import pack_folds

    y, g = _mixed_packs()
    fold = _assignment(pack_folds(y, g, 5, 0), len(y))
    for c in set(y):
        shares = [np.mean(fold[y == c] == k) for k in range(5)]    # each fold's share of the class's files
        assert max(shares) - min(shares) < 0.25, (c, shares)


def test_other_fold_seeds_really_reassign_the_packs():
    """StratifiedGroupKFold's seeds only shuffle ties: on the bundled corpus they put 93 % of the files in the same
    fold, and repeated CV measured one split three times. pack_folds' seeds reshuffle the packs."""
    from sklearn.metrics import adjusted_rand_score

    from oscserver.training import pack_folds

    y, g = _mixed_packs()
    ours = [_assignment(pack_folds(y, g, 5, s), len(y)) for s in range(4)]
    assert max(adjusted_rand_score(ours[0], a) for a in ours[1:]) < 0.6


def test_pack_folds_need_as_many_packs_as_folds():
    from oscserver.training import pack_folds

    with pytest.raises(UsageError, match="5 folds need at least 5 groups"):
        pack_folds(np.array(["kick"] * 4), np.array(["a", "b", "c", "d"]), 5, 0)


def test_augmented_rows_are_not_scored(synth_train_dir):
    ds = load_dataset(synth_train_dir)
    feats = featurize(ds, M.FeatureSpec(), augment=2, jobs=1)
    assert len(feats.y) == 3 * len(ds.items) and feats.original.sum() == len(ds.items)
    yt, _, _, _ = grouped_cv(feats, estimator="extratrees", classes=ds.classes, n_splits=3)
    assert len(yt) == len(ds.items)


def test_pack_weights_give_every_pack_then_every_class_the_same_total():
    y = np.array(["kick"] * 10 + ["hat"] * 5)
    groups = np.array(["big"] * 8 + ["small"] * 2 + ["hats"] * 5)
    w = sample_weights(y, groups, "pack")
    assert w.mean() == pytest.approx(1.0)
    assert w[:8].sum() == pytest.approx(w[8:10].sum())          # the kicks of both packs weigh the same
    assert w[:10].sum() == pytest.approx(w[10:].sum())          # and so do the classes
    from sklearn.utils.class_weight import compute_sample_weight

    assert np.allclose(sample_weights(y, groups, "class"), compute_sample_weight("balanced", y))
    with pytest.raises(UsageError, match="--weighting: unknown 'file'"):
        sample_weights(y, groups, "file")


def test_pack_weighting_lets_small_packs_outvote_one_big_pack():
    """Where two small packs of one class meet a bigger pack of another, pack weights side with the two packs."""
    x = np.array([0.0] * 30 + [1.0] * 2 + [1.0] * 8 + [2.0] * 24)[:, None]
    y = np.array(["a"] * 32 + ["b"] * 32)
    groups = np.array(["A1"] * 30 + ["A2", "A3"] + ["B1"] * 8 + ["B2"] * 24)
    p_a = {}
    for weighting in WEIGHTINGS:
        est = fit_weighted(build_estimator("extratrees"), x, y, sample_weights(y, groups, weighting))
        p_a[weighting] = est.predict_proba([[1.0]])[0][list(est.classes_).index("a")]
    # class weights: 2 rows of a against 8 of b; pack weights: two packs of a's three against one of b's two
    assert p_a["class"] == pytest.approx(0.2, abs=0.05) and p_a["pack"] == pytest.approx(4 / 7, abs=0.05)


def test_the_weighting_is_part_of_the_model(synth_train_dir):
    ds = load_dataset(synth_train_dir)
    by_pack, _ = train_model(ds, jobs=1, cv_splits=3, cv_repeats=1)
    by_class, cv = train_model(ds, jobs=1, cv_splits=3, cv_repeats=1, weighting="class")
    assert by_pack.metadata["weighting"] == "pack" and by_class.metadata["weighting"] == "class"
    assert cv["weighting"] == "class" and by_pack.model_id != by_class.model_id


def test_one_group_is_refused(tmp_path):
    root = synth.make_class_folder(tmp_path, per_class=3, packs=1, classes=("kick", "hat"))
    with pytest.raises(UsageError, match="at least two groups"):
        train_model(load_dataset(root), jobs=1)


def test_csv_dataset(tmp_path, synth_train_dir):
    rows = ["path,label,group,source,licence"]
    for label in ("kick", "hat"):
        for pack in ("pack0", "pack1"):
            for f in sorted(os.listdir(os.path.join(synth_train_dir, label, pack))):
                rows.append(f"{os.path.join(synth_train_dir, label, pack, f)},{label},{pack},synth,CC0")
    csv = tmp_path / "set.csv"
    csv.write_text("\n".join(rows))
    ds = from_csv(str(csv))
    model, cv = train_model(ds, jobs=1, cv_splits=2)
    assert model.classes == ("kick", "hat") and cv["n_groups"] == 2
    assert model.metadata["sources"] == [{"source": "synth", "licence": "CC0", "files": 24,
                                          "per_class": {"kick": 12, "hat": 12}}]


def test_a_csv_none_of_whose_files_can_be_read_names_some_and_says_where_paths_are_from(tmp_path):
    """Paths written relative to the current folder, in a CSV kept elsewhere: every file is missing. The error
    counts them, names the first with its reason, and says relative paths start at the CSV's folder."""
    (tmp_path / "csvs").mkdir()
    rows = ["path,label,group"] + [f"lib/{c}/{i}.wav,{c},p{i}" for c in ("kick", "hat") for i in range(3)]
    (tmp_path / "csvs" / "set.csv").write_text("\n".join(rows))
    with pytest.raises(UsageError) as err:
        train_model(from_csv(str(tmp_path / "csvs" / "set.csv")), jobs=1, cv_splits=2)
    msg = str(err.value)
    assert msg.startswith("none of the 6 files of the training set could be read (")
    assert f"{tmp_path / 'csvs' / 'lib' / 'kick' / '0.wav'}: no such file" in msg and msg.count("no such file") == 3
    assert "; ...); a relative path in a CSV is relative to the CSV's folder" in msg


def test_save_is_atomic_and_load_round_trips(synth_model, tmp_path):
    path = tmp_path / "m.joblib"
    path.write_bytes(b"the user's old model")
    synth_model.save(path)
    loaded = M.load_model(path)
    assert loaded.model_id == synth_model.model_id and loaded.spec == synth_model.spec
    assert [p.name for p in tmp_path.iterdir()] == ["m.joblib"]  # no temp files left
    assert os.path.getsize(path) < 10 * 1024 * 1024


def _rewrite(src, dst, **meta):
    payload = joblib.load(src)
    payload["metadata"].update(meta)
    joblib.dump(payload, dst)
    return dst


def test_other_feature_version_is_refused(synth_model_path, tmp_path):
    meta = joblib.load(synth_model_path)["metadata"]
    path = _rewrite(synth_model_path, tmp_path / "old.joblib", spec=dict(meta["spec"], version=FEATURE_VERSION + 1))
    with pytest.raises(ModelError, match="feature version.*retrain"):
        M.load_model(path)


def test_other_sklearn_version_is_refused(synth_model_path, tmp_path):
    meta = joblib.load(synth_model_path)["metadata"]
    path = _rewrite(synth_model_path, tmp_path / "old.joblib",
                    versions=dict(meta["versions"], **{"scikit-learn": "0.24.2"}))
    with pytest.raises(ModelError, match=r"scikit-learn 0\.24\.2.*pip install scikit-learn==0\.24\.2"):
        M.load_model(path)


def test_a_model_file_cut_short_is_called_damaged_not_another_kind_of_file(synth_model_path, tmp_path):
    data = open(synth_model_path, "rb").read()
    for n in (0, 100, len(data) // 2):
        cut = tmp_path / f"cut{n}.joblib"
        cut.write_bytes(data[:n])
        with pytest.raises(ModelError, match=r"cut\d+\.joblib: truncated or damaged .*copy it again"):
            M.load_model(cut)


def test_a_drumtag_payload_without_metadata_or_versions_is_refused_plainly(synth_model_path, tmp_path):
    payload = joblib.load(synth_model_path)
    joblib.dump({"format": payload["format"]}, tmp_path / "bare.joblib")
    with pytest.raises(ModelError, match="without its metadata, feature spec, classes or estimator"):
        M.load_model(tmp_path / "bare.joblib")
    meta = {k: v for k, v in payload["metadata"].items() if k != "versions"}
    joblib.dump(dict(payload, metadata=meta), tmp_path / "noversions.joblib")
    with pytest.raises(ModelError, match="does not say which scikit-learn made it") as exc:
        M.load_model(tmp_path / "noversions.joblib")
    assert "==unknown" not in str(exc.value)


@pytest.mark.parametrize("content", [b"garbage", None])
def test_not_a_model_file(tmp_path, content):
    path = tmp_path / "x.joblib"
    if content is None:
        joblib.dump({"something": "else"}, path)
    else:
        path.write_bytes(content)
    with pytest.raises(ModelError, match="not a drumtag model"):
        M.load_model(path)


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        M.load_model(tmp_path / "nope.joblib")
    with pytest.raises(ModelError, match="is a folder, not a model file"):
        M.load_model(tmp_path)


def test_classify_many_reports_failures_and_goes_on(synth_model, tmp_path):
    good = [synth.write(tmp_path / f"k{i}.wav", synth.varied("kick", i)) for i in range(6)]
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"junk" * 100)
    preds = {p.path: p for p in classify_many(good + [str(bad)], synth_model, jobs=2)}
    assert set(preds) == set(good) | {str(bad)}
    assert preds[str(bad)].error and preds[str(bad)].label is None
    assert all(preds[g].label == "kick" for g in good)


def _rows(model, n=7, seed=1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, len(model.metadata["feature_names"]))).astype(np.float32)


def test_compiled_forest_equals_sklearn(synth_model):
    assert synth_model.forest is not None
    X = _rows(synth_model)
    est = synth_model.estimator
    ref = est.predict_proba(X)[:, [list(est.classes_).index(c) for c in synth_model.classes]]
    ref = calibration.apply(ref, calibration.exponent_of(synth_model.metadata))
    assert np.allclose(synth_model.predict_proba(X), ref, rtol=0, atol=1e-12)


def test_a_compiled_model_predicts_without_importing_sklearn(synth_model_path):
    code = textwrap.dedent(f"""
        import sys
        import numpy as np
        from oscserver import calibration
        from oscserver.model import load_model

        model = load_model({os.fspath(synth_model_path)!r})
        X = np.random.default_rng(0).normal(size=(3, len(model.metadata["feature_names"]))).astype(np.float32)
        proba = model.predict_proba(X)
        assert "sklearn" not in sys.modules, "loading or predicting imported scikit-learn"
        est = model.estimator
        assert "sklearn" in sys.modules
        ref = est.predict_proba(X)[:, [list(est.classes_).index(c) for c in model.classes]]
        ref = calibration.apply(ref, calibration.exponent_of(model.metadata))
        assert np.allclose(proba, ref, rtol=0, atol=1e-12), "the unpickled estimator disagrees"
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_an_older_file_without_compiled_forest_predicts_the_same(synth_model, synth_model_path, tmp_path):
    payload = joblib.load(synth_model_path)
    del payload["forest"]
    joblib.dump(payload, tmp_path / "old.joblib")
    old = M.load_model(tmp_path / "old.joblib")
    assert old.forest is None and old.model_id == synth_model.model_id
    X = _rows(synth_model, n=20)
    assert np.allclose(old.predict_proba(X), synth_model.predict_proba(X), rtol=0, atol=1e-12)


def test_the_estimator_is_unpickled_only_when_asked_for(synth_model, synth_model_path, tmp_path):
    payload = joblib.load(synth_model_path)
    payload["estimator"] = b"not a pickle"
    joblib.dump(payload, tmp_path / "m.joblib")
    model = M.load_model(tmp_path / "m.joblib")
    X = _rows(synth_model)
    assert np.array_equal(model.predict_proba(X), synth_model.predict_proba(X))
    with pytest.raises(ModelError, match="estimator cannot be loaded.*retrain"):
        model.estimator


def test_sklearn_version_is_checked_without_distribution_metadata(synth_model_path, tmp_path, monkeypatch):
    import importlib.metadata

    import sklearn

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert M.load_model(synth_model_path).forest is not None
    meta = joblib.load(synth_model_path)["metadata"]
    path = _rewrite(synth_model_path, tmp_path / "old.joblib",
                    versions=dict(meta["versions"], **{"scikit-learn": "0.24.2"}))
    with pytest.raises(ModelError, match=r"0\.24\.2, but " + re.escape(sklearn.__version__) + " is installed"):
        M.load_model(path)


def test_a_class_whose_files_cannot_be_read_is_left_out_of_the_model(tmp_path, caplog):
    root = synth.make_class_folder(tmp_path, per_class=3, packs=2, classes=("kick", "hat"))
    for pack in ("p0", "p1"):  # say, cloud placeholders that never downloaded
        (tmp_path / "broken" / pack).mkdir(parents=True)
        (tmp_path / "broken" / pack / "a.wav").write_bytes(b"junk")
    with caplog.at_level("WARNING"):
        model, cv = train_model(load_dataset(root), jobs=1, cv_splits=2, cv_repeats=1)
    assert model.classes == ("kick", "hat") and set(cv["per_class"]) == {"kick", "hat"}
    assert "class broken is left out: none of its files could be read" in caplog.text
    assert model.predict_proba(np.zeros((1, len(model.metadata["feature_names"])))).shape == (1, 2)
    for f in (tmp_path / "hat").rglob("*.wav"):
        f.write_bytes(b"junk")
    with pytest.raises(UsageError, match="at least two classes that can be read; only kick had any"):
        train_model(load_dataset(root), jobs=1, cv_splits=2, cv_repeats=1)


def test_the_model_id_changes_with_anything_its_answers_depend_on(tmp_path):
    """The catalog reuses a file's row while the model id is the same, so two models that answer differently must
    never share one: here the same files and settings, grouped differently, calibrate differently."""
    root = synth.make_class_folder(tmp_path, per_class=4, packs=3, classes=("kick", "snare", "hat"))
    by_pack, _ = train_model(load_dataset(root), jobs=1, cv_splits=3, cv_repeats=1)
    groups = tmp_path / "groups.csv"
    rows = [f"{os.path.relpath(i.path, tmp_path)},g{n % 4}" for n, i in enumerate(load_dataset(root).items)]
    groups.write_text("path,group\n" + "\n".join(rows) + "\n")
    regrouped, _ = train_model(load_dataset(root, groups_csv=str(groups)), jobs=1, cv_splits=3, cv_repeats=1)
    assert by_pack.metadata["calibration"] != regrouped.metadata["calibration"]
    assert by_pack.model_id != regrouped.model_id


def test_svm_trains_on_a_small_kit_and_refuses_a_class_of_one_file_plainly(tmp_path):
    root = synth.make_class_folder(tmp_path, per_class=2, packs=3, classes=("kick", "hat"))
    model, _ = train_model(load_dataset(root), estimator="svm", jobs=1, cv_splits=3, cv_repeats=1)
    assert model.classes == ("kick", "hat")
    for f in ("hat_1.wav", "hat_3.wav", "hat_5.wav"):
        os.remove(tmp_path / "hat" / f"pack{int(f[4]) // 2}" / f)
    os.remove(tmp_path / "hat" / "pack0" / "hat_0.wav")
    with pytest.raises(UsageError, match="--estimator svm calibrates on folds .* at least 2 files of every class"):
        train_model(load_dataset(root), estimator="svm", jobs=1, cv_splits=3, cv_repeats=1)
