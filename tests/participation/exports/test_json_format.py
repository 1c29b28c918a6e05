"""JSON exports: one raw document, typed values, no guard."""

from __future__ import annotations

import json
from pathlib import Path

import _hostile as hostile

from workbench.participation.exports import (
    EXPORT_VERSION,
    TABLES,
    workshop_tables,
    write_export,
)


def test_json_stays_raw(room, tmp_path: Path) -> None:
    env, h = room
    path = write_export(workshop_tables(env.db, h.wid), "json", home=tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"]) == ("almp-workbench-export", EXPORT_VERSION)
    comments = doc["tables"]["comments"]
    assert comments["columns"] == TABLES["comments"].names
    at = comments["columns"].index("text")
    texts = {row[at] for row in comments["rows"]}
    assert '=HYPERLINK("http://x","y")' in texts and hostile.RAW_STARTS[0] in texts
    assert {type(v) for row in doc["tables"]["approvals"]["rows"] for v in row} == {int, str, bool}
