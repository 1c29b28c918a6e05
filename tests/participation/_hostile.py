"""A workshop full of hostile text, built through the real services (for exports and GDPR).

Not collected (no ``test_`` prefix); test modules ``import _hostile as hostile``
(tests/conftest.py puts ``tests/participation/`` on ``sys.path``).

Three registered participants and one unused invitation answer in two rounds: ratings,
approvals, a ranking, comments, a proposal and votes. Labels, title, statements and
comments start with formula characters, contain HTML, quotes, commas, newlines and
non-ASCII text. Participant 0's own texts carry unique markers so that tests can look
for every trace of them after an erasure.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from workbench.db.models import Feedback, Statement
from workbench.participation.moderation import ModerationService
from workbench.participation.tokens import hash_token

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2",
    "@SUM(A1)",
    "'quoted",
    "<script>alert(1)</script>",
    'commas, "double quotes", and\na newline',
    "Ünïcödé — 日本語 ✓ café",
    "#N/A",
    "_x000D_ is not a carriage return",
]
#: starts that reach the database only through a legacy or direct write (the services
#: strip leading whitespace); the test puts them in place with the ORM
RAW_STARTS = ["\t=1+1 after a tab", "\r-3 after a carriage return"]
GUARDED = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass
class Hostile:
    """The built workshop: ids, tokens and the personal data of each participant."""

    wid: int
    tokens: list[str]
    public_ids: list[str]
    names: list[str]
    token_hashes: list[str]
    #: comment texts written by participant 0 (unique markers)
    own_comments: list[str]
    own_proposal: str
    proposal_id: int
    hidden_comment: str
    seed_ids: list[int] = field(default_factory=list)
    #: the "option:criterion" rated again in round 2 (by participants 0 and 1)
    round2_item: str = ""


def build(env: Any) -> Hostile:
    """Create, open and fill the hostile workshop through the real services."""
    marker = uuid.uuid4().hex[:8]
    info = env.create_workshop(
        title='-Workshop, "quoted" Zürich <b>bold</b>',
        options=[
            {"key": "training", "label": '=HYPERLINK("http://x","Training")'},
            {"key": "wage_subsidy", "label": "+Wage subsidy, 50%"},
            {"key": "job_search", "label": '@Job search "assist" — ünï'},
        ],
        criteria=[
            {"key": "effectiveness", "label": "-Effectiveness"},
            {"key": "feasibility", "label": "'Feasibility"},
        ],
        statements=[*HOSTILE[:6], "A plain seed statement."],
    )
    wid = info.id
    env.open(wid)
    names = [
        f"=Ana Secretname{marker} Öz",
        f'Bob Hiddenname{marker}, "Jr."',
        f"@Cleo Quietname{marker}",
    ]
    tokens = env.tokens(4, workshop_id=wid)
    groups = ["employers", "unions", "employers"]
    for token, name, group in zip(tokens, names, groups, strict=False):
        env.register(token, group=group, name=name, workshop_id=wid)
    public_ids = [env.workshops.admit(wid, t).public_id for t in tokens]
    seed_ids = [sid for sid in _statement_ids(env, wid)]

    def submit(p: int, kind: str, payload: dict[str, Any]) -> None:
        env.submit(tokens[p], kind, payload, workshop_id=wid)

    own_comments = [
        f"Only-P0-wrote-this {marker} =SUM(1,2)",
        f"P0 also about training {marker}\nsecond line, ünï",
    ]
    own_proposal = f'=HYPERLINK("http://evil","P0 proposal {marker}") fund it'
    hidden = f"{HOSTILE[2]} will be hidden {marker}"
    ratings = {
        p: {
            o: {c: 1 + (p + i + j) % 5 for j, c in enumerate(env.CRITERIA)}
            for i, o in enumerate(env.OPTIONS)
        }
        for p in range(3)
    }
    for p in range(3):
        submit(p, "rating", {"ratings": ratings[p]})
        submit(p, "approval", {"approved": env.OPTIONS[: p + 1]})
        submit(p, "ranking", {"order": list(reversed(env.OPTIONS)) if p else env.OPTIONS})
        submit(p, "vote", {"votes": {str(sid): ("agree", "disagree", "pass")[(p + k) % 3]
                                     for k, sid in enumerate(seed_ids)}})  # fmt: skip
    submit(0, "comment", {"text": own_comments[0]})
    submit(0, "comment", {"target": "training", "text": own_comments[1]})
    submit(0, "proposal", {"text": own_proposal})
    # one comment per (participant, target): a second one would replace the first
    targets = ["general", *env.OPTIONS]
    slots = [(p, target) for p in (1, 2) for target in targets]
    for (p, target), text in zip(slots, HOSTILE[:7], strict=False):
        submit(p, "comment", {"target": target, "text": text})
    submit(2, "comment", {"target": "job_search", "text": hidden})

    moderation = ModerationService(env.db, env.settings)
    proposal_id = _statement_ids(env, wid, status="pending")[0]
    moderation.moderate(
        wid, target_kind="statement", target_id=proposal_id, action="approve",
        reason="'fine, approved", actor="=Facilitator A",
    )  # fmt: skip
    hidden_id = _comment_id(env, wid, hidden)
    moderation.moderate(
        wid, target_kind="comment", target_id=hidden_id, action="hide",
        reason="@off topic", actor="Facilitator B",
    )  # fmt: skip
    own_id = _comment_id(env, wid, own_comments[0])
    moderation.moderate(
        wid, target_kind="comment", target_id=own_id, action="hide", reason="checking",
        actor="Facilitator B",
    )  # fmt: skip
    moderation.moderate(
        wid, target_kind="comment", target_id=own_id, action="approve", actor="Facilitator B"
    )
    submit(1, "vote", {"votes": {str(proposal_id): "agree"}})
    submit(0, "vote", {"votes": {str(proposal_id): "agree"}})

    env.workshops.next_round(wid)
    # a Delphi round re-asks only the items without consensus: rate one of those
    option, criterion = _reasked(env, wid)[0].split(":")
    submit(0, "rating", {"ratings": {option: {criterion: 5}}})
    submit(1, "rating", {"ratings": {option: {criterion: 4}}})
    for (p, target), text in zip(slots[:3], HOSTILE[7:], strict=True):
        submit(p, "comment", {"target": target, "text": text})
    submit(0, "rating", {"ratings": {option: {criterion: 3}}})  # revision 2

    with env.db.session() as s:
        hashes = {
            p.public_id: p.token_hash
            for p in s.exec(_participants_query(wid)).all()  # type: ignore[call-overload]
        }
    assert [hash_token(t) for t in tokens] == [hashes[p] for p in public_ids]
    return Hostile(
        wid=wid,
        tokens=tokens,
        public_ids=public_ids,
        names=names,
        token_hashes=[hashes[p] for p in public_ids],
        own_comments=own_comments,
        own_proposal=own_proposal,
        proposal_id=proposal_id,
        hidden_comment=hidden,
        seed_ids=seed_ids,
        round2_item=f"{option}:{criterion}",
    )


def add_raw_starts(env: Any, h: Hostile) -> None:
    """Put a tab- and a CR-started text in place (a comment and a statement) via the ORM."""
    with env.db.session(write=True) as s:
        comment = s.get(Feedback, _comment_id(env, h.wid, HOSTILE[3]))
        statement = s.get(Statement, h.seed_ids[-1])
        assert comment is not None and statement is not None
        comment.value, statement.text = RAW_STARTS
        s.add(comment)
        s.add(statement)


def _participants_query(wid: int) -> Any:
    from sqlmodel import select

    from workbench.db.models import Participant

    return select(Participant).where(Participant.workshop_id == wid)


def _reasked(env: Any, wid: int) -> list[str]:
    """The rating items asked in the current round ("option:criterion")."""
    from workbench.db import participation as store

    info = env.workshops.get(wid)
    with env.db.session() as s:
        rnd = store.find_round(s, workshop_id=wid, number=info.current_round)
        assert rnd is not None
        if rnd.reask is not None:
            assert rnd.reask, "the scenario's first-round ratings must leave items to re-ask"
            return list(rnd.reask)
    return [f"{o}:{c}" for o in env.OPTIONS for c in env.CRITERIA]


def _statement_ids(env: Any, wid: int, status: str | None = None) -> list[int]:
    from workbench.db import participation as store

    with env.db.session() as s:
        return [st.id for st in store.find_statements(s, workshop_id=wid, status=status)]


def _comment_id(env: Any, wid: int, text: str) -> int:
    from workbench.db import participation as store

    with env.db.session() as s:
        [row] = [
            c for c in store.find_feedback(s, workshop_id=wid, kind="comment") if c.value == text
        ]
        return row.id
