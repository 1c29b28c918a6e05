"""A region's series and its :class:`~workbench.context.RegionContext`, from the real pack.

Every figure says where it comes from (dataset, series key) and whether it is real,
derived from real figures, or synthetic. Regions are NUTS 2024 codes; older files are
matched through the pack's NUTS correspondence (:mod:`workbench.data.nuts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workbench.context import RegionContext, Source
from workbench.data.labourdata import FILES, LabourData
from workbench.data.nuts import NoComparableRegion, RegionMatch
from workbench.labour.indicators import Cycle, cycle_phase, weighted_share

__all__ = [
    "EU",
    "HIGH_SKILL_GROUPS",
    "SkillShare",
    "cycle_of",
    "region_context",
    "sector_employment",
    "skill_share",
    "unemployment_series",
]

EU = "EU27_2020"
#: EU aggregates of the older vintages (used when EU27_2020 is absent).
EU_FALLBACKS = ("EU28", "EU27")
#: ISCO-08 major groups counted as high-skilled jobs (managers, professionals, technicians).
HIGH_SKILL_GROUPS = ("OC1", "OC2", "OC3")
#: NACE groups of lfst_r_lfe2en2 (2017 vintage) and the jvs_a_nace2 code of each.
NACE_GROUPS: dict[str, str] = {
    "A": "A",
    "B-E": "B-E",
    "F": "F",
    "G-I": "G-I",
    "J": "J",
    "K": "K",
    "L": "L",
    "M_N": "M_N",
    "O-Q": "O-Q",
    "R-U": "R_S",
}


def _select(frame: pd.DataFrame, **codes: str) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for dim, value in codes.items():
        mask &= frame[dim] == value
    return frame[mask]


def _yearly(frame: pd.DataFrame) -> pd.Series:
    s = frame.set_index(frame["time"].astype(int))["value"].dropna()
    return s.sort_index()


def match(data: LabourData, role: str, region: str) -> RegionMatch:
    """The code of ``region`` in a dataset (see :func:`workbench.data.nuts.match_region`)."""
    available = set(data.frame(role)["geo"].unique())
    return data.nuts.match(region, available)


def unemployment_series(data: LabourData, region: str) -> pd.DataFrame:
    """Unemployment rates (%) of the region, its country and the EU, all years available.

    Long frame: ``series`` (region | country | EU), ``geo``, ``year``, ``value``, ``flags``,
    ``dataset``, ``note`` (a NUTS correspondence note when an older code is used).
    The region has 1999-2013 (15+, NUTS 2010 file) and 2025 (15-74, NUTS 2024 file); the
    country and the EU have 2003-2025 (une_rt_a, 15-74) where available.
    """
    parts: list[pd.DataFrame] = []
    notes: list[str] = []
    latest = _select(
        data.frame("unemployment_2025"), age="Y15-74", sex="T", isced11="TOTAL", unit="PC"
    )
    hist = _select(data.frame("unemployment_history"), age="Y_GE15", sex="T")
    annual = _select(data.frame("unemployment_annual"), age="Y15-74", unit="PC_ACT", sex="T")

    def add(frame: pd.DataFrame, series: str, geo: str, role: str, note: str = "") -> None:
        rows = frame[frame["geo"] == geo].dropna(subset=["value"])
        if rows.empty:
            return
        parts.append(
            pd.DataFrame(
                {
                    "series": series,
                    "geo": geo,
                    "year": rows["time"].astype(int).to_numpy(),
                    "value": rows["value"].to_numpy(),
                    "flags": rows["flags"].to_numpy(),
                    "dataset": FILES[role],
                    "note": note,
                }
            )
        )

    add(latest, "region", region, "unemployment_2025")
    try:
        old = data.nuts.match(region, set(hist["geo"].unique()))
        add(hist, "region", old.code, "unemployment_history", old.describe(data.nuts.labels))
    except NoComparableRegion as exc:
        notes.append(str(exc))
    country = region[:2]
    add(annual, "country", country, "unemployment_annual")
    add(annual, "EU", EU, "unemployment_annual")
    if not parts:
        raise NoComparableRegion(f"{region}: no unemployment rate in the data pack")
    out = pd.concat(parts, ignore_index=True).sort_values(["series", "year"], ignore_index=True)
    out.attrs["notes"] = notes
    return out


def cycle_of(data: LabourData, country: str) -> tuple[Cycle, Source]:
    """The country's cycle phase from monthly seasonally adjusted unemployment (une_rt_m)."""
    monthly = _select(
        data.frame("unemployment_monthly"),
        s_adj="SA",
        age="TOTAL",
        unit="PC_ACT",
        sex="T",
        geo=country,
    ).dropna(subset=["value"])
    if monthly.empty:
        raise NoComparableRegion(f"{country}: no monthly unemployment rate in the data pack")
    series = monthly.set_index("time")["value"].sort_index()
    cycle = cycle_phase(series, window=12, lamb=129600.0)
    source = Source(
        figure="monthly unemployment rate (SA, %)",
        dataset=FILES["unemployment_monthly"],
        key=f"M,SA,TOTAL,PC_ACT,T,{country} @ {cycle.period}",
        value=cycle.rate,
        kind="real",
        note=f"12-month change {cycle.change:+.1f} pp; HP trend {cycle.trend:.1f}% (derived)",
    )
    return cycle, source


