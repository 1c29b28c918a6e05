"""The weighted sum and TOPSIS through pymcdm (workbench.tuning.mcda)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.tuning.mcda import normalise, order, preferences, ranks

#: 3 options x 3 criteria, all benefits.
MATRIX = np.array([[3.0, 5.0, 0.2], [4.0, 2.0, 0.8], [5.0, 4.0, 0.5]])
WEIGHTS = np.array([0.5, 0.3, 0.2])


def _hand_minmax(matrix: list[list[float]]) -> list[list[float]]:
    """r_ij = (x_ij - min_i x_ij) / (max_i x_ij - min_i x_ij), column by column."""
    cols = list(zip(*matrix, strict=True))
    return [
        [(x - min(cols[j])) / (max(cols[j]) - min(cols[j])) for j, x in enumerate(row)]
        for row in matrix
    ]


def test_normalisation_is_min_max() -> None:
    # column 1: (x - 3) / 2; column 2: (x - 2) / 3; column 3: (x - 0.2) / 0.6
    hand = [[0.0, 1.0, 0.0], [0.5, 0.0, 1.0], [1.0, 2 / 3, 0.5]]
    np.testing.assert_allclose(normalise(MATRIX), hand)
    np.testing.assert_allclose(_hand_minmax(MATRIX.tolist()), hand)
    np.testing.assert_allclose(normalise([[1.0, 2.0], [1.0, 3.0]])[:, 0], [1.0, 1.0])


def test_weighted_sum_matches_a_hand_computation() -> None:
    # P_i = sum_j w_j r_ij: A = .3*1 = .3; B = .5*.5 + .2*1 = .45; C = .5 + .3*2/3 + .2*.5 = .8
    hand = [sum(w * r for w, r in zip(WEIGHTS, row, strict=True))
            for row in _hand_minmax(MATRIX.tolist())]  # fmt: skip
    np.testing.assert_allclose(hand, [0.3, 0.45, 0.8])
    np.testing.assert_allclose(preferences(MATRIX, WEIGHTS, "weighted-sum"), hand)


def test_topsis_matches_a_hand_computation() -> None:
    # v_ij = w_j r_ij; ideal v+ = column max, anti-ideal v- = column min;
    # D+ = ||v_i - v+||, D- = ||v_i - v-||, P_i = D- / (D- + D+)
    v = [
        [w * r for w, r in zip(WEIGHTS, row, strict=True)] for row in _hand_minmax(MATRIX.tolist())
    ]
    ideal = [max(col) for col in zip(*v, strict=True)]
    anti = [min(col) for col in zip(*v, strict=True)]
    hand = []
    for row in v:
        d_plus = math.sqrt(sum((x - b) ** 2 for x, b in zip(row, ideal, strict=True)))
        d_minus = math.sqrt(sum((x - b) ** 2 for x, b in zip(row, anti, strict=True)))
        hand.append(d_minus / (d_minus + d_plus))
    # the same numbers written out: v = A (0, .3, 0), B (.25, 0, .2), C (.5, .2, .1)
    written = [
        math.sqrt(0.09) / (math.sqrt(0.09) + math.sqrt(0.25 + 0.04)),
        math.sqrt(0.0625 + 0.04) / (math.sqrt(0.0625 + 0.04) + math.sqrt(0.0625 + 0.09)),
        math.sqrt(0.25 + 0.04 + 0.01) / (math.sqrt(0.25 + 0.04 + 0.01) + math.sqrt(0.02)),
    ]
    np.testing.assert_allclose(hand, written)
    np.testing.assert_allclose(preferences(MATRIX, WEIGHTS, "topsis"), written)
    assert list(order(written)) == [2, 1, 0]


def test_many_matrices_at_once_equal_one_at_a_time() -> None:
    rng = np.random.default_rng(2)
    matrices = rng.uniform(1, 5, size=(6, 4, 3))
    weights = rng.dirichlet(np.ones(3), size=6)
    for method in ("weighted-sum", "topsis"):
        many = preferences(matrices, weights, method)
        one = [preferences(m, w, method) for m, w in zip(matrices, weights, strict=True)]
        np.testing.assert_allclose(many, one)
        shared = preferences(matrices, weights[0], method)
        np.testing.assert_allclose(shared[1], preferences(matrices[1], weights[0], method))


def test_ties_are_broken_by_option_order_and_ranks_invert_order() -> None:
    prefs = np.array([[0.5, 0.7, 0.5, 0.7 + 1e-15], [0.1, 0.2, 0.3, 0.4]])
    np.testing.assert_array_equal(order(prefs), [[1, 3, 0, 2], [3, 2, 1, 0]])
    np.testing.assert_array_equal(ranks(prefs), [[3, 1, 4, 2], [4, 3, 2, 1]])
    np.testing.assert_array_equal(order([np.nan, 0.1]), [1, 0])


@pytest.mark.parametrize("method", ["weighted-sum", "topsis"])
def test_identical_options_tie(method: str) -> None:
    same = np.ones((3, 2))
    prefs = preferences(same, np.array([0.5, 0.5]), method)
    assert np.all(prefs == prefs[0]) and not np.isnan(prefs).any()
    assert list(order(prefs)) == [0, 1, 2]
