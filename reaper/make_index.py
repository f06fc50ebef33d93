"""Writes reaper/index.xml, the ReaPack repository index, from the metadata header of the main action script.

    python reaper/make_index.py [--base-url URL]   # rewrite index.xml
    python reaper/make_index.py --check            # exit 1 if index.xml is out of date (tests run this)

The header (``@version``, ``@description``, ``@author``, ``@about``, ``@provides``, ``@changelog``) is the single
source of truth; every file the package provides is listed with its sha-256, so ReaPack refuses a download that
does not match. Rerun after changing any file under reaper/drumtag or an action script, and bump ``@version``
when releasing so ReaPack offers the update.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
MAIN = "drumtag - Classify selected items.lua"
INDEX = HERE / "index.xml"
#: Where the raw files of this folder are published (the project's repository, branch main, folder reaper/).
DEFAULT_BASE_URL = "https://raw.githubusercontent.com/drumtag/drumtag/main/reaper/"
REPOSITORY_NAME = "drumtag"
CATEGORY = "Items"


def read_header(path: Path) -> dict[str, str]:
    """``-- @tag value`` lines and their indented ``--   continuation`` lines -> {tag: text}."""
    tags: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        body = line[2:]
        if body.startswith(" @"):
            name, _, value = body[2:].partition(" ")
            current = name.lower()
            tags[current] = [value.strip()] if value.strip() else []
        elif current and (body.startswith("   ") or body.strip() == ""):
            tags[current].append(body[3:] if body.startswith("   ") else "")
        else:
            current = None
    return {k: "\n".join(v).strip("\n") for k, v in tags.items()}


def provided_files(provides: str) -> list[tuple[str, bool]]:
    """``[main] file`` / ``[nomain] glob`` lines -> [(relative path, is an action)], globs expanded, sorted."""
    out = []
    for line in provides.splitlines():
        line = line.strip()
        if not line:
            continue
        option, _, pattern = line.partition("] ")
        if not option.startswith("[") or not pattern:
            raise SystemExit(f"make_index: cannot read @provides line {line!r}")
        matches = sorted(p for p in HERE.glob(pattern) if p.is_file())
        if not matches:
            raise SystemExit(f"make_index: @provides {pattern!r} matches no file")
        out += [(p.relative_to(HERE).as_posix(), option[1:] == "main") for p in matches]
    return out


def multihash(path: Path) -> str:
    """ReaPack's checksum: a multihash of sha2-256 (0x12, 32 bytes) in hex."""
    return "1220" + hashlib.sha256(path.read_bytes()).hexdigest()


def build_index(base_url: str) -> str:
    header = read_header(HERE / MAIN)
    for tag in ("version", "description", "author", "about", "provides"):
        if tag not in header:
            raise SystemExit(f"make_index: {MAIN} has no @{tag}")
    files = [(MAIN, True)] + provided_files(header["provides"])
    sources = []
    for rel, is_action in files:
        url = base_url + quote(rel)
        main = ' main="main"' if is_action else ""
        file_attr = "" if rel == MAIN else f" file={quoteattr(rel)}"
        sources.append(f'        <source{file_attr}{main} hash="{multihash(HERE / rel)}">{escape(url)}</source>')
    changelog = header.get("changelog", "")
    return "\n".join([
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<index version="1" name="{REPOSITORY_NAME}">',
        f'  <category name="{CATEGORY}">',
        f'    <reapack name={quoteattr(MAIN)} type="script" desc={quoteattr(header["description"])}>',
        "      <metadata>",
        f"        <description><![CDATA[{header['about']}]]></description>",
        "      </metadata>",
        f'      <version name={quoteattr(header["version"])} author={quoteattr(header["author"])}>',
        *sources,
        f"        <changelog><![CDATA[{changelog}]]></changelog>",
        "      </version>",
        "    </reapack>",
        "  </category>",
        "</index>",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write reaper/index.xml for ReaPack.")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL, help="URL of this folder's raw files")
    parser.add_argument("--check", action="store_true", help="exit 1 if index.xml is not what would be written")
    args = parser.parse_args(argv)
    base = args.base_url if args.base_url.endswith("/") else args.base_url + "/"
    if args.check:
        current = INDEX.read_text(encoding="utf-8") if INDEX.exists() else ""
        if current != build_index(base):
            print(f"{INDEX} is out of date: run python reaper/make_index.py", file=sys.stderr)
            return 1
        print(f"{INDEX} is up to date")
        return 0
    INDEX.write_text(build_index(base), encoding="utf-8")
    print(f"wrote {INDEX}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
