"""find_similar and `drumtag similar`: standardized Euclidean neighbours from the catalog."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

import synth
from oscserver.catalog import Catalog, CatalogError
from oscserver.cli import main
from oscserver.errors import AudioError, UsageError
from oscserver.similar import find_similar
from oscserver.tagging import tag_paths
from test_tagging import other_model


@pytest.fixture(scope="module")
def tagged(tmp_path_factory, synth_model):
    """A catalogued library of 4 sounds per class; (root, catalog path)."""
    root = tmp_path_factory.mktemp("similar") / "lib"
    for label in ("kick", "snare", "hat", "percussion", "other"):
        for i in range(4):
            synth.write(root / label / f"{label} {i} é.wav", synth.varied(label, 200 + i))
    cat = str(root.parent / "cat.sqlite")
    s = tag_paths([root], model=synth_model, catalog_path=cat)
    assert s.failed == 0
    return str(root), cat


def catalog_matrix(cat, model_id):
    with Catalog(cat) as c:
        batches = list(c.feature_batches(model_id))
    return [p for b in batches for p in b[0]], np.vstack([b[2] for b in batches])


@pytest.mark.parametrize("label", ["snare", "hat"])
def test_neighbours_are_the_same_kind_of_sound_nearest_first_without_itself(tagged, synth_model, label):
    root, cat = tagged
    query = os.path.join(root, label, f"{label} 0 é.wav")
    found = find_similar(query, model=synth_model, catalog_path=cat, k=3)
    assert len(found) == 3 and query not in [n.path for n in found]
    assert [n.distance for n in found] == sorted(n.distance for n in found) and found[0].distance > 0
    assert all(f"/{label}/" in n.path for n in found) and {n.label for n in found} == {label}


def test_distance_is_rms_of_z_scored_features(tagged, synth_model):
    root, cat = tagged
    query = os.path.join(root, "hat", "hat 1 é.wav")
    paths, X = catalog_matrix(cat, synth_model.model_id)
    mean, std = X.mean(axis=0), X.std(axis=0)
    varying = std > 1e-9 * np.maximum(1, np.abs(mean))
    Z = (X[:, varying] - mean[varying]) / std[varying]
    q = Z[paths.index(query)]
    expected = np.sqrt(((Z - q) ** 2).mean(axis=1))
    found = find_similar(query, model=synth_model, catalog_path=cat, k=len(paths))
    assert len(found) == len(paths) - 1
    for n in found:
        assert n.distance == pytest.approx(expected[paths.index(n.path)], rel=1e-6, abs=1e-9)
    # two sounds picked at random are about sqrt(2) apart on this scale
    assert 0.8 < np.mean([n.distance for n in found]) < 1.6


def test_a_file_outside_the_catalog_is_featurized_and_its_twin_found(tagged, synth_model, tmp_path):
    root, cat = tagged
    with Catalog(cat) as c:
        before = c.count()
    twin = os.path.join(root, "snare", "snare 2 é.wav")
    query = shutil.copy(twin, tmp_path / "query.wav")
    found = find_similar(query, model=synth_model, catalog_path=cat, k=2)
    assert found[0].path == twin and found[0].distance == pytest.approx(0, abs=1e-5)
    with Catalog(cat) as c:
        assert c.count() == before  # a query does not write to the catalog


def test_a_changed_query_file_is_featurized_again(tmp_path, synth_model):
    lib = tmp_path / "lib"
    a = synth.write(lib / "a.wav", synth.varied("kick", 1))
    synth.write(lib / "b.wav", synth.varied("hat", 1))
    synth.write(lib / "c.wav", synth.varied("snare", 1))
    twin = synth.write(tmp_path / "elsewhere" / "hat.wav", synth.varied("hat", 1))
    cat = tmp_path / "c.sqlite"
    tag_paths([lib], model=synth_model, catalog_path=cat)
    shutil.copy(twin, a)  # a.wav is now a hat; its catalog row is stale
    found = find_similar(a, model=synth_model, catalog_path=cat, k=1)
    assert found[0].path == str(lib / "b.wav") and found[0].distance == pytest.approx(0, abs=1e-5)


def test_links_to_the_query_second_links_and_deleted_files_are_left_out(tmp_path, synth_model):
    lib = tmp_path / "lib"
    paths = [synth.write(lib / f"k{i}.wav", synth.varied("kick", i)) for i in range(4)]
    os.symlink(paths[0], lib / "link to k0.wav")
    os.symlink(paths[1], lib / "link to k1.wav")
    cat = tmp_path / "c.sqlite"
    tag_paths([lib], model=synth_model, catalog_path=cat)
    os.remove(paths[3])
    found = find_similar(paths[0], model=synth_model, catalog_path=cat, k=10)
    assert len(found) == 2 and {os.path.realpath(n.path) for n in found} == set(paths[1:3])


def test_only_rows_of_the_same_model_are_compared(tagged, synth_model):
    root, cat = tagged
    with pytest.raises(CatalogError, match="no files tagged with model unknown-model"):
        find_similar(os.path.join(root, "kick", "kick 0 é.wav"), model=other_model(synth_model, "unknown-model"),
                     catalog_path=cat)


def test_bad_arguments_are_clear_errors(tagged, synth_model, tmp_path):
    root, cat = tagged
    with pytest.raises(UsageError, match="k: 0"):
        find_similar(os.path.join(root, "kick", "kick 0 é.wav"), model=synth_model, catalog_path=cat, k=0)
    with pytest.raises(AudioError, match="missing.wav"):
        find_similar(tmp_path / "missing.wav", model=synth_model, catalog_path=cat)
    with pytest.raises(CatalogError, match="drumtag tag"):
        find_similar(os.path.join(root, "kick", "kick 0 é.wav"), model=synth_model,
                     catalog_path=tmp_path / "none.sqlite")


def test_similar_command_prints_rank_distance_label_path(tagged, synth_model, capsys):
    root, cat = tagged
    query = os.path.join(root, "hat", "hat 0 é.wav")
    assert main(["similar", query, "-k", "2", "--catalog", cat, "--model", synth_model.path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    rank, distance, label, path = lines[0].split(None, 3)
    assert rank == "1" and float(distance) >= 0 and label == "hat" and path.startswith(os.path.join(root, "hat"))
    assert main(["similar", query, "-k", "2", "--catalog", cat, "--model", synth_model.path, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["rank"] for r in rows] == [1, 2] and rows[0]["path"] == path and rows[0]["label"] == "hat"


def test_the_server_names_no_neighbour_outside_its_allow_root(tagged, synth_model, tmp_path):
    """With --allow-root, /drumtag/similar lists only catalogued files inside those folders (the catalog may hold
    others), also when a link inside the root points outside it."""
    from oscserver import handlers
    from oscserver.handlers import Context, Request

    root, _ = tagged
    cat = str(tmp_path / "own.sqlite")  # not the module's catalog: this test adds a link that it then removes
    allowed_root = os.path.join(root, "hat")
    outside = os.path.join(root, "snare", "snare 0 é.wav")
    link = os.path.join(allowed_root, "link to a snare.wav")
    os.symlink(outside, link)
    try:
        tag_paths([root], model=synth_model, catalog_path=cat)
        ctx = Context(model=synth_model, colors={}, catalog_path=cat, allow_roots=(allowed_root,))
        req = Request("/drumtag/similar", 0, 1, {"path": os.path.join(allowed_root, "hat 0 é.wav"), "k": 50}, (),
                      "127.0.0.1")
        neighbours = [r.args[2] for r in handlers.similar(ctx, req) if r.address == "/drumtag/neighbor"]
    finally:
        os.remove(link)
    assert neighbours and all(os.path.realpath(p).startswith(allowed_root + os.sep) for p in neighbours)
    assert len(neighbours) == 3  # the other hats; not the snares, nor the link that reaches one


def test_a_catalog_of_one_sound_is_refused_rather_than_calling_everything_identical(tmp_path, synth_model):
    lib = tmp_path / "lib"
    kick = synth.write(lib / "kick.wav", synth.varied("kick", 1))
    cat = tmp_path / "c.sqlite"
    tag_paths([lib], model=synth_model, catalog_path=cat)
    snare = synth.write(tmp_path / "snare.wav", synth.varied("snare", 1))
    with pytest.raises(CatalogError, match="its 1 file tagged with model .* is one sound, so there is no spread"):
        find_similar(snare, model=synth_model, catalog_path=cat)
    shutil.copy(kick, lib / "copy.wav")
    tag_paths([lib], model=synth_model, catalog_path=cat)
    with pytest.raises(CatalogError, match="its 2 files .* are all one sound"):
        find_similar(snare, model=synth_model, catalog_path=cat)


def test_the_command_says_when_there_is_nothing_else_to_compare_with(tmp_path, synth_model_path, synth_model,
                                                                     capsys):
    lib = tmp_path / "lib"
    synth.write(lib / "kick.wav", synth.varied("kick", 1))
    synth.write(lib / "hat.wav", synth.varied("hat", 1))
    cat = tmp_path / "c.sqlite"
    tag_paths([lib], model=synth_model, catalog_path=cat)
    os.remove(lib / "hat.wav")
    assert main(["similar", str(lib / "kick.wav"), "--catalog", str(cat), "--model", synth_model_path]) == 0
    out = capsys.readouterr()
    assert out.out == "" and "no other catalogued file to compare" in out.err
