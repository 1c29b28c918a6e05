"""What the modules of the export tables share: a column's spec and variable columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: a column as (name, Frictionless type, description)
ColumnSpec = tuple[str, str, str]


@dataclass(frozen=True)
class ExtraColumns:
    """The variable columns a table takes after its fixed ones (``p_rank_<k>``,
    ``text_<lang>``)."""

    #: their typed specs for the names found, or None if the names do not fit
    columns: Callable[[Sequence[str]], list[ColumnSpec] | None]
    #: what they must be, in words (for the reader's error when they do not fit)
    rule: str
