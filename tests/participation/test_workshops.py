from datetime import timedelta

import pytest

from workbench.db import participation as store
from workbench.db.models import WorkshopRound, utcnow
from workbench.exceptions import (
    AccessDenied,
    InvalidInput,
    PublicationNotFound,
    WorkshopClosed,
    WorkshopNotFound,
    WorkshopStateError,
)
from workbench.participation.tokens import hash_token, new_token

# -- life cycle ----------------------------------------------------------------------


def test_life_cycle_draft_open_closed(env) -> None:
    assert env.info.state == "draft" and env.info.current_round == 0
    assert env.info.bundle_hash == env.BUNDLE_HASH
    assert [o["key"] for o in env.info.options] == env.OPTIONS
    assert env.info.scale == 5
    assert len(env.statement_ids()) == 4

    opened = env.open()
    assert opened.state == "open" and opened.current_round == 1
    assert opened.opened_at is not None and opened.closed_at is None

    second = env.workshops.next_round(env.wid)
    assert second.current_round == 2 and second.state == "open"

    closed = env.workshops.close(env.wid)
    assert closed.state == "closed" and closed.closed_at is not None
    assert closed.current_round == 2
    assert env.workshops.get(env.wid).state == "closed"
    assert [w.id for w in env.workshops.list(state="closed")] == [env.wid]
    assert env.workshops.list(state="open") == []

    with env.db.session() as s:
        rounds = store.find_rounds(s, workshop_id=env.wid)
    assert [r.number for r in rounds] == [1, 2]
    assert all(r.closed_at is not None for r in rounds)
    assert rounds[0].closed_at <= rounds[1].opened_at


def test_illegal_transitions(env) -> None:
    with pytest.raises(WorkshopStateError, match="only an open workshop can close"):
        env.workshops.close(env.wid)
    with pytest.raises(WorkshopStateError, match="rounds advance only while open"):
        env.workshops.next_round(env.wid)
    env.open()
    with pytest.raises(WorkshopStateError, match="only a draft workshop can open"):
        env.open()
    env.workshops.close(env.wid)
    with pytest.raises(WorkshopStateError, match="rounds advance only while open"):
        env.workshops.next_round(env.wid)
    with pytest.raises(WorkshopStateError, match="only a draft workshop can open"):
        env.open()  # no reopening a closed workshop
    with pytest.raises(WorkshopStateError):
        env.workshops.close(env.wid)
    with pytest.raises(WorkshopClosed):
        env.workshops.links(env.wid, 1)
    with pytest.raises(WorkshopClosed):
        env.workshops.shared_link(env.wid)
    info = env.workshops.get(env.wid)
    assert info.state == "closed" and info.current_round == 1


def test_unknown_workshop_and_missing_publication(env) -> None:
    with pytest.raises(WorkshopNotFound):
        env.workshops.get(999_999)
    with pytest.raises(WorkshopNotFound):
        env.workshops.open(999_999)
    with pytest.raises(PublicationNotFound, match="workbench publish"):
        env.workshops.create(case_slug="nowhere", spec=env.make_spec())


def test_next_round_keeps_earlier_rounds_unchanged(env) -> None:
    env.open()
    (token,) = env.participants(1)
    env.submit(token, "rating", {"ratings": {"training": {"effectiveness": 4, "feasibility": 2}}})
    env.submit(token, "comment", {"text": "round one"})
    before = [
        (r.id, r.round, r.item, r.value, r.updated_at, r.revision, r.submission_id)
        for r in env.feedback_rows(round_number=1)
    ]
    assert len(before) == 3

    info = env.workshops.next_round(env.wid)
    assert info.current_round == 2
    # Same items again in round 2 with other answers, twice (second one updates).
    env.submit(token, "rating", {"ratings": {"training": {"effectiveness": 1, "feasibility": 5}}})
    env.submit(token, "rating", {"ratings": {"training": {"effectiveness": 2}}})
    env.submit(token, "comment", {"text": "round two"})

    after = [
        (r.id, r.round, r.item, r.value, r.updated_at, r.revision, r.submission_id)
        for r in env.feedback_rows(round_number=1)
    ]
    assert after == before
    round2 = {r.item: (r.value, r.revision) for r in env.feedback_rows(round_number=2)}
    assert round2 == {
        "rating:training:effectiveness": (2, 2),
        "rating:training:feasibility": (5, 1),
        "comment:general": ("round two", 1),
    }
    with env.db.session() as s:
        first = s.get(WorkshopRound, (env.wid, 1))
        second = s.get(WorkshopRound, (env.wid, 2))
        assert first is not None and first.closed_at is not None
        assert second is not None and second.closed_at is None
    # The participant's own view shows only the current round.
    mine = env.feedback.my_answers(workshop_id=env.wid, token=token)
    assert mine["comment:general"] == "round two"


