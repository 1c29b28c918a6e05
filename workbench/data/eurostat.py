"""Read and write Eurostat SDMX-TSV files (the "bulk download" / API ``format=TSV`` layout).

A file has one header line and one line per time series, all tab-separated::

    freq,unit,sex,age,geo\\TIME_PERIOD<TAB>2014 <TAB>2015
    A,PC,T,Y15-74,ES61<TAB>34.8 <TAB>31.5 p

The first cell of the header lists the dimension codes, then a backslash and the time
dimension; the other header cells are periods (``2014``, ``2014-Q1``, ``2014-01``...),
often with a trailing space. In data lines the first cell holds the series key (one code
per dimension, comma-separated) and every other cell an observation: a number or ``:``
(not available), optionally followed by a space and status flags such as ``p``
(provisional), ``e`` (estimated), ``b`` (break in series), ``c`` (confidential) or
``u`` (low reliability). Files ending in ``.gz`` are read transparently.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where used: geo_codes() must stay cheap.
    import pandas as pd

__all__ = ["MISSING", "geo_codes", "read_sdmx_tsv", "write_sdmx_tsv"]

#: Eurostat's marker for an observation that is not available.
MISSING = ":"
#: Column names the tidy frame adds after the dimension columns.
_RESERVED = ("time", "value", "flags")
_FLAGS_RE = re.compile(r"^[A-Za-z]+$")


@contextmanager
def _open_text(path: Path) -> Iterator[IO[str]]:
    """Open a plain or gzip-compressed text file for reading (UTF-8, BOM tolerated)."""
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
            yield fh
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            yield fh


def _split_line(raw: str) -> list[str]:
    return raw.rstrip("\r\n").split("\t")


def _parse_header(raw: str, path: Path) -> tuple[list[str], list[str]]:
    """Return (dimension codes, periods) from the header line, or raise ValueError."""
    cells = _split_line(raw)
    first = cells[0].strip()
    sep = "\\" if "\\" in first else "/" if "/" in first else None
    if sep is None:
        raise ValueError(
            f"{path}:1: not an SDMX-TSV header: the first cell should look like "
            f"'freq,unit,geo\\TIME_PERIOD', got {first!r}"
        )
    dim_part, time_dim = first.rsplit(sep, 1)
    dims = [d.strip().lower() for d in dim_part.split(",")]
    if not time_dim.strip() or any(not d for d in dims):
        raise ValueError(f"{path}:1: empty dimension name in header cell {first!r}")
    if len(set(dims)) != len(dims):
        raise ValueError(f"{path}:1: duplicate dimension names in header: {dims}")
    clash = sorted(set(dims) & set(_RESERVED))
    if clash:
        raise ValueError(f"{path}:1: dimension names {clash} clash with output columns")
    periods = [c.strip() for c in cells[1:]]
    if not periods:
        raise ValueError(f"{path}:1: header has no time periods after {first!r}")
    if any(not p for p in periods):
        raise ValueError(f"{path}:1: empty time period in header")
    if len(set(periods)) != len(periods):
        raise ValueError(f"{path}:1: duplicate time periods in header")
    return dims, periods


def _parse_observation(cell: str, path: Path, lineno: int, period: str) -> tuple[float, str]:
    """Split one observation cell into (value, flags); ``:`` and empty cells are NaN."""
    text = cell.strip()
    if not text:
        return math.nan, ""
    parts = text.split(None, 1)
    number = parts[0]
    flags = parts[1].strip() if len(parts) > 1 else ""
    if flags and not _FLAGS_RE.match(flags):
        raise ValueError(
            f"{path}:{lineno}: period {period}: unexpected text after the value in {cell!r} "
            "(expected status flags such as 'p' or 'bu')"
        )
    if number == MISSING:
        return math.nan, flags
    try:
        value = float(number)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{path}:{lineno}: period {period}: non-numeric value {cell!r}")
    return value, flags


def _read_header(fh: IO[str], path: Path) -> tuple[list[str], list[str]]:
    """Read and parse the header line of an open file."""
    header = fh.readline()
    if not header.strip():
        raise ValueError(f"{path}:1: empty file, expected an SDMX-TSV header line")
    return _parse_header(header, path)


def read_sdmx_tsv(path: str | Path) -> pd.DataFrame:
    """Parse an SDMX-TSV file into a tidy long frame.

    Columns: one per dimension (lower-case names, e.g. ``geo``), then ``time`` (str),
    ``value`` (float, NaN when missing) and ``flags`` (str, ``""`` when none). Rows follow
    the file order: series by series, periods in header order.

    Raises:
        ValueError: malformed input; the message names the file and line.
    """
    import numpy as np
    import pandas as pd

    path = Path(path)
    with _open_text(path) as fh:
        dims, periods = _read_header(fh, path)
        n_cells = 1 + len(periods)
        keys: list[tuple[str, ...]] = []
        values: list[float] = []
        flags: list[str] = []
        seen: set[tuple[str, ...]] = set()
        for lineno, raw in enumerate(fh, start=2):
            if not raw.strip():
                continue
            cells = _split_line(raw)
            if len(cells) != n_cells:
                raise ValueError(
                    f"{path}:{lineno}: expected {n_cells} tab-separated cells "
                    f"(series key + {len(periods)} periods), found {len(cells)}"
                )
            key = tuple(code.strip() for code in cells[0].split(","))
            if len(key) != len(dims) or any(not code for code in key):
                raise ValueError(
                    f"{path}:{lineno}: series key {cells[0]!r} does not give one code for "
                    f"each of the {len(dims)} dimensions {','.join(dims)}"
                )
            if key in seen:
                raise ValueError(f"{path}:{lineno}: duplicate series key {cells[0]!r}")
            seen.add(key)
            keys.append(key)
            for period, cell in zip(periods, cells[1:], strict=True):
                value, flag = _parse_observation(cell, path, lineno, period)
                values.append(value)
                flags.append(flag)

    n_periods = len(periods)
    columns: dict[str, object] = {
        dim: np.repeat(np.array([k[i] for k in keys], dtype=object), n_periods)
        for i, dim in enumerate(dims)
    }
    columns["time"] = np.tile(np.array(periods, dtype=object), len(keys))
    frame = pd.DataFrame(columns, columns=[*dims, "time"], dtype="str")
    frame["value"] = np.array(values, dtype="float64")
    frame["flags"] = pd.Series(flags, dtype="str")
    return frame


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


def geo_codes(path: str | Path, dim: str = "geo") -> set[str]:
    """Return the codes of dimension ``dim`` (by default the geo codes) present in a file.

    Only series keys are read, so this is cheap even for large files.

    Raises:
        ValueError: the header is malformed or has no such dimension.
    """
    path = Path(path)
    with _open_text(path) as fh:
        dims, _ = _read_header(fh, path)
        if dim not in dims:
            raise ValueError(f"{path}:1: no {dim!r} dimension in header (has {dims})")
        index = dims.index(dim)
        codes: set[str] = set()
        for lineno, raw in enumerate(fh, start=2):
            if not raw.strip():
                continue
            key = raw.split("\t", 1)[0].split(",")
            if len(key) != len(dims):
                raise ValueError(
                    f"{path}:{lineno}: series key {key!r} does not match dimensions {dims}"
                )
            codes.add(key[index].strip())
    return codes
