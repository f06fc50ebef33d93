"""Confidence calibration (oscserver/calibration.py): labels never change, confidences come to mean what they say."""

import numpy as np
import pytest

from oscserver import calibration as C


def _cautious(n=4000, k=5, power=2.0, seed=0):
    """Files whose true class is drawn from ``q`` and a model that reports ``q ** (1 / power)``: too cautious, so
    the exponent that repairs it is ``power``."""
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.full(k, 0.4), size=n)
    truth = np.array([rng.choice(k, p=row) for row in q])
    return C.apply(q, 1.0 / power), truth


def test_apply_keeps_every_files_order_of_classes_and_sums_to_one():
    p = np.random.default_rng(1).dirichlet(np.ones(5), size=50)
    p[0] = [0.0, 0.2, 0.8, 0.0, 0.0]  # classes no tree voted for stay at zero
    for t in (0.5, 1.7, 3.0):
        q = C.apply(p, t)
        assert np.allclose(q.sum(axis=1), 1.0)
        assert (np.argsort(q, axis=1) == np.argsort(p, axis=1)).all()
        assert q[0, 0] == 0.0 and (q[0, 2] > p[0, 2]) == (t > 1)  # above 1 surer, below 1 less sure
    assert C.apply(p, 1.0) is p


def test_the_fitted_exponent_is_the_one_that_made_the_model_cautious():
    p, truth = _cautious(power=2.0)
    assert C.fit_exponent(p, truth) == pytest.approx(2.0, abs=0.15)
    assert C.calibration_error(C.apply(p, 2.0), truth) < C.calibration_error(p, truth) / 3


def test_a_well_calibrated_model_is_left_about_as_it_is():
    p, truth = _cautious(power=1.0)
    assert C.fit_exponent(p, truth) == pytest.approx(1.0, abs=0.1)


def test_the_exponent_is_capped_when_cross_validation_is_all_but_perfect():
    p = np.tile([[0.6, 0.1, 0.1, 0.1, 0.1]], (100, 1))
    assert C.fit_exponent(p, np.zeros(100, dtype=int)) == pytest.approx(C.BOUNDS[1], abs=0.01)


def test_reliability_bins_count_every_file_by_its_top_probability():
    p = np.array([[0.95, 0.05], [0.92, 0.08], [0.55, 0.45], [0.3, 0.7]])
    rows = C.reliability(p, np.array([0, 1, 0, 1]))
    assert [(r["from"], r["files"], r["accuracy"]) for r in rows] == [(0.5, 1, 1.0), (0.7, 1, 1.0), (0.9, 2, 0.5)]
    assert C.calibration_error(p, np.array([0, 1, 0, 1])) == pytest.approx(
        (abs(0.55 - 1) + abs(0.7 - 1) + 2 * abs(0.935 - 0.5)) / 4)


def test_fit_reports_cross_fitted_figures_and_the_exponent():
    runs = []
    for seed in range(2):
        p, truth = _cautious(n=1500, power=1.8, seed=seed)
        runs.append((p, truth, np.array_split(np.random.default_rng(seed).permutation(len(truth)), 5)))
    cal = C.fit(runs)
    assert cal["method"] == "power" and cal["runs"] == 2
    assert cal["exponent"] == pytest.approx(1.8, abs=0.15)
    assert cal["error_after"] < cal["error_before"] / 2 and cal["log_loss_after"] < cal["log_loss_before"]
    assert sum(r["files"] for r in cal["reliability_after"]) == 1500
    assert f"power {cal['exponent']:.2f} and" in C.summary(cal) and C.summary(None) == ""


def test_an_exponent_that_makes_held_out_folds_worse_is_not_applied():
    """One fold's probabilities far too cautious, the other's far too sure: each fold's exponent, fitted on the
    other, makes it worse. The model keeps its own probabilities (exponent 1), and says so."""
    shy, t1 = _cautious(n=1000, power=3.0, seed=1)
    bold, t2 = _cautious(n=1000, power=1 / 3, seed=2)
    runs = [(np.vstack([shy, bold]), np.concatenate([t1, t2]), [np.arange(1000), np.arange(1000, 2000)])]
    cal = C.fit(runs)
    assert cal["log_loss_after"] > cal["log_loss_before"]
    assert cal["exponent"] == 1.0 and cal["fitted_exponent"] != 1.0
    assert C.exponent_of({"calibration": cal}) == 1.0
    assert C.summary(cal).startswith("confidence left uncalibrated: the power ")


def test_a_model_made_before_calibration_predicts_as_it_did():
    assert C.exponent_of({}) == 1.0 and C.exponent_of({"calibration": {"method": "other"}}) == 1.0
    assert C.exponent_of({"calibration": {"method": "power", "exponent": 1.7}}) == 1.7


def test_training_calibrates_the_model_on_its_own_grouped_cv(synth_model):
    """The synth model's classes are easy: grouped CV finds its votes too cautious, and prediction applies it."""
    cal = synth_model.metadata["calibration"]
    assert cal["method"] == "power" and C.BOUNDS[0] <= cal["exponent"] <= C.BOUNDS[1]
    assert cal["runs"] == len(synth_model.metadata["cv"]["repeats"])
    X = np.random.default_rng(3).normal(size=(6, len(synth_model.metadata["feature_names"]))).astype(np.float32)
    calibrated = synth_model.predict_proba(X)
    synth_model.metadata["calibration"] = None
    try:
        raw = synth_model.predict_proba(X)
    finally:
        synth_model.metadata["calibration"] = cal
    assert np.allclose(calibrated, C.apply(raw, cal["exponent"]))
    assert (calibrated.argmax(axis=1) == raw.argmax(axis=1)).all()
