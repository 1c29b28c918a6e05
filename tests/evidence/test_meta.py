"""Tests for the random-effects meta-analysis and meta-regression (workbench.evidence.meta)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from statsmodels.stats.meta_analysis import combine_effects

from workbench.evidence.meta import Z95, MetaGroup, comparable_rows, meta_analyse, pool
from workbench.evidence.synthetic import (
    GROWTH,
    HIGH_CONTEXT,
    HIGH_CONTEXT_BY_TYPE,
    TAU,
    synthetic_estimates,
)

# BCG vaccine trials (Colditz et al. 1994, JAMA 271: 698-702), as in metafor's ``dat.bcg``:
# (vaccinated TB+, vaccinated TB-, control TB+, control TB-) for the 13 trials.
BCG = np.array(
    [
        (4, 119, 11, 128),
        (6, 300, 29, 274),
        (3, 228, 11, 209),
        (62, 13536, 248, 12619),
        (33, 5036, 47, 5761),
        (180, 1361, 372, 1079),
        (8, 2537, 10, 619),
        (505, 87886, 499, 87892),
        (29, 7470, 45, 7232),
        (17, 1699, 65, 1600),
        (186, 50448, 141, 27197),
        (5, 2493, 3, 2338),
        (27, 16886, 29, 17825),
    ],
    dtype=float,
)


def _bcg() -> tuple[np.ndarray, np.ndarray]:
    """Log risk ratios and their variances (metafor ``escalc(measure="RR")``)."""
    tp, tn, cp, cn = BCG.T
    y = np.log((tp / (tp + tn)) / (cp / (cp + cn)))
    v = 1 / tp - 1 / (tp + tn) + 1 / cp - 1 / (cp + cn)
    return y, v


def _dl_by_hand(y: np.ndarray, v: np.ndarray) -> dict[str, float]:
    """DerSimonian & Laird (1986) written out: Q, tau^2 = max(0, (Q - df) / C), RE mean."""
    w = 1 / v
    fixed = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - fixed) ** 2))
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - (len(y) - 1)) / c)
    w_re = 1 / (v + tau2)
    mean = float(np.sum(w_re * y) / np.sum(w_re))
    se = float(np.sqrt(1 / np.sum(w_re)))
    i2 = max(0.0, (q - (len(y) - 1)) / q)
    return {"estimate": mean, "se": se, "tau2": tau2, "q": q, "i2": i2}


def test_pool_matches_statsmodels_and_the_formulas_on_bcg() -> None:
    y, v = _bcg()
    got = pool(y, v)
    sm = combine_effects(y, v, method_re="chi2", use_t=False)
    hand = _dl_by_hand(y, v)
    assert sm.tau2 > 0 and hand["tau2"] > 0
    assert got["tau2"] == pytest.approx(sm.tau2, rel=1e-9)
    assert got["tau2"] == pytest.approx(hand["tau2"], rel=1e-9)
    assert got["estimate"] == pytest.approx(sm.mean_effect_re, rel=1e-9)
    assert got["estimate"] == pytest.approx(hand["estimate"], rel=1e-9)
    assert got["q"] == pytest.approx(sm.q, rel=1e-9)
    assert got["i2"] == pytest.approx(sm.i2, rel=1e-9)
    assert got["i2"] == pytest.approx(hand["i2"], rel=1e-9)
    # the Wald 95% interval: statsmodels' random-effects row and the hand-computed SE
    # conf_int: (fixed effect, random effects, and both with WLS scale) intervals
    _, (sm_low, sm_high), _, _ = sm.conf_int(use_t=False)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((sm_low, sm_high), rel=1e-9)
    half = norm.ppf(0.975) * hand["se"]
    assert got["ci_high"] - got["ci_low"] == pytest.approx(2 * half, rel=1e-9)
    # metafor's published DL fit of dat.bcg: -0.7141 [-1.0644, -0.3638], tau^2 0.3088
    assert got["estimate"] == pytest.approx(-0.7141, abs=5e-4)
    assert got["tau2"] == pytest.approx(0.3088, abs=5e-4)
    assert got["ci_low"] == pytest.approx(-1.0644, abs=5e-4)


def test_tau2_truncates_at_zero_where_statsmodels_goes_negative() -> None:
    # four nearly equal effects with large variances: Q = 0.0125 < df = 3
    y = np.array([0.10, 0.12, 0.09, 0.11])
    v = np.full(4, 0.04)
    sm = combine_effects(y, v, method_re="chi2", use_t=False)
    assert sm.tau2 < 0  # the untruncated moment estimate
    got = pool(y, v)
    assert got["tau2"] == 0.0
    assert got["i2"] == 0.0
    # with tau^2 = 0 the random-effects result is the fixed-effect one
    assert got["estimate"] == pytest.approx(sm.mean_effect_fe, rel=1e-12)
    se_fe = np.sqrt(1 / np.sum(1 / v))  # 0.1
    assert got["ci_low"] == pytest.approx(sm.mean_effect_fe - Z95 * se_fe, rel=1e-9)
    assert got["ci_high"] == pytest.approx(sm.mean_effect_fe + Z95 * se_fe, rel=1e-9)
    (fe_low, fe_high), _, _, _ = sm.conf_int(use_t=False)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((fe_low, fe_high), rel=1e-9)


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """A small evidence frame: synthetic rows overwritten with the given values."""
    base = synthetic_estimates(len(rows), seed=5).reset_index(drop=True)
    base["kind"] = "estimate"
    for i, row in enumerate(rows):
        for key, value in row.items():
            base.loc[i, key] = value
    return base


def _row(i: int, study: str, estimate: float, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": f"R{i}",
        "study": study,
        "programme_type": "training",
        "horizon": "short",
        "unemployment_context": "low",
        "unit": "pp",
        "currency": "",
        "estimate": estimate,
        "se": 1.0,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "direction": "positive" if estimate > 0 else "negative",
    }
    row.update(extra)
    return row


def test_orientation_flip_se_from_ci_and_rows_without_variance() -> None:
    frame = _frame(
        [
            _row(1, "A", 2.0),
            # a fall in unemployment printed negative and coded beneficial: flipped
            _row(2, "B", -3.0, direction="positive"),
            # no SE: the variance comes from the 95% CI
            _row(3, "C", 1.0, se=np.nan, ci_low=0.0, ci_high=2.0 * Z95),
            # neither SE nor CI: not pooled
            _row(4, "D", 5.0, se=np.nan),
            # another unit: its own group (and too small to pool)
            _row(5, "E", 7.0, unit="percent_relative"),
            # a meta-analytic finding never enters
            _row(6, "F", 4.0, kind="finding"),
        ]
    )
    rows = comparable_rows(frame).set_index("id")
    assert list(rows.index) == ["R1", "R2", "R3", "R5"]
    assert rows.loc["R2", "effect"] == 3.0 and bool(rows.loc["R2", "flipped"])
    assert rows.loc["R1", "effect"] == 2.0 and not bool(rows.loc["R1", "flipped"])
    assert rows.loc["R3", "variance"] == pytest.approx(1.0)
    groups = meta_analyse(frame)
    assert [g.key for g in groups] == ["training|pp||all"]
    group = groups[0]
    assert group.ids == ["R1", "R2", "R3"]
    assert group.flipped == 1
    assert group.k == 3 and group.n_studies == 3 and not group.single_study
    expected = pool(np.array([2.0, 3.0, 1.0]), np.array([1.0, 1.0, 1.0]))
    assert group.estimate == pytest.approx(expected["estimate"])
    assert group.estimate == pytest.approx(2.0)  # equal variances: the plain mean


def test_single_study_flag_and_horizon_groups() -> None:
    rows = [
        _row(1, "A", 1.0),
        _row(2, "A", 2.0),
        _row(3, "A", 3.0, horizon="long"),
        _row(4, "A", 4.0, horizon="long"),
    ]
    groups = {g.horizon: g for g in meta_analyse(_frame(rows))}
    assert set(groups) == {"all", "short", "long"}
    assert all(g.single_study and g.n_studies == 1 for g in groups.values())
    assert groups["long"].estimate == pytest.approx(3.5)
    assert groups["all"].horizons == ["long", "short"]
    terms = {t.name: t for t in groups["all"].regression}
    # short 1.5, long 3.5, equal variances and no residual heterogeneity: a 2.0 gap
    assert terms["horizon=long (vs short)"].estimate == pytest.approx(2.0, abs=1e-6)
    assert groups["all"].regression_tau2 == pytest.approx(0.0, abs=1e-6)
    back = MetaGroup.from_dict(groups["all"].to_dict())
    assert back == groups["all"]
    # three rows are too few for an intercept and one moderator (rows must exceed 3)
    three = {g.horizon: g for g in meta_analyse(_frame(rows[:3]))}
    assert three["all"].regression == []
    assert "too few" in three["all"].regression_note
    assert three["all"].k == 3


@pytest.fixture(scope="module")
def synthetic_meta() -> dict[str, MetaGroup]:
    frame = synthetic_estimates(3000, seed=21)
    return {g.programme_type: g for g in meta_analyse(frame) if g.horizon == "all"}


def test_meta_regression_recovers_the_synthetic_truth(synthetic_meta: dict[str, MetaGroup]) -> None:
    assert len(synthetic_meta) == 5
    for ptype, group in synthetic_meta.items():
        terms = {t.name: t for t in group.regression}
        truth = {
            "horizon=medium (vs short)": GROWTH[ptype],
            "horizon=long (vs short)": 2 * GROWTH[ptype],
            "unemployment_context=high (vs low)": HIGH_CONTEXT + HIGH_CONTEXT_BY_TYPE[ptype],
        }
        assert set(truth) <= set(terms), ptype
        for name, value in truth.items():
            term = terms[name]
            # about 600 estimates per type: each coefficient within 3 standard errors
            assert abs(term.estimate - value) < 3 * term.se, (ptype, name, term, value)
            assert term.ci_low < term.estimate < term.ci_high
            assert term.ci_high - term.ci_low == pytest.approx(2 * Z95 * term.se)
        # residual heterogeneity is the generator's TAU^2 (1.0) give or take sampling error
        assert group.regression_tau2 == pytest.approx(TAU**2, abs=0.5)
        assert 0 < group.regression_i2 < group.i2


def test_meta_regression_is_wls_with_wald_errors(synthetic_meta: dict[str, MetaGroup]) -> None:
    """Given its tau^2, the REML fit is weighted least squares with w = 1 / (v + tau^2)."""
    rows = comparable_rows(synthetic_estimates(3000, seed=21))
    rows = rows[rows["programme_type"] == "training"]
    group = synthetic_meta["training"]
    x = np.column_stack(
        [
            np.ones(len(rows)),
            rows["horizon"].eq("long").to_numpy(float),
            rows["horizon"].eq("medium").to_numpy(float),
            rows["unemployment_context"].eq("high").to_numpy(float),
        ]
    )
    w = 1 / (rows["variance"].to_numpy() + group.regression_tau2)
    cov = np.linalg.inv(x.T @ (x * w[:, None]))
    beta = cov @ (x.T @ (w * rows["effect"].to_numpy()))
    names = [t.name for t in group.regression]
    assert names[0] == "intercept"
    assert [t.estimate for t in group.regression] == pytest.approx(list(beta), rel=1e-6)
    # Wald standard errors (no Knapp-Hartung rescaling), as the z intervals assume
    assert [t.se for t in group.regression] == pytest.approx(list(np.sqrt(np.diag(cov))), rel=1e-6)
