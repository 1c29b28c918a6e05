"""Measuring the results of individual pathways: pure functions on frames.

Inputs are plain frames, so the same code serves a PES's own tables and the SYNTHETIC demo:

- ``people``: the jobseeker table (:mod:`workbench.profiling.schema` columns) plus the
  model's ``risk`` (and optionally ``risk_low``/``risk_high``) and a period column
  (``month``/``quarter``/``year`` are derived from ``registered`` when absent);
- ``steps``: the steps offered, one row per step (``person``, ``step_id``, ``kind``,
  optionally ``pathway_id``), e.g. from :func:`steps_frame`;
- ``reviews``: the counsellors' review log (``step_id``, ``action``, ``person`` or
  ``pathway_id``, optionally ``at``), from ``OversightService.reviews`` (see
  :func:`reviews_frame`) or a CSV export. The latest review of a step counts.

*Override rate*: share of reviewed steps the counsellor changed or rejected.
*Uptake*: share of the people offered a step kind whose ``programme`` is that kind.
*Return-to-work rate* (La Bonne Formation): share of programme participants (``programme``
not ``none``) with ``employed_1m_6m``. Intervals are 95% Wilson intervals (statsmodels
``proportion_confint``). Cells of fewer than ``min_n`` people get no rate (suppressed).
*Calibration drift*: per period, an observed rate outside the predicted band
``[mean(risk_low) - z*se, mean(risk_high) + z*se]``, ``se = sqrt(sum p(1-p)) / n`` (the
sampling spread of a count of independent events of probabilities ``p = risk``), is
flagged. Calibration intercept and slope: statsmodels Logit of the outcome on
``logit(risk)`` (0 and 1 when calibrated). Bad input raises InvalidInput naming column/rows.
Figures and the one-page summary: :mod:`workbench.pathways.monitoring_report`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint
from statsmodels.tools.sm_exceptions import PerfectSeparationError

from workbench.evaluation import AttResult, EvaluationError, estimate_att
from workbench.evaluation.att import Method
from workbench.exceptions import InvalidInput, Problem
from workbench.profiling.schema import PROTECTED

__all__ = [
    "ACTIONS",
    "MIN_N",
    "OUTCOME_LABELS",
    "PathwayEffect",
    "calibration_drift",
    "followed_pathway",
    "outcomes_by_group",
    "pathway_effect",
    "period_values",
    "reviews_frame",
    "steps_frame",
    "uptake_and_overrides",
]

ACTIONS: tuple[str, ...] = ("accept", "change", "reject")
#: Smallest cell whose rate is shown (as for return-to-work rates).
MIN_N = 20
OUTCOME_LABELS = {
    "ltu": "long-term unemployed (12+ months)",
    "employed_1m_6m": "back in work (1+ month within 6 months)",
}
_Z = 1.959963984540054
_TRUE, _FALSE = {"true", "1", "yes", "t", "y"}, {"false", "0", "no", "f", "n"}
_NO_PROGRAMME = {"", "none", "nan", "<NA>"}
_YES_NO = {True: "yes", False: "no"}
_PERIODS = {"month": ("M", "%Y-%m"), "quarter": ("Q", "%Y-Q%q"), "year": ("Y", "%Y")}
_DRIFT_COLUMNS = (  # noqa: SIM905 - one line per column would be 14 lines
    "period n events predicted observed band_low band_high brier intercept slope flag note"
).split()


def _fail(source: str, key: str, message: str) -> InvalidInput:
    return InvalidInput([Problem(source, key, message)])


def _require(frame: object, columns: Iterable[str], source: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise _fail(source, "", f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        shown = ", ".join(map(str, list(frame.columns)[:25]))
        problems = [Problem(source, c, f"column missing (found: {shown})") for c in missing]
        raise InvalidInput(problems)
    return frame


def _bad_rows(frame: pd.DataFrame, mask: np.ndarray, col: str, source: str, what: str) -> None:
    rows = np.flatnonzero(mask)
    if len(rows):
        labels, values = frame.index[rows[:5]].tolist(), frame[col].iloc[rows[:5]].tolist()
        shown = "; ".join(f"row {lab!r}: {v!r}" for lab, v in zip(labels, values, strict=True))
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        raise _fail(source, col, f"{what}: {shown}{more}")


def _binary(frame: pd.DataFrame, col: str, source: str) -> np.ndarray:
    """A true/false column as floats 1/0, NaN where unknown; other values are an error."""
    s = frame[col]
    if pd.api.types.is_bool_dtype(s):
        return s.astype("float64").to_numpy()

    def one(v: Any) -> float | None:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return math.nan
        if isinstance(v, bool | np.bool_ | int | np.integer | float) and v in (0, 1):
            return float(v)
        t = v.strip().lower() if isinstance(v, str) else None
        return (math.nan if t == "" else float(t in _TRUE)) if t in _TRUE | _FALSE | {""} else None

    out = [one(v) for v in s.tolist()]
    _bad_rows(frame, np.array([v is None for v in out]), col, source, "not true/false")
    return np.array(out, dtype="float64")


def _probability(frame: pd.DataFrame, col: str, source: str) -> np.ndarray:
    values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values) | (values < 0) | (values > 1)
    _bad_rows(frame, bad, col, source, "not a probability between 0 and 1")
    return values


def _wilson(events: Any, n: Any, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    events, n = np.asarray(events, dtype=float), np.asarray(n, dtype=float)
    low, high = proportion_confint(events, np.maximum(n, 1), alpha=alpha, method="wilson")
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _rate(events: Any, n: Any) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.where(n > 0, np.asarray(events, dtype=float) / np.maximum(n, 1), np.nan)


def reviews_frame(reviews: Iterable[Any]) -> pd.DataFrame:
    """The review log (``ReviewInfo`` dataclasses or dicts) as a frame, one row per review."""
    columns = ["pathway_id", "person", "step_id", "action", "reason", "counsellor", "at"]
    frame = pd.DataFrame([r if isinstance(r, dict) else asdict(r) for r in reviews])
    return frame.reindex(columns=[*columns, *[c for c in frame.columns if c not in columns]])


def steps_frame(pathways: Iterable[Any]) -> pd.DataFrame:
    """The steps offered, from ``Pathway`` objects or ``(pathway_id, Pathway)`` pairs."""
    rows = []
    for item in pathways:
        pid, p = item if isinstance(item, tuple) else (None, item)
        for s in p.steps:
            row = (pid, p.person, p.region, s.step_id, s.kind, s.order, s.when, bool(p.synthetic))
            rows.append(row)
    cols = ["pathway_id", "person", "region", "step_id", "kind", "order", "when", "synthetic"]
    return pd.DataFrame(rows, columns=cols)


def uptake_and_overrides(
    steps: pd.DataFrame,
    reviews: pd.DataFrame | None = None,
    people: pd.DataFrame | None = None,
    *,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Counsellors' accept/change/reject rates per step kind and overall (``kind="all"``).

    Columns: ``kind, offered, reviewed, accept, change, reject`` (counts), ``*_rate`` over
    the reviewed steps, ``override_rate`` (change or reject) with its Wilson interval
    ``override_low/high``; with ``people`` (``person_id``, ``programme``) also
    ``offered_people, took_up, uptake_rate, uptake_low, uptake_high``. Reviews of steps not
    in ``steps`` are left out and counted in ``attrs["notes"]``.
    """
    _require(steps, ("person", "step_id", "kind"), "steps")
    by_id = reviews is not None and "pathway_id" in reviews and "pathway_id" in steps
    key = ["pathway_id" if by_id and steps["pathway_id"].notna().all() else "person", "step_id"]
    offered = steps.drop_duplicates(key)[[*dict.fromkeys([*key, "person", "kind"])]]
    notes: list[str] = []
    if reviews is not None and len(reviews):
        _require(reviews, (*key, "action"), "reviews")
        action = reviews["action"].astype(str).str.strip().str.lower()
        bad, what = ~action.isin(ACTIONS).to_numpy(), f"must be one of {list(ACTIONS)}"
        _bad_rows(reviews, bad, "action", "reviews", what)
        log = reviews.assign(action=action)
        if "at" in log:
            log = log.sort_values("at", kind="stable")
        latest = log.drop_duplicates(key, keep="last")[[*key, "action"]]
        merged = offered.merge(latest, on=key, how="left")
        left_out = len(latest) - int(merged["action"].notna().sum())
        if left_out:
            notes.append(f"{left_out} reviewed step(s) are not among the steps offered: left out.")
    else:
        merged = offered.assign(action=pd.NA)
        notes.append("No counsellor reviews were given: override rates cannot be computed.")
    if people is not None:
        _require(people, ("person_id", "programme"), "people")
        programme = people.drop_duplicates("person_id").set_index("person_id")["programme"]
        merged["took_up"] = merged["person"].map(programme).astype(str) == merged["kind"]
    rows = []
    for kind, part in [*sorted(merged.groupby("kind")), ("all", merged)]:
        counts = {a: int((part["action"] == a).sum()) for a in ACTIONS}
        row: dict[str, Any] = {"kind": kind, "offered": len(part), "reviewed": sum(counts.values())}
        row.update(counts)
        rows.append(row)
        if people is not None:
            took = part.groupby("person")["took_up"].any()
            row.update(offered_people=len(took), took_up=int(took.sum()))
    out = pd.DataFrame(rows)
    for a in ACTIONS:
        out[f"{a}_rate"] = _rate(out[a], out["reviewed"])
    overrides = out["change"] + out["reject"]
    out["override_rate"] = _rate(overrides, out["reviewed"])
    out["override_low"], out["override_high"] = _wilson(overrides, out["reviewed"], alpha)
    if people is not None:
        out["uptake_rate"] = _rate(out["took_up"], out["offered_people"])
        took, offered_people = out["took_up"], out["offered_people"]
        out["uptake_low"], out["uptake_high"] = _wilson(took, offered_people, alpha)
    out.attrs["notes"] = notes
    return out


