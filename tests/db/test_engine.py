from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from workbench.db import Database, crud, current_revision, display_url, head_revision


def test_migrations_reach_head_and_match_the_models(db_url: str) -> None:
    assert current_revision(db_url) is None
    db = Database(db_url)
    try:
        assert current_revision(db_url) == head_revision()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        db.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    Database(db_url).dispose()
    Database(db_url).dispose()
    assert current_revision(db_url) == head_revision()


def test_sqlite_pragmas(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    db.dispose()


def test_password_is_masked() -> None:
    assert "secret" not in display_url("postgresql+psycopg://u:secret@h/db")


def test_naive_datetimes_are_refused(db_url: str) -> None:
    db = Database(db_url)
    with pytest.raises(Exception, match="naive datetime"), db.session() as session:
        crud.add_run(session, case_slug="c", template="t", content_hash="h",
                     started_at=datetime(2026, 1, 1))  # fmt: skip
    db.dispose()


def test_schema_head_constant_matches_alembic() -> None:
    from workbench.db.engine import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD


def test_a_full_connection_pool_is_a_readable_store_unavailable(db_url: str) -> None:
    """Every pooled connection busy past the pool timeout: the same 'try again' error as
    a busy database, not SQLAlchemy's TimeoutError (which would be a 500)."""
    import pytest

    from workbench.db import Database
    from workbench.exceptions import StoreUnavailable

    db = Database(db_url)
    pool = db.engine.pool
    held = [db.engine.connect() for _ in range(pool.size() + pool._max_overflow)]
    pool._timeout = 0.2
    try:
        with pytest.raises(StoreUnavailable) as caught, db.session() as s:
            s.connection()
        assert str(caught.value) == (
            "the database is busy (no free connection); nothing was saved, please try again"
        )
    finally:
        for conn in held:
            conn.close()
        db.dispose()


def test_pathway_tables_migrate_down_and_up_again(db_url: str) -> None:
    """0008 (pathways, reviews, erasure log) downgrades cleanly and re-applies."""
    from alembic import command
    from sqlalchemy import inspect

    from workbench.db.engine import alembic_config, upgrade

    tables = {"pathway", "pathway_review", "pathway_erasure"}
    upgrade(db_url)
    db = Database(db_url, migrate=False)
    try:
        assert tables <= set(inspect(db.engine).get_table_names())
        command.downgrade(alembic_config(db_url), "0007")
        assert current_revision(db_url) == "0007"
        assert not tables & set(inspect(db.engine).get_table_names())
        upgrade(db_url)
        assert current_revision(db_url) == "0008"
        assert tables <= set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()
