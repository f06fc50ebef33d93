"""`drumtag serve` and `drumtag send` options checked at start: a model whose replies cannot fit one datagram,
--colors, --model and --catalog that are not what they should be, a bad $DRUMTAG_PORT / $DRUMTAG_HOST, an empty
--host, a negative --cache-size; and the colours of a custom model's classes."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from oscserver import handlers, protocol
from oscserver.classes import CLASSES, DEFAULT_COLORS, EXTRA_COLORS, default_colors, parse_colors
from oscserver.cli import main
from oscserver.errors import UsageError
from oscserver.server import encode_reply

P = protocol.PREFIX
#: what the QA tester's model had: 60 classes with long names
MANY = tuple(f"very long class name number {i:02d}" for i in range(60))


@pytest.fixture(autouse=True)
def no_model_loading(monkeypatch):
    """These options must be refused before the model loads (and long before the server would start)."""
    from oscserver import model

    def refuse(path=None):
        raise AssertionError("the model was loaded: the option should have been refused before")

    monkeypatch.setattr(model, "load_model", refuse)


def _fake_model(classes, path="/models/many.joblib"):
    return SimpleNamespace(classes=tuple(classes), path=path, model_id="fake", feature_version=1, metadata={})


def _prediction(label, classes):
    return SimpleNamespace(label=label, confidence=0.5, probabilities={c: 0.5 for c in classes})


# -- replies that cannot fit one datagram ------------------------------------------------------------------------

def test_osc_reply_fits_the_default_classes_and_not_sixty_long_ones():
    fits, needed = handlers.osc_reply_fits(CLASSES)
    assert fits and needed < protocol.MAX_DATAGRAM
    fits, needed = handlers.osc_reply_fits(MANY)
    assert not fits and needed > protocol.MAX_DATAGRAM


@pytest.mark.parametrize("classes", [CLASSES, MANY, MANY[:30], MANY[:40], ("x" * 200,) * 3, ("ü" * 40,) * 25])
def test_osc_reply_fits_agrees_with_what_the_server_can_send(classes):
    """When it says fits, a result for any class with a 4 KB path and the model reply encode; when not, one fails."""
    fits, needed = handlers.osc_reply_fits(classes)
    ctx = handlers.Context(model=_fake_model(classes), colors=parse_colors(None, classes=classes),
                           classify_file=print, classify_many=print, iter_audio_files=print)
    path = "/" + "long folder/" * 340 + "kick.wav"
    replies = [handlers.result_reply(ctx, 1, path, _prediction(c, classes)) for c in classes]
    replies += list(handlers.info(ctx, handlers.Request(f"{P}/info", 0, 1, {})))
    failures = 0
    for reply in replies:
        try:
            encode_reply(reply)
        except ValueError:
            failures += 1
    if fits:
        assert failures == 0
    elif all(len(c.encode()) <= 64 for c in classes):  # longer names may be cut by the encoder
        assert failures > 0
    assert (needed <= protocol.MAX_DATAGRAM) == fits


def test_serve_refuses_a_model_whose_replies_cannot_fit(monkeypatch, capsys):
    from oscserver import model

    monkeypatch.setattr(model, "load_model", lambda path=None: _fake_model(MANY, path))
    assert main(["serve", "--port", "0", "--model", "/models/many.joblib"]) == 2
    err = capsys.readouterr().err
    _, needed = handlers.osc_reply_fits(MANY)
    assert len(err.strip().splitlines()) == 1, err
    assert "/models/many.joblib" in err and f"{needed} bytes" in err and str(protocol.MAX_DATAGRAM) in err
    assert "fewer classes or shorter class names" in err


# -- colours of a custom model's classes -------------------------------------------------------------------------

def _distance(a: int, b: int) -> float:
    """'Redmean' colour distance: a cheap approximation of how different two colours look."""
    ra, ga, ba = (a >> 16) & 255, (a >> 8) & 255, a & 255
    rb, gb, bb = (b >> 16) & 255, (b >> 8) & 255, b & 255
    r = (ra + rb) / 2
    return ((2 + r / 256) * (ra - rb) ** 2 + 4 * (ga - gb) ** 2 + (2 + (255 - r) / 256) * (ba - bb) ** 2) ** 0.5


def test_extra_colours_are_distinct_from_each_other_and_from_the_defaults():
    palette = list(DEFAULT_COLORS.values()) + list(EXTRA_COLORS)
    assert len(set(EXTRA_COLORS)) == len(EXTRA_COLORS) >= 10
    assert min(_distance(a, b) for i, a in enumerate(palette) for b in palette[i + 1:]) > 100


def test_unknown_classes_get_distinct_colours_by_their_order_in_the_model():
    classes = ("kick", "clap", "tom", "other", "rim")
    colors = parse_colors(None, classes=classes)
    assert colors == {"kick": DEFAULT_COLORS["kick"], "clap": EXTRA_COLORS[0], "tom": EXTRA_COLORS[1],
                      "other": DEFAULT_COLORS["other"], "rim": EXTRA_COLORS[2]}
    assert parse_colors("tom=#010203", classes=classes)["clap"] == EXTRA_COLORS[0]
    many = default_colors(tuple(f"c{i}" for i in range(len(EXTRA_COLORS) + 2)))
    assert list(many.values()) == list(EXTRA_COLORS) + list(EXTRA_COLORS[:2])  # cycling after the last
    assert default_colors(CLASSES) == DEFAULT_COLORS
    # the five are known whatever their case (folders named Kick/, Hat/): only truly new classes take extras
    assert default_colors(("Kick", "HAT", "clap")) == {"Kick": DEFAULT_COLORS["kick"], "HAT": DEFAULT_COLORS["hat"],
                                                       "clap": EXTRA_COLORS[0]}


def test_info_and_results_of_a_custom_model_carry_those_colours(tmp_path):
    classes = ("clap", "tom")
    ctx = handlers.Context(model=_fake_model(classes), colors=parse_colors(None, classes=classes),
                           classify_file=print, classify_many=print, iter_audio_files=print)
    [(_, args)] = list(handlers.info(ctx, handlers.Request(f"{P}/info", 0, 3, {})))
    assert args[5:] == ("clap", EXTRA_COLORS[0], "tom", EXTRA_COLORS[1])
    result = handlers.result_reply(ctx, 4, "/x/t.wav", _prediction("tom", classes))
    assert result.args[4] == EXTRA_COLORS[1]


# -- --colors, --model, --catalog --------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["nonexist.json", "colours/mine", os.path.join("a", "b.JSON")])
def test_colors_that_look_like_a_missing_file_say_so(tmp_path, monkeypatch, spec):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=r"no such file") as err:
        parse_colors(spec)
    assert spec in str(err.value) and "CLASS=#RRGGBB" in str(err.value)


def test_colors_naming_a_folder_say_it_is_a_folder(tmp_path):
    with pytest.raises(UsageError, match="is a folder, not a JSON file"):
        parse_colors(str(tmp_path))


def test_colors_spec_without_a_file_look_is_still_a_class_spec():
    with pytest.raises(UsageError, match=r"'kick' is not CLASS=#RRGGBB"):
        parse_colors("kick")
    assert parse_colors("kick=#010203")["kick"] == 0x010203


def test_serve_model_folder_says_it_is_a_folder(tmp_path, capsys, monkeypatch):
    from oscserver import model

    monkeypatch.undo()  # load_model itself names the folder, before it reads anything
    assert model.load_model.__module__ == "oscserver.model"
    assert main(["serve", "--port", "0", "--model", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: is a folder, not a model file" in err and len(err.strip().splitlines()) == 1


def test_serve_catalog_folder_is_refused_at_start(tmp_path, capsys):
    assert main(["serve", "--port", "0", "--catalog", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"--catalog {tmp_path}: is a folder" in err


def test_serve_catalog_not_a_database_is_refused_at_start(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert main(["serve", "--port", "0", "--catalog", str(text)]) == 2
    assert "is not an SQLite database" in capsys.readouterr().err


# -- environment variables, --host, --cache-size -----------------------------------------------------------------

def _usage_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    return capsys.readouterr().err


def test_send_names_drumtag_port_when_its_value_is_bad(monkeypatch, capsys):
    monkeypatch.setenv("DRUMTAG_PORT", "abc")
    err = _usage_error(["send", "ping"], capsys)
    assert "argument --port: 'abc' is not a port number" in err and "environment variable DRUMTAG_PORT" in err
    err = _usage_error(["send", "--port", "abc", "ping"], capsys)  # typed: no variable to blame
    assert "'abc' is not a port number" in err and "DRUMTAG_PORT" not in err


def test_send_names_drumtag_host_when_it_is_blank(monkeypatch, capsys):
    monkeypatch.setenv("DRUMTAG_HOST", "   ")
    err = _usage_error(["send", "ping"], capsys)
    assert "argument --host: the host is empty" in err and "environment variable DRUMTAG_HOST" in err


def test_send_names_drumtag_host_when_it_cannot_be_found(monkeypatch, capsys):
    monkeypatch.setenv("DRUMTAG_HOST", "no-such-host.invalid")
    assert main(["send", "--timeout", "1", "ping"]) == 2
    assert "$DRUMTAG_HOST no-such-host.invalid: cannot find this host" in capsys.readouterr().err


def test_serve_names_drumtag_port_when_its_value_is_bad(monkeypatch, capsys):
    monkeypatch.setenv("DRUMTAG_PORT", "abc")
    assert main(["serve"]) == 2
    assert "$DRUMTAG_PORT: 'abc' is not a port number (0-65535)" in capsys.readouterr().err
    monkeypatch.delenv("DRUMTAG_PORT")
    assert main(["serve", "--port", "abc"]) == 2
    assert "--port: 'abc' is not a port number" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["serve", "send"])
def test_an_empty_host_is_refused(command, capsys):
    argv = [command, "--host", ""] + (["ping"] if command == "send" else [])
    err = _usage_error(argv, capsys)
    assert "argument --host: the host is empty" in err and "loopback" not in err


def test_serve_refuses_a_negative_cache_size(capsys):
    err = _usage_error(["serve", "--cache-size", "-1"], capsys)
    assert "argument --cache-size: must be at least 0, not -1" in err


def test_send_says_a_cancel_reaches_only_the_clients_own_requests():
    from oscserver.commands.send import format_reply

    line = format_reply({"reply": f"{P}/cancelled", "request_id": 1, "target_id": 7, "found": 0})
    assert "not running" in line and "only the requests it sent itself" in line
