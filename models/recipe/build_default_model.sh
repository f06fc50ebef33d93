#!/usr/bin/env bash
# Rebuild the bundled model from nothing: fetch the training corpus (cached outside the repository), label it,
# render LMMS's DrumSynth presets, train with the settings chosen by grouped cross-validation, score the model on
# one note per GM melodic program of each GM soundfont and on Hydrogen's 16 drum kits (never trained on), measure
# the score against the number of training packs, write the card.
#
#   bash models/recipe/build_default_model.sh   # about 10 minutes on 2 cores: fetch ~1 min, renders ~30 s + ~40 s,
#                                               # train ~1 min, Hydrogen kits (143 MB more to fetch) ~40 s,
#                                               # learning curve ~3 min
#
# Needs apt-get, dpkg-deb and npm (for the fetch only), fluidsynth (installed with apt-get when missing) and drumtag
# installed (pip install -e .).
# Deterministic: the same corpus gives the same model id on the same machine and library versions (estimator seed
# 0, seeded augmentation; another CPU can change float32 features in their last bits, and so the id).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
models="$(dirname "$here")"
export DRUMTAG_CORPUS="${DRUMTAG_CORPUS:-$HOME/.cache/drumtag-corpus}"

bash "$here/fetch_corpus.sh"
python3 "$here/label_corpus.py" "$DRUMTAG_CORPUS" -o "$DRUMTAG_CORPUS/corpus.csv"
python3 "$here/drumsynth.py" "$DRUMTAG_CORPUS"
python3 "$here/label_drumsynth.py" "$DRUMTAG_CORPUS" --corpus-csv "$DRUMTAG_CORPUS/corpus.csv" \
    --merged "$DRUMTAG_CORPUS/corpus_plus_drumsynth.csv"
# the version the card's figures were made with; renders may differ under another
fluid=fluidsynth=2.3.1-2
command -v fluidsynth >/dev/null || apt-get install -y "$fluid" || { apt-get update && apt-get install -y "$fluid"; }
python3 "$here/gm_melodic.py" "$DRUMTAG_CORPUS"
# held out: Hydrogen's kits are not a training source (TRAINING_SOURCES.md does not list them); they check the model
python3 "$here/hydrogen_kits.py" "$DRUMTAG_CORPUS" --training-csv "$DRUMTAG_CORPUS/corpus_plus_drumsynth.csv"

# Chosen by models/recipe/select_model.py (grouped CV; see models/README.md).
python3 -m oscserver train "$DRUMTAG_CORPUS/corpus_plus_drumsynth.csv" \
    --output "$models/drumtag-default.joblib" --estimator extratrees --augment 0 --weighting pack --seed 0 --cv-repeats 8
python3 -m oscserver evaluate "$DRUMTAG_CORPUS/gm_melodic.csv" --model "$models/drumtag-default.joblib" --png '' \
    --json "$DRUMTAG_CORPUS/gm_melodic_eval.json" >/dev/null
python3 -m oscserver evaluate "$DRUMTAG_CORPUS/hydrogen_heldout.csv" --model "$models/drumtag-default.joblib" --png '' \
    --json "$DRUMTAG_CORPUS/hydrogen_eval.json" >/dev/null
python3 "$here/learning_curve.py" "$DRUMTAG_CORPUS/corpus_plus_drumsynth.csv" \
    --json "$DRUMTAG_CORPUS/learning_curve.json" >/dev/null
python3 "$here/model_card.py" "$models/drumtag-default.joblib" -o "$models/README.md" \
    --learning-curve "$DRUMTAG_CORPUS/learning_curve.json" \
    --check "GM melodic notes, one per program of FluidR3, TimGM6mb and sf_GMbank (gm_melodic.py)=$DRUMTAG_CORPUS/gm_melodic_eval.json" \
    --check "Hydrogen's drum kits, Debian hydrogen-data and hydrogen-drumkits (hydrogen_kits.py)=$(
            )$DRUMTAG_CORPUS/hydrogen_eval.json"
