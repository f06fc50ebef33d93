"""The REAPER script (reaper/): its Lua tests under lua5.4, its ReaPack index, and runs against a real server.

Needs Debian's ``lua5.4`` and ``lua-socket``; without them these tests skip, except in CI (``CI`` set), where they
fail so a missing install step cannot hide.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import synth
from oscserver.classes import DEFAULT_COLORS, UNSURE_BELOW, is_unsure, unsure_color

ROOT = Path(__file__).resolve().parent.parent
REAPER = ROOT / "reaper"
LUA_TESTS = sorted(p.name for p in (REAPER / "tests").glob("test_*.lua"))
INSTALL = "Debian: apt-get install lua5.4 lua-socket"


def _missing(what: str):
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed, and CI must run these tests ({INSTALL})")
    pytest.skip(f"{what} is not installed ({INSTALL})")


@pytest.fixture(scope="module")
def lua() -> str:
    path = shutil.which("lua5.4")
    if path is None:
        _missing("lua5.4")
    return path


@pytest.fixture(scope="module")
def lua_socket(lua) -> str:
    probe = subprocess.run([lua, "-e", "require('socket')"], capture_output=True, text=True)
    if probe.returncode != 0:
        _missing("lua-socket (LuaSocket for Lua 5.4)")
    return lua


def _run(cmd, *, timeout=600, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


def test_lua_test_files_are_found():
    assert {"test_osc.lua", "test_json.lua", "test_exec.lua", "test_job.lua", "test_udp.lua",
            "test_actions.lua"} <= set(LUA_TESTS)


@pytest.mark.parametrize("name", LUA_TESTS)
def test_lua(lua, lua_socket, name):
    """Each Lua test file passes under lua5.4 (fake REAPER, scripted and real UDP sockets)."""
    proc = _run([lua, "tests/run.lua", name], cwd=REAPER, env={**os.environ, "CI": "1"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"Lua tests failed ({name}):\n{output}"
    assert " 0 failed, 0 skipped" in output, output


def test_unsure_mark_is_the_servers(lua):
    """settings.lua's default threshold and edits.lua's muted colour are oscserver.classes' (UNSURE_BELOW,
    unsure_color)."""
    colors = sorted(set(DEFAULT_COLORS.values()) | {0x000000, 0xFFFFFF, 0x010203, 0xFEFDFC, 0x123456, 0x808080})
    script = ("local edits = require('drumtag.edits'); local settings = require('drumtag.settings'); "
              "print(settings.DEFAULTS.unsure); for _, c in ipairs({" + ",".join(map(str, colors)) + "}) do "
              "print(edits.unsure_color(c)) end")
    proc = _run([lua, "-e", "package.path = './?.lua;' .. package.path", "-e", script], cwd=REAPER)
    assert proc.returncode == 0, proc.stderr
    below, *muted = (int(line) for line in proc.stdout.split())
    assert below == round(UNSURE_BELOW * 100)
    assert muted == [unsure_color(c) for c in colors]


def test_organize_marks_unsure_what_the_daw_scripts_mark(lua):
    """organize --unsure-below (classes.is_unsure) and edits.lua decide on the percent shown, so 0.597 ("60%") is
    unsure under 0.6 in neither, and halves round up in both."""
    cases = [(c, b) for c in (0.0, 0.594, 0.595, 0.597, 0.6, 0.605, 0.6049, 0.9999, 1.0) for b in (0.6, 0.61, 1.0)]
    script = ("local edits = require('drumtag.edits'); for _, p in ipairs({"
              + ",".join(f"{{{c!r},{round(b * 100)}}}" for c, b in cases)
              + "}) do print(edits.is_unsure(p[1], p[2])) end")
    proc = _run([lua, "-e", "package.path = './?.lua;' .. package.path", "-e", script], cwd=REAPER)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(is_unsure(c, b)).lower() for c, b in cases]
    assert not is_unsure(0.597, 0.6) and is_unsure(0.594, 0.6)


def test_reapack_index_is_current():
    """reaper/index.xml lists every file of the package with its current hash (rebuild: make_index.py)."""
    proc = _run([sys.executable, str(REAPER / "make_index.py"), "--check"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- against a real `drumtag serve` -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(synth_model_path):
    """`python -m oscserver serve --port 0` on a synthesized model; yields the port it listens on."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "oscserver", "serve", "--port", "0", "--model", synth_model_path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    seen = []
    port = None
    while port is None:
        try:
            line = lines.get(timeout=180)  # a guard against hanging, not a timing test
        except queue.Empty:
            break
        seen.append(line)
        match = re.search(r"listening on [^\s:]+:(\d+)", line)
        if match:
            port = int(match.group(1))
        elif proc.poll() is not None and lines.empty():
            break
    if port is None:
        proc.kill()
        pytest.fail("drumtag serve did not start:\n" + "".join(seen))
    yield port
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[str, str]:
    """Synthesized one-shots (one with spaces, a quote and non-ASCII in its name), a corrupt and a missing file."""
    d = tmp_path_factory.mktemp("reaper samples")
    files = {
        "kick": synth.write(d / "kick.wav", synth.kick()),
        "hat": synth.write(d / "hat.wav", synth.hat()),
        "snare": synth.write(d / "Snare 01 'dry' ü.wav", synth.snare()),
        "corrupt": str(d / "corrupt.wav"),
        "missing": str(d / "missing.wav"),
    }
    Path(files["corrupt"]).write_bytes(b"RIFF not really a wave file")
    return files


