"""DrumModel: a scikit-learn estimator with its feature spec, classes and metadata; save, load and version checks.

A model file is a zlib-compressed joblib pickle of a plain dict: ``{"format", "metadata", "estimator", "forest"}``:
``estimator`` is the estimator's own joblib pickle as bytes and ``forest`` (optional: ExtraTrees and RandomForest
only, absent from older files) the same trees compiled to numpy arrays by ``forest.compile_forest``. Loading reads
the metadata first and refuses a model made with another feature version or scikit-learn release before any
scikit-learn object is unpickled. A model with a compiled forest then predicts without importing scikit-learn, and
unpickles its estimator only when ``DrumModel.estimator`` is first used. Pickles can run code: load only model
files you trust.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import zlib
from pathlib import Path

import numpy as np

from . import __version__, calibration
from .atomicfile import atomic_write
from .errors import ModelError
from .features import FEATURE_VERSION, FeatureSpec
from .forest import compile_forest
from .forest import predict_proba as forest_proba

log = logging.getLogger(__name__)

FORMAT = "drumtag-model/1"
BUNDLED_NAME = "drumtag-default.joblib"


def bundled_model_path() -> Path:
    """Where the bundled model lives: ``oscserver/bundled/`` when installed, ``models/`` in a source checkout."""
    try:
        from . import bundled

        return Path(bundled.__file__).with_name(BUNDLED_NAME)
    except ImportError:  # running from a source tree that shadows the installed package
        return Path(__file__).resolve().parent.parent / "models" / BUNDLED_NAME


class DrumModel:
    """A trained classifier and everything needed to use and judge it.

    ``forest`` is the estimator compiled by ``forest.compile_forest`` (or None): when present it makes the
    predictions, and ``estimator`` may be given as its joblib pickle (``pickled``), unpickled on first use.
    """

    def __init__(self, estimator=None, *, spec: FeatureSpec, classes: tuple[str, ...], metadata: dict | None = None,
                 path: str | None = None, forest: dict | None = None, pickled: bytes | None = None):
        self._estimator, self._pickled = estimator, pickled
        self.spec, self.classes, self.forest, self.path = spec, classes, forest, path
        self.metadata = {} if metadata is None else metadata

    @property
    def estimator(self):
        """The scikit-learn estimator (imports scikit-learn)."""
        if self._estimator is None:
            self._estimator, self._pickled = _unpickle_estimator(self._pickled, self.path), None
        return self._estimator

    @property
    def model_id(self) -> str:
        return self.metadata.get("model_id", "unsaved")

    @property
    def feature_version(self) -> int:
        return self.spec.version

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """X : [shape=(n, n_features)] -> probabilities [shape=(n, len(classes))], columns in ``classes`` order,
        calibrated as the model's metadata says (``calibration.py``)."""
        X = np.ascontiguousarray(np.atleast_2d(X), dtype=np.float32)
        if self.forest is not None:
            proba, classes = forest_proba(self.forest, X), self.forest["classes"]
        else:
            est = self.estimator
            classes = list(est.classes_)
            if _is_plain_forest(est):
                # what ForestClassifier.predict_proba computes, without its per-call thread pool and input checks
                proba = np.zeros((len(X), len(classes)))
                for tree in est.estimators_:
                    proba += tree.predict_proba(X, check_input=False)
                proba /= len(est.estimators_)
            else:
                proba = est.predict_proba(X)
        order = [classes.index(c) for c in self.classes]
        return calibration.apply(proba[:, order], calibration.exponent_of(self.metadata))

    def save(self, path: str | os.PathLike) -> str:
        """Write the model atomically (temp file + rename); an existing file is replaced only on success."""
        import joblib

        path = os.fspath(path)
        est = self.estimator
        buf = io.BytesIO()
        joblib.dump(est, buf, compress=("zlib", 6))
        payload = {"format": FORMAT, "metadata": dict(self.metadata, spec=self.spec.to_dict(),
                                                      classes=list(self.classes)),
                   "estimator": buf.getvalue()}
        if _is_plain_forest(est):
            payload["forest"] = compile_forest(est)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with atomic_write(path, "wb") as f:  # compressed: the forest's arrays shrink ~6x (the bundled model < 10 MB)
            joblib.dump(payload, f, compress=("zlib", 3))
        self.path = path
        return path


def _is_plain_forest(est) -> bool:
    """An ExtraTrees or RandomForest classifier with a single output, whose trees can be averaged directly."""
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

    return (isinstance(est, (ExtraTreesClassifier, RandomForestClassifier)) and getattr(est, "n_outputs_", 1) == 1
            and hasattr(est, "estimators_"))


