"""The catalogued sounds nearest to a file: standardized feature vectors compared by Euclidean distance.

The model's features have different units and ranges (Hz, dB, seconds, ratios), so each is standardized
(z-scored) with its mean and standard deviation over the catalog rows of the same model; a constant feature
counts for nothing. Euclidean distance then weighs every feature equally and keeps magnitude: cosine distance
would call a sound and a more extreme version of it (the same direction from the average, further out) identical.
The distance is reported per feature, ``||a - b|| / sqrt(d)`` (root-mean-square difference in standard
deviations), so it reads the same whatever the number of features: 0 is identical, and two catalogued sounds
picked at random are about sqrt(2) ~ 1.4 apart. Both passes over the catalog stream it in batches, so memory
does not grow with its size.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .catalog import Catalog, CatalogError, catalog_key
from .classify import classify_file
from .errors import UsageError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Neighbor:
    """One catalogued file near the query: its path, distance (RMS z-score difference) and label."""

    path: str
    distance: float
    label: str | None


def _query_features(path: str, model, catalog: Catalog) -> np.ndarray:
    """The catalogued features of ``path`` if its row is current under ``model``, else computed now."""
    entry = catalog.get(path, features=True)
    if entry is not None and entry.model_id == model.model_id and entry.features is not None:
        try:
            if entry.matches(os.stat(path)):
                return entry.features
        except OSError:
            pass
    prediction = classify_file(path, model)  # raises AudioError naming the file
    return np.asarray(prediction.features, dtype="<f4")


def _stats(catalog: Catalog, model_id: str) -> tuple[int, np.ndarray | None, np.ndarray | None]:
    """(rows, mean, standard deviation) of the features of ``model_id``'s classified rows, in float64."""
    n, total, squares = 0, None, None
    for _, _, X in catalog.feature_batches(model_id):
        if total is None:
            total, squares = np.zeros(X.shape[1]), np.zeros(X.shape[1])
        mean_b = X.mean(axis=0)
        # Chan et al.'s pairwise update: stable where sum-of-squares cancels
        m = len(X)
        delta = mean_b - (total / n if n else 0.0)
        squares += ((X - mean_b) ** 2).sum(axis=0) + delta ** 2 * n * m / (n + m)
        total += X.sum(axis=0)
        n += m
    if not n:
        return 0, None, None
    return n, total / n, np.sqrt(squares / n)


def _nearest(catalog: Catalog, model_id: str, qz: np.ndarray, mean: np.ndarray, scale: np.ndarray,
             exclude: str, want: int) -> list[tuple[float, str, str | None]]:
    """The ``want`` rows nearest to the standardized query ``qz`` (``exclude`` left out), nearest first."""
    dims = max(1, int(np.isfinite(scale).sum()))  # the features that vary
    best_d = np.empty(0)
    best_p: list[str] = []
    best_l: list[str | None] = []
    for paths, labels, X in catalog.feature_batches(model_id):
        d = np.sqrt((((X - mean) / scale - qz) ** 2).sum(axis=1) / dims)
        d = np.where(np.array([p == exclude for p in paths]), np.inf, d)
        best_d = np.concatenate([best_d, d])
        best_p += paths
        best_l += labels
        if len(best_d) > want:
            keep = np.argpartition(best_d, want - 1)[:want]
            best_d, best_p, best_l = best_d[keep], [best_p[i] for i in keep], [best_l[i] for i in keep]
    rows = [(float(d), p, lab) for d, p, lab in zip(best_d, best_p, best_l) if np.isfinite(d)]
    return sorted(rows, key=lambda r: (r[0], r[1]))


def find_similar(path: str | os.PathLike, *, model, catalog_path: str | os.PathLike | None = None,
                 k: int = 10, allowed: Callable[[str], bool] | None = None) -> list[Neighbor]:
    """The ``k`` catalogued files nearest to ``path`` (tagged with ``model``), nearest first.

    ``path`` is featurized now unless its catalog row is current. Left out: the file itself (also through a link
    to it), catalogued files that no longer exist, second links to one file, and files whose real path
    ``allowed`` refuses (the server's ``--allow-root``). Raises UsageError for
    ``k < 1``, AudioError for an unreadable file, CatalogError when the catalog has no rows of this model.
    """
    if k < 1:
        raise UsageError(f"k: {k} must be at least 1")
    key = catalog_key(path)
    with Catalog(catalog_path, create=False) as catalog:
        q = _query_features(key, model, catalog).astype(np.float64)
        n, mean, std = _stats(catalog, model.model_id)
        if not n:
            raise CatalogError(f"{catalog.path}: no files tagged with model {model.model_id}; "
                               f"run `drumtag tag FOLDER` with this model first")
        if len(mean) != len(q):
            raise CatalogError(f"{catalog.path}: catalogued features have {len(mean)} values, the model makes "
                               f"{len(q)}; tag the folders again")
        scale = np.where(std > 1e-9 * np.maximum(1.0, np.abs(mean)), std, np.inf)  # constant: no weight
        if not np.isfinite(scale).any():  # nothing to measure a difference in: every distance would read 0
            raise CatalogError(f"{catalog.path}: its {n} file{'s' if n > 1 else ''} tagged with model "
                               f"{model.model_id} {'are all one sound' if n > 1 else 'is one sound'}, so there is "
                               "no spread to measure distances in; tag more folders first")
        qz = (q - mean) / scale
        real = os.path.realpath(key)
        want = k + 8
        while True:
            rows = _nearest(catalog, model.model_id, qz, mean, scale, key, want)
            found, seen = [], {real}
            for d, p, lab in rows:  # one entry per real file: links (an organize view) are not listed twice
                target = os.path.realpath(p)
                if target not in seen and os.path.exists(p) and (allowed is None or allowed(target)):
                    seen.add(target)
                    found.append(Neighbor(p, d, lab))
            if len(found) >= k or len(rows) < want:
                return found[:k]
            want *= 4
