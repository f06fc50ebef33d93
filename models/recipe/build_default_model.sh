#!/usr/bin/env bash
# Rebuild the bundled model from nothing: fetch the training corpus (cached outside the repository), label it,
# render LMMS's DrumSynth presets, train with the settings chosen by grouped cross-validation, write the card.
#
#   bash models/recipe/build_default_model.sh          # about 5 minutes on 2 cores (fetch ~1 min, render ~30 s, train ~1 min)
#
# Needs apt-get, dpkg-deb and npm (for the fetch only) and drumtag installed (pip install -e .).
# Deterministic: the same corpus gives the same model id (estimator seed 0, seeded augmentation).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
models="$(dirname "$here")"
export DRUMTAG_CORPUS="${DRUMTAG_CORPUS:-$HOME/.cache/drumtag-corpus}"

bash "$here/fetch_corpus.sh"
python3 "$here/label_corpus.py" "$DRUMTAG_CORPUS" -o "$DRUMTAG_CORPUS/corpus.csv"
python3 "$here/drumsynth.py" "$DRUMTAG_CORPUS"
python3 "$here/label_drumsynth.py" "$DRUMTAG_CORPUS" --corpus-csv "$DRUMTAG_CORPUS/corpus.csv" \
    --merged "$DRUMTAG_CORPUS/corpus_plus_drumsynth.csv"

# Chosen by models/recipe/select_model.py (grouped CV; see models/README.md).
python3 -m oscserver train "$DRUMTAG_CORPUS/corpus_plus_drumsynth.csv" \
    --output "$models/drumtag-default.joblib" --estimator extratrees --augment 0 --seed 0
python3 "$here/model_card.py" "$models/drumtag-default.joblib" -o "$models/README.md"
