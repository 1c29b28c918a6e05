"""The Submitter against the real FeedbackService on a real database (``db_url``:
SQLite, and PostgreSQL when ``WORKBENCH_TEST_DB_URL`` is set).

No server and no widgets: one registered participant on an open workshop, a Submitter
whose ``send`` is the service call the app makes (see ``workbench.app``), the default
``threading.Timer`` scheduler, and a tight rate limit (3 saves per second).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, text

from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.exceptions import StoreUnavailable
from workbench.participation.feedback import FeedbackService, Receipt
from workbench.participation.spec import WorkshopSpec
from workbench.participation.workshops import WorkshopService
from workbench.widgets.submitter import Outcome, Submitter

CASE = "es61-test"
OPTIONS = ["training", "wage_subsidy", "job_search"]
CRITERIA = ["effectiveness", "feasibility"]
RATE_LIMIT = 3
RATE_WINDOW_S = 1.0


@dataclass
class Env:
    db: Database
    feedback: FeedbackService
    workshop_id: int
    token: str

    def send(self, kind: str, payload: dict[str, Any], key: str) -> Receipt:
        """What the app's forms call (workbench.app.StakeholderApp._feedback.send)."""
        return self.feedback.submit(
            workshop_id=self.workshop_id,
            token=self.token,
            round_number=1,
            kind=kind,
            payload=payload,
            idempotency_key=key,
        )

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.db.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]

    def count(self, table: str) -> int:
        return len(self.rows(f"SELECT 1 FROM {table}"))

    def ratings(self) -> dict[str, Any]:
        """Stored rating rows of the participant: item -> value (asserts one row per item)."""
        rows = self.rows("SELECT item, value FROM feedback WHERE kind = 'rating'")
        items = [r["item"] for r in rows]
        assert len(items) == len(set(items)), f"duplicate feedback rows: {items}"
        return {r["item"]: int(r["value"]) for r in rows}


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    url = db_url
    settings = Settings(
        home=tmp_path, db_url=url, rate_limit=RATE_LIMIT, rate_window_s=RATE_WINDOW_S
    )
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
        title="Submitter test",
        options=[{"key": k, "label": k.replace("_", " ").title()} for k in OPTIONS],
        criteria=[{"key": k, "label": k.title()} for k in CRITERIA],
        statements=["Employers should co-design the training content."],
    )
    info = workshops.create(case_slug=CASE, spec=spec)
    workshops.open(info.id)
    url_ = workshops.links(info.id, 1)[0].url
    token = parse_qs(urlsplit(url_).query)["token"][0]
    workshops.register(info.id, token, display_name="Ana", group="employers", consent=True)
    yield Env(db=db, feedback=FeedbackService(db, settings), workshop_id=info.id, token=token)
    db.dispose()


