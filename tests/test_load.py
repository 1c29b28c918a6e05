"""40 participants answer at once through the real app server (PostgreSQL in `make test`;
100, on both databases, in `benchmarks/bench_feedback.py --app-only --app-saves 20`; see
docs/testing.md).

Each simulated participant (benchmarks/_driver.py) opens a personal join link, joins
over the kernel websocket and sends 20 submissions, cycling rating, approval, ranking,
comment and vote, by setting widget values and clicking Save as a browser does. The
rate limit is the default, set explicitly in the server's environment: 20 submissions
per participant per 10 s, so a participant's 20 submissions are never throttled, and the
test checks that no save was held back ("waiting").

Checked exactly: 800 acknowledged ("Saved at ..."), and the database holds for each
participant exactly the acknowledged payloads (by the service's payload digest, as a
multiset: 0 lost, 0 extra), one submission row per idempotency key, one feedback row per
(round, participant, item) with the value and revision count the acknowledged payloads
leave. The wall times are printed (``-s``); 40 kernels need about 5 GB of RAM.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import _participants as pt
import pytest

PARTICIPANTS = 40
SUBMISSIONS = 20
KINDS = ["rating", "approval", "ranking", "comment", "vote"]
GROUPS = ["employers", "unions", "training_providers", "ngos", "employment_service"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


@pytest.fixture(scope="module")
def load_server(demo_runs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``workbench serve`` with a workshop for 40, its pool warmed to 40 kernels; on the
    database of ``demo_runs`` (parametrised: SQLite, and PostgreSQL when configured)."""
    with contextlib.ExitStack() as stack:
        serve = pt.start_serve(
            demo_runs,
            tmp_path_factory.mktemp("load"),
            stack,
            expected=PARTICIPANTS,
            env={"WORKBENCH_RATE_LIMIT": "20", "WORKBENCH_RATE_WINDOW_S": "10"},
            timeout=900,
        )
        try:
            yield serve
        finally:
            serve.stop()


async def _participant(page: Any, number: int, catalog: Any) -> str:
    """Join and send SUBMISSIONS answers; returns '' or why joining failed."""
    rng = random.Random(1000 + number)
    problem = await page.join(f"load-{number:03d}", GROUPS[number % len(GROUPS)])
    if problem:
        return problem
    options = [key for key, _ in catalog.options]
    criteria = [key for key, _ in catalog.criteria]
    statements = [sid for sid, _ in catalog.statements]
    for j in range(SUBMISSIONS):
        kind = KINDS[j % len(KINDS)]
        if kind == "rating":
            cells = rng.sample([(o, c) for o in options for c in criteria], 2)
            await page.rate({cell: rng.randint(1, catalog.scale) for cell in cells})
        elif kind == "approval":
            await page.approve(rng.sample(options, rng.randint(0, len(options))))
        elif kind == "ranking":
            await page.rank(rng.sample(options, len(options)))
        elif kind == "comment":
            target = rng.choice(["general", *options])
            await page.comment(target, f"Participant {number}, comment {j}: keep it local.")
        else:
            chosen = rng.sample(statements, rng.randint(1, min(3, len(statements))))
            await page.vote({sid: rng.choice(["agree", "disagree", "pass"]) for sid in chosen})
        await page.save(kind)
    return ""


async def _run_all(serve: Any) -> tuple[list[Any], list[Any], list[str], dict[str, float]]:
    catalog = serve.catalog()
    links = serve.links(PARTICIPANTS)
    t0 = time.perf_counter()
    pages, results, http = await pt.open_pages(links, catalog, timeout=600)
    t_open = time.perf_counter() - t0
    try:
        failed = [r.error for r in results if not r.ok]
        assert not failed, f"{len(failed)} pages did not load: {Counter(failed)}"
        problems = await asyncio.gather(
            *(_participant(page, i, catalog) for i, page in enumerate(pages))
        )
    finally:
        for page in pages:
            page.close()
        http.close()
    times = {"open": t_open, "answer": time.perf_counter() - t0 - t_open}
    return pages, results, list(problems), times


