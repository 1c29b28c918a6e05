"""Tests for the effectiveness model: cell table and JSON round trip (workbench.evidence.model)."""

from __future__ import annotations

import json
from itertools import product

import pandas as pd
import pytest

from workbench.evidence.base import EVIDENCE_PATH, evidence_hash, read_evidence
from workbench.evidence.model import (
    CONTEXT_LEVELS,
    FORMAT,
    INSUFFICIENT,
    MIN_CELL_STUDIES,
    MIN_CELL_VOTES,
    EffectivenessModel,
    cell_key,
    fit_effectiveness,
)
from workbench.evidence.schema import TARGET_GROUPS
from workbench.evidence.votecount import MIN_ROWS, MIN_STUDIES, MODEL_HORIZONS, MODEL_TYPES

FIGURES = (
    "p_negative",
    "p_insignificant",
    "p_positive",
    "p_positive_low",
    "p_positive_high",
    "p_negative_low",
    "p_negative_high",
)


@pytest.fixture(scope="module")
def evidence() -> pd.DataFrame:
    return read_evidence(EVIDENCE_PATH)


@pytest.fixture(scope="module")
def model(evidence: pd.DataFrame) -> EffectivenessModel:
    return fit_effectiveness(evidence)


def _votes(evidence: pd.DataFrame) -> pd.DataFrame:
    """The voting rows, filtered here from the CSV's own columns."""
    return evidence[
        evidence["kind"].eq("estimate")
        & evidence["significance"].ne("unknown")
        & evidence["programme_type"].isin(MODEL_TYPES)
        & evidence["horizon"].isin(MODEL_HORIZONS)
    ]


def test_json_round_trip_is_byte_identical(model: EffectivenessModel) -> None:
    raw = model.to_json()
    back = EffectivenessModel.from_json(raw)
    assert back.to_json() == raw
    assert EffectivenessModel.from_json(raw.decode()).to_json() == raw
    assert back.training_hash == model.training_hash
    assert back.patterns == model.patterns and back.metrics == model.metrics
    # the reloaded model answers with the same figures
    for key in ("training|long|general|unknown", "public_employment|short|youth|high"):
        a, b = model.cell(*key.split("|")), back.cell(*key.split("|"))
        assert a["status"] == b["status"]
        if a["status"] == "ok":
            assert a["p_positive"] == b["p_positive"]
        else:  # no figure on either side
            assert pd.isna(a["p_positive"]) and pd.isna(b["p_positive"])
    # canonical: sorted keys, no NaN
    data = json.loads(raw)
    assert list(data) == sorted(data)
    assert b"NaN" not in raw


def test_from_json_refuses_another_format(model: EffectivenessModel) -> None:
    data = model.to_dict()
    assert data["format"] == FORMAT
    data["format"] = "almp_effectiveness/0"
    with pytest.raises(ValueError, match="not an effectiveness model file"):
        EffectivenessModel.from_json(json.dumps(data))
    del data["format"]
    with pytest.raises(ValueError, match="format None"):
        EffectivenessModel.from_dict(data)


def test_cell_lookup(model: EffectivenessModel) -> None:
    expected = len(MODEL_TYPES) * len(MODEL_HORIZONS) * len(TARGET_GROUPS) * len(CONTEXT_LEVELS)
    assert len(model.cells) == expected
    assert model.cells["key"].is_unique
    for t, h, g, c in product(MODEL_TYPES, MODEL_HORIZONS, TARGET_GROUPS, CONTEXT_LEVELS):
        assert model.cell(t, h, g, c)["key"] == cell_key(t, h, g, c)
    with pytest.raises(KeyError):
        model.cell("training", "very_long", "general", "high")
    with pytest.raises(KeyError):
        model.cell("other", "short", "general", "high")


