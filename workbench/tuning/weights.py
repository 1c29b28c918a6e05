"""Criteria weights from the 100-point allocations, per stakeholder group and overall.

A participant's weight on a criterion is their points / :data:`~workbench.tuning.inputs.BUDGET`.
A group's weights are the mean over its participants who gave points. The overall weights
combine the group means with shares set by the **group rule**:

- ``equal``: every group with points has the same share (a flooded group does not dominate);
- ``as-present``: shares proportional to the number of participants with points, i.e. the
  plain mean over all participants;
- ``expected-mix`` (post-stratification): shares proportional to the workshop's expected
  count of each group. Expected groups that sent nobody with points are reported as absent,
  and their expected share is **redistributed proportionally** among the groups present
  (each present group's share is its expected count over the present groups' total), so
  the weights still sum to 1 and the present groups keep their expected ratio.

Everything works on a (draws x participants) matrix of multiplicities, so the point
estimate (one draw of ones), the bootstrap draws and the drop-a-group scenarios (zeros for
that group) share one vectorised path. The evidence criterion is then set as described in
:mod:`workbench.tuning.inputs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from workbench.tuning.inputs import EVIDENCE, Encoded, TuningInputs

__all__ = [
    "combine",
    "expected_shares",
    "finalise",
    "group_means",
    "group_shares",
    "weights_for",
]


def group_means(counts: np.ndarray, enc: Encoded) -> tuple[np.ndarray, np.ndarray]:
    """Per draw and group: mean weights (D x G x K, NaN without points) and point-givers (D x G).

    ``counts`` (D x P) says how often each participant is in each draw.
    """
    counts = np.asarray(counts, dtype=float)
    n_draws, n_groups, n_crit = counts.shape[0], len(enc.groups), enc.weights.shape[1]
    sums = np.zeros((n_draws, n_groups, n_crit))
    n = np.zeros((n_draws, n_groups))
    for g in range(n_groups):
        members = np.flatnonzero((enc.group_of == g) & enc.has_points)
        if members.size:
            c = counts[:, members]
            sums[:, g] = c @ enc.weights[members]
            n[:, g] = c.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / n[:, :, None]
    means[n == 0] = np.nan
    return means, n


def expected_shares(
    expected_mix: Mapping[str, float], groups: Sequence[str], present: np.ndarray
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Expected counts of ``groups`` (0 when not expected) and the expected groups absent.

    ``present`` flags the groups with points; absent expected groups are listed and left
    out (their share goes proportionally to the present groups when shares are formed).
    """
    counts = np.array([float(expected_mix.get(g, 0.0)) for g in groups])
    have = {g for g, p in zip(groups, present, strict=True) if p}
    absent = tuple(sorted(g for g in expected_mix if g not in have))
    return counts, absent


def group_shares(rule: str, n: np.ndarray, expected: np.ndarray | None = None) -> np.ndarray:
    """Each group's share (D x G) under ``rule``; groups without points get 0.

    Rows sum to 1 (to 0 when no group has points in that draw).
    """
    present = n > 0
    if rule == "equal":
        raw = present.astype(float)
    elif rule == "as-present":
        raw = n.astype(float)
    elif rule == "expected-mix":
        if expected is None:
            raise ValueError("expected-mix needs the expected counts")
        raw = present * expected[None, :]
    else:
        raise ValueError(f"unknown group rule {rule!r}")
    total = raw.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, raw / total, 0.0)


def combine(means: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Overall weights (D x K): the groups' mean weights weighted by their shares.

    Draws where no group has points give NaN.
    """
    out = np.einsum("dg,dgk->dk", shares, np.nan_to_num(means))
    out[shares.sum(axis=1) == 0] = np.nan
    return out


def finalise(weights: np.ndarray, inputs: TuningInputs) -> np.ndarray:
    """Points-criteria weights (..., K) -> decision-matrix weights (rated, then evidence).

    With a fixed evidence weight ``e`` the rated criteria share ``1 - e`` in proportion to
    their weights (equally if they have none).
    """
    weights = np.asarray(weights, dtype=float)
    crit = list(inputs.criteria)
    rated = weights[..., [crit.index(c) for c in inputs.rated]]
    source = inputs.evidence_weight_source
    if source == "none":
        return rated
    if source == "points":
        return np.concatenate([rated, weights[..., [crit.index(EVIDENCE)]]], axis=-1)
    e = float(inputs.evidence_weight or 0.0)
    total = rated.sum(axis=-1, keepdims=True)
    k = rated.shape[-1]
    if k == 0:
        return np.ones((*weights.shape[:-1], 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, rated / total, 1.0 / k)
    share = np.where(np.isnan(total), np.nan, share)
    return np.concatenate([share * (1 - e), np.full((*share.shape[:-1], 1), e)], axis=-1)


def weights_for(
    counts: np.ndarray,
    enc: Encoded,
    inputs: TuningInputs,
    rule: str,
    expected: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Overall (D x K) and per-group (D x G x K) decision weights, shares (D x G), counts.

    Weights are in decision-matrix order (:attr:`TuningInputs.mcda_criteria`).
    """
    means, n = group_means(counts, enc)
    shares = group_shares(rule, n, expected)
    overall = finalise(combine(means, shares), inputs)
    return overall, finalise(means, inputs), shares, n
