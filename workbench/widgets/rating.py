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
        reask: list[str] | None = None,
        previous: dict[str, Any] | None = None,
        previous_round: int | None = None,
        **kwargs: Any,
    ) -> None:
        """``reask`` limits the cells to these "option:criterion" items (Delphi rounds);
        ``previous`` holds round ``previous_round``'s results per item, shown by each cell."""
        self.options, self.criteria, self.scale = options, criteria, scale
        self.initial = initial or {}
        self.reask = None if reask is None else set(reask)
        self.previous = previous or {}
        self.previous_round = previous_round
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
                item = f"{option['key']}:{criterion['key']}"
                before = _previous_line(self.previous.get(item), self.previous_round)
                label = w.HTML(
                    f"<strong>{escape(criterion['label'])}</strong>"
                    f'<div class="wb-muted">{escape(criterion.get("description", ""))}</div>'
                    + before
                )
                if self.reask is not None and item not in self.reask:
                    settled = w.HTML(
                        '<p class="wb-status-ok">The group agreed on this in the last round; '
                        "it is not asked again.</p>"
                    )
                    rows.append(w.VBox([label, settled]))
                    continue
                current = self.initial.get(f"rating:{option['key']}:{criterion['key']}")
                toggle = w.ToggleButtons(
                    options=labels,
                    value=str(current) if current else None,
                    tooltips=[f"{criterion['label']}: {v} of {self.scale}" for v in labels],
                    style={"button_width": "3.5em"},
                )
                self.cells[(option["key"], criterion["key"])] = toggle
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


def _previous_line(stat: dict[str, Any] | None, number: object) -> str:
    """ "Round 1: median 4, middle half 3–5, 6 ratings" (empty without a previous round)."""
    if not stat or not stat.get("n"):
        return ""
    return (
        f'<div class="wb-previous">Round {escape(str(number))}: median '
        f"<strong>{stat['median']:g}</strong>, middle half {stat['q1']:g}–{stat['q3']:g} "
        f"({stat['n']} ratings)</div>"
    )
