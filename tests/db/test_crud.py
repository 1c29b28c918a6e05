from workbench.db import Database, crud
from workbench.db.models import RunStatus, utcnow


def test_run_rows_round_trip_with_aware_utc(db_url: str) -> None:
    db = Database(db_url)
    started = utcnow()
    with db.session() as session:
        run = crud.add_run(
            session, case_slug="es61", template="diag", content_hash="a" * 64,
            parameters={"region": "ES61", "groups": ["youth"]}, started_at=started,
        )  # fmt: skip
        run_id = run.id
    with db.session() as session:
        crud.finish_run(session, run_id, status=RunStatus.failed, error="boom", error_cell=3)
    with db.session() as session:
        loaded = crud.find_run(session, run_id=run_id)
        assert loaded is not None
        assert loaded.status == RunStatus.failed and loaded.error_cell == 3
        assert loaded.parameters == {"region": "ES61", "groups": ["youth"]}
        assert loaded.started_at == started and loaded.started_at.tzinfo is not None
        assert loaded.finished_at is not None and loaded.finished_at >= started
    db.dispose()


def test_cache_lookup_takes_latest_success_only(db_url: str) -> None:
    db = Database(db_url)
    with db.session() as session:
        first = crud.add_run(session, case_slug="c", template="t", content_hash="h",
                             status=RunStatus.succeeded)  # fmt: skip
        crud.add_run(session, case_slug="c", template="t", content_hash="h",
                     status=RunStatus.failed)  # fmt: skip
        crud.add_run(session, case_slug="c", template="t", content_hash="other",
                     status=RunStatus.succeeded)  # fmt: skip
    with db.session() as session:
        hit = crud.find_succeeded_run(session, content_hash="h")
        assert hit is not None and hit.id == first.id
        assert crud.find_succeeded_run(session, content_hash="nope") is None
        assert [r.content_hash for r in crud.find_runs(session, case_slug="c")] == [
            "other", "h", "h",
        ]  # fmt: skip
        assert len(crud.find_runs(session, status=RunStatus.failed)) == 1
    db.dispose()


def test_failed_transaction_writes_nothing(db_url: str) -> None:
    db = Database(db_url)
    try:
        with db.session() as session:
            crud.add_run(session, case_slug="c", template="t", content_hash="h")
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    with db.session() as session:
        assert crud.find_runs(session) == []
    db.dispose()
