"""Agree / disagree / pass on statements (Pol.is style), and proposing new ones."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w

from workbench.i18n import N_, Localized, localize
from workbench.participation.spec import MAX_STATEMENT_CHARS
from workbench.terms import written_html
from workbench.widgets.base import FeedbackForm, as_html, as_plain

#: The vote buttons: (label, value); labels are translated where shown.
CHOICES = [(N_("Agree"), "agree"), (N_("Disagree"), "disagree"), (N_("Pass / unsure"), "pass")]
_BACK = {1: "agree", -1: "disagree", 0: "pass"}
MIN_STATEMENT_CHARS = 10


class StatementVotes(FeedbackForm):
    """A toggle per statement; the group's votes show only after one's own vote.

    A statement (``{"id", "text"}``, optionally ``"language"``, the language it was
    written in, and ``"translations"``: language -> text) is shown in the page's language
    if it has been translated, else in its own, marked."""

    kind = "vote"
    title = N_("Do you agree?")
    help = N_("Vote on each statement. You see how others voted once you have voted yourself.")

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
        t = self.t
        choices = [(t._(label), value) for label, value in CHOICES]
        rows = []
        for st in self.statements:
            sid = str(st["id"])
            shown = self.statement_text(st)
            previous = self.initial.get(f"vote:{sid}")
            toggle = w.ToggleButtons(
                options=choices,
                value=_BACK.get(previous) if previous is not None else None,
                tooltips=[
                    t._("{choice}: {statement}").format(choice=label, statement=as_plain(shown, t))
                    for label, _ in choices
                ],
            )
            self.toggles[sid] = toggle
            self.tallies[sid] = w.HTML()
            rows.append(
                w.VBox(
                    [
                        w.HTML(f"<p><strong>{self.statement_html(st, shown)}</strong></p>"),
                        toggle,
                        self.tallies[sid],
                    ]
                )
            )
        if not rows:
            none = t._("No statements yet.")
            rows.append(w.HTML(f'<p class="wb-muted">{escape(none)}</p>'))
        return w.VBox(rows)

    def statement_text(self, statement: dict[str, Any]) -> Localized:
        """A statement in the page's language, or in its own when not translated."""
        own = str(statement.get("language") or self.default_language)
        translations = statement.get("translations") or {}
        return localize(str(statement["text"]), translations, self.t.code, own)

    def statement_html(self, statement: dict[str, Any], shown: Localized) -> str:
        """A participant's statement in another language keeps its words, with a language
        tag ("[EN]"); a seed statement without a translation is marked untranslated."""
        if statement.get("origin") == "participant":
            return written_html(shown.text, shown.language, self.t)
        return as_html(shown, self.t)

    def inputs(self) -> list[w.Widget]:
        return list(self.toggles.values())

    def payload(self) -> dict[str, Any]:
        votes = {sid: t.value for sid, t in self.toggles.items() if t.value is not None}
        if not votes:
            raise ValueError(self.t._("vote on at least one statement"))
        return {"votes": votes}

    def show_results(self, votes: dict[str, dict[str, int]]) -> None:
        """Show the group's votes on the statements this participant voted on."""
        t = self.t
        for sid, tally in votes.items():
            if sid in self.tallies:
                total = sum(tally.values()) or 1
                text = t._(
                    "Group so far: {agree} agree ({share}), {disagree} disagree, {passed} pass"
                ).format(
                    agree=t.number(tally["agree"], 0),
                    share=t.percent(100 * tally["agree"] // total / 100),
                    disagree=t.number(tally["disagree"], 0),
                    passed=t.number(tally["pass"], 0),
                )
                self.tallies[sid].value = f'<p class="wb-muted">{escape(text)}</p>'


class ProposeStatement(FeedbackForm):
    """A new statement, held for the facilitator's moderation before others see it."""

    kind = "proposal"
    title = N_("Propose a statement")
    help = N_("Other participants will vote on it once the facilitator has approved it.")

    def build(self) -> w.Widget:
        self.text = w.Textarea(
            placeholder=self.t._("e.g. Apprenticeships should include small firms."),
            layout=w.Layout(width="100%", height="5em"),
        )
        return self.text

    def inputs(self) -> list[w.Widget]:
        return [self.text]

    def payload(self) -> dict[str, Any]:
        text = self.text.value.strip()
        if len(text) < MIN_STATEMENT_CHARS:
            raise ValueError(
                self.t._("a statement needs at least {n} characters").format(n=MIN_STATEMENT_CHARS)
            )
        if len(text) > MAX_STATEMENT_CHARS:
            raise ValueError(
                self.t._("a statement has at most {n} characters").format(n=MAX_STATEMENT_CHARS)
            )
        return {"text": text}

    def _done(self, outcome: Any) -> None:
        if outcome.status == "saved":
            held = self.t._("It is held for moderation.")
            outcome = type(outcome)("saved", f"{outcome.message} {held}", outcome.receipt)
            self.text.value = ""
        super()._done(outcome)
