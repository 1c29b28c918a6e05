"""Vacancies and tightness by sector of one region.

- **employment** by NACE group: real (lfst_r_lfe2en2, 15+, thousand);
- **vacancies** by NACE group: real where Eurostat publishes them for the region
  (jvs_a_nace2 has some NUTS-2 regions of BG, CZ, EL, FI, HU, PL, RO, SK), otherwise the
  pack's SYNTHETIC regional table (calibrated to the real national figure);
- **vacancy rate** = vacancies / (employment + vacancies) x 100, with LFS employment
  standing in for occupied posts (an approximation, said so);
- **tightness** = vacancies per unemployed person, with the region's real number of
  unemployed (lfst_r_lfu3pers) attributed to sectors in proportion to employment: no
  file gives unemployment by previous sector, so this says how many vacancies each
  sector offers per unemployed person of its size, not who is unemployed where.
"""

from __future__ import annotations

import pandas as pd

from workbench.data.labourdata import FILES, LabourData
from workbench.data.nuts import NoComparableRegion
from workbench.labour.indicators import tightness, vacancy_rate
from workbench.labour.regional import NACE_GROUPS, match, sector_employment

__all__ = ["sector_tightness"]


def _real_vacancies(data: LabourData, code: str, year: int) -> pd.Series:
    vac = data.frame("vacancies")
    rows = vac[
        (vac["geo"] == code)
        & (vac["time"] == str(year))
        & (vac["indic_em"] == "JOBVAC")
        & (vac["sizeclas"] == "TOTAL")
        & (vac["isco08"] == "TOTAL")
    ].dropna(subset=["value"])
    by_code = rows.set_index("nace_r2")["value"]
    return pd.Series({g: by_code[j] for g, j in NACE_GROUPS.items() if j in by_code.index})


def sector_tightness(data: LabourData, region: str, year: int = 2015) -> pd.DataFrame:
    """One row per NACE group: employment, vacancies, vacancy rate, tightness and ``kind``
    (``real`` or ``synthetic`` for the vacancies, ``none`` when the country publishes no
    vacancy counts, e.g. France and Italy). ``attrs`` carry the code used and notes.

    Raises:
        NoComparableRegion: no employment or unemployment figure for the region.
    """
    old = match(data, "employment_nace", region)
    emp = sector_employment(data, old.code, year)
    persons = data.frame("unemployed_persons")
    unemployed = persons[
        (persons["geo"] == old.code)
        & (persons["time"] == str(year))
        & (persons["age"] == "Y_GE15")
        & (persons["sex"] == "T")
    ]["value"].dropna()
    if emp.empty or unemployed.empty:
        raise NoComparableRegion(f"{region}: no {year} employment or unemployment by sector")
    real = _real_vacancies(data, old.code, year)
    if len(real) >= len(emp) // 2:
        vacancies, kind, source = real, "real", FILES["vacancies"]
    else:
        table = data.csv("regional_vacancies")
        rows = table[table["region"] == old.code]
        vacancies = pd.to_numeric(rows.set_index("nace_group")["vacancies"])
        kind, source = "synthetic", FILES["regional_vacancies"]
        if rows.empty:
            kind, source = "none", ""
        elif rows["year"].iloc[0] != str(year):  # the national figure of another year
            source += f" (calibrated to {rows['year'].iloc[0]} national vacancies)"
    out = pd.DataFrame({"employment_ths": emp}).reindex(list(NACE_GROUPS))
    out["vacancies"] = vacancies.reindex(out.index)
    out["vacancy_rate"] = vacancy_rate(out["vacancies"], out["employment_ths"] * 1000)
    share = out["employment_ths"] / out["employment_ths"].sum()
    out["unemployed_attributed"] = float(unemployed.iloc[0]) * 1000 * share
    out["tightness"] = tightness(out["vacancies"], out["unemployed_attributed"])
    out["kind"] = kind
    out.index.name = "nace_group"
    out = out.reset_index()
    out.attrs.update(
        code=old.code,
        year=year,
        kind=kind,
        source=source,
        note=old.describe(data.nuts.labels),
        unemployed=float(unemployed.iloc[0]) * 1000,
    )
    return out
