"""Fixed-seed SYNTHETIC evidence rows, for scale tests and for checking model fits.

Nothing here is evidence: every row has ``kind = synthetic``, ``source_type = synthetic``,
no ``source_url`` and ``notes`` starting with ``SYNTHETIC``. The shipped base never holds
such rows.

Generating model (all effects in percentage points of employment, ``unit = pp``). Each row
falls in one cell (programme type x horizon x unemployment context), drawn uniformly. The
true cell mean is::

    mean = BASE[type] + GROWTH[type] * step[horizon]
           + (HIGH_CONTEXT + HIGH_CONTEXT_BY_TYPE[type]) * (context == high)

with ``step`` = 0 (short), 1 (medium), 2 (long) and the made-up parameters
:data:`BASE`, :data:`GROWTH`, :data:`HIGH_CONTEXT` and :data:`HIGH_CONTEXT_BY_TYPE` below.
The type x context term lets the ranking of programme types differ between high and low
unemployment (e.g. training gains most from a high-unemployment context, job search
assistance least), so a recommender's response to the context can be checked. Within one
type the mean stays additive in horizon and context. A row's true effect is the
cell mean plus a between-estimate deviation ``TAU * N(0, 1)``; its standard error is
``U(SE_RANGE)``; its estimate is the true effect plus ``se * N(0, 1)``, rounded to 2
decimals (se to 3). Significance is ``|estimate / se| >= 1.96`` with the estimate's sign.
The other columns (country, period, target group, design) are drawn uniformly from small
fixed lists. The same ``n`` and ``seed`` always give the same frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.evidence.schema import COLUMN_NAMES, DTYPES

__all__ = [
    "BASE",
    "DEFAULT_SEED",
    "GROWTH",
    "HIGH_CONTEXT",
    "HIGH_CONTEXT_BY_TYPE",
    "SE_RANGE",
    "SYNTHETIC_CONTEXTS",
    "SYNTHETIC_HORIZONS",
    "SYNTHETIC_TYPES",
    "TAU",
    "synthetic_estimates",
    "true_cell_means",
]

DEFAULT_SEED = 20261130
SYNTHETIC_TYPES: tuple[str, ...] = (
    "training",
    "job_search_assistance",
    "private_sector_subsidy",
    "public_employment",
    "start_up_support",
)
SYNTHETIC_HORIZONS: tuple[str, ...] = ("short", "medium", "long")
SYNTHETIC_CONTEXTS: tuple[str, ...] = ("high", "low")
#: Made-up short-run effect in a low-unemployment context (pp), by programme type.
BASE: dict[str, float] = {
    "training": -1.0,
    "job_search_assistance": 2.0,
    "private_sector_subsidy": 1.5,
    "public_employment": -2.0,
    "start_up_support": 1.0,
}
#: Made-up change per horizon step (short -> medium -> long), pp, by programme type.
GROWTH: dict[str, float] = {
    "training": 3.0,
    "job_search_assistance": 0.5,
    "private_sector_subsidy": 1.5,
    "public_employment": 1.0,
    "start_up_support": 1.5,
}
#: Made-up extra effect in a high-unemployment context, pp.
HIGH_CONTEXT = 1.5
#: Made-up type-specific change of the high-unemployment effect, pp (added to HIGH_CONTEXT).
HIGH_CONTEXT_BY_TYPE: dict[str, float] = {
    "training": 2.5,
    "job_search_assistance": -1.0,
    "private_sector_subsidy": 0.0,
    "public_employment": 1.0,
    "start_up_support": 0.0,
}
#: Made-up standard deviation of true effects within a cell, pp.
TAU = 1.0
#: Standard errors are drawn uniformly from this range, pp.
SE_RANGE = (0.5, 3.0)
_COUNTRIES = ("AT", "BE", "DE", "DK", "ES", "FI", "FR", "IT", "NL", "PL", "PT", "SE")
_TARGET_GROUPS = ("general", "youth", "long_term_unemployed", "women", "older_workers")
_DESIGNS = ("rct", "matching", "did", "quasi_experimental")
_STEP = {"short": 0, "medium": 1, "long": 2}


def true_cell_means() -> pd.DataFrame:
    """The true mean effect (pp) of every programme type x horizon x context cell."""
    records = [
        {
            "programme_type": t,
            "horizon": h,
            "unemployment_context": c,
            "mean": BASE[t]
            + GROWTH[t] * _STEP[h]
            + ((HIGH_CONTEXT + HIGH_CONTEXT_BY_TYPE[t]) if c == "high" else 0.0),
        }
        for t in SYNTHETIC_TYPES
        for h in SYNTHETIC_HORIZONS
        for c in SYNTHETIC_CONTEXTS
    ]
    return pd.DataFrame.from_records(records)


def synthetic_estimates(n: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """``n`` synthetic rows in the evidence schema (see the module doc for the model).

    Columns and dtypes are those of :func:`workbench.evidence.base.read_evidence`.
    ``df.attrs["true_means"]`` maps ``(programme_type, horizon, context)`` to the cell's
    true mean and ``df.attrs["seed"]`` is the seed.

    Raises:
        ValueError: ``n`` is not a whole number >= 0, or ``seed`` is not a whole number.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a whole number >= 0, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    means = true_cell_means()
    cell = rng.integers(0, len(means), size=n)
    true = means["mean"].to_numpy()[cell] + TAU * rng.standard_normal(n)
    se = np.round(rng.uniform(*SE_RANGE, size=n), 3)
    estimate = np.round(true + se * rng.standard_normal(n), 2)
    t = estimate / se
    start = rng.integers(2009, 2023, size=n)
    end = start + rng.integers(0, 3, size=n)
    width = max(6, len(str(n)))
    ids = [f"S{i:0{width}d}" for i in range(1, n + 1)]
    study_no = np.arange(n) // 3 + 1  # three estimates per synthetic study
    columns: dict[str, object] = {
        "id": ids,
        "kind": "synthetic",
        "study": [f"Synthetic study {k}" for k in study_no],
        "citation": "",
        "programme": "synthetic programme",
        "programme_type": means["programme_type"].to_numpy()[cell],
        "target_group": np.asarray(_TARGET_GROUPS)[rng.integers(0, len(_TARGET_GROUPS), n)],
        "target_group_text": "",
        "country": np.asarray(_COUNTRIES)[rng.integers(0, len(_COUNTRIES), n)],
        "period_start": start,
        "period_end": end,
        "horizon": means["horizon"].to_numpy()[cell],
        "outcome": "employment probability (synthetic)",
        "estimate": estimate,
        "unit": "pp",
        "currency": "",
        "se": se,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_value": np.nan,
        "significance": np.where(
            t >= 1.96,
            "positive_significant",
            np.where(t <= -1.96, "negative_significant", "insignificant"),
        ),
        "direction": np.where(estimate > 0, "positive", np.where(estimate < 0, "negative", "none")),
        "design": np.asarray(_DESIGNS)[rng.integers(0, len(_DESIGNS), n)],
        "unemployment_context": means["unemployment_context"].to_numpy()[cell],
        "context_source": "stated",
        "source_url": "",
        "quote": "",
        "secondary": False,
        "source_type": "synthetic",
        "notes": f"SYNTHETIC: made by workbench.evidence.synthetic (seed {int(seed)}); "
        "not evidence",
    }
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n), columns=list(COLUMN_NAMES))
    frame = frame.astype(DTYPES)
    frame.attrs["true_means"] = {
        (r.programme_type, r.horizon, r.unemployment_context): float(r.mean)
        for r in means.itertuples(index=False)
    }
    frame.attrs["seed"] = int(seed)
    return frame
