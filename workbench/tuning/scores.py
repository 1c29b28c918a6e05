"""Option scores per criterion: the median rating (IQR reported) and the evidence.

Ratings are small whole numbers, so each option x criterion cell's ratings are summarised
by a value histogram. For a (draws x participants) matrix of multiplicities the histograms
of every draw come from one sparse product (participants' one-hot ratings times the
multiplicities), and medians and quartiles from
:func:`workbench.participation.aggregates.quantiles_from_histograms` (numpy's 'linear'
definition, the same as ``np.percentile`` of the raw ratings and the dashboard's).

A cell that nobody rates in a bootstrap draw or a scenario keeps the round's median.

The evidence criterion's score is an option's P(significantly positive); an option with
insufficient evidence scores 0, the lowest possible, and is flagged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from workbench.participation.aggregates import quantiles_from_histograms
from workbench.tuning.inputs import EVIDENCE, Encoded, TuningInputs

__all__ = [
    "decision_matrix",
    "evidence_point",
    "histograms",
    "medians",
    "one_hot",
    "score_table",
]


def one_hot(enc: Encoded) -> sparse.csc_matrix:
    """(participants x cells*scale) indicator of every rating, transposed for products."""
    n_participants = len(enc.participants)
    data = np.ones(len(enc.rating_value))
    columns = enc.rating_cell * enc.scale + (enc.rating_value - 1)
    shape = (n_participants, enc.n_cells * enc.scale)
    return sparse.csr_matrix((data, (enc.rating_participant, columns)), shape=shape).T.tocsr()


def histograms(counts: np.ndarray, ratings_t: sparse.csr_matrix, enc: Encoded) -> np.ndarray:
    """Rating histograms per draw and cell, (D x cells x scale), integer counts.

    ``ratings_t`` is :func:`one_hot` (built once per tuning).
    """
    counts = np.asarray(counts, dtype=float)
    flat = np.asarray(ratings_t @ counts.T).T
    return np.rint(flat).astype(np.int64).reshape(counts.shape[0], enc.n_cells, enc.scale)


def medians(hist: np.ndarray, fallback: np.ndarray | None = None) -> np.ndarray:
    """Median per draw and cell (D x cells); empty cells take ``fallback`` (cells,)."""
    n_draws, n_cells, scale = hist.shape
    out = quantiles_from_histograms(hist.reshape(-1, scale), 0.5).reshape(n_draws, n_cells)
    if fallback is not None:
        out = np.where(np.isnan(out), fallback[None, :], out)
    return out


def evidence_point(inputs: TuningInputs) -> np.ndarray | None:
    """The evidence score of each option (its p, 0 when insufficient), or None."""
    if inputs.evidence is None:
        return None
    return np.array([(v[0] if v is not None else 0.0) for v in inputs.evidence.values()])


def decision_matrix(
    cell_medians: np.ndarray, evidence: np.ndarray | None, enc: Encoded
) -> np.ndarray:
    """(D x options x criteria): the rated criteria's medians, then the evidence column.

    ``evidence`` is (options,) or (D x options).
    """
    n_draws = cell_medians.shape[0]
    rated = cell_medians.reshape(n_draws, enc.n_options, enc.n_rated)
    if evidence is None:
        return rated
    evidence = np.broadcast_to(np.asarray(evidence, dtype=float), (n_draws, enc.n_options))
    return np.concatenate([rated, evidence[:, :, None]], axis=2)


def score_table(
    inputs: TuningInputs, hist: np.ndarray, normalised: np.ndarray
) -> list[dict[str, Any]]:
    """One JSON-ready row per option x criterion of the round (``hist``: one draw of ones).

    Keys: option, criterion, n, median, q1, q3, iqr, score (the decision-matrix value),
    normalised (as the MCDA method sees it), low, high (evidence interval) and
    insufficient_evidence.
    """
    hist2 = hist[0]
    q1 = quantiles_from_histograms(hist2, 0.25)
    q2 = quantiles_from_histograms(hist2, 0.5)
    q3 = quantiles_from_histograms(hist2, 0.75)
    n = hist2.sum(axis=1)
    rows = []
    for i, option in enumerate(inputs.options):
        for j, criterion in enumerate(inputs.rated):
            cell = i * len(inputs.rated) + j
            rows.append(
                {
                    "option": option,
                    "criterion": criterion,
                    "n": int(n[cell]),
                    "median": float(q2[cell]),
                    "q1": float(q1[cell]),
                    "q3": float(q3[cell]),
                    "iqr": float(q3[cell] - q1[cell]),
                    "score": float(q2[cell]),
                    "normalised": float(normalised[i, j]),
                    "low": None,
                    "high": None,
                    "insufficient_evidence": False,
                }
            )
        if inputs.evidence is not None:
            ev = inputs.evidence[option]
            rows.append(
                {
                    "option": option,
                    "criterion": EVIDENCE,
                    "n": 0,
                    "median": None,
                    "q1": None,
                    "q3": None,
                    "iqr": None,
                    "score": ev[0] if ev else 0.0,
                    "normalised": float(normalised[i, -1]),
                    "low": ev[1] if ev else None,
                    "high": ev[2] if ev else None,
                    "insufficient_evidence": ev is None,
                }
            )
    return rows
