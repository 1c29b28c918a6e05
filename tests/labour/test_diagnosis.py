"""The diagnosis on real regions of the real pack (Eurostat + ESCO + the synthetic PES table)."""

from __future__ import annotations

import pytest

from workbench.config import REAL_DATA_DIR
from workbench.data.esco import read_esco
from workbench.data.labourdata import LabourData
from workbench.labour.diagnosis import diagnose


@pytest.fixture(scope="module")
def parts():  # type: ignore[no-untyped-def]
    return LabourData(REAL_DATA_DIR), read_esco(REAL_DATA_DIR / "esco")


@pytest.mark.parametrize(
    ("region", "sector"),
    [("ES61", "C"), ("FR10", "M"), ("PL22", "C"), ("EL42", "I"), ("DE21", "J")],
)
def test_diagnosis_of_real_regions(parts, region: str, sector: str) -> None:  # type: ignore[no-untyped-def]
    data, esco = parts
    d = diagnose(data, esco, region, sector)
    assert d.context.region == region
    assert d.latest["unemployment_rate"]["value"] == d.context.unemployment_rate
    # Occupations: every PES row of the region is classified, counts add up.
    pes = data.pes_table()
    rows = pes[(pes["region"] == d.occupations_code) & (pes["period"] == "2015")]
    assert len(d.occupations) == len(rows)
    assert d.occupations["jobseekers"].sum() == rows["jobseekers"].astype(int).sum()
    assert set(d.occupations["status"]) <= {"shortage", "surplus", "balanced", "small"}
    # Transitions only go from surplus to shortage groups.
    status = d.occupations.set_index("isco")["status"]
    assert all(status[s] == "surplus" for s in d.moves["source"])
    assert all(status[t] == "shortage" for t in d.moves["target"])
    assert set(d.links["programme_type"]) <= {
        "training", "job_search_assistance", "mobility_support",
    }  # fmt: skip
    # Today's scenario reproduces today's counts.
    today = d.scenarios[d.scenarios["change_pp"] == 0].iloc[0]
    assert today["shortage"] == (d.occupations["status"] == "shortage").sum()
    assert -2 < d.elasticity.value < 0  # the Beveridge curve slopes down
    assert d.sectors["focus"].sum() == 1


def test_diagnosis_rejects_a_bad_sector(parts) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="not a NACE"):
        diagnose(*parts, "ES61", "Z")
