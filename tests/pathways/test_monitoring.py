"""Monitoring measures, checked by hand on small frames (rates, Wilson intervals, drift flag,
calibration fit, effect estimate) and fuzzed on bad outcome cells."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit
from statsmodels.stats.proportion import proportion_confint

from workbench.evaluation import estimate_att
from workbench.exceptions import InvalidInput
from workbench.pathways import monitoring as mon
from workbench.pathways import monitoring_report as rep

# ---------------------------------------------------------------- uptake and overrides


def _steps() -> pd.DataFrame:
    rows = [
        ("a", "1-job_search_assistance", "job_search_assistance"),
        ("a", "2-training", "training"),
        ("b", "1-job_search_assistance", "job_search_assistance"),
        ("b", "2-training", "training"),
        ("c", "1-job_search_assistance", "job_search_assistance"),
    ]
    return pd.DataFrame(rows, columns=["person", "step_id", "kind"])


def _reviews() -> pd.DataFrame:
    rows = [
        ("a", "1-job_search_assistance", "reject", "2026-01-01T10:00"),
        ("a", "1-job_search_assistance", "accept", "2026-01-02T10:00"),  # latest counts
        ("a", "2-training", "change", "2026-01-01T11:00"),
        ("b", "1-job_search_assistance", "Reject ", "2026-01-01T12:00"),  # case, spaces
        ("c", "1-job_search_assistance", "accept", "2026-01-01T13:00"),
        ("z", "1-job_search_assistance", "reject", "2026-01-01T14:00"),  # not offered
    ]
    return pd.DataFrame(rows, columns=["person", "step_id", "action", "at"])


def test_override_rates_by_hand() -> None:
    out = mon.uptake_and_overrides(_steps(), _reviews()).set_index("kind")
    assert list(out.index) == ["job_search_assistance", "training", "all"]
    jsa, training, total = out.loc["job_search_assistance"], out.loc["training"], out.loc["all"]
    # JSA: offered 3, reviewed 3 (a accept after reject, b reject, c accept)
    assert (jsa["offered"], jsa["reviewed"], jsa["accept"], jsa["change"], jsa["reject"]) == (
        3, 3, 2, 0, 1,
    )  # fmt: skip
    assert jsa["accept_rate"] == pytest.approx(2 / 3)
    assert jsa["override_rate"] == pytest.approx(1 / 3)
    # training: offered 2, reviewed 1 (changed)
    assert (training["offered"], training["reviewed"], training["change"]) == (2, 1, 1)
    assert training["override_rate"] == 1.0
    assert (total["offered"], total["reviewed"]) == (5, 4)
    assert total["override_rate"] == pytest.approx(2 / 4)
    low, high = proportion_confint(2, 4, alpha=0.05, method="wilson")
    assert (total["override_low"], total["override_high"]) == pytest.approx((low, high))
    assert any("1 reviewed step" in note for note in out.attrs["notes"])


def test_review_order_follows_time_not_rows() -> None:
    reviews = _reviews().iloc[[1, 0]]  # the accept row first, the older reject second
    out = mon.uptake_and_overrides(_steps(), reviews).set_index("kind")
    assert out.loc["job_search_assistance", "accept"] == 1
    assert out.loc["job_search_assistance", "reject"] == 0


def test_reviews_join_by_pathway_id_when_both_have_it() -> None:
    steps = _steps().assign(pathway_id=[1, 1, 2, 2, 3])
    reviews = pd.DataFrame(
        {"pathway_id": [2, 2], "step_id": ["2-training", "1-job_search_assistance"],
         "action": ["reject", "accept"]}
    )  # fmt: skip
    out = mon.uptake_and_overrides(steps, reviews).set_index("kind")
    assert out.loc["training", "reject"] == 1 and out.loc["job_search_assistance", "accept"] == 1


def test_uptake_counts_people_who_took_an_offered_kind() -> None:
    people = pd.DataFrame(
        {"person_id": ["a", "b", "c"], "programme": ["training", "none", "job_search_assistance"]}
    )
    out = mon.uptake_and_overrides(_steps(), None, people).set_index("kind")
    assert out.loc["training", "offered_people"] == 2 and out.loc["training", "took_up"] == 1
    assert out.loc["job_search_assistance", "took_up"] == 1
    assert out.loc["all", "uptake_rate"] == pytest.approx(2 / 3)
    assert math.isnan(out.loc["all", "override_rate"])  # no reviews: no rate, and a note
    assert "No counsellor reviews" in out.attrs["notes"][0]


def test_bad_action_names_the_row() -> None:
    reviews = _reviews()
    reviews.loc[4, "action"] = "approve"
    with pytest.raises(InvalidInput) as info:
        mon.uptake_and_overrides(_steps(), reviews)
    problem = info.value.problems[0]
    assert problem.key == "action" and "row 4: 'approve'" in problem.message


def test_missing_column_is_named() -> None:
    with pytest.raises(InvalidInput) as info:
        mon.uptake_and_overrides(_steps().drop(columns="kind"))
    assert [p.key for p in info.value.problems] == ["kind"]


def test_frames_from_objects() -> None:
    step = SimpleNamespace(step_id="1-training", kind="training", order=1, when="now")
    pathway = SimpleNamespace(person="p_1", region="ES61", steps=(step,), synthetic=True)
    frame = mon.steps_frame([(7, pathway), pathway])
    assert frame["pathway_id"].tolist()[0] == 7 and pd.isna(frame["pathway_id"].iloc[1])
    assert frame.loc[0, ["person", "kind", "synthetic"]].tolist() == ["p_1", "training", True]
    reviews = mon.reviews_frame([{"pathway_id": 7, "step_id": "1-training", "action": "accept"}])
    assert list(reviews.columns[:4]) == ["pathway_id", "person", "step_id", "action"]


# ---------------------------------------------------------------- outcomes by group


def _people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": list("abcdefgh"),
            "sex": ["F", "F", "F", "F", "M", "M", "M", "M"],
            "disability": [True, False, False, False, True, False, False, False],
            "ltu": [True, True, False, None, False, False, True, False],
            "programme": ["training", "none", "training", "training", "none", "", "training",
                          "job_search_assistance"],
            "employed_1m_6m": [False, True, True, True, True, False, False, True],
        }
    )  # fmt: skip


def test_outcome_rates_by_hand() -> None:
    out = mon.outcomes_by_group(_people(), ("sex", "disability"), min_n=1)
    rows = out.set_index(["outcome", "attribute", "group"])
    # LTU: row d unknown -> 7 known; F: a,b,c -> 2 of 3; M: e,f,g,h -> 1 of 4
    assert rows.loc[("ltu", "all", "all"), ["n", "events"]].tolist() == [7, 3]
    assert rows.loc[("ltu", "sex", "F"), ["n", "events"]].tolist() == [3, 2]
    assert rows.loc[("ltu", "sex", "M"), "rate"] == pytest.approx(0.25)
    # return to work: programme participants only (a, c, d, g, h): F a,c,d -> 2/3; M g,h -> 1/2
    assert rows.loc[("employed_1m_6m", "all", "all"), ["n", "events"]].tolist() == [5, 3]
    assert rows.loc[("employed_1m_6m", "sex", "F"), "rate"] == pytest.approx(2 / 3)
    assert rows.loc[("employed_1m_6m", "disability", "yes"), ["n", "events"]].tolist() == [1, 0]
    low, high = proportion_confint(2, 3, alpha=0.05, method="wilson")
    assert rows.loc[("employed_1m_6m", "sex", "F"), ["low", "high"]].tolist() == pytest.approx(
        [low, high]
    )
    assert not out["suppressed"].any()


def test_small_groups_are_suppressed() -> None:
    out = mon.outcomes_by_group(_people(), ("sex",), outcomes=("ltu",), min_n=4)
    rows = out.set_index(["attribute", "group"])
    assert rows.loc[("sex", "F"), "suppressed"] and math.isnan(rows.loc[("sex", "F"), "rate"])
    assert not rows.loc[("sex", "M"), "suppressed"] and rows.loc[("sex", "M"), "rate"] == 0.25
    assert rows.loc[("sex", "F"), "n"] == 3  # the count is still shown


def test_missing_outcome_column_is_noted() -> None:
    out = mon.outcomes_by_group(_people().drop(columns="ltu"), ("sex",), min_n=1)
    assert set(out["outcome"]) == {"employed_1m_6m"}
    assert out.attrs["notes"] == ["No column 'ltu': not measured."]
    with pytest.raises(InvalidInput, match="no outcome column"):
        mon.outcomes_by_group(_people()[["sex"]], ("sex",))


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.sampled_from([True, False, 0, 1, "true", "No", " yes ", "", None, float("nan")]),
            st.text(max_size=6),
            st.integers(-3, 3),
            st.floats(allow_nan=False),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_outcome_cells_are_read_or_refused_with_the_row(cells: list[object]) -> None:
    people = pd.DataFrame({"sex": ["F"] * len(cells), "ltu": pd.Series(cells, dtype=object)})
    try:
        out = mon.outcomes_by_group(people, ("sex",), outcomes=("ltu",), min_n=1)
    except InvalidInput as exc:
        problem = exc.problems[0]
        assert problem.key == "ltu" and re.search(r"row \d+:", problem.message)
    else:
        known = [c for c in cells if not (c is None or c == "" or c != c)]
        total = out[out["attribute"] == "all"]
        assert int(total["n"].sum()) == len(known)
        assert ((out["rate"].isna()) | out["rate"].between(0, 1)).all()


# ---------------------------------------------------------------- calibration drift


def _cohort(observed: dict[str, int], n: int = 1000, risk: float = 0.3) -> pd.DataFrame:
    """Periods of ``n`` people, all with the same risk; ``observed[period]`` are LTU."""
    frames = [
        pd.DataFrame({"period": name, "risk": risk, "ltu": np.arange(n) < events})
        for name, events in observed.items()
    ]
    return pd.concat(frames, ignore_index=True)


def test_drift_flag_fires_when_the_observed_rate_is_shifted() -> None:
    drift = mon.calibration_drift(_cohort({"2025-Q1": 300, "2025-Q2": 450}), "period")
    q1, q2 = drift.set_index("period").loc["2025-Q1"], drift.set_index("period").loc["2025-Q2"]
    half_width = 1.959963984540054 * math.sqrt(1000 * 0.3 * 0.7) / 1000  # 0.0284
    assert (q1["band_low"], q1["band_high"]) == pytest.approx((0.3 - half_width, 0.3 + half_width))
    assert not q1["flag"] and q2["flag"]
    assert q2["observed"] == 0.45 and "above" in q2["note"]
    assert q1["brier"] == pytest.approx(0.3 * 0.7**2 + 0.7 * 0.3**2)  # 0.21
    assert math.isnan(q1["slope"])  # one risk value: no slope to fit
    low, high = proportion_confint(450, 1000, alpha=0.05, method="wilson")
    assert (q2["obs_low"], q2["obs_high"]) == pytest.approx((low, high))
    shifted_down = mon.calibration_drift(_cohort({"2025-Q3": 240}), "period")
    assert shifted_down["flag"].iloc[0] and "below" in shifted_down["note"].iloc[0]


def test_the_model_interval_widens_the_band_and_small_periods_are_not_judged() -> None:
    people = _cohort({"2025-Q2": 450}).assign(risk_low=0.1, risk_high=0.5)
    assert not mon.calibration_drift(people, "period")["flag"].iloc[0]
    small = mon.calibration_drift(_cohort({"2025-Q2": 20}, n=25), "period", min_n=30)
    assert not small["flag"].iloc[0] and "not judged" in small["note"].iloc[0]


def test_calibration_slope_matches_statsmodels() -> None:
    rng = np.random.default_rng(3)
    risk = rng.uniform(0.05, 0.95, 4000)
    ltu = rng.random(4000) < expit(0.5 + 2.0 * logit(risk))  # too flat a model: slope 2
    people = pd.DataFrame({"registered": "2025-02-03", "risk": risk, "ltu": ltu})
    row = mon.calibration_drift(people, "quarter").iloc[0]
    fit = sm.Logit(ltu.astype(float), sm.add_constant(logit(risk))).fit(disp=0)
    assert row["period"] == "2025-Q1"
    assert (row["intercept"], row["slope"]) == pytest.approx(tuple(fit.params), rel=1e-6)
    assert row["slope"] == pytest.approx(2.0, abs=0.25) and row["intercept"] == pytest.approx(
        0.5, abs=0.2
    )


def test_bad_risk_and_period_are_reported() -> None:
    people = _cohort({"2025-Q1": 3}, n=5)
    people.loc[2, "risk"] = 1.4
    with pytest.raises(InvalidInput) as info:
        mon.calibration_drift(people, "period")
    assert info.value.problems[0].key == "risk" and "row 2: 1.4" in str(info.value)
    with pytest.raises(InvalidInput, match="only month, quarter, year"):
        mon.calibration_drift(_cohort({"x": 1}, n=3), "cohort")
    dates = pd.DataFrame({"registered": ["2025-01-01", "01/02/2025"], "risk": 0.2, "ltu": True})
    with pytest.raises(InvalidInput, match=r"row 1: '01/02/2025'"):
        mon.calibration_drift(dates, "month")


# ---------------------------------------------------------------- effect of the pathways


def _effect_data(n: int = 1500, effect: float = 0.2) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    education = rng.choice(["low", "medium", "high"], n)
    months = rng.integers(0, 25, n)
    treated = rng.random(n) < expit(-0.5 + 0.05 * months - 0.5 * (education == "low"))
    p = np.clip(0.3 + 0.01 * months + effect * treated - 0.1 * (education == "low"), 0, 1)
    return pd.DataFrame(
        {"education": education, "months_employed_24m": months, "followed": treated,
         "employed_1m_6m": rng.random(n) < p, "synthetic": False}
    )  # fmt: skip


def test_effect_uses_estimate_att_on_the_encoded_covariates() -> None:
    data = _effect_data()
    effect = mon.pathway_effect(
        data, "followed", "employed_1m_6m", ["education", "months_employed_24m"], n_boot=50
    )
    assert effect.estimated and effect.result is not None and not effect.synthetic
    direct = estimate_att(
        pd.DataFrame(
            {"education=low": (data["education"] == "low").astype(float),
             "education=medium": (data["education"] == "medium").astype(float),
             "months_employed_24m": data["months_employed_24m"].astype(float),
             "followed": data["followed"].astype(float),
             "employed_1m_6m": data["employed_1m_6m"].astype(float)}
        ),
        "followed", "employed_1m_6m", ["education=low", "education=medium", "months_employed_24m"],
        "dr", n_boot=50, seed=0, trim="common_support", min_treated=30,
    )  # fmt: skip
    assert effect.result.att == pytest.approx(direct.att)
    assert effect.result.ci == pytest.approx(direct.ci)
    assert effect.result.ci[0] < 0.2 < effect.result.ci[1]
    assert "percentage points higher" in effect.sentence()
    assert effect.to_dict()["result"]["att"] == pytest.approx(direct.att)


def test_effect_on_synthetic_rows_is_labelled_made_up() -> None:
    data = _effect_data().assign(synthetic=True)
    effect = mon.pathway_effect(data, "followed", "employed_1m_6m", ["education"], n_boot=20)
    assert effect.synthetic and effect.sentence().startswith("MADE-UP (synthetic data")


def test_no_comparison_group_says_why() -> None:
    data = _effect_data().assign(followed=True)
    effect = mon.pathway_effect(data, "followed", "employed_1m_6m", ["education"])
    assert not effect.estimated and effect.result is None
    assert "there are 1500 and 0" in effect.reason
    assert effect.sentence().startswith("The effect of the pathways on employed_1m_6m was not")


def test_followed_pathway() -> None:
    people = pd.DataFrame(
        {"person_id": ["a", "b", "c", "d"],
         "programme": ["training", "private_sector_subsidy", "job_search_assistance", "none"]}
    )  # fmt: skip
    assert mon.followed_pathway(people, _steps()).tolist() == [True, False, True, False]


# ---------------------------------------------------------------- one-page summary


def _monitored(synthetic: bool) -> dict[str, object]:
    rng = np.random.default_rng(5)
    n = 800
    people = pd.DataFrame(
        {
            "person_id": [f"p{i}" for i in range(n)],
            "registered": rng.choice(["2025-01-15", "2025-04-15", "2025-07-15"], n),
            "sex": rng.choice(["F", "M"], n), "origin": rng.choice(["national", "non_eu"], n),
            "disability": rng.random(n) < 0.1, "age_band": rng.choice(["16-24", "30-54"], n),
            "risk": rng.uniform(0.1, 0.8, n),
            "programme": rng.choice(["training", "job_search_assistance", "none"], n),
            "synthetic": synthetic,
        }
    )  # fmt: skip
    people["ltu"] = rng.random(n) < people["risk"]
    people["employed_1m_6m"] = rng.random(n) < 0.5
    steps = pd.DataFrame(
        {"person": people["person_id"], "step_id": "1-training", "kind": "training"}
    )
    reviews = steps.iloc[:300].assign(action=rng.choice(["accept", "change", "reject"], 300))
    people["followed"] = mon.followed_pathway(people, steps)
    return {
        "people": people,
        "drift": mon.calibration_drift(people, "quarter"),
        "outcomes": mon.outcomes_by_group(people),
        "uptake": mon.uptake_and_overrides(steps, reviews, people),
        "effect": mon.pathway_effect(people, "followed", "employed_1m_6m", ["sex"], n_boot=20),
    }


def test_summary_headline_numbers_match_the_measures() -> None:
    parts = _monitored(synthetic=False)
    people, drift, uptake = parts["people"], parts["drift"], parts["uptake"]
    h = rep.headline(**parts, threshold=0.5)  # type: ignore[arg-type]
    assert h["people"] == 800 and not h["synthetic"]
    assert h["flagged"] == int((people["risk"] >= 0.5).sum())
    assert h["ltu"]["observed"] == pytest.approx(people["ltu"].mean())
    assert h["ltu"]["predicted"] == pytest.approx(people["risk"].mean())
    assert h["ltu"]["periods"] == ["2025-Q1", "2025-Q2", "2025-Q3"] == drift["period"].tolist()
    all_row = uptake.set_index("kind").loc["all"]
    assert h["overrides"]["override_rate"] == pytest.approx(all_row["override_rate"])
    in_programme = people[people["programme"] != "none"]
    assert h["return_to_work"]["rate"] == pytest.approx(in_programme["employed_1m_6m"].mean())
    page = rep.one_page_summary(**parts, region="ES61", notes=["<b>note</b>"])  # type: ignore[arg-type]
    assert "<title>Pathway monitoring: ES61</title>" in page and "SYNTHETIC" not in page
    assert page.count("<img ") == 3
    assert "&lt;b&gt;note&lt;/b&gt;" in page  # notes are escaped
    assert f"{h['flagged_share']:.0%}" in page and f"{all_row['override_rate']:.0%}" in page


def test_summary_of_synthetic_data_says_so_in_the_title() -> None:
    parts = _monitored(synthetic=True)
    page = rep.one_page_summary(**parts)  # type: ignore[arg-type]
    title = re.search(r"<title>(.*?)</title>", page)
    assert title is not None and title.group(1).startswith("SYNTHETIC")
    assert "SYNTHETIC DATA: every figure comes from made-up jobseekers" in page
    assert "MADE-UP" in page or "not estimated" in page
    steps = pd.DataFrame({"person": ["p1"], "step_id": ["1-training"], "kind": ["training"]})
    without_reviews = {**parts, "uptake": mon.uptake_and_overrides(steps)}
    page = rep.one_page_summary(**without_reviews)  # type: ignore[arg-type]
    assert "No counsellor reviews were available" in page and page.count("<img ") == 2
