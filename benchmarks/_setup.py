"""Benchmark set-up without pytest: fresh databases and open workshops with participants.

- :func:`fresh_database`: a new SQLite file (WAL, the workbench's own engine settings) in
  a temporary folder, or a new PostgreSQL database created next to the one an admin URL
  names and dropped afterwards (as ``tests/conftest.py`` does for the ``db_url`` fixture);
- :func:`open_workshop`: a publication row (as ``workbench publish`` leaves it), an open
  workshop (round 1) and registered participants, all through the real services
  (``WorkshopService.create/open/links/register``), as ``tests/participation/conftest.py``
  does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.participation.spec import WorkshopSpec
from workbench.participation.workshops import MAX_LINKS, WorkshopService

CASE_SLUG = "bench-feedback"
BUNDLE_HASH = "0123456789abcdef"
OPTIONS = ("training", "wage_subsidy", "job_search")
CRITERIA = ("effectiveness", "feasibility")
STATEMENTS = (
    "Employers should co-design the training content.",
    "Programmes need personal case managers, not only courses.",
    "Results of each programme should be published every year.",
    "Subsidised jobs crowd out regular hiring.",
)
GROUPS = ("employers", "unions", "employment_service", "training_providers", "ngos")


@contextmanager
def fresh_database(kind: str, root: Path, admin_url: str | None = None) -> Iterator[str]:
    """Yield the URL of a new, empty database of ``kind`` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        yield f"sqlite:///{root / 'bench.sqlite'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if not admin_url:
        raise SystemExit("PostgreSQL needs --db-url or WORKBENCH_TEST_DB_URL")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"wb_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_spec(title: str, expected: int) -> WorkshopSpec:
    """3 options × 2 criteria on a 5-point scale and 4 statements (the tests' spec)."""
    return WorkshopSpec.model_validate(
        {
            "title": title,
            "scale": 5,
            "expected_participants": expected,
            "options": [{"key": k, "label": k.replace("_", " ").title()} for k in OPTIONS],
            "criteria": [{"key": k, "label": k.title()} for k in CRITERIA],
            "statements": list(STATEMENTS),
        }
    )


@dataclass(frozen=True)
class BenchWorkshop:
    """An open workshop in round 1 with registered participants."""

    id: int
    round: int
    participants: list[tuple[str, int]]  # (join token, participant id)
    statement_ids: list[int]  # approved statements, in order


def ensure_publication(db: Database) -> None:
    """Insert the benchmark's publication row once."""
    with db.session(write=True) as s:
        if store.latest_publication(s, case_slug=CASE_SLUG) is None:
            store.add_publication(
                s,
                case_slug=CASE_SLUG,
                title="Feedback benchmark",
                app_path="bench-feedback.ipynb",
                run_hashes={"evidence_review": "ab" * 32},
                template_versions={"evidence_review": "1.0.0"},
                bundle_hash=BUNDLE_HASH,
                app_version="1",
                synthetic_data=True,
            )


def open_workshop(db: Database, settings: Settings, title: str, n: int) -> BenchWorkshop:
    """Create and open a workshop and register ``n`` participants through the services."""
    ensure_publication(db)
    service = WorkshopService(db, settings)
    info = service.create(case_slug=CASE_SLUG, spec=make_spec(title, n))
    service.open(info.id)
    tokens: list[str] = []
    while len(tokens) < n:
        links = service.links(info.id, min(MAX_LINKS, n - len(tokens)))
        tokens += [parse_qs(urlsplit(link.url).query)["token"][0] for link in links]

    def register(i: int) -> tuple[str, int]:
        admission = service.register(
            info.id, tokens[i], display_name=f"P{i}", group=GROUPS[i % len(GROUPS)], consent=True
        )
        return tokens[i], admission.participant_id

    with ThreadPoolExecutor(4) as pool:
        participants = list(pool.map(register, range(n)))
    with db.session() as s:
        sids = [st.id for st in store.find_statements(s, workshop_id=info.id, status="approved")]
    return BenchWorkshop(
        id=info.id,
        round=service.get(info.id).current_round,
        participants=participants,
        statement_ids=[sid for sid in sids if sid is not None],
    )
