"""Classification reports: accuracy, macro-F1, per-class precision/recall, confusion matrix (text and PNG)."""

from __future__ import annotations

import numpy as np

from .atomicfile import atomic_write


def report(y_true, y_pred, classes) -> dict:
    """A JSON-friendly report; the confusion matrix has true classes as rows, predictions as columns.

    Macro-F1 averages over the classes that occur (as truth or as prediction): a test set without hats is not
    scored as if every hat had been missed.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    classes = list(classes)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    seen = set(map(str, y_true)) | set(map(str, y_pred))
    occurring = [c for c in classes if c in seen] or classes
    return {
        "n": int(len(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=occurring, average="macro", zero_division=0)), 4),
        "macro_f1_classes": occurring,
        "per_class": {c: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                          "f1": round(float(f[i]), 4), "support": int(s[i])} for i, c in enumerate(classes)},
        "labels": classes,
        "confusion": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }


def format_report(rep: dict) -> str:
    classes = rep["labels"]
    w = max(10, *(len(c) for c in classes)) + 1
    scored = rep.get("macro_f1_classes", classes)
    over = "" if len(scored) == len(classes) else f" (over the {len(scored)} classes that occur: {', '.join(scored)})"
    lines = [f"accuracy {rep['accuracy']:.3f}   macro-F1 {rep['macro_f1']:.3f}{over}   ({rep['n']} files)", "",
             f"{'class':<{w}} precision  recall     f1  support"]
    for c in classes:
        pc = rep["per_class"][c]
        if c not in scored:  # neither in the files nor predicted: nothing to score
            lines.append(f"{c:<{w}} {'-':>9} {'-':>7} {'-':>6} {pc['support']:8d}")
            continue
        lines.append(f"{c:<{w}} {pc['precision']:9.3f} {pc['recall']:7.3f} {pc['f1']:6.3f} {pc['support']:8d}")
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
    fig, ax = plt.subplots(figsize=(1.2 * len(classes) + 2, 1.1 * len(classes) + 1.5), dpi=110)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=30, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}\naccuracy {rep['accuracy']:.3f}, macro-F1 {rep['macro_f1']:.3f}", fontsize=10)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center",
                    color="white" if norm[i, j] > 0.5 else "black", fontsize=9)
    fig.tight_layout()
    try:
        with atomic_write(path, "wb") as f:
            fig.savefig(f, format="png")
    finally:
        plt.close(fig)
    return path
