"""Delivery of a page request to its preheated kernel that cannot go astray.

A preheated Voilà kernel runs the app notebook until it needs the participant's request
(:mod:`workbench.preheat`), then opens a websocket to ``/voila/query/<kernel id>`` and
waits there; the page handler sends the request through
``RequestInfoSocketHandler.send_updates``. Two faults of Voilà 0.5's handler hang a page
forever:

- ``on_close`` looks for the closing socket among the waiters and, when it is not there
  (a kernel that connected twice: a retry after a slow open, a restart), deletes the
  *last* waiter it iterated, which is another kernel's. That kernel never gets its
  request: its participant's page spins until the browser gives up.
- ``send_updates`` writes to a waiter whose connection is already gone and drops the
  request, so the kernel's retry waits for nothing.

:class:`RequestInfoHandler` registers and removes only its own socket, and
:func:`install` makes ``send_updates`` keep every request until the kernel's socket
receives it (a reconnecting kernel gets it on open). :func:`forget_kernels` drops what is
kept for kernels that are gone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from voila.request_info_handler import RequestInfoSocketHandler

log = logging.getLogger("workbench.requestinfo")


class RequestInfoHandler(RequestInfoSocketHandler):
    """Voilà's request-info socket, registering and removing only itself."""

    kernel_id: str | None = None

    def open(self, kernel_id: str) -> None:  # type: ignore[override]
        """A kernel waits for its request: send it now if it already came."""
        self.kernel_id = kernel_id
        super().open(kernel_id)

    def on_message(self, message: str | bytes) -> None:
        """Kernels only listen on this socket; anything sent is ignored."""

    def on_close(self) -> None:
        """Forget this socket (and no other kernel's)."""
        waiters = RequestInfoSocketHandler._waiters
        if self.kernel_id is not None and waiters.get(self.kernel_id) is self:
            del waiters[self.kernel_id]


def send_updates(msg: dict[str, Any]) -> None:
    """Send a request to its kernel's socket and keep it until the kernel is gone, so a
    kernel that connects (again) later still gets it."""
    kernel_id, payload = msg["kernel_id"], msg["payload"]
    RequestInfoSocketHandler._cache[kernel_id] = payload
    waiter = RequestInfoSocketHandler._waiters.get(kernel_id)
    if waiter is None:
        return  # sent on open
    try:
        waiter.write_message(payload)
    except Exception:  # a closed socket: the kernel reconnects and gets it on open
        log.warning("the request for kernel %s waits for its reconnect", kernel_id)


def install() -> None:
    """Make Voilà's page handler deliver requests with :func:`send_updates`."""
    RequestInfoSocketHandler.send_updates = staticmethod(send_updates)  # type: ignore[assignment]


def forget_kernels(alive: Iterable[str]) -> None:
    """Drop the kept requests (they hold join tokens) of kernels no longer running."""
    keep = set(alive)
    cache = RequestInfoSocketHandler._cache
    for kernel_id in [k for k in cache if k not in keep]:
        cache.pop(kernel_id, None)
