"""Write the model card (models/README.md) from a model file's own metadata, so the card never drifts from it.

usage: python models/recipe/model_card.py models/drumtag-default.joblib [-o models/README.md]
           [--check "TITLE=REPORT.json"]... [--learning-curve CURVE.json]

A --check is a `drumtag evaluate --json` report on labelled sounds the model was never trained on (such as the GM
melodic notes of gm_melodic.py); each becomes a row of the card's held-out table. --learning-curve is the --json of
learning_curve.py on the training corpus: how the grouped-CV score grows with the number of training packs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter

from oscserver.atomicfile import atomic_write
from oscserver.model import load_model
from oscserver.training import WEIGHTING_TEXT, repeats_line
from learning_curve import packs_for, per_doubling
from select_model import candidate_key

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_F1, TARGET_RECALL = 0.90, 0.85


def _pack_sizes(cv: dict) -> dict[str, int]:
    """Files per pack, from the cross-validation's per-group cells."""
    return {g: sum(n for row in cells.values() for n in row.values()) for g, cells in cv["per_group"].items()}


def _seed_note(candidates: list[dict], m: dict, cv: dict) -> list[str]:
    """How the bundled model's own seed compares with its configuration over several estimator seeds."""
    key = candidate_key(m)
    for r in candidates:
        seeds = r.get("estimator_seeds", [0])
        if candidate_key(r) == key and len(seeds) > 1:
            folds = set(r.get("fold_seeds", []))
            own = [x["macro_f1"] for x in cv.get("repeats", []) if not folds or x["fold_seed"] in folds] \
                or [cv["macro_f1"]]
            return ["", f"The bundled model is this table's `{key[0]}`, augmentation {key[1]}, {key[2]} weighting, "
                    f"with estimator seed {m['seed']}: its macro-F1 over the same fold assignments, "
                    f"{sum(own) / len(own):.3f}, is that of one seed; over estimator seeds {seeds[0]}-{seeds[-1]} "
                    f"the configuration averages {r['macro_f1']:.3f}, the figure to expect from a retrain."]
    return []


def _weighting_note(cv: dict) -> list[str]:
    sizes = sorted(_pack_sizes(cv).items(), key=lambda kv: -kv[1])
    small = sum(n < 10 for _, n in sizes)
    return [f"**Weighting.** The packs differ a lot in size: `{sizes[0][0]}` has {sizes[0][1]} files, while {small} "
            f"of the {len(sizes)} packs have fewer than 10. In training {WEIGHTING_TEXT['pack']} "
            "(`drumtag train --weighting pack`), so the model learns from many packs rather than mostly from the "
            "largest. Grouped cross-validation cannot tell this from weighting every file of a class the same "
            "(the selection table below): pack weights are kept as no worse and safer against one huge pack.", ""]


def _subset(per_group: dict, keep) -> tuple[list, list]:
    y_true, y_pred = [], []
    for group, cells in per_group.items():
        if keep(group):
            for t, preds in cells.items():
                for p, n in preds.items():
                    y_true += [t] * n
                    y_pred += [p] * n
    return y_true, y_pred


def _class_table(rep: dict) -> list[str]:
    rows = ["| class | precision | recall | F1 | files |", "| --- | ---: | ---: | ---: | ---: |"]
    for c in rep["labels"]:
        pc = rep["per_class"][c]
        rows.append(f"| {c} | {pc['precision']:.3f} | {pc['recall']:.3f} | {pc['f1']:.3f} | {pc['support']} |")
    return rows


def _confusion(rep: dict) -> list[str]:
    labels = rep["labels"]
    rows = ["| true \\ predicted | " + " | ".join(labels) + " |", "| --- |" + " ---: |" * len(labels)]
    for c, row in zip(labels, rep["confusion"]):
        rows.append(f"| **{c}** | " + " | ".join(str(v) for v in row) + " |")
    return rows


def _confusions(rep: dict) -> Counter:
    """(true class, predicted class) -> files, for every off-diagonal cell of a report's confusion matrix."""
    pairs = Counter()
    for t, row in zip(rep["labels"], rep["confusion"]):
        for p, n in zip(rep["labels"], row):
            if t != p and n:
                pairs[(t, p)] += n
    return pairs