def _rating(i: int) -> dict[str, Any]:
    """20 different answers: (effectiveness, feasibility) runs through 5 x 4 pairs."""
    return {"ratings": {"training": {"effectiveness": i % 5 + 1, "feasibility": i // 5 + 1}}}


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_burst_keeps_the_last_answer(env: Env) -> None:
    flushed: list[Outcome] = []
    submitter = Submitter(env.send, on_outcome=flushed.append)
    outcomes = [submitter.submit("rating", _rating(i)) for i in range(20)]  # none raises

    statuses = [o.status for o in outcomes]
    assert statuses[:RATE_LIMIT] == ["saved"] * RATE_LIMIT
    assert set(statuses[RATE_LIMIT:]) == {"waiting"}, statuses
    assert "Too many saves" in outcomes[RATE_LIMIT].message
    assert submitter.waiting

    # The real timer flushes the newest pending answers once the window has passed.
    _wait(lambda: not submitter.waiting and flushed, RATE_WINDOW_S + 3, "the flush")
    assert [o.status for o in flushed] == ["saved"]
    assert flushed[0].receipt is not None and not flushed[0].receipt.duplicate

    last = _rating(19)["ratings"]["training"]
    assert env.ratings() == {
        "rating:training:effectiveness": last["effectiveness"],
        "rating:training:feasibility": last["feasibility"],
    }
    # 3 immediate saves + 1 flush; the 15 superseded answers were never sent.
    assert env.count("submission") == RATE_LIMIT + 1
    assert env.count("feedback") == 2


def test_answer_given_during_a_slow_flush_is_not_overwritten(env: Env) -> None:
    in_flush = threading.Event()

    def slow_in_timer_thread(kind: str, payload: dict[str, Any], key: str) -> Receipt:
        if threading.current_thread() is not threading.main_thread():
            in_flush.set()
            time.sleep(0.5)  # a busy database while the timer thread sends
        return env.send(kind, payload, key)

    flushed: list[Outcome] = []
    submitter = Submitter(slow_in_timer_thread, on_outcome=flushed.append)
    for i in range(6):
        submitter.submit("rating", _rating(i))
    assert submitter.waiting
    assert in_flush.wait(RATE_WINDOW_S + 3), "the timer never flushed"
    assert submitter.waiting, "a flush in progress still counts as waiting"
    final = submitter.submit("rating", _rating(19))  # the participant changes their mind
    assert final.status in ("saved", "waiting")
    _wait(lambda: not submitter.waiting and len(flushed) >= 1, 5, "the flush")
    time.sleep(0.2)
    last = _rating(19)["ratings"]["training"]
    assert env.ratings() == {
        "rating:training:effectiveness": last["effectiveness"],
        "rating:training:feasibility": last["feasibility"],
    }


def test_store_unavailable_is_retried_with_the_same_key(env: Env) -> None:
    keys: list[str] = []
    receipts: list[Receipt] = []

    def flaky(kind: str, payload: dict[str, Any], key: str) -> Receipt:
        keys.append(key)
        receipt = env.send(kind, payload, key)  # the commit happens...
        receipts.append(receipt)
        if len(keys) == 1:  # ...but the answer is lost on the way back
            raise StoreUnavailable("the database is unavailable or busy; nothing was saved")
        return receipt

    outcome = Submitter(flaky, backoff=0.01).submit("rating", _rating(7))
    assert outcome.status == "saved", outcome
    assert len(keys) == 2 and keys[0] == keys[1]
    assert receipts[0].duplicate is False
    assert outcome.receipt.duplicate is True
    assert outcome.receipt.submission_id == receipts[0].submission_id
    assert env.count("submission") == 1
    assert env.ratings() == {"rating:training:effectiveness": 3, "rating:training:feasibility": 2}


def test_store_unavailable_every_time_is_an_error_with_nothing_written(env: Env) -> None:
    """The real service on the real database fails mid-transaction, after its submission
    row was inserted: every attempt must be rolled back as a whole."""
    failed: list[str] = []
    submissions: list[str] = []
    dbapi_error = env.db.engine.dialect.loaded_dbapi.OperationalError

    def fail_feedback_writes(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        head = statement.lstrip().upper()
        if head.startswith("INSERT INTO SUBMISSION"):
            submissions.append(statement)
        if head.startswith("INSERT INTO FEEDBACK"):
            failed.append(statement)
            raise dbapi_error("injected: the server went away")

    attempts: list[tuple[str, int]] = []

    def send(kind: str, payload: dict[str, Any], key: str) -> Receipt:
        attempts.append((key, len(failed)))
        return env.send(kind, payload, key)

    event.listen(env.db.engine, "before_cursor_execute", fail_feedback_writes)
    try:
        outcome = Submitter(send, retries=2, backoff=0.01).submit("rating", _rating(1))
    finally:
        event.remove(env.db.engine, "before_cursor_execute", fail_feedback_writes)
    assert outcome.status == "error"
    assert outcome.message.startswith("Not saved:") and "Saved at" not in outcome.message
    assert "nothing was saved" in outcome.message
    # three attempts with one key, each reaching the feedback insert (after the submission
    # insert of the same transaction) and failing there
    assert [k for k, _ in attempts] == [attempts[0][0]] * 3
    assert len(submissions) == 3 and len(failed) == 3
    assert env.count("submission") == 0 and env.count("feedback") == 0

    # the database itself is fine: the same answer saves once the failure is gone
    again = Submitter(env.send).submit("rating", _rating(1))
    assert again.status == "saved"
    assert env.count("submission") == 1
    assert env.ratings() == {"rating:training:effectiveness": 2, "rating:training:feasibility": 1}


def test_invalid_input_is_refused_with_the_field_named(env: Env) -> None:
    submitter = Submitter(env.send)
    bad_value = submitter.submit("rating", {"ratings": {"training": {"effectiveness": 7}}})
    assert bad_value.status == "refused"
    assert bad_value.message.startswith("Not saved:")
    assert "ratings.training.effectiveness" in bad_value.message
    assert "1 to 5" in bad_value.message

    unknown = submitter.submit("rating", {"ratings": {"space_program": {"effectiveness": 3}}})
    assert unknown.status == "refused" and "ratings.space program" in unknown.message

    too_long = submitter.submit("comment", {"target": "general", "text": "x" * 2001})
    assert too_long.status == "refused"
    assert "text" in too_long.message and "too long" in too_long.message

    assert env.count("submission") == 0 and env.count("feedback") == 0
    assert not submitter.waiting
