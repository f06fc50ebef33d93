"""The OSC handlers without sockets: replies, the file-access policy, multi-file streaming, cancel, similar, tag."""

from __future__ import annotations

import os
import threading
import time
from types import SimpleNamespace

import pytest

from oscserver import __version__, handlers, protocol
from oscserver import classify as classify_mod
from oscserver.classes import CLASSES, DEFAULT_COLORS, parse_colors
from oscserver.classify import Prediction
from oscserver.errors import AudioError, UsageError
from oscserver.handlers import Context, Request
from oscserver.server import encode_reply

P = protocol.PREFIX
MODEL = SimpleNamespace(classes=CLASSES, model_id="fake-1", feature_version=3, metadata={"cv": {"macro_f1": 0.875}})


def fake_prediction(path: str) -> Prediction:
    """The label is the file's text content ('kick', ...); 'bad' is not audio."""
    with open(path, encoding="utf-8") as f:
        label = f.read().strip()
    if label not in CLASSES:
        raise AudioError(path, "not an audio file that libsndfile can read")
    probs = {c: (0.6 if c == label else 0.1) for c in CLASSES}
    return Prediction(path=path, label=label, confidence=0.6, probabilities=probs)


def fake_classify_file(path, model):
    assert model is MODEL
    return fake_prediction(path)


def fake_classify_many(paths, model, *, cancel=None, batch=1, jobs=None):
    for p in paths:
        if cancel is not None and cancel.is_set():
            return
        try:
            yield fake_prediction(p)
        except AudioError as exc:
            yield Prediction(path=p, label=None, confidence=None, probabilities={}, error=exc.reason)


def fake_iter_audio_files(paths, *, allowed=None, refused=None):
    for p in paths:
        for root, dirs, files in os.walk(p):
            dirs.sort()
            for name in sorted(files):
                f = os.path.join(root, name)
                if not name.endswith(".wav"):
                    continue
                if allowed is not None and not allowed(os.path.realpath(f)):
                    refused(f)
                    continue
                yield f


def make_ctx(**kw) -> Context:
    kw.setdefault("colors", dict(DEFAULT_COLORS))
    kw.setdefault("iter_audio_files", fake_iter_audio_files)
    return Context(model=MODEL, classify_file=fake_classify_file, classify_many=fake_classify_many, **kw)


def request(address, *, params=None, rest=(), rid=7, ip="127.0.0.1") -> Request:
    return Request(f"{P}/{address}", 0, rid, params or {}, tuple(rest), ip)


def run(ctx, req) -> list:
    replies = list(handlers.HANDLERS[req.address](ctx, req))
    for r in replies:
        encode_reply(r)  # every reply matches its declaration in protocol.py (count and types)
    return replies


def put(path, label: str) -> str:
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(label)
    return path


def test_every_declared_request_has_a_handler_and_no_other():
    assert set(handlers.HANDLERS) == protocol.REQUEST_ADDRESSES
    assert handlers.FAST | handlers.BATCH <= protocol.REQUEST_ADDRESSES


def test_ping_answers_version_and_model_id():
    assert run(make_ctx(), request("ping")) == [(f"{P}/pong", (7, __version__, "fake-1"))]


def test_info_lists_model_and_every_class_colour():
    colors = parse_colors("kick=#010203")
    [(address, args)] = run(make_ctx(colors=colors), request("info", rid=3))
    assert address == f"{P}/model"
    assert args[:5] == (3, "fake-1", __version__, 3, 0.875)
    pairs = dict(zip(args[5::2], args[6::2]))
    assert list(pairs) == list(CLASSES)
    assert pairs["kick"] == 0x010203 and pairs["hat"] == DEFAULT_COLORS["hat"]


def test_info_without_cross_validation_score_sends_minus_one():
    ctx = make_ctx()
    ctx.model = SimpleNamespace(classes=("a", "b"), model_id="m", feature_version=1, metadata={})
    [(_, args)] = run(ctx, request("info"))
    assert args[4] == -1.0
    assert args[5:] == ("a", DEFAULT_COLORS["other"], "b", DEFAULT_COLORS["other"])