def _checks(checks: list[tuple[str, dict]]) -> list[str]:
    """The held-out table: per report, files, accuracy (and per pack), macro-F1, recall per class, confidence and
    what the misclassified files were taken for; then, for reports with packs, each pack's accuracy."""
    if not checks:
        return []
    out = ["", "## Checked on sounds it was never trained on", "",
           "Sounds from sources the model never saw in training, scored as they are (`drumtag evaluate`). Macro-F1 "
           "is over the classes each set has; accuracy per pack is the mean of the packs' accuracies, so a kit "
           "with many velocity layers counts once.", "",
           "| sounds | files | accuracy | per pack | macro-F1 | recall | mean confidence | taken for |",
           "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |"]
    for title, rep in checks:
        taken = ", ".join(f"{t} as {p}: {n}" for (t, p), n in _confusions(rep).most_common(6)) or "nothing else"
        conf = f"{rep['confidence']['mean']:.3f}" if "confidence" in rep else ""
        packs = rep.get("packs")
        files = f"{rep['n']} in {packs['packs']} packs" if packs else f"{rep['n']}"
        per_pack = f"{packs['mean_accuracy']:.3f}" if packs else ""
        f1 = f"{rep['macro_f1']:.3f}" if "macro_f1" in rep else ""
        recall = ", ".join(f"{c} {v['recall']:.2f}" for c, v in rep.get("per_class", {}).items()
                           if v.get("recall") is not None)
        out.append(f"| {title} | {files} | {rep['accuracy']:.3f} | {per_pack} | {f1} | {recall} | {conf} | "
                   f"{taken} |")
    for title, rep in checks:
        if rep.get("packs"):
            out += ["", f"{title}, pack by pack:", "", "| pack | files | accuracy |", "| --- | ---: | ---: |"]
            out += [f"| {r['group']} | {r['files']} | {r['accuracy']:.2f} |" for r in rep["packs"]["per_pack"]]
    return out


def _calibration(cal: dict | None) -> list[str]:
    """The confidence section: how often the top class is right at each confidence, before and after."""
    if not cal:
        return []
    before = {r["from"]: r for r in cal["reliability_before"]}
    after = {r["from"]: r for r in cal["reliability_after"]}
    rows = ["## Confidence", "",
            "A file's `confidence` is the probability of its label. The forest's own probabilities (the share of "
            "trees voting for a class) are cautious, so they are calibrated: raised to the power "
            f"**{cal['exponent']:.2f}** and renormalised (`oscserver/calibration.py`), the exponent with the "
            "lowest log loss on grouped cross-validation's out-of-fold probabilities. This never changes a label, "
            "only how sure the model says it is. Cross-fitted (each fold calibrated by an exponent fitted on the "
            f"other folds), over {cal['runs']} assignments of packs to folds: expected calibration error "
            f"**{cal['error_before']:.3f} -> {cal['error_after']:.3f}**, log loss {cal['log_loss_before']:.3f} -> "
            f"{cal['log_loss_after']:.3f}.", "",
            "How often the label is right, by confidence (out-of-fold, first assignment of packs to folds):", "",
            "| confidence | files before | right before | files after | right after |",
            "| --- | ---: | ---: | ---: | ---: |"]

    def cell(r: dict | None) -> str:
        return f"{r['files']} | {r['accuracy']:.2f}" if r else "0 | "

    for lo in sorted(set(before) | set(after)):
        rows.append(f"| {lo:.1f}-{lo + 1 / cal['bins']:.1f} | {cell(before.get(lo))} | {cell(after.get(lo))} |")
    return rows


