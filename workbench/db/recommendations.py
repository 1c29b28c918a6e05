"""Crud for tuned recommendation versions, their audit log, and the rows they rest on.

Versions are written once and never updated. :func:`add_version` inserts inside a
savepoint; when a concurrent writer stored the same content hash first (the unique
constraint on ``version``), the stored row is returned instead: the same inputs give the
same version, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workbench.db.models import (
    Feedback,
    RecommendationEvent,
    RecommendationVersion,
    Workshop,
)

#: The feedback kinds a tuning reads.
TUNING_KINDS = ("points", "rating")
#: Actions that set a case's accepted version.
DECISIONS = ("accept", "rollback")


def feedback_rows(session: Session, *, workshop_id: int, round_number: int) -> list[list[int]]:
    """``[[id, revision], …]`` of the round's points and ratings, by id."""
    query = (
        select(col(Feedback.id), col(Feedback.revision))
        .where(
            Feedback.workshop_id == workshop_id,
            Feedback.round == round_number,
            col(Feedback.kind).in_(TUNING_KINDS),
        )
        .order_by(col(Feedback.id))
    )
    return [[int(i), int(r)] for i, r in session.connection().execute(query)]


def find_version(session: Session, *, version: str) -> RecommendationVersion | None:
    """One version by its full hash, or None."""
    query = select(RecommendationVersion).where(RecommendationVersion.version == version)
    return session.exec(query).first()


def find_versions_by_prefix(session: Session, *, prefix: str) -> list[RecommendationVersion]:
    """Versions whose hash starts with ``prefix`` (at most a few)."""
    query = select(RecommendationVersion).where(
        col(RecommendationVersion.version).startswith(prefix)
    )
    return list(session.exec(query.order_by(col(RecommendationVersion.id)).limit(5)).all())


def find_versions(
    session: Session, *, case_slug: str | None = None, workshop_id: int | None = None
) -> list[RecommendationVersion]:
    """Versions, oldest first; of one case study and/or workshop if given."""
    query = select(RecommendationVersion)
    if case_slug is not None:
        query = query.where(RecommendationVersion.case_slug == case_slug)
    if workshop_id is not None:
        query = query.where(RecommendationVersion.workshop_id == workshop_id)
    return list(session.exec(query.order_by(col(RecommendationVersion.id))).all())


def add_version(session: Session, **fields: Any) -> tuple[RecommendationVersion, bool]:
    """Insert a version; ``(row, True)``, or ``(stored row, False)`` when its hash exists."""
    found = find_version(session, version=fields["version"])
    if found is not None:
        return found, False
    try:
        with session.begin_nested():
            row = RecommendationVersion(**fields)
            session.add(row)
            session.flush()
            session.refresh(row)
            return row, True
    except IntegrityError:
        stored = find_version(session, version=fields["version"])
        if stored is None:  # pragma: no cover - the constraint names another column
            raise
        return stored, False


def add_event(session: Session, **fields: Any) -> RecommendationEvent:
    """Append one event to the audit log."""
    row = RecommendationEvent(**fields)
    session.add(row)
    session.flush()
    session.refresh(row)
    return row


def find_events(
    session: Session, *, case_slug: str | None = None, version: str | None = None
) -> Sequence[RecommendationEvent]:
    """Audit-log events, oldest first; of one case study and/or version if given."""
    query = select(RecommendationEvent)
    if case_slug is not None:
        query = query.where(RecommendationEvent.case_slug == case_slug)
    if version is not None:
        query = query.where(RecommendationEvent.version == version)
    return session.exec(query.order_by(col(RecommendationEvent.id))).all()


def accepted_event(session: Session, *, case_slug: str) -> RecommendationEvent | None:
    """The latest accept or rollback of a case study, or None."""
    query = (
        select(RecommendationEvent)
        .where(
            RecommendationEvent.case_slug == case_slug,
            col(RecommendationEvent.action).in_(DECISIONS),
        )
        .order_by(col(RecommendationEvent.id).desc())
    )
    return session.exec(query).first()


def decisions(events: Sequence[RecommendationEvent]) -> tuple[str | None, set[str]]:
    """From a case's events, oldest first: its current accepted version (None: no decision,
    or back to the evidence-only proposal) and every version ever accepted."""
    decided = [e for e in events if e.action in DECISIONS]
    current = decided[-1].version if decided else None
    return (current or None), {e.version for e in decided if e.version}


def version_status(version: str, current: str | None, ever: set[str]) -> str:
    """ "accepted" (the case's current one), "was accepted" or "proposed"."""
    if version == current:
        return "accepted"
    return "was accepted" if version in ever else "proposed"


def lock_case(session: Session, *, case_slug: str) -> None:
    """Serialise decisions on one case study: lock its workshops' rows (PostgreSQL;
    SQLite's write transactions are serialised anyway)."""
    query = select(Workshop.id).where(Workshop.case_slug == case_slug).with_for_update()
    session.exec(query).all()


def repoint_workshops(
    session: Session, *, case_slug: str, publication_id: int, states: Sequence[str]
) -> list[int]:
    """Point the case's workshops in ``states`` at ``publication_id``; their ids."""
    query = select(Workshop).where(Workshop.case_slug == case_slug, col(Workshop.state).in_(states))
    moved = []
    for workshop in session.exec(query).all():
        if workshop.publication_id != publication_id:
            workshop.publication_id = publication_id
            session.add(workshop)
            moved.append(int(workshop.id or 0))
    session.flush()
    return sorted(moved)