def sector_employment(data: LabourData, geo: str, year: int = 2015) -> pd.Series:
    """Employment (thousand, 15+) by NACE group of a geo in ``year`` (lfst_r_lfe2en2)."""
    emp = _select(data.frame("employment_nace"), age="Y_GE15", time=str(year), geo=geo)
    s = emp.set_index("nace_r2")["value"]
    return s[s.index.isin(list(NACE_GROUPS))].dropna()


@dataclass(frozen=True)
class SkillShare:
    """High-skilled job share of a region against the EU, and how it was derived."""

    region_share: float
    eu_share: float
    shares_by_group: dict[str, float]
    year: int
    code_used: str
    basis: str
    sources: tuple[Source, ...]


def _high_skill_by_group(data: LabourData) -> tuple[pd.Series, list[str]]:
    """Share of ISCO 1-3 among occupied posts by NACE group, pooled over the countries that
    report occupied posts by occupation and sector (jvs_a_nace2), each at its latest year.

    It does not depend on the region, so it is computed once per ``LabourData`` (kept on
    the object: the pathways ask for many regions' contexts in one batch)."""
    cached = data.__dict__.get("_high_skill_by_group")
    if cached is None:
        cached = _compute_high_skill_by_group(data)
        data.__dict__["_high_skill_by_group"] = cached
    return cached[0].copy(), list(cached[1])


def _compute_high_skill_by_group(data: LabourData) -> tuple[pd.Series, list[str]]:
    v = data.frame("vacancies")
    occ = v[
        (v["indic_em"] == "JOBOCC")
        & (v["sizeclas"] == "TOTAL")
        & v["geo"].str.fullmatch(r"[A-Z]{2}")
        & v["isco08"].str.fullmatch(r"OC\d")
        & v["nace_r2"].isin(list(NACE_GROUPS.values()))
    ].dropna(subset=["value"])
    if occ.empty:
        raise NoComparableRegion("no occupied posts by occupation and sector in the data pack")
    occ = occ.assign(year=occ["time"].astype(int))
    occ = occ[occ["year"] == occ.groupby("geo")["year"].transform("max")]
    occ = occ.assign(high=occ["isco08"].isin(HIGH_SKILL_GROUPS))
    table = occ.groupby(["nace_r2", "high"])["value"].sum().unstack(fill_value=0.0)
    shares = table.get(True, 0.0) / table.sum(axis=1)
    by_group = {g: float(shares[j]) for g, j in NACE_GROUPS.items() if j in shares.index}
    countries = sorted(f"{g} {y}" for g, y in occ.groupby("geo")["year"].first().items())
    return pd.Series(by_group), countries


