"""Queries for individual pathways, the counsellors' review log and their erasure.

Used by :mod:`workbench.pathways.oversight` (saving pathways, appending reviews, reading
them back) and :mod:`workbench.pathways.privacy` (one person's rows, their erasure, the
retention purge). Reviews are only ever inserted: a new decision is a new row, so two
counsellors recording at the same time never overwrite each other, and a re-sent decision
with the same idempotency key is recognised instead of stored twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workbench.db.models import PathwayErasure, PathwayRecord, PathwayReview, utcnow

#: every table with a ``person`` column, in the order rows are deleted (children first)
PERSON_TABLES = ("pathway_review", "pathway")


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    session.refresh(row)
    return row


# -- pathways ------------------------------------------------------------------------


def add_pathway(session: Session, **fields: Any) -> PathwayRecord:
    """Insert a pathway row."""
    return _add(session, PathwayRecord(**fields))


def add_pathways(session: Session, rows: Iterable[dict[str, Any]]) -> list[int]:
    """Insert many pathway rows in one flush (batched inserts); returns their ids in order."""
    now = utcnow()
    values = [{"created_at": now, **fields} for fields in rows]
    if not values:
        return []
    query = insert(PathwayRecord).returning(col(PathwayRecord.id), sort_by_parameter_order=True)
    return list(session.execute(query, values).scalars())


def find_pathway(session: Session, *, pathway_id: int, share: bool = False) -> PathwayRecord | None:
    """One pathway, or None; ``share`` keeps it from being deleted until the commit
    (PostgreSQL ``FOR SHARE``; SQLite's write transactions are serialised anyway)."""
    query = select(PathwayRecord).where(PathwayRecord.id == pathway_id)
    if share:
        query = query.with_for_update(read=True)
    return session.exec(query).first()


def pathways_of(session: Session, *, person: str) -> Sequence[PathwayRecord]:
    """A person's pathways, oldest first."""
    query = select(PathwayRecord).where(PathwayRecord.person == person)
    return session.exec(query.order_by(col(PathwayRecord.id))).all()


def latest_pathway(session: Session, *, person: str) -> PathwayRecord | None:
    """A person's newest pathway, or None."""
    query = select(PathwayRecord).where(PathwayRecord.person == person)
    return session.exec(query.order_by(col(PathwayRecord.id).desc()).limit(1)).first()


def list_pathways(session: Session, *, limit: int = 50) -> Sequence[PathwayRecord]:
    """The newest pathways first."""
    query = select(PathwayRecord).order_by(col(PathwayRecord.id).desc()).limit(limit)
    return session.exec(query).all()


def reviewed_pathways(session: Session) -> Sequence[PathwayRecord]:
    """Every pathway with at least one review (for the override signals)."""
    reviewed = select(PathwayReview.pathway_id).distinct()
    query = select(PathwayRecord).where(col(PathwayRecord.id).in_(reviewed))
    return session.exec(query.order_by(col(PathwayRecord.id))).all()


# -- reviews -------------------------------------------------------------------------


def find_review_by_key(
    session: Session, *, pathway_id: int, counsellor: str, idempotency_key: str
) -> PathwayReview | None:
    """The review a counsellor already sent with this key, or None."""
    query = select(PathwayReview).where(
        PathwayReview.pathway_id == pathway_id,
        PathwayReview.counsellor == counsellor,
        PathwayReview.idempotency_key == idempotency_key,
    )
    return session.exec(query).first()


def add_review(session: Session, **fields: Any) -> tuple[PathwayReview, bool]:
    """Append a review; returns (row, created). With an idempotency key already used by
    the same counsellor on the same pathway, returns the earlier row and False."""
    key = fields.get("idempotency_key")
    lookup = {k: fields[k] for k in ("pathway_id", "counsellor")}
    if key is not None:
        earlier = find_review_by_key(session, idempotency_key=key, **lookup)
        if earlier is not None:
            return earlier, False
    try:
        with session.begin_nested():
            row = _add(session, PathwayReview(**fields))
    except IntegrityError:  # a concurrent copy with the same key committed first
        if key is None:
            raise
        earlier = find_review_by_key(session, idempotency_key=key, **lookup)
        if earlier is None:
            raise
        return earlier, False
    return row, True


def reviews(
    session: Session, *, pathway_id: int | None = None, person: str | None = None
) -> Sequence[PathwayReview]:
    """Reviews in the order they were recorded, of one pathway, one person, or all."""
    query = select(PathwayReview)
    if pathway_id is not None:
        query = query.where(PathwayReview.pathway_id == pathway_id)
    if person is not None:
        query = query.where(PathwayReview.person == person)
    return session.exec(query.order_by(col(PathwayReview.id))).all()


def reviews_of_pathways(session: Session, pathway_ids: Iterable[int]) -> Sequence[PathwayReview]:
    """Every review of these pathways, oldest first."""
    ids = list(pathway_ids)
    if not ids:
        return []
    query = select(PathwayReview).where(col(PathwayReview.pathway_id).in_(ids))
    return session.exec(query.order_by(col(PathwayReview.id))).all()


# -- erasure and retention -----------------------------------------------------------


def person_counts(session: Session, *, person: str) -> dict[str, int]:
    """Rows held about a person, per table."""
    counts = {}
    for table, model in (("pathway_review", PathwayReview), ("pathway", PathwayRecord)):
        query = select(func.count()).select_from(model).where(model.person == person)
        counts[table] = int(session.exec(query).one())
    return counts


def delete_person(session: Session, *, person: str) -> dict[str, int]:
    """Delete every row about a person; returns rows deleted per table.

    Reviews are selected by their own ``person`` and by the person's pathways, so a
    review whose copy of the pseudonym disagreed with its pathway cannot survive.
    """
    ids = [p.id for p in pathways_of(session, person=person) if p.id is not None]
    review_filter = col(PathwayReview.person) == person
    if ids:
        review_filter = review_filter | col(PathwayReview.pathway_id).in_(ids)
    removed_reviews = session.exec(delete(PathwayReview).where(review_filter))  # type: ignore[call-overload]
    removed_pathways = session.exec(
        delete(PathwayRecord).where(col(PathwayRecord.person) == person)
    )  # type: ignore[call-overload]
    session.expire_all()
    return {"pathway_review": removed_reviews.rowcount, "pathway": removed_pathways.rowcount}


def expired_persons(session: Session, *, cutoff: datetime) -> list[str]:
    """Persons whose every pathway and review is older than ``cutoff``, sorted."""
    last_pathway = (
        select(PathwayRecord.person, func.max(PathwayRecord.created_at).label("last"))
        .group_by(col(PathwayRecord.person))
        .subquery()
    )
    last_review = (
        select(PathwayReview.person, func.max(PathwayReview.at).label("last"))
        .group_by(col(PathwayReview.person))
        .subquery()
    )
    query = (
        select(last_pathway.c.person)
        .join(last_review, last_review.c.person == last_pathway.c.person, isouter=True)
        .where(last_pathway.c.last < cutoff)
        .where((last_review.c.last.is_(None)) | (last_review.c.last < cutoff))
        .order_by(last_pathway.c.person)
    )
    return list(session.exec(query).all())  # type: ignore[call-overload]


def add_pathway_erasure(session: Session, **fields: Any) -> PathwayErasure:
    """Log an erasure (counts only; never a person)."""
    return _add(session, PathwayErasure(**fields))


def find_pathway_erasures(session: Session) -> Sequence[PathwayErasure]:
    """The pathway erasure log, oldest first."""
    return session.exec(select(PathwayErasure).order_by(col(PathwayErasure.id))).all()
