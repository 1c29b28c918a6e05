"""Expert changes to the evidence base (EvidenceService) on SQLite and PostgreSQL: imports
validated whole (every bad row and field, nothing written), each change logged in SQL and
fitted as a candidate of ``almp_effectiveness`` that feeds no run until approved.

The registry mechanics use a small fake trainer computed from the rows (the share of
significantly positive estimates per programme type), so its cells move when the
evidence does; one test runs the real trainer when it exists.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.config import Settings
from workbench.data.tables import cell_text
from workbench.evidence.base import EvidenceError, evidence_hash, read_evidence
from workbench.evidence.changes import EVIDENCE_FILE, MODEL, EvidenceService
from workbench.evidence.schema import COLUMN_NAMES
from workbench.exceptions import InvalidInput
from workbench.registry import Cell, TrainedVersion
from workbench.service import Workbench
from workbench.shared_models import load_shared_model

calls: list[int] = []


def fake_trainer(frame: pd.DataFrame) -> TrainedVersion:
    """Share of positive_significant rows per programme type; None below 3 rows."""
    calls.append(len(frame))
    cells = {}
    for kind, rows in frame.groupby("programme_type"):
        n = len(rows)
        share = float((rows["significance"] == "positive_significant").mean())
        cells[str(kind)] = Cell(share if n >= 3 else None, n=n, label=f"{kind}: P(+)")
    model = {key: cell.value for key, cell in cells.items()}
    return TrainedVersion(
        files={"model.json": json.dumps(model, sort_keys=True).encode()},
        card=f"# almp_effectiveness (fake)\n\n{len(frame)} rows\n",
        metrics={"rows": float(len(frame))},
        cells=cells,
        training_hash=evidence_hash(frame),
        kind="effectiveness",
    )


@pytest.fixture
def wb(workspace: Path, db_url: str) -> Iterator[Workbench]:
    service = Workbench(Settings(home=workspace, db_url=db_url))
    service.__dict__["evidence"] = EvidenceService(service, trainer=fake_trainer)
    yield service
    service.close()


def shipped(workspace: Path) -> list[dict[str, str]]:
    path = workspace / "shared_models" / MODEL / "evidence" / EVIDENCE_FILE
    frame = read_evidence(path)
    return [
        {c: cell_text(v) or "" for c, v in zip(COLUMN_NAMES, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMN_NAMES), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def seed_version(workspace: Path) -> str:
    """The version shipped in ``model.yaml`` (seeded into the registry on first use)."""
    return load_shared_model(workspace / "shared_models", MODEL).version


def version_after(workspace: Path, steps: int = 1) -> str:
    """The number of the ``steps``-th candidate after the shipped version."""
    seed = seed_version(workspace)
    return str((int(seed) if seed.isdigit() else 0) + steps)


def nothing_written(wb: Workbench, workspace: Path, shipped_files: set[str]) -> None:
    from workbench.db import registry as store

    assert [v.version for v in wb.registry.versions(MODEL)] == [seed_version(workspace)]
    assert files_of(workspace) == shipped_files
    with wb.db.session() as s:
        assert store.find_evidence_changes(s, model=MODEL) == []


def files_of(workspace: Path) -> set[str]:
    folder = workspace / "shared_models" / MODEL
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_a_bad_file_names_every_bad_row_and_field_and_writes_nothing(
    wb: Workbench, workspace: Path, tmp_path: Path
) -> None:
    before = files_of(workspace)
    rows = shipped(workspace)
    rows[1] = {**rows[1], "horizon": "forever"}  # line 3
    rows[3] = {**rows[3], "estimate": "1,5"}  # line 5
    rows[6] = {**rows[6], "country": "germany", "secondary": "maybe"}  # line 8
    path = write_csv(tmp_path / "bad.csv", rows)
    calls.clear()
    with pytest.raises(EvidenceError) as caught:
        wb.evidence.import_file(path, by="Ana", reason="new estimates")
    assert {(p.line, p.key) for p in caught.value.problems} == {
        (3, "horizon"),
        (5, "estimate"),
        (8, "country"),
        (8, "secondary"),
    }
    assert calls == []  # nothing was fitted either
    nothing_written(wb, workspace, before)


def test_an_import_records_each_row_change_and_makes_a_candidate(
    wb: Workbench, workspace: Path, tmp_path: Path
) -> None:
    pointer = workspace / "shared_models" / MODEL / "model.yaml"
    shipped_pointer = pointer.read_bytes()
    rows = shipped(workspace)
    first, second, last = rows[0]["id"], rows[1]["id"], rows[-1]["id"]
    rows[0] = {**rows[0], "significance": "insignificant", "notes": "re-read the table"}
    new = {**rows[1], "id": "E900", "study": "New, Study (2024)"}
    del rows[-1]
    rows.append(new)
    edit = wb.evidence.import_file(write_csv(tmp_path / "good.csv", rows), by="Ana", reason="r")
    version = version_after(workspace)
    assert (edit.version, edit.added, edit.corrected, edit.retracted) == (
        version,
        ("E900",),
        (first,),
        (last,),
    )
    info = wb.registry.show(MODEL, version)
    assert info.status == "candidate" and info.created_by == "Ana"
    assert {Path(f).name for f in info.files} >= {"estimates.csv", "model.json"}
    assert all(f.startswith(f"versions/{version}/") for f in info.files)
    # the candidate is the working evidence, but the pointer does not move: no run reads it
    path, working = wb.evidence.working_source()
    assert working == version
    assert path == workspace / "shared_models" / MODEL / "versions" / version / "estimates.csv"
    assert pointer.read_bytes() == shipped_pointer
    assert wb.evidence.show_row("E900")["study"] == "New, Study (2024)"
    [change] = wb.evidence.history(first)
    assert (change.action, change.by, change.version, change.version_status) == (
        "correct",
        "Ana",
        version,
        "candidate",
    )
    assert change.fields == ["significance", "notes"]
    assert change.origin == "import good.csv"
    [gone] = wb.evidence.history(last)
    assert gone.action == "retract" and gone.after is None and gone.before["id"] == last
    assert wb.evidence.history(second) == []  # unchanged
    with pytest.raises(InvalidInput, match="nothing to import"):
        wb.evidence.import_file(write_csv(tmp_path / "same.csv", rows), by="Ana", reason="r")


def positive_share(frame: pd.DataFrame) -> float:
    training = frame[frame["programme_type"] == "training"]
    return float((training["significance"] == "positive_significant").mean())


def test_edits_each_make_a_candidate_and_the_approval_points_the_model_at_it(
    wb: Workbench, workspace: Path
) -> None:
    rows = shipped(workspace)
    target = next(r for r in rows if r["programme_type"] == "training")
    positive = {"significance": "positive_significant", "direction": "positive"}
    before = len(wb.evidence.list_rows())
    added = wb.evidence.add_row({**target, **positive, "id": "E901"}, by="Ana", reason="new")
    corrected = wb.evidence.correct_row(
        target["id"], {"significance": "negative_significant", "direction": "negative"},
        by="Ben", reason="sign misread",
    )  # fmt: skip
    share_corrected = positive_share(wb.evidence.list_rows())
    retracted = wb.evidence.retract_row("E901", by="Cy", reason="duplicate of an older row")
    share_retracted = positive_share(wb.evidence.list_rows())
    v1, v2, v3 = (version_after(workspace, i) for i in (1, 2, 3))
    assert [added.version, corrected.version, retracted.version] == [v1, v2, v3]
    assert len(wb.evidence.list_rows()) == before
    assert wb.evidence.show_row(target["id"])["significance"] == "negative_significant"
    assert [c.action for c in wb.evidence.history("E901")] == ["add", "retract"]
    assert [c.by for c in wb.evidence.history(target["id"])] == ["Ben"]

    wb.registry.approve(MODEL, v2, by="Dee", reason="checked")
    pointer = workspace / "shared_models" / MODEL / "model.yaml"
    assert f"versions/{v2}/estimates.csv" in pointer.read_text()
    assert load_shared_model(workspace / "shared_models", MODEL).version == v2
    moved = {c.key: c for c in wb.registry.diff(MODEL, v3)}
    assert moved["training"].change == "moved"
    assert moved["training"].delta == pytest.approx(share_retracted - share_corrected)
    assert wb.evidence.working_source()[1] == v3
    wb.registry.reject(MODEL, v3, by="Dee", reason="keep the row")
    assert wb.evidence.working_source()[1] == v2  # rejected versions are not worked on


def test_bad_edits_name_the_field_and_write_nothing(wb: Workbench, workspace: Path) -> None:
    shipped_files = files_of(workspace)
    rows = shipped(workspace)
    first = rows[0]["id"]
    with pytest.raises(InvalidInput) as caught:
        wb.evidence.add_row({**rows[0], "id": "E902", "horizon": "soon", "se": "-1"}, "Ana", "r")
    assert {p.key for p in caught.value.problems} == {"horizon", "se"}
    with pytest.raises(InvalidInput, match="exists: correct it instead"):
        wb.evidence.add_row(rows[0], by="Ana", reason="r")
    with pytest.raises(InvalidInput, match="unknown column"):
        wb.evidence.correct_row(first, {"colour": "red"}, by="Ana", reason="r")
    with pytest.raises(InvalidInput, match="id cannot change"):
        wb.evidence.correct_row(first, {"id": "E999"}, by="Ana", reason="r")
    with pytest.raises(InvalidInput, match="changes nothing"):
        wb.evidence.correct_row(first, {"study": rows[0]["study"]}, by="Ana", reason="r")
    with pytest.raises(InvalidInput, match="no evidence row 'nope'"):
        wb.evidence.retract_row("nope", by="Ana", reason="r")
    synthetic = {**rows[0], "id": "S1", "kind": "synthetic", "source_type": "synthetic",
                 "notes": "SYNTHETIC", "source_url": ""}  # fmt: skip
    with pytest.raises(InvalidInput, match="synthetic rows"):
        wb.evidence.add_row(synthetic, by="Ana", reason="r")
    with pytest.raises(InvalidInput) as caught:
        wb.evidence.retract_row(first, by=" ", reason="r")
    assert caught.value.problems[0].key == "by"
    nothing_written(wb, workspace, shipped_files)


def test_listing_filters_and_refuses_unknown_values(wb: Workbench) -> None:
    training = wb.evidence.list_rows({"type": "training", "horizon": "long"})
    assert len(training) > 0
    assert set(training["programme_type"]) == {"training"} and set(training["horizon"]) == {"long"}
    findings = wb.evidence.list_rows({"kind": "finding", "group": None})
    assert set(findings["kind"]) == {"finding"}
    with pytest.raises(InvalidInput) as caught:
        wb.evidence.list_rows({"type": "yoga", "colour": "red"})
    assert [p.key for p in caught.value.problems] == ["type", "colour"]
    with pytest.raises(InvalidInput, match="no evidence row"):
        wb.evidence.history("nope")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    column=st.sampled_from(COLUMN_NAMES),
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    line=st.integers(min_value=0, max_value=5),
)
def test_fuzz_the_import_gives_a_candidate_or_a_clean_refusal(
    wb: Workbench, workspace: Path, tmp_path: Path, column: str, text: str, line: int
) -> None:
    rows = shipped(workspace)[:6]
    rows[line] = {**rows[line], column: text}
    path = write_csv(tmp_path / "fuzz.csv", rows)
    versions = len(wb.registry.versions(MODEL))
    try:
        edit = wb.evidence.import_file(path, by="fuzz", reason="fuzz")
    except InvalidInput as exc:
        assert exc.problems and len(wb.registry.versions(MODEL)) == versions
    else:
        assert int(edit.version) == versions + 1


@pytest.mark.skipif(
    importlib.util.find_spec("workbench.evidence.training") is None,
    reason="workbench.evidence.training (the effectiveness trainer) is not written yet",
)
def test_the_real_trainer_makes_a_candidate(workspace: Path, db_url: str) -> None:
    wb = Workbench(Settings(home=workspace, db_url=db_url))
    try:
        row = shipped(workspace)[0]
        edit = wb.evidence.add_row({**row, "id": "E950"}, by="Ana", reason="real trainer")
        info = wb.registry.show(MODEL, edit.version)
        assert info.cells and info.metrics and info.training_hash
        assert f"versions/{edit.version}/estimates.csv" in info.files
        assert info.card_text.strip()
    finally:
        wb.close()


def test_two_experts_editing_at_once_both_land_in_the_newest_candidate(
    workspace: Path, db_url: str
) -> None:
    """Two experts correct different rows at the same moment: the later candidate holds both
    corrections (the second edit is re-applied on top of the first), nothing is lost."""
    import contextlib
    import threading

    rows = shipped(workspace)
    first, second = [r["id"] for r in rows if r["kind"] == "estimate"][:2]
    barrier = threading.Barrier(2)

    def slow_trainer(frame: pd.DataFrame) -> TrainedVersion:
        trained = fake_trainer(frame)
        # both edits have read the same working version; a retry after the conflict
        # trains alone (the barrier is broken by then)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        return trained

    errors: list[BaseException] = []
    versions: list[str] = []

    def edit(row_id: str, name: str) -> None:
        service = Workbench(Settings(home=workspace, db_url=db_url))
        service.__dict__["evidence"] = EvidenceService(service, trainer=slow_trainer)
        try:
            done = service.evidence.correct_row(
                row_id, {"notes": f"checked by {name}"}, by=name, reason="re-read the source"
            )
            versions.append(done.version)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            service.close()

    threads = [threading.Thread(target=edit, args=a) for a in ((first, "Ana"), (second, "Ben"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(set(versions)) == 2
    service = Workbench(Settings(home=workspace, db_url=db_url))
    try:
        newest = service.evidence.working_source()[1]
        assert newest == max(versions, key=int)
        assert service.evidence.show_row(first)["notes"] == "checked by Ana"
        assert service.evidence.show_row(second)["notes"] == "checked by Ben"
    finally:
        service.close()
