"""Covariate balance: standardised mean differences before and after weighting or matching.

The standardised mean difference (SMD) of a covariate is ``(mean_treated - mean_control) /
sd_pooled`` with ``sd_pooled = sqrt((var_treated + var_control) / 2)``: the pooled SD of
Austin (2009, Statistics in Medicine 28: 3083-3107), sample variances with ``ddof = 1``.
The same denominator, from the *unweighted input sample*, is used before and after, so
that a change in the SMD reflects a change in the mean difference only (Austin's
recommendation). ``after`` uses the estimator's weights: the ATT odds weights of the
controls (IPW, DR) or how often each control is used as a match (matching), on the
analysis sample after trimming. An SMD whose denominator is 0 is 0 when the means are equal
and ``NaN`` otherwise. |SMD| below 0.1 is the usual reading of "balanced".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["BALANCE_THRESHOLD", "balance_table", "pooled_sd", "weighted_means"]

#: |SMD| under this counts as balanced (Austin 2009).
BALANCE_THRESHOLD = 0.1


def pooled_sd(x: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Per column of ``x``: ``sqrt((var_t + var_c) / 2)`` (sample variances, ddof 1)."""
    var_t = x[treated].var(axis=0, ddof=1) if treated.sum() > 1 else np.zeros(x.shape[1])
    var_c = x[~treated].var(axis=0, ddof=1) if (~treated).sum() > 1 else np.zeros(x.shape[1])
    return np.sqrt((var_t + var_c) / 2.0)


def weighted_means(x: np.ndarray, treated: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Treated minus control weighted mean of every column (weights >= 0 per row)."""
    wt = np.where(treated, weights, 0.0)
    wc = np.where(treated, 0.0, weights)
    return (wt @ x) / wt.sum() - (wc @ x) / wc.sum()


def _smd(diff: np.ndarray, sd: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = diff / sd
    return np.where(sd > 0, out, np.where(diff == 0, 0.0, np.nan))


def balance_table(
    names: Sequence[str],
    x: np.ndarray,
    treated: np.ndarray,
    x_after: np.ndarray,
    treated_after: np.ndarray,
    weights_after: np.ndarray,
) -> pd.DataFrame:
    """A frame ``covariate, smd_before, smd_after``.

    ``x``/``treated`` are the unweighted input sample (before trimming), which gives the
    denominator and ``smd_before``; ``x_after``/``treated_after``/``weights_after`` are the
    analysis sample and the estimator's weights, which give ``smd_after``.
    """
    sd = pooled_sd(x, treated)
    ones = np.ones(len(x))
    before = _smd(weighted_means(x, treated, ones), sd)
    after = _smd(weighted_means(x_after, treated_after, weights_after), sd)
    return pd.DataFrame(
        {"covariate": list(names), "smd_before": before, "smd_after": after}
    ).astype({"covariate": "str", "smd_before": "float64", "smd_after": "float64"})
