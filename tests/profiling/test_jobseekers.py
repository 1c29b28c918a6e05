"""Tests for the jobseeker table reader and validator."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import workbench.profiling.jobseekers as jobseekers_module
from workbench.exceptions import InvalidInput
from workbench.profiling.jobseekers import (
    MAX_PROBLEMS,
    JobseekerTableError,
    read_jobseeker_table,
    validate_jobseeker_frame,
)
from workbench.profiling.schema import AGE_BANDS, COLUMNS, EDUCATION_LEVELS, ORIGINS, SEXES

BASE = (
    "person_id,region,registered,age_band,sex,origin,disability,education,isco,"
    "months_employed_24m,prior_spells_5y,prior_ltu"
)
HEADER = f"{BASE},own_transport,ltu,programme,programme_domain,employed_1m_6m,synthetic,name"
GOOD = (
    f"{HEADER}\n"
    "a1,ES61,2024-01-05,16-24,F,national,false,low,2512,12,0,no,yes,true,training,welding,1,,Ann\n"
    "a2,DE21,2024-02-29,55+,m,EU,1,High,,24.0,3,YES,,,none,,,true,Bob\n"
    "a1,PL91,2024-03-01,30-54,X,non_eu,No,medium,9,0,60,true,0,false,,,0,0,\n"
)


def located(err: JobseekerTableError) -> set[tuple[int | None, str]]:
    """The (line, column) pairs the error names."""
    return {(p.line, p.key) for p in err.problems}


def read_error(text: str, **kwargs: object) -> JobseekerTableError:
    with pytest.raises(JobseekerTableError) as info:
        read_jobseeker_table(io.StringIO(text), **kwargs)  # type: ignore[arg-type]
    return info.value


def check_good(df: pd.DataFrame) -> None:
    assert list(df.columns) == [c.name for c in COLUMNS]  # schema order, "name" dropped
    assert df.attrs["ignored_columns"] == ["name"]
    assert df["person_id"].tolist() == ["a1", "a2", "a1"]
    assert df["region"].tolist() == ["ES61", "DE21", "PL91"]
    assert df["registered"].tolist() == ["2024-01-05", "2024-02-29", "2024-03-01"]
    assert df["age_band"].tolist() == ["16-24", "55+", "30-54"]
    assert df["sex"].tolist() == ["F", "M", "X"]  # canonical case
    assert df["origin"].tolist() == ["national", "eu", "non_eu"]
    assert df["education"].tolist() == ["low", "high", "medium"]
    assert df["disability"].tolist() == [False, True, False]
    assert df["isco"].tolist() == ["2512", "", "9"]
    assert df["months_employed_24m"].tolist() == [12, 24, 0]
    assert df["prior_spells_5y"].tolist() == [0, 3, 60]
    assert df["prior_ltu"].tolist() == [False, True, True]
    assert df["own_transport"].tolist()[::2] == [True, False]
    assert df["own_transport"].isna().tolist() == [False, True, False]
    assert df["ltu"].isna().tolist() == [False, True, False]
    assert df["programme"].tolist() == ["training", "none", ""]
    assert df["programme_domain"].tolist() == ["welding", "", ""]
    assert df["employed_1m_6m"].isna().tolist() == [False, True, False]
    assert df["synthetic"].tolist() == [False, True, False]  # blank = false
    assert str(df["months_employed_24m"].dtype) == "int64"
    for col in ("disability", "prior_ltu", "synthetic"):
        assert df[col].dtype == bool, col
    assert str(df["ltu"].dtype) == "boolean"  # a blank cell: nullable
    assert df.index.tolist() == [0, 1, 2]


def test_region_codes_are_not_case_folded() -> None:
    # NUTS codes are upper case: "de21" is reported, not silently fixed
    err = read_error(GOOD.replace("DE21", "de21"))
    assert located(err) == {(3, "region")}
    assert "'de21'" in str(err)


def test_csv_round_trip(tmp_path: Path) -> None:
    text = GOOD
    path = tmp_path / "js.csv"
    path.write_text(text, encoding="utf-8")
    check_good(read_jobseeker_table(path))
    check_good(read_jobseeker_table(str(path)))
    check_good(read_jobseeker_table(io.StringIO("\ufeff" + text)))


def test_csv_gz_semicolons_and_blank_lines(tmp_path: Path) -> None:
    text = GOOD
    path = tmp_path / "js.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    check_good(read_jobseeker_table(path))
    semi = "\n" + text.replace(",", ";").replace("\n", "\r\n", 2) + "\n;;;;\n"
    check_good(read_jobseeker_table(io.BytesIO(semi.encode("utf-8"))))


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    book = Workbook()
    ws = book.active
    ws.title = "jobseekers"
    for row in rows:
        ws.append(row)
    book.save(path)


def test_xlsx_dates_numbers_and_sheet_rows(tmp_path: Path) -> None:
    header = BASE.split(",")
    row = ["a1", "ES61", dt.datetime(2024, 1, 5), "16-24", "F", "national", False, "low"]
    path = tmp_path / "js.xlsx"
    write_xlsx(
        path,
        [
            [],
            header,
            [*row, "2512", 12, 0, True],
            [*row[:2], "2024-13-01", *row[3:], 7, 25.0, 1.5, "maybe"],
        ],
    )
    with pytest.raises(JobseekerTableError) as info:
        read_jobseeker_table(path)
    err = info.value
    assert located(err) == {
        (4, "registered"),
        (4, "months_employed_24m"),
        (4, "prior_spells_5y"),
        (4, "prior_ltu"),
    }
    assert "[jobseekers]" in err.problems[0].source
    write_xlsx(path, [header, [*row, 2512, 12.0, 0, 1]])
    df = read_jobseeker_table(path, sheet="jobseekers")
    assert df["registered"].tolist() == ["2024-01-05"]
    assert df["isco"].tolist() == ["2512"]
    assert df["months_employed_24m"].tolist() == [12]
    assert df["prior_ltu"].tolist() == [True]


def test_every_bad_row_is_reported_with_line_and_field() -> None:
    text = (
        f"{BASE},ltu\n"
        "a1,ES61,2024-01-05,16-24,F,national,false,low,2512,12,0,no,true\n"  # line 2 good
        "a2,ES6,2024-02-30,16-25,W,mars,maybe,none,25123,25,-1,0.5,x\n"  # line 3
        "a1,ES61,2024-01-05,16-24,F,national,false,low,2512,12,0,no,true\n"  # line 4 duplicate
        "a3,XX11,24-01-05,55+,F,eu,0,low,ab,twelve,61,1,\n"  # line 5
        "a4,ES61\n"  # line 6: short
        ",ES61,2024-01-01,16-24,F,national,false,low,,1,0,no,true,extra\n"  # line 7
    )
    err = read_error(text)
    assert located(err) == {
        *{(3, c) for c in ("region", "registered", "age_band", "sex", "origin")},
        *{(3, c) for c in ("disability", "education", "isco", "months_employed_24m")},
        *{(3, c) for c in ("prior_spells_5y", "prior_ltu", "ltu")},
        (4, "person_id"),
        *{(5, c) for c in ("region", "registered", "isco", "months_employed_24m")},
        (5, "prior_spells_5y"),
        *{(6, c) for c in ("age_band", "sex", "origin", "disability", "education")},
        *{(6, c) for c in ("months_employed_24m", "prior_spells_5y", "prior_ltu")},
        (7, ""),
        (7, "person_id"),
    }
    message = str(err)
    assert "'16-25' is not allowed; use one of 16-24, 25-29, 30-54, 55+" in message
    assert "use one of national, eu, non_eu" in message
    assert "25 is out of range: 0 to 24" in message
    assert "-1 is out of range: 0 to 60" in message
    assert "'2024-02-30' is not a date" in message
    assert "'25123' is not an ISCO-08 code" in message
    assert "'maybe' is not true/false" in message
    assert "'ES6' is not a NUTS-2 code" in message
    assert "XX is not an EU/EEA country code" in message
    assert "duplicate of the row at line 2" in message
    assert "no cell: the row has only 2 of 13 columns" in message
    assert "row has 14 cells" in message
    # sorted by line, then by column position
    lines = [p.line for p in err.problems]
    assert lines == sorted(lines)  # type: ignore[type-var]
    assert [p.key for p in err.problems if p.line == 5][:2] == ["region", "registered"]


def test_errors_are_invalid_input_and_value_error() -> None:
    err = read_error(f"{BASE}\n")
    assert isinstance(err, InvalidInput) and isinstance(err, ValueError)
    assert "header but no data rows" in str(err)


def test_missing_and_required_columns() -> None:
    text = "person_id,region,Age_Band , sex\na1,ES61,16-24,F\n"
    err = read_error(text)
    missing = {p.key for p in err.problems if "missing column, required" in p.message}
    assert missing == {"origin", "disability", "education", "months_employed_24m"} | {
        "prior_spells_5y",
        "prior_ltu",
    }
    good = GOOD
    # ltu present but blank in line 3: fine by default, an error when required
    assert read_jobseeker_table(io.StringIO(good))["ltu"].isna().sum() == 1
    err = read_error(good, require=("ltu", "programme"))
    assert located(err) == {(3, "ltu"), (4, "programme")}
    err = read_error(f"{BASE}\na1,ES61,,16-24,F,national,0,low,,1,0,0\n", require=["LTU"])
    assert located(err) == {(1, "ltu")}
    assert "missing column, needed here" in str(err)
    with pytest.raises(ValueError, match="unknown columns"):
        read_jobseeker_table(io.StringIO(good), require=("outcome",))


def test_header_problems() -> None:
    text = f"{BASE},,prior_ltu\na1,ES61,,16-24,F,national,0,low,,1,0,0,x,0\n"
    err = read_error(text)
    assert located(err) == {(1, ""), (1, "prior_ltu")}
    assert "column 13 of the header has no name" in str(err)
    assert "column appears twice" in str(err)


def test_duplicates_without_registered_column() -> None:
    columns = BASE.replace("registered,", "")
    row = "ES61,16-24,F,national,0,low,,1,0,0"
    err = read_error(f"{columns}\np1,{row}\np2,{row}\np1,{row}\n")
    assert located(err) == {(4, "person_id")}
    assert "person 'p1' appears twice" in str(err)


def test_problem_list_is_capped_with_a_count() -> None:
    rows = "".join(f"a{i},ES61,,16-24,F,national,0,low,,99,0,0\n" for i in range(80))
    err = read_error(f"{BASE}\n{rows}")
    assert len(err.problems) == MAX_PROBLEMS + 1
    assert err.problems[-1].message == "... and 30 more problems not listed"


def good_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Person_ID": ["a1", "a2"],
            "region": ["ES61", "DE21"],
            "registered": [pd.Timestamp("2024-01-05"), dt.date(2024, 2, 1)],
            "age_band": ["16-24", "55+"],
            "sex": ["F", "M"],
            "origin": ["national", "non_eu"],
            "disability": [False, True],
            "education": ["low", "high"],
            "isco": [None, 2512],
            "months_employed_24m": [12.0, 3.0],
            "prior_spells_5y": [0, 2],
            "prior_ltu": [0, 1],
            "ltu": [True, False],
            "notes": ["x", "y"],
        },
        index=[10, 20],
    )


def test_validate_frame_types_and_index_labels() -> None:
    df = validate_jobseeker_frame(good_frame(), require=("ltu",))
    assert df.index.tolist() == [0, 1]
    assert df["person_id"].tolist() == ["a1", "a2"]
    assert df["registered"].tolist() == ["2024-01-05", "2024-02-01"]
    assert df["isco"].tolist() == ["", "2512"]
    assert df["months_employed_24m"].tolist() == [12, 3]
    assert df["prior_ltu"].tolist() == [False, True]
    assert df["ltu"].dtype == bool
    assert "notes" not in df.columns and df.attrs["ignored_columns"] == ["notes"]

    bad = good_frame()
    bad.loc[20, "months_employed_24m"] = 2.5
    bad.loc[10, "sex"] = None
    bad["prior_spells_5y"] = pd.Series([True, 2], index=[10, 20], dtype=object)  # not 1
    with pytest.raises(JobseekerTableError) as info:
        validate_jobseeker_frame(bad, source="upload")
    err = info.value
    assert located(err) == {(None, "sex"), (None, "prior_spells_5y"), (None, "months_employed_24m")}
    assert str(err).startswith("upload: sex: index 10: empty cell")
    assert "index 20: '2.5' is not a whole number" in str(err)
    assert "index 10: 'true' is not a whole number" in str(err)
    with pytest.raises(JobseekerTableError, match="expected a pandas DataFrame"):
        validate_jobseeker_frame([1, 2])  # type: ignore[arg-type]


def test_module_doc_lists_every_column() -> None:
    doc = jobseekers_module.__doc__ or ""
    rows = dict(re.findall(r"^``(\w+)``\s+(yes|no)\s", doc, flags=re.MULTILINE))
    assert rows == {c.name: "yes" if c.required else "no" for c in COLUMNS}
    for column in COLUMNS:
        for value in column.values:
            assert f"``{value}``" in doc, value


# ---------------------------------------------------------------- fuzzing

cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(column=st.sampled_from([c.name for c in COLUMNS]), text=cell)
def test_fuzz_random_cell_gives_frame_or_clean_error(column: str, text: str) -> None:
    frame = pd.read_csv(io.StringIO(GOOD), dtype=str)
    frame[column] = frame[column].astype(object)
    frame.loc[1, column] = text
    try:
        out = validate_jobseeker_frame(frame)
    except JobseekerTableError as err:  # the problems are about that one cell
        assert {(p.key, p.message[:9]) for p in err.problems} <= {
            (column, "index 1: "),
            ("person_id", "index 1: "),  # a duplicate is reported on person_id
        }, err
    else:
        assert len(out) == 3
    # as a file: a lone CR or a quote may also break the row; still a clean error
    try:
        out = read_jobseeker_table(io.StringIO(frame.to_csv(index=False)))
    except JobseekerTableError as err:
        assert err.problems
    else:
        assert len(out) == 3


@st.composite
def good_rows(draw: st.DrawFn) -> list[dict[str, object]]:
    n = draw(st.integers(1, 6))
    rows = []
    for i in range(n):
        day = draw(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)))
        rows.append(
            {
                "person_id": f"p{i}",
                "region": draw(st.sampled_from(["ES61", "DE21", "PL91", "IE06", "FRK2"])),
                "registered": day.isoformat(),
                "age_band": draw(st.sampled_from(AGE_BANDS)),
                "sex": draw(st.sampled_from(SEXES)),
                "origin": draw(st.sampled_from(ORIGINS)),
                "disability": draw(st.booleans()),
                "education": draw(st.sampled_from(EDUCATION_LEVELS)),
                "isco": draw(st.sampled_from(["", "0", "25", "251", "2512", "9629"])),
                "months_employed_24m": draw(st.integers(0, 24)),
                "prior_spells_5y": draw(st.integers(0, 60)),
                "prior_ltu": draw(st.booleans()),
                "own_transport": draw(st.booleans()),
                "ltu": draw(st.booleans()),
                "programme_domain": draw(st.text(st.characters(categories=("L", "N")), max_size=8)),
            }
        )
    return rows


@settings(max_examples=40, deadline=None)
@given(rows=good_rows(), sep=st.sampled_from([",", ";", "\t"]))
def test_fuzz_good_rows_round_trip(rows: list[dict[str, object]], sep: str) -> None:
    original = pd.DataFrame(rows)
    text = original.to_csv(index=False, sep=sep)
    back = read_jobseeker_table(io.BytesIO(text.encode("utf-8")), require=("ltu",))
    again = validate_jobseeker_frame(original)
    for df in (back, again):
        assert df[original.columns].astype(object).values.tolist() == [
            list(r.values()) for r in rows
        ]