# -- admission -----------------------------------------------------------------------


def _refused(env, call, match: str) -> AccessDenied:
    counts = env.counts()
    with pytest.raises(AccessDenied, match=match) as caught:
        call()
    assert env.counts() == counts, "a refused request wrote something"
    return caught.value


def test_admit_valid_token(env) -> None:
    env.open()
    (token,) = env.tokens(1)
    admission = env.workshops.admit(env.wid, token)
    assert admission.workshop_id == env.wid and not admission.registered
    assert admission.case_slug == env.CASE_SLUG and admission.current_round == 1
    assert admission.public_id.startswith("p-")
    # workshop ids arrive as query-string text
    assert env.workshops.admit(str(env.wid), token).participant_id == admission.participant_id


def test_admit_unknown_token(env) -> None:
    env.open()
    env.tokens(3)
    err = _refused(env, lambda: env.workshops.admit(env.wid, new_token()), "not valid")
    assert "facilitator" in str(err)


@pytest.mark.parametrize(
    "token",
    [None, "", "short", 12345, "a" * 65, "has spaces in it and is long", "x' OR '1'='1' --..."],
)
def test_admit_malformed_token(env, token: object) -> None:
    env.open()
    env.tokens(1)
    _refused(env, lambda: env.workshops.admit(env.wid, token), "not valid")
    _refused(
        env,
        lambda: env.workshops.register(
            env.wid, token, display_name="Ana", group="employers", consent=True
        ),
        "not valid",
    )


@pytest.mark.parametrize("workshop_id", ["abc", "0", "-1", "", None, "1.5"])
def test_admit_malformed_workshop_id(env, workshop_id: object) -> None:
    env.open()
    (token,) = env.tokens(1)
    _refused(env, lambda: env.workshops.admit(workshop_id, token), "not valid")


def test_token_of_workshop_a_used_for_workshop_b(env) -> None:
    other = env.create_workshop(title="Other workshop")
    env.open()
    env.open(other.id)
    (token_a,) = env.tokens(1)
    env.register(token_a)
    _refused(env, lambda: env.workshops.admit(other.id, token_a), "different workshop")
    _refused(
        env,
        lambda: env.workshops.register(
            other.id, token_a, display_name="Eve", group="unions", consent=True
        ),
        "different workshop",
    )
    _refused(
        env,
        lambda: env.submit(token_a, "comment", {"text": "wrong room"}, workshop_id=other.id),
        "different workshop",
    )
    assert env.workshops.admit(env.wid, token_a).display_name == "Ana"


def test_expired_token(env) -> None:
    env.open()
    (token,) = env.tokens(1)
    env.register(token)
    env.submit(token, "comment", {"text": "before expiry"})
    past = utcnow() - timedelta(minutes=5)
    with env.db.session(write=True) as s:
        participant = store.find_participant_by_token(s, token_hash=hash_token(token))
        assert participant is not None
        participant.expires_at = past
        s.add(participant)
    when = past.strftime("%Y-%m-%d %H:%M UTC")
    err = _refused(env, lambda: env.workshops.admit(env.wid, token), "expired")
    assert when in str(err) and "new one" in str(err)
    _refused(
        env,
        lambda: env.workshops.register(
            env.wid, token, display_name="Ana", group="employers", consent=True
        ),
        "expired",
    )
    _refused(env, lambda: env.submit(token, "comment", {"text": "after expiry"}), "expired")
    _refused(env, lambda: env.feedback.my_answers(workshop_id=env.wid, token=token), "expired")


