"""Hypothesis fuzzing of ``FeedbackService.submit`` on SQLite and PostgreSQL.

Payloads of every kind are drawn valid-shaped and hostile (wrong types, huge and strange
text, nested structures, bools and floats for numbers, out-of-range values, unknown keys,
options and statements that are not in the workshop). The property: each call either

- raises one of the named refusals (InputError subclasses, AccessDenied, WorkshopClosed,
  StaleRound, RateLimited) with a message, and nothing is written; or
- returns a Receipt, and the participant's stored answers equal exactly a model that
  applies what the payload asked (read back from the database, every row).

Payloads built by the valid strategies must be accepted, so the property cannot pass by
refusing everything.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.db import participation as store
from workbench.exceptions import (
    AccessDenied,
    InputError,
    RateLimited,
    StaleRound,
    WorkshopClosed,
)

REFUSALS = (InputError, AccessDenied, WorkshopClosed, StaleRound, RateLimited)
OPTIONS = ["training", "wage_subsidy", "job_search"]
CRITERIA = ["effectiveness", "feasibility"]
VOTES = {"agree": 1, "disagree": -1, "pass": 0}
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- strategies ----------------------------------------------------------------------------
#: any text: controls, bidi overrides, lone surrogates, astral characters
any_text = st.text(st.characters(codec=None), max_size=40)
huge_text = st.integers(2001, 20_000).map(lambda n: "x" * n)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | any_text
    | st.sampled_from(["agree", "pass", "general", *OPTIONS, *CRITERIA])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=15,
)
hostile_number = (
    st.integers(-(10**30), 10**30)
    | st.booleans()
    | st.floats()
    | st.integers(1, 5).map(float)
    | st.integers(1, 5).map(str)
    | st.none()
    | st.lists(st.integers(1, 5), max_size=2)
)
good_text = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=10, max_size=200
).filter(lambda t: len(t.strip()) >= 10)


def valid_payload(kind: str, sids: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads of ``kind`` that the workshop must accept."""
    if kind == "rating":
        per = st.dictionaries(st.sampled_from(CRITERIA), st.integers(1, 5), min_size=1)
        return st.fixed_dictionaries(
            {"ratings": st.dictionaries(st.sampled_from(OPTIONS), per, min_size=1)}
        )
    if kind == "approval":
        return st.fixed_dictionaries({"approved": st.lists(st.sampled_from(OPTIONS), unique=True)})
    if kind == "ranking":
        return st.fixed_dictionaries({"order": st.permutations(OPTIONS)})
    if kind == "comment":
        return st.fixed_dictionaries(
            {"text": good_text}, optional={"target": st.sampled_from(["general", *OPTIONS])}
        )
    if kind == "vote":
        votes = st.dictionaries(
            st.sampled_from([str(s) for s in sids]), st.sampled_from(list(VOTES)), min_size=1
        )
        return st.fixed_dictionaries({"votes": votes})
    return st.fixed_dictionaries({"text": good_text})


def hostile_payload(kind: str, sids: list[int], pending: int) -> st.SearchStrategy[Any]:
    """Payloads of ``kind`` that are wrong in some way (or, by chance, valid)."""
    keys = st.sampled_from([*OPTIONS, "circus", "", "training ", "TRAINING"]) | any_text
    sid_keys = st.sampled_from([*map(str, sids), str(pending), "0", "-1", "999999", " 1"]) | (
        st.sampled_from(sids)  # integer keys, as a Python caller could send
    )
    unknown = st.dictionaries(st.sampled_from(["extra", "__proto__", "ratings"]), json_values)
    by_kind: dict[str, st.SearchStrategy[Any]] = {
        "rating": st.fixed_dictionaries(
            {
                "ratings": st.dictionaries(
                    keys, st.dictionaries(st.sampled_from(CRITERIA) | keys, hostile_number)
                )
                | json_values
            }
        ),
        "approval": st.fixed_dictionaries(
            {
                "approved": st.lists(st.sampled_from(OPTIONS) | json_scalars, max_size=5)
                | json_values
            }
        ),
        "ranking": st.fixed_dictionaries(
            {"order": st.lists(st.sampled_from(OPTIONS) | json_scalars, max_size=5) | json_values}
        ),
        "comment": st.fixed_dictionaries(
            {"text": any_text | huge_text | json_values},
            optional={"target": keys | json_values},
        ),
        "vote": st.fixed_dictionaries(
            {"votes": st.dictionaries(sid_keys, st.sampled_from(list(VOTES)) | json_values)}
        ),
        "proposal": st.fixed_dictionaries({"text": any_text | huge_text | json_values}),
    }
    return (
        by_kind[kind]
        | st.builds(lambda a, b: {**a, **b}, valid_payload(kind, sids), unknown)
        | json_values
        | st.recursive(st.integers(), lambda c: st.lists(c, max_size=1), max_leaves=60)
    )


