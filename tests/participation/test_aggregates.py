"""Aggregates: rating statistics, Delphi consensus rules, votes, Kendall's W, stability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2, friedmanchisquare
from sklearn.metrics import cohen_kappa_score

from workbench.participation.aggregates import (
    approval_stats,
    bands,
    borda,
    group_informed_consensus,
    kendalls_w,
    method_sensitivity,
    option_scores,
    quantiles_from_histograms,
    ranks_from_orders,
    rating_stats,
    stability,
)


def one_item(values: list[int], scale_max: int) -> dict[str, object]:
    """Statistics of a single item rated ``values``."""
    stats = rating_stats([0] * len(values), values, n_items=1, scale_max=scale_max)
    return stats.row(0)


# -- quartiles --------------------------------------------------------------------------


def test_quartiles_by_hand() -> None:
    # [3,4,4,4,5,5], n = 6: h = 5q.
    # q1: h = 1.25 -> x1 + .25 (x2 - x1) = 4 + 0 = 4
    # median: h = 2.5 -> x2 + .5 (x3 - x2) = 4
    # q3: h = 3.75 -> x3 + .75 (x4 - x3) = 4 + .75 = 4.75
    row = one_item([4, 4, 4, 5, 5, 3], scale_max=5)
    assert (row["q1"], row["median"], row["q3"], row["iqr"]) == (4.0, 4.0, 4.75, 0.75)
    assert row["n"] == 6
    assert row["mean"] == pytest.approx(25 / 6)
    assert row["histogram"] == [0, 0, 1, 3, 2]
    # [1,2,3,4,5]: q1 = x1 = 2, q3 = x3 = 4, IQR 2 > 1: no IQR consensus on a 5-point scale
    row = one_item([5, 1, 4, 2, 3], scale_max=5)
    assert (row["q1"], row["median"], row["q3"], row["iqr"]) == (2.0, 3.0, 4.0, 2.0)
    assert row["iqr_rule"] is False


@pytest.mark.parametrize("scale_max", [5, 9])
def test_quartiles_match_numpy_percentile(scale_max: int) -> None:
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 40, size=60)
    values = [rng.integers(1, scale_max + 1, size=n) for n in sizes]
    item = np.repeat(np.arange(len(values)), sizes)
    flat = np.concatenate(values)
    order = rng.permutation(len(flat))  # input order must not matter
    stats = rating_stats(item[order], flat[order], n_items=len(values) + 1, scale_max=scale_max)
    for i, v in enumerate(values):
        q1, med, q3 = np.percentile(v, [25, 50, 75])
        assert (stats.q1[i], stats.median[i], stats.q3[i]) == (q1, med, q3)
        assert stats.mean[i] == pytest.approx(v.mean())
        assert stats.sd[i] == pytest.approx(v.std())
    # the extra item has no ratings
    last = stats.row(len(values))
    assert last["n"] == 0 and last["median"] is None and last["consensus"] is False
    assert last["agreement"] == "none"


def test_quantiles_from_histograms_empty_row() -> None:
    out = quantiles_from_histograms(np.array([[0, 0, 0], [0, 2, 0]]), 0.5)
    assert math.isnan(out[0]) and out[1] == 2.0


def test_ratings_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="from 1 to 5"):
        rating_stats([0], [6], n_items=1, scale_max=5)
    with pytest.raises(ValueError, match="item codes"):
        rating_stats([1], [3], n_items=1, scale_max=5)
    with pytest.raises(ValueError, match="5 or 9"):
        bands(7)


# -- Delphi consensus rules ----------------------------------------------------------------


def test_iqr_rule_boundaries() -> None:
    # 5-point: [2,3,3,4,4] -> q1 = x1 = 3, q3 = x3 = 4, IQR exactly 1: consensus on IQR
    assert one_item([2, 3, 3, 4, 4], 5)["iqr"] == 1.0
    assert one_item([2, 3, 3, 4, 4], 5)["iqr_rule"] is True
    # [2,2,3,4,4,5]: q1 = 2 + .25 = 2.25, q3 = x3 + .75 (x4 - x3) = 4, IQR 1.75 > 1
    row = one_item([2, 2, 3, 4, 4, 5], 5)
    assert (row["q1"], row["q3"], row["iqr_rule"]) == (2.25, 4.0, False)
    # 9-point: IQR up to 2 passes
    assert one_item([5, 6, 6, 7, 7], 9)["iqr"] == 1.0  # q1 = x1 = 6, q3 = x3 = 7
    assert one_item([4, 5, 6, 7, 8], 9)["iqr"] == 2.0  # q1 = x1 = 5, q3 = x3 = 7
    assert one_item([4, 5, 6, 7, 8], 9)["iqr_rule"] is True
    row = one_item([4, 4, 6, 7, 7, 8], 9)  # q1 = 4 + .25*2 = 4.5, q3 = 7 + .75*0 = 7
    assert (row["iqr"], row["iqr_rule"]) == (2.5, False)


def nine_point(top: int, middle: int, bottom: int) -> list[int]:
    """``top`` ratings of 8, ``middle`` of 5 and ``bottom`` of 2 on the 1-9 scale."""
    return [8] * top + [5] * middle + [2] * bottom


@pytest.mark.parametrize(
    ("top", "middle", "bottom", "agreement"),
    [
        (14, 4, 2, "in"),  # exactly 70% in 7-9 and 10% in 1-3
        (14, 3, 3, "none"),  # exactly 70% top but exactly 15% bottom: not fewer than 15%
        (13, 7, 0, "none"),  # 65% top
        (14, 6, 0, "in"),
        (2, 4, 14, "out"),  # mirror image: 70% in 1-3, 10% in 7-9
        (3, 3, 14, "none"),  # 70% bottom but 15% top
    ],
)
def test_seventy_fifteen_rule(top: int, middle: int, bottom: int, agreement: str) -> None:
    row = one_item(nine_point(top, middle, bottom), 9)
    assert row["top_share"] == top / 20 and row["bottom_share"] == bottom / 20
    assert row["agreement"] == agreement


def test_consensus_needs_both_rules() -> None:
    # agreement "in" (14 of 20 at 8, 2 at 2) but sorted [2,2,5,5,5,5,8,...]: q1 at h = 4.75
    # is 5, q3 at h = 14.25 is 8 -> IQR 3 > 2: no consensus
    row = one_item(nine_point(14, 4, 2), 9)
    assert (row["agreement"], row["iqr"], row["consensus"]) == ("in", 3.0, False)
    # 14 x 8, 4 x 7, 2 x 3: top 90%, bottom 10%; q1 = 7, q3 = 8 -> IQR 1: consensus
    row = one_item([8] * 14 + [7] * 4 + [3] * 2, 9)
    assert (row["agreement"], row["iqr"], row["consensus"]) == ("in", 1.0, True)
    # 5-point bands are 4-5 and 1-2: 7 of 10 at 4-5 and 1 at 1-2 -> in; [1,3,3,4x7]
    row = one_item([1, 3, 3, 4, 4, 4, 4, 4, 4, 4], 5)
    assert (row["top_share"], row["bottom_share"], row["agreement"]) == (0.7, 0.1, "in")
    assert row["iqr"] == 0.75 and row["consensus"] is True  # q1 = 3 + .25, q3 = 4


def test_thresholds_are_keyword_arguments() -> None:
    values = nine_point(14, 3, 3)
    strict = rating_stats([0] * 20, values, n_items=1, scale_max=9, bottom_share_max=0.2)
    assert strict.agreement[0] == "in"
    loose_iqr = rating_stats([0] * 20, values, n_items=1, scale_max=9, iqr_max=5.0)
    assert bool(loose_iqr.iqr_rule[0]) is True


# -- approvals, Borda, scores --------------------------------------------------------------


def test_approvals_by_hand() -> None:
    stats = approval_stats([0, 1, 2, 0, 1, 2], [1, 0, 1, 1, 1, 0], n_options=4)
    assert stats.approvals.tolist() == [2, 1, 1, 0]
    assert stats.voters.tolist() == [2, 2, 2, 0]
    assert stats.share[:3].tolist() == [1.0, 0.5, 0.5] and math.isnan(stats.share[3])


def test_borda_by_hand() -> None:
    # k = 3: rank 1 -> 3 points, rank 2 -> 2, rank 3 -> 1
    orders = [[0, 1, 2], [1, 0, 2], [0, 2, 1]]
    # option 0: 3 + 2 + 3 = 8; option 1: 2 + 3 + 1 = 6; option 2: 1 + 1 + 2 = 4
    assert borda(orders, n_options=3).tolist() == [8, 6, 4]
    assert borda(np.zeros((0, 3)), n_options=3).tolist() == [0, 0, 0]
    assert ranks_from_orders(orders).tolist() == [[1, 2, 3], [2, 1, 3], [1, 3, 2]]


def test_option_scores_average_the_criteria() -> None:
    # 2 options x 2 criteria, item means [4, 2 | 3, nan]: option 0 -> 3, option 1 -> 3
    assert option_scores([4.0, 2.0, 3.0, np.nan], n_options=2, n_criteria=2).tolist() == [3, 3]
    assert math.isnan(option_scores([np.nan, np.nan], n_options=1, n_criteria=2)[0])


# -- Kendall's W -------------------------------------------------------------------------


def test_kendalls_w_by_hand_without_ties() -> None:
    # 3 raters x 4 items. Rank sums R = [1+2+1, 2+1+3, 3+3+2, 4+4+4] = [4, 6, 8, 12],
    # mean m(n+1)/2 = 7.5, S = 3.5² + 1.5² + .5² + 4.5² = 12.25 + 2.25 + .25 + 20.25 = 35
    # W = 12 S / (m²(n³ − n)) = 420 / (9 · 60) = 7/9; χ² = m(n − 1)W = 9 · 7/9 = 7, df 3
    ranks = [[1, 2, 3, 4], [2, 1, 3, 4], [1, 3, 2, 4]]
    result = kendalls_w(ranks)
    assert result.w == pytest.approx(7 / 9)
    assert result.chi2 == pytest.approx(7.0)
    assert result.df == 3 and result.m == 3 and result.n == 4 and result.ties == 0
    assert result.p_value == pytest.approx(chi2.sf(7.0, 3))
    assert result.chi2 == pytest.approx(friedmanchisquare(*np.array(ranks).T).statistic)


def test_kendalls_w_by_hand_with_ties() -> None:
    # rater 2 ties items 1 and 2 (ranks 1.5, 1.5), rater 3 ties items 2 and 3 (2.5, 2.5)
    # R = [1+1.5+1, 2+1.5+2.5, 3+3+2.5, 4+4+4] = [3.5, 6, 8.5, 12], mean 7.5
    # S = 4² + 1.5² + 1² + 4.5² = 16 + 2.25 + 1 + 20.25 = 39.5
    # T = (2³ − 2) + (2³ − 2) = 12; W = 12 · 39.5 / (9 · 60 − 3 · 12) = 474 / 504 = 79/84
    ranks = [[1, 2, 3, 4], [1.5, 1.5, 3, 4], [1, 2.5, 2.5, 4]]
    result = kendalls_w(ranks)
    assert result.ties == 12
    assert result.w == pytest.approx(79 / 84)
    assert result.chi2 == pytest.approx(3 * 3 * 79 / 84)
    assert result.chi2 == pytest.approx(friedmanchisquare(*np.array(ranks).T).statistic)
    # the same as scores where higher is better (ratings): ties are found by rankdata
    scores = [[9, 7, 5, 1], [9, 9, 5, 1], [8, 6, 6, 2]]
    assert kendalls_w(scores, higher_is_better=True).w == pytest.approx(79 / 84)


def test_kendalls_w_extremes() -> None:
    assert kendalls_w([[1, 2, 3, 4]] * 5).w == pytest.approx(1.0)
    latin = [[1, 2, 3, 4], [2, 3, 4, 1], [3, 4, 1, 2], [4, 1, 2, 3]]
    result = kendalls_w(latin)
    assert result.w == pytest.approx(0.0, abs=1e-12)
    assert result.p_value == pytest.approx(1.0)
    assert math.isnan(kendalls_w([[1, 2, 3]]).w)  # one rater
    assert math.isnan(kendalls_w([[1, 1], [2, 2]]).w)  # every rater ties everything
    with pytest.raises(ValueError, match="complete"):
        kendalls_w([[1, np.nan], [1, 2]])


# -- stability ---------------------------------------------------------------------------


def test_stability_by_hand() -> None:
    # item 0: round 1 [2, 4] (mean 3, SD 1, CV 1/3), round 2 [3, 3] (CV 0): change 1/3
    # item 1: round 1 [4, 4, 5, 5] (mean 4.5, SD .5, CV 1/9), round 2 [4, 5, 5, 5]
    #         (mean 4.75, SD √.1875, CV .0912): change .0199 < .15 -> stable
    prev = ([1, 2, 1, 2, 3, 4], [0, 0, 1, 1, 1, 1], [2, 4, 4, 4, 5, 5])
    cur = ([2, 1, 2, 1, 3, 4], [0, 0, 1, 1, 1, 1], [3, 3, 5, 4, 5, 5])
    result = stability(prev, cur, n_items=3, scale_max=5)
    assert result.cv_previous[0] == pytest.approx(1 / 3)
    assert result.cv_change[0] == pytest.approx(1 / 3)
    assert result.cv_change[1] == pytest.approx(abs(math.sqrt(0.1875) / 4.75 - 0.5 / 4.5))
    assert result.stable.tolist() == [False, True, False]  # item 2: no ratings
    # pairs are matched by participant id, whatever the order
    assert result.pairs.tolist() == [2, 4, 0]
    expected = cohen_kappa_score(
        [4, 4, 5, 5], [4, 5, 5, 5], weights="quadratic", labels=[1, 2, 3, 4, 5]
    )
    assert result.kappa[1] == pytest.approx(expected)
    assert math.isnan(result.kappa[2])


def test_stability_unchanged_answers_have_kappa_one() -> None:
    same = ([1, 2, 3], [0, 0, 0], [4, 4, 4])
    result = stability(same, same, n_items=1, scale_max=5)
    assert result.kappa[0] == 1.0 and result.cv_change[0] == 0.0 and bool(result.stable[0])
    # participant 9 answered only in round 2: not paired
    later = ([1, 2, 9], [0, 0, 0], [4, 4, 1])
    assert stability(same, later, n_items=1, scale_max=5).pairs.tolist() == [2]


# -- group-informed consensus and method sensitivity --------------------------------------


def test_group_informed_consensus_by_hand() -> None:
    agrees = [[3, 0], [1, 2]]
    votes = [[4, 2], [2, 2]]
    # item 0: (3+1)/(4+2) · (1+1)/(2+2) = 4/6 · 2/4 = 1/3
    # item 1: (0+1)/(2+2) · (2+1)/(2+2) = 1/4 · 3/4 = 3/16
    assert group_informed_consensus(agrees, votes).tolist() == pytest.approx([1 / 3, 3 / 16])


def test_method_sensitivity() -> None:
    options = ["a", "b", "c"]
    split = method_sensitivity({"borda": [8, 6, 4], "approval": [2, 3, 1]}, options)
    assert [m.top for m in split.methods] == [("a",), ("b",)]
    assert split.robust_top == () and split.consistent is False
    agree = method_sensitivity(
        {"borda": [8, 6, 4], "score": [4.0, 4.0, np.nan], "approval": None}, options
    )
    assert agree.methods[1].top == ("a", "b")  # a tie for first place
    assert agree.methods[1].order == ("a", "b", "c")  # unscored last
    assert agree.robust_top == ("a",) and agree.consistent is True
    assert agree.unavailable == {"approval": "no answers"}
    assert agree.as_dict()["methods"]["score"]["scores"] == [4.0, 4.0, None]