def test_links_validity_and_count(env) -> None:
    with pytest.raises(InvalidInput, match="count"):
        env.workshops.links(env.wid, 0)
    with pytest.raises(InvalidInput, match="count"):
        env.workshops.links(env.wid, 501)
    with pytest.raises(InvalidInput, match="valid_hours"):
        env.workshops.links(env.wid, 1, valid_hours=0)
    assert env.count("participant") == 0
    (link,) = env.workshops.links(env.wid, 1, valid_hours=2)
    assert link.url.startswith(env.settings.app_url + "voila/render/es61-test.ipynb?")
    assert f"workshop={env.wid}" in link.url
    assert timedelta(hours=1.9) < link.expires_at - utcnow() <= timedelta(hours=2)
    # Links can be handed out while the workshop is a draft; joining waits for it to open.
    token = env.token_of(link.url)
    with pytest.raises(WorkshopClosed, match="not started"):
        env.register(token)


# -- registration --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"display_name": ""}, "display_name"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"display_name": "Ana\x00"}, "display_name"),
        ({"display_name": "Ana\x1b[31m"}, "display_name"),
        ({"display_name": "Ana\u202egnp.exe"}, "display_name"),
        ({"display_name": None}, "display_name"),
        ({"group": "aliens"}, "stakeholder_group"),
        ({"group": None}, "stakeholder_group"),
        ({"consent": False}, "consent"),
        ({"consent": "yes"}, "consent"),
        ({"consent": 1}, "consent"),
    ],
)
def test_register_validation(env, fields: dict[str, object], bad_field: str) -> None:
    env.open()
    (token,) = env.tokens(1)
    args: dict[str, object] = {"display_name": "Ana", "group": "employers", "consent": True}
    args.update(fields)
    counts = env.counts()
    with pytest.raises(InvalidInput) as caught:
        env.workshops.register(env.wid, token, **args)
    assert [p.key for p in caught.value.problems] == [bad_field]
    assert bad_field in str(caught.value)
    assert env.counts() == counts
    (row,) = env.rows("SELECT display_name, stakeholder_group, consent_at FROM participant")
    assert row == {"display_name": None, "stakeholder_group": None, "consent_at": None}
    assert not env.workshops.admit(env.wid, token).registered


def test_register_reports_every_problem_at_once(env) -> None:
    env.open()
    (token,) = env.tokens(1)
    with pytest.raises(InvalidInput) as caught:
        env.workshops.register(env.wid, token, display_name="", group="x", consent=False)
    assert [p.key for p in caught.value.problems] == [
        "display_name",
        "stakeholder_group",
        "consent",
    ]


def test_register_accepts_80_chars_and_strips(env) -> None:
    env.open()
    (token,) = env.tokens(1)
    admission = env.workshops.register(
        env.wid, token, display_name="  " + "é" * 80 + "\n", group="unions", consent=True
    )
    assert admission.registered and admission.display_name == "é" * 80
    assert admission.stakeholder_group == "unions"
    # Registering again updates name and group but keeps the first consent time.
    (first,) = env.rows("SELECT consent_at FROM participant")
    again = env.workshops.register(env.wid, token, display_name="Bea", group="ngos", consent=True)
    assert again.display_name == "Bea" and again.stakeholder_group == "ngos"
    assert env.rows("SELECT consent_at FROM participant") == [first]


# -- workshop code -------------------------------------------------------------------


