"""Aggregates of workshop feedback: ratings, Delphi consensus, votes and rankings.

Pure math on columnar numpy arrays (no database, no pandas). Ratings arrive as parallel
integer arrays (item code, value), so per-item statistics come from one value histogram
per item (:func:`numpy.bincount`): ratings are small integers from 1 to the scale maximum.

Delphi consensus (Diamond et al. 2014; the rules the workbench uses):

- **IQR rule**: the interquartile range is at most :data:`IQR_MAX` [scale] — 1 on a
  5-point scale, 2 on a 9-point scale (the same share of the range, 1/4).
- **Agreement (the 70/15 rule)**: an item is "in" when at least :data:`TOP_SHARE_MIN`
  (70%) of the ratings fall in the top band and fewer than :data:`BOTTOM_SHARE_MAX` (15%)
  in the bottom band; "out" for the mirror image; else "none". The bands
  (:data:`BANDS`) are 7–9 / 1–3 on the 9-point scale and 4–5 / 1–2 on the 5-point scale.
- **Consensus** = IQR rule and agreement is "in" or "out".

Quartiles use numpy's default ('linear') percentile definition, so they equal
``np.percentile(values, [25, 50, 75])`` of each item's raw ratings.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2, rankdata

#: Largest IQR that still counts as consensus, by scale maximum.
IQR_MAX: dict[int, float] = {5: 1.0, 9: 2.0}
#: (highest rating of the bottom band, lowest rating of the top band), by scale maximum.
BANDS: dict[int, tuple[int, int]] = {5: (2, 4), 9: (3, 7)}
#: The 70/15 rule: at least this share in the top band ...
TOP_SHARE_MIN = 0.70
#: ... and strictly less than this share in the bottom band.
BOTTOM_SHARE_MAX = 0.15
#: Between two rounds an item is stable when its coefficient of variation (SD / mean)
#: changes by less than this (absolute difference of the two CVs).
CV_STABLE_MAX = 0.15
#: Fewer ratings than this are too few to call consensus (one rater always "agrees").
MIN_RATINGS = 3

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _frozen(array: ArrayLike, dtype: object = None) -> NDArray:
    out = np.array(array, dtype=dtype)  # a copy: callers' arrays stay writeable
    out.flags.writeable = False
    return out


def bands(scale_max: int) -> tuple[int, int]:
    """(bottom band's highest rating, top band's lowest rating) for a scale 1..scale_max."""
    if scale_max in BANDS:
        return BANDS[scale_max]
    raise ValueError(f"no consensus bands for a {scale_max}-point scale; use 5 or 9")


# -- ratings --------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingStats:
    """Per-item rating statistics; every field is an array with one entry per item.

    ``agreement`` holds "in", "out" or "none"; statistics of items without ratings are
    NaN and such items have no consensus.
    """

    scale_max: int
    n: IntArray
    median: FloatArray
    q1: FloatArray
    q3: FloatArray
    iqr: FloatArray
    mean: FloatArray
    sd: FloatArray
    top_share: FloatArray
    bottom_share: FloatArray
    iqr_rule: NDArray[np.bool_]
    agreement: NDArray[np.str_]
    consensus: NDArray[np.bool_]
    #: counts of each rating 1..scale_max per item, shape (items, scale_max)
    histogram: IntArray

    def row(self, i: int) -> dict[str, object]:
        """Item ``i`` as plain Python values (NaN becomes None)."""

        def num(x: float) -> float | None:
            return None if math.isnan(x) else float(x)

        return {
            "n": int(self.n[i]),
            "median": num(self.median[i]),
            "q1": num(self.q1[i]),
            "q3": num(self.q3[i]),
            "iqr": num(self.iqr[i]),
            "mean": num(self.mean[i]),
            "sd": num(self.sd[i]),
            "top_share": num(self.top_share[i]),
            "bottom_share": num(self.bottom_share[i]),
            "iqr_rule": bool(self.iqr_rule[i]),
            "agreement": str(self.agreement[i]),
            "consensus": bool(self.consensus[i]),
            "histogram": [int(c) for c in self.histogram[i]],
        }


def histograms(item: ArrayLike, value: ArrayLike, *, n_items: int, scale_max: int) -> IntArray:
    """Counts of each rating 1..scale_max per item, shape (n_items, scale_max)."""
    item = np.asarray(item, dtype=np.int64)
    value = np.asarray(value, dtype=np.int64)
    if item.shape != value.shape:
        raise ValueError("item and value must have the same length")
    if value.size and (value.min() < 1 or value.max() > scale_max):
        raise ValueError(f"ratings must be whole numbers from 1 to {scale_max}")
    if item.size and (item.min() < 0 or item.max() >= n_items):
        raise ValueError(f"item codes must be from 0 to {n_items - 1}")
    flat = np.bincount(item * scale_max + (value - 1), minlength=n_items * scale_max)
    return flat.reshape(n_items, scale_max)


def _value_at(cum: IntArray, index: IntArray) -> IntArray:
    """The rating at 0-based position ``index`` of each item's sorted ratings."""
    return 1 + (cum <= index[:, None]).sum(axis=1)


