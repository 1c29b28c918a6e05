"""``workbench.watch.StateWatcher``: change detection, final values, errors, the thread."""

from __future__ import annotations

import threading
import time

from workbench.exceptions import StoreUnavailable
from workbench.watch import StateWatcher


class Source:
    """A value the test changes; ``fail`` makes the next reads raise."""

    def __init__(self, value: tuple[str, int]) -> None:
        self.value = value
        self.fail = 0
        self.reads = 0

    def read(self) -> tuple[str, int]:
        self.reads += 1
        if self.fail:
            self.fail -= 1
            raise StoreUnavailable("the database is unavailable or busy")
        return self.value


def test_check_now_reports_each_change_once_in_order() -> None:
    source = Source(("open", 1))
    seen: list[tuple[tuple[str, int], tuple[str, int]]] = []
    watcher = StateWatcher(
        source.read, lambda old, new: seen.append((old, new)), initial=("open", 1)
    )
    assert watcher.check_now() is False
    source.value = ("open", 2)
    assert watcher.check_now() is True
    assert watcher.check_now() is False
    source.value = ("closed", 2)
    assert watcher.check_now() is True
    assert seen == [(("open", 1), ("open", 2)), (("open", 2), ("closed", 2))]
    assert (watcher.value, watcher.reads) == (("closed", 2), 4)


def test_a_failed_read_or_callback_does_not_end_the_watch() -> None:
    source = Source(("open", 1))
    calls: list[tuple[str, int]] = []

    def on_change(_old: tuple[str, int], new: tuple[str, int]) -> None:
        calls.append(new)
        if len(calls) == 1:
            raise RuntimeError("page update failed")

    watcher = StateWatcher(source.read, on_change, initial=("open", 1))
    source.fail = 2
    source.value = ("open", 2)
    assert watcher.check_now() is False and watcher.check_now() is False  # read failed
    assert watcher.check_now() is True  # now read; the callback raised, the value moved on
    source.value = ("open", 3)
    assert watcher.check_now() is True
    assert calls == [("open", 2), ("open", 3)]


def test_the_thread_notices_a_change_and_stops_at_a_final_value() -> None:
    source = Source(("open", 1))
    changed = threading.Event()
    seen: list[tuple[str, int]] = []

    def on_change(_old: tuple[str, int], new: tuple[str, int]) -> None:
        seen.append(new)
        if new[0] == "closed":
            changed.set()

    watcher = StateWatcher(
        source.read,
        on_change,
        initial=("open", 1),
        interval=0.05,
        jitter=0.01,
        final=lambda value: value[0] == "closed",
    )
    watcher.start()
    assert watcher.running
    time.sleep(0.3)
    source.value = ("closed", 1)
    assert changed.wait(5)
    deadline = time.monotonic() + 5
    while watcher.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not watcher.running, "the watch must end at a final value"
    reads = source.reads
    time.sleep(0.3)
    assert source.reads == reads, "no reads after the watch ended"
    assert seen == [("closed", 1)]


def test_a_watch_that_starts_final_never_starts() -> None:
    watcher = StateWatcher(
        lambda: ("closed", 1),
        lambda _o, _n: None,
        initial=("closed", 1),
        final=lambda value: value[0] == "closed",
    )
    watcher.start()
    assert not watcher.running
