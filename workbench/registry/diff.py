"""What changed between two versions of a model: its headline cells, compared.

A cell *moved* when its value changed; it was *revised* when only its interval or its
evidence count changed; it *appeared* or *disappeared* with a key that only one version
has; it *became insufficient* (a number turned into "insufficient evidence") or *became
sufficient* (the reverse). Unchanged cells are left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.registry.types import Cell

#: Kinds of change, in the order a diff lists them.
CHANGE_KINDS = (
    "moved",
    "became_insufficient",
    "became_sufficient",
    "appeared",
    "disappeared",
    "revised",
)
#: Value differences at most this large count as no move (float noise).
TOLERANCE = 1e-9


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def cell_to_json(cell: Cell) -> dict[str, Any]:
    """A cell as plain JSON (non-finite numbers become null)."""
    return {
        "value": _number(cell.value),
        "low": _number(cell.low),
        "high": _number(cell.high),
        "n": int(cell.n),
        "label": str(cell.label),
    }


def cell_from_json(data: Mapping[str, Any]) -> Cell:
    """The inverse of :func:`cell_to_json`."""
    return Cell(
        value=_number(data.get("value")),
        low=_number(data.get("low")),
        high=_number(data.get("high")),
        n=int(data.get("n") or 0),
        label=str(data.get("label") or ""),
    )


def cells_to_text(cells: Mapping[str, Cell]) -> str:
    """JSON text of a version's cells (what the registry stores)."""
    return json.dumps({key: cell_to_json(c) for key, c in sorted(cells.items())}, allow_nan=False)


def cells_from_text(text: str) -> dict[str, Cell]:
    """The inverse of :func:`cells_to_text`."""
    return {key: cell_from_json(value) for key, value in json.loads(text or "{}").items()}


@dataclass(frozen=True)
class CellChange:
    """One cell that differs between the approved version (before) and another (after)."""

    key: str
    change: str  # one of CHANGE_KINDS
    before: Cell | None
    after: Cell | None
    #: after.value - before.value when both are numbers
    delta: float | None = None

    @property
    def label(self) -> str:
        """The cell's human name (the newer version's, else the older's, else its key)."""
        cell = self.after or self.before
        return (cell.label if cell else "") or self.key

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, as stored with a version."""
        return {
            "key": self.key,
            "change": self.change,
            "before": cell_to_json(self.before) if self.before else None,
            "after": cell_to_json(self.after) if self.after else None,
            "delta": _number(self.delta),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CellChange:
        """The inverse of :meth:`to_json`."""
        return cls(
            key=str(data["key"]),
            change=str(data["change"]),
            before=cell_from_json(data["before"]) if data.get("before") else None,
            after=cell_from_json(data["after"]) if data.get("after") else None,
            delta=_number(data.get("delta")),
        )


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOLERANCE


def _compare(key: str, before: Cell, after: Cell) -> CellChange | None:
    old, new = _number(before.value), _number(after.value)
    if old is not None and new is None:
        return CellChange(key, "became_insufficient", before, after)
    if old is None and new is not None:
        return CellChange(key, "became_sufficient", before, after)
    if old is not None and new is not None and not _same(old, new):
        return CellChange(key, "moved", before, after, new - old)
    unchanged = (
        _same(_number(before.low), _number(after.low))
        and _same(_number(before.high), _number(after.high))
        and before.n == after.n
    )
    return (
        None
        if unchanged
        else CellChange(key, "revised", before, after, None if new is None else 0.0)
    )


def diff_cells(before: Mapping[str, Cell], after: Mapping[str, Cell]) -> list[CellChange]:
    """Every cell that differs from ``before`` (the approved version) to ``after``.

    Sorted by kind of change (:data:`CHANGE_KINDS`), then by the size of the move
    (largest first), then by key.
    """
    changes: list[CellChange] = []
    for key in sorted(set(before) | set(after)):
        if key not in before:
            changes.append(CellChange(key, "appeared", None, after[key]))
        elif key not in after:
            changes.append(CellChange(key, "disappeared", before[key], None))
        elif (change := _compare(key, before[key], after[key])) is not None:
            changes.append(change)
    return sorted(
        changes,
        key=lambda c: (CHANGE_KINDS.index(c.change), -abs(c.delta or 0.0), c.key),
    )


__all__ = [
    "CHANGE_KINDS",
    "CellChange",
    "cell_from_json",
    "cell_to_json",
    "cells_from_text",
    "cells_to_text",
    "diff_cells",
]