def quantiles_from_histograms(hist: ArrayLike, q: float) -> FloatArray:
    """Quantile ``q`` (0..1) per row of a rating histogram, numpy's 'linear' definition.

    For n sorted ratings x_0..x_{n-1}: h = (n-1)·q, result x_⌊h⌋ + (h-⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋).
    Rows without ratings give NaN.
    """
    hist = np.asarray(hist, dtype=np.int64)
    cum = hist.cumsum(axis=1)
    n = cum[:, -1] if hist.shape[1] else np.zeros(len(hist), dtype=np.int64)
    out = np.full(len(hist), np.nan)
    has = n > 0
    if not has.any():
        return out
    cum, n = cum[has], n[has]
    h = (n - 1) * q
    lo = np.floor(h).astype(np.int64)
    frac = h - lo
    v_lo = _value_at(cum, lo)
    v_hi = _value_at(cum, np.minimum(lo + 1, n - 1))
    out[has] = v_lo + frac * (v_hi - v_lo)
    return out


def rating_stats(
    item: ArrayLike,
    value: ArrayLike,
    *,
    n_items: int,
    scale_max: int,
    iqr_max: float | None = None,
    top_share_min: float = TOP_SHARE_MIN,
    bottom_share_max: float = BOTTOM_SHARE_MAX,
    min_ratings: int = MIN_RATINGS,
) -> RatingStats:
    """Median, quartiles, IQR, mean, band shares and Delphi consensus per item.

    ``item`` holds item codes 0..n_items-1 and ``value`` the ratings 1..scale_max (one
    entry per rating). ``iqr_max`` defaults to :data:`IQR_MAX` for the scale. Shares are
    compared as computed (``k / n``); a share exactly at a threshold (e.g. 7 of 10 = 70%)
    is the same float as the threshold, so "at least 70%" includes it and "fewer than
    15%" excludes exactly 15%. Items with fewer than ``min_ratings`` ratings have no
    consensus whatever their spread.
    """
    bottom_max, top_min = bands(scale_max)
    if iqr_max is None:
        iqr_max = IQR_MAX[scale_max]
    hist = histograms(item, value, n_items=n_items, scale_max=scale_max)
    n = hist.sum(axis=1)
    levels = np.arange(1, scale_max + 1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (hist @ levels) / n
        var = (hist * (levels - mean[:, None]) ** 2).sum(axis=1) / n
        sd = np.sqrt(var)
        top = hist[:, top_min - 1 :].sum(axis=1) / n
        bottom = hist[:, :bottom_max].sum(axis=1) / n
    q1 = quantiles_from_histograms(hist, 0.25)
    median = quantiles_from_histograms(hist, 0.5)
    q3 = quantiles_from_histograms(hist, 0.75)
    iqr = q3 - q1
    has = n > 0
    iqr_rule = has & (np.nan_to_num(iqr, nan=np.inf) <= iqr_max)
    top_f, bottom_f = np.nan_to_num(top), np.nan_to_num(bottom)
    is_in = has & (top_f >= top_share_min) & (bottom_f < bottom_share_max)
    is_out = has & (bottom_f >= top_share_min) & (top_f < bottom_share_max)
    agreement = np.where(is_in, "in", np.where(is_out, "out", "none"))
    consensus = iqr_rule & (agreement != "none") & (n >= min_ratings)
    return RatingStats(
        scale_max=scale_max,
        n=_frozen(n, np.int64),
        median=_frozen(median),
        q1=_frozen(q1),
        q3=_frozen(q3),
        iqr=_frozen(iqr),
        mean=_frozen(mean),
        sd=_frozen(sd),
        top_share=_frozen(top),
        bottom_share=_frozen(bottom),
        iqr_rule=_frozen(iqr_rule),
        agreement=_frozen(agreement),
        consensus=_frozen(consensus),
        histogram=_frozen(hist, np.int64),
    )


def option_scores(mean: ArrayLike, *, n_options: int, n_criteria: int) -> FloatArray:
    """Score voting: per option, the mean over criteria of the mean rating.

    ``mean`` is the per-item mean with items in option-major order (item = option ·
    n_criteria + criterion). Each criterion weighs the same; criteria without ratings are
    skipped, and an option without any rating scores NaN.
    """
    grid = np.asarray(mean, dtype=np.float64).reshape(n_options, n_criteria)
    rated = ~np.isnan(grid)
    total = np.where(rated, grid, 0.0).sum(axis=1)
    count = rated.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


# -- approvals and rankings -------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalStats:
    """Approval voting per option: ticks, participants who answered, and the share."""

    approvals: IntArray
    voters: IntArray
    share: FloatArray


def approval_stats(option: ArrayLike, approved: ArrayLike, *, n_options: int) -> ApprovalStats:
    """Count approvals per option; one (option, approved) entry per participant and option."""
    option = np.asarray(option, dtype=np.int64)
    approved = np.asarray(approved).astype(bool)
    voters = np.bincount(option, minlength=n_options)[:n_options]
    approvals = np.bincount(option[approved], minlength=n_options)[:n_options]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(voters > 0, approvals / np.maximum(voters, 1), np.nan)
    return ApprovalStats(_frozen(approvals), _frozen(voters), _frozen(share))


def ranks_from_orders(orders: ArrayLike) -> IntArray:
    """Rank matrix (1 = best) from orders: row i lists option codes best first."""
    orders = np.asarray(orders, dtype=np.int64)
    m, k = orders.shape if orders.ndim == 2 else (0, 0)
    ranks = np.zeros((m, k), dtype=np.int64)
    if m:
        ranks[np.arange(m)[:, None], orders] = np.arange(1, k + 1)
    return ranks


def borda(orders: ArrayLike, *, n_options: int) -> IntArray:
    """Borda points per option: the option at rank r of k gets k − r + 1 points."""
    orders = np.asarray(orders, dtype=np.int64).reshape(-1, n_options)
    points = np.arange(n_options, 0, -1, dtype=np.int64)  # rank 1 -> k, ..., rank k -> 1
    weights = np.broadcast_to(points, orders.shape).ravel()
    return np.bincount(orders.ravel(), weights=weights, minlength=n_options).astype(np.int64)


# -- Kendall's W ---------------------------------------------------------------------


@dataclass(frozen=True)
class KendallW:
    """Kendall's coefficient of concordance with its chi-square test (df = n − 1)."""

    w: float
    chi2: float
    df: int
    p_value: float
    #: raters
    m: int
    #: items ranked
    n: int
    #: Σ over raters of Σ (t³ − t) over tied groups
    ties: float

    def as_dict(self) -> dict[str, float | int | None]:
        """Plain values (NaN becomes None)."""

        def num(x: float) -> float | None:
            return None if math.isnan(x) else float(x)

        return {
            "w": num(self.w),
            "chi2": num(self.chi2),
            "df": self.df,
            "p_value": num(self.p_value),
            "m": self.m,
            "n": self.n,
        }


def kendalls_w(scores: ArrayLike, *, higher_is_better: bool = False) -> KendallW:
    """Kendall's W for m raters (rows) ranking n items (columns), corrected for ties.

    ``scores`` are ranks (1 = best) or any scores; each row is re-ranked with
    :func:`scipy.stats.rankdata` (ties get their average rank). ``higher_is_better``
    ranks larger scores first (e.g. ratings). With rank sums R_j:

        S = Σ_j (R_j − mean R)²,  T = Σ_raters Σ_tie-groups (t³ − t),
        W = 12 S / (m²(n³ − n) − m T),  χ² = m (n − 1) W  (df = n − 1).

    W is NaN when it is undefined (fewer than 2 raters or items, or every rater ties
    everything).
    """
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("scores must be a 2-D array: raters x items")
    if np.isnan(x).any():
        raise ValueError("scores must be complete (no NaN)")
    m, n = x.shape
    nan = float("nan")
    if m < 2 or n < 2:
        return KendallW(nan, nan, max(n - 1, 0), nan, m, n, 0.0)
    ranks = rankdata(-x if higher_is_better else x, axis=1)
    sums = ranks.sum(axis=0)
    s = float(((sums - sums.mean()) ** 2).sum())
    # tie groups: runs of equal ranks in each sorted row (every row starts a new run)
    ordered = np.sort(ranks, axis=1)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    t = np.diff(np.append(np.flatnonzero(starts.ravel()), ordered.size)).astype(np.float64)
    ties = float((t**3 - t).sum())
    denominator = m**2 * (n**3 - n) - m * ties
    if denominator <= 0:
        return KendallW(nan, nan, n - 1, nan, m, n, ties)
    w = 12.0 * s / denominator
    stat = m * (n - 1) * w
    return KendallW(w, stat, n - 1, float(chi2.sf(stat, n - 1)), m, n, ties)


# -- stability between rounds ----------------------------------------------------------


@dataclass(frozen=True)
class Stability:
    """Per-item stability of ratings between two rounds (arrays, one entry per item).

    ``cv_change`` = |CV_current − CV_previous| with CV = SD (population, ddof=0) / mean;
    ``stable`` when it is below the threshold (items not rated in both rounds are not
    stable). ``kappa`` is Cohen's quadratic-weighted kappa over the ``pairs`` participants
    who rated the item in both rounds (NaN for fewer than 2 pairs; 1 when every pair is
    unchanged).
    """

    threshold: float
    cv_previous: FloatArray
    cv_current: FloatArray
    cv_change: FloatArray
    stable: NDArray[np.bool_]
    kappa: FloatArray
    pairs: IntArray


def coefficient_of_variation(
    item: ArrayLike, value: ArrayLike, *, n_items: int, scale_max: int
) -> FloatArray:
    """SD (ddof=0) / mean of the ratings per item (NaN without ratings)."""
    stats = rating_stats(item, value, n_items=n_items, scale_max=scale_max)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(stats.sd / stats.mean, dtype=np.float64)


def _kappa(a: IntArray, b: IntArray, scale_max: int) -> float:
    if len(a) < 2:
        return float("nan")
    if np.array_equal(a, b):
        return 1.0
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        kappa = cohen_kappa_score(a, b, weights="quadratic", labels=np.arange(1, scale_max + 1))
    return float(kappa)


def stability(
    previous: tuple[ArrayLike, ArrayLike, ArrayLike],
    current: tuple[ArrayLike, ArrayLike, ArrayLike],
    *,
    n_items: int,
    scale_max: int,
    threshold: float = CV_STABLE_MAX,
) -> Stability:
    """Compare two rounds' ratings, each given as (participant id, item code, value) arrays.

    Participants are matched by id, so the two rounds may list them differently.
    """
    p_part, p_item, p_value = (np.asarray(a, dtype=np.int64) for a in previous)
    c_part, c_item, c_value = (np.asarray(a, dtype=np.int64) for a in current)
    cv_prev = coefficient_of_variation(p_item, p_value, n_items=n_items, scale_max=scale_max)
    cv_cur = coefficient_of_variation(c_item, c_value, n_items=n_items, scale_max=scale_max)
    change = np.abs(cv_cur - cv_prev)
    stable = np.nan_to_num(change, nan=np.inf) < threshold
    # pair up the two rounds' ratings of the same participant and item
    width = np.int64(n_items)
    p_key = p_part * width + p_item
    c_key = c_part * width + c_item
    _, ip, ic = np.intersect1d(p_key, c_key, return_indices=True)
    paired_item = p_item[ip]
    order = np.argsort(paired_item, kind="stable")
    paired_item, a_all, b_all = paired_item[order], p_value[ip][order], c_value[ic][order]
    bounds = np.searchsorted(paired_item, np.arange(n_items + 1))
    kappa = np.full(n_items, np.nan)
    pairs = np.diff(bounds)
    for i in range(n_items):
        lo, hi = bounds[i], bounds[i + 1]
        kappa[i] = _kappa(a_all[lo:hi], b_all[lo:hi], scale_max)
    return Stability(
        threshold=threshold,
        cv_previous=_frozen(cv_prev),
        cv_current=_frozen(cv_cur),
        cv_change=_frozen(change),
        stable=_frozen(stable),
        kappa=_frozen(kappa),
        pairs=_frozen(pairs, np.int64),
    )


# -- group-informed consensus and method sensitivity ---------------------------------------


def group_informed_consensus(agrees: ArrayLike, votes: ArrayLike) -> FloatArray:
    """Π over groups g of (agrees_g + 1) / (votes_g + 2), per column.

    ``agrees`` and ``votes`` have shape (groups, items). The +1/+2 (Laplace) smoothing
    keeps a group that has not voted from zeroing the product; a high value needs every
    group to agree.
    """
    a = np.atleast_2d(np.asarray(agrees, dtype=np.float64))
    v = np.atleast_2d(np.asarray(votes, dtype=np.float64))
    if a.shape != v.shape:
        raise ValueError("agrees and votes must have the same shape")
    return np.prod((a + 1.0) / (v + 2.0), axis=0)


@dataclass(frozen=True)
class MethodResult:
    """One voting method's view of the options."""

    method: str
    scores: tuple[float, ...]
    #: option keys, best first (ties keep the spec's order; unscored options last)
    order: tuple[str, ...]
    #: every option tied for first place
    top: tuple[str, ...]


@dataclass(frozen=True)
class Sensitivity:
    """Does the winner depend on the aggregation method?"""

    methods: tuple[MethodResult, ...]
    #: methods left out, with the reason (e.g. nobody ranked the options)
    unavailable: dict[str, str]
    #: options at the top under every available method
    robust_top: tuple[str, ...]

    @property
    def consistent(self) -> bool:
        """True when at least one option is top under every available method."""
        return bool(self.methods) and bool(self.robust_top)

    def as_dict(self) -> dict[str, object]:
        """Plain values (NaN becomes None)."""
        return {
            "methods": {
                r.method: {
                    "scores": [None if math.isnan(s) else s for s in r.scores],
                    "order": list(r.order),
                    "top": list(r.top),
                }
                for r in self.methods
            },
            "unavailable": dict(self.unavailable),
            "robust_top": list(self.robust_top),
            "consistent": self.consistent,
        }


def method_sensitivity(
    scores: Mapping[str, ArrayLike | None],
    options: Sequence[str],
    *,
    unavailable: Mapping[str, str] | None = None,
) -> Sensitivity:
    """Rank the options under each method (higher score = better) and compare the tops.

    A method whose scores are None or all NaN is listed as unavailable.
    """
    results: list[MethodResult] = []
    missing = dict(unavailable or {})
    for method, raw in scores.items():
        values = None if raw is None else np.asarray(raw, dtype=np.float64)
        if values is None or values.size == 0 or np.isnan(values).all():
            missing.setdefault(method, "no answers")
            continue
        if values.shape != (len(options),):
            raise ValueError(f"{method}: need one score per option")
        key = np.where(np.isnan(values), np.inf, -values)
        order = np.argsort(key, kind="stable")
        best = np.nanmax(values)
        top = [
            i
            for i in order
            if not np.isnan(values[i]) and np.isclose(values[i], best, rtol=1e-12, atol=0.0)
        ]
        results.append(
            MethodResult(
                method=method,
                scores=tuple(float(v) for v in values),
                order=tuple(options[i] for i in order),
                top=tuple(options[i] for i in top),
            )
        )
    robust: tuple[str, ...] = ()
    if results:
        common = set(results[0].top).intersection(*(r.top for r in results[1:]))
        robust = tuple(o for o in options if o in common)
    return Sensitivity(methods=tuple(results), unavailable=missing, robust_top=robust)
