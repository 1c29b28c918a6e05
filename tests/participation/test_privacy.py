"""GDPR: a participant's export, their erasure (no trace left anywhere) and retention purges.
Runs on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import _hostile as hostile
import pandas as pd
import pytest
from sqlalchemy import inspect, select, text
from sqlmodel import SQLModel

from workbench.db.models import utcnow
from workbench.exceptions import AccessDenied, InvalidInput, ParticipantNotFound, WorkshopNotFound
from workbench.participation.exports import FORMATS, workshop_tables, write_export
from workbench.participation.privacy import REDACTED, PrivacyService


@pytest.fixture
def room(env):
    return env, hostile.build(env), PrivacyService(env.db, env.settings)


def _needles(h: Any) -> list[str]:
    """Participant 0's personal data: id, name, token hash, their own texts."""
    return [h.public_ids[0], h.names[0], h.token_hashes[0], *h.own_comments, h.own_proposal]


def _ascii_needles(h: Any) -> list[str]:
    """Unique ASCII parts of :func:`_needles` (to search raw bytes and SQL dumps)."""
    return [
        h.public_ids[0],
        h.token_hashes[0],
        h.names[0].split()[1],
        *[c.split("\n")[0].rsplit(" ", 1)[0] for c in h.own_comments],
        h.own_proposal.split('"')[3],
    ]


def _database_text(env) -> str:
    """Every value of every column of every table, decoded (typed) and as stored (raw)."""
    parts: list[str] = []
    with env.db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts += [
                    json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else str(v)
                    for v in row
                ]
        tables = inspect(conn).get_table_names()
        assert {t.name for t in SQLModel.metadata.sorted_tables} <= set(tables)
        for name in tables:
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                parts += [str(v) for v in row]
    return "\n".join(parts)


