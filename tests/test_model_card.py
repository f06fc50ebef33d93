"""The model card generator (models/recipe/model_card.py): figures come from the model's metadata and the checks."""

from recipe_modules import load

card = load("model_card")


def test_card_shows_cv_repeats_confusions_and_held_out_checks(synth_model):
    check = {"n": 10, "accuracy": 0.8, "labels": ["kick", "other"],
             "confusion": [[0, 0], [2, 8]]}  # 10 other files, 2 taken for kick
    text = card.card(synth_model, [("Notes never trained on", check)])
    cv = synth_model.metadata["cv"]
    assert f"macro-F1 **{cv['macro_f1']:.3f}**" in text
    assert "macro-F1 over 3 assignments of packs to folds (fold seeds 0-2)" in text
    assert "## Checked on sounds it was never trained on" in text
    assert "| Notes never trained on | 10 | 0.800 |  |  |  |  | other as kick: 2 |" in text
    check["confidence"] = {"mean": 0.75}
    assert "| Notes never trained on | 10 | 0.800 |  |  |  | 0.750 | other as kick: 2 |" in card.card(
        synth_model, [("Notes never trained on", check)])
    assert synth_model.model_id in text


def test_card_shows_a_checks_packs_macro_f1_and_recalls(synth_model):
    """A check with packs (evaluate on a CSV with a group column) gets its mean accuracy per pack, macro-F1, the
    recall of every class it has, and a table of its packs, hardest first."""
    check = {"n": 12, "accuracy": 0.75, "macro_f1": 0.7, "labels": ["kick", "hat"],
             "per_class": {"kick": {"recall": 1.0, "support": 4}, "hat": {"recall": 0.5, "support": 8}},
             "confusion": [[4, 0], [3, 5]], "confidence": {"mean": 0.6},
             "packs": {"packs": 2, "mean_accuracy": 0.6875,
                       "per_pack": [{"group": "kit:b", "files": 8, "accuracy": 0.625},
                                    {"group": "kit:a", "files": 4, "accuracy": 0.75}]}}
    text = card.card(synth_model, [("Real kits", check)])
    assert ("| Real kits | 12 in 2 packs | 0.750 | 0.688 | 0.700 | kick 1.00, hat 0.50 | 0.600 | hat as kick: 3 |"
            in text)
    assert "Real kits, pack by pack:\n\n| pack | files | accuracy |\n| --- | ---: | ---: |\n| kit:b | 8 | 0.62 |\n" \
           "| kit:a | 4 | 0.75 |" in text
    assert "their cymbals and open hats ring for seconds" in text       # a check on drum kits: the known cause
    check["per_class"]["hat"]["support"] = 0
    assert "ring for seconds" not in card.card(synth_model, [("Notes", check)])


def test_card_without_checks_has_no_held_out_table(synth_model):
    assert "never trained on" not in card.card(synth_model)


def test_confusions_are_the_off_diagonal_cells():
    rep = {"labels": ["a", "b", "c"], "confusion": [[5, 1, 0], [0, 4, 2], [3, 0, 7]]}
    assert card._confusions(rep) == {("a", "b"): 1, ("b", "c"): 2, ("c", "a"): 3}


def test_card_says_how_rows_were_weighted(synth_model):
    """The synth model is pack-weighted (the default): the card names it, with the pack sizes it was made for."""
    text = card.card(synth_model)
    assert synth_model.metadata["weighting"] == "pack"
    assert "every pack weighs the same, then every class) |" in text
    sizes = card._pack_sizes(synth_model.metadata["cv"])
    assert sum(sizes.values()) == synth_model.metadata["training"]["files"]
    assert f"has {max(sizes.values())} files, while" in text
    synth_model.metadata["weighting"] = "class"
    try:
        text = card.card(synth_model)
    finally:
        synth_model.metadata["weighting"] = "pack"
    assert "(seed 0, every file of a class weighs the same) |" in text and "**Weighting.**" not in text


