"""Return-to-work rates (workbench.pathways.outcomes), checked by hand on small frames."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.exceptions import InvalidInput
from workbench.pathways.outcomes import ReturnToWork, return_to_work


def people(region: str, programme: str, employed: int, n: int, domain: str = "") -> list[dict]:
    """``n`` participants of whom the first ``employed`` found work."""
    return [
        {
            "region": region,
            "programme": programme,
            "programme_domain": domain,
            "employed_1m_6m": i < employed,
        }
        for i in range(n)
    ]


@pytest.fixture
def frame() -> pd.DataFrame:
    rows = (
        people("ES61", "training", 15, 25, "Welding ")  # 15/25 = 60%
        + people("ES61", "training", 3, 5, "cooking")  # a small domain cell
        + people("ES62", "training", 4, 10, "welding")  # 10 people: suppressed
        + people("ES61", "job_search_assistance", 12, 30)  # 40%
        + people("ES61", "none", 30, 40)  # no programme: not counted
        + [
            {
                "region": "ES61",
                "programme": "training",
                "programme_domain": "welding",
                "employed_1m_6m": None,
            }
        ]  # no outcome: not counted
    )
    return pd.DataFrame(rows)


def test_rates_by_programme_domain_and_area_by_hand(frame: pd.DataFrame) -> None:
    rtw = return_to_work(frame)
    es61 = rtw.cell("training", "ES61")
    assert (es61.n, es61.employed, es61.rate) == (30, 18, pytest.approx(18 / 30))
    welding = rtw.cell("training", "ES61", "welding")  # domains grouped case/space-blind
    assert (welding.n, welding.rate) == (25, pytest.approx(0.6))
    assert welding.basis == "training · welding · ES61, 25 people"
    # 10 people in ES62: suppressed, no rate, but counted in the country and all areas
    es62 = rtw.cell("training", "ES62")
    assert es62.suppressed and es62.rate is None and es62.n == 10
    country = rtw.cell("training", "ES")
    assert (country.n, country.employed) == (40, 22)
    assert country.rate == pytest.approx(22 / 40)
    assert rtw.cell("training", "all", "welding").n == 35
    assert rtw.cell("training", "ES61", "cooking").rate is None  # 5 people
    jsa = rtw.cell("job_search_assistance", "ES61")
    assert jsa.rate == pytest.approx(0.4) and jsa.programme_domain == ""
    # "none" is not a programme; the row without an outcome is left out, with a note
    assert rtw.cell("none", "ES61") is None
    assert any("1 participants have no recorded outcome" in n for n in rtw.notes)
    assert any("suppressed" in n for n in rtw.notes)
    assert not rtw.synthetic


def test_lookup_falls_back_from_a_small_region_to_its_country(frame: pd.DataFrame) -> None:
    rtw = return_to_work(frame)
    hit = rtw.lookup("training", "ES62")
    assert hit.area == "ES" and hit.area_level == "country" and hit.n == 40
    assert "ES (country)" in hit.basis
    assert rtw.lookup("training", "ES61").area == "ES61"
    assert rtw.lookup("public_employment", "ES61") is None  # no data at all
    # every level too small: the suppressed region cell comes back, without a rate
    tiny = return_to_work(pd.DataFrame(people("FR10", "training", 2, 3)))
    cell = tiny.lookup("training", "FR10")
    assert cell.rate is None and cell.suppressed and "no rate is shown" in cell.describe()


def test_the_smallest_cell_is_configurable(frame: pd.DataFrame) -> None:
    rtw = return_to_work(frame, min_n=5)
    assert rtw.cell("training", "ES62").rate == pytest.approx(0.4)
    assert rtw.cell("training", "ES61", "cooking").rate == pytest.approx(0.6)
    with pytest.raises(InvalidInput, match="min_n"):
        return_to_work(frame, min_n=0)


def test_bad_outcomes_name_their_row_and_column() -> None:
    bad = pd.DataFrame(people("ES61", "training", 1, 3))
    bad["employed_1m_6m"] = bad["employed_1m_6m"].astype(object)
    bad.loc[2, "employed_1m_6m"] = "maybe"
    with pytest.raises(InvalidInput) as err:
        return_to_work(bad)
    assert [(p.key, "row 3" in p.message) for p in err.value.problems] == [("employed_1m_6m", True)]
    with pytest.raises(InvalidInput, match="programme"):
        return_to_work(bad.drop(columns="programme"))


def test_text_outcomes_synthetic_flag_and_round_trip() -> None:
    frame = pd.DataFrame(people("ES61", "training", 12, 20))
    frame["employed_1m_6m"] = frame["employed_1m_6m"].map({True: "yes", False: "0"})
    frame["synthetic"] = "true"
    rtw = return_to_work(frame)
    assert rtw.cell("training", "ES61").rate == pytest.approx(0.6)
    assert rtw.synthetic and rtw.notes[0].startswith("SYNTHETIC")
    again = ReturnToWork.from_dict(rtw.to_dict())
    assert again.cell("training", "ES61") == rtw.cell("training", "ES61")
    assert again.table.equals(rtw.table.astype(again.table.dtypes.to_dict()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ES61", "ES62", "FR10"]),
            st.sampled_from(["training", "job_search_assistance", "none"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=120,
    ),
    st.integers(min_value=1, max_value=30),
)
def test_cells_add_up_and_small_ones_never_show_a_rate(rows: list, min_n: int) -> None:
    frame = pd.DataFrame(rows, columns=["region", "programme", "employed_1m_6m"])
    rtw = return_to_work(frame, min_n=min_n)
    table = rtw.table
    assert not (table["programme"] == "none").any()
    assert table.loc[table["n"] < min_n, "rate"].isna().all()
    shown = table[table["n"] >= min_n]
    assert ((shown["rate"] >= 0) & (shown["rate"] <= 1)).all()
    assert (shown["rate"] == shown["employed"] / shown["n"]).all()
    for programme, part in table[table["programme_domain"] == ""].groupby("programme"):
        by_level = part.groupby("area_level")["n"].sum()
        expected = (frame["programme"] == programme).sum()
        assert by_level.to_dict() == dict.fromkeys(by_level.index, expected)
