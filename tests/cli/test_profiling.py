"""``workbench profiling train|audit`` on a real workspace, SQLite and PostgreSQL: a bad table
is refused whole with row and field; a good one makes a candidate (justifications logged on
its card) that the fairness gate holds until an override; the audit prints by group."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from workbench.cli.profiling import profiling_group
from workbench.config import Settings
from workbench.exceptions import InvalidInput
from workbench.pathways import oversight
from workbench.profiling.synthetic import generate_jobseekers
from workbench.service import Workbench


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pes") / "jobseekers.csv"
    generate_jobseekers(1600, seed=3, regions=["ES61", "DE21"]).to_csv(path, index=False)
    return path


@pytest.fixture
def wb(workspace: Path, db_url: str) -> Workbench:
    service = Workbench(Settings(home=workspace, db_url=db_url))
    yield service
    service.close()


@pytest.fixture
def run(wb: Workbench) -> Callable[..., Result]:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(profiling_group, list(args), obj=wb, catch_exceptions=False)

    return invoke


def test_train_makes_a_candidate_held_by_the_gate(
    run: Callable[..., Result], wb: Workbench, table: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = "counsellors rejected the private_sector_subsidy step for 40% of women 16-24 (n=25)"
    monkeypatch.setattr(
        oversight.OversightService, "override_signals", lambda self: [SimpleNamespace(text=said)]
    )
    result = run(
        "train", "--input", str(table), "--by", "Ana Ruiz", "--reason", "2026 cohort",
        "--justify", "age_band=older workers need the re-entry programme budgeted",
        "--lawful-basis", "Art. 6(1)(e) public task", "--override-signals",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "candidate profiling version 2: 1600 rows" in result.output
    assert "fairness gate:" in result.output
    info = wb.registry.show("profiling", "2")
    assert info.status == "candidate" and info.created_by == "Ana Ruiz"
    assert "| age_band | Ana Ruiz |" in info.card_text
    [event] = [e for e in wb.registry.events("profiling") if e.action == "candidate"]
    assert "justified by Ana Ruiz: age_band: older workers need" in event.reason
    assert "Art. 6(1)(e) public task" in info.card_text
    assert f"## Counsellor overrides\n\n- {said}\n" in info.card_text
    assert wb.registry.approved("profiling").version == "1"
    features = json.loads((info.directory / "versions" / "2" / "features.json").read_text())
    assert features["protected_used"] == ["age_band"]

    audit = run("audit", "--version", "2")
    assert audit.exit_code == 0, audit.output
    assert "profiling version 2 (candidate): audit of 400 held-out rows" in audit.output
    assert "by group at the decision threshold 0.5" in audit.output
    for attr, group in (("sex", "F"), ("origin", "non_eu"), ("age_band", "55\\+")):
        assert re.search(rf"^{attr}\s+{group}\s+\d+\s+0\.\d{{3}}", audit.output, re.M), attr
    assert "disparities by threshold" in audit.output and "0.7" in audit.output
    seed = run("audit")  # default: the approved version
    assert "profiling version 1 (approved)" in seed.output


def test_a_bad_table_is_refused_whole_with_row_and_field(
    run: Callable[..., Result], wb: Workbench, table: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(table, dtype=str, keep_default_na=False)
    frame.loc[3, "education"] = "doctorate"
    frame.loc[7, "ltu"] = ""
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    result = CliRunner().invoke(
        profiling_group,
        ["train", "--input", str(bad), "--by", "Ana", "--reason", "r"],
        obj=wb,
    )
    assert result.exit_code == 2, result.output
    said = result.output
    assert "bad.csv:5" in said and "education" in said and "doctorate" in said  # header = line 1
    assert "bad.csv:9" in said and "ltu" in said
    assert [v.version for v in wb.registry.versions("profiling")] == ["1"]


def test_justifications_must_name_a_protected_attribute_and_a_reason(
    run: Callable[..., Result], wb: Workbench, table: Path
) -> None:
    result = CliRunner().invoke(
        profiling_group,
        ["train", "--input", str(table), "--by", "A", "--reason", "r", "--justify", "sex"],
        obj=wb,
    )
    assert result.exit_code == 2 and "ATTRIBUTE=REASON" in result.output
    with pytest.raises(SystemExit) as stop:
        profiling_group.main(
            ["train", "--input", str(table), "--by", "A", "--reason", "r",
             "--justify", "education=relevant"],
            obj=wb, standalone_mode=False,
        )  # fmt: skip
    assert stop.value.code == InvalidInput.exit_code
    assert [v.version for v in wb.registry.versions("profiling")] == ["1"]
