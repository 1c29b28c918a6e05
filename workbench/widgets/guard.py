"""Limits on what a page may send to its kernel's widgets (hostile or broken clients).

A participant's page talks to its kernel only through widget comm messages. ipywidgets
applies them as they come: it echoes any value back before validating it, keeps text of
any size and works through every message of a flood. :func:`install` wraps the message
handler of every widget created afterwards and applies ``update`` messages itself
(idempotent; done when ``workbench.widgets`` is imported, i.e. in the kernel before the
app builds any widget):

- more than :data:`MESSAGE_BURST` messages at once, or :data:`MESSAGES_PER_S` per
  second sustained, are dropped before any work (no echo, no handler);
- an update of any trait but an input's value (:data:`PAGE_KEYS`), or a text value
  longer than :data:`MAX_INPUT_CHARS`, is refused before it is echoed or set;
- a value the widget refuses (outside a dropdown's or toggle's options, wrong type)
  changes nothing, and a malformed message or unknown method is ignored;

and in both refusal cases the kernel sends its current value back, so the page shows
what would be saved, and the form that owns the input says why on its status line
(:func:`report_to`), in that status line's language (its ``t``). Nothing here touches
the database: the feedback service still
validates every submission.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as w
from ipywidgets.widgets.widget import _put_buffers

from workbench.i18n import ENGLISH, N_

log = logging.getLogger("workbench.widgets")

#: Longest text a page may put into any input (the forms' own limits are far lower and
#: explained by the forms; this only keeps megabytes out of the kernel).
MAX_INPUT_CHARS = 20_000
#: Widget messages one page may send per second, sustained, and at once.
MESSAGES_PER_S = 100.0
MESSAGE_BURST = 300.0
#: The only traits a page sets (inputs' value or index, a tab's selection); a page that
#: tries to set others (labels, options, descriptions, children, disabled) changes nothing.
PAGE_KEYS = frozenset({"value", "index", "selected_index"})
#: What the owning form says (translated on its status line's language).
REFUSED = N_("Not changed: the page sent a value this form does not accept.")
TOO_LONG = N_("Not changed: that text has {length} characters; an answer can have at most {limit}.")

_sinks: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
_lock = threading.Lock()


class Budget:
    """A token bucket: ``take()`` is False once the page sends faster than allowed."""

    def __init__(
        self,
        rate: float = MESSAGES_PER_S,
        burst: float = MESSAGE_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()
        self.dropped = 0

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.dropped += 1
        return False


budget = Budget()


def report_to(widgets: Iterable[w.Widget], status: Any) -> None:
    """Refused updates of these input widgets are explained on ``status`` (a StatusLine)."""
    for widget in widgets:
        if widget.model_id:
            _sinks[widget.model_id] = status


def _tell(widget: w.Widget, msgid: str, **numbers: int) -> None:
    """Say ``msgid`` (``N_``-marked, with whole ``numbers``) on the widget's status line."""
    sink = _sinks.get(widget.model_id or "")
    if sink is not None:
        t = getattr(sink, "t", ENGLISH)
        fields = {name: t.number(value, 0) for name, value in numbers.items()}
        sink.show(text=t._(msgid).format(**fields), status="refused")


def _resync(widget: w.Widget, state: Any) -> None:
    """Send the kernel's values of the keys the page tried to change back to the page."""
    keys = [k for k in state if k in widget.keys] if isinstance(state, dict) else []
    if keys:
        widget.send_state(keys)


def _guarded(original: Callable[[w.Widget, dict[str, Any]], None]) -> Any:
    def handle(self: w.Widget, msg: dict[str, Any]) -> None:
        with _lock:
            allowed = budget.take()
        if not allowed:
            if budget.dropped % 1000 == 1:
                log.warning("widget message flood: %d message(s) dropped", budget.dropped)
            return
        data = msg.get("content", {}).get("data", {}) if isinstance(msg, dict) else {}
        method = data.get("method") if isinstance(data, dict) else None
        if method in ("request_state", "custom"):  # a state request, a click
            original(self, msg)  # ipywidgets logs a failing handler; the kernel goes on
            return
        if method != "update":  # unknown: ignored without a log line per message
            return
        state = data.get("state")
        if not isinstance(state, dict):
            return
        if not set(state) <= PAGE_KEYS:
            _resync(self, state)
            _tell(self, REFUSED)
            return
        longest = max((len(v) for v in state.values() if isinstance(v, str)), default=0)
        if longest > MAX_INPUT_CHARS:
            _resync(self, state)
            _tell(self, TOO_LONG, length=longest, limit=MAX_INPUT_CHARS)
            return
        try:
            if "buffer_paths" in data:
                _put_buffers(state, data["buffer_paths"], msg.get("buffers") or [])
            self.set_state(state)
        except Exception as exc:  # a value the widget refuses: keep the kernel's value
            log.info("refused widget update for %s: %s", type(self).__name__, exc)
            _resync(self, state)
            _tell(self, REFUSED)

    handle.workbench_guard = True  # type: ignore[attr-defined]
    return handle


def install() -> None:
    """Guard the message handler of every widget created from now on (idempotent)."""
    if not getattr(w.Widget._handle_msg, "workbench_guard", False):
        w.Widget._handle_msg = _guarded(w.Widget._handle_msg)  # type: ignore[method-assign]
