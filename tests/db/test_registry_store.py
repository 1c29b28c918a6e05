"""Crud of the model registry tables on SQLite and PostgreSQL: numbering (with a retry when
another writer took the number), seeding, the audit log and evidence changes."""

from __future__ import annotations

import pytest

from workbench.db import Database
from workbench.db import registry as store


def _version(session, name: str = "m", **fields):
    return store.add_next_version(session, name=name, created_by="Ana", **fields)


def test_versions_are_numbered_per_model_past_seeded_names(db_url: str) -> None:
    db = Database(db_url)
    with db.session(write=True) as s:
        seeded = store.add_seeded_version(
            s, name="m", version="0.1.0", status="approved", created_by="model.yaml"
        )
        assert seeded is not None
        assert [_version(s).version, _version(s).version] == ["1", "2"]
        assert _version(s, name="other").version == "1"
    with db.session() as s:
        assert store.model_names(s) == ["m", "other"]
        assert [v.version for v in store.find_versions(s, name="m")] == ["0.1.0", "1", "2"]
        assert store.next_version_number(s, name="m") == 3
        assert store.find_approved(s, name="m").version == "0.1.0"
        assert store.find_version(s, name="m", version="2").status == "candidate"
        assert store.find_version(s, name="m", version="9") is None
    db.dispose()


def test_seeding_twice_records_one_row(db_url: str) -> None:
    db = Database(db_url)
    with db.session(write=True) as s:
        first = store.add_seeded_version(
            s, name="m", version="3", status="approved", created_by="x"
        )
        again = store.add_seeded_version(
            s, name="m", version="3", status="approved", created_by="y"
        )
        assert first is not None and again is None
    with db.session() as s:
        [row] = store.find_versions(s, name="m")
        assert row.created_by == "x"
    db.dispose()


def test_a_number_taken_by_another_writer_is_skipped(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: a writer computed max + 1 = 1, but version 1 was committed meanwhile."""
    db = Database(db_url)
    with db.session(write=True) as s:
        _version(s)
    real = store.next_version_number
    stale = iter([1])

    def racing(session, *, name: str) -> int:
        return next(stale, None) or real(session, name=name)

    monkeypatch.setattr(store, "next_version_number", racing)
    with db.session(write=True) as s:
        row = _version(s, reason="second")
    assert row.version == "2"
    with db.session() as s:
        assert [(v.version, v.reason) for v in store.find_versions(s, name="m")] == [
            ("1", ""),
            ("2", "second"),
        ]
    db.dispose()


def test_giving_up_after_too_many_collisions(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.exceptions import StoreUnavailable

    db = Database(db_url)
    with db.session(write=True) as s:
        _version(s)
    monkeypatch.setattr(store, "next_version_number", lambda session, *, name: 1)
    with (
        pytest.raises(StoreUnavailable, match="too many concurrent writers"),
        db.session(write=True) as s,
    ):
        _version(s)
    db.dispose()


def test_events_and_evidence_changes_round_trip(db_url: str) -> None:
    db = Database(db_url)
    with db.session(write=True) as s:
        row = _version(s)
        store.update_version(s, row, status="approved", decided_by="Ben")
        store.add_event(s, name="m", version="1", action="approve", actor="Ben", reason="ok",
                        from_version="0.1.0", override="gate noise")  # fmt: skip
        store.add_event(s, name="n", version="1", action="candidate", actor="Cy", reason="r")
        store.add_evidence_changes(
            s,
            [
                {"model": "m", "version": "1", "action": "add", "row_id": "E1", "before": None,
                 "after": '{"id": "E1"}', "actor": "Ana", "reason": "new study"},
                {"model": "m", "version": "1", "action": "retract", "row_id": "E2",
                 "before": '{"id": "E2"}', "after": None, "actor": "Ana", "reason": "dup",
                 "origin": "import x.csv"},
            ],
        )  # fmt: skip
    with db.session() as s:
        [event] = store.find_events(s, name="m")
        assert (event.actor, event.override, event.from_version) == ("Ben", "gate noise", "0.1.0")
        assert event.created_at.tzinfo is not None
        assert len(store.find_events(s)) == 2
        assert store.find_approved(s, name="m").decided_by == "Ben"
        changes = store.find_evidence_changes(s, model="m")
        assert [(c.row_id, c.action, c.origin) for c in changes] == [
            ("E1", "add", "edit"),
            ("E2", "retract", "import x.csv"),
        ]
        [one] = store.find_evidence_changes(s, model="m", row_id="E2")
        assert one.after is None and one.before == '{"id": "E2"}'
        assert store.find_evidence_changes(s, model="m", version="2") == []
    db.dispose()