def _sqlite_path(env) -> Path | None:
    url = env.db.url
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _export_text(path: Path) -> str:
    """Everything an export wrote, decoded (an xlsx file: every member of its zip)."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8") for n in z.namelist())
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    return "".join(f.read_bytes().decode("utf-8-sig") for f in files)


def _rows(env, table: str, where: str, **params: Any) -> list[dict[str, Any]]:
    return env.rows(f"SELECT * FROM {table} WHERE {where} ORDER BY id", **params)


# -- access --------------------------------------------------------------------------


def test_participant_export_holds_everything_about_them(room) -> None:
    env, h, privacy = room
    data = privacy.export_participant(h.public_ids[0])
    dump = json.dumps(data, ensure_ascii=False)
    person = data["participant"]
    assert (person["public_id"], person["display_name"]) == (h.public_ids[0], h.names[0])
    assert person["stakeholder_group"] == "employers" and person["consent_at"]
    assert "SHA-256" in person["join_token"]
    assert h.token_hashes[0] not in dump and h.tokens[0] not in dump
    assert data["workshop"]["id"] == h.wid and data["workshop"]["retention_days"] == 365

    items = {(f["round"], f["item"]): f for f in data["feedback"]}
    assert items[(1, "rating:training:effectiveness")]["value"] == 1
    again = items[(2, f"rating:{h.round2_item}")]
    assert (again["value"], again["revision"]) == (3, 2)
    assert items[(1, "approval:training")]["value"] is True
    assert items[(1, "ranking")]["value"] == env.OPTIONS
    assert items[(1, "comment:general")]["value"] == h.own_comments[0]
    assert items[(1, "comment:training")]["value"] == h.own_comments[1]
    assert items[(1, f"vote:{h.proposal_id}")]["value"] == 1
    feedback_rows = env.rows(
        "SELECT COUNT(*) AS n FROM feedback f JOIN participant p ON p.id = f.participant_id "
        "WHERE p.public_id = :pid",
        pid=h.public_ids[0],
    )
    assert len(data["feedback"]) == feedback_rows[0]["n"]
    assert {s["kind"] for s in data["submissions"]} == {
        "rating", "approval", "ranking", "vote", "comment", "proposal",
    }  # fmt: skip
    assert all(s["idempotency_key"] and s["received_at"] for s in data["submissions"])
    assert [s["text"] for s in data["statements"]] == [h.own_proposal]
    assert [(m["target_kind"], m["action"]) for m in data["moderation"]] == [
        ("statement", "approve"),
        ("comment", "hide"),
        ("comment", "approve"),
    ]
    assert data["pseudonymisation"]
    # nothing of anybody else
    assert h.names[1] not in dump and h.public_ids[1] not in dump
    assert hostile.HOSTILE[0] not in [f["value"] for f in data["feedback"]]


def test_participant_export_to_a_file_never_overwrites(room, tmp_path: Path) -> None:
    _, h, privacy = room
    path = privacy.write_participant_export(h.public_ids[1], tmp_path / "p1.json")
    assert json.loads(path.read_text())["participant"]["display_name"] == h.names[1]
    with pytest.raises(InvalidInput, match="already exists; refusing to overwrite"):
        privacy.write_participant_export(h.public_ids[1], path)


@pytest.mark.parametrize(
    ("public_id", "message"),
    [
        ("p-0000000000", "no participant p-0000000000: the id is unknown or"),
        ("Robert'); DROP TABLE participant;--", "is not a participant id"),
        ("", "is not a participant id"),
        (42, "is not a participant id"),
    ],
)
def test_unknown_or_malformed_ids_are_refused(room, public_id: Any, message: str) -> None:
    _, _, privacy = room
    with pytest.raises(ParticipantNotFound, match=message.replace("(", r"\(")) as info:
        privacy.export_participant(public_id)
    assert info.value.http_status == 404 and info.value.exit_code == 2
    with pytest.raises(ParticipantNotFound):
        privacy.erase(public_id)


# -- erasure -------------------------------------------------------------------------


def test_erasure_leaves_no_trace_in_the_database_or_a_fresh_export(room, tmp_path: Path) -> None:
    env, h, privacy = room
    before = _database_text(env)
    for needle in _needles(h):
        assert needle in before, f"the scan must see {needle!r} before the erasure"

    report = privacy.erase(h.public_ids[0])

    after = _database_text(env)
    for needle in _needles(h):
        assert needle not in after, f"{needle!r} survived the erasure"
    for needle in _ascii_needles(h):
        assert needle not in after
    path = _sqlite_path(env)
    if path is not None:
        dump = "\n".join(sqlite3.connect(path).iterdump())
        files = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for needle in _ascii_needles(h):
            assert needle not in dump, f"{needle!r} in the SQL dump"
            assert needle.encode() not in files, f"{needle!r} still on disk (free pages, WAL)"
    for fmt in FORMATS:
        written = write_export(workshop_tables(env.db, h.wid), fmt, home=tmp_path)
        files_text = _export_text(written)
        for needle in _ascii_needles(h):
            assert needle not in files_text, (fmt, needle)
    assert report.erasure_id is not None and report.workshop_id == h.wid


def test_erasure_keeps_everyone_else_and_the_counts_agree(room) -> None:
    env, h, privacy = room
    [p0] = env.rows("SELECT id FROM participant WHERE public_id = :p", p=h.public_ids[0])
    pid = p0["id"]
    others = {
        "feedback": _rows(env, "feedback", "participant_id <> :pid", pid=pid),
        "submission": _rows(env, "submission", "participant_id <> :pid", pid=pid),
        "participant": _rows(env, "participant", "id <> :pid", pid=pid),
        "statement": _rows(env, "statement", "id <> :sid", sid=h.proposal_id),
    }
    own = {
        "feedback": len(_rows(env, "feedback", "participant_id = :pid", pid=pid)),
        "submission": len(_rows(env, "submission", "participant_id = :pid", pid=pid)),
    }
    moderation = _rows(env, "moderation", "workshop_id = :wid", wid=h.wid)
    tables_before = workshop_tables(env.db, h.wid)

    report = privacy.erase(h.public_ids[0])

    assert report.rows == {
        "participant": 1,
        "feedback": own["feedback"],
        "submission": own["submission"],
        "moderation": 3,
        "statement_redacted": 1,
    }
    for table, rows in others.items():
        where = {"feedback": "participant_id <> :pid", "submission": "participant_id <> :pid",
                 "participant": "id <> :pid", "statement": "id <> :sid"}[table]  # fmt: skip
        assert _rows(env, table, where, pid=pid, sid=h.proposal_id) == rows, table
    remaining = _rows(env, "moderation", "workshop_id = :wid", wid=h.wid)
    assert remaining == [m for m in moderation if m["actor"] == "Facilitator B"][:1]

    [statement] = _rows(env, "statement", "id = :sid", sid=h.proposal_id)
    assert (statement["text"], statement["author_id"], statement["status"]) == (
        REDACTED,
        None,
        "hidden",
    )
    votes = _rows(env, "feedback", "item = :item", item=f"vote:{h.proposal_id}")
    assert len(votes) == 1, "another participant's vote on the redacted statement stays valid"

    [entry] = env.rows("SELECT * FROM erasure")
    rows = entry["rows"] if isinstance(entry["rows"], dict) else json.loads(entry["rows"])
    assert (entry["workshop_id"], entry["reason"], rows) == (h.wid, "request", report.rows)
    assert set(entry) == {"id", "workshop_id", "reason", "rows", "erased_at"}

    tables = workshop_tables(env.db, h.wid)
    part = env.workshops.participation(h.wid)
    assert len(tables["participants"]) == part.invited == 3
    assert (tables["participants"]["consent_at"] != "").sum() == part.registered == 2
    for name in ("ratings", "approvals", "rankings", "comments", "votes"):
        frame = tables[name]
        assert h.public_ids[0] not in set(frame["participant"]), name
        old = tables_before[name]
        old = old[old["participant"] != h.public_ids[0]]
        if name == "votes":  # votes on the redacted statement are excluded, not deleted
            old = old[old["statement_id"] != h.proposal_id]
        pd.testing.assert_frame_equal(
            frame.reset_index(drop=True), old.reset_index(drop=True), obj=name
        )
    assert h.proposal_id not in set(tables["votes"]["statement_id"])
    redacted = tables["statements"].set_index("statement_id").loc[h.proposal_id]
    assert (redacted["text"], redacted["author"], redacted["status"]) == (REDACTED, "", "hidden")


def test_an_erased_token_is_refused_and_erasing_twice_is_a_clear_error(room) -> None:
    env, h, privacy = room
    privacy.erase(h.public_ids[0])
    with pytest.raises(AccessDenied, match="not valid"):
        env.workshops.admit(h.wid, h.tokens[0])
    with pytest.raises(AccessDenied):
        env.submit(h.tokens[0], "comment", {"text": "still here?"}, workshop_id=h.wid)
    with pytest.raises(ParticipantNotFound, match="already erased"):
        privacy.erase(h.public_ids[0])
    with pytest.raises(ParticipantNotFound):
        privacy.export_participant(h.public_ids[0])
    env.workshops.admit(h.wid, h.tokens[1])  # the others still get in
    env.submit(h.tokens[1], "comment", {"text": "still here"}, workshop_id=h.wid)


def test_a_dry_run_counts_and_erases_nothing(room) -> None:
    env, h, privacy = room
    counts = {t: env.count(t) for t in ("participant", "feedback", "submission", "moderation")}
    dry = privacy.erase(h.public_ids[0], dry_run=True)
    assert dry.dry_run and dry.erasure_id is None
    assert {t: env.count(t) for t in counts} == counts and env.count("erasure") == 0
    real = privacy.erase(h.public_ids[0])
    assert real.rows == dry.rows
    assert env.count("feedback") == counts["feedback"] - real.rows["feedback"]


def test_an_uninvolved_invitation_erases_cleanly(room) -> None:
    _, h, privacy = room
    report = privacy.erase(h.public_ids[3])
    assert report.rows == {
        "participant": 1,
        "feedback": 0,
        "submission": 0,
        "moderation": 0,
        "statement_redacted": 0,
    }
    with pytest.raises(InvalidInput, match="reason"):
        privacy.erase(h.public_ids[0], reason="because")


# -- retention -----------------------------------------------------------------------


def test_set_retention_validates(env) -> None:
    privacy = PrivacyService(env.db, env.settings)
    assert privacy.set_retention(env.wid, 30).retention_days == 30
    assert env.workshops.get(env.wid).retention_days == 30
    for bad in (0, 3651, -1, True, "30", 1.5):
        with pytest.raises(InvalidInput, match="days: must be a whole number from 1 to 3650"):
            privacy.set_retention(env.wid, bad)  # type: ignore[arg-type]
    with pytest.raises(WorkshopNotFound, match="no workshop with id 999"):
        privacy.set_retention(999, 30)


def _closed_workshop(env, retention_days: int, close: bool = True) -> tuple[int, list[str]]:
    info = env.create_workshop(retention_days=retention_days)
    env.open(info.id)
    tokens = env.participants(2, groups=["employers", "unions"], workshop_id=info.id)
    for token in tokens:
        env.submit(token, "comment", {"text": f"kept until day {retention_days}"},
                   workshop_id=info.id)  # fmt: skip
    env.tokens(1, workshop_id=info.id)  # an invitation nobody used
    if close:
        env.workshops.close(info.id)
    return info.id, tokens


def test_purge_expired_erases_only_workshops_past_their_retention(env) -> None:
    privacy = PrivacyService(env.db, env.settings)
    short, short_tokens = _closed_workshop(env, 30)
    long, _ = _closed_workshop(env, 365)
    still_open, _ = _closed_workshop(env, 1, close=False)
    closed_at = env.workshops.get(short).closed_at
    assert closed_at is not None

    assert privacy.purge_expired(now=closed_at + timedelta(days=29)) == []
    counts = {t: env.count(t) for t in ("participant", "feedback", "submission")}
    dry = privacy.purge_expired(now=closed_at + timedelta(days=31), dry_run=True)
    assert [(r.workshop_id, r.reason, r.dry_run) for r in dry] == [(short, "retention", True)] * 3
    assert {t: env.count(t) for t in counts} == counts and env.count("erasure") == 0

    reports = privacy.purge_expired(now=closed_at + timedelta(days=31))
    assert [(r.workshop_id, r.reason) for r in reports] == [(short, "retention")] * 3
    assert sum(r.rows["feedback"] for r in reports) == 2
    assert [r.rows for r in reports] == [r.rows for r in dry]
    left = env.rows("SELECT workshop_id, COUNT(*) AS n FROM participant GROUP BY workshop_id")
    assert {r["workshop_id"]: r["n"] for r in left} == {long: 3, still_open: 3}
    assert env.rows("SELECT reason, COUNT(*) AS n FROM erasure GROUP BY reason") == [
        {"reason": "retention", "n": 3}
    ]
    with pytest.raises(AccessDenied):
        env.workshops.admit(short, short_tokens[0])
    tables = workshop_tables(env.db, short)
    assert len(tables["participants"]) == len(tables["comments"]) == 0
    assert env.workshops.participation(short).invited == 0
    assert privacy.purge_expired(now=closed_at + timedelta(days=31)) == []  # nothing left

    # later, the long one expires too; the open one never does
    later = privacy.purge_expired(now=utcnow() + timedelta(days=366))
    assert {r.workshop_id for r in later} == {long}
    assert env.count("participant") == 3
    with pytest.raises(InvalidInput, match="timezone-aware"):
        privacy.purge_expired(now=closed_at.replace(tzinfo=None))


def test_points_are_in_the_participant_export_and_erased(env, tmp_path: Path) -> None:
    env.open()
    tokens = env.participants(2, groups=["employers", "unions"])
    env.submit(tokens[0], "points", {"effectiveness": 70, "feasibility": 30})
    env.submit(tokens[1], "points", {"effectiveness": 40, "feasibility": 60})
    ids = [env.workshops.admit(env.wid, t).public_id for t in tokens]
    privacy = PrivacyService(env.db, env.settings)

    data = privacy.export_participant(ids[0])
    mine = {f["item"]: f["value"] for f in data["feedback"] if f["kind"] == "points"}
    assert mine == {"points:effectiveness": 70, "points:feasibility": 30}
    assert [s["kind"] for s in data["submissions"]] == ["points"]

    report = privacy.erase(ids[0])
    assert report.rows["feedback"] == 2 and report.rows["submission"] == 1
    left = sorted((r.item, r.value) for r in env.feedback_rows(kind="points"))
    assert left == [("points:effectiveness", 40), ("points:feasibility", 60)]
    points = workshop_tables(env.db, env.wid)["points"]
    assert set(points["participant"]) == {ids[1]}
    for fmt in FORMATS:
        written = write_export(workshop_tables(env.db, env.wid), fmt, home=tmp_path / fmt)
        assert ids[0] not in _export_text(written)
