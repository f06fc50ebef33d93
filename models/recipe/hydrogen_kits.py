"""Held-out check on Hydrogen's drum kits: 16 real kits from the package archive, never trained on.

usage: python models/recipe/hydrogen_kits.py [CORPUS_DIR] [-o CSV]

Downloads Debian's ``hydrogen-data`` (2 kits) and ``hydrogen-drumkits`` (14 kits) into CORPUS_DIR/debs, extracts
them under CORPUS_DIR/heldout/hydrogen/<package> (never under train/, so no training CSV can reach them), and
labels every sample of every instrument of every kit (``drumkit.xml``: an instrument's velocity layers are its
files) by the instrument's name with TAXONOMY.md's name rules; an instrument no rule names ("Drum 1", "17", a
beat sample) is left out. Files whose PCM repeats one kept already (kits share samples), and files that are the
same recording as a training file (TRAINING_SOURCES.md's test: onset-aligned cross-correlation >= 0.95), are
dropped. Writes path,label,group,source,licence with group ``hydrogen:<kit>``: one pack per kit.

Hydrogen is not in TRAINING_SOURCES.md, so the bundled model never trains on it. That is what makes it useful:
recorded acoustic kits (multi-velocity hats, rides, toms), drum machines and hand percussion from authors who
appear nowhere in the training data, the best check there is of "packs the model has never seen".
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gm_melodic  # noqa: E402  (the same-recording test, for many files at once)
import label_corpus  # noqa: E402  (the name rules, Item, the CSV writer)

log = logging.getLogger(__name__)

#: Debian 12 ("bookworm") versions, pinned as fetch_corpus.sh pins the training packages
PACKAGES = ("hydrogen-data=1.2.0~beta1+dfsg-1", "hydrogen-drumkits=2017.09.19~dfsg-1")
KITS_DIR = Path("usr/share/hydrogen/data/drumkits")
#: each kit's licence, from the packages' debian/copyright (hydrogen-data's kits fall under its "Files: *")
KIT_LICENCES = {
    "GMRockKit": "GPL-2+", "TR808EmulationKit": "GPL-2+",
    "ElectricEmpireKit": "GPL-2+", "HardElectro1": "GPL-2+", "VariBreaks": "GPL-2+",
    "Millo-Drums_v.1": "GPL-2", "Millo_MultiLayered2": "GPL-2", "Millo_MultiLayered3": "GPL-2",
    "ColomboAcousticDrumkit": "GPL-2+ with composition exception", "circAfrique v4": "CC-BY-SA-3.0",
    "BJA_Pacific": "CC-BY-SA-3.0-us", "Gimme A Hand 1.0": "GPL-2", "The Black Pearl 1.0": "GPL-2",
    "rumpf_kit_z01_h2": "CC-BY-3.0", "Audiophob": "CC0", "ForzeeStereo": "GPL-2",
}
NO_RULE = "no name rule matches the instrument"
REPEATED = "the same PCM as a file kept already"
MISSING = "named in drumkit.xml but not in the package"


def instrument_label(name: str) -> str | None:
    """The name rules' class of a Hydrogen instrument name; CamelCase words are split first ("BassDrum")."""
    label = label_corpus.name_label(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name or ""))
    return label if label in label_corpus.CLASSES else None


def kit_samples(kit_dir: Path) -> list[tuple[str, str]]:
    """(instrument name, file name) of every layer of every instrument in ``kit_dir/drumkit.xml``, in its order."""
    root = ET.parse(kit_dir / "drumkit.xml").getroot()
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    out = []
    for inst in root.iter(f"{ns}instrument"):
        name = (inst.findtext(f"{ns}name") or "").strip()
        files = [layer.findtext(f"{ns}filename") for layer in inst.iter(f"{ns}layer")]
        files = [f for f in files if f] or [f for f in [inst.findtext(f"{ns}filename")] if f]  # pre-0.9.4 kits
        out += [(name, f) for f in files]
    return out


