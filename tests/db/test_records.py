"""The data-protection queries on their own: ids gathered for an erasure, erasure, file
clean-up. On SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

from datetime import timedelta

from workbench.db import Database, records
from workbench.db import participation as store
from workbench.db.models import utcnow


def test_personal_rows_erase_rows_and_the_erasure_log(db_url: str) -> None:
    db = Database(db_url)
    now = utcnow()
    with db.session(write=True) as s:
        pub = store.add_publication(
            s, case_slug="c", app_path="c.ipynb", bundle_hash="b", app_version="1"
        )
        w = store.add_workshop(s, case_slug="c", publication_id=pub.id, title="W")
        store.start_round(s, workshop=w, now=now)
        people = [
            store.add_participant(
                s, workshop_id=w.id, public_id=f"p-{i:010x}", token_hash=f"{i:064x}",
                expires_at=now + timedelta(hours=1), display_name=f"Name {i}",
            )
            for i in (1, 2)
        ]  # fmt: skip
        pins = {"workshop_id": w.id, "round": 1, "case_slug": "c", "run_hash": "b",
                "template_version": "v"}  # fmt: skip
        for person in people:
            sub = store.insert_submission(
                s, workshop_id=w.id, participant_id=person.id, round=1, kind="comment",
                idempotency_key=f"key-{person.id:08d}", payload_sha256="x", item_count=1,
            )  # fmt: skip
            assert sub is not None
            store.upsert_feedback(
                s,
                rows=[{**pins, "participant_id": person.id, "kind": "comment",
                       "item": "comment:general", "value": f"text {person.id}"}],
                submission_id=sub,
                now=now,
            )  # fmt: skip
        own = store.add_statement(
            s, workshop_id=w.id, text="mine", origin="participant", author_id=people[0].id
        )
        [comment] = store.find_feedback(s, workshop_id=w.id, participant_id=people[0].id)
        store.add_moderation(s, workshop_id=w.id, target_kind="comment", target_id=comment.id,
                             action="hide", reason="r", actor="f")  # fmt: skip
        store.add_moderation(s, workshop_id=w.id, target_kind="statement", target_id=own.id,
                             action="approve", reason="ok", actor="f")  # fmt: skip
        wid, sid = w.id, own.id

    with db.session(write=True) as s:
        found = records.find_participant_by_public_id(s, public_id="p-0000000001", lock=True)
        assert found is not None
        rows = records.personal_rows(s, found)
        assert rows.counts() == {"participant": 1, "feedback": 1, "submission": 1,
                                 "moderation": 2, "statement_redacted": 1}  # fmt: skip
        records.erase_rows(s, rows, redacted_text="[gone]")
        records.add_erasure(s, workshop_id=wid, reason="request", rows=rows.counts())

    with db.session() as s:
        assert records.find_participant_by_public_id(s, public_id="p-0000000001") is None
        assert [p.public_id for p in records.participants_of(s, workshop_id=wid)] == [
            "p-0000000002"
        ]
        [(statement, author)] = records.statements_with_authors(s, workshop_id=wid)
        assert (statement.id, statement.text, statement.status, author) == (
            sid, "[gone]", "hidden", None,
        )  # fmt: skip
        assert records.moderation_of(s, workshop_id=wid) == []
        assert [who for _, who in records.feedback_with_authors(s, workshop_id=wid)] == [
            "p-0000000002"
        ]
        [entry] = records.find_erasures(s, workshop_id=wid)
        assert entry.rows["moderation"] == 2 and entry.reason == "request"
        assert (
            records.moderation_of_targets(s, workshop_id=wid, statement_ids=[], comment_ids=[])
            == []
        )
    cleaned = records.release_erased_pages(db.engine)
    assert cleaned is db_url.startswith("sqlite")
    db.dispose()
