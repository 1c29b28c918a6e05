"""Labour-market indicators: pure functions on numbers, series and frames.

Definitions (see ../docs/labour.md and Eurostat's metadata):

- **job vacancy rate** = vacancies / (occupied posts + vacancies) x 100;
- **tightness** = vacancies per unemployed person (or per registered jobseeker);
- **trend** = ordinary least-squares slope of a rate on the year (pp per year), with its
  95 % interval (scipy.stats.linregress);
- **persistence** = share of years in which the region's rate was at least ``ratio`` x
  the reference rate;
- **Beveridge curve** = the vacancy rate plotted against the unemployment rate; each step
  between two years is classified by the direction it moves in;
- **cycle phase** = from the unemployment rate's recent change and its gap to its
  Hodrick-Prescott trend (statsmodels): falling and above trend is a recovery, falling
  and at or below trend an expansion, rising and at or below trend a slowdown, rising and
  above trend a downturn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Cycle",
    "Trend",
    "beveridge",
    "classify_occupations",
    "cycle_phase",
    "linear_trend",
    "persistence",
    "tightness",
    "vacancy_rate",
    "weighted_share",
]


def _counts(**named: object) -> list[np.ndarray]:
    """The named counts as float arrays; raises if any is negative."""
    arrays = []
    for name, values in named.items():
        array = np.asarray(values, dtype="float64")
        if np.any(array[~np.isnan(array)] < 0):
            raise ValueError(f"{name.replace('_', ' ')} must not be negative")
        arrays.append(array)
    return arrays


def _ratio(num: np.ndarray, den: np.ndarray, like: object, name: str) -> object:
    """``num / den`` where ``den > 0``, else NaN; shaped like ``like`` (number, array or
    Series)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, num / den, np.nan)
    if isinstance(like, pd.Series):
        return pd.Series(ratio, index=like.index, name=name)
    return float(ratio) if ratio.ndim == 0 else ratio


def vacancy_rate(vacancies: object, occupied: object) -> object:
    """Job vacancy rate in % = vacancies / (occupied + vacancies) x 100.

    Works on numbers, arrays and aligned Series; NaN where both are zero or missing.

    Raises:
        ValueError: a negative count.
    """
    v, o = _counts(vacancies=vacancies, occupied_posts=occupied)
    return _ratio(v * 100.0, o + v, vacancies, "vacancy_rate")


def tightness(vacancies: object, unemployed: object) -> object:
    """Vacancies per unemployed person; NaN where nobody is unemployed (undefined).

    Raises:
        ValueError: a negative count.
    """
    v, u = _counts(vacancies=vacancies, unemployed=unemployed)
    return _ratio(v, u, vacancies, "tightness")


@dataclass(frozen=True)
class Trend:
    """OLS trend of a yearly series."""

    slope: float  # units per year
    ci_low: float
    ci_high: float
    first: int
    last: int
    n: int
    change: float  # last minus first observed value

    @property
    def direction(self) -> str:
        """'rising', 'falling' or 'flat' (the 95 % interval includes zero)."""
        if self.ci_low > 0:
            return "rising"
        if self.ci_high < 0:
            return "falling"
        return "flat"


def linear_trend(series: pd.Series) -> Trend:
    """Slope per year of a series indexed by year (NaNs dropped), with a 95 % interval.

    Raises:
        ValueError: fewer than three observed years.
    """
    from scipy import stats

    s = series.dropna()
    if len(s) < 3:
        raise ValueError(f"a trend needs at least 3 observed years, got {len(s)}")
    years = np.asarray(s.index, dtype="float64")
    fit = stats.linregress(years, s.to_numpy(dtype="float64"))
    t = stats.t.ppf(0.975, len(s) - 2)
    return Trend(
        slope=float(fit.slope),
        ci_low=float(fit.slope - t * fit.stderr),
        ci_high=float(fit.slope + t * fit.stderr),
        first=int(years.min()),
        last=int(years.max()),
        n=len(s),
        change=float(s.iloc[-1] - s.iloc[0]),
    )


