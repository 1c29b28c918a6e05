"""Crud for publications, workshops, participants, statements and feedback.

Feedback is written by :func:`record_submission` in one transaction: the submission row
(unique per participant and idempotency key) and an upsert per answered item (unique per
workshop, round, participant and item). Concurrent and repeated submissions therefore
never duplicate a row, and a re-sent submission is recognised rather than re-applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal

from sqlalchemy import bindparam, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from workbench.db.models import (
    Feedback,
    Moderation,
    Participant,
    Publication,
    Statement,
    Submission,
    Workshop,
    WorkshopRound,
    utcnow,
)

# -- publications --------------------------------------------------------------------


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    session.refresh(row)
    return row


def add_publication(session: Session, **fields: Any) -> Publication:
    """Register a published app."""
    return _add(session, Publication(**fields))


def find_publication(session: Session, *, publication_id: int) -> Publication | None:
    """The publication with this id."""
    return session.get(Publication, publication_id)


def latest_publication(session: Session, *, case_slug: str) -> Publication | None:
    """The newest publication of a case study."""
    query = (
        select(Publication)
        .where(Publication.case_slug == case_slug)
        .order_by(col(Publication.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def latest_publications(session: Session) -> list[Publication]:
    """The newest publication of every case study, by case slug."""
    newest = select(func.max(Publication.id)).group_by(Publication.case_slug)
    query = (
        select(Publication)
        .where(col(Publication.id).in_(newest))
        .order_by(col(Publication.case_slug))
    )
    return list(session.exec(query).all())


# -- workshops -----------------------------------------------------------------------


def add_workshop(session: Session, **fields: Any) -> Workshop:
    """Insert a workshop (state draft)."""
    return _add(session, Workshop(**fields))


def find_workshop(
    session: Session, *, workshop_id: int, lock: bool | Literal["share"] = False
) -> Workshop | None:
    """The workshop with this id, read fresh from the database.

    ``lock=True`` takes the row for update (state changes: open, next round, close);
    ``lock="share"`` takes a shared lock (a submission), so that no state change can
    commit between this read and the end of the transaction. Both wait for a change in
    progress and then see its result (PostgreSQL; SQLite's write transaction already
    serialises all writers).
    """
    query = select(Workshop).where(Workshop.id == workshop_id)
    if lock:
        query = query.with_for_update(read=lock == "share")
    return session.exec(query.execution_options(populate_existing=True)).first()


def workshop_state(session: Session, *, workshop_id: int) -> tuple[str, int] | None:
    """(state, current round) of a workshop: one indexed two-column read (page polling)."""
    query = select(Workshop.state, Workshop.current_round).where(Workshop.id == workshop_id)
    row = session.exec(query).first()
    return None if row is None else (row[0], row[1])


def find_workshops(session: Session, *, state: str | None = None) -> Sequence[Workshop]:
    """Workshops, newest first."""
    query = select(Workshop)
    if state is not None:
        query = query.where(Workshop.state == state)
    return session.exec(query.order_by(col(Workshop.id).desc())).all()


def find_workshop_by_code(session: Session, *, code_hash: str) -> Workshop | None:
    """The workshop whose join code hashes to ``code_hash``."""
    return session.exec(select(Workshop).where(Workshop.code_hash == code_hash)).first()


def start_round(
    session: Session,
    *,
    workshop: Workshop,
    now: datetime,
    reask: list[str] | None = None,
    previous_results: dict[str, Any] | None = None,
) -> WorkshopRound:
    """Close the workshop's current round (if any) and open the next one.

    ``reask`` and ``previous_results`` freeze the Delphi set-up of the new round.
    """
    if workshop.current_round:
        current = session.get(WorkshopRound, (workshop.id, workshop.current_round))
        if current is not None and current.closed_at is None:
            current.closed_at = now
            session.add(current)
    workshop.current_round += 1
    new = WorkshopRound(
        workshop_id=workshop.id,
        number=workshop.current_round,
        opened_at=now,
        reask=reask,
        previous_results=previous_results,
    )
    session.add(workshop)
    session.add(new)
    session.flush()
    return new


def close_rounds(session: Session, *, workshop_id: int, now: datetime) -> None:
    """Mark every open round of a workshop as closed."""
    rounds = session.exec(
        select(WorkshopRound).where(
            WorkshopRound.workshop_id == workshop_id, col(WorkshopRound.closed_at).is_(None)
        )
    ).all()
    for rnd in rounds:
        rnd.closed_at = now
        session.add(rnd)


def find_rounds(session: Session, *, workshop_id: int) -> Sequence[WorkshopRound]:
    """A workshop's rounds in order."""
    query = select(WorkshopRound).where(WorkshopRound.workshop_id == workshop_id)
    return session.exec(query.order_by(col(WorkshopRound.number))).all()


def find_round(session: Session, *, workshop_id: int, number: int) -> WorkshopRound | None:
    """One round of a workshop."""
    return session.get(WorkshopRound, (workshop_id, number))


