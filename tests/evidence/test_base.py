"""Tests for reading and validating evidence tables, the packaged base and its hash."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from workbench.evidence.base import (
    EVIDENCE_PATH,
    MAX_PROBLEMS,
    EvidenceError,
    canonical_csv,
    evidence_hash,
    packaged_evidence,
    read_evidence,
    validate_evidence,
)
from workbench.evidence.schema import COLUMN_NAMES
from workbench.exceptions import InvalidInput

ESTIMATE = {
    "id": "E001",
    "kind": "estimate",
    "study": "Doe, Roe (2001)",
    "citation": "A title. A journal. abstract",
    "programme": "job club",
    "programme_type": "job_search_assistance",
    "target_group": "youth",
    "target_group_text": "youth 18-24",
    "country": "GB",
    "period_start": "2005",
    "period_end": "2006",
    "horizon": "short",
    "outcome": "employment",
    "estimate": "-220.20",
    "unit": "currency_month",
    "currency": "EUR",
    "se": "3.93",
    "ci_low": "-228",
    "ci_high": "-212.5",
    "p_value": "0.001",
    "significance": "negative_significant",
    "direction": "negative",
    "design": "rct",
    "unemployment_context": "unknown",
    "context_source": "unknown",
    "source_url": "https://example.org/paper",
    "quote": "earnings fell by 220.20, a comma, inside",
    "secondary": "false",
    "source_type": "primary_abstract",
    "notes": "",
}
FINDING = {
    **dict.fromkeys(COLUMN_NAMES, ""),
    "id": "F001",
    "kind": "finding",
    "study": "Card, Kluve & Weber (2010)",
    "citation": "Card, Kluve & Weber (2010). Economic Journal.",
    "programme_type": "training",
    "target_group": "general",
    "country": "multi",
    "horizon": "medium",
    "significance": "unknown",
    "direction": "positive",
    "design": "meta_analysis",
    "unemployment_context": "high",
    "context_source": "stated",
    "secondary": "true",
    "source_type": "curated_finding",
}


def csv_text(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    """CSV text of ``rows`` with a header line (line 1), one line per row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(COLUMN_NAMES), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in writer.fieldnames})
    return out.getvalue()


def located(err: EvidenceError) -> set[tuple[int | None, str]]:
    """The (line, column) pairs the error names."""
    return {(p.line, p.key) for p in err.problems}


def check_good(df: pd.DataFrame) -> None:
    assert list(df.columns) == list(COLUMN_NAMES)
    assert df["id"].tolist() == ["E001", "F001"]
    assert df["estimate"].iloc[0] == -220.2
    assert math.isnan(df["estimate"].iloc[1])
    assert df["se"].iloc[0] == 3.93
    assert df["ci_low"].iloc[0] == -228.0
    assert df["p_value"].iloc[0] == 0.001
    assert df["period_start"].iloc[0] == 2005
    assert df["period_start"].isna().tolist() == [False, True]
    assert df["secondary"].tolist() == [False, True]
    assert df["notes"].tolist() == ["", ""]
    assert df["quote"].iloc[0] == "earnings fell by 220.20, a comma, inside"
    assert str(df["estimate"].dtype) == "float64"
    assert str(df["period_start"].dtype) == "Int64"
    assert str(df["secondary"].dtype) == "bool"


def test_csv_good(tmp_path: Path) -> None:
    path = tmp_path / "ev.csv"
    path.write_text(csv_text([ESTIMATE, FINDING]), encoding="utf-8")
    check_good(read_evidence(path))


def test_csv_from_stream_with_bom_and_semicolons() -> None:
    text = csv_text([ESTIMATE, FINDING]).replace(",", ";")
    # semicolon-separated: the quoted commas in `quote` became ';' inside quotes
    df = read_evidence(io.BytesIO(("\ufeff" + text).encode("utf-8")))
    assert df["quote"].iloc[0] == "earnings fell by 220.20; a comma; inside"
    assert df["estimate"].iloc[0] == -220.2


