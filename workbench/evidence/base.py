"""Read and validate an ALMP evidence table; the packaged base and its content hash.

An evidence table has the columns of :data:`workbench.evidence.schema.COLUMNS` (names are
matched case-insensitively after trimming spaces; order does not matter; optional columns
may be left out, unknown ones are an error). Files: CSV (UTF-8, a BOM is tolerated; the
separator is ``,``, or ``;`` / tab when the header has no comma) or XLSX (the first sheet
unless one is named). The first non-empty row is the header; blank rows are skipped.

Every cell and row rule is checked (allowed values, numbers, years, ISO-like country codes,
``se >= 0``, ``0 <= p_value <= 1``, ``ci_low <= estimate <= ci_high``, ``period_start <=
period_end``, a unit only with an estimate, a currency for currency units, a context source
that matches the context, a significance that matches the direction, unique ids, and per
kind: estimates cite a ``source_url`` and ``quote``, findings a ``citation``, synthetic rows
say SYNTHETIC in ``notes`` and have no ``source_url``). An estimate without a unit is
allowed: such a row still counts in a vote count. All problems (up to
:data:`MAX_PROBLEMS`, then a count of the rest) are raised together in one
:class:`EvidenceError`, each with its row as the user sees it: the CSV line (header = line
1 when it is the first line), the XLSX sheet row, or the index label for frames built in
code. Nothing partial is returned.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from workbench.data.tables import (
    ProblemList,
    RawTable,
    cell_text,
    header_names,
    raw_from_frame,
    read_raw,
    table_error,
)
from workbench.evidence.schema import (
    COLUMN_NAMES,
    COLUMNS,
    CURRENCY_UNITS,
    DTYPES,
    MULTI_COUNTRY,
    REQUIRED_COLUMNS,
    Column,
)
from workbench.exceptions import InvalidInput

__all__ = [
    "EVIDENCE_PATH",
    "MAX_PROBLEMS",
    "EvidenceError",
    "canonical_csv",
    "evidence_hash",
    "packaged_evidence",
    "read_evidence",
    "validate_evidence",
]

#: At most this many problems are listed; the rest are counted.
MAX_PROBLEMS = 50
#: Where the curated base lives under a workspace or skeleton root.
EVIDENCE_PATH = Path("shared_models/almp_effectiveness/evidence/estimates.csv")

_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_YEAR_RE = re.compile(r"[0-9]{4}")
_COUNTRY_RE = re.compile(r"[A-Z]{2}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_ID_RE = re.compile(r"[A-Za-z0-9_.\-]+")
#: Codes that look like ISO 3166 alpha-2 but are Eurostat's: the ISO code to use instead.
_NOT_ISO = {"EL": "GR", "UK": "GB"}
_YEAR_RANGE = (1900, 2100)


class EvidenceError(InvalidInput, ValueError):
    """An evidence table failed validation; ``problems`` lists every bad row and field."""


def _fail(source: str, message: str, line: int | None = None, key: str = "") -> InvalidInput:
    return table_error(EvidenceError, source, message, line, key)


def _rank(col: str) -> int:
    """A column's place in the schema (problems are listed in that order)."""
    return COLUMN_NAMES.index(col) if col in COLUMN_NAMES else len(COLUMN_NAMES)


def read_evidence(source: str | Path | IO[Any], sheet: str | None = None) -> pd.DataFrame:
    """Read and validate an evidence table from CSV or XLSX (a path or an open file).

    The format is recognised from the content (zip = XLSX, else UTF-8 CSV text). ``sheet``
    names the XLSX sheet (default: the first). Returns the frame of
    :func:`validate_evidence`.

    Raises:
        EvidenceError: every problem found, each with its line/row and column.
    """
    raw = read_raw(source, sheet, error=EvidenceError, expected=REQUIRED_COLUMNS, strict_csv=True)
    return _validated(raw)


