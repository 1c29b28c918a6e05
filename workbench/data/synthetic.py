"""Generate the SYNTHETIC demo data pack (fixed seed, byte-for-byte reproducible).

Every number this module writes is made up. The files have the layout, file names,
dimension codes and units of three Eurostat datasets so that the templates run offline
and real Eurostat downloads of the same names can replace them, but they are **not
Eurostat data** and must never be quoted as facts about any region.

The model, per geographical unit ``g`` (EU27, 8 countries, 16 NUTS-2 regions) and year
``t`` in 2014-2024, all noise drawn from ``numpy.random.default_rng(seed)``:

* **Unemployment rate** (``lfst_r_lfu3rt``, %, ages 15-74): a structural floor
  ``level_g`` times a crisis legacy that fades from 2014 on (``1 + legacy_g *
  exp(-(t - 2014) / 3.5)``), times a common cycle with a 2020-21 shock scaled by a
  unit-specific sensitivity, times log-normal noise. Levels and legacies are loosely
  shaped on the well-known picture of the period (high and falling rates in southern
  Spain, Greece and Campania; low rates in Oberbayern and the Warsaw region).
  Youth rates (15-24) are 2.1-2.6 times the total, damped where the total is high
  (``1 - 0.007 * total``); rates by sex use a unit-specific female-male gap.
* **Employment** (``lfst_r_lfe2en2``, thousand persons aged 15-64): a 2024 level per
  unit moved back in time with the unemployment rate and a small labour-force trend.
  It is split over NACE Rev. 2 sections A-U with EU-like base shares, a
  specialisation profile per unit (e.g. Oberbayern strong in C and J, Andalucía in A,
  G and I, Śląskie in B and C), sector trends (A shrinking, J and Q growing) and a
  2020-21 dip in I and R. ``TOTAL`` is the sum of the sections before rounding; very
  small cells are suppressed (``: u``) or flagged ``u`` as Eurostat does.
* **Job vacancy rate** (``jvs_a_rate_r2``, %, NACE B-S): a 2019 level per unit moved
  along a Beveridge curve (``(u_t / u_2019) ** -0.7``) with a 2020 dip and a
  2022-23 post-pandemic tightening, so the curve shifts outwards as in many countries.

Flags: the 2024 values of about half the units are provisional (``p``); 2021 LFS values
of some countries carry a break flag (``b``); a few youth-by-sex values are missing or
of low reliability (``u``); regional vacancy rates of France start in 2017.

National and EU aggregates are drawn independently of the regions shown (which are only
a sample), so they are not weighted averages of them.

Usage: ``python -m workbench.data.synthetic OUT_DIR [--seed N]``.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from workbench.data.eurostat import write_sdmx_tsv

__all__ = ["DEFAULT_SEED", "GEO_LABELS", "YEARS", "generate"]

DEFAULT_SEED = 20261122
YEARS: tuple[int, ...] = tuple(range(2014, 2025))
EU27 = "EU27_2020"
SECTIONS: tuple[str, ...] = tuple("ABCDEFGHIJKLMNOPQRSTU")

#: Names of the geographical units in the pack (public NUTS labels; the data are not real).
GEO_LABELS: dict[str, str] = {
    EU27: "European Union - 27 countries (from 2020)",
    "ES": "Spain",
    "ES51": "Cataluña",
    "ES61": "Andalucía",
    "ES30": "Comunidad de Madrid",
    "DE": "Germany",
    "DE21": "Oberbayern",
    "DE30": "Berlin",
    "DEA1": "Düsseldorf",
    "IT": "Italy",
    "ITC4": "Lombardia",
    "ITF3": "Campania",
    "PL": "Poland",
    "PL91": "Warszawski stołeczny",
    "PL22": "Śląskie",
    "FR": "France",
    "FR10": "Ile-de-France",
    "FRL0": "Provence-Alpes-Côte d'Azur",
    "EL": "Greece",
    "EL30": "Attiki",
    "EL52": "Kentriki Makedonia",
    "SE": "Sweden",
    "SE11": "Stockholm",
    "NL": "Netherlands",
    "NL33": "Zuid-Holland",
}


@dataclass(frozen=True)
class _Profile:
    """Synthetic parameters of one geographical unit (see the module docstring)."""

    level: float  # structural unemployment floor, %
    legacy: float  # extra relative unemployment in 2014 from the 2008-13 crisis
    female_gap: float  # relative female-minus-male unemployment gap
    employment: float  # thousand persons aged 15-64 in 2024
    vacancy: float  # job vacancy rate in 2019, %
    specialisation: dict[str, float] = field(default_factory=dict)  # share multipliers


#: level, legacy, female_gap, employment (THS), vacancy rate 2019 (%).
_NUMBERS: dict[str, tuple[float, float, float, float, float]] = {
    EU27: (5.8, 0.85, 0.05, 200_000, 2.3),
    "ES": (11.0, 1.2, 0.2, 21_000, 0.9),
    "ES51": (8.5, 1.3, 0.15, 3_500, 1.0),
    "ES61": (16.0, 1.1, 0.25, 3_200, 0.6),
    "ES30": (9.0, 1.0, 0.12, 3_200, 1.2),
    "DE": (3.2, 0.6, -0.1, 41_000, 3.3),
    "DE21": (2.2, 0.4, -0.05, 2_700, 4.0),
    "DE30": (5.5, 0.8, -0.15, 1_950, 3.4),
    "DEA1": (4.8, 0.5, -0.1, 2_500, 3.1),
    "IT": (7.0, 0.8, 0.15, 23_000, 1.4),
    "ITC4": (4.0, 0.9, 0.1, 4_400, 1.8),
    "ITF3": (16.5, 0.4, 0.2, 1_650, 0.8),
    "PL": (2.9, 2.0, 0.05, 16_500, 0.9),
    "PL91": (1.8, 1.8, 0.0, 1_700, 1.5),
    "PL22": (3.0, 1.8, 0.1, 2_100, 0.8),
    "FR": (7.3, 0.4, 0.0, 27_500, 2.0),
    "FR10": (7.0, 0.3, -0.05, 5_900, 2.4),
    "FRL0": (8.5, 0.4, 0.05, 2_100, 1.8),
    "EL": (10.5, 1.7, 0.35, 4_100, 0.8),
    "EL30": (10.0, 1.7, 0.3, 1_600, 1.0),
    "EL52": (11.5, 1.6, 0.4, 700, 0.6),
    "SE": (7.5, 0.1, -0.05, 4_900, 2.2),
    "SE11": (7.0, 0.1, -0.05, 1_300, 2.6),
    "NL": (3.7, 1.0, 0.05, 9_300, 3.0),
    "NL33": (4.2, 1.0, 0.05, 1_900, 2.9),
}
#: Multipliers of the base employment share of NACE sections (1.0 when not listed).
_SPECIALISATION: dict[str, str] = {
    EU27: "",
    "ES": "A=1.0 C=0.75 G=1.15 I=1.8 T=2.5",
    "ES51": "A=0.4 C=1.1 I=1.5 J=1.2",
    "ES61": "A=2.0 C=0.5 G=1.2 I=2.0 J=0.5 K=0.6 M=0.7 O=1.2 T=2.5",
    "ES30": "A=0.1 C=0.55 J=2.2 K=1.8 M=1.6 N=1.4 T=2.0",
    "DE": "A=0.3 C=1.3 Q=1.15",
    "DE21": "A=0.4 C=1.25 J=2.0 K=1.4 M=1.5 O=0.8",
    "DE30": "A=0.05 C=0.45 J=1.9 M=1.5 O=1.4 P=1.2 R=1.8",
    "DEA1": "A=0.2 C=1.2 G=1.1 K=1.3 N=1.2",
    "IT": "A=0.9 C=1.3 I=1.3",
    "ITC4": "A=0.4 C=1.7 J=1.3 K=1.5 M=1.4",
    "ITF3": "A=1.4 C=0.6 G=1.2 J=0.5 O=1.4 P=1.3",
    "PL": "A=2.0 C=1.4 F=1.1",
    "PL91": "A=0.8 C=0.6 J=2.3 K=1.8 M=1.6",
    "PL22": "A=0.4 B=12.0 C=1.7",
    "FR": "A=0.7 C=0.8 O=1.3 Q=1.2",
    "FR10": "A=0.05 C=0.5 J=2.5 K=2.0 M=1.9 N=1.3",
    "FRL0": "A=0.8 C=0.6 I=1.5 O=1.2 Q=1.2",
    "EL": "A=2.6 C=0.6 G=1.3 I=1.8",
    "EL30": "A=0.1 G=1.3 H=1.5 I=1.2 J=1.6 K=1.5",
    "EL52": "A=2.8 C=0.8 G=1.3",
    "SE": "A=0.45 C=0.8 J=1.3 P=1.2 Q=1.4",
    "SE11": "A=0.1 C=0.45 J=2.4 K=1.6 M=1.8",
    "NL": "A=0.55 C=0.6 N=1.5 Q=1.3",
    "NL33": "A=0.6 C=0.6 H=1.3 N=1.4 O=1.4",
}


def _parse_specialisation(text: str) -> dict[str, float]:
    pairs = (item.split("=") for item in text.split())
    return {section: float(mult) for section, mult in pairs}


_PROFILES: dict[str, _Profile] = {
    geo: _Profile(*numbers, specialisation=_parse_specialisation(_SPECIALISATION[geo]))
    for geo, numbers in _NUMBERS.items()
}

#: EU-like base shares of employment by NACE section (%), before specialisation.
_BASE_SHARES: dict[str, float] = {
    "A": 4.2, "B": 0.4, "C": 16.0, "D": 0.8, "E": 0.8, "F": 6.8, "G": 13.5, "H": 5.2,
    "I": 4.6, "J": 3.3, "K": 2.6, "L": 1.0, "M": 5.5, "N": 4.2, "O": 7.0, "P": 7.5,
    "Q": 11.0, "R": 1.9, "S": 2.2, "T": 0.6, "U": 0.1,
}  # fmt: skip
#: Relative annual trend of each section's share (log points per year, centred on 2019).
_SECTOR_TRENDS: dict[str, float] = {
    "A": -0.025, "B": -0.03, "C": -0.005, "D": 0.0, "E": 0.005, "F": 0.005, "G": -0.003,
    "H": 0.005, "I": 0.01, "J": 0.035, "K": -0.005, "L": 0.01, "M": 0.02, "N": 0.01,
    "O": 0.003, "P": 0.008, "Q": 0.015, "R": 0.005, "S": -0.005, "T": -0.02, "U": 0.0,
}  # fmt: skip
#: Common business cycle: relative change of unemployment against trend.
_CYCLE: dict[int, float] = {2020: 0.14, 2021: 0.09, 2022: -0.01, 2023: -0.02, 2024: -0.02}
#: Common vacancy shock: 2020 dip, post-pandemic tightening.
_VACANCY_SHOCK: dict[int, float] = {2020: 0.8, 2021: 1.05, 2022: 1.22, 2023: 1.12, 2024: 1.05}
#: Pandemic dip of contact-intensive sections.
_COVID_DIP: dict[str, dict[int, float]] = {
    "I": {2020: 0.88, 2021: 0.92},
    "R": {2020: 0.9, 2021: 0.94},
}

_DATASETS: dict[str, dict[str, str]] = {
    "lfst_r_lfu3rt": {
        "title": "Unemployment rate by sex, age and NUTS 2 region (%) [SYNTHETIC]",
        "unit": "PC",
        "dims": "freq,unit,sex,age,isced11,geo",
    },
    "lfst_r_lfe2en2": {
        "title": "Employment by NACE Rev. 2 section and NUTS 2 region, ages 15-64 "
        "(thousand persons) [SYNTHETIC]",
        "unit": "THS",
        "dims": "freq,nace_r2,unit,sex,age,geo",
    },
    "jvs_a_rate_r2": {
        "title": "Job vacancy rate, NACE B-S, by NUTS 2 region, annual (%) [SYNTHETIC]",
        "unit": "PC",
        "dims": "freq,nace_r2,sizeclas,indic_em,geo",
    },
}


def _country(geo: str) -> str:
    return geo if geo == EU27 else geo[:2]


def _with_flags(*flags: str) -> str:
    return "".join(sorted(set("".join(flags))))


@dataclass
class _State:
    """Per-unit draws shared by the three datasets."""

    provisional: dict[str, bool]
    lfs_break_2021: dict[str, bool]
    unemployment: dict[str, np.ndarray]  # total rate, 15-74, by year


def _draw_state(rng: np.random.Generator) -> _State:
    countries = sorted({_country(g) for g in _PROFILES})
    breaks = {c: bool(rng.random() < 0.4) for c in countries if c != EU27}
    provisional = {g: bool(rng.random() < 0.5) for g in _PROFILES}
    return _State(
        provisional=provisional,
        lfs_break_2021={g: breaks.get(_country(g), False) for g in _PROFILES},
        unemployment={},
    )


def _year_flags(state: _State, geo: str, year: int, *, lfs: bool) -> str:
    flags = ""
    if year == YEARS[-1] and state.provisional[geo]:
        flags += "p"
    if lfs and year == 2021 and state.lfs_break_2021[geo]:
        flags += "b"
    return flags


def _unemployment(rng: np.random.Generator, state: _State) -> pd.DataFrame:
    years = np.array(YEARS, dtype=float)
    cycle = np.array([_CYCLE.get(y, 0.0) for y in YEARS])
    rows: list[dict[str, object]] = []
    for geo, prof in _PROFILES.items():
        regional = len(geo) == 4
        sd = 0.03 if regional else 0.02
        sensitivity = rng.uniform(0.6, 1.4)
        youth_ratio = rng.uniform(2.1, 2.6)
        trend = prof.level * (1 + prof.legacy * np.exp(-(years - 2014) / 3.5))
        total = trend * (1 + sensitivity * cycle) * np.exp(rng.normal(0, sd, len(YEARS)))
        state.unemployment[geo] = total
        youth = (
            total
            * youth_ratio
            * (1 - 0.007 * total)
            * (1 + 0.5 * sensitivity * cycle)
            * np.exp(rng.normal(0, 1.2 * sd, len(YEARS)))
        )
        for age, base in (("Y15-74", total), ("Y15-24", youth)):
            by_sex = {
                "T": base,
                "F": base * (1 + 0.55 * prof.female_gap) * np.exp(rng.normal(0, sd, len(YEARS))),
                "M": base * (1 - 0.45 * prof.female_gap) * np.exp(rng.normal(0, sd, len(YEARS))),
            }
            for sex, series in by_sex.items():
                fragile = regional and age == "Y15-24" and sex != "T"
                draws = rng.random(len(YEARS))
                for i, year in enumerate(YEARS):
                    value = float(series[i])
                    flags = _year_flags(state, geo, year, lfs=True)
                    if fragile and draws[i] < 0.04:
                        value, flags = math.nan, _with_flags(flags, "u")
                    elif fragile and draws[i] < 0.10:
                        flags = _with_flags(flags, "u")
                    rows.append(
                        {"freq": "A", "unit": "PC", "sex": sex, "age": age, "isced11": "TOTAL",
                         "geo": geo, "time": str(year), "value": value, "flags": flags}
                    )  # fmt: skip
    return pd.DataFrame(rows)


def _employment(rng: np.random.Generator, state: _State) -> pd.DataFrame:
    base = np.array([_BASE_SHARES[s] for s in SECTIONS])
    trends = np.array([_SECTOR_TRENDS[s] for s in SECTIONS])
    rows: list[dict[str, object]] = []
    for geo, prof in _PROFILES.items():
        u = state.unemployment[geo]
        growth = rng.uniform(0.002, 0.008)
        offsets = np.array(YEARS) - YEARS[-1]
        total = prof.employment * (100 - u) / (100 - u[-1]) * (1 + growth) ** offsets
        spec = np.array([prof.specialisation.get(s, 1.0) for s in SECTIONS])
        sector_noise = rng.normal(0, 0.03, len(SECTIONS))
        levels = np.empty((len(YEARS), len(SECTIONS)))
        for i, year in enumerate(YEARS):
            dip = np.array([_COVID_DIP.get(s, {}).get(year, 1.0) for s in SECTIONS])
            weights = (
                base
                * spec
                * np.exp(trends * (year - 2019) + sector_noise + rng.normal(0, 0.01, len(SECTIONS)))
                * dip
            )
            levels[i] = total[i] * weights / weights.sum()
        for i, year in enumerate(YEARS):
            flags = _year_flags(state, geo, year, lfs=True)
            cells = [("TOTAL", float(levels[i].sum()), flags)]
            for j, section in enumerate(SECTIONS):
                value = float(levels[i, j])
                if value < 1.5:
                    cells.append((section, math.nan, _with_flags(flags, "u")))
                elif value < 5.0:
                    cells.append((section, value, _with_flags(flags, "u")))
                else:
                    cells.append((section, value, flags))
            for nace, value, cell_flags in cells:
                rows.append(
                    {"freq": "A", "nace_r2": nace, "unit": "THS", "sex": "T", "age": "Y15-64",
                     "geo": geo, "time": str(year), "value": value, "flags": cell_flags}
                )  # fmt: skip
    return pd.DataFrame(rows)


def _vacancies(rng: np.random.Generator, state: _State) -> pd.DataFrame:
    shock = np.array([_VACANCY_SHOCK.get(y, 1.0) for y in YEARS])
    i2019 = YEARS.index(2019)
    rows: list[dict[str, object]] = []
    for geo, prof in _PROFILES.items():
        u = state.unemployment[geo]
        noise = np.exp(rng.normal(0, 0.035, len(YEARS)))
        rate = prof.vacancy * (u / u[i2019]) ** -0.7 * shock * noise
        for i, year in enumerate(YEARS):
            value = float(rate[i])
            if geo.startswith("FR") and len(geo) == 4 and year < 2017:
                value = math.nan
            rows.append(
                {"freq": "A", "nace_r2": "B-S", "sizeclas": "TOTAL", "indic_em": "JOBRATE",
                 "geo": geo, "time": str(year), "value": value,
                 "flags": _year_flags(state, geo, year, lfs=False)}
            )  # fmt: skip
    return pd.DataFrame(rows)


def _catalog(seed: int) -> dict[str, object]:
    datasets: dict[str, object] = {}
    for code, meta in _DATASETS.items():
        datasets[f"eurostat/{code}.tsv"] = {
            "code": code,
            "title": meta["title"],
            "source": (
                f"SYNTHETIC demo data generated by workbench.data.synthetic (seed {seed}); "
                f"shaped like Eurostat {code}"
            ),
            "synthetic": True,
            "geo_level": "regional",
            "unit": meta["unit"],
            "frequency": "A",
            "dimensions": meta["dims"].split(","),
            "periods": f"{YEARS[0]}-{YEARS[-1]}",
        }
    return {
        "synthetic": True,
        "generated_by": f"workbench.data.synthetic (seed {seed})",
        "description": (
            "SYNTHETIC demo data pack. Every number is made up by a documented fixed-seed "
            "model; it is NOT Eurostat data. See README.md."
        ),
        "datasets": datasets,
        "geo_labels": dict(GEO_LABELS),
    }


_README = """\
# SYNTHETIC demo data pack

