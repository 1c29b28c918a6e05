"""The model registry on a real workspace (the demo case studies read ``almp_evidence``
through ``evidence_review``), on SQLite and PostgreSQL: seeding, candidates that never
feed a run, approval moving the pointer and the runs' content hashes, rollback restoring
them, rejection, gates, the audit log and concurrent candidates."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from workbench.config import Settings
from workbench.db import registry as store
from workbench.exceptions import InvalidInput, Problem
from workbench.registry import Cell, ModelRegistry, TrainedVersion
from workbench.service import Workbench
from workbench.shared_models import load_shared_model

MODEL = "almp_evidence"
SHIPPED_BY = "seed evidence curated from published meta-analyses (see card)"


def trained(value: float | None, *, extra: str = "", cells: dict | None = None) -> TrainedVersion:
    """A small fake trainer result; ``extra`` changes the findings file's bytes."""
    return TrainedVersion(
        files={"findings.csv": f"finding_id,source\nF1,made up{extra}\n".encode()},
        card=f"# fake card {value}\n",
        metrics={"cv_log_loss": 0.61, "n": 22},
        cells=cells if cells is not None else {"training.long": Cell(value, 0.1, 0.9, 12, "t")},
        training_hash="ab" * 32,
        kind="evidence-base",
    )


@pytest.fixture
def wb(workspace: Path, db_url: str) -> Workbench:
    service = Workbench(Settings(home=workspace, db_url=db_url))
    yield service
    service.close()


def hashes(wb: Workbench) -> dict[tuple[str, str], str]:
    return {(s.case_slug, s.template): s.content_hash for s in wb.plan(all_cases=True)}


def evidence_keys(wb: Workbench) -> set[tuple[str, str]]:
    return {key for key in hashes(wb) if key[1] == "evidence_review"}


def test_a_shipped_model_is_seeded_as_approved_once(wb: Workbench) -> None:
    [summary] = [m for m in wb.registry.list_models() if m.name == MODEL]
    assert summary.approved == "0.1.0" and summary.versions == 1 and summary.problem is None
    wb.registry.list_models()  # seeing it again seeds nothing
    [event] = wb.registry.events(MODEL)
    assert (event.action, event.version, event.by) == ("seeded", "0.1.0", SHIPPED_BY)
    info = wb.registry.show(MODEL)
    assert info.files == ("findings.csv",) and "Model card" in info.card_text


def test_a_candidate_never_feeds_a_run(wb: Workbench, workspace: Path) -> None:
    pointer = workspace / "shared_models" / MODEL / "model.yaml"
    before_bytes, before = pointer.read_bytes(), hashes(wb)
    version = wb.registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="new coding")
    assert version == "1"
    folder = workspace / "shared_models" / MODEL / "versions" / "1"
    assert sorted(p.name for p in folder.iterdir()) == [
        "card.md",
        "cells.json",
        "findings.csv",
        "version.yaml",
    ]
    assert pointer.read_bytes() == before_bytes
    assert load_shared_model(workspace / "shared_models", MODEL).version == "0.1.0"
    assert hashes(wb) == before
    assert wb.registry.show(MODEL).version == "0.1.0"  # the default is the approved one
    assert wb.registry.show(MODEL, "1").status == "candidate"


def test_approving_moves_the_pointer_and_the_runs_content_hashes(
    wb: Workbench, workspace: Path
) -> None:
    before = hashes(wb)
    version = wb.registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="recoded")
    decision = wb.registry.approve(MODEL, version, by="Ben", reason="checked the coding")
    assert (decision.version, decision.previous) == ("1", "0.1.0")
    model = load_shared_model(workspace / "shared_models", MODEL)
    assert (model.version, model.status, model.files) == (
        "1",
        "approved",
        ("versions/1/findings.csv",),
    )
    after = hashes(wb)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == evidence_keys(wb) and changed  # only the runs that read the model
    assert {(s.case_slug, s.template) for s in decision.stale} == changed
    statuses = {v.version: v.status for v in wb.registry.versions(MODEL)}
    assert statuses == {"0.1.0": "superseded", "1": "approved"}


