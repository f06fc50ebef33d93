"""Benchmark `drumtag tag`: a first run over N synthesized files and an unchanged re-run, against the floor.

The floor (benchmarks/floor.py) is what any tagger must do per file: decode, resample to the model's rate and
one STFT, on the same number of cores. ``classify_many`` alone (features and predictions, no catalog) is timed
too, to tell the tagger's own cost from the classifier's. Targets (issue 6): the first run at half the floor's
speed or better; the unchanged re-run at least 20 times faster than the first; memory flat in the number of
files (the peak of Python allocations in the main process, measured with tracemalloc on N/4, N/2 and N files).
The machine should be otherwise idle: the floor and the runs are measured one after the other, the floor both
before and after the runs (it moves by a third between runs on a shared machine), and the ratios use the mean.

    python benchmarks/bench_tag.py [--files 2000] [--jobs 2] [--model PATH] [--dir DIR] [--no-memory]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), os.path.join(os.path.dirname(HERE), "tests"), HERE]

CLASSES = ("kick", "snare", "hat", "percussion", "other")


def make_files(folder: str, n: int, *, sr: int = 44100) -> list[str]:
    """``n`` synthesized one-shots (16-bit WAV at ``sr``, so tagging has to resample), in packs of 100."""
    import synth

    paths = []
    for i in range(n):
        label = CLASSES[i % len(CLASSES)]
        path = os.path.join(folder, f"pack{i // 100:02d}", f"{label}_{i:05d}.wav")
        if not os.path.exists(path):
            synth.write(path, synth.varied(label, i, sr=sr), sr=sr, subtype="PCM_16")
        paths.append(path)
    return paths


def synth_model(tmp: str, jobs: int):
    """A model trained (with the real training code) on synthesized drums."""
    import synth
    from oscserver.dataset import load_dataset
    from oscserver.training import train_model

    root = synth.make_class_folder(os.path.join(tmp, "train"), per_class=6, packs=2)
    return train_model(load_dataset(root), jobs=jobs, cv_splits=2)[0]


def timed_tag(paths, model, catalog, jobs, *, memory: bool = False) -> tuple[float, float | None, object]:
    """(seconds, peak MiB of Python allocations in this process or None, summary)."""
    from oscserver.tagging import tag_paths

    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    summary = tag_paths(paths, model=model, catalog_path=catalog, jobs=jobs)
    seconds = time.perf_counter() - start
    peak = None
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return seconds, peak, summary


def main() -> int:
    from oscserver.argtypes import at_least

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=at_least(1), default=2000)
    ap.add_argument("--jobs", type=at_least(1), default=2)
    ap.add_argument("--model", help="model file (default: the bundled model); 'synth' trains a small one on "
                                    "synthesized drums first (speed depends on the features, not the model)")
    ap.add_argument("--dir", help="where to keep the synthesized files (default: a temporary folder)")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory runs (two more first runs)")
    args = ap.parse_args()
    if args.dir and os.path.exists(args.dir) and not os.path.isdir(args.dir):
        ap.error(f"--dir {args.dir}: is a file, not a folder")
    if args.model not in (None, "synth") and not os.path.isfile(args.model):
        ap.error(f"--model {args.model}: no such model file")

    from floor import floor_files_per_second
    from oscserver.model import load_model

    with tempfile.TemporaryDirectory(prefix="drumtag-bench-") as tmp:
        model = synth_model(tmp, args.jobs) if args.model == "synth" else load_model(args.model)
        folder = args.dir or os.path.join(tmp, "library")
        t = time.perf_counter()
        paths = make_files(folder, args.files)
        print(f"files: {len(paths)} synthesized one-shots (16-bit WAV, 44.1 kHz) in {folder} "
              f"({time.perf_counter() - t:.1f} s to make)")
        print(f"model: {model.model_id} (sr {model.spec.sr}), jobs {args.jobs}, {os.cpu_count()} cores")

        floor_before = floor_files_per_second(paths, sr=model.spec.sr, jobs=args.jobs)

        from oscserver.classify import classify_many

        start = time.perf_counter()
        n = sum(1 for _ in classify_many(paths, model, jobs=args.jobs))
        alone = n / (time.perf_counter() - start)
        catalog = os.path.join(tmp, "catalog.sqlite")
        first, _, s = timed_tag([folder], model, catalog, args.jobs)
        rate = len(paths) / first
        floor_after = floor_files_per_second(paths, sr=model.spec.sr, jobs=args.jobs)
        floor = (floor_before + floor_after) / 2
        print(f"floor (decode + resample + STFT, {args.jobs} jobs): {floor:8.1f} files/s "
              f"(mean of {floor_before:.1f} before and {floor_after:.1f} after the runs)")
        print(f"classify_many alone (no catalog): {alone:8.1f} files/s  = {alone / floor:.2f} x floor")
        print(f"first run:        {first:8.2f} s {rate:8.1f} files/s  = {rate / floor:.2f} x floor "
              f"(target >= 0.50)  [{s.ok} classified, {s.failed} failed]")
        again, _, s = timed_tag([folder], model, catalog, args.jobs)
        print(f"unchanged re-run: {again:8.2f} s {len(paths) / again:8.1f} files/s  = {first / again:.0f} x faster "
              f"than the first run (target >= 20)  [{s.skipped} unchanged]")

        if not args.no_memory:
            from oscserver.tagging import MAX_PENDING, WINDOW

            print(f"memory (flat beyond the files a run holds at once: up to {MAX_PENDING} in flight, "
                  f"{WINDOW} scanned and {WINDOW} read ahead):")
            for part in (4, 2, 1):  # N/4, N/2 and N files
                roots = sorted(paths)[: max(1, len(paths) // part)]
                cat = os.path.join(tmp, f"memory-{part}.sqlite")
                _, first_peak, s = timed_tag(roots, model, cat, args.jobs, memory=True)
                _, rerun_peak, _ = timed_tag(roots, model, cat, args.jobs, memory=True)
                print(f"  {s.total:6d} files: peak Python allocations in the main process "
                      f"{first_peak:6.2f} MiB first run, {rerun_peak:6.2f} MiB unchanged re-run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
