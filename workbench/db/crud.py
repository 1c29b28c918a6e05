"""Crud functions. Keyword-only, each takes a session; verbs: add_, find_, update_."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from workbench.db.models import Run, RunStatus, utcnow


def add_run(session: Session, **fields: Any) -> Run:
    """Insert a run row and return it with its id."""
    run = Run(**fields)
    session.add(run)
    session.flush()
    session.refresh(run)
    return run


def update_run(session: Session, run_id: int, **fields: Any) -> Run:
    """Set ``fields`` on run ``run_id``."""
    run = session.get(Run, run_id)
    if run is None:
        raise LookupError(f"run {run_id} does not exist")
    for name, value in fields.items():
        setattr(run, name, value)
    session.add(run)
    session.flush()
    return run


def find_run(session: Session, *, run_id: int) -> Run | None:
    """The run with id ``run_id``, or None."""
    return session.get(Run, run_id)


def find_runs(
    session: Session,
    *,
    case_slug: str | None = None,
    template: str | None = None,
    status: RunStatus | None = None,
    limit: int = 100,
) -> Sequence[Run]:
    """Runs, newest first, optionally filtered."""
    query = select(Run)
    if case_slug is not None:
        query = query.where(Run.case_slug == case_slug)
    if template is not None:
        query = query.where(Run.template == template)
    if status is not None:
        query = query.where(Run.status == status)
    query = query.order_by(col(Run.id).desc()).limit(limit)
    return session.exec(query).all()


def find_succeeded_run(session: Session, *, content_hash: str) -> Run | None:
    """The latest successful execution with this content hash (the cache entry)."""
    query = (
        select(Run)
        .where(Run.content_hash == content_hash, Run.status == RunStatus.succeeded)
        .order_by(col(Run.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def finish_run(session: Session, run_id: int, *, status: RunStatus, **fields: Any) -> Run:
    """Mark a run finished with ``status`` now."""
    return update_run(session, run_id, status=status, finished_at=utcnow(), **fields)
