"""The facilitator dashboard: a live Voilà app on the authenticated JupyterLab server.

It polls a cheap activity fingerprint every :attr:`FacilitatorDashboard.POLL_S` seconds and
recomputes the figures only when something changed. The computing (database reads,
aggregation, opinion groups, plots) runs in a worker thread; widgets are updated on the
kernel's event loop. All participant text is escaped before it is shown. The live tuning
preview is :class:`~workbench.facilitation.tuning_panel.TuningPanel`. Everything is in the
workshop's default language; the page around it stays English, so when that language is
not English each block of content sits in a container with its ``lang`` (:func:`in_language`).
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
from workbench.facilitation.summary import (
    WorkshopSummary,
    figure_html,
    language_of,
    log_html,
    summarise,
    text_html,
)
from workbench.facilitation.tuning_panel import TuningPanel, in_language
from workbench.i18n import ENGLISH, N_, Translator, error_text, translator
from workbench.participation.moderation import ModerationItem
from workbench.service import Workbench

log = logging.getLogger("workbench.dashboard")


def _html(body: str, css: str = "wb-card", t: Translator = ENGLISH) -> w.HTML:
    block = w.HTML(in_language(body, t))
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
    t: Translator = ENGLISH

    def widget(self) -> w.Widget:
        """The section's card: heading and explanation (translated), then the body."""
        title, help = escape(self.t._(self.title)), escape(self.t._(self.help))
        head = _html(f"<h2>{title}</h2><p class='wb-muted'>{help}</p>", t=self.t)
        box = w.VBox([head, self.body])
        box.add_class("wb-card")
        return box


#: Actions that cannot be undone: the button asks first (label of the confirm button, text).
CONFIRM = {
    "close": (
        N_("Yes, close the workshop"),
        N_(
            "Close the workshop? Participants can no longer answer; what they gave stays as it "
            "is. A closed workshop cannot be reopened."
        ),
    ),
    "next-round": (
        N_("Yes, start the next round"),
        N_(
            "Start the next round? Participants first see this round's anonymised results and "
            "are asked again only about the items without consensus. This round's answers are "
            "kept and can no longer be changed."
        ),
    ),
}
#: the buttons of the workshop's actions
ACTIONS = {"open": N_("Open workshop"), "next-round": N_("Start next round"), "close": N_("Close")}


