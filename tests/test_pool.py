"""Worker processes: forked after the preload, they start with the audio and FFT modules imported; a file whose
worker dies fails alone; a sound that breaks its batch fails alone."""

import os
import subprocess
import sys
import textwrap


def test_forked_workers_inherit_the_preloaded_modules():
    script = textwrap.dedent("""
        import sys, threading
        import oscserver.workers as C
        from oscserver import fft

        def probe(_):
            loaded = fft.backend.cache_info().currsize == 1  # the FFT module, loaded once: not again here
            return loaded and all(m in sys.modules for m in ("soundfile", "soxr"))

        assert fft.backend.cache_info().currsize == 0 and "soxr" not in sys.modules  # nothing loaded them yet
        C.start_preload()
        results = list(C.map_unordered(probe, list(range(8)), initializer=lambda: None, jobs=2))
        assert not C._preload.is_alive()  # joined before the fork
        print(C.pool_start_method(), results)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    method, _, results = out.stdout.strip().partition(" ")
    assert results == str([True] * 8)
    assert method == "fork"


def test_a_run_that_ends_at_once_still_lets_the_preload_finish_before_the_process_exits(tmp_path):
    """A tag run with nothing to classify can end while the preload thread is inside native imports; killed
    there at exit, it aborted the process now and then (exit 134). The process now waits for it."""
    done = tmp_path / "preload finished"
    script = textwrap.dedent(f"""
        import time
        import oscserver.workers as C

        def slow_imports():
            time.sleep(0.5)
            open({str(done)!r}, "w").close()

        C._import_worker_modules = slow_imports
        C.start_preload()
    """)  # and exit at once
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert done.exists()


def test_a_sound_that_breaks_its_batch_fails_alone(tmp_path, synth_model, monkeypatch):
    """Workers extract a few files at a time; if that fails, each file is tried on its own, so only the file at
    fault gets an error, naming the reason."""
    import numpy as np

    import synth
    from oscserver import classify as C

    paths = [synth.write(tmp_path / f"s{i}.wav", synth.varied(("kick", "snare", "hat")[i % 3], i)) for i in range(6)]
    real = C.extract

    def extract_batch(ys, **kw):
        raise ValueError("batch broke")

    bad = C.load_audio(paths[2]).y

    def extract(y, **kw):
        if np.array_equal(y, bad):
            raise ValueError("this one is bad")
        return real(y, **kw)

    monkeypatch.setattr(C, "extract_batch", extract_batch)
    monkeypatch.setattr(C, "extract", extract)
    preds = {p.path: p for p in C.classify_many(paths, synth_model, jobs=1)}
    assert set(preds) == set(paths)
    assert preds[paths[2]].error == "unexpected error: ValueError: this one is bad" and preds[paths[2]].label is None
    assert all(preds[p].error is None and preds[p].label for p in paths if p != paths[2])
    assert all(np.array_equal(preds[p].features, C.file_features(p, synth_model.spec)) for p in paths if p != paths[2])


def test_a_file_that_kills_its_worker_fails_alone_and_the_run_goes_on(tmp_path, synth_model, monkeypatch):
    """A crash in a native decoder ends the worker process: the files in flight are tried again one at a time,
    and only the one that kills its worker on its own gets an error."""
    import synth
    from oscserver import classify as C
    from oscserver import workers

    paths = [synth.write(tmp_path / f"s{i:02d}.wav", synth.varied(("kick", "snare", "hat")[i % 3], i))
             for i in range(24)]
    real = C.load_audio

    def load_audio(path, **kw):
        if path == paths[9]:
            os._exit(3)  # what a segfault in libsndfile looks like to the pool
        return real(path, **kw)

    monkeypatch.setattr(C, "load_audio", load_audio)  # forked workers inherit it
    monkeypatch.setattr(workers, "pool_start_method", lambda: "fork")
    preds = {p.path: p for p in C.classify_many(paths, synth_model, jobs=2)}
    assert set(preds) == set(paths)
    assert "worker process died" in preds[paths[9]].error and preds[paths[9]].label is None
    assert all(preds[p].error is None and preds[p].label for p in paths if p != paths[9])


def test_classify_many_keeps_a_bounded_number_of_files_in_flight(tmp_path, synth_model, monkeypatch,
                                                                  pending_after_submit):
    import synth
    from oscserver import classify as C

    paths = [synth.write(tmp_path / f"t{i:02d}.wav", synth.tone(duration=0.1 + 0.01 * i)) for i in range(30)]
    monkeypatch.setattr(C, "MAX_PENDING", 5)
    preds = list(C.classify_many(paths, synth_model, jobs=2))
    assert sorted(p.path for p in preds) == paths and all(p.label for p in preds)
    seen = pending_after_submit
    assert len(seen) == 6 and max(seen) <= 10


def test_results_stream_out_after_max_delay_without_waiting_for_a_full_batch(tmp_path, synth_model, monkeypatch):
    import time

    import synth
    from oscserver import classify as C

    paths = [synth.write(tmp_path / f"k{i}.wav", synth.kick()) for i in range(8)]
    real = C.load_audio
    monkeypatch.setattr(C, "load_audio", lambda path, **kw: time.sleep(0.03) or real(path, **kw))  # slow files
    with C.ClassifyStream(synth_model, jobs=1, batch=1000, max_delay=0.05) as stream:
        stream.submit(paths, last=True)
        first = stream.ready(wait=True)
        assert 1 <= len(first) < len(paths) and stream.pending == len(paths) - len(first)
        rest = []
        while stream.pending:
            rest += stream.ready(wait=True)
    assert sorted(p.path for p in first + rest) == paths and all(p.label for p in first + rest)


def test_closing_with_an_item_still_running_does_not_wait_for_it():
    """A cancelled run whose worker is stuck on a file (a stalled share) must still end, and a server's thread
    come back: close ends the processes instead of waiting for the item."""
    script = textwrap.dedent("""
        import time
        import oscserver.workers as C

        def stuck(x):
            if x == "stuck":
                time.sleep(120)
            return x

        w = C.Workers(stuck, initializer=lambda: None, jobs=2)
        w.submit("ok")
        w.submit("stuck")
        assert w.results(wait=True, timeout=30)[0][1] == "ok"
        t = time.monotonic()
        w.close()
        print(round(time.monotonic() - t, 1))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) < 10
