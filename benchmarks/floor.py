"""The speed floor for per-file work: decode + resample + one STFT per file on ``jobs`` processes, in files/s.

Any tagger has to do at least this much for every file, so benchmarks print their figures next to it. The pool
is started and its workers have imported their libraries before the clock starts, so the floor is the best
case (the pipelines measured against it pay their own start-up).
"""

from __future__ import annotations

import multiprocessing as mp
import time


def _warm(_: int) -> None:
    import numpy  # noqa: F401
    import soundfile  # noqa: F401
    import soxr  # noqa: F401

    from oscserver.features import stft  # noqa: F401


def _one(job: tuple[str, int, int, int]) -> int:
    import numpy as np
    import soundfile as sf
    import soxr

    from oscserver.features import stft

    path, sr, n_fft, hop_length = job
    y, file_sr = sf.read(path, dtype="float32", always_2d=True)
    y = y.mean(axis=1)
    if file_sr != sr:
        y = soxr.resample(y, file_sr, sr, quality="HQ").astype(np.float32, copy=False)
    return stft(y, n_fft=n_fft, hop_length=hop_length).shape[1]


def floor_files_per_second(files, *, sr: int = 22050, jobs: int = 2, n_fft: int = 1024,
                           hop_length: int = 256) -> float:
    """Files per second for decode (soundfile) + resample to ``sr`` (soxr HQ) + one STFT, on ``jobs`` processes."""
    files = list(files)
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    with mp.get_context(method).Pool(jobs) as pool:
        pool.map(_warm, range(jobs * 4), chunksize=1)
        start = time.perf_counter()
        chunk = max(1, min(8, len(files) // (jobs * 8)))
        for _ in pool.imap_unordered(_one, [(f, sr, n_fft, hop_length) for f in files], chunksize=chunk):
            pass
        return len(files) / (time.perf_counter() - start)