**Every number in this folder is synthetic. It is NOT Eurostat data** and must not be
quoted as a fact about any region, country or sector.

The files imitate the layout, file names, dimension codes and units of three Eurostat
datasets so that the workbench templates run offline:

| File in `eurostat/` | Content (synthetic) |
|---|---|
| `lfst_r_lfu3rt.tsv` | unemployment rate (%) by sex and age (15-74, 15-24) |
| `lfst_r_lfe2en2.tsv` | employment (thousand persons, 15-64) by NACE Rev. 2 section |
| `jvs_a_rate_r2.tsv` | job vacancy rate (%), NACE B-S |

Coverage: years {first}-{last}; the EU27 aggregate (`EU27_2020`), {n_countries} countries
({countries}) and {n_regions} NUTS-2 regions ({regions}).

`catalog.yaml` lists the datasets, marks each `synthetic: true` and gives the names of the
geographical units (`geo_labels`).

## How it was made

Generated by `workbench.data.synthetic` with seed {seed}; the module docstring describes
the model. Regenerate (byte-identical output for the same seed) with:

    python -m workbench.data.synthetic path/to/pack --seed {seed}

## Using real data

Real Eurostat SDMX-TSV downloads of the same names (for example from the Eurostat API with
`?format=TSV`, uncompressed) can be dropped into `eurostat/`. Then set `synthetic: false`
for those datasets (and at the top level) in `catalog.yaml` and replace the `source` text,
so that reports stop showing the SYNTHETIC DATA banner.
"""


def generate(out_dir: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the synthetic demo pack into ``out_dir``; return the files written.

    The output is byte-identical for the same ``seed`` (and numpy's PCG64 stream).
    """
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    state = _draw_state(rng)
    frames = {
        "lfst_r_lfu3rt": _unemployment(rng, state),
        "lfst_r_lfe2en2": _employment(rng, state),
        "jvs_a_rate_r2": _vacancies(rng, state),
    }
    written: list[Path] = []
    for code, frame in frames.items():
        dims = _DATASETS[code]["dims"].split(",")
        written.append(write_sdmx_tsv(frame, dims, out_dir / "eurostat" / f"{code}.tsv"))

    catalog = out_dir / "catalog.yaml"
    text = yaml.safe_dump(_catalog(seed), sort_keys=False, allow_unicode=True, width=100)
    header = "# SYNTHETIC demo data pack: see README.md\n"
    catalog.write_text(header + text, encoding="utf-8", newline="\n")
    written.append(catalog)

    readme = out_dir / "README.md"
    regions = [g for g in GEO_LABELS if len(g) == 4]
    countries = [g for g in GEO_LABELS if len(g) == 2]
    readme.write_text(
        _README.format(
            first=YEARS[0],
            last=YEARS[-1],
            n_countries=len(countries),
            countries=", ".join(countries),
            n_regions=len(regions),
            regions=", ".join(regions),
            seed=seed,
        ),
        encoding="utf-8",
        newline="\n",
    )
    written.append(readme)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m workbench.data.synthetic OUT_DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m workbench.data.synthetic",
        description="Write the SYNTHETIC demo data pack (not Eurostat data).",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write the pack into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    for path in generate(args.out_dir, seed=args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
