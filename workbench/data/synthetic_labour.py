"""Generate SYNTHETIC regional labour tables calibrated to real Eurostat figures.

Every number these generators write is made up (fixed seed, byte-for-byte reproducible).
No real regional PES data or regional vacancies by sector can be shipped, so two tables
are simulated; their *totals* match real Eurostat figures from the files in
``workbench/data/packs/real/eurostat/`` (2017 vintage, NUTS 2013), their *detail* is
noise. They must never be quoted as facts about any region, sector or occupation.

**(a) Job vacancies by NUTS-2 region and NACE group** (``jvs_regional_nace``). Countries:
EU/EEA members with national job vacancy counts in ``jvs_a_nace2`` (``indic_em`` JOBVAC,
``sizeclas`` TOTAL, ``isco08`` TOTAL) for at least one NACE group in 2013-2015; the year
used is the latest of these with any group figure. Groups are those of
``lfst_r_lfe2en2`` in this vintage (A, B-E, F, G-I, J, K, L, M_N, O-Q, R-U); the JVS code
R_S is used for R-U (the JVS does not cover sections T and U). A group without a national
figure in the year used is left out. Regions with REAL vacancy figures in ``jvs_a_nace2``
that year are not generated (the analysis uses the real figures); the other regions of
their country share ``national - sum of real regions`` (only for groups that every real
region reports and where that remainder is >= 0). For region ``r`` in group ``g``::

    weight[r, g] = employment[r, g] / sum(employment[., g]) * exp(N(0, 0.15))
    vacancies[r, g] = largest-remainder rounding of target[g] * weight / sum(weight)

so the regions sum exactly to the target. Employment: ``lfst_r_lfe2en2``, thousands,
ages 15+ (Y_GE15), 2015 (also when the vacancy year is earlier). A missing regional
employment cell gets the country figure minus the known regions (floored at 0), split in
proportion to the regions' total employment.

**(b) A PES table** (format of :mod:`workbench.data.pes`): registered jobseekers and
vacancies by NUTS-2 region (NUTS 2013, EU-27 countries) and ISCO-08 unit group, 2015.

* Regions: those with a 2015 count of unemployed persons in ``lfst_r_lfu3pers`` (sex T,
  ages 15+); a region's jobseekers = that count (thousands x 1000, exact). FI20 (Aland)
  has no count, so it is not in the table, nor is its share of Finland's vacancies.
* Vacancies of a country: ``jvs_a_nace2`` JOBVAC, NACE **B-S**, sizeclas TOTAL, 2015 (else
  2014, 2013); else the same for units with 10+ employees (GE10, an undercount); else
  (no JVS count at all) the pooled real ratio of B-S vacancies to employment outside
  section A over the countries with a 2015 figure, times the country's 2015 employment
  outside A. A region's vacancies = the country's, split by the region's share of 2015
  employment (``lfst_r_lfe2en2`` TOTAL, Y_GE15; largest remainder).
* ISCO major groups 1-9 (0, armed forces, is left out): vacancies follow the country's
  real JOBVAC shares by ``isco08`` OC1..OC9 (NACE A-S, else B-S; sizeclas TOTAL; summed
  over the years 2013-2015 with all nine groups), else the shares pooled (summed) over the
  countries that have them. Jobseekers follow the pooled real occupied-post (JOBOCC)
  shares times a **relative unemployment risk per major group that is an ASSUMPTION of
  this generator, not data** (:data:`RELATIVE_RISK`), times region noise
  ``exp(N(0, 0.10))``.
* Within a major group: the ISCO unit groups that have ESCO v1.1.1 occupations, with the
  number of ESCO occupations as a neutral prior. Each unit group gets an EU-wide tightness
  ``t ~ N(0, 0.5)`` and each region x unit group a specialisation ``s ~ N(0, 0.35)``;
  vacancy weights are ``prior * exp(+(t + s) / 2 + N(0, 0.15))`` and jobseeker weights
  ``prior * exp(-(t + s) / 2 + N(0, 0.15))``, so some occupations are tight (many vacancies
  per jobseeker) and others in surplus. Counts are multinomial draws, so every region's
  totals match exactly.
* ``long_term_jobseekers`` ~ Binomial(jobseekers, share). Share: the region's
  ``lfst_r_lfu2ltu`` value (% of the unemployed, 2025, else 2024/2023). That file uses
  NUTS 2024, so it is used only where the NUTS 2013 code also exists there (a same code is
  taken as the same region); otherwise the unweighted mean over the country's NUTS-2
  values in the file (the file has no national rows), else the EU27_2020 value. The
  shares are 2025 figures applied to 2015 counts: a further simplification.
* Rows with no jobseekers and no vacancies are not written.

Noise comes from ``numpy.random.default_rng([seed, 1])`` for (a) and ``[seed, 2]`` for
(b). Usage: ``python -m workbench.data.synthetic_labour OUT_DIR [--seed N]``.
"""

