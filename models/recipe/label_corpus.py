"""Label the fetched training corpus per shared/data/TAXONOMY.md and TRAINING_SOURCES.md; write path,label,group,source,licence CSV."""
# usage: python models/recipe/label_corpus.py [CORPUS_DIR] -o corpus.csv
#   CORPUS_DIR: what fetch_corpus.sh filled (default ${DRUMTAG_CORPUS:-~/.cache/drumtag-corpus}); it holds train/.
from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import io
import logging
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

CLASSES = ("kick", "snare", "hat", "percussion", "other")
EXCLUDED = "excluded"          # a rule matched and says: never train on this item
COLUMNS = ("path", "label", "group", "source", "licence")

# Licence per source, from the table in TRAINING_SOURCES.md (the package's copyright file).
LICENCES = {
    "supersonic-scsynth-samples": "CC0-1.0",
    "lmms-common": "GPL-2+",
    "fluid-soundfont-gm": "MIT",
    "timgm6mb-soundfont": "GPL-2",
    # Its drum samples identical to TimGM6mb (GPL-2) are dropped below; the rest carry the package's licence field.
    "csound-soundfont": "public-domain",
    "freepats": "GPL-2+ with composition exception",
    "chuck-data": "GPL-2+",
    "stk": "STK (MIT-style)",
    "exadrums": "BSD-3-Clause",
    "supercollider-common": "GPL-2+",
}
SOURCES = tuple(LICENCES)
FONT_SOURCE = {"FluidR3_GM": "fluid-soundfont-gm", "TimGM6mb": "timgm6mb-soundfont", "sf_GMbank": "csound-soundfont"}

# Counts per source in TRAINING_SOURCES.md ("usable one-shots" and per class), only to compare in the summary.
EXPECTED = {
    "supersonic-scsynth-samples": (20, 11, 25, 50, 64),
    "lmms-common": (16, 17, 9, 25, 75),
    "fluid-soundfont-gm": (18, 21, 5, 64, 0),
    "timgm6mb-soundfont": (2, 7, 4, 38, 0),
    "csound-soundfont": (0, 1, 1, 4, 0),
    "freepats": (2, 3, 3, 43, 69),
    "chuck-data": (3, 6, 5, 2, 4),
    "stk": (1, 1, 1, 7, 1),
    "exadrums": (1, 1, 1, 5, 0),
    "supercollider-common": (0, 0, 0, 0, 2),
}

AUDIO_EXTENSIONS = (".wav", ".aif", ".aiff", ".flac", ".ogg")


@dataclass(frozen=True)
class Item:
    """One labelled training file (a CSV row)."""

    path: str
    label: str
    group: str
    source: str
    licence: str


# ---------------------------------------------------------------------------------------------------------------
# Shared name rules (TAXONOMY.md): lower-case, '_' and '-' become spaces, then the first matching rule wins.
# "At a word start" / "as a word" use letter boundaries, so digits separate words: "sn01", "hh2", "bd 808".

def _start(word: str) -> str:
    return rf"(?<![a-z]){word}"


def _word(word: str) -> str:
    return rf"(?<![a-z]){word}(?![a-z])"


NAME_RULES: tuple[tuple[str, re.Pattern], ...] = tuple((label, re.compile("|".join(parts))) for label, parts in (
    (EXCLUDED, ("fx", "zap", r"(?<!rim )(?<!rim)click", "metronome")),
    ("hat", (r"hi ?hat", _start("chh"), _start("ohh"), _start("hh"), _start("hat"))),
    ("snare", ("snare", "snr", _word("sn"))),
    ("kick", ("kick", r"bass ?drum", _word("bd"))),
    ("percussion", (
        "djembe", "dunun", "conga", "bongo", "cajon", "tabla", "timbale", "taiko",
        _start("tom"), "clap", "snap", "stick", _start("rim"), "cowbell", "agogo",
        "crash", _start("ride"), "splash", "china", "cymbal", "bell", _start("cup"),
        "maraca", "shaker", "cabasa", "tambourine",
        "clave", r"wood ?block", "triangle", "guiro", "cuica", "castanet", "whistle", r"vibra ?slap",
    )),
))