def outcomes_by_group(
    people: pd.DataFrame,
    groups: Sequence[str] = PROTECTED,
    *,
    outcomes: Sequence[str] = ("ltu", "employed_1m_6m"),
    alpha: float = 0.05,
    min_n: int = MIN_N,
) -> pd.DataFrame:
    """LTU and return-to-work rates by group, with Wilson intervals, in long form.

    Columns: ``outcome, attribute, group, n, events, rate, low, high, suppressed``; the
    first rows per outcome are ``attribute="all"``. The return-to-work rate counts
    programme participants only (``programme`` not ``none``/empty, as La Bonne Formation
    does); rows with an unknown outcome are left out. Cells with ``n < min_n`` are
    suppressed (no rate). Outcome columns absent from ``people`` are skipped with a note.
    """
    _require(people, groups, "people")
    present = [o for o in outcomes if o in people.columns]
    if not present:
        raise _fail("people", "/".join(outcomes), "no outcome column: nothing to measure")
    rows = []
    for outcome in present:
        y = _binary(people, outcome, "people")
        keep = ~np.isnan(y)
        if outcome == "employed_1m_6m" and "programme" in people:
            keep &= ~people["programme"].astype(str).str.strip().isin(_NO_PROGRAMME).to_numpy()
        for attribute in ("all", *groups):
            keys = "all" if attribute == "all" else people[attribute].replace(_YES_NO).astype(str)
            frame = pd.DataFrame({"g": keys, "y": y}, index=people.index)[keep]
            stats = frame.groupby("g", sort=True)["y"].agg(["size", "sum"])
            for group, (n, events) in stats.iterrows():
                rows.append((outcome, attribute, str(group), int(n), int(events)))
    out = pd.DataFrame(rows, columns=["outcome", "attribute", "group", "n", "events"])
    out["rate"] = _rate(out["events"], out["n"])
    out["low"], out["high"] = _wilson(out["events"], out["n"], alpha)
    out["suppressed"] = out["n"] < min_n
    out.loc[out["suppressed"], ["rate", "low", "high"]] = np.nan
    out.attrs["notes"] = [f"No column {o!r}: not measured." for o in outcomes if o not in present]
    return out


