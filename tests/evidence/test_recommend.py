"""Tests for the contextual policy recommender (workbench.evidence.recommend)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.context import RegionContext, Source
from workbench.evidence.base import EVIDENCE_PATH, read_evidence
from workbench.evidence.model import INSUFFICIENT, EffectivenessModel, fit_effectiveness
from workbench.evidence.recommend import (
    Budget,
    PolicyOption,
    Recommendation,
    load_approved_model,
    recommend,
)
from workbench.evidence.schema import TARGET_GROUPS
from workbench.evidence.synthetic import synthetic_estimates
from workbench.evidence.votecount import MODEL_HORIZONS, MODEL_TYPES
from workbench.exceptions import InvalidInput

SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared_models"


def _context(unemployment: str = "high", **extra: Any) -> RegionContext:
    fields: dict[str, Any] = {
        "region": "ES61",
        "name": "Andalucía",
        "country": "ES",
        "unemployment": unemployment,
        "unemployment_rate": 18.0 if unemployment == "high" else 4.0,
        "eu_unemployment_rate": 6.0,
        "unemployment_year": "2023",
        "threshold_ratio": 1.0,
        "skill_level": "low",
        "high_skill_share": 30.0,
        "eu_high_skill_share": 40.0,
        "skill_basis": "test figures",
        "cycle_phase": "recovery",
        "cycle_basis": "test figures",
        "sources": (Source("unemployment rate", "test", "key", 18.0, "synthetic"),),
    }
    fields.update(extra)
    return RegionContext(**fields)


@pytest.fixture(scope="module")
def synthetic_model() -> EffectivenessModel:
    return fit_effectiveness(synthetic_estimates(2400, seed=17), validate=False)


@pytest.fixture(scope="module")
def real_model() -> EffectivenessModel:
    return fit_effectiveness(read_evidence(EVIDENCE_PATH), validate=False)


def _expected_order(model: EffectivenessModel, group: str, horizon: str, context: str) -> list:
    """The ranking the model's cells imply: sufficient first, by P(positive), P(negative)."""

    def key(ptype: str) -> tuple:
        cell = model.cell(ptype, horizon, group, context)
        if cell["status"] != "ok":
            return (1, 0.0, 0.0, ptype)
        return (0, -cell["p_positive"], cell["p_negative"], ptype)

    return sorted(MODEL_TYPES, key=key)


def test_deterministic(synthetic_model: EffectivenessModel) -> None:
    args = (_context("high"), ["youth", "general"], "medium")
    a = recommend(*args, model=synthetic_model, model_version="3")
    b = recommend(*args, model=synthetic_model, model_version="3")
    assert a == b
    assert a.to_dict() == b.to_dict()
    assert a.model_version == "3" and a.region == "ES61"


def test_ranking_sorted_with_insufficient_last(real_model: EffectivenessModel) -> None:
    rec = recommend(_context("low"), list(TARGET_GROUPS), "long", model=real_model)
    for group in TARGET_GROUPS:
        options = rec.by_group[group]
        assert [o.rank for o in options] == [1, 2, 3, 4, 5]
        ok = [o for o in options if o.sufficient]
        rest = [o for o in options if not o.sufficient]
        assert options == tuple(ok + rest)
        shares = [o.p_positive for o in ok]
        assert shares == sorted(shares, reverse=True)
        for o in rest:
            assert o.status == INSUFFICIENT and o.p_positive is None
            assert INSUFFICIENT in o.reason
        # private-sector subsidies have too few votes in the shipped base
        assert "private_sector_subsidy" in [o.programme_type for o in rest]


def test_context_flip_moves_the_ranking_as_the_cells_say(
    synthetic_model: EffectivenessModel,
) -> None:
    differs = []
    for horizon in MODEL_HORIZONS:
        orders = {}
        for level in ("high", "low"):
            rec = recommend(_context(level), ["general"], horizon, model=synthetic_model)
            assert rec.context["unemployment"] == level
            assert rec.ranked_types() == _expected_order(synthetic_model, "general", horizon, level)
            orders[level] = rec.ranked_types()
            for o in rec.options:
                cell = synthetic_model.cell(o.programme_type, horizon, "general", level)
                assert o.p_positive == cell["p_positive"]
                assert o.p_positive_low == cell["p_positive_low"]
        differs.append(orders["high"] != orders["low"])
    # the synthetic truth has a type x context interaction: some horizon re-ranks
    assert any(differs)


def test_reason_names_the_evidence(synthetic_model: EffectivenessModel) -> None:
    rec = recommend(_context("high"), ["women"], "long", model=synthetic_model)
    for o in rec.options:
        cell = synthetic_model.cell(o.programme_type, "long", "women", "high")
        assert f"of {cell['votes']} estimates at this horizon" in o.reason
        assert f"{cell['studies']} studies" in o.reason
        assert f"{cell['p_positive']:.0%} chance" in o.reason
        assert o.votes == cell["votes"] and o.studies == cell["studies"]
        assert o.reason.startswith(o.label + ", women, high unemployment")
        # synthetic pp estimates with SEs: a pooled effect size in pp is named too
        assert o.effect is not None and o.effect["unit"] == "pp"
        assert "Effect sizes: pooled effect" in o.reason
    assert any("Skill level (low) and cycle phase (recovery)" in n for n in rec.notes)