def normalise(name: str) -> str:
    """Lower-case a name and turn '_' and '-' into spaces, as the name rules expect."""
    return re.sub(r"[_-]", " ", name.lower())


def name_label(name: str) -> str | None:
    """The shared TAXONOMY name rule label of a file or instrument name: a class, EXCLUDED, or None (no rule)."""
    text = normalise(name)
    for label, pattern in NAME_RULES:
        if pattern.search(text):
            return label
    return None


# GM drum keys (TAXONOMY.md), for sound fonts and freepats where only a key says what a sample is.
def gm_key_label(key: int) -> str | None:
    """Class of a GM drum key: 35-36 kick, 25/38/40 snare, 42/44/46 hat, 26/28/31/37/39/41/43/45/47-87 percussion,
    27/29/30/32-34 EXCLUDED; None for keys outside the GM drum map."""
    if key in (35, 36):
        return "kick"
    if key in (25, 38, 40):
        return "snare"
    if key in (42, 44, 46):
        return "hat"
    if key in (26, 28, 31, 37, 39, 41, 43, 45) or 47 <= key <= 87:
        return "percussion"
    if key in (27, 29, 30, 32, 33, 34):
        return EXCLUDED
    return None


def gm_keys_label(keys) -> str | None:
    """Class all given GM keys agree on; EXCLUDED when any key is excluded or they disagree; None when unknown."""
    labels = {gm_key_label(k) for k in keys}
    if not labels or None in labels:
        return None
    if len(labels) > 1:
        return EXCLUDED
    return labels.pop()


# EXCLUSION (evaluation overlap, TRAINING_SOURCES.md): FluidR3's "808 High Conga" is never trained on.
SF2_EXCLUDED = {("FluidR3_GM", "808 high conga")}
# Names of GM sound effects, not drums: a drum kit may still map one to a drum key (TimGM6mb and sf_GMbank play
# "Ocean Wave", the sea, on key 40, electric snare). The name contradicts the key, so the sample stays out
# (TAXONOMY.md: "any file whose name contradicts its folder").
SF2_EFFECT_NAMES = re.compile(r"\b(ocean|seashore|applause|helicopter|gun ?shot|telephone|bird)\b")


def sf2_label_reason(font: str, name: str, keys) -> tuple[str | None, str]:
    """(label, reason) of a GM sound font drum sample: the name rules first (kits reuse samples across keys), else
    the keys; a sample named after a sound effect is excluded whatever key plays it. The reason is "" but for
    that exclusion."""
    text = normalise(name).strip()
    if SF2_EFFECT_NAMES.search(text):
        return EXCLUDED, "named after a sound effect, not a drum"
    if (font, text) in SF2_EXCLUDED:
        return EXCLUDED, ""
    return name_label(name) or gm_keys_label(keys), ""


def sf2_label(font: str, name: str, keys) -> str | None:
    """The label of ``sf2_label_reason``."""
    return sf2_label_reason(font, name, keys)[0]


# ---------------------------------------------------------------------------------------------------------------
# Per-source rules (TRAINING_SOURCES.md, "Label derivation, per source").

def _rules(*pairs):
    return tuple((re.compile(pattern), label) for label, pattern in pairs)


SONICPI_RULES = _rules(
    (EXCLUDED, r"^(loop_|arovane_beat_|tbd_fxbed_loop$)"),                         # loops
    (EXCLUDED, r"^(glitch_perc|perc_impact|perc_door$|perc_till$|perc_swoosh$|tbd_perc_blip$|elec_tick$|drum_roll$)"),
    ("kick", r"^(bd_|drum_heavy_kick$|drum_bass_hard$|drum_bass_soft$|elec_soft_kick$|elec_hollow_kick$)"),
    ("snare", r"^(sn_|drum_snare_|elec_(lo|hi|mid|filt)_snare$|elec_snare$)"),
    ("hat", r"^(hat_|drum_cymbal_closed$|drum_cymbal_open$|drum_cymbal_pedal$|tbd_perc_hat$)"),
    ("percussion", r"^(drum_cymbal_hard$|drum_cymbal_soft$|drum_splash_|drum_tom_|drum_cowbell$"   # crash hits
                   r"|elec_cymbal$|elec_fuzz_tom$|elec_triangle$|elec_wood$|tabla_"
                   r"|perc_bell|perc_snap|perc_swash$|ride_|tbd_perc_tap_)"),
    ("other", r"^(ambi_|bass_|guit_|elec_|glitch_bass|glitch_robot|mehackit_|misc_|vinyl_|tbd_pad|tbd_voctone$"
              r"|tbd_highkey)"),
)


