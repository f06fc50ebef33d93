"""drumtag evaluate: score a model on labelled files (a folder of class subfolders or a CSV)."""

from __future__ import annotations

NAME = "evaluate"
ORDER = 40
HELP = "score a model on labelled files: accuracy, macro-F1, per-class precision/recall, confusion matrix"
DESCRIPTION = """Score a model on labelled files it was not trained on.

FOLDER-or-CSV: a folder with one subfolder per class (kick/, snare/, ...) or a CSV with columns path,label.
Prints accuracy, macro-F1, per-class precision and recall and the confusion matrix, and draws the matrix to a PNG.
Macro-F1 is the mean over the classes present in these files; a class with none gets '-' for recall and F1.
Files in packs (a CSV's group column, or for a folder the pack folder --group-level levels below each class
folder) also get the accuracy of every pack, and their mean.
--json FILE writes the whole report to FILE (it takes a file name, unlike the --json flag of other commands)."""


#: where evaluate's pack table counts the files that are in no pack
NO_PACK = "(no pack)"


def add_arguments(p) -> None:
    from ..argtypes import at_least

    p.add_argument("dataset", metavar="FOLDER-or-CSV")
    p.add_argument("--model", metavar="FILE", help="model file (default: the bundled model)")
    p.add_argument("--png", default="drumtag-confusion.png", metavar="FILE",
                   help="where to draw the confusion matrix (default: %(default)s; '' for none)")
    p.add_argument("--json", metavar="FILE",
                   help="also write the whole report as JSON to FILE; unlike other commands' --json this takes a "
                        "file name, and the text report still goes to stdout")
    p.add_argument("--group-level", type=at_least(0), default=None, metavar="N",
                   help="for a folder: the pack of a file is the path of the N folders below its class folder, as "
                        "for train (default 1; 0: no packs); a CSV's packs come from its group column")
    p.add_argument("--errors", action="store_true", help="list every misclassified file")
    p.add_argument("-j", "--jobs", type=at_least(1), default=None, help="processes to use (default: every core)")


def run(args) -> int:
    import json
    import sys

    import numpy as np

    from ..atomicfile import atomic_write
    from ..classify import classify_many
    from ..dataset import load_dataset
    from ..errors import UsageError
    from ..metrics import format_packs, format_report, pack_scores, report, write_confusion_png
    from ..model import load_model
    from ..progress import Progress

    _check_outputs(args)  # before the work, not after it
    model = load_model(args.model)
    ds = load_dataset(args.dataset, group_level=args.group_level, packs=False)
    unknown = sorted({i.label for i in ds.items} - set(model.classes))
    if unknown:
        raise UsageError(f"{args.dataset}: labels {', '.join(unknown)} are not classes of the model "
                         f"({', '.join(model.classes)})")
    truth = {i.path: i.label for i in ds.items}
    pack = ds.packs or None
    y_true, y_pred, proba, wrong, failed, groups = [], [], [], [], [], []
    with Progress(len(truth), label="evaluate") as bar:
        for pred in classify_many(list(truth), model, jobs=args.jobs):
            bar.update()
            if pred.error:
                failed.append((pred.path, pred.error))
                continue
            y_true.append(truth[pred.path])
            y_pred.append(pred.label)
            groups.append(pack.get(pred.path, NO_PACK) if pack else None)
            proba.append([pred.probabilities[c] for c in model.classes])
            if pred.label != truth[pred.path]:
                wrong.append((pred.path, truth[pred.path], pred.label, pred.confidence))
    if not y_true:
        raise UsageError(f"{args.dataset}: none of its {len(truth)} files could be classified")
    rep = report(y_true, y_pred, model.classes)
    rep["model_id"] = model.model_id
    rep["failed"] = [{"path": p, "reason": r} for p, r in failed]
    rep["confidence"] = _confidence(np.array(proba), np.array([model.classes.index(t) for t in y_true]))
    if pack:
        rep["packs"] = pack_scores(y_true, y_pred, groups)
    print(f"model {model.model_id} on {args.dataset}")
    print(format_report(rep))
    c = rep["confidence"]
    print(f"\nconfidence: mean {c['mean']:.3f} against accuracy {rep['accuracy']:.3f}; expected calibration error "
          f"{c['calibration_error']:.3f} (0: a label given with confidence p is right with probability p)")
    if pack:
        print("\n" + format_packs(rep["packs"]))
    if args.errors and wrong:
        print("\nmisclassified (true -> predicted, confidence):")
        for path, t, p, c in sorted(wrong):
            print(f"  {t} -> {p} ({c:.2f})  {path}")
    if failed:
        print(f"\n{len(failed)} files could not be classified:", file=sys.stderr)
        for p, r in failed[:20]:
            print(f"  {p}: {r}", file=sys.stderr)
    if args.png:
        write_confusion_png(rep, args.png, title=f"drumtag {model.model_id}")
        print(f"\nconfusion matrix drawn to {args.png}")
    if args.json:
        with atomic_write(args.json) as f:
            json.dump(rep, f, indent=1)
    return 1 if failed else 0


def _check_outputs(args) -> None:
    """--png and --json, checked before any file is classified."""
    import os

    from ..atomicfile import check_writable
    from ..errors import UsageError

    if args.png:
        check_writable(args.png, "--png", "confusion.png")
        if not args.png.lower().endswith(".png"):
            raise UsageError(f"--png {args.png}: the confusion matrix is drawn as a PNG image; give a file name "
                             "ending in .png")
    if args.json:
        check_writable(args.json, "--json", "report.json")
        if os.path.exists(args.json) and os.path.exists(args.dataset) and os.path.samefile(args.json, args.dataset):
            raise UsageError(f"--json {args.json}: is the dataset itself; --json takes the file to write the "
                             "report to")


def _confidence(proba, truth) -> dict:
    """How far the model's confidences are from its hit rate on these files (``calibration.py``)."""
    from ..calibration import calibration_error, reliability

    return {"mean": round(float(proba.max(axis=1).mean()), 4),
            "calibration_error": round(calibration_error(proba, truth), 4), "reliability": reliability(proba, truth)}
