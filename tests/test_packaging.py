"""The distribution carries the bundled model: pyproject maps models/ into the package and ships the model file."""

import fnmatch
import os
import sys

import pytest

from oscserver.model import BUNDLED_NAME, bundled_model_path, load_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def pyproject():
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def test_models_folder_is_installed_as_oscserver_bundled(pyproject):
    st = pyproject["tool"]["setuptools"]
    assert st["package-dir"]["oscserver.bundled"] == "models"
    assert "oscserver.bundled" in st["packages"]
    assert any(fnmatch.fnmatch(BUNDLED_NAME, pat) for pat in st["package-data"]["oscserver.bundled"])
    assert "README.md" in st["package-data"]["oscserver.bundled"]  # the model card travels with the model


def test_every_command_module_is_packaged(pyproject):
    packages = set(pyproject["tool"]["setuptools"]["packages"])
    for folder, _, files in os.walk(os.path.join(ROOT, "oscserver")):
        if "__init__.py" in files and "__pycache__" not in folder:
            assert os.path.relpath(folder, ROOT).replace(os.sep, ".") in packages


def test_bundled_model_loads_and_is_small():
    path = bundled_model_path()
    assert path.name == BUNDLED_NAME and path.exists()
    assert path.stat().st_size < 10 * 1024 * 1024
    model = load_model()
    assert model.classes == ("kick", "snare", "hat", "percussion", "other")
    assert model.metadata["cv"]["grouping"] == "the CSV's group column"
    assert model.metadata["cv"]["n_groups"] >= 30


def test_dependency_pin_admits_the_bundled_models_scikit_learn(pyproject):
    """pip must install a scikit-learn that the bundled model loads under (same minor release)."""
    made_with = load_model().metadata["versions"]["scikit-learn"]
    major, minor = (int(x) for x in made_with.split(".")[:2])
    (pin,) = [d for d in pyproject["project"]["dependencies"] if d.startswith("scikit-learn")]
    assert f">={major}.{minor}" in pin and f"<{major}.{minor + 1}" in pin, pin