def sonicpi_label(stem: str) -> str | None:
    """Label of a Sonic Pi sample by its file-name prefix (first match wins); None when no rule applies."""
    for pattern, label in SONICPI_RULES:
        if pattern.search(stem):
            return label
    return None


LMMS_OTHER_DIRS = ("basses", "instruments", "stringsnpads", "latin", "effects")
LMMS_EXCLUDED_DIRS = ("beats", "bassloops", "shapes", "waveforms", "drumsynth")   # patterns, loops, single cycles
# EXCLUSION (evaluation overlap, TRAINING_SOURCES.md): lmms drums/kick_soft01 is never trained on.
LMMS_DRUMS_EXCLUDED = ("zap01", "zap02", "zap03", "nasty_bass01", "kick_soft01")
LMMS_DRUMS_PERCUSSION = ("clav01", "clav02", "wood01")
LMMS_MISC_EXCLUDED = re.compile(r"^(metronome.*|hit01|hit02|snaph01|undefined01)$")


def lmms_label(folder: str, stem: str) -> str | None:
    """Label of an LMMS sample from its folder under samples/ and its file stem."""
    if folder == "drums":
        if stem in LMMS_DRUMS_EXCLUDED:
            return EXCLUDED
        if stem in LMMS_DRUMS_PERCUSSION:
            return "percussion"
        return name_label(stem)
    if folder in LMMS_OTHER_DIRS:
        return "other"
    if folder == "misc":
        return EXCLUDED if LMMS_MISC_EXCLUDED.match(stem) else "other"
    if folder in LMMS_EXCLUDED_DIRS:
        return EXCLUDED
    return None


STK_LABELS = {
    "bassdrum": "kick", "snardrum": "snare", "hihatcym": "hat",
    **dict.fromkeys(("crashcym", "ridecymb", "tomhidrm", "tomlowdr", "tommiddr", "cowbell1", "tambourn"), "percussion"),
    "mandpluk": "other",
}


def stk_label(stem: str) -> str:
    """Label of an STK rawwave; the rest are synthesis tables (wavetables, impulses, vowels, mandolin bodies)."""
    return STK_LABELS.get(stem, EXCLUDED)


CHUCK_RULES = _rules(
    (EXCLUDED, r"^click_"),
    ("kick", r"^kick"), ("snare", r"^snare"), ("hat", r"^hihat"),
    ("percussion", r"^(clap_01|cowbell_01)$"),
    ("other", r"^(stereo_fx_|geetar$|twilight-granular$)"),
)


def chuck_label(stem: str) -> str | None:
    """Label of a ChucK example sound by its file stem."""
    for pattern, label in CHUCK_RULES:
        if pattern.search(stem):
            return label
    return None


EXADRUMS_LABELS = {"BD_Acou_01": "kick", "Snr_Acou_01": "snare", "HiHat": "hat",
                   **dict.fromkeys(("Crash_High", "RideBell", "RideEdge", "Tom01", "Tom03"), "percussion")}


def exadrums_label(stem: str) -> str | None:
    """Label of one of the eight exaDrums kit wavs."""
    return EXADRUMS_LABELS.get(stem)


def supercollider_label(stem: str) -> str | None:
    """a11wlk01 (speech) is other; SinedPink (test noise) is excluded."""
    if stem.startswith("a11wlk01"):
        return "other"
    if stem.startswith("SinedPink"):
        return EXCLUDED
    return None


FREEPATS_EXCLUDED_PROGRAMS = {47, *range(112, 120)}   # timpani and the GM "percussive" family


def freepats_tone_label(program: int) -> str:
    """Melodic freepats instruments are other, except timpani (47) and the percussive family (112-119)."""
    return EXCLUDED if program in FREEPATS_EXCLUDED_PROGRAMS else "other"


# ---------------------------------------------------------------------------------------------------------------
# Walking the corpus

