"""A simulated participant that answers, over the page's kernel websocket, as a browser does.

:class:`Page` is a :class:`_mirror.WidgetMirror` (the page's widgets mirrored over the
kernel websocket, values set and buttons clicked as the browser's widget manager does)
with the workshop's forms on top.

The kernel handles shell messages in order and publishes ``status: idle`` (with the
message as parent) once the handler has returned, so after the idle of a Save click the
mirror holds the form's StatusLine as the handler left it: "Saved at …" means the
submission was committed (acknowledged); an error status means it was refused.

Widgets are found by model name and content, never by fixed positions: a form by the
``<h3>`` title of its header (the form classes' ``title``), its Save button and status
line inside that form's box, the registration inputs by their descriptions. The newest
match wins, so a page that re-renders its feedback section in place is followed.
The points form keeps Save disabled until the points add up; :meth:`Page.allocate` does
not click it then (a browser cannot) and says why.

:func:`expected_payload` computes from the mirror the payload the kernel will send for a
form, so a caller can check the database against what the page showed.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from _mirror import ConnectionLost, WidgetMirror
from _wsclient import Result
from tornado.httpclient import AsyncHTTPClient

from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.widgets.approval import ApprovalForm, RankingForm
from workbench.widgets.comment import CommentForm
from workbench.widgets.points import PointsForm
from workbench.widgets.rating import RatingGrid
from workbench.widgets.statements import CHOICES, ProposeStatement, StatementVotes

#: Form title (its ``<h3>``) per submission kind.
TITLES = {
    "rating": RatingGrid.title,
    "approval": ApprovalForm.title,
    "ranking": RankingForm.title,
    "vote": StatementVotes.title,
    "proposal": ProposeStatement.title,
    "comment": CommentForm.title,
    "points": PointsForm.title,
}
GENERAL_LABEL = "The proposal as a whole"
SAVED = "Saved at "
_TAG = re.compile(r"<[^>]+>")
Status = Literal["acknowledged", "refused", "waiting", "lost"]


@dataclass(frozen=True)
class Catalog:
    """What the workshop asks: keys and labels as the page shows them."""

    options: list[tuple[str, str]]  # (key, label)
    criteria: list[tuple[str, str]]  # (key, label)
    statements: list[tuple[int, str]]  # (id, text)
    scale: int

    @classmethod
    def from_info(cls, info: Any, statements: Iterable[dict[str, Any]]) -> Catalog:
        """From a WorkshopInfo and ``FeedbackService.statements`` rows."""
        return cls(
            options=[(o["key"], o["label"]) for o in info.options],
            criteria=[(c["key"], c["label"]) for c in info.criteria],
            statements=[(int(s["id"]), s["text"]) for s in statements],
            scale=int(info.scale),
        )


@dataclass
class Submission:
    """One Save click and what the page showed afterwards."""

    kind: str
    payload: dict[str, Any]  # what the kernel sends, computed from the page's state
    status: Status = "lost"
    message: str = ""
    sent: bool = False  # the click left for the kernel
    sent_at: float = 0.0  # perf_counter at the click
    seconds: float | None = None  # click -> outcome shown


def text_of(markup: str) -> str:
    """The visible text of a widget's HTML value."""
    return html.unescape(_TAG.sub("", markup)).strip()


@dataclass
class Form:
    """One feedback form on the page (model ids)."""

    box: str
    body: str
    save: str
    status: str


