"""The shared table reader: cell text and header names (the readers' own tests cover files)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.data.tables import RawTable, cell_text, header_names, raw_from_frame


def test_cell_text_reads_as_a_user_would() -> None:
    assert cell_text(np.float64(12.5)) == "12.5"  # not "np.float64(12.5)"
    assert cell_text(3.0) == "3" and cell_text(np.int64(7)) == "7"
    assert cell_text(np.True_) == "true" and cell_text(False) == "false"
    assert cell_text(float("nan")) is None and cell_text(pd.NaT) is None
    assert cell_text(pd.NA) is None and cell_text(None) is None
    assert cell_text(" x ") == " x "


def test_header_names_drop_trailing_empty_columns_only() -> None:
    raw = RawTable("t", [" Region ", "ISCO", "", ""], 1, [["ES61", "2512", "", None]])
    assert header_names(raw) == ["region", "isco"]
    raw.rows.append(["ES61", "2512", "", "oops"])  # a value there keeps the columns
    assert header_names(raw) == ["region", "isco", "", ""]


def test_raw_from_frame_labels_rows_by_index() -> None:
    raw = raw_from_frame(pd.DataFrame({"a": [1.0, None]}, index=["x", "y"]), "f", blank="")
    assert raw.rows == [["1"], [""]]
    assert raw.labels == ["index 'x': ", "index 'y': "] and raw.lines == [None, None]