# make test: PostgreSQL only (about 2 min a database); benchmarks/bench_feedback.py --app-only
# runs 100 participants on SQLite and PostgreSQL and checks the store the same way.
@pytest.mark.databases("postgresql")
def test_40_participants_20_submissions_each_nothing_lost_or_doubled(load_server: Any) -> None:
    serve = load_server
    started = time.perf_counter()
    pages, _results, problems, times = asyncio.run(_run_all(serve))
    wall = time.perf_counter() - started

    assert problems == [""] * PARTICIPANTS, Counter(problems)
    subs = [s for page in pages for s in page.submissions]
    statuses = Counter(s.status for s in subs)
    odd = Counter(s.message for s in subs if s.status != "acknowledged")
    assert statuses == {"acknowledged": PARTICIPANTS * SUBMISSIONS}, (statuses, odd)

    db = pt.stored(serve.db_url, serve.workshop_id)
    number = {pid: int(name.split("-")[1]) for pid, name in db.names.items()}
    assert sorted(number.values()) == list(range(PARTICIPANTS))

    # Submission rows: exactly the acknowledged payloads of each participant (0 lost, 0 extra).
    assert len(db.submissions) == PARTICIPANTS * SUBMISSIONS
    keys = Counter((s["participant_id"], s["idempotency_key"]) for s in db.submissions)
    assert keys.most_common(1)[0][1] == 1 and len(keys) == PARTICIPANTS * SUBMISSIONS
    assert {s["round"] for s in db.submissions} == {1}
    got = Counter(
        (number[s["participant_id"]], s["kind"], s["payload_sha256"]) for s in db.submissions
    )
    want = Counter(
        (i, s.kind, pt.payload_hash(s.kind, s.payload))
        for i, page in enumerate(pages)
        for s in page.submissions
    )
    assert got == want, (
        f"lost {list((want - got).items())[:3]}, extra {list((got - want).items())[:3]}"
    )
    assert Counter(s["kind"] for s in db.submissions) == {
        kind: PARTICIPANTS * SUBMISSIONS // len(KINDS) for kind in KINDS
    }

    # Feedback rows: one per (round, participant, item), final value and revision count of
    # the acknowledged payloads applied in order, each pointing at its own participant's row.
    cells = Counter((f["round"], f["participant_id"], f["item"]) for f in db.feedback)
    assert cells.most_common(1)[0][1] == 1
    options = [key for key, _ in serve.catalog().options]
    owner = {s["id"]: s["participant_id"] for s in db.submissions}
    expected = {
        (i, item): value
        for i, page in enumerate(pages)
        for item, value in pt.expected_items(
            [(s.kind, s.payload) for s in page.submissions], options
        ).items()
    }
    stored = {
        (number[f["participant_id"]], f["item"]): (f["value"], f["revision"]) for f in db.feedback
    }
    assert stored.keys() == expected.keys()
    wrong = {k: (stored[k], v) for k, v in expected.items() if stored[k] != v}
    assert not wrong, f"(stored, expected): {dict(list(wrong.items())[:5])}"
    assert all(owner[f["submission_id"]] == f["participant_id"] for f in db.feedback)

    latencies = sorted(s.seconds for s in subs if s.seconds is not None)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"\nload test ({serve.db_url.split(':')[0]}): pool of {PARTICIPANTS} warm in "
        f"{serve.ready_s:.0f} s; {PARTICIPANTS} pages open in {times['open']:.1f} s; "
        f"{len(subs)} submissions acknowledged in {times['answer']:.1f} s "
        f"({len(subs) / times['answer']:.1f}/s, Save->Saved p95 {p95:.2f} s); "
        f"test body {wall:.0f} s"
    )
