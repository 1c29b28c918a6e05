"""The feedback benchmark's workload, its naive baseline and its storage checks.

- :func:`workload`: per writer, a fixed-seed list of :class:`Job` (kind mix
  :data:`KINDS`); each writer cycles through its own participants so that none sends
  more than ``per_participant`` submissions in the whole run (the rate limit holds);
- :func:`naive_submit`: the plain alternative to ``FeedbackService.submit``: a new
  engine and ORM session per write, the same checks, select-then-insert-or-update;
- :func:`verify`: every acknowledged submission stored exactly once, every feedback row
  holding the last acknowledged value with the right revision;
- :func:`verify_resend`: re-sent keys are acknowledged as duplicates and change nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _setup import BUNDLE_HASH, CRITERIA, OPTIONS, BenchWorkshop
from sqlalchemy import create_engine, func, text
from sqlmodel import Session, col, select

from workbench.config import Settings
from workbench.db import Database
from workbench.db.models import Feedback, Participant, Statement, Submission, Workshop
from workbench.participation.feedback import VOTES, FeedbackService, payload_hash
from workbench.participation.tokens import hash_token

SEED = 20261130
KINDS = (("rating", 50), ("vote", 20), ("approval", 15), ("ranking", 10), ("comment", 5))

# -- workload ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One submission: the writer's ``slot``-th participant sends ``payload`` under ``key``.

    Votes name statements by position (``"#2"``); :func:`materialise` maps them to ids.
    """

    slot: int
    key: str
    kind: str
    payload: dict[str, Any]


def make_payload(rng: random.Random, kind: str, n: int, tag: str) -> dict[str, Any]:
    """A valid payload of ``kind`` drawn from ``rng``."""
    if kind == "rating":
        items = rng.sample([(o, c) for o in OPTIONS for c in CRITERIA], rng.randint(1, 6))
        ratings: dict[str, dict[str, int]] = {}
        for option, criterion in items:
            ratings.setdefault(option, {})[criterion] = rng.randint(1, 5)
        return {"ratings": ratings}
    if kind == "vote":
        chosen = rng.sample(range(n), rng.randint(1, n))
        return {"votes": {f"#{i}": rng.choice(list(VOTES)) for i in chosen}}
    if kind == "approval":
        return {"approved": rng.sample(list(OPTIONS), rng.randint(0, len(OPTIONS)))}
    if kind == "ranking":
        return {"order": rng.sample(list(OPTIONS), len(OPTIONS))}
    target = rng.choice(["general", *OPTIONS])
    return {"target": target, "text": f"Benchmark comment {tag} about {target}."}