# -- participants --------------------------------------------------------------------


def add_participant(session: Session, **fields: Any) -> Participant:
    """Insert an invitation (a participant who has not registered yet)."""
    return _add(session, Participant(**fields))


def find_participant_by_token(
    session: Session, *, token_hash: str, lock: bool = False
) -> Participant | None:
    """The participant whose token hashes to ``token_hash``; ``lock`` takes the row for
    update (one participant's writes are serialised)."""
    query = select(Participant).where(Participant.token_hash == token_hash)
    return session.exec(query.with_for_update() if lock else query).first()


def find_participant(session: Session, *, participant_id: int) -> Participant | None:
    """The participant with this id."""
    return session.get(Participant, participant_id)


def touch_participant(session: Session, *, participant_id: int, now: datetime) -> None:
    """Set a participant's ``last_seen_at`` (one prepared Core UPDATE, no ORM flush)."""
    session.execute(_TOUCH, {"pid": participant_id, "now": now})


_PARTICIPANTS = Participant.__table__  # type: ignore[attr-defined]
_TOUCH = (
    _PARTICIPANTS.update()
    .where(_PARTICIPANTS.c.id == bindparam("pid"))
    .values(last_seen_at=bindparam("now"))
)


def update_participant(session: Session, participant: Participant, **fields: Any) -> Participant:
    """Set ``fields`` on a participant."""
    for name, value in fields.items():
        setattr(participant, name, value)
    session.add(participant)
    session.flush()
    return participant


@dataclass(frozen=True)
class GroupCount:
    """Participation of one stakeholder group."""

    group: str
    registered: int
    active: int


def participation(
    session: Session, *, workshop_id: int, round_number: int
) -> tuple[int, list[GroupCount]]:
    """(invited, per-group registered and active-this-round counts)."""
    invited = session.exec(
        select(func.count()).select_from(Participant).where(Participant.workshop_id == workshop_id)
    ).one()
    registered = session.exec(
        select(Participant.stakeholder_group, func.count())
        .where(Participant.workshop_id == workshop_id, col(Participant.consent_at).is_not(None))
        .group_by(Participant.stakeholder_group)
    ).all()
    active = session.exec(
        select(Participant.stakeholder_group, func.count(func.distinct(Submission.participant_id)))
        .join(Submission, col(Submission.participant_id) == col(Participant.id))
        .where(Submission.workshop_id == workshop_id, Submission.round == round_number)
        .group_by(Participant.stakeholder_group)
    ).all()
    active_by = {group: n for group, n in active}
    counts = [
        GroupCount(group=group or "", registered=n, active=active_by.get(group, 0))
        for group, n in registered
    ]
    return invited, sorted(counts, key=lambda c: c.group)


def activity(session: Session, *, workshop_id: int) -> tuple[Any, ...]:
    """A cheap fingerprint of everything a dashboard shows; it changes when anything does."""

    def one(query: Any) -> tuple[Any, ...]:
        return tuple(session.exec(query).one())

    return (
        one(
            select(func.count(), func.max(Feedback.updated_at), func.sum(Feedback.revision))
            .select_from(Feedback)
            .where(Feedback.workshop_id == workshop_id)
        ),
        one(
            select(func.count(), func.max(Participant.consent_at), func.max(Participant.id))
            .select_from(Participant)
            .where(Participant.workshop_id == workshop_id)
        ),
        one(
            select(func.count(), func.max(Statement.id))
            .select_from(Statement)
            .where(Statement.workshop_id == workshop_id)
        ),
        one(
            select(func.count(), func.max(Moderation.id))
            .select_from(Moderation)
            .where(Moderation.workshop_id == workshop_id)
        ),
        one(select(Workshop.state, Workshop.current_round).where(Workshop.id == workshop_id)),
    )


# -- statements ----------------------------------------------------------------------


def add_statement(session: Session, **fields: Any) -> Statement:
    """Insert a statement."""
    return _add(session, Statement(**fields))


def find_statements(
    session: Session, *, workshop_id: int, status: str | None = None
) -> Sequence[Statement]:
    """A workshop's statements in creation order."""
    query = select(Statement).where(Statement.workshop_id == workshop_id)
    if status is not None:
        query = query.where(Statement.status == status)
    return session.exec(query.order_by(col(Statement.id))).all()


def find_statement(session: Session, *, statement_id: int) -> Statement | None:
    """A statement by id."""
    return session.get(Statement, statement_id)


def set_status(session: Session, row: Statement | Feedback, status: str) -> None:
    """Change the moderation status of a statement or a comment."""
    row.status = status
    session.add(row)
    session.flush()


# -- moderation ----------------------------------------------------------------------


def add_moderation(session: Session, **fields: Any) -> Moderation:
    """Append an entry to the moderation log."""
    return _add(session, Moderation(**fields))


