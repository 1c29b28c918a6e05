"""Engine and session factory.

SQLite gets WAL, foreign keys and a busy timeout on every connection; PostgreSQL is
selected by a ``postgresql+psycopg://`` URL (``WORKBENCH_DB_URL``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, create_engine

from workbench.exceptions import StoreUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Newest migration revision; a test checks it against Alembic's head. Opening an
#: up-to-date database then needs no Alembic import at all (fast CLI start-up).
SCHEMA_HEAD = "0008"
#: Execution option marking a session that writes and must serialise with other writers.
WRITE_OPTION = "workbench_write"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not open transactions itself: ``_sqlite_begin`` does, so that
    # writers can take the write lock up front (BEGIN IMMEDIATE) instead of failing
    # to upgrade a read snapshot under concurrency.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; creates the SQLite file's folder if needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and ``url``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def _revision(engine: Engine) -> str | None:
    """Read the Alembic revision table directly (no Alembic import needed)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def current_revision(url: str) -> str | None:
    """The database's current Alembic revision, or None if it has none."""
    engine = make_engine(url)
    try:
        return _revision(engine)
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest revision shipped with the package."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


class Database:
    """Owns one engine; hands out sessions. Create one per process."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if migrate and _revision(self.engine) != SCHEMA_HEAD:
            upgrade(url)

    @contextmanager
    def session(self, *, write: bool = False, snapshot: bool = False) -> Iterator[Session]:
        """A session that commits on success and rolls back on error.

        ``write=True`` takes SQLite's write lock when the transaction begins, so that
        concurrent writers queue (busy timeout) instead of failing mid-transaction.
        ``snapshot=True`` makes every read of the session see the same committed state
        (PostgreSQL REPEATABLE READ; a SQLite WAL transaction already does).
        """
        bind = self.engine.execution_options(**{WRITE_OPTION: True}) if write else self.engine
        if snapshot and self.engine.dialect.name == "postgresql":
            bind = bind.execution_options(isolation_level="REPEATABLE READ")
        with Session(bind, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except OperationalError as exc:
                session.rollback()
                raise StoreUnavailable(
                    f"the database is unavailable or busy ({type(exc.orig).__name__}); "
                    "nothing was saved, please try again"
                ) from exc
            except PoolTimeout as exc:  # every pooled connection in use for too long
                session.rollback()
                raise StoreUnavailable(
                    "the database is busy (no free connection); nothing was saved, please try again"
                ) from exc
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        """Close all pooled connections."""
        self.engine.dispose()


def display_url(url: str) -> str:
    """``url`` with any password masked, for messages."""
    return make_url(url).render_as_string(hide_password=True)