def workload(total: int, writers: int, per_participant: int, statements: int) -> list[list[Job]]:
    """Per writer, its jobs in order; participant slots cycle so none exceeds the limit."""
    kinds, weights = zip(*KINDS, strict=True)
    plan: list[list[Job]] = []
    for w in range(writers):
        rng = random.Random(SEED * 1000 + w)
        n = total // writers + (1 if w < total % writers else 0)
        slots = -(-n // per_participant)
        jobs = []
        for i in range(n):
            kind = rng.choices(kinds, weights)[0]
            payload = make_payload(rng, kind, statements, f"w{w}-{i}")
            jobs.append(Job(i % slots, f"bench-w{w:02d}-{i:06d}", kind, payload))
        plan.append(jobs)
    return plan


def slots_per_writer(plan: list[list[Job]]) -> int:
    """Participants one writer needs."""
    return max((max(j.slot for j in jobs) + 1 for jobs in plan if jobs), default=1)


def materialise(job: Job, statement_ids: list[int]) -> dict[str, Any]:
    """The payload with statement positions replaced by the workshop's statement ids."""
    if job.kind != "vote":
        return job.payload
    return {"votes": {str(statement_ids[int(k[1:])]): v for k, v in job.payload["votes"].items()}}


def expected_items(
    kind: str, payload: dict[str, Any], options: tuple[str, ...] | list[str] = OPTIONS
) -> list[tuple[str, Any]]:
    """The feedback rows (item, value) a valid submission writes (as the service does)."""
    if kind == "rating":
        return [
            (f"rating:{o}:{c}", v) for o, per in payload["ratings"].items() for c, v in per.items()
        ]
    if kind == "vote":
        return [(f"vote:{sid}", VOTES[v]) for sid, v in payload["votes"].items()]
    if kind == "approval":
        return [(f"approval:{o}", o in payload["approved"]) for o in options]
    if kind == "ranking":
        return [("ranking", list(payload["order"]))]
    return [(f"comment:{payload['target']}", payload["text"])]


# -- the two implementations --------------------------------------------------------------


class Refused(Exception):
    """The naive implementation refused a submission (it should not, on this workload)."""


def naive_submit(
    url: str,
    *,
    workshop_id: int,
    token: str,
    round_number: int,
    kind: str,
    payload: dict[str, Any],
    key: str,
    rate_limit: int,
    rate_window_s: float,
) -> int:
    """The plain alternative: a new engine and ORM session per write; the submission id."""
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            now = datetime.now(UTC)
            participant = s.exec(
                select(Participant).where(Participant.token_hash == hash_token(token))
            ).first()
            if participant is None or participant.workshop_id != workshop_id:
                raise Refused("invalid link")
            if participant.expires_at <= now or participant.consent_at is None:
                raise Refused("expired or not registered")
            previous = s.exec(
                select(Submission).where(
                    Submission.participant_id == participant.id, Submission.idempotency_key == key
                )
            ).first()
            if previous is not None:
                return int(previous.id)  # type: ignore[arg-type]
            workshop = s.get(Workshop, workshop_id)
            if workshop is None or workshop.state != "open":
                raise Refused("workshop not open")
            if workshop.current_round != round_number:
                raise Refused("stale round")
            approved = {
                str(st.id)
                for st in s.exec(
                    select(Statement).where(
                        Statement.workshop_id == workshop_id, Statement.status == "approved"
                    )
                ).all()
            }
            rows = expected_items(kind, payload)
            for item, value in rows:
                if kind == "rating" and not 1 <= value <= workshop.scale_max:
                    raise Refused(f"invalid {item}")
                if kind == "vote" and item.removeprefix("vote:") not in approved:
                    raise Refused(f"invalid {item}")
            recent = s.exec(
                select(func.count())
                .select_from(Submission)
                .where(
                    Submission.participant_id == participant.id,
                    col(Submission.received_at) >= now - timedelta(seconds=rate_window_s),
                )
            ).one()
            if recent >= rate_limit:
                raise Refused("rate limited")
            pub_pin = "app@1;evidence_review@1.0.0"
            submission = Submission(
                workshop_id=workshop_id,
                participant_id=participant.id,  # type: ignore[arg-type]
                round=round_number,
                kind=kind,
                idempotency_key=key,
                payload_sha256=payload_hash(kind, payload),
                item_count=len(rows),
                received_at=now,
            )
            s.add(submission)
            s.flush()
            for item, value in rows:
                row = s.exec(
                    select(Feedback).where(
                        Feedback.workshop_id == workshop_id,
                        Feedback.round == round_number,
                        Feedback.participant_id == participant.id,
                        Feedback.item == item,
                    )
                ).first()
                if row is None:
                    row = Feedback(
                        workshop_id=workshop_id,
                        round=round_number,
                        participant_id=participant.id,  # type: ignore[arg-type]
                        kind=kind,
                        item=item,
                        case_slug=workshop.case_slug,
                        run_hash=BUNDLE_HASH,
                        template_version=pub_pin,
                        submission_id=submission.id,  # type: ignore[arg-type]
                        created_at=now,
                    )
                else:
                    row.revision += 1
                row.value, row.submission_id, row.updated_at = value, submission.id, now  # type: ignore[assignment]
                s.add(row)
            participant.last_seen_at = now
            s.add(participant)
            s.commit()
            return int(submission.id)  # type: ignore[arg-type]
    finally:
        engine.dispose()


# -- checking -------------------------------------------------------------------------------


Acks = list[list[tuple[int, int, float]]]  # per writer: (job index, submission id, latency s)


def verify(
    db: Database, workshop: BenchWorkshop, plan: list[list[Job]], acks: Acks
) -> tuple[bool, str]:
    """Check the stored rows against the acknowledgements: (ok, what was checked or wrong)."""
    per = slots_per_writer(plan)
    acked: dict[tuple[int, str], int] = {}
    expected: dict[tuple[int, str], tuple[Any, int, int]] = {}  # value, revision, submission
    for w, (jobs, mine) in enumerate(zip(plan, acks, strict=True)):
        for index, sid, _ in mine:  # in order: a participant is written by one writer
            job = jobs[index]
            pid = workshop.participants[w * per + job.slot][1]
            acked[(pid, job.key)] = sid
            for item, value in expected_items(job.kind, materialise(job, workshop.statement_ids)):
                _, revision, _ = expected.get((pid, item), (None, 0, 0))
                expected[(pid, item)] = (value, revision + 1, sid)
    with db.engine.connect() as conn:
        subs = conn.execute(
            text("SELECT participant_id, idempotency_key, id FROM submission WHERE workshop_id=:w"),
            {"w": workshop.id},
        ).all()
        rows = conn.execute(
            select(
                Feedback.participant_id,
                Feedback.item,
                Feedback.value,
                Feedback.revision,
                Feedback.submission_id,
            ).where(Feedback.workshop_id == workshop.id)
        ).all()
    stored = {(p, k): i for p, k, i in subs}
    problems = []
    if len(subs) != len(stored):
        problems.append(f"{len(subs) - len(stored)} duplicate submission rows")
    if stored != acked:
        problems.append(
            f"submissions: {len(set(stored) - set(acked))} stored but not acknowledged, "
            f"{len(set(acked) - set(stored))} acknowledged but missing, "
            f"{sum(stored.get(k) not in (None, v) for k, v in acked.items())} with another id"
        )
    got = {(p, i): (v, r, s) for p, i, v, r, s in rows}
    if len(rows) != len(got) or got != expected:
        wrong = sum(got.get(k) != v for k, v in expected.items())
        problems.append(
            f"feedback: {len(rows)} rows for {len(expected)} expected items, {wrong} differ"
        )
    ok = not problems
    return ok, (
        f"OK: {len(acked)} acknowledged = {len(subs)} submission rows, once each; "
        f"{len(rows)} feedback rows with the last value and revision"
        if ok
        else "FAILED: " + "; ".join(problems)
    )


def verify_resend(
    url: str,
    home: Path,
    workshop: BenchWorkshop,
    plan: list[list[Job]],
    acks: Acks,
    sample: int = 50,
) -> str:
    """Re-send acknowledged submissions (same keys): duplicates, same ids, no new rows."""
    per = slots_per_writer(plan)
    db = Database(url)
    service = FeedbackService(db, Settings(home=home, db_url=url))
    rng = random.Random(SEED)
    picks = [(w, a) for w, mine in enumerate(acks) for a in mine]
    picks = rng.sample(picks, min(sample, len(picks)))

    def count() -> tuple[int, int]:
        with db.engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                conn.execute(
                    text(f"SELECT COUNT(*) FROM {t} WHERE workshop_id=:w"), {"w": workshop.id}
                ).scalar_one()
                for t in ("submission", "feedback")
            )

    before, bad = count(), 0
    for w, (index, sid, _) in picks:
        job = plan[w][index]
        receipt = service.submit(
            workshop_id=workshop.id,
            token=workshop.participants[w * per + job.slot][0],
            round_number=workshop.round,
            kind=job.kind,
            payload=materialise(job, workshop.statement_ids),
            idempotency_key=job.key,
        )
        bad += not (receipt.duplicate and receipt.submission_id == sid)
    after = count()
    db.dispose()
    if bad or after != before:
        return f"FAILED: {bad} of {len(picks)} re-sends not recognised; rows {before} -> {after}"
    return f"OK: {len(picks)} re-sent keys acknowledged as duplicates, rows unchanged"