def _native(rgb: int) -> int:
    """The fake REAPER's ColorToNative (Windows order, 0x00BBGGRR) plus the 'show colour' flag."""
    r, g, b = (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF
    return (r | g << 8 | b << 16) | 0x1000000


def _drive(lua: str, mode: str, port: int, paths: list[str]) -> dict:
    proc = _run([lua, str(REAPER / "tests" / "real_server.lua"), mode, str(port), *paths], cwd=REAPER)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    items, undo, messages = {}, None, []
    head, _, summary = proc.stdout.partition("SUMMARY\n")
    for line in head.splitlines():
        kind, *fields = line.split("\t")
        if kind == "ITEM":
            path, color, name, track = fields
            items[path] = {"color": int(color), "name": name, "track": track}
        elif kind == "UNDO":
            undo = tuple(int(f) for f in fields)
        elif kind == "MESSAGE":
            messages.append(fields[0])
    return {"items": items, "undo": undo, "messages": messages, "summary": summary, "output": out}


def _check_run(run: dict, samples: dict, model, good: list[str], bad: list[str]):
    from oscserver.classify import classify_file

    assert run["messages"] == [], run["output"]
    assert run["undo"] == (1, 0), run["output"]  # one undo block, no edit outside it
    for key in good:
        path = samples[key]
        expected = classify_file(path, model)
        item = run["items"][path]
        percent = int(re.fullmatch(r"\S+ (\d+)%", item["name"]).group(1))
        assert abs(percent - expected.confidence * 100) <= 1, (key, item, expected)
        marked = percent < round(UNSURE_BELOW * 100)
        assert item["name"].startswith(expected.label + ("? " if marked else " ")), (key, item, expected)
        color = DEFAULT_COLORS[expected.label]
        assert item["color"] == _native(unsure_color(color) if marked else color), (key, item)
        assert item["track"] == expected.label, (key, item)
    for key in bad:
        path = samples[key]
        assert run["items"][path]["color"] == 0, (key, run["items"][path])
        assert run["items"][path]["track"] == "Samples", (key, run["items"][path])
        assert path in run["summary"], run["summary"]
    assert f"classified {len(good)} of {len(good) + len(bad)} items" in run["summary"], run["summary"]
    if bad:
        assert f"failed {len(bad)} file" in run["summary"], run["summary"]


def test_osc_transport_against_real_server(lua_socket, server, samples, synth_model):
    """The script's LuaSocket path: real datagrams to `drumtag serve`, the server's colours applied."""
    order = ["kick", "snare", "hat", "corrupt", "missing"]
    run = _drive(lua_socket, "osc", server, [samples[k] for k in order])
    assert "TRANSPORT\tOSC to 127.0.0.1:" in run["output"]
    _check_run(run, samples, synth_model, good=["kick", "snare", "hat"], bad=["corrupt", "missing"])


def test_exec_transport_against_real_server(lua_socket, server, samples, synth_model, tmp_path):
    """The fallback: `drumtag send --json` run through (a stand-in for) reaper.ExecProcess via /bin/sh."""
    if os.name != "posix":
        pytest.skip("the /bin/sh path of the fallback is for macOS and Linux")
    command = tmp_path / "drumtag"
    command.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m oscserver "$@"\n')
    command.chmod(0o755)
    run = _drive(lua_socket, f"exec:{command}", server, [samples["snare"], samples["corrupt"]])
    assert "TRANSPORT\tdrumtag send" in run["output"]
    _check_run(run, samples, synth_model, good=["snare"], bad=["corrupt"])
