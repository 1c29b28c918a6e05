"""What matters most: spread a budget of points (100) over the workshop's criteria."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w

from workbench.widgets.base import FeedbackForm


class PointsForm(FeedbackForm):
    """One whole-number input per criterion and a live "N of 100 points left" counter.

    Save stays disabled, with a message saying why, until the points add up to exactly
    the budget with none negative; :meth:`payload` refuses anything else as well (a
    click the page sends anyway).
    """

    kind = "points"
    title = "What matters most?"

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
        self.help = (
            f"Spread {budget} points over the criteria: more points for what matters more "
            "to you when choosing a programme. 0 is allowed."
        )
        self.fields: dict[str, w.IntText] = {}
        self.counter = w.HTML()
        super().__init__(send, **kwargs)

    def build(self) -> w.Widget:
        rows = []
        for criterion in self.criteria:
            saved = self.initial.get(f"points:{criterion['key']}")
            field = w.IntText(
                value=saved if isinstance(saved, int) and not isinstance(saved, bool) else 0,
                description=criterion["label"],
                continuous_update=True,
                style={"description_width": "initial"},
                layout=w.Layout(width="auto", max_width="22em"),
                tooltip=f"Points for {criterion['label']} (0 to {self.budget})",
            )
            field.add_class("wb-points-input")
            field.observe(lambda _c: self._update(), "value")
            self.fields[criterion["key"]] = field
            about = criterion.get("description", "")
            rows.append(
                w.VBox([field, w.HTML(f'<div class="wb-muted">{escape(about)}</div>')])
                if about
                else field
            )
        self._update()
        return w.VBox([*rows, self.counter])

    def inputs(self) -> list[w.Widget]:
        return list(self.fields.values())

    # -- the live check -----------------------------------------------------------------
    def problem(self) -> str | None:
        """Why the points cannot be saved yet (None: they can)."""
        labels = {c["key"]: c["label"] for c in self.criteria}
        negative = [labels[k] for k, f in self.fields.items() if f.value < 0]
        if negative:
            return f"Points cannot be negative ({', '.join(negative)})."
        total = self.total()
        if total < self.budget:
            return f"Give out all {self.budget} points to save: {self.budget - total} left."
        if total > self.budget:
            return (
                f"That is {total} points, {total - self.budget} more than {self.budget}: "
                "take some away to save."
            )
        return None

    def total(self) -> int:
        """The points given so far."""
        return sum(int(f.value) for f in self.fields.values())

    def _update(self) -> None:
        left = self.budget - self.total()
        problem = self.problem()
        css = "wb-status-ok" if problem is None else "wb-status-error" if left < 0 else "wb-muted"
        message = "All points given: press Save." if problem is None else problem
        self.counter.value = (
            f'<div role="status" aria-live="polite" class="wb-points-left {css}">'
            f"<strong>{left} of {self.budget} points left.</strong> {escape(message)}</div>"
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
        problem = self.problem()
        if problem is not None:
            raise ValueError(problem[0].lower() + problem[1:])
        return {key: int(field.value) for key, field in self.fields.items()}
