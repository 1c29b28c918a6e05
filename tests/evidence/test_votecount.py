"""Tests for the ordered-probit vote-count model (workbench.evidence.votecount)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.evidence.model import INSUFFICIENT, fit_effectiveness
from workbench.evidence.synthetic import synthetic_estimates
from workbench.evidence.votecount import (
    MIN_ROWS,
    MIN_STUDIES,
    OUTCOMES,
    REFERENCE,
    VoteModel,
    fit_vote_model,
    vote_rows,
)

_CYCLE = ("positive_significant", "insignificant", "negative_significant", "insignificant")
_TOO_FEW = "programme type with too few votes (insufficient evidence)"


def _frame(specs: list[tuple[str, ...]]) -> pd.DataFrame:
    """Valid evidence rows from (type, horizon, group, context, study[, significance[, kind]]).

    Without a significance, outcomes cycle positive, insignificant, negative, insignificant.
    Rows are ``synthetic`` (they vote like estimates) unless a kind is given.
    """
    frame = synthetic_estimates(len(specs), seed=9).reset_index(drop=True)
    sign = {"positive_significant": 1.0, "negative_significant": -1.0}
    for i, spec in enumerate(specs):
        ptype, horizon, group, context, study = spec[:5]
        significance = spec[5] if len(spec) > 5 else _CYCLE[i % len(_CYCLE)]
        kind = spec[6] if len(spec) > 6 else "synthetic"
        estimate = 3.0 * sign.get(significance, 0.0)
        values = {
            "programme_type": ptype,
            "horizon": horizon,
            "target_group": group,
            "unemployment_context": context,
            "context_source": "unknown" if context == "unknown" else "stated",
            "study": study,
            "significance": significance,
            "estimate": estimate,
            "direction": "positive" if estimate > 0 else "negative" if estimate < 0 else "none",
            "kind": kind,
        }
        if kind == "finding":
            values.update(source_type="curated_finding", citation="A meta-analysis (2020)")
        for key, value in values.items():
            frame.loc[i, key] = value
    return frame


def _support_frame() -> pd.DataFrame:
    specs: list[tuple[str, ...]] = []
    # training: 16 votes, 4 studies, two horizons, general and youth
    for i in range(16):
        group = "youth" if i % 4 == 0 else "general"
        specs.append(("training", ("short", "long")[i % 2], group, "unknown", f"T{i % 4}"))
    # job search assistance: 8 votes from 4 studies (youth again: 2 + 4 = 6 youth votes)
    for i in range(8):
        group = "youth" if i % 2 else "general"
        specs.append(("job_search_assistance", "short", group, "unknown", f"J{i % 4}"))
    # women: 2 votes (fewer than MIN_ROWS): pooled with general
    specs += [("training", "short", "women", "unknown", f"W{i}") for i in range(2)]
    # migrants: 3 votes from one study (fewer than MIN_STUDIES): pooled too
    specs += [("job_search_assistance", "short", "migrants", "unknown", "M") for _ in range(3)]
    # public employment: 2 votes; start-up support: 4 votes from one study -> no figure
    specs += [("public_employment", "medium", "general", "unknown", f"P{i}") for i in range(2)]
    specs += [("start_up_support", "long", "general", "unknown", "S") for _ in range(4)]
    # rows that do not vote, one per reason
    specs += [
        ("training", "short", "general", "unknown", "F", "positive_significant", "finding"),
        ("training", "short", "general", "unknown", "U", "unknown"),
        ("all_types", "short", "general", "unknown", "A"),
        ("other", "long", "general", "unknown", "O"),
        ("training", "all", "general", "unknown", "H"),
        ("training", "unknown", "general", "unknown", "H2"),
    ]
    return _frame(specs)


@pytest.fixture(scope="module")
def support() -> tuple[pd.DataFrame, VoteModel]:
    frame = _support_frame()
    return frame, fit_vote_model(frame)


def test_excluded_counts_by_reason(support: tuple[pd.DataFrame, VoteModel]) -> None:
    frame, vote = support
    assert vote.excluded == {
        "not an estimate (meta-analytic finding)": 1,
        "significance unknown": 1,
        "programme type all_types or other": 2,
        "horizon unknown or all": 2,
        _TOO_FEW: 2 + 4,
    }
    rows, excluded = vote_rows(frame)
    assert len(rows) == len(frame) - 6
    assert _TOO_FEW not in excluded  # decided by the fit, not by vote_rows
    assert vote.n_rows == len(rows) - 6
    assert vote.n_studies == rows[rows["programme_type"].isin(vote.types)]["study"].nunique()


def test_support_rule_terms_and_pooling(support: tuple[pd.DataFrame, VoteModel]) -> None:
    frame, vote = support
    rows, _ = vote_rows(frame)
    rows = rows[rows["programme_type"].isin(vote.types)]
    names = {t.name for t in vote.terms}
    assert vote.types == ["training", "job_search_assistance"]
    # every level with >= MIN_ROWS votes from >= MIN_STUDIES studies has a term; others pool
    for level, sub in rows.groupby("target_group"):
        supported = len(sub) >= MIN_ROWS and sub["study"].nunique() >= MIN_STUDIES
        if level == vote.reference["target_group"]:
            continue
        assert (f"target_group={level}" in names) == supported, level
        assert (level in vote.pooled.get("target_group", [])) == (not supported), level
    assert "target_group=youth" in names
    assert sorted(vote.pooled["target_group"]) == ["migrants", "women"]
    assert "programme_type=public_employment" not in names
    # a pooled level gets exactly the reference level's figure
    cells = pd.DataFrame(
        {
            "programme_type": ["training"] * 3,
            "horizon": ["short"] * 3,
            "target_group": ["general", "women", "youth"],
            "unemployment_context": ["unknown"] * 3,
        }
    )
    p = vote.predict(cells)
    np.testing.assert_array_equal(p[0], p[1])
    assert not np.allclose(p[0], p[2])
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_type_with_too_few_votes_is_insufficient_evidence() -> None:
    model = fit_effectiveness(_support_frame(), validate=False)
    cells = model.cells
    for ptype in ("public_employment", "start_up_support", "private_sector_subsidy"):
        sub = cells[cells["programme_type"] == ptype]
        assert (sub["status"] == INSUFFICIENT).all(), ptype
        assert sub["p_positive"].isna().all() and sub["p_positive_low"].isna().all()
    # a modelled type at a horizon without votes has no figure either
    medium = cells[(cells["programme_type"] == "training") & (cells["horizon"] == "medium")]
    assert (medium["status"] == INSUFFICIENT).all()
    short = cells[(cells["programme_type"] == "training") & (cells["horizon"] == "short")]
    assert (short["status"] == "ok").all() and short["p_positive"].notna().all()
    note = model.cell("public_employment", "medium", "general", "unknown")["notes"][0]
    assert note == "2 vote(s) on public_employment: too few for the model"


def _fallback_specs(outcomes: tuple[str, ...]) -> list[tuple[str, ...]]:
    specs: list[tuple[str, ...]] = []
    for i in range(12):
        group = "youth" if i % 3 else "women"  # 8 youth, 4 women, no general
        context = "high" if i % 4 else "low"  # 9 high, 3 low, no unknown
        horizon = ("short", "long")[i % 2]
        significance = outcomes[i % len(outcomes)]
        specs.append(("training", horizon, group, context, f"T{i // 2}", significance))
    for i in range(6):
        horizon = ("short", "long")[i % 2]
        significance = outcomes[i % len(outcomes)]
        specs.append(("job_search_assistance", horizon, "youth", "high", f"J{i % 3}", significance))
    return specs


def test_reference_falls_back_to_the_most_frequent_level() -> None:
    vote = fit_vote_model(_frame(_fallback_specs(OUTCOMES)))
    assert vote.reference == {
        **REFERENCE,
        "target_group": "youth",
        "unemployment_context": "high",
    }
    names = {t.name for t in vote.terms}
    assert "target_group=women" in names and "target_group=youth" not in names
    assert "unemployment_context=low" in names
    assert not vote.pooled


def test_singular_fit_says_why() -> None:
    # a four-outcome cycle on alternating horizons: every long-run vote is insignificant
    with pytest.raises(ValueError, match="horizon=long: all 9 votes insignificant"):
        fit_vote_model(_frame(_fallback_specs(_CYCLE)))


def test_too_little_to_fit_raises() -> None:
    with pytest.raises(ValueError, match="at least 3 estimates"):
        fit_vote_model(_frame([("training", "short", "general", "unknown", "A")] * 2))
    one_outcome = [
        ("training", "short", "general", "unknown", f"S{i}", "insignificant") for i in range(5)
    ]
    with pytest.raises(ValueError, match="two or more outcome categories"):
        fit_vote_model(_frame(one_outcome))


@pytest.fixture(scope="module")
def synthetic() -> tuple[pd.DataFrame, VoteModel]:
    frame = synthetic_estimates(3000)
    return frame, fit_vote_model(frame)


def _all_cells() -> pd.DataFrame:
    from itertools import product

    return pd.DataFrame(
        list(
            product(
                ["training", "job_search_assistance", "public_employment"],
                ["short", "long"],
                ["general", "youth", "migrants"],
                ["high", "low", "unknown"],
            )
        ),
        columns=["programme_type", "horizon", "target_group", "unemployment_context"],
    )


def test_intervals_are_deterministic_and_contain_the_point(
    synthetic: tuple[pd.DataFrame, VoteModel],
) -> None:
    _, vote = synthetic
    cells = _all_cells()
    first = vote.predict_interval(cells)
    second = vote.predict_interval(cells)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    # a JSON round trip of the fitted numbers gives the very same figures
    back = VoteModel.from_dict(json.loads(json.dumps(vote.to_dict())))
    for a, b in zip(first, back.predict_interval(cells), strict=True):
        np.testing.assert_array_equal(a, b)
    point, low, high = first
    assert np.all(low <= point) and np.all(point <= high)
    assert np.all(high - low > 0)
    assert np.all((low >= 0) & (high <= 1))
    # another seed draws other parameters: the bounds move, the point does not
    _, low2, _ = vote.predict_interval(cells, seed=1)
    assert not np.array_equal(low, low2)


def test_fitted_shares_match_the_synthetic_votes(
    synthetic: tuple[pd.DataFrame, VoteModel],
) -> None:
    frame, vote = synthetic
    assert vote.cov_type == "cluster (study)"
    assert vote.n_rows == len(frame) and not vote.excluded
    rows = frame.reset_index(drop=True)
    probs = vote.predict(rows)
    rows = rows.assign(
        fitted=probs[:, 2],
        fitted_negative=probs[:, 0],
        positive=rows["significance"].eq("positive_significant").astype(float),
        negative=rows["significance"].eq("negative_significant").astype(float),
    )
    by_cell = rows.groupby(["programme_type", "horizon", "unemployment_context"])[
        ["fitted", "positive", "fitted_negative", "negative"]
    ].mean()
    assert len(by_cell) == 30
    gap = (by_cell["fitted"] - by_cell["positive"]).abs()
    # about 100 votes per cell, so a share's sampling error is about 0.05
    assert gap.mean() < 0.03
    assert gap.max() < 0.06, gap.sort_values().tail()
    assert (by_cell["fitted_negative"] - by_cell["negative"]).abs().max() < 0.06
    # overall, the model's mean probabilities reproduce the outcome shares
    shares = rows["significance"].value_counts(normalize=True).reindex(list(OUTCOMES))
    np.testing.assert_allclose(probs.mean(axis=0), shares.to_numpy(), atol=0.01)


def test_coefficient_table(synthetic: tuple[pd.DataFrame, VoteModel]) -> None:
    _, vote = synthetic
    table = vote.coefficients()
    assert len(table) == vote.n_terms + 2
    assert list(table["term"][-2:]) == ["threshold 1", "threshold 2"]
    assert (table["se"] > 0).all()
    cut1, cut2 = vote.params[-2:]
    assert cut1 < cut2


@pytest.mark.parametrize("missing", list(OUTCOMES))
def test_two_outcome_categories_is_a_binary_probit(missing: str) -> None:
    import statsmodels.api as sm

    present = [o for o in OUTCOMES if o != missing]
    specs: list[tuple[str, ...]] = []
    for i in range(24):
        ptype = ("training", "job_search_assistance")[i % 2]
        horizon = ("short", "long")[(i // 2) % 2]
        # mostly the first present outcome in the short run, the second in the long run
        lean = 0 if horizon == "short" else 1
        significance = present[lean if i % 5 else 1 - lean]
        specs.append((ptype, horizon, "general", "unknown", f"S{i % 6}", significance))
    frame = _frame(specs)
    vote = fit_vote_model(frame)
    assert np.all(np.isfinite(vote.params)) and np.all(np.isfinite(vote.cov))
    cells = frame[["programme_type", "horizon", "target_group", "unemployment_context"]]
    point, low, high = vote.predict_interval(cells)
    k = OUTCOMES.index(missing)
    np.testing.assert_allclose(point[:, k], 0.0, atol=1e-12)
    assert np.all(low <= point + 1e-9) and np.all(point <= high + 1e-9)
    # the same fit as statsmodels' binary probit of "the second present outcome"
    x = sm.add_constant(
        np.column_stack([t.indicator(cells) for t in vote.terms]), has_constant="add"
    )
    y = frame["significance"].eq(present[1]).to_numpy(float)
    probit = sm.Probit(y, x).fit(disp=False)
    second = point[:, OUTCOMES.index(present[1])]
    if missing == "insignificant":
        second = point[:, 2]
    np.testing.assert_allclose(second, probit.predict(x), atol=1e-4)
    # and the model survives JSON (finite thresholds)
    json.dumps(vote.to_dict(), allow_nan=False)
