"""RegionContext of real regions: the class each region's real data implies.

Figures are read here from the gathered Eurostat file (../shared/data/eurostat when present,
else the pack's byte-identical copy) with plain csv parsing, not with the code under test:
Eurostat, lfst_r_lfu3rt, 2025, ages 15-74, Regional Yearbook 2026 map data (EU-27: 6.0 %).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.config import REAL_DATA_DIR
from workbench.context import RegionContext
from workbench.data.labourdata import LabourData
from workbench.data.nuts import NoComparableRegion, UnknownRegion
from workbench.labour.regional import region_context, skill_share, unemployment_series

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "eurostat"
RATES = (SHARED if SHARED.is_dir() else REAL_DATA_DIR / "eurostat") / (
    "lfst_r_lfu3rt__2025__ryb2026.tsv"
)


def _rate_2025(geo: str) -> float:
    """The 2025 unemployment rate 15-74 of ``geo``, parsed by hand from the TSV."""
    lines = RATES.read_text(encoding="utf-8").splitlines()
    periods = [p.strip() for p in lines[0].split("\t")[1:]]
    for line in lines[1:]:
        key, *cells = line.split("\t")
        if key == f"A,TOTAL,T,Y15-74,PC,{geo}":
            return float(cells[periods.index("2025")].split()[0])
    raise AssertionError(f"no 2025 rate for {geo}")


@pytest.fixture(scope="module")
def data() -> LabourData:
    return LabourData(REAL_DATA_DIR)


# The demo regions of the real case studies, with the class their 2025 rate implies.
REGIONS = {
    "ES61": "high",  # Andalucía 15.2 % vs EU 6.0 %: ratio 2.53
    "FR10": "high",  # Ile-de-France 8.8 %: ratio 1.47
    "EL42": "high",  # Notio Aigaio 7.3 %: ratio 1.22
    "PL22": "low",  # Śląskie 2.6 %: ratio 0.43
    "DE21": "low",  # Oberbayern 3.0 %: ratio 0.50
}


@pytest.mark.parametrize(("region", "expected"), sorted(REGIONS.items()))
def test_unemployment_class_follows_the_real_rate(
    data: LabourData, region: str, expected: str
) -> None:
    rate, eu = _rate_2025(region), _rate_2025("EU27_2020")
    assert eu == 6.0  # Regional Yearbook 2026: "EU value" 6.0 %
    assert ("high" if rate >= 1.2 * eu else "low") == expected
    context = region_context(data, region)
    assert context.unemployment == expected
    assert context.unemployment_rate == rate and context.eu_unemployment_rate == eu
    assert context.unemployment_year == "2025"
    first = context.sources[0]
    assert first.kind == "real" and first.value == rate and region in first.key
    # The threshold is a parameter: at 3 x the EU rate nobody here counts as high.
    assert region_context(data, region, threshold_ratio=3.0).unemployment == "low"


def test_context_round_trips_and_describes_itself(data: LabourData) -> None:
    context = region_context(data, "PL91")
    again = RegionContext.from_dict(context.to_dict())
    assert again == context
    text = context.describe()
    assert "Warszawski stołeczny (PL91)" in text and "2.1%" in text
    assert context.key == (context.unemployment, context.skill_level, context.cycle_phase)
    kinds = {s.kind for s in context.sources}
    assert kinds == {"real", "derived"} and not context.synthetic
    # PL91's sector mix comes from its NUTS 2013 parent, and says so.
    assert any("PL12" in s.note for s in context.sources)


def test_skill_share_is_a_weighted_mean_of_real_figures(data: LabourData) -> None:
    share = skill_share(data, "ES61")
    assert 0 < share.region_share < 100 and 0 < share.eu_share < 100
    shares = share.shares_by_group
    # Information/finance jobs are mostly ISCO 1-3; agriculture's are not.
    assert shares["J"] > 0.6 and shares["A"] < 0.3
    assert "derived" in share.basis


def test_unknown_and_redrawn_regions_fail_clearly(data: LabourData) -> None:
    with pytest.raises(UnknownRegion, match="not a NUTS 2024 region"):
        region_context(data, "ES6Z")
    with pytest.raises(NoComparableRegion, match="PT1A"):
        region_context(data, "PT1A")


def test_unemployment_series_joins_vintages(data: LabourData) -> None:
    series = unemployment_series(data, "PL91")
    region = series[series["series"] == "region"]
    assert set(region["geo"]) == {"PL91", "PL12"}
    assert region[region["geo"] == "PL91"]["year"].tolist() == [2025]
    assert region[region["geo"] == "PL12"]["year"].min() == 1999
    assert region[region["geo"] == "PL12"]["note"].iloc[0].startswith("older files only have")
    assert set(series["series"]) == {"region", "country", "EU"}


def _monthly(country: str) -> list[float]:
    """The country's seasonally adjusted monthly rates, parsed by hand (une_rt_m)."""
    import gzip

    path = REAL_DATA_DIR / "eurostat" / "une_rt_m__2016-01_2024-12__tristimuli.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        fh.readline()
        for line in fh:
            key, *cells = line.rstrip("\n").split("\t")
            if key == f"M,SA,TOTAL,PC_ACT,T,{country}":
                return [float(c.split()[0]) for c in cells if not c.startswith(":")]
    raise AssertionError(country)


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_cycle_direction_follows_the_real_monthly_rate(data: LabourData, region: str) -> None:
    rates = _monthly(region[:2])
    change = rates[-1] - rates[-13]
    context = region_context(data, region)
    assert f"{abs(change):.1f} pp" in context.cycle_basis or "flat" in context.cycle_basis
    if change >= 0.2:
        assert context.cycle_phase in ("slowdown", "downturn")
    elif change <= -0.2:
        assert context.cycle_phase in ("expansion", "recovery")


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_skill_level_follows_the_derived_share(data: LabourData, region: str) -> None:
    context = region_context(data, region)
    share = skill_share(data, region)
    assert context.high_skill_share == pytest.approx(share.region_share, abs=0.01)
    expected = "high" if share.region_share >= share.eu_share else "low"
    assert context.skill_level == expected
