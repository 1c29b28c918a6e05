"""JSON exports: one document ``{"format", "version", "tables": {name: {"columns",
"rows"}}}``. Values stay raw: no formula guard, since no spreadsheet opens it. Any
version up to this workbench's is read (see :mod:`~workbench.participation.exports.tables`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.exceptions import InvalidInput, Problem
from workbench.participation.exports.tables import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    frame_cells,
    typed,
)

if TYPE_CHECKING:
    import pandas as pd


def write(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """Write ``tables`` as the JSON document ``path``."""
    doc = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "tables": {
            name: {"columns": [str(c) for c in frame.columns], "rows": frame_cells(frame)}
            for name, frame in tables.items()
        },
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def read(path: Path) -> dict[str, pd.DataFrame]:
    """Read a JSON export back into typed tables."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InvalidInput([Problem(str(path), "", f"not valid JSON ({exc})")]) from None
    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
        raise InvalidInput([Problem(str(path), "format", f"is not {EXPORT_FORMAT!r}")])
    version = doc.get("version")
    if isinstance(version, bool) or version not in range(1, EXPORT_VERSION + 1):
        raise InvalidInput(
            [
                Problem(
                    str(path),
                    "version",
                    f"{version!r} is not an export version this workbench reads "
                    f"(1 to {EXPORT_VERSION})",
                )
            ]
        )
    return {
        name: typed(name, list(table["columns"]), [list(r) for r in table["rows"]])
        for name, table in doc["tables"].items()
    }