def skill_share(data: LabourData, region: str, year: int = 2015) -> SkillShare:
    """The region's share of high-skilled jobs (ISCO 1-3) against the EU's.

    No file holds regional employment by occupation, so the share is **derived**: the
    region's real employment by NACE group (lfst_r_lfe2en2) weights the real share of
    ISCO 1-3 among occupied posts in each group (jvs_a_nace2, pooled over the countries
    that report it). The EU reference is the same computation on the EU's employment.
    """
    by_group, countries = _high_skill_by_group(data)
    old = match(data, "employment_nace", region)
    emp = sector_employment(data, old.code, year)
    eu_code, eu_emp = "", pd.Series(dtype=float)
    for code in EU_FALLBACKS:
        eu_code, eu_emp = code, sector_employment(data, code, year)
        if not eu_emp.empty:
            break
    if emp.empty or eu_emp.empty:
        raise NoComparableRegion(f"{region}: no employment by sector for {year} in the data pack")
    region_share = weighted_share(emp, by_group) * 100
    eu_share = weighted_share(eu_emp, by_group) * 100
    note = old.describe(data.nuts.labels)
    basis = (
        f"derived: {year} employment by sector in {old.code} weights the share of ISCO 1-3 "
        f"jobs by sector among occupied posts in {', '.join(countries)}"
    )
    sources = (
        Source(
            "employment by NACE group (thousand)",
            FILES["employment_nace"],
            f"A,THS,*,Y_GE15,{old.code} @ {year}",
            float(emp.sum()),
            "real",
            note,
        ),
        Source(
            "share of ISCO 1-3 among occupied posts, by NACE group",
            FILES["vacancies"],
            f"A,*,TOTAL,OC1-OC3/OC0-OC9,JOBOCC,{'+'.join(c.split()[0] for c in countries)}",
            None,
            "real",
            "pooled over the countries listed",
        ),
        Source(
            "high-skilled job share (%)",
            "(computed)",
            region,
            round(region_share, 2),
            "derived",
            f"EU reference ({eu_code}) {eu_share:.1f}%",
        ),
    )
    return SkillShare(region_share, eu_share, by_group.to_dict(), year, old.code, basis, sources)


def region_context(
    data: LabourData,
    region: str,
    *,
    threshold_ratio: float = 1.2,
    cycle: tuple[Cycle, Source] | None = None,
) -> RegionContext:
    """Build the region's :class:`RegionContext` from the real pack.

    ``cycle`` is the country's :func:`cycle_of`, when the caller has it already.

    Raises:
        UnknownRegion: not a NUTS 2024 region of the pack.
        NoComparableRegion: a figure the context needs is missing for the region.
    """
    if threshold_ratio <= 0:
        raise ValueError("threshold_ratio must be positive")
    rates = _select(
        data.frame("unemployment_2025"), age="Y15-74", sex="T", isced11="TOTAL", unit="PC"
    )
    match(data, "unemployment_2025", region)  # unknown codes fail here, clearly
    mine = _yearly(rates[rates["geo"] == region])
    eu = _yearly(rates[rates["geo"] == EU])
    common = mine.index.intersection(eu.index)
    if common.empty:
        raise NoComparableRegion(
            f"{region}: no 2023-2025 unemployment rate in {FILES['unemployment_2025']} "
            "(Eurostat publishes ': u' for it)"
        )
    year = int(common.max())
    rate, eu_rate = float(mine[year]), float(eu[year])
    flags = rates[(rates["geo"] == region) & (rates["time"] == str(year))]["flags"].iloc[0]
    skills = skill_share(data, region)
    cycle, cycle_source = cycle or cycle_of(data, region[:2])
    name = data.nuts.labels.get(region, region)
    sources = (
        Source(
            "unemployment rate 15-74 (%)",
            FILES["unemployment_2025"],
            f"A,TOTAL,T,Y15-74,PC,{region} @ {year}",
            rate,
            "real",
            f"flag {flags}" if flags else "",
        ),
        Source(
            "EU-27 unemployment rate 15-74 (%)",
            FILES["unemployment_2025"],
            f"A,TOTAL,T,Y15-74,PC,{EU} @ {year}",
            eu_rate,
            "real",
        ),
        *skills.sources,
        cycle_source,
    )
    return RegionContext(
        region=region,
        name=name,
        country=region[:2],
        unemployment="high" if rate >= threshold_ratio * eu_rate else "low",
        unemployment_rate=rate,
        eu_unemployment_rate=eu_rate,
        unemployment_year=str(year),
        threshold_ratio=threshold_ratio,
        skill_level="high" if skills.region_share >= skills.eu_share else "low",
        high_skill_share=round(skills.region_share, 2),
        eu_high_skill_share=round(skills.eu_share, 2),
        skill_basis=skills.basis,
        cycle_phase=cycle.phase,  # type: ignore[arg-type]
        cycle_basis=f"{region[:2]}: {cycle.basis}",
        sources=sources,
    )