def _minor(version: str) -> tuple[int, ...]:
    parts = []
    for p in version.split(".")[:2]:
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def load_model(path: str | os.PathLike | None = None) -> DrumModel:
    """Load a model file (``None``: the bundled model). Raises ModelError saying what to do when it cannot."""
    import joblib

    bundled = path is None
    path = os.fspath(bundled_model_path() if bundled else path)
    if not os.path.isfile(path):
        if bundled:
            raise ModelError(f"the bundled model is missing ({path}); reinstall drumtag or rebuild it with "
                             "models/recipe/build_default_model.sh")
        if os.path.isdir(path):
            raise ModelError(f"{path}: is a folder, not a model file (drumtag train writes one, for example "
                             "my-model.joblib)")
        raise ModelError(f"{path}: no such model file")
    try:
        payload = joblib.load(path)
    except Exception as exc:
        if not _cut_short(exc):  # a pickle can fail in many ways; all mean "not a usable model file"
            raise ModelError(f"{path}: not a drumtag model file ({type(exc).__name__}: {exc})") from None
        raise ModelError(f"{path}: truncated or damaged ({type(exc).__name__}{': ' if str(exc) else ''}{exc}); "
                         "copy it again, or train it again with `drumtag train`") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path}: not a drumtag model file (expected format {FORMAT}); "
                         "train one with `drumtag train`")
    meta = payload.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("spec"), dict) or not meta.get("classes") \
            or "estimator" not in payload:
        raise ModelError(f"{path}: a drumtag model file without its metadata, feature spec, classes or estimator "
                         "(not written by `drumtag train`); train it again with `drumtag train`")
    version = meta["spec"].get("version")
    if version != FEATURE_VERSION:
        raise ModelError(f"{path}: made with feature version {version}, but this drumtag ({__version__}) extracts "
                         f"feature version {FEATURE_VERSION}; retrain it with `drumtag train`, or install the "
                         f"drumtag version it was made with ({meta.get('drumtag_version', 'unknown')})")
    made_with = (meta.get("versions") or {}).get("scikit-learn")
    if made_with is None:
        raise ModelError(f"{path}: does not say which scikit-learn made it, so it cannot be checked against the "
                         "installed one; train it again with `drumtag train`")
    installed = _installed_sklearn_version()
    if _minor(made_with) != _minor(installed):
        raise ModelError(f"{path}: made with scikit-learn {made_with}, but {installed} is installed; "
                         f"install it with `pip install scikit-learn=={made_with}` or retrain with `drumtag train`")
    try:
        spec = FeatureSpec.from_dict(meta["spec"])
    except (KeyError, TypeError) as exc:
        raise ModelError(f"{path}: its feature spec does not match feature version {FEATURE_VERSION} ({exc}); "
                         "retrain it with `drumtag train`") from None
    fields = {"spec": spec, "classes": tuple(meta["classes"]), "metadata": meta, "path": path}
    if "forest" in payload:  # predicts without scikit-learn: the estimator stays pickled until it is asked for
        return DrumModel(forest=payload["forest"], pickled=payload["estimator"], **fields)
    return DrumModel(_unpickle_estimator(payload["estimator"], path), **fields)


def _cut_short(exc: Exception) -> bool:
    """Whether loading failed because the file ends early (an interrupted copy or download), as joblib and pickle
    say it: the compressed stream or a frame runs out, or a length field is cut."""
    import pickle
    import struct

    if isinstance(exc, (EOFError, zlib.error, struct.error)):
        return True
    return isinstance(exc, pickle.UnpicklingError) and any(w in str(exc) for w in ("exhausted", "truncated"))


def _installed_sklearn_version() -> str:
    """From the distribution's metadata when it has one: importing scikit-learn takes most of a second."""
    from importlib import metadata

    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        import sklearn

        return sklearn.__version__


def _unpickle_estimator(pickled: bytes, path: str | None):
    import joblib

    try:
        return joblib.load(io.BytesIO(pickled))
    except Exception as exc:
        raise ModelError(f"{path}: the estimator cannot be loaded ({type(exc).__name__}: {exc}); "
                         "retrain with `drumtag train`") from None


def library_versions() -> dict[str, str]:
    import joblib
    import sklearn
    import soundfile

    return {"drumtag": __version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "joblib": joblib.__version__, "soundfile": soundfile.__version__,
            "libsndfile": soundfile.__libsndfile_version__}


def content_id(X: np.ndarray, y, params: dict) -> str:
    """A short id that changes whenever the training data or parameters change (reproducible, no timestamps)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(X, dtype=np.float32).tobytes())
    h.update("\0".join(map(str, y)).encode())
    h.update(repr(sorted(params.items())).encode())
    return h.hexdigest()[:12]
