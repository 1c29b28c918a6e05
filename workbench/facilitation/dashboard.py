"""The facilitator dashboard: a live Voilà app on the authenticated JupyterLab server.

It polls a cheap activity fingerprint every :attr:`FacilitatorDashboard.POLL_S` seconds and
recomputes the figures only when something changed. The computing (database reads,
aggregation, opinion groups, plots) runs in a worker thread; widgets are updated on the
kernel's event loop. All participant text is escaped before it is shown. The live tuning
preview is :class:`~workbench.facilitation.tuning_panel.TuningPanel`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as w
from IPython.display import display

from workbench.exceptions import WorkbenchError
from workbench.facilitation.notebook import lab_path_from_dashboard
from workbench.facilitation.summary import WorkshopSummary, figure_html, log_html, summarise
from workbench.facilitation.tuning_panel import TuningPanel
from workbench.participation.moderation import ModerationItem
from workbench.service import Workbench

log = logging.getLogger("workbench.dashboard")


def _html(body: str, css: str = "wb-card") -> w.HTML:
    block = w.HTML(body)
    block.add_class(css)
    return block


def _image() -> w.HTML:
    """A figure slot: an ``<img>`` with its text alternative (see :func:`figure_html`)."""
    return w.HTML(layout=w.Layout(max_width="100%"))


@dataclass
class _Section:
    """A titled dashboard section: a heading, an explanation, figures and text."""

    title: str
    help: str
    body: w.VBox

    def widget(self) -> w.Widget:
        head = _html(f"<h2>{escape(self.title)}</h2><p class='wb-muted'>{escape(self.help)}</p>")
        box = w.VBox([head, self.body])
        box.add_class("wb-card")
        return box


#: Actions that cannot be undone: the button asks first (label of the confirm button, text).
CONFIRM = {
    "close": (
        "Yes, close the workshop",
        "Close the workshop? Participants can no longer answer; what they gave stays as it "
        "is. A closed workshop cannot be reopened.",
    ),
    "next-round": (
        "Yes, start the next round",
        "Start the next round? Participants first see this round's anonymised results and "
        "are asked again only about the items without consensus. This round's answers are "
        "kept and can no longer be changed.",
    ),
}


class FacilitatorDashboard:
    """One workshop's live dashboard (one instance per dashboard page)."""

    POLL_S = 3.0

    def __init__(self, wb: Workbench, workshop_id: int) -> None:
        self.wb = wb
        self.workshop_id = workshop_id
        self._fingerprint: Any = None
        self._moderation_key: Any = None
        #: the round shown; None follows the current round
        self.round_choice: int | None = None
        self._rounds = 0
        self._syncing = False
        self.round_picker = w.ToggleButtons(
            description="Show round:",
            style={"description_width": "initial"},
            layout=w.Layout(display="none"),
        )
        self.round_picker.observe(self._pick_round, names="value")
        self._task: asyncio.Task[None] | None = None
        self.status = w.HTML()
        self.status.add_class("wb-live-status")
        self.header = w.HTML()
        self.controls = w.HBox()
        self.confirm = w.VBox()
        self.downloads = _html(_downloads_html(workshop_id), "wb-downloads")
        self.img = {
            name: _image()
            for name in (
                "participation",
                "ratings",
                "rankings",
                "weights",
                "opinions",
                "statements",
                "sensitivity",
                "stability",
            )
        }
        self.text = {
            name: w.HTML()
            for name in (
                "missing",
                "ratings",
                "consensus",
                "weights",
                "opinions",
                "statements",
                "sensitivity",
                "stability",
                "log",
            )
        }
        self.moderation = w.VBox()
        self.tuning = TuningPanel(wb, workshop_id)
        self.root = w.VBox(
            [
                self.header,
                self.controls,
                self.confirm,
                self.downloads,
                self.round_picker,
                self.status,
                self._section(
                    "Who is taking part",
                    "Registered and active participants per stakeholder group, against the "
                    "expected mix of the workshop.",
                    ["participation"],
                    ["missing"],
                ),
                self._section(
                    "Ratings and consensus",
                    "Median and interquartile range (IQR) per option and criterion. Delphi "
                    "consensus: IQR ≤ 1 (≤ 2 on a 1–9 scale) and at least 70% in the top (or "
                    "bottom) band with fewer than 15% at the other end.",
                    ["ratings"],
                    ["ratings"],
                ),
                self._section(
                    "Approval and ranking",
                    "Share of voters approving each option, Borda points from the rankings "
                    "(rank r of k earns k − r + 1), and Kendall's W for agreement on the order.",
                    ["rankings"],
                    ["consensus"],
                ),
                self._section(
                    "What matters most: criteria weights",
                    "Each participant spreads the workshop's points (e.g. 100) over the "
                    "criteria; a criterion's weight is its mean number of points divided by "
                    "the budget, overall and per stakeholder group.",
                    ["weights"],
                    ["weights"],
                ),
                self._section(
                    "Stability between rounds",
                    "Change in the coefficient of variation of each rating since the previous "
                    "round, and weighted kappa for participants who rated in both.",
                    ["stability"],
                    ["stability"],
                ),
                self._section(
                    "Opinion groups",
                    "Participants placed by their statement votes (PCA), grouped by k-means "
                    "with k chosen by silhouette; each group's representative statements.",
                    ["opinions"],
                    ["opinions"],
                ),
                self._section(
                    "Statements: where the groups agree",
                    "Group-informed consensus: the product over opinion groups of "
                    "(agrees + 1) / (votes + 2). High only when every group agrees.",
                    ["statements"],
                    ["statements"],
                ),
                self._section(
                    "Do the top options hold? Aggregation-method sensitivity",
                    "The rank of each option under Borda, approval, score (mean rating) and "
                    "group-informed consensus on approvals.",
                    ["sensitivity"],
                    ["sensitivity"],
                ),
                self.tuning.widget(),
                _Section(
                    "Moderation",
                    "Approve participants' proposed statements before others can vote on them; "
                    "hide statements or comments that break the workshop's rules. Every action "
                    "and its reason is logged.",
                    w.VBox([self.moderation, self.text["log"]]),
                ).widget(),
            ]
        )
        self.root.add_class("wb-app")

    def _section(self, title: str, help: str, images: list[str], texts: list[str]) -> w.Widget:
        body = w.VBox([*(self.img[i] for i in images), *(self.text[t] for t in texts)])
        return _Section(title, help, body).widget()

    # -- entry point --------------------------------------------------------------------
    @classmethod
    def show(cls, query_string: str | None, wb: Workbench | None = None) -> None:
        """Display the dashboard for ``?workshop=ID`` (a picker without one) and go live."""
        wb = wb or Workbench()
        query = {k: v[-1] for k, v in parse_qs(query_string or "").items()}
        raw = query.get("workshop", "")
        if not (raw.isascii() and raw.isdigit()):
            display(_picker(wb))
            return
        try:
            wb.workshops.get(int(raw))
        except WorkbenchError as exc:
            display(_html(f"<p role='alert' class='wb-status-error'>{escape(str(exc))}</p>"))
            return
        dashboard = cls(wb, int(raw))
        dashboard.status.value = "<p class='wb-muted'>Loading the workshop's figures…</p>"
        display(dashboard.root)
        dashboard.start()  # the first refresh runs after the page has appeared

    def start(self) -> None:
        """Poll for changes on the kernel's event loop."""
        loop = asyncio.get_event_loop()
        self._task = loop.create_task(self._poll())

    async def _poll(self) -> None:
        loop = asyncio.get_running_loop()
        force = True
        while True:
            try:
                summary = await loop.run_in_executor(None, self.collect, force)
                force = False
                if summary is not None:
                    self.render(summary)
            except Exception:  # keep polling; say so on the page
                log.exception("dashboard refresh failed")
                self.status.value = (
                    "<p role='alert' class='wb-status-error'>The last refresh failed; retrying.</p>"
                )
            await asyncio.sleep(self.POLL_S)

    # -- data -----------------------------------------------------------------------------
    def collect(self, force: bool) -> WorkshopSummary | None:
        """Everything the page shows, or None if nothing changed since the last call."""
        fingerprint = self.wb.workshops.activity(self.workshop_id)
        if not force and fingerprint == self._fingerprint:
            return None
        summary = summarise(self.wb, self.workshop_id, round_number=self.round_choice)
        self.tuning.prepare(summary.info, summary.round, fingerprint)  # tunes only on a change
        self._fingerprint = fingerprint
        return summary

    def refresh(self, force: bool = False) -> None:
        """Recompute and redraw now (on the calling thread)."""
        summary = self.collect(force)
        if summary is not None:
            self.render(summary)

    # -- rendering ------------------------------------------------------------------------
    def render(self, s: WorkshopSummary) -> None:
        """Update every widget from a summary."""
        info = s.info
        self.header.value = (
            f"<header class='wb-card'><h1>Facilitator dashboard</h1><h2>{escape(info.title)}</h2>"
            f"<p class='wb-muted'>Workshop {info.id} · {escape(info.state)} · round "
            f"{info.current_round} · case {escape(info.case_slug)} · evidence "
            f"{escape(info.bundle_hash)}</p></header>"
        )
        self._render_controls(info.state)
        self._sync_rounds(info.current_round, s.round)
        now = datetime.now(UTC).strftime("%H:%M:%S UTC")
        shown = (
            ""
            if s.round == info.current_round
            else f" Showing round {s.round} (its answers can no longer change)."
        )
        counts = (
            f"{s.registered} registered, {s.active} active in round {info.current_round}, "
            f"{s.n_feedback} answers in round {s.round}.{shown}"
            if info.current_round >= 1
            else "a draft: participants can join once you open it."
        )
        self.status.value = (
            f"<p class='wb-muted' aria-live='polite'>Live: updated at {now}; {counts}</p>"
        )
        for name, png in s.figures.items():
            self.img[name].value = figure_html(png, s.alt[name])
        for name, html in s.html.items():
            if name in self.text:  # "comments" are shown in the moderation section
                self.text[name].value = html
        self.text["log"].value = "<h3>Moderation log</h3>" + log_html(s.log)
        self.tuning.render()
        key = tuple((i.kind, i.id, i.status) for i in s.queue)
        if key != self._moderation_key:
            self._moderation_key = key
            self.moderation.children = [self._moderation_row(i) for i in s.queue] or [
                _html("<p>Nothing to moderate yet.</p>", "wb-muted")
            ]

    def _render_controls(self, state: str) -> None:
        actions = {"draft": ["open"], "open": ["next-round", "close"], "closed": []}[state]
        labels = {"open": "Open workshop", "next-round": "Start next round", "close": "Close"}
        buttons = []
        for action in actions:
            button = w.Button(description=labels[action], button_style="primary")
            button.on_click(self._ask(action) if action in CONFIRM else self._act(action))
            buttons.append(button)
        refresh = w.Button(description="Refresh now", icon="")
        refresh.on_click(lambda _b: self.refresh(force=True))
        self.controls.children = [*buttons, refresh]

    def _sync_rounds(self, current: int, shown: int) -> None:
        """One toggle per round once there is more than one; the shown one selected."""
        if current < 1 or (current == self._rounds and self.round_picker.value == shown):
            return
        self._rounds = current
        self._syncing = True
        try:
            self.round_picker.options = [
                (f"Round {r}" + (" (current)" if r == current else ""), r)
                for r in range(1, current + 1)
            ]
            self.round_picker.value = shown
        finally:
            self._syncing = False
        self.round_picker.layout.display = "flex" if current > 1 else "none"

    def _pick_round(self, change: dict[str, Any]) -> None:
        if self._syncing or change["new"] is None:
            return
        self.round_choice = None if change["new"] == self._rounds else int(change["new"])
        self.refresh(force=True)

    def _act(self, action: str) -> Callable[[Any], None]:
        return self._then_refresh(lambda: self.wb.workshops.act(self.workshop_id, action))

    def _ask(self, action: str) -> Callable[[Any], None]:
        """A click handler that asks before an action that cannot be undone."""
        label, question = CONFIRM[action]
        act = self._act(action)

        def done(button: Any, confirmed: bool) -> None:
            self.confirm.children = []
            if confirmed:
                act(button)

        def ask(_button: Any) -> None:
            yes = w.Button(description=label, button_style="danger")
            no = w.Button(description="Cancel")
            yes.on_click(lambda b: done(b, True))
            no.on_click(lambda b: done(b, False))
            self.confirm.children = [
                _html(f"<p role='alert'><strong>{escape(question)}</strong></p>", "wb-confirm"),
                w.HBox([yes, no]),
            ]

        return ask

    def _then_refresh(self, change: Callable[[], Any]) -> Callable[[Any], None]:
        """A click handler: make the change, then redraw; a refusal is said on the page."""

        def run(_button: Any) -> None:
            try:
                change()
            except WorkbenchError as exc:
                self.status.value = (
                    f"<p role='alert' class='wb-status-error'>{escape(str(exc))}</p>"
                )
                return
            self.refresh(force=True)

        return run

    def _moderation_row(self, item: ModerationItem) -> w.Widget:
        where = "proposed statement" if item.kind == "statement" else f"comment, round {item.round}"
        if item.kind == "statement" and item.author is None:
            where = "seed statement"
        about = f" on {escape(item.about)}" if item.about and item.about != "general" else ""
        who = escape(item.author or "facilitator")
        text = _html(
            f"<p><strong>{escape(where)}{about}</strong> by {who} · "
            f"<span class='wb-status-{'error' if item.status == 'hidden' else 'ok'}'>"
            f"{escape(item.status)}</span></p><blockquote>{escape(item.text)}</blockquote>",
            "wb-moderation-text",
        )
        reason = w.Text(placeholder="Reason (required to hide)", layout=w.Layout(width="22em"))
        buttons = []
        if item.status != ("approved" if item.kind == "statement" else "visible"):
            approve = w.Button(description="Approve", button_style="success")
            approve.on_click(self._moderate(item, "approve", reason))
            buttons.append(approve)
        if item.status != "hidden":
            hide = w.Button(description="Hide", button_style="danger")
            hide.on_click(self._moderate(item, "hide", reason))
            buttons.append(hide)
        row = w.VBox([text, w.HBox([reason, *buttons])])
        row.add_class("wb-moderation-row")
        return row

    def _moderate(self, item: ModerationItem, action: str, reason: w.Text) -> Callable[[Any], None]:
        return self._then_refresh(
            lambda: self.wb.moderation.moderate(
                self.workshop_id,
                target_kind=item.kind,
                target_id=item.id,
                action=action,
                reason=reason.value,
                actor="facilitator (dashboard)",
            )
        )


