"""The synthetic jobseeker generator reproduces its calibration targets.

Targets are checked against figures parsed here, independently of the generator: the
PEX share from its published counts, the regional shares straight from the text of the
shipped Eurostat file (cross-checked with ../shared/data/eurostat when it is present).
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from pathlib import Path

import pandas as pd
import pytest

import workbench.profiling.synthetic as synthetic_module
from workbench.exceptions import InvalidInput
from workbench.profiling.jobseekers import validate_jobseeker_frame
from workbench.profiling.schema import (
    AGE_BANDS,
    COLUMNS,
    EDUCATION_LEVELS,
    ORIGINS,
    PROTECTED,
    SEXES,
)
from workbench.profiling.synthetic import (
    GENERATOR_ASSUMPTIONS,
    LTU_FILE,
    PEX_TARGET,
    calibration_report,
    generate_jobseekers,
    regional_targets,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "workbench" / "data" / "packs" / "real" / "eurostat" / LTU_FILE.name
SHARED = ROOT.parent / "shared" / "data" / "eurostat" / LTU_FILE.name
REGIONS = ["ES61", "DE21", "PL91"]
N = 20_000


def share_2025(path: Path, region: str) -> float | None:
    """The 2025 value of ``region`` (total, 15-74, % of unemployed) read as plain text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    periods = [p.strip() for p in lines[0].split("\t")[1:]]
    for line in lines[1:]:
        key, *cells = line.split("\t")
        if key == f"A,TOTAL,T,Y15-74,PC_UNE,{region}":
            number = re.match(r"\s*([0-9.]+)", cells[periods.index("2025")])
            return float(number.group(1)) / 100 if number else None
    return None


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return generate_jobseekers(N)


@pytest.fixture(scope="module")
def regional() -> pd.DataFrame:
    return generate_jobseekers(N, regions=REGIONS)


def within_3se(realised: float, target: float, n: int) -> bool:
    return abs(realised - target) <= 3 * math.sqrt(target * (1 - target) / n)


def test_pex_target_is_the_published_share() -> None:
    # 12,095 stayers and 18,760 leavers (ESRI PEX cohort of Sep-Dec 2006)
    assert round(12_095 / (12_095 + 18_760), 3) == PEX_TARGET == 0.392


def test_overall_share_matches_pex_within_3_standard_errors(cohort: pd.DataFrame) -> None:
    assert len(cohort) == N
    realised = cohort["ltu"].mean()
    assert within_3se(realised, 0.392, N), realised
    report = calibration_report(cohort)
    assert report["region"].tolist() == ["all"]
    row = report.iloc[0]
    assert row["target"] == 0.392 and row["n"] == N and row["realised"] == realised
    assert row["within_3se"]
    assert "ESRI Research Series No. 10" in row["source"]
    assert set(cohort["region"]) == {"IE04", "IE05", "IE06"}


def test_shipped_targets_match_the_file_text_and_the_shared_copy() -> None:
    targets = regional_targets(REGIONS)
    for region in REGIONS:
        expected = share_2025(SHIPPED, region)
        assert expected is not None
        assert targets[region] == pytest.approx(expected, abs=1e-12)
        if SHARED.is_file():
            assert share_2025(SHARED, region) == expected
    assert targets["ES61"] == pytest.approx(0.334)  # value in the file: 33.4 d


def test_each_region_matches_its_eurostat_share(regional: pd.DataFrame) -> None:
    report = calibration_report(regional, REGIONS).set_index("region")
    assert report.index.tolist() == REGIONS
    for region in REGIONS:
        rows = regional[regional["region"] == region]
        target = share_2025(SHIPPED, region)
        assert target is not None
        assert report.loc[region, "target"] == pytest.approx(target)
        assert report.loc[region, "n"] == len(rows)
        assert abs(len(rows) - N / 3) <= 1  # spread evenly
        assert within_3se(rows["ltu"].mean(), target, len(rows)), region
        assert report.loc[region, "within_3se"]
    # the regions really differ: DE21 (16.9%) far below ES61 (33.4%)
    shares = regional.groupby("region")["ltu"].mean()
    assert shares["DE21"] < shares["PL91"] < shares["ES61"]


def test_weighted_regions_and_report_against_wrong_target(regional: pd.DataFrame) -> None:
    frame = generate_jobseekers(3000, regions={"ES61": 2, "DE21": 1})
    counts = frame["region"].value_counts()
    assert counts["ES61"] == 2000 and counts["DE21"] == 1000
    # the DE21-calibrated rows are far from a 39.2% target: the report must say so
    report = calibration_report(frame[frame["region"] == "DE21"])
    assert not report.iloc[0]["within_3se"]


