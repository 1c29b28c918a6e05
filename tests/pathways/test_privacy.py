"""GDPR for pathways: export and erasure of one jobseeker across every table and artefact
file, and the retention purge; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel

from workbench.cli.pathways_admin import register
from workbench.config import Settings
from workbench.db import Database
from workbench.exceptions import InvalidInput
from workbench.pathways.oversight import OversightService
from workbench.pathways.privacy import PathwayPrivacy, rewrite_without, scan
from workbench.profiling.pseudonym import create_key, pseudonymise
from workbench.service import Workbench

KEY = bytes(range(32))
ANA, BEN, CAT = (pseudonymise(i, KEY) for i in ("ES-1", "ES-2", "ES-3"))
HEADER = "person,region,step,reason\r\n"


def pathway(person: str) -> dict[str, Any]:
    """A whole pathway (every field of workbench.pathways.build.Pathway), synthetic."""
    steps = [
        {
            "step_id": f"{order}-{kind}",
            "order": order,
            "kind": kind,
            "label": kind,
            "when": "now",
            "target_isco": None,
            "target_occupation": None,
            "skill_gap": [],
            "expected_effect": None,
            "effect_low": None,
            "effect_high": None,
            "evidence_count": 0,
            "studies": 0,
            "evidence_ids": [],
            "reason": "synthetic test",
            "sources": [],
            "return_to_work": None,
            "return_to_work_n": 0,
            "return_to_work_basis": "",
        }
        for order, kind in ((1, "job_search_assistance"), (2, "training"))
    ]
    groups = {"sex": "F", "age_band": "25-29", "origin": "eu", "disability": "false"}
    return {
        "person": person,
        "region": "ES61",
        "model_version": "1",
        "evidence_version": "1",
        "risk": 0.5,
        "risk_low": 0.4,
        "risk_high": 0.6,
        "risk_band": "medium",
        "threshold": 0.5,
        "context": None,
        "groups": groups,
        "steps": steps,
        "notes": [],
        "synthetic": True,
    }


@dataclass
class World:
    home: Path
    db: Database
    settings: Settings
    oversight: OversightService
    privacy: PathwayPrivacy


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    home = tmp_path / "ws"
    (home / "pathways" / "2026").mkdir(parents=True)
    config = Settings(home=home, db_url=db_url, pathway_retention_days=30)
    db = Database(db_url)
    try:
        yield World(home, db, config, OversightService(db), PathwayPrivacy(db, config, key=KEY))
    finally:
        db.dispose()


def _fill(w: World) -> dict[str, Path]:
    """Two pathways for Ana, one each for Ben and Cat, reviews, and artefact files."""
    for person in (ANA, ANA, BEN, CAT):
        pid = w.oversight.save_pathway(pathway(person), by="batch")
        w.oversight.record_review(pid, "2-training", "reject", f"not now ({person[:6]})", "c")
    batch = w.home / "pathways" / "batch.csv"
    batch.write_bytes(
        (
            HEADER
            + f'{ANA},ES61,1,"two lines\r\nof reason"\r\n'
            + f"{BEN},ES61,1,plain\r\n"
            + f'{ANA},ES61,2,"quoted, with comma"\r\n'
            + f'{CAT},ES61,1,"she said ""hi"""\r\n'
        ).encode()
    )
    nested = w.home / "pathways" / "2026" / "more.csv"
    nested.write_text(HEADER + f"{BEN},ES61,1,x\r\n", newline="")
    lines = w.home / "pathways" / "steps.jsonl"
    lines.write_text(json.dumps({"person": ANA}) + "\n" + json.dumps({"person": BEN}) + "\n")
    blob = w.home / "pathways" / "summary.json"
    blob.write_text(json.dumps({"people": [ANA, BEN]}))
    (w.home / "exports").mkdir()
    export = w.home / "exports" / "pathways-ana.json"
    export.write_text(json.dumps({"person": ANA}))
    run = w.home / "runs" / "es61" / "monitoring" / "abc123"
    run.mkdir(parents=True)
    notebook = run / "monitoring.ipynb"  # an executed notebook whose output names Ana
    notebook.write_text(json.dumps({"cells": [{"outputs": [{"text": f"{ANA} 0.71"}]}]}))
    table = run / "people.csv"
    table.write_text(f"person,risk\r\n{ANA},0.71\r\n{BEN},0.20\r\n", newline="")
    packed = w.home / "pathways" / "batch2.csv.gz"  # pathways score --output x.csv.gz
    packed.write_bytes(gzip.compress(f"person,step\r\n{ANA},1\r\n{CAT},1\r\n".encode()))
    return {
        "batch": batch, "nested": nested, "lines": lines, "blob": blob, "export": export,
        "notebook": notebook, "table": table, "packed": packed,
    }  # fmt: skip


