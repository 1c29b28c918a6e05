"""``workbench pathways score`` through the real CLI on a fresh workspace.

It runs on the workspace's own SQLite database (the stored pathways' queries are tested
on both databases in tests/pathways/test_oversight.py). The labour pack view is built once
for the module (it reads the shipped pack and ESCO).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from workbench.cli import cli as workbench_cli
from workbench.config import Settings
from workbench.pathways.occupations import LabourView
from workbench.pathways.oversight import OversightService
from workbench.profiling.pseudonym import create_key
from workbench.profiling.synthetic import generate_jobseekers


@pytest.fixture(scope="module")
def labour() -> LabourView:
    return LabourView.shipped()


@pytest.fixture
def run(workspace: Path, tmp_path: Path, labour: LabourView, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(
        workbench_cli.lazy_commands, "pathways", "workbench.cli.pathways:pathways_group"
    )
    monkeypatch.setattr(LabourView, "shipped", classmethod(lambda cls: labour))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    key = create_key(tmp_path / "secret" / "pseudonym.key")
    monkeypatch.setenv("WORKBENCH_PSEUDONYM_KEY_FILE", str(key))

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(workbench_cli, ["--home", str(workspace), "pathways", *args])

    invoke.home = workspace  # type: ignore[attr-defined]
    return invoke


def test_score_writes_one_row_per_step(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "jobseekers.csv"
    generate_jobseekers(60, seed=9, regions=["ES61"]).to_csv(src, index=False)
    out = tmp_path / "pathways.csv"
    result = run("score", "--input", str(src), "--output", str(out), "--threshold", "0.4")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert table["person"].nunique() == 60
    assert set(table["threshold"]) == {0.4}
    assert f"for 60 people to {out}" in result.stdout
    assert "ids pseudonymised" in result.stdout and "counsellor" in result.stdout
    # stored for the counsellors' review, the same people as in the file
    assert "stored 60 pathways for review" in result.stdout
    stored = _stored(workspace_of(run))
    assert {p.person for p in stored} == set(table["person"])
    assert all(p.threshold == 0.4 for p in stored)
    # the file is outside the workspace: an erasure request would not find it
    assert "will not find the people in it" in result.stderr


def test_no_save_stores_nothing_and_the_default_threshold_is_the_models(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from workbench.profiling.model import load_approved_profiling

    home = workspace_of(run)
    src = tmp_path / "jobseekers.csv"
    generate_jobseekers(20, seed=3, regions=["ES61"]).to_csv(src, index=False)
    (home / "pathways").mkdir(exist_ok=True)
    out = home / "pathways" / "batch.csv"
    result = run("score", "--input", str(src), "--output", str(out), "--no-save")
    assert result.exit_code == 0, result.output
    assert "stored" not in result.stdout and "will not find" not in result.stderr
    assert _stored(home) == []
    model = load_approved_profiling(home / "shared_models")
    assert set(pd.read_csv(out)["threshold"]) == {model.threshold}


def workspace_of(run) -> Path:  # type: ignore[no-untyped-def]
    return run.home  # type: ignore[no-any-return]


def _stored(home: Path) -> list:  # type: ignore[type-arg]
    from workbench.db import Database

    db = Database(Settings(home=home).database_url)
    try:
        service = OversightService(db)
        return [service.get_pathway(info["id"])[0] for info in service.list_pathways(1000)]
    finally:
        db.dispose()


def test_a_bad_row_exits_2_and_writes_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frame = generate_jobseekers(10, seed=9, regions=["ES61"])
    frame.loc[6, "months_employed_24m"] = 30
    src = tmp_path / "jobseekers.csv"
    frame.to_csv(src, index=False)
    out = tmp_path / "pathways.csv"
    result = run("score", "--input", str(src), "--output", str(out))
    assert result.exit_code == 2
    assert f"{src}:8: months_employed_24m:" in result.stderr
    assert not out.exists()
    missing = run("score", "--input", str(tmp_path / "none.csv"), "--output", str(out))
    assert missing.exit_code == 2 and not out.exists()


def test_synthetic_writes_a_valid_labelled_table(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from workbench.profiling.jobseekers import read_jobseeker_table

    out = tmp_path / "people.csv"
    result = run("synthetic", "--n", "300", "--region", "ES61", "--output", str(out))
    assert result.exit_code == 0, result.output
    table = read_jobseeker_table(out, require=("ltu",))
    assert len(table) == 300 and table["synthetic"].all()
    assert set(table["region"]) == {"ES61"}
    assert f"{table['ltu'].mean():.1%} long-term unemployed" in result.stdout
    bad = run("synthetic", "--region", "XX99", "--output", str(tmp_path / "x.csv"))
    assert bad.exit_code == 2 and "XX99" in bad.stderr
    assert not (tmp_path / "x.csv").exists()


def test_pseudonymise_writes_pseudonyms_only(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from workbench.profiling.jobseekers import read_jobseeker_table
    from workbench.profiling.pseudonym import is_pseudonym, require_pseudonyms

    src = tmp_path / "raw.csv"
    raw = generate_jobseekers(40, seed=4, regions=["ES61"])
    raw.to_csv(src, index=False)
    out = tmp_path / "pseudonymised.csv"
    result = run("pseudonymise", "--input", str(src), "--output", str(out))
    assert result.exit_code == 0, result.output
    table = read_jobseeker_table(out)
    require_pseudonyms(table)
    assert table["person_id"].map(is_pseudonym).all() and table["person_id"].nunique() == 40
    text = out.read_text()
    assert not any(pid in text for pid in raw["person_id"])
    # everything else is the same table
    pd.testing.assert_frame_equal(
        table.drop(columns="person_id"), read_jobseeker_table(src).drop(columns="person_id")
    )
    again = run("pseudonymise", "--input", str(src), "--output", str(src))
    assert again.exit_code == 2