@pytest.mark.parametrize(
    ("groups", "horizon", "field"),
    [
        (["teenagers"], "long", "target_groups"),
        ([], "long", "target_groups"),
        ("youth", "long", "target_groups"),
        (["youth"], "forever", "horizon"),
        (["youth"], "all", "horizon"),
    ],
)
def test_bad_input(
    synthetic_model: EffectivenessModel, groups: Any, horizon: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        recommend(_context(), groups, horizon, model=synthetic_model)
    assert [p.key for p in info.value.problems] == [field]


def test_no_model_given() -> None:
    with pytest.raises(InvalidInput, match="give a model or a models_dir"):
        recommend(_context(), ["youth"], "long")


def test_budget(synthetic_model: EffectivenessModel) -> None:
    budget = Budget(total=1_000_000, currency="EUR", unit_costs={"training": 4000.0})
    rec = recommend(_context(), ["youth"], "long", budget, model=synthetic_model)
    funded = {o.programme_type: o.participants_funded for o in rec.options}
    assert funded["training"] == pytest.approx(250.0)
    assert all(v is None for t, v in funded.items() if t != "training")
    assert rec.budget["total"] == 1_000_000 and rec.budget["unit_costs"] == {"training": 4000.0}
    plain = recommend(_context(), ["youth"], "long", 5e5, model=synthetic_model)
    assert plain.budget["total"] == 5e5
    assert all(o.participants_funded is None for o in plain.options)
    # a budget cannot re-rank: the evidence has no costs
    assert plain.ranked_types() == rec.ranked_types()
    for bad in (0, -5.0, Budget(total=0)):
        with pytest.raises(InvalidInput, match="budget must be positive"):
            recommend(_context(), ["youth"], "long", bad, model=synthetic_model)


def test_round_trip_through_json(synthetic_model: EffectivenessModel) -> None:
    budget = Budget(total=1e6, unit_costs={"public_employment": 20000.0})
    rec = recommend(_context("low"), ["youth", "migrants"], "short", budget, model=synthetic_model)
    back = Recommendation.from_dict(json.loads(json.dumps(rec.to_dict())))
    assert back == rec
    assert isinstance(back.options[0], PolicyOption)
    frame = rec.to_frame()
    assert len(frame) == 10 and list(frame["target_group"].unique()) == ["youth", "migrants"]


def test_context_from_a_dict(synthetic_model: EffectivenessModel) -> None:
    context = _context("low")
    as_dict = json.loads(json.dumps(context.to_dict()))
    a = recommend(as_dict, ["general"], "medium", model=synthetic_model)
    b = recommend(context, ["general"], "medium", model=synthetic_model)
    assert a == b
    assert a.context == {"unemployment": "low", "skill_level": "low", "cycle_phase": "recovery"}


def test_reads_the_approved_model(tmp_path: Path) -> None:
    rec = recommend(_context(), ["youth"], "long", models_dir=SHARED_MODELS)
    model, version = load_approved_model(SHARED_MODELS)
    assert rec.model_version == version
    assert rec.ranked_types() == _expected_order(model, "youth", "long", "high")
    # a candidate pointer is refused
    root = tmp_path / "almp_effectiveness"
    shutil.copytree(SHARED_MODELS / "almp_effectiveness", root)
    pointer = root / "model.yaml"
    pointer.write_text(pointer.read_text().replace("status: approved", "status: candidate"))
    with pytest.raises(InvalidInput, match="not approved"):
        recommend(_context(), ["youth"], "long", models_dir=tmp_path)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=st.lists(st.sampled_from(TARGET_GROUPS), min_size=1, max_size=4, unique=True),
    horizon=st.sampled_from(MODEL_HORIZONS),
    level=st.sampled_from(["high", "low"]),
    skill=st.sampled_from(["high", "low"]),
    phase=st.sampled_from(["expansion", "slowdown", "downturn", "recovery"]),
)
def test_any_valid_input_gives_five_ranked_options(
    synthetic_model: EffectivenessModel,
    groups: list[str],
    horizon: str,
    level: str,
    skill: str,
    phase: str,
) -> None:
    context = _context(level, skill_level=skill, cycle_phase=phase)
    rec = recommend(context, groups, horizon, model=synthetic_model)
    assert rec.target_groups == tuple(groups)
    for group in groups:
        options = rec.by_group[group]
        assert [o.rank for o in options] == [1, 2, 3, 4, 5]
        assert sorted(o.programme_type for o in options) == sorted(MODEL_TYPES)
        assert all(o.target_group == group and o.context == level for o in options)
