"""The tuning entry point and its result (workbench.tuning.tune)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.exceptions import InvalidInput
from workbench.tuning import EVIDENCE, MIN_PARTICIPANTS, TuningResult, tune
from workbench.tuning.tune import ordinal

CRITERIA = ["feasibility", "reach"]
OPTIONS = ["training", "subsidy", "jsa"]
EVIDENCE_MAP = {"training": (0.55, 0.35, 0.75), "subsidy": (0.5, 0.3, 0.7), "jsa": None}


def _groups(employers_feasibility: int, unions_feasibility: int = 30) -> dict:
    return {
        "employers": (8, {"feasibility": employers_feasibility,
                          "reach": 100 - employers_feasibility}),
        "unions": (6, {"feasibility": unions_feasibility, "reach": 100 - unions_feasibility}),
    }  # fmt: skip


def test_raising_a_criterion_weight_moves_up_the_options_that_score_well_on_it(
    planted, scores
) -> None:
    low = tune(*planted(_groups(20), scores, noise=1, seed=1), CRITERIA, OPTIONS, n_draws=200)
    high = tune(*planted(_groups(90), scores, noise=1, seed=1), CRITERIA, OPTIONS, n_draws=200)
    assert high.weights["feasibility"] > low.weights["feasibility"]
    assert low.order[0] == "subsidy" and high.order[0] == "training"
    assert high.order.index("training") < low.order.index("training")
    assert high.order.index("subsidy") > low.order.index("subsidy")
    assert high.ranking[0].p_first > low.rank_probabilities["training"][0]


def test_explain_names_the_criterion_the_groups_and_the_certainty(planted, scores) -> None:
    before = tune(*planted(_groups(20), scores), CRITERIA, OPTIONS, n_draws=300)
    after = tune(*planted(_groups(90), scores), CRITERIA, OPTIONS, n_draws=300)
    lines = after.explain(before)
    training = next(line for line in lines if line.startswith("training"))
    # feasibility weight: equal rule, (0.2 + 0.3) / 2 = 0.25 -> (0.9 + 0.3) / 2 = 0.60;
    # weighted sums before: subsidy .75, jsa 1/3, training .25; after: .6, .4, 1/3
    assert training.startswith("training moved from 3rd to 1st: feasibility weight 0.25 → 0.60")
    assert "(employers raised it most)" in training
    assert "unions" not in training
    assert f"first in {after.ranking[0].p_first:.0%} of draws" in training
    subsidy = next(line for line in lines if line.startswith("subsidy"))
    assert subsidy.startswith("subsidy moved from 1st to 2nd")
    assert "reach weight 0.75 → 0.40 (employers lowered it most)" in subsidy
    assert ", 2nd in " in subsidy
    jsa = next(line for line in lines if line.startswith("jsa"))
    assert jsa.startswith("jsa moved from 2nd to 3rd: feasibility weight 0.25 → 0.60")
    assert len(lines) == 3
    assert after.explain(after) == [
        f"No option changed rank; training is first in {after.ranking[0].p_first:.0%} of draws."
    ]
    first = after.explain()
    assert first[0].startswith("training is 1st; first in") and len(first) == 3


def test_explain_names_score_changes_and_new_options(planted, scores) -> None:
    before = tune(*planted(_groups(50, 50), scores), CRITERIA, OPTIONS, n_draws=50)
    better = {**scores, "jsa": {"feasibility": 5, "reach": 5}}
    after = tune(*planted(_groups(50, 50), better), CRITERIA, OPTIONS, n_draws=50)
    jsa = next(line for line in after.explain(before) if line.startswith("jsa"))
    assert jsa.startswith("jsa moved from 3rd to 1st: its ")
    assert "score 3 → 5" in jsa
    fewer = {o: r for o, r in scores.items() if o != "jsa"}
    smaller = tune(*planted(_groups(50, 50), fewer), CRITERIA, ["training", "subsidy"],
                   n_draws=50)  # fmt: skip
    assert "jsa is no longer among the options (was 3rd)." in smaller.explain(before)
    assert any(line.startswith("jsa is new, 1st") for line in after.explain(smaller))


def test_identical_inputs_give_an_identical_hash_and_result(planted, scores) -> None:
    points, ratings = planted(_groups(60), scores, noise=2, seed=4)
    kw = {"evidence": EVIDENCE_MAP, "n_draws": 200, "seed": 3}
    one = tune(points, ratings, CRITERIA, OPTIONS, **kw)
    two = tune(points.sample(frac=1, random_state=2), ratings[::-1].reset_index(drop=True),
               CRITERIA[::-1], OPTIONS[::-1], **kw)  # fmt: skip
    assert one.input_hash == two.input_hash
    assert one == two
    assert len(one.input_hash) == 64
    changed = points.copy()
    changed.loc[0, "points"] += 1
    changed.loc[1, "points"] -= 1
    assert tune(changed, ratings, CRITERIA, OPTIONS, **kw).input_hash != one.input_hash
    assert (
        tune(points, ratings, CRITERIA, OPTIONS, **{**kw, "seed": 4}).input_hash != one.input_hash
    )
    topsis = tune(points, ratings, CRITERIA, OPTIONS, method="topsis", **kw)
    assert topsis.input_hash != one.input_hash


def test_result_round_trips_through_json(planted, scores) -> None:
    points, ratings = planted(_groups(60), scores, noise=2, seed=4)
    result = tune(
        points,
        ratings,
        CRITERIA,
        OPTIONS,
        evidence=EVIDENCE_MAP,
        n_draws=100,
        expected_mix={"employers": 2, "unions": 3, "ngos": 5},
        group_rule="expected-mix",
    )
    text = json.dumps(result.to_dict(), allow_nan=False)
    back = TuningResult.from_dict(json.loads(text))
    assert back == result
    assert back.explain(result) == result.explain(back)
    assert result.absent_groups == ("ngos",)
    assert any("ngos gave no points" in note for note in result.notes)
    frame = result.scores_frame()
    assert len(frame) == 3 * 3 and set(frame["criterion"]) == {*CRITERIA, EVIDENCE}


def test_result_reports_weights_groups_scores_and_evidence(planted, scores) -> None:
    points, ratings = planted(_groups(60), scores, noise=1, seed=2)
    result = tune(points, ratings, CRITERIA, OPTIONS, evidence=EVIDENCE_MAP, n_draws=100)
    assert result.criteria == ("feasibility", "reach", EVIDENCE)
    assert result.evidence_weight_source == "default"
    assert result.evidence_weight == pytest.approx(1 / 3)
    assert sum(result.weights.values()) == pytest.approx(1)
    # equal rule: feasibility (0.6 + 0.3) / 2 = 0.45 of the rated 2/3
    assert result.weights["feasibility"] == pytest.approx(0.45 * 2 / 3)
    assert result.group_weights["employers"]["feasibility"] == pytest.approx(0.6 * 2 / 3)
    employers = next(g for g in result.groups if g.group == "employers")
    assert (employers.participants, employers.with_points, employers.share) == (8, 8, 0.5)
    jsa = next(r for r in result.ranking if r.option == "jsa")
    assert jsa.insufficient_evidence
    assert result.evidence["jsa"] is None
    for r in result.ranking:
        assert sum(r.rank_probabilities) == pytest.approx(1)
        assert r.p_first == r.rank_probabilities[0]
    assert [r.rank for r in result.ranking] == [1, 2, 3]
    lines = result.sensitivity_lines()
    assert len(lines) == len(result.sensitivity) == 4  # as-present, topsis, 2 groups dropped
    by_points = tune(points.assign(criterion=points["criterion"].replace("reach", EVIDENCE)),
                     ratings[ratings["criterion"] == "feasibility"], ["feasibility", EVIDENCE],
                     OPTIONS, evidence=EVIDENCE_MAP, n_draws=50)  # fmt: skip
    assert by_points.evidence_weight_source == "points"
    assert by_points.evidence_weight == pytest.approx(1 - (0.6 + 0.3) / 2)


def test_refusals_through_tune(planted, scores) -> None:
    with pytest.raises(InvalidInput, match="no feedback in round 4"):
        tune(None, None, CRITERIA, OPTIONS, round_no=4)
    few = {"employers": (2, {"feasibility": 100}), "unions": (1, {"reach": 100})}
    with pytest.raises(InvalidInput) as excinfo:
        tune(*planted(few, scores), CRITERIA, OPTIONS, round_no=1)
    assert f"only 3 participant(s) gave points in round 1; tuning needs at least " \
           f"{MIN_PARTICIPANTS}" in str(excinfo.value)  # fmt: skip
    assert excinfo.value.exit_code == 2


def test_ordinal() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"
    ]  # fmt: skip


# -- fuzzing ---------------------------------------------------------------------------

_names = st.sampled_from(["a", "b", "c", "d"])
RATING_COLUMNS = ["participant", "group", "option", "criterion", "value"]


@st.composite
def _rounds(draw: st.DrawFn) -> dict:
    criteria = draw(st.lists(st.sampled_from(["cost", "reach", "speed", EVIDENCE]), min_size=1,
                             max_size=4, unique=True))  # fmt: skip
    options = draw(st.lists(_names, min_size=1, max_size=4, unique=True))
    n = draw(st.integers(0, 12))
    groups = draw(st.lists(st.sampled_from(["emp", "uni", "ngo"]), min_size=n, max_size=n))
    valid = draw(st.booleans())
    points, ratings = [], []
    for i, group in enumerate(groups):
        pid = f"p{i}"
        split = draw(st.lists(st.integers(0, 100), min_size=len(criteria),
                              max_size=len(criteria)))  # fmt: skip
        if valid:
            total = sum(split) or 1
            split = [s * 100 // total for s in split]
            split[0] += 100 - sum(split)
        points += [(pid, group, c, v) for c, v in zip(criteria, split, strict=True)]
        for o in options:
            for c in criteria:
                if c != EVIDENCE or not valid:
                    low, high = (1, 5) if valid else (0, 6)
                    ratings.append((pid, group, o, c, draw(st.integers(low, high))))
    evidence = draw(st.none() | st.dictionaries(_names, st.none() | st.tuples(
        st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)).map(lambda t: tuple(sorted(t)))
        .map(lambda t: (t[1], t[0], t[2]))))  # fmt: skip
    return {
        "points": pd.DataFrame(points, columns=["participant", "group", "criterion", "points"]),
        "ratings": pd.DataFrame(ratings, columns=RATING_COLUMNS),
        "criteria": criteria,
        "options": options,
        "evidence": evidence,
        "group_rule": draw(st.sampled_from(["equal", "as-present", "expected-mix"])),
        "method": draw(st.sampled_from(["weighted-sum", "topsis"])),
        "expected_mix": draw(st.none() | st.just({"emp": 2, "uni": 1, "ngo": 1, "pub": 3})),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rounds(), st.integers(0, 2**32 - 1))
def test_random_rounds_only_ever_raise_invalid_input(case: dict, seed: int) -> None:
    try:
        result = tune(
            case["points"], case["ratings"], case["criteria"], case["options"],
            evidence=case["evidence"], expected_mix=case["expected_mix"],
            group_rule=case["group_rule"], method=case["method"], n_draws=25, seed=seed,
        )  # fmt: skip
    except InvalidInput as exc:
        assert str(exc)
        return
    probs = np.array([r.rank_probabilities for r in result.ranking])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs.sum(axis=0), 1.0)
    assert sorted(result.order) == sorted(case["options"])
    assert sum(result.weights.values()) == pytest.approx(1)
    assert TuningResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_numpy_scalars_in_parameters_give_plain_json(planted, scores) -> None:
    points, ratings = planted(_groups(60), scores)
    result = tune(points, ratings, CRITERIA, OPTIONS, n_draws=np.int64(20), seed=np.int32(1),
                  evidence={"training": tuple(np.array([0.5, 0.4, 0.6]))},
                  evidence_weight=np.float64(0.2))  # fmt: skip
    back = TuningResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back == result and back.n_draws == 20
    assert result.evidence_weight == pytest.approx(0.2)


def test_a_group_outside_the_expected_mix_is_refused_only_under_that_rule(planted, scores) -> None:
    points, ratings = planted(_groups(60), scores)
    mix = {"employers": 5}  # the unions came although nobody expected them
    with pytest.raises(InvalidInput, match="unions: no expected count"):
        tune(points, ratings, CRITERIA, OPTIONS, expected_mix=mix, group_rule="expected-mix",
             n_draws=20)  # fmt: skip
    result = tune(points, ratings, CRITERIA, OPTIONS, expected_mix=mix, n_draws=20)
    assert result.group_rule == "equal"
    assert not any(s["label"] == "group rule expected-mix" for s in result.sensitivity)
    assert any("unions are not in the workshop's expected mix" in n for n in result.notes)
    with_mix = tune(points, ratings, CRITERIA, OPTIONS, expected_mix={**mix, "unions": 5},
                    n_draws=20)  # fmt: skip
    assert any(s["label"] == "group rule expected-mix" for s in with_mix.sensitivity)
