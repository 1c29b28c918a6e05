"""XLSX exports: one workbook with an ``about`` sheet and one sheet per table.

Text cells carry the formula-injection guard and Excel's own ``_xHHHH_`` escape for
characters XML cannot hold; they are always stored as text, never as formulas or errors.
Headers are bold and frozen, columns sized to their content.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.participation.exports.tables import (
    ABOUT,
    ABOUT_SHEET,
    TABLES,
    check_name,
    frame_cells,
    guard,
    typed,
    unguard,
)

if TYPE_CHECKING:
    import pandas as pd

_MAX_WIDTH = 60

# Excel's own escape for characters XML cannot carry (ST_Xstring): _xHHHH_. A literal
# "_xHHHH_" in the text is escaped by escaping its underscore (_x005F_).
_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b-\x1f]")
_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _escape(text: str) -> str:
    return _ESCAPE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def write(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """Write ``tables`` as the workbook ``path``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    about = book.active
    assert about is not None
    about.title = ABOUT_SHEET
    lines: list[list[Any]] = [[line] for line in ABOUT]
    lines += [[], ["table", "rows", "what it holds"]]
    for name, frame in tables.items():
        check_name(name)
        lines.append([name, len(frame), TABLES[name].description if name in TABLES else ""])
    for row in lines:
        about.append([_value(v) for v in row])
    for row in about.iter_rows():
        for cell in row:
            _mark_text(cell)
            cell.alignment = Alignment(wrap_text=False, vertical="top")
    about.column_dimensions["A"].width = 16
    about.column_dimensions["C"].width = 80
    header_row = len(ABOUT) + 2
    for cell in about[header_row]:
        cell.font = Font(bold=True)
    bold = Font(bold=True)
    for name, frame in tables.items():
        sheet = book.create_sheet(name)
        sheet.append([_value(str(c)) for c in frame.columns])
        rows = frame_cells(frame)
        for row in rows:
            sheet.append([_value(v) for v in row])
        for row in sheet.iter_rows():
            for cell in row:
                _mark_text(cell)
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for i, column in enumerate(frame.columns):
            values = [str(column)] + [str(r[i]) for r in rows if r[i] is not None]
            width = max(len(line) for v in values for line in (v.splitlines() or [""]))
            letter = sheet.cell(row=1, column=i + 1).column_letter
            sheet.column_dimensions[letter].width = min(max(width, 6), _MAX_WIDTH) + 2
    book.save(path)


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return _escape(guard(value)) if value else None
    return value


def _mark_text(cell: Any) -> None:
    """Text stays text: openpyxl would store "=…" as a formula and "#N/A" as an error."""
    if isinstance(cell.value, str):
        cell.data_type = "s"


def read(path: Path) -> dict[str, pd.DataFrame]:
    """Read an XLSX export back into typed tables."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=False)
    try:
        out = {}
        for sheet in book.worksheets:
            if sheet.title == ABOUT_SHEET:
                continue
            found = [list(r) for r in sheet.iter_rows(values_only=True)]
            if not found:
                continue
            columns = [_text(c) for c in found[0]]
            while columns and columns[-1] == "":
                columns.pop()
            rows = []
            for row in found[1:]:
                cells = (row + [None] * len(columns))[: len(columns)]
                rows.append([_text(c) if isinstance(c, str) else c for c in cells])
            out[sheet.title] = typed(sheet.title, columns, rows)
        return out
    finally:
        book.close()


def _text(value: Any) -> str:
    return "" if value is None else unguard(_unescape(str(value)))
