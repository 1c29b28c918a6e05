"""Rank probabilities: how sure the tuned ranking is (SMAA-style acceptability).

Each of ``n_draws`` draws:

1. **bootstraps participants**: within each stakeholder group, as many participants as the
   group has are drawn with replacement (group sizes are kept), and each drawn
   participant brings all their points and ratings;
2. recomputes the criteria weights (same group rule) and the median scores from the
   drawn participants (a cell nobody rates in the draw keeps the round's median; a draw
   without any point-giver keeps the round's weights);
3. **draws each option's evidence** P(significantly positive) from a normal distribution
   centred on the recommender's point estimate with ``sd = (high - low) / 3.92`` (the 95%
   interval's width over 2 x 1.96), truncated to [0, 1] (``scipy.stats.truncnorm``); an
   interval of width 0 gives the point itself, insufficient evidence gives 0;
4. ranks the options with the chosen method.

The result is P(rank = k) for each option and rank, so P(first) is column 1. Everything
but the per-draw MCDA call is vectorised over draws, in chunks that bound memory; one
seeded :class:`numpy.random.Generator` drives all draws, so a fixed seed gives identical
probabilities.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import truncnorm

from workbench.tuning.inputs import Encoded, TuningInputs
from workbench.tuning.mcda import preferences, ranks
from workbench.tuning.scores import decision_matrix, histograms, medians, one_hot
from workbench.tuning.weights import weights_for

__all__ = ["Z95", "bootstrap_counts", "evidence_draws", "rank_probabilities"]

#: The 97.5% standard-normal quantile: a 95% interval is 2 x Z95 standard deviations wide.
Z95 = 1.959963984540054
#: Bound on draws x participants held at once (the bootstrap multiplicities).
_CELLS_PER_CHUNK = 2_000_000


def bootstrap_counts(rng: np.random.Generator, group_of: np.ndarray, n_draws: int) -> np.ndarray:
    """(draws x participants) multiplicities: each group resampled to its own size."""
    group_of = np.asarray(group_of)
    counts = np.zeros((n_draws, len(group_of)), dtype=np.int32)
    for g in np.unique(group_of):
        members = np.flatnonzero(group_of == g)
        n = members.size
        picks = rng.integers(0, n, size=(n_draws, n))
        offsets = np.arange(n_draws)[:, None] * n
        flat = np.bincount((picks + offsets).ravel(), minlength=n_draws * n)
        counts[:, members] = flat.reshape(n_draws, n)
    return counts


def evidence_draws(
    rng: np.random.Generator, inputs: TuningInputs, n_draws: int
) -> np.ndarray | None:
    """(draws x options) evidence scores drawn from their intervals (see the module doc)."""
    if inputs.evidence is None:
        return None
    out = np.zeros((n_draws, len(inputs.options)))
    for i, value in enumerate(inputs.evidence.values()):
        if value is None:
            continue
        p, low, high = value
        sd = (high - low) / (2 * Z95)
        if sd <= 0:
            out[:, i] = p
            continue
        dist = truncnorm((0.0 - p) / sd, (1.0 - p) / sd, loc=p, scale=sd)
        out[:, i] = np.clip(dist.rvs(size=n_draws, random_state=rng), 0.0, 1.0)
    return out


def rank_probabilities(
    inputs: TuningInputs,
    enc: Encoded,
    *,
    rule: str,
    method: str,
    expected: np.ndarray | None,
    n_draws: int,
    seed: int,
    round_medians: np.ndarray,
    round_weights: np.ndarray,
) -> np.ndarray:
    """(options x ranks) P(rank = k), k = 1..n_options, from ``n_draws`` seeded draws.

    ``round_medians`` (cells,) and ``round_weights`` (K,) are the round's own figures,
    used for cells or draws the bootstrap leaves empty.
    """
    rng = np.random.default_rng(seed)
    evidence = evidence_draws(rng, inputs, n_draws)
    ratings_t = one_hot(enc)
    n_options = len(inputs.options)
    tally = np.zeros((n_options, n_options), dtype=np.int64)
    chunk = max(1, min(n_draws, _CELLS_PER_CHUNK // max(len(enc.participants), 1)))
    for start in range(0, n_draws, chunk):
        size = min(chunk, n_draws - start)
        counts = bootstrap_counts(rng, enc.group_of, size)
        weights = weights_for(counts, enc, inputs, rule, expected)[0]
        empty = np.isnan(weights).any(axis=1)
        weights[empty] = round_weights
        cell_medians = medians(histograms(counts, ratings_t, enc), round_medians)
        ev = None if evidence is None else evidence[start : start + size]
        matrix = decision_matrix(cell_medians, ev, enc)
        r = ranks(preferences(matrix, weights, method)) - 1
        for option in range(n_options):
            tally[option] += np.bincount(r[:, option], minlength=n_options)
    return tally / n_draws
