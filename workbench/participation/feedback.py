"""Feedback submissions: validation, one transaction, idempotency, rate limit, results.

This is the one code path every feedback widget uses. A submission is validated
against the workshop's spec, then written in a single transaction pinned to workshop,
round, participant, case study, run bundle hash and template versions. It is
acknowledged (a :class:`Receipt`) only after the commit.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.db.models import Publication, Workshop, utcnow
from workbench.exceptions import (
    AccessDenied,
    InvalidInput,
    Problem,
    RateLimited,
    StaleRound,
    WorkshopClosed,
)
from workbench.i18n import LANGUAGES, N_
from workbench.participation.spec import MAX_STATEMENT_CHARS
from workbench.participation.tokens import looks_like_token
from workbench.participation.workshops import (
    INVALID_LINK,
    WorkshopService,
    _workshop_id,
    clean_text,
    not_open_message,
)

KINDS = ("rating", "approval", "ranking", "comment", "vote", "proposal", "points")
VOTES = {"agree": 1, "disagree": -1, "pass": 0}
MAX_PAYLOAD_BYTES = 16_384
MAX_COMMENT_CHARS = 2000
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True)
class Receipt:
    """Proof that a submission is committed (or was already, for a re-send)."""

    submission_id: int
    saved_at: datetime
    items: int
    duplicate: bool
    round: int


def template_version_pin(pub: Publication) -> str:
    """The versions of what a participant saw, e.g. ``app@1;evidence_review@1.0.0``."""
    parts = [f"app@{pub.app_version}"] + [
        f"{name}@{version}" for name, version in sorted(pub.template_versions.items())
    ]
    return ";".join(parts)


def payload_hash(kind: str, payload: Any) -> str:
    """Canonical digest of a submission, to tell a re-send from a reused key."""
    blob = json.dumps([kind, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _bad(key: str, message: str) -> InvalidInput:
    return InvalidInput([Problem("submission", key, message)])


class FeedbackService:
    """Validate and store feedback; read a participant's own answers and the results."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.workshops = WorkshopService(db, settings)
        self._pin_cache: dict[int, tuple[str, str]] = {}

    def submit(
        self,
        *,
        workshop_id: object,
        token: object,
        round_number: int,
        kind: str,
        payload: Any,
        idempotency_key: str,
        language: str | None = None,
    ) -> Receipt:
        """Store one submission; raises a named error (nothing written) if it is refused.

        ``language`` is the language the participant's page showed: a comment or a
        proposed statement is stored with it (and shown with its language tag).
        """
        language = language if language in LANGUAGES else None
        if kind not in KINDS:
            raise _bad("kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        if not isinstance(idempotency_key, str) or not _KEY_RE.match(idempotency_key):
            raise _bad("idempotency_key", "must be 8-64 letters, digits, '-' or '_'")
        try:
            # UTF-8 bytes; a lone surrogate cannot be encoded (nor stored by a database)
            size = len(json.dumps(payload, default=str, ensure_ascii=False).encode())
            digest = payload_hash(kind, payload)  # (keys of mixed types cannot be sorted)
        except UnicodeEncodeError:
            raise _bad(
                "payload", "contains text that is not valid Unicode (an unpaired surrogate)"
            ) from None
        except (TypeError, ValueError, RecursionError):
            raise _bad("payload", "is not valid JSON data") from None
        if size > MAX_PAYLOAD_BYTES:
            raise _bad("payload", f"is too large ({size} bytes; the limit is {MAX_PAYLOAD_BYTES})")
        if not isinstance(payload, dict):
            raise _bad("payload", "must be a mapping")
        if not looks_like_token(token):
            raise AccessDenied.say(INVALID_LINK)
        now = utcnow()
        wid = _workshop_id(workshop_id)
        with self.db.session(write=True) as s:
            # One participant's submissions are serialised from here (row lock on
            # PostgreSQL; SQLite's write transaction already is), so the key check below
            # sees every earlier commit. A re-send of a committed submission is
            # acknowledged whatever happened since (new round, workshop closed).
            participant = self.workshops._participant(s, wid, str(token), lock=True)
            assert participant.id is not None
            previous, recent = store.submission_history(
                s,
                participant_id=participant.id,
                idempotency_key=idempotency_key,
                since=store.window_start(now, self.settings.rate_window_s),
            )
            if previous is not None:
                return self._resend(previous, digest)
            # A shared lock on the workshop row: no round change or close can commit
            # until this submission has, so the round it is stored under is the round
            # that is current at its commit (a change in progress is waited for and seen).
            workshop = self.workshops._workshop(s, wid, lock="share")
            if participant.consent_at is None:
                raise AccessDenied.say(
                    N_("Please register (name, group and consent) before answering.")
                )
            if workshop.state != "open":
                raise WorkshopClosed.say(not_open_message(workshop))
            if round_number != workshop.current_round:
                now_open = workshop.current_round
                msgid = (
                    N_("Not saved: your answer was for round {sent}, and round {now} has started.")
                    if round_number < now_open
                    else N_("Not saved: round {sent} has not started; round {now} is open.")
                )
                stale = StaleRound(
                    msgid.format(sent=round_number, now=now_open), current_round=now_open
                )
                stale.msgid, stale.msg_fields = msgid, {"sent": round_number, "now": now_open}
                raise stale
            run_hash, template_version = self._pins(s, workshop)
            rows, statement = self._validate(s, workshop, kind, payload)
            items = len(rows) + (1 if statement else 0)
            if len(recent) >= self.settings.rate_limit:
                wait = (recent[0] - now).total_seconds() + self.settings.rate_window_s
                msgid = N_(
                    "Too many saves in a short time. Your latest answers are kept and will be "
                    "saved in {seconds} s."
                )
                seconds = f"{max(wait, 0.1):.0f}"
                limited = RateLimited(msgid.format(seconds=seconds), retry_after=max(wait, 0.1))
                limited.msgid, limited.msg_fields = msgid, {"seconds": seconds}
                raise limited
            submission_id = store.insert_submission(
                s,
                workshop_id=wid,
                participant_id=participant.id,
                round=workshop.current_round,
                kind=kind,
                idempotency_key=idempotency_key,
                payload_sha256=digest,
                item_count=items,
                received_at=now,
            )
            if submission_id is None:  # a concurrent re-send won the race
                previous = store.find_submission(
                    s, participant_id=participant.id, idempotency_key=idempotency_key
                )
                assert previous is not None
                return self._resend(previous, digest)
            pins = {
                "workshop_id": wid,
                "round": workshop.current_round,
                "participant_id": participant.id,
                "case_slug": workshop.case_slug,
                "run_hash": run_hash,
                "template_version": template_version,
            }
            text_language = {"language": language} if kind == "comment" else {}
            store.upsert_feedback(
                s,
                rows=[{**pins, **row, **text_language} for row in rows],
                submission_id=submission_id,
                now=now,
            )
            if statement:
                store.add_statement(
                    s,
                    workshop_id=wid,
                    text=statement,
                    origin="participant",
                    author_id=participant.id,
                    status="pending",
                    language=language,
                )
            store.touch_participant(s, participant_id=participant.id, now=now)
        return Receipt(submission_id, now, items, False, workshop.current_round)

    def _pins(self, s: Any, workshop: Workshop) -> tuple[str, str]:
        """(bundle hash, template version pin) of the workshop's publication, cached per
        service: a publication row never changes."""
        pins = self._pin_cache.get(workshop.publication_id)
        if pins is None:
            pub = self.workshops._publication(s, workshop)
            pins = (pub.bundle_hash, template_version_pin(pub))
            self._pin_cache[workshop.publication_id] = pins
        return pins

    @staticmethod
    def _resend(previous: Any, digest: str) -> Receipt:
        if previous.payload_sha256 != digest:
            raise _bad(
                "idempotency_key",
                "was already used for different answers; send new answers with a new key",
            )
        return Receipt(previous.id, previous.received_at, previous.item_count, True, previous.round)

    # -- validation -------------------------------------------------------------------
    def _validate(
        self, s: Any, workshop: Workshop, kind: str, payload: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], str | None]:
        spec = workshop.spec
        options = [o["key"] for o in spec.get("options", [])]
        criteria = [c["key"] for c in spec.get("criteria", [])]
        if kind == "rating":
            ratings = payload.get("ratings")
            if not isinstance(ratings, dict) or not ratings:
                raise _bad("ratings", "rate at least one option")
            rnd = store.find_round(s, workshop_id=workshop.id, number=workshop.current_round)
            reask = None if rnd is None or rnd.reask is None else set(rnd.reask)
            rows = []
            for option, per in ratings.items():
                if option not in options:
                    raise _bad(f"ratings.{option}", "is not an option of this workshop")
                if not isinstance(per, dict):
                    raise _bad(f"ratings.{option}", "must map criteria to ratings")
                for criterion, value in per.items():
                    if criterion not in criteria:
                        raise _bad(f"ratings.{option}.{criterion}", "is not a criterion")
                    if (
                        isinstance(value, bool)
                        or not isinstance(value, int)
                        or not 1 <= value <= workshop.scale_max
                    ):
                        raise _bad(
                            f"ratings.{option}.{criterion}",
                            f"must be a whole number from 1 to {workshop.scale_max}",
                        )
                    if reask is not None and f"{option}:{criterion}" not in reask:
                        raise _bad(
                            f"ratings.{option}.{criterion}",
                            f"reached consensus in round {workshop.current_round - 1} and is "
                            "not asked again",
                        )
                    rows.append(
                        {"kind": "rating", "item": f"rating:{option}:{criterion}", "value": value}
                    )
            return rows, None
        if kind == "approval":
            approved = payload.get("approved")
            if not isinstance(approved, list) or any(a not in options for a in approved):
                raise _bad("approved", "must list options of this workshop")
            if len(set(approved)) != len(approved):
                raise _bad("approved", "lists an option twice")
            return [
                {"kind": "approval", "item": f"approval:{o}", "value": o in approved}
                for o in options
            ], None
        if kind == "ranking":
            order = payload.get("order")
            if not isinstance(order, list) or sorted(map(str, order)) != sorted(options):
                raise _bad("order", "must list every option exactly once")
            return [{"kind": "ranking", "item": "ranking", "value": list(order)}], None
        if kind == "points":
            return points_rows(payload, criteria, spec.get("points")), None
        if kind == "comment":
            target = payload.get("target", "general")
            if target != "general" and target not in options:
                raise _bad("target", "must be 'general' or an option of this workshop")
            text = clean_text(payload.get("text"), field_name="text", max_chars=MAX_COMMENT_CHARS)
            return [{"kind": "comment", "item": f"comment:{target}", "value": text}], None
        if kind == "vote":
            votes = payload.get("votes")
            if not isinstance(votes, dict) or not votes:
                raise _bad("votes", "vote on at least one statement")
            approved = {
                str(st.id)
                for st in store.find_statements(s, workshop_id=workshop.id, status="approved")
            }
            rows = []
            for sid, vote in votes.items():
                if not isinstance(sid, str) or sid not in approved:
                    raise _bad(f"votes.{sid}", "is not a statement open for voting")
                if not isinstance(vote, str) or vote not in VOTES:
                    raise _bad(f"votes.{sid}", "must be agree, disagree or pass")
                rows.append({"kind": "vote", "item": f"vote:{sid}", "value": VOTES[vote]})
            return rows, None
        # proposal
        text = clean_text(
            payload.get("text"), field_name="text", max_chars=MAX_STATEMENT_CHARS, min_chars=10
        )
        return [], text

    # -- reading ----------------------------------------------------------------------
    def my_answers(self, *, workshop_id: object, token: object) -> dict[str, Any]:
        """The participant's current answers in the current round, keyed by item."""
        admission = self.workshops.admit(workshop_id, token)
        with self.db.session() as s:
            rows = store.find_feedback(
                s,
                workshop_id=admission.workshop_id,
                round_number=admission.current_round,
                participant_id=admission.participant_id,
            )
            return {row.item: row.value for row in rows}

    def delphi(self, *, workshop_id: object, token: object) -> dict[str, Any]:
        """What a participant sees of the previous round before re-rating (Delphi).

        ``reask``: the rating items ("option:criterion") asked this round, or None for all.
        ``previous``: the previous round's anonymised rating results, frozen when this round
        opened. ``reasons``: the previous round's comments that moderation has not hidden,
        without names or ids, in an order that does not reveal who wrote them.
        """
        admission = self.workshops.admit(workshop_id, token)
        wid, number = admission.workshop_id, admission.current_round
        with self.db.session() as s:
            rnd = store.find_round(s, workshop_id=wid, number=number)
            if rnd is None or number < 2:
                return {"round": number, "reask": None, "previous": None, "reasons": []}
            comments = store.find_feedback(
                s, workshop_id=wid, round_number=number - 1, kind="comment", status="visible"
            )
            reasons = [
                {
                    "about": c.item.removeprefix("comment:"),
                    "text": str(c.value),
                    "language": c.language,
                }
                for c in comments
            ]
            reasons.sort(key=lambda r: (r["about"], hashlib.sha256(r["text"].encode()).digest()))
            return {
                "round": number,
                "reask": rnd.reask,
                "previous": rnd.previous_results,
                "reasons": reasons,
            }

    def statements(self, *, workshop_id: int) -> list[dict[str, Any]]:
        """Statements open for voting (approved), in order."""
        with self.db.session() as s:
            return [
                {
                    "id": st.id,
                    "text": st.text,
                    "origin": st.origin,
                    "language": st.language,
                    "translations": dict(st.translations or {}),
                }
                for st in store.find_statements(s, workshop_id=workshop_id, status="approved")
            ]

    def results(self, *, workshop_id: object, token: object) -> dict[str, Any]:
        """Group results the participant may see: only for what they answered themselves.

        Hiding results until one has voted avoids herding.
        """
        admission = self.workshops.admit(workshop_id, token)
        with self.db.session() as s:
            rows = store.find_feedback(
                s, workshop_id=admission.workshop_id, round_number=admission.current_round
            )
        mine = {r.item for r in rows if r.participant_id == admission.participant_id}
        ratings: dict[str, list[int]] = defaultdict(list)
        votes: dict[str, Counter[int]] = defaultdict(Counter)
        approvals: Counter[str] = Counter()
        approvers: set[int] = set()
        points: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            if r.kind == "rating" and r.item in mine:
                ratings[r.item.removeprefix("rating:")].append(int(r.value))
            elif r.kind == "vote" and r.item in mine:
                votes[r.item.removeprefix("vote:")][int(r.value)] += 1
            elif r.kind == "approval" and any(m.startswith("approval:") for m in mine):
                approvers.add(r.participant_id)
                if r.value:
                    approvals[r.item.removeprefix("approval:")] += 1
            elif r.kind == "points" and any(m.startswith("points:") for m in mine):
                points[r.item.removeprefix("points:")].append(int(r.value))
        return {
            "ratings": {
                k: {"median": statistics.median(v), "n": len(v)} for k, v in ratings.items()
            },
            "votes": {
                k: {"agree": c[1], "disagree": c[-1], "pass": c[0]} for k, c in votes.items()
            },
            "approvals": {"n": len(approvers), "counts": dict(approvals)} if approvers else {},
            "points": {k: {"mean": statistics.fmean(v), "n": len(v)} for k, v in points.items()},
        }