def period_values(people: pd.DataFrame, period_col: str) -> pd.Series:
    """The period of each row: the column itself, or ``month``/``quarter``/``year`` of
    ``registered`` (``2025-03``, ``2025-Q1``, ``2025``); ``""`` where unknown."""
    if period_col in people.columns:
        return people[period_col].astype("string").fillna("").astype(str)
    if period_col not in _PERIODS or "registered" not in people.columns:
        msg = "no such column (only month, quarter, year are derived from 'registered')"
        raise _fail("people", period_col, msg)
    reg = people["registered"].astype("string").fillna("").str.strip()
    dates = pd.to_datetime(reg.where(reg != ""), errors="coerce", format="ISO8601")
    bad = (dates.isna() & (reg != "")).to_numpy()
    _bad_rows(people, bad, "registered", "people", "not a date YYYY-MM-DD")
    freq, fmt = _PERIODS[period_col]
    return dates.dt.to_period(freq).dt.strftime(fmt).fillna("").astype(str)


def _calibration_fit(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    import statsmodels.api as sm

    x = np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.Logit(y, sm.add_constant(x, has_constant="add")).fit(disp=0, maxiter=100)
        if not fit.mle_retvals.get("converged", False):
            return math.nan, math.nan
        return float(fit.params[0]), float(fit.params[1])
    except (np.linalg.LinAlgError, ValueError, PerfectSeparationError):  # no slope to report
        return math.nan, math.nan


def calibration_drift(
    people: pd.DataFrame,
    period_col: str,
    *,
    outcome: str = "ltu",
    risk_col: str = "risk",
    min_n: int = 30,
) -> pd.DataFrame:
    """Per period: ``n, events, predicted, observed, obs_low, obs_high`` (Wilson),
    ``band_low, band_high`` (the predicted band, see the module doc), ``brier``,
    ``intercept, slope`` (logistic recalibration), ``flag`` (observed outside the band;
    never for periods of fewer than ``min_n`` people) and a plain ``note``."""
    _require(people, (risk_col, outcome), "people")
    period = period_values(people, period_col)
    p = _probability(people, risk_col, "people")
    lo = _probability(people, f"{risk_col}_low", "people") if f"{risk_col}_low" in people else p
    hi = _probability(people, f"{risk_col}_high", "people") if f"{risk_col}_high" in people else p
    y = _binary(people, outcome, "people")
    keep = ~np.isnan(y) & (period != "").to_numpy()
    rows = []
    for name in sorted(set(period[keep])):
        m = keep & (period == name).to_numpy()
        n, events, pm = int(m.sum()), int(y[m].sum()), p[m]
        se = math.sqrt(float((pm * (1 - pm)).sum())) / n
        row = {
            "period": name,
            "n": n,
            "events": events,
            "predicted": float(pm.mean()),
            "observed": events / n,
            "band_low": max(0.0, float(lo[m].mean()) - _Z * se),
            "band_high": min(1.0, float(hi[m].mean()) + _Z * se),
            "brier": float(((pm - y[m]) ** 2).mean()),
        }
        row["intercept"], row["slope"] = (
            _calibration_fit(y[m], pm) if n >= min_n and 0 < events < n else (math.nan, math.nan)
        )
        outside = not row["band_low"] <= row["observed"] <= row["band_high"]
        row["flag"] = bool(outside and n >= min_n)
        where = "within" if not outside else "above" if events / n > row["band_high"] else "below"
        band = f"{row['band_low']:.1%}-{row['band_high']:.1%}"
        row["note"] = f"observed {events / n:.1%} is {where} the predicted band {band}"
        if n < min_n:
            row["note"] = f"fewer than {min_n} people: not judged"
        rows.append(row)
    out = pd.DataFrame(rows, columns=_DRIFT_COLUMNS)
    out["obs_low"], out["obs_high"] = _wilson(out["events"], out["n"], 0.05)
    dropped = int((~keep).sum())
    note = f"{dropped} row(s) without {outcome} or period: left out."
    out.attrs["notes"] = [note] if dropped else []
    return out


def followed_pathway(people: pd.DataFrame, steps: pd.DataFrame) -> pd.Series:
    """True where the person's ``programme`` is one of the step kinds offered to them
    (``people.person_id`` matched with ``steps.person``); False for people with no steps."""
    _require(people, ("person_id", "programme"), "people")
    _require(steps, ("person", "kind"), "steps")
    offered = set(zip(steps["person"].astype(str), steps["kind"].astype(str), strict=True))
    pairs = zip(people["person_id"].astype(str), people["programme"].astype(str), strict=True)
    return pd.Series([pair in offered for pair in pairs], index=people.index, dtype=bool)


@dataclass(frozen=True)
class PathwayEffect:
    """The effect of following a pathway (``result`` when ``estimated``), or why not."""

    estimated: bool
    reason: str
    result: AttResult | None
    synthetic: bool
    n_treated: int
    n_control: int
    outcome: str
    treatment: str

    def sentence(self) -> str:
        """One plain-language sentence, labelled MADE-UP on synthetic data."""
        if not self.estimated or self.result is None:
            return f"The effect of the pathways on {self.outcome} was not estimated: {self.reason}"
        r, label = self.result, OUTCOME_LABELS.get(self.outcome, self.outcome)
        low, high = r.ci
        verdict = "excludes" if low > 0 or high < 0 else "includes"
        text = (
            f"Among {r.n_treated:,} people who followed their pathway, the share {label} was "
            f"{abs(r.att) * 100:.1f} percentage points {'higher' if r.att >= 0 else 'lower'} "
            f"than for {r.n_control:,} similar people who did not (95% interval "
            f"{low * 100:+.1f} to {high * 100:+.1f} points; it {verdict} zero)."
        )
        return f"MADE-UP (synthetic data, not evidence): {text}" if self.synthetic else text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ATT result included when estimated)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "result"}
        result = self.result.to_dict() if self.result is not None else None
        return {**out, "sentence": self.sentence(), "result": result}