def validate_evidence(df: pd.DataFrame, source: str = "<frame>") -> pd.DataFrame:
    """Validate an evidence table built in code; return a clean typed copy.

    Cells are read as their text (numbers as their shortest round-trip form). The result
    has every column of :data:`~workbench.evidence.schema.COLUMN_NAMES` in that order with
    the dtypes of :data:`~workbench.evidence.schema.DTYPES`, and a fresh 0..n-1 index.

    Raises:
        EvidenceError: every problem, each naming the row's index label and the column.
    """
    if not isinstance(df, pd.DataFrame):
        raise _fail(source, f"expected a pandas DataFrame, got {type(df).__name__}")
    return _validated(raw_from_frame(df, source))


# ---------------------------------------------------------------- validation


def _header(raw: RawTable, problems: ProblemList) -> list[str]:
    """Normalised column names; records problems with the header itself."""
    names = header_names(raw)
    seen: set[str] = set()
    for i, col in enumerate(names):
        if not col:
            problems.add(
                -1, _rank(""), "", f"column {i + 1} of the header has no name", raw.header_line
            )
        elif col in seen:
            problems.add(-1, _rank(col), col, "column appears twice in the header", raw.header_line)
        elif col not in _BY_NAME:
            problems.add(
                -1,
                _rank(col),
                col,
                f"unknown column {raw.header[i].strip()!r} (allowed: {', '.join(COLUMN_NAMES)})",
                raw.header_line,
            )
        seen.add(col)
    found = ", ".join(n for n in names if n) or "none"
    for col in REQUIRED_COLUMNS:
        if col not in seen:
            problems.add(
                -1,
                _rank(col),
                col,
                f"missing required column (columns found: {found})",
                raw.header_line,
            )
    return names


def _parse_cell(col: Column, text: str) -> tuple[object, str | None]:
    """The typed value of one non-empty cell, or an error message."""
    if col.kind == "enum" or col.kind == "bool":
        value = text.lower()
        if value in col.allowed:
            return (value == "true" if col.kind == "bool" else value), None
        return None, f"{text!r} is not allowed: use one of {', '.join(col.allowed)}"
    if col.kind == "number":
        if not _NUMBER_RE.fullmatch(text):
            return None, (
                f"{text!r} is not a number (digits with '.' as decimal point, no thousands "
                "separator)"
            )
        value = float(text)
        if not math.isfinite(value):
            return None, f"{text!r} is too large to be a number"
        return value, None
    if col.kind == "year":
        if not _YEAR_RE.fullmatch(text) or not _YEAR_RANGE[0] <= int(text) <= _YEAR_RANGE[1]:
            return None, f"{text!r} is not a year ({_YEAR_RANGE[0]}-{_YEAR_RANGE[1]})"
        return int(text), None
    return text, None


def _empty_value(col: Column) -> object:
    return {"number": math.nan, "year": None, "bool": False}.get(col.kind, "")


def _row_rules(v: dict[str, Any], add: Callable[[str, str], None]) -> None:
    """Rules between the cells of one row; ``v`` holds typed values (None = bad cell)."""
    _id = v.get("id")
    if _id and not _ID_RE.fullmatch(_id):
        add("id", f"{_id!r}: use letters, digits, '_', '.' or '-' only")
    country = v.get("country")
    if country and country != MULTI_COUNTRY:
        if country in _NOT_ISO:
            add("country", f"{country!r} is Eurostat's code: the ISO code is {_NOT_ISO[country]}")
        elif not _COUNTRY_RE.fullmatch(country):
            add("country", f"{country!r} is not an ISO 3166 alpha-2 code (e.g. DE) or 'multi'")
    _number_rules(v, add)
    _coding_rules(v, add)
    _kind_rules(v, add)


