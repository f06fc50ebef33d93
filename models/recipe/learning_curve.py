"""How grouped-CV macro-F1 grows with the number of training packs: is the model limited by its data?

usage: python models/recipe/learning_curve.py CORPUS.csv [--extra CANDIDATE.csv ...] [--fractions 0.25 0.5 0.75 1]
       [--repeats 4] [--draws 3] [--json OUT.json]

Each assignment of the corpus's packs to folds (fold seeds SEED, SEED + 1, ...) is cross-validated again with only
a fraction of every fold's training packs, drawn source by source (each source keeps that fraction of its packs,
at least one), ``--draws`` times per fraction. Every corpus file is scored by a model that saw nothing of its
pack, as in ``drumtag train``. Prints, per fraction, the mean number of training packs, macro-F1 (mean and its
standard error over the runs) and each class's recall; then the gain per doubling of the packs (macro-F1 fitted
against log2(packs) over the fractions) and how many packs the target would take if every further doubling
gained as much (more if the curve flattens, as learning curves do).

``--extra`` adds datasets whose packs only ever train (a candidate source, say): the corpus's files alone are
scored, so the figures say what that source would add. Fractions apply to the extra packs too.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from oscserver.atomicfile import atomic_write
from oscserver.dataset import load_dataset
from oscserver.errors import DrumtagError
from oscserver.features import FeatureSpec
from oscserver.metrics import report
from oscserver.training import (DEFAULT_ESTIMATOR, ESTIMATORS, build_estimator, featurize, fit_weighted, pack_folds,
                                sample_weights)


def _rows(path: str, tag: str = "") -> tuple[tuple[np.ndarray, ...], tuple[str, ...]]:
    """((X, y, pack, source) of a dataset's readable files, its classes); ``tag`` prefixes its packs and sources
    so that another dataset's packs of the same name stay apart."""
    ds = load_dataset(path)
    feats = featurize(ds, FeatureSpec())
    for p, reason in feats.failed:
        print(f"learning_curve: left out {p}: {reason}", file=sys.stderr)
    source = np.array([tag + (ds.items[i].source or "(no source)") for i in feats.source])
    return (feats.X, feats.y, np.array([tag + g for g in feats.groups]), source), ds.classes


def draw_packs(packs: np.ndarray, sources: np.ndarray, frac: float, rng: np.random.Generator) -> set:
    """``frac`` of each source's packs (rounded, at least one), drawn at random; ``sources[i]`` is ``packs[i]``'s."""
    keep: set = set()
    for s in sorted(set(sources)):
        mine = np.sort(packs[sources == s])
        keep.update(rng.choice(mine, max(1, round(frac * len(mine))), replace=False).tolist())
    return keep


def curve(X, y, packs, sources, scored: np.ndarray, *, classes, fractions, repeats: int, draws: int,
          folds: int = 5, estimator: str = DEFAULT_ESTIMATOR, seed: int = 0) -> list[dict]:
    """One row per fraction of the training packs: mean packs, macro-F1 runs, mean recall per class.

    ``scored`` marks the rows that are cross-validated; the others only train."""
    rows = []
    score_idx = np.flatnonzero(scored)
    extra_idx = np.flatnonzero(~scored)
    pack_source = dict(zip(packs, sources))          # a pack lies in one source
    n_splits = min(folds, len(set(packs[score_idx])))
    for frac in fractions:
        runs, n_packs, recalls = [], [], []
        for fold_seed in range(seed, seed + repeats):
            splits = pack_folds(y[score_idx], packs[score_idx], n_splits, fold_seed)
            for draw in range(draws if frac < 1 else 1):
                rng = np.random.default_rng([seed, fold_seed, draw, round(frac * 1000)])
                pred = np.empty(len(score_idx), dtype=object)
                for train, test in splits:
                    train = np.r_[score_idx[train], extra_idx]
                    names = np.array(sorted(set(packs[train])))
                    keep = draw_packs(names, np.array([pack_source[p] for p in names]), frac, rng)
                    train = train[np.isin(packs[train], list(keep))]
                    n_packs.append(len(keep))
                    est = build_estimator(estimator, seed=seed)
                    fit_weighted(est, X[train], y[train], sample_weights(y[train], packs[train], "pack"))
                    pred[test] = est.predict(X[score_idx[test]])
                rep = report(y[score_idx], pred.astype(str), classes)
                runs.append(rep["macro_f1"])
                recalls.append([rep["per_class"][c]["recall"] for c in classes])
        rows.append({"fraction": frac, "packs": round(float(np.mean(n_packs)), 1), "files": len(score_idx),
                     "macro_f1_runs": runs,
                     "macro_f1": round(float(np.mean(runs)), 4),
                     "macro_f1_se": round(float(np.std(runs, ddof=1) / math.sqrt(len(runs))), 4) if len(runs) > 1
                     else None,
                     "recall": {c: round(float(np.mean([r[i] for r in recalls if r[i] is not None])), 4)
                                for i, c in enumerate(classes) if any(r[i] is not None for r in recalls)}})
    return rows


def per_doubling(rows: list[dict]) -> float | None:
    """Macro-F1 gained per doubling of the training packs: the least-squares slope of macro-F1 against log2(packs)
    over every fraction."""
    packs = np.log2([r["packs"] for r in rows])
    if len(rows) < 2 or np.ptp(packs) == 0:
        return None
    return float(np.polyfit(packs, [r["macro_f1"] for r in rows], 1)[0])


def packs_for(target: float, rows: list[dict]) -> float | None:
    """Training packs at which ``target`` would be reached if every further doubling gained ``per_doubling``."""
    gain, last = per_doubling(rows), rows[-1]
    if last["macro_f1"] >= target:
        return last["packs"]
    if not gain or gain <= 0:
        return None
    return last["packs"] * 2 ** ((target - last["macro_f1"]) / gain)


def format_curve(rows: list[dict], classes, target: float) -> str:
    w = max(5, *(len(c) for c in classes))
    lines = [f"{'fraction':>8} {'packs':>6} {'macro-F1':>8} {'+-se':>6}  " + " ".join(f"{c:>{w}}" for c in classes)
             + "   (recall per class)"]
    for r in rows:
        se = f"{r['macro_f1_se']:.3f}" if r["macro_f1_se"] is not None else "-"
        lines.append(f"{r['fraction']:8.2f} {r['packs']:6.1f} {r['macro_f1']:8.3f} {se:>6}  "
                     + " ".join(f"{r['recall'][c]:{w}.3f}" if c in r["recall"] else f"{'-':>{w}}" for c in classes))
    gain, need = per_doubling(rows), packs_for(target, rows)
    if gain is not None:
        lines.append(f"per doubling of the packs (fitted over the fractions): {gain:+.3f} macro-F1")
    if need is None:
        lines.append(f"macro-F1 {target} is not in reach by that trend")
    elif need > rows[-1]["packs"]:
        lines.append(f"macro-F1 {target} at about {need:.0f} training packs if every further doubling gained as much "
                     f"({need / rows[-1]['packs']:.1f}x these; more if the curve flattens)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", help="the dataset scored by grouped CV (CSV or class folders)")
    ap.add_argument("--extra", nargs="+", default=[], metavar="DATASET",
                    help="datasets that only train (their packs are never scored)")
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0])
    ap.add_argument("--repeats", type=int, default=4, help="assignments of packs to folds (default: %(default)s)")
    ap.add_argument("--draws", type=int, default=3, help="draws of the packs per fraction below 1")
    ap.add_argument("--folds", type=int, default=5, help="folds per assignment (default: %(default)s)")
    ap.add_argument("--estimator", default=DEFAULT_ESTIMATOR, choices=ESTIMATORS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="OUT", help="also write the rows as JSON")
    args = ap.parse_args(argv)
    if any(not 0 < f <= 1 for f in args.fractions):
        ap.error("--fractions: each must be above 0 and at most 1")
    if args.repeats < 1 or args.draws < 1 or args.folds < 2:
        ap.error("--repeats and --draws must be at least 1, --folds at least 2")
    try:
        (corpus, classes), *extra = [_rows(args.corpus)] + [_rows(p, f"extra{k}:") for k, p in enumerate(args.extra)]
        parts = [corpus] + [rows for rows, _ in extra]
        X, y, packs, sources = (np.concatenate([p[k] for p in parts]) for k in range(4))
        scored = np.arange(len(y)) < len(corpus[1])
        rows = curve(X, y, packs, sources, scored, classes=classes, fractions=sorted(set(args.fractions)),
                     repeats=args.repeats, draws=args.draws, folds=args.folds, estimator=args.estimator,
                     seed=args.seed)
    except DrumtagError as exc:
        print(f"learning_curve: {exc}", file=sys.stderr)
        return 2
    from model_card import TARGET_F1   # here: the card imports this module

    print(format_curve(rows, classes, TARGET_F1))
    if args.json:
        with atomic_write(args.json) as f:
            json.dump({"corpus": args.corpus, "extra": args.extra, "estimator": args.estimator,
                       "repeats": args.repeats, "draws": args.draws, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
