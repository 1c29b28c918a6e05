"""Moderation: approve or hide statements and comments, with the reason logged."""

from __future__ import annotations

import pytest

from workbench.exceptions import InvalidInput, WorkshopNotFound
from workbench.participation.moderation import ModerationService


@pytest.fixture
def room(env):
    env.open()
    return env


def _service(env) -> ModerationService:
    return ModerationService(env.db, env.settings)


def _propose(env, token: str, text: str) -> int:
    env.submit(token, "proposal", {"text": text})
    pending = env.statement_ids(status="pending")
    return pending[-1]


def test_queue_lists_pending_proposals_first_with_pseudonymous_authors(room) -> None:
    [token] = room.participants(1)
    sid = _propose(room, token, "Training vouchers should cover travel costs.")
    room.submit(token, "comment", {"text": "Too little for employers."})
    queue = _service(room).queue(room.wid)
    first = queue[0]
    assert (first.kind, first.id, first.status, first.needs_action) == (
        "statement",
        sid,
        "pending",
        True,
    )
    admission = room.workshops.admit(room.wid, token)
    assert first.author == admission.public_id
    comments = [i for i in queue if i.kind == "comment"]
    assert [c.text for c in comments] == ["Too little for employers."]
    assert comments[0].status == "visible" and comments[0].about == "general"
    seeds = [i for i in queue if i.kind == "statement" and i.author is None]
    assert len(seeds) == len(room.STATEMENTS)
    # names never appear in the queue, only pseudonymous ids
    assert "P0" not in repr([i.as_dict() for i in queue])


def test_approving_a_proposal_opens_it_for_voting_and_logs_why(room) -> None:
    [token] = room.participants(1)
    sid = _propose(room, token, "Training vouchers should cover travel costs.")
    assert sid not in [s["id"] for s in room.feedback.statements(workshop_id=room.wid)]
    with pytest.raises(InvalidInput, match="not a statement open for voting"):
        room.submit(token, "vote", {"votes": {str(sid): "agree"}})
    item = _service(room).moderate(
        room.wid, target_kind="statement", target_id=sid, action="approve", actor="Facilitator A"
    )
    assert item.status == "approved"
    assert sid in [s["id"] for s in room.feedback.statements(workshop_id=room.wid)]
    room.submit(token, "vote", {"votes": {str(sid): "agree"}})
    [entry] = _service(room).log(room.wid)
    assert (entry.target_kind, entry.target_id, entry.action, entry.reason, entry.actor) == (
        "statement",
        sid,
        "approve",
        "approved",
        "Facilitator A",
    )


def test_hiding_a_statement_removes_it_from_voting(room) -> None:
    [token] = room.participants(1)
    sid = room.statement_ids()[0]
    _service(room).moderate(
        room.wid, target_kind="statement", target_id=sid, action="hide", reason="off topic"
    )
    assert sid not in [s["id"] for s in room.feedback.statements(workshop_id=room.wid)]
    with pytest.raises(InvalidInput, match="not a statement open for voting"):
        room.submit(token, "vote", {"votes": {str(sid): "agree"}})


def test_hiding_a_comment_removes_it_from_the_delphi_reasons(room) -> None:
    a, b = room.participants(2)
    room.submit(a, "comment", {"text": "Subsidies worked well here in 2019."})
    room.submit(b, "comment", {"text": "<b>abusive text</b> about a named person"})
    room.workshops.next_round(room.wid)
    shown = [r["text"] for r in room.feedback.delphi(workshop_id=room.wid, token=a)["reasons"]]
    assert sorted(shown) == sorted(
        ["Subsidies worked well here in 2019.", "<b>abusive text</b> about a named person"]
    )
    [comment] = [
        i for i in _service(room).queue(room.wid) if i.kind == "comment" and "abusive" in i.text
    ]
    _service(room).moderate(
        room.wid,
        target_kind="comment",
        target_id=comment.id,
        action="hide",
        reason="names a person",
    )
    shown = [r["text"] for r in room.feedback.delphi(workshop_id=room.wid, token=a)["reasons"]]
    assert shown == ["Subsidies worked well here in 2019."]
    # and it can be brought back, which is logged too
    _service(room).moderate(
        room.wid, target_kind="comment", target_id=comment.id, action="approve", reason="edited"
    )
    assert len(room.feedback.delphi(workshop_id=room.wid, token=a)["reasons"]) == 2
    assert [e.action for e in _service(room).log(room.wid)] == ["hide", "approve"]


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"target_kind": "statement", "action": "hide", "reason": ""}, "reason"),
        ({"target_kind": "statement", "action": "hide", "reason": "x" * 501}, "reason"),
        ({"target_kind": "statement", "action": "delete", "reason": "x"}, "action"),
        ({"target_kind": "user", "action": "hide", "reason": "x"}, "target_kind"),
    ],
)
def test_bad_moderation_input_is_refused_and_nothing_changes(room, kwargs, key) -> None:
    sid = room.statement_ids()[0]
    with pytest.raises(InvalidInput) as err:
        _service(room).moderate(room.wid, target_id=sid, **kwargs)
    assert key in str(err.value)
    assert _service(room).log(room.wid) == []
    assert sid in room.statement_ids()


def test_targets_of_another_workshop_or_unknown_ids_are_refused(room) -> None:
    other = room.create_workshop()
    sid = room.statement_ids()[0]
    with pytest.raises(InvalidInput, match=f"no statement {sid} in workshop {other.id}"):
        _service(room).moderate(
            other.id, target_kind="statement", target_id=sid, action="hide", reason="x"
        )
    with pytest.raises(InvalidInput, match="no comment 999999"):
        _service(room).moderate(
            room.wid, target_kind="comment", target_id=999999, action="hide", reason="x"
        )
    # a rating is not a comment, even with a valid feedback id
    [token] = room.participants(1)
    room.submit(token, "rating", {"ratings": {"training": {"effectiveness": 3}}})
    [rating] = room.feedback_rows(kind="rating")
    with pytest.raises(InvalidInput, match=f"no comment {rating.id}"):
        _service(room).moderate(
            room.wid, target_kind="comment", target_id=rating.id, action="hide", reason="x"
        )
    with pytest.raises(WorkshopNotFound):
        _service(room).queue(424242)
