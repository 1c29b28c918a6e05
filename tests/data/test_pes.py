"""Tests for the PES table reader, validator and ISCO roll-up."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from workbench.data.pes import (
    MAX_PROBLEMS,
    PesTableError,
    aggregate_isco,
    read_pes_table,
    validate_pes_frame,
)
from workbench.exceptions import InvalidInput

HEADER = "region,period,isco,jobseekers,vacancies,long_term_jobseekers,synthetic,note"
GOOD = (
    f"{HEADER}\n"
    "ES61,2015,2654,120,30,45,true,first\n"
    "ES61,2015-Q2,2654,7,0,,false,\n"
    "DE21,2015-03,9,0,12,0,1,x\n"
    "EL30,2014,11,5,5,5,0,\n"
)


def located(err: PesTableError) -> set[tuple[int | None, str]]:
    """The (line, column) pairs the error names."""
    return {(p.line, p.key) for p in err.problems}


def check_good(df: pd.DataFrame) -> None:
    assert list(df.columns) == [
        "region", "period", "isco", "jobseekers", "vacancies",
        "long_term_jobseekers", "synthetic", "note",
    ]  # fmt: skip
    assert df["region"].tolist() == ["ES61", "ES61", "DE21", "EL30"]
    assert df["period"].tolist() == ["2015", "2015-Q2", "2015-03", "2014"]
    assert df["isco"].tolist() == ["2654", "2654", "9", "11"]
    assert df["jobseekers"].tolist() == [120, 7, 0, 5]
    assert df["vacancies"].tolist() == [30, 0, 12, 5]
    assert df["long_term_jobseekers"].tolist()[0] == 45
    assert df["long_term_jobseekers"].isna().tolist() == [False, True, False, False]
    assert df["synthetic"].tolist() == [True, False, True, False]
    assert df["note"].tolist() == ["first", "", "x", ""]
    assert str(df["jobseekers"].dtype) == "int64"
    assert str(df["long_term_jobseekers"].dtype) == "Int64"


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "pes.csv"
    path.write_text(GOOD, encoding="utf-8")
    check_good(read_pes_table(path))
    check_good(read_pes_table(str(path)))
    check_good(read_pes_table(io.StringIO(GOOD)))
    check_good(read_pes_table(io.StringIO("\ufeff" + GOOD)))


def test_csv_gz_semicolons_bom_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "pes.csv.gz"
    path.write_bytes(gzip.compress(GOOD.encode("utf-8")))
    check_good(read_pes_table(path))
    text = "\ufeff\n" + GOOD.replace(",", ";").replace("\n", "\r\n", 2) + "\n;;;;;;;\n"
    check_good(read_pes_table(io.BytesIO(text.encode("utf-8"))))


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "PES") -> None:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.create_sheet("other").append(["nothing", "here"])
    book.save(path)


def test_xlsx_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "pes.xlsx"
    header = HEADER.split(",")
    write_xlsx(
        path,
        [
            header,
            ["ES61", 2015, "2654", 120, 30.0, 45, True, "first"],
            ["ES61", "2015-Q2", "2654", 7, 0, None, False, None],
            ["DE21", "2015-03", 9, 0, 12, 0, 1, "x"],
            ["EL30", "2014", "11", "5", 5, 5, "0", None],
        ],
    )
    check_good(read_pes_table(path))
    check_good(read_pes_table(path, sheet="PES"))
    with path.open("rb") as fh:
        check_good(read_pes_table(fh))


def test_many_bad_rows_reported_at_once_with_line_and_column() -> None:
    text = (
        "Region,Period,ISCO,Jobseekers,Vacancies,long_term_jobseekers\n"  # line 1
        "ES61,2015,2654,10,3,2\n"  # 2 ok
        "es61,2015,2654,10,3,2\n"  # 3 region
        "ES61,2015-Q5,26a,-1,x,\n"  # 4 period, isco, negative, non-integer
        "\n"  # 5 blank
        "UK11,2015,2655,1.5,,\n"  # 6 region, non-integer, empty
        "ES61,2015,2654,10,3,1\n"  # 7 duplicate of line 2
        "ES62,2015,2654,4,3,5\n"  # 8 long-term > jobseekers
        "ES62,2015,2654\n"  # 9 short row: no cells, also duplicate of line 8
        "ES63,2015,2654,1,1,0,surplus\n"  # 10 too many cells
        "ES63,2015,12345,1,1,\n"  # 11 isco too long
    )
    with pytest.raises(PesTableError) as info:
        read_pes_table(io.StringIO(text))
    err = info.value
    assert isinstance(err, InvalidInput)
    assert isinstance(err, ValueError)
    expected = {
        (3, "region"),
        (4, "period"),
        (4, "isco"),
        (4, "jobseekers"),
        (4, "vacancies"),
        (6, "region"),
        (6, "jobseekers"),
        (6, "vacancies"),
        (7, "region, period, isco"),
        (8, "long_term_jobseekers"),
        (9, "jobseekers"),
        (9, "vacancies"),
        (9, "region, period, isco"),
        (10, ""),
        (11, "isco"),
    }
    assert located(err) == expected
    messages = {(p.line, p.key): p.message for p in err.problems}
    assert "negative" in messages[(4, "jobseekers")]
    assert "not a whole number" in messages[(6, "jobseekers")]
    assert messages[(6, "vacancies")] == "empty cell"
    assert "line 2" in messages[(7, "region, period, isco")]
    assert "more than the 4 jobseekers" in messages[(8, "long_term_jobseekers")]
    assert "<stream>:4: period:" in str(err)
    assert [p.line for p in err.problems] == sorted(p.line or 0 for p in err.problems)


def test_missing_columns_and_empty_tables() -> None:
    with pytest.raises(PesTableError) as info:
        read_pes_table(io.StringIO("region,period,isco,jobs\nES61,2015,1,2\n"))
    assert located(info.value) == {(1, "jobseekers"), (1, "vacancies")}
    assert "columns found: region, period, isco, jobs" in str(info.value)
    for text in ("", "\n\n", f"{HEADER}\n"):
        with pytest.raises(PesTableError):
            read_pes_table(io.StringIO(text))


def test_header_problems() -> None:
    text = "region,period,isco,jobseekers,vacancies,Jobseekers,\nES61,2015,1,2,3,4,5\n"
    with pytest.raises(PesTableError) as info:
        read_pes_table(io.StringIO(text))
    assert located(info.value) == {(1, "jobseekers"), (1, "")}


def test_problem_list_is_capped_with_a_count() -> None:
    rows = "".join(f"ES61,2015,{1000 + i},-1,0\n" for i in range(MAX_PROBLEMS + 7))
    with pytest.raises(PesTableError) as info:
        read_pes_table(io.StringIO("region,period,isco,jobseekers,vacancies\n" + rows))
    problems = info.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[0].line == 2
    assert "7 more problems" in problems[-1].message


def test_xlsx_errors_name_sheet_rows(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    write_xlsx(
        path,
        [
            [None],
            ["region", "period", "isco", "jobseekers", "vacancies"],  # sheet row 2
            ["ES61", 2015, "2654", 1, 1],
            [None, None],  # row 4 blank
            ["ES61", 2015, "2654", 2.5, -3],  # row 5
        ],
    )
    with pytest.raises(PesTableError) as info:
        read_pes_table(path)
    assert located(info.value) == {(5, "jobseekers"), (5, "vacancies"), (5, "region, period, isco")}
    assert f"{path}[PES]:5" in str(info.value)
    with pytest.raises(PesTableError, match="no sheet 'nope'"):
        read_pes_table(path, sheet="nope")


def test_unreadable_inputs_raise_the_clean_error(tmp_path: Path) -> None:
    cases = [
        io.BytesIO(b"PK\x03\x04 not really a zip"),
        io.BytesIO(b"\x1f\x8b\x08\x00broken"),
        io.BytesIO(b"\xd0\xcf\x11\xe0old excel"),
        io.BytesIO(b"region,period\n\xff\xfe\n"),
        tmp_path / "missing.csv",
    ]
    for source in cases:
        with pytest.raises(PesTableError):
            read_pes_table(source)
    with pytest.raises(PesTableError, match=r"<stream>:2: not UTF-8"):
        read_pes_table(io.BytesIO(b"region,period\n\xff\xfe\n"))
    with pytest.raises(PesTableError, match="CSV, not XLSX"):
        read_pes_table(io.StringIO(GOOD), sheet="PES")


def test_validate_frame_names_index_labels() -> None:
    frame = pd.DataFrame(
        {
            "region": ["ES61", "ES61", "XX11"],
            "period": ["2015", "2015", 2015],
            "isco": ["2654", "2654", "1"],
            "jobseekers": [1, 2, None],
            "vacancies": [0.0, 1.5, 3],
        },
        index=["a", "b", "c"],
    )
    with pytest.raises(PesTableError) as info:
        validate_pes_frame(frame, source="my frame")
    messages = [str(p) for p in info.value.problems]
    assert any(m.startswith("my frame: vacancies: index 'b':") for m in messages)
    assert any("index 'b': duplicate of the row at index 'a'" in m for m in messages)
    assert any(m.startswith("my frame: region: index 'c':") for m in messages)
    assert any(m.startswith("my frame: jobseekers: index 'c': empty cell") for m in messages)
    assert all(p.line is None for p in info.value.problems)

    ok = validate_pes_frame(frame.iloc[[0, 2]].assign(region="ES61", jobseekers=4))
    assert ok["period"].tolist() == ["2015", "2015"]
    assert ok["vacancies"].tolist() == [0, 3]
    assert ok.index.tolist() == [0, 1]


ROWS = [
    # region, period, isco, jobseekers, vacancies, long_term, synthetic
    ("ES61", "2015", "2654", 10, 1, 4, False),
    ("ES61", "2015", "2651", 5, 2, 1, False),
    ("ES61", "2015", "2512", 7, 9, 0, True),
    ("ES61", "2015", "9112", 20, 0, 15, False),
    ("ES61", "2016", "2654", 3, 3, None, False),
    ("DE21", "2015", "2654", 1, 6, 1, False),
]


def small_frame() -> pd.DataFrame:
    cols = ["region", "period", "isco", "jobseekers", "vacancies", "long_term_jobseekers"]
    frame = pd.DataFrame([r[:6] for r in ROWS], columns=cols)
    frame["synthetic"] = [r[6] for r in ROWS]
    frame["comment"] = "dropped"
    return frame


def test_aggregate_isco_sums_by_hand() -> None:
    one = aggregate_isco(small_frame(), 1)
    assert one.columns.tolist() == [
        "region", "period", "isco", "jobseekers", "vacancies", "long_term_jobseekers", "synthetic",
    ]  # fmt: skip
    got = {(r.region, r.period, r.isco): r for r in one.itertuples()}
    assert set(got) == {
        ("DE21", "2015", "2"),
        ("ES61", "2015", "2"),
        ("ES61", "2015", "9"),
        ("ES61", "2016", "2"),
    }
    es2 = got[("ES61", "2015", "2")]
    assert (es2.jobseekers, es2.vacancies, es2.long_term_jobseekers) == (10 + 5 + 7, 1 + 2 + 9, 5)
    assert es2.synthetic is True or es2.synthetic == True  # noqa: E712 - numpy bool
    assert got[("ES61", "2015", "9")].jobseekers == 20
    assert pd.isna(got[("ES61", "2016", "2")].long_term_jobseekers)

    three = aggregate_isco(small_frame(), 3)
    es = three[(three["region"] == "ES61") & (three["period"] == "2015")].set_index("isco")
    assert es["jobseekers"].to_dict() == {"251": 7, "265": 15, "911": 20}
    assert es["vacancies"].to_dict() == {"251": 9, "265": 3, "911": 0}
    assert not bool(es.loc["265", "synthetic"])
    assert len(aggregate_isco(small_frame(), 4)) == len(ROWS)


def test_aggregate_isco_refuses_mixed_or_short_codes() -> None:
    extra = {"region": "ES61", "period": "2015", "isco": "26", "jobseekers": 9, "vacancies": 9}
    extra |= {"long_term_jobseekers": 0, "synthetic": False}
    mixed = pd.concat([small_frame(), pd.DataFrame([extra])], ignore_index=True)
    with pytest.raises(PesTableError, match=r"group 2 mixes ISCO levels \(2512, 26, 2651, 2654\)"):
        aggregate_isco(mixed, 1)
    with pytest.raises(PesTableError, match="group 26 mixes"):
        aggregate_isco(mixed, 2)
    with pytest.raises(PesTableError, match="too short to roll up to 3"):
        aggregate_isco(mixed, 3)
    with pytest.raises(ValueError, match="1, 2, 3 or 4"):
        aggregate_isco(small_frame(), 5)


CELLS = st.sampled_from(
    ["ES61", "DE21", "UK11", "es61", "2015", "2015-Q3", "2015-13", "2654", "1", "12345",
     "0", "7", "-3", "1.0", "2.5", "", " ", "true", "no", '"a,b"', "x"]
)  # fmt: skip
NAMES = st.sampled_from(
    ["region", "period", "isco", "jobseekers", "vacancies", "long_term_jobseekers",
     "synthetic", "Region", "note", ""]
)  # fmt: skip


@st.composite
def good_row(draw: st.DrawFn) -> list[str]:
    jobseekers = draw(st.integers(0, 10**6))
    return [
        draw(st.sampled_from(["ES61", "DE21", "EL30", "FI1B"])),
        draw(st.sampled_from(["2015", "2016-Q1", "2016-12"])),
        str(draw(st.integers(1000, 9999))),
        str(jobseekers),
        str(draw(st.integers(0, 10**6))),
        str(draw(st.integers(0, jobseekers))),
    ]


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    """Valid tables, valid headers with broken rows, or random headers and rows."""
    mode = draw(st.sampled_from(["valid", "broken rows", "random"]))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    standard = HEADER.split(",")[:6]
    bad_row = st.lists(CELLS | st.text(max_size=6), max_size=9)
    if mode == "valid":
        header = standard
        key = lambda r: tuple(r[:3])  # noqa: E731
        rows = draw(st.lists(good_row(), min_size=1, max_size=6, unique_by=key))
    elif mode == "broken rows":
        header = standard
        rows = draw(st.lists(good_row() | bad_row, max_size=6))
    else:
        header = draw(st.lists(NAMES, max_size=8))
        rows = draw(st.lists(bad_row, max_size=6))
    lines = [sep.join(header), *(sep.join(r) for r in rows)]
    noise = draw(st.sampled_from(["", "\n", "\r\n", '"', "\x00", "\ufeff"]))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines) + noise


def check_read(text: str) -> None:
    try:
        df = read_pes_table(io.StringIO(text))
    except PesTableError as err:
        assert err.problems
        assert all(p.source == "<stream>" for p in err.problems)
        return
    assert len(df) > 0
    assert (df["jobseekers"] >= 0).all() and (df["vacancies"] >= 0).all()
    assert not df.duplicated(["region", "period", "isco"]).any()


@settings(max_examples=200, deadline=None)
@given(csv_texts())
def test_fuzz_structured_csv_gives_frame_or_clean_error(text: str) -> None:
    check_read(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_random_text_gives_frame_or_clean_error(text: str) -> None:
    check_read(text)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(good_row(), min_size=1, max_size=8, unique_by=lambda r: tuple(r[:3])),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_fuzz_valid_tables_round_trip(rows: list[list[str]], sep: str, newline: str) -> None:
    header = HEADER.split(",")[:6]
    text = newline.join(sep.join(r) for r in [header, *rows]) + newline
    df = read_pes_table(io.StringIO(text))
    assert df.columns.tolist() == header
    got = df.astype(str).to_numpy().tolist()
    assert got == rows