def _learning_curve(curve: dict | None, classes) -> list[str]:
    """The section on how the score grows with the packs trained on (learning_curve.py's JSON)."""
    if not curve:
        return []
    rows = curve["rows"]
    shown = [c for c in classes if c in rows[-1]["recall"]]
    out = ["", "## Is it the data? The score against the number of training packs", "",
           "`models/recipe/learning_curve.py` runs the grouped cross-validation again with only a share of every "
           "fold's training packs, drawn source by source (each source keeps at least one), and scores every file "
           "as above "
           f"({curve['repeats']} assignments of packs to folds, {curve['draws']} draws of the packs per share).", "",
           "| share of the packs | training packs | macro-F1 | " + " | ".join(f"{c} recall" for c in shown) + " |",
           "| ---: | ---: | ---: |" + " ---: |" * len(shown)]
    for r in rows:
        se = f" +- {r['macro_f1_se']:.3f}" if r.get("macro_f1_se") is not None else ""
        out.append(f"| {r['fraction']:.2f} | {r['packs']:.1f} | {r['macro_f1']:.3f}{se} | "
                   + " | ".join(f"{r['recall'][c]:.2f}" for c in shown) + " |")
    gain, need, last = per_doubling(rows), packs_for(TARGET_F1, rows), rows[-1]
    if gain is None or len(rows) < 2:
        return out
    first = rows[0]
    most = max(shown, key=lambda c: last["recall"][c] - first["recall"][c])
    text = (f"Each doubling of the training packs has gained about {gain:+.3f} macro-F1 (fitted over the shares); "
            f"{most} gains most, recall {first['recall'][most]:.2f} -> {last['recall'][most]:.2f}.")
    if need is not None and need > last["packs"]:
        text += (f" At that rate macro-F1 {TARGET_F1} would take about {need:.0f} training packs, "
                 f"{need / last['packs']:.0f} times the {last['packs']:.0f} each fold trains on now, and more if "
                 "the curve flattens, as learning curves do.")
    return out + ["", text]


