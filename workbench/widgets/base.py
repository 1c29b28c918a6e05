"""The frame every feedback form shares: a heading, a Save button and a status line.

"Saved" appears only when the service has returned a receipt, i.e. after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as w

from workbench.widgets.guard import report_to
from workbench.widgets.submitter import Outcome, Send, Submitter

_CLASSES = {
    "saved": "wb-status-ok",
    "waiting": "wb-muted",
    "refused": "wb-status-error",
    "error": "wb-status-error",
}


class StatusLine(w.HTML):
    """A polite live region that tells the participant what happened."""

    def show(self, outcome: Outcome | None = None, *, text: str = "", status: str = "") -> None:
        """Show an outcome (or a plain text)."""
        if outcome is not None:
            text, status = outcome.message, outcome.status
        css = _CLASSES.get(status, "wb-muted")
        self.value = f'<div role="status" aria-live="polite" class="{css}">{escape(text)}</div>'


class FeedbackForm:
    """Base class: subclasses build ``body`` and implement :meth:`payload`."""

    kind = ""
    title = ""
    help = ""

    def __init__(
        self, send: Send, *, readonly: bool = False, on_saved: Callable[[], None] | None = None
    ) -> None:
        self.status = StatusLine()
        self.save = w.Button(
            description="Save", button_style="primary", icon="check", tooltip=f"Save: {self.title}"
        )
        self.save.on_click(lambda _b: self.submit())
        self.readonly = readonly
        self._on_saved = on_saved or (lambda: None)
        self.submitter = Submitter(send, on_outcome=self._done)
        self.body = self.build()
        report_to(self.inputs(), self.status)  # refused page input is explained here
        header = w.HTML(
            f"<h3>{escape(self.title)}</h3>"
            + (f'<p class="wb-help">{escape(self.help)}</p>' if self.help else "")
        )
        self.widget = w.VBox([header, self.body, w.HBox([self.save]), self.status])
        self.widget.add_class("wb-card")
        if readonly:
            self.disable()

    def build(self) -> w.Widget:
        """The form's inputs."""
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        """The answers to send; raise ValueError with a message to refuse locally."""
        raise NotImplementedError

    def inputs(self) -> list[w.Widget]:
        """Widgets to disable when read-only."""
        return []

    def disable(self) -> None:
        """Make the form read-only (closed workshop)."""
        for widget in [*self.inputs(), self.save]:
            widget.disabled = True

    def submit(self) -> Outcome:
        """Validate locally, then send through the submitter."""
        if self.readonly:
            outcome = Outcome("refused", "This workshop is closed; answers are read-only.")
            self.status.show(outcome)
            return outcome
        try:
            payload = self.payload()
        except ValueError as exc:
            outcome = Outcome("refused", f"Not saved: {exc}")
            self.status.show(outcome)
            return outcome
        self.save.disabled = True
        self.status.show(text="Saving…", status="waiting")
        try:
            outcome = self.submitter.submit(self.kind, payload)
        finally:
            self.save.disabled = False
        self._done(outcome)
        return outcome

    def _done(self, outcome: Outcome) -> None:
        self.status.show(outcome)
        if outcome.status == "saved":
            self._on_saved()