def test_insufficient_cells_have_no_figures(model: EffectivenessModel) -> None:
    cells = model.to_dict()["cells"]
    insufficient = [c for c in cells if c["status"] == INSUFFICIENT]
    ok = [c for c in cells if c["status"] == "ok"]
    assert insufficient and ok
    for c in insufficient:
        assert all(c[f] is None for f in FIGURES), c["key"]
        assert c["notes"], c["key"]
    for c in ok:
        assert all(isinstance(c[f], float) for f in FIGURES), c["key"]
        assert c["p_positive_low"] <= c["p_positive"] <= c["p_positive_high"]
        total = c["p_negative"] + c["p_insignificant"] + c["p_positive"]
        assert total == pytest.approx(1.0)
    # in the frame, a missing figure is NaN
    assert model.cells.loc[model.cells["status"] == INSUFFICIENT, "p_positive"].isna().all()


def test_real_base_vote_counts_come_from_the_csv(
    model: EffectivenessModel, evidence: pd.DataFrame
) -> None:
    votes = _votes(evidence)
    assert model.training_hash == evidence_hash(evidence)
    assert model.counts["rows"] == len(evidence)
    assert model.counts["rows_estimate"] == int(evidence["kind"].eq("estimate").sum())
    assert model.counts["rows_finding"] == int(evidence["kind"].eq("finding").sum())
    training_short = votes[votes["programme_type"].eq("training") & votes["horizon"].eq("short")]
    cell = model.cell("training", "short", "general", "unknown")
    assert cell["votes"] == len(training_short) == 8
    assert cell["studies"] == training_short["study"].nunique()
    assert sorted(cell["evidence_ids"]) == sorted(training_short["id"])
    positive = training_short["significance"].eq("positive_significant").sum()
    assert cell["votes_positive"] == positive
    # every cell carries its type x horizon counts, whatever its group and context
    for (ptype, horizon), sub in votes.groupby(["programme_type", "horizon"]):
        cells = model.cells[
            model.cells["programme_type"].eq(ptype) & model.cells["horizon"].eq(horizon)
        ]
        assert (cells["votes"] == len(sub)).all(), (ptype, horizon)
        assert (cells["studies"] == sub["study"].nunique()).all(), (ptype, horizon)


def test_real_base_statuses_follow_the_support_rule(
    model: EffectivenessModel, evidence: pd.DataFrame
) -> None:
    votes = _votes(evidence)
    by_type = votes.groupby("programme_type")["study"].agg(["size", "nunique"])
    supported = {
        t
        for t in MODEL_TYPES
        if t in by_type.index
        and by_type.loc[t, "size"] >= MIN_ROWS
        and by_type.loc[t, "nunique"] >= MIN_STUDIES
    }
    assert set(model.vote.types) == supported
    # private-sector subsidies: too few votes or studies in the shipped base
    assert "private_sector_subsidy" not in supported
    pss = model.cells[model.cells["programme_type"].eq("private_sector_subsidy")]
    assert (pss["status"] == INSUFFICIENT).all() and pss["p_positive"].isna().all()
    counts = votes.groupby(["programme_type", "horizon"])["study"].agg(["size", "nunique"])
    for r in model.cells.itertuples(index=False):
        key = (r.programme_type, r.horizon)
        n, studies = counts.loc[key] if key in counts.index else (0, 0)
        enough = n >= MIN_CELL_VOTES and studies >= MIN_CELL_STUDIES
        expected = "ok" if r.programme_type in supported and enough else INSUFFICIENT
        assert r.status == expected, r.key
    excluded = model.vote.excluded
    assert excluded["not an estimate (meta-analytic finding)"] == model.counts["rows_finding"]
    assert model.counts["votes"] == len(votes[votes["programme_type"].isin(supported)])


def test_levels_without_a_term_are_labelled(model: EffectivenessModel) -> None:
    pooled_groups = model.vote.pooled.get("target_group", [])
    assert pooled_groups  # long-term unemployed: too few votes in the shipped base
    for group in pooled_groups:
        cell = model.cell("training", "medium", group, model.vote.reference["unemployment_context"])
        general = model.cell("training", "medium", "general", cell["unemployment_context"])
        assert cell["p_positive"] == general["p_positive"]
        assert any(f"no separate term for target group {group}" in n for n in cell["notes"])


def test_meta_groups_per_type(model: EffectivenessModel) -> None:
    for ptype in MODEL_TYPES:
        groups = model.meta_for(ptype)
        assert all(g.programme_type == ptype for g in groups)
    assert sum(len(model.meta_for(t)) for t in MODEL_TYPES) == len(model.meta)
