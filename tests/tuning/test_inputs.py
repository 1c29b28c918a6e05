"""Validation, refusals and encoding of the tuning inputs (workbench.tuning.inputs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.evidence.recommend import PolicyOption, Recommendation
from workbench.exceptions import InvalidInput
from workbench.tuning.inputs import (
    BUDGET,
    EVIDENCE,
    MIN_GROUPS,
    MIN_PARTICIPANTS,
    encode,
    evidence_from_recommendation,
    validate,
)

CRITERIA = ["feasibility", "reach"]
OPTIONS = ["training", "subsidy", "jsa"]
TWO_GROUPS = {
    "employers": (4, {"feasibility": 70, "reach": 30}),
    "unions": (3, {"feasibility": 30, "reach": 70}),
}


def _message(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str:
    return str(excinfo.value)


def test_valid_round_is_canonical(planted, scores) -> None:
    points, ratings = planted(TWO_GROUPS, scores)
    shuffled = validate(points.sample(frac=1, random_state=1), ratings[::-1], CRITERIA[::-1],
                        OPTIONS)  # fmt: skip
    plain = validate(points, ratings, CRITERIA, OPTIONS)
    assert plain.options == ("jsa", "subsidy", "training")
    assert plain.criteria == ("feasibility", "reach")
    pd.testing.assert_frame_equal(shuffled.points, plain.points)
    pd.testing.assert_frame_equal(shuffled.ratings, plain.ratings)
    assert shuffled.content_hash({}) == plain.content_hash({})
    assert plain.content_hash({}) != plain.content_hash({"seed": 1})


def test_points_not_summing_to_the_budget_name_the_participant(planted, scores) -> None:
    points, ratings = planted(TWO_GROUPS, scores)
    points.loc[points["participant"] == "unions-001", "points"] = [30, 60]
    with pytest.raises(InvalidInput) as excinfo:
        validate(points, ratings, CRITERIA, OPTIONS)
    assert "participant unions-001" in _message(excinfo)
    assert f"points sum to 90, not {BUDGET}" in _message(excinfo)
    assert "employers-000" not in _message(excinfo)


def test_no_feedback_is_refused_naming_the_round() -> None:
    empty = pd.DataFrame(columns=["participant", "group", "criterion", "points"])
    with pytest.raises(InvalidInput, match="no feedback in round 3"):
        validate(empty, None, CRITERIA, OPTIONS, round_no=3)
    with pytest.raises(InvalidInput, match="no feedback in this round"):
        validate(None, None, CRITERIA, OPTIONS)


def test_too_few_participants_names_threshold_and_count(planted, scores) -> None:
    points, ratings = planted(
        {"employers": (2, {"feasibility": 100}), "unions": (2, {"reach": 100})}, scores
    )
    with pytest.raises(InvalidInput) as excinfo:
        validate(points, ratings, CRITERIA, OPTIONS, round_no=2)
    text = _message(excinfo)
    assert "only 4 participant(s) gave points in round 2" in text
    assert f"at least {MIN_PARTICIPANTS} (MIN_PARTICIPANTS)" in text


def test_too_few_groups_names_threshold_and_count(planted, scores) -> None:
    points, ratings = planted({"employers": (6, {"feasibility": 100})}, scores)
    with pytest.raises(InvalidInput) as excinfo:
        validate(points, ratings, CRITERIA, OPTIONS)
    text = _message(excinfo)
    assert "only 1 stakeholder group(s) gave points" in text
    assert f"at least {MIN_GROUPS} (MIN_GROUPS)" in text
    assert "(employers)" in text


def test_raters_without_points_do_not_count_towards_the_threshold(planted, scores) -> None:
    points, ratings = planted(TWO_GROUPS, scores)
    points = points[~points["participant"].isin(["unions-000", "unions-001", "unions-002"])]
    with pytest.raises(InvalidInput, match="only 4 participant"):
        validate(points, ratings, CRITERIA, OPTIONS)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda p, r: (p.assign(points=p["points"].astype(float) + 0.5), r), "whole numbers"),
        (lambda p, r: (p.drop(columns="group"), r), "missing column(s) group"),
        (lambda p, r: (p.assign(criterion="cost"), r), "unknown criteria cost"),
        (lambda p, r: (p, r.assign(option="nothing")), "unknown options nothing"),
        (lambda p, r: (p, r.assign(value=9)), "outside 1..5"),
        (lambda p, r: (p, pd.concat([r, r.head(1)])), "twice"),
        (lambda p, r: (p, r.assign(criterion=EVIDENCE)), "scored by the recommender"),
        (lambda p, r: (p, r[r["option"] != "jsa"]), "jsa x feasibility: nobody rated"),
        (lambda p, r: (p.assign(participant=None), r), "without a text participant"),
        (lambda p, r: (p, r.assign(group="other")), "in several groups"),
        (lambda p, r: (p.assign(points=-p["points"]), r), "negative points"),
        (lambda p, r: (p, "not a frame"), "must be a pandas DataFrame"),
    ],
)
def test_bad_rows_are_refused_naming_what_is_wrong(planted, scores, mutate, expected) -> None:
    points, ratings = mutate(*planted(TWO_GROUPS, scores))
    with pytest.raises(InvalidInput) as excinfo:
        validate(points, ratings, CRITERIA, OPTIONS)
    assert expected in _message(excinfo)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"group_rule": "loudest"}, "group_rule: must be one of"),
        ({"method": "vikor"}, "method: must be one of"),
        ({"n_draws": 0}, "n_draws"),
        ({"seed": -1}, "seed"),
        ({"group_rule": "expected-mix"}, "the expected-mix rule needs the expected counts"),
        (
            {"expected_mix": {"employers": 1}, "group_rule": "expected-mix"},
            "unions: no expected count",
        ),
        ({"expected_mix": {"employers": 1, "unions": -2}}, "need a positive count"),
        ({"evidence_weight": 0.2}, "given without evidence"),
        ({"evidence": {"training": (0.5, 0.6, 0.7)}}, "need 0 <= low <= p <= high <= 1"),
        ({"evidence": {"nothing": (0.5, 0.4, 0.7)}}, "no evidence key is a workshop option"),
        ({"evidence": {"training": (0.5, 0.4, 0.7)}, "evidence_weight": 1.0}, "below 1"),
    ],
)
def test_bad_parameters_are_refused(planted, scores, kwargs, expected) -> None:
    points, ratings = planted(TWO_GROUPS, scores)
    with pytest.raises(InvalidInput, match=expected.replace("(", r"\(")):
        validate(points, ratings, CRITERIA, OPTIONS, **kwargs)


def test_many_problems_are_capped(planted, scores) -> None:
    points, ratings = planted({"employers": (30, {"feasibility": 50}), "unions": (3, {})}, scores)
    with pytest.raises(InvalidInput) as excinfo:
        validate(points, ratings, CRITERIA, OPTIONS)
    assert len(excinfo.value.problems) == 21
    assert "... and 10 more problems" in _message(excinfo)


def test_evidence_weight_sources(planted, scores) -> None:
    points, ratings = planted(TWO_GROUPS, scores)
    ev = {"training": (0.6, 0.5, 0.7), "subsidy": None, "elsewhere": (0.1, 0.0, 0.2)}
    default = validate(points, ratings, CRITERIA, OPTIONS, evidence=ev)
    assert default.evidence_weight_source == "default"
    assert default.evidence_weight == pytest.approx(1 / (len(CRITERIA) + 1))
    assert default.evidence == {"jsa": None, "subsidy": None, "training": (0.6, 0.5, 0.7)}
    assert any("No evidence given for jsa" in n for n in default.notes)
    assert any("elsewhere ignored" in n for n in default.notes)
    assert default.mcda_criteria == ("feasibility", "reach", EVIDENCE)
    fixed = validate(points, ratings, CRITERIA, OPTIONS, evidence=ev, evidence_weight=0.4)
    assert (fixed.evidence_weight_source, fixed.evidence_weight) == ("parameter", 0.4)
    with_points = points.assign(criterion=points["criterion"].replace("reach", EVIDENCE))
    rated = ratings[ratings["criterion"] == "feasibility"]
    by_points = validate(with_points, rated, ["feasibility", EVIDENCE], OPTIONS, evidence=ev)
    assert by_points.evidence_weight_source == "points"
    assert by_points.rated == ("feasibility",)
    with pytest.raises(InvalidInput, match="needs the recommender's evidence"):
        validate(with_points, rated, ["feasibility", EVIDENCE], OPTIONS)


def test_encode_codes_participants_groups_weights_and_cells(planted, scores) -> None:
    points, ratings = planted(TWO_GROUPS, scores)
    extra = pd.DataFrame(
        [("rater-only", "ngos", o, c, 4) for o in OPTIONS for c in CRITERIA],
        columns=ratings.columns,
    )
    inputs = validate(points, pd.concat([ratings, extra]), CRITERIA, OPTIONS)
    enc = encode(inputs)
    assert enc.groups == ("employers", "ngos", "unions")
    assert len(enc.participants) == 8 and enc.has_points.sum() == 7
    i = enc.participants.index("rater-only")
    assert enc.group_of[i] == 1 and not enc.has_points[i] and enc.weights[i].sum() == 0
    np.testing.assert_allclose(enc.weights[enc.has_points].sum(axis=1), 1.0)
    e0 = enc.participants.index("employers-000")
    np.testing.assert_allclose(enc.weights[e0], [0.7, 0.3])
    assert enc.n_cells == 6 and len(enc.rating_value) == len(ratings) + len(extra)
    # cell = option index * n_rated + criterion index, options sorted (jsa, subsidy, training)
    mine = enc.rating_participant == e0
    cells = dict(zip(enc.rating_cell[mine], enc.rating_value[mine], strict=True))
    assert cells == {0: 3, 1: 3, 2: 2, 3: 5, 4: 5, 5: 2}


def _option(ptype: str, status: str, p: float | None) -> PolicyOption:
    return PolicyOption(
        rank=1, programme_type=ptype, label=ptype, target_group="youth", horizon="long",
        context="high", status=status, p_positive=p,
        p_positive_low=None if p is None else p - 0.1,
        p_positive_high=None if p is None else p + 0.1, p_negative=None, votes=3, studies=2,
        evidence_ids=(), effect=None, reason="",
    )  # fmt: skip


def test_evidence_from_recommendation() -> None:
    rec = Recommendation(
        model_version="v1", region="ES61", context={}, horizon="long",
        target_groups=("youth", "general"),
        by_group={
            "youth": (_option("training", "ok", 0.6), _option("start_up_support",
                                                              "insufficient evidence", None)),
            "general": (_option("training", "ok", 0.3),),
        },
        notes=(),
    )  # fmt: skip
    youth = evidence_from_recommendation(rec)
    assert youth == {"training": pytest.approx((0.6, 0.5, 0.7)), "start_up_support": None}
    assert evidence_from_recommendation(rec, "general")["training"][0] == pytest.approx(0.3)
    with pytest.raises(InvalidInput, match="no target group 'women'"):
        evidence_from_recommendation(rec, "women")
