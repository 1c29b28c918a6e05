"""Indicators against values computed by hand on small inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench.labour.indicators import (
    beveridge,
    classify_occupations,
    cycle_phase,
    linear_trend,
    persistence,
    tightness,
    vacancy_rate,
    weighted_share,
)


def test_vacancy_rate_by_hand() -> None:
    # 30 vacancies, 270 occupied posts: 30 / 300 = 10 %.
    assert vacancy_rate(30, 270) == pytest.approx(10.0)
    rates = vacancy_rate(pd.Series([1.0, 0.0, 5.0]), pd.Series([3.0, 0.0, 0.0]))
    assert rates.iloc[0] == pytest.approx(25.0)
    assert math.isnan(rates.iloc[1])  # no posts at all: undefined, not 0
    assert rates.iloc[2] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="negative"):
        vacancy_rate(-1, 10)


def test_tightness_by_hand() -> None:
    assert tightness(50, 200) == pytest.approx(0.25)
    values = tightness(np.array([10.0, 3.0]), np.array([0.0, 6.0]))
    assert math.isnan(values[0]) and values[1] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unemployed must not be negative"):
        tightness(1, -2)


def test_linear_trend_by_hand() -> None:
    # y = 10 - 0.5 (year - 2000): slope exactly -0.5, no residual.
    s = pd.Series([10.0, 9.5, 9.0, 8.5], index=[2000, 2001, 2002, 2003])
    trend = linear_trend(s)
    assert trend.slope == pytest.approx(-0.5)
    assert trend.change == pytest.approx(-1.5)
    assert (trend.first, trend.last, trend.n) == (2000, 2003, 4)
    noisy = pd.Series([1.0, 3.0, 1.0, 3.0, 1.0], index=range(2010, 2015))
    assert linear_trend(noisy).direction == "flat"
    with pytest.raises(ValueError, match="at least 3"):
        linear_trend(pd.Series([1.0, np.nan, 2.0], index=[1, 2, 3]))


def test_persistence_by_hand() -> None:
    region = pd.Series([12.0, 11.0, 6.0, np.nan], index=[2010, 2011, 2012, 2013])
    eu = pd.Series([10.0, 10.0, 10.0, 10.0], index=[2010, 2011, 2012, 2013])
    # Years with both: 2010-2012; at least 1.2 x EU (12 %) only in 2010.
    assert persistence(region, eu, 1.2) == pytest.approx(1 / 3)
    assert persistence(region, eu, 1.0) == pytest.approx(2 / 3)


def test_beveridge_moves() -> None:
    u = pd.Series([10.0, 8.0, 9.0, 10.0], index=[2008, 2009, 2010, 2011])
    v = pd.Series([1.0, 1.5, 1.2, 1.4], index=[2008, 2009, 2010, 2011])
    curve = beveridge(u, v)
    assert list(curve["period"]) == ["2008", "2009", "2010", "2011"]
    assert curve["movement"].iloc[0] == ""
    assert curve["movement"].iloc[1].startswith("tightening")
    assert curve["movement"].iloc[2].startswith("slackening")
    assert curve["movement"].iloc[3].startswith("outward shift")


@pytest.mark.parametrize(
    ("tail", "phase"),
    [
        ([6.0, 5.8, 5.6, 5.4, 5.2, 5.0], "expansion"),  # falling below its trend
        ([6.0, 6.5, 7.0, 7.5, 8.0, 8.5], "downturn"),  # rising above its trend
    ],
)
def test_cycle_phase_on_clear_cases(tail: list[float], phase: str) -> None:
    flat = [6.0] * 30
    values = pd.Series(flat + tail, index=[f"p{i:02d}" for i in range(len(flat) + len(tail))])
    cycle = cycle_phase(values, window=6, lamb=1600.0)
    assert cycle.phase == phase
    assert cycle.change == pytest.approx(tail[-1] - 6.0)
    assert cycle.period == values.index[-1]
    assert str(abs(round(cycle.change, 1))) in cycle.basis


def test_cycle_phase_needs_enough_data() -> None:
    with pytest.raises(ValueError, match="at least 27"):
        cycle_phase(pd.Series([1.0] * 10), window=12)


def test_weighted_share_by_hand() -> None:
    weights = pd.Series({"A": 100.0, "J": 300.0, "X": 50.0})
    shares = pd.Series({"A": 0.2, "J": 0.8})
    # (100 x 0.2 + 300 x 0.8) / 400 = 0.65; X has no share and is left out.
    assert weighted_share(weights, shares) == pytest.approx(0.65)


def test_classify_occupations_by_hand() -> None:
    table = pd.DataFrame(
        {
            "isco": ["1111", "2512", "9112", "5120", "7000"],
            "jobseekers": [100, 50, 400, 100, 5],
            "vacancies": [50, 150, 20, 40, 2],
        }
    )
    out = classify_occupations(table, min_count=20).set_index("isco")
    # Overall: 262 vacancies / 655 jobseekers = 0.4.
    assert out.attrs["overall_tightness"] == pytest.approx(262 / 655)
    assert out.at["2512", "tightness"] == pytest.approx(3.0)
    assert out.at["2512", "relative"] == pytest.approx(3.0 / 0.4)
    assert out.at["2512", "status"] == "shortage"
    assert out.at["9112", "status"] == "surplus"  # 0.05 / 0.4 = 0.125
    assert out.at["1111", "status"] == "balanced"  # 0.5 / 0.4 = 1.25
    assert out.at["5120", "status"] == "balanced"  # exactly 1.0
    assert out.at["7000", "status"] == "small"
    with pytest.raises(ValueError, match="lacks columns"):
        classify_occupations(table.drop(columns="vacancies"))
    with pytest.raises(ValueError, match="no jobseekers or no vacancies"):
        classify_occupations(table.assign(vacancies=0))


def test_beveridge_without_common_points_is_empty() -> None:
    # France has no job vacancy statistics in the pack: no point, no crash.
    assert beveridge(pd.Series([5.0], index=[2010]), pd.Series(dtype=float)).empty


def test_cycle_phase_uses_the_trend_when_the_rate_is_flat() -> None:
    # Falling for years, then flat for the last 6 periods (change 0 < 0.2 pp): the trend
    # still falls, and the rate sits above it.
    values = pd.Series([10.0 - 0.2 * i for i in range(24)] + [5.4] * 7)
    cycle = cycle_phase(values, window=6, lamb=1600.0)
    assert cycle.change == 0.0 and cycle.trend_change < 0
    assert cycle.phase in ("recovery", "expansion")
    assert "was flat" in cycle.basis and "trend falling" in cycle.basis