def _given(v: dict[str, Any], col: str) -> bool:
    value = v.get(col)
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _number_rules(v: dict[str, Any], add: Callable[[str, str], None]) -> None:
    no_estimate = v["estimate_text"] == ""
    if v.get("unit") and no_estimate:
        add("unit", f"unit {v['unit']!r} given without an estimate")
    for col in ("se", "ci_low", "ci_high", "p_value"):
        if v[f"{col}_text"] and no_estimate:
            add(col, f"{col} given without an estimate")
    if _given(v, "se") and v["se"] < 0:
        add("se", f"standard error {v['se_text']} is negative")
    if _given(v, "p_value") and not 0 <= v["p_value"] <= 1:
        add("p_value", f"p-value {v['p_value_text']} is not between 0 and 1")
    if v["ci_low_text"] and not v["ci_high_text"]:
        add("ci_high", "ci_low given without ci_high")
    if v["ci_high_text"] and not v["ci_low_text"]:
        add("ci_low", "ci_high given without ci_low")
    if _given(v, "ci_low") and _given(v, "ci_high"):
        if v["ci_low"] > v["ci_high"]:
            add("ci_low", f"ci_low {v['ci_low_text']} is above ci_high {v['ci_high_text']}")
        elif _given(v, "estimate") and not v["ci_low"] <= v["estimate"] <= v["ci_high"]:
            add(
                "estimate",
                f"estimate {v['estimate_text']} is outside its confidence interval "
                f"[{v['ci_low_text']}, {v['ci_high_text']}]",
            )
    start, end = v.get("period_start"), v.get("period_end")
    if start is not None and end is not None and start > end:
        add("period_start", f"period_start {start} is after period_end {end}")
    unit, currency = v.get("unit"), v.get("currency")
    if currency and not _CURRENCY_RE.fullmatch(currency):
        add("currency", f"{currency!r} is not an ISO 4217 code (three capitals, e.g. EUR)")
    if unit in CURRENCY_UNITS and not currency:
        add("currency", f"unit {unit} needs a currency (e.g. EUR, USD)")
    if currency and unit and unit not in CURRENCY_UNITS:
        add("currency", f"currency {currency!r} given with the non-currency unit {unit}")


def _coding_rules(v: dict[str, Any], add: Callable[[str, str], None]) -> None:
    context, context_source = v.get("unemployment_context"), v.get("context_source")
    if context and context_source and (context == "unknown") != (context_source == "unknown"):
        add(
            "context_source",
            f"context_source {context_source!r} does not fit unemployment_context "
            f"{context!r}: use 'unknown' for both, or 'stated'/'derived' with high/low",
        )
    significance, direction = v.get("significance"), v.get("direction")
    wanted = {"positive_significant": "positive", "negative_significant": "negative"}
    if significance in wanted and direction and direction != wanted[significance]:
        add("direction", f"direction {direction!r} contradicts significance {significance!r}")


def _kind_rules(v: dict[str, Any], add: Callable[[str, str], None]) -> None:
    kind, url = v.get("kind"), v.get("source_url") or ""
    if url and not url.startswith(("http://", "https://")):
        add("source_url", f"{url!r} is not an http(s) address")
    if kind == "estimate":
        for col in ("source_url", "quote"):
            if v.get(col) == "":
                add(col, f"an estimate row must give its {col}")
    elif kind == "finding" and v.get("citation") == "":
        add("citation", "a finding row must give its citation")
    elif kind == "synthetic":
        if "SYNTHETIC" not in (v.get("notes") or ""):
            add("notes", "a synthetic row must say SYNTHETIC in its notes")
        if url:
            add("source_url", "a synthetic row has no source_url")
    source_type = v.get("source_type")
    if kind and source_type and (kind == "synthetic") != (source_type == "synthetic"):
        add("source_type", f"source_type {source_type!r} does not fit kind {kind!r}")


