"""The process-pool helper: workers forked after the preload start with the audio and FFT modules imported."""

import subprocess
import sys
import textwrap


def test_forked_workers_inherit_the_preloaded_modules():
    script = textwrap.dedent("""
        import sys, threading
        import oscserver.classify as C

        def probe(_):
            return all(m in sys.modules for m in ("scipy.fft", "soundfile", "soxr"))

        assert "scipy.fft" not in sys.modules  # nothing imported it yet
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
