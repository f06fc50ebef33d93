"""The process-pool helper: workers forked after the preload start with the audio and FFT modules imported."""

import subprocess
import sys
import textwrap


def test_forked_workers_inherit_the_preloaded_modules():
    script = textwrap.dedent("""
        import sys, threading
        import oscserver.classify as C
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
