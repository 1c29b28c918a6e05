"""Helpers for the tests that drive simulated participants through a real ``workbench serve``.

The participant driver (``benchmarks/_driver.py``) and the server helpers
(``benchmarks/_serve.py``) are shared with the benchmarks; this module re-exports them
(tests/conftest.py puts ``benchmarks/`` and ``tests/`` on ``sys.path``). Test modules
import it by name::

    import _participants as pt

- :func:`start_serve`: a copy of the ``demo_runs`` workspace and database (so SQLite or
  PostgreSQL, as ``demo_runs`` is parametrised), then :func:`_serve.launch`;
- :func:`expected_items`: the feedback rows a list of acknowledged payloads must leave.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from _driver import (
    Catalog,
    ConnectionLost,
    Page,
    Submission,
    open_pages,
    text_of,
)
from _serve import (
    NOTEBOOK,
    SLUG,
    Serve,
    Stored,
    alive,
    cmdline,
    descendants,
    http_json,
    kernels_of,
    launch,
    parent_of,
    stored,
)

from workbench.participation.feedback import VOTES, payload_hash

__all__ = [
    "NOTEBOOK",
    "SLUG",
    "Catalog",
    "ConnectionLost",
    "Page",
    "Serve",
    "Stored",
    "Submission",
    "alive",
    "cmdline",
    "descendants",
    "expected_items",
    "http_json",
    "kernels_of",
    "open_pages",
    "parent_of",
    "payload_hash",
    "start_serve",
    "stored",
    "text_of",
]


def start_serve(
    demo_runs: Any,
    root: Path,
    stack: contextlib.ExitStack,
    *,
    expected: int,
    env: dict[str, str] | None = None,
    ready: int | None = None,
    timeout: float = 600.0,
) -> Serve:
    """Copy the ``demo_runs`` workspace (and its database: the SQLite file inside it, or a
    PostgreSQL copy dropped when ``stack`` closes) to ``root/ws`` and :func:`launch` it."""
    home = root / "ws"
    db_url = demo_runs.copy(home, stack) or f"sqlite:///{home / 'var' / 'workbench.sqlite'}"
    return launch(home, db_url, expected=expected, env=env, ready=ready, timeout=timeout)


def expected_items(
    payloads: list[tuple[str, dict[str, Any]]], options: list[str]
) -> dict[str, tuple[Any, int]]:
    """item -> (final value, revision) that these acknowledged (kind, payload)s leave,
    applied in order, as the feedback service writes them."""
    items: dict[str, tuple[Any, int]] = {}

    def put(item: str, value: Any) -> None:
        items[item] = (value, items.get(item, (None, 0))[1] + 1)

    for kind, payload in payloads:
        if kind == "rating":
            for option, per in payload["ratings"].items():
                for criterion, value in per.items():
                    put(f"rating:{option}:{criterion}", value)
        elif kind == "approval":
            for option in options:
                put(f"approval:{option}", option in payload["approved"])
        elif kind == "ranking":
            put("ranking", list(payload["order"]))
        elif kind == "comment":
            put(f"comment:{payload['target']}", payload["text"])
        elif kind == "vote":
            for sid, vote in payload["votes"].items():
                put(f"vote:{sid}", VOTES[vote])
    return items