from __future__ import annotations

import argparse
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.classifications import COUNTRIES, EU_COUNTRIES
from workbench.data.eurostat import read_sdmx_tsv

__all__ = [
    "DEFAULT_SEED",
    "NACE_GROUPS",
    "PES_FILE",
    "REAL_PACK",
    "RELATIVE_RISK",
    "VACANCY_FILE",
    "Sources",
    "generate",
    "load_sources",
    "pes_table",
    "regional_vacancies_by_sector",
]

DEFAULT_SEED = 20151231
REAL_PACK = Path(__file__).resolve().parent / "packs" / "real"
VACANCY_FILE = "jvs_regional_nace__2015__synthetic.csv.gz"
PES_FILE = "pes_jobseekers_vacancies__2015__synthetic.csv.gz"
JVS = "eurostat/jvs_a_nace2__2008-2015__euhackathon2017.tsv.gz"
LFE = "eurostat/lfst_r_lfe2en2__2008-2015__euhackathon2017.tsv.gz"
LFU = "eurostat/lfst_r_lfu3pers__1999-2015__euhackathon2017.tsv.gz"
LTU = "eurostat/lfst_r_lfu2ltu__2025__ryb2026.tsv"
ESCO = "esco/occupations.csv.gz"

#: lfst_r_lfe2en2 NACE group -> jvs_a_nace2 code used for its vacancies.
NACE_GROUPS: dict[str, str] = {
    "A": "A", "B-E": "B-E", "F": "F", "G-I": "G-I", "J": "J",
    "K": "K", "L": "L", "M_N": "M_N", "O-Q": "O-Q", "R-U": "R_S",
}  # fmt: skip
#: ASSUMPTION, not data: relative risk of being a jobseeker, per ISCO major group.
RELATIVE_RISK: dict[str, float] = {
    "1": 0.5, "2": 0.5, "3": 0.75, "4": 1.0, "5": 1.25,
    "6": 1.0, "7": 1.5, "8": 1.25, "9": 2.0,
}  # fmt: skip
MAJOR = tuple(RELATIVE_RISK)
VACANCY_YEARS = ("2015", "2014", "2013")
EMPLOYMENT_YEAR = "2015"
SIGMA_SECTOR = 0.15
SIGMA_MAJOR = 0.10
SIGMA_TIGHTNESS = 0.5
SIGMA_SPECIALISATION = 0.35
SIGMA_UNIT = 0.15


@dataclass
class Sources:
    """The real inputs, as tidy frames (see :func:`load_sources`)."""

    jvs: pd.DataFrame
    lfe: pd.DataFrame
    lfu: pd.DataFrame
    ltu: pd.Series  # long-term share of the unemployed (%), latest year, by NUTS 2024 code
    esco_counts: pd.Series  # ESCO occupations per ISCO unit group (major groups 1-9)


