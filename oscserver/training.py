"""Train and cross-validate a DrumModel on a Dataset: featurize (with augmentation), grouped CV, fit, metadata."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from .dataset import Dataset
from .errors import DrumtagError, UsageError
from .features import FeatureSpec, extract_batch, feature_names
from .model import DrumModel, content_id, library_versions

log = logging.getLogger(__name__)

ESTIMATORS = ("extratrees", "randomforest", "hgb", "svm", "logreg")
DEFAULT_ESTIMATOR = "extratrees"
#: how training rows are weighted (``sample_weights``); chosen by grouped CV (models/README.md)
WEIGHTINGS = ("pack", "class")
DEFAULT_WEIGHTING = "pack"
#: what each weighting does, in the words of ``drumtag train`` and the model card
WEIGHTING_TEXT = {"pack": "every pack weighs the same, then every class",
                  "class": "every file of a class weighs the same"}


def build_estimator(name: str, *, seed: int = 0):
    """A fresh, seeded scikit-learn estimator (a pipeline with scaling where it matters).

    Classes are balanced by the sample weights ``fit_weighted`` passes (``sample_weights``), not by the estimator's
    own ``class_weight``: one mechanism, so that pack and class weighting compose."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "extratrees":
        from sklearn.ensemble import ExtraTreesClassifier

        return ExtraTreesClassifier(n_estimators=200, min_samples_leaf=2, max_features="sqrt",
                                    random_state=seed, n_jobs=1)
    if name == "randomforest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=200, min_samples_leaf=2, random_state=seed,
                                      n_jobs=1)
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=300, learning_rate=0.06, max_leaf_nodes=15,
                                              l2_regularization=1.0, random_state=seed)
    if name == "svm":
        from sklearn.svm import SVC

        from sklearn.calibration import CalibratedClassifierCV

        return make_pipeline(StandardScaler(), CalibratedClassifierCV(
            SVC(C=10.0, gamma="scale", random_state=seed), ensemble=False))
    if name == "logreg":
        from sklearn.linear_model import LogisticRegression

        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))
    raise UsageError(f"--estimator: unknown {name!r}; choose one of {', '.join(ESTIMATORS)}")


def check_weighting(name: str) -> None:
    if name not in WEIGHTINGS:
        raise UsageError(f"--weighting: unknown {name!r}; choose one of {', '.join(WEIGHTINGS)}")


def sample_weights(y: np.ndarray, groups: np.ndarray, weighting: str = DEFAULT_WEIGHTING) -> np.ndarray:
    """Training weight per row, mean 1; every class weighs the same in total.

    ``"class"``: within a class every row weighs the same (scikit-learn's ``class_weight="balanced"``).
    ``"pack"``: first every pack (group) weighs the same, whatever its size, then classes are balanced. A pack of
    80 rendered drum-machine hats then counts as much as a recorded kit's handful, so the model learns from many
    packs rather than from the largest. On the bundled model's corpus grouped CV cannot tell the two apart for
    ExtraTrees (0.770 against 0.769, means over 8 assignments of packs to folds x 2 estimator seeds; paired
    difference +0.001 +- 0.001); the gain once measured (0.779 against 0.772) came from StratifiedGroupKFold
    seeds that barely reassign packs (``pack_folds``). Pack weights stay the default: they are no worse and
    keep one large pack from outvoting the others (models/README.md has every estimator's figures). Augmented
    rows belong to their file's pack, so they share its weight.
    """
    check_weighting(weighting)
    y, groups = np.asarray(y), np.asarray(groups)
    if weighting == "pack":
        _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
        w = 1.0 / counts[inverse]
    else:
        w = np.ones(len(y))
    _, cls = np.unique(y, return_inverse=True)
    w = w / np.bincount(cls, weights=w)[cls]
    return w * (len(w) / w.sum())


