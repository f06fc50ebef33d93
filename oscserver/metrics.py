"""Classification reports: accuracy, macro-F1, per-class precision/recall, confusion matrix (text and PNG)."""

from __future__ import annotations

import numpy as np

from .atomicfile import atomic_write


def report(y_true, y_pred, classes) -> dict:
    """A JSON-friendly report; the confusion matrix has true classes as rows, predictions as columns.

    Macro-F1 averages over the classes present in the files scored (their true labels, ``macro_f1_classes``): a
    test set without hats is not scored as if every hat had been missed. A class with no files has no recall or
    F1 (None), and no precision either unless some file was taken for it (then its precision is 0).
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    classes = list(classes)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    present = [c for c in classes if c in set(map(str, y_true))] or classes
    predicted = set(map(str, y_pred))
    return {
        "n": int(len(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)), 4),
        "macro_f1_classes": present,
        "per_class": {c: _class_scores(c in present, c in predicted, p[i], r[i], f[i], s[i])
                      for i, c in enumerate(classes)},
        "labels": classes,
        "confusion": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }


def pack_scores(y_true, y_pred, groups) -> dict:
    """Accuracy per pack (group), worst first: ``{"packs", "mean_accuracy", "per_pack": [{group, files,
    accuracy}]}``. The mean over packs weighs a five-file kit as much as a hundred-file one, as a user meeting
    pack after pack does; a pack's velocity layers or near-copies no longer dominate the figure."""
    per: dict[str, list[int]] = {}
    for t, p, g in zip(y_true, y_pred, groups):
        per.setdefault(g, []).append(int(t == p))
    rows = [{"group": g, "files": len(v), "accuracy": round(sum(v) / len(v), 4)} for g, v in per.items()]
    rows.sort(key=lambda r: (r["accuracy"], -r["files"], r["group"]))
    return {"packs": len(rows), "mean_accuracy": round(float(np.mean([r["accuracy"] for r in rows])), 4),
            "per_pack": rows}


def format_packs(packs: dict, *, show: int = 10) -> str:
    """The text of ``pack_scores``: the mean over packs and the ``show`` hardest ones."""
    rows = packs["per_pack"]
    w = max(4, *(len(r["group"]) for r in rows[:show]))
    lines = [f"accuracy per pack: mean {packs['mean_accuracy']:.3f} over {packs['packs']} packs"
             + (f"; the {show} hardest:" if len(rows) > show else ":"),
             f"  {'pack':<{w}}  files  accuracy"]
    lines += [f"  {r['group']:<{w}}  {r['files']:5d}  {r['accuracy']:8.3f}" for r in rows[:show]]
    return "\n".join(lines)


def _class_scores(present: bool, predicted: bool, precision, recall, f1, support) -> dict:
    """One class's figures; those a class without files does not have are None."""
    def score(value, defined: bool):
        return round(float(value), 4) if defined else None

    return {"precision": score(precision, present or predicted), "recall": score(recall, present),
            "f1": score(f1, present), "support": int(support)}


def _cell(value, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.3f}"


def format_report(rep: dict) -> str:
    classes = rep["labels"]
    w = max(10, *(len(c) for c in classes)) + 1
    present = rep.get("macro_f1_classes", classes)
    lines = [f"accuracy {rep['accuracy']:.3f}   macro-F1 {rep['macro_f1']:.3f}   ({rep['n']} files)"]
    if len(present) < len(classes):
        absent = [c for c in classes if c not in present]
        lines.append(f"macro-F1 is over the {len(present)} classes present in these files ({', '.join(present)}); "
                     f"{', '.join(absent)} have none (no recall or F1: -)")
    lines += ["", f"{'class':<{w}} precision  recall     f1  support"]
    for c in classes:
        pc = rep["per_class"][c]
        lines.append(f"{c:<{w}} {_cell(pc['precision'], 9)} {_cell(pc['recall'], 7)} {_cell(pc['f1'], 6)} "
                     f"{pc['support']:8d}")
    lines += ["", "confusion matrix (rows: true class, columns: predicted)",
              " " * w + "".join(f"{c:>{w}}" for c in classes)]
    for c, row in zip(classes, rep["confusion"]):
        lines.append(f"{c:<{w}}" + "".join(f"{v:>{w}d}" for v in row))
    return "\n".join(lines)


def write_confusion_png(rep: dict, path: str, *, title: str = "drumtag confusion matrix") -> str:
    """Draw the confusion matrix (row-normalised colours, counts as text) to a PNG, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(rep["confusion"], dtype=float)
    classes = rep["labels"]
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    n = len(classes)
    # cells shrink as classes grow, so the image stays under about 2,700 pixels a side (100 classes at full size
    # took gigabytes); the margins grow with the longest name, so no name is cut off
    cell = min(1.2, 20.0 / max(n, 1))
    font = max(4.0, min(9.0, cell * 8))
    margin = 0.6 + 0.075 * font / 9 * max((len(str(c)) for c in classes), default=0)
    fig, ax = plt.subplots(figsize=(cell * n + margin + 1.5, cell * n + margin + 1.5), dpi=110)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), classes, rotation=30, ha="right", fontsize=font)
    ax.set_yticks(range(n), classes, fontsize=font)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}\naccuracy {rep['accuracy']:.3f}, macro-F1 {rep['macro_f1']:.3f}", fontsize=10)
    for i in range(n):
        for j in range(n):
            if cm[i, j] or cell >= 0.5:  # with small cells, the empty ones stay blank
                ax.text(j, i, int(cm[i, j]), ha="center", va="center",
                        color="white" if norm[i, j] > 0.5 else "black", fontsize=font)
    fig.tight_layout()
    try:
        with atomic_write(path, "wb") as f:
            fig.savefig(f, format="png")
    finally:
        plt.close(fig)
    return path
