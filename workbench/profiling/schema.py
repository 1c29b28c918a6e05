"""The jobseeker table: the columns a PES's own table (or the synthetic one) must have.

One row per jobseeker registration (an unemployment spell). The same columns serve
training the profiling model, scoring pathways and monitoring; the outcome columns are
needed only for training, the fairness audit and monitoring.

Protected attributes (:data:`PROTECTED`) are kept **for auditing only**: they never
become model features unless an expert records a justification (see
:mod:`workbench.profiling.features`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGE_BANDS",
    "COLUMNS",
    "EDUCATION_LEVELS",
    "ORIGINS",
    "OUTCOME_COLUMNS",
    "PROTECTED",
    "SEXES",
    "Column",
]

AGE_BANDS: tuple[str, ...] = ("16-24", "25-29", "30-54", "55+")
SEXES: tuple[str, ...] = ("F", "M", "X")
ORIGINS: tuple[str, ...] = ("national", "eu", "non_eu")
#: ISCED 2011 levels 0-2, 3-4 and 5-8 (Eurostat's ED0-2, ED3_4, ED5-8).
EDUCATION_LEVELS: tuple[str, ...] = ("low", "medium", "high")


@dataclass(frozen=True)
class Column:
    """One documented column of the jobseeker table."""

    name: str
    kind: str  # "id" | "nuts" | "category" | "int" | "bool" | "isco" | "date" | "text"
    required: bool
    doc: str
    values: tuple[str, ...] = ()  # allowed values of a category
    low: int | None = None  # bounds of an int
    high: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column("person_id", "id", True, "the PES's id of the person; pseudonymised on import"),
    Column("region", "nuts", True, "NUTS-2 region of residence, e.g. ES61"),
    Column("registered", "date", False, "date the spell began, YYYY-MM-DD"),
    Column("age_band", "category", True, "age band at registration (protected)", AGE_BANDS),
    Column("sex", "category", True, "F, M or X (protected)", SEXES),
    Column("origin", "category", True, "national, eu or non_eu (protected)", ORIGINS),
    Column("disability", "bool", True, "recognised disability, true/false (protected)"),
    Column("education", "category", True, "ISCED 0-2 low, 3-4 medium, 5-8 high", EDUCATION_LEVELS),
    Column("isco", "isco", False, "ISCO-08 code (1-4 digits) of the last job; empty: none"),
    Column(
        "months_employed_24m",
        "int",
        True,
        "months in work during the 24 months before registering (0-24)",
        low=0,
        high=24,
    ),
    Column(
        "prior_spells_5y",
        "int",
        True,
        "unemployment spells in the 5 years before this one (0-60)",
        low=0,
        high=60,
    ),
    Column("prior_ltu", "bool", True, "an earlier spell lasted 12 months or more"),
    Column("own_transport", "bool", False, "has own means of transport"),
    # outcomes (training, audit, monitoring)
    Column("ltu", "bool", False, "outcome: still unemployed 12 months after registering"),
    Column(
        "programme",
        "category",
        False,
        "programme taken (job_search_assistance, training, private_sector_subsidy, "
        "public_employment, start_up_support, none)",
        (
            "job_search_assistance",
            "training",
            "private_sector_subsidy",
            "public_employment",
            "start_up_support",
            "none",
        ),
    ),
    Column("programme_domain", "text", False, "training domain (free text, e.g. 'welding')"),
    Column(
        "employed_1m_6m",
        "bool",
        False,
        "outcome: in salaried work of at least 1 month within 6 months of the programme's end",
    ),
    Column("synthetic", "bool", False, "true when the row is made up"),
)

PROTECTED: tuple[str, ...] = ("sex", "origin", "disability", "age_band")
OUTCOME_COLUMNS: tuple[str, ...] = ("ltu", "programme", "programme_domain", "employed_1m_6m")
