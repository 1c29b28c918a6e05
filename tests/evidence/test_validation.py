"""Tests for the study-grouped cross-validation (workbench.evidence.validation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.evidence.synthetic import synthetic_estimates
from workbench.evidence.validation import N_FOLDS, cross_validate


def _two_study_type(frame: pd.DataFrame) -> pd.DataFrame:
    """Four votes each from two studies on a type no other study has, spread evenly
    through the frame (so a row-wise split would put them in every fold)."""
    extra = frame.iloc[:8].copy()
    extra["id"] = [f"P{i}" for i in range(8)]
    extra["programme_type"] = "public_employment"
    extra["study"] = ["Pair study A", "Pair study B"] * 4
    extra["significance"] = (
        ["positive_significant"] * 2
        + ["insignificant"] * 2
        + [
            "positive_significant",
            "insignificant",
        ]
        * 2
    )
    step = len(frame) / len(extra)
    order = np.concatenate([np.arange(len(frame)), (np.arange(len(extra)) + 0.5) * step])
    out = pd.concat([frame, extra], ignore_index=True)
    return out.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


@pytest.fixture(scope="module")
def cv() -> tuple[pd.DataFrame, dict[str, float], list[dict[str, float]]]:
    synthetic = synthetic_estimates(1500, seed=4)
    # two types and one target group keep the refits quick; ~200 studies of three votes
    frame = synthetic[synthetic["programme_type"].isin(["training", "job_search_assistance"])]
    frame = _two_study_type(frame.assign(target_group="general").reset_index(drop=True))
    metrics, calibration = cross_validate(frame)
    return frame, metrics, calibration


def test_model_beats_the_base_rates(
    cv: tuple[pd.DataFrame, dict[str, float], list[dict[str, float]]],
) -> None:
    _, m, _ = cv
    assert m["cv_folds"] == N_FOLDS and m["cv_failed_folds"] == 0
    assert m["cv_log_loss"] < m["cv_log_loss_baseline"]
    assert m["cv_brier"] < m["cv_brier_baseline"]
    # calibration in the large
    assert m["cv_mean_p_positive"] == pytest.approx(m["cv_observed_positive"], abs=0.03)


def test_folds_leave_whole_studies_out(
    cv: tuple[pd.DataFrame, dict[str, float], list[dict[str, float]]],
) -> None:
    """The public-employment votes come from two studies only.

    Whichever fold holds a study out, its training part has at most the other study on
    that type, which fails the support rule (two studies), so the type has no figure and
    its held-out votes are not scored. Had folds split rows instead, the training part
    would usually hold votes of both studies and score them. So exactly the eight votes
    are unscored, and every other vote is scored once.
    """
    frame, m, _ = cv
    pair = frame.index[frame["programme_type"].eq("public_employment")]
    # spread: every fifth of the frame holds some of them
    assert (np.bincount(pair.to_numpy() * 5 // len(frame), minlength=5) >= 1).all()
    assert m["cv_unscored"] == 8
    assert m["cv_scored"] == len(frame) - 8


def test_calibration_table(
    cv: tuple[pd.DataFrame, dict[str, float], list[dict[str, float]]],
) -> None:
    _, m, calibration = cv
    assert calibration
    assert sum(c["n"] for c in calibration) == m["cv_scored"]
    lows = [c["bin_low"] for c in calibration]
    assert lows == sorted(lows)
    for c in calibration:
        assert c["bin_low"] <= c["mean_predicted"] <= c["bin_high"]
        assert 0.0 <= c["observed"] <= 1.0
    # the calibration curve rises: high predicted bins hold more positive votes
    observed = [c["observed"] for c in calibration if c["n"] >= 20]
    assert np.corrcoef(np.arange(len(observed)), observed)[0, 1] > 0.8


def test_fewer_than_two_studies_no_folds() -> None:
    frame = synthetic_estimates(12, seed=2).assign(study="Only study")
    assert cross_validate(frame) == ({"cv_folds": 0.0}, [])
    # no voting rows at all
    assert cross_validate(frame.assign(significance="unknown")) == ({"cv_folds": 0.0}, [])


def test_few_studies_fewer_folds() -> None:
    frame = synthetic_estimates(120, seed=3)
    frame = frame[frame["programme_type"].isin(["training", "job_search_assistance"])]
    frame = frame.assign(
        study=[f"Study {i % 3}" for i in range(len(frame))], target_group="general"
    )
    metrics, _ = cross_validate(frame)
    assert metrics["cv_folds"] == 3
    assert metrics["cv_scored"] + metrics["cv_unscored"] == len(frame)
