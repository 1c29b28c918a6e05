"""The concurrent-submission scenario of test_concurrency.py.

Kept in its own file (not collected: no ``test_`` prefix) so that worker processes started
with the ``spawn`` method can run it with :func:`runpy.run_path`; test modules loaded with
``--import-mode=importlib`` are not importable by name in a child process.

Every participant rates every option x criterion (one submission), votes on every
statement (one submission each) and writes a comment (a draft, then a final
text). Each submission is sent with its idempotency key, re-sent 1-2 more times with the
same key (network retry) and once with a new key and the same content (double click). All
sends are shuffled together; the final comments go in a second phase so that "last" is
well defined.
"""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Op:
    """One send: ``key`` identifies the submission, ``content`` its logical answer."""

    participant: int
    token: str
    kind: str
    payload: dict[str, Any]
    key: str
    phase: int


def rating_value(p: int, option: int, criterion: int, scale: int) -> int:
    """Participant ``p``'s rating of one option on one criterion."""
    return 1 + (p * 7 + option * 3 + criterion) % scale


def vote_value(p: int, statement: int) -> str:
    """Participant ``p``'s vote on one statement."""
    return ("agree", "disagree", "pass")[(p + statement) % 3]


def final_comment(p: int) -> str:
    """Participant ``p``'s final comment."""
    return f"Final comment of participant {p}: <em>more case managers</em>"


def plan(
    tokens: list[str],
    statement_ids: list[int],
    options: list[str],
    criteria: list[str],
    scale: int,
    seed: int,
) -> list[Op]:
    """All sends of all participants, shuffled."""
    rng = random.Random(seed)
    ops: list[Op] = []
    for p, token in enumerate(tokens):
        contents: list[tuple[int, str, str, dict[str, Any]]] = []
        ratings = {
            option: {c: rating_value(p, oi, ci, scale) for ci, c in enumerate(criteria)}
            for oi, option in enumerate(options)
        }
        contents.append((1, f"p{p}-ratings", "rating", {"ratings": ratings}))
        for si, sid in enumerate(statement_ids):
            vote = {"votes": {str(sid): vote_value(p, si)}}
            contents.append((1, f"p{p}-vote-{sid}", "vote", vote))
        contents.append((1, f"p{p}-comment-draft", "comment", {"text": f"draft {p}"}))
        contents.append((2, f"p{p}-comment-final", "comment", {"text": final_comment(p)}))
        for phase, key, kind, payload in contents:
            for _ in range(1 + rng.randint(1, 2)):  # first send + 1-2 network retries
                ops.append(Op(p, token, kind, payload, key, phase))
            ops.append(Op(p, token, kind, payload, f"{key}-again", phase))  # double click
    rng.shuffle(ops)
    return ops


def expected_items(
    n: int, statement_ids: list[int], options: list[str], criteria: list[str], scale: int
) -> dict[tuple[int, str], tuple[Any, int]]:
    """(participant index, item) -> (final value, number of accepted submissions)."""
    out: dict[tuple[int, str], tuple[Any, int]] = {}
    for p in range(n):
        for oi, option in enumerate(options):
            for ci, criterion in enumerate(criteria):
                value = rating_value(p, oi, ci, scale)
                out[(p, f"rating:{option}:{criterion}")] = (value, 2)
        for si, sid in enumerate(statement_ids):
            value = {"agree": 1, "disagree": -1, "pass": 0}[vote_value(p, si)]
            out[(p, f"vote:{sid}")] = (value, 2)
        out[(p, "comment:general")] = (final_comment(p), 4)
    return out


Result = tuple[int, str, int, bool, int]


def execute(
    service: Any, workshop_id: int, round_number: int, ops: list[Op], threads: int
) -> list[Result]:
    """Send ``ops`` from a thread pool, phase by phase; retry only when rate limited.

    Returns ``(participant, key, submission_id, duplicate, rate_limited)`` per op, the last
    counting retries after RateLimited. Any other refusal, StoreUnavailable included (the
    write lock not granted within the busy timeout), fails the scenario: a participant
    would have been told "not saved".
    """
    from workbench.exceptions import RateLimited

    def send(op: Op) -> Result:
        rate_limited = 0
        deadline = time.monotonic() + 180
        while True:
            started = time.monotonic()
            try:
                receipt = service.submit(
                    workshop_id=workshop_id,
                    token=op.token,
                    round_number=round_number,
                    kind=op.kind,
                    payload=op.payload,
                    idempotency_key=op.key,
                )
            except RateLimited as exc:
                if time.monotonic() > deadline:
                    raise
                rate_limited += 1
                time.sleep(exc.retry_after)
                continue
            except Exception as exc:
                waited = time.monotonic() - started
                exc.add_note(f"participant {op.participant} key {op.key}: after {waited:.2f} s")
                raise
            return (
                op.participant,
                op.key,
                receipt.submission_id,
                receipt.duplicate,
                rate_limited,
            )

    results: list[Result] = []
    for phase in (1, 2):
        batch = [op for op in ops if op.phase == phase]
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results += list(pool.map(send, batch))
    return results


def ops_to_json(ops: list[Op]) -> list[dict[str, Any]]:
    """Plain data for a child process."""
    return [asdict(op) for op in ops]


def worker_main(args: dict[str, Any]) -> None:
    """Entry point of one worker process: its own Database and FeedbackService."""
    from workbench.config import Settings
    from workbench.db import Database
    from workbench.participation.feedback import FeedbackService

    settings = Settings(home=args["home"], db_url=args["db_url"], **args["settings"])
    db = Database(args["db_url"], migrate=False)
    service = FeedbackService(db, settings)
    ops = [Op(**op) for op in args["ops"]]
    try:
        with db.session() as s:  # connect before the start line, not after
            s.connection()
        args["barrier"].wait(timeout=120)
        results = execute(service, args["workshop_id"], args["round"], ops, args["threads"])
        Path(args["out"]).write_text(json.dumps(results))
    finally:
        db.dispose()


if __name__ == "__wb_worker__":
    worker_main(globals()["WORKER_ARGS"])