class Page(WidgetMirror):
    """A participant's open page: the mirror of its widgets and the workshop's actions."""

    def __init__(
        self,
        url: str,
        http: AsyncHTTPClient,
        timeout: float = 120.0,
        catalog: Catalog | None = None,
    ) -> None:
        super().__init__(url, http, timeout)
        self.catalog = catalog
        self.submissions: list[Submission] = []

    def form(self, kind: str) -> Form:
        """The newest form of a submission kind, found by its ``<h3>`` title."""
        heading = f"<h3>{html.escape(TITLES[kind])}</h3>"
        for header in reversed(self.find_html(heading)):
            box = self.parent(header)
            if box is None:
                continue
            inside = self.children(box)
            saves = [
                m
                for m in self.descendants(box)
                if self.name(m) == "ButtonModel" and self.state(m).get("description") == "Save"
            ]
            statuses = [m for m in inside if self.name(m) == "HTMLModel" and m != header]
            bodies = [
                m
                for m in inside
                if m not in (header, *statuses) and m != self.parent(saves[0] if saves else "")
            ]
            if saves and statuses and bodies:
                return Form(box=box, body=bodies[0], save=saves[0], status=statuses[-1])
        titles = [
            re.findall(r"<h3>(.*?)</h3>", str(self.state(m).get("value", "")))
            for m in self.find_html("<h3>")
        ]
        raise LookupError(
            f"no {kind!r} form on the page (headings: {titles}; "
            f"{len(self.find_html(heading))} with its title; {len(self.models)} widgets, "
            f"{self.comm_closes} closed; websocket closed: {self.closed})"
        )

    def has_form(self, kind: str) -> bool:
        """True if the page shows the form of ``kind``."""
        try:
            self.form(kind)
        except LookupError:
            return False
        return True

    def status_text(self, kind: str) -> str:
        """The visible text of a form's status line."""
        return text_of(str(self.state(self.form(kind).status).get("value", "")))

    def texts(self) -> list[str]:
        """Visible text of every HTML widget, oldest first (for messages on the page)."""
        return [
            text_of(str(self.state(m).get("value", "")))
            for m in self.created
            if m in self.models and self.name(m) == "HTMLModel"
        ]

    # -- registration -------------------------------------------------------------------
    async def join(self, name: str, group: str, consent: bool = True) -> str:
        """Fill in the registration form and click "Join the workshop".

        ``group`` is a stakeholder group key; returns "" once the feedback forms are shown,
        else the registration form's status text."""
        (text,) = self.find("TextModel", description="Your name")[-1:]
        (dropdown,) = self.find("DropdownModel", description="You represent")[-1:]
        (box,) = self.find("CheckboxModel", description="I agree")[-1:]
        (button,) = self.find("ButtonModel", description="Join the workshop")[-1:]
        labels = self.state(dropdown)["_options_labels"]
        await self.update(text, value=name, wait=False)
        await self.update(dropdown, index=labels.index(STAKEHOLDER_GROUPS[group]), wait=False)
        await self.update(box, value=consent, wait=False)
        await self.click(button)
        if self.has_form("rating"):
            return ""
        status = self.parent(button)
        lines = [
            text_of(str(self.state(m).get("value", "")))
            for m in self.children(status or "")
            if self.name(m) == "HTMLModel"
        ]
        return lines[-1] if lines else "no feedback forms after joining"

    # -- answering ----------------------------------------------------------------------
    def _labels(self) -> tuple[dict[str, str], dict[str, str]]:
        assert self.catalog is not None, "a Page needs a Catalog to answer"
        return dict(self.catalog.options), dict(self.catalog.criteria)

    def rating_cells(self) -> dict[tuple[str, str], str]:
        """ToggleButtons ids of the rating grid by (option key, criterion key)."""
        options, criteria = self._labels()
        by_option = {f"<h4>{html.escape(label)}</h4>": key for key, label in options.items()}
        by_criterion = {
            f"<strong>{html.escape(label)}</strong>": key for key, label in criteria.items()
        }
        cells: dict[tuple[str, str], str] = {}
        for block in self.children(self.form("rating").body):
            option = None
            for row in self.children(block):
                if self.name(row) == "HTMLModel":
                    value = str(self.state(row).get("value", ""))
                    option = next((k for h, k in by_option.items() if h in value), option)
                    continue
                parts = self.children(row)
                toggles = [m for m in parts if self.name(m) == "ToggleButtonsModel"]
                label = " ".join(
                    str(self.state(m).get("value", ""))
                    for m in parts
                    if self.name(m) == "HTMLModel"
                )
                criterion = next((k for h, k in by_criterion.items() if h in label), None)
                if option and criterion and toggles:
                    cells[(option, criterion)] = toggles[0]
        return cells

    async def rate(self, ratings: dict[tuple[str, str], int]) -> None:
        """Pick ratings (1..scale) in the grid."""
        cells = self.rating_cells()
        for cell, value in ratings.items():
            await self.update(cells[cell], index=value - 1, wait=False)

    def approval_boxes(self) -> dict[str, str]:
        """Checkbox ids of the approval form by option key."""
        options, _ = self._labels()
        keys = {label: key for key, label in options.items()}
        body = self.form("approval").body
        return {
            keys[self.state(m)["description"]]: m
            for m in self.descendants(body)
            if self.name(m) == "CheckboxModel" and self.state(m).get("description") in keys
        }

    async def approve(self, approved: Iterable[str]) -> None:
        """Tick exactly these options."""
        chosen = set(approved)
        for key, box in self.approval_boxes().items():
            await self.update(box, value=key in chosen, wait=False)

    def ranking_rows(self) -> list[tuple[str, str, str]]:
        """(option key, up button id, down button id) in the order shown."""
        options, _ = self._labels()
        keys = {label: key for key, label in options.items()}
        rows = []
        for row in self.descendants(self.form("ranking").body):
            if self.name(row) != "HBoxModel":
                continue
            parts = self.children(row)
            label = next(
                (self.state(m).get("value", "") for m in parts if self.name(m) == "LabelModel"), ""
            )
            buttons = [m for m in parts if self.name(m) == "ButtonModel"]
            up = next((b for b in buttons if self.state(b).get("icon") == "arrow-up"), "")
            down = next((b for b in buttons if self.state(b).get("icon") == "arrow-down"), "")
            text = str(label).split(". ", 1)[-1]
            if text in keys:
                rows.append((keys[text], up, down))
        return rows

    async def rank(self, order: list[str]) -> None:
        """Reorder the options with the "move up" buttons until they show ``order``."""
        for position, key in enumerate(order):
            while True:
                rows = self.ranking_rows()
                index = [k for k, _, _ in rows].index(key)
                if index <= position:
                    break
                await self.click(rows[index][1])

    async def comment(self, target: str, text: str) -> None:
        """Choose what the comment is about (option key or "general") and write it."""
        options, _ = self._labels()
        body = self.form("comment").body
        (dropdown,) = [m for m in self.children(body) if self.name(m) == "DropdownModel"][-1:]
        (area,) = [m for m in self.children(body) if self.name(m) == "TextareaModel"][-1:]
        label = GENERAL_LABEL if target == "general" else options[target]
        index = self.state(dropdown)["_options_labels"].index(label)
        await self.update(dropdown, index=index, wait=False)
        await self.update(area, value=text, wait=False)

    def vote_toggles(self) -> dict[int, str]:
        """ToggleButtons ids of the statement votes by statement id."""
        assert self.catalog is not None
        texts = {f"<strong>{html.escape(t)}</strong>": sid for sid, t in self.catalog.statements}
        out: dict[int, str] = {}
        for row in self.children(self.form("vote").body):
            parts = self.children(row)
            heading = " ".join(
                str(self.state(m).get("value", "")) for m in parts if self.name(m) == "HTMLModel"
            )
            toggles = [m for m in parts if self.name(m) == "ToggleButtonsModel"]
            sid = next((s for h, s in texts.items() if h in heading), None)
            if sid is not None and toggles:
                out[sid] = toggles[0]
        return out

    async def vote(self, votes: dict[int, str]) -> None:
        """Vote "agree", "disagree" or "pass" on statements by id."""
        values = [value for _, value in CHOICES]
        toggles = self.vote_toggles()
        for sid, choice in votes.items():
            await self.update(toggles[sid], index=values.index(choice), wait=False)

    def points_inputs(self) -> dict[str, str]:
        """IntText ids of the points form by criterion key."""
        keys = {label: key for key, label in self._labels()[1].items()}
        return {
            keys[self.state(m)["description"]]: m
            for m in self.descendants(self.form("points").body)
            if self.name(m) == "IntTextModel" and self.state(m).get("description") in keys
        }

    def points_left(self) -> str:
        """The points form's live counter, e.g. "5 of 100 points left. Give out all …"."""
        body = self.form("points").body
        found = [
            m
            for m in self.descendants(body)
            if self.name(m) == "HTMLModel" and "wb-points-left" in str(self.state(m)["value"])
        ]
        return text_of(str(self.state(found[-1]).get("value", ""))) if found else ""

    def save_enabled(self, kind: str) -> bool:
        """True if a form's Save button can be clicked (not disabled)."""
        return not self.state(self.form(kind).save).get("disabled", False)

    async def set_points(self, points: dict[str, int]) -> None:
        """Type points (criterion key -> whole number) into the points form's inputs; the
        other criteria keep theirs."""
        inputs = self.points_inputs()
        unknown = sorted(set(points) - set(inputs))
        if unknown:
            raise ValueError(f"no points input for {unknown} on the page (has {sorted(inputs)})")
        for key, value in points.items():
            await self.update(inputs[key], value=int(value), wait=False)

    async def allocate(self, points: dict[str, int]) -> Submission:
        """Give these points and click Save, as a participant does (see :meth:`save`).

        A browser cannot click a disabled Save: if the kernel keeps it disabled (the
        points do not add up to the budget), raises ValueError with the form's counter."""
        await self.set_points(points)
        await self.settle()  # the kernel's counter and Save state are back in the mirror
        if not self.save_enabled("points"):
            raise ValueError(f"points {points}: Save stays disabled: {self.points_left()!r}")
        return await self.save("points")

    def expected_payload(self, kind: str) -> dict[str, Any]:
        """The payload the kernel sends for ``kind``, from what the page shows now."""
        if kind == "rating":
            ratings: dict[str, dict[str, int]] = {}
            for (option, criterion), cell in self.rating_cells().items():
                index = self.state(cell).get("index")
                if index is not None:
                    ratings.setdefault(option, {})[criterion] = int(index) + 1
            return {"ratings": ratings}
        if kind == "approval":
            return {
                "approved": [
                    k for k, b in self.approval_boxes().items() if self.state(b).get("value")
                ]
            }
        if kind == "ranking":
            return {"order": [key for key, _, _ in self.ranking_rows()]}
        if kind == "comment":
            options, _ = self._labels()
            body = self.form("comment").body
            dropdown = [m for m in self.children(body) if self.name(m) == "DropdownModel"][-1]
            area = [m for m in self.children(body) if self.name(m) == "TextareaModel"][-1]
            label = self.state(dropdown)["_options_labels"][self.state(dropdown)["index"]]
            target = (
                "general" if label == GENERAL_LABEL else {v: k for k, v in options.items()}[label]
            )
            return {"target": target, "text": str(self.state(area).get("value", "")).strip()}
        if kind == "vote":
            values = [value for _, value in CHOICES]
            votes = {}
            for sid, toggle in self.vote_toggles().items():
                index = self.state(toggle).get("index")
                if index is not None:
                    votes[str(sid)] = values[int(index)]
            return {"votes": votes}
        if kind == "points":
            return {k: int(self.state(m)["value"]) for k, m in self.points_inputs().items()}
        raise ValueError(f"no expected payload for {kind!r}")

    async def save(self, kind: str, *, wait_s: float = 0.0) -> Submission:
        """Click the form's Save and read its status line once the kernel is idle.

        "Saved at …" is acknowledged, an error status refused; anything else is
        "waiting" (held back by the rate limit), followed up to ``wait_s`` seconds for
        its outcome. A closed websocket, or a status line the click did not change (a
        kernel that lost the form), leaves the submission "lost" (never acknowledged).
        """
        sub = Submission(kind, {})
        self.submissions.append(sub)
        try:
            await self.settle()  # the values set before the click have reached the kernel
            form = self.form(kind)
            if kind != "proposal":
                with contextlib.suppress(LookupError, TypeError, ValueError):
                    sub.payload = self.expected_payload(kind)  # {}: values no form can hold
            sub.sent_at = time.perf_counter()
            mark = self._seq
            await self.click(form.save, wait=False)
            sub.sent = True
            await self.settle()
            deadline = time.monotonic() + wait_s
            while True:
                value = str(self.state(form.status).get("value", ""))
                sub.message = text_of(value)
                if self._touched.get(form.status, -1) <= mark:  # the status never changed
                    sub.status, sub.message = "lost", "no answer on the page"
                elif sub.message.startswith(SAVED):
                    sub.status = "acknowledged"
                elif "wb-status-error" in value:
                    sub.status = "refused"
                else:
                    sub.status = "waiting"
                remaining = deadline - time.monotonic()
                if sub.status != "waiting" or remaining <= 0:
                    break
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
                if self.closed:
                    sub.status = "lost"
                    break
        except (ConnectionLost, TimeoutError) as exc:
            sub.status, sub.message = "lost", f"{type(exc).__name__}: {exc}"
        if sub.sent:
            sub.seconds = time.perf_counter() - sub.sent_at
        return sub


async def open_pages(
    urls: list[str], catalog: Catalog | None, timeout: float = 300.0
) -> tuple[list[Page], list[Result], AsyncHTTPClient]:
    """Open one page per join link, all at once; the caller closes the pages and client."""
    http = AsyncHTTPClient(force_instance=True, max_clients=len(urls) + 4)
    pages = [Page(url=u, http=http, timeout=timeout, catalog=catalog) for u in urls]
    results = await asyncio.gather(*(p.open() for p in pages))
    return pages, list(results), http
