"""Shared by the export tests (tests/participation/exports/): comparing tables and reading
back every byte an export wrote."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

#: columns after the fixed ones: the texts in the hostile workshop's one language (en)
#: and P(rank k) for each of its 3 options
EXTRA = {"content": ["text_en"], "recommendation_ranks": ["p_rank_1", "p_rank_2", "p_rank_3"]}
#: the Frictionless type of those columns
EXTRA_TYPE = {"content": "string", "recommendation_ranks": "number"}


def assert_same(back: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame]) -> None:
    """``back`` holds the same tables as ``tables``, in order, with the same dtypes."""
    assert list(back) == list(tables)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(back[name], frame, obj=name)


def files_text(path: Path) -> str:
    """Every byte an export wrote, decoded (xlsx: every member of the zip)."""
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    parts = []
    for file in files:
        if file.suffix == ".xlsx":
            with zipfile.ZipFile(file) as z:
                parts += [z.read(n).decode("utf-8") for n in z.namelist()]
        elif file.is_file():
            parts.append(file.read_bytes().decode("utf-8-sig"))
    return "\n".join(parts)