def fit_weighted(est, X: np.ndarray, y: np.ndarray, weights: np.ndarray):
    """``est.fit`` with per-row weights, routed to a pipeline's last step."""
    from sklearn.pipeline import Pipeline

    last = est.steps[-1][1] if isinstance(est, Pipeline) else est
    if hasattr(last, "cv") and hasattr(last, "ensemble"):  # CalibratedClassifierCV (svm): its own inner folds
        smallest = int(np.unique(np.asarray(y), return_counts=True)[1].min())
        if smallest < 2:
            raise UsageError("--estimator svm calibrates on folds of its training files and needs at least 2 files "
                             "of every class in each; choose another --estimator or add files")
        last.set_params(cv=min(5, smallest))
    key = f"{est.steps[-1][0]}__sample_weight" if isinstance(est, Pipeline) else "sample_weight"
    return est.fit(X, y, **{key: weights})


@dataclass
class Features:
    """Feature rows for a dataset: originals and their augmented variants."""

    X: np.ndarray          # [shape=(rows, n_features)]
    y: np.ndarray          # labels per row
    groups: np.ndarray     # group per row
    source: np.ndarray     # index of the dataset item each row came from
    original: np.ndarray   # True for a file's own row, False for an augmented variant
    failed: list[tuple[str, str]]  # (path, reason) of items that could not be read


_SPEC: FeatureSpec | None = None
_AUG = 0
_SEED = 0


def _init(spec: dict, augment: int, seed: int) -> None:
    global _SPEC, _AUG, _SEED
    _SPEC, _AUG, _SEED = FeatureSpec.from_dict(spec), augment, seed
    from .workers import single_threaded_blas

    # also in-process (jobs=1): BLAS's thread count changes float32 sums, and training must not depend on it
    single_threaded_blas()


def _featurize(job: tuple[int, str]):
    from .audio import load_audio
    from .augment import variants

    index, path = job
    try:
        audio = load_audio(path, sr=_SPEC.sr, duration=_SPEC.duration)
        sounds, durations = [audio.y], [audio.file_duration]
        for v in variants(audio.y, sr=audio.sr, n=_AUG, seed=_SEED * 100003 + index):
            sounds.append(v)
            durations.append(audio.file_duration * len(v) / max(len(audio.y), 1) if len(audio.y) else None)
        # the file and its variants in one batch: the same rows as one by one (extract_batch), in less time
        return index, list(extract_batch(sounds, sr=audio.sr, spec=_SPEC, file_durations=durations)), None
    except DrumtagError as exc:
        return index, None, getattr(exc, "reason", str(exc))