def test_optional_columns_may_be_left_out_and_order_is_free() -> None:
    columns = [
        "kind", "id", "study", "programme_type", "target_group", "country", "horizon",
        "significance", "direction", "design", "unemployment_context", "context_source",
        "secondary", "source_type", "citation",
    ]  # fmt: skip
    df = read_evidence(io.StringIO(csv_text([FINDING], columns)))
    assert list(df.columns) == list(COLUMN_NAMES)
    assert df["quote"].iloc[0] == ""
    assert math.isnan(df["estimate"].iloc[0])


def write_xlsx(path: Path, rows: list[dict[str, str]], numbers: bool = True) -> None:
    book = Workbook()
    ws = book.active
    ws.title = "evidence"
    ws.append(list(COLUMN_NAMES))
    for row in rows:
        cells: list[object] = []
        for col in COLUMN_NAMES:
            value = row.get(col, "")
            if numbers and value and col in ("estimate", "se", "ci_low", "ci_high", "p_value"):
                cells.append(float(value))
            elif numbers and value and col in ("period_start", "period_end"):
                cells.append(int(value))
            elif col == "secondary":
                cells.append(value == "true")
            else:
                cells.append(value or None)
        ws.append(cells)
    book.save(path)


def test_xlsx_good_and_same_hash_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "ev.xlsx"
    write_xlsx(path, [ESTIMATE, FINDING])
    from_xlsx = read_evidence(path)
    check_good(from_xlsx)
    from_csv = read_evidence(io.StringIO(csv_text([ESTIMATE, FINDING])))
    pd.testing.assert_frame_equal(from_xlsx, from_csv)
    assert evidence_hash(from_xlsx) == evidence_hash(from_csv)


def test_xlsx_error_names_the_sheet_row(tmp_path: Path) -> None:
    path = tmp_path / "ev.xlsx"
    write_xlsx(path, [ESTIMATE, {**FINDING, "horizon": "forever"}])
    with pytest.raises(EvidenceError) as info:
        read_evidence(path)
    assert located(info.value) == {(3, "horizon")}
    assert "ev.xlsx[evidence]" in str(info.value)
    with pytest.raises(EvidenceError, match="no sheet 'nope'"):
        read_evidence(path, sheet="nope")


# One bad cell or rule per case: (change to the good estimate row, column named, message part)
CASES = [
    ({"id": ""}, "id", "empty cell"),
    ({"id": "E 1"}, "id", "letters, digits"),
    ({"kind": "paper"}, "kind", "is not allowed"),
    ({"programme_type": "Training courses"}, "programme_type", "is not allowed"),
    ({"target_group": "elderly"}, "target_group", "is not allowed"),
    ({"horizon": "later"}, "horizon", "is not allowed"),
    ({"unit": "euros"}, "unit", "is not allowed"),
    ({"significance": "yes"}, "significance", "is not allowed"),
    ({"secondary": "yes"}, "secondary", "use one of true, false"),
    ({"estimate": "1,599"}, "estimate", "is not a number"),
    ({"se": "abc"}, "se", "is not a number"),
    ({"se": "1e999"}, "se", "too large"),
    ({"p_value": "<0.01"}, "p_value", "is not a number"),
    ({"p_value": "1.5"}, "p_value", "not between 0 and 1"),
    ({"se": "-3.93"}, "se", "negative"),
    ({"ci_low": "-200", "ci_high": "-210"}, "ci_low", "above ci_high"),
    ({"ci_low": "-200", "ci_high": "-100"}, "estimate", "outside its confidence interval"),
    ({"ci_high": ""}, "ci_high", "ci_low given without ci_high"),
    ({"period_start": "2007"}, "period_start", "after period_end"),
    ({"period_end": "20x6"}, "period_end", "is not a year"),
    ({"period_end": "1850"}, "period_end", "is not a year"),
    ({"country": "Germany"}, "country", "ISO 3166"),
    ({"country": "de"}, "country", "ISO 3166"),
    ({"country": "EL"}, "country", "the ISO code is GR"),
    ({"currency": "euro"}, "currency", "ISO 4217"),
    ({"currency": ""}, "currency", "needs a currency"),
    ({"unit": "pp"}, "currency", "non-currency unit"),
    ({"context_source": "stated"}, "context_source", "does not fit"),
    ({"direction": "positive"}, "direction", "contradicts significance"),
    ({"source_url": ""}, "source_url", "must give its source_url"),
    ({"source_url": "www.example.org"}, "source_url", "not an http(s) address"),
    ({"quote": ""}, "quote", "must give its quote"),
    ({"source_type": "synthetic"}, "source_type", "does not fit kind"),
]