def read_pcm(path: Path):
    """Decoded samples and rate of a file; WAVE-wrapped Ogg Vorbis (fmt tag 0x674f, some lmms files) decoded from memory."""
    import soundfile as sf

    data = path.read_bytes()
    if data[:4] == b"RIFF" and data[20:22] == b"Og":
        return sf.read(io.BytesIO(data[data.find(b"OggS"):]), dtype="float32")
    return sf.read(path, dtype="float32")


def _pcm_digest(path: Path) -> str:
    import soundfile as sf

    x, _ = sf.read(path, dtype="int16")
    return hashlib.sha1(x.tobytes()).hexdigest()


def _frames(path: Path) -> int:
    import soundfile as sf

    return sf.info(path).frames


def _audio_files(folder: Path):
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)


class Labeller:
    """Collects labelled items and keeps count of what each rule dropped."""

    def __init__(self, train: Path):
        self.train = train
        self.items: list[Item] = []
        self.found = collections.Counter()                  # audio files seen per source
        self.dropped = collections.Counter()                # (source, reason) -> count

    def add(self, source: str, group: str, path: Path, label: str | None, *, reason: str = "") -> None:
        # EXCLUSION (evaluation overlap, TRAINING_SOURCES.md): nothing from avldrums.lv2-soundfont is ever used.
        if "avldrums" in str(path).lower():
            raise ValueError(f"{path}: AVL drum kits overlap the evaluation set and must not be in the corpus")
        if label is None:
            log.warning("%s: no rule gives a label; left out", path)
            self.dropped[source, "no rule"] += 1
        elif label == EXCLUDED:
            self.dropped[source, reason or "excluded by rule"] += 1
        else:
            if label not in CLASSES:
                raise ValueError(f"{path}: bad label {label!r}")
            self.items.append(Item(str(path.resolve()), label, group, source, LICENCES[source]))

    def drop(self, source: str, reason: str) -> None:
        self.dropped[source, reason] += 1

    def need(self, folder: Path) -> Path:
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: missing; run models/recipe/fetch_corpus.sh first")
        return folder


def label_sonicpi(lab: Labeller) -> None:
    src = "supersonic-scsynth-samples"
    folder = lab.need(lab.train / "npm-supersonic-scsynth-samples" / "package" / "samples")
    files = _audio_files(folder)
    stems = {p.stem for p in files if p.suffix == ".flac"}
    for p in files:
        lab.found[src] += 1
        if p.suffix != ".flac" and p.stem in stems:       # bd_haus.aiff duplicates bd_haus.flac
            lab.drop(src, "duplicate of the .flac")
            continue
        lab.add(src, f"sonicpi:{p.stem.split('_')[0]}", p, sonicpi_label(p.stem))


def label_lmms(lab: Labeller) -> None:
    src = "lmms-common"
    folder = lab.need(lab.train / "lmms-common" / "usr" / "share" / "lmms" / "samples")
    for sub in sorted(d for d in folder.iterdir() if d.is_dir() and d.name != "drumsynth"):   # .ds presets: not audio
        for p in _audio_files(sub):
            lab.found[src] += 1
            lab.add(src, f"lmms:{sub.name}", p, lmms_label(sub.name, p.stem))


SF2_NAME = re.compile(r"^(?P<idx>\d+)_(?P<name>.*)_k(?P<keys>\d+(?:-\d+)*)$")


def _sf2_entries(folder: Path):
    """(path, sample name, keys, is the R side of a stereo pair whose L is present) per exported sample."""
    rows = []
    for p in _audio_files(folder):
        m = SF2_NAME.match(p.stem)
        if not m:
            raise ValueError(f"{p}: not named <idx>_<name>_k<keys> by sf2drums.py")
        rows.append((p, m["name"], [int(k) for k in m["keys"].split("-")]))
    names = {name for _, name, _ in rows}
    return [(p, name, keys, name.endswith("_R") and name[:-2] + "_L" in names) for p, name, keys in rows]


