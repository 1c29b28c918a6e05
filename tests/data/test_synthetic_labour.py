"""Tests for the SYNTHETIC regional vacancy and PES table generators."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.classifications import EU_COUNTRIES
from workbench.data.eurostat import read_sdmx_tsv
from workbench.data.pes import read_pes_table
from workbench.data.synthetic_labour import (
    DEFAULT_SEED,
    PES_FILE,
    VACANCY_FILE,
    generate,
    load_sources,
    pes_table,
    regional_vacancies_by_sector,
)

REAL = Path(__file__).resolve().parents[2] / "workbench" / "data" / "packs" / "real"
SHIPPED = REAL / "synthetic"
FILES = [VACANCY_FILE, PES_FILE, "README.md"]
#: lfst_r_lfe2en2 group -> jvs_a_nace2 code (JVS has R_S where the LFS group is R-U).
JVS_CODE = {"R-U": "R_S"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    written = generate(out)
    assert [p.name for p in written] == FILES
    return out


@pytest.fixture(scope="module")
def jobvac() -> pd.DataFrame:
    """Real job vacancy counts, all size classes and occupations together."""
    jvs = read_sdmx_tsv(REAL / "eurostat" / "jvs_a_nace2__2008-2015__euhackathon2017.tsv.gz")
    keep = (jvs["indic_em"] == "JOBVAC") & (jvs["sizeclas"] == "TOTAL") & (jvs["isco08"] == "TOTAL")
    return jvs[keep].dropna(subset=["value"])


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_generation_is_byte_identical(generated: Path, tmp_path: Path) -> None:
    generate(tmp_path, seed=DEFAULT_SEED)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (generated / name).read_bytes(), name


def test_other_seed_gives_other_files(generated: Path, tmp_path: Path) -> None:
    generate(tmp_path, seed=DEFAULT_SEED + 1)
    for name in (VACANCY_FILE, PES_FILE):
        assert (tmp_path / name).read_bytes() != (generated / name).read_bytes(), name
    # Only the noise changes: the calibrated totals stay the same.
    pes_a, pes_b = (
        read_csv(d / PES_FILE).astype({"jobseekers": int}) for d in (generated, tmp_path)
    )
    pd.testing.assert_series_equal(
        pes_a.groupby("region")["jobseekers"].sum(), pes_b.groupby("region")["jobseekers"].sum()
    )
    vac_a, vac_b = (
        read_csv(d / VACANCY_FILE).astype({"vacancies": int}) for d in (generated, tmp_path)
    )
    keys = [vac_a["region"].str[:2], "nace_group"]
    total_a = vac_a.groupby(keys)["vacancies"].sum()
    total_b = vac_b.groupby([vac_b["region"].str[:2], "nace_group"])["vacancies"].sum()
    pd.testing.assert_series_equal(total_a, total_b)


def test_shipped_files_match_the_generator(generated: Path) -> None:
    for name in FILES:
        shipped = SHIPPED / name
        assert shipped.is_file(), (
            f"{shipped} missing: run python -m workbench.data.synthetic_labour"
        )
        assert shipped.read_bytes() == (generated / name).read_bytes(), (
            f"{name} differs from the generator output: regenerate with "
            f"python -m workbench.data.synthetic_labour {SHIPPED}"
        )


def test_every_row_is_marked_synthetic(generated: Path) -> None:
    for name in (VACANCY_FILE, PES_FILE):
        frame = read_csv(generated / name)
        assert len(frame) > 0
        assert set(frame["synthetic"]) == {"true"}, name
    assert "SYNTHETIC" in (generated / "README.md").read_text(encoding="utf-8")


def test_pes_jobseekers_equal_real_unemployed_counts(generated: Path) -> None:
    lfu = read_sdmx_tsv(REAL / "eurostat" / "lfst_r_lfu3pers__1999-2015__euhackathon2017.tsv.gz")
    real = lfu[
        (lfu["time"] == "2015")
        & (lfu["sex"] == "T")
        & (lfu["age"] == "Y_GE15")
        & (lfu["geo"].str.len() == 4)
        & lfu["geo"].str[:2].isin(list(EU_COUNTRIES))
    ].dropna(subset=["value"])
    pairs = zip(real["geo"], real["value"], strict=True)
    expected = {geo: round(value * 1000) for geo, value in pairs}
    assert len(expected) > 200
    pes = read_csv(generated / PES_FILE).astype({"jobseekers": int})
    got = pes.groupby("region")["jobseekers"].sum().to_dict()
    assert got == expected


def test_pes_vacancies_sum_to_real_national_counts(generated: Path, jobvac: pd.DataFrame) -> None:
    lfe = read_sdmx_tsv(REAL / "eurostat" / "lfst_r_lfe2en2__2008-2015__euhackathon2017.tsv.gz")
    employment = lfe[
        (lfe["time"] == "2015") & (lfe["age"] == "Y_GE15") & (lfe["nace_r2"] == "TOTAL")
    ].dropna(subset=["value"])
    pes = read_csv(generated / PES_FILE).astype({"vacancies": int})
    by_region = pes.groupby("region")["vacancies"].sum()
    for country in ("AT", "BE", "DE", "ES", "NL", "PL"):
        national = jobvac[
            (jobvac["geo"] == country) & (jobvac["nace_r2"] == "B-S") & (jobvac["time"] == "2015")
        ]["value"].item()
        mine = by_region[by_region.index.str.startswith(country)]
        assert mine.sum() == national, country
        emp = employment[employment["geo"].isin(mine.index)].set_index("geo")["value"]
        share = emp / emp.sum() * national
        assert np.all(np.abs(mine - share.reindex(mine.index)) < 1.0), country


def test_sector_vacancies_sum_to_real_national_figures(
    generated: Path, jobvac: pd.DataFrame
) -> None:
    sector = read_csv(generated / VACANCY_FILE).astype({"vacancies": int})
    assert (
        sector["nace_group"]
        .isin(["A", "B-E", "F", "G-I", "J", "K", "L", "M_N", "O-Q", "R-U"])
        .all()
    )
    assert {"DE", "ES", "FI", "EL"} <= set(sector["region"].str[:2])
    generated_regions = set(sector["region"])
    checked = 0
    for (country, group, year), part in sector.groupby(
        [sector["region"].str[:2], "nace_group", "year"]
    ):
        code = JVS_CODE.get(group, group)
        cells = jobvac[(jobvac["nace_r2"] == code) & (jobvac["time"] == year)]
        national = cells.loc[cells["geo"] == country, "value"].item()
        real_regions = cells[
            (cells["geo"].str.len() == 4)
            & cells["geo"].str.startswith(country)
            & ~cells["geo"].isin(generated_regions)
        ]
        assert part["vacancies"].sum() + real_regions["value"].sum() == national
        checked += 1
    assert checked > 100
    # Regions with real figures that year are never generated.
    years = sector.groupby("region")["year"].first()
    real_pairs = set(zip(jobvac["geo"], jobvac["time"], strict=True))
    assert not [r for r, y in years.items() if (r, y) in real_pairs]
    assert {"PL12", "CZ01", "FI1B", "HU10"}.isdisjoint(generated_regions)
    assert set(sector.loc[sector["region"] == "FI20", "method"]) == {"residual"}


def test_generated_pes_table_passes_the_reader(generated: Path) -> None:
    table = read_pes_table(generated / PES_FILE)
    assert len(table) > 50_000
    assert set(table["period"]) == {"2015"}
    assert table["isco"].str.fullmatch(r"[1-9][0-9]{3}").all()
    assert table["synthetic"].all()
    assert (table["long_term_jobseekers"] <= table["jobseekers"]).all()
    ratio = (table["vacancies"] + 1) / (table["jobseekers"] + 1)
    assert ratio.max() > 2 and ratio.min() < 0.1  # tight and surplus occupations exist
    size = (generated / PES_FILE).stat().st_size
    assert size < 1_500_000, size


def test_catalog_lists_the_files_as_synthetic() -> None:
    import yaml

    catalog = yaml.safe_load((REAL / "catalog.yaml").read_text(encoding="utf-8"))
    for name in (VACANCY_FILE, PES_FILE):
        entry = catalog["datasets"][f"synthetic/{name}"]
        assert entry["synthetic"] is True
        assert entry["title"].endswith("[SYNTHETIC]")
        assert f"seed {DEFAULT_SEED}" in entry["source"]
        assert entry["nuts_version"] == 2013


def test_public_functions_give_the_written_tables(generated: Path) -> None:
    src = load_sources()
    tables = {
        VACANCY_FILE: regional_vacancies_by_sector(sources=src),
        PES_FILE: pes_table(sources=src),
    }
    for name, frame in tables.items():
        written = read_csv(generated / name)
        assert written.columns.tolist() == frame.columns.tolist()
        assert written.to_numpy().tolist() == frame.astype(str).to_numpy().tolist()
