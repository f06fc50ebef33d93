"""models/recipe/select_model.py: candidates scored over fold assignments and estimator seeds, rows kept in order."""

import json

from recipe_modules import load

select = load("select_model")


def test_candidates_over_folds_and_seeds_and_a_rerun_replaces_its_row(synth_train_dir, tmp_path, capsys):
    out = tmp_path / "selection.json"
    base = [synth_train_dir, "--augment", "0", "--estimators", "extratrees", "--repeats", "2", "--out", str(out)]
    assert select.main(base + ["--weightings", "pack", "class", "--estimator-seeds", "2"]) == 0
    rows = json.loads(out.read_text())["candidates"]
    assert [(r["estimator"], r["weighting"]) for r in rows] == [("extratrees", "pack"), ("extratrees", "class")]
    assert all(len(r["macro_f1_runs"]) == 4 and r["fold_seeds"] == [0, 1] and r["estimator_seeds"] == [0, 1]
               for r in rows)
    assert rows[0]["macro_f1"] == round(sum(rows[0]["macro_f1_runs"]) / 4, 4)

    assert select.main(base + ["--weightings", "pack", "--append"]) == 0   # one seed now: replaced in place
    again = json.loads(out.read_text())["candidates"]
    assert [r["weighting"] for r in again] == ["pack", "class"]
    assert again[0]["estimator_seeds"] == [0] and again[1] == rows[1]
    assert "extratrees" in capsys.readouterr().out
