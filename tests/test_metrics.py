"""Reports: accuracy, macro-F1 over the classes that occur, per-class figures, confusion matrix."""

from oscserver.metrics import report

CLASSES = ["kick", "snare", "hat", "percussion", "other"]


def test_macro_f1_averages_the_classes_that_occur():
    # a test set of other only: 9 of 10 right, one taken for percussion
    rep = report(["other"] * 10, ["other"] * 9 + ["percussion"], CLASSES)
    f1_other = 2 * 1.0 * 0.9 / (1.0 + 0.9)
    assert rep["accuracy"] == 0.9
    assert abs(rep["macro_f1"] - round(f1_other / 2, 4)) < 1e-4  # other and percussion occur; percussion's F1 is 0
    assert rep["per_class"]["hat"]["support"] == 0


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
    assert "macro-F1 1.000 (over the 2 classes that occur: kick, hat)" in text
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()[3:8]}
    assert rows["snare"] == ["-", "-", "-", "0"] and rows["kick"][:3] == ["1.000", "1.000", "1.000"]
    assert "(over the" not in format_report(report(CLASSES, CLASSES, CLASSES))
