"""Benchmark: kill -9 of the app server while N participants save, on SQLite (and PostgreSQL).

For each database: a workspace with the demo case run and published, a workshop for N
(default 30) and ``workbench serve`` (the cold start: serve start -> N warm kernels).
N simulated participants (benchmarks/_driver.py, real websockets and widget messages)
join and save comments in a loop, each with a unique text; after 2N acknowledged saves
the app server (the ``-m workbench.appserver`` child of serve) gets SIGKILL. Measured:

- recovery: SIGKILL -> a new app server answers /workbench/health, and -> its pool holds
  N warm kernels again, next to the cold start of the same run (ratio);
- reload: the N pages reopen their personal links and save once more (p95 of the save);
- acknowledged vs stored: every acknowledged save stored exactly once, saves the kill left
  unanswered and how many of those were stored, stray or doubled rows (must be 0);
- orphan kernels (a kernel process whose server is gone; must be 0) and the lab server
  (same pid, /api/status answers).

Usage: python benchmarks/bench_crash.py [--n 30] [--db-url postgresql+psycopg://...]
       (``--db-url`` defaults to WORKBENCH_TEST_DB_URL; a fresh database is created in it)
Exit status 1 if a check fails on either database (``make test`` runs the test on SQLite
only; this is where PostgreSQL gets the same checks, see docs/testing.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _crash
from _serve import SLUG, launch
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from workbench.workspace import init_workspace


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def pg_database(admin_url: str) -> tuple[str, str]:
    """A new PostgreSQL database next to ``admin_url``: (url, name)."""
    name = f"wb_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def scenario(serve: object, n: int) -> dict:
    pages = await _crash.join_all(serve, n, "bench")  # type: ignore[arg-type]
    names = {f"bench-{i:02d}": [p] for i, p in enumerate(pages)}
    try:
        crash = await _crash.kill_app_server_while_saving(
            serve,  # type: ignore[arg-type]
            pages,
            kill_after=2 * n,
            warm=n,
        )
        t = time.perf_counter()
        again = await _crash.reopen(serve, pages)  # type: ignore[arg-type]
        reopen_s = time.perf_counter() - t
        for i, page in enumerate(again):
            names[f"bench-{i:02d}"].append(page)
        after = await asyncio.gather(
            *(_crash.save_comment(p, i, 5000) for i, p in enumerate(again))
        )
        tally = _crash.tally(serve, names)  # type: ignore[arg-type]
        lab_ok = bool(serve.lab_status().get("started"))  # type: ignore[attr-defined]
    finally:
        for group in names.values():
            for page in group:
                page.close()
    return {
        "crash": crash,
        "tally": tally,
        "reopen_s": reopen_s,
        "after": [s.status for s in after],
        "after_p95": percentile([s.seconds or 0.0 for s in after], 95),
        "lab_ok": lab_ok,
    }


def run_one(label: str, db_url: str | None, n: int, root: Path) -> dict:
    home = root / label / "ws"
    init_workspace(home, cases=("de21-ict-older-workers", "es61-manufacturing-youth"))
    url = db_url or f"sqlite:///{home / 'var' / 'workbench.sqlite'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    subprocess.run(
        [sys.executable, "-m", "workbench.cli", "--home", str(home), "--db-url", url, "run",
         SLUG, "--workers", "2", "--no-progress"],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    t = time.perf_counter()
    serve = launch(home, url, expected=n, env={"WORKBENCH_RATE_LIMIT": "1000"}, timeout=900)
    cold_s = time.perf_counter() - t
    try:
        out = asyncio.run(scenario(serve, n))
    finally:
        serve.stop()
    out["cold_s"] = cold_s
    return out


def report(label: str, n: int, out: dict) -> bool:
    """Print one database's figures and checks; True if every check passed."""
    crash, t = out["crash"], out["tally"]
    ok = (
        t.acked == t.acked_stored_once
        and t.stored_twice == 0
        and t.stray == 0
        and not crash.orphans
        and crash.lab_pid_after == crash.lab_pid_before
        and out["lab_ok"]
        and out["after"] == ["acknowledged"] * n
    )
    print(f"\n{label}: {n} participants, SIGKILL of the app server after "
          f"{crash.acked_before_kill} acknowledged saves")  # fmt: skip
    print(f"  acknowledged {t.acked:5d}, stored exactly once {t.acked_stored_once:5d}")
    print(f"  sent, no answer {t.unacked_sent:3d} (cut by the kill: {crash.lost}), of which "
          f"stored {t.unacked_stored}; doubled {t.stored_twice}, stray {t.stray}")  # fmt: skip
    print(f"  orphan kernels {len(crash.orphans)}; lab server same pid: "
          f"{crash.lab_pid_after == crash.lab_pid_before}, answers: {out['lab_ok']}")  # fmt: skip
    print(f"  cold start (serve -> {n} warm kernels)      {out['cold_s']:6.1f} s")
    print(f"  recovery (SIGKILL -> app server answers)    {crash.back_s:6.1f} s")
    print(f"  recovery (SIGKILL -> {n} warm kernels again)  {crash.warm_s:6.1f} s   "
          f"= {crash.warm_s / out['cold_s']:.2f} x the cold start")  # fmt: skip
    acked = out["after"].count("acknowledged")
    print(f"  {n} pages reloaded in {out['reopen_s']:.1f} s; their next save p95 "
          f"{out['after_p95']:.2f} s, acknowledged {acked}/{n}")  # fmt: skip
    print(f"  {'PASS' if ok else 'FAIL'}: no acknowledged save lost or doubled, no orphan, "
          "lab untouched")  # fmt: skip
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="participants (default 30)")
    parser.add_argument("--db-url", default=os.environ.get("WORKBENCH_TEST_DB_URL"),
                        help="PostgreSQL server URL to create a fresh database in")  # fmt: skip
    parser.add_argument("--keep", type=Path, help="keep workspaces and logs here")
    args = parser.parse_args()
    root = (args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-crash-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (other load "
          "inflates every time)")  # fmt: skip
    passed = []
    try:
        passed.append(report("SQLite", args.n, run_one("sqlite", None, args.n, root)))
        if args.db_url:
            url, name = pg_database(args.db_url)
            try:
                out = run_one("postgresql", url, args.n, root)
                passed.append(report("PostgreSQL", args.n, out))
            finally:
                drop_database(args.db_url, name)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if not all(passed):
        sys.exit(1)


if __name__ == "__main__":
    main()