def test_card_compares_the_models_seed_with_its_configuration_over_seeds(synth_model):
    m = synth_model.metadata
    row = {"estimator": m["estimator"], "augment": m["augment"], "weighting": m["weighting"], "macro_f1": 0.5,
           "estimator_seeds": [0, 1, 2]}
    note = " ".join(card._seed_note([row], m, m["cv"]))
    own = sum(r["macro_f1"] for r in m["cv"]["repeats"]) / len(m["cv"]["repeats"])
    assert f"{own:.3f}, is that of one seed; over estimator seeds 0-2 the configuration averages 0.500" in note
    # over the table's own fold assignments only, where the model was cross-validated under more
    cv = dict(m["cv"], repeats=[dict(r, macro_f1=f) for r, f in zip(m["cv"]["repeats"], (0.6, 0.7, 0.9))])
    note = " ".join(card._seed_note([dict(row, fold_seeds=[0, 1])], m, cv))
    assert "0.650, is that of one seed" in note
    assert card._seed_note([dict(row, estimator_seeds=[0])], m, m["cv"]) == []
    assert card._seed_note([dict(row, weighting="class")], m, m["cv"]) == []


def test_targets_are_judged_on_the_mean_over_fold_assignments(synth_model):
    """One assignment of packs to folds can be lucky: the target line uses the mean over all of them."""
    cv = synth_model.metadata["cv"]
    saved = cv["repeats"], cv["macro_f1"]
    cv["repeats"] = [dict(r, macro_f1=f) for r, f in zip(saved[0], (0.95, 0.80, 0.83))]
    cv["macro_f1"] = 0.95
    try:
        text = card.card(synth_model)
    finally:
        cv["repeats"], cv["macro_f1"] = saved
    assert "**Not met yet**: macro-F1 0.860 (mean over 3 assignments of packs to folds)" in text


def test_card_says_how_confidences_were_calibrated(synth_model):
    cal = synth_model.metadata["calibration"]
    text = card.card(synth_model)
    assert "## Confidence" in text and f"raised to the power **{cal['exponent']:.2f}**" in text
    assert f"**{cal['error_before']:.3f} -> {cal['error_after']:.3f}**" in text
    lo = cal["reliability_after"][-1]
    assert f"| {lo['files']} | {lo['accuracy']:.2f} |" in text
    synth_model.metadata["calibration"] = None
    try:
        assert "## Confidence" not in card.card(synth_model)
    finally:
        synth_model.metadata["calibration"] = cal


def test_card_shows_the_score_against_the_packs_trained_on(synth_model):
    rows = [{"fraction": 0.25, "packs": 10.0, "macro_f1": 0.6, "macro_f1_se": 0.01,
             "recall": {"kick": 0.9, "snare": 0.5, "hat": 0.3, "percussion": 0.7, "other": 0.6}},
            {"fraction": 1.0, "packs": 40.0, "macro_f1": 0.8, "macro_f1_se": None,
             "recall": {"kick": 0.9, "snare": 0.7, "hat": 0.8, "percussion": 0.7, "other": 0.8}}]
    text = card.card(synth_model, curve={"repeats": 4, "draws": 3, "rows": rows})
    assert "## Is it the data? The score against the number of training packs" in text
    assert "| 0.25 | 10.0 | 0.600 +- 0.010 | 0.90 | 0.50 | 0.30 | 0.70 | 0.60 |" in text
    assert "| 1.00 | 40.0 | 0.800 | 0.90 | 0.70 | 0.80 | 0.70 | 0.80 |" in text
    # +0.1 per doubling; 0.9 is one doubling further: 80 packs, twice the 40 trained on
    assert "gained about +0.100 macro-F1" in text and "hat gains most, recall 0.30 -> 0.80" in text
    assert "about 80 training packs, 2 times the 40 each fold trains on now, and more if" in text
    assert "Is it the data?" not in card.card(synth_model)