def _downloads_html(workshop_id: int) -> str:
    """Links to the workshop's exports and minutes on the lab's REST API (same login)."""
    base = lab_path_from_dashboard(f"workbench/api/workshops/{int(workshop_id)}")
    links = [
        (f"{base}/export?format=xlsx", "Answers (Excel)"),
        (f"{base}/export?format=csv", "Answers (CSV, zip)"),
        (f"{base}/export?format=json", "Answers (JSON)"),
        (f"{base}/minutes", "Minutes (HTML, takes a few seconds)"),
    ]
    items = " · ".join(f"<a href='{escape(url)}' download>{text}</a>" for url, text in links)
    return (
        f"<p><strong>Download:</strong> {items}</p><p class='wb-muted'>Exports name "
        "participants only by pseudonymous id; files are built on request and not kept on "
        "the server.</p>"
    )


def _picker(wb: Workbench) -> w.Widget:
    """Links to every workshop's dashboard (when the URL names none)."""
    rows = "".join(
        f"<li><a href='?workshop={i.id}'>{escape(i.title)}</a> ({escape(i.state)}, round "
        f"{i.current_round})</li>"
        for i in wb.workshops.list()
    )
    return _html(
        "<h1>Facilitator dashboard</h1><p>Choose a workshop:</p>"
        + (f"<ul>{rows}</ul>" if rows else "<p>No workshops yet.</p>")
    )


__all__ = ["FacilitatorDashboard"]
