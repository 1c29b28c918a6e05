import time
from typing import Any

import pytest
from sqlalchemy import text

from workbench.db import participation as store
from workbench.exceptions import (
    AccessDenied,
    InvalidInput,
    RateLimited,
    StaleRound,
    WorkshopClosed,
)
from workbench.participation.feedback import MAX_PAYLOAD_BYTES, template_version_pin


@pytest.fixture
def room(env):
    """An open workshop with two registered participants (employers, unions)."""
    env.open()
    env.tokens_ = env.participants(2, groups=["employers", "unions"])
    return env


def _participant_id(env, token: str) -> int:
    return env.workshops.admit(env.wid, token).participant_id


def _invalid(env, token: str, kind: str, payload: Any, key: str | None = None) -> InvalidInput:
    counts = env.counts()
    with pytest.raises(InvalidInput) as caught:
        env.submit(token, kind, payload, key=key)
    assert env.counts() == counts, "a refused submission wrote something"
    return caught.value


# -- what is stored ------------------------------------------------------------------


def test_template_version_pin_format(room) -> None:
    with room.db.session() as s:
        pub = store.latest_publication(s, case_slug=room.CASE_SLUG)
    assert template_version_pin(pub) == room.TEMPLATE_PIN


def test_each_kind_is_stored_pinned(room) -> None:
    token = room.tokens_[0]
    pid = _participant_id(room, token)
    sids = room.statement_ids()
    payloads: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (
            "rating",
            {
                "ratings": {
                    "training": {"effectiveness": 5, "feasibility": 1},
                    "job_search": {"feasibility": 3},
                }
            },
            {
                "rating:training:effectiveness": 5,
                "rating:training:feasibility": 1,
                "rating:job_search:feasibility": 3,
            },
        ),
        (
            "approval",
            {"approved": ["wage_subsidy", "training"]},
            {
                "approval:training": True,
                "approval:wage_subsidy": True,
                "approval:job_search": False,
            },
        ),
        (
            "ranking",
            {"order": ["job_search", "training", "wage_subsidy"]},
            {"ranking": ["job_search", "training", "wage_subsidy"]},
        ),
        (
            "comment",
            {"text": "  Needs more case managers.  ", "target": "training"},
            {"comment:training": "Needs more case managers."},
        ),
        ("comment", {"text": "General remark"}, {"comment:general": "General remark"}),
        (
            "vote",
            {"votes": {str(sids[0]): "agree", str(sids[1]): "disagree", str(sids[2]): "pass"}},
            {f"vote:{sids[0]}": 1, f"vote:{sids[1]}": -1, f"vote:{sids[2]}": 0},
        ),
    ]
    expected: dict[str, Any] = {}
    submissions = []
    for kind, payload, items in payloads:
        receipt = room.submit(token, kind, payload)
        assert receipt.duplicate is False and receipt.round == 1
        assert receipt.items == len(items)
        submissions.append((receipt.submission_id, kind, len(items)))
        expected.update(items)

    rows = room.feedback_rows()
    assert {r.item: r.value for r in rows} == expected
    assert len(rows) == len(expected)
    kinds = {r.item: r.kind for r in rows}
    assert kinds["ranking"] == "ranking" and kinds["approval:training"] == "approval"
    for r in rows:
        assert r.workshop_id == room.wid and r.round == 1 and r.participant_id == pid
        assert r.case_slug == room.CASE_SLUG
        assert r.run_hash == room.BUNDLE_HASH
        assert r.template_version == "app@1;evidence_review@1.0.0"
        assert r.revision == 1 and r.created_at == r.updated_at
    stored = room.rows(
        "SELECT id, workshop_id, participant_id, round, kind, item_count FROM submission "
        "ORDER BY id"
    )
    assert [(s["id"], s["kind"], s["item_count"]) for s in stored] == submissions
    assert {(s["workshop_id"], s["participant_id"], s["round"]) for s in stored} == {
        (room.wid, pid, 1)
    }
    assert room.feedback.my_answers(workshop_id=room.wid, token=token) == expected
    # The other participant's view is still empty.
    assert room.feedback.my_answers(workshop_id=room.wid, token=room.tokens_[1]) == {}


