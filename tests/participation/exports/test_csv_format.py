"""CSV exports: a folder of guarded CSV files described by a Frictionless datapackage."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import _exports as ex
import _hostile as hostile

from workbench.participation.exports import TABLES, workshop_tables, write_export


def test_csv_guards_hostile_cells_and_describes_itself(room, tmp_path: Path) -> None:
    env, h = room
    tables = workshop_tables(env.db, h.wid)
    folder = write_export(tables, "csv", home=tmp_path)
    assert folder.is_dir() and folder.parent == tmp_path / "exports"
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["profile"] == "tabular-data-package"
    assert [r["name"] for r in package["resources"]] == list(TABLES)
    cells: list[str] = []
    for resource in package["resources"]:
        raw = (folder / resource["path"]).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Excel"
        with (folder / resource["path"]).open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        fields = resource["schema"]["fields"]
        assert rows[0] == [f["name"] for f in fields]
        extra = [ex.EXTRA_TYPE.get(resource["name"])] * len(ex.EXTRA.get(resource["name"], []))
        assert [f["type"] for f in fields] == [
            c.type for c in TABLES[resource["name"]].columns
        ] + extra
        assert len(rows) - 1 == len(tables[resource["name"]])
        cells += [c for row in rows[1:] for c in row]
    for text in [*hostile.HOSTILE, *hostile.RAW_STARTS]:
        if text.startswith(hostile.GUARDED):
            assert "'" + text in cells, text
            assert text not in cells, text
    assert "<script>alert(1)</script>" in cells
    assert "Ünïcödé — 日本語 ✓ café" in cells
    assert {"true", "false"} <= set(cells)  # approvals: Frictionless booleans
