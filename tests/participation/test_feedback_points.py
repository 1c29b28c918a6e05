"""The "points" kind (what matters most: dot voting over the criteria) through the real
FeedbackService, on SQLite and PostgreSQL: stored one row per criterion, pinned, idempotent,
refused with a message naming the problem, and fuzzed with hypothesis."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.exceptions import InputError, InvalidInput, StaleRound

CRITERIA = ["effectiveness", "feasibility"]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def room(make_env: Any) -> Any:
    """An open workshop (2 criteria, 100 points by default), two registered participants."""
    env = make_env(rate_limit=1_000_000)
    env.open()
    env.tokens_ = env.participants(2, groups=["employers", "unions"])
    return env


def _points(env: Any, token: str) -> dict[str, Any]:
    pid = env.workshops.admit(env.wid, token).participant_id
    return {r.item: r.value for r in env.feedback_rows(participant_id=pid) if r.kind == "points"}


def _refused(env: Any, payload: Any, token: str | None = None) -> list[tuple[str, str]]:
    before = env.counts()
    with pytest.raises(InvalidInput) as caught:
        env.submit(token or env.tokens_[0], "points", payload)
    assert env.counts() == before, "a refused submission wrote something"
    return [(p.key, p.message) for p in caught.value.problems]


def test_the_default_spec_asks_for_100_points(room: Any) -> None:
    assert room.info.points == 100
    assert room.workshops.get(room.wid).as_dict()["points"] == 100


def test_points_are_stored_one_row_per_criterion_pinned(room: Any) -> None:
    token = room.tokens_[0]
    receipt = room.submit(token, "points", {"effectiveness": 70, "feasibility": 30})
    assert (receipt.items, receipt.round, receipt.duplicate) == (2, 1, False)
    pid = room.workshops.admit(room.wid, token).participant_id
    rows = sorted(room.feedback_rows(participant_id=pid), key=lambda r: r.item)
    assert [(r.kind, r.item, r.value) for r in rows] == [
        ("points", "points:effectiveness", 70),
        ("points", "points:feasibility", 30),
    ]
    assert {(r.round, r.case_slug, r.run_hash, r.template_version) for r in rows} == {
        (1, room.CASE_SLUG, room.BUNDLE_HASH, room.TEMPLATE_PIN)
    }
    # a new allocation replaces the old one (revision 2), zero is allowed
    room.submit(token, "points", {"effectiveness": 0, "feasibility": 100})
    assert _points(room, token) == {"points:effectiveness": 0, "points:feasibility": 100}
    assert {r.revision for r in room.feedback_rows(participant_id=pid)} == {2}
    assert room.feedback.my_answers(workshop_id=room.wid, token=token) == {
        "points:effectiveness": 0,
        "points:feasibility": 100,
    }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"effectiveness": 60, "feasibility": 30}, "add up to 90, not 100"),
        ({"effectiveness": 60, "feasibility": 50}, "add up to 110, not 100"),
        ({"effectiveness": 0, "feasibility": 0}, "add up to 0, not 100"),
        (
            {"effectiveness": 100, "feasibility": 0, "x": 0},
            "name an unknown criterion 'x'; the criteria are effectiveness, feasibility",
        ),
        (
            {"effectiveness": 110, "feasibility": -10},
            "include negative points for feasibility (-10); use 0 or more",
        ),
        (
            {"effectiveness": 150, "feasibility": 0},
            "for effectiveness are 150, more than the 100 to spread",
        ),
        (
            {"effectiveness": 100},
            "are missing for feasibility; give every criterion a number (0 is allowed)",
        ),
        ({}, "are missing for effectiveness, feasibility; give every criterion a number "
             "(0 is allowed)"),
        ({"effectiveness": 50.0, "feasibility": 50}, "for effectiveness must be a whole "
                                                     "number from 0 to 100"),
        ({"effectiveness": True, "feasibility": 99}, "for effectiveness must be a whole "
                                                     "number from 0 to 100"),
        ({"effectiveness": "50", "feasibility": 50}, "for effectiveness must be a whole "
                                                     "number from 0 to 100"),
    ],
)  # fmt: skip
def test_bad_allocations_are_refused_naming_the_problem(
    room: Any, payload: dict[str, Any], message: str
) -> None:
    assert _refused(room, payload) == [("points", message)]


def test_the_refusal_reads_as_a_sentence_for_the_participant(room: Any) -> None:
    from workbench.widgets.submitter import _plain

    with pytest.raises(InvalidInput) as caught:
        room.submit(room.tokens_[0], "points", {"effectiveness": 60, "feasibility": 30})
    assert _plain(caught.value) == "Not saved: points add up to 90, not 100"


def test_a_workshop_without_points_refuses_them(make_env: Any) -> None:
    env = make_env()
    info = env.create_workshop(points=False)
    assert info.points is None
    env.open(info.id)
    (token,) = env.participants(1, workshop_id=info.id)
    counts = env.counts()
    with pytest.raises(InvalidInput) as caught:
        env.submit(token, "points", {"effectiveness": 50, "feasibility": 50}, workshop_id=info.id)
    assert [(p.key, p.message) for p in caught.value.problems] == [
        ("kind", "this workshop does not ask for points")
    ]
    assert env.counts() == counts


def test_another_budget_is_respected(make_env: Any) -> None:
    env = make_env()
    info = env.create_workshop(points=10)
    env.open(info.id)
    (token,) = env.participants(1, workshop_id=info.id)
    env.submit(token, "points", {"effectiveness": 7, "feasibility": 3}, workshop_id=info.id)
    with pytest.raises(InvalidInput, match="add up to 9, not 10"):
        env.submit(token, "points", {"effectiveness": 6, "feasibility": 3}, workshop_id=info.id)
    with pytest.raises(InvalidInput, match="for effectiveness are 70, more than the 10 to spread"):
        env.submit(token, "points", {"effectiveness": 70, "feasibility": 30}, workshop_id=info.id)


def test_a_resend_is_acknowledged_once_and_a_reused_key_refused(room: Any) -> None:
    token = room.tokens_[0]
    payload = {"effectiveness": 40, "feasibility": 60}
    first = room.submit(token, "points", payload, key="points-key-1")
    again = room.submit(token, "points", dict(payload), key="points-key-1")
    assert again.duplicate and again.submission_id == first.submission_id
    assert room.count("submission") == 1
    with pytest.raises(InvalidInput, match="already used for different answers"):
        room.submit(token, "points", {"effectiveness": 60, "feasibility": 40}, key="points-key-1")
    assert _points(room, token) == {"points:effectiveness": 40, "points:feasibility": 60}


def test_points_are_pinned_to_their_round(room: Any) -> None:
    token = room.tokens_[0]
    room.submit(token, "points", {"effectiveness": 80, "feasibility": 20})
    room.workshops.next_round(room.wid)
    with pytest.raises(StaleRound, match="your answer was for round 1, and round 2"):
        room.submit(token, "points", {"effectiveness": 10, "feasibility": 90}, round_number=1)
    room.submit(token, "points", {"effectiveness": 10, "feasibility": 90})
    pid = room.workshops.admit(room.wid, token).participant_id
    by_round = {(r.round, r.item): r.value for r in room.feedback_rows(participant_id=pid)}
    assert by_round == {
        (1, "points:effectiveness"): 80,
        (1, "points:feasibility"): 20,
        (2, "points:effectiveness"): 10,
        (2, "points:feasibility"): 90,
    }


def test_the_group_weights_are_shown_only_after_answering(room: Any) -> None:
    a, b = room.tokens_
    room.submit(a, "points", {"effectiveness": 70, "feasibility": 30})
    assert room.feedback.results(workshop_id=room.wid, token=b)["points"] == {}
    room.submit(b, "points", {"effectiveness": 40, "feasibility": 60})
    seen = room.feedback.results(workshop_id=room.wid, token=b)["points"]
    assert seen == {
        "effectiveness": {"mean": 55.0, "n": 2},
        "feasibility": {"mean": 45.0, "n": 2},
    }


# -- fuzzing -------------------------------------------------------------------------------

hostile_value = (
    st.integers(-200, 300)
    | st.integers(-(10**30), 10**30)
    | st.booleans()
    | st.floats()
    | st.integers(0, 100).map(str)
    | st.none()
    | st.lists(st.integers(0, 100), max_size=2)
)
keys = st.sampled_from([*CRITERIA, "x", "", "Effectiveness", "effectiveness "]) | st.text(
    max_size=10
)


@st.composite
def valid_allocation(draw: Any) -> dict[str, int]:
    first = draw(st.integers(0, 100))
    return {"effectiveness": first, "feasibility": 100 - first}


def test_fuzz_points_payloads(room: Any) -> None:
    """Only clean refusals (nothing written) or exactly the stored allocation."""
    token = room.tokens_[0]
    stored: dict[str, Any] = {}
    accepted = []

    @FUZZ
    @given(
        data=st.one_of(
            valid_allocation().map(lambda p: (True, p)),
            st.dictionaries(keys, hostile_value, max_size=4).map(lambda p: (False, p)),
            st.fixed_dictionaries(
                {"effectiveness": hostile_value, "feasibility": hostile_value}
            ).map(lambda p: (False, p)),
            st.builds(lambda p, v: {**p, "extra": v}, valid_allocation(), hostile_value).map(
                lambda p: (False, p)
            ),
        )
    )
    def run(data: tuple[bool, Any]) -> None:
        must_accept, payload = data
        before = room.counts()
        try:
            receipt = room.submit(token, "points", payload)
        except InputError as exc:
            assert not must_accept, (payload, exc)
            assert str(exc).strip()
            assert room.counts() == before, "a refused submission wrote something"
            return
        # accepted: exactly the workshop's criteria, whole numbers >= 0, adding up to 100
        assert set(payload) == set(CRITERIA)
        assert all(type(v) is int and v >= 0 for v in payload.values())
        assert sum(payload.values()) == 100
        assert receipt.items == 2
        stored.update({f"points:{k}": v for k, v in payload.items()})
        accepted.append(payload)
        found = _points(room, token)
        assert json.dumps(found, sort_keys=True) == json.dumps(stored, sort_keys=True)

    run()
    assert accepted  # the valid strategy was exercised
