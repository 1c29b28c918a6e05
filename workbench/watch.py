"""Notice, from an open participant page, that the facilitator changed the workshop.

A page kernel runs one :class:`StateWatcher`: a daemon thread that reads a small value
(the workshop's state and current round: one indexed two-column row) every few seconds,
with jitter so that a hundred open pages do not read in step, and calls back when it
changes. A terminal value (a closed workshop) ends the watch.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from workbench.exceptions import WorkbenchError

log = logging.getLogger("workbench.watch")

T = TypeVar("T")

#: seconds between two reads of one page (plus up to JITTER_S)
INTERVAL_S = 3.0
JITTER_S = 0.6


class StateWatcher(Generic[T]):
    """Poll ``read()``; call ``on_change(old, new)`` when its value changes."""

    def __init__(
        self,
        read: Callable[[], T],
        on_change: Callable[[T, T], None],
        *,
        initial: T,
        interval: float = INTERVAL_S,
        jitter: float = JITTER_S,
        final: Callable[[T], bool] = lambda _value: False,
    ) -> None:
        self._read = read
        self._on_change = on_change
        self.value = initial
        self.interval = interval
        self.jitter = jitter
        self._final = final
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.reads = 0

    def start(self) -> None:
        """Start watching in a daemon thread (no-op if already started or final)."""
        if self._thread is None and not self._final(self.value):
            self._thread = threading.Thread(target=self._run, name="state-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop watching (the thread ends within one interval)."""
        self._stop.set()

    @property
    def running(self) -> bool:
        """True while the watch thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def check_now(self) -> bool:
        """Read once now (in the caller's thread); True if the value had changed."""
        try:
            new = self._read()
        except WorkbenchError:  # the database is busy or gone: try again next time
            log.warning("could not read the workshop state", exc_info=True)
            return False
        with self._lock:
            self.reads += 1
            old = self.value
            if new == old:
                return False
            self.value = new
            try:
                self._on_change(old, new)
            except Exception:  # a broken page update must not end the watch
                log.exception("updating the page after a workshop change failed")
        if self._final(new):
            self.stop()
        return True

    def _run(self) -> None:
        rng = random.Random()  # noqa: S311 - jitter, not security
        while not self._stop.wait(self.interval + rng.uniform(0, self.jitter)):
            self.check_now()
