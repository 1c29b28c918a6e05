"""What matters most (spreading 100 points over the criteria) in the stakeholder app.

In-process: the app shows the points form next to the others, shows the group's average
weights only after the participant saved theirs, and puts an allocation refused by a new
round back into the new round's form. In Chromium, through the real app server: a
participant allocates points, Save stays disabled until they add up to 100, "Saved"
appears, and the facilitator's dashboard shows the weights figure. Screenshots go to
``test-artifacts/`` and each page is checked with axe-core.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import _axe
import ipywidgets as w
import pytest
from playwright.sync_api import expect

from workbench.app import StakeholderApp, carried_answers
from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.facilitation.notebook import dashboard_url
from workbench.participation.spec import WorkshopSpec
from workbench.participation.workshops import WorkshopService
from workbench.widgets.points import PointsForm

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CASE = "es61-points-app"
SERVED_CASE = "es61-manufacturing-youth"


@dataclass
class Room:
    settings: Settings
    db: Database
    workshops: WorkshopService
    wid: int

    def page(self, token: str) -> StakeholderApp:
        app = StakeholderApp(CASE, self.settings, self.db)
        app.root.children = app.page(f"workshop={self.wid}&token={token}")
        assert app.watcher is not None
        app.watcher.stop()
        return app

    def join(self, name: str, group: str) -> str:
        url = self.workshops.links(self.wid, 1)[0].url
        token = parse_qs(urlsplit(url).query)["token"][0]
        self.workshops.register(self.wid, token, display_name=name, group=group, consent=True)
        return token


@pytest.fixture
def room(db_url: str, tmp_path: Path) -> Iterator[Room]:
    settings = Settings(home=tmp_path, db_url=db_url, rate_limit=1000)
    db = Database(db_url)
    with db.session(write=True) as s:
        store.add_publication(
            s,
            case_slug=CASE,
            title="Points app test",
            app_path=f"{CASE}.ipynb",
            run_hashes={},
            template_versions={},
            bundle_hash="0123456789abcdef",
            app_version="2",
            synthetic_data=True,
        )
    workshops = WorkshopService(db, settings)
    spec = WorkshopSpec(
        title="Points",
        options=[{"key": "training", "label": "Training"}, {"key": "wage", "label": "Wage"}],
        criteria=[
            {"key": "effectiveness", "label": "Effectiveness"},
            {"key": "feasibility", "label": "Feasibility"},
        ],
        statements=[],
    )
    wid = workshops.open(workshops.create(case_slug=CASE, spec=spec).id).id
    yield Room(settings, db, workshops, wid)
    db.dispose()


def _texts(widget: w.Widget) -> str:
    out = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        out.append(_texts(child))
    return "\n".join(out)


def test_the_app_shows_the_group_weights_only_after_saving_points(room: Room) -> None:
    other = room.page(room.join("Bo", "unions"))
    points = other.forms["points"]
    assert isinstance(points, PointsForm)
    points.fields["effectiveness"].value, points.fields["feasibility"].value = 40, 60
    assert points.submit().status == "saved"

    app = room.page(room.join("Ana", "employers"))
    assert list(app.forms)[:2] == ["rating", "points"]  # next to the other forms
    assert "What matters most (" not in _texts(app.results)  # not before answering
    form = app.forms["points"]
    assert isinstance(form, PointsForm)
    form.fields["effectiveness"].value = 70
    assert form.save.disabled and "30 of 100 points left." in form.counter.value
    form.fields["feasibility"].value = 30
    outcome = form.submit()
    assert outcome.status == "saved" and "Saved at" in form.status.value
    assert (
        "What matters most (average weights from 2 participants): Effectiveness 55%, "
        "Feasibility 45%"
    ) in _texts(app.results)


def test_points_refused_by_a_new_round_come_back_in_its_form(room: Room) -> None:
    token = room.join("Ana", "employers")
    app = room.page(token)
    form = app.forms["points"]
    assert isinstance(form, PointsForm)
    form.fields["effectiveness"].value, form.fields["feasibility"].value = 65, 35
    room.workshops.next_round(room.wid)
    assert form.submit().status == "refused"
    again = app.forms["points"]
    assert again is not form and isinstance(again, PointsForm)
    assert [f.value for f in again.fields.values()] == [65, 35]
    assert "round 2 has started" in again.status.value
    assert carried_answers("points", {"effectiveness": 65, "feasibility": 35}, []) == {
        "points:effectiveness": 65,
        "points:feasibility": 35,
    }


def test_a_workshop_without_points_shows_no_points_form(room: Room) -> None:
    spec = WorkshopSpec(
        title="No points",
        options=[{"key": "training", "label": "Training"}, {"key": "wage", "label": "Wage"}],
        criteria=[{"key": "x", "label": "X"}, {"key": "y", "label": "Y"}],
        points=False,
    )
    room.wid = room.workshops.open(room.workshops.create(case_slug=CASE, spec=spec).id).id
    app = room.page(room.join("Ana", "ngos"))
    assert "points" not in app.forms and "rating" in app.forms


# -- in Chromium, through the real app server -------------------------------------------


def _card(page: Any, title: str) -> Any:
    return page.locator(".wb-card", has=page.get_by_role("heading", name=title, exact=True))


@pytest.mark.slow
@pytest.mark.databases("sqlite")  # the points' SQL runs on both in test_feedback_points.py
def test_a_participant_allocates_points_in_chromium(served: Any, browser: Any) -> None:
    wb = served.service()
    info = wb.create_workshop(SERVED_CASE, title="What matters most", expected=1)
    assert info.points == 100 and len(info.criteria) >= 2
    wid = info.id
    wb.workshops.open(wid)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        link = wb.workshops.links(wid, 1)[0].url
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.goto(link, timeout=120_000)
        page.get_by_role("button", name="Join the workshop").wait_for(timeout=90_000)
        page.get_by_placeholder("a pseudonym is fine").fill("Rosa")
        page.locator("select").first.select_option(label="Employers and business associations")
        page.get_by_text("I agree", exact=True).click()
        page.get_by_role("button", name="Join the workshop").click()
        card = _card(page, "What matters most?")
        card.wait_for(timeout=30_000)
        save = card.get_by_role("button", name="Save")
        counter = card.locator(".wb-points-left")
        expect(counter).to_contain_text("100 of 100 points left.")
        expect(save).to_be_disabled()

        labels = [c["label"] for c in info.criteria]
        shares = [40, 30, 20] + [0] * (len(labels) - 3)
        shares[-1] += 5  # 95 in all: not yet
        for label, value in zip(labels, shares, strict=True):
            card.get_by_label(label, exact=True).fill(str(value))
        expect(counter).to_contain_text("5 of 100 points left.", timeout=20_000)
        expect(counter).to_contain_text("Give out all 100 points to save: 5 left.")
        expect(save).to_be_disabled()
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(ARTIFACTS / "points-form-not-yet.png"))

        card.get_by_label(labels[-1], exact=True).fill(str(shares[-1] + 5))
        expect(counter).to_contain_text("0 of 100 points left.", timeout=20_000)
        expect(save).to_be_enabled()
        save.click()
        card.get_by_text("Saved at").wait_for(timeout=20_000)
        page.get_by_text("What matters most (average weights from 1 participant)").wait_for(
            timeout=20_000
        )
        with wb.db.session() as s:
            rows = store.find_feedback(s, workshop_id=wid, kind="points")
            stored = {r.item.removeprefix("points:"): r.value for r in rows}
        shares[-1] += 5
        assert stored == {c["key"]: v for c, v in zip(info.criteria, shares, strict=True)}
        card.screenshot(path=str(ARTIFACTS / "points-form.png"))
        page.screenshot(path=str(ARTIFACTS / "points-page.png"), full_page=True)
        _axe.check_axe(page, "participant-points")

        page.set_viewport_size({"width": 390, "height": 844})
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(ARTIFACTS / "points-form-phone.png"))
        _axe.check_axe(page, "participant-points-phone")
        page.close()

        dash = browser.new_page(viewport={"width": 1200, "height": 1000})
        dash.goto(dashboard_url(served.lab_url, wid, served.token), timeout=120_000)
        dash.get_by_role("heading", name="Facilitator dashboard").wait_for(timeout=90_000)
        figure = dash.locator("img[alt^='What matters most, criteria weights']")
        figure.wait_for(timeout=60_000)
        assert "overall (1)" in (figure.get_attribute("alt") or "")
        figure.scroll_into_view_if_needed()
        figure.screenshot(path=str(ARTIFACTS / "dashboard-weights.png"))
        _axe.check_axe(dash, "dashboard-weights")
        dash.close()
    finally:
        if wb.workshops.get(wid).state == "open":
            wb.workshops.close(wid)
        wb.close()
