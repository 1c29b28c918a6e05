"""Tests for deriving the unemployment context of evidence rows."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from workbench.data.eurostat import read_tsv
from workbench.evidence.context import ContextError, derive_context
from workbench.evidence.schema import EvidenceRow, frame_from_rows
from workbench.exceptions import InvalidInput

UNE_RT_A = (
    Path(__file__).parents[2]
    / "workbench/data/packs/real/eurostat/une_rt_a__subset_T_PC_ACT__stat163.tsv"
)

# Hand-made annual rates (%), ages 15-74; the Y15-24 rows must be ignored.
RATES = {
    "EU27_2020": {2010: 10.0, 2011: 8.0, 2012: 6.0},
    "DE": {2010: 12.0, 2011: 6.0, 2012: 5.0},
    "EL": {2010: 12.0, 2011: 9.0, 2012: math.nan},
}


def rates_frame() -> pd.DataFrame:
    records = [
        {"freq": "A", "age": age, "unit": "PC_ACT", "sex": "T", "geo": geo, "time": str(year),
         "value": value * (3 if age == "Y15-24" else 1), "flags": ""}
        for age in ("Y15-74", "Y15-24")
        for geo, series in RATES.items()
        for year, value in series.items()
    ]  # fmt: skip
    return pd.DataFrame.from_records(records)


BASE = EvidenceRow(
    id="E0",
    kind="estimate",
    study="Doe (2001)",
    programme_type="training",
    target_group="general",
    country="DE",
    horizon="short",
    significance="unknown",
    direction="positive",
    design="rct",
    unemployment_context="unknown",
    context_source="unknown",
    secondary=False,
    source_type="primary_abstract",
    source_url="https://example.org",
    quote="q",
    notes="original note",
)


def row(id_: str, **changes: object) -> EvidenceRow:
    return replace(BASE, id=id_, **changes)


ROWS = [
    row("DE10-11", period_start=2010, period_end=2011),  # 9.0 vs 9.0: ratio 1 -> high
    row("DE11-12", period_start=2011, period_end=2012),  # 5.5 vs 7.0 -> low
    row("GR10-11", country="GR", period_start=2010, period_end=2011),  # EL 10.5 vs 9.0 -> high
    row("GR12", country="GR", period_start=2012, period_end=2012),  # EL 2012 missing
    row("DE08-10", period_start=2008, period_end=2010),  # before the data
    row("FR10", country="FR", period_start=2010, period_end=2010),  # no FR series
    row("multi", country="multi", period_start=2010, period_end=2010),
    row("DE-none"),  # no period
    row("DEstart", period_start=2012),  # 5.0 vs 6.0 -> low
    row("DEend", period_end=2010),  # 12.0 vs 10.0 -> high
    row("stated", period_start=2011, period_end=2012, unemployment_context="high",
        context_source="stated"),  # would be low: never overwritten
    row("derived", period_start=2010, period_end=2011, unemployment_context="low",
        context_source="derived"),
]  # fmt: skip


def test_hand_computed_means() -> None:
    rows = frame_from_rows(ROWS)
    before = rows.copy()
    out = derive_context(rows, rates_frame()).set_index("id")
    pd.testing.assert_frame_equal(rows, before)  # input not changed
    expected = {
        "DE10-11": ("high", "derived"),
        "DE11-12": ("low", "derived"),
        "GR10-11": ("high", "derived"),
        "GR12": ("unknown", "unknown"),
        "DE08-10": ("unknown", "unknown"),
        "FR10": ("unknown", "unknown"),
        "multi": ("unknown", "unknown"),
        "DE-none": ("unknown", "unknown"),
        "DEstart": ("low", "derived"),
        "DEend": ("high", "derived"),
        "stated": ("high", "stated"),
        "derived": ("low", "derived"),
    }
    got = {i: (r.unemployment_context, r.context_source) for i, r in out.iterrows()}
    assert got == expected
    note = out.loc["DE11-12", "notes"]
    assert note.startswith("original note; unemployment context derived: ")
    assert "DE mean 5.50% vs EU27_2020 mean 7.00% over 2011-2012" in note
    assert "ratio 0.786 < 1 -> low" in note
    assert "EL mean 10.50% vs EU27_2020 mean 9.00% over 2010-2011" in out.loc["GR10-11", "notes"]
    assert "ratio 1.000 >= 1 -> high" in out.loc["DE10-11", "notes"]
    assert "DE mean 5.00% vs EU27_2020 mean 6.00% over 2012," in out.loc["DEstart", "notes"]
    reasons = out["reason"]
    assert reasons["GR12"] == "no value for EL in 2012"
    assert reasons["DE08-10"] == "period 2008-2010 is not within the years of the data (2010-2012)"
    assert reasons["FR10"] == "no unemployment series for FR in the data"
    assert reasons["multi"] == "no single country"
    assert reasons["DE-none"] == "no period_start/period_end"
    assert reasons["stated"] == "context stated in the source: not changed"
    assert reasons["derived"] == "context already derived: not changed"
    for unchanged in ("GR12", "DE08-10", "stated", "derived"):
        assert out.loc[unchanged, "notes"] == "original note"


def test_threshold_and_reference() -> None:
    rows = frame_from_rows([ROWS[1]])  # DE 2011-2012: ratio 5.5 / 7.0 = 0.786
    out = derive_context(rows, rates_frame(), threshold=0.75)
    assert out["unemployment_context"].iloc[0] == "high"
    assert "ratio 0.786 >= 0.75 -> high" in out["notes"].iloc[0]
    # against Greece: DE 5.5 vs EL 9.0 in 2011 only ... 2012 is missing for EL
    out = derive_context(rows, rates_frame(), reference="EL")
    assert out["unemployment_context"].iloc[0] == "unknown"
    assert out["reason"].iloc[0] == "no value for EL in 2012"


def test_text_frames_work_too() -> None:
    rows = pd.DataFrame(
        {
            "country": ["DE", "DE"],
            "period_start": ["2010", ""],
            "period_end": ["2011", ""],
            "unemployment_context": ["unknown", "unknown"],
            "context_source": ["unknown", "unknown"],
            "notes": ["", ""],
        }
    )
    out = derive_context(rows, rates_frame())
    assert out["unemployment_context"].tolist() == ["high", "unknown"]
    assert out["notes"].iloc[0].startswith("unemployment context derived: DE mean 9.00%")


@pytest.mark.parametrize(
    ("rows", "rates", "kwargs", "message"),
    [
        (pd.DataFrame({"country": ["DE"]}), None, {}, "missing column"),
        (None, pd.DataFrame({"geo": ["DE"]}), {}, "missing column(s) time, value"),
        (None, None, {"threshold": 0}, "positive number"),
        (None, None, {"threshold": float("nan")}, "positive number"),
        (None, None, {"reference": "EA20"}, "reference area EA20"),
        (None, pd.DataFrame({"geo": ["DE"], "time": ["2010-Q1"], "value": [1.0]}), {},
         "is not a year"),
        (None, pd.DataFrame({"geo": ["DE", "DE"], "time": ["2010", "2010"], "value": [1, 2]}),
         {}, "appears more than once"),
        (None, pd.DataFrame({"geo": ["DE"], "time": ["2010"], "value": ["n/a"]}), {},
         "is not a number"),
        ("rows", None, {}, "expected a pandas DataFrame"),
    ],
)  # fmt: skip
def test_errors(rows: object, rates: object, kwargs: dict[str, object], message: str) -> None:
    rows = frame_from_rows(ROWS) if rows is None else rows
    rates = rates_frame() if rates is None else rates
    with pytest.raises(ContextError) as info:
        derive_context(rows, rates, **kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, InvalidInput)


def plain_rates(path: Path, geo: str) -> dict[int, float | None]:
    """Annual Y15-74 rates of ``geo`` read with plain text parsing (not the code under test)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    years = [int(cell.strip()) for cell in lines[0].split("\t")[1:]]
    for line in lines[1:]:
        cells = line.split("\t")
        if cells[0] == f"A,Y15-74,PC_ACT,T,{geo}":
            values = [cell.strip().split(" ")[0] for cell in cells[1:]]
            return {y: None if v == ":" else float(v) for y, v in zip(years, values, strict=True)}
    raise AssertionError(f"no series for {geo}")


