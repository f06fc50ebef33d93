"""Convert STK headerless .raw rawwaves (s16 big-endian, 22050 Hz, mono) into 16-bit wav files."""
# usage: python3 raw2wav.py OUTDIR FILE.raw...   -> OUTDIR/<name>.wav
import os
import sys

import soundfile as sf

STK_RAW = dict(format="RAW", subtype="PCM_16", endian="BIG", samplerate=22050, channels=1)


def main(argv: list[str]) -> int:
    out, raws = argv[0], argv[1:]
    os.makedirs(out, exist_ok=True)
    for p in raws:
        x, sr = sf.read(p, dtype="int16", **STK_RAW)
        stem = os.path.splitext(os.path.basename(p))[0]
        sf.write(os.path.join(out, f"{stem}.wav"), x, sr, subtype="PCM_16")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
