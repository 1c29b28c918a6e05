"""Tests for workbench.evaluation.evidence_row: an evaluation as an evidence-base row."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from workbench.evaluation import AttResult, EvaluationError, estimate_att
from workbench.evaluation.evidence_row import RUN_URL, evaluation_to_evidence_row
from workbench.evidence.base import EvidenceError, validate_evidence
from workbench.evidence.schema import COLUMN_NAMES

RUN = "3f" * 32
ARGS: dict[str, Any] = {
    "run_hash": RUN,
    "case_slug": "es61-manufacturing-youth",
    "programme": "Youth guarantee pilot",
    "programme_type": "training",
    "target_group": "youth",
    "country": "ES",
    "period_start": 2023,
    "period_end": 2024,
    "horizon": "short",
    "outcome": "earnings in the year after the pilot",
    "unit": "currency_year",
    "currency": "EUR",
}


@pytest.fixture(scope="module")
def result() -> AttResult:
    rng = np.random.default_rng(4)
    n = 1500
    x = rng.normal(size=n)
    d = rng.binomial(1, 1 / (1 + np.exp(-x)))
    y = 1000 + 400 * x + 300 * d + rng.normal(0, 200, n)
    frame = pd.DataFrame({"d": d, "y": y, "x": x})
    return estimate_att(frame, "d", "y", ["x"], "ipw", n_boot=100)


def _validated(row: dict[str, object]) -> pd.DataFrame:
    return validate_evidence(pd.DataFrame([row], columns=list(COLUMN_NAMES), dtype=object))


def test_row_passes_the_evidence_schema(result: AttResult) -> None:
    row = evaluation_to_evidence_row(result, **ARGS)
    assert list(row) == list(COLUMN_NAMES)
    frame = _validated(row)
    assert len(frame) == 1
    low, high = result.ci
    assert row["kind"] == "estimate" and row["secondary"] is False
    assert row["design"] == "matching"
    assert row["source_type"] == "primary_report_summary"
    assert row["estimate"] == result.att
    assert (row["ci_low"], row["ci_high"]) == (low, high)
    assert row["se"] == pytest.approx((high - low) / (2 * 1.96))
    assert row["significance"] == "positive_significant" and row["direction"] == "positive"
    assert row["source_url"] == RUN_URL.format(run_hash=RUN)
    assert row["quote"] == result.summary()
    assert "inverse probability weighting" in str(row["notes"]) and RUN in str(row["notes"])
    assert row["id"] == f"L-es61-manufacturing-youth-ipw-{RUN[:12]}"
    assert frame.loc[0, "period_start"] == 2023 and frame.loc[0, "currency"] == "EUR"


def test_orientation_and_significance(result: AttResult) -> None:
    worse = evaluation_to_evidence_row(result, **ARGS, higher_is_better=False, row_id="L1")
    assert (worse["significance"], worse["direction"]) == ("negative_significant", "negative")
    unclear = replace(result, att=40.0, ci=(-10.0, 90.0))
    row = evaluation_to_evidence_row(unclear, **ARGS)
    assert (row["significance"], row["direction"]) == ("insignificant", "positive")
    _validated(row)


def test_interval_without_the_estimate_is_left_out(result: AttResult) -> None:
    skewed = replace(result, att=100.0, ci=(120.0, 400.0))
    row = evaluation_to_evidence_row(skewed, **ARGS)
    assert row["ci_low"] is None and row["ci_high"] is None
    assert row["se"] == pytest.approx(280 / 3.92)
    # without the interval, significance comes from |estimate / se| = 100 / 71.4 < 1.96
    assert row["significance"] == "insignificant"
    assert "does not contain the point estimate" in str(row["notes"])
    _validated(row)


def test_no_interval_gives_unknown_significance(result: AttResult) -> None:
    bare = replace(result, ci=(math.nan, math.nan), se=math.nan)
    row = evaluation_to_evidence_row(bare, **ARGS)
    assert row["significance"] == "unknown" and row["se"] is None
    _validated(row)


def test_synthetic_rows(result: AttResult) -> None:
    row = evaluation_to_evidence_row(result, **ARGS, synthetic=True)
    assert row["kind"] == "synthetic" and row["source_type"] == "synthetic"
    assert row["source_url"] == "" and "SYNTHETIC" in str(row["notes"])
    _validated(row)


def test_bad_arguments_are_named(result: AttResult) -> None:
    with pytest.raises(EvaluationError, match="run_hash"):
        evaluation_to_evidence_row(result, **{**ARGS, "run_hash": "not-a-hash"})
    with pytest.raises(EvidenceError, match="programme_type"):
        evaluation_to_evidence_row(result, **{**ARGS, "programme_type": "coaching"})
    with pytest.raises(EvidenceError, match="currency"):
        evaluation_to_evidence_row(result, **{**ARGS, "currency": ""})
    with pytest.raises(EvidenceError, match="period_start"):
        evaluation_to_evidence_row(result, **{**ARGS, "period_start": 2030})
    with pytest.raises(EvaluationError, match="att"):
        evaluation_to_evidence_row(replace(result, att=math.nan), **ARGS)
