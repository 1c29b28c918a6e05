"""Tests for the evidence schema: columns, allowed values, the row model."""

from __future__ import annotations

import math
import re
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest

from workbench.evidence.base import validate_evidence
from workbench.evidence.schema import (
    COLUMN_NAMES,
    COLUMNS,
    CURRENCY_UNITS,
    DTYPES,
    HORIZONS,
    PROGRAMME_TYPES,
    REQUIRED_COLUMNS,
    TARGET_GROUPS,
    UNITS,
    EvidenceRow,
    frame_from_rows,
)

README = Path(__file__).parents[2] / "shared_models/almp_effectiveness/evidence/README.md"

ROW = EvidenceRow(
    id="E1",
    kind="estimate",
    study="Doe (2001)",
    programme_type="training",
    target_group="women",
    country="SE",
    horizon="long",
    significance="insignificant",
    direction="none",
    design="matching",
    unemployment_context="unknown",
    context_source="unknown",
    secondary=False,
    source_type="primary_abstract",
    estimate=0.5,
    unit="pp",
    se=1.25,
    period_start=1994,
    period_end=1999,
    source_url="https://example.org",
    quote="an effect of 0.5 percentage points (SE 1.25)",
)


def test_columns_as_briefed() -> None:
    assert COLUMN_NAMES[:3] == ("id", "kind", "study")
    assert COLUMN_NAMES[-1] == "notes"
    assert len(set(COLUMN_NAMES)) == len(COLUMN_NAMES) == 30
    assert {f.name for f in fields(EvidenceRow)} == set(COLUMN_NAMES)
    assert set(DTYPES) == set(COLUMN_NAMES)
    assert set(REQUIRED_COLUMNS) <= set(COLUMN_NAMES)
    assert "estimate" not in REQUIRED_COLUMNS


def test_allowed_values_follow_the_taxonomy() -> None:
    assert "start_up_support" in PROGRAMME_TYPES
    assert "all_types" in PROGRAMME_TYPES
    assert {"youth", "long_term_unemployed", "women", "general"} <= set(TARGET_GROUPS)
    assert HORIZONS == ("short", "medium", "long", "unknown", "all")
    assert set(CURRENCY_UNITS) <= set(UNITS)
    assert "" not in UNITS


def test_every_enum_column_lists_its_values() -> None:
    for col in COLUMNS:
        if col.kind in ("enum", "bool"):
            assert col.allowed, col.name
            assert len(set(col.allowed)) == len(col.allowed)
            assert all(v == v.lower() and v.strip() == v for v in col.allowed)
        else:
            assert not col.allowed, col.name


def test_row_model_to_record_and_frame() -> None:
    record = ROW.to_record()
    assert list(record) == list(COLUMN_NAMES)
    assert record["notes"] == ""
    assert record["ci_low"] is None
    no_number = EvidenceRow(**{**record, "id": "E2", "estimate": None, "unit": "", "se": None})
    frame = frame_from_rows([ROW, no_number])
    assert {c: str(t) for c, t in frame.dtypes.items()} == DTYPES
    assert frame["estimate"].iloc[0] == 0.5
    assert math.isnan(frame["estimate"].iloc[1])
    assert frame["period_end"].tolist() == [1999, 1999]
    assert frame["notes"].tolist() == ["", ""]
    # a frame of typed rows validates to the same frame
    pd.testing.assert_frame_equal(validate_evidence(frame), frame)


def test_frame_from_no_rows() -> None:
    frame = frame_from_rows([])
    assert list(frame.columns) == list(COLUMN_NAMES)
    assert len(frame) == 0


def test_row_model_is_frozen() -> None:
    with pytest.raises(AttributeError):
        ROW.id = "E9"  # type: ignore[misc]


def test_readme_documents_every_column_and_value() -> None:
    text = README.read_text(encoding="utf-8")
    for col in COLUMNS:
        line = re.search(rf"^- `{col.name}` \(.*$", text, flags=re.M)
        assert line, f"README has no schema line for {col.name}"
        for value in col.allowed:
            assert f"`{value}`" in line.group(0), (col.name, value)
