"""The regional diagnosis: every figure a workshop starts from, in one object.

:func:`diagnose` reads what it needs from a real data pack (:class:`LabourData`) and an
ESCO extract, and returns a :class:`Diagnosis`: unemployment levels and trend, the sector,
the Beveridge curve and cycle phase, shortage and surplus occupations, transitions with
their skill gaps, the policy links, a what-if table and the :class:`RegionContext`.
Each part says whether it is real, derived or synthetic. The ``diagnosis`` template shows
it; nothing here draws or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from workbench.context import RegionContext
from workbench.data.esco import Esco
from workbench.data.labourdata import FILES, LabourData
from workbench.data.nuts import NoComparableRegion
from workbench.labour.bridging import group_matrix, skill_matrix
from workbench.labour.indicators import Cycle, Trend, beveridge, linear_trend
from workbench.labour.regional import (
    EU,
    NACE_GROUPS,
    cycle_of,
    match,
    region_context,
    sector_employment,
    unemployment_series,
)
from workbench.labour.sectors import sector_tightness
from workbench.labour.shortages import bridge, occupation_status, policy_links, regional_mismatch
from workbench.labour.whatif import Elasticity, beveridge_elasticity, what_if

__all__ = ["SECTION_GROUP", "Diagnosis", "diagnose"]

#: NACE Rev. 2 section -> the group of the 2017-vintage employment file.
SECTION_GROUP: dict[str, str] = {
    "A": "A", "B": "B-E", "C": "B-E", "D": "B-E", "E": "B-E", "F": "F", "G": "G-I",
    "H": "G-I", "I": "G-I", "J": "J", "K": "K", "L": "L", "M": "M_N", "N": "M_N",
    "O": "O-Q", "P": "O-Q", "Q": "O-Q", "R": "R-U", "S": "R-U", "T": "R-U", "U": "R-U",
}  # fmt: skip


@dataclass
class Diagnosis:
    """All parts of a regional diagnosis (frames are tidy; see each attribute)."""

    region: str
    name: str
    sector: str
    sector_group: str
    context: RegionContext
    unemployment: pd.DataFrame
    trend: Trend | None
    trend_of: str
    latest: dict[str, dict[str, object]]
    sectors: pd.DataFrame
    sector_tightness: pd.DataFrame
    beveridge: pd.DataFrame
    beveridge_of: str
    cycle: Cycle
    occupations: pd.DataFrame
    occupations_code: str
    moves: pd.DataFrame
    gaps: pd.DataFrame
    mismatch: pd.DataFrame
    links: pd.DataFrame
    heatmap: pd.DataFrame
    elasticity: Elasticity
    scenarios: pd.DataFrame
    roles: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _latest(data: LabourData, role: str, region: str, **codes: str) -> dict[str, object]:
    frame = data.frame(role)
    for dim, value in codes.items():
        frame = frame[frame[dim] == value]
    rows = frame[frame["geo"] == region].dropna(subset=["value"]).sort_values("time")
    if rows.empty:
        return {"value": None, "year": None, "flags": "", "dataset": FILES[role]}
    last = rows.iloc[-1]
    return {
        "value": float(last["value"]),
        "year": str(last["time"]),
        "flags": str(last["flags"]),
        "dataset": FILES[role],
    }


def _sectors(data: LabourData, region: str, sector_group: str) -> tuple[pd.DataFrame, list[str]]:
    notes = []
    old = match(data, "employment_nace", region)
    if not old.exact:
        notes.append(f"Employment by sector: {old.describe(data.nuts.labels)}")
    country = region[:2]
    mine = sector_employment(data, old.code)
    nation = sector_employment(data, country)
    table = pd.DataFrame({"region_ths": mine, "country_ths": nation}).reindex(list(NACE_GROUPS))
    table["region_share"] = table["region_ths"] / table["region_ths"].sum() * 100
    table["country_share"] = table["country_ths"] / table["country_ths"].sum() * 100
    table["location_quotient"] = table["region_share"] / table["country_share"]
    table["focus"] = table.index == sector_group
    table.index.name = "nace_group"
    table.attrs["code"] = old.code
    return table.reset_index(), notes


def _beveridge(data: LabourData, country: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """National Beveridge points of ``country`` and of every country (for the slope)."""
    vac = data.frame("vacancies")
    rate = vac[
        (vac["indic_em"] == "JOBRATE")
        & (vac["nace_r2"] == "B-S")
        & (vac["sizeclas"] == "TOTAL")
        & (vac["isco08"] == "TOTAL")
        & vac["geo"].str.fullmatch(r"[A-Z]{2}")
    ].dropna(subset=["value"])
    une = data.frame("unemployment_annual")
    une = une[(une["age"] == "Y15-74") & (une["sex"] == "T")].dropna(subset=["value"])
    both = rate.merge(une, on=["geo", "time"], suffixes=("_v", "_u"))
    points = pd.DataFrame(
        {
            "group": both["geo"],
            "year": both["time"].astype(int),
            "unemployment_rate": both["value_u"],
            "vacancy_rate": both["value_v"],
        }
    )
    mine = points[points["group"] == country].set_index("year").sort_index()
    curve = beveridge(mine["unemployment_rate"], mine["vacancy_rate"])
    return curve, points


def _occupations(
    data: LabourData, esco: Esco, region: str, **rules: float
) -> tuple[pd.DataFrame, pd.DataFrame, str, str, list[str]]:
    pes = data.pes_table()
    notes = []
    code = data.nuts.match(region, set(pes["region"])).code
    if code != region:
        notes.append(f"PES table: {region} is read as {code}")
    country = pes[pes["region"].str[:2] == region[:2]]
    period = str(country[country["region"] == code]["period"].max())
    country = country[country["period"] == period]
    notes.append(f"PES table: period {period}")
    mine = country[country["region"] == code][["isco", "jobseekers", "vacancies"]]
    status = occupation_status(mine.reset_index(drop=True), **rules)  # type: ignore[arg-type]
    occ = esco.occupations.sort_values("label")
    examples = occ.groupby("isco")["label"].apply(lambda s: "; ".join(s.head(2)))
    status["examples"] = status["isco"].map(examples).fillna("")
    major = country.assign(major=country["isco"].str[0])
    heat = major.groupby(["major", "region"])[["jobseekers", "vacancies"]].sum()
    heat["tightness"] = heat["vacancies"] / heat["jobseekers"].where(heat["jobseekers"] > 0)
    heatmap = heat["tightness"].unstack("region")
    return status, heatmap, code, period, notes


def diagnose(
    data: LabourData,
    esco: Esco,
    region: str,
    sector: str,
    *,
    threshold_ratio: float = 1.2,
    shortage_ratio: float = 2.0,
    surplus_ratio: float = 0.5,
    min_count: int = 20,
    transitions_per_source: int = 3,
    deltas: tuple[float, ...] = (-2.0, -1.0, 0.0, 1.0, 2.0, 4.0),
) -> Diagnosis:
    """Diagnose ``region`` (NUTS 2024) with ``sector`` (NACE section) in focus.

    Raises:
        UnknownRegion: the region is not a NUTS 2024 region of the pack.
        NoComparableRegion: a figure the diagnosis needs is missing for the region.
        ValueError: bad parameters.
    """
    if sector not in SECTION_GROUP:
        raise ValueError(f"sector {sector!r} is not a NACE Rev. 2 section (A-U)")
    country_cycle = cycle_of(data, region[:2])
    context = region_context(data, region, threshold_ratio=threshold_ratio, cycle=country_cycle)
    notes: list[str] = []
    series = unemployment_series(data, region)
    notes.extend(series.attrs.get("notes", []))
    notes.extend(sorted({f"Unemployment 1999-2013: {n}" for n in series["note"] if n}))
    hist = series[(series["series"] == "region") & (series["year"] <= 2013)]
    if len(hist) >= 3:
        trend, trend_of = linear_trend(hist.set_index("year")["value"]), f"{region} 1999-2013"
    else:
        nat = series[series["series"] == "country"].set_index("year")["value"]
        trend = linear_trend(nat) if len(nat) >= 3 else None
        trend_of = f"{region[:2]} (national)"
    latest = {
        "unemployment_rate": _latest(
            data, "unemployment_2025", region, age="Y15-74", unit="PC", sex="T"
        ),
        "youth_unemployment_rate": _latest(
            data, "unemployment_2025", region, age="Y15-29", unit="PC", sex="T"
        ),
        "long_term_share": _latest(data, "long_term_2025", region),
        "eu_unemployment_rate": _latest(
            data, "unemployment_2025", EU, age="Y15-74", unit="PC", sex="T"
        ),
        "eu_youth_unemployment_rate": _latest(
            data, "unemployment_2025", EU, age="Y15-29", unit="PC", sex="T"
        ),
        "eu_long_term_share": _latest(data, "long_term_2025", EU),
    }
    group = SECTION_GROUP[sector]
    sectors, sector_notes = _sectors(data, region, group)
    notes.extend(sector_notes)
    by_sector = sector_tightness(data, region)
    curve, points = _beveridge(data, region[:2])
    cycle = country_cycle[0]
    rules = {"shortage_ratio": shortage_ratio, "surplus_ratio": surplus_ratio,
             "min_count": min_count}  # fmt: skip
    status, heatmap, code, period, occ_notes = _occupations(data, esco, region, **rules)
    notes.extend(occ_notes)
    groups = group_matrix(skill_matrix(esco), level=4)
    moves, gaps = bridge(status, groups, k=transitions_per_source)
    pes = data.pes_table()
    country_table = pes[(pes["region"].str[:2] == region[:2]) & (pes["period"] == period)]
    mismatch = regional_mismatch(country_table, code, status, **rules)
    links = policy_links(status, moves, gaps, mismatch)
    try:
        elasticity = beveridge_elasticity(
            points, basis="pooled within-country slope, all countries with vacancy rates 2008-2015"
        )
    except ValueError as exc:
        raise NoComparableRegion(f"no Beveridge elasticity: {exc}") from None
    today = context.unemployment_rate
    scenarios = what_if(
        status[["isco", "jobseekers", "vacancies"]],
        unemployment_rate=today,
        elasticity=elasticity.value,
        deltas=deltas,
        **rules,
    )
    roles = [
        "unemployment_2025", "long_term_2025", "unemployment_history", "unemployment_annual",
        "unemployment_monthly", "employment_nace", "unemployed_persons", "vacancies",
        "esco_occupations", "pes_table",
    ]  # fmt: skip
    if by_sector.attrs["kind"] == "synthetic":
        roles.append("regional_vacancies")
    elif by_sector.attrs["kind"] == "none":
        notes.append(
            f"Vacancies by sector: Eurostat's job vacancy statistics in the pack have no "
            f"counts for {region[:2]}, so sector tightness cannot be shown"
        )
    return Diagnosis(
        region=region,
        name=context.name,
        sector=sector,
        sector_group=group,
        context=context,
        unemployment=series,
        trend=trend,
        trend_of=trend_of,
        latest=latest,
        sectors=sectors,
        sector_tightness=by_sector,
        beveridge=curve,
        beveridge_of=(
            f"{region[:2]} (national: {FILES['vacancies']}, {FILES['unemployment_annual']})"
        ),
        cycle=cycle,
        occupations=status,
        occupations_code=code,
        moves=moves,
        gaps=gaps,
        mismatch=mismatch,
        links=links,
        heatmap=heatmap,
        elasticity=elasticity,
        scenarios=scenarios,
        roles=roles,
        notes=list(dict.fromkeys(notes)),
    )