def test_proposal_creates_a_pending_statement_that_is_not_votable(room) -> None:
    token = room.tokens_[0]
    before = room.statement_ids(status=None)
    receipt = room.submit(token, "proposal", {"text": "  Apprenticeships for over-45s too.  "})
    assert receipt.items == 1 and receipt.duplicate is False  # the statement itself
    assert room.count("feedback") == 0
    (new,) = room.rows(
        "SELECT id, text, status, origin, author_id FROM statement WHERE id NOT IN ("
        + ",".join(map(str, before))
        + ")"
    )
    assert new["text"] == "Apprenticeships for over-45s too."
    assert (new["status"], new["origin"]) == ("pending", "participant")
    assert new["author_id"] == _participant_id(room, token)
    (sub,) = room.rows("SELECT kind, item_count FROM submission")
    assert sub == {"kind": "proposal", "item_count": 1}
    # Not offered for voting, and a vote on it is refused.
    assert new["id"] not in [s["id"] for s in room.feedback.statements(workshop_id=room.wid)]
    assert len(room.feedback.statements(workshop_id=room.wid)) == 4
    err = _invalid(room, room.tokens_[1], "vote", {"votes": {str(new["id"]): "agree"}})
    assert err.problems[0].key == f"votes.{new['id']}"


def test_proposal_too_short_or_long(room) -> None:
    _invalid(room, room.tokens_[0], "proposal", {"text": "too short"})
    _invalid(room, room.tokens_[0], "proposal", {"text": "x" * 281})
    room.submit(room.tokens_[0], "proposal", {"text": "x" * 280})


def test_comment_markup_round_trips_verbatim(room) -> None:
    text = "<script>alert(1)</script> & <b>bold</b> \"quoted\" 'single'"
    room.submit(room.tokens_[0], "comment", {"text": text})
    (row,) = room.feedback_rows()
    assert row.value == text
    answers = room.feedback.my_answers(workshop_id=room.wid, token=room.tokens_[0])
    assert answers == {"comment:general": text}


# -- idempotency ---------------------------------------------------------------------


def test_resend_same_key_is_a_duplicate_and_writes_nothing(room) -> None:
    token = room.tokens_[0]
    payload = {"ratings": {"training": {"effectiveness": 4}}}
    first = room.submit(token, "rating", payload, key="click-0001")
    rows = [(r.id, r.value, r.revision, r.updated_at) for r in room.feedback_rows()]
    counts = room.counts()
    for _ in range(3):
        again = room.submit(token, "rating", dict(payload), key="click-0001")
        assert again.duplicate is True
        assert again.submission_id == first.submission_id
        assert again.saved_at == first.saved_at and again.items == first.items == 1
    assert room.counts() == counts
    assert [(r.id, r.value, r.revision, r.updated_at) for r in room.feedback_rows()] == rows


def test_same_key_different_payload_is_refused(room) -> None:
    token = room.tokens_[0]
    room.submit(token, "rating", {"ratings": {"training": {"effectiveness": 4}}}, key="click-0002")
    err = _invalid(
        room, token, "rating", {"ratings": {"training": {"effectiveness": 5}}}, key="click-0002"
    )
    assert err.problems[0].key == "idempotency_key"
    # Same payload but another kind is also a different submission.
    err = _invalid(room, token, "comment", {"text": "x"}, key="click-0002")
    assert err.problems[0].key == "idempotency_key"
    (row,) = room.feedback_rows()
    assert row.value == 4


def test_keys_are_per_participant(room) -> None:
    a, b = room.tokens_
    room.submit(a, "comment", {"text": "from a"}, key="shared-key")
    receipt = room.submit(b, "comment", {"text": "from b"}, key="shared-key")
    assert receipt.duplicate is False
    assert sorted(r.value for r in room.feedback_rows()) == ["from a", "from b"]


def test_new_key_same_item_updates_instead_of_duplicating(room) -> None:
    token = room.tokens_[0]
    first = room.submit(token, "rating", {"ratings": {"training": {"effectiveness": 2}}})
    (before,) = room.feedback_rows()
    time.sleep(0.01)
    second = room.submit(token, "rating", {"ratings": {"training": {"effectiveness": 5}}})
    assert second.submission_id != first.submission_id and not second.duplicate
    (after,) = room.feedback_rows()
    assert after.id == before.id
    assert (after.value, after.revision, after.submission_id) == (5, 2, second.submission_id)
    assert after.created_at == before.created_at and after.updated_at > before.updated_at
    # A double click (new key, same content) bumps the revision but keeps one row.
    room.submit(token, "rating", {"ratings": {"training": {"effectiveness": 5}}})
    (again,) = room.feedback_rows()
    assert (again.id, again.value, again.revision) == (before.id, 5, 3)
    assert room.count("submission") == 3


