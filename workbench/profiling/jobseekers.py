"""A PES's jobseeker table: reading and validating it for profiling and pathways.

One row per jobseeker registration (an unemployment spell); the columns are those of
:data:`workbench.profiling.schema.COLUMNS`. Names are matched case-insensitively after
trimming spaces; their order does not matter.

=======================  ========  ==========================================================
column                   required  content
=======================  ========  ==========================================================
``person_id``            yes       the PES's id of the person (at most 128 characters);
                                   pseudonymised on import
``region``               yes       NUTS-2 region of residence, e.g. ``ES61``
``registered``           no        date the spell began, ``YYYY-MM-DD``
``age_band``             yes       ``16-24``, ``25-29``, ``30-54`` or ``55+`` (protected)
``sex``                  yes       ``F``, ``M`` or ``X`` (protected)
``origin``               yes       ``national``, ``eu`` or ``non_eu`` (protected)
``disability``           yes       recognised disability, true/false (protected)
``education``            yes       ISCED 0-2 ``low``, 3-4 ``medium``, 5-8 ``high``
``isco``                 no        ISCO-08 code (1-4 digits) of the last job; empty: none
``months_employed_24m``  yes       months in work during the 24 months before registering
                                   (whole number 0-24)
``prior_spells_5y``      yes       unemployment spells in the 5 years before this one
                                   (whole number 0-60)
``prior_ltu``            yes       an earlier spell lasted 12 months or more, true/false
``own_transport``        no        has own means of transport, true/false
``ltu``                  no        outcome: still unemployed 12 months after registering
``programme``            no        programme taken: ``job_search_assistance``, ``training``,
                                   ``private_sector_subsidy``, ``public_employment``,
                                   ``start_up_support`` or ``none``
``programme_domain``     no        training domain (free text, e.g. ``welding``)
``employed_1m_6m``       no        outcome: in salaried work of at least 1 month within 6
                                   months of the programme's end, true/false
``synthetic``            no        true when the row is made up
=======================  ========  ==========================================================

Cells: true/false columns accept ``true``/``false``, ``1``/``0``, ``yes``/``no`` (any
case); category values are matched case-insensitively (``f`` = ``F``); whole numbers may
be written ``12`` or ``12.0``; a date cell of an XLSX sheet is taken as its date. Required
columns must be filled in every row. In an optional column an empty cell means "not
known" (for ``isco``: no previous job), unless the caller requires it (``require=``, e.g.
``("ltu",)`` to train a model). A person may appear once per ``registered`` date.

Other columns are **not kept** (data minimisation); their names are in
``frame.attrs["ignored_columns"]``.

Typed result, in the order above (present columns only, fresh 0..n-1 index): categories,
``person_id``, ``region``, ``registered`` (``YYYY-MM-DD``) and ``programme_domain`` as
``str`` (``""`` = not known); ``isco`` as ``str`` (``""`` = none); whole numbers as
``int64``; true/false columns as ``bool`` when every cell is filled, else pandas'
nullable ``boolean`` (``<NA>`` = not known); a blank ``synthetic`` cell is false.

Validation reports every problem (up to :data:`MAX_PROBLEMS`, then a count of the rest)
with its row as the user sees it: the file line for CSV (header = line 1 when it is the
first line), the sheet row for XLSX, the index label for frames built in code. Nothing
partial is returned: :class:`JobseekerTableError` carries all problems.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from workbench.classifications import nuts_problem
from workbench.data.tables import (
    ProblemList,
    RawTable,
    cell_text,
    header_names,
    read_raw,
    table_error,
)
from workbench.exceptions import InvalidInput
from workbench.profiling.schema import COLUMNS, Column

__all__ = [
    "MAX_PROBLEMS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "JobseekerTableError",
    "read_jobseeker_table",
    "validate_jobseeker_frame",
]

REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
OPTIONAL_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.required)
#: At most this many problems are listed; the rest are counted.
MAX_PROBLEMS = 50
MAX_ID_LENGTH = 128

_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_INT_RE = r"-?[0-9]{1,15}(?:\.0*)?"
_ISCO_RE = r"[0-9]{1,4}"
_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: 00:00:00)?"
_KEY = ("person_id", "registered")


class JobseekerTableError(InvalidInput, ValueError):
    """A jobseeker table failed validation; ``problems`` lists every bad row and field."""


# ---------------------------------------------------------------- public API


def read_jobseeker_table(
    source: str | Path | IO[Any], sheet: str | None = None, require: Iterable[str] = ()
) -> pd.DataFrame:
    """Read and validate a jobseeker table from CSV, CSV.gz or XLSX (path or open file).

    The format is recognised from the content. ``sheet`` names the XLSX sheet (default:
    the first). ``require`` names optional columns that must be present and filled in
    every row (e.g. ``("ltu",)`` for training). Returns the typed frame described in the
    module docstring.

    Raises:
        JobseekerTableError: every problem found, each with its line/row and column.
        ValueError: ``require`` names a column the schema does not have.
    """
    required = _required(require)
    raw = read_raw(source, sheet, error=JobseekerTableError, expected=required, allow_gzip=True)
    problems = ProblemList(raw.source, JobseekerTableError, MAX_PROBLEMS)
    names = header_names(raw)
    cells = _cells(raw, names, problems)
    where = _Where(raw.lines, raw.labels, raw.header_line, names)
    return _validated(cells, names, where, problems, required, [len(r) for r in raw.rows])


def validate_jobseeker_frame(
    df: pd.DataFrame, source: str = "<frame>", require: Iterable[str] = ()
) -> pd.DataFrame:
    """Validate a jobseeker table built in code; return a clean typed copy.

    Cells are read as a user would write them (``True`` = ``true``, ``3.0`` = ``3``,
    NaN/None = empty); problems name the row's index label. ``require`` as in
    :func:`read_jobseeker_table`.

    Raises:
        JobseekerTableError: every problem found, each naming the index label and column.
        ValueError: ``require`` names a column the schema does not have.
    """
    required = _required(require)
    if not isinstance(df, pd.DataFrame):
        raise table_error(
            JobseekerTableError, source, f"expected a pandas DataFrame, got {type(df).__name__}"
        )
    problems = ProblemList(source, JobseekerTableError, MAX_PROBLEMS)
    names = [str(c).strip().lower() for c in df.columns]
    cells = pd.DataFrame(
        {k: _column_text(df.iloc[:, k]) for k in range(df.shape[1])}, index=range(len(df))
    )
    labels = [f"index {label!r}: " for label in df.index]
    where = _Where([None] * len(df), labels, None, names)
    return _validated(cells, names, where, problems, required, None)


# ---------------------------------------------------------------- reading cells


@dataclass(frozen=True)
class _Where:
    """Where each row came from: file line / sheet row, or an index label."""

    lines: list[int | None]
    labels: list[str]  # "" for files, "index 3: " for frames
    header_line: int | None
    header_names: list[str]

    def at(self, pos: int) -> str:
        line = self.lines[pos]
        return f"line {line}" if line is not None else self.labels[pos].removesuffix(": ")


def _required(require: Iterable[str]) -> tuple[str, ...]:
    if isinstance(require, str):
        require = (require,)
    extra = tuple(dict.fromkeys(str(c).strip().lower() for c in require))
    unknown = [c for c in extra if c not in _BY_NAME]
    if unknown:
        raise ValueError(
            f"require names unknown columns {unknown}; the jobseeker table has "
            + ", ".join(_BY_NAME)
        )
    return (*REQUIRED_COLUMNS, *(c for c in extra if c not in REQUIRED_COLUMNS))


def _column_text(values: pd.Series) -> pd.Series:
    """Cells of one frame column as text (``str`` dtype, missing = empty)."""
    values = values.reset_index(drop=True)
    if isinstance(values.dtype, pd.StringDtype) or (
        values.dtype == object
        and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    ):
        return values.astype("str")
    if values.dtype == object:  # mixed types: True == 1 == 1.0 must not share a text
        return pd.Series([cell_text(v) for v in values], dtype="str")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # each distinct value once
    texts = np.array([cell_text(v) for v in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], dtype="str")


def _cells(raw: RawTable, names: list[str], problems: ProblemList) -> pd.DataFrame:
    """File rows cut or padded to the header's width (``None`` = no cell); reports rows
    with values beyond the last column."""
    width = len(names)
    fixed: list[list[str | None]] = []
    for i, row in enumerate(raw.rows):
        if any(c is not None and c.strip() for c in row[width:]):
            message = f"row has {len(row)} cells, the header has {width} columns"
            problems.add(i, -1, "", raw.labels[i] + message, raw.lines[i])
        fixed.append([*row[:width], *([None] * (width - len(row)))])
    return pd.DataFrame(fixed, columns=range(width), dtype=object)


def _header(
    names: list[str], where: _Where, problems: ProblemList, required: tuple[str, ...]
) -> dict[str, int]:
    """Position of each schema column; records problems with the header itself."""
    seen: dict[str, int] = {}
    for i, col in enumerate(names):
        if not col:
            message = f"column {i + 1} of the header has no name"
            problems.add(-1, i, "", message, where.header_line)
            continue
        if col in seen:
            problems.add(-1, i, col, "column appears twice in the header", where.header_line)
        seen.setdefault(col, i)
    present = ", ".join(n for n in names if n) or "none"
    for col in required:
        if col not in seen:
            what = "required" if col in REQUIRED_COLUMNS else "needed here"
            message = f"missing column, {what} (columns found: {present})"
            problems.add(-1, 999, col, message, where.header_line)
    return {c: seen[c] for c in _BY_NAME if c in seen}


# ---------------------------------------------------------------- checks


@dataclass
class _Check:
    """State shared by the column checks of one table."""

    where: _Where
    problems: ProblemList
    rank: dict[str, int]
    text: dict[str, pd.Series]  # stripped text, "" when blank
    blank: dict[str, pd.Series]

    def report(self, mask: pd.Series | np.ndarray, col: str, say: Callable[[int], str]) -> None:
        """One problem for each row where ``mask`` is true; ``say(pos)`` says what."""
        for pos in np.flatnonzero(np.asarray(mask, dtype=bool)):
            p = int(pos)
            message = self.where.labels[p] + say(p)
            self.problems.add(p, self.rank.get(col, 0), col, message, self.where.lines[p])


def _check_blanks(chk: _Check, required: tuple[str, ...], widths: list[int] | None) -> None:
    """Required columns must be filled; a file row may also be too short to reach them."""
    width = len(chk.where.header_names)
    for col in required:
        if col not in chk.text:
            continue
        empty = chk.blank[col].to_numpy()
        short = np.zeros(len(empty), dtype=bool)
        if widths is not None:
            short = empty & (np.asarray(widths, dtype=int) <= chk.rank[col])
            chk.report(
                short, col, lambda p: f"no cell: the row has only {widths[p]} of {width} columns"
            )
        chk.report(empty & ~short, col, lambda _p: "empty cell")


def _check_column(chk: _Check, column: Column) -> None:
    col, s = column.name, chk.text[column.name]
    filled = ~chk.blank[col]
    kind = column.kind
    if kind == "id":
        chk.report(
            filled & s.str.len().gt(MAX_ID_LENGTH),
            col,
            lambda p: f"id of {len(s.iat[p])} characters: at most {MAX_ID_LENGTH}",
        )
    elif kind == "nuts":
        reasons = {code: _region_problem(code) for code in s[filled].unique()}
        bad = filled & s.isin([c for c, r in reasons.items() if r is not None])
        chk.report(bad, col, lambda p: str(reasons[s.iat[p]]))
    elif kind == "category":
        allowed = {v.lower(): v for v in column.values}
        bad = filled & ~s.str.lower().isin(allowed)
        values = ", ".join(column.values)
        chk.report(bad, col, lambda p: f"{s.iat[p]!r} is not allowed; use one of {values}")
    elif kind == "bool":
        bad = filled & ~s.str.lower().isin(_TRUE | _FALSE)
        chk.report(bad, col, lambda p: f"{s.iat[p]!r} is not true/false (or 1/0, yes/no)")
    elif kind == "int":
        _check_int(chk, column)
    elif kind == "isco":
        bad = filled & ~s.str.fullmatch(_ISCO_RE)
        chk.report(bad, col, lambda p: f"{s.iat[p]!r} is not an ISCO-08 code: 1 to 4 digits")
    elif kind == "date":
        bad = filled & s.isin([d for d in s[filled].unique() if not _is_date(d)])
        chk.report(
            bad, col, lambda p: f"{s.iat[p]!r} is not a date written YYYY-MM-DD, e.g. 2024-03-05"
        )


def _is_date(text: str) -> bool:
    if re.fullmatch(_DATE_RE, text) is None:
        return False
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def _region_problem(code: str) -> str | None:
    reason = nuts_problem(code)
    if reason is None and len(code) != 4:
        return f"{code!r} is not a NUTS-2 code: give the region's 4-character code, e.g. ES61"
    return reason


def _check_int(chk: _Check, column: Column) -> None:
    col, s = column.name, chk.text[column.name]
    filled = ~chk.blank[col]
    number = filled & s.str.fullmatch(_INT_RE)
    chk.report(filled & ~number, col, lambda p: f"{s.iat[p]!r} is not a whole number")
    values = _ints(s.where(number, "0"))
    low = column.low if column.low is not None else -(10**15)
    high = column.high if column.high is not None else 10**15
    out = number & ((values < low) | (values > high))
    chk.report(out, col, lambda p: f"{values.iat[p]} is out of range: {low} to {high}")


def _ints(text: pd.Series) -> pd.Series:
    """Whole numbers written ``12`` or ``12.0`` (already checked) as int64."""
    return pd.to_numeric(text.str.replace(r"\.0*$", "", regex=True)).astype("int64")


def _check_duplicates(chk: _Check) -> None:
    if "person_id" not in chk.text:
        return
    dates = chk.text.get("registered")
    if dates is not None:
        dates = dates.str.slice(0, 10)  # "2024-01-05 00:00:00" (XLSX) = "2024-01-05"
    else:
        dates = pd.Series("", index=chk.text["person_id"].index)
    keyed = pd.DataFrame({"person_id": chk.text["person_id"], "registered": dates})
    filled = ~chk.blank["person_id"]
    dup = keyed.duplicated(keep="first") & filled
    if not dup.any():
        return
    first = keyed[filled].reset_index().groupby(list(_KEY))["index"].transform("min")
    first_of = dict(zip(keyed[filled].index, first, strict=True))

    def say(p: int) -> str:
        when = f" registered {dates.iat[p]}" if dates.iat[p] else ""
        return (
            f"duplicate of the row at {chk.where.at(first_of[p])}: "
            f"person {keyed['person_id'].iat[p]!r}{when} appears twice"
        )

    chk.report(dup, "person_id", say)


# ---------------------------------------------------------------- typed result


def _typed(chk: _Check, column: Column) -> pd.Series:
    s = chk.text[column.name]
    kind = column.kind
    if kind == "category":
        canonical = {v.lower(): v for v in column.values}
        return s.str.lower().map(canonical).fillna("").astype("str")
    if kind == "int":
        blank = chk.blank[column.name]
        values = _ints(s.where(~blank, "0"))
        return values.astype("Int64").mask(blank) if blank.any() else values
    if kind == "bool":
        lower = s.str.lower()
        flags = lower.isin(_TRUE)
        blank = chk.blank[column.name]
        if column.name == "synthetic" or not blank.any():
            return flags.astype(bool)
        return flags.astype("boolean").mask(blank.to_numpy())
    if kind == "date":
        return s.str.slice(0, 10)
    return s


def _validated(
    cells: pd.DataFrame,
    names: list[str],
    where: _Where,
    problems: ProblemList,
    required: tuple[str, ...],
    widths: list[int] | None,
) -> pd.DataFrame:
    cells = cells.iloc[:, : len(names)]
    position = _header(names, where, problems, required)
    if cells.shape[0] == 0:
        problems.add(0, 0, "", "the table has a header but no data rows", where.header_line)
        problems.raise_if_any()
    stripped = {
        c: cells.iloc[:, k].reset_index(drop=True).astype("str").str.strip()
        for c, k in position.items()
    }
    blank = {c: v.isna() | v.eq("") for c, v in stripped.items()}
    chk = _Check(
        where=where,
        problems=problems,
        rank=dict(position),
        text={c: v.fillna("") for c, v in stripped.items()},
        blank=blank,
    )
    _check_blanks(chk, required, widths)
    for column in COLUMNS:
        if column.name in chk.text:
            _check_column(chk, column)
    _check_duplicates(chk)
    problems.raise_if_any()

    out = pd.DataFrame({c.name: _typed(chk, c) for c in COLUMNS if c.name in chk.text})
    out.attrs["ignored_columns"] = [n for n in names if n and n not in _BY_NAME]
    return out