def persistence(region: pd.Series, reference: pd.Series, ratio: float = 1.0) -> float:
    """Share of years (with both values) in which ``region >= ratio x reference``.

    Raises:
        ValueError: no year has both values.
    """
    both = pd.concat({"r": region, "ref": reference}, axis=1).dropna()
    if both.empty:
        raise ValueError("no year with both the region's and the reference rate")
    return float((both["r"] >= ratio * both["ref"]).mean())


_MOVES = {
    (-1, 1): "tightening (up and left: upswing)",
    (1, -1): "slackening (down and right: downturn)",
    (1, 1): "outward shift (more vacancies and more unemployment: matching worsens)",
    (-1, -1): "inward shift (fewer vacancies and less unemployment)",
}


def beveridge(unemployment: pd.Series, vacancies: pd.Series) -> pd.DataFrame:
    """Beveridge-curve points (one per period with both rates) and each step's movement.

    Columns: ``period``, ``unemployment_rate``, ``vacancy_rate``, ``movement`` (how the
    point moved from the previous one; empty for the first).
    """
    both = pd.concat({"u": unemployment, "v": vacancies}, axis=1).dropna().sort_index()
    moves = [""] if len(both) else []
    for (u0, v0), (u1, v1) in zip(both.to_numpy()[:-1], both.to_numpy()[1:], strict=True):
        key = (int(np.sign(u1 - u0)), int(np.sign(v1 - v0)))
        moves.append(_MOVES.get(key, "no change on one axis"))
    return pd.DataFrame(
        {
            "period": both.index.astype(str),
            "unemployment_rate": both["u"].to_numpy(),
            "vacancy_rate": both["v"].to_numpy(),
            "movement": moves,
        }
    )


@dataclass(frozen=True)
class Cycle:
    """Where a labour market is in the cycle, and the figures that say so."""

    phase: str
    period: str
    rate: float
    change: float  # change over ``window`` periods (pp)
    window: int
    trend: float  # Hodrick-Prescott trend at the last period
    gap: float  # rate minus trend (pp)
    trend_change: float = 0.0  # change of the trend over ``window`` periods (pp)
    flat: float = 0.2  # a change smaller than this (pp) counts as flat

    @property
    def basis(self) -> str:
        """The rule applied, with its figures."""
        side = "above" if self.gap > 0 else "at or below"
        if abs(self.change) < self.flat:
            way = "rising" if self.trend_change > 0 else "falling"
            move = (
                f"was flat ({self.change:+.1f} pp) over the {self.window} periods to "
                f"{self.period}, its trend {way} ({self.trend_change:+.2f} pp),"
            )
        else:
            verb = "rose" if self.change > 0 else "fell"
            move = (
                f"{verb} by {abs(self.change):.1f} pp over the {self.window} periods to "
                f"{self.period}"
            )
        return (
            f"unemployment {move} and is {side} its Hodrick-Prescott trend "
            f"({self.rate:.1f}% vs {self.trend:.1f}%)"
        )


def cycle_phase(
    series: pd.Series, *, window: int = 12, lamb: float = 129600.0, flat: float = 0.2
) -> Cycle:
    """Cycle phase from an unemployment-rate series (monthly: ``window=12``, ``lamb=129600``;
    annual: ``window=1``, ``lamb=100``), using statsmodels' Hodrick-Prescott filter.

    A change smaller than ``flat`` pp counts as no move; the direction of the HP trend
    then decides whether unemployment is rising or falling.

    Raises:
        ValueError: too short a series (fewer than ``2 x window + 3`` observations).
    """
    from statsmodels.tsa.filters.hp_filter import hpfilter

    s = series.dropna().sort_index()
    if len(s) < 2 * window + 3:
        raise ValueError(f"the cycle needs at least {2 * window + 3} observations, got {len(s)}")
    _cycle, trend = hpfilter(s.to_numpy(dtype="float64"), lamb=lamb)
    rate = float(s.iloc[-1])
    change = float(s.iloc[-1] - s.iloc[-1 - window])
    level = float(trend[-1])
    gap = rate - level
    trend_change = float(trend[-1] - trend[-1 - window])
    rising = change > 0 if abs(change) >= flat else trend_change > 0
    above = gap > 0
    phase = {
        (False, True): "recovery",
        (False, False): "expansion",
        (True, False): "slowdown",
        (True, True): "downturn",
    }[(rising, above)]
    return Cycle(
        phase=phase,
        period=str(s.index[-1]),
        rate=rate,
        change=round(change, 10),
        window=window,
        trend=level,
        gap=gap,
        trend_change=trend_change,
        flat=flat,
    )


