"""Compiled forests predict exactly what scikit-learn's ExtraTrees and RandomForest predict."""

import numpy as np
import pytest
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

from oscserver.forest import compile_forest, predict_proba

LABELS = np.array(["snare", "kick", "other", "hat"])  # not sorted: classes_ sorts them, columns must follow


def _data(rng, n=300, n_features=6):
    """Values on a 1/4 grid, so RandomForest's midpoint thresholds are exact float32 values too."""
    X = (np.round(rng.normal(size=(n, n_features)) * 4) / 4).astype(np.float32)
    y = LABELS[(X[:, 0] > 0) + 2 * (X[:, 1] + 0.3 * X[:, 2] > 0.25)]
    return X, y


def _at_thresholds(est, X, rng, n=400) -> np.ndarray:
    """Training rows with one feature set to a split's threshold cast to float32, as extracted features would be."""
    trees = [t.tree_ for t in est.estimators_]
    splits = [(t.feature[i], t.threshold[i]) for t in trees for i in np.flatnonzero(t.children_left != -1)]
    rows = X[rng.integers(0, len(X), n)].copy()
    for row, k in zip(rows, rng.integers(0, len(splits), n)):
        feature, threshold = splits[k]
        row[feature] = np.float32(threshold)
    return rows


@pytest.mark.parametrize("make", [
    lambda: ExtraTreesClassifier(n_estimators=25, random_state=0),
    lambda: ExtraTreesClassifier(n_estimators=25, min_samples_leaf=3, class_weight="balanced", random_state=1),
    lambda: RandomForestClassifier(n_estimators=25, random_state=0),
    lambda: RandomForestClassifier(n_estimators=25, min_samples_leaf=2, max_depth=5,
                                   class_weight="balanced_subsample", random_state=2),
], ids=["extratrees", "extratrees-balanced", "randomforest", "randomforest-shallow"])
def test_equals_sklearn_on_random_rows_and_at_thresholds(make):
    rng = np.random.default_rng(0)
    X, y = _data(rng)
    est = make().fit(X, y)
    compiled = compile_forest(est)
    assert compiled["classes"] == list(est.classes_) == sorted(LABELS)
    for rows in (rng.normal(size=(50, X.shape[1])).astype(np.float32), X, _at_thresholds(est, X, rng)):
        assert np.allclose(predict_proba(compiled, rows), est.predict_proba(rows), rtol=0, atol=1e-12)


@pytest.mark.parametrize("compact_from, compact_every", [(0, 1), (1, 2), (3, 5), (10_000, 1)],
                         ids=["every-step", "early", "late", "never"])
def test_setting_finished_pairs_aside_changes_nothing(compact_from, compact_every):
    """Deep trees (fully grown on noisy labels), with pairs set aside at every step, late, or never."""
    rng = np.random.default_rng(3)
    X, _ = _data(rng, n=500)
    y = LABELS[rng.integers(0, len(LABELS), len(X))]
    X[::7, 2] = np.nan
    est = ExtraTreesClassifier(n_estimators=20, random_state=0).fit(X, y)
    compiled = compile_forest(est)
    assert compiled["max_depth"] > 10
    rows = np.concatenate([X, rng.normal(size=(50, X.shape[1])).astype(np.float32)])
    got = predict_proba(compiled, rows, compact_from=compact_from, compact_every=compact_every)
    assert np.allclose(got, est.predict_proba(rows), rtol=0, atol=1e-12)


def test_one_row_and_single_leaf_trees():
    rng = np.random.default_rng(1)
    X, y = _data(rng)
    for est in (ExtraTreesClassifier(n_estimators=5, random_state=0).fit(X, y),
                RandomForestClassifier(n_estimators=5, min_samples_split=10_000, random_state=0).fit(X, y)):
        row = X[:1].astype(np.float64)  # cast to float32, like sklearn
        out = predict_proba(compile_forest(est), row)
        assert out.shape == (1, 4) and np.allclose(out, est.predict_proba(row), rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", [ExtraTreesClassifier, RandomForestClassifier])
def test_missing_values_go_where_sklearn_sends_them(cls):
    rng = np.random.default_rng(2)
    X, y = _data(rng)
    X[rng.random(X.shape) < 0.1] = np.nan  # some splits then learn where a missing value goes
    est = cls(n_estimators=25, random_state=0).fit(X, y)
    rows = X[:100].copy()
    rows[rng.random(rows.shape) < 0.3] = np.nan
    assert np.allclose(predict_proba(compile_forest(est), rows), est.predict_proba(rows), rtol=0, atol=1e-12)


def test_multi_output_is_refused():
    X, y = _data(np.random.default_rng(3))
    est = ExtraTreesClassifier(n_estimators=3, random_state=0).fit(X, np.stack([y, y[::-1]], axis=1))
    with pytest.raises(ValueError, match="single-output"):
        compile_forest(est)
