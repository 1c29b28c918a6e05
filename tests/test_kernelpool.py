"""``workbench.kernelpool``: pool targets from open workshops, bounded starts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from workbench.kernelpool import MAX_POOL, PoolPolicy, starts_allowed


@dataclass
class Info:
    id: int
    app_path: str
    expected_participants: int


def test_headroom_is_a_share_of_the_expected_with_a_floor() -> None:
    policy = PoolPolicy(base=2, headroom_share=0.25, headroom_min=2)
    assert [policy.headroom(n) for n in (0, 4, 8, 9, 30, 100)] == [2, 2, 2, 3, 8, 25]


def test_demand_warms_for_everyone_then_keeps_the_headroom() -> None:
    policy = PoolPolicy(base=2, headroom_share=0.25, headroom_min=2)
    a, b = Info(1, "a.ipynb", 30), Info(2, "a.ipynb", 4)
    c = Info(3, "c.ipynb", 10)
    assert policy.demand([a, b, c], Counter()) == {"a.ipynb": 34, "c.ipynb": 10}
    # 25 of A joined: 5 still to come, but the headroom (8) is kept
    assert policy.demand([a, b, c], Counter({1: 25})) == {"a.ipynb": 8 + 4, "c.ipynb": 10}
    # everyone joined (and more, e.g. second devices): headroom only
    assert policy.demand([a, b, c], Counter({1: 40, 2: 4, 3: 10})) == {
        "a.ipynb": 8 + 2,
        "c.ipynb": 3,
    }


@pytest.mark.parametrize(("demand", "target"), [(0, 2), (1, 2), (9, 9), (10_000, MAX_POOL)])
def test_target_has_a_base_and_a_cap(demand: int, target: int) -> None:
    assert PoolPolicy(base=2).target(demand) == target


@pytest.mark.parametrize(
    ("missing", "starting", "concurrency", "allowed"),
    [
        (10, 0, 2, 2),
        (10, 1, 2, 1),
        (10, 2, 2, 0),
        (10, 5, 2, 0),
        (1, 0, 2, 1),
        (0, 0, 2, 0),
        (-3, 0, 2, 0),
    ],
)
def test_starts_are_bounded_by_the_kernels_already_starting(
    missing: int, starting: int, concurrency: int, allowed: int
) -> None:
    assert starts_allowed(missing=missing, starting=starting, concurrency=concurrency) == allowed


class _Renderer:
    def __init__(self, kernel_started: bool) -> None:
        self.kernel_started = kernel_started


def _entry(loop, *, started: bool = True, answered: bool = True, render: str = "running"):
    """A pool entry as Voilà makes it: a task whose result holds the render task."""
    entry = loop.create_future()
    if not started:
        return entry
    render_task = loop.create_future()
    if render == "failed":
        render_task.set_exception(TimeoutError("Kernel didn't respond in 60 seconds"))
    entry.set_result({"kernel_id": "k1", "renderer": _Renderer(answered), "task": render_task})
    return entry


def test_pool_entries_are_ready_only_once_their_kernel_answered() -> None:
    import asyncio
    import logging

    from workbench.kernelpool import drop_failed, failure, ready

    loop = asyncio.new_event_loop()
    try:
        launching = _entry(loop, started=False)
        silent = _entry(loop, answered=False)  # launched, never answered yet
        good = _entry(loop)
        dead = _entry(loop, answered=False, render="failed")
        assert [ready(t) for t in (launching, silent, good, dead)] == [False, False, True, False]
        assert [failure(t) for t in (launching, silent, good)] == [None, None, None]
        assert failure(dead) == 'TimeoutError("Kernel didn\'t respond in 60 seconds")'
        pool = [launching, silent, good, dead]
        assert drop_failed(pool, logging.getLogger("test")) == [dead]
        assert pool == [launching, silent, good]
    finally:
        loop.close()


def test_pool_entries_not_ready_within_the_start_timeout_are_dropped() -> None:
    import asyncio
    import logging

    from workbench.kernelpool import StartClock, drop_failed

    loop = asyncio.new_event_loop()
    try:
        launching = _entry(loop, started=False)  # the launch itself hangs
        silent = _entry(loop, answered=False)  # launched, its kernel never answers
        good = _entry(loop)
        clock = StartClock(timeout_s=120)
        clock.note([launching, silent, good], now=1000.0)
        late = _entry(loop, answered=False)
        clock.note([launching, silent, good, late], now=1100.0)  # the first three keep 1000
        pool = [launching, silent, good, late]
        log = logging.getLogger("test")
        assert drop_failed(pool, log, clock, now=1120.0) == []  # exactly 120 s: not yet
        assert drop_failed(pool, log, clock, now=1120.5) == [launching, silent]
        assert pool == [good, late]  # a ready kernel is never too slow
        assert drop_failed(pool, log, clock, now=1220.5) == [late]
        assert pool == [good]
    finally:
        loop.close()


def test_refills_still_in_their_fill_delay_are_dropped_on_stop() -> None:
    """What Voilà's shutdown_all would await: a refill that has not started anything is
    taken out and cancelled; one that is starting a kernel, or done, is left to Voilà."""
    import asyncio
    import warnings
    from types import SimpleNamespace

    from voila.voila_kernel_manager import wait_before

    from workbench.kernelpool import drop_waiting_refills, waiting_for_fill_delay

    started_kernels: list[str] = []

    async def initialize(name: str, pause: float) -> dict[str, str]:
        started_kernels.append(name)
        await asyncio.sleep(pause)
        return {"kernel_id": name}

    async def scenario() -> tuple[int, list[str], list[bool]]:
        waiting = asyncio.create_task(wait_before(60, initialize("waiting", 0)))
        starting = asyncio.create_task(wait_before(0, initialize("starting", 60)))
        done = asyncio.create_task(wait_before(0, initialize("done", 0)))
        await asyncio.sleep(0.05)
        flags = [waiting_for_fill_delay(t) for t in (waiting, starting, done)]

        Manager = SimpleNamespace(_pools={"app.ipynb": [waiting, starting, done]})
        dropped = drop_waiting_refills(Manager)
        await asyncio.sleep(0)
        left = [t.get_coro().cr_frame.f_locals["aw"].__name__ if not t.done() else "done"
                for t in Manager._pools["app.ipynb"]]  # fmt: skip
        assert waiting.cancelled()
        starting.cancel()
        return dropped, left, flags

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a never-awaited coroutine would warn
        dropped, left, flags = asyncio.run(scenario())
    assert flags == [True, False, False]
    assert dropped == 1 and left == ["initialize", "done"]
    assert started_kernels == ["starting", "done"]  # the waiting one never started
