"""The frame every feedback form shares: a heading, a Save button and a status line.

"Saved" appears only when the service has returned a receipt, i.e. after the commit.
Every text is shown in the page's language (a :class:`~workbench.i18n.Translator`
``t``); the workshop's own content (option and criterion labels) through
:func:`item_text` and :func:`as_plain` / :func:`as_html`, which mark a text shown
untranslated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

import ipywidgets as w

from workbench.i18n import DEFAULT_LANGUAGE, ENGLISH, N_, Localized, Translator, localize
from workbench.widgets.guard import report_to
from workbench.widgets.submitter import Outcome, Send, Submitter

#: After workshop content shown in its own language because it has no translation (not
#: inside an f-string: Babel does not look into those).
NOT_TRANSLATED = N_("(not translated)")
_CLASSES = {
    "saved": "wb-status-ok",
    "waiting": "wb-muted",
    "refused": "wb-status-error",
    "error": "wb-status-error",
}


# -- workshop content in the page's language ---------------------------------------------
def item_text(
    item: Mapping[str, Any], field: str, t: Translator, default_language: str = DEFAULT_LANGUAGE
) -> Localized:
    """``item[field]`` (an option's or criterion's ``label`` or ``description``) in ``t``'s
    language, from ``item["translations"][lang][field]``; the default language's text
    (``fallback=True``) when there is no translation."""
    translations = {
        lang: str(texts.get(field) or "")
        for lang, texts in (item.get("translations") or {}).items()
        if isinstance(texts, Mapping)
    }
    return localize(str(item.get(field) or ""), translations, t.code, default_language)


def as_plain(shown: Localized, t: Translator) -> str:
    """Workshop content as plain text (labels, tooltips, dropdown options); a text shown
    untranslated is followed by a visible "(not translated)" in the page's language."""
    return f"{shown.text} {t._(NOT_TRANSLATED)}" if shown.fallback else shown.text


def as_html(shown: Localized, t: Translator) -> str:
    """Workshop content as escaped HTML; a text shown untranslated is wrapped in
    ``<span lang="xx">`` (its own language, for screen readers) and marked visibly."""
    if shown.language == t.code:
        return escape(shown.text)
    html = f'<span lang="{escape(shown.language)}">{escape(shown.text)}</span>'
    if shown.fallback:
        html += f' <span class="wb-muted">{escape(t._(NOT_TRANSLATED))}</span>'
    return html


class StatusLine(w.HTML):
    """A polite live region that tells the participant what happened.

    ``t`` is the page's language, used by :mod:`workbench.widgets.guard` when it explains
    a refused input here."""

    def __init__(self, *, t: Translator = ENGLISH, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.t = t

    def show(self, outcome: Outcome | None = None, *, text: str = "", status: str = "") -> None:
        """Show an outcome (or a plain text, already in the page's language)."""
        if outcome is not None:
            text, status = outcome.message, outcome.status
        css = _CLASSES.get(status, "wb-muted")
        self.value = f'<div role="status" aria-live="polite" class="{css}">{escape(text)}</div>'


class FeedbackForm:
    """Base class: subclasses build ``body`` and implement :meth:`payload`.

    ``title`` and ``help`` are ``N_``-marked English; they are shown through ``t``
    (:meth:`help_text` for a help that has numbers in it). ``default_language`` is the
    workshop's, for its option and criterion labels (:func:`item_text`).
    """

    kind = ""
    title = ""
    help = ""

    def __init__(
        self,
        send: Send,
        *,
        readonly: bool = False,
        on_saved: Callable[[], None] | None = None,
        t: Translator = ENGLISH,
        default_language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.t = t
        self.default_language = default_language
        self.status = StatusLine(t=t)
        title = t._(self.title)
        self.save = w.Button(
            description=t._("Save"),
            button_style="primary",
            icon="check",
            tooltip=t._("Save: {form}").format(form=title),
        )
        self.save.on_click(lambda _b: self.submit())
        self.readonly = readonly
        self._on_saved = on_saved or (lambda: None)
        self.submitter = Submitter(send, on_outcome=self._done, t=t)
        self.body = self.build()
        report_to(self.inputs(), self.status)  # refused page input is explained here
        help_text = self.help_text()
        header = w.HTML(
            f"<h3>{escape(title)}</h3>"
            + (f'<p class="wb-help">{escape(help_text)}</p>' if help_text else "")
        )
        self.widget = w.VBox([header, self.body, w.HBox([self.save]), self.status])
        self.widget.add_class("wb-card")
        if readonly:
            self.disable()

    def help_text(self) -> str:
        """The help under the title, in the page's language ("" for none)."""
        return self.t._(self.help) if self.help else ""

    def label(self, item: Mapping[str, Any], field: str = "label") -> str:
        """An option's or criterion's text as plain text (see :func:`as_plain`)."""
        return as_plain(item_text(item, field, self.t, self.default_language), self.t)

    def label_html(self, item: Mapping[str, Any], field: str = "label") -> str:
        """An option's or criterion's text as HTML (see :func:`as_html`)."""
        return as_html(item_text(item, field, self.t, self.default_language), self.t)

    def build(self) -> w.Widget:
        """The form's inputs."""
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        """The answers to send; raise ValueError with a (translated) message to refuse
        locally."""
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
        t = self.t
        if self.readonly:
            outcome = Outcome("refused", t._("This workshop is closed; answers are read-only."))
            self.status.show(outcome)
            return outcome
        try:
            payload = self.payload()
        except ValueError as exc:
            outcome = Outcome("refused", t._("Not saved: {reason}").format(reason=exc))
            self.status.show(outcome)
            return outcome
        self.save.disabled = True
        self.status.show(text=t._("Saving…"), status="waiting")
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
