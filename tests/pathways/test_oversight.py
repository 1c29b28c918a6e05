"""Human oversight: pathways stored as proposals, counsellors' decisions appended with
who, what, when and why, and the override signals computed from them."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from workbench.db import Database
from workbench.exceptions import InvalidInput
from workbench.pathways.oversight import OversightService, group_phrase
from workbench.profiling.pseudonym import pseudonymise

KEY = bytes(range(32))


def step(order: int, kind: str) -> dict[str, Any]:
    """A step with every field of the contract's PathwayStep."""
    return {
        "step_id": f"{order}-{kind}",
        "order": order,
        "kind": kind,
        "label": kind,
        "when": "now",
        "target_isco": None,
        "target_occupation": None,
        "skill_gap": [],
        "expected_effect": 0.6,
        "effect_low": 0.4,
        "effect_high": 0.8,
        "evidence_count": 12,
        "studies": 4,
        "evidence_ids": ["e1"],
        "reason": "works for this group",
        "sources": ["doi:10/x"],
        "return_to_work": None,
        "return_to_work_n": 0,
        "return_to_work_basis": "",
    }


def pathway(person_id: str, groups: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """A pathway dict with every field of the contract's Pathway (labelled synthetic)."""
    return {
        "person": pseudonymise(person_id, KEY),
        "region": "ES61",
        "model_version": "1",
        "evidence_version": "3",
        "risk": 0.42,
        "risk_low": 0.3,
        "risk_high": 0.55,
        "risk_band": "medium",
        "threshold": 0.5,
        "context": None,
        "groups": groups
        or {"sex": "F", "age_band": "16-24", "origin": "national", "disability": "false"},
        "steps": [
            step(1, "job_search_assistance"),
            step(2, "training"),
            step(3, "private_sector_subsidy"),
        ],
        "notes": [],
        "synthetic": True,
        **extra,
    }


def as_dict(p: Any) -> dict[str, Any]:
    return p.to_dict() if hasattr(p, "to_dict") else p


@pytest.fixture
def service(db_url: str) -> Iterator[OversightService]:
    db = Database(db_url)
    try:
        yield OversightService(db)
    finally:
        db.dispose()


def test_a_pathway_is_stored_under_its_pseudonym_and_read_back(service: OversightService) -> None:
    p = pathway("ES-1", risk_high=math.nan)
    pid = service.save_pathway(p, by="batch")
    got, got_id = service.get_pathway(pid)
    data = as_dict(got)
    assert got_id == pid
    assert data["person"] == p["person"] and data["person"].startswith("p_")
    assert [s["step_id"] for s in data["steps"]] == [s["step_id"] for s in p["steps"]]
    assert data["risk_high"] is None  # NaN ("unknown") is stored as null, not as 'NaN'
    latest = service.latest_for(p["person"])
    assert latest is not None and latest[1] == pid
    assert service.latest_for(pseudonymise("nobody", KEY)) is None
    assert service.decided_steps(pid) == []  # nothing is decided until a counsellor does


def test_raw_ids_and_bad_pathways_are_refused(service: OversightService) -> None:
    raw = {**pathway("ES-2"), "person": "ES-2"}
    with pytest.raises(InvalidInput, match="person: must be a pseudonym"):
        service.save_pathway(raw, by="batch")
    twice = pathway("ES-3")
    twice["steps"] = [step(1, "training"), step(1, "training")]
    with pytest.raises(InvalidInput, match="step ids must be unique"):
        service.save_pathway(twice, by="batch")
    with pytest.raises(InvalidInput, match="by: who saves it"):
        service.save_pathway(pathway("ES-4"), by=" ")
    # one bad pathway in a batch stores none of them, and its position is named
    with pytest.raises(InvalidInput, match="pathway 2: person"):
        service.save_pathways([pathway("ES-5"), raw], by="batch")
    assert service.list_pathways() == []


def test_pathway_objects_round_trip_and_partial_ones_are_refused(
    service: OversightService,
) -> None:
    from workbench.pathways.build import Pathway

    original = Pathway.from_dict(pathway("ES-6"))
    pid = service.save_pathway(original, by="batch")
    assert service.get_pathway(pid) == (original, pid)
    partial = pathway("ES-7")
    del partial["risk_band"]
    with pytest.raises(InvalidInput, match="pathway 1: risk_band: is missing"):
        service.save_pathway(partial, by="batch")


def test_the_log_records_who_what_when_and_why(service: OversightService) -> None:
    pid = service.save_pathway(pathway("ES-10"), by="batch")
    before = datetime.now(UTC)
    info = service.record_review(
        pid,
        "2-training",
        "change",
        "she already holds this certificate",
        by="counsellor.ana",
        change_to="training towards welding (ISCO 7212)",
    )
    after = datetime.now(UTC)
    [stored] = service.reviews(pid)
    assert stored == info
    assert stored.counsellor == "counsellor.ana"  # who
    assert (stored.step_id, stored.action) == ("2-training", "change")  # what
    assert stored.change_to == "training towards welding (ISCO 7212)"
    assert before <= stored.at <= after and stored.at.tzinfo is not None  # when (UTC)
    assert stored.reason == "she already holds this certificate"  # why
    assert stored.person == pathway("ES-10")["person"]
    assert service.reviews(stored.person) == [info]
    assert service.reviews(pseudonymise("other", KEY)) == []


def test_decisions_are_appended_never_overwritten(service: OversightService) -> None:
    pid = service.save_pathway(pathway("ES-11"), by="batch")
    first = service.record_review(pid, "3-private_sector_subsidy", "reject", "no employer", "a")
    second = service.record_review(pid, "3-private_sector_subsidy", "accept", None, "b")
    service.record_review(pid, "1-job_search_assistance", "accept", "", "a")
    log = service.reviews(pid)
    assert [r.id for r in log] == sorted({first.id, second.id, log[2].id})
    assert [r.action for r in log] == ["reject", "accept", "accept"]
    assert service.decisions(pid)["3-private_sector_subsidy"] == second
    plan = service.decided_steps(pid)
    assert [s["step_id"] for s in plan] == ["1-job_search_assistance", "3-private_sector_subsidy"]
    assert plan[1]["decision"]["counsellor"] == "b"
    service.record_review(pid, "1-job_search_assistance", "reject", "found work", "a")
    assert [s["step_id"] for s in service.decided_steps(pid)] == ["3-private_sector_subsidy"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("1-job_search_assistance", "reject", "", "a"), "reason: is required to reject"),
        (("1-job_search_assistance", "change", "why", "a"), "change_to"),
        (("1-job_search_assistance", "maybe", "why", "a"), "action: must be one of"),
        (("1-job_search_assistance", "accept", "", " "), "by: the counsellor"),
        (("9-nothing", "accept", "", "a"), "step_id: '9-nothing' is not a step of pathway"),
    ],
)
def test_bad_reviews_are_refused_and_not_stored(
    service: OversightService, args: tuple[str, str, str, str], field: str
) -> None:
    pid = service.save_pathway(pathway("ES-12"), by="batch")
    with pytest.raises(InvalidInput, match=field):
        service.record_review(pid, *args)
    with pytest.raises(InvalidInput, match="change_to: only for 'change'"):
        service.record_review(pid, "2-training", "accept", "", "a", change_to="x")
    with pytest.raises(InvalidInput, match="pathway_id: no pathway 999"):
        service.record_review(999, "2-training", "accept", "", "a")
    assert service.reviews() == []