def _validated(raw: RawTable) -> pd.DataFrame:
    problems = ProblemList(raw.source, EvidenceError, MAX_PROBLEMS)
    names = _header(raw, problems)
    width = len(names)
    present = [n for n in COLUMN_NAMES if n in names]
    position = {n: names.index(n) for n in present}
    columns: dict[str, list[object]] = {n: [] for n in COLUMN_NAMES}
    first_line_of: dict[str, str] = {}
    for i, row in enumerate(raw.rows):
        line, label = raw.lines[i], raw.labels[i]

        def add(col: str, message: str, i: int = i, line: int | None = line) -> None:
            problems.add(i, _rank(col), col, raw.labels[i] + message, line)

        if len(row) > width and any(c is not None and c.strip() for c in row[width:]):
            add("", f"row has {len(row)} cells, the header has {width} columns")
        values: dict[str, Any] = {}
        for name in COLUMN_NAMES:
            col = _BY_NAME[name]
            cell = row[position[name]] if name in position and position[name] < len(row) else None
            text = (cell or "").strip()
            values[f"{name}_text"] = text
            if not text:
                if col.nonempty and name in position:
                    add(name, "empty cell")
                values[name] = "" if col.kind in ("text", "enum") else None
                columns[name].append(_empty_value(col))
                continue
            value, message = _parse_cell(col, text)
            if message:
                add(name, message)
            values[name] = value
            columns[name].append(value if message is None else _empty_value(col))
        _row_rules(values, add)
        _id = values.get("id")
        if _id:
            if _id in first_line_of:
                where = first_line_of[_id]
                add("id", f"duplicate id {_id!r} (first at {where})")
            else:
                first_line_of[_id] = f"line {line}" if line is not None else label.rstrip(": ")
    problems.raise_if_any()
    return _frame(columns)


def _frame(columns: dict[str, list[object]]) -> pd.DataFrame:
    out: dict[str, pd.Series] = {}
    for name in COLUMN_NAMES:
        dtype = DTYPES[name]
        values = columns[name]
        if dtype == "Int64":
            out[name] = pd.Series(values, dtype="Int64")
        elif dtype == "float64":
            out[name] = pd.Series(values, dtype="float64")
        elif dtype == "bool":
            out[name] = pd.Series(values, dtype=bool)
        else:
            out[name] = pd.Series(values, dtype="str")
    return pd.DataFrame(out, columns=list(COLUMN_NAMES))


# ---------------------------------------------------------------- packaged base, hash


def packaged_evidence(root: Path) -> pd.DataFrame:
    """Read and validate the curated base under a workspace or skeleton ``root``.

    The file is ``root /`` :data:`EVIDENCE_PATH`.

    Raises:
        EvidenceError: the file is missing or invalid.
    """
    path = Path(root) / EVIDENCE_PATH
    if not path.is_file():
        raise _fail(str(path), f"no evidence base here: expected {EVIDENCE_PATH} under {root}")
    return read_evidence(path)


def _canonical_cell(value: object) -> str:
    text = cell_text(value)
    return "" if text is None else text


def canonical_csv(df: pd.DataFrame) -> str:
    """The canonical CSV text of an evidence table: what :func:`evidence_hash` hashes.

    Columns outside the schema (e.g. the ``reason`` of
    :func:`~workbench.evidence.context.derive_context`) are ignored. The table is validated
    first, then written with every schema column in schema order, rows
    sorted by ``id``, numbers in their shortest round-trip form (``-220.2``, ``435``),
    years as integers, ``secondary`` as ``true``/``false``, empty cells empty, ``\\n`` line
    ends and minimal quoting. The same rows read from CSV, XLSX or built in code give the
    same text.

    Raises:
        EvidenceError: the table is not valid.
    """
    if not isinstance(df, pd.DataFrame):
        raise _fail("<canonical>", f"expected a pandas DataFrame, got {type(df).__name__}")
    frame = validate_evidence(df[[c for c in df.columns if c in COLUMN_NAMES]], "<canonical>")
    frame = frame.sort_values("id", kind="stable")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMN_NAMES)
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([_canonical_cell(v) for v in row])
    return out.getvalue()


def evidence_hash(df: pd.DataFrame) -> str:
    """SHA-256 (hex) of :func:`canonical_csv`: the training-data hash a model card states."""
    return hashlib.sha256(canonical_csv(df).encode("utf-8")).hexdigest()
