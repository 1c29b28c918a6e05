"""Random-effects meta-analysis and meta-regression of comparable effect sizes.

Programme estimates (not meta-analytic summaries: types ``all_types`` and ``other`` are left
out) are **comparable** when they share programme type, unit and currency (a
percentage-point employment effect is not pooled with a monthly earnings effect, nor euros
with dollars). A row enters when it has an estimate, a known unit and a variance: its
standard error, or one derived from a 95% confidence interval as
``(ci_high - ci_low) / (2 x 1.96)`` (Cochrane Handbook, section 6.5.2.2). Nothing else is
imputed: a row with only a p-value or only a significance star is not pooled.

Orientation: the evidence base keeps each estimate's printed sign and says in
``direction`` whether it is beneficial. When the two disagree (a fall in unemployment
printed as a negative number and coded ``positive``), the pooled value is the estimate
with its sign flipped, so that positive always means beneficial. Each group says how many
rows were flipped.

Per group with at least :data:`MIN_POOL` rows:

- a pooled random-effects mean with its 95% CI, tau^2 (truncated at 0) and I^2:
  DerSimonian-Laird with PyMARE (checked against statsmodels ``combine_effects``);
- when the group spans two or more horizons or unemployment contexts and has more rows
  than coefficients + 1, a meta-regression on those moderators with PyMARE
  :func:`pymare.meta_regression` (REML), with the residual tau^2 and I^2.

A group drawn from one study summarises that study's estimates (its horizons or
sub-groups); it says nothing about between-study heterogeneity, and the group says so.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MIN_POOL",
    "POOLED_UNITS",
    "MetaGroup",
    "MetaTerm",
    "comparable_rows",
    "meta_analyse",
    "pool",
]

MIN_POOL = 2
Z95 = 1.959963984540054
#: Units whose estimates can be pooled within a group.
POOLED_UNITS: tuple[str, ...] = (
    "pp",
    "percent_relative",
    "currency_month",
    "currency_year",
    "currency_total",
    "hedges_g",
)


@dataclass(frozen=True)
class MetaTerm:
    """One meta-regression coefficient."""

    name: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class MetaGroup:
    """The pooled result of one group of comparable estimates."""

    programme_type: str
    unit: str
    currency: str
    k: int
    n_studies: int
    ids: list[str]
    estimate: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    q: float
    method: str
    flipped: int = 0
    single_study: bool = False
    horizon: str = "all"  # "all" pools every horizon; else the estimates at one horizon
    horizons: list[str] = field(default_factory=list)
    regression: list[MetaTerm] = field(default_factory=list)
    regression_tau2: float | None = None
    regression_i2: float | None = None
    regression_note: str = ""

    @property
    def key(self) -> str:
        """``type|unit|currency|horizon``."""
        return f"{self.programme_type}|{self.unit}|{self.currency}|{self.horizon}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetaGroup:
        """Inverse of :meth:`to_dict`."""
        fields = dict(data)
        fields["regression"] = [MetaTerm(**t) for t in data.get("regression", [])]
        return cls(**fields)


def comparable_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that can be pooled, with ``effect`` (oriented) and ``variance`` columns."""
    rows = frame[frame["kind"].isin(["estimate", "synthetic"])].copy()
    rows = rows[~rows["programme_type"].isin(["all_types", "other"])]
    rows = rows[rows["unit"].isin(POOLED_UNITS) & rows["estimate"].notna()]
    se = rows["se"].astype(float)
    from_ci = (rows["ci_high"].astype(float) - rows["ci_low"].astype(float)) / (2 * Z95)
    se = se.where(se.notna(), from_ci)
    rows["variance"] = se**2
    rows = rows[rows["variance"].notna() & (rows["variance"] > 0)]
    est = rows["estimate"].astype(float)
    disagree = ((rows["direction"] == "positive") & (est < 0)) | (
        (rows["direction"] == "negative") & (est > 0)
    )
    rows["flipped"] = disagree
    rows["effect"] = np.where(disagree, -est, est)
    rows["currency"] = rows["currency"].fillna("")
    return rows