def test_real_une_rt_a() -> None:
    header = UNE_RT_A.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("freq,age,unit,sex,geo\\TIME_PERIOD")
    tr, eu, dk = (plain_rates(UNE_RT_A, g) for g in ("TR", "EU27_2020", "DK"))
    own = (tr[2010] + tr[2011]) / 2  # type: ignore[operator]
    ref = (eu[2010] + eu[2011]) / 2  # type: ignore[operator]
    rows = frame_from_rows(
        [
            row("TR", country="TR", period_start=2010, period_end=2011),
            row("DK", country="DK", period_start=2005, period_end=2006),
        ]
    )
    out = derive_context(rows, read_tsv(UNE_RT_A)).set_index("id")
    expected = "high" if own / ref >= 1.0 else "low"
    assert out.loc["TR", "unemployment_context"] == expected
    assert out.loc["TR", "context_source"] == "derived"
    note = out.loc["TR", "notes"]
    assert f"TR mean {own:.2f}% vs EU27_2020 mean {ref:.2f}% over 2010-2011" in note
    assert dk[2005] is None and eu[2005] is None  # the file has no 2005 rates for these
    assert out.loc["DK", "unemployment_context"] == "unknown"
    assert out.loc["DK", "reason"] == (
        "no value for DK in 2005, 2006; no value for EU27_2020 in 2005, 2006"
    )