KINDS = ["rating", "approval", "ranking", "comment", "vote", "proposal"]


# -- the model of what must be stored -------------------------------------------------------
def clean(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def expected_items(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The feedback items an accepted payload sets, with their stored values."""
    if kind == "rating":
        return {
            f"rating:{o}:{c}": v for o, per in payload["ratings"].items() for c, v in per.items()
        }
    if kind == "approval":
        return {f"approval:{o}": o in payload["approved"] for o in OPTIONS}
    if kind == "ranking":
        return {"ranking": list(payload["order"])}
    if kind == "comment":
        return {f"comment:{payload.get('target', 'general')}": clean(payload["text"])}
    if kind == "vote":
        return {f"vote:{sid}": VOTES[v] for sid, v in payload["votes"].items()}
    return {}


class Participant:
    """One registered participant and the model of their stored answers."""

    def __init__(self, env: Any) -> None:
        self.env = env
        (self.token,) = env.participants(1)
        self.pid = env.workshops.admit(env.wid, self.token).participant_id
        self.answers: dict[str, Any] = {}
        self.proposals: list[str] = []
        self.submissions = 0

    def stored(self) -> tuple[dict[str, Any], list[str], int]:
        rows = self.env.feedback_rows(participant_id=self.pid)
        answers = {r.item: r.value for r in rows}
        assert len(answers) == len(rows)  # one row per item
        assert {(r.round, r.case_slug, r.run_hash) for r in rows} <= {
            (1, self.env.CASE_SLUG, self.env.BUNDLE_HASH)
        }
        with self.env.db.session() as s:
            proposals = [
                st.text
                for st in store.find_statements(s, workshop_id=self.env.wid, status="pending")
                if st.author_id == self.pid
            ]
        subs = self.env.rows(
            "SELECT COUNT(*) AS n FROM submission WHERE participant_id = :p", p=self.pid
        )[0]["n"]
        return answers, sorted(proposals), int(subs)

    def check(self, kind: str, payload: Any, *, must_accept: bool) -> None:
        """Submit; the outcome must be a clean refusal or exactly the modelled store."""
        before = self.env.counts()
        try:
            receipt = self.env.submit(self.token, kind, payload)
        except REFUSALS as exc:
            assert not must_accept, (kind, payload, exc)
            assert str(exc).strip(), type(exc)
            assert self.env.counts() == before, "a refused submission wrote something"
            return
        items = expected_items(kind, payload)
        self.answers.update(items)
        if kind == "proposal":
            self.proposals.append(clean(payload["text"]))
        self.submissions += 1
        assert receipt.duplicate is False and receipt.round == 1
        assert receipt.items == len(items) + (kind == "proposal")
        answers, proposals, submissions = self.stored()
        assert answers == self.answers, (kind, payload)
        # the stored values have the types asked for, not just equal ones (True == 1)
        assert json.dumps(answers, sort_keys=True) == json.dumps(self.answers, sort_keys=True)
        assert proposals == sorted(self.proposals)
        assert submissions == self.submissions


@pytest.fixture
def room(make_env: Any) -> Any:
    """An open workshop (no rate limit in the way), one pending proposal by someone else."""
    env = make_env(rate_limit=1_000_000)
    env.open()
    (other,) = env.participants(1, groups=["unions"])
    env.submit(other, "proposal", {"text": "Someone else's pending proposal."})
    env.sids = env.statement_ids()
    (env.pending,) = env.statement_ids(status="pending")
    return env


@pytest.mark.parametrize("kind", KINDS)
def test_fuzz_payloads_of_each_kind(room: Any, kind: str) -> None:
    person = Participant(room)

    @FUZZ
    @given(
        data=st.one_of(
            valid_payload(kind, room.sids).map(lambda p: (True, p)),
            hostile_payload(kind, room.sids, room.pending).map(lambda p: (False, p)),
        )
    )
    def run(data: tuple[bool, Any]) -> None:
        must_accept, payload = data
        person.check(kind, payload, must_accept=must_accept)

    run()
    assert person.submissions > 0  # the valid strategy was exercised


@FUZZ
@given(kind=st.sampled_from([*KINDS, "like", "", "RATING", "rating "]), payload=json_values)
def test_fuzz_any_kind_any_payload(room: Any, kind: str, payload: Any) -> None:
    # (the fixture is shared by the examples: one participant, fresh keys each time)
    if not hasattr(room, "person"):
        room.person = Participant(room)
    room.person.check(kind, payload, must_accept=False)


def deeply_nested(levels: int) -> list[Any]:
    outer: list[Any] = []
    inner = outer
    for _ in range(levels):
        inner.append([])
        inner = inner[0]
    return outer


def test_found_by_fuzzing(room: Any) -> None:
    """Payloads that once raised TypeError, RecursionError or a database error."""
    sid = room.sids[0]
    choice = "must be agree, disagree or pass"
    cases: list[tuple[str, Any, str, str]] = [
        ("vote", {"votes": {str(sid): ["agree"]}}, f"votes.{sid}", choice),
        ("vote", {"votes": {str(sid): {"agree": 1}}}, f"votes.{sid}", choice),
        # an integer key next to the same id as text would store one item twice
        ("vote", {"votes": {sid: "disagree"}}, f"votes.{sid}",
         "is not a statement open for voting"),
        ("vote", {"votes": {str(sid): "agree", sid: "disagree"}}, "payload",
         "is not valid JSON data"),
        ("comment", {"text": "a lone \ud800 surrogate"}, "payload",
         "contains text that is not valid Unicode (an unpaired surrogate)"),
        ("proposal", {"text": "another lone \udfff surrogate"}, "payload",
         "contains text that is not valid Unicode (an unpaired surrogate)"),
        ("rating", {"ratings": {"training": {"effectiveness": 3}}, 1: "x"}, "payload",
         "is not valid JSON data"),
        ("comment", {"text": "deep", "x": deeply_nested(100_000)}, "payload",
         "is not valid JSON data"),
    ]  # fmt: skip
    (token,) = room.participants(1)
    for kind, payload, key, message in cases:
        before = room.counts()
        with pytest.raises(InputError) as caught:
            room.submit(token, kind, payload)
        problems = [(p.key, p.message) for p in caught.value.problems]
        assert problems == [(key, message)], (kind, problems)
        assert room.counts() == before


def test_fuzz_workshop_token_round_and_key(room: Any) -> None:
    """Only the room's own id, a registered token, round 1 and a well-formed key store."""
    people = {"TOKEN": Participant(room), "OTHER": Participant(room)}
    (unregistered,) = room.tokens(1)
    accepted: list[bool] = []

    @FUZZ
    @given(
        workshop=st.sampled_from(["WID", "WID ", "0", "-1", "999999", "", "\uff19", "1e3"])
        | json_scalars,
        token=st.sampled_from(["TOKEN", "OTHER", "UNREGISTERED"]) | json_scalars,
        round_number=st.sampled_from([1, 0, 2, -1, True, 1.0, "1", None, 10**30]),
        key=st.from_regex(r"[A-Za-z0-9_-]{8,12}", fullmatch=True)
        | st.text(st.characters(codec=None), max_size=70)
        | json_scalars,
    )
    def run(workshop: Any, token: Any, round_number: Any, key: Any) -> None:
        wid = {"WID": room.wid, "WID ": f"{room.wid} "}.get(workshop, workshop)
        person = people.get(token) if isinstance(token, str) else None
        tok = unregistered if token == "UNREGISTERED" else (person.token if person else token)
        before = room.counts()
        try:
            receipt = room.feedback.submit(
                workshop_id=wid,
                token=tok,
                round_number=round_number,
                kind="comment",
                payload={"text": "A fuzzed but valid comment."},
                idempotency_key=key,
            )
        except REFUSALS as exc:
            assert str(exc).strip()
            assert room.counts() == before
            return
        # accepted only with everything right (True and 1.0 compare equal to round 1)
        assert str(wid) == str(room.wid) and person is not None, (workshop, token)
        assert round_number == 1 and isinstance(key, str)
        assert receipt.round == 1 and receipt.items == 1
        if receipt.duplicate:  # the same key again from the same person: nothing new
            assert room.counts() == before
        else:
            assert room.counts()["submission"] == before["submission"] + 1
        assert person.stored()[0] == {"comment:general": "A fuzzed but valid comment."}
        accepted.append(receipt.duplicate)

    run()
    assert False in accepted  # valid submissions were made, not only refusals
