"""Every OSC address used by the README, the server, the Max device or the REAPER scripts is declared in protocol.py."""

from __future__ import annotations

import glob
import os
import re

import pytest

from oscserver import protocol

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: '/drumtag/<name>' as an address: not inside a longer path or URL ('.../reaper/drumtag/app.lua').
ADDRESS = re.compile(r"(?<![\w./-])/drumtag/[a-z_]+(?![\w./-])")
PATTERNS = ("README.md", "oscserver/*.py", "oscserver/commands/*.py",
            "max_device/**/*.js", "max_device/**/*.maxpat", "max_device/**/*.json",
            "reaper/**/*.lua")
DECLARED = {m.address for m in protocol.REQUESTS + protocol.REPLIES}


def scanned_files() -> list[str]:
    files = set()
    for pattern in PATTERNS:
        for path in glob.glob(os.path.join(ROOT, pattern), recursive=True):
            if os.path.isfile(path) and "node_modules" not in path.split(os.sep):
                files.add(path)
    return sorted(files)


def undeclared(text: str) -> set[str]:
    return set(ADDRESS.findall(text)) - DECLARED


def readme_block() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"<!-- osc:start -->(.*?)<!-- osc:end -->", text, re.S)
    assert match, "README.md has no <!-- osc:start --> ... <!-- osc:end --> block"
    return match.group(1)


def test_the_scanner_finds_addresses_and_ignores_paths_and_urls():
    text = ('send("/drumtag/classify", 0, 1); x = "/drumtag/bogus_thing"\n'
            'require "reaper/drumtag/app.lua"; url = "https://example.org/drumtag/drumtag/main"')
    assert undeclared(text) == {"/drumtag/bogus_thing"}
    assert ADDRESS.findall("'/drumtag/ping'") == ["/drumtag/ping"]


@pytest.mark.parametrize("path", scanned_files(), ids=lambda p: os.path.relpath(p, ROOT))
def test_file_uses_only_declared_addresses(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        bad = undeclared(f.read())
    assert not bad, f"{os.path.relpath(path, ROOT)} uses {sorted(bad)}, which oscserver/protocol.py does not declare"


def test_readme_block_contains_the_generated_address_table():
    assert protocol.markdown_table() in readme_block(), (
        "the README's OSC address table is out of date: replace it with the output of `python -m oscserver.protocol`")


def test_every_request_and_reply_is_documented_in_the_readme():
    block = readme_block()
    assert all(f"`{address}`" in block for address in DECLARED)


def test_protocol_declares_each_address_once_with_known_types():
    addresses = [m.address for m in protocol.REQUESTS + protocol.REPLIES]
    assert len(addresses) == len(set(addresses))
    for m in protocol.REQUESTS:
        assert [a.name for a in m.args[:2]] == ["reply_port", "request_id"]
        assert m.replies and set(m.replies) <= protocol.REPLY_ADDRESSES
    for m in protocol.REPLIES:
        assert m.args[0].name == "request_id"
    assert all(a.type in "ifs" for m in protocol.REQUESTS + protocol.REPLIES for a in m.args + m.repeated)
