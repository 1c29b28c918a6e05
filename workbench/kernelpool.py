"""How many preheated kernels each app keeps warm, and how fast they are started.

:class:`PoolPolicy` turns the open workshops and the pages served
so far into a pool target per app notebook, and :func:`starts_allowed` bounds how many
kernels may start at once, so that a refill after a burst cannot starve the pages that
are already open (each kernel start costs about one CPU-second of a 2-core machine).
The functions at the end read Voilà's pool entries (asyncio tasks): which kernels are
ready for a page, which are still starting, which failed.

The target of one open workshop is ``max(expected - served, headroom)`` with
``headroom = max(headroom_min, ceil(headroom_share * expected))``: before people join,
one warm kernel each; after they joined, a warm reserve for late joiners, second
devices and people whose reload comes after the reload grace period. A reload within
that period needs no kernel at all (see :mod:`workbench.reattach`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

#: never more preheated kernels than this for one app (voila#617: no cap of its own)
MAX_POOL = 200


class OpenWorkshop(Protocol):
    """What the policy reads of an open workshop."""

    id: int
    app_path: str
    expected_participants: int


@dataclass(frozen=True)
class PoolPolicy:
    """Pool sizes from the open workshops (see the module docstring)."""

    base: int = 2
    headroom_share: float = 0.25
    headroom_min: int = 2

    def headroom(self, expected: int) -> int:
        """Warm kernels one workshop of ``expected`` participants keeps after joins."""
        return max(self.headroom_min, math.ceil(self.headroom_share * max(expected, 0)))

    def demand(self, workshops: Iterable[OpenWorkshop], served: Counter[int]) -> dict[str, int]:
        """Kernels wanted per app notebook by its open workshops."""
        out: Counter[str] = Counter()
        for info in workshops:
            unserved = max(0, info.expected_participants - served[info.id])
            out[info.app_path] += max(unserved, self.headroom(info.expected_participants))
        return dict(out)

    def target(self, demand: int) -> int:
        """The pool size of one app notebook given its workshops' demand."""
        return min(MAX_POOL, max(self.base, demand))


def starts_allowed(*, missing: int, starting: int, concurrency: int) -> int:
    """Kernels to start now: what is missing, within ``concurrency`` starts in flight."""
    return max(0, min(missing, concurrency - starting))


def started(task: asyncio.Future[Any]) -> bool:
    """The pool entry's kernel process was launched (Voilà's ``_initialize`` returned)."""
    return task.done() and not task.cancelled() and task.exception() is None


def failure(task: asyncio.Future[Any]) -> str | None:
    """Why a pool entry can never serve a page (None while it still can)."""
    if not task.done():
        return None
    if task.cancelled():
        return "cancelled"
    if task.exception() is not None:
        return repr(task.exception())
    render = task.result().get("task")  # runs the notebook until it waits for a request
    if render is not None and render.done():
        if render.cancelled():
            return "its notebook run was cancelled"
        if render.exception() is not None:
            return repr(render.exception())
    return None


def ready(task: asyncio.Future[Any]) -> bool:
    """A page can take this pool entry now: its kernel answered (Voilà's client is
    connected). A launched kernel that never answers is *not* ready: Voilà would wait
    up to 60 s for it while the participant's request hangs."""
    if not started(task) or failure(task) is not None:
        return False
    return bool(getattr(task.result().get("renderer"), "kernel_started", True))


def ready_pool_kernels(km: Any) -> dict[str, list[str]]:
    """Ids of the preheated kernels ready in each app's pool (none without preheat)."""
    return {
        notebook: [t.result()["kernel_id"] for t in pool if ready(t)]
        for notebook, pool in getattr(km, "_pools", {}).items()
    }


def pool_kernel_ids(km: Any) -> set[str]:
    """Ids of every launched kernel still in a pool (no page knows them)."""
    return {
        t.result()["kernel_id"]
        for pool in getattr(km, "_pools", {}).values()
        for t in pool
        if started(t)
    }


class StartClock:
    """When each pool entry was asked for, to give up on kernels that never get ready."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._since: weakref.WeakKeyDictionary[asyncio.Future[Any], float] = (
            weakref.WeakKeyDictionary()
        )

    def note(self, pool: Iterable[asyncio.Future[Any]], now: float) -> None:
        """Start the clock of entries not seen before."""
        for task in pool:
            self._since.setdefault(task, now)

    def too_slow(self, task: asyncio.Future[Any], now: float) -> bool:
        """The entry is still not ready ``timeout_s`` after it was asked for."""
        since = self._since.get(task)
        return since is not None and not ready(task) and now - since > self.timeout_s


def drop_failed(
    pool: list[asyncio.Future[Any]],
    log: logging.Logger,
    clock: StartClock | None = None,
    now: float = 0.0,
) -> list[asyncio.Future[Any]]:
    """Remove pool entries that can never serve a page (failed, or not ready within the
    clock's timeout) and return them: their kernels, once launched, are to be shut down."""
    dropped = []
    for task in list(pool):
        why = failure(task)
        if why is None and clock is not None and clock.too_slow(task, now):
            why = f"not ready after {clock.timeout_s:.0f} s"
        if why is not None:
            pool.remove(task)
            log.warning("a preheated kernel failed to start: %s", why)
            dropped.append(task)
    return dropped


def waiting_for_fill_delay(task: asyncio.Future[Any]) -> bool:
    """A pool entry that has not started anything yet: Voilà's ``wait_before`` is still
    in its ``fill_delay`` sleep (after a burst, refills wait so as not to compete with
    arriving pages)."""
    get_coro = getattr(task, "get_coro", None)
    coro = get_coro() if get_coro is not None and not task.done() else None
    inner = getattr(coro, "cr_await", None)
    code = getattr(inner, "cr_code", None)
    return getattr(coro, "__name__", "") == "wait_before" and getattr(code, "co_name", "") == (
        "sleep"
    )


def drop_waiting_refills(km: Any) -> int:
    """Take the refills still in their fill delay out of Voilà's pools and cancel them.

    On stop, Voilà's ``shutdown_all`` awaits every pool entry, so a refill that waits
    15 s before it even starts a kernel held a stopping app server for that long (30 s
    and more under JupyterHub, which then escalates to SIGKILL). Nothing has started for
    such an entry, so nothing is left behind. Returns how many were dropped.
    """
    dropped = 0
    for pool in getattr(km, "_pools", {}).values():
        for task in [t for t in pool if waiting_for_fill_delay(t)]:
            pool.remove(task)
            unstarted = task.get_coro().cr_frame.f_locals.get("aw")  # type: ignore[attr-defined]
            task.cancel()
            if asyncio.iscoroutine(unstarted):
                unstarted.close()  # never awaited: no kernel, no warning
            dropped += 1
    return dropped