def load_sources(pack: Path = REAL_PACK) -> Sources:
    """Read the real Eurostat and ESCO files of the pack that calibrate the generators."""
    jvs = read_sdmx_tsv(pack / JVS).dropna(subset=["value"])
    jvs = jvs[jvs["time"].isin(VACANCY_YEARS)]
    lfe = read_sdmx_tsv(pack / LFE)
    lfe = lfe[(lfe["time"] == EMPLOYMENT_YEAR) & (lfe["age"] == "Y_GE15")]
    lfe = lfe.pivot_table(index="geo", columns="nace_r2", values="value", aggfunc="first")
    lfu = read_sdmx_tsv(pack / LFU)
    lfu = lfu[(lfu["time"] == "2015") & (lfu["sex"] == "T") & (lfu["age"] == "Y_GE15")]
    ltu = read_sdmx_tsv(pack / LTU).dropna(subset=["value"])
    ltu = ltu.sort_values("time").groupby("geo")["value"].last()
    codes = pd.read_csv(pack / ESCO, usecols=["iscoGroup"], dtype=str)["iscoGroup"]
    counts = codes[codes.str.fullmatch(r"[1-9][0-9]{3}")].value_counts().sort_index()
    return Sources(jvs=jvs, lfe=lfe, lfu=lfu, ltu=ltu, esco_counts=counts)


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total``."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    out = np.floor(exact).astype(np.int64)
    short = int(total - out.sum())
    if short:
        order = np.lexsort((np.arange(len(exact)), -(exact - out)))
        out[order[:short]] += 1
    return out


def _regions(lfe: pd.DataFrame, country: str) -> list[str]:
    """NUTS-2 codes (NUTS 2013) of ``country`` with 2015 total employment."""
    total = lfe["TOTAL"].dropna()
    return sorted(g for g in total.index if len(g) == 4 and g.startswith(country))


def _employment(lfe: pd.DataFrame, country: str, regions: list[str]) -> tuple[pd.DataFrame, int]:
    """Employment by region x NACE group with missing cells imputed; also the count imputed."""
    table = lfe.reindex(index=regions, columns=list(NACE_GROUPS)).astype(float)
    total = lfe.loc[regions, "TOTAL"]
    national = lfe.loc[country] if country in lfe.index else None
    imputed = 0
    for group in NACE_GROUPS:
        missing = table[group].isna()
        if not missing.any():
            continue
        imputed += int(missing.sum())
        known = table.loc[~missing, group].sum()
        if national is not None and pd.notna(national.get(group)):
            rest = max(float(national[group]) - known, 0.0)
        else:
            rest = known / total[~missing].sum() * total[missing].sum() if known else 0.0
        table.loc[missing, group] = rest * total[missing] / total[missing].sum()
    return table, imputed


def _jobvac(jvs: pd.DataFrame, size: str = "TOTAL", isco: str = "TOTAL") -> pd.DataFrame:
    mask = (jvs["indic_em"] == "JOBVAC") & (jvs["sizeclas"] == size) & (jvs["isco08"] == isco)
    return jvs[mask]


# ---------------------------------------------------------------- (a) vacancies by sector


@dataclass
class _CountryNote:
    """What the sector generator did for one country (for the README)."""

    country: str
    year: str
    generated: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)
    real_regions: list[str] = field(default_factory=list)
    regions: int = 0
    imputed_cells: int = 0