# -- validation ----------------------------------------------------------------------


def _rate(value: Any) -> dict[str, Any]:
    return {"ratings": {"training": {"effectiveness": value}}}


def _bad_cases(sids: list[int], pending: int) -> list[tuple[str, Any, str]]:
    effectiveness = "ratings.training.effectiveness"
    return [
        *[("rating", _rate(v), effectiveness) for v in (0, 6, -1, "3", True, False, 3.0, None)],
        ("rating", {"ratings": {"circus": {"effectiveness": 3}}}, "ratings.circus"),
        ("rating", {"ratings": {"training": {"beauty": 3}}}, "ratings.training.beauty"),
        ("rating", {"ratings": {"training": 3}}, "ratings.training"),
        ("rating", {"ratings": {}}, "ratings"),
        ("rating", {}, "ratings"),
        # A valid rating followed by an invalid one: nothing of it is kept.
        (
            "rating",
            {"ratings": {"training": {"effectiveness": 3, "feasibility": 9}}},
            "ratings.training.feasibility",
        ),
        ("approval", {"approved": ["training", "circus"]}, "approved"),
        ("approval", {"approved": ["training", "training"]}, "approved"),
        ("approval", {"approved": "training"}, "approved"),
        ("ranking", {"order": ["training", "wage_subsidy"]}, "order"),
        ("ranking", {"order": ["training", "training", "wage_subsidy"]}, "order"),
        ("ranking", {"order": ["training", "wage_subsidy", "job_search", "circus"]}, "order"),
        ("ranking", {"order": ["training", "wage_subsidy", "circus"]}, "order"),
        ("ranking", {"order": "training,wage_subsidy,job_search"}, "order"),
        ("vote", {"votes": {str(pending): "agree"}}, f"votes.{pending}"),
        ("vote", {"votes": {"999999": "agree"}}, "votes.999999"),
        ("vote", {"votes": {"not-an-id": "agree"}}, "votes.not-an-id"),
        ("vote", {"votes": {str(sids[0]): "yes"}}, f"votes.{sids[0]}"),
        ("vote", {"votes": {str(sids[0]): 1}}, f"votes.{sids[0]}"),
        ("vote", {"votes": {}}, "votes"),
        ("comment", {"text": "x" * 2001}, "text"),
        ("comment", {"text": ""}, "text"),
        ("comment", {"text": "   \n "}, "text"),
        ("comment", {}, "text"),
        ("comment", {"text": 42}, "text"),
        ("comment", {"text": "bidi \u202e trick"}, "text"),
        ("comment", {"text": "ok", "target": "circus"}, "target"),
        ("comment", {"text": "y" * (MAX_PAYLOAD_BYTES + 1)}, "payload"),
        ("rating", ["not", "a", "mapping"], "payload"),
        ("like", {"text": "ok"}, "kind"),
    ]


def test_validation_errors_write_nothing(room) -> None:
    token = room.tokens_[0]
    sids = room.statement_ids()
    room.submit(token, "proposal", {"text": "A pending proposal statement."})
    (pending,) = room.statement_ids(status="pending")
    for kind, payload, key in _bad_cases(sids, pending):
        err = _invalid(room, token, kind, payload)
        assert [p.key for p in err.problems] == [key], (kind, payload, str(err))
    assert room.count("feedback") == 0
    assert room.count("submission") == 1  # the proposal


def test_boundaries_are_accepted(room) -> None:
    token = room.tokens_[0]
    room.submit(token, "rating", {"ratings": {"training": {"effectiveness": 1, "feasibility": 5}}})
    room.submit(token, "comment", {"text": "z" * 2000})
    room.submit(token, "approval", {"approved": []})
    values = {r.item: r.value for r in room.feedback_rows()}
    assert values["comment:general"] == "z" * 2000
    assert values["rating:training:feasibility"] == 5
    assert values["approval:training"] is False


def test_nine_point_scale(env) -> None:
    other = env.create_workshop(scale=9)
    env.open(other.id)
    (token,) = env.participants(1, workshop_id=other.id)
    env.submit(
        token, "rating", {"ratings": {"training": {"effectiveness": 9}}}, workshop_id=other.id
    )
    with pytest.raises(InvalidInput):
        env.submit(
            token, "rating", {"ratings": {"training": {"effectiveness": 10}}}, workshop_id=other.id
        )


