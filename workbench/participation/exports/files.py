"""Where exports go and in which format: :func:`write_export` and :func:`read_export`.

An export is written in a temporary sibling first and moved into place only when it is
complete; an existing path is never overwritten. Each format is a module with a
``write(tables, target)`` and a ``read(path)``: a folder of CSV files
(:mod:`~workbench.participation.exports.csv_format`), one workbook
(:mod:`~workbench.participation.exports.xlsx_format`) or one JSON document
(:mod:`~workbench.participation.exports.json_format`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.exceptions import InvalidInput, Problem
from workbench.participation.exports import csv_format, json_format, xlsx_format
from workbench.participation.exports.tables import workshop_id_of

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("csv", "xlsx", "json")
_WRITERS = {"csv": csv_format.write, "xlsx": xlsx_format.write, "json": json_format.write}
_SUFFIX = {"csv": "", "xlsx": ".xlsx", "json": ".json"}
_STAMP = "%Y%m%dT%H%M%SZ"


def default_export_path(
    home: Path, workshop_id: int | str, fmt: str, now: datetime | None = None
) -> Path:
    """``<home>/exports/workshop-<id>-<UTC time>[.xlsx|.json]`` (a folder for csv)."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime(_STAMP)
    return home / "exports" / f"workshop-{workshop_id}-{stamp}{_SUFFIX[fmt]}"


def write_export(
    tables: dict[str, pd.DataFrame],
    fmt: str,
    output: Path | None = None,
    *,
    home: Path | None = None,
) -> Path:
    """Write ``tables`` as ``fmt`` (csv, xlsx or json) and return the path written.

    ``output`` defaults to :func:`default_export_path` under ``home`` (the current folder
    if not given). An existing ``output`` is never overwritten.
    """
    if fmt not in FORMATS:
        raise InvalidInput(
            [Problem("--format", "format", f"{fmt!r} is not one of {', '.join(FORMATS)}")]
        )
    if not tables:
        raise InvalidInput([Problem("export", "tables", "there is nothing to export")])
    if output is None:
        output = _free_default(Path(home or Path.cwd()), workshop_id_of(tables), fmt)
    else:
        output = Path(output)
        if _SUFFIX[fmt] and output.suffix.lower() != _SUFFIX[fmt]:
            raise InvalidInput(
                [Problem("--output", str(output), f"a {fmt} export must end in {_SUFFIX[fmt]}")]
            )
        if fmt == "csv" and output.suffix.lower() in (".xlsx", ".json", ".csv"):
            raise InvalidInput(
                [
                    Problem(
                        "--output",
                        str(output),
                        "a csv export is a folder (one CSV per table and datapackage.json); "
                        "give a folder name without a file extension",
                    )
                ]
            )
        if output.exists() or output.is_symlink():
            raise _exists(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    writer = _WRITERS[fmt]
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        target = tmp / ("export" + _SUFFIX[fmt])
        if fmt == "csv":
            target.mkdir()
        writer(tables, target)
        _publish(target, output)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return output


def _free_default(home: Path, workshop_id: int | str, fmt: str) -> Path:
    path = default_export_path(home, workshop_id, fmt)
    n = 1
    while path.exists():
        n += 1
        path = path.with_name(f"{path.name.removesuffix(_SUFFIX[fmt])}-{n}{_SUFFIX[fmt]}")
    return path


def _exists(path: Path) -> InvalidInput:
    return InvalidInput(
        [Problem("--output", str(path), "already exists; refusing to overwrite it")]
    )


def _publish(written: Path, output: Path) -> None:
    """Move a finished export into place without ever replacing an existing path."""
    if output.exists() or output.is_symlink():
        raise _exists(output)
    if written.is_dir():
        written.rename(output)
        return
    try:
        os.link(written, output)  # fails if output exists, unlike rename
    except FileExistsError:
        raise _exists(output) from None
    except OSError:  # no hard links on this file system
        written.replace(output)


def read_export(path: Path) -> dict[str, pd.DataFrame]:
    """Read an export written by :func:`write_export` (csv folder, .xlsx or .json)."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput([Problem(str(path), "", "no such export")])
    if path.is_dir():
        return csv_format.read(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return xlsx_format.read(path)
    if suffix == ".json":
        return json_format.read(path)
    raise InvalidInput(
        [Problem(str(path), "", "not an export: expected a folder, an .xlsx or a .json file")]
    )
