"""Export every sample a GM sound font's drum presets play, as wav named by sample index, name and GM keys."""
# usage: PYTHONPATH=<dir with sf2utils> python3 sf2drums.py FONT.sf2 OUTDIR
#   -> OUTDIR/<sampleidx>_<name>_k<GM keys joined by ->.wav (mono, native rate)
# Drum presets = bank 128, minus 48 (Orchestra), 56 (SFX) and 127 (CM-64), as in TRAINING_SOURCES.md.
import collections
import logging
import os
import re
import sys

SKIP_DRUM_PRESETS = (48, 56, 127)


def main(argv: list[str]) -> int:
    logging.disable(logging.WARNING)    # sf2utils warns about every odd generator
    from sf2utils.sf2parse import Sf2File

    font, out = argv
    os.makedirs(out, exist_ok=True)
    with open(font, "rb") as f:
        sf2 = Sf2File(f)
        index = {id(s): i for i, s in enumerate(sf2.samples)}
        keys_of = collections.defaultdict(set)
        sample_of = {}
        for preset in sf2.presets:
            if preset.name == "EOP" or getattr(preset, "bank", None) != 128 or preset.preset in SKIP_DRUM_PRESETS:
                continue
            for key in range(128):
                for s in preset.key_samples(key):
                    keys_of[id(s)].add(key)
                    sample_of[id(s)] = s
        for sid, keys in keys_of.items():
            s = sample_of[sid]
            name = re.sub(r"[^A-Za-z0-9.+-]+", "_", s.name).strip("_")
            fname = f"{index[sid]:04d}_{name}_k{'-'.join(map(str, sorted(keys)))}.wav"
            with open(os.path.join(out, fname), "wb") as g:
                s.export(g)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
