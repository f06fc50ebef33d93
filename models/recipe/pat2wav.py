"""Convert Gravis UltraSound .pat patches into one 16-bit wav per waveform (used by fetch_corpus.sh)."""
# usage: python3 pat2wav.py OUTDIR FILE.pat...   -> OUTDIR/<patch name>__w<K>.wav
import os
import struct
import sys

import numpy as np
import soundfile as sf

HEADER_BYTES = 239        # 129-byte file header + 63-byte instrument header + 47-byte layer header
WAVE_HEADER_BYTES = 96    # per-waveform sample header


def waveforms(data: bytes, name: str):
    """Yield (pcm float32 [shape=(n,)], sample rate) for every waveform in the patch bytes."""
    if data[:8] != b"GF1PATCH":
        raise ValueError(f"{name}: not a GUS patch (no GF1PATCH magic)")
    nwaves = struct.unpack_from("<H", data, 85)[0]
    off = HEADER_BYTES
    for _ in range(nwaves):
        size, _loop_start, _loop_end, rate = struct.unpack_from("<IIIH", data, off + 8)
        modes = data[off + 55]
        raw = data[off + WAVE_HEADER_BYTES: off + WAVE_HEADER_BYTES + size]
        unsigned = bool(modes & 2)
        if modes & 1:   # 16-bit
            x = np.frombuffer(raw, "<u2" if unsigned else "<i2").astype(np.float32)
            x = (x - (32768 if unsigned else 0)) / 32768
        else:           # 8-bit
            x = np.frombuffer(raw, "u1" if unsigned else "i1").astype(np.float32)
            x = (x - (128 if unsigned else 0)) / 128
        yield x, rate
        off += WAVE_HEADER_BYTES + size


def main(argv: list[str]) -> int:
    out, pats = argv[0], argv[1:]
    os.makedirs(out, exist_ok=True)
    for p in pats:
        with open(p, "rb") as f:
            data = f.read()
        stem = os.path.splitext(os.path.basename(p))[0]
        for w, (x, rate) in enumerate(waveforms(data, p)):
            sf.write(os.path.join(out, f"{stem}__w{w}.wav"), x, rate, subtype="PCM_16")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
