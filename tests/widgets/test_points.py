"""The "what matters most" form (workbench.widgets.points) with the real FeedbackService:
live counter, Save disabled until the points add up, refusals at the widget, guard limits,
answers carried into a new page, "Saved" only after the commit. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ipywidgets as w
import pytest

from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.participation.feedback import FeedbackService, Receipt
from workbench.participation.spec import WorkshopSpec
from workbench.participation.workshops import WorkshopInfo, WorkshopService
from workbench.widgets import guard
from workbench.widgets.points import PointsForm

CASE = "es61-points"
XSS = "<script>alert(1)</script>"
CRITERIA = [
    {"key": "effectiveness", "label": "Effectiveness", "description": f"Does it work? {XSS}"},
    {"key": "feasibility", "label": "Feasibility"},
    {"key": "fairness", "label": "Fairness"},
]


@dataclass
class Env:
    db: Database
    feedback: FeedbackService
    info: WorkshopInfo
    token: str
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def send(self, kind: str, payload: dict[str, Any], key: str) -> Receipt:
        self.sent.append((kind, payload))
        return self.feedback.submit(
            workshop_id=self.info.id,
            token=self.token,
            round_number=self.info.current_round,
            kind=kind,
            payload=payload,
            idempotency_key=key,
        )

    def stored(self) -> dict[str, Any]:
        with self.db.session() as s:
            rows = store.find_feedback(s, workshop_id=self.info.id, kind="points")
            return {r.item: r.value for r in rows}

    def form(self, **kwargs: Any) -> PointsForm:
        return PointsForm(self.send, criteria=CRITERIA, budget=self.info.points or 0, **kwargs)


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setattr(guard, "budget", guard.Budget())
    settings = Settings(home=tmp_path, db_url=db_url, rate_limit=1000)
    db = Database(db_url)
    with db.session(write=True) as s:
        store.add_publication(
            s,
            case_slug=CASE,
            title="Points test",
            app_path=f"{CASE}.ipynb",
            run_hashes={},
            template_versions={},
            bundle_hash="0123456789abcdef",
            app_version="1",
            synthetic_data=True,
        )
    workshops = WorkshopService(db, settings)
    spec = WorkshopSpec(
        title="Points",
        options=[{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
        criteria=CRITERIA,
    )
    info = workshops.open(workshops.create(case_slug=CASE, spec=spec).id)
    token = parse_qs(urlsplit(workshops.links(info.id, 1)[0].url).query)["token"][0]
    workshops.register(info.id, token, display_name="Ana", group="employers", consent=True)
    yield Env(db, FeedbackService(db, settings), info, token)
    db.dispose()


def _set(form: PointsForm, *values: int) -> None:
    for field_, value in zip(form.fields.values(), values, strict=True):
        field_.value = value


def test_each_criterion_has_a_labelled_input_and_a_polite_counter(env: Env) -> None:
    form = env.form()
    assert [f.description for f in form.fields.values()] == [c["label"] for c in CRITERIA]
    assert all(f.value == 0 for f in form.fields.values())
    assert 'aria-live="polite"' in form.counter.value
    assert "100 of 100 points left." in form.counter.value
    assert form.save.disabled
    body = "".join(c.value for c in form.body.children[0].children if isinstance(c, w.HTML))
    assert XSS not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize(
    ("values", "left", "message"),
    [
        ((60, 30, 0), "10 of 100 points left.", "Give out all 100 points to save: 10 left."),
        (
            (60, 50, 0),
            "-10 of 100 points left.",
            "That is 110 points, 10 more than 100: take some away to save.",
        ),
        ((110, -10, 0), "0 of 100 points left.", "Points cannot be negative (Feasibility)."),
    ],
)
def test_save_is_disabled_with_a_message_until_the_points_add_up(
    env: Env, values: tuple[int, ...], left: str, message: str
) -> None:
    form = env.form()
    _set(form, *values)
    assert left in form.counter.value and message in form.counter.value
    assert form.save.disabled
    # a click the page sends anyway is refused at the widget: nothing is sent or stored
    outcome = form.submit()
    assert outcome.status == "refused"
    assert outcome.message == "Not saved: " + message[0].lower() + message[1:]
    assert "wb-status-error" in form.status.value
    assert env.sent == [] and env.stored() == {}
    assert form.save.disabled


def test_exactly_100_saves_and_saved_appears_only_after_the_commit(env: Env) -> None:
    form_ref: list[PointsForm] = []

    def send(kind: str, payload: dict[str, Any], key: str) -> Receipt:
        assert "Saving" in form_ref[0].status.value and "Saved" not in form_ref[0].status.value
        assert env.stored() == {}, "stored before the send"
        return env.send(kind, payload, key)

    form = PointsForm(send, criteria=CRITERIA, budget=100)
    form_ref.append(form)
    _set(form, 50, 30, 20)
    assert "0 of 100 points left." in form.counter.value and "press Save" in form.counter.value
    assert not form.save.disabled
    outcome = form.submit()
    assert outcome.status == "saved" and "Saved at" in form.status.value
    assert env.stored() == {
        "points:effectiveness": 50,
        "points:feasibility": 30,
        "points:fairness": 20,
    }
    assert not form.save.disabled
    _set(form, 50, 30, 21)
    assert form.save.disabled  # a change that breaks the total disables Save again


def test_saved_answers_are_shown_on_a_new_page_and_read_only_stays_disabled(env: Env) -> None:
    env.form().submit()  # nothing given: refused locally
    first = env.form()
    _set(first, 0, 25, 75)
    assert first.submit().status == "saved"
    mine = env.feedback.my_answers(workshop_id=env.info.id, token=env.token)
    again = env.form(initial=mine)
    assert [f.value for f in again.fields.values()] == [0, 25, 75]
    assert "0 of 100 points left." in again.counter.value and not again.save.disabled
    closed = env.form(initial=mine, readonly=True)
    assert closed.save.disabled and all(f.disabled for f in closed.fields.values())
    assert closed.submit().status == "refused"


def test_the_guard_refuses_what_an_input_cannot_hold(env: Env) -> None:
    form = env.form()
    field_ = form.fields["feasibility"]
    data = {"method": "update", "state": {"value": "lots"}, "buffer_paths": []}
    field_._handle_msg({"content": {"data": data}, "buffers": []})
    assert field_.value == 0
    assert "Not changed: the page sent a value this form does not accept." in form.status.value
    data = {"method": "update", "state": {"disabled": False}, "buffer_paths": []}
    form.save._handle_msg({"content": {"data": data}, "buffers": []})
    assert form.save.disabled  # the page cannot enable Save
    data = {"method": "update", "state": {"value": 100}, "buffer_paths": []}
    form.fields["effectiveness"]._handle_msg({"content": {"data": data}, "buffers": []})
    assert not form.save.disabled and "0 of 100 points left." in form.counter.value
