"""kill -9 under load: 20 simulated participants save through ``workbench serve``
(30, on both databases, in ``benchmarks/bench_crash.py``).

On the database of ``demo_runs`` (SQLite, and PostgreSQL when configured). The rate limit
is raised in the server's environment (1,000 per 10 s): the pages save as fast as the
kernels answer, and no save may be held back ("waiting") by the limit.

1. SIGKILL one participant's kernel: only that participant's next save goes unanswered;
   the 29 others are acknowledged.
2. SIGKILL the app server while all 20 are saving: ``workbench serve`` starts a new one
   (the lab server keeps its pid and answers); no kernel is left without its server;
   every acknowledged save is stored exactly once, a save the kill left unanswered is
   stored at most once, and nothing is stored that no page sent; the reloaded pages
   (same personal links) save again.

Each save is a comment with a unique text, so the database rows are matched to the
pages' submissions by the service's payload digest.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import _crash
import _participants as pt
import pytest

PARTICIPANTS = 20
REJOIN = 10
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def crash_server(demo_runs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``workbench serve`` with a workshop for 30 and a warm pool of 30 kernels."""
    with contextlib.ExitStack() as stack:
        serve = pt.start_serve(
            demo_runs,
            tmp_path_factory.mktemp("crash"),
            stack,
            expected=PARTICIPANTS,
            env={"WORKBENCH_RATE_LIMIT": "1000"},
        )
        try:
            yield serve
        finally:
            serve.stop()


async def _kernel_kill(serve: Any) -> dict[str, Any]:
    pages = await _crash.join_all(serve, PARTICIPANTS, "kernel")
    opened = list(pages)
    try:
        first = await asyncio.gather(*(_crash.save_comment(p, i, 0) for i, p in enumerate(pages)))
        out: dict[str, Any] = {"first": [s.status for s in first]}
        out["kernel"] = await _crash.kill_one_kernel(serve, pages, victim=0)
        # The victim reloads the same personal link within the reattach grace period.
        victim = await _crash.reopen(serve, pages[:1], timeout=120)
        opened += victim
        out["victim_again"] = (await _crash.save_comment(victim[0], 0, 2000)).status
    finally:
        for page in opened:
            page.close()
    return out


@pytest.mark.databases("sqlite")  # kernel isolation: the database changes nothing here
def test_kill_9_of_one_kernel_affects_only_that_participant(crash_server: Any) -> None:
    out = asyncio.run(_kernel_kill(crash_server))
    assert out["first"] == ["acknowledged"] * PARTICIPANTS
    kernel = out["kernel"]
    assert kernel["dead"]
    statuses = [s.status for s in kernel["after"]]
    assert statuses == ["lost"] + ["acknowledged"] * (PARTICIPANTS - 1), [
        s.message for s in kernel["after"]
    ]
    assert out["victim_again"] == "acknowledged"


async def _server_kill(serve: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pages = await _crash.join_all(serve, PARTICIPANTS, "crash")
    names = {f"crash-{i:02d}": [p] for i, p in enumerate(pages)}
    try:
        out["crash"] = await _crash.kill_app_server_while_saving(
            serve, pages, kill_after=2 * PARTICIPANTS, warm=REJOIN
        )
        # A third of the participants come back and save again (bench_crash.py: all of them).
        again = await _crash.reopen(serve, pages[:REJOIN])
        for i, page in enumerate(again):
            names[f"crash-{i:02d}"].append(page)
        after = await asyncio.gather(
            *(_crash.save_comment(p, i, 3000) for i, p in enumerate(again))
        )
        out["after"] = [s.status for s in after]
        out["tally"] = _crash.tally(serve, names)
        out["lab"] = serve.lab_status()
    finally:
        for group in names.values():
            for page in group:
                page.close()
    return out


# make test: SQLite (the load test takes PostgreSQL); benchmarks/bench_crash.py runs both.
@pytest.mark.databases("sqlite")
def test_kill_9_of_the_app_server_loses_no_acknowledged_save(crash_server: Any) -> None:
    serve = crash_server
    out = asyncio.run(_server_kill(serve))

    # A new app server, the lab untouched, no kernel left without its server.
    crash = out["crash"]
    assert crash.new_pid != crash.old_pid and not pt.alive(crash.old_pid)
    assert crash.lab_pid_after == crash.lab_pid_before
    assert out["lab"]["started"]
    assert crash.orphans == []
    assert crash.acked_before_kill >= 2 * PARTICIPANTS
    assert out["after"] == ["acknowledged"] * REJOIN

    t = out["tally"]
    assert t.missing == []
    assert t.acked == t.acked_stored_once
    assert (t.stored_twice, t.stray) == (0, 0)
    assert t.rows == t.acked + t.unacked_stored
    assert t.unacked_stored <= t.unacked_sent
    print(
        f"\ncrash ({serve.db_url.split(':')[0]}): {t.acked} acknowledged saves, all stored "
        f"once; {t.unacked_sent} sent without an answer ({crash.lost} cut by the app server "
        f"kill), {t.unacked_stored} of them stored; new app server after {crash.back_s:.1f} s, "
        f"pool of {REJOIN} warm after {crash.warm_s:.1f} s (cold start of serve's pool: "
        f"{serve.ready_s:.1f} s)"
    )