def _sector_rows(src: Sources, rng: np.random.Generator) -> tuple[pd.DataFrame, list[_CountryNote]]:
    jv = _jobvac(src.jvs)
    national = jv[jv["geo"].isin(list(COUNTRIES)) & jv["nace_r2"].isin(NACE_GROUPS.values())]
    rows: list[tuple[str, str, int, int, str]] = []
    notes: list[_CountryNote] = []
    for country in sorted(national["geo"].unique()):
        own = national[national["geo"] == country]
        year = max(own["time"])
        figures = own[own["time"] == year].set_index("nace_r2")["value"]
        regions = _regions(src.lfe, country)
        real = jv[(jv["time"] == year) & jv["geo"].isin(regions)]
        note = _CountryNote(country, year, real_regions=sorted(real["geo"].unique()))
        notes.append(note)
        todo = [r for r in regions if r not in note.real_regions]
        note.regions = len(todo)
        if not todo:
            note.left_out = {"all groups": "every region has real figures"}
            continue
        employment, note.imputed_cells = _employment(src.lfe, country, todo)
        for group, code in NACE_GROUPS.items():
            if code not in figures.index:
                note.left_out[group] = "no national figure"
                continue
            target = int(figures[code])
            method = "share_noise" if len(todo) > 1 else "national"
            if note.real_regions:
                by_region = real[real["nace_r2"] == code].set_index("geo")["value"]
                if set(by_region.index) != set(note.real_regions):
                    note.left_out[group] = "not every real region reports it"
                    continue
                target -= int(by_region.sum())
                method = "residual_share_noise" if len(todo) > 1 else "residual"
                if target < 0:
                    note.left_out[group] = "real regions exceed the national figure"
                    continue
            share = employment[group].to_numpy()
            if share.sum() <= 0:
                note.left_out[group] = "no employment in the regions"
                continue
            noise = np.exp(rng.normal(0.0, SIGMA_SECTOR, len(todo)))
            counts = _largest_remainder(target, share / share.sum() * noise)
            rows += [
                (r, group, int(year), int(n), method) for r, n in zip(todo, counts, strict=True)
            ]
            note.generated.append(group)
    frame = pd.DataFrame(rows, columns=["region", "nace_group", "year", "vacancies", "method"])
    frame.insert(4, "synthetic", "true")
    frame["_order"] = frame["nace_group"].map({g: i for i, g in enumerate(NACE_GROUPS)})
    frame = frame.sort_values(["region", "_order"]).drop(columns="_order")
    return frame.reset_index(drop=True), notes


def regional_vacancies_by_sector(
    seed: int = DEFAULT_SEED, sources: Sources | None = None
) -> pd.DataFrame:
    """SYNTHETIC vacancies by NUTS-2 region x NACE group (see the module docstring).

    Columns: region, nace_group, year, vacancies, synthetic (``"true"``), method.
    """
    src = sources or load_sources()
    return _sector_rows(src, np.random.default_rng([seed, 1]))[0]


# ---------------------------------------------------------------- (b) PES table


@dataclass
class _PesNotes:
    """Calibration choices of the PES generator (for the README)."""

    vacancy_source: dict[str, str] = field(default_factory=dict)
    isco_countries: list[str] = field(default_factory=list)
    pooled_vacancy: dict[str, float] = field(default_factory=dict)
    pooled_occupied: dict[str, float] = field(default_factory=dict)
    jobseeker_mix: dict[str, float] = field(default_factory=dict)
    ltu_own: int = 0
    ltu_country: int = 0
    regions: int = 0
    unit_groups: int = 0


def _country_vacancies(src: Sources, countries: list[str], notes: _PesNotes) -> dict[str, int]:
    """Real national B-S vacancies per country (see the module docstring for the order)."""
    found: dict[str, int] = {}
    pool: list[str] = []  # countries with a 2015 count for all units
    for size, label in (("TOTAL", "all units"), ("GE10", "units with 10+ employees only")):
        jv = _jobvac(src.jvs, size)
        jv = jv[(jv["nace_r2"] == "B-S") & jv["geo"].isin(countries)]
        for country, part in jv.groupby("geo"):
            if country not in found:
                latest = part.sort_values("time").iloc[-1]
                found[str(country)] = int(latest["value"])
                notes.vacancy_source[str(country)] = f"B-S {latest['time']}, {label}"
                if size == "TOTAL" and latest["time"] == "2015":
                    pool.append(str(country))
    non_a = src.lfe["TOTAL"] - src.lfe["A"]
    ratio = sum(found[c] for c in pool) / float(non_a[pool].sum())
    for country in countries:
        if country not in found:
            found[country] = round(ratio * float(non_a[country]))
            notes.vacancy_source[country] = (
                f"no JVS count: {ratio:.3f} (pooled real B-S vacancies per thousand employed "
                f"outside A, {len(pool)} countries, 2015) x employment outside A"
            )
    return found


