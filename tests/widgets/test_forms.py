"""The feedback forms with the real FeedbackService behind them, as the app wires them.

Values are set on the widgets programmatically and ``submit()`` is called, as a click on
Save would. Each form's ``send`` is the service call of ``workbench.app`` (wrapped to
observe what the participant sees while the request is in flight).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ipywidgets as w
import pytest
from sqlalchemy import text

from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.participation.feedback import FeedbackService, Receipt
from workbench.participation.spec import WorkshopSpec
from workbench.participation.workshops import WorkshopInfo, WorkshopService
from workbench.widgets.approval import ApprovalForm, RankingForm
from workbench.widgets.base import FeedbackForm
from workbench.widgets.comment import CommentForm
from workbench.widgets.rating import RatingGrid
from workbench.widgets.registration import RegistrationForm
from workbench.widgets.statements import ProposeStatement, StatementVotes

CASE = "es61-test"
XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
OPTIONS = [
    {"key": "training", "label": f"Training {XSS}", "description": f"Courses {XSS}"},
    {"key": "wage_subsidy", "label": "Wage subsidy"},
    {"key": "job_search", "label": "Job search"},
]
CRITERIA = [
    {"key": "effectiveness", "label": "Effectiveness", "description": f"Does it work? {XSS}"},
    {"key": "feasibility", "label": "Feasibility"},
]
STATEMENTS = [f"{XSS} must be shown as text, not run.", "Results should be published yearly."]


@dataclass
class Env:
    db: Database
    workshops: WorkshopService
    feedback: FeedbackService
    info: WorkshopInfo
    token: str
    sent: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    def send(self, kind: str, payload: dict[str, Any], key: str) -> Receipt:
        """``send`` as in ``StakeholderApp._feedback``."""
        self.sent.append((kind, payload, key))
        return self.feedback.submit(
            workshop_id=self.info.id,
            token=self.token,
            round_number=self.info.current_round,
            kind=kind,
            payload=payload,
            idempotency_key=key,
        )

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.db.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]

    def feedback_rows(self, kind: str) -> dict[str, Any]:
        """Stored rows of one kind: item -> value (JSON decoded)."""
        with self.db.session() as s:
            rows = store.find_feedback(s, workshop_id=self.info.id, kind=kind)
            return {r.item: r.value for r in rows}

    def counts(self) -> dict[str, int]:
        return {
            table: len(self.rows(f"SELECT 1 FROM {table}"))
            for table in ("submission", "feedback", "statement", "participant")
        }

    def checked_send(self, form_ref: list[FeedbackForm], kind: str, item: str) -> Any:
        """A send that checks the form is not showing 'Saved' before the commit."""

        def send(k: str, payload: dict[str, Any], key: str) -> Receipt:
            status = form_ref[0].status.value
            assert "Saving" in status and "Saved" not in status, status
            assert item not in self.feedback_rows(kind), "row existed before the send"
            return self.send(k, payload, key)

        return send


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    url = db_url  # SQLite and PostgreSQL
    settings = Settings(home=tmp_path, db_url=url, rate_limit=1000)
    db = Database(url)
    with db.session(write=True) as s:
        store.add_publication(
            s,
            case_slug=CASE,
            title="ES61 test",
            app_path="es61-test.ipynb",
            run_hashes={"evidence_review": "ab" * 32},
            template_versions={"evidence_review": "1.0.0"},
            bundle_hash="0123456789abcdef",
            app_version="1",
            synthetic_data=True,
        )
    workshops = WorkshopService(db, settings)
    spec = WorkshopSpec(
        title="Forms test", options=OPTIONS, criteria=CRITERIA, statements=STATEMENTS
    )
    info = workshops.open(workshops.create(case_slug=CASE, spec=spec).id)
    token = parse_qs(urlsplit(workshops.links(info.id, 1)[0].url).query)["token"][0]
    workshops.register(info.id, token, display_name="Ana", group="employers", consent=True)
    yield Env(db, workshops, FeedbackService(db, settings), info, token)
    db.dispose()


def html_values(widget: w.Widget) -> list[str]:
    """The values of every HTML widget in a widget tree."""
    out = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        out += html_values(child)
    return out


def assert_saved(form: FeedbackForm, outcome: Any) -> None:
    assert outcome.status == "saved", outcome
    assert "Saved at" in form.status.value and "wb-status-ok" in form.status.value
    assert not form.save.disabled


def assert_refused(form: FeedbackForm, outcome: Any, words: str) -> None:
    assert outcome.status == "refused", outcome
    assert words in form.status.value, form.status.value
    assert "wb-status-error" in form.status.value and "Saved" not in form.status.value


def test_rating_grid_says_saved_only_after_the_commit(env: Env) -> None:
    ref: list[FeedbackForm] = []
    seen_in_db: list[dict[str, Any]] = []
    form = RatingGrid(
        env.checked_send(ref, "rating", "rating:training:effectiveness"),
        options=env.info.options,
        criteria=env.info.criteria,
        scale=env.info.scale,
        on_saved=lambda: seen_in_db.append(env.feedback_rows("rating")),
    )
    ref.append(form)
    assert form.status.value == ""
    form.cells[("training", "effectiveness")].value = "4"
    form.cells[("job_search", "feasibility")].value = "2"
    outcome = form.submit()
    assert_saved(form, outcome)
    expected = {"rating:training:effectiveness": 4, "rating:job_search:feasibility": 2}
    assert seen_in_db == [expected]  # on_saved ran once, after the rows were committed
    assert env.feedback_rows("rating") == expected
    assert outcome.receipt.items == 2 and not outcome.receipt.duplicate


def test_rating_grid_refuses_an_empty_grid_without_writing(env: Env) -> None:
    form = RatingGrid(
        env.send, options=env.info.options, criteria=env.info.criteria, scale=env.info.scale
    )
    before = env.counts()
    assert_refused(form, form.submit(), "rate at least one")
    assert env.sent == [] and env.counts() == before


def test_approval_and_ranking_are_stored(env: Env) -> None:
    ref: list[FeedbackForm] = []
    approval = ApprovalForm(
        env.checked_send(ref, "approval", "approval:training"), options=env.info.options
    )
    ref.append(approval)
    approval.boxes["training"].value = True
    approval.boxes["job_search"].value = True
    assert_saved(approval, approval.submit())
    assert env.feedback_rows("approval") == {
        "approval:training": True,
        "approval:wage_subsidy": False,
        "approval:job_search": True,
    }

    ref2: list[FeedbackForm] = []
    ranking = RankingForm(env.checked_send(ref2, "ranking", "ranking"), options=env.info.options)
    ref2.append(ranking)
    assert ranking.order == ["training", "wage_subsidy", "job_search"]
    ranking.move(2, -1)  # "move up" on job search
    assert ranking.order == ["training", "job_search", "wage_subsidy"]
    first_up, *_, last_down = ranking.inputs()
    assert first_up.disabled and last_down.disabled  # cannot move past the ends
    assert_saved(ranking, ranking.submit())
    assert env.feedback_rows("ranking") == {"ranking": ["training", "job_search", "wage_subsidy"]}


def test_statement_votes_store_and_show_escaped_text(env: Env) -> None:
    statements = env.feedback.statements(workshop_id=env.info.id)
    assert [s["text"] for s in statements] == STATEMENTS
    ref: list[FeedbackForm] = []
    sid = str(statements[0]["id"])
    votes = StatementVotes(env.checked_send(ref, "vote", f"vote:{sid}"), statements=statements)
    ref.append(votes)
    html = "".join(html_values(votes.widget))
    assert ESCAPED in html and "<script" not in html
    assert_refused(votes, votes.submit(), "vote on at least one statement")
    votes.toggles[sid].value = "agree"
    assert_saved(votes, votes.submit())
    assert env.feedback_rows("vote") == {f"vote:{sid}": 1}
    votes.show_results(env.feedback.results(workshop_id=env.info.id, token=env.token)["votes"])
    assert "1 agree (100%)" in votes.tallies[sid].value
    assert votes.tallies[str(statements[1]["id"])].value == ""  # not voted: not shown


def test_propose_statement_checks_length_and_holds_for_moderation(env: Env) -> None:
    form = ProposeStatement(env.send)
    before = env.counts()
    form.text.value = "  too short "
    assert_refused(form, form.submit(), "at least 10 characters")
    form.text.value = "x" * 281
    assert_refused(form, form.submit(), "at most 280 characters")
    assert env.sent == [] and env.counts() == before

    form.text.value = f"Small firms need support {XSS}"
    outcome = form.submit()
    assert_saved(form, outcome)
    assert "held for moderation" in form.status.value
    assert form.text.value == ""
    pending = env.rows("SELECT text, status, origin FROM statement WHERE status = 'pending'")
    assert pending == [
        {"text": f"Small firms need support {XSS}", "status": "pending", "origin": "participant"}
    ]
    # Not open for voting before moderation.
    assert [s["text"] for s in env.feedback.statements(workshop_id=env.info.id)] == STATEMENTS


def test_comment_limits_and_stores_text_verbatim(env: Env) -> None:
    ref: list[FeedbackForm] = []
    form = CommentForm(
        env.checked_send(ref, "comment", "comment:training"), options=env.info.options
    )
    ref.append(form)
    before = env.counts()
    assert_refused(form, form.submit(), "write a comment first")
    form.text.value = "y" * 2001
    assert "wb-status-error" in form.counter.value and "2001 / 2000" in form.counter.value
    assert_refused(form, form.submit(), "the limit is 2000")
    assert env.sent == [] and env.counts() == before

    form.target.value = "training"
    form.text.value = f"Keep it {XSS} please"
    assert_saved(form, form.submit())
    assert env.feedback_rows("comment") == {"comment:training": f"Keep it {XSS} please"}
    assert all("<script" not in v for v in html_values(form.widget))


FORMS = ["rating", "approval", "ranking", "votes", "propose", "comment"]


def make_form(name: str, env: Env, **kw: Any) -> FeedbackForm:
    info = env.info
    if name == "rating":
        form: FeedbackForm = RatingGrid(
            env.send, options=info.options, criteria=info.criteria, scale=info.scale, **kw
        )
        form.cells[("training", "effectiveness")].value = "3"
    elif name == "approval":
        form = ApprovalForm(env.send, options=info.options, **kw)
        form.boxes["training"].value = True
    elif name == "ranking":
        form = RankingForm(env.send, options=info.options, **kw)
    elif name == "votes":
        form = StatementVotes(
            env.send, statements=env.feedback.statements(workshop_id=info.id), **kw
        )
        next(iter(form.toggles.values())).value = "disagree"
    elif name == "propose":
        form = ProposeStatement(env.send, **kw)
        form.text.value = "A long enough statement to propose."
    else:
        form = CommentForm(env.send, options=info.options, **kw)
        form.text.value = "A comment."
    return form


@pytest.mark.parametrize("name", FORMS)
def test_readonly_forms_are_disabled_and_refuse(env: Env, name: str) -> None:
    before = env.counts()
    form = make_form(name, env, readonly=True)
    assert form.save.disabled
    assert form.inputs() and all(widget.disabled for widget in form.inputs())
    assert_refused(form, form.submit(), "read-only")
    assert env.sent == [] and env.counts() == before
    assert all("<script" not in v for v in html_values(form.widget))


def test_forms_on_a_closed_workshop_refuse_with_the_reason(env: Env) -> None:
    env.workshops.close(env.info.id)
    before = env.counts()
    for name in FORMS:
        form = make_form(name, env)  # a page built before the workshop closed
        assert_refused(form, form.submit(), "closed")
    assert len(env.sent) == len(FORMS)
    assert env.counts() == before


def test_registration_form_refuses_then_joins(env: Env) -> None:
    token = parse_qs(urlsplit(env.workshops.links(env.info.id, 1)[0].url).query)["token"][0]
    joined: list[Any] = []
    form = RegistrationForm(partial(env.workshops.register, env.info.id, token), joined.append)
    form.name.value = XSS
    form.submit()  # no group, no consent
    assert joined == []
    status = form.status.value
    assert "Please check:" in status and "choose your stakeholder group" in status
    assert "please agree" in status and "wb-status-error" in status
    assert not form.join.disabled
    admitted = env.workshops.admit(env.info.id, token)
    assert not admitted.registered

    form.group.value = "unions"
    form.consent.value = True
    form.submit()
    assert len(joined) == 1 and joined[0].registered
    assert joined[0].display_name == XSS and joined[0].stakeholder_group == "unions"
    assert env.workshops.admit(env.info.id, token).registered
    assert all("<script" not in v for v in html_values(form.widget))


def test_rating_grid_escapes_labels_and_descriptions(env: Env) -> None:
    form = RatingGrid(
        env.send, options=env.info.options, criteria=env.info.criteria, scale=env.info.scale
    )
    html = "\n".join(html_values(form.widget))
    assert f"<h4>Training {ESCAPED}</h4>" in html
    assert f"Courses {ESCAPED}" in html and f"Does it work? {ESCAPED}" in html
    assert "<script" not in html
