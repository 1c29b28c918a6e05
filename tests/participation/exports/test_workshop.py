"""A workshop read into tidy tables: complete, pseudonymous, in a stable order, hidden
content left out; the points table in every format. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import _exports as ex
import _hostile as hostile
import pandas as pd
import pytest

from workbench.db import participation as store
from workbench.exceptions import WorkshopNotFound
from workbench.participation.exports import (
    FORMATS,
    TABLES,
    read_export,
    workshop_tables,
    write_export,
)


def test_tables_are_tidy_pseudonymous_and_complete(room) -> None:
    env, h = room
    tables = workshop_tables(env.db, h.wid)
    assert list(tables) == list(TABLES)
    for name, frame in tables.items():
        assert list(frame.columns) == TABLES[name].names + ex.EXTRA.get(name, []), name

    [workshop] = tables["workshop"].to_dict("records")
    assert workshop["workshop_id"] == h.wid and workshop["rounds"] == 2
    assert workshop["title"] == '-Workshop, "quoted" Zürich <b>bold</b>'
    assert workshop["bundle_hash"] == env.BUNDLE_HASH and workshop["closed_at"] == ""
    assert workshop["template_versions"] == env.TEMPLATE_PIN
    with env.db.session() as s:
        reask = [r.reask for r in store.find_rounds(s, workshop_id=h.wid)]
    expected = ["all" if r is None else ";".join(r) for r in reask]
    assert tables["rounds"]["reask"].tolist() == expected and expected[0] == "all"
    assert expected[1] == "all" or h.round2_item in expected[1].split(";")

    participants = tables["participants"]
    assert sorted(participants["participant"]) == sorted(h.public_ids)
    part = env.workshops.participation(h.wid)
    assert len(participants) == part.invited == 4
    assert (participants["consent_at"] != "").sum() == part.registered == 3
    by_group = participants[participants["stakeholder_group"] != ""].groupby("stakeholder_group")
    assert by_group.size().to_dict() == {g["group"]: g["registered"] for g in part.groups}

    ratings = tables["ratings"]
    assert len(ratings) == 3 * 3 * 2 + 2  # round 1: everyone everything; round 2: two cells
    p0_r2 = ratings[(ratings["round"] == 2) & (ratings["participant"] == h.public_ids[0])]
    assert p0_r2[["value", "revision"]].values.tolist() == [[3, 2]]
    assert set(ratings["option_label"]) == {
        '=HYPERLINK("http://x","Training")',
        "+Wage subsidy, 50%",
        '@Job search "assist" — ünï',
    }

    approvals = tables["approvals"]
    assert len(approvals) == 3 * 3  # one row per option, ticked or not
    assert approvals.groupby("participant")["approved"].sum().sort_values().tolist() == [1, 2, 3]
    rankings = tables["rankings"]
    assert len(rankings) == 9 and sorted(set(rankings["rank"])) == [1, 2, 3]

    comments = tables["comments"]
    texts = set(comments["text"])
    assert h.hidden_comment not in texts  # hidden by moderation
    assert set(h.own_comments) <= texts  # hidden, then approved again
    assert {*hostile.HOSTILE[:3], *hostile.HOSTILE[4:], *hostile.RAW_STARTS[:1]} <= texts

    statements = tables["statements"].set_index("statement_id")
    assert statements.loc[h.proposal_id, "author"] == h.public_ids[0]
    assert statements.loc[h.proposal_id, "text"] == h.own_proposal
    assert set(statements.loc[h.seed_ids, "author"]) == {""}
    votes = tables["votes"]
    assert set(votes["vote"]) == {"agree", "disagree", "pass"}
    assert (votes["statement_id"] == h.proposal_id).sum() == 2
    moderation = tables["moderation"]
    assert moderation["action"].tolist() == ["approve", "hide", "hide", "approve"]


def test_sort_order_is_stable_and_hidden_statements_lose_their_votes(room) -> None:
    env, h = room
    first = workshop_tables(env.db, h.wid)
    ex.assert_same(workshop_tables(env.db, h.wid), first)
    key = ["round", "participant", "statement_id"]
    assert first["votes"][key].values.tolist() == sorted(first["votes"][key].values.tolist())

    from workbench.participation.moderation import ModerationService

    ModerationService(env.db, env.settings).moderate(
        h.wid, target_kind="statement", target_id=h.seed_ids[0], action="hide", reason="dup"
    )
    after = workshop_tables(env.db, h.wid)
    assert h.seed_ids[0] not in set(after["votes"]["statement_id"])
    assert len(after["votes"]) == len(first["votes"]) - 3
    assert after["statements"].set_index("statement_id").loc[h.seed_ids[0], "status"] == "hidden"


def test_unknown_workshop(env) -> None:
    with pytest.raises(WorkshopNotFound, match="no workshop with id 999"):
        workshop_tables(env.db, 999)


@pytest.mark.parametrize("fmt", FORMATS)
def test_points_are_a_tidy_table_in_every_format(env, tmp_path: Path, fmt: str) -> None:
    env.open()
    tokens = env.participants(3, groups=["employers", "unions"])
    allocations = [(70, 30), (20, 80), (50, 50)]
    for token, (eff, fea) in zip(tokens, allocations, strict=True):
        env.submit(token, "points", {"effectiveness": eff, "feasibility": fea})
    env.workshops.next_round(env.wid)
    env.submit(tokens[0], "points", {"effectiveness": 0, "feasibility": 100})
    ids = [env.workshops.admit(env.wid, t).public_id for t in tokens]

    points = workshop_tables(env.db, env.wid)["points"]
    assert list(points.columns) == [
        "round", "participant", "stakeholder_group", "criterion", "criterion_label", "points",
    ]  # fmt: skip
    expected = []
    for p, (eff, fea) in enumerate(allocations):
        group = ["employers", "unions"][p % 2]
        expected += [
            (1, ids[p], group, "effectiveness", "Effectiveness", eff),
            (1, ids[p], group, "feasibility", "Feasibility", fea),
        ]
    expected += [
        (2, ids[0], "employers", "effectiveness", "Effectiveness", 0),
        (2, ids[0], "employers", "feasibility", "Feasibility", 100),
    ]
    got = [tuple(row) for row in points.itertuples(index=False, name=None)]
    assert sorted(got) == sorted(expected)
    assert points.groupby(["round", "participant"])["points"].sum().eq(100).all()

    back = read_export(write_export({"points": points}, fmt, home=tmp_path))
    pd.testing.assert_frame_equal(back["points"], points, obj="points")
