"""Average effect of a pilot on its participants (ATT) from observational data.

:func:`estimate_att` compares participants (``treatment == 1``) with non-participants
(``treatment == 0``) who look alike on the ``covariates``, by one of three
propensity-score methods (details in :mod:`workbench.evaluation.estimators`):

- ``ipw``: inverse probability weighting with ATT weights ``p/(1-p)`` for controls;
- ``matching``: nearest-neighbour matching on the propensity log-odds, with replacement
  (``k`` neighbours, default 1; optional ``caliper`` in SDs of the log-odds);
- ``dr``: doubly robust (AIPW) ATT, a linear outcome model on controls plus an IPW
  correction of its residuals.

Steps:

1. **Validation.** Every problem with the input raises :class:`EvaluationError` (an
   :class:`~workbench.exceptions.InvalidInput` and a ``ValueError``) naming the column.
2. **Trimming (sample definition, done once).** The propensity model is fitted on all rows.
   ``trim=(low, high)`` keeps rows whose propensity is within ``[low, high]`` (default
   ``(0.01, 0.99)``); ``trim="common_support"`` keeps rows within the overlap of the two
   groups' propensity ranges, ``[max(min p_t, min p_c), min(max p_t, max p_c)]`` (Dehejia
   & Wahba 1999 dropped controls below the lowest treated score; treated above the highest
   control score are dropped too, since no control resembles them); ``trim=None`` keeps
   all. Dropping treated rows changes the population the ATT describes: the counts are
   reported in :attr:`AttResult.trimming`.
3. **Point estimate** on the trimmed sample, with the propensity model refitted on it.
4. **Bootstrap.** ``n_boot`` draws that resample treated and controls *separately* (with
   replacement, keeping both group sizes, as in a design with fixed group sizes). Each
   draw refits the propensity model (and, for ``dr``, the outcome model) and re-estimates,
   so the interval reflects the estimated score. The 95 % interval is the 2.5 and 97.5
   percentiles of the draws; ``se`` is their standard deviation. Draws use
   ``numpy.random.default_rng(seed)``: the same input and seed give the same result.
   For matching with replacement the bootstrap is known to be only approximately valid
   (Abadie & Imbens 2008, Econometrica 76(6)); read its interval as indicative.

Balance (standardised mean differences, pooled-SD definition) is in
:mod:`workbench.evaluation.balance`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from workbench.evaluation.balance import balance_table
from workbench.evaluation.estimators import (
    bootstrap,
    estimate_once,
    fit_logit,
    match_att,
    propensity_model,
)
from workbench.evaluation.inputs import (
    MAX_ABS_VALUE,
    METHODS,
    EvaluationError,
    Method,
    check_counts,
    check_options,
    error,
    prepare,
)

__all__ = [
    "MAX_ABS_VALUE",
    "METHODS",
    "METHOD_LABELS",
    "AttResult",
    "EvaluationError",
    "Method",
    "Trimming",
    "estimate_att",
]

METHOD_LABELS: dict[str, str] = {
    "ipw": "inverse probability weighting",
    "matching": "nearest-neighbour propensity-score matching",
    "dr": "doubly robust (AIPW) estimation",
}


@dataclass(frozen=True)
class Trimming:
    """How the analysis sample was cut from the input.

    ``rule``: ``"bounds"`` (fixed propensity bounds), ``"common_support"`` or ``"none"``;
    ``bounds``: the propensity interval kept (``None`` for ``"none"``); ``dropped_*``: rows
    outside it; ``unmatched_treated``: treated rows left without a match inside the caliper
    (matching only).
    """

    rule: str
    bounds: tuple[float, float] | None
    dropped_treated: int
    dropped_control: int
    unmatched_treated: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "rule": self.rule,
            "bounds": list(self.bounds) if self.bounds is not None else None,
            "dropped_treated": self.dropped_treated,
            "dropped_control": self.dropped_control,
            "unmatched_treated": self.unmatched_treated,
        }


def _num(value: float) -> float | None:
    """A float for JSON (NaN/inf become None)."""
    return float(value) if math.isfinite(value) else None


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


@dataclass(frozen=True, eq=False)
class AttResult:
    """An ATT estimate with its bootstrap interval, balance and trimming.

    ``n_treated`` are the treated rows the estimate averages over (after trimming and, for
    matching, the caliper); ``n_control`` the controls in the trimmed sample. ``ci`` is the
    95 % bootstrap percentile interval and ``se`` the bootstrap standard deviation (from
    the ``n_boot_used`` draws that gave a finite estimate).
    """

    method: str
    att: float
    ci: tuple[float, float]
    se: float
    n_treated: int
    n_control: int
    balance: pd.DataFrame
    trimming: Trimming
    treatment: str
    outcome: str
    covariates: tuple[str, ...]
    n_boot: int
    n_boot_used: int
    seed: int
    options: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One plain-language sentence about the estimate."""
        low, high = self.ci
        change = "raised" if self.att >= 0 else "lowered"
        if not (math.isfinite(low) and math.isfinite(high)):
            verdict = "no confidence interval could be computed"
        elif low > 0 or high < 0:
            verdict = "the interval excludes zero"
        else:
            verdict = "the interval includes zero: the data are also consistent with no effect"
        return (
            f"Estimated by {METHOD_LABELS[self.method]}, the pilot {change} {self.outcome} "
            f"of its {self.n_treated:,} participants by {_fmt(abs(self.att))} on average "
            f"(95% CI {_fmt(low)} to {_fmt(high)}), compared with {self.n_control:,} "
            f"similar non-participants; {verdict}."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of everything in the result (NaN becomes ``None``)."""
        return {
            "method": self.method,
            "method_label": METHOD_LABELS[self.method],
            "att": _num(self.att),
            "ci": [_num(self.ci[0]), _num(self.ci[1])],
            "ci_level": 0.95,
            "se": _num(self.se),
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "treatment": self.treatment,
            "outcome": self.outcome,
            "covariates": list(self.covariates),
            "n_boot": self.n_boot,
            "n_boot_used": self.n_boot_used,
            "seed": self.seed,
            "options": dict(self.options),
            "trimming": self.trimming.to_dict(),
            "balance": [
                {
                    "covariate": str(r.covariate),
                    "smd_before": _num(r.smd_before),
                    "smd_after": _num(r.smd_after),
                }
                for r in self.balance.itertuples(index=False)
            ],
            "summary": self.summary(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttResult:
        """Rebuild a result from :meth:`to_dict` output (e.g. a run's ``evaluation.json``)."""

        def num(value: Any) -> float:
            return float("nan") if value is None else float(value)

        trim = data["trimming"]
        return cls(
            method=str(data["method"]),
            att=num(data["att"]),
            ci=(num(data["ci"][0]), num(data["ci"][1])),
            se=num(data["se"]),
            n_treated=int(data["n_treated"]),
            n_control=int(data["n_control"]),
            balance=pd.DataFrame(
                [
                    {
                        "covariate": b["covariate"],
                        "smd_before": num(b["smd_before"]),
                        "smd_after": num(b["smd_after"]),
                    }
                    for b in data["balance"]
                ],
                columns=["covariate", "smd_before", "smd_after"],
            ),
            trimming=Trimming(
                rule=str(trim["rule"]),
                bounds=None if trim["bounds"] is None else (trim["bounds"][0], trim["bounds"][1]),
                dropped_treated=int(trim["dropped_treated"]),
                dropped_control=int(trim["dropped_control"]),
                unmatched_treated=int(trim.get("unmatched_treated", 0)),
            ),
            treatment=str(data["treatment"]),
            outcome=str(data["outcome"]),
            covariates=tuple(data["covariates"]),
            n_boot=int(data["n_boot"]),
            n_boot_used=int(data["n_boot_used"]),
            seed=int(data["seed"]),
            options=dict(data.get("options", {})),
        )


def _trim(
    p: np.ndarray, d: np.ndarray, trim: tuple[float, float] | str | None, treatment: str
) -> tuple[np.ndarray, Trimming]:
    lo_t, hi_t, lo_c, hi_c = p[d].min(), p[d].max(), p[~d].min(), p[~d].max()
    if hi_c < lo_t or hi_t < lo_c:
        raise error(
            treatment,
            f"no overlap: treated propensity scores lie in [{lo_t:.3g}, {hi_t:.3g}], controls' "
            f"in [{lo_c:.3g}, {hi_c:.3g}]; the groups are too different to compare",
        )
    if trim is None:
        keep, rule, bounds = np.ones(len(p), dtype=bool), "none", None
    else:
        if trim == "common_support":
            low, high = float(max(lo_t, lo_c)), float(min(hi_t, hi_c))
            rule = "common_support"
        else:
            low, high = trim  # type: ignore[misc]
            rule = "bounds"
        keep = (p >= low) & (p <= high)
        bounds = (low, high)
    trimming = Trimming(rule, bounds, int((d & ~keep).sum()), int((~d & ~keep).sum()))
    if not (keep & d).any() or not (keep & ~d).any():
        raise error(
            treatment,
            f"no overlap after trimming ({rule} {bounds}): {int((keep & d).sum())} treated and "
            f"{int((keep & ~d).sum())} control rows are left",
        )
    return keep, trimming


def estimate_att(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    covariates: Sequence[str],
    method: Method = "ipw",
    *,
    n_boot: int = 500,
    seed: int = 0,
    trim: tuple[float, float] | Literal["common_support"] | None = (0.01, 0.99),
    min_treated: int = 10,
    k: int = 1,
    caliper: float | None = None,
) -> AttResult:
    """Estimate the average effect of the treatment on the treated (see the module doc).

    Args:
        data: one row per person; the used columns must be numeric without missing values.
        treatment: 0/1 (or boolean) column, 1 = took part in the pilot.
        outcome: numeric outcome column (e.g. earnings, months employed).
        covariates: numeric columns measured *before* the pilot that drive participation
            and the outcome (transforms such as squares are given as columns).
        method: ``"ipw"``, ``"matching"`` or ``"dr"``.
        n_boot: bootstrap draws (>= 10).
        seed: seed of the bootstrap draws.
        trim: ``(low, high)`` propensity bounds, ``"common_support"`` or ``None``.
        min_treated: fewest treated rows allowed, before and after trimming (and matching).
        k: neighbours per treated row (matching only).
        caliper: largest matching distance in SDs of the log-odds (matching only; None =
            no limit).

    Raises:
        EvaluationError: bad input or options, no overlap, too few treated or controls;
            the message names the column or option.
    """
    trim_rule = check_options(method, n_boot, seed, trim, min_treated, k, caliper)
    x, y, d, covs = prepare(data, treatment, outcome, covariates)
    check_counts(d, treatment, min_treated, k, "in the data")
    # One BLAS/OpenMP thread: on these small problems threads cost more than they save
    # (much more when another process holds a core), and results stay bit-identical.
    with threadpool_limits(limits=1), np.errstate(all="ignore"):
        model = propensity_model()
        logit_all = fit_logit(model, x, d, quiet=False)
        keep, trimming = _trim(1.0 / (1.0 + np.exp(-logit_all)), d, trim_rule, treatment)
        check_counts(d[keep], treatment, min_treated, k, "after trimming")
        xs, ys, ds = x[keep], y[keep], d[keep]
        logit = fit_logit(model, xs, ds, quiet=False)
        n_treated = int(ds.sum())
        if method == "matching":
            matched = match_att(ys, ds, logit, k=k, caliper=caliper)
            _check_matched(matched.n_matched, treatment, min_treated, caliper)
            att, weights, n_treated = matched.att, matched.weights, matched.n_matched
            trimming = replace(trimming, unmatched_treated=matched.n_unmatched)
        else:
            att = estimate_once(method, xs, ys, ds, logit, np.ones(len(ys)), k, caliper)
            weights = np.where(ds, 1.0, np.exp(logit))
        draws = bootstrap(method, xs, ys, ds, n_boot, seed, k, caliper, model)
        balance = balance_table(covs, x, d, xs, ds, weights)
    ok = draws[np.isfinite(draws)]
    if len(ok) >= 2:
        ci = (float(np.percentile(ok, 2.5)), float(np.percentile(ok, 97.5)))
        se = float(np.std(ok, ddof=1))
    else:
        ci, se = (math.nan, math.nan), math.nan
    options: dict[str, Any] = {
        "trim": list(trim_rule) if isinstance(trim_rule, tuple) else trim_rule,
        "min_treated": min_treated,
    }
    if method == "matching":
        options.update({"k": k, "caliper": caliper})
    return AttResult(
        method=method,
        att=float(att),
        ci=ci,
        se=se,
        n_treated=n_treated,
        n_control=int((~ds).sum()),
        balance=balance,
        trimming=trimming,
        treatment=treatment,
        outcome=outcome,
        covariates=covs,
        n_boot=n_boot,
        n_boot_used=len(ok),
        seed=seed,
        options=options,
    )


def _check_matched(n_matched: int, treatment: str, min_treated: int, caliper: float | None) -> None:
    if n_matched == 0:
        raise error("caliper", f"no treated row has a control within the caliper of {caliper} SD")
    if n_matched < min_treated:
        raise error(
            treatment,
            f"too few treated rows matched within the caliper: {n_matched}, fewer than "
            f"min_treated = {min_treated}",
        )
