"""``drumtag similar``: the catalogued sounds nearest to a file, with a distance."""

from __future__ import annotations

import json

from .tag import add_catalog_argument

NAME = "similar"
HELP = "find the catalogued sounds most like FILE"
ORDER = 24
DESCRIPTION = """\
List the K catalogued files whose features are nearest to FILE's, nearest first: rank, distance,
label and path. The distance is the root-mean-square difference of the standardized features
(each feature in standard deviations over the catalog): 0 is identical, about 1.4 is as far apart
as two typical catalogued sounds. FILE need not be in the catalog; it is never listed itself.
Only files tagged with the same model are compared (run `drumtag tag FOLDER` first)."""


def add_arguments(parser) -> None:
    from ..argtypes import at_least

    parser.add_argument("file", metavar="FILE", help="the sound to match")
    parser.add_argument("-k", type=at_least(1), default=10, metavar="N", help="how many neighbours (default 10)")
    add_catalog_argument(parser)
    parser.add_argument("--model", metavar="PATH", help="model file (default: the bundled model)")
    parser.add_argument("--json", action="store_true", help="one JSON object per neighbour")


def run(args) -> int:
    import sys

    from ..model import load_model
    from ..similar import find_similar

    neighbours = find_similar(args.file, model=load_model(args.model), catalog_path=args.catalog, k=args.k)
    if not neighbours:
        print(f"drumtag similar: no other catalogued file to compare {args.file} with (the catalog holds only it, "
              "or links to it); tag more folders first", file=sys.stderr)
    for rank, n in enumerate(neighbours, 1):
        if args.json:
            print(json.dumps({"rank": rank, "distance": round(n.distance, 4), "label": n.label, "path": n.path},
                             ensure_ascii=False))
        else:
            print(f"{rank:3d}  {n.distance:7.3f}  {n.label or '-':<10}  {n.path}")
    return 0
