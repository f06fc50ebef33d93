"""The recipe's scripts (models/recipe/, a folder of scripts, not a package) imported by name for the tests."""

import importlib
import sys
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[1] / "models" / "recipe"


def load(name: str):
    """Import ``models/recipe/<name>.py`` as module ``name``, as running a script there would (its folder on
    sys.path, so the scripts' imports of one another resolve)."""
    if str(RECIPE) not in sys.path:
        sys.path.insert(0, str(RECIPE))
    return importlib.import_module(name)
