"""``workbench run`` and ``workbench runs`` end to end on bad input: every refusal names
file, key and problem, exits 2, starts no kernel and writes no run row."""

from pathlib import Path

import pytest

from workbench.config import Settings
from workbench.db import Database, crud


def _no_runs(home: Path, db_url: str | None = None) -> bool:
    db = Database(Settings(home=home, db_url=db_url).database_url)
    try:
        with db.session() as session:
            return list(crud.find_runs(session)) == []
    finally:
        db.dispose()


def _case(home: Path, slug: str, text: str) -> Path:
    path = home / "case_studies" / slug / "case.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


GOOD = """title: Test case
region: ES61
sector: C
target_groups: [youth]
templates:
  regional_diagnosis:
    start_year: 2016
data_pack: demo
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("start_year: 2016", "start_yr: 2016"),
            "case_studies/bad/case.yaml:7: templates.regional_diagnosis.start_yr: "
            "unknown parameter",
        ),
        (
            GOOD.replace("start_year: 2016", "start_year: '2016'"),
            "case_studies/bad/case.yaml:7: templates.regional_diagnosis.start_year: "
            "wrong type: expected a whole number, got str '2016'",
        ),
        (
            GOOD.replace("start_year: 2016", "start_year: 1900"),
            "case_studies/bad/case.yaml:7: templates.regional_diagnosis.start_year: "
            "1900 is below the minimum 2014",
        ),
        (
            GOOD.replace("region: ES61", "region: ES6-1"),
            "case_studies/bad/case.yaml:2: region: 'ES6-1' is not a well-formed NUTS code",
        ),
        (
            GOOD.replace("region: ES61", "region: PT11"),
            "case_studies/bad/case.yaml:2: region: no data for region 'PT11'",
        ),
        (
            GOOD.replace("target_groups: [youth]", "target_groups: [youth\nfoo: 1"),
            "case_studies/bad/case.yaml:5: YAML syntax error",
        ),
        (
            GOOD.replace("regional_diagnosis:", "no_such_template:"),
            "case_studies/bad/case.yaml:6: templates.no_such_template: no template "
            "'no_such_template' in templates/",
        ),
    ],
    ids=["unknown", "wrong-type", "out-of-range", "malformed-nuts", "no-data", "broken-yaml",
         "missing-template"],
)  # fmt: skip
def test_bad_case_study_is_refused_before_any_kernel(cli, text: str, expected: str) -> None:
    _case(cli.home, "bad", text)
    result = cli("run", "bad", "--no-progress")
    assert result.exit_code == 2, result.output
    assert expected in result.stderr, result.stderr
    assert cli.kernels_started() == 0
    assert not (cli.home / "runs" / "bad").exists()
    assert _no_runs(cli.home, cli.db_url)


def test_missing_case_study(cli) -> None:
    result = cli("run", "nowhere", "--no-progress")
    assert result.exit_code == 2
    assert "no case study 'nowhere'" in result.stderr
    assert "known: ['de21-ict-older-workers', 'es61-manufacturing-youth']" in result.stderr
    assert cli.kernels_started() == 0 and _no_runs(cli.home, cli.db_url)


def test_problems_across_case_studies_are_reported_together(cli) -> None:
    _case(cli.home, "bad1", GOOD.replace("start_year: 2016", "start_year: 3000"))
    _case(cli.home, "bad2", GOOD.replace("sector: C", "sector: CC"))
    result = cli("run", "bad1", "bad2", "es61-manufacturing-youth", "--no-progress")
    assert result.exit_code == 2
    assert "2 problem(s) found" in result.stderr
    assert "bad1/case.yaml:7" in result.stderr and "bad2/case.yaml:3: sector" in result.stderr
    assert _no_runs(cli.home, cli.db_url)


def test_runs_show_unknown_id(cli) -> None:
    result = cli("runs", "show", "999")
    assert result.exit_code == 2 and "no run with id 999" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--executor", "local", "--scheduler", "tcp://127.0.0.1:1"], "is for executor 'dask'"),
        (["--executor", "dask"], "needs a scheduler address"),
        (["--executor", "dask", "--scheduler", "nowhere"], "is not a Dask scheduler address"),
        (["--executor", "spark"], "Invalid value for '--executor'"),
    ],
)
def test_bad_executor_options_are_refused_before_any_run(cli, args, expected) -> None:  # type: ignore[no-untyped-def]
    result = cli("run", "--all", *args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert cli.kernels_started() == 0 and _no_runs(cli.home, cli.db_url)
