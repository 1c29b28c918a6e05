"""Benchmark: acknowledged feedback submissions per second and p95 acknowledgement latency.

Service layer, 50 concurrent writers, on SQLite (WAL) and PostgreSQL, two ways in the
same run and on the same workload:

- ours: ``FeedbackService.submit`` (one pooled engine per process, validation, one
  transaction with the participant's write lock, idempotency key, rate limit, submission
  insert and feedback upserts); a ``StoreUnavailable`` is retried with the same key, as
  the widget's ``Submitter`` does;
- naive: what one writes without the service: a new SQLAlchemy engine and ORM session
  per write (:func:`naive_submit`), the same checks and validation, ORM objects and
  select-then-insert-or-update for the feedback rows; an ``OperationalError`` (e.g.
  "database is locked") is retried. It stores the same rows as ours.

Each is run with 50 writer *threads* in one process (one service, one engine) and with
50 writer *processes* (forked, one service each): on a 2-core machine threads share one
GIL, while the app server runs one kernel process per participant, each with its own
engine, so processes are the deployment's shape.

Workload (fixed seed :data:`SEED`): ``--submissions`` per run, 1/50 per writer; kinds
rating 50 % (1-6 of the 3×2 option×criterion items), vote 20 % (1-4 statements),
approval 15 %, ranking 10 %, comment 5 %. Each writer owns its participants (registered
beforehand through ``WorkshopService.links/register``) and cycles through them, so no
participant sends more than ``rate_limit`` (default 20 per 10 s) submissions in the whole
run: the default rate limit is respected, never raised; a ``RateLimited`` refusal would
be counted as a failure. Every run uses its own open workshop in the same database.

After each run the database is checked against the acknowledgements: every acknowledged
submission is stored exactly once (submission rows = acknowledged keys, ids as
acknowledged) and every feedback row holds the participant's last acknowledged value,
with ``revision`` = the number of acknowledged submissions that wrote it. Ours is also
re-sent (same keys): the receipts must say "duplicate" and no row may change.

Printed per run: acknowledged submissions, failures (refused or given up; should be 0),
retries, wall time, acknowledged submissions/s (acks / wall time from the common start to
the last writer's end), p50 and p95 acknowledgement latency (call to receipt, retries
included), client CPU ms per acknowledgement (the writers' processes; PostgreSQL's server
CPU is not included) and the machine's 1-minute load average at the end, since the other
work on the machine is not controlled. CPU per acknowledgement depends much less on that
load than the wall times do; cores / (CPU per acknowledgement) bounds the rate an idle
machine could reach.

Target: at least 1,000 acknowledged submissions/s on SQLite (WAL) and on PostgreSQL
(2 cores), printed as PASS/MISS per database and mode. ``--profile`` prints where
``submit`` spends its time (cProfile, one writer) and the SQL statements it sends.

``--through-app`` adds the app-server part (:mod:`_feedback_app`): ``--app-participants``
(100) simulated browsers join a warmed workshop and each clicks Save ``--app-saves``
(10; at most 20, the rate limit) times over the kernel websocket; acknowledged saves/s
and the p95 of Save click → "Saved at", checked against the database. ``--app-only``
runs only that part.

Usage: python benchmarks/bench_feedback.py [--quick] [--db sqlite postgresql]
       [--db-url URL] [--submissions N] [--modes threads processes] [--impls ours naive]
       [--profile] [--through-app | --app-only] [--app-participants N] [--app-saves K]

PostgreSQL: a fresh database is created next to ``--db-url`` (default
``WORKBENCH_TEST_DB_URL``) and dropped afterwards; without a URL only SQLite runs.
``--quick``: 1,000 submissions per run (and at most 5 saves per app participant).
Exit status 1 if a storage check fails or a submission failed.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _feedback_work import (
    Job,
    materialise,
    naive_submit,
    slots_per_writer,
    verify,
    verify_resend,
    workload,
)
from _setup import BenchWorkshop, fresh_database, open_workshop

from workbench.config import Settings
from workbench.db import Database
from workbench.exceptions import StoreUnavailable
from workbench.participation.feedback import FeedbackService

WRITERS = 50
TARGET_ACKS_PER_S = 1000.0
MAX_ATTEMPTS = 20


Submit = Callable[[str, str, dict[str, Any], str], int]  # token, kind, payload, key → id


def make_submit(impl: str, url: str, home: Path, workshop: BenchWorkshop) -> tuple[Submit, Any]:
    """(submit function, closer) for ``impl`` ("ours" or "naive") in this process."""
    settings = Settings(home=home, db_url=url)
    if impl == "ours":
        db = Database(url)
        service = FeedbackService(db, settings)

        def ours(token: str, kind: str, payload: dict[str, Any], key: str) -> int:
            return service.submit(
                workshop_id=workshop.id,
                token=token,
                round_number=workshop.round,
                kind=kind,
                payload=payload,
                idempotency_key=key,
            ).submission_id

        return ours, db.dispose

    def naive(token: str, kind: str, payload: dict[str, Any], key: str) -> int:
        return naive_submit(
            url,
            workshop_id=workshop.id,
            token=token,
            round_number=workshop.round,
            kind=kind,
            payload=payload,
            key=key,
            rate_limit=settings.rate_limit,
            rate_window_s=settings.rate_window_s,
        )

    return naive, lambda: None


RETRYABLE = {"ours": (StoreUnavailable,), "naive": (OperationalError,)}


# -- running ------------------------------------------------------------------------------


@dataclass
class WriterResult:
    """What one writer saw: acknowledgements (job index, submission id, latency s)."""

    acks: list[tuple[int, int, float]] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    end: float = 0.0
    cpu_s: float = 0.0  # CPU time of the writer's process (process mode only)
    writer: int = 0


def run_writer(
    impl: str,
    submit: Submit,
    jobs: list[Job],
    mine: list[tuple[str, int]],
    sids: list[int],
    progress: Any,
) -> WriterResult:
    """Send ``jobs`` one after the other; retry a retryable error with the same key."""
    out = WriterResult()
    for index, job in enumerate(jobs):
        token = mine[job.slot][0]
        payload = materialise(job, sids)
        start = time.perf_counter()
        for attempt in range(MAX_ATTEMPTS):
            try:
                sid = submit(token, job.kind, payload, job.key)
            except RETRYABLE[impl] as exc:
                if attempt == MAX_ATTEMPTS - 1:
                    out.failures[f"{type(exc).__name__} after {MAX_ATTEMPTS} attempts"] += 1
                    break
                out.retries += 1
                time.sleep(0.01 * (attempt + 1))
                continue
            except Exception as exc:  # a refusal or a bug: counted and printed, never hidden
                out.failures[f"{type(exc).__name__}: {str(exc)[:60]}"] += 1
                break
            out.acks.append((index, sid, time.perf_counter() - start))
            with progress.get_lock():
                progress.value += 1
            break
    out.end = time.perf_counter()
    return out


def _process_writer(
    impl: str,
    url: str,
    home: Path,
    workshop: BenchWorkshop,
    writer: int,
    jobs: list[Job],
    mine: list[tuple[str, int]],
    sync: tuple[Any, Any, Any, Any],
) -> None:
    """One writer process: set up, report ready, wait for the start, send, report."""
    ready, go, queue, progress = sync
    result = WriterResult(writer=writer)
    try:
        submit, close = make_submit(impl, url, home, workshop)
    except Exception as exc:  # reported, never a hang
        result.failures[f"writer set-up: {type(exc).__name__}: {exc}"[:100]] += len(jobs)
        ready.release()
        go.wait()
        result.end = time.perf_counter()
        queue.put(result)
        return
    ready.release()
    go.wait()
    try:
        cpu = time.process_time()
        result = run_writer(impl, submit, jobs, mine, workshop.statement_ids, progress)
        result.cpu_s, result.writer = time.process_time() - cpu, writer
    finally:
        queue.put(result)
        close()


@dataclass
class RunResult:
    """One implementation × one mode on one database."""

    impl: str
    mode: str
    writers: list[WriterResult]
    wall_s: float
    cpu_s: float  # client CPU time (every writer process or the one threaded process)
    load: float  # the machine's 1-minute load average at the end (other work included)
    check: str = ""
    ok: bool = False

    @property
    def acks(self) -> int:
        """Acknowledged submissions."""
        return sum(len(w.acks) for w in self.writers)

    @property
    def failures(self) -> Counter[str]:
        """Refusals and give-ups by reason."""
        total: Counter[str] = Counter()
        for w in self.writers:
            total.update(w.failures)
        return total

    @property
    def rate(self) -> float:
        """Acknowledged submissions per second of wall time."""
        return self.acks / self.wall_s if self.wall_s else 0.0

    def latency(self, q: float) -> float:
        """The ``q`` quantile (nearest rank) of the acknowledgement latencies, in s."""
        values = sorted(lat for w in self.writers for _, _, lat in w.acks)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def _progress_line(label: str, progress: Any, total: int, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        print(f"\r  {label}: {progress.value}/{total} acknowledged", end="", file=sys.stderr)
    print(f"\r  {label}: {progress.value}/{total} acknowledged", file=sys.stderr)


def run(
    impl: str,
    mode: str,
    url: str,
    home: Path,
    workshop: BenchWorkshop,
    plan: list[list[Job]],
    label: str,
) -> RunResult:
    """Run every writer's jobs concurrently (threads or forked processes)."""
    ctx = mp.get_context("fork")
    progress = ctx.Value("i", 0)
    per = slots_per_writer(plan)
    mine = [workshop.participants[w * per : (w + 1) * per] for w in range(len(plan))]
    stop = threading.Event()
    total = sum(len(jobs) for jobs in plan)
    if mode == "threads":
        submit, close = make_submit(impl, url, home, workshop)
        results: list[WriterResult] = [WriterResult() for _ in plan]
        barrier = threading.Barrier(len(plan) + 1)

        def body(w: int) -> None:
            barrier.wait()
            results[w] = run_writer(
                impl, submit, plan[w], mine[w], workshop.statement_ids, progress
            )

        threads = [threading.Thread(target=body, args=(w,)) for w in range(len(plan))]
        for t in threads:
            t.start()
        shower = threading.Thread(target=_progress_line, args=(label, progress, total, stop))
        shower.start()
        barrier.wait()
        start, cpu0 = time.perf_counter(), time.process_time()
        for t in threads:
            t.join()
        close()
    else:
        ready, go, queue = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
        sync = (ready, go, queue, progress)
        procs = [
            ctx.Process(
                target=_process_writer,
                args=(impl, url, home, workshop, w, plan[w], mine[w], sync),
            )
            for w in range(len(plan))
        ]
        for p in procs:
            p.start()
        for _ in procs:
            ready.acquire()
        shower = threading.Thread(target=_progress_line, args=(label, progress, total, stop))
        shower.start()
        start, cpu0 = time.perf_counter(), 0.0
        go.set()
        results = sorted((queue.get() for _ in procs), key=lambda r: r.writer)
        for p in procs:
            p.join()
    wall = max(r.end for r in results) - start
    cpu = sum(r.cpu_s for r in results) if mode == "processes" else time.process_time() - cpu0
    stop.set()
    shower.join()
    return RunResult(impl, mode, results, wall, cpu, os.getloadavg()[0])


