"""Agree / disagree / pass on statements (Pol.is style), and proposing new ones."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w

from workbench.participation.spec import MAX_STATEMENT_CHARS
from workbench.widgets.base import FeedbackForm

CHOICES = [("Agree", "agree"), ("Disagree", "disagree"), ("Pass / unsure", "pass")]
_BACK = {1: "agree", -1: "disagree", 0: "pass"}


class StatementVotes(FeedbackForm):
    """A toggle per statement; the group's votes show only after one's own vote."""

    kind = "vote"
    title = "Do you agree?"
    help = "Vote on each statement. You see how others voted once you have voted yourself."

    def __init__(
        self,
        send: Any,
        *,
        statements: list[dict[str, Any]],
        initial: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.statements = statements
        self.initial = initial or {}
        self.toggles: dict[str, w.ToggleButtons] = {}
        self.tallies: dict[str, w.HTML] = {}
        super().__init__(send, **kwargs)

    def build(self) -> w.Widget:
        rows = []
        for st in self.statements:
            sid = str(st["id"])
            previous = self.initial.get(f"vote:{sid}")
            toggle = w.ToggleButtons(
                options=CHOICES,
                value=_BACK.get(previous) if previous is not None else None,
                tooltips=[f"{label}: {st['text']}" for label, _ in CHOICES],
            )
            self.toggles[sid] = toggle
            self.tallies[sid] = w.HTML()
            rows.append(
                w.VBox(
                    [
                        w.HTML(f"<p><strong>{escape(st['text'])}</strong></p>"),
                        toggle,
                        self.tallies[sid],
                    ]
                )
            )
        if not rows:
            rows.append(w.HTML('<p class="wb-muted">No statements yet.</p>'))
        return w.VBox(rows)

    def inputs(self) -> list[w.Widget]:
        return list(self.toggles.values())

    def payload(self) -> dict[str, Any]:
        votes = {sid: t.value for sid, t in self.toggles.items() if t.value is not None}
        if not votes:
            raise ValueError("vote on at least one statement")
        return {"votes": votes}

    def show_results(self, votes: dict[str, dict[str, int]]) -> None:
        """Show the group's votes on the statements this participant voted on."""
        for sid, tally in votes.items():
            if sid in self.tallies:
                total = sum(tally.values()) or 1
                self.tallies[sid].value = (
                    '<p class="wb-muted">Group so far: '
                    f"{tally['agree']} agree ({100 * tally['agree'] // total}%), "
                    f"{tally['disagree']} disagree, {tally['pass']} pass</p>"
                )


class ProposeStatement(FeedbackForm):
    """A new statement, held for the facilitator's moderation before others see it."""

    kind = "proposal"
    title = "Propose a statement"
    help = "Other participants will vote on it once the facilitator has approved it."

    def build(self) -> w.Widget:
        self.text = w.Textarea(
            placeholder="e.g. Apprenticeships should include small firms.",
            layout=w.Layout(width="100%", height="5em"),
        )
        return self.text

    def inputs(self) -> list[w.Widget]:
        return [self.text]

    def payload(self) -> dict[str, Any]:
        text = self.text.value.strip()
        if len(text) < 10:
            raise ValueError("a statement needs at least 10 characters")
        if len(text) > MAX_STATEMENT_CHARS:
            raise ValueError(f"a statement has at most {MAX_STATEMENT_CHARS} characters")
        return {"text": text}

    def _done(self, outcome: Any) -> None:
        if outcome.status == "saved":
            outcome = type(outcome)(
                "saved", outcome.message + " It is held for moderation.", outcome.receipt
            )
            self.text.value = ""
        super()._done(outcome)