@pytest.mark.parametrize("key", ["short", "has space!!", "x" * 65, "ünïcode-key", None, 12345678])
def test_bad_idempotency_key(room, key: object) -> None:
    counts = room.counts()
    with pytest.raises(InvalidInput) as caught:
        room.feedback.submit(
            workshop_id=room.wid,
            token=room.tokens_[0],
            round_number=1,
            kind="comment",
            payload={"text": "hello"},
            idempotency_key=key,  # type: ignore[arg-type]
        )
    assert [p.key for p in caught.value.problems] == ["idempotency_key"]
    assert room.counts() == counts


# -- refusals ------------------------------------------------------------------------


def test_closed_and_draft_workshops_refuse_answers(env) -> None:
    (token,) = env.tokens(1)
    counts = env.counts()
    with pytest.raises(AccessDenied, match="register"):
        env.submit(token, "comment", {"text": "in draft"}, round_number=0)
    assert env.counts() == counts
    env.open()
    env.register(token)
    env.submit(token, "comment", {"text": "while open"})
    env.workshops.close(env.wid)
    counts = env.counts()
    with pytest.raises(WorkshopClosed, match="closed"):
        env.submit(token, "comment", {"text": "after close"}, round_number=1)
    with pytest.raises(WorkshopClosed):
        env.submit(token, "rating", {"ratings": {"training": {"effectiveness": 1}}}, round_number=1)
    assert env.counts() == counts
    (row,) = env.feedback_rows()
    assert row.value == "while open"
    # Reading is still allowed.
    assert env.feedback.my_answers(workshop_id=env.wid, token=token) == {
        "comment:general": "while open"
    }


def test_draft_workshop_refuses_registered_participant(env) -> None:
    other = env.create_workshop()
    env.open(other.id)
    (token,) = env.participants(1, workshop_id=other.id)
    # A registered participant of a workshop that is (back) in draft: the state check.
    with env.db.session(write=True) as s:
        s.execute(text("UPDATE workshop SET state = 'draft' WHERE id = :id"), {"id": other.id})
    counts = env.counts()
    with pytest.raises(WorkshopClosed, match="not started"):
        env.submit(token, "comment", {"text": "x"}, workshop_id=other.id, round_number=1)
    assert env.counts() == counts


def test_stale_round(room) -> None:
    token = room.tokens_[0]
    room.submit(token, "comment", {"text": "round 1"}, round_number=1)
    room.workshops.next_round(room.wid)
    counts = room.counts()
    with pytest.raises(StaleRound) as late:
        room.submit(token, "comment", {"text": "late"}, round_number=1)
    assert str(late.value) == "Not saved: your answer was for round 1, and round 2 has started."
    assert late.value.current_round == 2
    with pytest.raises(StaleRound) as early:
        room.submit(token, "comment", {"text": "early"}, round_number=3)
    assert str(early.value) == "Not saved: round 3 has not started; round 2 is open."
    assert room.counts() == counts
    room.submit(token, "comment", {"text": "round 2"}, round_number=2)
    assert {(r.round, r.value) for r in room.feedback_rows()} == {(1, "round 1"), (2, "round 2")}


def test_unregistered_participant_is_refused(room) -> None:
    (token,) = room.tokens(1)
    counts = room.counts()
    with pytest.raises(AccessDenied, match="register"):
        room.submit(token, "comment", {"text": "hi"})
    with pytest.raises(AccessDenied):
        room.submit("not-a-real-token-but-long-enough", "comment", {"text": "hi"})
    with pytest.raises(AccessDenied):
        room.submit(None, "comment", {"text": "hi"})  # type: ignore[arg-type]
    assert room.counts() == counts


# -- rate limit ----------------------------------------------------------------------