def _covariate_matrix(people: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numbers as they are, true/false as 0/1, categories one-hot (``col=value``, first dropped)."""
    parts = []
    for col in covariates:
        s = people[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype("float64").rename(col))
        else:
            dummies = pd.get_dummies(s.astype(str), prefix=col, prefix_sep="=", dtype="float64")
            parts.append(dummies.iloc[:, 1:])
    return pd.concat(parts, axis=1)


def pathway_effect(
    people: pd.DataFrame,
    treatment_col: str,
    outcome_col: str,
    covariates: Sequence[str],
    *,
    method: Method = "dr",
    n_boot: int = 200,
    seed: int = 0,
    min_group: int = 30,
) -> PathwayEffect:
    """Average effect of following a pathway on those who did (ATT), by
    :func:`workbench.evaluation.estimate_att`, when a comparison group exists.

    Rows with an unknown treatment or outcome are left out. Not estimated (``estimated``
    False, ``reason`` says why) when there are fewer than ``min_group`` treated or
    untreated people, or when ``estimate_att`` refuses the data (e.g. no overlap).
    """
    _require(people, (treatment_col, outcome_col, *covariates), "people")
    synthetic = "synthetic" in people and bool(np.nansum(_binary(people, "synthetic", "people")))
    d, y = _binary(people, treatment_col, "people"), _binary(people, outcome_col, "people")
    keep = ~np.isnan(d) & ~np.isnan(y)
    n_t, n_c = int((d[keep] == 1).sum()), int((d[keep] == 0).sum())

    def refuse(reason: str) -> PathwayEffect:
        return PathwayEffect(False, reason, None, synthetic, n_t, n_c, outcome_col, treatment_col)

    if n_t < min_group or n_c < min_group:
        return refuse(
            f"a comparison needs at least {min_group} people who followed their pathway and "
            f"{min_group} who did not; there are {n_t} and {n_c}"
        )
    covs = _covariate_matrix(people[keep], covariates)
    data = covs.assign(**{treatment_col: d[keep], outcome_col: y[keep]})
    names, options = list(covs.columns), dict(n_boot=n_boot, seed=seed, min_treated=min_group)
    try:
        result = estimate_att(
            data, treatment_col, outcome_col, names, method, trim="common_support", **options
        )
    except EvaluationError as exc:
        return refuse(f"the comparison group is not usable ({exc.problems[0].message})")
    return PathwayEffect(True, "", result, synthetic, n_t, n_c, outcome_col, treatment_col)
