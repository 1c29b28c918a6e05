"""Round changes and closing race against submissions from other processes.

Three spawned processes keep submitting ratings in whatever round is current while the
facilitator starts round 2, round 3 and then closes the workshop. The invariants, on
SQLite and PostgreSQL:

- every acknowledged submission is stored under the round its receipt names;
- the summary frozen when round r+1 opened equals a summary of round r's final data
  (no round-r answer committed after round r was frozen);
- nothing is stored after the close, and nothing is stored that was not acknowledged.
"""

from __future__ import annotations

import json
import multiprocessing
import runpy
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

RACE_PATH = Path(__file__).with_name("_race.py")
PROCESSES = 3
PARTICIPANTS = 12
#: seconds between the facilitator's actions (each round gets many submissions)
PAUSE_S = 0.6


def _spawn(env: Any, tokens: list[str], tmp_path: Path) -> tuple[list[Any], list[Path], Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES + 1)
    procs, outs = [], []
    for i in range(PROCESSES):
        out = tmp_path / f"race-{i}.json"
        outs.append(out)
        args = {
            "home": str(tmp_path),
            "db_url": env.db.url,
            "workshop_id": env.wid,
            "tokens": tokens,
            "options": env.OPTIONS,
            "criteria": env.CRITERIA,
            "seed": 1000 + i,
            "worker": i,
            "out": str(out),
            "barrier": barrier,
        }
        proc = ctx.Process(
            target=runpy.run_path,
            args=(str(RACE_PATH),),
            kwargs={"init_globals": {"WORKER_ARGS": args}, "run_name": "__wb_race_worker__"},
            name=f"race-worker-{i}",
        )
        proc.start()
        procs.append(proc)
    return procs, outs, barrier


def _frozen_equals_final(env: Any, rounds: int) -> None:
    from workbench.participation.delphi import delphi_setup

    with env.db.session() as s:
        for number in range(1, rounds):
            frozen = env.rows(
                "SELECT previous_results FROM workshop_round "
                "WHERE workshop_id = :w AND number = :n",
                w=env.wid,
                n=number + 1,
            )[0]["previous_results"]
            if isinstance(frozen, str):
                frozen = json.loads(frozen)
            _reask, now = delphi_setup(s, SimpleNamespace(id=env.wid, current_round=number))
            assert frozen == json.loads(json.dumps(now)), (
                f"round {number}'s frozen summary differs from its stored data: an answer "
                f"for round {number} was committed after round {number + 1} started"
            )


def test_round_changes_and_close_race_submissions(make_env, tmp_path: Path) -> None:
    env = make_env(rate_limit=10**6)
    env.open()
    tokens = env.participants(PARTICIPANTS, groups=["employers", "unions", "ngos"])
    procs, outs, barrier = _spawn(env, tokens, tmp_path)
    try:
        barrier.wait(timeout=120)
        for _ in range(2):
            time.sleep(PAUSE_S)
            env.workshops.next_round(env.wid)
        time.sleep(PAUSE_S)
        env.workshops.close(env.wid)
        for proc in procs:
            proc.join(timeout=150)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    results = [row for out in outs for row in json.loads(out.read_text())]
    acks = [r for r in results if r[0] == "ack"]
    by_round = {n: sum(1 for r in acks if r[3] == n) for n in (1, 2, 3)}
    assert all(by_round.values()), f"every round must get acknowledged answers: {by_round}"
    assert {r[1] for r in results if r[0] == "closed"} == set(range(PARTICIPANTS))

    # Every acknowledged submission is stored once, under the round of its receipt.
    stored = {
        row["idempotency_key"]: row
        for row in env.rows("SELECT id, idempotency_key, round FROM submission")
    }
    assert len(stored) == len(acks), "a refused submission was stored, or an ack was lost"
    for _kind, _index, key, rnd, sid, _option, _criterion in acks:
        assert (stored[key]["id"], stored[key]["round"]) == (sid, rnd), key
    # Each stored rating row belongs to a submission of the same round.
    mismatched = env.rows(
        "SELECT COUNT(*) AS n FROM feedback f JOIN submission s ON s.id = f.submission_id "
        "WHERE f.round <> s.round"
    )[0]["n"]
    assert mismatched == 0

    _frozen_equals_final(env, rounds=3)
    rounds = env.rows(
        "SELECT number, closed_at FROM workshop_round WHERE workshop_id = :w ORDER BY number",
        w=env.wid,
    )
    assert [r["number"] for r in rounds] == [1, 2, 3] and all(r["closed_at"] for r in rounds)
    assert env.workshops.get(env.wid).state == "closed"
