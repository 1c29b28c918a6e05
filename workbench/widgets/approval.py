"""Approve options (tick all you could accept) and rank them (best first)."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from workbench.i18n import N_
from workbench.widgets.base import FeedbackForm


class ApprovalForm(FeedbackForm):
    """A checkbox per option."""

    kind = "approval"
    title = N_("Which options could you support?")
    help = N_("Tick every option you could accept in your region.")

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
        self.boxes: dict[str, w.Checkbox] = {}
        super().__init__(send, **kwargs)

    def build(self) -> w.Widget:
        for option in self.options:
            self.boxes[option["key"]] = w.Checkbox(
                value=bool(self.initial.get(f"approval:{option['key']}", False)),
                description=self.label(option),
                indent=False,
            )
        return w.VBox(list(self.boxes.values()))

    def inputs(self) -> list[w.Widget]:
        return list(self.boxes.values())

    def payload(self) -> dict[str, Any]:
        return {"approved": [key for key, box in self.boxes.items() if box.value]}


class RankingForm(FeedbackForm):
    """Order the options with 'move up' / 'move down' buttons (keyboard friendly)."""

    kind = "ranking"
    title = N_("Rank the options")
    help = N_("Put the option you would fund first at the top.")

    def __init__(
        self,
        send: Any,
        *,
        options: list[dict[str, str]],
        initial: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.options = options
        keys = [o["key"] for o in options]
        saved = (initial or {}).get("ranking")
        self.order: list[str] = (
            list(saved) if isinstance(saved, list) and sorted(saved) == sorted(keys) else keys
        )
        self.rows = w.VBox()
        self._buttons: list[w.Button] = []
        super().__init__(send, **kwargs)

    def build(self) -> w.Widget:
        self.labels = {o["key"]: self.label(o) for o in self.options}
        self._labels: list[w.Label] = []
        rows = []
        for index in range(len(self.order)):
            up = w.Button(icon="arrow-up", layout=w.Layout(width="auto", min_width="48px"))
            down = w.Button(icon="arrow-down", layout=w.Layout(width="auto", min_width="48px"))
            up.on_click(lambda _b, i=index: self.move(i, -1))
            down.on_click(lambda _b, i=index: self.move(i, +1))
            label = w.Label()
            self._labels.append(label)
            self._buttons += [up, down]
            rows.append(w.HBox([label, up, down]))
        self.rows.children = rows
        self._render()
        return self.rows

    def _render(self) -> None:
        """Show the current order in the fixed rows (no new widgets: a flood of clicks
        from a page cannot pile up widgets in the kernel)."""
        last = len(self.order) - 1
        readonly = getattr(self, "readonly", False)
        for index, key in enumerate(self.order):
            label = self.labels[key]
            self._labels[index].value = f"{index + 1}. {label}"
            up, down = self._buttons[2 * index], self._buttons[2 * index + 1]
            up.tooltip = self.t._("Move {option} up").format(option=label)
            down.tooltip = self.t._("Move {option} down").format(option=label)
            up.disabled = readonly or index == 0
            down.disabled = readonly or index == last

    def move(self, index: int, step: int) -> None:
        """Swap the option at ``index`` with its neighbour."""
        target = index + step
        if 0 <= target < len(self.order) and not getattr(self, "readonly", False):
            self.order[index], self.order[target] = self.order[target], self.order[index]
            self._render()

    def inputs(self) -> list[w.Widget]:
        return self._buttons

    def payload(self) -> dict[str, Any]:
        return {"order": list(self.order)}
