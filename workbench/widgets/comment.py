"""A comment on one option or on the whole proposal."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from workbench.i18n import N_
from workbench.participation.feedback import MAX_COMMENT_CHARS
from workbench.widgets.base import FeedbackForm


class CommentForm(FeedbackForm):
    """One current comment per target; saving again replaces it."""

    kind = "comment"
    title = N_("Your comments")

    def __init__(
        self,
        send: Any,
        *,
        options: list[dict[str, str]],
        initial: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.options = options
        self.initial = initial or {}
        super().__init__(send, **kwargs)

    def help_text(self) -> str:
        return self.t._(
            "Up to {limit} characters. Saving again replaces your comment on that topic."
        ).format(limit=MAX_COMMENT_CHARS)

    def build(self) -> w.Widget:
        t = self.t
        choices = [(t._("The proposal as a whole"), "general")] + [
            (self.label(o), o["key"]) for o in self.options
        ]
        self.target = w.Dropdown(options=choices, value="general", description=t._("About"))
        self.text = w.Textarea(
            value=str(self.initial.get("comment:general", "")),
            placeholder=t._("What should the region keep, change or add?"),
            layout=w.Layout(width="100%", height="8em"),
        )
        self.counter = w.HTML()
        self.text.observe(lambda _c: self._count(), "value")
        self.target.observe(lambda _c: self._load(), "value")
        self._count()
        return w.VBox([self.target, self.text, self.counter])

    def _load(self) -> None:
        self.text.value = str(self.initial.get(f"comment:{self.target.value}", ""))

    def _count(self) -> None:
        n = len(self.text.value)
        css = "wb-status-error" if n > MAX_COMMENT_CHARS else "wb-muted"
        self.counter.value = f'<span class="{css}">{n} / {MAX_COMMENT_CHARS}</span>'

    def inputs(self) -> list[w.Widget]:
        return [self.target, self.text]

    def payload(self) -> dict[str, Any]:
        text = self.text.value.strip()
        if not text:
            raise ValueError(self.t._("write a comment first"))
        if len(text) > MAX_COMMENT_CHARS:
            raise ValueError(
                self.t._("the comment is {n} characters; the limit is {limit}").format(
                    n=len(text), limit=MAX_COMMENT_CHARS
                )
            )
        self.initial[f"comment:{self.target.value}"] = text
        return {"target": self.target.value, "text": text}