def test_regions_without_a_2025_value_raise_naming_them() -> None:
    with pytest.raises(InvalidInput) as info:
        generate_jobseekers(100, regions=["ES61", "IE04", "FRZZ", "ES6", "XX11"])
    problems = {p.key: p.message for p in info.value.problems}
    assert set(problems) == {"IE04", "FRZZ", "ES6", "XX11"}
    assert "IE04 has no 2025" in problems["IE04"] and "only 2023" in problems["IE04"]
    assert "FRZZ is not in the file" in problems["FRZZ"]
    with pytest.raises(ValueError, match="distinct"):
        generate_jobseekers(10, regions=["ES61", "ES61"])
    with pytest.raises(ValueError, match="n must be"):
        generate_jobseekers(0)
    with pytest.raises(InvalidInput, match="no rows of region PL91"):
        calibration_report(generate_jobseekers(50, regions=["ES61"]), ["ES61", "PL91"])


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def test_same_seed_is_byte_identical_and_another_seed_differs(cohort: pd.DataFrame) -> None:
    again = generate_jobseekers(N)
    assert csv_bytes(again) == csv_bytes(cohort)
    assert hashlib.sha256(csv_bytes(again)).digest() == hashlib.sha256(csv_bytes(cohort)).digest()
    other = generate_jobseekers(N, seed=7)
    assert csv_bytes(other) != csv_bytes(cohort)
    differs = (other.drop(columns="person_id") != cohort.drop(columns="person_id")).any()
    assert differs[["age_band", "ltu", "isco", "registered"]].all()
    # the calibration holds for any seed
    assert within_3se(other["ltu"].mean(), 0.392, N)


def test_every_row_is_valid_synthetic_and_typed(cohort: pd.DataFrame) -> None:
    assert list(cohort.columns) == [c.name for c in COLUMNS]
    assert cohort["synthetic"].dtype == bool and cohort["synthetic"].all()
    validated = validate_jobseeker_frame(cohort, require=("ltu", "programme", "employed_1m_6m"))
    pd.testing.assert_frame_equal(validated, cohort)
    assert cohort["person_id"].is_unique
    assert cohort["registered"].str.startswith("2024-").all()
    assert set(cohort["age_band"]) == set(AGE_BANDS)
    assert set(cohort["sex"]) == set(SEXES)
    assert set(cohort["origin"]) == set(ORIGINS)
    assert set(cohort["education"]) == set(EDUCATION_LEVELS)
    training = cohort["programme"] == "training"
    assert (cohort.loc[training, "programme_domain"] != "").all()
    assert (cohort.loc[~training, "programme_domain"] == "").all()
    no_job = cohort["isco"] == ""
    assert 0.02 < no_job.mean() < 0.2
    assert cohort.loc[~no_job, "isco"].str.fullmatch(r"[1-9][0-9]{3}").all()


def rate(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame.groupby(column)["ltu"].mean()


def test_group_directions_hold(cohort: pd.DataFrame) -> None:
    age = rate(cohort, "age_band")
    assert age["55+"] > age["30-54"] > age["16-24"]
    education = rate(cohort, "education")
    assert education["low"] > education["medium"] > education["high"]
    prior = rate(cohort, "prior_ltu")
    assert prior[True] > prior[False] + 0.1
    transport = rate(cohort, "own_transport")
    assert transport[False] > transport[True]
    engaged = cohort["months_employed_24m"] >= 18
    assert cohort.loc[~engaged, "ltu"].mean() > cohort.loc[engaged, "ltu"].mean()
    origin = rate(cohort, "origin")
    assert origin["non_eu"] > origin["national"]
    disability = rate(cohort, "disability")
    assert disability[True] > disability[False]


def test_sex_has_no_direct_effect(cohort: pd.DataFrame) -> None:
    women, men = (cohort[cohort["sex"] == s]["ltu"] for s in ("F", "M"))
    se = math.sqrt(0.392 * 0.608 * (1 / len(women) + 1 / len(men)))
    assert abs(women.mean() - men.mean()) < 3 * se
    assert GENERATOR_ASSUMPTIONS["risk_log_odds"]["sex"] == 0.0


def test_outcomes_depend_on_ltu_and_programme(cohort: pd.DataFrame) -> None:
    employed = cohort.groupby("ltu")["employed_1m_6m"].mean()
    assert employed[False] > employed[True] + 0.2
    by_programme = cohort.groupby("programme")["employed_1m_6m"].mean()
    assert by_programme["private_sector_subsidy"] > by_programme["public_employment"]
    mix = cohort["programme"].value_counts(normalize=True)
    assert set(mix.index) == set(GENERATOR_ASSUMPTIONS["programme_share"])
    assert abs(mix["training"] - GENERATOR_ASSUMPTIONS["programme_share"]["training"]) < 0.02


def test_assumptions_cover_the_schema_and_are_in_the_docstring() -> None:
    a = GENERATOR_ASSUMPTIONS
    assert set(a["age_band_share"]) == set(AGE_BANDS)
    assert set(a["sex_share"]) == set(SEXES)
    assert set(a["origin_share"]) == set(ORIGINS)
    assert set(a["education_share"]) == set(EDUCATION_LEVELS)
    doc = synthetic_module.__doc__ or ""
    table = {k: float(v) for k, v in re.findall(r"^``(\S+)``\s+([+-]?[0-9.]+)\s", doc, re.M)}
    assert table == a["risk_log_odds"]
    assert "assumptions of this generator, not published" in doc
    assert "stock" in doc and "proxy" in doc  # the regional caveat
    # every protected attribute is covered by a stated assumption
    keys = " ".join(a["risk_log_odds"])
    assert all(p in keys for p in PROTECTED)


def test_vectorised_100k_rows_quickly() -> None:
    generate_jobseekers(1000)  # warm caches (ESCO codes)
    start = time.perf_counter()
    frame = generate_jobseekers(100_000, regions=REGIONS)
    elapsed = time.perf_counter() - start
    assert len(frame) == 100_000
    assert elapsed < 3.0, elapsed  # about 0.5 s alone; slack for a shared CI machine
