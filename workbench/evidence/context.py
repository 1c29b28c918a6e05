"""Derive an evidence row's unemployment context (high/low) from Eurostat rates.

For a row whose ``unemployment_context`` is ``unknown`` and that names one country and a
period (``period_start``..``period_end``; a single year when only one is given), the
context is **high** when the country's mean annual unemployment rate over those years,
divided by the reference area's mean over the same years (EU27_2020 by default), is at
least ``threshold`` (1.0 by default: at or above the EU average), else **low**. Every year
of the period must have a value for both areas; means are plain arithmetic means of the
annual rates. The input is a tidy frame as :func:`workbench.data.eurostat.read_tsv`
returns for ``une_rt_a`` (columns ``geo``, ``time``, ``value``; when present, ``age``,
``unit``, ``sex`` and ``freq`` are filtered to ``Y15-74``, ``PC_ACT``, ``T`` and ``A``).

ISO country codes are mapped to Eurostat's where they differ (GR -> EL, GB -> UK). A
``stated`` context is never changed, nor an already ``derived`` one; every row gets a
``reason`` saying what was done or why the context stays unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from workbench.evidence.schema import MULTI_COUNTRY
from workbench.exceptions import InvalidInput, Problem

__all__ = [
    "DEFAULT_THRESHOLD",
    "EUROSTAT_GEO",
    "REFERENCE_GEO",
    "ContextError",
    "derive_context",
]

#: Ratio of country to reference unemployment at or above which the context is high.
DEFAULT_THRESHOLD = 1.0
#: Reference area of the comparison.
REFERENCE_GEO = "EU27_2020"
#: ISO 3166 alpha-2 codes that Eurostat writes differently.
EUROSTAT_GEO = {"GR": "EL", "GB": "UK"}
_FILTERS = {"age": "Y15-74", "unit": "PC_ACT", "sex": "T", "freq": "A"}
_ROW_COLUMNS = (
    "country",
    "period_start",
    "period_end",
    "unemployment_context",
    "context_source",
    "notes",
)


class ContextError(InvalidInput, ValueError):
    """The rows or the unemployment frame cannot be used as given."""


def _fail(source: str, message: str, key: str = "") -> ContextError:
    return ContextError([Problem(source, key, message)])


@dataclass(frozen=True)
class _Rates:
    """Annual rates by (geo, year), and the years the frame covers."""

    values: dict[tuple[str, int], float]
    geos: frozenset[str]
    first: int
    last: int


def _rates(unemployment: pd.DataFrame) -> _Rates:
    source = "unemployment frame"
    if not isinstance(unemployment, pd.DataFrame):
        raise _fail(source, f"expected a pandas DataFrame, got {type(unemployment).__name__}")
    missing = [c for c in ("geo", "time", "value") if c not in unemployment.columns]
    if missing:
        raise _fail(source, f"missing column(s) {', '.join(missing)} (a read_tsv frame)")
    frame = unemployment
    for col, wanted in _FILTERS.items():
        if col in frame.columns:
            frame = frame[frame[col].astype(str) == wanted]
    times = frame["time"].astype(str).str.strip()
    bad = ~times.str.fullmatch(r"[0-9]{4}")
    if bad.any():
        raise _fail(source, f"period {times[bad].iloc[0]!r} is not a year: use annual data")
    if frame.empty:
        wanted = ", ".join(f"{k}={v}" for k, v in _FILTERS.items())
        raise _fail(source, f"no annual rows for {wanted}")
    keys = pd.DataFrame({"geo": frame["geo"].astype(str), "year": times.astype(int)})
    dup = keys.duplicated()
    if dup.any():
        geo, year = keys[dup].iloc[0]
        raise _fail(source, f"{geo} {year} appears more than once: filter to one series per geo")
    values = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    unreadable = values.isna() & frame["value"].notna()
    if unreadable.any():
        cell = frame["value"][unreadable].iloc[0]
        raise _fail(source, f"value {cell!r} is not a number", "value")
    table = {
        (g, int(y)): float(v)
        for g, y, v in zip(keys["geo"], keys["year"], values, strict=True)
        if not math.isnan(v)
    }
    return _Rates(table, frozenset(keys["geo"]), int(keys["year"].min()), int(keys["year"].max()))


def _year(value: object) -> int | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, str):
        return int(value) if value.strip() else None
    if isinstance(value, float) and math.isnan(value):
        return None
    return int(value)  # type: ignore[call-overload]


def _decide(
    row: dict[str, object], rates: _Rates, reference: str, threshold: float
) -> tuple[str, str, str]:
    """(context, note to add, reason) for one row whose context is unknown."""
    country = str(row["country"] or "").strip()
    if not country or country == MULTI_COUNTRY:
        return "unknown", "", "no single country"
    try:
        start, end = _year(row["period_start"]), _year(row["period_end"])
    except (TypeError, ValueError):
        return "unknown", "", "period_start/period_end is not a year"
    if start is None and end is None:
        return "unknown", "", "no period_start/period_end"
    start, end = start if start is not None else end, end if end is not None else start
    assert start is not None and end is not None
    span = f"{start}-{end}" if start != end else str(start)
    geo = EUROSTAT_GEO.get(country, country)
    if geo not in rates.geos:
        return "unknown", "", f"no unemployment series for {geo} in the data"
    if start < rates.first or end > rates.last:
        return (
            "unknown",
            "",
            (f"period {span} is not within the years of the data ({rates.first}-{rates.last})"),
        )
    years = range(start, end + 1)
    gaps = [
        f"no value for {area} in {', '.join(str(y) for y in lacking)}"
        for area in dict.fromkeys((geo, reference))
        if (lacking := [y for y in years if (area, y) not in rates.values])
    ]
    if gaps:
        return "unknown", "", "; ".join(gaps)
    own = sum(rates.values[geo, y] for y in years) / len(years)
    ref = sum(rates.values[reference, y] for y in years) / len(years)
    if ref <= 0:
        return "unknown", "", f"{reference} mean over {span} is {ref:g}: no ratio"
    ratio = own / ref
    context = "high" if ratio >= threshold else "low"
    sign = ">=" if context == "high" else "<"
    text = (
        f"unemployment context derived: {geo} mean {own:.2f}% vs {reference} mean {ref:.2f}% "
        f"over {span}, ratio {ratio:.3f} {sign} {threshold:g} -> {context} "
        "(Eurostat une_rt_a, ages 15-74, annual)"
    )
    return context, text, text


def derive_context(
    rows: pd.DataFrame,
    unemployment: pd.DataFrame,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    reference: str = REFERENCE_GEO,
) -> pd.DataFrame:
    """Fill in ``unknown`` unemployment contexts from national rates (see the module doc).

    ``rows`` needs the columns ``country``, ``period_start``, ``period_end``,
    ``unemployment_context``, ``context_source`` and ``notes`` (as
    :func:`workbench.evidence.base.read_evidence` returns them). Returns a copy with derived
    rows set to ``high``/``low`` and ``context_source = derived``, the two means, the
    years and the ratio appended to their ``notes``, and a new ``reason`` column for every
    row. The inputs are not changed.

    Raises:
        ContextError: a missing column, a threshold that is not a positive number, a
            reference area absent from the data, or an unusable unemployment frame.
    """
    if not isinstance(rows, pd.DataFrame):
        raise _fail("rows", f"expected a pandas DataFrame, got {type(rows).__name__}")
    missing = [c for c in _ROW_COLUMNS if c not in rows.columns]
    if missing:
        raise _fail("rows", f"missing column(s) {', '.join(missing)}")
    if not isinstance(threshold, int | float) or not math.isfinite(threshold) or threshold <= 0:
        raise _fail("threshold", f"must be a positive number, got {threshold!r}")
    rates = _rates(unemployment)
    if reference not in rates.geos:
        raise _fail("unemployment frame", f"no series for the reference area {reference}")
    out = rows.copy()
    contexts = out["unemployment_context"].astype(str).tolist()
    sources = out["context_source"].astype(str).tolist()
    notes = out["notes"].fillna("").astype(str).tolist()
    reasons: list[str] = []
    for i, row in enumerate(out[list(_ROW_COLUMNS)].to_dict("records")):
        if sources[i] == "stated":
            reasons.append("context stated in the source: not changed")
            continue
        if sources[i] == "derived":
            reasons.append("context already derived: not changed")
            continue
        if contexts[i] != "unknown":
            reasons.append(f"context {contexts[i]!r} without a source: not changed")
            continue
        context, note, reason = _decide(row, rates, reference, float(threshold))
        reasons.append(reason)
        if context != "unknown":
            contexts[i], sources[i] = context, "derived"
            notes[i] = f"{notes[i]}; {note}" if notes[i] else note
    out["unemployment_context"] = pd.Series(contexts, index=out.index, dtype="str")
    out["context_source"] = pd.Series(sources, index=out.index, dtype="str")
    out["notes"] = pd.Series(notes, index=out.index, dtype="str")
    out["reason"] = pd.Series(reasons, index=out.index, dtype="str")
    return out
