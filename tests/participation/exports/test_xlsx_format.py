"""XLSX exports: no formulas or errors, hostile cells start with a quote, a readable
layout and an about sheet."""

from __future__ import annotations

from pathlib import Path

import _hostile as hostile

from workbench.participation.exports import TABLES, workshop_tables, write_export


def test_xlsx_has_no_formulas_and_hostile_cells_start_with_a_quote(room, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    env, h = room
    path = write_export(workshop_tables(env.db, h.wid), "xlsx", home=tmp_path)
    book = load_workbook(path)
    assert book.sheetnames == ["about", *TABLES]
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                assert cell.data_type != "e", f"{sheet.title}!{cell.coordinate} is an error"
                if isinstance(cell.value, str):
                    values.append(cell.value)
    for text in [*hostile.HOSTILE, *hostile.RAW_STARTS]:
        if text.startswith(hostile.GUARDED):
            escaped = text.replace("\r", "_x000D_")
            assert "'" + escaped in values, text
            assert escaped not in values, text
    assert '=HYPERLINK("http://x","y")' not in values
    assert "_x005F_x000D_ is not a carriage return" in values  # literal escape kept literal
    sheet = book["comments"]
    assert sheet.freeze_panes == "A2" and all(c.font.b for c in sheet[1])
    assert [c.value for c in sheet[1]] == TABLES["comments"].names
    assert all(sheet.column_dimensions[c].width >= 8 for c in "ABCDE")
    about = [c.value for row in book["about"].iter_rows() for c in row if c.value]
    assert any("pseudonymous" in str(v) for v in about)