def find_moderation(session: Session, *, workshop_id: int) -> Sequence[Moderation]:
    """A workshop's moderation log, oldest first."""
    query = select(Moderation).where(Moderation.workshop_id == workshop_id)
    return session.exec(query.order_by(col(Moderation.id))).all()


def find_comment(session: Session, *, feedback_id: int) -> Feedback | None:
    """A comment (a feedback row of kind "comment") by id."""
    row = session.get(Feedback, feedback_id)
    return row if row is not None and row.kind == "comment" else None


def find_participants(session: Session, *, ids: Sequence[int]) -> dict[int, Participant]:
    """Participants by id."""
    if not ids:
        return {}
    rows = session.exec(select(Participant).where(col(Participant.id).in_(list(ids)))).all()
    return {p.id: p for p in rows if p.id is not None}


# -- submissions and feedback --------------------------------------------------------


def find_submission(
    session: Session, *, participant_id: int, idempotency_key: str
) -> Submission | None:
    """An accepted submission by its idempotency key."""
    query = select(Submission).where(
        Submission.participant_id == participant_id,
        Submission.idempotency_key == idempotency_key,
    )
    return session.exec(query).first()


_SUBMISSIONS = Submission.__table__  # type: ignore[attr-defined]
_HISTORY = (
    sa_select(
        _SUBMISSIONS.c.id,
        _SUBMISSIONS.c.idempotency_key,
        _SUBMISSIONS.c.payload_sha256,
        _SUBMISSIONS.c.item_count,
        _SUBMISSIONS.c.received_at,
        _SUBMISSIONS.c.round,
    )
    .where(
        _SUBMISSIONS.c.participant_id == bindparam("pid"),
        or_(
            _SUBMISSIONS.c.idempotency_key == bindparam("key"),
            _SUBMISSIONS.c.received_at >= bindparam("since"),
        ),
    )
    .order_by(_SUBMISSIONS.c.received_at)
)


def submission_history(
    session: Session, *, participant_id: int, idempotency_key: str, since: datetime
) -> tuple[Any | None, list[datetime]]:
    """In one query: the submission with this key (or None) and when this participant's
    submissions since ``since`` were received, oldest first (for the rate limit)."""
    rows = session.execute(
        _HISTORY, {"pid": participant_id, "key": idempotency_key, "since": since}
    ).all()
    previous = next((r for r in rows if r.idempotency_key == idempotency_key), None)
    return previous, [r.received_at for r in rows if r.received_at >= since]


def insert_submission(session: Session, **fields: Any) -> int | None:
    """Insert a submission; None if one with the same key already exists (a re-send)."""
    fields.setdefault("received_at", utcnow())
    stmt = _statements(session.get_bind().dialect.name)[0]
    return session.execute(stmt, fields).scalar()


def upsert_feedback(
    session: Session, *, rows: list[dict[str, Any]], submission_id: int, now: datetime
) -> None:
    """Insert or update one current row per (workshop, round, participant, item)."""
    if not rows:
        return
    extra = {"submission_id": submission_id, "created_at": now, "updated_at": now}
    params = [
        {"language": None, **row, **extra, "revision": 1, "status": "visible"} for row in rows
    ]
    session.execute(_statements(session.get_bind().dialect.name)[1], params)  # executemany


@cache
def _statements(dialect: str) -> tuple[Any, Any]:
    """The submission insert and the feedback upsert, built once per dialect (Core on the
    tables, not ORM entities: no per-call statement building or ORM bulk machinery)."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    submission = Submission.__table__  # type: ignore[attr-defined]
    feedback = Feedback.__table__  # type: ignore[attr-defined]
    add = (
        insert(submission)
        .on_conflict_do_nothing(index_elements=["participant_id", "idempotency_key"])
        .returning(submission.c.id)
    )
    upsert = insert(feedback)
    upsert = upsert.on_conflict_do_update(
        index_elements=["workshop_id", "round", "participant_id", "item"],
        set_={
            "value": upsert.excluded.value,
            "submission_id": upsert.excluded.submission_id,
            "updated_at": upsert.excluded.updated_at,
            "run_hash": upsert.excluded.run_hash,
            "template_version": upsert.excluded.template_version,
            "language": upsert.excluded.language,
            "revision": feedback.c.revision + 1,
        },
    )
    return add, upsert


def find_feedback(
    session: Session,
    *,
    workshop_id: int,
    round_number: int | None = None,
    participant_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> Sequence[Feedback]:
    """Feedback rows, optionally narrowed."""
    query = select(Feedback).where(Feedback.workshop_id == workshop_id)
    if round_number is not None:
        query = query.where(Feedback.round == round_number)
    if participant_id is not None:
        query = query.where(Feedback.participant_id == participant_id)
    if kind is not None:
        query = query.where(Feedback.kind == kind)
    if status is not None:
        query = query.where(Feedback.status == status)
    return session.exec(query.order_by(col(Feedback.id))).all()


def window_start(now: datetime, seconds: float) -> datetime:
    """``now`` minus a rate window."""
    return now - timedelta(seconds=seconds)
