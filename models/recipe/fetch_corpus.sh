#!/usr/bin/env bash
# Fetch and extract drumtag's training corpus (shared/data/TRAINING_SOURCES.md) into a cache outside the repo.
# usage: bash models/recipe/fetch_corpus.sh            (cache: ${DRUMTAG_CORPUS:-$HOME/.cache/drumtag-corpus})
# Idempotent: every step is skipped when its output exists; outputs are built in a temp dir and renamed into place,
# so an interrupted run leaves nothing half-made. Needs apt-get, dpkg-deb, npm, python3 with numpy + soundfile, pip.
set -euo pipefail
RECIPE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA_DIR="${DRUMTAG_CORPUS:-$HOME/.cache/drumtag-corpus}"
mkdir -p "$DATA_DIR/debs" "$DATA_DIR/train/_src" "$DATA_DIR/tools"
log() { echo "fetch_corpus: $*" >&2; }

# build_into DEST CMD...: run CMD with $TMPOUT set to a fresh temp dir, then rename it to DEST (skip if DEST exists).
build_into() {
  local dest="$1"; shift
  [ -d "$dest" ] && return 0
  log "building $dest"
  TMPOUT="$dest.tmp.$$"; rm -rf "$TMPOUT"; mkdir -p "$TMPOUT"
  "$@"
  mv "$TMPOUT" "$dest"
}

# 1) Debian packages: audio used as is (lmms, stk, chuck, exadrums, supercollider) -> train/<pkg>
#    packages that need conversion (pat / sf2)                                      -> train/_src/<pkg>
# EXCLUSION: avldrums.lv2-soundfont (AVL drum kits) overlaps the private evaluation set and must never be fetched.
# Versions pinned to the ones TRAINING_SOURCES.md counted (Debian 12 "bookworm").
PACKAGES=(lmms-common=1.2.2+dfsg1-6 stk=4.6.2+dfsg-2 chuck-data=1.4.2.0-1 exadrums=0.7.0-1
          supercollider-common=1:3.13.0+repack-1 freepats=20060219-4 fluid-soundfont-gm=3.1-5.3
          timgm6mb-soundfont=1.3-5 csound-soundfont=1:6.18.1+dfsg-1)
cd "$DATA_DIR/debs"
updated=0
for spec in "${PACKAGES[@]}"; do
  p="${spec%%=*}"
  case $p in avldrums*) echo "fetch_corpus: refusing $p: excluded (evaluation overlap)" >&2; exit 1;; esac
  if ! ls "${p}"_*.deb >/dev/null 2>&1; then
    log "apt-get download $spec"
    if ! apt-get download "$spec" >&2; then
      [ "$updated" = 1 ] && { log "apt-get download $spec failed"; exit 1; }
      log "apt-get download $spec failed; running apt-get update once"
      apt-get update >&2; updated=1
      apt-get download "$spec" >&2 || { log "apt-get download $spec failed (version gone from the archive?)"; exit 1; }
    fi
  fi
  case $p in freepats|*soundfont*) dest="$DATA_DIR/train/_src/$p";; *) dest="$DATA_DIR/train/$p";; esac
  deb=$(ls "${p}"_*.deb | head -n 1)
  build_into "$dest" eval 'dpkg-deb -x "$deb" "$TMPOUT"'
done

# 2) Sonic Pi samples from npm (CC0; byte-identical superset of Debian's sonic-pi-samples 3.2.2)
NPM_TGZ=supersonic-scsynth-samples-0.84.2.tgz
[ -f "$NPM_TGZ" ] || { log "npm pack supersonic-scsynth-samples@0.84.2"; npm pack --silent supersonic-scsynth-samples@0.84.2 >&2; }
build_into "$DATA_DIR/train/npm-supersonic-scsynth-samples" eval 'tar -xzf "$DATA_DIR/debs/$NPM_TGZ" -C "$TMPOUT"'

# 3) freepats GUS .pat -> wav (numpy + soundfile)
P="$DATA_DIR/train/_src/freepats/usr/share/midi/freepats"
build_into "$DATA_DIR/train/freepats/drums" eval 'python3 "$RECIPE/pat2wav.py" "$TMPOUT" "$P"/Drum_000/*.pat'
build_into "$DATA_DIR/train/freepats/tones" eval 'python3 "$RECIPE/pat2wav.py" "$TMPOUT" "$P"/Tone_000/*.pat'

# 4) GM soundfonts: export every sample used by a drum preset (bank 128, minus 48 Orchestra/56 SFX/127 CM-64)
build_into "$DATA_DIR/tools/pylib" eval 'python3 -m pip install --quiet --disable-pip-version-check --target "$TMPOUT" sf2utils==1.0.0 >&2'
S="$DATA_DIR/train/_src"
for sf2 in "$S"/fluid-soundfont-gm/usr/share/sounds/sf2/FluidR3_GM.sf2 \
           "$S"/timgm6mb-soundfont/usr/share/sounds/sf2/TimGM6mb.sf2 \
           "$S"/csound-soundfont/usr/share/sounds/sf2/sf_GMbank.sf2; do
  n=$(basename "$sf2" .sf2)
  build_into "$DATA_DIR/train/sf2-drums/$n" \
    eval 'PYTHONPATH="$DATA_DIR/tools/pylib" python3 "$RECIPE/sf2drums.py" "$sf2" "$TMPOUT"'
done

# 5) STK rawwaves: headerless s16 big-endian 22050 Hz mono -> wav, so drumtag's soundfile loader reads every path
build_into "$DATA_DIR/train/stk-wav" \
  eval 'python3 "$RECIPE/raw2wav.py" "$TMPOUT" "$DATA_DIR"/train/stk/usr/share/stk/rawwaves/*.raw'

log "corpus ready in $DATA_DIR/train"
echo "$DATA_DIR"
