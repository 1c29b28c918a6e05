"""Worker of the round-change race test (run in spawned processes by ``runpy``).

Each worker has its own Database and FeedbackService and keeps submitting ratings for
its participants in whatever round is current, until the workshop is closed. Every
outcome is written to a JSON file: acknowledged submissions with the round of their
receipt, and refusals by kind (stale round, closed, item settled by consensus).
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any


def worker_main(args: dict[str, Any]) -> None:
    """Submit until the workshop closes; write ``[kind, token index, key, ...]`` rows."""
    from workbench.config import Settings
    from workbench.db import Database
    from workbench.exceptions import InvalidInput, StaleRound, WorkshopClosed
    from workbench.participation.feedback import FeedbackService

    settings = Settings(home=args["home"], db_url=args["db_url"], rate_limit=10**6)
    db = Database(args["db_url"], migrate=False)
    service = FeedbackService(db, settings)
    rng = random.Random(args["seed"])
    tokens: list[str] = args["tokens"]
    options, criteria = args["options"], args["criteria"]
    out: list[list[Any]] = []
    closed: set[int] = set()
    try:
        with db.session() as s:  # connect before the start line, not after
            s.connection()
        args["barrier"].wait(timeout=120)
        deadline = time.monotonic() + 120
        n = 0
        while len(closed) < len(tokens) and time.monotonic() < deadline:
            index = rng.randrange(len(tokens))
            round_number = service.workshops.get(args["workshop_id"]).current_round
            option, criterion = rng.choice(options), rng.choice(criteria)
            value = rng.randint(1, 5)
            n += 1
            key = f"w{args['worker']}-{n:07d}"
            try:
                receipt = service.submit(
                    workshop_id=args["workshop_id"],
                    token=tokens[index],
                    round_number=round_number,
                    kind="rating",
                    payload={"ratings": {option: {criterion: value}}},
                    idempotency_key=key,
                )
            except StaleRound:
                out.append(["stale", index, key, round_number])
            except WorkshopClosed:
                closed.add(index)
                out.append(["closed", index, key, round_number])
            except InvalidInput:  # settled by consensus: not asked again
                out.append(["settled", index, key, round_number])
            else:
                out.append(
                    ["ack", index, key, receipt.round, receipt.submission_id, option, criterion]
                )
        Path(args["out"]).write_text(json.dumps(out))
    finally:
        db.dispose()


if __name__ == "__wb_race_worker__":
    worker_main(globals()["WORKER_ARGS"])