def test_rate_limit(make_env) -> None:
    env = make_env(rate_limit=3, rate_window_s=2)
    env.open()
    (token,) = env.participants(1)
    for i in range(3):
        env.submit(token, "comment", {"text": f"comment {i}"}, key=f"rate-key-{i}")
    # A re-send of an accepted submission is not another save and is always answered.
    assert env.submit(token, "comment", {"text": "comment 0"}, key="rate-key-0").duplicate
    counts = env.counts()
    payload = {"ratings": {"training": {"effectiveness": 3}}}
    with pytest.raises(RateLimited) as caught:
        env.submit(token, "rating", payload, key="rate-key-3")
    retry_after = caught.value.retry_after
    assert 0 < retry_after <= 2
    assert env.counts() == counts
    # Other participants are not affected.
    (other,) = env.participants(1)
    env.submit(other, "comment", {"text": "someone else"})
    time.sleep(retry_after)
    receipt = env.submit(token, "rating", payload, key="rate-key-3")
    assert receipt.duplicate is False
    assert {r.item: r.value for r in env.feedback_rows() if r.kind == "rating"} == {
        "rating:training:effectiveness": 3
    }


# -- results -------------------------------------------------------------------------


def test_results_hidden_until_own_answer(room) -> None:
    a, b = room.tokens_
    (third,) = room.participants(1, groups=["ngos"])
    sids = room.statement_ids()
    s0, s1 = str(sids[0]), str(sids[1])
    room.submit(a, "vote", {"votes": {s0: "agree", s1: "disagree"}})
    room.submit(third, "vote", {"votes": {s0: "agree"}})
    room.submit(a, "rating", {"ratings": {"training": {"effectiveness": 4}}})
    room.submit(third, "rating", {"ratings": {"training": {"effectiveness": 2}}})
    room.submit(a, "approval", {"approved": ["training"]})

    seen_by_b = room.feedback.results(workshop_id=room.wid, token=b)
    assert s0 not in seen_by_b["votes"] and s1 not in seen_by_b["votes"]
    assert "training:effectiveness" not in seen_by_b["ratings"]
    assert seen_by_b["approvals"] == {}

    room.submit(b, "vote", {"votes": {s0: "disagree"}})
    seen_by_b = room.feedback.results(workshop_id=room.wid, token=b)
    assert seen_by_b["votes"][s0] == {"agree": 2, "disagree": 1, "pass": 0}
    assert s1 not in seen_by_b["votes"]  # still not voted on by b
    assert "training:effectiveness" not in seen_by_b["ratings"]

    room.submit(b, "rating", {"ratings": {"training": {"effectiveness": 5}}})
    room.submit(b, "approval", {"approved": []})
    seen_by_b = room.feedback.results(workshop_id=room.wid, token=b)
    assert seen_by_b["ratings"]["training:effectiveness"] == {"median": 4, "n": 3}
    assert seen_by_b["approvals"] == {"n": 2, "counts": {"training": 1}}

    seen_by_a = room.feedback.results(workshop_id=room.wid, token=a)
    assert seen_by_a["votes"][s1] == {"agree": 0, "disagree": 1, "pass": 0}


def test_proposal_resend_creates_one_statement(room) -> None:
    token = room.tokens_[0]
    payload = {"text": "Apprenticeships for over-45s too."}
    first = room.submit(token, "proposal", payload, key="proposal-01")
    again = room.submit(token, "proposal", payload, key="proposal-01")
    assert again.duplicate and again.submission_id == first.submission_id
    assert len(room.statement_ids(status="pending")) == 1
    assert room.count("submission") == 1


# -- regressions: bugs found by these tests and fixed ---------------------------------


def test_proposal_resend_receipt_matches_first_receipt(room) -> None:
    token = room.tokens_[0]
    payload = {"text": "Apprenticeships for over-45s too."}
    first = room.submit(token, "proposal", payload, key="proposal-02")
    again = room.submit(token, "proposal", payload, key="proposal-02")
    assert (again.submission_id, again.saved_at, again.items, again.round) == (
        first.submission_id,
        first.saved_at,
        first.items,
        first.round,
    )


@pytest.mark.parametrize("change", ["next_round", "close"])
def test_resend_after_round_change_is_acknowledged(room, change: str) -> None:
    token = room.tokens_[0]
    payload = {"text": "sent just before the facilitator moved on"}
    first = room.submit(token, "comment", payload, key="late-resend", round_number=1)
    getattr(room.workshops, change)(room.wid)
    again = room.submit(token, "comment", payload, key="late-resend", round_number=1)
    assert again.duplicate and again.submission_id == first.submission_id


def test_non_ascii_digit_workshop_id_is_access_denied(room) -> None:
    with pytest.raises(AccessDenied):
        room.feedback.submit(
            workshop_id="²",
            token=room.tokens_[0],
            round_number=1,
            kind="comment",
            payload={"text": "hello"},
            idempotency_key="digit-key-1",
        )
