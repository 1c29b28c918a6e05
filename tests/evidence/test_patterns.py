"""Tests for the CKW pattern checks (workbench.evidence.patterns)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from workbench.evidence.base import EVIDENCE_PATH, read_evidence
from workbench.evidence.model import fit_effectiveness
from workbench.evidence.patterns import PATTERNS, _verdict, check_patterns
from workbench.evidence.synthetic import synthetic_estimates, true_cell_means
from workbench.evidence.votecount import vote_rows


def _checked(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    model = fit_effectiveness(frame, validate=False)
    votes, _ = vote_rows(frame)
    return {p["id"]: p for p in check_patterns(model, votes)}


@pytest.fixture(scope="module")
def synthetic() -> dict[str, dict[str, Any]]:
    return _checked(synthetic_estimates(3000, seed=13))


@pytest.fixture(scope="module")
def real() -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    evidence = read_evidence(EVIDENCE_PATH)
    return evidence, _checked(evidence)


@pytest.mark.parametrize(
    ("diff", "verdict"),
    [
        (np.linspace(0.1, 0.5, 101), "holds"),
        (np.linspace(-0.5, -0.1, 101), "reversed"),
        (np.linspace(-0.1, 0.3, 101), "same direction, not significant"),
        (np.linspace(-0.3, 0.1, 101), "opposite direction, not significant"),
    ],
)
def test_verdict_logic(diff: np.ndarray, verdict: str) -> None:
    got, point, low, high = _verdict(diff)
    assert got == verdict
    assert point == pytest.approx(float(np.median(diff)))
    assert (low, high) == pytest.approx(tuple(np.percentile(diff, [2.5, 97.5])))
    assert low <= point <= high


def test_every_pattern_is_reported(synthetic: dict[str, dict[str, Any]]) -> None:
    assert list(synthetic) == [p.id for p in PATTERNS] + ["long_run_shares"]
    for p in synthetic.values():
        assert p["claim"] and p["source"].startswith("Card, Kluve & Weber")


def test_synthetic_truth_is_found(synthetic: dict[str, dict[str, Any]]) -> None:
    truth = true_cell_means().set_index(["programme_type", "horizon", "unemployment_context"])
    mean = truth["mean"]
    # training grows with the horizon in the generator: the long and medium run hold
    assert mean["training", "long", "low"] > mean["training", "short", "low"]
    assert synthetic["training_long_run"]["verdict"] == "holds"
    assert synthetic["training_medium_run"]["verdict"] == "holds"
    # training gains from high unemployment (HIGH_CONTEXT + its own type term)
    assert mean["training", "medium", "high"] > mean["training", "medium", "low"]
    high = synthetic["high_unemployment_larger"]
    assert high["verdict"] == "holds"
    assert high["difference_low"] > 0 and high["difference_low"] <= high["difference"]
    # the target group has no effect in the generator: no significant difference
    for pid in ("women_larger", "ltu_larger"):
        assert synthetic[pid]["verdict"].endswith("not significant"), synthetic[pid]


def test_long_run_shares(synthetic: dict[str, dict[str, Any]]) -> None:
    frame = synthetic_estimates(3000, seed=13)
    long_run = frame[frame["horizon"] == "long"]
    record = synthetic["long_run_shares"]
    assert record["verdict"] == "compare"
    assert record["n"] == len(long_run)
    shares = long_run["significance"].value_counts(normalize=True)
    for outcome, share in record["shares"].items():
        assert share == pytest.approx(shares.get(outcome, 0.0))


def test_real_base_cannot_show_context(
    real: tuple[pd.DataFrame, dict[str, dict[str, Any]]],
) -> None:
    evidence, checked = real
    votes, _ = vote_rows(evidence)
    n_high = int(votes["unemployment_context"].eq("high").sum())
    n_low = int(votes["unemployment_context"].eq("low").sum())
    record = checked["high_unemployment_larger"]
    assert record["verdict"] == "cannot show"
    assert "difference" not in record
    assert f"unemployment context high: {n_high} vote(s), no term" in record["detail"]
    assert f"unemployment context low: {n_low} vote(s), no term" in record["detail"]
    n_ltu = int(votes["target_group"].eq("long_term_unemployed").sum())
    ltu = checked["ltu_larger"]
    assert ltu["verdict"] == "cannot show"
    assert f"target group long_term_unemployed: {n_ltu} vote(s), no term" in ltu["detail"]


def test_real_base_checks_have_figures_where_they_can(
    real: tuple[pd.DataFrame, dict[str, dict[str, Any]]],
) -> None:
    _, checked = real
    shown = [p for p in checked.values() if p["verdict"] not in ("cannot show", "compare")]
    assert shown
    for p in shown:
        assert p["difference_low"] <= p["difference"] <= p["difference_high"]
        assert p["detail"].startswith("P(positive)")
    long_run = checked["long_run_shares"]
    assert long_run["n"] > 0
    assert sum(long_run["shares"].values()) == pytest.approx(1.0)
