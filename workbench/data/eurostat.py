"""Read and write Eurostat SDMX-TSV files (the API ``format=TSV`` / bulk-download layout).

A file has one header line and one line per time series, all tab-separated::

    freq,unit,sex,age,geo\\TIME_PERIOD<TAB>2014 <TAB>2015
    A,PC,T,Y15-74,ES61<TAB>34.8 <TAB>31.5 p

The first cell of the header lists the dimension codes, then a backslash and the time
dimension; the other header cells are periods (``2014``, ``2014-Q1``, ``2014-01``...),
often with a trailing space. In data lines the first cell holds the series key (one code
per dimension, comma-separated) and every other cell an observation: a number or ``:``
(not available), optionally followed by a space and status flags such as ``p``
(provisional), ``e`` (estimated), ``b`` (break in series), ``c`` (confidential), ``u``
(low reliability) or several at once (``bu``, ``: c``). Lines may end in CRLF, a UTF-8 BOM
is ignored and gzip-compressed content (``.tsv.gz``, API ``compressed=true``) is detected
from its first bytes.

Malformed input raises :class:`EurostatFormatError` (a ``ValueError``) whose message names
the source, the 1-based line and the 1-based tab-separated column with its period, e.g.
``lfst_r_lfu3rt.tsv: line 5, column 3 (period 2014): non-numeric value '12,3'``.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported where used: geo_codes() must stay cheap.
    import pandas as pd

__all__ = [
    "MISSING",
    "EurostatFormatError",
    "TsvSource",
    "geo_codes",
    "read_sdmx_tsv",
    "read_tsv",
    "write_sdmx_tsv",
]

#: Eurostat's marker for an observation that is not available.
MISSING = ":"
#: Name used in error messages for input that is not a file path.
BUFFER_NAME = "<buffer>"
#: What :func:`read_tsv` accepts: a path, an open text or binary file, or the bytes.
TsvSource = str | Path | IO[str] | IO[bytes] | bytes | bytearray
#: Column names the tidy frame adds after the dimension columns.
_RESERVED = ("time", "value", "flags")
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_PERIOD_RE = re.compile(r"[A-Za-z0-9_.\-]+")
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER_RE = re.compile(_NUMBER)
#: An observation: blank, or ``:`` or a number, then optionally one or more spaces and flags.
_CELL_RE = re.compile(rf" *(?:(?:({MISSING})|({_NUMBER}))(?: +([A-Za-z]+))?)? *")
_GLUED_FLAGS_RE = re.compile(rf"(?:{MISSING}|{_NUMBER})[A-Za-z]+")


class EurostatFormatError(ValueError):
    """Malformed SDMX-TSV input, located as precisely as possible.

    Attributes:
        source: the file path, or ``"<buffer>"``.
        reason: what is wrong.
        line: 1-based line number (None when unknown, e.g. a corrupt gzip header).
        column: 1-based tab-separated cell index (1 is the series key), or None.
        label: what the column holds (``"period 2014"``, ``"series key"``, ``"header"``).
    """

    def __init__(
        self,
        source: str,
        reason: str,
        *,
        line: int | None = None,
        column: int | None = None,
        label: str | None = None,
    ) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        self.column = column
        self.label = label
        where = ""
        if line is not None:
            where = f" line {line}"
            if column is not None:
                where += f", column {column}"
            if label:
                where += f" ({label})"
            where += ":"
        super().__init__(f"{source}:{where} {reason}")


class _CellError(Exception):
    """An observation cell that does not parse (located by the caller)."""


# -- bytes -> text ------------------------------------------------------------------------
def _gunzip(data: bytes, source: str) -> bytes:
    """Decompress (possibly multi-member) gzip data; truncation and corruption are errors."""
    out: list[bytes] = []

    def line_reached() -> int:
        return sum(chunk.count(b"\n") for chunk in out) + 1

    position = 0
    while True:  # one gzip member per round
        inflater = zlib.decompressobj(wbits=31)
        while position < len(data) and not inflater.eof:
            chunk = data[position : position + _CHUNK]
            position += len(chunk)
            try:
                out.append(inflater.decompress(chunk))
            except zlib.error as exc:
                raise EurostatFormatError(
                    source, f"corrupt gzip data in or after this line ({exc})", line=line_reached()
                ) from None
        if not inflater.eof:
            raise EurostatFormatError(
                source,
                "the gzip stream is truncated: it ends inside this line "
                "(the download or copy was cut short)",
                line=line_reached(),
            )
        position -= len(inflater.unused_data)
        rest = data[position:]
        if not rest.strip(b"\x00"):
            return b"".join(out)
        if not rest.startswith(_GZIP_MAGIC):
            raise EurostatFormatError(
                source,
                f"unexpected bytes after the end of the gzip stream: {rest[:16]!r}",
                line=line_reached(),
            )


def _column_label(header: bytes, line: int, column: int) -> str | None:
    """Label of ``column`` from a raw header line, if it decodes (for UTF-8 errors)."""
    if line == 1:
        return "header"
    if column == 1:
        return "series key"
    try:
        cells = header.decode("utf-8-sig").rstrip("\r").split("\t")
    except UnicodeDecodeError:
        return None
    return f"period {cells[column - 1].strip()}" if column <= len(cells) else None


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text of raw (possibly gzip-compressed) bytes; a BOM is dropped."""
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data, source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = data.count(b"\t", line_start, exc.start) + 1
        end = data.find(b"\n")
        label = _column_label(data[: end if end >= 0 else len(data)], line, column)
        raise EurostatFormatError(
            source,
            f"not UTF-8 text: byte {data[exc.start : exc.start + 1]!r} ({exc.reason}); "
            "Eurostat files are UTF-8",
            line=line,
            column=column,
            label=label,
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _load(source: TsvSource) -> tuple[str, str]:
    """Return (name for messages, decoded text) of any accepted input."""
    if isinstance(source, str | Path):
        return str(source), _decode(Path(source).read_bytes(), str(source))
    if isinstance(source, bytes | bytearray | memoryview):
        return BUFFER_NAME, _decode(bytes(source), BUFFER_NAME)
    read = getattr(source, "read", None)
    if not callable(read):
        raise TypeError(f"expected a path, bytes or an open file, got {type(source).__name__}")
    name = getattr(source, "name", None)
    name = name if isinstance(name, str) else BUFFER_NAME
    try:
        content = read()
    except UnicodeDecodeError as exc:
        raise EurostatFormatError(
            name, f"not UTF-8 text ({exc.reason}); open the file in binary mode to locate it"
        ) from None
    except (OSError, EOFError, zlib.error) as exc:  # e.g. a truncated gzip.open() stream
        raise EurostatFormatError(name, f"cannot read the input: {exc}") from None
    if isinstance(content, str):
        return name, content[1:] if content.startswith("\ufeff") else content
    if isinstance(content, bytes | bytearray):
        return name, _decode(bytes(content), name)
    raise TypeError(f"read() of {name} returned {type(content).__name__}, not str or bytes")


# -- text -> table ------------------------------------------------------------------------
def _header_error(source: str, reason: str, column: int = 1, label: str = "header") -> Exception:
    return EurostatFormatError(source, reason, line=1, column=column, label=label)


def _parse_header(lines: list[str], source: str) -> tuple[list[str], list[str]]:
    """Return (dimension names, periods) from the first line, or raise."""
    raw = lines[0].rstrip("\r") if lines else ""
    if not raw.strip() and all(not line.strip() for line in lines):
        raise EurostatFormatError(
            source,
            "empty file, expected an SDMX-TSV header line such as "
            "'freq,unit,geo\\TIME_PERIOD<TAB>2014 <TAB>2015 '",
            line=1,
        )
    cells = raw.split("\t")
    first = cells[0].strip()
    sep = "\\" if "\\" in first else "/" if "/" in first else None
    if sep is None:
        raise _header_error(
            source,
            "not an SDMX-TSV header: the first cell should look like "
            f"'freq,unit,geo\\TIME_PERIOD', got {first!r}",
        )
    dim_part, time_dim = first.rsplit(sep, 1)
    dims = [d.strip().lower() for d in dim_part.split(",")]
    bad = [d for d in [*dims, time_dim.strip()] if not _NAME_RE.fullmatch(d)]
    if bad:
        raise _header_error(
            source, f"invalid or empty dimension name {bad[0]!r} in header cell {first!r}"
        )
    if len(set(dims)) != len(dims):
        raise _header_error(source, f"duplicate dimension names in header: {dims}")
    clash = sorted(set(dims) & set(_RESERVED))
    if clash:
        raise _header_error(source, f"dimension names {clash} clash with output columns")
    periods = [c.strip() for c in cells[1:]]
    if not periods:
        raise _header_error(source, f"header has no time periods after {first!r}")
    seen: dict[str, int] = {}
    for column, period in enumerate(periods, start=2):
        if not _PERIOD_RE.fullmatch(period):
            what = f"invalid time period {cells[column - 1]!r}" if period else "empty time period"
            label = f"period {period}" if period else "period"
            raise _header_error(source, f"{what} in header", column, label)
        if period in seen:
            raise _header_error(
                source,
                f"duplicate time periods in header: {period} is also column {seen[period]}",
                column,
                f"period {period}",
            )
        seen[period] = column
    return dims, periods


def _rows(
    lines: list[str], dims: list[str], periods: list[str], source: str
) -> Iterator[tuple[int, str, list[str]]]:
    """Yield (line number, normalised series key, cells) of each data line, checked."""
    n_cells = len(periods) + 1
    n_commas = len(dims) - 1
    first_line: dict[str, int] = {}
    for index in range(1, len(lines)):
        raw = lines[index]
        if raw.endswith("\r"):
            raw = raw[:-1]
        if not raw or raw.isspace():
            continue
        lineno = index + 1
        cells = raw.split("\t")
        if len(cells) != n_cells:
            raise _cell_count_error(source, lineno, cells, periods)
        key = cells[0]
        if " " in key:  # rare: spaces around codes are dropped
            codes = [code.strip(" ") for code in key.split(",")]
            if len(codes) != n_commas + 1 or not all(map(_code_ok, codes)):
                raise _key_error(source, lineno, key, dims)
            key = ",".join(codes)
        elif (  # the same checks as _code_ok() on every code, fast on the whole key
            key.count(",") != n_commas
            or not key.isprintable()
            or "\\" in key
            or ",," in key
            or key[:1] in ","  # empty, or a leading comma
            or key.endswith(",")
        ):
            raise _key_error(source, lineno, key, dims)
        first = first_line.setdefault(key, lineno)
        if first != lineno:
            raise EurostatFormatError(
                source,
                f"duplicate series key {key!r} (first on line {first})",
                line=lineno,
                column=1,
                label="series key",
            )
        yield lineno, key, cells


def _cell_count_error(
    source: str, lineno: int, cells: list[str], periods: list[str]
) -> EurostatFormatError:
    expected = len(periods) + 1
    reason = (
        f"expected {expected} tab-separated cells (series key + {len(periods)} periods), "
        f"found {len(cells)}"
    )
    if len(cells) < expected:
        column = len(cells) + 1
        return EurostatFormatError(
            source, reason, line=lineno, column=column, label=f"period {periods[column - 2]}"
        )
    return EurostatFormatError(
        source,
        f"{reason}; extra cell {cells[expected]!r} after the last period",
        line=lineno,
        column=expected + 1,
    )


def _code_ok(code: str) -> bool:
    """A dimension code is non-empty, printable, without spaces, commas or backslashes."""
    return bool(code) and code.isprintable() and not any(c in code for c in " ,\\")


def _key_error(source: str, lineno: int, key: str, dims: list[str]) -> EurostatFormatError:
    codes = key.split(",")
    if len(codes) != len(dims):
        reason = (
            f"series key {key!r} does not give one code for each of the {len(dims)} "
            f"dimensions {','.join(dims)}"
        )
    else:
        bad = next((c for c in codes if not _code_ok(c.strip(" "))), key)
        reason = (
            f"invalid code {bad!r} in series key {key!r} (codes are non-empty, without "
            "spaces, commas or control characters)"
        )
    return EurostatFormatError(source, reason, line=lineno, column=1, label="series key")


def _parse_cell(cell: str) -> tuple[float, str]:
    """Split one observation cell into (value, flags); ``:`` and empty cells are NaN."""
    match = _CELL_RE.fullmatch(cell)
    if match is None:
        text = cell.strip(" ")
        number = text.partition(" ")[0]
        if number != MISSING and not _NUMBER_RE.fullmatch(number):
            hint = ""
            if "," in number:
                hint = " (decimal comma? Eurostat writes a decimal point)"
            elif number.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
                hint = f" (Eurostat writes '{MISSING}' for a value that is not available)"
            elif _GLUED_FLAGS_RE.fullmatch(number):
                hint = " (flags follow the value after a space, e.g. '1.5 p')"
            raise _CellError(f"non-numeric value {cell!r}{hint}")
        raise _CellError(
            f"unexpected text after the value in {cell!r} "
            "(expected status flags such as 'p' or 'bu', after one space)"
        )
    missing, number, flags = match.groups()
    if missing or number is None:
        return math.nan, flags or ""
    value = float(number)
    if not math.isfinite(value):
        raise _CellError(f"value {cell!r} is out of the range of a float")
    return value, flags or ""


def _table(
    source: TsvSource,
) -> tuple[str, list[str], list[str], list[str], list[int], list[str]]:
    """Parse everything but the observations: (name, dims, periods, keys, lines, cells)."""
    name, text = _load(source)
    lines = text.split("\n")
    dims, periods = _parse_header(lines, name)
    keys: list[str] = []
    linenos: list[int] = []
    cells: list[str] = []
    for lineno, key, row in _rows(lines, dims, periods, name):
        keys.append(key)
        linenos.append(lineno)
        cells.extend(row[1:])
    return name, dims, periods, keys, linenos, cells


def read_tsv(source: TsvSource) -> pd.DataFrame:
    """Parse SDMX-TSV into a tidy long frame.

    ``source`` is a path (``str``/``Path``, plain or gzip), an open text or binary file,
    or the raw bytes (plain or gzip). Columns: one per dimension (lower-case header names,
    e.g. ``geo``), then ``time`` (str, spaces stripped), ``value`` (float64, NaN when
    missing) and ``flags`` (str, ``""`` when none, e.g. ``"p"``, ``"bu"``). Rows follow the
    file order: series by series, periods in header order.

    Raises:
        EurostatFormatError: malformed input (a ``ValueError``); the message names the
            source, line and column.
        OSError: the path cannot be read.
    """
    import numpy as np
    import pandas as pd

    name, dims, periods, keys, linenos, cells = _table(source)
    n_periods = len(periods)
    codes, uniques = pd.factorize(np.array(cells, dtype=object))
    unique_values = np.empty(len(uniques), dtype="float64")
    unique_flags = np.empty(len(uniques), dtype=object)
    # Codes number the distinct cells in order of first appearance, so the first bad one
    # found here is also the first in the file.
    for i, cell in enumerate(uniques):
        try:
            unique_values[i], unique_flags[i] = _parse_cell(cell)
        except _CellError as exc:
            series, column = divmod(int(np.argmax(codes == i)), n_periods)
            raise EurostatFormatError(
                name,
                str(exc),
                line=linenos[series],
                column=column + 2,
                label=f"period {periods[column]}",
            ) from None

    # String columns are built as (distinct values).take(positions): much faster than
    # converting one Python string per row.
    def take(values: Sequence[str] | np.ndarray, positions: np.ndarray) -> Any:
        return pd.array(np.asarray(values, dtype=object), dtype="str").take(positions)

    split = [key.split(",") for key in keys]
    columns: dict[str, Any] = {}
    for i, dim in enumerate(dims):
        dim_codes, distinct = pd.factorize(np.array([parts[i] for parts in split], dtype=object))
        columns[dim] = take(distinct, np.repeat(dim_codes, n_periods))
    columns["time"] = take(periods, np.tile(np.arange(n_periods), len(keys)))
    columns["value"] = unique_values[codes]
    columns["flags"] = take(unique_flags, codes)
    return pd.DataFrame(columns, columns=[*dims, "time", "value", "flags"])


#: Former name of :func:`read_tsv`, kept for existing code and notebooks.
read_sdmx_tsv = read_tsv


def _format_value(value: float, decimals: int) -> str:
    if value is None or math.isnan(value):
        return MISSING
    text = f"{float(value):.{decimals}f}"
    if float(text) == 0.0:
        text = text.lstrip("-")  # never write "-0.0"
    return text


def write_sdmx_tsv(
    df: pd.DataFrame, dims: Sequence[str], path: str | Path, *, decimals: int = 1
) -> Path:
    """Write a tidy frame (``dims`` + ``time`` + ``value`` [+ ``flags``]) as SDMX-TSV.

    Series are sorted by key and periods ascending, as Eurostat does. Values get
    ``decimals`` decimals; every observation cell carries the separating space followed by
    its flags (``"12.3 "``, ``"12.3 p"``, ``": c"``); absent combinations are written as
    ``": "``. Returns the path written.

    Raises:
        ValueError: missing columns, duplicate observations or codes containing separators.
    """
    path = Path(path)
    dims = list(dims)
    missing = [c for c in [*dims, "time", "value"] if c not in df.columns]
    if missing:
        raise ValueError(f"cannot write {path}: frame lacks columns {missing}")
    if not dims:
        raise ValueError(f"cannot write {path}: at least one dimension is needed")
    data = df[[*dims, "time", "value"]].copy()
    data["flags"] = df["flags"].fillna("").astype(str) if "flags" in df.columns else ""
    for col in [*dims, "time"]:
        data[col] = data[col].astype(str)
        bad = data[col].str.contains(r"[,\t\n\\]|^\s*$", regex=True)
        if bad.any():
            raise ValueError(
                f"cannot write {path}: column {col!r} has empty codes or codes containing "
                f"separators, e.g. {data.loc[bad, col].iloc[0]!r}"
            )
    bad_flags = data["flags"].ne("") & ~data["flags"].str.fullmatch(r"[A-Za-z]+")
    if bad_flags.any():
        example = data.loc[bad_flags, "flags"].iloc[0]
        raise ValueError(f"cannot write {path}: flags must be letters, got {example!r}")
    dup = data.duplicated([*dims, "time"])
    if dup.any():
        row = data.loc[dup].iloc[0]
        raise ValueError(
            f"cannot write {path}: duplicate observation for "
            f"{','.join(row[d] for d in dims)} at {row['time']}"
        )

    periods = sorted(data["time"].unique())
    cells: dict[tuple[str, ...], dict[str, str]] = {}
    for *key, time, value, flag in data[[*dims, "time", "value", "flags"]].itertuples(
        index=False, name=None
    ):
        cells.setdefault(tuple(key), {})[time] = f"{_format_value(value, decimals)} {flag}"

    lines = [",".join(dims) + "\\TIME_PERIOD" + "".join(f"\t{p} " for p in periods)]
    for key in sorted(cells, key=",".join):
        row = cells[key]
        lines.append(",".join(key) + "".join(f"\t{row.get(p, MISSING + ' ')}" for p in periods))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def geo_codes(source: TsvSource, dim: str = "geo") -> set[str]:
    """Return the codes of dimension ``dim`` (by default the geo codes) present in a file.

    Only series keys are checked and read (not the observations), so this is cheap.

    Raises:
        EurostatFormatError: the header or a series key is malformed, or there is no such
            dimension (a ``ValueError``).
    """
    name, text = _load(source)
    lines = text.split("\n")
    dims, periods = _parse_header(lines, name)
    if dim not in dims:
        raise _header_error(name, f"no {dim!r} dimension in header (has {dims})")
    index = dims.index(dim)
    return {key.split(",")[index] for _, key, _ in _rows(lines, dims, periods, name)}