def _isco_shares(src: Sources, indic: str) -> dict[str, np.ndarray]:
    """Real OC1..OC9 shares per country (summed over complete years, A-S else B-S)."""
    data = src.jvs[
        (src.jvs["indic_em"] == indic)
        & (src.jvs["sizeclas"] == "TOTAL")
        & src.jvs["geo"].isin(list(EU_COUNTRIES))
        & src.jvs["isco08"].isin([f"OC{k}" for k in MAJOR])
    ]
    shares: dict[str, np.ndarray] = {}
    for country, part in data.groupby("geo"):
        total = np.zeros(len(MAJOR))
        for _year, by_year in part.groupby("time"):
            for nace in ("A-S", "B-S"):
                cells = by_year[by_year["nace_r2"] == nace].set_index("isco08")["value"]
                if len(cells) == len(MAJOR):
                    total += cells.reindex([f"OC{k}" for k in MAJOR]).to_numpy()
                    break
        if total.sum() > 0:
            shares[str(country)] = total
    return shares


def _ltu_share(src: Sources, region: str) -> tuple[float, bool]:
    """Long-term share of the unemployed for a region, and whether it is the region's own."""
    if region in src.ltu.index:
        return float(src.ltu[region]) / 100, True
    same = [g for g in src.ltu.index if len(g) == 4 and g[:2] == region[:2]]
    value = src.ltu[same].mean() if same else src.ltu["EU27_2020"]
    return float(value) / 100, False


def _pes_rows(src: Sources, rng: np.random.Generator) -> tuple[pd.DataFrame, _PesNotes]:
    notes = _PesNotes()
    unemployed = src.lfu[src.lfu["geo"].str.len().eq(4) & src.lfu["value"].notna()]
    unemployed = unemployed[unemployed["geo"].str[:2].isin(list(EU_COUNTRIES))]
    jobseekers = {
        g: round(v * 1000) for g, v in zip(unemployed["geo"], unemployed["value"], strict=True)
    }
    regions = sorted(jobseekers)
    countries = sorted({r[:2] for r in regions})
    national = _country_vacancies(src, countries, notes)
    vacancies: dict[str, int] = {}
    for country in countries:
        all_regions = _regions(src.lfe, country)
        split = _largest_remainder(national[country], src.lfe.loc[all_regions, "TOTAL"].to_numpy())
        vacancies.update(zip(all_regions, (int(n) for n in split), strict=True))

    vac_shares = _isco_shares(src, "JOBVAC")
    occ_shares = _isco_shares(src, "JOBOCC")
    pooled_vac = sum(vac_shares.values()) / sum(v.sum() for v in vac_shares.values())
    pooled_occ = sum(occ_shares.values()) / sum(v.sum() for v in occ_shares.values())
    risk = pooled_occ * np.array([RELATIVE_RISK[k] for k in MAJOR])
    notes.isco_countries = sorted(vac_shares)
    notes.pooled_vacancy = dict(zip(MAJOR, pooled_vac, strict=True))
    notes.pooled_occupied = dict(zip(MAJOR, pooled_occ, strict=True))
    notes.jobseeker_mix = dict(zip(MAJOR, risk / risk.sum(), strict=True))

    units = src.esco_counts.index.to_numpy()
    prior = src.esco_counts.to_numpy(dtype=float)
    major_of = np.array([MAJOR.index(u[0]) for u in units])
    tightness = rng.normal(0.0, SIGMA_TIGHTNESS, len(units))
    frames = []
    for region in regions:
        own = vac_shares.get(region[:2])
        major_v = own / own.sum() if own is not None else pooled_vac
        major_j = risk * np.exp(rng.normal(0.0, SIGMA_MAJOR, len(MAJOR)))
        major_j = major_j / major_j.sum()
        tilt = (tightness + rng.normal(0.0, SIGMA_SPECIALISATION, len(units))) / 2
        w_v = prior * np.exp(tilt + rng.normal(0.0, SIGMA_UNIT, len(units)))
        w_j = prior * np.exp(-tilt + rng.normal(0.0, SIGMA_UNIT, len(units)))
        p_v = major_v[major_of] * w_v / np.bincount(major_of, w_v)[major_of]
        p_j = major_j[major_of] * w_j / np.bincount(major_of, w_j)[major_of]
        vac = rng.multinomial(vacancies[region], p_v / p_v.sum())
        js = rng.multinomial(jobseekers[region], p_j / p_j.sum())
        share, is_own = _ltu_share(src, region)
        notes.ltu_own += is_own
        notes.ltu_country += not is_own
        ltu = rng.binomial(js, share)
        keep = (js > 0) | (vac > 0)
        frames.append(
            pd.DataFrame(
                {
                    "region": region,
                    "period": "2015",
                    "isco": units[keep],
                    "jobseekers": js[keep],
                    "vacancies": vac[keep],
                    "long_term_jobseekers": ltu[keep],
                    "synthetic": "true",
                }
            )
        )
    notes.regions, notes.unit_groups = len(regions), len(units)
    return pd.concat(frames, ignore_index=True), notes


