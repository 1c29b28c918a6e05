"""An open participant page follows the facilitator (``workbench.app`` + ``workbench.watch``).

The app runs in-process on a real database (SQLite and PostgreSQL) with the real services;
widgets are set and Save is clicked as the browser would. The watch thread is stopped so
that each test decides when the page looks (``watcher.check_now()``), except where the
thread itself is under test. The same flow in Chromium is in tests/test_app_rounds.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ipywidgets as w
import pytest
from sqlalchemy import text

from workbench.app import StakeholderApp, carried_answers
from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.participation.spec import WorkshopSpec
from workbench.participation.workshops import WorkshopService

CASE = "es61-live"
OPTIONS = [
    {"key": "training", "label": "Training"},
    {"key": "wage_subsidy", "label": "Wage subsidy"},
]
CRITERIA = [{"key": "effectiveness", "label": "Effectiveness"}]


@dataclass
class Room:
    settings: Settings
    db: Database
    workshops: WorkshopService
    wid: int
    token: str

    def app(self, *, watch: bool = False) -> StakeholderApp:
        """A page for the participant, as the kernel builds it for the request."""
        app = StakeholderApp(CASE, self.settings, self.db)
        app.root.children = app.page(f"workshop={self.wid}&token={self.token}")
        if not watch:
            app.watcher.stop()
        return app

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.db.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]


@pytest.fixture
def room(db_url: str, tmp_path: Path) -> Iterator[Room]:
    settings = Settings(home=tmp_path, db_url=db_url, rate_limit=1000)
    db = Database(db_url)
    with db.session(write=True) as s:
        store.add_publication(
            s,
            case_slug=CASE,
            title="Live test",
            app_path=f"{CASE}.ipynb",
            run_hashes={},
            template_versions={},
            bundle_hash="0123456789abcdef",
            app_version="2",
            synthetic_data=True,
        )
    workshops = WorkshopService(db, settings)
    spec = WorkshopSpec(title="Live", options=OPTIONS, criteria=CRITERIA, statements=[])
    wid = workshops.create(case_slug=CASE, spec=spec).id
    token = parse_qs(urlsplit(workshops.links(wid, 1)[0].url).query)["token"][0]
    yield Room(settings, db, workshops, wid, token)
    db.dispose()


def texts(widget: w.Widget) -> str:
    """All HTML shown in a widget tree, joined."""
    out = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        out.append(texts(child))
    return "\n".join(out)


def buttons(widget: w.Widget) -> list[str]:
    """The labels of every button in a widget tree."""
    out = [widget.description] if isinstance(widget, w.Button) else []
    for child in getattr(widget, "children", ()):
        out += buttons(child)
    return out


def register(room: Room) -> None:
    room.workshops.register(room.wid, room.token, display_name="Ana", group="ngos", consent=True)


def test_a_page_opened_before_the_start_shows_the_join_form_once_it_opens(room: Room) -> None:
    app = room.app()
    assert "has not started yet" in texts(app.feedback_box)
    room.workshops.open(room.wid)
    assert app.watcher.check_now() is True
    shown = texts(app.root)
    assert "The workshop has started. You can join and answer now." in shown
    assert "Round 1 is open" in shown
    assert "has not started yet" not in texts(app.feedback_box)
    assert buttons(app.feedback_box) == ["Join the workshop"]


def test_round_two_and_the_close_render_in_place(room: Room) -> None:
    room.workshops.open(room.wid)
    register(room)
    app = room.app()
    root, box = app.root, app.feedback_box
    grid = app.forms["rating"]
    grid.cells[("training", "effectiveness")].value = "4"
    assert grid.submit().status == "saved"

    room.workshops.next_round(room.wid)
    assert app.watcher.check_now() is True
    assert app.root is root and app.feedback_box is box  # the same page, not a reload
    shown = texts(app.root)
    assert "Round 2 has started. The results of round 1 are shown below" in shown
    assert "Round 2 is open" in shown
    assert "Results of round 1" in shown
    assert "1 participants rated in round 1" in shown
    assert app.forms["rating"] is not grid
    assert app.forms["rating"].cells[("training", "effectiveness")].value is None  # new round
    assert app.forms["rating"].submit().status == "refused"  # nothing chosen yet

    room.workshops.close(room.wid)
    assert app.watcher.check_now() is True
    shown = texts(app.root)
    assert "The facilitator has closed the workshop. Your answers are shown read-only." in shown
    assert all(form.save.disabled for form in app.forms.values())
    assert app.watcher.check_now() is False


def test_an_answer_for_the_old_round_is_kept_to_send_again(room: Room) -> None:
    room.workshops.open(room.wid)
    register(room)
    app = room.app()
    app.forms["rating"].cells[("training", "effectiveness")].value = "2"
    app.forms["rating"].cells[("wage_subsidy", "effectiveness")].value = "5"
    comment = app.forms["comment"]
    comment.target.value = "wage_subsidy"
    comment.text.value = "Subsidies help small firms hire."
    before = room.rows("SELECT COUNT(*) AS n FROM submission")[0]["n"]

    room.workshops.next_round(room.wid)  # the page has not looked yet: the answer is in flight
    outcome = app.forms["rating"].submit()
    assert outcome.status == "refused"
    assert room.rows("SELECT COUNT(*) AS n FROM submission")[0]["n"] == before
    grid = app.forms["rating"]
    assert "Round 2 is open" in texts(app.root)  # the refusal re-rendered the page at once
    assert grid.cells[("training", "effectiveness")].value == "2"
    assert grid.cells[("wage_subsidy", "effectiveness")].value == "5"
    assert grid.status.value == (
        '<div role="status" aria-live="polite" class="wb-status-error">Not saved: your answer '
        "was for round 1, and round 2 has started. Your answer is still here: check it and "
        "press Save to send it for round 2.</div>"
    )
    assert grid.submit().status == "saved"
    stored = room.rows("SELECT round, item, value FROM feedback ORDER BY item")
    assert [(r["round"], r["item"]) for r in stored] == [
        (2, "rating:training:effectiveness"),
        (2, "rating:wage_subsidy:effectiveness"),
    ]

    # Only refused answers are carried: the comment typed in round 1 was never sent.
    assert app.forms["comment"] is not comment
    assert app.forms["comment"].text.value == ""
    room.workshops.close(room.wid)
    app.forms["comment"].text.value = "Late words"
    outcome = app.forms["comment"].submit()
    assert outcome.status == "refused"
    closed = app.forms["comment"]
    assert closed.text.value == "Late words" and closed.save.disabled
    assert "Not saved: the workshop was closed before your answer arrived." in closed.status.value
    assert "The facilitator has closed the workshop" in texts(app.root)
    assert room.rows("SELECT COUNT(*) AS n FROM feedback WHERE kind = 'comment'")[0]["n"] == 0


def test_the_watch_thread_renders_round_two_by_itself(room: Room) -> None:
    room.workshops.open(room.wid)
    register(room)
    app = room.app(watch=True)
    assert app.watcher.running
    room.workshops.next_round(room.wid)
    deadline = time.monotonic() + 10  # one poll interval (3 s + jitter) and the render
    while "Round 2 is open" not in texts(app.root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Results of round 1" not in texts(app.root)  # nobody rated: no summary to show
    assert "Round 2 has started" in texts(app.root)
    app.watcher.stop()


@pytest.mark.parametrize(
    ("kind", "payload", "answers"),
    [
        (
            "rating",
            {"ratings": {"training": {"effectiveness": 3}}},
            {"rating:training:effectiveness": 3},
        ),
        (
            "approval",
            {"approved": ["wage_subsidy"]},
            {"approval:training": False, "approval:wage_subsidy": True},
        ),
        (
            "ranking",
            {"order": ["wage_subsidy", "training"]},
            {"ranking": ["wage_subsidy", "training"]},
        ),
        ("vote", {"votes": {"7": "disagree", "9": "pass"}}, {"vote:7": -1, "vote:9": 0}),
        ("comment", {"target": "training", "text": "Yes"}, {"comment:training": "Yes"}),
        ("proposal", {"text": "A new idea for the group"}, {}),
    ],
)
def test_carried_answers_match_the_stored_items(
    kind: str, payload: dict[str, Any], answers: dict[str, Any]
) -> None:
    assert carried_answers(kind, payload, OPTIONS) == answers
