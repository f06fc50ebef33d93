"""The Max for Live device (max_device/): its Node tests, its built .amxd, and its agreement with protocol.py."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import struct
import subprocess
from pathlib import Path

import pytest

from oscserver import protocol

ROOT = Path(__file__).resolve().parents[1]
DEVICE = ROOT / "max_device"
DEVICE_OSC_JS = (DEVICE / "drumtag_osc.js").read_text(encoding="utf-8")


def _load_build():
    spec = importlib.util.spec_from_file_location("max_device_build", DEVICE / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


def _js_constant(name: str):
    match = re.search(rf'^var {name} = ("?)([^";]*)\1;', DEVICE_OSC_JS, re.M)
    assert match, f"drumtag_osc.js defines {name}"
    return match.group(2) if match.group(1) else int(match.group(2))


def _node(what: str) -> str:
    """Path of node; fails under CI without it, else skips ``what``."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is not on PATH: CI must install Node.js (18 or newer) to test the Max for Live device")
        pytest.skip(f"node is not on PATH: {what} needs Node.js 18+")
    return node


def test_device_javascript_under_node():
    """Runs `node --test` on max_device/tests (fake LiveAPI and Max environment, patch checks, ES5 check)."""
    node = _node("the Max for Live device's tests (max_device/tests)")
    files = sorted(str(p.relative_to(ROOT)) for p in (DEVICE / "tests").glob("*.test.js"))
    assert files, "max_device/tests has no *.test.js files"
    proc = subprocess.run([node, "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"node --test {' '.join(files)} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def test_built_device_reads_back_to_the_patch_and_is_up_to_date():
    amxd = DEVICE / "drumtag.amxd"
    patch = json.loads((DEVICE / "drumtag.maxpat").read_text(encoding="utf-8"))
    assert build.read_amxd(str(amxd)) == patch
    assert amxd.read_bytes() == build.build(), "drumtag.amxd is stale: run python3 max_device/build.py"
    assert build.main(["--check"]) == 0


def test_amxd_layout_round_trips_and_bad_files_are_named():
    patch = json.dumps({"patcher": {"boxes": [], "lines": [], "project": {"amxdtype": 0x6D6D6D6D}}}).encode()
    data = build.pack(patch, b"mmmm")
    assert data[:12] == b"ampf" + struct.pack("<I", 4) + b"mmmm"
    assert data[12:24] == b"meta" + struct.pack("<I", 4) + struct.pack("<I", 0)
    assert data[24:32] == b"ptch" + struct.pack("<I", len(patch) + 1)
    assert data[32:] == patch + b"\0"
    assert build.unpack(data) == (b"mmmm", patch)

    with pytest.raises(build.AmxdError, match="does not match device type"):
        build.pack(patch, b"aaaa")
    with pytest.raises(build.AmxdError, match="x.amxd: not an .amxd file"):
        build.unpack(b"RIFF" + data[4:], "x.amxd")
    with pytest.raises(build.AmxdError, match="claims"):
        build.unpack(data[:-5], "x.amxd")
    frozen = data[:24] + b"ptch" + struct.pack("<I", len(patch)) + patch
    with pytest.raises(build.AmxdError, match="frozen"):
        build.unpack(frozen, "x.amxd")
    with pytest.raises(build.AmxdError, match="not JSON"):
        build.pack(b"{not json")


def test_device_defaults_match_the_server():
    assert _js_constant("DEFAULT_HOST") == protocol.DEFAULT_HOST
    assert _js_constant("DEFAULT_PORT") == protocol.DEFAULT_PORT
    assert _js_constant("DEFAULT_REPLY_PORT") == protocol.DEFAULT_DEVICE_REPLY_PORT
    assert _js_constant("MAX_DATAGRAM") == protocol.MAX_DATAGRAM
    assert json.loads(f'"{_js_constant("CUT_MARK")}"') == protocol.CUT_MARK


def test_device_unsure_mark_is_the_servers():
    """drumtag_names.js's default threshold and muted colour are oscserver.classes' UNSURE_BELOW and unsure_color."""
    from oscserver.classes import DEFAULT_COLORS, UNSURE_BELOW, unsure_color

    node = _node("checking drumtag_names.js")
    colors = sorted(set(DEFAULT_COLORS.values()) | {0x000000, 0xFFFFFF, 0x010203, 0xFEFDFC, 0x123456, 0x808080})
    script = ("const n = require(process.argv[1]); const colors = JSON.parse(process.argv[2]);"
              "console.log(JSON.stringify({below: n.UNSURE_BELOW, colors: colors.map(n.unsureColor)}));")
    proc = subprocess.run([node, "-e", script, str(DEVICE / "drumtag_names.js"), json.dumps(colors)],
                          capture_output=True, text=True, timeout=60, check=True)
    out = json.loads(proc.stdout)
    assert out["below"] == round(UNSURE_BELOW * 100)
    assert out["colors"] == [unsure_color(c) for c in colors]


def test_device_addresses_are_declared_and_it_handles_every_reply_its_requests_get():
    addresses = dict(re.findall(r'^\s+(\w+): "(/drumtag/[\w/]+)"', DEVICE_OSC_JS, re.M))
    assert addresses, "drumtag_osc.js has an ADDRESS table"
    sent = {a for a in addresses.values() if a in protocol.REQUEST_ADDRESSES}
    handled = {a for a in addresses.values() if a in protocol.REPLY_ADDRESSES}
    assert sent | handled == set(addresses.values()), "every address in drumtag_osc.js is declared in protocol.py"
    assert {f"{protocol.PREFIX}/ping", f"{protocol.PREFIX}/classify", f"{protocol.PREFIX}/classify_many",
            f"{protocol.PREFIX}/cancel"} <= sent
    for request in sent:
        missing = set(protocol.BY_ADDRESS[request].replies) | {f"{protocol.PREFIX}/error"}
        assert missing <= handled, f"{request}: drumtag_osc.js does not handle {missing - handled}"


def test_reply_arguments_are_where_the_device_reads_them():
    """drumtag_osc.js and drumtag.js read replies by position; this fails when protocol.py moves an argument it uses."""
    def names(address):
        return [a.name for a in protocol.BY_ADDRESS[address].args]

    assert names("/drumtag/result")[:5] == ["request_id", "path", "label", "confidence", "color"]
    assert [a.name for a in protocol.BY_ADDRESS["/drumtag/result"].repeated] == ["class", "probability"]
    assert names("/drumtag/pong")[:3] == ["request_id", "version", "model_id"]
    assert names("/drumtag/error")[:3] == ["request_id", "address", "message"]
    assert names("/drumtag/file_error")[:3] == ["request_id", "path", "message"]
    assert names("/drumtag/done")[4] == "cancelled"
    assert names("/drumtag/cancel")[:3] == ["reply_port", "request_id", "target_id"]
    for request in ("/drumtag/ping", "/drumtag/classify", "/drumtag/classify_many"):
        assert names(request)[:2] == ["reply_port", "request_id"]
    assert names("/drumtag/classify")[2] == "path"
    assert [a.name for a in protocol.BY_ADDRESS["/drumtag/classify_many"].repeated] == ["path"]


def test_dump_gives_back_the_source_patch(capsys):
    assert build.main(["--dump", str(DEVICE / "drumtag.amxd")]) == 0
    assert capsys.readouterr().out == (DEVICE / "drumtag.maxpat").read_text(encoding="utf-8")


def test_dump_to_a_file_writes_the_patch_and_a_bad_device_leaves_the_file_as_it_was(tmp_path, capsys):
    out = tmp_path / "drumtag.maxpat"
    assert build.main(["--dump", str(DEVICE / "drumtag.amxd"), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (DEVICE / "drumtag.maxpat").read_text(encoding="utf-8")
    (tmp_path / "broken.amxd").write_bytes(b"ampf\x04\x00\x00\x00aaaa" + b"junk")
    for bad in (tmp_path / "missing.amxd", tmp_path / "broken.amxd"):
        capsys.readouterr()
        assert build.main(["--dump", str(bad), "-o", str(out)]) == 2
        assert str(bad) in capsys.readouterr().err
        assert out.read_text(encoding="utf-8") == (DEVICE / "drumtag.maxpat").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.amxd", "drumtag.maxpat"]  # no temp file left


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_device_against_the_real_server_over_udp(synth_model, tmp_path):
    """The device's JavaScript (under Node, fake Live) and the real server, over UDP on 127.0.0.1.

    Selection, a missing file, tag all (session + arrangement, a file used twice, a MIDI clip) and tag rack; then
    restore names. Colours must be the server's colour of the label each name shows.
    """
    node = _node("the Max for Live device's loopback test")
    import synth
    from oscserver.classes import DEFAULT_COLORS, UNSURE_BELOW, unsure_color
    from oscserver.handlers import Context
    from oscserver.server import Server

    files = {}
    for label in ("kick", "snare", "hat"):
        files[label] = str(tmp_path / f"{label} one shot.wav")
        synth.write(files[label], synth.varied(label, 0))
    files["missing"] = str(tmp_path / "deleted kick.wav")
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(files), encoding="utf-8")

    colors = dict(DEFAULT_COLORS)
    with Server(Context(model=synth_model, colors=colors), host="127.0.0.1", port=0) as server:
        server.start()
        proc = subprocess.run([node, str(DEVICE / "tests" / "loopback.js"), str(server.address[1]),
                               str(_free_udp_port()), str(scenario)],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"loopback.js failed:\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(proc.stdout)
    tagged, restored, statuses = report["tagged"], report["restored"], report["statuses"]

    assert statuses[0].startswith("connected to drumtag "), statuses
    assert re.fullmatch(r"could not classify deleted kick\.wav: [^/]+", statuses[2]), statuses
    assert statuses[3].startswith("done: tagged 4 clips (3 files), 1 failed (last: deleted kick.wav: "), statuses
    assert "1 skipped" in statuses[3], statuses
    assert statuses[4] == "done: tagged 2 chains (2 files)", statuses
    assert report["errors"] == [] and len(report["posts"]) == 1, report

    originals = {"kick": "Kick Take", "snare": "Snare", "hat": "Hat Loop", "kickAgain": "Kick Copy",
                 "chainKick": "Pad Kick", "chainHat": "Pad Hat"}
    for key, original in originals.items():
        match = re.fullmatch(r"(\w+)(\??) (\d{1,3})% \| (.*)", tagged[key]["name"])
        assert match and match.group(4) == original, tagged[key]
        label, marked, percent = match.group(1), match.group(2) == "?", int(match.group(3))
        assert label in synth_model.classes
        assert marked == (percent < round(UNSURE_BELOW * 100)), tagged[key]
        assert tagged[key]["color"] == (unsure_color(colors[label]) if marked else colors[label]), tagged[key]
        assert restored[key] == original
    assert tagged["kickAgain"]["name"] == tagged["kick"]["name"].replace("Kick Take", "Kick Copy")
    assert tagged["missing"] == {"name": "Gone", "color": 0, "sets": 0}
    assert tagged["midi"] == {"name": "Beat", "color": 0, "sets": 0}
