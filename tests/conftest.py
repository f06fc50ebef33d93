"""Shared fixtures: a small model trained on synthesized audio with the real training code."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import synth  # noqa: E402


@pytest.fixture(scope="session")
def synth_train_dir(tmp_path_factory) -> str:
    """root/<class>/<pack>/*.wav with 5 classes x 3 packs x 6 files of synthesized drums."""
    return synth.make_class_folder(tmp_path_factory.mktemp("train"), per_class=6, packs=3)


@pytest.fixture(scope="session")
def synth_model_path(synth_train_dir, tmp_path_factory) -> str:
    """Path of a model trained (grouped CV included) on ``synth_train_dir``."""
    from oscserver.dataset import load_dataset
    from oscserver.training import train_model

    model, _ = train_model(load_dataset(synth_train_dir), jobs=1, seed=0, cv_splits=3)
    return model.save(os.path.join(tmp_path_factory.mktemp("model"), "synth.joblib"))


@pytest.fixture(scope="session")
def synth_model(synth_model_path):
    from oscserver.model import load_model

    return load_model(synth_model_path)


@pytest.fixture
def pending_after_submit(monkeypatch) -> list[int]:
    """Records ``ClassifyStream.pending`` (the files in flight) after every ``submit``."""
    from oscserver.classify import ClassifyStream

    seen: list[int] = []
    real = ClassifyStream.submit

    def submit(stream, paths, **kw):
        real(stream, paths, **kw)
        seen.append(stream.pending)

    monkeypatch.setattr(ClassifyStream, "submit", submit)
    return seen
