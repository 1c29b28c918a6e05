"""The multi-criteria ranking through pymcdm: the weighted sum and TOPSIS.

Both methods use pymcdm's **min-max normalisation** (``pymcdm.normalizations.
minmax_normalization``) on every criterion, all criteria being benefits: an option's
normalised score on a criterion is ``(x - min) / (max - min)`` over the options (1 for
every option when they all score the same). Using one normalisation for both methods makes
TOPSIS a check of the aggregation alone:

- **weighted sum** (``pymcdm.methods.WSM``): ``P_i = sum_j w_j r_ij``;
- **TOPSIS** (``pymcdm.methods.TOPSIS``): with ``v_ij = w_j r_ij``, the ideal
  ``v+_j = max_i v_ij`` and anti-ideal ``v-_j = min_i v_ij``,
  ``P_i = D-_i / (D-_i + D+_i)`` with Euclidean distances ``D+_i = ||v_i - v+||`` and
  ``D-_i = ||v_i - v-||``.

TOPSIS is undefined when every option is at the ideal and the anti-ideal at once (all
criteria tie); such options get the neutral preference 0.5. Higher preference ranks
first. Ties (preferences equal to 12 decimals) are broken by option key, so a fixed input
always gives the same order. pymcdm's own validation is off (it warns on dominated
options, which are normal here); the inputs are validated upstream.
"""

from __future__ import annotations

import numpy as np
from pymcdm.helpers import normalize_matrix
from pymcdm.methods import TOPSIS, WSM
from pymcdm.normalizations import minmax_normalization

__all__ = ["NORMALISATION", "normalise", "order", "preferences", "ranks"]

#: The normalisation both methods use (pymcdm's min-max).
NORMALISATION = minmax_normalization
_METHODS = {
    "weighted-sum": WSM(normalization_function=NORMALISATION),
    "topsis": TOPSIS(normalization_function=NORMALISATION),
}
_DECIMALS = 12


def normalise(matrix: np.ndarray) -> np.ndarray:
    """The decision matrix (options x criteria) as the methods see it."""
    matrix = np.asarray(matrix, dtype=float)
    return normalize_matrix(matrix, NORMALISATION, np.ones(matrix.shape[1], dtype=int))


def preferences(matrix: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """Preference values: (options,) for one matrix, or (D x options) for (D x O x K).

    ``weights`` is (K,) or (D x K), summing to 1.
    """
    body = _METHODS[method]
    matrix = np.asarray(matrix, dtype=float)
    weights = np.asarray(weights, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if matrix.ndim == 2:
            out = np.asarray(body(matrix, weights, np.ones(matrix.shape[1]), validation=False))
        else:
            types = np.ones(matrix.shape[2])
            weights = np.broadcast_to(weights, (matrix.shape[0], matrix.shape[2]))
            out = np.stack(
                [body(m, w, types, validation=False) for m, w in zip(matrix, weights, strict=True)]
            )
    return np.where(np.isnan(out), 0.5, out)


def order(prefs: np.ndarray) -> np.ndarray:
    """Option indices best first along the last axis (ties: lower index, i.e. key, first)."""
    rounded = np.round(np.nan_to_num(np.asarray(prefs, dtype=float), nan=-np.inf), _DECIMALS)
    return np.argsort(-rounded, axis=-1, kind="stable")


def ranks(prefs: np.ndarray) -> np.ndarray:
    """Rank (1 = best) of each option along the last axis, ties broken as in :func:`order`."""
    idx = order(prefs)
    out = np.empty_like(idx)
    np.put_along_axis(out, idx, np.arange(1, idx.shape[-1] + 1), axis=-1)
    return out
