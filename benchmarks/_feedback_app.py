"""The feedback benchmark through the real app server (``bench_feedback.py --through-app``).

A workspace with the demo case study es61-manufacturing-youth run and published (on the
database under test), a workshop for N participants opened *before* the app server
starts, then ``python -m workbench.appserver`` on a free port; the benchmark waits until
its pool holds N started kernels and the server's process tree is idle (as
``bench_workshop.py`` does). N simulated browsers (``_driver.Page``) open their personal
join links at once and join (name, group, consent) over the kernel websocket. Then, from
one common instant, each sends ``saves`` submissions, cycling rating, approval, ranking,
comment and vote: it sets the form's widget values (comm ``update`` messages) and clicks
Save (comm ``custom`` click), as a browser does, and reads the form's status line once the
kernel is idle: "Saved at …" is an acknowledgement.

- acknowledged submissions/s: acknowledgements / (last participant done - common start);
  the time to set widget values between saves is included, as in a browser;
- latency: Save click → the status line's outcome, per acknowledgement (p50, p95).

Checked afterwards in the database, per participant: one submission row per
acknowledgement with exactly the acknowledged payloads (by the service's payload digest),
and every feedback row holding the last acknowledged value and the number of
acknowledged submissions that wrote it (revision). The default rate limit (20 per 10 s)
is set explicitly in the server's environment; ``saves`` <= 20 keeps every participant
within it. 100 kernels need about 13 GB of RAM: the run is skipped with a message if the
machine has less available.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from _driver import Catalog, Page, Submission, open_pages
from _feedback_work import expected_items
from bench_workshop import BIN, Server, free_port, wait_pool, wait_quiet
from sqlalchemy import text
from sqlmodel import select

from workbench.config import Settings
from workbench.db import Database
from workbench.db.models import Feedback
from workbench.participation.feedback import payload_hash
from workbench.participation.tokens import hash_token
from workbench.service import Workbench
from workbench.workspace import init_workspace

SLUG = "es61-manufacturing-youth"
CYCLE = ("rating", "approval", "ranking", "comment", "vote")
GROUPS = ("employers", "unions", "training_providers", "ngos", "employment_service")
KERNEL_MB = 130  # RSS of one warm app kernel, measured by bench_workshop.py


@dataclass
class AppRun:
    """One database's run through the app server."""

    db: str
    participants: int
    saves: int
    warm_s: float = 0.0
    open_s: float = 0.0
    answer_s: float = 0.0
    problems: Counter[str] = field(default_factory=Counter)
    subs: list[Submission] = field(default_factory=list)
    check: str = ""
    ok: bool = False
    skipped: str = ""

    @property
    def acks(self) -> int:
        """Acknowledged saves ("Saved at …")."""
        return sum(s.status == "acknowledged" for s in self.subs)

    def latency(self, q: float) -> float:
        """The ``q`` quantile (nearest rank) of click → "Saved at" for acknowledged saves."""
        values = sorted(s.seconds for s in self.subs if s.status == "acknowledged" and s.seconds)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def app_setup(root: Path, db_url: str) -> tuple[Path, dict[str, str]]:
    """Workspace with the demo case run and published on ``db_url``; the server's env."""
    home = root / "ws"
    init_workspace(home, cases=("de21-ict-older-workers", "es61-manufacturing-youth"))
    runtime, config = root / "jupyter-runtime", root / "jupyter-config"
    runtime.mkdir()
    config.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "VOILA_"))}
    env.update(
        WORKBENCH_HOME=str(home),
        WORKBENCH_DB_URL=db_url,
        WORKBENCH_RATE_LIMIT="20",
        WORKBENCH_RATE_WINDOW_S="10",
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_CONFIG_DIR=str(config),
        PYTHONUNBUFFERED="1",
    )
    subprocess.run([str(BIN / "workbench"), "--home", str(home), "run", SLUG, "--workers", "2",
                    "--no-progress"], env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    service = Workbench(Settings(home=home, db_url=db_url))
    service.publish(SLUG)
    service.close()
    return home, env


async def answer(page: Page, number: int, saves: int, start: asyncio.Event) -> None:
    """Send ``saves`` submissions (fixed seed per participant) once ``start`` is set."""
    assert page.catalog is not None
    catalog = page.catalog
    rng = random.Random(7000 + number)
    options = [key for key, _ in catalog.options]
    criteria = [key for key, _ in catalog.criteria]
    statements = [sid for sid, _ in catalog.statements]
    await start.wait()
    for j in range(saves):
        kind = CYCLE[j % len(CYCLE)]
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
        sub = await page.save(kind)
        if sub.status != "acknowledged":
            return  # a refused or lost save is counted; this participant stops


def check_store(db_url: str, workshop_id: int, pages: list[Page]) -> tuple[bool, str]:
    """Every acknowledged save stored exactly once; feedback rows = last acknowledged values."""
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            pid_of = {
                h: p
                for h, p in conn.execute(
                    text("SELECT token_hash, id FROM participant WHERE workshop_id=:w"),
                    {"w": workshop_id},
                )
            }
            subs = conn.execute(
                text("SELECT participant_id, kind, payload_sha256 FROM submission "
                     "WHERE workshop_id=:w"), {"w": workshop_id},
            ).all()  # fmt: skip
            rows = conn.execute(  # typed columns: JSON values decoded as the service reads them
                select(
                    Feedback.participant_id, Feedback.item, Feedback.value, Feedback.revision
                ).where(Feedback.workshop_id == workshop_id)
            ).all()
    finally:
        db.dispose()
    want_subs: Counter[tuple[int, str, str]] = Counter()
    want_rows: dict[tuple[int, str], tuple[Any, int]] = {}
    for page in pages:
        token = parse_qs(urlsplit(page.url).query)["token"][0]
        pid = pid_of[hash_token(token)]
        for sub in page.submissions:
            if sub.status != "acknowledged":
                continue
            want_subs[(pid, sub.kind, payload_hash(sub.kind, sub.payload))] += 1
            options = [key for key, _ in page.catalog.options] if page.catalog else []
            for item, value in expected_items(sub.kind, sub.payload, options):
                want_rows[(pid, item)] = (value, want_rows.get((pid, item), (None, 0))[1] + 1)
    got_subs = Counter(subs)
    got_rows = {(p, i): (v, r) for p, i, v, r in rows}
    problems = []
    if got_subs != want_subs:
        problems.append(
            f"submissions: {sum((want_subs - got_subs).values())} acknowledged but missing, "
            f"{sum((got_subs - want_subs).values())} stored but not acknowledged"
        )
    if len(rows) != len(got_rows) or got_rows != want_rows:
        wrong = [(k, got_rows.get(k), v) for k, v in want_rows.items() if got_rows.get(k) != v]
        problems.append(
            f"feedback: {len(rows)} rows for {len(want_rows)} items, {len(wrong)} differ "
            f"(item, stored, expected: {wrong[:2]})"
        )
    if problems:
        return False, "FAILED: " + "; ".join(problems)
    return True, (
        f"OK: {sum(want_subs.values())} acknowledged = {len(subs)} submission rows with the "
        f"acknowledged payloads; {len(rows)} feedback rows with the last value and revision"
    )


def available_mb() -> float:
    """Memory available to new processes (MB), from /proc/meminfo."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


async def through_app(
    label: str, db_url: str, root: Path, n: int, saves: int, timeout: float
) -> AppRun:
    """Run the app-server part on one database (see the module docstring)."""
    run = AppRun(label, n, saves)
    need = n * KERNEL_MB + 2048
    if available_mb() < need:
        run.skipped = f"needs ~{need / 1024:.0f} GB available, has {available_mb() / 1024:.1f}"
        return run
    print(f"{label}, through the app: run and publish {SLUG} ...", file=sys.stderr)
    home, env = app_setup(root, db_url)
    port = free_port()
    env["WORKBENCH_APP_PORT"] = str(port)
    service = Workbench(Settings(home=home, db_url=db_url, app_port=port))
    try:
        info = service.create_workshop(SLUG, expected=n, title=f"Feedback benchmark N={n}")
        service.workshops.open(info.id)
        links = [link.url for link in service.workshops.links(info.id, n)]
        statements = service.feedback.statements(workshop_id=info.id)
        catalog = Catalog.from_info(service.workshops.get(info.id), statements)
    finally:
        service.close()
    server = Server("ours", [sys.executable, "-m", "workbench.appserver"], env, root / "app.log")
    pages: list[Page] = []
    http = None
    try:
        t = time.perf_counter()
        print(f"  warming {n} kernels ...", file=sys.stderr)
        await wait_pool(port, n, server, timeout=1800)
        await wait_quiet(server, timeout=600)
        run.warm_s = time.perf_counter() - t
        t = time.perf_counter()
        pages, results, http = await open_pages(links, catalog, timeout=timeout)
        run.problems.update(f"page: {r.error}" for r in results if not r.ok)
        live = [(i, p) for i, (p, r) in enumerate(zip(pages, results, strict=True)) if r.ok]
        joined = await asyncio.gather(
            *(p.join(f"bench-{i:03d}", GROUPS[i % len(GROUPS)]) for i, p in live)
        )
        run.problems.update(f"join: {j}" for j in joined if j)
        run.open_s = time.perf_counter() - t
        ready = [(i, p) for (i, p), j in zip(live, joined, strict=True) if not j]
        print(f"  {len(ready)} joined in {run.open_s:.1f} s; saving ...", file=sys.stderr)
        start = asyncio.Event()
        tasks = [asyncio.create_task(answer(p, i, saves, start)) for i, p in ready]
        t = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        run.answer_s = time.perf_counter() - t
    finally:
        for page in pages:
            page.close()
        if http is not None:
            http.close()
        left = server.stop()
        if left:
            run.problems[f"{len(left)} server processes survived the stop"] += 1
    run.subs = [s for p in pages for s in p.submissions]
    run.problems.update(f"save {s.status}: {s.message[:60]}" for s in run.subs
                        if s.status != "acknowledged")  # fmt: skip
    run.ok, run.check = check_store(db_url, info.id, pages)
    return run


def report_app(runs: list[AppRun]) -> bool:
    """Print the app-server table and checks; True if every run stored what it acknowledged."""
    print("\nthrough the app server (Save click -> 'Saved at' on the page):")
    print(f"  {'database':<10} {'pages':>5} {'saves':>5} {'warm s':>7} {'join s':>7} "
          f"{'acks':>5} {'answer s':>8} {'acks/s':>7} {'p50 ms':>7} {'p95 ms':>7}")  # fmt: skip
    ok = True
    for r in runs:
        if r.skipped:
            print(f"  {r.db:<10} skipped: {r.skipped}")
            continue
        rate = r.acks / r.answer_s if r.answer_s else 0.0
        print(f"  {r.db:<10} {r.participants:>5} {r.saves:>5} {r.warm_s:>7.0f} {r.open_s:>7.1f} "
              f"{r.acks:>5} {r.answer_s:>8.1f} {rate:>7.1f} {r.latency(0.5) * 1e3:>7.0f} "
              f"{r.latency(0.95) * 1e3:>7.0f}")  # fmt: skip
        print(f"  {'':<10} stored: {r.check}")
        for reason, k in r.problems.items():
            print(f"  {'':<10} problem x{k}: {reason}")
        ok &= r.ok and not r.problems and r.acks == r.participants * r.saves
    return ok
