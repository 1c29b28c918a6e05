"""Criteria weights and group rules (workbench.tuning.weights)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.tuning.inputs import EVIDENCE, encode, validate
from workbench.tuning.weights import (
    combine,
    expected_shares,
    finalise,
    group_means,
    group_shares,
    weights_for,
)

CRITERIA = ["feasibility", "reach"]
OPTIONS = ["training", "subsidy", "jsa"]
#: 30 employers against 3 unions with the opposite allocation.
FLOODED = {
    "employers": (30, {"feasibility": 80, "reach": 20}),
    "unions": (3, {"feasibility": 20, "reach": 80}),
}


def _weights(planted, scores, groups, rule, expected_mix=None, **kw):
    points, ratings = planted(groups, scores)
    inputs = validate(points, ratings, CRITERIA, OPTIONS, expected_mix=expected_mix, **kw)
    enc = encode(inputs)
    expected = None
    if inputs.expected_mix is not None:
        expected, _ = expected_shares(inputs.expected_mix, enc.groups, np.ones(2, dtype=bool))
    return weights_for(np.ones((1, len(enc.participants))), enc, inputs, rule, expected), enc


def test_equal_neutralises_a_flooded_group(planted, scores) -> None:
    (overall, by_group, shares, n), enc = _weights(planted, scores, FLOODED, "equal")
    assert enc.groups == ("employers", "unions")
    np.testing.assert_allclose(by_group[0], [[0.8, 0.2], [0.2, 0.8]])
    np.testing.assert_allclose(shares[0], [0.5, 0.5])
    np.testing.assert_allclose(overall[0], [0.5, 0.5])  # the two groups have the same say
    np.testing.assert_allclose(n[0], [30, 3])


def test_as_present_lets_the_flooded_group_dominate(planted, scores) -> None:
    (overall, _, shares, _), _ = _weights(planted, scores, FLOODED, "as-present")
    hand = (30 * np.array([0.8, 0.2]) + 3 * np.array([0.2, 0.8])) / 33
    np.testing.assert_allclose(overall[0], hand)
    np.testing.assert_allclose(shares[0], [30 / 33, 3 / 33])


def test_expected_mix_matches_a_hand_computation(planted, scores) -> None:
    # the workshop expected 10 employers and 30 union members: shares 1/4 and 3/4
    mix = {"employers": 10, "unions": 30}
    (overall, _, shares, _), _ = _weights(planted, scores, FLOODED, "expected-mix", mix)
    hand = 0.25 * np.array([0.8, 0.2]) + 0.75 * np.array([0.2, 0.8])  # = (0.35, 0.65)
    np.testing.assert_allclose(overall[0], hand)
    np.testing.assert_allclose(overall[0], [0.35, 0.65])
    np.testing.assert_allclose(shares[0], [0.25, 0.75])


def test_expected_groups_absent_are_reported_and_redistributed() -> None:
    counts, absent = expected_shares(
        {"employers": 10, "unions": 30, "ngos": 40}, ("employers", "unions"), np.array([1, 1])
    )
    assert absent == ("ngos",)
    np.testing.assert_allclose(counts, [10, 30])
    shares = group_shares("expected-mix", np.array([[30.0, 3.0]]), counts)
    np.testing.assert_allclose(shares, [[0.25, 0.75]])  # ngos' 50% goes 1:3 to the others
    counts, absent = expected_shares({"unions": 1}, ("employers", "unions"), np.array([1, 0]))
    assert absent == ("unions",)


def test_group_shares_per_rule_and_empty_groups() -> None:
    n = np.array([[4.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(group_shares("equal", n), [[0.5, 0, 0.5], [0, 0, 0]])
    np.testing.assert_allclose(group_shares("as-present", n), [[4 / 6, 0, 2 / 6], [0, 0, 0]])
    expected = np.array([1.0, 5.0, 3.0])
    np.testing.assert_allclose(group_shares("expected-mix", n, expected)[0], [0.25, 0, 0.75])
    with pytest.raises(ValueError, match="unknown group rule"):
        group_shares("loudest", n)
    with pytest.raises(ValueError, match="needs the expected counts"):
        group_shares("expected-mix", n)
    means = np.ones((2, 3, 2))
    out = combine(means, group_shares("equal", n))
    np.testing.assert_allclose(out[0], [1, 1])
    assert np.isnan(out[1]).all()


def test_group_means_over_draws_equal_a_plain_mean(planted, scores) -> None:
    rng = np.random.default_rng(3)
    groups = {
        "employers": (7, {"feasibility": 60, "reach": 40}),
        "unions": (5, {"feasibility": 10, "reach": 90}),
    }
    points, ratings = planted(groups, scores)
    points["points"] = np.where(
        points["criterion"] == "feasibility", rng.integers(0, 101, len(points)), 0
    )
    points.loc[points["criterion"] == "reach", "points"] = (
        100 - points.loc[points["criterion"] == "feasibility", "points"].to_numpy()
    )
    inputs = validate(points, ratings, CRITERIA, OPTIONS)
    enc = encode(inputs)
    counts = rng.integers(0, 3, size=(4, len(enc.participants)))
    means, n = group_means(counts, enc)
    for d in range(4):
        for g, group in enumerate(enc.groups):
            members = [i for i, p in enumerate(enc.participants) if p.startswith(group)]
            reps = np.repeat(enc.weights[members], counts[d, members], axis=0)
            assert n[d, g] == len(reps)
            if len(reps):
                np.testing.assert_allclose(means[d, g], reps.mean(axis=0))
            else:
                assert np.isnan(means[d, g]).all()


def test_finalise_places_the_evidence(planted, scores) -> None:
    points, ratings = planted(FLOODED, scores)
    ev = {"training": (0.6, 0.5, 0.7)}
    w = np.array([[0.8, 0.2], [0.0, 0.0]])
    default = validate(points, ratings, CRITERIA, OPTIONS, evidence=ev)
    np.testing.assert_allclose(finalise(w, default), [[0.8 * 2 / 3, 0.2 * 2 / 3, 1 / 3],
                                                      [1 / 3, 1 / 3, 1 / 3]])  # fmt: skip
    fixed = validate(points, ratings, CRITERIA, OPTIONS, evidence=ev, evidence_weight=0.5)
    np.testing.assert_allclose(finalise(w[:1], fixed), [[0.4, 0.1, 0.5]])
    none = validate(points, ratings, CRITERIA, OPTIONS)
    np.testing.assert_allclose(finalise(w, none), w)
    as_points = points.assign(criterion=points["criterion"].replace("feasibility", EVIDENCE))
    rated = ratings[ratings["criterion"] == "reach"]
    by_points = validate(as_points, rated, [EVIDENCE, "reach"], OPTIONS, evidence=ev)
    # criteria sorted: (evidence, reach) -> decision order (reach, evidence)
    np.testing.assert_allclose(finalise(np.array([[0.7, 0.3]]), by_points), [[0.3, 0.7]])
