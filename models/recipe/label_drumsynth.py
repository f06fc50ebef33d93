"""Label the rendered LMMS DrumSynth presets (drumsynth.py) per TRAINING_SOURCES.md; write them and a merged corpus CSV.

A preset's label comes from, in order: the single-preset exclusions, the shared TAXONOMY.md name rules of
label_corpus.py (their fx/zap/click/metronome exclusion first), then, only where those rules found nothing, the
drum-machine kit abbreviations below (KIT_ABBREVIATIONS); folder-labelled kits such as misc_hats take the folder's
class, and a preset whose name (by either rule) says another class is excluded as contradicting its folder.
Names that match no rule are left out as ambiguous.

Why the kit abbreviations are unambiguous: the kit presets (electro, r_n_b, linn, tr77, cr78, farfisa, jorgensohn,
misc's "simple" set ...) are named after the drum-machine slot they fill, abbreviated: a leading K_/S_/H_ is the
kick/snare/hi-hat slot (K_Linn, S_Linn, H_open; r_n_b's k_soft and s_pitch say "kick"/"snare" in their own
comments), misc's Simple-k/-s/-h are the kick, snare and hat of one simple kit, and the LinnDrum, Roland and other
kit slot names shorten kik (kick), tamb (tambourine), cym (cymbal), cga/cgam (conga), cab (cabasa), clp (clap),
cow (cowbell), stk (side stick), cui (cuica), wood (woodblock), syntom (synth tom) and vibra (vibraphone).  Each of
those instruments has a class in TAXONOMY.md (tambourine, cymbal, cowbell, conga, cabasa, cuica, woodblock, clap,
side stick, tom: percussion), and a vibraphone is a tonal instrument, so other.  Names that still name two slots or
an unclear one (Fisa_K_H, Brush1, Simple-c, s_eq, misc_bass/*, ...) stay ambiguous.
"""
# usage: python models/recipe/label_drumsynth.py [CORPUS_DIR] [--corpus-csv CSV] [-o drumsynth.csv] [--merged CSV]
#   Run models/recipe/drumsynth.py first (it renders train/drumsynth/<kit>/<name>.wav from the .ds presets).
#   Defaults: CORPUS_DIR = $DRUMTAG_CORPUS or ~/.cache/drumtag-corpus; --corpus-csv CORPUS_DIR/corpus.csv
#   (label_corpus.py's output); -o CORPUS_DIR/drumsynth.csv; --merged CORPUS_DIR/corpus_plus_drumsynth.csv.
from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import logging
import os
import re
import sys
from pathlib import Path

import drumsynth  # sibling scripts: python puts the script's folder on sys.path
import label_corpus

log = logging.getLogger(__name__)

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


# Drum-machine kit abbreviations (see the module docstring), tried only where the shared name rules found nothing.
# (label, pattern on the normalised name as label_corpus.normalise gives it, what it abbreviates); first match wins.
# A single slot letter counts only at the very start of the name and followed by a separator ("k muffle"), so
# farfisa's Fisa_K_H (two slots) and Fisa_K_K stay ambiguous and "simple s" is left to its own entry.
_word = label_corpus._word            # a whole word between letter boundaries (digits separate: "cga1", "cui2")
KIT_ABBREVIATIONS: tuple[tuple[str, re.Pattern, str], ...] = tuple(
    (label, re.compile(pattern), meaning) for label, pattern, meaning in (
        ("kick", r"^k ", "K_ kick slot"),
        ("kick", _word("kik"), "kik: kick"),
        ("kick", _word(r"simple k"), "Simple-k: the kick of misc's simple kit"),
        ("snare", r"^s ", "S_ snare slot"),
        ("snare", _word(r"simple s"), "Simple-s: the snare of misc's simple kit"),
        ("hat", r"^h ", "H_ hi-hat slot"),
        ("hat", _word(r"simple h"), "simple-h: the hi-hat of misc's simple kit"),
        ("percussion", _word("tamb"), "tamb: tambourine"),
        ("percussion", "cym", "cym: cymbal (also run together, as in ramacymlong)"),
        ("percussion", label_corpus._start("syntom"), "syntom: synth tom"),
        ("percussion", _word("cgam?"), "cga: conga"),
        ("percussion", _word("cab"), "cab: cabasa"),
        ("percussion", _word("clp"), "clp: clap"),
        ("percussion", _word("cow"), "cow: cowbell"),
        ("percussion", _word("stk"), "stk: side stick"),
        ("percussion", _word("cui"), "cui: cuica"),
        ("percussion", _word("wood"), "wood: woodblock"),
        ("other", _word("vibra"), "vibra: vibraphone, a tonal instrument"),
    ))
# Presets an abbreviation would match whose slot is still unclear; they stay ambiguous (left out).
ABBREVIATION_UNCLEAR = {
    # electro pairs its kick and snare slots by variant (K_8bit/S_8bit, K_Linn/S_Linn, K_reverb/S_reverb);
    # the lower-case s_eq has no such pair, so its "s" is not clearly the snare slot.
    ("electro", "s_eq"),
}


def kit_abbreviation_label(kit: str, name: str) -> tuple[str | None, str]:
    """(class, what matched) by KIT_ABBREVIATIONS, or (None, "") when none matches or the preset is unclear."""
    if (kit, name) in ABBREVIATION_UNCLEAR:
        return None, ""
    text = label_corpus.normalise(name)
    for label, pattern, meaning in KIT_ABBREVIATIONS:
        if pattern.search(text):
            return label, meaning
    return None, ""


def drumsynth_label(kit: str, name: str) -> tuple[str | None, str]:
    """(label, reason) of preset kit/name: a class, EXCLUDED, or None (ambiguous: no rule matches)."""
    if (kit, name) in PRESET_EXCLUDED:
        return EXCLUDED, PRESET_EXCLUDED[kit, name]
    by_name = label_corpus.name_label(name)
    if by_name == EXCLUDED:
        return EXCLUDED, "name rule excludes it (fx/zap/click/metronome)"
    reason = "name rule"
    if by_name is None:                                 # only where the shared name rules found nothing
        by_name, meaning = kit_abbreviation_label(kit, name)
        reason = f"kit abbreviation ({meaning})"
    folder = FOLDER_LABELS.get(kit)
    if folder is None:
        return (by_name, reason) if by_name else (None, "ambiguous name")
    if by_name is not None and by_name != folder:
        # TAXONOMY.md: a file whose name contradicts its folder is excluded (e.g. misc_hats/q_ride, a ride).
        return EXCLUDED, f"name says {by_name}, folder says {folder}"
    return folder, "folder"


def _recipe_digest(text: str) -> str:
    """A digest of a preset's parsed settings, so byte-different copies of one recipe count as duplicates."""
    sections = drumsynth.parse_ds(text)
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
        text = ds.read_text(encoding="latin-1")
        if drumsynth.cut_lines(text):
            label, reason = EXCLUDED, "LMMS cuts a line of it: LMMS's sound is not the file's"
        if label is None or label == EXCLUDED:
            dropped["name contradicts folder" if reason.startswith("name says") else reason] += 1
            log.info("%s/%s: left out (%s)", kit, name, reason)
            continue
        digest = _recipe_digest(text)
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
    label_corpus.log_to_stderr(args.verbose)
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
