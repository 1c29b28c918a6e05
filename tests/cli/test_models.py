"""``workbench model`` and ``workbench evidence`` through the real CLI, on SQLite and
PostgreSQL: a bad import is refused whole, a good one makes a candidate that an expert
approves, rejects or rolls back, every step logged; approving makes exactly the runs that
read the model stale, and ``workbench run --all`` re-runs exactly those.

The registry mechanics use the fake trainer of ``tests/evidence/test_changes.py``'s kind
(computed from the rows); the real trainer has its own test there.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from workbench.cli import cli as workbench_cli
from workbench.config import Settings
from workbench.data.tables import cell_text
from workbench.evidence import changes
from workbench.evidence.base import evidence_hash, read_evidence
from workbench.evidence.schema import COLUMN_NAMES
from workbench.registry import Cell, TrainedVersion
from workbench.service import Workbench
from workbench.shared_models import load_shared_model

EFFECT = "almp_effectiveness"
EVIDENCE = "almp_evidence"


def fake_trainer(frame: pd.DataFrame) -> TrainedVersion:
    cells = {
        str(kind): Cell(float((rows["significance"] == "positive_significant").mean()),
                        n=len(rows), label=f"{kind}: P(+)")
        for kind, rows in frame.groupby("programme_type")
    }  # fmt: skip
    return TrainedVersion(
        files={"model.json": json.dumps({k: c.value for k, c in cells.items()}).encode()},
        card="# fake effectiveness card\n\nfitted for a CLI test\n",
        metrics={"cv_log_loss": 0.42},
        cells=cells,
        training_hash=evidence_hash(frame),
    )


@pytest.fixture(autouse=True)
def _fake_trainer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "default_trainer", fake_trainer)


def evidence_rows(home: Path) -> list[dict[str, str]]:
    frame = read_evidence(home / "shared_models" / EFFECT / "evidence" / "estimates.csv")
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


def test_model_list_shows_the_shipped_models(cli) -> None:
    result = cli("model", "list")
    assert result.exit_code == 0, result.output
    shipped = load_shared_model(cli.home / "shared_models", EVIDENCE).version
    assert re.search(rf"^{EVIDENCE}\s+{re.escape(shipped)}\s+-\s+1\b", result.output, re.M)
    history = cli("model", "history", EVIDENCE)
    assert "seeded" in history.output and f"{shipped} (approved)" in history.output


def test_evidence_import_review_approve_and_rollback(cli, tmp_path: Path) -> None:
    seed = load_shared_model(cli.home / "shared_models", EFFECT).version
    rows = evidence_rows(cli.home)
    bad = [dict(r) for r in rows]
    bad[0]["horizon"] = "someday"  # line 2
    bad[4]["p_value"] = "1.5"  # line 6
    refused = cli("evidence", "import", str(write_csv(tmp_path / "bad.csv", bad)),
                  "--by", "Ana", "--reason", "new study")  # fmt: skip
    assert refused.exit_code == 2
    assert ":2: horizon:" in refused.stderr and ":6: p_value:" in refused.stderr
    assert re.search(rf"^{EFFECT}\s+{seed}\s+-\s+1\b", cli("model", "list").output, re.M)

    rows[0] = {**rows[0], "notes": "corrected after re-reading the table"}
    rows.append({**rows[1], "id": "E900", "study": "New, Study (2024)"})
    made = cli("evidence", "import", str(write_csv(tmp_path / "good.csv", rows)),
               "--by", "Ana", "--reason", "new study")  # fmt: skip
    assert made.exit_code == 0, made.output
    summary = rf"candidate {EFFECT} version (\d+): 1 added, 1 corrected, 0 retracted"
    match = re.search(summary, made.output)
    assert match, made.output
    version = match.group(1)
    assert "feeds no run until approved" in made.output

    shown = cli("model", "show", EFFECT, version)
    assert shown.exit_code == 0, shown.output
    assert f"{EFFECT} version {version} (candidate)" in shown.output
    assert "cv_log_loss" in shown.output and "fake effectiveness card" in shown.output
    assert f"headline cells against the approved version {seed}" in shown.output
    history = cli("evidence", "history", "E900")
    assert re.search(rf"{version} \(candidate\)\s+add\s+Ana\s+new study", history.output)
    assert "New, Study (2024)" in cli("evidence", "show", "E900").output
    listed = cli("evidence", "list", "--kind", "estimate", "--type", rows[1]["programme_type"])
    assert "E900" in listed.output and f"(version {version})" in listed.output
    refused = cli("evidence", "list", "--horizon", "someday")
    assert refused.exit_code == 2 and "'someday' is not one of" in refused.stderr

    no_reason = cli("model", "approve", EFFECT, version, "--by", "Ben", "--reason", "  ")
    assert no_reason.exit_code == 2 and "reason is required" in no_reason.stderr
    approved = cli("model", "approve", EFFECT, version, "--by", "Ben", "--reason", "checked")
    assert approved.exit_code == 0, approved.output
    assert f"approved {EFFECT} version {version} (was {seed})" in approved.output
    assert load_shared_model(cli.home / "shared_models", EFFECT).version == version

    back = cli("model", "rollback", EFFECT, "--by", "Ben", "--reason", "wrong table")
    assert back.exit_code == 0, back.output
    assert f"rolled back to {EFFECT} version {seed} (was {version})" in back.output
    assert load_shared_model(cli.home / "shared_models", EFFECT).version == seed
    log = cli("model", "history", EFFECT).output
    for action, by, why in [("candidate", "Ana", "new study"), ("approve", "Ben", "checked"),
                            ("rollback", "Ben", "wrong table")]:  # fmt: skip
        assert re.search(rf"{action}\s+\S+\s+\S*\s*{by}\s+{why}", log), log


def test_reject_and_refusals(cli) -> None:
    wb = Workbench(cli.settings())
    try:
        row = evidence_rows(cli.home)[0]
        edit = wb.evidence.add_row({**row, "id": "E901"}, by="Ana", reason="a new row")
    finally:
        wb.close()
    missing = cli("model", "reject", EFFECT, edit.version, "--reason", "dup")
    assert missing.exit_code == 2 and "Missing option '--by'" in missing.output
    rejected = cli("model", "reject", EFFECT, edit.version, "--by", "Ben", "--reason", "dup")
    assert (
        rejected.exit_code == 0 and f"rejected {EFFECT} version {edit.version}" in rejected.output
    )
    again = cli("model", "approve", EFFECT, edit.version, "--by", "Ben", "--reason", "x")
    assert again.exit_code == 2 and "only a candidate can be approved" in again.stderr
    unknown = cli("model", "show", EFFECT, "99")
    assert unknown.exit_code == 2 and "no version '99'" in unknown.stderr
    assert cli("evidence", "show", "E901").exit_code == 2  # rejected: not in the working base


@pytest.mark.slow
@pytest.mark.databases("sqlite")  # run caching; the registry's SQL runs on both above
def test_approve_lists_the_stale_runs_that_run_all_re_runs(demo_runs, tmp_path: Path) -> None:
    """On a copy of the demo workspace whose runs are all current: a new almp_evidence
    version makes exactly the evidence_review runs stale; `run --all` executes those two
    and takes every other run from the cache; a rollback makes everything current again."""
    home = tmp_path / "ws"
    with contextlib.ExitStack() as stack:
        db_url = demo_runs.copy(home, stack)
        base = ["--home", str(home), *(["--db-url", db_url] if db_url else [])]

        def run(*args: str):
            return CliRunner().invoke(workbench_cli, [*base, *args], catch_exceptions=False)

        wb = Workbench(Settings(home=home, db_url=db_url))
        try:
            shipped = (home / "shared_models" / EVIDENCE / "findings.csv").read_bytes()
            trained = TrainedVersion(
                files={"findings.csv": shipped + b"\n"}, card="# recoded\n", metrics={},
                cells={}, training_hash="0" * 64,
            )  # fmt: skip
            version = wb.registry.create_candidate(EVIDENCE, trained, by="Ana", reason="recode")
            readers = {(s.case_slug, s.template) for s in wb.plan(all_cases=True)
                       if EVIDENCE in s.model_versions}  # fmt: skip
            total = len(wb.plan(all_cases=True))
        finally:
            wb.close()
        assert readers and total > len(readers)
        approved = run("model", "approve", EVIDENCE, version, "--by", "Ben", "--reason", "ok")
        assert approved.exit_code == 0, approved.output
        assert (
            f"{len(readers)} case-study run(s) reading {EVIDENCE} are now stale" in approved.output
        )
        for case, template in readers:
            assert re.search(rf"{case}\s+{template}", approved.output)
        assert "`workbench run --all` re-runs exactly these" in approved.output

        ran = run("run", "--all", "--no-progress")
        assert ran.exit_code == 0, ran.output
        assert (
            f"{total} run(s): {len(readers)} completed, {total - len(readers)} cached" in ran.output
        )

        back = run("model", "rollback", EVIDENCE, "--by", "Ben", "--reason", "back")
        assert "no case-study run is stale" in back.output  # the earlier runs are current again
