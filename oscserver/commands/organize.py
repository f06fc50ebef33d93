"""``drumtag organize``: a folder per class with links to (or copies of) the samples; originals stay put."""

from __future__ import annotations

from .tag import add_catalog_argument

NAME = "organize"
HELP = "make OUT/<class>/ folders with links to (or copies of) the samples under FOLDER"
ORDER = 23
DESCRIPTION = """\
Tag what the catalog lacks under FOLDER (like `drumtag tag`), then put every classified file in
OUT/<class>/<name>. The originals are never moved, renamed, changed or deleted.

--link (default): symbolic links with absolute paths; no extra disk space, and the view follows
the originals. Where links cannot be made (Windows without Developer Mode, some network or FAT
drives) it stops before changing anything and asks for --copy.
--copy: independent copies (written atomically, modification times kept).

Same names in one class become "name.wav", "name (2).wav", ...; running it again adds only what is
new; OUT gets a small .drumtag-organized file, so a view inside FOLDER is never sorted again.
--unsure-below P puts the files classified with confidence below P in OUT/unsure/<class>/
instead, the ones to check by ear. OUT may lie inside FOLDER: its own files are then not scanned
again. A file whose class changed moves: with --link its old link in another class folder is
removed; with --copy the earlier copy is kept (you may have edited it) and listed for you to delete.
Exit status: 0, or 1 when some files could not be classified or placed."""


def add_arguments(parser) -> None:
    from ..argtypes import at_least

    parser.add_argument("folder", metavar="FOLDER", help="the sample folder (read only)")
    parser.add_argument("--into", required=True, metavar="OUT", help="where to make the class folders")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--link", dest="mode", action="store_const", const="link",
                      help="symbolic links (default)")
    mode.add_argument("--copy", dest="mode", action="store_const", const="copy", help="copies")
    parser.set_defaults(mode="link")
    parser.add_argument("--unsure-below", type=float, metavar="P",
                        help="put files classified with confidence below P (0-1) in OUT/unsure/<class>/ instead, "
                             "to check by ear (the bundled model's confidences are calibrated: 0.8 means about "
                             "eight in ten right)")
    add_catalog_argument(parser)
    parser.add_argument("--model", metavar="PATH", help="model file (default: the bundled model)")
    parser.add_argument("-j", "--jobs", type=at_least(1), metavar="N", help="worker processes (default: one per core)")


def run(args) -> int:
    from ..model import load_model
    from ..organize import organize
    from ..progress import Progress

    model = load_model(args.model)
    with Progress(None, label="tagging") as bar:
        summary = organize(args.folder, args.into, model=model, mode=args.mode, catalog_path=args.catalog,
                           jobs=args.jobs, progress=bar.set, unsure_below=args.unsure_below)
    print("\n".join(summary.tagging.lines()[:-1] + summary.lines()))
    return 1 if (summary.failed or summary.tagging.failed) else 0