def card(model, checks: list[tuple[str, dict]] = (), curve: dict | None = None) -> str:
    from oscserver.metrics import report

    m = model.metadata
    cv = m["cv"]
    classes = list(model.classes)
    tr = m["training"]
    real_t, real_p = _subset(cv["per_group"], lambda g: not g.startswith("drumsynth"))
    real = report(real_t, real_p, classes)
    worst_recall = min(v["recall"] for v in cv["per_class"].values())
    # judged on the mean over the assignments of packs to folds where there are several: one assignment is luck
    repeats = [r["macro_f1"] for r in cv.get("repeats", [])]
    f1 = sum(repeats) / len(repeats) if repeats else cv["macro_f1"]
    f1_text = f"{f1:.3f}" + (f" (mean over {len(repeats)} assignments of packs to folds)" if len(repeats) > 1 else "")
    meets = f1 >= TARGET_F1 and worst_recall >= TARGET_RECALL
    out = [
        "# Model card: drumtag default model",
        "",
        "_Generated by `models/recipe/model_card.py` from the model file's metadata; rebuild both with "
        "`bash models/recipe/build_default_model.sh`._",
        "",
        "| | |", "| --- | --- |",
        f"| model id | `{model.model_id}` |",
        f"| file | `models/drumtag-default.joblib` ({os.path.getsize(model.path) / 1e6:.1f} MB) |",
        f"| classes | {', '.join(classes)} |",
        f"| estimator | scikit-learn `{m['estimator']}` (seed {m['seed']}, "
        f"{WEIGHTING_TEXT[candidate_key(m)[2]]}) |",
        f"| features | version {model.feature_version}: {len(m['feature_names'])} features at {model.spec.sr} Hz, "
        f"window {model.spec.duration} s from the first sound above -60 dBFS |",
        f"| training | {tr['files']} files ({tr['rows']} rows with {m['augment']} augmented variants per file) |",
        "| made with | " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + " |",
        "",
        "## Intended use",
        "",
        "Sorting one-shot drum samples (a single hit per file) into kick, snare, hat (hi-hats only), percussion "
        "(toms, claps, rims, cymbals, hand percussion, shakers, bells, blocks) and other (non-drum material: pitched "
        "instruments, vocals, tonal or long FX, loops, songs), following the team's class policy (`TAXONOMY.md`, kept "
        "with the team's shared data rather than in this repository; `models/recipe/label_corpus.py` carries its "
        "name rules and GM key table as code). Loops and whole songs are "
        "analysed on their first 4 seconds and should come out as other; the model has not been tuned for them.",
        "",
        "## Training data",
        "",
        "Only the sources listed in the team's `TRAINING_SOURCES.md` (with its licences and exclusions; the table "
        "below gives each source's licence as taken from its package's copyright file), fetched from Debian and npm packages by "
        "`models/recipe/fetch_corpus.sh` and labelled by the rules of `TAXONOMY.md` (`label_corpus.py`, "
        "`label_drumsynth.py`). Excluded as required: the AVL drum kits, LMMS `kick_soft01`, FluidR3 `808 High "
        "Conga` (they overlap a private evaluation set), loops, single-cycle waveforms and ambiguous names; also "
        "sound-font samples named after a sound effect though a drum key plays them (`Ocean Wave` on the snare key) "
        "and the DrumSynth presets with a line longer than LMMS reads (LMMS itself plays them as clicks or "
        "silence).",
        "",
        "| source | licence | files | " + " | ".join(classes) + " |",
        "| --- | --- | ---: |" + " ---: |" * len(classes),
    ]
    for s in m["sources"]:
        out.append(f"| {s['source']} | {s['licence']} | {s['files']} | "
                   + " | ".join(str(s['per_class'].get(c, 0)) for c in classes) + " |")
    totals = Counter()
    for s in m["sources"]:
        totals.update(s["per_class"])
    out.append(f"| **total** | | **{tr['files']}** | " + " | ".join(f"**{totals.get(c, 0)}**" for c in classes) + " |")
    out += [
        "",
        "The DrumSynth rows are LMMS's DrumSynth presets (GPL-2+) rendered to audio by `models/recipe/drumsynth.py`: "
        "synthetic drum-machine sounds that add the hats and kicks the real recordings lack. The renderer was "
        "compared with LMMS 1.2.2's own renders of the presets (envelopes, band levels, pitch) and follows its "
        "quirks where they change the sound. Augmentation adds "
        f"{m['augment']} variants per file (playback-rate shifts of up to 3 semitones, low/high-pass filtering, "
        "added noise, shortened tails); variants always stay in their file's pack.",
        "",
        *(_weighting_note(cv) if candidate_key(m)[2] == "pack" else []),
        "**Licence of the weights.** Part of the training audio is GPL-2+ (LMMS, freepats, ChucK, TimGM6mb, "
        "SuperCollider). Whether model weights trained on GPL audio carry the GPL is unsettled; a strictly "
        "permissive model can be trained on the CC0/MIT/BSD/STK/public-domain subset by filtering the corpus CSV "
        "on its `licence` column and running `drumtag train` on it.",
        "",
        "## Evaluation: cross-validation grouped by pack",
        "",
        f"{cv['method']}. {cv['n_splits']} folds over {cv['n_groups']} packs ({cv['grouping']}): every file is "
        "scored by a model that saw nothing of its pack. No random file split is used anywhere.",
        "",
        f"**All packs** ({cv['n']} files): accuracy **{cv['accuracy']:.3f}**, macro-F1 **{cv['macro_f1']:.3f}**.",
        "",
        *([f"How much the score moves with the packs held out together: {repeats_line(cv)}.", ""]
          if repeats_line(cv) else []),
        *_class_table(cv), "", *_confusion(cv), "",
        f"**Recorded packs only** (DrumSynth renders left out of the scoring, not of the training; {real['n']} "
        f"files): accuracy **{real['accuracy']:.3f}**, macro-F1 **{real['macro_f1']:.3f}**.",
        "",
        *_class_table(real), "",
        f"Targets: macro-F1 >= {TARGET_F1} and recall >= {TARGET_RECALL} for every class. "
        + ("**Met.**" if meets else f"**Not met yet**: macro-F1 {f1_text}, lowest recall "
                                      f"{worst_recall:.3f}. For scale, the article's decision tree scored about "
                                      "42% on packs it had never seen."),
        "",
        *_calibration(m.get("calibration")), "",
        "## Known confusions",
        "",
    ]
    for (t, p), n in _confusions(cv).most_common(6):
        out.append(f"- {t} taken for {p}: {n} of {cv['per_class'][t]['support']} {t} files")
    hard = []
    for g, cells in cv["per_group"].items():
        n = sum(sum(v.values()) for v in cells.values())
        ok = sum(v.get(t, 0) for t, v in cells.items())
        hard.append((ok / n, n, g))
    hard.sort()
    out += ["", "Hardest packs (accuracy when held out):", "",
            "| pack | files | accuracy |", "| --- | ---: | ---: |"]
    for acc, n, g in hard[:10]:
        out.append(f"| {g} | {n} | {acc:.2f} |")
    out += [
        "",
        "Hi-hats against shakers, tambourines and short cymbals, and short electronic blips (other) against "
        "percussion, are where it errs most: these sounds overlap in the features used here, and the "
        "training set has few hats from real recordings.",
    ]
    out += _checks(list(checks))
    if any(rep.get("packs") and rep.get("per_class", {}).get("hat", {}).get("support") for _, rep in checks):
        out += ["", "On recorded kits it never saw, the misses have one more cause than in cross-validation: "
                "their cymbals and open hats ring for seconds, while the training set's recordings are short or "
                "trimmed, so a long metallic tail is taken for other (a tonal or long sound) or a hat for a "
                "cymbal. Slowing the training sounds' decay (augmentation) did not repair it."]
    out += _learning_curve(curve, classes)
    sel = os.path.join(os.path.dirname(HERE), "selection.json")
    if os.path.exists(sel):
        with open(sel) as f:
            table = json.load(f)
        out += ["", "## How the estimator was chosen", "",
                f"`models/recipe/select_model.py` on {table['corpus_files']} files, grouped CV ({table['grouping']}):",
                "", "Each candidate is scored by the mean over several assignments of packs to folds, and for "
                "some over several estimator seeds too (their range in the last column): differences smaller than "
                "that range are noise.", "",
                "| estimator | augmentation | weighting | macro-F1 | accuracy | lowest recall | macro-F1 range |",
                "| --- | ---: | --- | ---: | ---: | ---: | --- |"]
        for r in table["candidates"]:
            runs = r.get("macro_f1_runs") or [r["macro_f1"]]
            seeds = len(r.get("estimator_seeds", [0]))
            how = f"{len(runs)} runs" + (f": {len(runs) // seeds} fold assignments x {seeds} estimator seeds"
                                         if seeds > 1 else "")
            out.append(f"| {r['estimator']} | {r['augment']} | {candidate_key(r)[2]} | {r['macro_f1']:.3f} | "
                       f"{r['accuracy']:.3f} | {r['min_recall']:.3f} | {min(runs):.3f}-{max(runs):.3f} ({how}) |")
        out += _seed_note(table["candidates"], m, cv)
    out += ["", "## Reproduce", "", "```sh", "bash models/recipe/build_default_model.sh", "```", "",
            "The corpus is cached in `$DRUMTAG_CORPUS` (default `~/.cache/drumtag-corpus`), never in the "
            "repository. The same corpus and seed give the same model on the same machine and library versions; on "
            "another CPU the features can differ in their last bits (vectorised float32 sums), which changes the "
            "model id but not the cross-validated figures.", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("-o", "--output", default=os.path.join(os.path.dirname(HERE), "README.md"))
    ap.add_argument("--check", action="append", default=[], metavar="TITLE=REPORT.json",
                    help="a `drumtag evaluate --json` report on sounds never trained on (repeatable)")
    ap.add_argument("--learning-curve", metavar="CURVE.json", help="learning_curve.py --json on the training corpus")
    args = ap.parse_args(argv)
    checks = []
    for item in args.check:
        title, sep, path = item.partition("=")
        if not sep or not title or not path:
            ap.error(f"--check {item!r}: expected TITLE=REPORT.json")
        with open(path) as f:
            checks.append((title, json.load(f)))
    curve = None
    if args.learning_curve:
        with open(args.learning_curve) as f:
            curve = json.load(f)
    text = card(load_model(args.model), checks, curve)
    with atomic_write(args.output) as f:
        f.write(text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
