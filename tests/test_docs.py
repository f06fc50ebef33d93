"""The README documents every command and opens with the two commands a newcomer runs; CI runs its test command."""

import os
import re

from oscserver.cli import build_parser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


def test_every_command_has_a_readme_section():
    readme = _read("README.md")
    missing = [c for c in _commands() if f"`drumtag {c}`" not in readme]
    assert not missing, f"README.md does not document: {missing}"


def test_readme_opens_with_install_and_serve_then_tests():
    blocks = re.findall(r"```sh\n(.*?)```", _read("README.md"), re.S)
    assert blocks[0].strip() == "pip install . && drumtag serve"
    assert "pytest" in blocks[1] and "[test]" in blocks[1]


def test_ci_runs_the_readme_test_command():
    test_command = re.findall(r"```sh\n(.*?)```", _read("README.md"), re.S)[1].strip()
    ci = _read(".ci", "run")
    assert test_command in ci.splitlines()


def test_model_card_and_recipe_exist():
    assert os.path.exists(os.path.join(ROOT, "models", "README.md"))
    assert os.path.exists(os.path.join(ROOT, "models", "recipe", "build_default_model.sh"))
