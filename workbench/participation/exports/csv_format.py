"""CSV exports: a folder with one CSV file per table and a Frictionless
``datapackage.json`` describing them (types, descriptions, dialect).

Files are UTF-8 with a byte-order mark (for Excel) and CRLF line ends; text cells go
through :func:`~workbench.participation.exports.tables.guard` against formula injection,
and :func:`read` removes the guard again.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.exceptions import InvalidInput, Problem
from workbench.participation.exports.tables import (
    ABOUT,
    EXPORT_FORMAT,
    EXPORT_VERSION,
    GUARDED_STARTS,
    TABLES,
    check_name,
    frame_cells,
    guard,
    iso,
    schema_fields,
    typed,
    unguard,
    workshop_id_of,
)

if TYPE_CHECKING:
    import pandas as pd

DATAPACKAGE = "datapackage.json"


def write(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Write ``tables`` into ``folder`` (which exists and is empty)."""
    import pandas as pd

    resources = []
    for name, frame in tables.items():
        check_name(name)
        fields = schema_fields(name, frame)
        cells = [[_cell(v) for v in row] for row in frame_cells(frame)]
        header = [guard(str(c)) for c in frame.columns]
        pd.DataFrame(cells, columns=header, dtype=object).to_csv(
            folder / f"{name}.csv", index=False, encoding="utf-8-sig", lineterminator="\r\n"
        )
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "description": TABLES[name].description if name in TABLES else "",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {
                    "delimiter": ",",
                    "doubleQuote": True,
                    "quoteChar": '"',
                    "lineTerminator": "\r\n",
                    "header": True,
                },
                "schema": {"fields": fields, "missingValues": [""]},
            }
        )
    package = {
        "profile": "tabular-data-package",
        "name": f"almp-workshop-{workshop_id_of(tables)}",
        "title": f"ALMP co-design workshop {workshop_id_of(tables)}",
        "description": " ".join(ABOUT),
        "created": iso(datetime.now(UTC)),
        "x-almp-workbench": {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "formula_guard": "text cells starting with "
            + " ".join(repr(c) for c in GUARDED_STARTS)
            + " carry one extra leading apostrophe",
        },
        "resources": resources,
    }
    (folder / DATAPACKAGE).write_text(
        json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return guard(value)
    return value


def read(folder: Path) -> dict[str, pd.DataFrame]:
    """Read a CSV export folder back into typed tables."""
    import pandas as pd

    meta = folder / DATAPACKAGE
    if not meta.is_file():
        raise InvalidInput([Problem(str(folder), "", f"not an export folder: no {DATAPACKAGE}")])
    package = json.loads(meta.read_text(encoding="utf-8"))
    out = {}
    for resource in package.get("resources", []):
        name = resource["name"]
        source = folder / resource["path"]
        raw = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        columns = [unguard(str(c)) for c in raw.columns]
        fields = [(f["name"], f.get("type", "string")) for f in resource["schema"]["fields"]]
        if [n for n, _ in fields] != columns:
            raise InvalidInput(
                [Problem(str(source), "header", f"columns {columns} differ from {DATAPACKAGE}")]
            )
        rows = [[unguard(v) for v in row] for row in raw.itertuples(index=False, name=None)]
        out[name] = typed(name, columns, rows, fields)
    return out
