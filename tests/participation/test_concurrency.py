"""Many participants submitting at once, with network retries and double clicks.

Runs on SQLite and PostgreSQL (``db_url``): once with threads sharing one FeedbackService
(as the app server does in one process), once with four spawned processes that each have
their own Database, to exercise cross-process locking.
"""

from __future__ import annotations

import json
import multiprocessing
import runpy
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import _scenario as scenario

SCENARIO_PATH = Path(__file__).with_name("_scenario.py")

PARTICIPANTS = 50
THREADS = 16
PROCESSES = 4
GROUPS = ["employers", "unions", "training_providers", "ngos", "employment_service"]


def _setup(
    make_env, n: int = PARTICIPANTS, **settings: Any
) -> tuple[Any, list[str], list[int], list[Any]]:
    env = make_env(**(settings or {"rate_limit": 1000}))
    env.open()
    tokens = env.participants(n, groups=GROUPS)
    sids = env.statement_ids()
    ops = scenario.plan(tokens, sids, env.OPTIONS, env.CRITERIA, 5, seed=20240611)
    return env, tokens, sids, ops


def _check(env, tokens: list[str], sids: list[int], ops: list[Any], results: list[Any]) -> None:
    ids = {env.workshops.admit(env.wid, t).participant_id: p for p, t in enumerate(tokens)}
    keys = {(op.participant, op.key) for op in ops}
    assert len(results) == len(ops), "some sends got no answer"

    # Every key was accepted exactly once; every re-send was answered as a duplicate of it.
    by_key: dict[tuple[int, str], set[int]] = defaultdict(set)
    accepted: Counter[tuple[int, str]] = Counter()
    for p, key, submission_id, duplicate, _limited in results:
        by_key[(p, key)].add(submission_id)
        if not duplicate:
            accepted[(p, key)] += 1
    assert set(by_key) == keys
    assert all(len(s) == 1 for s in by_key.values()), "a key maps to several submissions"
    assert set(accepted) == keys and set(accepted.values()) == {1}

    # Submission rows == distinct idempotency keys, none lost, none doubled.
    subs = env.rows("SELECT id, participant_id, idempotency_key, round FROM submission")
    assert len(subs) == len(keys)
    assert {(ids[s["participant_id"]], s["idempotency_key"]) for s in subs} == keys
    assert {s["id"] for s in subs} == set().union(*by_key.values())
    assert {s["round"] for s in subs} == {1}

    # Exactly one feedback row per (participant, item), with the right final value.
    n = len(tokens)
    expected = scenario.expected_items(n, sids, env.OPTIONS, env.CRITERIA, 5)
    assert len(expected) == n * (len(env.OPTIONS) * len(env.CRITERIA) + len(sids) + 1)
    (stats,) = env.rows(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT participant_id || ':' || item) AS distinct_n "
        "FROM feedback"
    )
    assert stats == {"n": len(expected), "distinct_n": len(expected)}
    rows = env.feedback_rows()
    got = {(ids[r.participant_id], r.item): (r.value, r.revision) for r in rows}
    lost = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert not lost and not extra, f"lost {lost[:5]}, unexpected {extra[:5]}"
    wrong = {k: (got[k], v) for k, v in expected.items() if got[k][0] != v[0]}
    assert not wrong, f"wrong values (got, expected): {dict(list(wrong.items())[:5])}"
    # revision counts the accepted submissions of each item: no update was lost.
    revisions = {k: (got[k][1], v[1]) for k, v in expected.items() if got[k][1] != v[1]}
    assert not revisions, f"(revision, expected): {dict(list(revisions.items())[:5])}"
    for r in rows:
        assert (r.round, r.run_hash, r.template_version) == (1, env.BUNDLE_HASH, env.TEMPLATE_PIN)

    for p, token in enumerate(tokens[:3]):
        answers = env.feedback.my_answers(workshop_id=env.wid, token=token)
        assert answers["comment:general"] == scenario.final_comment(p)
    participation = env.workshops.participation(env.wid)
    assert (participation.registered, participation.active) == (n, n)


def test_threads_share_one_service(make_env) -> None:
    env, tokens, sids, ops = _setup(make_env)
    results = scenario.execute(env.feedback, env.wid, 1, ops, THREADS)
    _check(env, tokens, sids, ops, results)


def test_rate_limited_threads_lose_nothing(make_env) -> None:
    """With a tight rate limit the retry loop is exercised: still nothing lost or doubled."""
    env, tokens, sids, ops = _setup(make_env, 4, rate_limit=4, rate_window_s=0.5)
    results = scenario.execute(env.feedback, env.wid, 1, ops, THREADS)
    assert sum(r[4] for r in results) > 0, "the rate limit never applied"
    _check(env, tokens, sids, ops, results)


def test_separate_processes(make_env, tmp_path: Path) -> None:
    env, tokens, sids, ops = _setup(make_env)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES + 1)
    procs = []
    outs = []
    for i in range(PROCESSES):
        mine = [op for op in ops if op.participant % PROCESSES == i]
        out = tmp_path / f"worker-{i}.json"
        outs.append(out)
        args = {
            "home": str(tmp_path),
            "db_url": env.db.url,
            "settings": {"rate_limit": 1000},
            "workshop_id": env.wid,
            "round": 1,
            "ops": scenario.ops_to_json(mine),
            "threads": 4,
            "out": str(out),
            "barrier": barrier,
        }
        proc = ctx.Process(
            target=runpy.run_path,
            args=(str(SCENARIO_PATH),),
            kwargs={"init_globals": {"WORKER_ARGS": args}, "run_name": "__wb_worker__"},
            name=f"feedback-worker-{i}",
        )
        proc.start()
        procs.append(proc)
    try:
        barrier.wait(timeout=120)
        for proc in procs:
            proc.join(timeout=120)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    results = [tuple(r) for out in outs for r in json.loads(out.read_text())]
    _check(env, tokens, sids, ops, results)
