"""Crash scenarios with simulated participants (shared by tests/test_crash.py and
benchmarks/bench_crash.py).

- :func:`kill_app_server_while_saving`: every page saves comments in a loop (each with a
  unique text, so each submission is recognisable in the database by its payload digest);
  once ``kill_after`` saves are acknowledged the app server gets SIGKILL; the loops end
  as the websockets close; then ``workbench serve`` must bring a new app server up.
- :func:`kill_one_kernel`: SIGKILL one page's kernel; the others keep saving.
- :func:`tally`: what the database holds against what the pages were told.
- :func:`orphan_kernels`: kernel processes whose server is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _driver import Page, Submission, open_pages
from _serve import Serve, alive, cmdline, kernels_of, parent_of, stored

from workbench.participation.feedback import payload_hash


async def join_all(serve: Serve, count: int, prefix: str, timeout: float = 300.0) -> list[Page]:
    """Open ``count`` personal links at once and join as ``<prefix>-NN``."""
    pages, results, _http = await open_pages(serve.links(count), serve.catalog(), timeout)
    failed = [r.error for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} pages did not load: {Counter(failed)}")
    problems = await asyncio.gather(
        *(p.join(f"{prefix}-{i:02d}", "employers") for i, p in enumerate(pages))
    )
    if any(problems):
        raise RuntimeError(f"joining failed: {Counter(problems)}")
    return pages


async def reopen(serve: Serve, pages: list[Page], timeout: float = 300.0) -> list[Page]:
    """Reload each page from the same personal link (already registered: no join)."""
    urls = [p.url for p in pages]
    fresh, results, _http = await open_pages(urls, serve.catalog(), timeout)
    failed = [r.error for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} pages did not reload: {Counter(failed)}")
    return fresh


async def save_comment(page: Page, number: int, step: int) -> Submission:
    """One comment with a unique text (target cycles over "general" and the options)."""
    assert page.catalog is not None
    targets = ["general", *(key for key, _ in page.catalog.options)]
    text = f"Participant {number}, save {step}: {uuid.uuid4().hex[:12]}"
    await page.comment(targets[step % len(targets)], text)
    return await page.save("comment")


async def _loop(page: Page, number: int, stop: asyncio.Event) -> None:
    step = 0
    while not stop.is_set() and not page.closed:
        sub = await save_comment(page, number, step)
        step += 1
        if sub.status == "lost":
            return


@dataclass
class Crash:
    """What happened around one SIGKILL of the app server."""

    old_pid: int
    new_pid: int = 0
    lab_pid_before: int = 0
    lab_pid_after: int = 0
    acked_before_kill: int = 0
    back_s: float = 0.0  # SIGKILL -> a new app server answers /workbench/health
    warm_s: float = 0.0  # SIGKILL -> its pool holds ``warm`` kernels again
    lost: int = 0  # sends the kill left without an answer
    orphans: list[int] = field(default_factory=list)


async def kill_app_server_while_saving(
    serve: Serve, pages: list[Page], *, kill_after: int, warm: int, timeout: float = 300.0
) -> Crash:
    """All pages save in a loop; SIGKILL the app server after ``kill_after`` acknowledged
    saves; wait until ``workbench serve`` has a new app server with ``warm`` pool kernels."""
    crash = Crash(old_pid=serve.app_pid(), lab_pid_before=serve.lab_pid())
    before = sum(s.status == "acknowledged" for p in pages for s in p.submissions)
    stop = asyncio.Event()
    loops = [asyncio.create_task(_loop(p, i, stop)) for i, p in enumerate(pages)]
    while sum(s.status == "acknowledged" for p in pages for s in p.submissions) - before < (
        kill_after
    ):
        await asyncio.sleep(0.05)
        if all(t.done() for t in loops):
            raise RuntimeError("the saving loops ended before the kill")
    crash.acked_before_kill = sum(s.status == "acknowledged" for p in pages for s in p.submissions)
    killed = time.perf_counter()
    os.kill(crash.old_pid, signal.SIGKILL)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*loops), timeout)
    crash.lost = sum(s.status == "lost" and s.sent for p in pages for s in p.submissions)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        with contextlib.suppress(OSError, ValueError, AssertionError):
            pid = serve.app_pid()
            if pid != crash.old_pid:
                serve.health()
                crash.new_pid = pid
                crash.back_s = time.perf_counter() - killed
                break
    if not crash.new_pid:
        raise RuntimeError(f"no new app server within {timeout:.0f} s:\n{serve.tail()}")
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            if serve.health()["ready"].get("es61-manufacturing-youth.ipynb", 0) >= warm:
                crash.warm_s = time.perf_counter() - killed
                break
        await asyncio.sleep(0.2)
    crash.orphans = orphan_kernels(serve)
    crash.lab_pid_after = serve.lab_pid()
    return crash


def kernel_pid(home: Path, kernel_id: str) -> int:
    """Pid of the kernel process of one page (by its connection file name)."""
    found = [p for p in kernels_of(home) if f"kernel-{kernel_id}.json" in cmdline(p)]
    if len(found) != 1:
        raise LookupError(f"kernel {kernel_id}: processes {found}")
    return found[0]


async def kill_one_kernel(serve: Serve, pages: list[Page], victim: int) -> dict[str, Any]:
    """SIGKILL the kernel of ``pages[victim]``; then every page saves once more."""
    pid = kernel_pid(serve.home, pages[victim].kernel_id)
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):  # reaped by the app server
        if not alive(pid):
            break
        await asyncio.sleep(0.05)
    subs = await asyncio.gather(*(save_comment(p, i, 1000) for i, p in enumerate(pages)))
    return {"pid": pid, "dead": not alive(pid), "after": list(subs)}


def orphan_kernels(serve: Serve) -> list[int]:
    """Kernel processes of the workspace whose parent is not a live server of serve."""
    servers = {serve.app_pid(), serve.lab_pid()}
    return [p for p in kernels_of(serve.home) if parent_of(p) not in servers]


@dataclass
class Tally:
    """The database against what the pages were told (per participant, by payload digest)."""

    acked: int = 0
    acked_stored_once: int = 0
    unacked_sent: int = 0  # sent, then no answer (lost) or refused/waiting
    unacked_stored: int = 0
    stored_twice: int = 0  # digests stored more than once
    stray: int = 0  # stored, but never sent by that participant
    rows: int = 0  # submission rows of these participants
    missing: list[str] = field(default_factory=list)


def tally(serve: Serve, pages_by_name: dict[str, list[Page]]) -> Tally:
    """Compare the stored submissions of each participant with their pages' submissions."""
    db = stored(serve.db_url, serve.workshop_id)
    by_name: dict[str, Counter[str]] = {}
    for s in db.submissions:
        by_name.setdefault(db.names[s["participant_id"]], Counter())[s["payload_sha256"]] += 1
    out = Tally()
    for name, pages in pages_by_name.items():
        have = by_name.get(name, Counter())
        out.rows += sum(have.values())
        sent: set[str] = set()
        for sub in (s for p in pages for s in p.submissions if s.sent):
            digest = payload_hash(sub.kind, sub.payload)
            sent.add(digest)
            if sub.status == "acknowledged":
                out.acked += 1
                if have[digest] == 1:
                    out.acked_stored_once += 1
                else:
                    out.missing.append(f"{name}: {sub.payload} stored {have[digest]} times")
            else:
                out.unacked_sent += 1
                out.unacked_stored += have[digest] >= 1
        out.stored_twice += sum(1 for n in have.values() if n > 1)
        out.stray += sum(n for d, n in have.items() if d not in sent)
    return out
