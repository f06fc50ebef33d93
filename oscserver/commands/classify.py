"""drumtag classify: files and folders -> class and probabilities, as a table or JSON lines."""

from __future__ import annotations

NAME = "classify"
ORDER = 10
HELP = "classify audio files and folders (recursively)"
DESCRIPTION = """Classify audio files and folders (folders are searched recursively).

Prints a table, or with --json one JSON object per file per line:
  {"path": ..., "label": ..., "confidence": ..., "probabilities": {class: p, ...}, "error": null}
A file that cannot be classified gets "error" (and label null); the others go on.
Exit code: 0 all classified, 1 some files failed, 2 bad arguments or model."""


def add_arguments(p) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
    p.add_argument("--json", action="store_true", help="one JSON object per file per line")
    p.add_argument("--model", metavar="FILE", help="a model file from `drumtag train` (default: the bundled model)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="processes to use (default: every core)")
    p.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                   help="progress bar on stderr (auto: when stderr is a terminal)")


def _table(preds, classes) -> str:
    w = max([4] + [len(p.path) for p in preds])
    w = min(w, 80)
    head = f"{'path':<{w}}  {'label':<10} {'conf':>5}  " + " ".join(f"{c[:6]:>6}" for c in classes)
    lines = [head]
    for p in preds:
        path = p.path if len(p.path) <= w else "..." + p.path[-(w - 3):]
        if p.error:
            lines.append(f"{path:<{w}}  error: {p.error}")
        else:
            lines.append(f"{path:<{w}}  {p.label:<10} {p.confidence:5.2f}  "
                         + " ".join(f"{p.probabilities.get(c, 0.0):6.2f}" for c in classes))
    return "\n".join(lines)


def run(args) -> int:
    import json
    import sys

    from ..classify import classify_many, failed, iter_audio_files
    from ..errors import AudioError
    from ..model import load_model
    from ..progress import Progress

    model = load_model(args.model)
    files, results = [], []
    for path in args.paths:
        try:
            files.extend(iter_audio_files([path]))
        except AudioError as exc:
            results.append(failed(path, exc.reason))
    order = {p: i for i, p in enumerate(files)}
    n_failed = len(results)
    total = len(results) + len(files)
    enabled = {"auto": None, "always": True, "never": False}[args.progress]
    if args.json:
        for pred in results:  # paths that do not exist
            print(json.dumps(pred.to_dict(), ensure_ascii=False), flush=True)
    with Progress(len(files), label="classify", enabled=enabled if len(files) > 1 else False) as bar:
        for pred in classify_many(files, model, jobs=args.jobs, batch=1 if args.json else 32):
            bar.update()
            n_failed += pred.error is not None
            if args.json:
                print(json.dumps(pred.to_dict(), ensure_ascii=False), flush=True)
            else:
                results.append(pred)
    if not args.json:
        results.sort(key=lambda p: order.get(p.path, -1))
        print(_table(results, model.classes))
    if n_failed:
        print(f"drumtag classify: {n_failed} of {total} files could not be classified", file=sys.stderr)
    return 1 if n_failed else 0
