"""Confidence that means what it says: a power calibration of a model's class probabilities.

A forest's probabilities are the share of its trees that vote for each class, and with leaves of two or more files
they are cautious: on the bundled corpus, files the uncalibrated model gave 0.7-0.8 were right 91 % of the time.
``fit`` finds the exponent ``t`` for which ``p ** t``, renormalised, best predicts the true classes of grouped
cross-validation's out-of-fold probabilities (lowest log loss), and ``apply`` uses it at prediction time.
``p ** t`` keeps the order of a file's classes, so labels, accuracy and macro-F1 stay exactly as they were; only
the confidence changes. (On log-probabilities it is temperature scaling, ``softmax(t * log p)``.)

The figures stored with the fit are honest: the calibration error "after" is cross-fitted, every fold's
probabilities calibrated by an exponent fitted on the other folds only.
"""

from __future__ import annotations

import numpy as np

METHOD = "power"
#: the exponents ``fit`` may choose from (1: no change). Capped: where cross-validation is all but perfect (a
#: small set of very distinct classes) the log loss falls on and on with the exponent, and confidences would go to 1
BOUNDS = (0.5, 3.0)
BINS = 10
_FLOOR = 1e-4  # log loss counts a probability below this as this: one confidently wrong file must not decide


def apply(proba: np.ndarray, exponent: float) -> np.ndarray:
    """proba [shape=(n, n_classes)], rows summing to 1 -> ``proba ** exponent`` with rows renormalised."""
    if exponent == 1.0:
        return proba
    q = np.power(proba, exponent)
    return q / q.sum(axis=1, keepdims=True)


def log_loss(proba: np.ndarray, truth: np.ndarray) -> float:
    """Mean negative log probability of each row's true class (``truth``: column indices)."""
    return float(-np.mean(np.log(np.maximum(proba[np.arange(len(truth)), truth], _FLOOR))))


def reliability(proba: np.ndarray, truth: np.ndarray, bins: int = BINS) -> list[dict]:
    """Per confidence bin (the top probability, in ``bins`` equal steps): files, mean confidence, accuracy."""
    conf = proba.max(axis=1)
    right = proba.argmax(axis=1) == truth
    which = np.minimum((conf * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        m = which == b
        if m.any():
            rows.append({"from": b / bins, "to": (b + 1) / bins, "files": int(m.sum()),
                         "confidence": round(float(conf[m].mean()), 4), "accuracy": round(float(right[m].mean()), 4)})
    return rows


def calibration_error(proba: np.ndarray, truth: np.ndarray, bins: int = BINS) -> float:
    """Expected calibration error: the files-weighted mean gap between confidence and accuracy over the bins."""
    rows = reliability(proba, truth, bins)
    return float(sum(r["files"] * abs(r["confidence"] - r["accuracy"]) for r in rows) / max(1, len(truth)))


def fit_exponent(proba: np.ndarray, truth: np.ndarray) -> float:
    """The exponent in ``BOUNDS`` with the lowest log loss of ``apply(proba, exponent)``."""
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda t: log_loss(apply(proba, t), truth), bounds=BOUNDS, method="bounded",
                          options={"xatol": 1e-3})
    return round(float(res.x), 3)


def fit(runs: list[tuple[np.ndarray, np.ndarray, list[np.ndarray]]]) -> dict:
    """The calibration of a model from its grouped cross-validation.

    ``runs``: per assignment of packs to folds, (out-of-fold probabilities, true class indices, test rows of each
    fold). The exponent is fitted on every run's probabilities together; the figures after calibration are
    cross-fitted within each run (each fold calibrated by an exponent fitted on the other folds) and averaged.
    """
    proba = np.concatenate([p for p, _, _ in runs])
    truth = np.concatenate([t for _, t, _ in runs])
    crossed = [_cross_fitted(p, t, folds) for p, t, folds in runs]
    cal = {"method": METHOD, "exponent": fit_exponent(proba, truth), "bins": BINS, "runs": len(runs),
           "error_before": _mean([calibration_error(p, t) for p, t, _ in runs]),
           "error_after": _mean([calibration_error(c, t) for c, (_, t, _) in zip(crossed, runs)]),
           "log_loss_before": _mean([log_loss(p, t) for p, t, _ in runs]),
           "log_loss_after": _mean([log_loss(c, t) for c, (_, t, _) in zip(crossed, runs)]),
           "reliability_before": reliability(runs[0][0], runs[0][1]),
           "reliability_after": reliability(crossed[0], runs[0][1])}
    if cal["log_loss_after"] > cal["log_loss_before"]:
        # on folds it was not fitted on, the exponent made the probabilities worse (too few packs or files to
        # fit it): the model keeps its own probabilities
        cal["fitted_exponent"], cal["exponent"] = cal["exponent"], 1.0
    return cal


def _mean(values) -> float:
    return round(float(np.mean(values)), 4)


def _cross_fitted(proba: np.ndarray, truth: np.ndarray, folds: list[np.ndarray]) -> np.ndarray:
    """Every fold's rows calibrated by the exponent fitted on the other folds' rows."""
    out = np.empty_like(proba)
    for test in folds:
        rest = np.setdiff1d(np.arange(len(truth)), test)
        out[test] = apply(proba[test], fit_exponent(proba[rest], truth[rest]))
    return out


def exponent_of(metadata: dict) -> float:
    """The exponent a model's metadata asks for; 1 (no change) for a model made before calibration existed."""
    cal = metadata.get("calibration") or {}
    return float(cal.get("exponent", 1.0)) if cal.get("method") == METHOD else 1.0


def summary(cal: dict | None) -> str:
    """One line on a model's calibration for `drumtag train`, `drumtag info` and the model card ('' without)."""
    if not cal or cal.get("method") != METHOD:
        return ""
    if "fitted_exponent" in cal:
        return (f"confidence left uncalibrated: the power {cal['fitted_exponent']:.2f} fitted on grouped CV made "
                f"log loss worse on the folds it was not fitted on ({cal['log_loss_before']:.3f} -> "
                f"{cal['log_loss_after']:.3f}, calibration error {cal['error_before']:.3f} -> "
                f"{cal['error_after']:.3f}), so the model's own probabilities are kept")
    return (f"confidence calibrated: probabilities raised to the power {cal['exponent']:.2f} and renormalised; "
            f"calibration error {cal['error_before']:.3f} -> {cal['error_after']:.3f}, log loss "
            f"{cal['log_loss_before']:.3f} -> {cal['log_loss_after']:.3f} (out-of-fold, cross-fitted, mean over "
            f"{cal['runs']} assignments of packs to folds)")