def test_classify_replies_label_confidence_colour_and_all_probabilities(tmp_path):
    path = put(tmp_path / "snare.wav", "snare")
    [(address, args)] = run(make_ctx(), request("classify", params={"path": path}, rid=11))
    assert address == f"{P}/result"
    assert args[:5] == (11, path, "snare", 0.6, DEFAULT_COLORS["snare"])
    assert args[5::2] == CLASSES
    assert args[6::2] == tuple(0.6 if c == "snare" else 0.1 for c in CLASSES)


@pytest.mark.parametrize("name", ["with space.wav", "ünïcödé ドラム.wav"])
def test_classify_unicode_and_spaces_are_echoed_as_given(tmp_path, name):
    path = put(tmp_path / "dir with space" / name, "hat")
    [(_, args)] = run(make_ctx(), request("classify", params={"path": path}))
    assert args[1] == path and args[2] == "hat"


def test_relative_path_is_relative_to_the_server_working_directory(tmp_path, monkeypatch):
    put(tmp_path / "sub" / "k.wav", "kick")
    monkeypatch.chdir(tmp_path)
    [(_, args)] = run(make_ctx(), request("classify", params={"path": "sub/k.wav"}))
    assert args[1:3] == ("sub/k.wav", "kick")


@pytest.mark.parametrize("case, expected", [
    ("missing", "no such file"),
    ("folder", "is a folder, not a file"),
    ("empty", "the path is empty"),
    ("huge", "over this server's limit of 10"),
    ("not audio", "not an audio file"),
])
def test_classify_errors_name_the_path_and_reason(tmp_path, case, expected):
    target = {"missing": str(tmp_path / "nope.wav"), "folder": str(tmp_path), "empty": "",
              "huge": put(tmp_path / "big.wav", "kick" + " " * 20), "not audio": put(tmp_path / "x.wav", "bad")}[case]
    ctx = make_ctx(max_bytes=10)
    with pytest.raises(AudioError) as err:
        run(ctx, request("classify", params={"path": target}))
    assert expected in str(err.value)
    assert err.value.path == target


