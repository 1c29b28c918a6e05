"""The round's point estimate and how its ranking moves under other choices.

:func:`point_estimate` is the one deterministic evaluation (weights, scores, preferences,
order) that the tuning, and every sensitivity scenario, run. :func:`scenarios` re-ranks
the options under:

- each **other group rule** (``expected-mix`` only when the expected mix is known);
- the **other method** (weighted sum <-> TOPSIS);
- **dropping each stakeholder group** in turn: its participants' points *and* ratings are
  left out ("would the employers' absence change the top option?"). A cell only that group
  rated keeps the round's median.

Each scenario reports the full order, the top option, and whether either differs from
the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from workbench.tuning.inputs import GROUP_RULES, METHODS, Encoded, TuningInputs
from workbench.tuning.mcda import order, preferences
from workbench.tuning.scores import decision_matrix, evidence_point, histograms, medians
from workbench.tuning.weights import weights_for

__all__ = ["PointEstimate", "point_estimate", "scenarios"]


@dataclass(frozen=True)
class PointEstimate:
    """One deterministic evaluation of the round (arrays in canonical key order)."""

    weights: np.ndarray  # (K,) decision weights
    group_weights: np.ndarray  # (G x K), NaN for groups without points
    shares: np.ndarray  # (G,) each group's share under the rule
    with_points: np.ndarray  # (G,) participants with points per group
    hist: np.ndarray  # (1 x cells x scale) rating histograms
    cell_medians: np.ndarray  # (cells,)
    matrix: np.ndarray  # (options x K) decision matrix
    preferences: np.ndarray  # (options,)
    order: np.ndarray  # option indices, best first


def point_estimate(
    inputs: TuningInputs,
    enc: Encoded,
    ratings_t: sparse.csr_matrix,
    *,
    rule: str,
    method: str,
    expected: np.ndarray | None,
    counts: np.ndarray | None = None,
    fallback: PointEstimate | None = None,
) -> PointEstimate:
    """Weights, scores and ranking for one set of participant multiplicities.

    ``counts`` (participants,) defaults to everyone once; ``fallback`` supplies medians of
    cells (and weights, if no point-giver is left) that ``counts`` leaves empty.
    """
    if counts is None:
        counts = np.ones(len(enc.participants))
    counts = np.asarray(counts, dtype=float)[None, :]
    weights, group_weights, shares, n = weights_for(counts, enc, inputs, rule, expected)
    w = weights[0]
    if fallback is not None and np.isnan(w).any():
        w = fallback.weights
    hist = histograms(counts, ratings_t, enc)
    cell_medians = medians(hist, None if fallback is None else fallback.cell_medians)[0]
    matrix = decision_matrix(cell_medians[None, :], evidence_point(inputs), enc)[0]
    prefs = preferences(matrix, w, method)
    return PointEstimate(
        weights=w,
        group_weights=group_weights[0],
        shares=shares[0],
        with_points=n[0],
        hist=hist,
        cell_medians=cell_medians,
        matrix=matrix,
        preferences=prefs,
        order=order(prefs),
    )


def _scenario(
    kind: str,
    label: str,
    rule: str,
    method: str,
    dropped: str | None,
    est: PointEstimate,
    base: PointEstimate,
    options: tuple[str, ...],
) -> dict[str, Any]:
    names = [options[i] for i in est.order]
    base_names = [options[i] for i in base.order]
    return {
        "kind": kind,
        "label": label,
        "group_rule": rule,
        "method": method,
        "dropped_group": dropped,
        "order": names,
        "top": names[0],
        "top_changed": names[0] != base_names[0],
        "order_changed": names != base_names,
        "preferences": {o: float(p) for o, p in zip(options, est.preferences, strict=True)},
    }


def scenarios(
    inputs: TuningInputs,
    enc: Encoded,
    ratings_t: sparse.csr_matrix,
    base: PointEstimate,
    *,
    rule: str,
    method: str,
    expected: np.ndarray | None,
) -> list[dict[str, Any]]:
    """The sensitivity scenarios (see the module doc), as JSON-ready dicts."""
    out = []
    common = {"enc": enc, "ratings_t": ratings_t, "expected": expected, "fallback": base}
    for other in GROUP_RULES:
        if other == rule or (other == "expected-mix" and expected is None):
            continue
        est = point_estimate(inputs, rule=other, method=method, **common)
        out.append(
            _scenario("group_rule", f"group rule {other}", other, method, None, est, base,
                      inputs.options)
        )  # fmt: skip
    for other in METHODS:
        if other == method:
            continue
        est = point_estimate(inputs, rule=rule, method=other, **common)
        out.append(
            _scenario("method", f"method {other}", rule, other, None, est, base, inputs.options)
        )
    for g, group in enumerate(enc.groups):
        counts = (enc.group_of != g).astype(float)
        est = point_estimate(inputs, rule=rule, method=method, counts=counts, **common)
        out.append(
            _scenario("drop_group", f"without {group}", rule, method, group, est, base,
                      inputs.options)
        )  # fmt: skip
    return out
