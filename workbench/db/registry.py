"""Crud for the model registry (versions, audit log) and the evidence change log.

Version numbers are whole numbers per model name ("1", "2", …). :func:`add_next_version`
inserts ``max + 1`` inside a savepoint and, when a concurrent writer took that number
first (the unique constraint on ``(name, version)``), tries the next one: two candidates
created at the same time never share a number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workbench.db.models import EvidenceChange, ModelEvent, ModelVersion
from workbench.exceptions import StoreUnavailable

#: How many numbers :func:`add_next_version` tries before giving up.
MAX_ATTEMPTS = 50


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    session.refresh(row)
    return row


# -- versions ------------------------------------------------------------------------


def model_names(session: Session) -> list[str]:
    """Names of every model with at least one version row, sorted."""
    query = select(ModelVersion.name).distinct().order_by(col(ModelVersion.name))
    return list(session.exec(query).all())


def find_versions(session: Session, *, name: str, lock: bool = False) -> list[ModelVersion]:
    """Every version of ``name``, oldest first; ``lock`` takes their rows for update
    (PostgreSQL; SQLite's write transactions are serialised anyway)."""
    query = select(ModelVersion).where(ModelVersion.name == name).order_by(col(ModelVersion.id))
    if lock:
        query = query.with_for_update()
    return list(session.exec(query).all())


def find_version(session: Session, *, name: str, version: str) -> ModelVersion | None:
    """One version of ``name``, or None."""
    query = select(ModelVersion).where(ModelVersion.name == name, ModelVersion.version == version)
    return session.exec(query).first()


def find_approved(session: Session, *, name: str) -> ModelVersion | None:
    """The approved version of ``name``, or None."""
    query = select(ModelVersion).where(ModelVersion.name == name, ModelVersion.status == "approved")
    return session.exec(query.order_by(col(ModelVersion.id).desc())).first()


def next_version_number(session: Session, *, name: str) -> int:
    """One more than the highest whole-number version of ``name`` (1 for the first)."""
    versions = session.exec(select(ModelVersion.version).where(ModelVersion.name == name)).all()
    numbers = [int(v) for v in versions if v.isdigit()]
    return max(numbers, default=0) + 1


def add_seeded_version(session: Session, **fields: Any) -> ModelVersion | None:
    """Insert an existing version (status given in ``fields``); None when a concurrent
    writer recorded the same ``(name, version)`` first."""
    try:
        with session.begin_nested():
            return _add(session, ModelVersion(**fields))  # type: ignore[no-any-return]
    except IntegrityError:
        return None


def add_next_version(session: Session, *, name: str, **fields: Any) -> ModelVersion:
    """Insert version ``max + 1`` of ``name``; on a concurrent duplicate, the next number.

    Raises:
        StoreUnavailable: no free number after :data:`MAX_ATTEMPTS` tries.
    """
    for _ in range(MAX_ATTEMPTS):
        number = next_version_number(session, name=name)
        try:
            with session.begin_nested():
                row = ModelVersion(name=name, version=str(number), **fields)
                return _add(session, row)  # type: ignore[no-any-return]
        except IntegrityError:
            continue
    raise StoreUnavailable(
        f"could not number a new version of {name!r}: too many concurrent writers; "
        "nothing was saved, please try again"
    )


def update_version(session: Session, row: ModelVersion, **fields: Any) -> ModelVersion:
    """Set ``fields`` on a version row."""
    for key, value in fields.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    return row


# -- audit log -----------------------------------------------------------------------


def add_event(session: Session, **fields: Any) -> ModelEvent:
    """Append one event to the registry's audit log."""
    return _add(session, ModelEvent(**fields))  # type: ignore[no-any-return]


def find_events(session: Session, *, name: str | None = None) -> Sequence[ModelEvent]:
    """Audit-log events, oldest first; of one model if ``name`` is given."""
    query = select(ModelEvent)
    if name is not None:
        query = query.where(ModelEvent.name == name)
    return session.exec(query.order_by(col(ModelEvent.id))).all()


# -- evidence changes ----------------------------------------------------------------


def add_evidence_changes(
    session: Session, changes: Iterable[dict[str, Any]]
) -> list[EvidenceChange]:
    """Insert evidence-change rows (fields of :class:`EvidenceChange` each)."""
    rows = [EvidenceChange(**fields) for fields in changes]
    session.add_all(rows)
    session.flush()
    return rows


def find_evidence_changes(
    session: Session, *, model: str, row_id: str | None = None, version: str | None = None
) -> Sequence[EvidenceChange]:
    """Changes of ``model``'s evidence, oldest first; of one row and/or version if given."""
    query = select(EvidenceChange).where(EvidenceChange.model == model)
    if row_id is not None:
        query = query.where(EvidenceChange.row_id == row_id)
    if version is not None:
        query = query.where(EvidenceChange.version == version)
    return session.exec(query.order_by(col(EvidenceChange.id))).all()
