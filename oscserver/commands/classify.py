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
    from ..argtypes import at_least

    p.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
    p.add_argument("--json", action="store_true", help="one JSON object per file per line")
    p.add_argument("--model", metavar="FILE", help="a model file from `drumtag train` (default: the bundled model)")
    p.add_argument("-j", "--jobs", type=at_least(1), default=None, help="processes to use (default: every core)")
    p.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                   help="progress bar on stderr (auto: when stderr is a terminal)")


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _shown(path: str) -> str:
    """A path for one table row: a newline, tab or other control character in a file name is written as an
    escape (``\\n``, ``\\x1b``), so it can neither break the row nor drive the terminal."""
    if all(c.isprintable() for c in path):
        return path
    return "".join(c if c.isprintable() else _ESCAPES.get(c, _escape(c)) for c in path)


def _escape(c: str) -> str:
    """``\\xNN`` for a control character, and for a byte of a file name that is not UTF-8 (which reaches Python as
    a lone surrogate, U+DC80-U+DCFF): the byte itself, as ``ls -b`` would show it."""
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _table(preds, classes) -> str:
    """label, confidence and every class's probability, then the path (last, so long paths never misalign)."""
    widths = [max(6, len(c)) for c in classes]  # whole class names: a custom model's may share a prefix
    lw = max([10, *map(len, classes)])
    lines = [f"{'label':<{lw}} {'conf':>5}  " + " ".join(f"{c:>{w}}" for c, w in zip(classes, widths)) + "  path"]
    for p in preds:
        if p.error:
            lines.append(f"{'error':<{lw}} {'':>5}  " + " ".join(" " * w for w in widths)
                         + f"  {_shown(p.path)}: {p.error}")
        else:
            lines.append(f"{p.label:<{lw}} {p.confidence:5.2f}  "
                         + " ".join(f"{p.probabilities.get(c, 0.0):{w}.2f}" for c, w in zip(classes, widths))
                         + f"  {_shown(p.path)}")
    return "\n".join(lines)


def _json_line(record: dict) -> str:
    """One JSON line, UTF-8 as it is; a path that is not valid UTF-8 (Python keeps its stray bytes as surrogates)
    is written with \\u escapes instead, so the line stays valid JSON and ``os.fsencode(json.loads(...))`` gives
    the file's name back."""
    import json

    line = json.dumps(record, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(record, ensure_ascii=True)
    return line


def run(args) -> int:
    import os
    import sys

    from ..classify import classify_many, failed, iter_audio_files
    from ..workers import start_preload
    from ..errors import AudioError
    from ..model import load_model
    from ..progress import Progress

    start_preload()  # overlaps the workers' imports with loading the model and walking the folders
    model = load_model(args.model)
    files, results = [], []
    for path in args.paths:
        try:
            found = list(iter_audio_files([path]))
        except AudioError as exc:
            results.append(failed(path, exc.reason))
            continue
        if not found and os.path.isdir(path):
            print(f"drumtag classify: {path}: no audio files in this folder or below it (files named .wav, .aiff, "
                  ".flac, .ogg, .mp3 and the like; hidden ones are skipped)", file=sys.stderr)
        files.extend(found)
    order = {p: i for i, p in enumerate(files)}
    n_failed = len(results)
    total = len(results) + len(files)
    enabled = {"auto": None, "always": True, "never": False}[args.progress]
    if args.json:
        for pred in results:  # paths that do not exist
            print(_json_line(pred.to_dict()), flush=True)
    done, interrupted = 0, False
    try:
        with Progress(len(files), label="classify", enabled=enabled if len(files) > 1 else False) as bar:
            for pred in classify_many(files, model, jobs=args.jobs):
                bar.update()
                done += 1
                n_failed += pred.error is not None
                if args.json:
                    print(_json_line(pred.to_dict()), flush=True)
                else:
                    results.append(pred)
    except KeyboardInterrupt:
        interrupted = True
    if not args.json:  # interrupted too: the rows of the files finished so far are not lost
        results.sort(key=lambda p: order.get(p.path, -1))
        print(_table(results, model.classes), flush=True)
    if interrupted:
        print(f"drumtag classify: interrupted after {done} of {len(files)} files", file=sys.stderr)
        return 130
    if n_failed:
        print(f"drumtag classify: {n_failed} of {total} files could not be classified", file=sys.stderr)
    return 1 if n_failed else 0
