"""A workshop with planted answers for the dashboard, summary and minutes tests.

Ten participants in two camps: camp A (p0–p4) agrees with S1–S4 and disagrees with
S5–S8, camp B the reverse. Everybody rates training 5 on effectiveness (consensus);
the camps split on wage subsidies. Statements and comments carry hostile markup.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from workbench.config import Settings
from workbench.db import participation as store
from workbench.participation.spec import WorkshopSpec
from workbench.service import Workbench

HOSTILE_COMMENT = '<script>window.__xss=1</script>=HYPERLINK("http://evil") call Ms Y'
HOSTILE_STATEMENT = "Budgets should follow results <img src=x onerror=alert(1)> $x^2$"
NAMES = [f"Name<b>{i}</b>" for i in range(10)]


@dataclass
class Room:
    """The planted workshop: service, id, participant tokens and statement ids.

    The constants are repeated as class attributes because test modules cannot import
    from a conftest under ``--import-mode=importlib``.
    """

    HOSTILE_COMMENT: ClassVar[str] = HOSTILE_COMMENT
    HOSTILE_STATEMENT: ClassVar[str] = HOSTILE_STATEMENT
    NAMES: ClassVar[list[str]] = NAMES

    wb: Workbench
    wid: int
    tokens: list[str]
    sids: list[int]
    keys: Iterator[int]

    def submit(self, p: int, kind: str, payload: dict[str, Any]) -> None:
        """Participant ``p`` submits through the real feedback service."""
        self.wb.feedback.submit(
            workshop_id=self.wid,
            token=self.tokens[p],
            round_number=self.wb.workshops.get(self.wid).current_round,
            kind=kind,
            payload=payload,
            idempotency_key=f"key-{next(self.keys):08d}",
        )

    def public_id(self, p: int) -> str:
        """Participant ``p``'s pseudonymous id."""
        return self.wb.workshops.admit(self.wid, self.tokens[p]).public_id


def plant(room: Room) -> None:
    """The two camps' answers (round 1)."""
    for p in range(len(room.tokens)):
        camp_a = p < 5
        votes = {
            str(sid): ("agree" if (i < 4) == camp_a else "disagree")
            for i, sid in enumerate(room.sids)
        }
        room.submit(p, "vote", {"votes": votes})
        ratings = {
            "training": {"effectiveness": 5, "feasibility": 1 + p % 5},
            "wage_subsidy": {"effectiveness": 2 if camp_a else 5},
        }
        room.submit(p, "rating", {"ratings": ratings})
        room.submit(
            p, "approval", {"approved": ["training"] + ([] if camp_a else ["wage_subsidy"])}
        )
        order = ["training", "job_search", "wage_subsidy"]
        room.submit(p, "ranking", {"order": order if camp_a else order[::-1]})
    room.submit(0, "comment", {"text": "Training must match local firms' needs."})
    room.submit(7, "comment", {"text": HOSTILE_COMMENT})


@pytest.fixture
def room(db_url: str, tmp_path: Path) -> Iterator[Room]:
    """An open workshop with ten registered participants and planted round-1 answers."""
    wb = Workbench(Settings(home=tmp_path, db_url=db_url))
    with wb.db.session(write=True) as s:
        store.add_publication(
            s,
            case_slug="es61-test",
            title="ES61 test",
            app_path="es61-test.ipynb",
            run_hashes={"evidence_review": "ab" * 32},
            template_versions={"evidence_review": "1.0.0"},
            bundle_hash="0123456789abcdef",
            app_version="1",
            synthetic_data=True,
        )
    spec = WorkshopSpec.model_validate(
        {
            "title": "Youth employment <i>ES61</i>",
            "scale": 5,
            "expected_participants": 12,
            "expected_mix": {"employers": 4, "unions": 4, "ngos": 4},
            "options": [
                {"key": "training", "label": "Vocational training"},
                {"key": "wage_subsidy", "label": "Wage subsidies"},
                {"key": "job_search", "label": "Job-search assistance"},
            ],
            "criteria": [
                {"key": "effectiveness", "label": "Effectiveness"},
                {"key": "feasibility", "label": "Feasibility"},
            ],
            "statements": [HOSTILE_STATEMENT] + [f"Plain statement number {i}" for i in range(7)],
        }
    )
    info = wb.workshops.create(case_slug="es61-test", spec=spec)
    wb.workshops.open(info.id)
    links = wb.workshops.links(info.id, len(NAMES))
    tokens = [parse_qs(urlsplit(link.url).query)["token"][0] for link in links]
    for i, token in enumerate(tokens):
        group = ("employers", "unions")[i % 2]
        wb.workshops.register(info.id, token, display_name=NAMES[i], group=group, consent=True)
    sids = [s["id"] for s in wb.feedback.statements(workshop_id=info.id)]
    made = Room(wb=wb, wid=info.id, tokens=tokens, sids=sids, keys=iter(range(1, 10**9)))
    plant(made)
    yield made
    wb.close()
