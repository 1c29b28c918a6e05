"""How many preheated kernels each app keeps warm, and how fast they are started.

Pure policy, no Voilà: :class:`PoolPolicy` turns the open workshops and the pages served
so far into a pool target per app notebook, and :func:`starts_allowed` bounds how many
kernels may start at once, so that a refill after a burst cannot starve the pages that
are already open (each kernel start costs about one CPU-second of a 2-core machine).

The target of one open workshop is ``max(expected - served, headroom)`` with
``headroom = max(headroom_min, ceil(headroom_share * expected))``: before people join,
one warm kernel each; after they joined, a warm reserve for late joiners, second
devices and people whose reload comes after the reload grace period. A reload within
that period needs no kernel at all (see :mod:`workbench.reattach`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

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