@pytest.mark.parametrize(("change", "column", "message"), CASES)
def test_each_error_names_line_and_column(
    change: dict[str, str], column: str, message: str
) -> None:
    text = csv_text([FINDING, {**ESTIMATE, **change}])
    with pytest.raises(EvidenceError) as info:
        read_evidence(io.StringIO(text))
    assert located(info.value) == {(3, column)}
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, InvalidInput)


def test_unit_without_estimate_is_an_error_but_estimate_without_unit_is_not() -> None:
    no_unit = {**ESTIMATE, "unit": "", "currency": ""}
    df = read_evidence(io.StringIO(csv_text([no_unit])))
    assert df["unit"].iloc[0] == ""
    assert df["estimate"].iloc[0] == -220.2
    no_estimate = {**ESTIMATE, "estimate": "", "se": "", "ci_low": "", "ci_high": ""}
    no_estimate["p_value"] = ""
    with pytest.raises(EvidenceError) as info:
        read_evidence(io.StringIO(csv_text([no_estimate])))
    assert located(info.value) == {(2, "unit")}
    assert "without an estimate" in str(info.value)


def test_se_without_estimate_is_an_error() -> None:
    row = {**ESTIMATE, "estimate": "", "unit": "", "currency": "", "ci_low": "", "ci_high": ""}
    with pytest.raises(EvidenceError) as info:
        read_evidence(io.StringIO(csv_text([row])))
    assert located(info.value) == {(2, "se"), (2, "p_value")}


def test_kind_rules_for_findings_and_synthetic_rows() -> None:
    finding = {**FINDING, "citation": ""}
    synthetic = {
        **FINDING,
        "id": "S1",
        "kind": "synthetic",
        "source_type": "synthetic",
        "source_url": "https://example.org",
        "notes": "made up",
    }
    with pytest.raises(EvidenceError) as info:
        read_evidence(io.StringIO(csv_text([finding, synthetic])))
    assert located(info.value) == {(2, "citation"), (3, "source_url"), (3, "notes")}


def test_several_bad_rows_reported_together_and_nothing_returned() -> None:
    rows = [
        ESTIMATE,
        {**FINDING, "horizon": "soon"},
        {**ESTIMATE, "id": "E001", "se": "-1"},
        {**FINDING, "id": "F002", "country": "Europe", "secondary": "maybe"},
    ]
    result = None
    with pytest.raises(EvidenceError) as info:
        result = read_evidence(io.StringIO(csv_text(rows)))
    assert result is None
    assert located(info.value) == {
        (3, "horizon"),
        (4, "id"),
        (4, "se"),
        (5, "country"),
        (5, "secondary"),
    }
    assert "duplicate id 'E001' (first at line 2)" in str(info.value)
    lines = [p.line for p in info.value.problems]
    assert lines == sorted(lines)


def test_line_numbers_count_blank_lines_and_multiline_cells() -> None:
    multiline = {**ESTIMATE, "quote": "first line\nsecond line"}
    text = csv_text([multiline, {**FINDING, "direction": "up"}])
    header, rest = text.split("\n", 1)
    text = f"{header}\n\n{rest}"  # blank line 2: the estimate is on lines 3-4
    with pytest.raises(EvidenceError) as info:
        read_evidence(io.StringIO(text))
    assert located(info.value) == {(5, "direction")}


def test_header_problems() -> None:
    columns = [c for c in COLUMN_NAMES if c not in ("horizon", "design")] + ["colour", "id"]
    text = csv_text([FINDING], columns)
    with pytest.raises(EvidenceError) as info:
        read_evidence(io.StringIO(text))
    found = located(info.value)
    assert {(1, "horizon"), (1, "design"), (1, "colour"), (1, "id")} <= found
    message = str(info.value)
    assert "unknown column 'colour'" in message
    assert "missing required column" in message
    assert "column appears twice" in message


