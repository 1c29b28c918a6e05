"""Queries for data-protection work: workshop exports and participants' own records.

Reads for :mod:`workbench.participation.exports` (every row of a workshop, joined to the
participants' pseudonymous ids) and reads and deletes for
:mod:`workbench.participation.privacy` (a participant's own rows, their erasure, the
retention period). Each function takes a session and returns rows or plain tuples.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from workbench.db.models import (
    Erasure,
    Feedback,
    Moderation,
    Participant,
    Publication,
    Statement,
    Submission,
    Workshop,
    WorkshopRound,
)

# -- consistent reads ----------------------------------------------------------------


def snapshot(session: Session) -> None:
    """Make every later read of this session see one snapshot of the database.

    SQLite's read transaction already does; PostgreSQL needs REPEATABLE READ (the
    default, READ COMMITTED, lets each statement see newer commits). Call it first.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


# -- workshop exports ----------------------------------------------------------------


def workshop_with_publication(
    session: Session, *, workshop_id: int
) -> tuple[Workshop, Publication] | None:
    """A workshop and the publication its participants saw, or None."""
    query = (
        select(Workshop, Publication)
        .join(Publication, col(Publication.id) == col(Workshop.publication_id))
        .where(Workshop.id == workshop_id)
    )
    row = session.exec(query).first()
    return None if row is None else (row[0], row[1])


def rounds_of(session: Session, *, workshop_id: int) -> Sequence[WorkshopRound]:
    """A workshop's rounds in order."""
    query = select(WorkshopRound).where(WorkshopRound.workshop_id == workshop_id)
    return session.exec(query.order_by(col(WorkshopRound.number))).all()


def participants_of(session: Session, *, workshop_id: int) -> Sequence[Participant]:
    """Every participant row (invitations included) of a workshop, by public id."""
    query = select(Participant).where(Participant.workshop_id == workshop_id)
    return session.exec(query.order_by(col(Participant.public_id))).all()


def feedback_with_authors(session: Session, *, workshop_id: int) -> list[tuple[Feedback, str]]:
    """Every feedback row of a workshop with its author's public id, oldest first."""
    query = (
        select(Feedback, Participant.public_id)
        .join(Participant, col(Participant.id) == col(Feedback.participant_id))
        .where(Feedback.workshop_id == workshop_id)
        .order_by(col(Feedback.id))
    )
    return [(row, public_id) for row, public_id in session.exec(query).all()]


def statements_with_authors(
    session: Session, *, workshop_id: int
) -> list[tuple[Statement, str | None]]:
    """A workshop's statements with the author's public id (None: facilitator or erased)."""
    query = (
        select(Statement, Participant.public_id)
        .join(Participant, col(Participant.id) == col(Statement.author_id), isouter=True)
        .where(Statement.workshop_id == workshop_id)
        .order_by(col(Statement.id))
    )
    return [(row, public_id) for row, public_id in session.exec(query).all()]


def moderation_of(session: Session, *, workshop_id: int) -> Sequence[Moderation]:
    """A workshop's moderation log, oldest first."""
    query = select(Moderation).where(Moderation.workshop_id == workshop_id)
    return session.exec(query.order_by(col(Moderation.id))).all()


# -- one participant -----------------------------------------------------------------


def find_participant_by_public_id(
    session: Session, *, public_id: str, lock: bool = False
) -> Participant | None:
    """The participant with this pseudonymous id; ``lock`` holds it until the commit."""
    query = select(Participant).where(Participant.public_id == public_id)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def feedback_of(session: Session, *, participant_id: int) -> Sequence[Feedback]:
    """All feedback rows of one participant, every round, oldest first."""
    query = select(Feedback).where(Feedback.participant_id == participant_id)
    return session.exec(query.order_by(col(Feedback.round), col(Feedback.id))).all()


def submissions_of(session: Session, *, participant_id: int) -> Sequence[Submission]:
    """All submissions of one participant, oldest first."""
    query = select(Submission).where(Submission.participant_id == participant_id)
    return session.exec(query.order_by(col(Submission.id))).all()


def statements_by(session: Session, *, participant_id: int) -> Sequence[Statement]:
    """The statements a participant proposed."""
    query = select(Statement).where(Statement.author_id == participant_id)
    return session.exec(query.order_by(col(Statement.id))).all()


def _targets(workshop_id: int, statement_ids: Sequence[int], comment_ids: Sequence[int]) -> Any:
    return and_(
        col(Moderation.workshop_id) == workshop_id,
        or_(
            and_(
                col(Moderation.target_kind) == "statement",
                col(Moderation.target_id).in_(list(statement_ids)),
            ),
            and_(
                col(Moderation.target_kind) == "comment",
                col(Moderation.target_id).in_(list(comment_ids)),
            ),
        ),
    )


def moderation_of_targets(
    session: Session, *, workshop_id: int, statement_ids: Sequence[int], comment_ids: Sequence[int]
) -> Sequence[Moderation]:
    """Moderation actions on these statements and comments (feedback ids), oldest first."""
    if not statement_ids and not comment_ids:
        return []
    query = select(Moderation).where(_targets(workshop_id, statement_ids, comment_ids))
    return session.exec(query.order_by(col(Moderation.id))).all()


