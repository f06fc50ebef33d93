"""models/recipe/learning_curve.py: packs drawn source by source, extra datasets only train, the trend's arithmetic."""

import json

import numpy as np
import pytest

from recipe_modules import load

lc = load("learning_curve")


def test_each_source_keeps_its_share_of_its_own_packs_and_at_least_one():
    packs = np.array([f"a{i}" for i in range(8)] + ["b0", "b1"] + ["c0"])
    sources = np.array(["A"] * 8 + ["B"] * 2 + ["C"])
    for seed in range(5):
        keep = lc.draw_packs(packs, sources, 0.25, np.random.default_rng(seed))
        assert len({p for p in keep if p.startswith("a")}) == 2
        assert len({p for p in keep if p.startswith("b")}) == 1     # round(0.5) would be 0: at least one
        assert "c0" in keep
    assert lc.draw_packs(packs, sources, 1.0, np.random.default_rng(0)) == set(packs)


def _rows(*points):
    return [{"packs": p, "macro_f1": f} for p, f in points]


def test_the_trend_is_the_fitted_gain_per_doubling_carried_on():
    rows = _rows((5, 0.5), (10, 0.6), (20, 0.7))
    assert lc.per_doubling(rows) == pytest.approx(0.1)
    assert lc.per_doubling(_rows((5, 0.5), (10, 0.62), (20, 0.7))) == pytest.approx(0.1)   # least squares
    assert lc.per_doubling(_rows((10, 0.5), (10, 0.6))) is None
    assert lc.packs_for(0.9, rows) == pytest.approx(80)        # two more doublings
    assert lc.packs_for(0.7, rows) == 20                      # reached already
    assert lc.packs_for(0.9, _rows((10, 0.7), (20, 0.69))) is None
    assert "not in reach" in lc.format_curve([dict(r, fraction=1, macro_f1_se=None, recall={}) for r in
                                              _rows((10, 0.7), (20, 0.69))], ["kick"], 0.9)


def test_extra_datasets_only_train_and_add_their_packs(synth_train_dir, tmp_path, capsys):
    out = tmp_path / "curve.json"
    args = [synth_train_dir, "--fractions", "0.5", "1", "--repeats", "1", "--draws", "1", "--json", str(out)]
    assert lc.main(args) == 0
    alone = json.loads(out.read_text())["rows"]
    assert [r["packs"] for r in alone] == [1, 2]               # 3 packs, 3 folds: 2 train each fold
    printed = capsys.readouterr().out
    assert "per doubling of the packs" in printed and "macro-F1" in printed

    assert lc.main(args + ["--extra", synth_train_dir]) == 0   # the same files as another dataset's 3 packs
    more = json.loads(out.read_text())["rows"]
    assert [r["packs"] for r in more] == [3, 5]                # rounds 1 of 2 own and 2 of 3 extra; all
    assert {r["files"] for r in alone + more} == {90}          # only the corpus's 5 x 3 x 6 files are scored
    assert more[-1]["macro_f1"] >= alone[-1]["macro_f1"]       # its own files in training: nothing worse


def test_bad_fractions_are_refused(synth_train_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        lc.main([synth_train_dir, "--fractions", "0"])
    assert exc.value.code == 2 and "--fractions" in capsys.readouterr().err
