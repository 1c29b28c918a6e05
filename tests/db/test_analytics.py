"""The fast round loader, on rows written by the real services (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.db.analytics import load_frame
from workbench.db.frames import FeedbackFrame
from workbench.db.models import utcnow
from workbench.exceptions import WorkshopNotFound
from workbench.participation.analysis import analyse_workshop
from workbench.participation.feedback import FeedbackService
from workbench.participation.moderation import ModerationService
from workbench.participation.spec import WorkshopSpec
from workbench.participation.workshops import WorkshopService

CASE_SLUG = "es61-analytics"
OPTIONS = ["training", "wage_subsidy", "job_search"]
CRITERIA = ["effectiveness", "feasibility"]
GROUPS = ["employers", "unions", "ngos"]


@dataclass
class World:
    db: Database
    workshops: WorkshopService
    feedback: FeedbackService
    moderation: ModerationService
    keys: Iterator[int]

    def submit(self, wid: int, token: str, kind: str, payload: dict[str, Any]) -> None:
        self.feedback.submit(
            workshop_id=wid,
            token=token,
            round_number=self.workshops.get(wid).current_round,
            kind=kind,
            payload=payload,
            idempotency_key=f"key-{next(self.keys):08d}",
        )

    def workshop(self, n_statements: int = 4) -> int:
        spec = WorkshopSpec.model_validate(
            {
                "title": "Analytics test",
                "scale": 5,
                "options": [{"key": k, "label": k.replace("_", " ").title()} for k in OPTIONS],
                "criteria": [{"key": k, "label": k.title()} for k in CRITERIA],
                "statements": [f"Statement number {i} for the test." for i in range(n_statements)],
            }
        )
        wid = self.workshops.create(case_slug=CASE_SLUG, spec=spec).id
        self.workshops.open(wid)
        return wid

    def join(self, wid: int, count: int) -> list[str]:
        tokens = []
        for i, link in enumerate(self.workshops.links(wid, count)):
            token = parse_qs(urlsplit(link.url).query)["token"][0]
            self.workshops.register(
                wid, token, display_name=f"P{i}", group=GROUPS[i % 3], consent=True
            )
            tokens.append(token)
        return tokens


def rating(p: int, o: int, c: int) -> int:
    return 1 + (p * 3 + o * 2 + c) % 5


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    db = Database(db_url)
    settings = Settings(home=tmp_path, db_url=db_url)
    with db.session(write=True) as s:
        store.add_publication(
            s,
            case_slug=CASE_SLUG,
            title="ES61",
            app_path="es61.ipynb",
            run_hashes={"evidence_review": "ab" * 32},
            template_versions={"evidence_review": "1.0.0"},
            bundle_hash="0123456789abcdef",
            app_version="1",
            synthetic_data=True,
        )
    yield World(
        db=db,
        workshops=WorkshopService(db, settings),
        feedback=FeedbackService(db, settings),
        moderation=ModerationService(db, settings),
        keys=iter(range(1, 10**9)),
    )
    db.dispose()


def reference(world: World, wid: int, round_number: int) -> FeedbackFrame:
    """The same round built in plain Python from ORM rows."""
    with world.db.session() as s:
        workshop = store.find_workshop(s, workshop_id=wid)
        assert workshop is not None
        statements = [
            (st.id, st.text) for st in store.find_statements(s, workshop_id=wid, status="approved")
        ]
        rows = store.find_feedback(s, workshop_id=wid, round_number=round_number)
        people = store.find_participants(s, ids=sorted({r.participant_id for r in rows}))
        return FeedbackFrame.from_rows(
            workshop_id=wid,
            round_number=round_number,
            spec=workshop.spec,
            scale_max=workshop.scale_max,
            statements=statements,
            participants=[(p.id, p.stakeholder_group) for p in people.values()],
            rows=[(r.participant_id, r.kind, r.item, r.value) for r in rows],
        )


def answers(frame: FeedbackFrame) -> dict[str, set[tuple[int, ...]]]:
    """Every answer as (participant id, code, value), order-free."""
    pid = frame.participant_ids
    return {
        "rating": set(
            zip(
                pid[frame.rating_participant].tolist(),
                frame.rating_item.tolist(),
                frame.rating_value.tolist(),
                strict=True,
            )
        ),
        "approval": set(
            zip(
                pid[frame.approval_participant].tolist(),
                frame.approval_option.tolist(),
                frame.approval_value.tolist(),
                strict=True,
            )
        ),
        "vote": set(
            zip(
                pid[frame.vote_participant].tolist(),
                frame.statement_ids[frame.vote_statement].tolist(),
                frame.vote_value.tolist(),
                strict=True,
            )
        ),
        "ranking": {
            (int(p), *map(int, order))
            for p, order in zip(pid[frame.ranking_participant], frame.ranking_order, strict=True)
        },
    }


def test_load_frame_matches_the_rows_written(world: World) -> None:
    wid = world.workshop()
    other = world.workshop()
    tokens = world.join(wid, 6)
    idle = world.join(wid, 1)  # registered, never answers
    with world.db.session() as s:
        sids = [st.id for st in store.find_statements(s, workshop_id=wid)]
    for p, token in enumerate(tokens):
        ratings = {
            o: {c: rating(p, oi, ci) for ci, c in enumerate(CRITERIA)}
            for oi, o in enumerate(OPTIONS)
        }
        world.submit(wid, token, "rating", {"ratings": ratings})
        world.submit(wid, token, "approval", {"approved": OPTIONS[: 1 + p % 3]})
        order = OPTIONS[p % 3 :] + OPTIONS[: p % 3]
        world.submit(wid, token, "ranking", {"order": order})
        votes = {str(sid): ("agree", "disagree", "pass")[(p + i) % 3] for i, sid in enumerate(sids)}
        world.submit(wid, token, "vote", {"votes": votes})
        world.submit(wid, token, "comment", {"text": f"Comment {p} with spaces."})
    world.submit(wid, tokens[0], "proposal", {"text": "A proposal that waits for moderation."})
    # votes on statement 4 stop counting once it is hidden
    world.moderation.moderate(
        wid, target_kind="statement", target_id=sids[3], action="hide", reason="off topic"
    )
    other_token = world.join(other, 1)[0]
    world.submit(other, other_token, "approval", {"approved": OPTIONS})

    with world.db.session() as s:
        frame = load_frame(s, workshop_id=wid, round_number=1)
    assert answers(frame) == answers(reference(world, wid, 1))
    # by hand: participant 2 rated wage_subsidy (o=1) on feasibility (c=1) 1 + (6+2+1) % 5 = 5
    p2 = frame.participant_ids[2]
    mine = frame.rating_participant == 2
    assert (
        dict(zip(frame.rating_item[mine].tolist(), frame.rating_value[mine].tolist(), strict=True))[
            1 * 2 + 1
        ]
        == 5
    )
    assert (int(p2), 1, True) in answers(frame)["approval"]  # approved training, wage_subsidy
    assert frame.statement_ids.tolist() == sids[:3]  # hidden and pending ones are out
    assert len(frame.vote_value) == 6 * 3
    assert frame.n_rows == 6 * (6 + 3 + 1 + 4 + 1)
    assert len(frame.participant_ids) == 7  # the idle participant is listed too
    assert frame.participant_groups[:3] == ("employers", "unions", "ngos")
    assert frame.options == tuple(OPTIONS) and frame.option_labels[1] == "Wage Subsidy"
    assert frame.scale_max == 5 and frame.round == 1
    assert idle  # registered but silent: no answers
    assert not np.isin(frame.participant_ids, [-1]).any()


def test_rounds_and_workshops_are_kept_apart(world: World) -> None:
    wid = world.workshop()
    tokens = world.join(wid, 4)
    for p, token in enumerate(tokens):
        world.submit(wid, token, "rating", {"ratings": {"training": {"effectiveness": 1 + p}}})
    world.workshops.next_round(wid)
    for p, token in enumerate(tokens[:3]):
        world.submit(wid, token, "rating", {"ratings": {"training": {"effectiveness": 2 + p}}})
    with world.db.session() as s:
        first = load_frame(s, workshop_id=wid, round_number=1)
        second = load_frame(s, workshop_id=wid, round_number=2)
        empty = load_frame(s, workshop_id=wid, round_number=3)
        with pytest.raises(WorkshopNotFound):
            load_frame(s, workshop_id=wid + 100, round_number=1)
    assert first.rating_value.tolist() == [1, 2, 3, 4]
    assert sorted(second.rating_value.tolist()) == [2, 3, 4]
    assert (
        empty.n_rows == 0 and len(empty.rating_value) == 0 and empty.ranking_order.shape == (0, 3)
    )

    current, previous = analyse_workshop(world.db, wid, 2)
    assert previous is not None and previous.round == 1 and previous.stability is None
    assert current.previous_round == 1
    assert current.stability is not None and current.stability.pairs[0] == 3
    assert current.ratings.n[0] == 3 and previous.ratings.n[0] == 4
    only, none = analyse_workshop(world.db, wid, 1)
    assert none is None and only.stability is None


def test_odd_values_are_read_row_by_row(world: World) -> None:
    """A value with spaces (not from the services) falls back to the row-by-row read."""
    wid = world.workshop()
    tokens = world.join(wid, 2)
    for p, token in enumerate(tokens):
        world.submit(wid, token, "rating", {"ratings": {"job_search": {"feasibility": 3 + p}}})
    with world.db.session(write=True) as s:
        sid = store.find_statements(s, workshop_id=wid)[0].id
        pid = store.find_feedback(s, workshop_id=wid)[0].participant_id
        submission = store.insert_submission(
            s,
            workshop_id=wid,
            participant_id=pid,
            round=1,
            kind="vote",
            idempotency_key="odd-value-key",
            payload_sha256="0" * 64,
        )
        assert submission is not None
        store.upsert_feedback(
            s,
            rows=[
                {
                    "workshop_id": wid,
                    "round": 1,
                    "participant_id": pid,
                    "kind": "vote",
                    "item": f"vote:{sid}",
                    "value": "not a vote",
                    "case_slug": CASE_SLUG,
                    "run_hash": "0123456789abcdef",
                    "template_version": "app@1",
                }
            ],
            submission_id=submission,
            now=utcnow(),
        )
    with world.db.session() as s:
        frame = load_frame(s, workshop_id=wid, round_number=1)
    assert answers(frame) == answers(reference(world, wid, 1))
    assert sorted(frame.rating_value.tolist()) == [3, 4] and len(frame.vote_value) == 0
    assert frame.n_rows == 3


def test_points_are_loaded_like_the_reference(world: World) -> None:
    wid = world.workshop()
    tokens = world.join(wid, 4)
    for p, token in enumerate(tokens[:3]):
        world.submit(wid, token, "points", {"effectiveness": 25 * p, "feasibility": 100 - 25 * p})
        world.submit(wid, token, "rating", {"ratings": {"training": {"effectiveness": 1 + p}}})
    world.workshops.next_round(wid)
    world.submit(wid, tokens[3], "points", {"effectiveness": 90, "feasibility": 10})

    def points(frame: FeedbackFrame) -> set[tuple[int, int, int]]:
        ids = frame.participant_ids[frame.points_participant].tolist()
        return set(
            zip(ids, frame.points_criterion.tolist(), frame.points_value.tolist(), strict=True)
        )

    with world.db.session() as s:
        first = load_frame(s, workshop_id=wid, round_number=1)
        second = load_frame(s, workshop_id=wid, round_number=2)
    ids = first.participant_ids.tolist()
    assert first.points_budget == 100
    assert points(first) == {
        (ids[p], c, v) for p in range(3) for c, v in enumerate((25 * p, 100 - 25 * p))
    }
    assert points(first) == points(reference(world, wid, 1))
    assert first.rating_value.tolist() == [1, 2, 3]  # codes of the other kinds unchanged
    assert points(second) == {(ids[3], 0, 90), (ids[3], 1, 10)}
    assert points(second) == points(reference(world, wid, 2))
