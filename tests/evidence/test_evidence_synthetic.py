"""Tests for the fixed-seed synthetic evidence generator."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from workbench.evidence.base import canonical_csv, read_evidence, validate_evidence
from workbench.evidence.schema import COLUMN_NAMES, DTYPES
from workbench.evidence.synthetic import (
    BASE,
    GROWTH,
    HIGH_CONTEXT,
    HIGH_CONTEXT_BY_TYPE,
    SYNTHETIC_HORIZONS,
    SYNTHETIC_TYPES,
    synthetic_estimates,
    true_cell_means,
)


def test_same_seed_same_frame_other_seed_differs() -> None:
    a, b = synthetic_estimates(300, seed=7), synthetic_estimates(300, seed=7)
    pd.testing.assert_frame_equal(a, b)
    c = synthetic_estimates(300, seed=8)
    assert not a["estimate"].equals(c["estimate"])
    assert synthetic_estimates(300)["estimate"].equals(synthetic_estimates(300)["estimate"])


def test_schema_labels_and_validation() -> None:
    df = synthetic_estimates(500, seed=1)
    assert list(df.columns) == list(COLUMN_NAMES)
    assert {c: str(t) for c, t in df.dtypes.items()} == DTYPES
    assert (df["kind"] == "synthetic").all()
    assert (df["source_type"] == "synthetic").all()
    assert (df["source_url"] == "").all()
    assert df["notes"].str.startswith("SYNTHETIC").all()
    assert df["id"].is_unique
    pd.testing.assert_frame_equal(validate_evidence(df), df)
    back = read_evidence(io.StringIO(canonical_csv(df)))
    pd.testing.assert_frame_equal(back, df.sort_values("id").reset_index(drop=True))


def test_significance_and_direction_follow_the_numbers() -> None:
    df = synthetic_estimates(2000, seed=3)
    t = df["estimate"] / df["se"]
    assert (df.loc[t >= 1.96, "significance"] == "positive_significant").all()
    assert (df.loc[t <= -1.96, "significance"] == "negative_significant").all()
    assert (df.loc[t.abs() < 1.96, "significance"] == "insignificant").all()
    assert (df.loc[df["estimate"] > 0, "direction"] == "positive").all()
    assert (df["period_start"] <= df["period_end"]).all()


def test_true_means_are_the_documented_model() -> None:
    means = true_cell_means()
    assert len(means) == 5 * 3 * 2
    row = means.set_index(["programme_type", "horizon", "unemployment_context"])["mean"]
    # training, long run, high unemployment: -1.0 + 3.0 * 2 + 1.5 + 2.5 by hand
    assert row["training", "long", "high"] == pytest.approx(9.0)
    assert row["training", "long", "low"] == pytest.approx(5.0)
    assert row["public_employment", "short", "low"] == pytest.approx(-2.0)
    assert row["public_employment", "short", "high"] == pytest.approx(0.5)
    expected = (
        BASE["job_search_assistance"]
        + GROWTH["job_search_assistance"]
        + HIGH_CONTEXT
        + HIGH_CONTEXT_BY_TYPE["job_search_assistance"]
    )
    assert row["job_search_assistance", "medium", "high"] == pytest.approx(expected)
    assert expected == pytest.approx(3.0)  # 2.0 + 0.5 + 1.5 - 1.0
    attrs = synthetic_estimates(10).attrs["true_means"]
    assert attrs == {key: float(value) for key, value in row.items()}


def test_context_gap_depends_on_the_type() -> None:
    row = true_cell_means().set_index(["programme_type", "horizon", "unemployment_context"])
    assert set(HIGH_CONTEXT_BY_TYPE) == set(SYNTHETIC_TYPES)
    for t in SYNTHETIC_TYPES:
        for h in SYNTHETIC_HORIZONS:
            gap = row.loc[(t, h, "high"), "mean"] - row.loc[(t, h, "low"), "mean"]
            assert gap == pytest.approx(HIGH_CONTEXT + HIGH_CONTEXT_BY_TYPE[t])
    # the ranking of types by true mean differs between the contexts at the medium horizon
    medium = true_cell_means().query("horizon == 'medium'")
    order = {
        c: list(g.sort_values("mean", ascending=False)["programme_type"])
        for c, g in medium.groupby("unemployment_context")
    }
    assert order["low"][0] == "private_sector_subsidy"
    assert order["high"][0] == "training"
    assert order["high"] != order["low"]


def test_plain_groupby_recovers_the_cell_means() -> None:
    df = synthetic_estimates(30_000, seed=11)
    got = df.groupby(["programme_type", "horizon", "unemployment_context"])["estimate"].mean()
    truth = pd.Series(df.attrs["true_means"])
    truth.index.names = got.index.names
    diff = (got - truth.reindex(got.index)).abs()
    assert len(got) == 30
    # about 1,000 rows per cell, sd about 2 pp: the mean is within 0.1 pp (1 sd) typically
    assert diff.max() < 0.35
    assert np.corrcoef(got, truth.reindex(got.index))[0, 1] > 0.99


@pytest.mark.parametrize("n", [-1, 1.5, "10", True])
def test_bad_n(n: object) -> None:
    with pytest.raises(ValueError, match="n must be a whole number"):
        synthetic_estimates(n)  # type: ignore[arg-type]


def test_zero_rows_and_bad_seed() -> None:
    empty = synthetic_estimates(0)
    assert list(empty.columns) == list(COLUMN_NAMES) and len(empty) == 0
    with pytest.raises(ValueError, match="seed must be a whole number"):
        synthetic_estimates(5, seed=1.5)  # type: ignore[arg-type]