# -- profiling ---------------------------------------------------------------------------------


def profile(url: str, home: Path, workshop: BenchWorkshop, plan: list[list[Job]]) -> None:
    """cProfile one writer's ``submit`` calls and list the SQL statements they send."""
    import cProfile
    import pstats

    from sqlalchemy import event

    db = Database(url)
    service = FeedbackService(db, Settings(home=home, db_url=url))
    statements: Counter[str] = Counter()
    sql_time = [0.0]

    def before(conn: Any, cursor: Any, stmt: str, *args: Any) -> None:
        conn.info["t0"] = time.perf_counter()

    def after(conn: Any, cursor: Any, stmt: str, *args: Any) -> None:
        sql_time[0] += time.perf_counter() - conn.info.pop("t0")
        statements[" ".join(stmt.split())[:90]] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    per = slots_per_writer(plan)
    jobs = [(w, j) for w, js in enumerate(plan) for j in js]
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for w, job in jobs:
        service.submit(
            workshop_id=workshop.id,
            token=workshop.participants[w * per + job.slot][0],
            round_number=workshop.round,
            kind=job.kind,
            payload=materialise(job, workshop.statement_ids),
            idempotency_key=job.key,
        )
    profiler.disable()
    wall = time.perf_counter() - start
    db.dispose()
    n = len(jobs)
    print(
        f"\nprofile: {n} submits in one thread, {wall / n * 1e3:.2f} ms each "
        f"({n / wall:.0f}/s); SQL {sql_time[0] / n * 1e3:.2f} ms each (cursor execute)"
    )
    print(f"SQL statements per submit ({sum(statements.values()) / n:.1f}):")
    for stmt, k in statements.most_common(20):
        print(f"  {k / n:5.2f}  {stmt}")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