def _tables_naming(db: Database, needle: str) -> dict[str, int]:
    """Rows of every table (whatever its columns) whose values contain ``needle``."""
    found = {}
    with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            hits = sum(1 for row in rows if needle in json.dumps(list(row), default=str))
            if hits:
                found[table.name] = hits
    return found


def _files_naming(home: Path, needle: str) -> list[Path]:
    return [p for p in home.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_every_table_with_a_person_column_is_covered() -> None:
    with_person = {t.name for t in SQLModel.metadata.sorted_tables if "person" in t.columns}
    assert with_person == {"pathway", "pathway_review"}


def test_erasure_removes_a_person_from_every_table_and_artefact(world: World) -> None:
    files = _fill(world)
    ben_before = files["nested"].read_bytes()
    assert _tables_naming(world.db, ANA) == {"pathway": 2, "pathway_review": 2}

    report = world.privacy.erase_person("ES-1", "request", delete_files=True)  # by PES id

    assert _tables_naming(world.db, ANA) == {}
    assert _files_naming(world.home, ANA) == []
    assert not files["blob"].exists() and not files["export"].exists()  # whole files
    assert not files["notebook"].exists()  # a run's executed notebook naming her
    assert files["table"].read_bytes() == f"person,risk\r\n{BEN},0.20\r\n".encode()
    assert report.rows == {
        "pathway_review": 2,
        "pathway": 2,
        "artefact_rows": 5,
        "artefact_files": 4,
    }
    assert gzip.decompress(files["packed"].read_bytes()) == f"person,step\r\n{CAT},1\r\n".encode()
    assert sorted(report.rewritten) == [
        "pathways/batch.csv",
        "pathways/batch2.csv.gz",
        "pathways/steps.jsonl",
        "runs/es61/monitoring/abc123/people.csv",
    ]
    assert sorted(report.files) == [
        "exports/pathways-ana.json",
        "pathways/summary.json",
        "runs/es61/monitoring/abc123/monitoring.ipynb",
    ]
    # everybody else's records are kept byte for byte, header included
    assert (
        files["batch"].read_bytes()
        == (HEADER + f"{BEN},ES61,1,plain\r\n" + f'{CAT},ES61,1,"she said ""hi"""\r\n').encode()
    )
    assert files["nested"].read_bytes() == ben_before
    assert files["lines"].read_text() == json.dumps({"person": BEN}) + "\n"
    assert _tables_naming(world.db, BEN) == {"pathway": 1, "pathway_review": 1}
    # the log has counts, never who
    [entry] = world.privacy.erasures()
    assert entry["reason"] == "request" and entry["rows"] == report.rows
    assert "ES-1" not in json.dumps(entry) and ANA not in json.dumps(entry)
    # a second request finds nothing left
    again = world.privacy.erase_person(ANA, "request")
    assert again.rows == {
        "pathway_review": 0,
        "pathway": 0,
        "artefact_rows": 0,
        "artefact_files": 0,
    }


def test_without_delete_files_other_files_are_listed_not_deleted(world: World) -> None:
    files = _fill(world)
    report = world.privacy.erase_person(ANA, "objection")
    assert not report.files_deleted and files["blob"].exists() and files["export"].exists()
    assert sorted(report.files) == [
        "exports/pathways-ana.json",
        "pathways/summary.json",
        "runs/es61/monitoring/abc123/monitoring.ipynb",
    ]
    assert _tables_naming(world.db, ANA) == {}


def test_dry_run_changes_nothing(world: World) -> None:
    files = _fill(world)
    before = {name: path.read_bytes() for name, path in files.items()}
    preview = world.privacy.erase_person(ANA, "request", dry_run=True)
    assert preview.erasure_id is None and preview.dry_run
    assert preview.rows == {
        "pathway_review": 2,
        "pathway": 2,
        "artefact_rows": 5,
        "artefact_files": 4,
    }
    assert {name: path.read_bytes() for name, path in files.items()} == before
    assert _tables_naming(world.db, ANA) == {"pathway": 2, "pathway_review": 2}
    assert world.privacy.erasures() == []


def test_a_failed_rewrite_leaves_tables_and_files_as_they_were(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _fill(world)
    before = files["batch"].read_bytes()

    def broken(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        world.privacy.erase_person(ANA, "request")
    assert files["batch"].read_bytes() == before
    assert _tables_naming(world.db, ANA) == {"pathway": 2, "pathway_review": 2}
    assert not [p for p in (world.home / "pathways").iterdir() if p.name.endswith(".tmp")]


def test_export_holds_everything_about_the_person(world: World) -> None:
    _fill(world)
    data = world.privacy.export_person("ES-1")
    assert data["person"] == ANA and "ES-1" not in json.dumps(data)
    assert len(data["pathways"]) == 2 and all(
        p["pathway"]["person"] == ANA for p in data["pathways"]
    )
    assert [r["action"] for r in data["reviews"]] == ["reject", "reject"]
    assert data["reviews"][0]["reason"].startswith("not now")
    rows = [(a["file"], a["record"], a["values"]) for a in data["artefacts"]]
    assert rows == [
        (
            "pathways/batch.csv",
            1,
            {"person": ANA, "region": "ES61", "step": "1", "reason": "two lines\r\nof reason"},
        ),
        (
            "pathways/batch.csv",
            3,
            {"person": ANA, "region": "ES61", "step": "2", "reason": "quoted, with comma"},
        ),
        ("pathways/batch2.csv.gz", 1, {"person": ANA, "step": "1"}),
        ("pathways/steps.jsonl", 1, {"person": ANA}),
        ("runs/es61/monitoring/abc123/people.csv", 1, {"person": ANA, "risk": "0.71"}),
    ]
    assert sorted(data["files"]) == [
        "exports/pathways-ana.json",
        "pathways/summary.json",
        "runs/es61/monitoring/abc123/monitoring.ipynb",
    ]
    assert data["retention"]["days"] == 30 and data["retention"]["erase_after"]
    assert world.privacy.export_person(BEN)["artefacts"][1]["file"] == "pathways/batch.csv"


def test_bad_requests_are_refused(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidInput, match="reason"):
        world.privacy.erase_person(ANA, "because")
    with pytest.raises(InvalidInput, match="person"):
        world.privacy.export_person("  ")
    monkeypatch.setenv("WORKBENCH_PSEUDONYM_KEY_FILE", str(tmp_path / "missing.key"))
    without_key = PathwayPrivacy(world.db, world.settings)
    with pytest.raises(InvalidInput, match="pseudonym key: not found"):
        without_key.pseudonym("ES-1")  # a PES id needs the key
    assert without_key.pseudonym(ANA) == ANA  # a pseudonym does not


def test_retention_purges_only_what_is_past_it(world: World) -> None:
    files = _fill(world)
    now = datetime.now(UTC)
    later = now + timedelta(days=31)
    # Cat's pathway is old but a counsellor reviewed it recently: kept
    ids = {p["person"]: p["id"] for p in world.oversight.list_pathways()}
    old = (now - timedelta(days=60)).timestamp()
    os.utime(files["nested"], (old, old))
    assert world.privacy.expired(now) == ([], [files["nested"]])
    report = world.privacy.purge_expired(now)
    assert report is not None and report.rows["expired_files"] == 1
    assert not files["nested"].exists() and files["batch"].exists()
    assert _tables_naming(world.db, BEN)  # BEN's rows are not past retention yet

    persons, _ = world.privacy.expired(later)
    assert persons == sorted([ANA, BEN, CAT])
    world.oversight.record_review(ids[CAT], "1-job_search_assistance", "accept", "", "c")
    with world.db.session(write=True) as s:  # move Cat's new review into the future
        from workbench.db.models import PathwayReview

        row = s.exec(select(PathwayReview).order_by(PathwayReview.id.desc())).first()[0]
        row.at = later - timedelta(days=1)
        s.add(row)
    report = world.privacy.purge_expired(later, delete_files=True)
    assert report is not None and report.reason == "retention"
    assert report.rows["pathway"] == 3 and report.rows["pathway_review"] == 3
    for person in (ANA, BEN):
        assert _tables_naming(world.db, person) == {}
    assert _tables_naming(world.db, CAT) == {"pathway": 1, "pathway_review": 2}
    assert world.privacy.purge_expired(now) is None
    with pytest.raises(InvalidInput, match="timezone-aware"):
        world.privacy.expired(datetime(2030, 1, 1))


cells = st.text(alphabet=st.sampled_from(list("ab ,\"'\n\r\tp_0é")), max_size=12)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(st.booleans(), cells, cells), max_size=12))
def test_rewrite_keeps_exactly_the_other_records(tmp_path: Path, rows: list[Any]) -> None:
    path = tmp_path / "pathways" / "f.csv"
    path.parent.mkdir(exist_ok=True)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["person", "a", "b"])
    for named, a, b in rows:
        writer.writerow([ANA if named else BEN, a, b])
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    found = scan(tmp_path, [ANA])
    assert found.rows.get(path, 0) == sum(1 for named, _, _ in rows if named)
    removed = rewrite_without(path, [ANA])
    assert removed == sum(1 for named, _, _ in rows if named)
    with path.open(encoding="utf-8", newline="") as fh:
        kept = list(csv.reader(fh))
    assert kept == [["person", "a", "b"]] + [[BEN, a, b] for named, a, b in rows if not named]


