"""What the registry reports: versions, model summaries, audit-log events, decisions."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.db.models import ModelEvent, ModelVersion
from workbench.exceptions import Problem
from workbench.registry.diff import CellChange, cells_from_text
from workbench.registry.types import Cell

STATUSES = ("candidate", "approved", "rejected", "superseded")


@dataclass(frozen=True)
class VersionInfo:
    """One version of a model as the registry records it."""

    name: str
    version: str
    status: str
    parent: str | None
    created_by: str
    created_at: datetime
    reason: str
    training_hash: str
    metrics: dict[str, float | None]
    cells: dict[str, Cell]
    #: changes of the cells against ``parent`` (the approved version when it was made)
    diff: list[CellChange]
    #: paths relative to ``directory``
    files: tuple[str, ...]
    card: str
    kind: str
    description: str
    directory: Path
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    #: the card's markdown (filled by :meth:`ModelRegistry.show`)
    card_text: str = ""


@dataclass(frozen=True)
class ModelSummary:
    """One model for listings; ``problem`` is set when its ``model.yaml`` is unusable or
    disagrees with the registry."""

    name: str
    approved: str | None
    candidates: tuple[str, ...]
    versions: int
    kind: str = ""
    description: str = ""
    problem: str | None = None


@dataclass(frozen=True)
class EventInfo:
    """One entry of the audit log."""

    name: str
    version: str
    action: str
    by: str
    reason: str
    at: datetime
    from_version: str | None = None
    override: str | None = None


@dataclass(frozen=True)
class Decision:
    """What an approve, reject or rollback did."""

    name: str
    version: str
    action: str
    #: the version approved before (approve, rollback)
    previous: str | None = None
    #: runs that no longer have a current result (from the registry's ``stale`` hook)
    stale: tuple[Any, ...] = field(default_factory=tuple)


Gate = Callable[[VersionInfo], list[Problem]]


def version_info(row: ModelVersion, model_dir: Path, card_text: str = "") -> VersionInfo:
    """A version row as :class:`VersionInfo` (JSON text fields parsed)."""
    return VersionInfo(
        name=row.name,
        version=row.version,
        status=row.status,
        parent=row.parent,
        created_by=row.created_by,
        created_at=row.created_at,
        reason=row.reason,
        training_hash=row.training_hash,
        metrics=json.loads(row.metrics or "{}"),
        cells=cells_from_text(row.cells),
        diff=[CellChange.from_json(c) for c in json.loads(row.diff or "[]")],
        files=tuple(json.loads(row.files or "[]")),
        card=row.card,
        kind=row.kind,
        description=row.description,
        directory=model_dir,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        card_text=card_text,
    )


def event_info(row: ModelEvent) -> EventInfo:
    """An audit-log row as :class:`EventInfo`."""
    return EventInfo(
        name=row.name,
        version=row.version,
        action=row.action,
        by=row.actor,
        reason=row.reason,
        at=row.created_at,
        from_version=row.from_version,
        override=row.override,
    )


__all__ = [
    "STATUSES",
    "Decision",
    "EventInfo",
    "Gate",
    "ModelSummary",
    "VersionInfo",
    "event_info",
    "version_info",
]