def test_a_decision_is_acknowledged_only_once_committed(
    service: OversightService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError
    from sqlmodel import Session

    from workbench.exceptions import StoreUnavailable

    pid = service.save_pathway(pathway("ES-15"), by="batch")

    def failing_commit(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", failing_commit)
        with pytest.raises(StoreUnavailable, match="nothing was saved"):
            service.record_review(pid, "2-training", "accept", "", "a")
    assert service.reviews(pid) == []


def test_a_resent_decision_is_stored_once(service: OversightService) -> None:
    pid = service.save_pathway(pathway("ES-13"), by="batch")
    first = service.record_review(pid, "2-training", "accept", "", "a", idempotency_key="k1")
    again = service.record_review(pid, "2-training", "accept", "", "a", idempotency_key="k1")
    assert first.created and not again.created and again.id == first.id
    other = service.record_review(pid, "2-training", "accept", "", "b", idempotency_key="k1")
    assert other.created and other.id != first.id  # keys are per counsellor
    assert len(service.reviews(pid)) == 2


def test_concurrent_counsellors_never_lose_or_duplicate_a_decision(
    service: OversightService,
) -> None:
    pid = service.save_pathway(pathway("ES-14"), by="batch")
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def counsellor(name: str) -> None:
        try:
            start.wait()
            for i in range(4):
                service.record_review(
                    pid, "2-training", "accept", "", name, idempotency_key=f"{name}-{i}"
                )
                # a double click: the same key sent twice at once by two threads
                service.record_review(
                    pid,
                    "1-job_search_assistance",
                    "accept",
                    "",
                    "shared",
                    idempotency_key=f"dbl-{i}",
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=counsellor, args=(f"c{n}",)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    log = service.reviews(pid)
    own = [r for r in log if r.step_id == "2-training"]
    assert sorted((r.counsellor, r.action) for r in own) == sorted(
        (f"c{n}", "accept") for n in range(6) for _ in range(4)
    )
    assert len([r for r in log if r.counsellor == "shared"]) == 4
    assert len({r.id for r in log}) == len(log)


def _review_many(
    service: OversightService,
    groups: dict[str, str],
    n: int,
    rejects: int,
    changes: int,
    start: int,
) -> None:
    for i in range(n):
        pid = service.save_pathway(pathway(f"G-{start + i}", groups), by="batch")
        action = "reject" if i < rejects else "change" if i < rejects + changes else "accept"
        service.record_review(
            pid,
            "3-private_sector_subsidy",
            action,
            "why",
            "c",
            change_to="public employment" if action == "change" else None,
        )


def test_override_signals_by_group(service: OversightService) -> None:
    young_women = {"sex": "F", "age_band": "16-24", "origin": "national", "disability": "false"}
    older_men = {"sex": "M", "age_band": "30-54", "origin": "non_eu", "disability": "True"}
    _review_many(service, young_women, 25, rejects=10, changes=2, start=0)
    _review_many(service, older_men, 15, rejects=1, changes=0, start=100)
    # an unreviewed pathway and a revised decision: only latest decisions count
    service.save_pathway(pathway("G-999", young_women), by="batch")
    pid = service.save_pathway(pathway("G-998", older_men), by="batch")
    service.record_review(pid, "3-private_sector_subsidy", "reject", "x", "c")
    service.record_review(pid, "3-private_sector_subsidy", "accept", "", "c")

    signals = service.override_signals(min_n=10)
    by_group = {tuple(sorted(s.group.items())): s for s in signals}
    women = by_group[(("age_band", "16-24"), ("sex", "F"))]
    assert (women.n, women.rejected, women.changed) == (25, 10, 2)
    assert women.reject_rate == pytest.approx(0.4)
    assert women.text.startswith(
        "counsellors rejected the private-sector employment subsidy step for 40% of women "
        "aged 16-24 and changed it for 8% (n=25)"
    )
    overall = by_group[()]
    assert (overall.n, overall.rejected, overall.changed) == (41, 11, 2)
    assert "all jobseekers: rejected 27%" in women.text
    men = by_group[(("age_band", "30-54"), ("sex", "M"))]
    assert (men.n, men.rejected) == (16, 1)
    assert by_group[(("disability", "true"),)].n == 16  # "True" and "true" are one group
    assert by_group[(("origin", "non_eu"),)].text.startswith(
        "counsellors rejected the private-sector employment subsidy step for 6% of people "
        "of non-EU origin"
    )
    assert all(s.step_kind == "private_sector_subsidy" for s in signals)
    # groups under min_n are left out; the overall line stays while it has enough
    small = {tuple(sorted(s.group.items())) for s in service.override_signals(min_n=20)}
    assert small == {
        (),
        (("age_band", "16-24"), ("sex", "F")),
        (("disability", "false"),),
        (("origin", "national"),),
    }
    assert service.override_signals(min_n=100) == []
    with pytest.raises(InvalidInput, match="min_n"):
        service.override_signals(min_n=0)


def test_group_phrases() -> None:
    assert group_phrase({}) == "all jobseekers"
    assert group_phrase({"sex": "F", "age_band": "16-24"}) == "women aged 16-24"
    assert group_phrase({"origin": "eu"}) == "people of other-EU origin"
    assert group_phrase({"disability": "true"}) == "people with a recognised disability"