def label_sf2(lab: Labeller) -> None:
    tim_pcm = None
    for font in ("FluidR3_GM", "TimGM6mb", "sf_GMbank"):
        src = FONT_SOURCE[font]
        folder = lab.need(lab.train / "sf2-drums" / font)
        for p, name, keys, right_of_pair in _sf2_entries(folder):
            lab.found[src] += 1
            if right_of_pair:                               # of each (L)/(R) stereo pair only L is kept
                lab.drop(src, "right channel of a stereo pair")
                continue
            if font == "sf_GMbank":
                if tim_pcm is None:
                    tim_pcm = {_pcm_digest(q) for q in _audio_files(lab.train / "sf2-drums" / "TimGM6mb")}
                if _pcm_digest(p) in tim_pcm:               # GPL-2 TimGM6mb audio under a "public-domain" label
                    lab.drop(src, "same PCM as a TimGM6mb sample")
                    continue
            rule_name = re.sub(r"_[LR]$", "", name)
            label, reason = sf2_label_reason(font, rule_name, keys)
            lab.add(src, f"sf2:{font}", p, label, reason=reason)


def label_freepats(lab: Labeller) -> None:
    src = "freepats"
    for kind in ("drums", "tones"):
        folder = lab.need(lab.train / "freepats" / kind)
        by_patch = collections.defaultdict(list)
        for p in _audio_files(folder):
            lab.found[src] += 1
            by_patch[p.stem.rsplit("__w", 1)[0]].append(p)
        seen_pcm = {}
        for patch, waves in sorted(by_patch.items()):
            number = int(patch[:3])                          # GM drum key (drums) or GM program (tones)
            longest = max(waves, key=_frames)                # one waveform per patch: the longest
            for _ in range(len(waves) - 1):
                lab.drop(src, "not the longest waveform of its patch")
            if kind == "tones":
                lab.add(src, "freepats:tones", longest, freepats_tone_label(number),
                        reason="percussive GM program")
                continue
            digest = _pcm_digest(longest)
            if digest in seen_pcm:                           # 057_Cymbal_Crash_2 is crash 1's PCM again
                log.info("%s: same PCM as %s; dropped", longest.name, seen_pcm[digest])
                lab.drop(src, "same PCM as another drum patch")
                continue
            seen_pcm[digest] = longest.name
            lab.add(src, "freepats:drums", longest, gm_key_label(number))


def label_chuck(lab: Labeller) -> None:
    src = "chuck-data"
    folder = lab.need(lab.train / "chuck-data" / "usr" / "share" / "doc" / "chuck-data" / "examples")
    seen = set()
    for p in _audio_files(folder):
        lab.found[src] += 1
        digest = hashlib.md5(p.read_bytes()).hexdigest()
        if digest in seen:                                   # the examples ship the same files in several folders
            lab.drop(src, "md5 duplicate")
            continue
        seen.add(digest)
        lab.add(src, "chuck:examples", p, chuck_label(p.stem))


def label_stk(lab: Labeller) -> None:
    src = "stk"
    raw = lab.need(lab.train / "stk" / "usr" / "share" / "stk" / "rawwaves")
    wavs = lab.need(lab.train / "stk-wav")                  # fetch_corpus.sh converted every .raw to .wav here
    for r in sorted(raw.glob("*.raw")):
        lab.found[src] += 1
        wav = wavs / f"{r.stem}.wav"
        if not wav.is_file():
            raise FileNotFoundError(f"{wav}: missing conversion of {r}; rerun models/recipe/fetch_corpus.sh")
        lab.add(src, "stk:rawwaves", wav, stk_label(r.stem), reason="synthesis table")


def label_exadrums(lab: Labeller) -> None:
    src = "exadrums"
    for p in _audio_files(lab.need(lab.train / "exadrums" / "usr" / "share" / "exadrums")):
        lab.found[src] += 1
        lab.add(src, "exadrums:kit", p, exadrums_label(p.stem))


def label_supercollider(lab: Labeller) -> None:
    src = "supercollider-common"
    for p in _audio_files(lab.need(lab.train / "supercollider-common" / "usr" / "share" / "SuperCollider" / "sounds")):
        lab.found[src] += 1
        lab.add(src, "supercollider:sounds", p, supercollider_label(p.stem))


