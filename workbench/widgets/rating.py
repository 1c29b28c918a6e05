"""Rate each option on each criterion (1–5 or 1–9)."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w

from workbench.widgets.base import FeedbackForm


class RatingGrid(FeedbackForm):
    """One row of scale buttons per option × criterion; unrated cells are allowed."""

    kind = "rating"
    title = "Rate the options"

    def __init__(
        self,
        send: Any,
        *,
        options: list[dict[str, str]],
        criteria: list[dict[str, str]],
        scale: int,
        initial: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.options, self.criteria, self.scale = options, criteria, scale
        self.initial = initial or {}
        self.help = (
            f"1 = very poor, {scale} = excellent. Leave a line empty if you cannot judge it."
        )
        self.cells: dict[tuple[str, str], w.ToggleButtons] = {}
        super().__init__(send, **kwargs)

    def build(self) -> w.Widget:
        blocks = []
        labels = [str(i) for i in range(1, self.scale + 1)]
        for option in self.options:
            rows = [
                w.HTML(
                    f"<h4>{escape(option['label'])}</h4>"
                    + (f'<p class="wb-muted">{escape(option.get("description", ""))}</p>')
                )
            ]
            for criterion in self.criteria:
                current = self.initial.get(f"rating:{option['key']}:{criterion['key']}")
                toggle = w.ToggleButtons(
                    options=labels,
                    value=str(current) if current else None,
                    tooltips=[f"{criterion['label']}: {v} of {self.scale}" for v in labels],
                    style={"button_width": "3.5em"},
                )
                self.cells[(option["key"], criterion["key"])] = toggle
                label = w.HTML(
                    f"<strong>{escape(criterion['label'])}</strong>"
                    f'<div class="wb-muted">{escape(criterion.get("description", ""))}</div>'
                )
                rows.append(w.VBox([label, toggle]))
            blocks.append(w.VBox(rows))
        return w.VBox(blocks)

    def inputs(self) -> list[w.Widget]:
        return list(self.cells.values())

    def payload(self) -> dict[str, Any]:
        ratings: dict[str, dict[str, int]] = {}
        for (option, criterion), toggle in self.cells.items():
            if toggle.value is not None:
                ratings.setdefault(option, {})[criterion] = int(toggle.value)
        if not ratings:
            raise ValueError("rate at least one option before saving")
        return {"ratings": ratings}
