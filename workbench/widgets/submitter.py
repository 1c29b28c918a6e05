"""Submitting a form's answers safely: idempotency keys, retries, rate-limit coalescing.

No ipywidgets here, so that the behaviour can be tested without a browser:

- every new set of answers gets a new idempotency key; retries reuse it, so a retried
  request that did commit is recognised instead of applied twice;
- a busy or unreachable database is retried a few times with the same key;
- when the participant is rate-limited, the *latest* answers of that form are kept and
  sent when the wait is over: a burst loses nothing but the superseded answers.

Messages are in the page's language (``t``); errors raised with ``WorkbenchError.say``
are translated (:func:`workbench.i18n.error_text`), others keep their text.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from workbench.exceptions import InputError, RateLimited, StoreUnavailable, WorkbenchError
from workbench.i18n import ENGLISH, Translator, error_text

Status = Literal["saved", "waiting", "refused", "error"]
Send = Callable[[str, dict[str, Any], str], Any]


@dataclass(frozen=True)
class Outcome:
    """What happened to a submission, with a message for the participant."""

    status: Status
    message: str
    receipt: Any = None


def _timer(delay: float, fn: Callable[[], None]) -> Any:
    t = threading.Timer(delay, fn)
    t.daemon = True
    t.start()
    return t


class Submitter:
    """Sends one form's answers through ``send(kind, payload, key)`` (the service call);
    its messages are in ``t``'s language."""

    def __init__(
        self,
        send: Send,
        *,
        t: Translator = ENGLISH,
        on_outcome: Callable[[Outcome], None] | None = None,
        schedule: Callable[[float, Callable[[], None]], Any] = _timer,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self._send = send
        self.t = t
        self._on_outcome = on_outcome or (lambda _o: None)
        self._schedule = schedule
        self._retries = retries
        self._backoff = backoff
        self._lock = threading.Lock()
        # One send at a time per form: an older answer flushed by the timer must never
        # commit after a newer one the participant saved meanwhile.
        self._sending = threading.Lock()
        self._pending: dict[str, tuple[dict[str, Any], str]] = {}
        self._timer: Any = None
        self._flushing = False

    def submit(self, kind: str, payload: dict[str, Any]) -> Outcome:
        """Send new answers now, or keep them for later if the participant is rate-limited."""
        key = uuid.uuid4().hex
        with self._sending:
            with self._lock:
                if self._timer is not None:  # waiting: the newest answers replace older ones
                    self._pending[kind] = (payload, key)
                    return Outcome(
                        "waiting", self.t._("Your latest answers will be saved in a moment.")
                    )
            return self._attempt(kind, payload, key)

    def flush(self) -> list[Outcome]:
        """Send the answers kept during a rate-limit wait (called by the timer)."""
        with self._sending:
            with self._lock:
                self._timer = None
                self._flushing = True
                pending, self._pending = self._pending, {}
            try:
                outcomes = [
                    self._attempt(kind, payload, key) for kind, (payload, key) in pending.items()
                ]
            finally:
                with self._lock:
                    self._flushing = False
        for outcome in outcomes:
            self._on_outcome(outcome)
        return outcomes

    @property
    def waiting(self) -> bool:
        """True while answers are held back by the rate limit or being sent after it."""
        return self._timer is not None or self._flushing

    def _attempt(self, kind: str, payload: dict[str, Any], key: str) -> Outcome:
        t = self.t
        for attempt in range(self._retries + 1):
            try:
                receipt = self._send(kind, payload, key)
            except RateLimited as exc:
                with self._lock:
                    self._pending[kind] = (payload, key)
                    if self._timer is None:
                        self._timer = self._schedule(exc.retry_after, self.flush)
                return Outcome("waiting", error_text(exc, t))
            except StoreUnavailable as exc:
                if attempt == self._retries:
                    return Outcome(
                        "error", t._("Not saved: {reason}").format(reason=error_text(exc, t))
                    )
                time.sleep(self._backoff * (attempt + 1))
            except InputError as exc:
                return Outcome("refused", _plain(exc, t))
            except WorkbenchError as exc:
                return Outcome("refused", error_text(exc, t))
            else:
                stamp = receipt.saved_at.astimezone().strftime("%H:%M:%S")
                return Outcome("saved", t._("Saved at {time}.").format(time=stamp), receipt)
        raise AssertionError("unreachable")  # pragma: no cover


def _plain(exc: InputError, t: Translator = ENGLISH) -> str:
    """ "Not saved: ..." in ``t``'s language; the problems' details as they come."""
    problems = getattr(exc, "problems", None)
    if problems:
        reason = "; ".join(f"{p.key.replace('_', ' ')} {p.message}" for p in problems)
    else:
        reason = error_text(exc, t)
    return t._("Not saved: {reason}").format(reason=reason)
