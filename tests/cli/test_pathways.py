"""``workbench pathways score`` through the real CLI on a fresh workspace.

The command touches no database, so it runs once (not once per database). The labour
pack view is built once for the module (it reads the shipped pack and ESCO).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from workbench.cli import cli as workbench_cli
from workbench.pathways.occupations import LabourView
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
