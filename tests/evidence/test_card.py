"""Tests for the model card (workbench.evidence.card)."""

from __future__ import annotations

import dataclasses

import pytest

from workbench.evidence.base import EVIDENCE_PATH, read_evidence
from workbench.evidence.card import model_card
from workbench.evidence.model import EffectivenessModel, fit_effectiveness
from workbench.evidence.votecount import MODEL_HORIZONS, MODEL_TYPES

NOT_BETTER = "does not predict held-out studies better"


@pytest.fixture(scope="module")
def model() -> EffectivenessModel:
    return fit_effectiveness(read_evidence(EVIDENCE_PATH))


@pytest.fixture(scope="module")
def card(model: EffectivenessModel) -> str:
    return model_card(model, version="7", status="candidate")


def _line(card: str, start: str) -> str:
    hits = [line for line in card.splitlines() if line.startswith(start)]
    assert len(hits) == 1, (start, hits)
    return hits[0]


def test_header_and_training_hash(model: EffectivenessModel, card: str) -> None:
    assert card.startswith("# Model card: almp_effectiveness 7\n")
    assert f"SHA-256 of the evidence table: `{model.training_hash}`" in card
    assert len(model.training_hash) == 64
    assert "**Status when fitted:** candidate." in card
    assert f"{model.vote.n_rows} from {model.vote.n_studies} studies" in card


def test_counts_per_cell(model: EffectivenessModel, card: str) -> None:
    cells = model.cells.drop_duplicates(["programme_type", "horizon"]).set_index(
        ["programme_type", "horizon"]
    )
    table = card.split("Votes per programme type and horizon")[1].split("## Method")[0]
    for ptype in MODEL_TYPES:
        row = _line(table, f"| {ptype} | ").split(" | ")[1:]
        for horizon, text in zip(MODEL_HORIZONS, row, strict=True):
            c = cells.loc[(ptype, horizon)]
            assert text.startswith(f"{c['votes']} votes / {c['studies']} studies"), (ptype, text)
            assert f"(+{c['votes_positive']} −{c['votes_negative']})" in text


def test_cv_metrics_and_patterns(model: EffectivenessModel, card: str) -> None:
    m = model.metrics
    assert f"Log-loss {m['cv_log_loss']:.3f} against {m['cv_log_loss_baseline']:.3f}" in card
    assert f"{int(m['cv_scored'])} votes scored in {int(m['cv_folds'])} folds" in card
    for c in model.calibration:
        assert f"| {int(c['n'])} | {c['mean_predicted']:.2f} | {c['observed']:.2f} |" in card
    assert model.patterns
    for p in model.patterns:
        line = _line(card, f"| {p['claim']} |")
        assert f"**{p['verdict']}**" in line
        assert p["detail"] in line


def test_insufficient_cells_show_no_number(model: EffectivenessModel, card: str) -> None:
    figures = card.split("## Figures")[1].split("## Effect sizes")[0]
    for r in model.cells.itertuples(index=False):
        if r.target_group != "general":
            continue
        if r.unemployment_context != model.vote.reference["unemployment_context"]:
            continue
        line = _line(figures, f"| {r.programme_type} | {r.horizon} |")
        if r.status == "ok":
            assert f"{r.p_positive:.0%} [{r.p_positive_low:.0%}, " in line
        else:
            assert "insufficient evidence" in line


@pytest.mark.parametrize(
    ("log_loss", "baseline"),
    [(0.5, 0.6), (0.6, 0.6), (0.9, 0.6)],
)
def test_says_not_better_exactly_when_log_loss_is_not_lower(
    model: EffectivenessModel, log_loss: float, baseline: float
) -> None:
    metrics = {**model.metrics, "cv_log_loss": log_loss, "cv_log_loss_baseline": baseline}
    card = model_card(dataclasses.replace(model, metrics=metrics))
    assert (NOT_BETTER in card) == (log_loss >= baseline)
    assert ("predicts held-out studies better than the base rates" in card) == (log_loss < baseline)


def test_real_card_matches_its_own_metrics(model: EffectivenessModel, card: str) -> None:
    m = model.metrics
    assert (NOT_BETTER in card) == (m["cv_log_loss"] >= m["cv_log_loss_baseline"])


def test_without_cross_validation(model: EffectivenessModel) -> None:
    card = model_card(dataclasses.replace(model, metrics={"cv_folds": 0.0}, calibration=[]))
    assert "Not enough studies to cross-validate." in card
    assert NOT_BETTER not in card
    assert "## Known limits" in card
