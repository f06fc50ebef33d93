"""drumtag info: which model is loaded, and its card (data, licences, grouped cross-validation)."""

from __future__ import annotations

NAME = "info"
ORDER = 60
HELP = "show the model in use and its card"


def add_arguments(p) -> None:
    p.add_argument("--model", metavar="FILE", help="model file (default: the bundled model)")
    p.add_argument("--json", action="store_true", help="the model's metadata as JSON")


def _rows(training: dict, augment) -> str:
    rows, files = training.get("rows"), training.get("files")
    if not augment or rows == files:
        return "no augmented variants"
    return f"{rows} rows: each file and {augment} augmented variants of it"


def card(model) -> str:
    from .. import __version__, calibration
    from ..metrics import format_report
    from ..training import repeats_line

    m = model.metadata
    tr = m.get("training", {})
    lines = [f"drumtag {__version__}", f"model     {model.model_id}", f"file      {model.path}",
             f"estimator {m.get('estimator')}, seed {m.get('seed')}, augmentation {m.get('augment')} per file, "
             f"{m.get('weighting', 'class')} weighting",
             f"features  version {model.feature_version}, {len(m.get('feature_names', []))} features, "
             f"sample rate {model.spec.sr} Hz, window {model.spec.duration} s",
             f"classes   {', '.join(model.classes)}",
             "made with " + ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items()),
             "", f"trained on {tr.get('files')} files ({_rows(tr, m.get('augment'))}): "
             + ", ".join(f"{c} {n}" for c, n in tr.get("per_class", {}).items())]
    sources = m.get("sources", [])
    if sources:
        ws = max(len("source"), *(len(s["source"]) for s in sources))
        wl = max(len("licence"), *(len(s["licence"]) for s in sources))
        lines += ["", f"{'source':<{ws}}  {'licence':<{wl}}  files"]
        lines += [f"{s['source']:<{ws}}  {s['licence']:<{wl}}  {s['files']:5d}" for s in sources]
    cv = m.get("cv")
    if cv:
        lines += ["", f"grouped cross-validation: {cv.get('n_splits')} folds over {cv.get('n_groups')} groups "
                      f"({cv.get('grouping')})", format_report(cv)]
        if repeats_line(cv):
            lines.append(repeats_line(cv))
    calibrated = calibration.summary(m.get("calibration"))
    if calibrated:
        lines += ["", calibrated]
    return "\n".join(lines)


def run(args) -> int:
    import json

    from ..model import load_model

    model = load_model(args.model)
    if args.json:
        print(json.dumps(dict(model.metadata, path=model.path), indent=1, default=str))
    else:
        print(card(model))
    return 0