def pes_table(seed: int = DEFAULT_SEED, sources: Sources | None = None) -> pd.DataFrame:
    """SYNTHETIC PES table, NUTS-2 x ISCO unit group, 2015 (see the module docstring)."""
    src = sources or load_sources()
    return _pes_rows(src, np.random.default_rng([seed, 2]))[0]


# ---------------------------------------------------------------- files


def _write_csv_gz(frame: pd.DataFrame, path: Path) -> Path:
    """Write CSV, gzip-compressed with a fixed header (mtime 0, no name): same bytes each run."""
    text = frame.to_csv(index=False, lineterminator="\n")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())
    return path


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows)])


_PES_COLUMNS = """\
Columns (the PES table format read by `workbench.data.pes.read_pes_table`):

| column | content |
|---|---|
| `region` | NUTS code (here NUTS 2013, NUTS-2), e.g. `ES61` |
| `period` | `YYYY`, `YYYY-Qn` or `YYYY-MM` (here `2015`) |
| `isco` | ISCO-08 code, 1-4 digits (here 4-digit unit groups) |
| `jobseekers` | registered jobseekers, whole number >= 0 |
| `vacancies` | registered vacancies, whole number >= 0 |
| `long_term_jobseekers` | optional; jobseekers registered 12+ months, <= `jobseekers` |
| `synthetic` | optional; `true` for made-up data (here every row) |
"""


