"""What matters most: spread a budget of points (100) over the workshop's criteria."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w

from workbench.i18n import N_
from workbench.widgets.base import FeedbackForm


class PointsForm(FeedbackForm):
    """One whole-number input per criterion and a live "N of 100 points left" counter.

    Save stays disabled, with a message saying why, until the points add up to exactly
    the budget with none negative; :meth:`payload` refuses anything else as well (a
    click the page sends anyway).
    """

    kind = "points"
    title = N_("What matters most?")

    def __init__(
        self,
        send: Any,
        *,
        criteria: list[dict[str, str]],
        budget: int,
        initial: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.criteria, self.budget = criteria, budget
        self.initial = initial or {}
        self.fields: dict[str, w.IntText] = {}
        self.counter = w.HTML()
        super().__init__(send, **kwargs)

    def help_text(self) -> str:
        return self.t._(
            "Spread {budget} points over the criteria: more points for what matters more "
            "to you when choosing a programme. 0 is allowed."
        ).format(budget=self.t.number(self.budget, 0))

    def build(self) -> w.Widget:
        t = self.t
        rows = []
        for criterion in self.criteria:
            label = self.label(criterion)
            saved = self.initial.get(f"points:{criterion['key']}")
            field = w.IntText(
                value=saved if isinstance(saved, int) and not isinstance(saved, bool) else 0,
                description=label,
                continuous_update=True,
                style={"description_width": "initial"},
                layout=w.Layout(width="auto", max_width="22em"),
                tooltip=t._("Points for {criterion} (0 to {budget})").format(
                    criterion=label, budget=t.number(self.budget, 0)
                ),
            )
            field.add_class("wb-points-input")
            field.observe(lambda _c: self._update(), "value")
            self.fields[criterion["key"]] = field
            about = self.label_html(criterion, "description")
            rows.append(
                w.VBox([field, w.HTML(f'<div class="wb-muted">{about}</div>')]) if about else field
            )
        self._update()
        return w.VBox([*rows, self.counter])

    def inputs(self) -> list[w.Widget]:
        return list(self.fields.values())

    # -- the live check -----------------------------------------------------------------
    def problem(self) -> str | None:
        """Why the points cannot be saved yet, as a sentence (None: they can)."""
        problems = self._problems()
        return problems[0] if problems else None

    def _problems(self) -> tuple[str, str] | None:
        """Why the points cannot be saved yet: a sentence (under the counter) and the
        same as the reason in "Not saved: {reason}" (None: they can)."""
        t, n = self.t, self.t.number
        labels = {c["key"]: self.label(c) for c in self.criteria}
        negative = [labels[k] for k, f in self.fields.items() if f.value < 0]
        if negative:
            names = ", ".join(negative)
            return (
                t._("Points cannot be negative ({criteria}).").format(criteria=names),
                t._("points cannot be negative ({criteria}).").format(criteria=names),
            )
        total, budget = self.total(), self.budget
        if total < budget:
            fields = {"budget": n(budget, 0), "left": n(budget - total, 0)}
            return (
                t._("Give out all {budget} points to save: {left} left.").format(**fields),
                t._("give out all {budget} points to save: {left} left.").format(**fields),
            )
        if total > budget:
            fields = {"total": n(total, 0), "over": n(total - budget, 0), "budget": n(budget, 0)}
            return (
                t._(
                    "That is {total} points, {over} more than {budget}: take some away to save."
                ).format(**fields),
                t._(
                    "that is {total} points, {over} more than {budget}: take some away to save."
                ).format(**fields),
            )
        return None

    def total(self) -> int:
        """The points given so far."""
        return sum(int(f.value) for f in self.fields.values())

    def _update(self) -> None:
        left = self.budget - self.total()
        problem = self.problem()
        css = "wb-status-ok" if problem is None else "wb-status-error" if left < 0 else "wb-muted"
        t = self.t
        message = t._("All points given: press Save.") if problem is None else problem
        counter = t._("{left} of {budget} points left.").format(
            left=t.number(left, 0), budget=t.number(self.budget, 0)
        )
        self.counter.value = (
            f'<div role="status" aria-live="polite" class="wb-points-left {css}">'
            f"<strong>{escape(counter)}</strong> {escape(message)}</div>"
        )
        if hasattr(self, "save"):
            self.save.disabled = self.readonly or problem is not None

    def submit(self) -> Any:
        """Send (see :class:`FeedbackForm`); Save then stays disabled if the points are off."""
        try:
            return super().submit()
        finally:
            self._update()

    def disable(self) -> None:
        super().disable()
        self._update()

    def payload(self) -> dict[str, Any]:
        problems = self._problems()
        if problems is not None:
            raise ValueError(problems[1])
        return {key: int(field.value) for key, field in self.fields.items()}