def test_rollback_restores_the_previous_version_and_its_hashes(
    wb: Workbench, workspace: Path
) -> None:
    pointer = workspace / "shared_models" / MODEL
    original = hashes(wb)
    v1 = wb.registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="recoded")
    wb.registry.approve(MODEL, v1, by="Ben", reason="ok")
    approved_hashes = hashes(wb)
    assert approved_hashes != original

    back = wb.registry.rollback(MODEL, by="Ben", reason="v1 misreads two findings")
    assert (back.version, back.previous) == ("0.1.0", "1")
    assert hashes(wb) == original
    assert load_shared_model(pointer.parent, MODEL).files == ("findings.csv",)

    forward = wb.registry.rollback(MODEL, "1", by="Ben", reason="the misreading was mine")
    assert forward.version == "1" and hashes(wb) == approved_hashes
    with pytest.raises(InvalidInput, match="already the approved version"):
        wb.registry.rollback(MODEL, "1", by="Ben", reason="again")
    v2 = wb.registry.create_candidate(MODEL, trained(0.7, extra="2"), by="Ana", reason="more")
    with pytest.raises(InvalidInput, match="never approved"):
        wb.registry.rollback(MODEL, v2, by="Ben", reason="skip review")
    assert hashes(wb) == approved_hashes


def test_reject_keeps_the_candidate_out(wb: Workbench, workspace: Path) -> None:
    before = hashes(wb)
    version = wb.registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="recoded")
    decision = wb.registry.reject(MODEL, version, by="Ben", reason="two findings misread")
    assert decision.action == "reject" and wb.registry.show(MODEL, version).status == "rejected"
    with pytest.raises(InvalidInput, match="only a candidate can be approved"):
        wb.registry.approve(MODEL, version, by="Ben", reason="changed my mind")
    assert hashes(wb) == before
    assert (workspace / "shared_models" / MODEL / "versions" / version / "card.md").is_file()


def test_every_action_is_logged_with_who_when_and_why(wb: Workbench) -> None:
    v1 = wb.registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="r1")
    wb.registry.approve(MODEL, v1, by="Ben", reason="r2")
    v2 = wb.registry.create_candidate(MODEL, trained(0.6, extra="x"), by="Cy", reason="r3")
    wb.registry.reject(MODEL, v2, by="Dee", reason="r4")
    wb.registry.rollback(MODEL, by="Eve", reason="r5")
    events = wb.registry.events(MODEL)
    assert [(e.action, e.version, e.by, e.reason, e.from_version) for e in events] == [
        ("seeded", "0.1.0", SHIPPED_BY, events[0].reason, None),
        ("candidate", "1", "Ana", "r1", "0.1.0"),
        ("approve", "1", "Ben", "r2", "0.1.0"),
        ("candidate", "2", "Cy", "r3", "1"),
        ("reject", "2", "Dee", "r4", None),
        ("rollback", "0.1.0", "Eve", "r5", "1"),
    ]
    times = [e.at for e in events]
    assert all(t.tzinfo is not None for t in times) and times == sorted(times)
    approved = wb.registry.show(MODEL)
    assert (approved.version, approved.decided_by, approved.decision_reason) == (
        "0.1.0",
        "Eve",
        "r5",
    )


@pytest.mark.parametrize(("by", "reason", "key"), [("  ", "why", "by"), ("Ben", "", "reason")])
def test_who_and_why_are_required(wb: Workbench, by: str, reason: str, key: str) -> None:
    version = wb.registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="r")
    for action in (wb.registry.approve, wb.registry.reject):
        with pytest.raises(InvalidInput) as caught:
            action(MODEL, version, by=by, reason=reason)
        assert [p.key for p in caught.value.problems] == [key]
    with pytest.raises(InvalidInput):
        wb.registry.rollback(MODEL, by=by, reason=reason)
    with pytest.raises(InvalidInput):
        wb.registry.create_candidate(MODEL, trained(0.5), by=by, reason=reason)
    assert wb.registry.show(MODEL, version).status == "candidate"