def pool(effect: np.ndarray, variance: np.ndarray) -> dict[str, float]:
    """DerSimonian-Laird random-effects pooling with PyMARE (tau^2 truncated at 0).

    statsmodels' ``combine_effects(method_re="chi2")`` gives the same result whenever its
    tau^2 is positive, but does not truncate a negative moment estimate at zero (and then
    narrows the interval); PyMARE's ``DL`` estimator does, as metafor does.
    """
    from pymare import meta_regression

    y = np.asarray(effect, float)
    v = np.asarray(variance, float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Wald standard errors (metafor's default); PyMARE >= 0.0.11 would otherwise scale
        # them by Knapp-Hartung's factor, which the z interval below must not use
        result = meta_regression(
            y, v, X=None, add_intercept=True, method="DL", small_sample_correction="wald"
        )
        row = result.to_df().iloc[0]
        het = result.get_heterogeneity_stats()  # Q = 0 divides by zero in I^2: 0 below
    estimate, se = float(row["estimate"]), float(row["se"])
    # normal-theory (Wald) interval, metafor's default
    return {
        "estimate": estimate,
        "ci_low": estimate - Z95 * se,
        "ci_high": estimate + Z95 * se,
        "tau2": float(np.ravel(result.tau2)[0]),
        "i2": max(0.0, float(np.nan_to_num(np.ravel(het["I^2"])[0])) / 100),
        "q": float(np.ravel(het["Q"])[0]),
    }


def _moderators(rows: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    columns: list[np.ndarray] = []
    names: list[str] = []
    for factor, reference in (("horizon", "short"), ("unemployment_context", "low")):
        levels = sorted(set(rows[factor]))
        if len(levels) < 2:
            continue
        base = reference if reference in levels else levels[0]
        for level in levels:
            if level != base:
                columns.append((rows[factor] == level).to_numpy(float))
                names.append(f"{factor}={level} (vs {base})")
    if not columns:
        return np.zeros((len(rows), 0)), []
    return np.column_stack(columns), names


def _regress(rows: pd.DataFrame) -> tuple[list[MetaTerm], float | None, float | None, str]:
    x, names = _moderators(rows)
    if not names:
        return [], None, None, "one horizon and context only: no moderators"
    if len(rows) <= x.shape[1] + 2:
        return [], None, None, f"{len(rows)} estimates are too few for {x.shape[1]} moderator(s)"
    from pymare import meta_regression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = meta_regression(
            rows["effect"].to_numpy(float),
            rows["variance"].to_numpy(float),
            X=x,
            X_names=names,
            add_intercept=True,
            method="REML",
            small_sample_correction="wald",  # z-based p-values and intervals below
        )
    table = result.to_df()
    from scipy.stats import norm

    terms = [
        MetaTerm(
            name=str(r["name"]),
            estimate=float(r["estimate"]),
            se=float(r["se"]),
            ci_low=float(r["estimate"]) - Z95 * float(r["se"]),
            ci_high=float(r["estimate"]) + Z95 * float(r["se"]),
            p_value=float(2 * norm.sf(abs(float(r["estimate"]) / float(r["se"])))),
        )
        for _, r in table.iterrows()
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        het = result.get_heterogeneity_stats()
    i2 = max(0.0, float(np.nan_to_num(np.ravel(het["I^2"])[0])) / 100)
    return terms, float(np.ravel(result.tau2)[0]), i2, ""


def meta_analyse(frame: pd.DataFrame) -> list[MetaGroup]:
    """Pool every group of comparable estimates with at least :data:`MIN_POOL` rows.

    Each (type, unit, currency) group is pooled over all its horizons (with the
    meta-regression) and, where a horizon has :data:`MIN_POOL` rows, at that horizon.
    """
    rows = comparable_rows(frame)
    out: list[MetaGroup] = []
    for (ptype, unit, currency), group in rows.groupby(
        ["programme_type", "unit", "currency"], sort=True
    ):
        if len(group) < MIN_POOL:
            continue
        out.append(_group(str(ptype), str(unit), str(currency), group, "all"))
        if group["horizon"].nunique() < 2:
            continue
        for horizon, sub in group.groupby("horizon", sort=True):
            if len(sub) >= MIN_POOL:
                out.append(_group(str(ptype), str(unit), str(currency), sub, str(horizon)))
    return out


def _group(ptype: str, unit: str, currency: str, group: pd.DataFrame, horizon: str) -> MetaGroup:
    pooled = pool(group["effect"].to_numpy(), group["variance"].to_numpy())
    terms, tau2, i2, note = _regress(group) if horizon == "all" else ([], None, None, "")
    return MetaGroup(
        programme_type=ptype,
        unit=unit,
        currency=currency,
        k=len(group),
        n_studies=int(group["study"].nunique()),
        ids=[str(i) for i in group["id"]],
        method="random effects, DerSimonian-Laird (PyMARE)",
        flipped=int(group["flipped"].sum()),
        single_study=group["study"].nunique() == 1,
        horizon=horizon,
        horizons=sorted(set(group["horizon"])),
        regression=terms,
        regression_tau2=tau2,
        regression_i2=i2,
        regression_note=note,
        **pooled,
    )
