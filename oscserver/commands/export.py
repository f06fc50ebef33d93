"""``drumtag export``: the catalog as CSV or JSON, to stdout or (atomically) to a file."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys

from .tag import add_catalog_argument

NAME = "export"
HELP = "write the catalog as CSV or JSON"
ORDER = 21
DESCRIPTION = """\
One record per catalogued file: path, label, confidence, the probability of every class, error, size,
mtime, content hash, model id and when it was tagged (with --features, the feature vector too).
CSV has one column per class (p_kick, p_snare, ...); JSON is an array of objects. Rows are in path
order. With -o the file is written atomically (a partial export never replaces an earlier one)."""

_CSV_HEAD = ["path", "label", "confidence"]
_CSV_TAIL = ["error", "size", "mtime", "hash", "model_id", "tagged_at"]


def add_arguments(parser) -> None:
    parser.add_argument("--format", choices=("csv", "json"),
                        help="output format (default: from the -o file name's extension, else csv)")
    add_catalog_argument(parser)
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout (- is stdout)")
    parser.add_argument("--features", action="store_true",
                        help="include each file's feature vector (CSV columns named after the model's features "
                             "when the model of --model, default the bundled one, made them all; else f0, f1, ...)")
    parser.add_argument("--model", metavar="PATH", help="with --features: the model whose feature names to use")


def _classes(catalog) -> list[str]:
    """Every class in the catalog's probabilities, in the order the models list them."""
    from ..classes import CLASSES

    seen: dict[str, None] = {}
    for entry in catalog.entries():
        seen.update(dict.fromkeys(entry.probabilities))
    return [c for c in CLASSES if c in seen] + [c for c in seen if c not in CLASSES]


def feature_columns(catalog, model_path: str | None) -> list[str]:
    """The CSV columns of the feature vectors: the model's feature names when that model made every vector in the
    catalog, else f0, f1, ... (vectors of several models, or of one not at hand)."""
    dim, ids = 0, set()
    for e in catalog.entries(features=True):
        if e.features is not None:
            dim, ids = max(dim, len(e.features)), ids | {e.model_id}
    if len(ids) == 1:
        from ..errors import ModelError
        from ..model import load_model

        try:
            model = load_model(model_path)
        except ModelError:
            model = None
        names = list(model.metadata.get("feature_names") or []) if model else []
        if model and ids == {model.model_id} and len(names) == dim:
            return names
    return [f"f{i}" for i in range(dim)]


def write_csv(catalog, out, *, features: bool, model_path: str | None = None) -> int:
    classes = _classes(catalog)
    writer = csv.writer(out)
    columns = feature_columns(catalog, model_path) if features else []
    dim = len(columns)
    writer.writerow(_CSV_HEAD + [f"p_{c}" for c in classes] + _CSV_TAIL + columns)
    n = 0
    for e in catalog.entries(features=features):
        d = e.to_dict()
        row = [d[k] for k in _CSV_HEAD] + [e.probabilities.get(c) for c in classes] + [d[k] for k in _CSV_TAIL]
        if features:
            values = [] if e.features is None else [float(v) for v in e.features]
            row += values + [None] * (dim - len(values))
        writer.writerow(["" if v is None else v for v in row])
        n += 1
    return n


def write_json(catalog, out, *, features: bool, model_path: str | None = None) -> int:
    out.write("[")
    n = 0
    for e in catalog.entries(features=features):
        out.write(("," if n else "") + "\n  " + json.dumps(e.to_dict(features=features), ensure_ascii=False))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n


#: the files SQLite keeps beside a database: what is in them is part of the catalog until it is checkpointed
_COMPANIONS = ("-wal", "-shm", "-journal")


def _companion(output: str, catalog: str) -> bool:
    """Whether ``output`` names one of the catalog's companion files (``_COMPANIONS``), under either spelling of
    the catalog (SQLite names them after the file a link points to), whether or not the file exists now."""
    out = os.path.realpath(output)
    bases = {os.path.abspath(catalog), os.path.realpath(catalog)}
    return any(out == os.path.realpath(base + suffix) for base in bases for suffix in _COMPANIONS)


def _check_output(output: str, catalog: str | None) -> None:
    """Refuse an -o that would replace the catalog itself or another SQLite database."""
    from ..atomicfile import check_writable
    from ..catalog import default_catalog_path
    from ..errors import UsageError

    catalog = catalog or default_catalog_path()
    if os.path.exists(output) and os.path.exists(catalog) and os.path.samefile(output, catalog):
        raise UsageError(f"-o {output}: is the catalog itself; write the export to another file")
    if _companion(output, catalog):
        raise UsageError(f"-o {output}: is a file SQLite keeps beside the catalog (its write-ahead log, shared "
                         f"memory or journal); write the export to another file")
    check_writable(output, example="library.csv")  # audio, another SQLite database, a folder, a missing folder


def run(args) -> int:
    from ..atomicfile import atomic_write
    from ..catalog import Catalog
    from ..errors import UsageError

    if args.output == "-":  # the usual spelling of standard output
        args.output = None
    if args.output:
        _check_output(args.output, args.catalog)
    fmt = args.format
    if fmt is None:
        ext = os.path.splitext(args.output or "")[1].lower()
        fmt = "json" if ext == ".json" else "csv"
    write = write_json if fmt == "json" else write_csv
    with Catalog(args.catalog, create=False) as catalog:
        if args.output:
            target = atomic_write(args.output, "w", encoding="utf-8", newline="" if fmt == "csv" else None)
        else:
            target = contextlib.nullcontext(sys.stdout)
        try:
            with target as out:
                n = write(catalog, out, features=args.features, model_path=args.model)
        except OSError as exc:
            if not args.output:
                raise
            raise UsageError(f"-o {args.output}: cannot write ({exc.strerror or exc})") from None
    if args.output:
        print(f"drumtag export: {n} files written to {args.output}", file=sys.stderr)
    return 0