def test_allow_root_admits_files_inside_and_refuses_outside_links_and_dotdot(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    inside = put(root / "a" / "k.wav", "kick")
    secret = put(outside / "s.wav", "snare")
    os.symlink(secret, root / "link.wav")
    ctx = make_ctx(allow_roots=(str(root),))
    assert run(ctx, request("classify", params={"path": inside}))[0].args[2] == "kick"
    for path in (secret, str(root / "link.wav"), str(root / ".." / "outside" / "s.wav")):
        with pytest.raises(AudioError, match="outside the folders this server may read"):
            run(ctx, request("classify", params={"path": path}))
    # a root given through a symlink is resolved too
    os.symlink(root, tmp_path / "root-link")
    ctx2 = make_ctx(allow_roots=(str(tmp_path / "root-link"),))
    assert run(ctx2, request("classify", params={"path": inside}))[0].args[2] == "kick"


def test_a_prefix_of_a_root_name_is_not_inside_it(tmp_path):
    put(tmp_path / "rootother" / "k.wav", "kick")
    (tmp_path / "root").mkdir()
    ctx = make_ctx(allow_roots=(str(tmp_path / "root"),))
    with pytest.raises(AudioError, match="outside"):
        run(ctx, request("classify", params={"path": str(tmp_path / "rootother" / "k.wav")}))


def test_classifier_error_names_the_path_as_given_not_the_resolved_one(tmp_path):
    real = put(tmp_path / "real.wav", "bad")
    os.symlink(real, tmp_path / "alias.wav")
    with pytest.raises(AudioError) as err:
        run(make_ctx(), request("classify", params={"path": str(tmp_path / "alias.wav")}))
    assert err.value.path == str(tmp_path / "alias.wav")


def test_classify_many_streams_results_and_file_errors_then_done_with_counts(tmp_path):
    folder = tmp_path / "kit"
    files = [put(folder / "a" / "k.wav", "kick"), put(folder / "b" / "s.wav", "snare"),
             put(folder / "b" / "broken.wav", "bad")]
    single = put(tmp_path / "h.wav", "hat")
    missing = str(tmp_path / "missing.wav")
    ctx = make_ctx(progress_interval=0.0)
    replies = run(ctx, request("classify_many", rest=(str(folder), single, missing), rid=5))
    by_kind = {}
    for address, args in replies:
        assert args[0] == 5
        by_kind.setdefault(address.rsplit("/", 1)[1], []).append(args)
    assert {a[1]: a[2] for a in by_kind["result"]} == {files[0]: "kick", files[1]: "snare", single: "hat"}
    assert {a[1] for a in by_kind["file_error"]} == {files[2], missing}
    assert replies[-1] == (f"{P}/done", (5, f"{P}/classify_many", 3, 2, 0))
    assert by_kind["progress"] and all(a[2] == 5 for a in by_kind["progress"])
    assert [a[1] for a in by_kind["progress"]] == sorted(a[1] for a in by_kind["progress"])


def test_classify_many_applies_the_policy_to_files_found_in_folders(tmp_path):
    root = tmp_path / "root"
    ok = put(root / "k.wav", "kick")
    secret = put(tmp_path / "outside" / "s.wav", "snare")
    os.symlink(secret, root / "escape.wav")
    replies = run(make_ctx(allow_roots=(str(root),)), request("classify_many", rest=(str(root),)))
    results = [a for addr, a in replies if addr.endswith("/result")]
    errors = [a for addr, a in replies if addr.endswith("/file_error")]
    assert [a[1] for a in results] == [ok]
    assert [a[1] for a in errors] == [str(root / "escape.wav")] and "outside" in errors[0][2]
    assert replies[-1].args[2:] == (1, 1, 0)


def test_classify_many_without_paths_is_a_usage_error():
    with pytest.raises(UsageError, match="at least one"):
        run(make_ctx(), request("classify_many"))


def test_classify_many_stops_when_cancelled_and_says_so(tmp_path):
    paths = [put(tmp_path / f"{i}.wav", "kick") for i in range(10)]
    req = request("classify_many", rest=paths)
    replies = []
    for reply in handlers.classify_many(make_ctx(), req):
        replies.append(reply)
        if reply.address == f"{P}/result":
            req.cancel.set()
    results = [r for r in replies if r.address == f"{P}/result"]
    assert len(results) == 1
    assert replies[-1] == (f"{P}/done", (7, f"{P}/classify_many", 1, 0, 1))


def request_from(address, *, port, ip="127.0.0.1", **kw) -> Request:
    req = request(address, ip=ip, **kw)
    req.client_port = port
    return req


def test_cancel_reaches_only_the_same_clients_job():
    ctx = make_ctx()
    event = threading.Event()
    ctx.jobs.add(("10.0.0.2", 9011), 42, event)
    [(address, args)] = run(ctx, request_from("cancel", params={"target_id": 42}, rid=1, ip="10.0.0.3", port=9011))
    assert (address, args) == (f"{P}/cancelled", (1, 42, 0)) and not event.is_set()
    [(_, args)] = run(ctx, request_from("cancel", params={"target_id": 42}, rid=2, ip="10.0.0.2", port=9011))
    assert args == (2, 42, 1) and event.is_set()
    ctx.jobs.remove(("10.0.0.2", 9011), 42, event)
    assert len(ctx.jobs) == 0


def test_cancel_from_another_port_of_the_same_host_leaves_that_clients_job_alone():
    """Two clients on one machine (two Max devices, Max and REAPER) may both use request_id 7: B's cancel 7
    stops B's job only."""
    ctx = make_ctx()
    a, b = threading.Event(), threading.Event()
    ctx.jobs.add(("127.0.0.1", 9011), 7, a)
    ctx.jobs.add(("127.0.0.1", 9012), 7, b)
    [(_, args)] = run(ctx, request_from("cancel", params={"target_id": 7}, rid=8, port=9012))
    assert args == (8, 7, 1) and b.is_set() and not a.is_set()
    ctx.jobs.cancel_all()
    assert a.is_set()


def test_similar_sends_ranked_neighbours_then_done(tmp_path):
    path = put(tmp_path / "k.wav", "kick")
    calls = []

    def find_similar(p, *, model, catalog_path=None, k=10, allowed=None):
        calls.append((p, model, catalog_path, k))
        assert allowed is None, "no --allow-root: nothing to filter"
        return [SimpleNamespace(path=f"/lib/{i}.wav", distance=0.5 * i, label="kick") for i in range(1, k + 1)]

    ctx = make_ctx(find_similar=find_similar, catalog_path="/tmp/cat.sqlite")
    replies = run(ctx, request("similar", params={"path": path, "k": 3}, rid=9))
    assert replies == [(f"{P}/neighbor", (9, 1, "/lib/1.wav", 0.5, "kick")),
                       (f"{P}/neighbor", (9, 2, "/lib/2.wav", 1.0, "kick")),
                       (f"{P}/neighbor", (9, 3, "/lib/3.wav", 1.5, "kick")),
                       (f"{P}/done", (9, f"{P}/similar", 3, 0, 0))]
    assert calls == [(os.path.realpath(path), MODEL, "/tmp/cat.sqlite", 3)]


@pytest.mark.parametrize("k", [0, 51])
def test_similar_refuses_k_out_of_range(tmp_path, k):
    with pytest.raises(UsageError, match=f"k: {k}"):
        run(make_ctx(find_similar=lambda *a, **kw: []), request("similar", params={"path": "/x", "k": k}))


def test_tag_relays_progress_and_reports_counts(tmp_path):
    folder = tmp_path / "kit"
    folder.mkdir()
    seen = {}

    def tag_paths(paths, *, model, catalog_path=None, jobs=None, progress=None, cancel=None):
        seen.update(paths=paths, cancel=cancel)
        for i in range(1, 4):
            progress(i, 3)
        return SimpleNamespace(ok=2, failed=1, skipped=4)

    ctx = make_ctx(tag_paths=tag_paths, progress_interval=0.0)
    req = request("tag", rest=(str(folder),), rid=4)
    replies = run(ctx, req)
    assert seen == {"paths": [os.path.realpath(folder)], "cancel": req.cancel}
    assert [r.args for r in replies if r.address == f"{P}/progress"] == [(4, 1, 3), (4, 2, 3), (4, 3, 3)]
    assert replies[-1] == (f"{P}/done", (4, f"{P}/tag", 6, 1, 0))


def test_tag_failure_surfaces_as_an_exception_for_the_server_to_report(tmp_path):
    def tag_paths(paths, **kw):
        raise AudioError(paths[0], "catalog is locked")

    with pytest.raises(AudioError, match="catalog is locked"):
        run(make_ctx(tag_paths=tag_paths), request("tag", rest=(str(tmp_path),)))


def test_tag_checks_folders_against_the_allowed_roots(tmp_path):
    (tmp_path / "root").mkdir()
    ctx = make_ctx(tag_paths=lambda *a, **kw: pytest.fail("must not run"), allow_roots=(str(tmp_path / "root"),))
    with pytest.raises(AudioError, match="outside"):
        run(ctx, request("tag", rest=(str(tmp_path),)))


def test_warm_up_classifies_a_synthesized_one_shot_with_the_real_model(synth_model):
    ctx = Context(model=synth_model, colors=dict(DEFAULT_COLORS))
    assert handlers.warm_up(ctx) > 0


class CountingClassifier:
    def __init__(self):
        self.single, self.many = [], []

    def classify_file(self, path, model):
        self.single.append(path)
        return fake_prediction(path)

    def classify_many(self, paths, model, **kw):
        self.many.append(list(paths))
        return fake_classify_many(paths, model, **kw)


def test_a_file_asked_for_again_is_answered_from_the_cache_until_it_changes(tmp_path):
    counter = CountingClassifier()
    ctx = make_ctx()
    ctx.classify_file = counter.classify_file
    path = put(tmp_path / "k.wav", "kick")
    first = run(ctx, request("classify", params={"path": path}, rid=1))
    second = run(ctx, request("classify", params={"path": path}, rid=2))
    assert len(counter.single) == 1 and second[0].args[1:] == first[0].args[1:]
    put(path, "snare")  # the file changed (size and modification time): classified again
    assert run(ctx, request("classify", params={"path": path}, rid=3))[0].args[2] == "snare"
    assert len(counter.single) == 2


def test_cache_size_zero_classifies_every_time(tmp_path):
    counter = CountingClassifier()
    ctx = make_ctx(cache=handlers.ResultCache(0))
    ctx.classify_file = counter.classify_file
    path = put(tmp_path / "k.wav", "kick")
    for rid in range(3):
        run(ctx, request("classify", params={"path": path}, rid=rid))
    assert len(counter.single) == 3 and len(ctx.cache) == 0


def test_cache_keeps_only_the_most_recent_entries(tmp_path):
    ctx = make_ctx(cache=handlers.ResultCache(2))
    paths = [put(tmp_path / f"{i}.wav", "hat") for i in range(3)]
    for p in paths:
        run(ctx, request("classify", params={"path": p}))
    assert len(ctx.cache) == 2
    assert ctx.cache.get(ctx.cache.key(os.path.realpath(paths[0]))) is None


def test_classify_many_classifies_only_files_not_in_the_cache(tmp_path):
    counter = CountingClassifier()
    ctx = make_ctx()
    ctx.classify_many = counter.classify_many
    a, b = put(tmp_path / "a.wav", "kick"), put(tmp_path / "b.wav", "hat")
    run(ctx, request("classify", params={"path": a}))
    replies = run(ctx, request("classify_many", rest=(a, b)))
    assert counter.many == [[os.path.realpath(b)]]
    assert {r.args[1]: r.args[2] for r in replies if r.address == f"{P}/result"} == {a: "kick", b: "hat"}
    assert replies[-1].args[2:] == (2, 0, 0)


def replace_keeping_size_and_mtime(path: str, new: str) -> None:
    """``path`` becomes the file ``new`` (same size) with ``path``'s old time stamps, as ``mv``/``cp -p``/an archive
    extracted again leave it."""
    before = os.stat(path)
    os.utime(new, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(new, path)


def rewrite_keeping_size_and_mtime(path: str, text: str) -> None:
    """The same file (inode) given new contents of the same size, its modification time set back; waits until the
    change time has moved on (the kernel's clock for it ticks every few milliseconds)."""
    before = os.stat(path)
    put(path, text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    while os.stat(path).st_ctime_ns == before.st_ctime_ns:
        time.sleep(0.005)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_file_replaced_by_one_of_the_same_size_and_mtime_is_not_answered_from_the_cache(tmp_path):
    ctx = make_ctx()
    path = put(tmp_path / "kick.wav", "kick")
    assert run(ctx, request("classify", params={"path": path}))[0].args[2] == "kick"
    replace_keeping_size_and_mtime(path, put(tmp_path / "new.wav", "hat "))  # another inode
    st = os.stat(path)
    assert run(ctx, request("classify", params={"path": path}))[0].args[2] == "hat"
    rewrite_keeping_size_and_mtime(path, "kick")  # same inode, size and mtime: only the change time tells
    assert (os.stat(path).st_ino, os.stat(path).st_size, os.stat(path).st_mtime_ns) == (st.st_ino, 4, st.st_mtime_ns)
    assert run(ctx, request("classify", params={"path": path}))[0].args[2] == "kick"


def test_classify_many_answers_a_file_under_every_spelling_given_and_classifies_it_once(tmp_path):
    """Two clips of one file through a linked folder: the client waits for a reply to each path it sent."""
    counter = CountingClassifier()
    ctx = make_ctx()
    ctx.classify_many = counter.classify_many
    kick = put(tmp_path / "samples" / "k.wav", "kick")
    bad = put(tmp_path / "samples" / "x.wav", "bad")
    os.symlink(tmp_path / "samples", tmp_path / "link")
    via_link = str(tmp_path / "link" / "k.wav")
    replies = run(ctx, request("classify_many", rest=(kick, via_link, kick, bad, str(tmp_path / "link" / "x.wav"))))
    results = [r.args[1] for r in replies if r.address == f"{P}/result"]
    errors = [r.args[1] for r in replies if r.address == f"{P}/file_error"]
    assert results == [kick, via_link]  # the same string twice is answered once
    assert errors == [bad, str(tmp_path / "link" / "x.wav")]
    assert counter.many == [[os.path.realpath(kick), os.path.realpath(bad)]]
    assert replies[-1].args[2:] == (2, 2, 0)  # counts are per spelling: ok + failed = replies sent
    # a folder given under two spellings: each file is answered under both
    replies = run(ctx, request("classify_many", rest=(str(tmp_path / "samples"), str(tmp_path / "link")), rid=8))
    assert sorted(r.args[1] for r in replies if r.address == f"{P}/result") == sorted([kick, via_link])
    assert replies[-1].args[2:] == (2, 2, 0)


def leaky_root(tmp_path):
    """An allowed folder with a file of its own, a link to a folder outside it and a link to a file outside it."""
    root, private = tmp_path / "root", tmp_path / "outside" / "private"
    mine = put(root / "mine" / "k.wav", "kick")
    for name in ("secret-take-1.wav", "secret-take-2.wav"):
        put(private / name, "snare")
    os.symlink(private, root / "ext")
    os.symlink(private / "secret-take-1.wav", root / "one.wav")
    return root, mine


def test_classify_many_names_the_links_leading_outside_the_roots_not_the_files_behind_them(tmp_path):
    root, mine = leaky_root(tmp_path)
    ctx = make_ctx(allow_roots=(str(root),), iter_audio_files=classify_mod.iter_audio_files)  # follows links
    replies = run(ctx, request("classify_many", rest=(str(root),)))
    assert [r.args[1] for r in replies if r.address == f"{P}/result"] == [mine]
    errors = [r.args[1:] for r in replies if r.address == f"{P}/file_error"]
    assert sorted(errors) == [(str(root / "ext"), handlers.OUTSIDE), (str(root / "one.wav"), handlers.OUTSIDE)]
    assert not any("secret" in str(r.args) for r in replies)
    assert replies[-1].args[2:] == (1, 2, 0)


def test_tag_under_allow_root_gives_tag_paths_only_the_files_inside(tmp_path):
    root, mine = leaky_root(tmp_path)
    seen = []

    def tag_paths(paths, *, model, catalog_path=None, progress=None, cancel=None, allowed=None, refused=None):
        seen.extend(classify_mod.iter_audio_files(paths, allowed=allowed, refused=refused))  # as tag_paths walks
        return SimpleNamespace(ok=len(seen), failed=0, skipped=0)

    ctx = make_ctx(allow_roots=(str(root),), iter_audio_files=classify_mod.iter_audio_files, tag_paths=tag_paths,
                   catalog_path=str(tmp_path / "catalog.sqlite"))
    replies = run(ctx, request("tag", rest=(str(root),), rid=3))
    assert [os.path.realpath(p) for p in seen] == [os.path.realpath(mine)]
    assert replies[-1] == (f"{P}/done", (3, f"{P}/tag", 1, 2, 0))  # each link leading outside counts as failed
