"""Choose the estimator and augmentation for the bundled model by cross-validation grouped by pack.

usage: python models/recipe/select_model.py CORPUS.csv [--augment 0 2 4] [--estimators extratrees hgb ...]
       [--weightings pack class] [--repeats 3] [--estimator-seeds 1]

Prints one row per candidate (macro-F1, accuracy, worst per-class recall) and writes the table as JSON next to the
model card (models/selection.json). Features are extracted once per augmentation level and reused. Each candidate
is cross-validated under --repeats assignments of packs to folds (fold seeds SEED, SEED + 1, ...) and scored by
the mean: with a few dozen packs, one assignment alone moves macro-F1 by about a hundredth, as much as most
differences between candidates. ``--estimator-seeds K`` also refits each candidate with estimator seeds SEED ..
SEED + K - 1 under the same folds: a forest's own seed moves ExtraTrees' macro-F1 by up to a hundredth as well.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from oscserver.atomicfile import atomic_write
from oscserver.dataset import load_dataset
from oscserver.features import FeatureSpec
from oscserver.metrics import report
from oscserver.training import ESTIMATORS, WEIGHTINGS, featurize, grouped_cv


def candidate_key(row: dict) -> tuple:
    """(estimator, augment, weighting) of a candidate row or a model's metadata; rows and models made before the
    weighting existed had class weights."""
    return row["estimator"], row["augment"], row.get("weighting", "class")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--augment", type=int, nargs="+", default=[0, 2, 4])
    ap.add_argument("--estimators", nargs="+", default=list(ESTIMATORS))
    ap.add_argument("--weightings", nargs="+", default=list(WEIGHTINGS), choices=WEIGHTINGS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="assignments of packs to folds per candidate")
    ap.add_argument("--estimator-seeds", type=int, default=1, metavar="K",
                    help="estimator seeds per candidate, each under every fold assignment (default: %(default)s)")
    ap.add_argument("--append", action="store_true", help="add to the candidates already in --out")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "selection.json"))
    args = ap.parse_args(argv)
    ds = load_dataset(args.corpus)
    spec = FeatureSpec()
    rows = []
    if args.append and os.path.exists(args.out):
        with open(args.out) as f:
            rows = json.load(f)["candidates"]
    print(f"{'estimator':<13} {'augment':>7} {'weights':>7} {'macro-F1':>8} {'accuracy':>8} {'min recall':>10}  "
          "seconds  "
          f"(means over {args.repeats} fold assignments x {args.estimator_seeds} estimator seeds)", flush=True)
    for aug in args.augment:
        t = time.time()
        feats = featurize(ds, spec, augment=aug, seed=args.seed)
        print(f"# features with augment={aug}: {len(feats.y)} rows in {time.time() - t:.1f} s", file=sys.stderr)
        for name, weighting in [(n, w) for n in args.estimators for w in args.weightings]:
            t = time.time()
            runs = [(fold_seed, est_seed, *grouped_cv(feats, estimator=name, classes=ds.classes, seed=est_seed,
                                                      fold_seed=fold_seed, weighting=weighting))
                    for est_seed in range(args.seed, args.seed + max(1, args.estimator_seeds))
                    for fold_seed in range(args.seed, args.seed + max(1, args.repeats))]
            reps = [report(y_true, y_pred, ds.classes) for _, _, y_true, y_pred, _, _ in runs]
            n_splits = runs[0][5]
            recall = {c: round(sum(r["per_class"][c]["recall"] for r in reps) / len(reps), 4) for c in ds.classes}
            row = {"estimator": name, "augment": aug, "weighting": weighting,
                   "macro_f1": round(sum(r["macro_f1"] for r in reps) / len(reps), 4),
                   "macro_f1_runs": [r["macro_f1"] for r in reps],
                   "accuracy": round(sum(r["accuracy"] for r in reps) / len(reps), 4),
                   "min_recall": min(recall.values()), "recall": recall,
                   "fold_seeds": sorted({fold_seed for fold_seed, *_ in runs}),
                   "estimator_seeds": sorted({est_seed for _, est_seed, *_ in runs}),
                   "n_splits": n_splits, "seconds": round(time.time() - t, 1)}
            worst = row["min_recall"]
            same = next((i for i, r in enumerate(rows) if candidate_key(r) == candidate_key(row)), None)
            if same is None:
                rows.append(row)
            else:  # a rerun replaces its row in place: the table keeps its order
                rows[same] = row
            with atomic_write(args.out) as f:  # after every row: a long run can be stopped and still counts
                json.dump({"corpus_files": len(ds.items), "grouping": ds.grouping, "candidates": rows}, f, indent=1)
            print(f"{name:<13} {aug:>7} {weighting:>7} {row['macro_f1']:8.3f} {row['accuracy']:8.3f} {worst:10.3f}  "
                  f"{row['seconds']:.0f}  {row['recall']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