def check_readable(items: list[Item]) -> list[Item]:
    """Drop (with a warning) items that do not decode or are empty: TAXONOMY excludes empty samples."""
    kept = []
    for item in items:
        try:
            x, _ = read_pcm(Path(item.path))
        except Exception as exc:  # noqa: BLE001 - any decoder failure means the file is unusable
            log.warning("%s: cannot be decoded (%s); left out", item.path, exc)
            continue
        if len(x) == 0 or not abs(x).max() > 0:
            log.warning("%s: empty or silent; left out", item.path)
            continue
        kept.append(item)
    return kept


def label_corpus(corpus_dir: str | os.PathLike, *, check_audio: bool = True) -> tuple[list[Item], Labeller]:
    """Label every source under corpus_dir (the fetch cache or its train/ folder); returns (items, labeller)."""
    root = Path(corpus_dir).expanduser()
    train = root / "train" if (root / "train").is_dir() else root
    lab = Labeller(train)
    for step in (label_sonicpi, label_lmms, label_sf2, label_freepats, label_chuck, label_stk,
                 label_exadrums, label_supercollider):
        step(lab)
    items = check_readable(lab.items) if check_audio else lab.items
    return items, lab


def write_csv(items: list[Item], path: str | os.PathLike) -> None:
    """Write items as CSV (COLUMNS), atomically: a temp file in the same folder, then a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent.resolve())
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for it in items:
                w.writerow([it.path, it.label, it.group, it.source, it.licence])
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def summary(items: list[Item], lab: Labeller | None = None) -> str:
    """A table of counts per source and class, each beside the count TRAINING_SOURCES.md expects."""
    counts = collections.Counter((it.source, it.label) for it in items)
    head = f"{'source':28} {'found':>5} {'usable':>11} " + " ".join(f"{c[:5]:>9}" for c in CLASSES)
    lines = [head, "-" * len(head)]

    def cell(got, want):
        return f"{got:>4}/{want:<4}" + ("" if got == want else "!")

    totals = [0] * len(CLASSES)
    expected_totals = [0] * len(CLASSES)
    for src in SOURCES:
        got = [counts[src, c] for c in CLASSES]
        want = EXPECTED[src]
        totals = [a + b for a, b in zip(totals, got)]
        expected_totals = [a + b for a, b in zip(expected_totals, want)]
        found = lab.found[src] if lab else 0
        lines.append(f"{src:28} {found:>5} {cell(sum(got), sum(want)):>11} "
                     + " ".join(f"{cell(g, w):>9}" for g, w in zip(got, want)))
    lines.append("-" * len(head))
    lines.append(f"{'total':28} {sum(lab.found.values()) if lab else 0:>5} "
                 f"{cell(sum(totals), sum(expected_totals)):>11} "
                 + " ".join(f"{cell(g, w):>9}" for g, w in zip(totals, expected_totals)))
    lines.append(f"cells are got/expected (TRAINING_SOURCES.md); '!' marks a difference. "
                 f"groups: {len({it.group for it in items})}")
    if lab:
        lines.append("dropped: " + "; ".join(f"{s} {r}: {n}" for (s, r), n in sorted(lab.dropped.items())))
    return "\n".join(lines)


def log_to_stderr(verbose: bool = False) -> None:
    """The recipe scripts' logging: warnings on stderr, and with ``verbose`` (-v) what each item left out was."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s",
                        stream=sys.stderr)


def default_corpus_dir() -> str:
    return os.environ.get("DRUMTAG_CORPUS") or os.path.expanduser("~/.cache/drumtag-corpus")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus_dir", nargs="?", default=default_corpus_dir(),
                        help="folder fetch_corpus.sh filled (default: $DRUMTAG_CORPUS or ~/.cache/drumtag-corpus)")
    parser.add_argument("-o", "--output", required=True, help="CSV file to write")
    parser.add_argument("--no-audio-check", action="store_true", help="skip decoding every labelled file")
    args = parser.parse_args(argv)
    log_to_stderr()
    try:
        items, lab = label_corpus(args.corpus_dir, check_audio=not args.no_audio_check)
    except (OSError, ValueError) as exc:
        print(f"label_corpus: {exc}", file=sys.stderr)
        return 2
    write_csv(items, args.output)
    print(summary(items, lab))
    print(f"wrote {len(items)} rows to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
