"""Reports: accuracy, macro-F1 over the classes present, per-class figures, confusion matrix."""

from oscserver.metrics import report

CLASSES = ["kick", "snare", "hat", "percussion", "other"]


def test_macro_f1_averages_the_classes_present_in_the_files():
    # a test set of other only: 9 of 10 right, one taken for percussion
    rep = report(["other"] * 10, ["other"] * 9 + ["percussion"], CLASSES)
    f1_other = 2 * 1.0 * 0.9 / (1.0 + 0.9)
    assert rep["accuracy"] == 0.9 and rep["macro_f1_classes"] == ["other"]
    # the file taken for percussion already costs other its recall; percussion, with no files, has no F1 to average
    assert abs(rep["macro_f1"] - round(f1_other, 4)) < 1e-4
    assert rep["per_class"]["percussion"] == {"precision": 0.0, "recall": None, "f1": None, "support": 0}
    assert rep["per_class"]["hat"] == {"precision": None, "recall": None, "f1": None, "support": 0}


def test_macro_f1_with_every_class_present_is_the_plain_mean():
    y = CLASSES * 2
    pred = ["kick", "snare", "hat", "percussion", "percussion"] * 2
    rep = report(y, pred, CLASSES)
    assert abs(rep["macro_f1"] - round(sum(c["f1"] for c in rep["per_class"].values()) / 5, 4)) < 1e-4
    assert rep["confusion"][4] == [0, 0, 0, 2, 0]


def test_the_text_report_says_which_classes_macro_f1_is_over_and_marks_the_others():
    from oscserver.metrics import format_report

    rep = report(["kick", "kick", "hat"], ["kick", "kick", "hat"], CLASSES)
    assert rep["macro_f1"] == 1.0 and rep["macro_f1_classes"] == ["kick", "hat"]
    text = format_report(rep)
    assert text.splitlines()[1] == ("macro-F1 is over the 2 classes present in these files (kick, hat); "
                                    "snare, percussion, other have none (no recall or F1: -)")
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()[4:9]}
    assert rows["snare"] == ["-", "-", "-", "0"] and rows["kick"] == ["1.000", "1.000", "1.000", "2"]
    assert "0.000" not in text
    assert "classes present" not in format_report(report(CLASSES, CLASSES, CLASSES))


def test_a_class_taken_for_but_absent_keeps_its_precision_and_stays_out_of_macro_f1():
    from oscserver.metrics import format_report

    rep = report(["kick", "kick", "hat"], ["kick", "snare", "hat"], CLASSES)
    kick = 2 * 1.0 * 0.5 / 1.5
    assert rep["macro_f1_classes"] == ["kick", "hat"] and abs(rep["macro_f1"] - round((kick + 1.0) / 2, 4)) < 1e-4
    row = next(line.split() for line in format_report(rep).splitlines() if line.startswith("snare "))
    assert row == ["snare", "0.000", "-", "-", "0"]


def test_the_confusion_png_stays_a_bounded_size_however_many_classes(tmp_path):
    """Cells shrink as classes grow: 60 classes made a picture of 7,000 pixels a side (gigabytes to draw)."""
    import struct

    import numpy as np

    from oscserver.metrics import write_confusion_png

    for n in (5, 60):
        classes = [f"class {i}" for i in range(n)]
        rep = {"confusion": (np.eye(n, dtype=int) * 3).tolist(), "labels": classes, "accuracy": 1.0, "macro_f1": 1.0}
        png = open(write_confusion_png(rep, str(tmp_path / f"{n}.png")), "rb").read()
        width, height = struct.unpack(">II", png[16:24])
        assert 500 < width <= 3000 and 500 < height <= 3000