def test_a_gate_blocks_approval_unless_an_override_says_why(wb: Workbench) -> None:
    seen = []

    def gate(info):
        seen.append(info.version)
        return [Problem(f"model {info.name}", "fairness", "false-negative gap 0.12 > 0.05")]

    wb.registry.versions(MODEL)  # the shipped version is seeded before the gate exists
    wb.registry.add_gate(MODEL, gate)
    version = wb.registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="r")
    with pytest.raises(InvalidInput) as caught:
        wb.registry.approve(MODEL, version, by="Ben", reason="ok")
    assert [p.key for p in caught.value.problems] == ["fairness", "override"]
    assert wb.registry.approved(MODEL).version == "0.1.0"
    wb.registry.approve(MODEL, version, by="Ben", reason="ok", override="gap is sampling noise")
    assert seen == [version, version]
    assert wb.registry.events(MODEL)[-1].override == "gap is sampling noise"


def test_the_diff_names_moved_appeared_and_insufficient_cells(wb: Workbench) -> None:
    first = {
        "a": Cell(0.5, 0.4, 0.6, 10, "A"),
        "b": Cell(0.2, 0.1, 0.3, 8, "B"),
        "c": Cell(None, n=2, label="C"),
        "e": Cell(0.3, 0.2, 0.4, 9, "E"),
    }
    second = {
        "a": Cell(0.7, 0.6, 0.8, 12, "A"),
        "c": Cell(0.4, 0.3, 0.5, 6, "C"),
        "d": Cell(0.1, 0.0, 0.2, 5, "D"),
        "e": Cell(None, n=3, label="E"),
    }
    v1 = wb.registry.create_candidate(MODEL, trained(0, cells=first), by="A", reason="r")
    wb.registry.approve(MODEL, v1, by="B", reason="r")
    v2 = wb.registry.create_candidate(
        MODEL, trained(0, cells=second, extra="2"), by="A", reason="r"
    )
    stored = wb.registry.show(MODEL, v2).diff
    assert [(c.key, c.change) for c in stored] == [
        ("a", "moved"),
        ("e", "became_insufficient"),
        ("c", "became_sufficient"),
        ("d", "appeared"),
        ("b", "disappeared"),
    ]
    assert stored[0].delta == pytest.approx(0.2)
    assert [c.key for c in wb.registry.diff(MODEL, v2)] == [c.key for c in stored]


