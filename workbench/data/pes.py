"""Public employment service (PES) tables: registered jobseekers and vacancies.

A PES table is a PES's own administrative count of registered jobseekers and vacancies,
one row per region x period x occupation. Columns (names are matched case-insensitively
after trimming spaces; their order does not matter):

==========================  ========  ==================================================
column                      required  content
==========================  ========  ==================================================
``region``                  yes       NUTS code, 2-5 characters, e.g. ``ES61``
``period``                  yes       ``YYYY``, ``YYYY-Qn`` (n = 1-4) or ``YYYY-MM``
``isco``                    yes       ISCO-08 code: 1 digit (major group), 2 (sub-major),
                                      3 (minor) or 4 digits (unit group), e.g. ``2512``
``jobseekers``              yes       registered jobseekers, whole number >= 0
``vacancies``               yes       registered vacancies, whole number >= 0
``long_term_jobseekers``    no        jobseekers registered 12 months or more, whole
                                      number >= 0 and <= ``jobseekers``; an empty cell
                                      means "not known" (``<NA>``)
``synthetic``               no        ``true``/``false`` (also ``1``/``0``): made-up data
==========================  ========  ==================================================

Other columns are kept as text but not checked. Each (region, period, isco) may appear
once. Counts may be written ``12`` or ``12.0``; thousands separators are not accepted.

Files: CSV (UTF-8, a BOM is tolerated; the separator is ``,``, or ``;`` / tab when the
header has no comma), gzip-compressed CSV, or XLSX (the first sheet unless one is named).
The first non-empty row is the header; blank rows are skipped. ISCO codes in XLSX should
be stored as text: a number cell loses leading zeros (major group 0, armed forces).

Validation reports every problem (up to :data:`MAX_PROBLEMS`, then a count of the rest)
with its row as the user sees it: the file line for CSV (header = line 1 when it is the
first line), the sheet row for XLSX, the index label for frames built in code. Nothing
partial is returned: :class:`PesTableError` carries all problems.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from workbench.classifications import nuts_problem
from workbench.data.tables import (
    ProblemList,
    RawTable,
    header_names,
    raw_from_frame,
    read_raw,
    table_error,
)
from workbench.exceptions import InvalidInput

__all__ = [
    "COUNT_COLUMNS",
    "MAX_PROBLEMS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "PesTableError",
    "aggregate_isco",
    "read_pes_table",
    "validate_pes_frame",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("region", "period", "isco", "jobseekers", "vacancies")
OPTIONAL_COLUMNS: tuple[str, ...] = ("long_term_jobseekers", "synthetic")
COUNT_COLUMNS: tuple[str, ...] = ("jobseekers", "vacancies", "long_term_jobseekers")
#: At most this many problems are listed; the rest are counted.
MAX_PROBLEMS = 50

_DOCUMENTED = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
_KEY = ("region", "period", "isco")
_PERIOD_RE = r"[0-9]{4}(?:-Q[1-4]|-(?:0[1-9]|1[0-2]))?"
_ISCO_RE = r"[0-9]{1,4}"
_COUNT_RE = r"[0-9]{1,15}(?:\.0*)?"
_NEGATIVE_RE = r"-[0-9]+(?:\.[0-9]*)?"
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


class PesTableError(InvalidInput, ValueError):
    """A PES table failed validation; ``problems`` lists every bad row and field found."""


def _fail(source: str, message: str, line: int | None = None, key: str = "") -> InvalidInput:
    return table_error(PesTableError, source, message, line, key)


def _problems(source: str) -> ProblemList:
    return ProblemList(source, PesTableError, MAX_PROBLEMS)


# ---------------------------------------------------------------- reading files


def read_pes_table(source: str | Path | IO[Any], sheet: str | None = None) -> pd.DataFrame:
    """Read and validate a PES table from CSV, CSV.gz or XLSX (path or open file).

    The format is recognised from the content (zip = XLSX, gzip = compressed CSV, else
    CSV text). ``sheet`` names the XLSX sheet (default: the first). Returns the frame of
    :func:`validate_pes_frame`.

    Raises:
        PesTableError: listing every problem found, each with its line/row and column.
    """
    raw = read_raw(source, sheet, error=PesTableError, expected=REQUIRED_COLUMNS, allow_gzip=True)
    return _validated(raw)


# ---------------------------------------------------------------- validation


def _header_columns(raw: RawTable, problems: ProblemList) -> list[str]:
    """Normalised column names; records problems with the header itself."""
    names = header_names(raw)
    seen: dict[str, int] = {}
    for i, col in enumerate(names):
        if not col:
            problems.add(-1, i, "", f"column {i + 1} of the header has no name", raw.header_line)
        elif col in seen:
            problems.add(-1, i, col, "column appears twice in the header", raw.header_line)
        seen.setdefault(col, i)
    present = ", ".join(n for n in names if n) or "none"
    for col in REQUIRED_COLUMNS:
        if col not in seen:
            problems.add(
                -1, 99, col, f"missing required column (columns found: {present})", raw.header_line
            )
    return names


def _cells(raw: RawTable, names: list[str], problems: ProblemList) -> pd.DataFrame:
    """Rows as a frame of text (documented columns stripped); reports ragged rows."""
    width = len(names)
    fixed: list[list[str | None]] = []
    for i, row in enumerate(raw.rows):
        extra = [c for c in row[width:] if c is not None and c.strip()]
        if extra:
            problems.add(
                i,
                -1,
                "",
                f"{raw.labels[i]}row has {len(row)} cells, the header has {width} columns",
                raw.lines[i],
            )
        fixed.append([*row[:width], *([None] * (width - len(row)))])
    unique = [n if n else f"_unnamed_{k}" for k, n in enumerate(names)]
    unique = [n if unique.index(n) == k else f"{n}_{k}" for k, n in enumerate(unique)]
    frame = pd.DataFrame(fixed, columns=unique, dtype=object)
    for col in _DOCUMENTED:
        if col in frame.columns:
            frame[col] = frame[col].map(lambda c: c.strip() if isinstance(c, str) else c)
    return frame


def _report(
    raw: RawTable,
    problems: ProblemList,
    mask: pd.Series,
    col: str,
    col_no: int,
    text: Callable[[int], str],
) -> None:
    """Add one problem for each row where ``mask`` is true; ``text(pos)`` says what."""
    for pos in np.flatnonzero(mask.to_numpy(dtype=bool)):
        problems.add(int(pos), col_no, col, raw.labels[pos] + text(int(pos)), raw.lines[pos])


def _where(raw: RawTable, pos: int) -> str:
    line = raw.lines[pos]
    return f"line {line}" if line is not None else raw.labels[pos].removesuffix(": ")


@dataclass
class _Check:
    """State shared by the column checks of one table."""

    raw: RawTable
    problems: ProblemList
    order: dict[str, int]
    text: dict[str, pd.Series]  # stripped cell text, "" when blank
    blank: dict[str, pd.Series]

    def report(self, mask: pd.Series, col: str, text: Callable[[int], str]) -> None:
        _report(self.raw, self.problems, mask, col, self.order.get(col, -1), text)

    def filled(self, col: str) -> pd.Series:
        return ~self.blank[col]


def _check_blanks(chk: _Check, frame: pd.DataFrame, width: int) -> None:
    for col in chk.text:
        if col == "long_term_jobseekers":
            continue  # an empty cell means "not known"
        values = frame[col]
        chk.report(
            values.isna(),
            col,
            lambda p: f"no cell: the row has only {len(chk.raw.rows[p])} of {width} columns",
        )
        chk.report(values.notna() & values.eq(""), col, lambda _p: "empty cell")


def _check_codes(chk: _Check) -> None:
    if "region" in chk.text:
        region = chk.text["region"]
        reasons = {code: nuts_problem(code) for code in set(region) if code}
        bad = region.map(lambda c: bool(c) and reasons[c] is not None).astype(bool)
        chk.report(bad, "region", lambda p: str(reasons[region.iat[p]]))
    if "period" in chk.text:
        period = chk.text["period"]
        bad = chk.filled("period") & ~period.str.fullmatch(_PERIOD_RE)
        chk.report(
            bad,
            "period",
            lambda p: f"{period.iat[p]!r} is not a period: use YYYY, YYYY-Qn or YYYY-MM",
        )
    if "isco" in chk.text:
        isco = chk.text["isco"]
        bad = chk.filled("isco") & ~isco.str.fullmatch(_ISCO_RE)
        chk.report(
            bad,
            "isco",
            lambda p: f"{isco.iat[p]!r} is not an ISCO-08 code: 1 to 4 digits, e.g. 2512",
        )
    if "synthetic" in chk.text:
        flag = chk.text["synthetic"]
        bad = chk.filled("synthetic") & ~flag.str.lower().isin(_TRUE | _FALSE)
        chk.report(bad, "synthetic", lambda p: f"{flag.iat[p]!r} is not true or false")


def _check_counts(chk: _Check) -> dict[str, pd.Series]:
    """Check the count columns; return them as Int64 (``<NA>`` where blank or bad)."""
    counts: dict[str, pd.Series] = {}
    for col in COUNT_COLUMNS:
        if col not in chk.text:
            continue
        s = chk.text[col]
        ok = chk.filled(col) & s.str.fullmatch(_COUNT_RE)
        negative = chk.filled(col) & s.str.fullmatch(_NEGATIVE_RE)
        chk.report(negative, col, lambda p, s=s: f"negative count {s.iat[p]}: counts must be >= 0")
        chk.report(
            chk.filled(col) & ~ok & ~negative,
            col,
            lambda p, s=s: f"{s.iat[p]!r} is not a whole number",
        )
        values = [int(v.split(".")[0]) if good else None for v, good in zip(s, ok, strict=True)]
        counts[col] = pd.Series(values, dtype="Int64")
    if "long_term_jobseekers" in counts and "jobseekers" in counts:
        lt, js = counts["long_term_jobseekers"], counts["jobseekers"]
        chk.report(
            (lt > js).fillna(False).astype(bool),
            "long_term_jobseekers",
            lambda p: f"{lt.iat[p]} long-term jobseekers is more than the {js.iat[p]} jobseekers",
        )
    return counts


def _check_duplicates(chk: _Check) -> None:
    if not all(c in chk.text for c in _KEY):
        return
    keyed = pd.DataFrame({c: chk.text[c] for c in _KEY})
    filled = chk.filled("region") & chk.filled("period") & chk.filled("isco")
    dup = keyed.duplicated(keep="first") & filled
    if not dup.any():
        return
    first_pos = keyed[filled].reset_index().groupby(list(_KEY))["index"].transform("min")
    first_of = dict(zip(keyed[filled].index, first_pos, strict=True))
    chk.report(
        dup,
        "region, period, isco",
        lambda p: (
            f"duplicate of the row at {_where(chk.raw, first_of[p])} ({', '.join(keyed.iloc[p])})"
        ),
    )


def _validated(raw: RawTable) -> pd.DataFrame:
    problems = _problems(raw.source)
    names = _header_columns(raw, problems)
    if not raw.rows:
        problems.add(0, 0, "", "the table has a header but no data rows", raw.header_line)
        problems.raise_if_any()
    frame = _cells(raw, names, problems)
    present = [c for c in _DOCUMENTED if c in frame.columns]
    blank = {c: frame[c].isna() | frame[c].eq("") for c in present}
    chk = _Check(
        raw=raw,
        problems=problems,
        order={c: i for i, c in enumerate(frame.columns)},
        text={c: frame[c].where(~blank[c], "").astype(str) for c in present},
        blank=blank,
    )
    _check_blanks(chk, frame, len(names))
    _check_codes(chk)
    counts = _check_counts(chk)
    _check_duplicates(chk)
    problems.raise_if_any()

    out = pd.DataFrame({c: chk.text[c].astype(object) for c in _KEY})
    out["jobseekers"] = counts["jobseekers"].astype("int64")
    out["vacancies"] = counts["vacancies"].astype("int64")
    if "long_term_jobseekers" in counts:
        out["long_term_jobseekers"] = counts["long_term_jobseekers"]
    if "synthetic" in chk.text:
        out["synthetic"] = chk.text["synthetic"].str.lower().isin(_TRUE).astype(bool)
    for col in frame.columns:
        if col not in _DOCUMENTED:
            out[col] = frame[col].fillna("").astype(object)
    return out


def validate_pes_frame(df: pd.DataFrame, source: str = "<frame>") -> pd.DataFrame:
    """Validate a PES table built in code; return a clean typed copy.

    Column names are matched case-insensitively. The result has ``region``, ``period``,
    ``isco`` (text), ``jobseekers``, ``vacancies`` (int64), ``long_term_jobseekers``
    (Int64, ``<NA>`` = not known) and ``synthetic`` (bool) when present, then the other
    columns unchanged as text, with a fresh 0..n-1 index.

    Raises:
        PesTableError: every problem, each naming the row's index label and the column.
    """
    if not isinstance(df, pd.DataFrame):
        raise _fail(source, f"expected a pandas DataFrame, got {type(df).__name__}")
    return _validated(raw_from_frame(df, source, blank=""))


# ---------------------------------------------------------------- ISCO roll-up


def aggregate_isco(df: pd.DataFrame, level: int) -> pd.DataFrame:
    """Sum a PES table up to ISCO ``level`` (1-4 digits) by region and period.

    Each code is cut to its first ``level`` digits. Within one resulting group all codes
    must have the same length (else the table mixes levels, e.g. ``26`` next to ``2654``,
    and a sum would double count) and be at least ``level`` digits long. A sum of
    ``long_term_jobseekers`` is ``<NA>`` if any part is unknown; ``synthetic`` is true if
    any part is. Other columns are dropped. Rows are sorted by region, period, isco.

    Raises:
        ValueError: ``level`` is not 1-4.
        PesTableError: invalid table, codes shorter than ``level`` or mixed levels.
    """
    if level not in (1, 2, 3, 4):
        raise ValueError(f"ISCO level must be 1, 2, 3 or 4 digits, got {level!r}")
    source = "aggregate_isco input"
    frame = validate_pes_frame(df, source)
    lengths = frame["isco"].str.len()
    problems = _problems(source)
    for pos in np.flatnonzero((lengths < level).to_numpy()):
        code = frame["isco"].iat[pos]
        message = f"index {df.index[pos]!r}: code {code} is too short to roll up to {level} digits"
        problems.add(int(pos), 0, "isco", message, None)
    problems.raise_if_any()
    frame["_target"] = frame["isco"].str[:level]
    frame["_len"] = lengths
    keys = ["region", "period", "_target"]
    mixed = frame.groupby(keys)["_len"].nunique()
    for pos, (key, _) in enumerate(mixed[mixed > 1].items()):
        part = frame[(frame["region"] == key[0]) & (frame["period"] == key[1])]
        codes = sorted(part.loc[part["_target"] == key[2], "isco"])
        message = (
            f"region {key[0]}, period {key[1]}: group {key[2]} mixes ISCO levels "
            f"({', '.join(codes)}); summing them would double count"
        )
        problems.add(pos, 0, "isco", message, None)
    problems.raise_if_any()

    grouped = frame.groupby(keys, sort=True)
    out = grouped[["jobseekers", "vacancies"]].sum()
    if "long_term_jobseekers" in frame.columns:
        lt = frame["long_term_jobseekers"]
        sums = lt.groupby([frame[k] for k in keys]).sum()
        unknown = lt.isna().groupby([frame[k] for k in keys]).any()
        out["long_term_jobseekers"] = sums.astype("Int64").mask(unknown)
    if "synthetic" in frame.columns:
        out["synthetic"] = grouped["synthetic"].any()
    out = out.reset_index().rename(columns={"_target": "isco"})
    return out.astype({"jobseekers": "int64", "vacancies": "int64"})