# -- report ----------------------------------------------------------------------------------


def report(results: list[tuple[str, RunResult]], resends: dict[tuple[str, str], str]) -> bool:
    """Print the table, the ratios, the storage checks and PASS/MISS; True if all pass."""
    head = [
        "database",
        "writers",
        "impl",
        "acks",
        "failed",
        "retries",
        "wall s",
        "acks/s",
        "p50 ms",
        "p95 ms",
        "CPU ms/ack",
        "load",
        "stored once",
    ]
    rows = [
        [
            db,
            f"{WRITERS} {r.mode}",
            r.impl,
            str(r.acks),
            str(sum(r.failures.values())),
            str(sum(w.retries for w in r.writers)),
            f"{r.wall_s:.2f}",
            f"{r.rate:.0f}",
            f"{r.latency(0.5) * 1e3:.1f}",
            f"{r.latency(0.95) * 1e3:.1f}",
            f"{r.cpu_s / max(r.acks, 1) * 1e3:.2f}",
            f"{r.load:.1f}",
            "yes" if r.ok else "NO",
        ]
        for db, r in results
    ]
    widths = [max(len(x) for x in col_) for col_ in zip(head, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print("\n" + line.format(*head))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
    print("\nratio ours/naive (acks/s; p95 latency naive/ours):")
    by = {(db, r.mode, r.impl): r for db, r in results}
    for (db, mode, impl), ours in by.items():
        naive = by.get((db, mode, "naive"))
        if impl == "ours" and naive is not None and naive.rate:
            print(
                f"  {db:<10} {mode:<9}  x{ours.rate / naive.rate:.1f} throughput, "
                f"x{naive.latency(0.95) / ours.latency(0.95):.1f} p95"
            )
    print("\nstorage checks (every acknowledged submission stored exactly once):")
    all_ok = True
    for db, r in results:
        print(f"  {db:<10} {r.mode:<9} {r.impl:<5}  {r.check}")
        for reason, n in r.failures.items():
            print(f"      refused/failed x{n}: {reason}")
        if (db, r.mode) in resends and r.impl == "ours":
            print(f"  {'':<10} {'':<9} {'':<5}  re-send: {resends[(db, r.mode)]}")
            all_ok &= resends[(db, r.mode)].startswith("OK")
        all_ok &= r.ok and not r.failures
    print(f"\ntarget >= {TARGET_ACKS_PER_S:.0f} acknowledged submissions/s (ours, service layer):")
    for (db, mode, impl), r in by.items():
        if impl == "ours":
            verdict = "PASS" if r.rate >= TARGET_ACKS_PER_S else "MISS"
            print(f"  {db:<10} {mode:<9}  {r.rate:6.0f}/s  {verdict}")
    return all_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 submissions per run")
    parser.add_argument("--submissions", type=int, default=5000, help="per run (default 5000)")
    parser.add_argument(
        "--db", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument(
        "--db-url",
        default=os.environ.get("WORKBENCH_TEST_DB_URL"),
        help="PostgreSQL admin URL (default: WORKBENCH_TEST_DB_URL)",
    )
    parser.add_argument(
        "--modes", nargs="+", choices=["threads", "processes"], default=["threads", "processes"]
    )
    parser.add_argument("--impls", nargs="+", choices=["ours", "naive"], default=["ours", "naive"])
    parser.add_argument("--profile", action="store_true", help="cProfile one writer's submits")
    parser.add_argument(
        "--through-app", action="store_true", help="also save through the real app server"
    )
    parser.add_argument("--app-only", action="store_true", help="only the app-server part")
    parser.add_argument("--app-participants", type=int, default=100)
    parser.add_argument("--app-saves", type=int, default=10, help="per participant (<= 20)")
    parser.add_argument("--app-timeout", type=float, default=600.0, help="s per page load")
    args = parser.parse_args()
    total = 1000 if args.quick else args.submissions
    kinds = [k for k in args.db if k == "sqlite" or args.db_url]
    if "postgresql" in args.db and not args.db_url:
        print("PostgreSQL skipped: no --db-url and WORKBENCH_TEST_DB_URL is not set")
    results: list[tuple[str, RunResult]] = []
    resends: dict[tuple[str, str], str] = {}
    for kind in [] if args.app_only else kinds:
        label = "sqlite-wal" if kind == "sqlite" else "postgresql"
        with (
            tempfile.TemporaryDirectory(prefix="bench-feedback-") as tmp,
            fresh_database(kind, Path(tmp), args.db_url) as url,
        ):
            home = Path(tmp)
            settings = Settings(home=home, db_url=url)
            db = Database(url)
            plan = workload(total, WRITERS, settings.rate_limit, 4)
            n_participants = slots_per_writer(plan) * WRITERS
            for mode in args.modes:
                for impl in args.impls:
                    print(
                        f"{label}, {impl}, {WRITERS} {mode}: registering {n_participants} "
                        "participants ...",
                        file=sys.stderr,
                    )
                    ws = open_workshop(db, settings, f"{impl} {mode}", n_participants)
                    db.dispose()  # no pooled connection may cross a fork
                    res = run(impl, mode, url, home, ws, plan, f"{label} {impl} {mode}")
                    acks = [w.acks for w in res.writers]
                    res.ok, res.check = verify(db, ws, plan, acks)
                    if impl == "ours":
                        resends[(label, mode)] = verify_resend(url, home, ws, plan, acks)
                    results.append((label, res))
            if args.profile:
                one = workload(min(total, 1000), 1, settings.rate_limit, 4)
                ws = open_workshop(db, settings, "profile", slots_per_writer(one))
                print(f"\n== {label} ==")
                profile(url, home, ws, one)
            db.dispose()
    ok = report(results, resends) if results else True
    if args.through_app or args.app_only:
        ok &= through_app_all(args, kinds)
    sys.exit(0 if ok else 1)


def through_app_all(args: argparse.Namespace, kinds: list[str]) -> bool:
    """The app-server part on every database; prints its table."""
    import asyncio

    from _feedback_app import report_app, through_app

    saves = min(args.app_saves, 5 if args.quick else 20)
    runs = []
    for kind in kinds:
        label = "sqlite-wal" if kind == "sqlite" else "postgresql"
        with (
            tempfile.TemporaryDirectory(prefix="bench-feedback-app-") as tmp,
            fresh_database(kind, Path(tmp), args.db_url) as url,
        ):
            runs.append(
                asyncio.run(
                    through_app(
                        label, url, Path(tmp), args.app_participants, saves, args.app_timeout
                    )
                )
            )
    return report_app(runs)


if __name__ == "__main__":
    main()