def weighted_share(weights: pd.Series, shares: pd.Series) -> float:
    """Average of ``shares`` weighted by ``weights`` over their common non-missing index.

    Used for the high-skilled job share: employment by sector x the share of high-skilled
    jobs in each sector.

    Raises:
        ValueError: nothing in common, or zero total weight.
    """
    both = pd.concat({"w": weights, "s": shares}, axis=1).dropna()
    total = float(both["w"].sum())
    if both.empty or total <= 0:
        raise ValueError("no sector has both a weight and a share")
    return float((both["w"] * both["s"]).sum() / total)


def classify_occupations(
    table: pd.DataFrame,
    *,
    shortage_ratio: float = 2.0,
    surplus_ratio: float = 0.5,
    min_count: int = 20,
    reference: float | None = None,
) -> pd.DataFrame:
    """Shortage and surplus occupations of one region and period.

    ``table`` has one row per occupation with ``jobseekers`` and ``vacancies``. Each gets
    ``tightness`` (vacancies per jobseeker), ``relative`` (its tightness over the
    region's overall tightness) and ``status``: ``shortage`` when ``relative >=
    shortage_ratio`` and it has at least ``min_count`` vacancies, ``surplus`` when
    ``relative <= surplus_ratio`` and it has at least ``min_count`` jobseekers, else
    ``balanced`` (or ``small`` when both counts are below ``min_count``). ``reference``
    replaces the region's overall tightness (a scenario compares with today's).

    Raises:
        ValueError: missing columns, negative counts, or no jobseekers or vacancies at all.
    """
    missing = {"jobseekers", "vacancies"} - set(table.columns)
    if missing:
        raise ValueError(f"the occupation table lacks columns {sorted(missing)}")
    if not 0 < surplus_ratio < 1 < shortage_ratio:
        raise ValueError("need 0 < surplus_ratio < 1 < shortage_ratio")
    out = table.copy()
    js = out["jobseekers"].astype("float64")
    vac = out["vacancies"].astype("float64")
    if (js < 0).any() or (vac < 0).any():
        raise ValueError("jobseekers and vacancies must not be negative")
    total_js, total_vac = float(js.sum()), float(vac.sum())
    if total_js <= 0 or total_vac <= 0:
        raise ValueError("the region has no jobseekers or no vacancies: tightness is undefined")
    overall = total_vac / total_js
    base = overall if reference is None else float(reference)
    if not base > 0:
        raise ValueError("the reference tightness must be positive")
    out["tightness"] = tightness(vac, js)
    # An occupation with vacancies but no jobseekers is as tight as it gets.
    relative = np.where(js > 0, vac / js.where(js > 0, 1.0) / base, np.inf)
    out["relative"] = np.where((js == 0) & (vac == 0), np.nan, relative)
    status = np.full(len(out), "balanced", dtype=object)
    small = (js < min_count) & (vac < min_count)
    status[small.to_numpy()] = "small"
    status[((out["relative"] >= shortage_ratio) & (vac >= min_count)).to_numpy()] = "shortage"
    status[((out["relative"] <= surplus_ratio) & (js >= min_count)).to_numpy()] = "surplus"
    out["status"] = status
    out.attrs["overall_tightness"] = overall
    return out


def isfinite(value: float | None) -> bool:
    """True for a finite number (None and NaN are not)."""
    return value is not None and math.isfinite(value)
