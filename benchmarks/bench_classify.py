"""Speed and memory of `drumtag classify`, printed next to the floor and the targets (not a pass/fail test).

    python benchmarks/bench_classify.py [--folder DIR] [--files 3000] [--model FILE]

1. files/s of `drumtag classify --json FOLDER` (a fresh process, start-up included) against the floor: decode +
   resample + one STFT of the same files on both cores (benchmarks/floor.py). Target: at least half the floor.
2. cold time of `drumtag classify one.wav` (fresh process; median of 5). Target: within 1.5 s.
3. peak memory (max RSS) of classifying a 10-minute WAV. Target: under 300 MB.
4. size of the model file. Target: under 10 MB.
Without --folder, a folder of synthesized one-shots is made (mixed rates 44.1/48 kHz, mono and stereo, 16/24 bit).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "tests"), HERE]


def make_folder(root: str, n: int) -> str:
    import numpy as np

    import synth

    labels = list(synth.GENERATORS)
    for i in range(n):
        label = labels[i % len(labels)]
        sr = (44100, 48000)[i % 2]
        y = synth.varied(label, i, sr=sr)
        if i % 3 == 0:
            y = np.stack([y, y * 0.8], axis=1)
        synth.write(os.path.join(root, f"pack{i % 7}", f"{label}_{i:04d}.wav"), y, sr=sr,
                    subtype=("PCM_16", "PCM_24")[i % 2])
    return root


def run_child(args: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB of that child) for one fresh `python -m oscserver ...` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "oscserver", *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"drumtag {' '.join(args)} failed:\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) // 1024


def stream_rate(args: list[str]) -> tuple[float, float]:
    """(wall seconds of a fresh `drumtag ...` process, files/s between its first and last JSON line)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "oscserver", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    stamps = [time.perf_counter() for _ in proc.stdout]
    proc.wait()
    wall = time.perf_counter() - start
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and stamps[-1] > stamps[0] else 0.0
    return wall, steady


def peak_rss_mb(args: list[str]) -> int:
    """Max RSS of a fresh child alone (measured in a grandchild so earlier children don't mask it)."""
    code = ("import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "oscserver", *args],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    from oscserver.argtypes import at_least

    ap.add_argument("--folder", help="folder of audio files (default: synthesized one-shots)")
    # a library-sized folder: on a fast machine the floor does 600 files in 0.2 s, and the whole run's ratio then
    # measures drumtag's 0.4 s start-up rather than its speed (0.37 of the floor on 600 files, 0.56 on 3000)
    ap.add_argument("--files", type=at_least(1), default=3000,
                    help="how many synthesized files (default: %(default)s)")
    ap.add_argument("--model", help="model file (default: the bundled model)")
    args = ap.parse_args(argv)

    from oscserver.model import bundled_model_path

    model = args.model or str(bundled_model_path())
    if not os.path.isfile(model):
        ap.error(f"--model: no model file at {model}: pass --model or build the bundled model first")
    if args.folder and not os.path.isdir(args.folder):
        ap.error(f"--folder {args.folder}: not a folder")
    tmp = tempfile.mkdtemp(prefix="drumtag-bench-")
    try:  # the synthesized files and the 10-minute WAV take a few hundred MB: never left behind
        return _measure(args, model, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _measure(args, model: str, tmp: str) -> int:
    from floor import floor_files_per_second

    from oscserver.classify import iter_audio_files

    folder = args.folder or make_folder(os.path.join(tmp, "oneshots"), args.files)
    files = list(iter_audio_files([folder]))
    if not files:
        sys.exit(f"bench_classify: no audio files in {folder}")
    print(f"{len(files)} files in {folder}; model {model}; {os.cpu_count()} cores")

    floor_before = floor_files_per_second(files, jobs=2)
    wall, steady = stream_rate(["classify", "--json", "--model", model, folder])
    rate = len(files) / wall
    floor_after = floor_files_per_second(files, jobs=2)  # the floor moves between runs: the mean of both sides
    floor = (floor_before + floor_after) / 2
    print(f"classify folder : {rate:7.1f} files/s ({wall:.2f} s, process start-up and model load included)")
    print(f"  once running  : {steady:7.1f} files/s (from the first result to the last)")
    print(f"floor           : {floor:7.1f} files/s (decode + resample + one STFT, 2 processes, warm pool; mean of "
          f"{floor_before:.1f} before and {floor_after:.1f} after)")
    print(f"ratio           : {rate / floor:7.2f} of the floor overall, {steady / floor:.2f} once running "
          f"(target: >= 0.50)")

    one = files[0]
    colds = [run_child(["classify", "--model", model, one])[0] for _ in range(5)]
    print(f"cold one file   : {statistics.median(colds):7.2f} s median of 5 (min {min(colds):.2f})   "
          f"(target: <= 1.5 s)")

    import numpy as np
    import soundfile as sf

    song = os.path.join(tmp, "ten-minutes.wav")
    rng = np.random.default_rng(0)
    with sf.SoundFile(song, "w", samplerate=44100, channels=2, subtype="PCM_16") as f:
        for _ in range(60):  # 60 x 10 s, written in blocks so the benchmark itself stays small
            f.write((rng.standard_normal((441000, 2)) * 0.1).astype(np.float32))
    t0 = time.perf_counter()
    rss = peak_rss_mb(["classify", "--model", model, song])
    t_song = time.perf_counter() - t0
    print(f"10-minute WAV   : {rss:7d} MB peak RSS, {t_song:.2f} s   (target: < 300 MB; "
          f"about as long as one one-shot)")
    size = os.path.getsize(model) / 1e6
    print(f"model file      : {size:7.2f} MB   (target: < 10 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
