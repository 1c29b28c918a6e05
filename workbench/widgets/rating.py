"""Rate each option on each criterion (1–5 or 1–9)."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w

from workbench.i18n import ENGLISH, N_, Translator
from workbench.widgets.base import FeedbackForm


class RatingGrid(FeedbackForm):
    """One row of scale buttons per option × criterion; unrated cells are allowed."""

    kind = "rating"
    title = N_("Rate the options")

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
        self.cells: dict[tuple[str, str], w.ToggleButtons] = {}
        super().__init__(send, **kwargs)

    def help_text(self) -> str:
        return self.t._(
            "1 = very poor, {scale} = excellent. Leave a line empty if you cannot judge it."
        ).format(scale=self.scale)

    def build(self) -> w.Widget:
        t = self.t
        blocks = []
        labels = [str(i) for i in range(1, self.scale + 1)]
        settled_text = t._("The group agreed on this in the last round; it is not asked again.")
        for option in self.options:
            rows = [
                w.HTML(
                    f"<h4>{self.label_html(option)}</h4>"
                    f'<p class="wb-muted">{self.label_html(option, "description")}</p>'
                )
            ]
            for criterion in self.criteria:
                item = f"{option['key']}:{criterion['key']}"
                before = _previous_line(self.previous.get(item), self.previous_round, t)
                label = w.HTML(
                    f"<strong>{self.label_html(criterion)}</strong>"
                    f'<div class="wb-muted">{self.label_html(criterion, "description")}</div>'
                    + before
                )
                if self.reask is not None and item not in self.reask:
                    settled = w.HTML(f'<p class="wb-status-ok">{escape(settled_text)}</p>')
                    rows.append(w.VBox([label, settled]))
                    continue
                current = self.initial.get(f"rating:{option['key']}:{criterion['key']}")
                toggle = w.ToggleButtons(
                    options=labels,
                    value=str(current) if current else None,
                    tooltips=[
                        t._("{criterion}: {value} of {scale}").format(
                            criterion=self.label(criterion), value=v, scale=self.scale
                        )
                        for v in labels
                    ],
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
            raise ValueError(self.t._("rate at least one option before saving"))
        return {"ratings": ratings}


def _short(value: float, t: Translator) -> str:
    """A median or quartile as short as it is (``4``, ``3.5``, ``3.25``), in ``t``'s format."""
    for digits in range(3):
        if round(value, digits) == value:
            return t.number(value, digits)
    return t.number(value, 2)


def _previous_line(stat: dict[str, Any] | None, number: object, t: Translator = ENGLISH) -> str:
    """ "Round 1: median 4, middle half 3–5 (6 ratings)" (empty without a previous round)."""
    if not stat or not stat.get("n"):
        return ""
    n = int(stat["n"])
    text = t.ngettext(
        "Round {number}: median {median}, middle half {q1}–{q3} ({n} rating)",
        "Round {number}: median {median}, middle half {q1}–{q3} ({n} ratings)",
        n,
    )
    # the message is escaped first; the values (escaped) and the markup go in after
    line = escape(text).format(
        number=escape(str(number)),
        median=f"<strong>{escape(_short(float(stat['median']), t))}</strong>",
        q1=escape(_short(float(stat["q1"]), t)),
        q3=escape(_short(float(stat["q3"]), t)),
        n=escape(t.number(n, 0)),
    )
    return f'<div class="wb-previous">{line}</div>'