def points_rows(payload: dict[str, Any], criteria: list[str], budget: Any) -> list[dict[str, Any]]:
    """The feedback rows of a "points" payload ``{criterion: points}``: every criterion of
    the workshop, whole numbers from 0 to ``budget``, adding up to exactly ``budget``."""
    if not isinstance(budget, int) or isinstance(budget, bool):
        raise _bad("kind", "this workshop does not ask for points")
    unknown = [k for k in payload if k not in criteria]
    if unknown:
        raise _bad(
            "points",
            f"name an unknown criterion {str(unknown[0])!r}; the criteria are "
            + ", ".join(criteria),
        )
    given = [(c, payload[c]) for c in criteria if c in payload]
    for criterion, value in given:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad("points", f"for {criterion} must be a whole number from 0 to {budget}")
    for criterion, value in given:
        if value < 0:
            raise _bad(
                "points", f"include negative points for {criterion} ({value}); use 0 or more"
            )
    for criterion, value in given:
        if value > budget:
            raise _bad("points", f"for {criterion} are {value}, more than the {budget} to spread")
    missing = [c for c in criteria if c not in payload]
    if missing:
        raise _bad(
            "points",
            f"are missing for {', '.join(missing)}; give every criterion a number (0 is allowed)",
        )
    total = sum(payload.values())
    if total != budget:
        raise _bad("points", f"add up to {total}, not {budget}")
    return [
        {"kind": "points", "item": f"points:{criterion}", "value": payload[criterion]}
        for criterion in criteria
    ]
