"""drumtag train: a model from your own folders (classes are the subfolder names) or a CSV, with its grouped CV."""

from __future__ import annotations

NAME = "train"
ORDER = 30
HELP = "train a model on a folder of class subfolders (or a CSV) and report its grouped cross-validation"
DESCRIPTION = """Train a model on your own samples.

FOLDER holds one subfolder per class (for example kick/, snare/, hat/); below each, a folder per pack:
  FOLDER/kick/808 kit/bd01.wav, FOLDER/snare/Acoustic pack/sn03.wav, ...
Cross-validation is grouped by pack (--group-level picks the folder level below the class folder that names the
pack, or --groups gives a CSV of path,group), so the score says how the model does on packs it has never seen.
A CSV dataset has columns path,label[,group,source,licence]; a relative path in a CSV (this one or --groups) is
relative to the CSV's own folder, not to the current one.
The model is written atomically to --output; an existing file there is kept as FILE.bak."""


def add_arguments(p) -> None:
    from ..argtypes import at_least, seed

    p.add_argument("dataset", metavar="FOLDER-or-CSV", help="folder of class subfolders, or a CSV of path,label,group")
    p.add_argument("-o", "--output", default="drumtag-model.joblib", metavar="FILE",
                   help="model file to write (default: %(default)s)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--group-level", type=at_least(1), default=None, metavar="N",
                   help="a folder dataset's packs are the folders N levels below each class folder, their path "
                        "from the class folder naming the pack (default: 1)")
    g.add_argument("--groups", metavar="CSV", help="CSV with columns path,group assigning each file to a pack")
    p.add_argument("--estimator", default=None,
                   help="extratrees, randomforest, hgb, svm or logreg (default: the bundled model's choice)")
    p.add_argument("--augment", type=at_least(0), default=0, metavar="N",
                   help="augmented variants per training file (pitch, filter, noise, tail; default: %(default)s)")
    p.add_argument("--weighting", choices=("pack", "class"), default="pack",  # training.WEIGHTINGS (tested)
                   help="pack: every pack weighs the same, then every class (the bundled model's choice); "
                        "class: every file of a class weighs the same (default: %(default)s)")
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**32-1 (default: %(default)s)")
    p.add_argument("--cv-splits", type=at_least(2), default=5, metavar="K", help="cross-validation folds (default: 5)")
    p.add_argument("--cv-repeats", type=at_least(1), default=3, metavar="R",
                   help="cross-validate under R assignments of packs to folds, to show how much the score moves "
                        "(default: %(default)s; 1: once)")
    p.add_argument("-j", "--jobs", type=at_least(1), default=None, help="processes to use (default: every core)")
    p.add_argument("--report", metavar="FILE", help="also write the cross-validation report as JSON")


def _check_outputs(args) -> None:
    """-o, its FILE.bak (made when FILE exists) and --report, checked before any work."""
    import os

    from ..atomicfile import check_writable, user_data
    from ..errors import UsageError

    check_writable(args.output)
    bak = args.output + ".bak"
    kept = os.path.exists(args.output) and ("is a folder" if os.path.isdir(bak) else user_data(bak))
    if kept:
        what = kept.removeprefix("is ")
        raise UsageError(f"-o {args.output}: the previous model would be kept as {bak}, "
                         f"which is {what}; move it or choose another file name")
    if args.report:
        check_writable(args.report, "--report", "cv-report.json")


def run(args) -> int:
    import json
    import os
    import sys

    from .. import calibration
    from ..dataset import groups_line, load_dataset, warn_thin_classes
    from ..handlers import osc_reply_fits
    from ..protocol import MAX_DATAGRAM
    from ..metrics import format_report
    from ..progress import Progress
    from ..training import DEFAULT_ESTIMATOR, WEIGHTING_TEXT, repeats_line, train_model
    from ..atomicfile import atomic_copy, atomic_write

    _check_outputs(args)  # before the work, not after it
    ds = load_dataset(args.dataset, group_level=args.group_level, groups_csv=args.groups)
    warn_thin_classes(ds)
    counts = ds.counts()
    print(f"found {len(ds.items)} files: " + ", ".join(f"{c} {counts[c]}" for c in ds.classes)
          + f"\ngroups: {ds.grouping}, {groups_line(ds)}"
          + f"\n{WEIGHTING_TEXT[args.weighting]} (--weighting {args.weighting})", file=sys.stderr)
    with Progress(len(ds.items), label="features") as bar:
        model, cv = train_model(ds, estimator=args.estimator or DEFAULT_ESTIMATOR, seed=args.seed,
                                augment=args.augment, weighting=args.weighting, cv_splits=args.cv_splits,
                                cv_repeats=args.cv_repeats,
                                jobs=args.jobs,
                                progress=lambda done, total: bar.set(done, total))
    print(f"grouped cross-validation ({cv['n_splits']} folds over {cv['n_groups']} groups: {cv['grouping']})")
    print(format_report(cv))
    if repeats_line(cv):
        print("\n" + repeats_line(cv))
    print("\n" + calibration.summary(model.metadata["calibration"]))
    skipped = model.metadata["training"]["skipped"]
    if skipped:
        print(f"\n{len(skipped)} files could not be read and were left out:", file=sys.stderr)
        for s in skipped[:20]:
            print(f"  {s['path']}: {s['reason']}", file=sys.stderr)
    if os.path.exists(args.output):
        atomic_copy(args.output, args.output + ".bak")
        print(f"kept the previous {args.output} as {args.output}.bak", file=sys.stderr)
    model.save(args.output)
    print(f"\nwrote {args.output} (model {model.model_id})")
    fits, size = osc_reply_fits(model.classes)
    if not fits:
        print(f"warning: drumtag serve will refuse this model: its OSC replies would need {size} bytes, more than "
              f"one datagram carries ({MAX_DATAGRAM}); use fewer classes or shorter class names", file=sys.stderr)
    if args.report:
        with atomic_write(args.report) as f:
            json.dump(cv, f, indent=1)
    return 0
