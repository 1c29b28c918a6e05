"""A pilot evaluation flows back into the evidence base as a candidate row (issue 11, §5).

The "pilot" is the NSW experiment's sample (Dehejia & Wahba, shipped by ``causaldata``): a
real table, evaluated by the real ``evaluation`` template on a real kernel, submitted with
the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import Settings
from workbench.evidence.base import read_evidence
from workbench.service import Workbench
from workbench.shared_models import load_shared_model

MODEL = "almp_effectiveness"
COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


def _nsw() -> pd.DataFrame:
    causaldata = pytest.importorskip("causaldata")
    frame = pd.read_stata(Path(causaldata.__file__).parent / "nsw_mixtape" / "nsw_mixtape.dta")
    frame = frame[["treat", "re78", *COVARIATES]].astype("float64")
    frame["treat"] = frame["treat"].astype(int)
    return frame


def _case(home: Path, slug: str, evaluation: dict[str, object]) -> None:
    folder = home / "case_studies" / slug
    folder.mkdir()
    block = json.dumps(evaluation)  # JSON is YAML
    (folder / "case.yaml").write_text(
        f"title: Pilot {slug}\nregion: ES61\nsector: C\ntarget_groups: [long_term_unemployed]\n"
        f"data_pack: pilot\ntemplates:\n  evaluation: {block}\n",
        encoding="utf-8",
    )


def _run_id(cli, slug: str) -> int:  # type: ignore[no-untyped-def]
    wb = Workbench(Settings(home=cli.home, db_url=cli.db_url))
    try:
        (run,) = [r for r in wb.runs() if r.case_slug == slug]
        return int(run.id or 0)
    finally:
        wb.close()


@pytest.mark.slow
@pytest.mark.databases("sqlite")  # evidence changes are stored on both in test_changes.py
def test_a_pilot_evaluation_becomes_a_candidate_row_with_its_run_hash(cli) -> None:  # type: ignore[no-untyped-def]
    pack = cli.home / "pilot"
    pack.mkdir()
    _nsw().to_csv(pack / "nsw.csv", index=False)
    params = {"pilot_file": "nsw.csv", "treatment": "treat", "outcome": "re78",
              "covariates": COVARIATES, "method": "dr", "n_boot": 100, "trim": "none"}  # fmt: skip
    _case(cli.home, "nsw-pilot", params)
    _case(cli.home, "synthetic-pilot", {"n_boot": 50})
    result = cli("run", "nsw-pilot", "synthetic-pilot", "--no-progress")
    assert result.exit_code == 0, result.output + result.stderr
    run_id = _run_id(cli, "nsw-pilot")

    args = ["--programme", "National Supported Work Demonstration", "--type", "training",
            "--group", "long_term_unemployed", "--country", "US", "--period", "1976-1977",
            "--horizon", "short", "--unit", "currency_year", "--currency", "USD",
            "--by", "Dr. Rivera", "--reason", "our pilot's evaluation"]  # fmt: skip
    # the built-in synthetic pilot is refused, and nothing is written
    refused = cli("evidence", "submit", str(_run_id(cli, "synthetic-pilot")), *args)
    assert refused.exit_code == 2
    assert "SYNTHETIC" in refused.output + refused.stderr
    submitted = cli("evidence", "submit", str(run_id), *args)
    assert submitted.exit_code == 0, submitted.output + submitted.stderr
    assert "candidate almp_effectiveness version 2" in submitted.output

    wb = Workbench(Settings(home=cli.home, db_url=cli.db_url))
    try:
        run = wb.get_run(run_id)
        edit_row = next(c for c in wb.evidence.history(f"L-nsw-pilot-dr-{run.content_hash[:12]}"))
        assert edit_row.action == "add" and edit_row.by == "Dr. Rivera"
        row = edit_row.after
        assert run.content_hash in row["source_url"] and run.content_hash in row["notes"]
        evaluation = json.loads(
            (cli.home / run.output_dir / "artefacts" / "evaluation.json").read_text()
        )
        assert float(row["estimate"]) == pytest.approx(evaluation["methods"]["dr"]["att"])
        assert row["programme_type"] == "training" and row["secondary"] in ("false", "False")
        # a candidate: the pointer still names the seed version; runs keep using it
        assert load_shared_model(cli.home / "shared_models", MODEL).version == "1"
        approved = cli("model", "approve", MODEL, "2", "--by", "Prof. Kim", "--reason", "ok")
        assert approved.exit_code == 0, approved.output + approved.stderr
        shared = load_shared_model(cli.home / "shared_models", MODEL)
        assert shared.version == "2"
        csv = next(f for f in shared.files if f.endswith("estimates.csv"))
        base = read_evidence(shared.directory / csv)
        assert row["id"] in set(base["id"])
    finally:
        wb.close()

    # the pilot table is an input of the run: other bytes, another run hash
    before = {s.case_slug: s.content_hash for s in _plan(cli)}
    frame = _nsw()
    frame.loc[0, "re78"] += 1.0
    frame.to_csv(pack / "nsw.csv", index=False)
    after = {s.case_slug: s.content_hash for s in _plan(cli)}
    assert after["nsw-pilot"] != before["nsw-pilot"]
    assert after["synthetic-pilot"] == before["synthetic-pilot"]


def _plan(cli):  # type: ignore[no-untyped-def]
    wb = Workbench(Settings(home=cli.home, db_url=cli.db_url))
    try:
        return wb.plan(["nsw-pilot", "synthetic-pilot"])
    finally:
        wb.close()


@pytest.mark.databases("sqlite")  # planning, no database work
def test_a_missing_pilot_file_is_refused_before_any_kernel(cli) -> None:  # type: ignore[no-untyped-def]
    (cli.home / "pilot").mkdir()
    _case(cli.home, "nsw-pilot", {"pilot_file": "nope.csv"})
    result = cli("run", "nsw-pilot", "--no-progress")
    assert result.exit_code == 2
    assert "data file 'nope.csv' not found" in result.output + result.stderr
    assert "templates.evaluation.pilot_file" in result.output + result.stderr
    assert cli.kernels_started() == 0
