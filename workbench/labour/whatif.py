"""What if unemployment moves by x points? Shortages and surpluses across the cycle.

The scenario is deliberately simple and says so:

- jobseekers in every occupation scale with the unemployment rate, ``(u + x) / u``;
- vacancies move along the Beveridge curve: ``v' = v x ((u + x) / u) ** e``, where the
  elasticity ``e`` is the slope of log vacancy rate on log unemployment rate fitted on
  the country's real annual series (statsmodels OLS), or on all countries pooled when the
  country has too few years;
- shortages and surpluses are then re-classified with the same rule, measured against
  today's overall tightness (so a slack market has fewer shortage occupations).

It shows the direction and rough size of change for policymakers, not a forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.labour.indicators import classify_occupations

__all__ = ["Elasticity", "beveridge_elasticity", "what_if"]


@dataclass(frozen=True)
class Elasticity:
    """Slope of log vacancy rate on log unemployment rate, with its 95 % interval."""

    value: float
    ci_low: float
    ci_high: float
    n: int
    basis: str


def beveridge_elasticity(points: pd.DataFrame, *, basis: str) -> Elasticity:
    """Fit ``log(vacancy_rate) = a + e log(unemployment_rate)`` by OLS (statsmodels).

    ``points`` has ``unemployment_rate`` and ``vacancy_rate`` (both > 0) and optionally
    ``group`` (a country), which then gets its own intercept (a pooled, within-country
    slope).

    Raises:
        ValueError: fewer than 4 usable points.
    """
    import statsmodels.api as sm

    usable = points[(points["unemployment_rate"] > 0) & (points["vacancy_rate"] > 0)].dropna(
        subset=["unemployment_rate", "vacancy_rate"]
    )
    if len(usable) < 4:
        raise ValueError(f"the Beveridge elasticity needs at least 4 points, got {len(usable)}")
    x = pd.DataFrame({"log_u": np.log(usable["unemployment_rate"].astype(float))})
    if "group" in usable and usable["group"].nunique() > 1:
        dummies = pd.get_dummies(usable["group"], prefix="g", drop_first=True, dtype=float)
        x = pd.concat([x, dummies.set_index(x.index)], axis=1)
    x = sm.add_constant(x, has_constant="add")
    fit = sm.OLS(np.log(usable["vacancy_rate"].astype(float)), x).fit()
    low, high = fit.conf_int().loc["log_u"]
    return Elasticity(float(fit.params["log_u"]), float(low), float(high), len(usable), basis)


def what_if(
    table: pd.DataFrame,
    *,
    unemployment_rate: float,
    elasticity: float,
    deltas: Sequence[float] = (-2.0, -1.0, 0.0, 1.0, 2.0, 4.0),
    **rules: float,
) -> pd.DataFrame:
    """Scenario table: for each change ``x`` (pp) of the unemployment rate, the totals and
    the number of shortage and surplus occupations (``rules`` go to
    :func:`~workbench.labour.indicators.classify_occupations`).

    Changes that would more than halve the rate are outside what a proportional scaling
    can say and are left out (listed in ``out.attrs["skipped"]``).

    Raises:
        ValueError: a non-positive base rate, or no change left to show.
    """
    if unemployment_rate <= 0:
        raise ValueError("the base unemployment rate must be positive")
    today = classify_occupations(table, **rules).attrs["overall_tightness"]  # type: ignore[arg-type]
    rows = []
    skipped = [d for d in deltas if unemployment_rate + d < unemployment_rate / 2]
    kept = [d for d in deltas if d not in skipped]
    if not kept:
        raise ValueError(
            f"every change in {list(deltas)} more than halves the unemployment rate "
            f"({unemployment_rate:g}%)"
        )
    for delta in kept:
        rate = unemployment_rate + delta
        factor = rate / unemployment_rate
        scenario = table.assign(
            jobseekers=table["jobseekers"].astype(float) * factor,
            vacancies=table["vacancies"].astype(float) * factor**elasticity,
        )
        status = classify_occupations(scenario, reference=today, **rules)  # type: ignore[arg-type]
        counts = status["status"].value_counts()
        rows.append(
            {
                "change_pp": float(delta),
                "unemployment_rate": rate,
                "jobseekers": float(scenario["jobseekers"].sum()),
                "vacancies": float(scenario["vacancies"].sum()),
                "tightness": status.attrs["overall_tightness"],
                "shortage": int(counts.get("shortage", 0)),
                "surplus": int(counts.get("surplus", 0)),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["skipped"] = skipped
    return out
