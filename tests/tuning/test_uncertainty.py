"""Bootstrap, evidence draws and rank probabilities (workbench.tuning.uncertainty)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.tuning.inputs import encode, validate
from workbench.tuning.scores import one_hot
from workbench.tuning.sensitivity import point_estimate
from workbench.tuning.uncertainty import Z95, bootstrap_counts, evidence_draws, rank_probabilities

CRITERIA = ["feasibility", "reach"]
OPTIONS = ["training", "subsidy", "jsa"]
#: Near a tie: employers lean to feasibility (training), unions to reach (subsidy).
CLOSE = {
    "employers": (8, {"feasibility": 60, "reach": 40}),
    "unions": (6, {"feasibility": 45, "reach": 55}),
}


def test_bootstrap_keeps_group_sizes_and_is_seeded() -> None:
    group_of = np.array([0, 0, 1, 1, 1, 2, 0])
    counts = bootstrap_counts(np.random.default_rng(1), group_of, 500)
    assert counts.shape == (500, 7)
    for g, size in ((0, 3), (1, 3), (2, 1)):
        assert (counts[:, group_of == g].sum(axis=1) == size).all()
    assert (counts[:, 5] == 1).all()
    again = bootstrap_counts(np.random.default_rng(1), group_of, 500)
    np.testing.assert_array_equal(counts, again)
    # each member of a group of 3 is drawn once per draw on average
    np.testing.assert_allclose(counts[:, group_of == 1].mean(axis=0), 1.0, atol=0.15)


def test_evidence_draws_follow_their_intervals(planted, scores) -> None:
    points, ratings = planted(CLOSE, scores)
    ev = {"training": (0.5, 0.3, 0.7), "subsidy": None, "jsa": (0.9, 0.9, 0.9)}
    inputs = validate(points, ratings, CRITERIA, OPTIONS, evidence=ev)
    draws = evidence_draws(np.random.default_rng(0), inputs, 20_000)
    assert draws.shape == (20_000, 3)
    jsa, subsidy, training = draws.T
    assert (jsa == 0.9).all() and (subsidy == 0).all()
    assert training.min() >= 0 and training.max() <= 1
    assert training.mean() == pytest.approx(0.5, abs=0.01)
    assert training.std() == pytest.approx(0.4 / (2 * Z95), rel=0.05)
    # near a bound the normal is truncated to [0, 1]
    edge = validate(points, ratings, CRITERIA, OPTIONS, evidence={"training": (0.02, 0.0, 0.3)})
    near = evidence_draws(np.random.default_rng(0), edge, 5000)[:, 2]
    assert near.min() >= 0 and near.max() <= 1
    assert evidence_draws(np.random.default_rng(0), validate(points, ratings, CRITERIA,
                                                             OPTIONS), 3) is None  # fmt: skip


def _probabilities(planted, scores, n_draws: int, seed: int, **kw) -> np.ndarray:
    points, ratings = planted(CLOSE, scores, noise=2, seed=11)
    inputs = validate(points, ratings, CRITERIA, OPTIONS, **kw)
    enc = encode(inputs)
    base = point_estimate(inputs, enc, one_hot(enc), rule="equal", method="weighted-sum",
                          expected=None)  # fmt: skip
    return rank_probabilities(
        inputs, enc, rule="equal", method="weighted-sum", expected=None, n_draws=n_draws,
        seed=seed, round_medians=base.cell_medians, round_weights=base.weights,
    )  # fmt: skip


def test_rank_probabilities_are_seeded_and_converge(planted, scores) -> None:
    ev = {"training": (0.5, 0.3, 0.7), "subsidy": (0.45, 0.25, 0.65), "jsa": None}
    first = _probabilities(planted, scores, 1000, 7, evidence=ev)
    np.testing.assert_array_equal(first, _probabilities(planted, scores, 1000, 7, evidence=ev))
    np.testing.assert_allclose(first.sum(axis=1), 1.0)  # per option over ranks
    np.testing.assert_allclose(first.sum(axis=0), 1.0)  # per rank over options
    assert 0.05 < first[2, 0] < 0.95  # a genuinely uncertain race between training ...
    assert 0.05 < first[1, 0] < 0.95  # ... and subsidy
    big = _probabilities(planted, scores, 4000, 8, evidence=ev)
    assert np.abs(big - first).max() < 0.05
    other = _probabilities(planted, scores, 1000, 8, evidence=ev)
    assert not np.array_equal(other, first)


def test_a_clear_winner_is_first_in_almost_every_draw(planted, scores) -> None:
    groups = {"employers": (8, {"feasibility": 95, "reach": 5}),
              "unions": (6, {"feasibility": 90, "reach": 10})}  # fmt: skip
    points, ratings = planted(groups, scores, noise=1, seed=3)
    inputs = validate(points, ratings, CRITERIA, OPTIONS)
    enc = encode(inputs)
    base = point_estimate(inputs, enc, one_hot(enc), rule="equal", method="topsis",
                          expected=None)  # fmt: skip
    probs = rank_probabilities(
        inputs, enc, rule="equal", method="topsis", expected=None, n_draws=300, seed=0,
        round_medians=base.cell_medians, round_weights=base.weights,
    )  # fmt: skip
    assert inputs.options[base.order[0]] == "training"
    assert probs[2, 0] > 0.95
