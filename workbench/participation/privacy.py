"""Participants' data-protection rights and the retention period (GDPR).

- Access and portability (Art. 15, 20): :meth:`PrivacyService.export_participant` returns
  everything held about one participant.
- Erasure (Art. 17): :meth:`PrivacyService.erase` deletes a participant, their answers,
  submissions and the moderation of their content in one transaction, redacts the
  statements they proposed, and logs counts (never who) in the ``erasure`` table.
- Storage limitation (Art. 5(1)(e)): a workshop keeps personal data for
  ``retention_days`` after it closes; :meth:`PrivacyService.purge_expired` erases it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from workbench.config import Settings
from workbench.db import Database, records
from workbench.db.models import Participant, utcnow
from workbench.exceptions import InvalidInput, ParticipantNotFound, Problem, WorkshopNotFound
from workbench.participation.leftovers import delete_entries, files_naming
from workbench.participation.workshops import WorkshopInfo, WorkshopService

REDACTED = "[removed at the author's request]"
REASONS = ("request", "retention")
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 3650
PARTICIPANT_EXPORT_FORMAT = "almp-workbench-participant-export"
_PUBLIC_ID = re.compile(r"^p-[0-9a-f]{4,30}$")

JOIN_LINK_NOTE = (
    "Your personal join link contains a random token. Only a SHA-256 digest of it is "
    "stored, so that the link can be checked when you use it; the token itself is not "
    "kept, and the digest is not shown here."
)
PSEUDONYMISATION = (
    "You are identified in analyses and exports only by your pseudonymous id "
    "(public_id, e.g. p-3f9c2a7d41), never by your name.",
    "Your display name and stakeholder group are stored with that id so the facilitator "
    "can run the workshop; exports for analysts contain the id and group but never the "
    "name or the join-token digest.",
    "Statements you proposed are shown to others without your name. Group results show "
    "aggregates only.",
    "Erasing your data deletes this record, your answers and submissions, and the "
    "moderation of your content; statements you proposed keep their place (so others' "
    "votes stay valid) but lose their text and are hidden.",
)


@dataclass(frozen=True)
class ErasureReport:
    """What one erasure removed: rows per table. Names no participant."""

    #: the ``erasure`` log row; None for a dry run
    erasure_id: int | None
    workshop_id: int
    reason: str
    rows: dict[str, int]
    erased_at: datetime
    dry_run: bool = False
    #: exports and minutes written earlier that still name the participant
    files: tuple[str, ...] = ()
    #: whether those files were deleted
    files_deleted: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "erased_at": self.erased_at.isoformat()}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class PrivacyService:
    """Access, erasure and retention of participants' personal data."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    # -- access -----------------------------------------------------------------------
    def export_participant(self, public_id: str) -> dict[str, Any]:
        """Everything held about one participant, JSON-ready.

        Raises :class:`ParticipantNotFound` for an unknown or malformed id.
        """
        pid = _checked(public_id)
        with self.db.session() as s:
            records.snapshot(s)
            participant = records.find_participant_by_public_id(s, public_id=pid)
            if participant is None:
                raise _not_found(pid)
            assert participant.id is not None
            found = records.workshop_with_publication(s, workshop_id=participant.workshop_id)
            assert found is not None  # foreign key
            workshop, _ = found
            rows = records.personal_rows(s, participant)
            feedback = records.feedback_of(s, participant_id=participant.id)
            submissions = records.submissions_of(s, participant_id=participant.id)
            statements = records.statements_by(s, participant_id=participant.id)
            moderation = records.moderation_of_targets(
                s,
                workshop_id=workshop.id or 0,
                statement_ids=rows.statement_ids,
                comment_ids=rows.comment_ids,
            )
        erase_after = (
            workshop.closed_at + timedelta(days=workshop.retention_days)
            if workshop.closed_at
            else None
        )
        return {
            "format": PARTICIPANT_EXPORT_FORMAT,
            "version": 1,
            "exported_at": utcnow().isoformat(),
            "participant": {
                "public_id": participant.public_id,
                "display_name": participant.display_name,
                "stakeholder_group": participant.stakeholder_group,
                "consent_at": _iso(participant.consent_at),
                "created_at": _iso(participant.created_at),
                "last_seen_at": _iso(participant.last_seen_at),
                "link_expires_at": _iso(participant.expires_at),
                "join_token": JOIN_LINK_NOTE,
            },
            "workshop": {
                "id": workshop.id,
                "title": workshop.title,
                "case_slug": workshop.case_slug,
                "state": workshop.state,
                "closed_at": _iso(workshop.closed_at),
                "retention_days": workshop.retention_days,
                "erase_after": _iso(erase_after),
            },
            "feedback": [
                {
                    "round": f.round,
                    "kind": f.kind,
                    "item": f.item,
                    "value": f.value,
                    "status": f.status,
                    "revision": f.revision,
                    "created_at": _iso(f.created_at),
                    "updated_at": _iso(f.updated_at),
                    "evidence_bundle": f.run_hash,
                    "template_versions": f.template_version,
                }
                for f in feedback
            ],
            "submissions": [
                {
                    "kind": sub.kind,
                    "round": sub.round,
                    "received_at": _iso(sub.received_at),
                    "idempotency_key": sub.idempotency_key,
                    "items": sub.item_count,
                }
                for sub in submissions
            ],
            "statements": [
                {
                    "statement_id": st.id,
                    "text": st.text,
                    "status": st.status,
                    "created_at": _iso(st.created_at),
                }
                for st in statements
            ],
            "moderation": [
                {
                    "target_kind": m.target_kind,
                    "target_id": m.target_id,
                    "action": m.action,
                    "reason": m.reason,
                    "actor": m.actor,
                    "created_at": _iso(m.created_at),
                }
                for m in moderation
            ],
            "pseudonymisation": list(PSEUDONYMISATION),
        }

    def write_participant_export(self, public_id: str, output: Path) -> Path:
        """Write :meth:`export_participant` as JSON to ``output`` (never overwritten)."""
        data = self.export_participant(public_id)
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        try:
            with output.open("x", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
        except FileExistsError:
            raise InvalidInput(
                [Problem("--output", str(output), "already exists; refusing to overwrite it")]
            ) from None
        return output

    # -- erasure ----------------------------------------------------------------------
    def erase(
        self,
        public_id: str,
        reason: str = "request",
        *,
        dry_run: bool = False,
        delete_files: bool = False,
    ) -> ErasureReport:
        """Erase one participant in one transaction; ``dry_run`` only counts.

        Deletes their feedback, submissions, the moderation of their comments and
        statements and the participant row (their join link stops working); redacts the
        statements they proposed; logs counts in the ``erasure`` table. Exports and minutes
        written earlier that still name them are listed in the report and, with
        ``delete_files``, deleted after the commit.
        """
        if reason not in REASONS:
            raise InvalidInput([Problem("input", "reason", f"must be one of {', '.join(REASONS)}")])
        pid = _checked(public_id)
        with self.db.session(write=not dry_run) as s:
            if not dry_run:
                records.secure_delete(s)
            participant = records.find_participant_by_public_id(s, public_id=pid, lock=not dry_run)
            if participant is None:
                raise _not_found(pid)
            report = _erase(s, participant, reason, dry_run=dry_run)
        if not dry_run:
            records.release_erased_pages(self.db.engine)
        [report] = self._with_files([report], [pid], delete=delete_files and not dry_run)
        return report

    def _with_files(
        self, reports: list[ErasureReport], public_ids: list[str], *, delete: bool
    ) -> list[ErasureReport]:
        """Add to each report the earlier files naming its participant (and delete them)."""
        found = files_naming(self.settings.home, public_ids)
        if delete:
            delete_entries({path for paths in found.values() for path in paths})
        return [
            replace(
                report,
                files=tuple(str(path) for path in found[pid]),
                files_deleted=delete and bool(found[pid]),
            )
            for report, pid in zip(reports, public_ids, strict=True)
        ]

    # -- retention --------------------------------------------------------------------
    def set_retention(self, workshop_id: int, days: int) -> WorkshopInfo:
        """Keep a workshop's personal data ``days`` (1-3650) after it closes."""
        if (
            isinstance(days, bool)
            or not isinstance(days, int)
            or not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS
        ):
            raise InvalidInput(
                [
                    Problem(
                        "input",
                        "days",
                        f"must be a whole number from {MIN_RETENTION_DAYS} to "
                        f"{MAX_RETENTION_DAYS} (got {days!r})",
                    )
                ]
            )
        with self.db.session(write=True) as s:
            if records.set_retention(s, workshop_id=workshop_id, days=days) is None:
                raise WorkshopNotFound(f"no workshop with id {workshop_id}")
        return WorkshopService(self.db, self.settings).get(workshop_id)

    def expired_workshops(self, now: datetime | None = None) -> list[int]:
        """Ids of closed workshops whose retention period ended before ``now``."""
        now = now or utcnow()
        if now.tzinfo is None:
            raise InvalidInput([Problem("input", "now", "must be timezone-aware (UTC)")])
        with self.db.session() as s:
            return [
                w.id
                for w in records.closed_workshops(s)
                if w.id is not None
                and w.closed_at is not None
                and w.closed_at + timedelta(days=w.retention_days) < now
            ]

    def purge_expired(
        self, now: datetime | None = None, dry_run: bool = False, delete_files: bool = False
    ) -> list[ErasureReport]:
        """Erase every participant of every expired workshop (reason "retention").

        One transaction per workshop; ``dry_run`` reports what would be erased. Earlier
        exports and minutes naming them are listed, and deleted with ``delete_files``.
        """
        reports: list[ErasureReport] = []
        erased: list[str] = []
        for workshop_id in self.expired_workshops(now):
            with self.db.session(write=not dry_run) as s:
                if not dry_run:
                    records.secure_delete(s)
                for listed in records.participants_of(s, workshop_id=workshop_id):
                    pid = listed.public_id
                    participant = records.find_participant_by_public_id(
                        s, public_id=pid, lock=not dry_run
                    )
                    if participant is not None:
                        reports.append(_erase(s, participant, "retention", dry_run=dry_run))
                        erased.append(pid)
        if reports and not dry_run:
            records.release_erased_pages(self.db.engine)
        return self._with_files(reports, erased, delete=delete_files and not dry_run)


def _erase(s: Any, participant: Participant, reason: str, *, dry_run: bool) -> ErasureReport:
    rows = records.personal_rows(s, participant)
    counts = rows.counts()
    now = utcnow()
    if dry_run:
        return ErasureReport(None, rows.workshop_id, reason, counts, now, dry_run=True)
    records.erase_rows(s, rows, redacted_text=REDACTED)
    entry = records.add_erasure(
        s, workshop_id=rows.workshop_id, reason=reason, rows=counts, erased_at=now
    )
    return ErasureReport(entry.id, rows.workshop_id, reason, counts, now)


def _checked(public_id: object) -> str:
    if not isinstance(public_id, str) or not _PUBLIC_ID.match(public_id):
        shown = repr(public_id)[:40]
        raise ParticipantNotFound(
            f"{shown} is not a participant id: they look like p-3f9c2a7d41 (see the "
            "participants table of a workshop export)"
        )
    return public_id


def _not_found(public_id: str) -> ParticipantNotFound:
    return ParticipantNotFound(
        f"no participant {public_id}: the id is unknown or their data was already erased"
    )