def test_ragged_row_is_reported() -> None:
    text = csv_text([FINDING]).rstrip("\n") + ",extra\n"
    with pytest.raises(EvidenceError) as info:
        read_evidence(io.StringIO(text))
    assert located(info.value) == {(2, "")}
    assert "the header has 30 columns" in str(info.value)


def test_problem_list_is_capped() -> None:
    rows = [{**FINDING, "id": f"F{i}", "horizon": "x", "design": "y"} for i in range(40)]
    with pytest.raises(EvidenceError) as info:
        read_evidence(io.StringIO(csv_text(rows)))
    problems = info.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1].message == f"... and {80 - MAX_PROBLEMS} more problems not listed"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"\xff\xfeid\n", "not UTF-8"),
        (b"\xd0\xcf\x11\xe0rest", "old Excel"),
        (b"PK\x03\x04broken", "not a readable XLSX"),
        (b'id,kind\n"open quote\n', "malformed CSV"),
    ],
)
def test_unreadable_input(data: bytes, message: str) -> None:
    with pytest.raises(EvidenceError, match=message):
        read_evidence(io.BytesIO(data))


def test_missing_file_and_sheet_for_csv(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="cannot read the file"):
        read_evidence(tmp_path / "absent.csv")
    with pytest.raises(EvidenceError, match="file is CSV"):
        read_evidence(io.StringIO(csv_text([FINDING])), sheet="evidence")


def test_validate_frame_names_index_labels() -> None:
    frame = pd.DataFrame([FINDING, {**FINDING, "id": "F002", "horizon": "x"}], index=[10, 11])
    with pytest.raises(EvidenceError) as info:
        validate_evidence(frame)
    assert located(info.value) == {(None, "horizon")}
    assert "index 11:" in str(info.value)
    with pytest.raises(EvidenceError, match="expected a pandas DataFrame"):
        validate_evidence([FINDING])  # type: ignore[arg-type]


def test_hash_is_canonical() -> None:
    df = read_evidence(io.StringIO(csv_text([ESTIMATE, FINDING])))
    text = canonical_csv(df)
    assert text.splitlines()[0] == ",".join(COLUMN_NAMES)
    assert evidence_hash(df) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # row order, index and "as printed" number text do not matter ...
    swapped = read_evidence(io.StringIO(csv_text([FINDING, {**ESTIMATE, "estimate": "-220.2"}])))
    assert evidence_hash(swapped) == evidence_hash(df)
    # ... any value does
    changed = read_evidence(io.StringIO(csv_text([{**ESTIMATE, "se": "3.94"}, FINDING])))
    assert evidence_hash(changed) != evidence_hash(df)
    assert ",-220.2,currency_month,EUR,3.93,-228,-212.5,0.001," in text
    # columns outside the schema (e.g. derive_context's reason) are not part of the data
    assert evidence_hash(df.assign(reason="x")) == evidence_hash(df)


def test_packaged_evidence(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="no evidence base here"):
        packaged_evidence(tmp_path)
    path = tmp_path / EVIDENCE_PATH
    path.parent.mkdir(parents=True)
    path.write_text(csv_text([ESTIMATE, FINDING]), encoding="utf-8")
    check_good(packaged_evidence(tmp_path))


CELLS = st.sampled_from(
    ["", "E1", "F1", "estimate", "finding", "training", "youth", "multi", "DE", "short",
     "unknown", "positive", "rct", "true", "x", "1.5", "-2", "2005", "pp", "EUR", '"a,b"',
     "https://a.b", " ", "é", "1e3"]
)  # fmt: skip


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    columns = draw(st.lists(st.sampled_from([*COLUMN_NAMES, "other"]), min_size=1, max_size=12))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=14), max_size=5))
    lines = [",".join(columns), *(",".join(r) for r in rows)]
    return "\n".join(lines)


@settings(max_examples=150, deadline=None)
@given(st.one_of(csv_texts(), st.text(max_size=200)))
def test_fuzz_gives_a_frame_or_the_clean_error(text: str) -> None:
    try:
        df = read_evidence(io.StringIO(text))
    except EvidenceError as err:
        assert err.problems
        assert all(p.message for p in err.problems)
    else:
        assert list(df.columns) == list(COLUMN_NAMES)
