"""Label the rendered LMMS DrumSynth presets (drumsynth.py) per TRAINING_SOURCES.md; write them and a merged corpus CSV."""
# usage: python models/recipe/label_drumsynth.py [CORPUS_DIR] [--corpus-csv CSV] [-o drumsynth.csv] [--merged CSV]
#   Run models/recipe/drumsynth.py first (it renders train/drumsynth/<kit>/<name>.wav from the .ds presets).
#   Defaults: CORPUS_DIR = $DRUMTAG_CORPUS or ~/.cache/drumtag-corpus; --corpus-csv CORPUS_DIR/corpus.csv
#   (label_corpus.py's output); -o CORPUS_DIR/drumsynth.csv; --merged CORPUS_DIR/corpus_plus_drumsynth.csv.
from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import importlib.util
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent


def _load(name: str):
    """Import a sibling recipe module by file (the recipe folder is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


label_corpus = _load("label_corpus")
drumsynth = _load("drumsynth")

EXCLUDED = label_corpus.EXCLUDED
SOURCE = "lmms-common (DrumSynth presets)"
LICENCE = "GPL-2+"

# Folders whose name gives the class (TRAINING_SOURCES.md, "More sources"); the other kits use the name rules.
FOLDER_LABELS = {
    "misc_hats": "hat",
    **dict.fromkeys(("misc_claps", "misc_perc", "latin"), "percussion"),
    **dict.fromkeys(("effects", "misc_fx", "misc_synth", "instrument", "magnetboy"), "other"),
}
# Single presets the rules above would mislabel.
PRESET_EXCLUDED = {
    ("latin", "ThumbPno"): "a thumb piano is a tonal instrument, not percussion",
    ("r_n_b", "snare&hat"): "names two instruments (snare and hat)",
}


def drumsynth_label(kit: str, name: str) -> tuple[str | None, str]:
    """(label, reason) of preset kit/name: a class, EXCLUDED, or None (ambiguous: no rule matches)."""
    if (kit, name) in PRESET_EXCLUDED:
        return EXCLUDED, PRESET_EXCLUDED[kit, name]
    by_name = label_corpus.name_label(name)
    folder = FOLDER_LABELS.get(kit)
    if folder is None:
        if by_name == EXCLUDED:
            return EXCLUDED, "name rule excludes it (fx/zap/click/metronome)"
        return by_name, "name rule" if by_name else "ambiguous name"
    if by_name == EXCLUDED:
        return EXCLUDED, "name rule excludes it (fx/zap/click/metronome)"
    if by_name is not None and by_name != folder:
        # TAXONOMY.md: a file whose name contradicts its folder is excluded (e.g. misc_hats/q_ride, a ride).
        return EXCLUDED, f"name says {by_name}, folder says {folder}"
    return folder, "folder"


def _recipe_digest(ds: Path) -> str:
    """A digest of the preset's parsed settings, so byte-different copies of one recipe count as duplicates."""
    sections = drumsynth.parse_ds(ds.read_text(encoding="latin-1"))
    for s in sections.values():
        s.pop("comment", None)
    text = repr(sorted((k, sorted(v.items())) for k, v in sections.items()))
    return hashlib.sha1(text.encode()).hexdigest()


def label_drumsynth(corpus_dir: str | os.PathLike, *, check_audio: bool = True):
    """Label every rendered preset; returns (items, counts of dropped presets by reason). Raises FileNotFoundError
    when the presets or their renders are missing (run fetch_corpus.sh, then drumsynth.py)."""
    root = Path(corpus_dir).expanduser()
    presets = drumsynth.preset_dir(root)
    renders = drumsynth.render_dir(root)
    if not presets.is_dir():
        raise FileNotFoundError(f"{presets}: no DrumSynth presets; run models/recipe/fetch_corpus.sh first")
    items, dropped, seen = [], collections.Counter(), {}
    for ds in sorted(presets.glob("*/*.ds")):
        kit, name = ds.parent.name, ds.stem
        wav = renders / kit / f"{name}.wav"
        if not wav.is_file():
            raise FileNotFoundError(f"{wav}: missing render of {ds}; run models/recipe/drumsynth.py")
        label, reason = drumsynth_label(kit, name)
        if label is None or label == EXCLUDED:
            dropped["name contradicts folder" if reason.startswith("name says") else reason] += 1
            log.info("%s/%s: left out (%s)", kit, name, reason)
            continue
        digest = _recipe_digest(ds)
        if digest in seen:                              # the same recipe in two kits would leak across CV groups
            log.info("%s/%s: same recipe as %s; dropped", kit, name, seen[digest])
            dropped["same recipe as another preset"] += 1
            continue
        seen[digest] = f"{kit}/{name}"
        items.append(label_corpus.Item(str(wav), label, f"drumsynth:{kit}", SOURCE, LICENCE))
    if check_audio:
        kept = label_corpus.check_readable(items)         # drops silent or undecodable renders, with a warning
        dropped["silent or unreadable render"] += len(items) - len(kept)
        items = kept
    return items, dropped


def read_csv(path: str | os.PathLike) -> list:
    """Rows of a corpus CSV (label_corpus.COLUMNS) as Items."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != label_corpus.COLUMNS:
            raise ValueError(f"{path}: expected columns {','.join(label_corpus.COLUMNS)}, got {reader.fieldnames}")
        return [label_corpus.Item(*(row[c] for c in label_corpus.COLUMNS)) for row in reader]


def summary(items: list, dropped: collections.Counter) -> str:
    counts = collections.Counter(it.label for it in items)
    lines = [f"drumsynth: {len(items)} rows in {len({it.group for it in items})} groups: "
             + ", ".join(f"{c} {counts[c]}" for c in label_corpus.CLASSES)]
    lines.append("left out: " + "; ".join(f"{r}: {n}" for r, n in sorted(dropped.items()) if n))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus_dir", nargs="?", default=label_corpus.default_corpus_dir(),
                        help="folder fetch_corpus.sh filled (default: $DRUMTAG_CORPUS or ~/.cache/drumtag-corpus)")
    parser.add_argument("--corpus-csv", help="label_corpus.py's CSV to merge with (default: CORPUS_DIR/corpus.csv)")
    parser.add_argument("-o", "--output", help="DrumSynth CSV to write (default: CORPUS_DIR/drumsynth.csv)")
    parser.add_argument("--merged", help="merged CSV to write (default: CORPUS_DIR/corpus_plus_drumsynth.csv)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every preset left out, and why")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s", stream=sys.stderr)
    root = Path(args.corpus_dir).expanduser()
    corpus_csv = Path(args.corpus_csv or root / "corpus.csv")
    output = Path(args.output or root / "drumsynth.csv")
    merged = Path(args.merged or root / "corpus_plus_drumsynth.csv")
    try:
        base = read_csv(corpus_csv)
        items, dropped = label_drumsynth(root)
    except (OSError, ValueError) as exc:
        print(f"label_drumsynth: {exc}", file=sys.stderr)
        return 2
    label_corpus.write_csv(items, output)
    label_corpus.write_csv(base + items, merged)
    print(summary(items, dropped))
    print(f"wrote {len(items)} rows to {output}; {len(base)} + {len(items)} = {len(base) + len(items)} rows to {merged}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