def _readme(seed: int, sector: list[_CountryNote], pes: _PesNotes, sizes: dict[str, int]) -> str:
    if __doc__ is None:  # pragma: no cover - only under python -OO
        raise RuntimeError("the README is built from the module docstring: run without -OO")
    model = __doc__.split("\n\n", 1)[1].rsplit("\n\nNoise comes", 1)[0]
    model = model.replace(":mod:", "").replace(":data:", "")
    sector_rows = [
        [n.country, n.year, str(n.regions), ", ".join(n.generated) or "-",
         "; ".join(f"{g}: {why}" for g, why in n.left_out.items()) or "-",
         ", ".join(n.real_regions) or "-", str(n.imputed_cells)]
        for n in sector
    ]  # fmt: skip
    vac_rows = [[c, pes.vacancy_source[c]] for c in sorted(pes.vacancy_source)]
    missing = sorted(set(COUNTRIES) - {n.country for n in sector})
    mix_rows = [
        [k, f"{pes.pooled_vacancy[k]:.3f}", f"{pes.pooled_occupied[k]:.3f}",
         f"{RELATIVE_RISK[k]:g}", f"{pes.jobseeker_mix[k]:.3f}"]
        for k in MAJOR
    ]  # fmt: skip
    parts = [
        "# SYNTHETIC regional labour tables\n",
        "**Every number in this folder is SYNTHETIC.** The tables are made up by documented "
        "fixed-seed code; only their totals are calibrated to real Eurostat figures. Do not "
        "quote them as facts about any region, sector or occupation.\n",
        _table(
            ["File", "Content", "Bytes"],
            [
                [
                    f"`{VACANCY_FILE}`",
                    "vacancies by NUTS-2 region x NACE group: region, "
                    "nace_group, year, vacancies, synthetic, method",
                    str(sizes[VACANCY_FILE]),
                ],
                [
                    f"`{PES_FILE}`",
                    "PES table (see `workbench/data/pes.py`): region, period, isco, "
                    "jobseekers, vacancies, long_term_jobseekers, synthetic",
                    str(sizes[PES_FILE]),
                ],
            ],
        ),
        f"\nGenerated by `workbench.data.synthetic_labour` with seed {seed}. Regenerate "
        "(byte-identical for the same seed) with:\n\n"
        f"    python -m workbench.data.synthetic_labour workbench/data/packs/real/synthetic "
        f"--seed {seed}\n",
        "## Model and calibration sources\n",
        model.strip() + "\n",
        "`method` in the vacancy table: `share_noise` = national figure x employment share x "
        "noise; `residual_share_noise` = the same for (national - real regional figures); "
        "`national` / `residual` = the country's only generated region takes the whole "
        "figure / remainder (no noise).\n",
        "## (a) Coverage by country\n",
        "Real regional vacancies (`real regions`) are NOT in the synthetic file: use the "
        "real figures of `jvs_a_nace2` for them. EU/EEA countries without a national count "
        f"for any NACE group (all units, 2013-2015) are not covered: {', '.join(missing)}. "
        "Real regional figures of other years (EL 2009-2011 in NUTS 2010 codes; LT, LV "
        "2008-2011) are not used.\n",
        _table(
            [
                "country",
                "year",
                "regions generated",
                "groups generated",
                "groups left out",
                "real regions (skipped)",
                "employment cells imputed",
            ],
            sector_rows,
        ),
        f"\n## (b) PES table: {pes.regions} regions x {pes.unit_groups} ISCO unit groups\n",
        _PES_COLUMNS,
        "National vacancies (B-S) used per country:\n",
        _table(["country", "source"], vac_rows),
        f"\nCountries with their own real JOBVAC-by-ISCO shares: "
        f"{', '.join(pes.isco_countries)}. The pooled shares below come from these same "
        "(mostly central and eastern European) countries, so they are not EU averages.\n",
        _table(
            [
                "ISCO major group",
                "pooled vacancy share (real)",
                "pooled occupied-post share (real)",
                "relative risk (ASSUMPTION)",
                "jobseeker share before noise",
            ],
            mix_rows,
        ),
        f"\nLong-term share: the region's own 2025 figure for {pes.ltu_own} regions, the "
        f"country figure for {pes.ltu_country}.\n",
    ]
    return "\n".join(parts)


def generate(out_dir: Path, seed: int = DEFAULT_SEED, pack: Path = REAL_PACK) -> list[Path]:
    """Write both SYNTHETIC tables and a README.md into ``out_dir``; return the paths.

    The output is byte-identical for the same ``seed`` and input files.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    src = load_sources(pack)
    sector, sector_notes = _sector_rows(src, np.random.default_rng([seed, 1]))
    pes, pes_notes = _pes_rows(src, np.random.default_rng([seed, 2]))
    written = [
        _write_csv_gz(sector, out_dir / VACANCY_FILE),
        _write_csv_gz(pes, out_dir / PES_FILE),
    ]
    sizes = {p.name: p.stat().st_size for p in written}
    readme = out_dir / "README.md"
    readme.write_text(_readme(seed, sector_notes, pes_notes, sizes), encoding="utf-8", newline="\n")
    return [*written, readme]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m workbench.data.synthetic_labour OUT_DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m workbench.data.synthetic_labour",
        description="Write SYNTHETIC regional vacancy and PES tables (not Eurostat data).",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write the files into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    for path in generate(args.out_dir, seed=args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