def fetch(corpus_dir: Path) -> Path:
    """apt-get download and extract the packages (skipped when there); the folder holding one folder per package."""
    debs, dest = corpus_dir / "debs", corpus_dir / "heldout" / "hydrogen"
    debs.mkdir(parents=True, exist_ok=True)
    dest.mkdir(parents=True, exist_ok=True)
    for spec in PACKAGES:
        package = spec.split("=")[0]
        if not list(debs.glob(f"{package}_*.deb")):
            log.warning("apt-get download %s", spec)
            subprocess.run(["apt-get", "download", spec], cwd=debs, check=True, stdout=subprocess.DEVNULL)
        if not (dest / package).is_dir():
            tmp = Path(tempfile.mkdtemp(prefix=f".{package}.", dir=dest))
            subprocess.run(["dpkg-deb", "-x", str(next(debs.glob(f"{package}_*.deb"))), str(tmp)], check=True)
            os.rename(tmp, dest / package)
    return dest


def label_kits(kits_root: Path, training: list[str]):
    """Items for every kept sample and counts of the left-out ones by (kit, reason)."""
    items, dropped, seen = [], collections.Counter(), {}
    for package in sorted(p for p in kits_root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for kit_dir in sorted((package / KITS_DIR).iterdir()):
            kit = kit_dir.name
            if not (kit_dir / "drumkit.xml").is_file():
                continue
            if kit not in KIT_LICENCES:
                raise ValueError(f"{kit_dir}: a kit this recipe does not know the licence of; add it to KIT_LICENCES")
            for name, filename in kit_samples(kit_dir):
                path = kit_dir / filename
                label = instrument_label(name)
                if label is None:
                    dropped[kit, NO_RULE] += 1
                    continue
                if not path.is_file():
                    dropped[kit, MISSING] += 1
                    continue
                digest = hashlib.sha256(label_corpus.read_pcm(path)[0].tobytes()).hexdigest()
                if digest in seen:
                    dropped[kit, REPEATED] += 1
                    continue
                seen[digest] = path
                items.append(label_corpus.Item(str(path.resolve()), label, f"hydrogen:{kit}", package.name,
                                               KIT_LICENCES[kit]))
    same = gm_melodic.same_recordings([it.path for it in items], training)
    for it in items:
        if it.path in same:
            log.info("%s: the same recording as training file %s (%.3f); dropped", it.path, *same[it.path])
            dropped[it.group.split(":", 1)[1], "the same recording as a training file"] += 1
    return [it for it in items if it.path not in same], dropped


def summary(items: list, dropped: collections.Counter) -> str:
    per = collections.Counter((it.group, it.label) for it in items)
    kits = sorted({it.group for it in items})
    lines = [f"hydrogen: {len(items)} files in {len(kits)} kits: " + ", ".join(
        f"{c} {sum(n for (g, lab), n in per.items() if lab == c)}" for c in label_corpus.CLASSES)]
    for reason in sorted({r for _, r in dropped}):
        lines.append(f"  left out, {reason}: {sum(n for (_, r), n in dropped.items() if r == reason)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus_dir", nargs="?", default=label_corpus.default_corpus_dir(),
                        help="the corpus folder (default: $DRUMTAG_CORPUS or ~/.cache/drumtag-corpus)")
    parser.add_argument("--training-csv", help="the training CSV whose files the check must not repeat "
                                               "(default: CORPUS_DIR/corpus_plus_drumsynth.csv)")
    parser.add_argument("-o", "--output", help="CSV of the kits' samples (default: CORPUS_DIR/hydrogen_heldout.csv)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every file left out, and why")
    args = parser.parse_args(argv)
    label_corpus.log_to_stderr(args.verbose)
    root = Path(args.corpus_dir).expanduser()
    training_csv = Path(args.training_csv or root / "corpus_plus_drumsynth.csv")
    start = time.monotonic()
    try:
        import csv

        with open(training_csv, newline="", encoding="utf-8") as f:
            training = [row["path"] for row in csv.DictReader(f)]
        items, dropped = label_kits(fetch(root), training)
    except (OSError, ValueError, subprocess.CalledProcessError, ET.ParseError) as exc:
        print(f"hydrogen_kits: {exc}", file=sys.stderr)
        return 2
    output = Path(args.output or root / "hydrogen_heldout.csv")
    label_corpus.write_csv(items, output)
    print(summary(items, dropped))
    print(f"wrote {len(items)} rows to {output} in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
