"""``drumtag live-tags``: write drumtag's classes as Ableton Live 12 browser tags (per-folder XMP sidecars)."""

from __future__ import annotations

import sys

from .tag import add_catalog_argument

NAME = "live-tags"
HELP = "tag catalogued files in Ableton Live 12's browser (XMP sidecars), or --remove those tags"
ORDER = 22
DESCRIPTION = """\
For every folder under FOLDER with catalogued files (run `drumtag tag FOLDER` first), merge one tag per
file into "<folder>/Ableton Folder Info/dc66a3fa-0fe1-5352-91cf-3ec237e9ee90.xmp": Drums|Kick,
Drums|Snare, Drums|Hihat or Drums|Percussion (files classified "other" get no tag; a custom model's
other classes get Drums|<Class>, for example Drums|Clap). Your own tags,
other items and anything else in the file are kept; drumtag records which tags it added, so
--remove takes away exactly those (never a tag you had, even one with the same name). Your sidecar as
it was before drumtag's tags went in (as you last edited it) is kept beside it as
"...xmp.drumtag-backup"; --remove deletes a sidecar drumtag created once nothing of yours is left in
it (with its backup and folder). Live's own database is never touched.

Files changed since they were tagged keep their tags until you tag them again. If Live is running,
it may show the new tags only after it rescans the folder (unverified: if they do not appear,
restart Live or remove and re-add the folder in the browser's Places).
Exit status: 0, or 1 when a folder could not be updated (the others are)."""


#: why --remove deletes a sidecar
_OWN = "drumtag created it and nothing of yours is in it"


def add_arguments(parser) -> None:
    parser.add_argument("folders", nargs="+", metavar="FOLDER", help="folders to tag (recursively)")
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    parser.add_argument("--remove", action="store_true", help="remove every tag drumtag added under FOLDER")
    add_catalog_argument(parser)


def run(args) -> int:
    from ..livetags import live_tags

    written = unchanged = failed = stale = 0
    for report in live_tags(args.folders, catalog_path=args.catalog, remove=args.remove, dry_run=args.dry_run):
        stale += report.stale
        if report.error:
            failed += 1
            print(f"drumtag live-tags: {report.folder}: {report.error}", file=sys.stderr)
            continue
        if not (report.changes or report.deleted):
            unchanged += 1
            continue
        n_add = sum(len(c.added) for c in report.changes)
        n_del = sum(len(c.removed) for c in report.changes)
        if args.dry_run:
            note = " (not writable: a real run would fail)" if report.not_writable else ""
            gone = f"; {_OWN}, so it would be deleted" if report.deleted else ""
            print(f"{report.sidecar}: would add {n_add}, remove {n_del} tags{gone}{note}")
            for c in report.changes:
                for tag in c.added:
                    print(f"  + {tag}\t{c.name}")
                for tag in c.removed:
                    print(f"  - {tag}\t{c.name}")
        else:
            backup = f" (your version before drumtag's tags: {report.backup})" if report.backup else ""
            gone = f"; {_OWN}, so it was deleted" if report.deleted else ""
            print(f"{report.sidecar}: added {n_add}, removed {n_del} tags{backup}{gone}")
        written += 1
    verb = "would change" if args.dry_run else "changed"
    print(f"{written} folders {verb}, {unchanged} already up to date, {failed} failed"
          + (f"; {stale} files changed since tagging were left as they were (run `drumtag tag` again)"
             if stale else ""))
    if not (written or unchanged or failed):
        what = "no sidecars" if args.remove else "no catalogued files (run `drumtag tag FOLDER` first)"
        print(f"drumtag live-tags: {what} under {', '.join(args.folders)}", file=sys.stderr)
    if written and not args.dry_run:
        print("drumtag live-tags: if Live is running, the browser may need a rescan to show the tags", file=sys.stderr)
    return 1 if failed else 0