def featurize(dataset: Dataset, spec: FeatureSpec, *, augment: int = 0, seed: int = 0, jobs: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> Features:
    """Feature rows for every item (plus ``augment`` variants each), on ``jobs`` processes."""
    from .workers import map_unordered

    todo = list(enumerate(i.path for i in dataset.items))
    results: dict[int, list[np.ndarray]] = {}
    failed = []
    it = map_unordered(_featurize, todo, initializer=_init, initargs=(spec.to_dict(), augment, seed), jobs=jobs)
    for done, (index, rows, error) in enumerate(it, start=1):
        if error is None:
            results[index] = rows
        else:
            failed.append((dataset.items[index].path, error))
        if progress:
            progress(done, len(todo))
    X, y, g, src, orig = [], [], [], [], []
    for index in sorted(results):
        item = dataset.items[index]
        for k, row in enumerate(results[index]):
            X.append(row)
            y.append(item.label)
            g.append(item.group)
            src.append(index)
            orig.append(k == 0)
    if not X:
        shown = "; ".join(f"{p}: {r}" for p, r in failed[:3])
        raise UsageError(f"none of the {len(failed)} files of the training set could be read ({shown}"
                         f"{'; ...' if len(failed) > 3 else ''}); a relative path in a CSV is relative to the "
                         "CSV's folder")
    return Features(np.vstack(X).astype(np.float32), np.asarray(y), np.asarray(g), np.asarray(src),
                    np.asarray(orig), failed)


#: how far ``pack_folds`` shuffles the packs' order (the log-normal spread of their sizes' sort keys)
FOLD_JITTER = 0.5
FOLD_METHOD = ("pack_folds: whole packs to folds, the classes balanced across folds, packs taken largest first "
               "with shuffled sizes")


def pack_folds(y, groups, n_splits: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row indices of ``n_splits`` folds that keep every pack (group) whole and each class's share
    of the rows about even across folds; another ``seed`` is another assignment of packs to folds.

    Greedy, as scikit-learn's StratifiedGroupKFold: each pack in turn goes to the fold that keeps the classes'
    shares most even (ties: the smaller fold). StratifiedGroupKFold visits the packs in a fixed order and
    shuffles only ties, so on a corpus of a few dozen packs of mixed classes its seeds give nearly one
    assignment (93 % of the files in the same fold across seeds on the bundled corpus) and repeats under
    other seeds measure little. Here the packs are visited largest first by sizes scaled by a random factor
    (``FOLD_JITTER``), so that big packs still come early while seeds really reshuffle.
    """
    y, groups = np.asarray(y), np.asarray(groups)
    _, yi = np.unique(y, return_inverse=True)
    names, gi = np.unique(groups, return_inverse=True)
    if len(names) < n_splits:
        raise UsageError(f"{n_splits} folds need at least {n_splits} groups (packs); got {len(names)}")
    counts = np.zeros((len(names), yi.max() + 1))
    np.add.at(counts, (gi, yi), 1)
    rng = np.random.default_rng(seed)
    order = np.argsort(-counts.sum(axis=1) * np.exp(FOLD_JITTER * rng.standard_normal(len(names))), kind="stable")
    share = counts / counts.sum(axis=0)                       # each pack's share of every class
    per_fold = np.zeros((n_splits, counts.shape[1]))
    fold_of = np.empty(len(names), dtype=int)
    for k, g in enumerate(order):
        if k < n_splits:                                       # every fold gets a pack
            best = k
        else:
            # trial[f]: the folds' class shares were the pack put in fold f; cost: how uneven they would be
            trial = per_fold + np.eye(n_splits)[:, :, None] * share[g]
            cost = trial.std(axis=1).mean(axis=1)
            best = min(range(n_splits), key=lambda f: (round(float(cost[f]), 12), per_fold[f].sum(), f))
        per_fold[best] += share[g]
        fold_of[g] = best
    fold = fold_of[gi]
    return [(np.flatnonzero(fold != f), np.flatnonzero(fold == f)) for f in range(n_splits)]


def cv_folds(feats: Features, n_splits: int, fold_seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``grouped_cv``'s folds: ``pack_folds`` of the original files (indices into them), at most one per pack."""
    orig = np.flatnonzero(feats.original)
    n_groups = len(set(feats.groups[orig]))
    if n_groups < 2:
        raise UsageError("grouped cross-validation needs at least two groups (packs); "
                         "give pack folders or a group column")
    return pack_folds(feats.y[orig], feats.groups[orig], min(n_splits, n_groups), fold_seed)


def grouped_cv(feats: Features, *, estimator: str, classes, seed: int = 0, n_splits: int = 5,
               fold_seed: int | None = None, weighting: str = DEFAULT_WEIGHTING, folds=None):
    """Out-of-fold predictions for the original files, folds grouped by pack (``pack_folds``; ``folds``: those
    ``cv_folds`` already gave).

    ``fold_seed`` (default: ``seed``) assigns the packs to folds; ``seed`` seeds the estimators; each fold's
    model is fitted with the ``sample_weights`` of its own training rows.
    Returns (y_true, y_pred, proba, n_splits). Augmented rows train with their file's fold and are never scored.
    """
    orig = np.flatnonzero(feats.original)
    classes = list(classes)
    y_pred = np.empty(len(orig), dtype=object)
    proba = np.zeros((len(orig), len(classes)))
    if folds is None:
        folds = cv_folds(feats, n_splits, seed if fold_seed is None else fold_seed)
    n_splits = len(folds)
    for train_o, test_o in folds:
        train_src = set(feats.source[orig[train_o]])
        rows = np.flatnonzero(np.isin(feats.source, list(train_src)))
        est = build_estimator(estimator, seed=seed)
        fit_weighted(est, feats.X[rows], feats.y[rows], sample_weights(feats.y[rows], feats.groups[rows], weighting))
        p = est.predict_proba(feats.X[orig[test_o]])
        cols = [list(est.classes_).index(c) if c in est.classes_ else None for c in classes]
        full = np.zeros((len(test_o), len(classes)))
        for j, c in enumerate(cols):
            if c is not None:
                full[:, j] = p[:, c]
        proba[test_o] = full
        y_pred[test_o] = np.asarray(classes, dtype=object)[full.argmax(axis=1)]
    return feats.y[orig], y_pred.astype(str), proba, n_splits


class CVRun(NamedTuple):
    """One assignment of packs to folds: its out-of-fold predictions and probabilities (columns: ``classes``)."""

    fold_seed: int
    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray
    n_splits: int
    test_folds: list[np.ndarray]  # each fold's test rows (indices into the original files)


def repeated_grouped_cv(feats: Features, *, estimator: str, classes, seed: int = 0, n_splits: int = 5,
                        repeats: int = 3, weighting: str = DEFAULT_WEIGHTING) -> list[CVRun]:
    """``grouped_cv`` under ``repeats`` assignments of packs to folds (fold seeds ``seed``, ``seed + 1``, ...),
    the first with the folds of ``seed``."""
    runs = []
    for fold_seed in range(seed, seed + max(1, repeats)):
        folds = cv_folds(feats, n_splits, fold_seed)
        runs.append(CVRun(fold_seed, *grouped_cv(feats, estimator=estimator, classes=classes, seed=seed,
                                                 weighting=weighting, folds=folds),
                          test_folds=[test for _, test in folds]))
    return runs


def calibrate(feats: Features, runs: list[CVRun], classes) -> dict:
    """``calibration.fit`` on the out-of-fold probabilities of ``runs``, with each run's own folds."""
    from . import calibration

    truth = np.array([list(classes).index(c) for c in feats.y[feats.original]])
    return calibration.fit([(r.proba, truth, r.test_folds) for r in runs])


def train_model(dataset: Dataset, *, spec: FeatureSpec | None = None, estimator: str = DEFAULT_ESTIMATOR,
                seed: int = 0, augment: int = 0, weighting: str = DEFAULT_WEIGHTING, cv_splits: int = 5,
                cv_repeats: int = 3, jobs: int | None = None, sources: list[dict] | None = None,
                progress: Callable[[int, int], None] | None = None) -> tuple[DrumModel, dict]:
    """Featurize, cross-validate grouped by pack, fit on everything; returns (model, cv report).

    The report is that of the folds shuffled with ``seed``; ``cv["repeats"]`` adds the scores of ``cv_repeats``
    assignments of packs to folds in all (fold seeds ``seed``, ``seed + 1``, ...), since with a few dozen packs
    which packs are held out together moves macro-F1 a lot: on the bundled corpus from 0.75 to 0.78 over eight
    assignments (standard deviation 0.009).
    """
    from .metrics import report

    spec = spec or FeatureSpec()
    classes = dataset.classes
    if len(classes) < 2:
        raise UsageError("training needs at least two classes")
    build_estimator(estimator, seed=seed)  # validates the names before the long part
    check_weighting(weighting)
    feats = featurize(dataset, spec, augment=augment, seed=seed, jobs=jobs, progress=progress)
    for path, reason in feats.failed:
        log.warning("skipped %s: %s", path, reason)
    classes = _readable_classes(classes, feats)
    runs = repeated_grouped_cv(feats, estimator=estimator, classes=classes, seed=seed, n_splits=cv_splits,
                               repeats=cv_repeats, weighting=weighting)
    y_true, y_pred, n_splits = runs[0].y_true, runs[0].y_pred, runs[0].n_splits
    cv = report(y_true, y_pred, classes)
    cv["repeats"] = [_scores(cv if k == 0 else report(r.y_true, r.y_pred, classes), r.fold_seed)
                     for k, r in enumerate(runs)]
    cv["per_group"] = per_group(feats.groups[feats.original], y_true, y_pred)
    cv.update(n_splits=n_splits, grouping=dataset.grouping, n_groups=int(len(set(feats.groups[feats.original]))),
              method=FOLD_METHOD + "; augmented variants train with their file, never scored",
              weighting=weighting)
    est = build_estimator(estimator, seed=seed)
    fit_weighted(est, feats.X, feats.y, sample_weights(feats.y, feats.groups, weighting))
    cal = calibrate(feats, runs, classes)
    # everything the model's answers depend on: the same id means the same probabilities (the catalog relies on it)
    params = {"estimator": estimator, "seed": seed, "augment": augment, "weighting": weighting,
              "calibration": repr(sorted(cal.items())), "spec": repr(spec.to_dict()), "classes": repr(classes),
              "groups": "\0".join(map(str, feats.groups)), "hyperparameters": repr(sorted(est.get_params().items()))}
    counts = Counter(feats.y[feats.original])
    meta = {
        "model_id": f"{estimator}-{content_id(feats.X, feats.y, params)}",
        "drumtag_version": library_versions()["drumtag"],
        "versions": library_versions(),
        "estimator": estimator,
        "seed": seed,
        "augment": augment,
        "weighting": weighting,
        "feature_names": feature_names(spec),
        "training": {"files": int(feats.original.sum()), "rows": int(len(feats.y)),
                     "per_class": {c: int(counts.get(c, 0)) for c in classes},
                     "skipped": [{"path": p, "reason": r} for p, r in feats.failed],
                     "grouping": dataset.grouping},
        "sources": sources or _sources(dataset, feats),
        "cv": cv,
        "calibration": cal,
    }
    return DrumModel(estimator=est, spec=spec, classes=classes, metadata=meta), cv


def _readable_classes(classes: tuple[str, ...], feats: Features) -> tuple[str, ...]:
    """The classes with at least one file that could be read: a class of unreadable files only (0-byte cloud
    placeholders, say) is left out with a warning, since a model cannot answer with a class it never saw."""
    seen = set(feats.y[feats.original])
    for c in classes:
        if c not in seen:
            log.warning("class %s is left out: none of its files could be read", c)
    kept = tuple(c for c in classes if c in seen)
    if len(kept) < 2:
        raise UsageError(f"training needs files of at least two classes that can be read; only "
                         f"{', '.join(kept) or 'none'} had any")
    return kept


def _scores(rep: dict, fold_seed: int) -> dict:
    return {"fold_seed": fold_seed, "macro_f1": rep["macro_f1"], "accuracy": rep["accuracy"],
            "min_recall": min(c["recall"] for c in rep["per_class"].values() if c["support"])}


def repeats_line(cv: dict) -> str:
    """One line: macro-F1 under each assignment of packs to folds, and their mean (empty without repeats)."""
    reps = cv.get("repeats") or []
    if len(reps) < 2:
        return ""
    f1 = [r["macro_f1"] for r in reps]
    return (f"macro-F1 over {len(reps)} assignments of packs to folds (fold seeds {reps[0]['fold_seed']}-"
            f"{reps[-1]['fold_seed']}): " + ", ".join(f"{v:.3f}" for v in f1) + f"; mean {sum(f1) / len(f1):.3f}")


def per_group(groups, y_true, y_pred) -> dict:
    """{group: {true label: {predicted label: count}}}: lets a report be recomputed for any subset of packs."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for g, t, p in zip(groups, y_true, y_pred):
        cell = out.setdefault(str(g), {}).setdefault(str(t), {})
        cell[str(p)] = cell.get(str(p), 0) + 1
    return out


def _sources(dataset: Dataset, feats: Features) -> list[dict]:
    """Per source (or group when there is no source column): licence and counts per class of the used files."""
    used = set(feats.source[feats.original])
    table: dict[str, dict] = {}
    for idx in used:
        item = dataset.items[idx]
        key = item.source or item.group
        entry = table.setdefault(key, {"source": key, "licence": item.licence or "unknown", "files": 0,
                                       "per_class": Counter()})
        entry["files"] += 1
        entry["per_class"][item.label] += 1
    return [dict(e, per_class=dict(e["per_class"])) for e in sorted(table.values(), key=lambda e: e["source"])]
