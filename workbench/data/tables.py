"""Reading a user's table (CSV, gzip-compressed CSV, XLSX or a frame) as text cells.

Shared by the validating readers of the PES table (:mod:`workbench.data.pes`) and of the
evidence base (:mod:`workbench.evidence.base`): both turn a file into a
:class:`RawTable` of text cells that remembers where each row came from (file line, sheet
row or index label), check it with their own rules, and raise every problem at once
through a :class:`ProblemList`.

Files: CSV (UTF-8, a BOM is tolerated; the separator is ``,``, or ``;`` / tab when the
header has no comma), optionally gzip-compressed, or XLSX (the first sheet unless one is
named). The format is recognised from the content. The first non-empty row is the
header; blank rows are skipped.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from workbench.exceptions import InvalidInput, Problem

__all__ = [
    "ProblemList",
    "RawTable",
    "cell_text",
    "header_names",
    "raw_from_frame",
    "read_raw",
    "table_error",
]


def table_error(
    error: type[InvalidInput], source: str, message: str, line: int | None = None, key: str = ""
) -> InvalidInput:
    """One-problem error of the reader's own class."""
    return error([Problem(source, key, message, line)])


class ProblemList:
    """Collects problems; raises them together, sorted by row and then column rank."""

    def __init__(self, source: str, error: type[InvalidInput], limit: int) -> None:
        self.source = source
        self.error = error
        self.limit = limit
        self.items: list[tuple[int, int, Problem]] = []

    def add(self, order: int, rank: int, key: str, message: str, line: int | None) -> None:
        """Record a problem of row ``order`` (-1: the header) in the column ranked ``rank``."""
        self.items.append((order, rank, Problem(self.source, key, message, line)))

    def raise_if_any(self) -> None:
        """Raise every problem (at most ``limit``, then a count of the rest), if any."""
        if not self.items:
            return
        ordered = [p for _, _, p in sorted(self.items, key=lambda t: (t[0], t[1]))]
        if len(ordered) > self.limit:
            rest = len(ordered) - self.limit
            ordered = [
                *ordered[: self.limit],
                Problem(self.source, "", f"... and {rest} more problems not listed"),
            ]
        raise self.error(ordered)


@dataclass
class RawTable:
    """Cells of a table as text (``None`` = no cell), with where each row came from."""

    source: str
    header: list[str]
    header_line: int | None
    rows: list[list[str | None]]
    lines: list[int | None] = field(default_factory=list)  # file line / sheet row
    labels: list[str] = field(default_factory=list)  # "" for files, "index 3: " for frames


def cell_text(value: object) -> str | None:
    """Text of one cell as a user would read it; ``None`` when the cell is empty.

    Numbers get their shortest round-trip text (integers without ``.0``).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    return str(value)


def header_names(raw: RawTable) -> list[str]:
    """Header names trimmed and lower-cased, without the empty columns that trailing
    separators leave after the last column (when no row has a value there)."""
    names = [h.strip().lower() for h in raw.header]
    width = len(names)
    while (
        width
        and not names[width - 1]
        and all(len(r) < width or not (r[width - 1] or "").strip() for r in raw.rows)
    ):
        width -= 1
    return names[:width]


def raw_from_frame(df: pd.DataFrame, source: str, blank: str | None = None) -> RawTable:
    """A frame built in code as text cells (an empty cell becomes ``blank``); rows are
    labelled by their index label."""
    rows: list[list[str | None]] = [
        [(text if (text := cell_text(v)) is not None else blank) for v in row]
        for row in df.itertuples(index=False, name=None)
    ]
    labels = [f"index {label!r}: " for label in df.index]
    return RawTable(source, [str(c) for c in df.columns], None, rows, [None] * len(rows), labels)


def read_raw(
    source: str | Path | IO[Any],
    sheet: str | None,
    *,
    error: type[InvalidInput],
    expected: Sequence[str],
    allow_gzip: bool = False,
    strict_csv: bool = False,
) -> RawTable:
    """Read a table file (path or open file) as text cells.

    ``expected`` names the required columns (for the message about an empty file).
    ``allow_gzip`` accepts a gzip-compressed CSV; ``strict_csv`` makes malformed quoting
    an error.

    Raises:
        error: the file cannot be read, is not UTF-8, is damaged, empty or an old .xls.
    """
    name = _source_name(source)
    data = _read_bytes(source, name, error)
    if isinstance(data, bytes):
        if data.startswith(b"PK\x03\x04"):
            return _parse_xlsx(data, name, sheet, error, expected)
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise table_error(
                error, name, "old Excel .xls files are not supported: save as .xlsx or CSV"
            )
        if allow_gzip and data.startswith(b"\x1f\x8b"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                raise table_error(error, name, f"damaged gzip file: {exc}") from None
        data = _decode(data, name, error)
    if sheet is not None:
        raise table_error(error, name, f"sheet {sheet!r} given but the file is CSV, not XLSX")
    return _parse_csv(data.removeprefix("\ufeff"), name, error, expected, strict_csv)


def _source_name(source: str | Path | IO[Any]) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return str(getattr(source, "name", "<stream>"))


def _read_bytes(source: str | Path | IO[Any], name: str, error: type[InvalidInput]) -> bytes | str:
    if isinstance(source, str | Path):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise table_error(error, name, f"cannot read the file: {exc.strerror or exc}") from None
    data = source.read()
    if not isinstance(data, bytes | str):
        raise table_error(
            error, name, f"the stream gave {type(data).__name__}, expected bytes or text"
        )
    return data


def _decode(data: bytes, name: str, error: type[InvalidInput]) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise table_error(
            error,
            name,
            f"not UTF-8 text (byte {data[exc.start]:#04x}); save the CSV as UTF-8",
            line,
        ) from None


def _delimiter(text: str) -> str:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if "," in first:
        return ","
    return ";" if ";" in first else "\t" if "\t" in first else ","


def _parse_csv(
    text: str, name: str, error: type[InvalidInput], expected: Sequence[str], strict: bool
) -> RawTable:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=strict)
    header: list[str] | None = None
    header_line: int | None = None
    rows: list[list[str | None]] = []
    lines: list[int | None] = []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header, header_line = record, line
            else:
                rows.append(list(record))
                lines.append(line)
    except csv.Error as exc:
        raise table_error(error, name, f"malformed CSV: {exc}", start) from None
    if header is None:
        raise table_error(
            error, name, "empty file: expected a header row with " + ", ".join(expected)
        )
    return RawTable(name, header, header_line, rows, lines, [""] * len(rows))


def _parse_xlsx(
    data: bytes,
    name: str,
    sheet: str | None,
    error: type[InvalidInput],
    expected: Sequence[str],
) -> RawTable:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise table_error(
            error, name, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})"
        ) from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise table_error(
                error, name, f"no sheet {sheet!r}; the workbook has {book.sheetnames}"
            )
        where = f"{name}[{ws.title}]"
        header: list[str] | None = None
        header_line: int | None = None
        rows: list[list[str | None]] = []
        lines: list[int | None] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            if not any(c is not None and c.strip() for c in cells):
                continue
            if header is None:
                header, header_line = [c or "" for c in cells], number
            else:
                rows.append(cells)
                lines.append(number)
    finally:
        book.close()
    if header is None:
        raise table_error(
            error, where, "empty sheet: expected a header row with " + ", ".join(expected)
        )
    return RawTable(where, header, header_line, rows, lines, [""] * len(rows))
