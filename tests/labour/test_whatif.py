"""What-if scenarios and the Beveridge elasticity, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.labour.whatif import beveridge_elasticity, what_if


def test_elasticity_recovers_an_exact_curve() -> None:
    u = np.array([4.0, 5.0, 6.0, 8.0, 10.0])
    points = pd.DataFrame({"unemployment_rate": u, "vacancy_rate": 10 * u**-0.7})
    fit = beveridge_elasticity(points, basis="test")
    assert fit.value == pytest.approx(-0.7)
    assert fit.n == 5 and fit.basis == "test"


def test_pooled_elasticity_uses_a_slope_within_countries() -> None:
    # Two countries on parallel curves (different levels, same slope -1).
    u = np.array([4.0, 6.0, 8.0])
    points = pd.concat(
        [
            pd.DataFrame({"group": "A", "unemployment_rate": u, "vacancy_rate": 4 / u}),
            pd.DataFrame(
                {"group": "B", "unemployment_rate": u + 10, "vacancy_rate": 30 / (u + 10)}
            ),
        ]
    )
    assert beveridge_elasticity(points, basis="pooled").value == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="at least 4 points"):
        beveridge_elasticity(points.head(3), basis="x")


def test_what_if_by_hand() -> None:
    table = pd.DataFrame(
        {"isco": ["a", "b", "c"], "jobseekers": [100, 100, 200], "vacancies": [100, 20, 40]}
    )
    out = what_if(table, unemployment_rate=10.0, elasticity=-1.0, deltas=(0.0, 10.0), min_count=1)
    today, worse = out.iloc[0], out.iloc[1]
    # Today: 160 vacancies / 400 jobseekers = 0.4; only "a" (1.0 / 0.4 = 2.5) is short.
    assert today["tightness"] == pytest.approx(0.4)
    assert (today["shortage"], today["surplus"]) == (1, 2)
    # +10 pp doubles the rate: jobseekers x 2, vacancies x 2^-1 -> tightness 0.1; measured
    # against today's 0.4, "a" (0.25 / 0.4 = 0.625) is no longer short but not in surplus.
    assert worse["jobseekers"] == pytest.approx(800) and worse["vacancies"] == pytest.approx(80)
    assert worse["tightness"] == pytest.approx(0.1)
    assert worse["shortage"] == 0 and worse["surplus"] == 2
    # A change that more than halves the rate is left out, and said so.
    some = what_if(table, unemployment_rate=3.0, elasticity=-1.0, deltas=(-2.0, 1.0), min_count=1)
    assert some["change_pp"].tolist() == [1.0] and some.attrs["skipped"] == [-2.0]
    with pytest.raises(ValueError, match="more than halves"):
        what_if(table, unemployment_rate=1.0, elasticity=-1.0, deltas=(-2.0,))
