"""Tightness by sector against the raw Eurostat cells, read here without the code under test."""

from __future__ import annotations

import gzip

import pytest

from workbench.config import REAL_DATA_DIR
from workbench.data.labourdata import LabourData
from workbench.labour.sectors import sector_tightness

EUROSTAT = REAL_DATA_DIR / "eurostat"


def _cell(file: str, key: str, period: str) -> float:
    with gzip.open(EUROSTAT / file, "rt", encoding="utf-8") as fh:
        periods = [p.strip() for p in fh.readline().rstrip("\n").split("\t")[1:]]
        for line in fh:
            cells = line.rstrip("\n").split("\t")
            if cells[0] == key:
                return float(cells[1 + periods.index(period)].split()[0])
    raise AssertionError(f"no series {key}")


@pytest.fixture(scope="module")
def data() -> LabourData:
    return LabourData(REAL_DATA_DIR)


def test_real_regional_vacancies_by_hand(data: LabourData) -> None:
    # Śląskie has real regional job vacancy counts (jvs_a_nace2, NACE B-E, 2015).
    t = sector_tightness(data, "PL22").set_index("nace_group")
    assert t.attrs["kind"] == "real"
    jvs = "jvs_a_nace2__2008-2015__euhackathon2017.tsv.gz"
    vac = _cell(jvs, "A,B-E,TOTAL,TOTAL,JOBVAC,PL22", "2015")
    emp = _cell(
        "lfst_r_lfe2en2__2008-2015__euhackathon2017.tsv.gz", "A,THS,B-E,Y_GE15,PL22", "2015"
    )
    unemployed = _cell("lfst_r_lfu3pers__1999-2015__euhackathon2017.tsv.gz",
                       "A,THS,Y_GE15,T,PL22", "2015")  # fmt: skip
    total_emp = float(t["employment_ths"].sum())
    assert t.at["B-E", "vacancies"] == vac
    assert t.at["B-E", "vacancy_rate"] == pytest.approx(vac / (vac + emp * 1000) * 100)
    assert t.at["B-E", "tightness"] == pytest.approx(vac / (unemployed * 1000 * emp / total_emp))


def test_synthetic_and_missing_vacancies_are_labelled(data: LabourData) -> None:
    es = sector_tightness(data, "ES61")
    assert es.attrs["kind"] == "synthetic" and set(es["kind"]) == {"synthetic"}
    assert "synthetic" in es.attrs["source"]
    fr = sector_tightness(data, "FR10")  # France publishes no vacancy counts in the pack
    assert fr.attrs["kind"] == "none" and fr["vacancies"].isna().all()
    assert fr["employment_ths"].notna().all()