@dataclass(frozen=True)
class PersonalRows:
    """What the database holds about one participant, by row ids."""

    participant_id: int
    workshop_id: int
    feedback_ids: list[int] = field(default_factory=list)
    comment_ids: list[int] = field(default_factory=list)
    submission_ids: list[int] = field(default_factory=list)
    statement_ids: list[int] = field(default_factory=list)
    moderation_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per table that erasing this participant deletes (statements: redacts)."""
        return {
            "participant": 1,
            "feedback": len(self.feedback_ids),
            "submission": len(self.submission_ids),
            "moderation": len(self.moderation_ids),
            "statement_redacted": len(self.statement_ids),
        }


def personal_rows(session: Session, participant: Participant) -> PersonalRows:
    """The ids of every row that belongs to, or is about, one participant."""
    assert participant.id is not None
    feedback = feedback_of(session, participant_id=participant.id)
    comment_ids = [f.id for f in feedback if f.kind == "comment" and f.id is not None]
    statement_ids = [
        s.id for s in statements_by(session, participant_id=participant.id) if s.id is not None
    ]
    moderation = moderation_of_targets(
        session,
        workshop_id=participant.workshop_id,
        statement_ids=statement_ids,
        comment_ids=comment_ids,
    )
    return PersonalRows(
        participant_id=participant.id,
        workshop_id=participant.workshop_id,
        feedback_ids=[f.id for f in feedback if f.id is not None],
        comment_ids=comment_ids,
        submission_ids=[
            s.id for s in submissions_of(session, participant_id=participant.id) if s.id
        ],
        statement_ids=statement_ids,
        moderation_ids=[m.id for m in moderation if m.id is not None],
    )


def secure_delete(session: Session) -> None:
    """SQLite: overwrite deleted content with zeros instead of leaving it in free pages."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete = ON")


def _run(session: Session, statement: Any) -> None:
    session.exec(statement)  # type: ignore[call-overload]


def erase_rows(session: Session, rows: PersonalRows, *, redacted_text: str) -> None:
    """Delete a participant and everything about them; redact the statements they proposed.

    Redacted statements keep their id (other participants' votes on them stay valid) but
    lose text and author and are hidden.
    """
    pid = rows.participant_id
    if rows.moderation_ids:
        _run(session, delete(Moderation).where(col(Moderation.id).in_(rows.moderation_ids)))
    _run(session, delete(Feedback).where(col(Feedback.participant_id) == pid))
    _run(session, delete(Submission).where(col(Submission.participant_id) == pid))
    if rows.statement_ids:
        _run(
            session,
            update(Statement)
            .where(col(Statement.id).in_(rows.statement_ids))
            .values(text=redacted_text, author_id=None, status="hidden"),
        )
    _run(session, delete(Participant).where(col(Participant.id) == pid))
    session.expire_all()


def release_erased_pages(engine: Engine) -> bool:
    """SQLite: rebuild the database file and empty the write-ahead log.

    Deleted rows otherwise survive in free pages, and older versions of updated rows in
    a page's free space, where a file-level reader could recover them. VACUUM rewrites
    every page from live rows only; the checkpoint then copies the result into the file
    and truncates the log. Runs outside any transaction; returns False (nothing changed,
    the erasure itself is committed) if the database is busy. PostgreSQL: no-op, its
    dead rows are reclaimed by (auto)vacuum.
    """
    if engine.dialect.name != "sqlite":
        return False
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            cursor.close()
    except sqlite3.OperationalError:  # busy or locked: the next erasure tries again
        return False
    finally:
        raw.close()
    return True


def add_erasure(session: Session, **fields: Any) -> Erasure:
    """Log an erasure (counts per table; never a participant reference)."""
    row = Erasure(**fields)
    session.add(row)
    session.flush()
    session.refresh(row)
    return row


def find_erasures(session: Session, *, workshop_id: int | None = None) -> Sequence[Erasure]:
    """Erasure log entries, oldest first."""
    query = select(Erasure)
    if workshop_id is not None:
        query = query.where(Erasure.workshop_id == workshop_id)
    return session.exec(query.order_by(col(Erasure.id))).all()


# -- retention -----------------------------------------------------------------------


def set_retention(session: Session, *, workshop_id: int, days: int) -> Workshop | None:
    """Set a workshop's retention period; None if there is no such workshop."""
    workshop = session.get(Workshop, workshop_id)
    if workshop is None:
        return None
    workshop.retention_days = days
    session.add(workshop)
    session.flush()
    return workshop


def closed_workshops(session: Session) -> Sequence[Workshop]:
    """Closed workshops, oldest first (the candidates for retention purges)."""
    query = select(Workshop).where(Workshop.state == "closed", col(Workshop.closed_at).is_not(None))
    return session.exec(query.order_by(col(Workshop.id))).all()