def test_concurrent_candidates_get_distinct_versions(wb: Workbench, workspace: Path) -> None:
    wb.registry.list_models()  # seed first, as the CLI would
    barrier = threading.Barrier(4)
    results: list[str] = []
    errors: list[BaseException] = []

    def create(i: int) -> None:
        registry = ModelRegistry(wb.db, wb.settings.shared_models_dir)
        try:
            barrier.wait()
            results.append(
                registry.create_candidate(MODEL, trained(i, extra=str(i)), by=f"u{i}", reason="r")
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == ["1", "2", "3", "4"]
    versions = workspace / "shared_models" / MODEL / "versions"
    assert sorted(p.name for p in versions.iterdir()) == ["1", "2", "3", "4"]


def test_a_failed_transaction_leaves_no_version_behind(
    wb: Workbench, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wb.registry.list_models()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "add_evidence_changes", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        wb.registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="r")
    assert [v.version for v in wb.registry.versions(MODEL)] == ["0.1.0"]
    assert list((workspace / "shared_models" / MODEL / "versions").iterdir()) == []


def test_a_failed_commit_puts_the_old_pointer_back(
    wb: Workbench, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import event
    from sqlmodel import Session

    from workbench.registry import layout

    pointer = workspace / "shared_models" / MODEL / "model.yaml"
    version = wb.registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="r")
    shipped = pointer.read_bytes()
    real_write = layout.write_pointer

    def refuse(session: Session) -> None:
        raise RuntimeError("commit failed")

    def write_then_fail_commit(model_dir: Path, doc: dict) -> bytes | None:
        previous = real_write(model_dir, doc)
        assert b"version: '1'" in pointer.read_bytes()  # written before the commit
        event.listen(Session, "before_commit", refuse)
        return previous

    monkeypatch.setattr(layout, "write_pointer", write_then_fail_commit)
    try:
        with pytest.raises(RuntimeError, match="commit failed"):
            wb.registry.approve(MODEL, version, by="Ben", reason="ok")
    finally:
        event.remove(Session, "before_commit", refuse)
    assert pointer.read_bytes() == shipped
    assert wb.registry.show(MODEL, version).status == "candidate"
    assert [e.action for e in wb.registry.events(MODEL)] == ["seeded", "candidate"]


def test_bad_trainer_output_is_refused_before_anything_is_written(
    wb: Workbench, workspace: Path
) -> None:
    bad = TrainedVersion(
        files={"../escape.csv": b"x", "card.md": b"y", "ok.json": "not bytes"},  # type: ignore[dict-item]
        card="",
        metrics={"loss": "high"},  # type: ignore[dict-item]
        cells={},
        training_hash="h",
    )
    with pytest.raises(InvalidInput) as caught:
        wb.registry.create_candidate(MODEL, bad, by="Ana", reason="r")
    assert [p.key for p in caught.value.problems] == ["files", "files", "files.ok.json"]
    assert not (workspace / "shared_models" / MODEL / "versions").exists()
    with pytest.raises(InvalidInput, match="no model 'nope'"):
        wb.registry.show("nope")
    with pytest.raises(InvalidInput, match="not a model name"):
        wb.registry.show("../etc")


def test_seeding_takes_cells_and_metrics_of_a_shipped_version_folder(
    wb: Workbench, workspace: Path
) -> None:
    from workbench.registry.diff import cells_to_text

    folder = workspace / "shared_models" / MODEL / "versions" / "0.1.0"
    folder.mkdir(parents=True)
    (folder / "version.yaml").write_text("training_hash: abc\nmetrics: {cv_log_loss: 0.7}\n")
    (folder / "cells.json").write_text(cells_to_text({"training.long": Cell(0.4, 0.3, 0.5, 9)}))
    seeded = wb.registry.show(MODEL)
    assert (seeded.version, seeded.training_hash, seeded.metrics) == (
        "0.1.0",
        "abc",
        {"cv_log_loss": 0.7},
    )
    assert seeded.cells == {"training.long": Cell(0.4, 0.3, 0.5, 9)}
    version = wb.registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="r")
    [change] = wb.registry.show(MODEL, version).diff
    assert (change.key, change.change, change.delta) == (
        "training.long",
        "moved",
        pytest.approx(0.1),
    )


def test_an_unreadable_shipped_cells_file_is_named(wb: Workbench, workspace: Path) -> None:
    folder = workspace / "shared_models" / MODEL / "versions" / "0.1.0"
    folder.mkdir(parents=True)
    (folder / "cells.json").write_text("[1, 2")
    with pytest.raises(InvalidInput, match=r"versions/0.1.0/cells.json"):
        wb.registry.versions(MODEL)
    [summary] = [m for m in wb.registry.list_models() if m.name == MODEL]
    assert summary.approved is None and "cells.json" in summary.problem


def fairness_gate(info) -> list[Problem]:
    """A gate found by its dotted name (as GATES lists them)."""
    return [] if info.metrics.get("n", 0) >= 20 else [Problem(info.name, "n", "too few")]


def test_gates_listed_by_dotted_name_apply_to_every_registry(
    wb: Workbench, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.registry import service

    wb.registry.versions(MODEL)  # the shipped version is seeded before the gate exists
    monkeypatch.setitem(service.GATES, MODEL, f"{__name__}:fairness_gate")
    registry = ModelRegistry(wb.db, wb.settings.shared_models_dir)
    small = TrainedVersion({"findings.csv": b"x"}, "", {"n": 5}, {}, "h")
    version = registry.create_candidate(MODEL, small, by="Ana", reason="r")
    with pytest.raises(InvalidInput, match="too few"):
        registry.approve(MODEL, version, by="Ben", reason="ok")
    big = registry.create_candidate(MODEL, trained(0.5), by="Ana", reason="r")  # n = 22
    assert registry.approve(MODEL, big, by="Ben", reason="ok").version == big
