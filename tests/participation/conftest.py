"""Fixtures for the participation services, on real databases (SQLite and PostgreSQL).

Nothing here runs a notebook: a Publication row is inserted directly, as
``workbench publish`` would leave it, and workshops are created on top of it.

- ``make_env(**settings)``: builds a :class:`Env` (Settings, Database, services, one draft
  workshop) with optional Settings overrides, e.g. ``make_env(rate_limit=3)``.
- ``env``: ``make_env()`` with default settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text

from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.participation.feedback import FeedbackService
from workbench.participation.spec import WorkshopSpec
from workbench.participation.workshops import Admission, WorkshopInfo, WorkshopService

CASE_SLUG = "es61-test"
BUNDLE_HASH = "0123456789abcdef"
TEMPLATE_PIN = "app@1;evidence_review@1.0.0"
OPTIONS = ["training", "wage_subsidy", "job_search"]
CRITERIA = ["effectiveness", "feasibility"]
STATEMENTS = [
    "Employers should co-design the training content.",
    "Programmes need personal case managers, not only courses.",
    "Results of each programme should be published every year.",
    "Subsidised jobs crowd out regular hiring.",
]
#: Tables touched by joining and answering; a refused request must leave them unchanged.
WRITE_TABLES = ("participant", "submission", "feedback", "statement")


def make_spec(**overrides: Any) -> WorkshopSpec:
    """The standard test spec: 3 options, 2 criteria, scale 5, 4 statements."""
    raw: dict[str, Any] = {
        "title": "Youth employment in ES61",
        "scale": 5,
        "expected_participants": 50,
        "expected_mix": {"employers": 10, "unions": 5},
        "options": [
            {"key": key, "label": key.replace("_", " ").title(), "description": f"{key} option"}
            for key in OPTIONS
        ],
        "criteria": [{"key": key, "label": key.title()} for key in CRITERIA],
        "statements": list(STATEMENTS),
    }
    raw.update(overrides)
    return WorkshopSpec.model_validate(raw)


def token_of(url: str) -> str:
    """The ``token`` (or ``code``) query parameter of a join URL."""
    query = parse_qs(urlsplit(url).query)
    values = query.get("token") or query.get("code")
    assert values and len(values) == 1, url
    return values[0]


@dataclass
class Env:
    """One database with a publication and a draft workshop, plus helpers.

    The constants are repeated as class attributes because test modules cannot import
    from a conftest under ``--import-mode=importlib``.
    """

    CASE_SLUG: ClassVar[str] = CASE_SLUG
    BUNDLE_HASH: ClassVar[str] = BUNDLE_HASH
    TEMPLATE_PIN: ClassVar[str] = TEMPLATE_PIN
    OPTIONS: ClassVar[list[str]] = OPTIONS
    CRITERIA: ClassVar[list[str]] = CRITERIA
    STATEMENTS: ClassVar[list[str]] = STATEMENTS

    settings: Settings
    db: Database
    workshops: WorkshopService
    feedback: FeedbackService
    info: WorkshopInfo
    _keys: Iterator[int] = field(default_factory=lambda: iter(range(1, 10**9)))

    make_spec = staticmethod(make_spec)
    token_of = staticmethod(token_of)

    @property
    def wid(self) -> int:
        """The fixture workshop's id."""
        return self.info.id

    # -- facilitator ----------------------------------------------------------------
    def create_workshop(self, **spec_overrides: Any) -> WorkshopInfo:
        """Another draft workshop on the same publication."""
        return self.workshops.create(case_slug=CASE_SLUG, spec=make_spec(**spec_overrides))

    def open(self, workshop_id: int | None = None) -> WorkshopInfo:
        """Open the workshop (round 1)."""
        return self.workshops.open(workshop_id or self.wid)

    def tokens(self, count: int = 1, workshop_id: int | None = None, **kw: Any) -> list[str]:
        """``count`` new personal join tokens, parsed from the join links."""
        links = self.workshops.links(workshop_id or self.wid, count, **kw)
        assert len(links) == count
        return [token_of(link.url) for link in links]

    def register(
        self,
        token: str,
        *,
        group: str = "employers",
        name: str = "Ana",
        workshop_id: int | None = None,
    ) -> Admission:
        """Register a participant (name, group, consent)."""
        return self.workshops.register(
            workshop_id or self.wid, token, display_name=name, group=group, consent=True
        )

    def participants(
        self, count: int, groups: list[str] | None = None, workshop_id: int | None = None
    ) -> list[str]:
        """``count`` registered participants' tokens; groups cycle through ``groups``."""
        groups = groups or ["employers"]
        tokens = self.tokens(count, workshop_id=workshop_id)
        for i, token in enumerate(tokens):
            self.register(
                token, group=groups[i % len(groups)], name=f"P{i}", workshop_id=workshop_id
            )
        return tokens

    # -- participant ----------------------------------------------------------------
    def key(self, prefix: str = "key") -> str:
        """A fresh valid idempotency key."""
        return f"{prefix}-{next(self._keys):08d}"

    def submit(
        self,
        token: str,
        kind: str,
        payload: Any,
        *,
        key: str | None = None,
        round_number: int | None = None,
        workshop_id: int | None = None,
    ) -> Any:
        """Submit through the real FeedbackService (current round unless given)."""
        wid = workshop_id or self.wid
        if round_number is None:
            round_number = self.workshops.get(wid).current_round
        return self.feedback.submit(
            workshop_id=wid,
            token=token,
            round_number=round_number,
            kind=kind,
            payload=payload,
            idempotency_key=key or self.key(),
        )

    # -- database inspection --------------------------------------------------------
    def count(self, table: str) -> int:
        """Rows in ``table``."""
        with self.db.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())

    def counts(self) -> dict[str, int]:
        """Row counts of the tables a participant can write to."""
        return {table: self.count(table) for table in WRITE_TABLES}

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Run a SELECT; rows as dicts."""
        with self.db.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]

    def feedback_rows(self, **filters: Any) -> list[Any]:
        """Feedback rows of the fixture workshop (ORM objects)."""
        with self.db.session() as s:
            return list(store.find_feedback(s, workshop_id=self.wid, **filters))

    def statement_ids(self, status: str | None = "approved") -> list[int]:
        """Statement ids of the fixture workshop."""
        with self.db.session() as s:
            found = store.find_statements(s, workshop_id=self.wid, status=status)
            return [st.id for st in found if st.id is not None]


@pytest.fixture
def make_env(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Env]]:
    """Build an :class:`Env` on ``db_url``; keyword arguments override Settings fields."""
    made: list[Database] = []

    def make(**settings: Any) -> Env:
        config = Settings(home=tmp_path, db_url=db_url, **settings)
        db = Database(db_url)
        made.append(db)
        with db.session(write=True) as s:
            if store.latest_publication(s, case_slug=CASE_SLUG) is None:
                store.add_publication(
                    s,
                    case_slug=CASE_SLUG,
                    title="ES61 test",
                    app_path="es61-test.ipynb",
                    run_hashes={"evidence_review": "ab" * 32},
                    template_versions={"evidence_review": "1.0.0"},
                    bundle_hash=BUNDLE_HASH,
                    app_version="1",
                    synthetic_data=True,
                )
        workshops = WorkshopService(db, config)
        info = workshops.create(case_slug=CASE_SLUG, spec=make_spec())
        return Env(
            settings=config,
            db=db,
            workshops=workshops,
            feedback=FeedbackService(db, config),
            info=info,
        )

    yield make
    for db in made:
        db.dispose()


@pytest.fixture
def env(make_env: Callable[..., Env]) -> Env:
    """A draft workshop with default settings."""
    return make_env()