class FacilitatorDashboard:
    """One workshop's live dashboard (one instance per dashboard page)."""

    POLL_S = 3.0

    def __init__(self, wb: Workbench, workshop_id: int, t: Translator | None = None) -> None:
        self.wb = wb
        self.workshop_id = workshop_id
        #: the dashboard's language: the workshop's default language
        self.t = t or translator(wb.workshops.get(workshop_id).language)
        self._fingerprint: Any = None
        self._moderation_key: Any = None
        #: the round shown; None follows the current round
        self.round_choice: int | None = None
        self._rounds = 0
        self._syncing = False
        self.round_picker = w.ToggleButtons(
            description=self.t._("Show round:"),
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
        self.downloads = _html(_downloads_html(workshop_id, self.t), "wb-downloads", self.t)
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
        self.tuning = TuningPanel(wb, workshop_id, t=self.t)
        self.root = w.VBox(
            [
                self.header,
                self.controls,
                self.confirm,
                self.downloads,
                self.round_picker,
                self.status,
                self._section(
                    N_("Who is taking part"),
                    N_(
                        "Registered and active participants per stakeholder group, against the "
                        "expected mix of the workshop."
                    ),
                    ["participation"],
                    ["missing"],
                ),
                self._section(
                    N_("Ratings and consensus"),
                    N_(
                        "Median and interquartile range (IQR) per option and criterion. Delphi "
                        "consensus: IQR ≤ 1 (≤ 2 on a 1–9 scale) and at least 70% in the top (or "
                        "bottom) band with fewer than 15% at the other end."
                    ),
                    ["ratings"],
                    ["ratings"],
                ),
                self._section(
                    N_("Approval and ranking"),
                    N_(
                        "Share of voters approving each option, Borda points from the rankings "
                        "(rank r of k earns k − r + 1), and Kendall's W for agreement on the order."
                    ),
                    ["rankings"],
                    ["consensus"],
                ),
                self._section(
                    N_("What matters most: criteria weights"),
                    N_(
                        "Each participant spreads the workshop's points (e.g. 100) over the "
                        "criteria; a criterion's weight is its mean number of points divided by "
                        "the budget, overall and per stakeholder group."
                    ),
                    ["weights"],
                    ["weights"],
                ),
                self._section(
                    N_("Stability between rounds"),
                    N_(
                        "Change in the coefficient of variation of each rating since the previous "
                        "round, and weighted kappa for participants who rated in both."
                    ),
                    ["stability"],
                    ["stability"],
                ),
                self._section(
                    N_("Opinion groups"),
                    N_(
                        "Participants placed by their statement votes (PCA), grouped by k-means "
                        "with k chosen by silhouette; each group's representative statements."
                    ),
                    ["opinions"],
                    ["opinions"],
                ),
                self._section(
                    N_("Statements: where the groups agree"),
                    N_(
                        "Group-informed consensus: the product over opinion groups of "
                        "(agrees + 1) / (votes + 2). High only when every group agrees."
                    ),
                    ["statements"],
                    ["statements"],
                ),
                self._section(
                    N_("Do the top options hold? Aggregation-method sensitivity"),
                    N_(
                        "The rank of each option under Borda, approval, score (mean rating) and "
                        "group-informed consensus on approvals."
                    ),
                    ["sensitivity"],
                    ["sensitivity"],
                ),
                self.tuning.widget(),
                _Section(
                    N_("Moderation"),
                    N_(
                        "Approve participants' proposed statements before others can vote on them; "
                        "hide statements or comments that break the workshop's rules. Every action "
                        "and its reason is logged."
                    ),
                    w.VBox([self.moderation, self.text["log"]]),
                    self.t,
                ).widget(),
            ]
        )
        self.root.add_class("wb-app")

    def _section(self, title: str, help: str, images: list[str], texts: list[str]) -> w.Widget:
        body = w.VBox([*(self.img[i] for i in images), *(self.text[t] for t in texts)])
        return _Section(title, help, body, self.t).widget()

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
            info = wb.workshops.get(int(raw))
        except WorkbenchError as exc:
            message = escape(error_text(exc, ENGLISH))
            display(_html(f"<p role='alert' class='wb-status-error'>{message}</p>"))
            return
        dashboard = cls(wb, int(raw), translator(info.language))
        loading = escape(dashboard.t._("Loading the workshop's figures…"), quote=False)
        dashboard.status.value = dashboard.wrap(f"<p class='wb-muted'>{loading}</p>")
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
                failed = escape(self.t._("The last refresh failed; retrying."))
                self.status.value = self.wrap(
                    f"<p role='alert' class='wb-status-error'>{failed}</p>"
                )
            await asyncio.sleep(self.POLL_S)

    # -- data -----------------------------------------------------------------------------
    def collect(self, force: bool) -> WorkshopSummary | None:
        """Everything the page shows, or None if nothing changed since the last call."""
        fingerprint = self.wb.workshops.activity(self.workshop_id)
        if not force and fingerprint == self._fingerprint:
            return None
        summary = summarise(self.wb, self.workshop_id, round_number=self.round_choice, t=self.t)
        self.tuning.prepare(summary.info, summary.round, fingerprint)  # tunes only on a change
        self._fingerprint = fingerprint
        return summary

    def refresh(self, force: bool = False) -> None:
        """Recompute and redraw now (on the calling thread)."""
        summary = self.collect(force)
        if summary is not None:
            self.render(summary)

    # -- rendering ------------------------------------------------------------------------
    def wrap(self, html: str) -> str:
        """``html`` marked with the dashboard's language when it is not the page's (English)."""
        return in_language(html, self.t)

    def render(self, s: WorkshopSummary) -> None:
        """Update every widget from a summary."""
        info, t = s.info, self.t
        facts = t._(
            "Workshop {id} · {state} · round {round} · case {case} · evidence {evidence}"
        ).format(
            id=info.id,
            state=t._(STATES.get(info.state, info.state)),
            round=info.current_round,
            case=info.case_slug,
            evidence=info.bundle_hash,
        )
        self.header.value = self.wrap(
            f"<header class='wb-card'><h1>{_h(t._('Facilitator dashboard'))}</h1>"
            f"<h2>{escape(info.title)}</h2><p class='wb-muted'>{escape(facts)}</p></header>"
        )
        self._render_controls(info.state)
        self._sync_rounds(info.current_round, s.round)
        now = t.datetime(datetime.now(UTC))
        shown = (
            ""
            if s.round == info.current_round
            else " "
            + t._("Showing round {round} (its answers can no longer change).").format(round=s.round)
        )
        counts = (
            t._(
                "{registered} registered, {active} active in round {current}, {answers} answers "
                "in round {round}."
            ).format(
                registered=s.registered,
                active=s.active,
                current=info.current_round,
                answers=s.n_feedback,
                round=s.round,
            )
            + shown
            if info.current_round >= 1
            else t._("a draft: participants can join once you open it.")
        )
        live = t._("Live: updated at {time}; {counts}").format(time=now, counts=counts)
        self.status.value = self.wrap(f"<p class='wb-muted' aria-live='polite'>{_h(live)}</p>")
        for name, png in s.figures.items():
            self.img[name].value = self.wrap(figure_html(png, s.alt[name]))
        for name, html in s.html.items():
            if name in self.text:  # "comments" are shown in the moderation section
                self.text[name].value = self.wrap(html)
        self.text["log"].value = self.wrap(
            f"<h3>{_h(t._('Moderation log'))}</h3>" + log_html(s.log, t)
        )
        self.tuning.render()
        key = tuple((i.kind, i.id, i.status) for i in s.queue)
        if key != self._moderation_key:
            self._moderation_key = key
            nothing = f"<p>{_h(t._('Nothing to moderate yet.'))}</p>"
            self.moderation.children = [self._moderation_row(i) for i in s.queue] or [
                _html(nothing, "wb-muted", t)
            ]

    def _render_controls(self, state: str) -> None:
        actions = {"draft": ["open"], "open": ["next-round", "close"], "closed": []}[state]
        buttons = []
        for action in actions:
            button = w.Button(description=self.t._(ACTIONS[action]), button_style="primary")
            button.on_click(self._ask(action) if action in CONFIRM else self._act(action))
            buttons.append(button)
        refresh = w.Button(description=self.t._("Refresh now"), icon="")
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
                (
                    (
                        self.t._("Round {number} (current)")
                        if r == current
                        else self.t._("Round {number}")
                    ).format(number=r),
                    r,
                )
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
        label, question = (self.t._(text) for text in CONFIRM[action])
        act = self._act(action)

        def done(button: Any, confirmed: bool) -> None:
            self.confirm.children = []
            if confirmed:
                act(button)

        def ask(_button: Any) -> None:
            yes = w.Button(description=label, button_style="danger")
            no = w.Button(description=self.t._("Cancel"))
            yes.on_click(lambda b: done(b, True))
            no.on_click(lambda b: done(b, False))
            self.confirm.children = [
                _html(
                    f"<p role='alert'><strong>{escape(question)}</strong></p>", "wb-confirm", self.t
                ),
                w.HBox([yes, no]),
            ]

        return ask

    def _then_refresh(self, change: Callable[[], Any]) -> Callable[[Any], None]:
        """A click handler: make the change, then redraw; a refusal is said on the page."""

        def run(_button: Any) -> None:
            try:
                change()
            except WorkbenchError as exc:
                message = escape(error_text(exc, self.t))
                self.status.value = self.wrap(
                    f"<p role='alert' class='wb-status-error'>{message}</p>"
                )
                return
            self.refresh(force=True)

        return run

    def _moderation_row(self, item: ModerationItem) -> w.Widget:
        t = self.t
        about = item.about if item.about and item.about != "general" else ""
        if item.kind == "statement":
            where = t._("seed statement") if item.author is None else t._("proposed statement")
            if about:
                where = t._("{what} on {about}").format(what=where, about=about)
        elif about:
            where = t._("comment, round {round} on {about}").format(round=item.round, about=about)
        else:
            where = t._("comment, round {round}").format(round=item.round)
        who = escape(item.author or t._("facilitator"))
        status = escape(t._(MODERATION_STATUS.get(item.status, item.status)))
        by = _h(t._("{what} by {who}")).format(what=f"<strong>{escape(where)}</strong>", who=who)
        text = _html(
            f"<p>{by} · "
            f"<span class='wb-status-{'error' if item.status == 'hidden' else 'ok'}'>"
            f"{status}</span></p><blockquote>"
            f"{text_html(item.text, language_of(item), t)}</blockquote>",
            "wb-moderation-text",
            t,
        )
        reason = w.Text(placeholder=t._("Reason (required to hide)"), layout=w.Layout(width="22em"))
        buttons = []
        if item.status != ("approved" if item.kind == "statement" else "visible"):
            approve = w.Button(description=t._("Approve"), button_style="success")
            approve.on_click(self._moderate(item, "approve", reason))
            buttons.append(approve)
        if item.status != "hidden":
            hide = w.Button(description=t._("Hide"), button_style="danger")
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


#: a workshop's states and a moderated item's status, as people read them
STATES = {"draft": N_("draft"), "open": N_("open"), "closed": N_("closed")}
MODERATION_STATUS = {
    "pending": N_("pending"),
    "approved": N_("approved"),
    "visible": N_("visible"),
    "hidden": N_("hidden"),
}


def _h(text: str) -> str:
    return escape(text, quote=False)


def _downloads_html(workshop_id: int, t: Translator = ENGLISH) -> str:
    """Links to the workshop's exports and minutes on the lab's REST API (same login)."""
    base = lab_path_from_dashboard(f"workbench/api/workshops/{int(workshop_id)}")
    links = [
        (f"{base}/export?format=xlsx", t._("Answers (Excel)")),
        (f"{base}/export?format=csv", t._("Answers (CSV, zip)")),
        (f"{base}/export?format=json", t._("Answers (JSON)")),
        (f"{base}/minutes", t._("Minutes (HTML, takes a few seconds)")),
    ]
    items = " · ".join(f"<a href='{escape(url)}' download>{_h(text)}</a>" for url, text in links)
    note = t._(
        "Exports name participants only by pseudonymous id; files are built on request and "
        "not kept on the server."
    )
    return (
        f"<p><strong>{_h(t._('Download:'))}</strong> {items}</p><p class='wb-muted'>{_h(note)}</p>"
    )


def _picker(wb: Workbench, t: Translator = ENGLISH) -> w.Widget:
    """Links to every workshop's dashboard (when the URL names none)."""
    rows = "".join(
        f"<li><a href='?workshop={i.id}'>{escape(i.title)}</a> ("
        + escape(
            t._("{state}, round {round}").format(
                state=t._(STATES.get(i.state, i.state)), round=i.current_round
            )
        )
        + ")</li>"
        for i in wb.workshops.list()
    )
    head = f"<h1>{_h(t._('Facilitator dashboard'))}</h1><p>{_h(t._('Choose a workshop:'))}</p>"
    none = f"<p>{_h(t._('No workshops yet.'))}</p>"
    return _html(head + (f"<ul>{rows}</ul>" if rows else none), t=t)


__all__ = ["FacilitatorDashboard"]