def test_join_with_code(env) -> None:
    env.open()
    url = env.workshops.shared_link(env.wid)
    assert "code=" in url and "token=" not in url
    code = env.token_of(url)
    token, admission = env.workshops.join_with_code(env.wid, code)
    assert admission.workshop_id == env.wid and not admission.registered
    assert token != code
    assert env.register(token).registered
    receipt = env.submit(token, "comment", {"text": "joined by code"})
    assert receipt.items == 1
    # Each use of the code gives a different participant.
    token2, admission2 = env.workshops.join_with_code(env.wid, code)
    assert token2 != token and admission2.participant_id != admission.participant_id
    assert env.count("participant") == 2


def test_join_with_wrong_code_is_refused(env) -> None:
    other = env.create_workshop(title="Other")
    env.open()
    env.open(other.id)
    code = env.token_of(env.workshops.shared_link(env.wid))
    other_code = env.token_of(env.workshops.shared_link(other.id))
    for bad in (new_token(), "nope", None, other_code):
        _refused(env, lambda bad=bad: env.workshops.join_with_code(env.wid, bad), "not valid")
    # A personal token is not a workshop code.
    (personal,) = env.tokens(1)
    _refused(env, lambda: env.workshops.join_with_code(env.wid, personal), "not valid")
    # A new shared link replaces the old code.
    env.workshops.shared_link(env.wid)
    _refused(env, lambda: env.workshops.join_with_code(env.wid, code), "not valid")


def test_join_with_code_needs_an_open_workshop(env) -> None:
    code = env.token_of(env.workshops.shared_link(env.wid))
    counts = env.counts()
    with pytest.raises(WorkshopClosed, match="not started"):
        env.workshops.join_with_code(env.wid, code)
    env.open()
    env.workshops.close(env.wid)
    with pytest.raises(WorkshopClosed, match="closed"):
        env.workshops.join_with_code(env.wid, code)
    assert env.counts() == counts


# -- participation -------------------------------------------------------------------


def test_participation_counts_per_group(env) -> None:
    env.open()
    tokens = env.tokens(6)
    empty = env.workshops.participation(env.wid)
    assert (empty.invited, empty.registered, empty.active, empty.groups) == (6, 0, 0, [])
    assert empty.expected == 50 and empty.round == 1 and empty.state == "open"

    groups = ["employers", "employers", "unions", "ngos"]
    for token, group in zip(tokens, groups, strict=False):
        env.register(token, group=group)

    def by_group():
        p = env.workshops.participation(env.wid)
        return {g["group"]: (g["registered"], g["active"]) for g in p.groups}, p

    counts, p = by_group()
    assert counts == {"employers": (2, 0), "unions": (1, 0), "ngos": (1, 0)}
    assert (p.invited, p.registered, p.active) == (6, 4, 0)

    env.submit(tokens[0], "comment", {"text": "first"})
    env.submit(tokens[0], "comment", {"text": "second"})
    env.submit(tokens[2], "ranking", {"order": env.OPTIONS})
    counts, p = by_group()
    assert counts == {"employers": (2, 1), "unions": (1, 1), "ngos": (1, 0)}
    assert (p.registered, p.active) == (4, 2)
    assert p.as_dict()["active"] == 2

    env.submit(tokens[1], "comment", {"text": "third"})
    counts, _ = by_group()
    assert counts["employers"] == (2, 2)

    # Activity is per round.
    env.workshops.next_round(env.wid)
    counts, p = by_group()
    assert counts == {"employers": (2, 0), "unions": (1, 0), "ngos": (1, 0)}
    assert p.round == 2


def test_register_refuses_text_that_cannot_be_stored(env) -> None:
    """Control characters and unpaired surrogates (not encodable as UTF-8) are refused
    with a message, before the database would fail on them."""
    from workbench.exceptions import InvalidInput

    env.open()
    (token,) = env.tokens(1)
    before = env.counts()
    for name in ("Ana\ud800", "Ana\x00", "Ana\u202e"):
        with pytest.raises(InvalidInput) as caught:
            env.workshops.register(env.wid, token, display_name=name, group="ngos", consent=True)
        assert [p.message for p in caught.value.problems] == ["contains control characters"]
    assert env.counts() == before
    assert env.workshops.admit(env.wid, token).registered is False
