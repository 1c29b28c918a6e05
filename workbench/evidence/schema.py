"""Schema of the ALMP evidence base: its columns, their allowed values and the row model.

One row is one published effect estimate (``kind = estimate``), one coded meta-analytic
finding (``finding``) or one made-up row for scale tests (``synthetic``). Programme types
follow Card, Kluve & Weber (CKW), plus start-up support; horizons are CKW's (short = up to
about one year after the programme, medium = 1-2 years, long = over 2 years).

Orientation: ``direction`` and ``significance`` say whether the effect is *beneficial* for
participants (a fall in their unemployment rate is ``positive``), while ``estimate`` keeps
the sign as printed. :data:`COLUMNS` lists every column in file order with its allowed
values; :class:`EvidenceRow` is the typed row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

__all__ = [
    "COLUMNS",
    "COLUMN_NAMES",
    "CONTEXTS",
    "CONTEXT_SOURCES",
    "CURRENCY_UNITS",
    "DESIGNS",
    "DIRECTIONS",
    "DTYPES",
    "HORIZONS",
    "KINDS",
    "MULTI_COUNTRY",
    "NUMBER_COLUMNS",
    "PROGRAMME_TYPES",
    "REQUIRED_COLUMNS",
    "SIGNIFICANCE",
    "SOURCE_TYPES",
    "TARGET_GROUPS",
    "UNITS",
    "YEAR_COLUMNS",
    "Column",
    "EvidenceRow",
    "frame_from_rows",
]

KINDS: tuple[str, ...] = ("estimate", "finding", "synthetic")
PROGRAMME_TYPES: tuple[str, ...] = (
    "training",
    "job_search_assistance",
    "private_sector_subsidy",
    "public_employment",
    "start_up_support",
    "other",
    "all_types",
)
TARGET_GROUPS: tuple[str, ...] = (
    "youth",
    "long_term_unemployed",
    "older_workers",
    "persons_with_disabilities",
    "migrants",
    "low_skilled",
    "women",
    "general",
)
HORIZONS: tuple[str, ...] = ("short", "medium", "long", "unknown", "all")
#: Units of ``estimate``; an empty unit is also allowed (the row still counts in a vote).
UNITS: tuple[str, ...] = (
    "pp",
    "percent_relative",
    "currency_month",
    "currency_year",
    "currency_total",
    "hedges_g",
    "share",
    "other",
)
CURRENCY_UNITS: tuple[str, ...] = ("currency_month", "currency_year", "currency_total")
SIGNIFICANCE: tuple[str, ...] = (
    "positive_significant",
    "insignificant",
    "negative_significant",
    "unknown",
)
DIRECTIONS: tuple[str, ...] = ("positive", "negative", "none", "unknown")
DESIGNS: tuple[str, ...] = (
    "rct",
    "quasi_experimental",
    "matching",
    "did",
    "iv",
    "structural",
    "meta_analysis",
    "other",
)
CONTEXTS: tuple[str, ...] = ("high", "low", "unknown")
CONTEXT_SOURCES: tuple[str, ...] = ("stated", "derived", "unknown")
SOURCE_TYPES: tuple[str, ...] = (
    "primary_abstract",
    "primary_report_summary",
    "meta_analysis_abstract",
    "secondary_summary",
    "secondary_repo_transcription",
    "curated_finding",
    "synthetic",
)
#: ``country`` value for rows about several countries (meta-analyses).
MULTI_COUNTRY = "multi"

ColumnKind = Literal["text", "enum", "number", "year", "bool"]


@dataclass(frozen=True)
class Column:
    """One column: its name, how cells are read, whether it must exist and be filled."""

    name: str
    kind: ColumnKind
    required: bool
    description: str
    allowed: tuple[str, ...] = ()
    nonempty: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", "text", True, "unique row id: E001... (estimates), F001... (findings), "
           "S000001... (synthetic)", nonempty=True),
    Column("kind", "enum", True, "what the row is", KINDS, nonempty=True),
    Column("study", "text", True, "authors (year)", nonempty=True),
    Column("citation", "text", False, "title, outlet and location in the source"),
    Column("programme", "text", False, "the programme as named in the source"),
    Column("programme_type", "enum", True, "CKW programme type plus start-up; `other` = other "
           "or several types in one row; `all_types` = ALMPs in general", PROGRAMME_TYPES,
           nonempty=True),
    Column("target_group", "enum", True, "workbench target group where it clearly fits, "
           "else `general`", TARGET_GROUPS, nonempty=True),
    Column("target_group_text", "text", False, "the source's own wording of the group"),
    Column("country", "text", True, "ISO 3166-1 alpha-2 code (upper case) or `multi`",
           nonempty=True),
    Column("period_start", "year", False, "first year of the programme or evaluation "
           "window, only where the source or its notes state it"),
    Column("period_end", "year", False, "last year of that window (>= period_start)"),
    Column("horizon", "enum", True, "CKW horizon after the programme", HORIZONS,
           nonempty=True),
    Column("outcome", "text", False, "the outcome measured"),
    Column("estimate", "number", False, "the effect as printed in `quote`; empty when the "
           "quote does not carry a single number"),
    Column("unit", "enum", False, "unit of `estimate` (empty = could not be placed)", UNITS),
    Column("currency", "text", False, "ISO 4217 code for currency units, e.g. EUR, USD"),
    Column("se", "number", False, "standard error of `estimate` as printed (>= 0)"),
    Column("ci_low", "number", False, "lower bound of a printed confidence interval"),
    Column("ci_high", "number", False, "upper bound of a printed confidence interval"),
    Column("p_value", "number", False, "a single printed p-value in [0, 1]"),
    Column("significance", "enum", True, "beneficial-oriented significance at the 5% level "
           "(from the source's words, its p-value, or |estimate/se| >= 1.96)", SIGNIFICANCE,
           nonempty=True),
    Column("direction", "enum", True, "beneficial-oriented sign of the effect", DIRECTIONS,
           nonempty=True),
    Column("design", "enum", True, "identification design", DESIGNS, nonempty=True),
    Column("unemployment_context", "enum", True, "labour-market setting of the estimate",
           CONTEXTS, nonempty=True),
    Column("context_source", "enum", True, "`stated` by the source, `derived` by "
           "workbench.evidence.context, or `unknown`", CONTEXT_SOURCES, nonempty=True),
    Column("source_url", "text", False, "where the quote was read (http/https)"),
    Column("quote", "text", False, "the verbatim sentence or cells the row was read from"),
    Column("secondary", "bool", True, "`true` when read from a summary or transcription, "
           "not the paper itself", ("true", "false"), nonempty=True),
    Column("source_type", "enum", True, "kind of source text", SOURCE_TYPES, nonempty=True),
    Column("notes", "text", False, "caveats, dropped numbers, source wording, derivations"),
)  # fmt: skip

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
NUMBER_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "number")
YEAR_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "year")
#: pandas dtypes of the validated frame: text as ``str`` ("" when empty), numbers as
#: ``float64`` (NaN = not given), years as nullable ``Int64``, ``secondary`` as ``bool``.
DTYPES: dict[str, str] = {
    c.name: {"number": "float64", "year": "Int64", "bool": "bool"}.get(c.kind, "str")
    for c in COLUMNS
}


@dataclass(frozen=True)
class EvidenceRow:
    """One row of the evidence base, typed; ``None`` means "not given"."""

    id: str
    kind: str
    study: str
    programme_type: str
    target_group: str
    country: str
    horizon: str
    significance: str
    direction: str
    design: str
    unemployment_context: str
    context_source: str
    secondary: bool
    source_type: str
    citation: str = ""
    programme: str = ""
    target_group_text: str = ""
    period_start: int | None = None
    period_end: int | None = None
    outcome: str = ""
    estimate: float | None = None
    unit: str = ""
    currency: str = ""
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    source_url: str = ""
    quote: str = ""
    notes: str = ""

    def to_record(self) -> dict[str, object]:
        """The row as a dict in :data:`COLUMN_NAMES` order."""
        values = asdict(self)
        return {name: values[name] for name in COLUMN_NAMES}


def frame_from_rows(rows: Iterable[EvidenceRow]) -> pd.DataFrame:
    """A frame with the validated dtypes (:data:`DTYPES`) from typed rows (not validated)."""
    records = [row.to_record() for row in rows]
    frame = pd.DataFrame.from_records(records, columns=list(COLUMN_NAMES))
    for name, dtype in DTYPES.items():
        column = frame[name]
        if dtype == "float64":
            frame[name] = pd.to_numeric(column, errors="raise").astype("float64")
        elif dtype == "Int64":
            frame[name] = column.astype("Int64")
        elif dtype == "bool":
            frame[name] = column.astype(bool)
        else:
            frame[name] = column.fillna("").astype("str")
    return frame
