"""``drumtag tag``: classify a sample library into the catalog, skipping files that did not change."""

from __future__ import annotations

import sys

NAME = "tag"
HELP = "tag folders into the catalog (incremental: unchanged files are skipped)"
ORDER = 20
DESCRIPTION = """\
Classify every audio file under the given folders (recursively; files may be given too) and record
path, size, modification time, content hash (SHA-256), label, probabilities, features, model id and any
error in the SQLite catalog. Run it again after adding or editing samples: unchanged files are skipped,
and every file is classified again when the model changed. Interrupting (Ctrl-C) keeps everything done
so far; the next run continues. Files that cannot be read become error rows and the run goes on.

The summary goes to stdout, the progress bar to stderr (only on a terminal).
Exit status: 0, or 1 when some files could not be classified."""


def add_catalog_argument(parser) -> None:
    parser.add_argument("--catalog", metavar="PATH",
                        help="catalog file (default: catalog.sqlite in the user data folder, "
                             "e.g. ~/.local/share/drumtag/)")


def add_arguments(parser) -> None:
    from ..argtypes import at_least

    parser.add_argument("paths", nargs="+", metavar="FOLDER", help="folders (or files) to tag")
    add_catalog_argument(parser)
    parser.add_argument("--model", metavar="PATH", help="model file (default: the bundled model)")
    parser.add_argument("-j", "--jobs", type=at_least(1), metavar="N", help="worker processes (default: one per core)")
    parser.add_argument("--retry-errors", action="store_true",
                        help="classify unchanged files that failed before again (e.g. after fixing permissions)")


def run(args) -> int:
    from ..model import load_model
    from ..progress import Progress
    from ..tagging import tag_paths

    model = load_model(args.model)
    bar = Progress(None, label="scanning")
    found = [0]

    def scanned(n: int) -> None:  # the scan goes on while the first files are classified
        found[0] = n
        if bar.total is None:
            bar.set(n)
        else:
            bar.label = f"tagging ({n} found)"

    def classified(done: int, total: int) -> None:
        bar.label = f"tagging ({found[0]} found)"
        bar.set(done, total)

    try:
        summary = tag_paths(args.paths, model=model, catalog_path=args.catalog, jobs=args.jobs,
                            progress=classified, retry_errors=args.retry_errors, scanned=scanned)
    except KeyboardInterrupt:
        bar.close()
        print("drumtag tag: interrupted; every file done so far is in the catalog: run the same command to "
              "continue", file=sys.stderr)
        return 130
    bar.close()
    print("\n".join(summary.lines()))
    return 1 if summary.failed else 0