def test_the_commands(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(world)
    group = register(click.Group("pathways"))
    wb = Workbench(world.settings)
    monkeypatch.setenv("WORKBENCH_PSEUDONYM_KEY_FILE", str(tmp_path / "keys" / "k"))

    def run(*args: str) -> Any:
        return CliRunner().invoke(group, list(args), obj=wb, catch_exceptions=False)

    try:
        listed = run("review", "list", "--person", ANA)
        assert listed.exit_code == 0 and listed.output.count("reject") == 2
        assert run("review", "record", "1", "2-training", "reject", "--by", "c").exit_code == 2
        ok = run("review", "record", "1", "2-training", "accept", "--by", "ana.c")
        assert ok.exit_code == 0 and "accept 2-training by ana.c" in ok.output
        assert "no step kind has 10" in run("overrides").output
        assert "women aged 25-29" in run("overrides", "--min-n", "2").output
        assert json.loads(run("export", ANA).output)["person"] == ANA
        saved = tmp_path / "out" / "ana.json"
        assert run("export", ANA, "--output", str(saved)).exit_code == 0
        assert json.loads(saved.read_text())["person"] == ANA
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600  # personal data: owner only
        assert run("export", ANA, "--output", str(saved)).exit_code == 2  # never overwritten
        erased = run("erase", ANA, "--reason", "request", "--yes")
        assert erased.exit_code == 0 and "pathway 2" in erased.output
        assert "summary.json" in erased.output  # listed, still there
        assert run("purge", "--dry-run").output.startswith("nothing is older")
        made = run("key", "init")
        assert made.exit_code == 0 and (tmp_path / "keys" / "k").is_file()
        assert run("key", "init").exit_code == 2  # never replaced
        inside = run("key", "init", "--path", str(world.home / "k"))
        assert inside.exit_code == 2 and "inside the workspace" in inside.output
    finally:
        wb.close()


def test_a_created_key_pseudonymises_like_the_privacy_service(world: World, tmp_path: Path) -> None:
    path = create_key(tmp_path / "key")
    from workbench.profiling.pseudonym import load_key

    service = PathwayPrivacy(world.db, world.settings, key=load_key(path))
    assert service.pseudonym("ES-9") == pseudonymise("ES-9", load_key(path))
