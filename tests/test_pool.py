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
