"""Moderation of statements and comments: approve or hide, every action logged with a reason.

Participant proposals are held as ``pending`` until a facilitator approves them; comments
are shown to other participants (as the group's reasons in Delphi rounds) until a
facilitator hides them. Each action appends to the ``moderation`` log: who, what, why, when.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.db.models import Feedback, Statement
from workbench.exceptions import InvalidInput, Problem, WorkshopNotFound
from workbench.participation.workshops import clean_text

TARGETS = ("statement", "comment")
ACTIONS = ("approve", "hide")
MAX_REASON_CHARS = 500
#: the status each action gives, per kind of target
_STATUS = {
    ("statement", "approve"): "approved",
    ("statement", "hide"): "hidden",
    ("comment", "approve"): "visible",
    ("comment", "hide"): "hidden",
}


@dataclass(frozen=True)
class ModerationItem:
    """A statement or comment as the facilitator sees it in the moderation queue."""

    kind: str
    id: int
    text: str
    status: str
    #: pseudonymous id of the author (None for the facilitator's seed statements)
    author: str | None
    #: the round of a comment; None for statements
    round: int | None
    #: what a comment is about: "general" or an option key; None for statements
    about: str | None
    created_at: datetime
    #: the language the text is written in (None: not recorded)
    language: str | None = None

    @property
    def needs_action(self) -> bool:
        """A proposal waiting for approval."""
        return self.kind == "statement" and self.status == "pending"

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        out["needs_action"] = self.needs_action
        return out


@dataclass(frozen=True)
class LogEntry:
    """One line of the moderation log."""

    target_kind: str
    target_id: int
    action: str
    reason: str
    actor: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {**asdict(self), "created_at": self.created_at.isoformat()}


class ModerationService:
    """The facilitator's moderation queue and actions."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def queue(self, workshop_id: int) -> list[ModerationItem]:
        """All statements and comments of a workshop: pending proposals first, then newest."""
        with self.db.session() as s:
            self._workshop(s, workshop_id)
            statements = store.find_statements(s, workshop_id=workshop_id)
            comments = store.find_feedback(s, workshop_id=workshop_id, kind="comment")
            authors = store.find_participants(
                s,
                ids=sorted(
                    {st.author_id for st in statements if st.author_id is not None}
                    | {c.participant_id for c in comments}
                ),
            )
            items = [_statement_item(st, authors) for st in statements]
            items += [_comment_item(c, authors) for c in comments]
        items.sort(key=lambda i: (not i.needs_action, -i.created_at.timestamp(), i.kind, -i.id))
        return items

    def moderate(
        self,
        workshop_id: int,
        *,
        target_kind: str,
        target_id: int,
        action: str,
        reason: str = "",
        actor: str = "facilitator",
    ) -> ModerationItem:
        """Approve or hide a statement or comment and log why. Hiding needs a reason."""
        problems = []
        if target_kind not in TARGETS:
            problems.append(Problem("input", "target_kind", f"must be one of {', '.join(TARGETS)}"))
        if action not in ACTIONS:
            problems.append(Problem("input", "action", f"must be one of {', '.join(ACTIONS)}"))
        if problems:
            raise InvalidInput(problems)
        if action == "hide" or reason.strip():
            reason = clean_text(reason, field_name="reason", max_chars=MAX_REASON_CHARS)
        else:
            reason = "approved"
        actor = clean_text(actor, field_name="actor", max_chars=80)
        with self.db.session(write=True) as s:
            self._workshop(s, workshop_id)
            row: Statement | Feedback | None
            if target_kind == "statement":
                row = store.find_statement(s, statement_id=target_id)
            else:
                row = store.find_comment(s, feedback_id=target_id)
            if row is None or row.workshop_id != workshop_id:
                raise InvalidInput(
                    [
                        Problem(
                            "input",
                            "target_id",
                            f"no {target_kind} {target_id} in workshop {workshop_id}",
                        )
                    ]
                )
            store.set_status(s, row, _STATUS[(target_kind, action)])
            store.add_moderation(
                s,
                workshop_id=workshop_id,
                target_kind=target_kind,
                target_id=target_id,
                action=action,
                reason=reason,
                actor=actor,
            )
            author_id = row.author_id if isinstance(row, Statement) else row.participant_id
            authors = store.find_participants(s, ids=[author_id] if author_id else [])
            if isinstance(row, Statement):
                return _statement_item(row, authors)
            return _comment_item(row, authors)

    def log(self, workshop_id: int) -> list[LogEntry]:
        """The moderation log of a workshop, oldest first."""
        with self.db.session() as s:
            self._workshop(s, workshop_id)
            return [
                LogEntry(m.target_kind, m.target_id, m.action, m.reason, m.actor, m.created_at)
                for m in store.find_moderation(s, workshop_id=workshop_id)
            ]

    @staticmethod
    def _workshop(s: Any, workshop_id: int) -> None:
        if store.find_workshop(s, workshop_id=workshop_id) is None:
            raise WorkshopNotFound(f"no workshop with id {workshop_id}")


def _public_id(authors: dict[int, Any], participant_id: int | None) -> str | None:
    author = authors.get(participant_id) if participant_id is not None else None
    return author.public_id if author is not None else None


def _statement_item(st: Statement, authors: dict[int, Any]) -> ModerationItem:
    assert st.id is not None
    return ModerationItem(
        kind="statement",
        id=st.id,
        text=st.text,
        status=st.status,
        author=_public_id(authors, st.author_id),
        round=None,
        about=None,
        created_at=st.created_at,
        language=st.language,
    )


def _comment_item(c: Feedback, authors: dict[int, Any]) -> ModerationItem:
    assert c.id is not None
    return ModerationItem(
        kind="comment",
        id=c.id,
        text=str(c.value),
        status=c.status,
        author=_public_id(authors, c.participant_id),
        round=c.round,
        about=c.item.removeprefix("comment:"),
        created_at=c.updated_at,
        language=c.language,
    )
