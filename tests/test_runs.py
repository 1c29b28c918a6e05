"""Real notebook runs on real kernels through the real CLI: outputs, cache, failures,
parallel workers."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from workbench.config import DEMO_DATA_DIR, Settings
from workbench.db import Database, crud
from workbench.db.models import Run


def _rows(home: Path, db_url: str | None = None) -> list[Run]:
    db = Database(Settings(home=home, db_url=db_url).database_url)
    try:
        with db.session() as session:
            return list(reversed(crud.find_runs(session, limit=1000)))
    finally:
        db.dispose()


def _statuses(rows: list[Run]) -> dict[tuple[str, str], str]:
    return {(r.case_slug, r.template): str(r.status) for r in rows}


def test_demo_runs_produce_notebooks_reports_and_artefacts(demo_runs) -> None:
    assert demo_runs.result.exit_code == 0, demo_runs.result.output
    assert "4 run(s): 4 completed, 0 cached, 0 failed" in demo_runs.result.output
    rows = _rows(demo_runs.home, demo_runs.db_url)
    assert {str(r.status) for r in rows} == {"succeeded"} and len(rows) == 4
    for row in rows:
        out = demo_runs.home / row.output_dir
        assert out.parent.parent.name == row.case_slug
        assert out.name == row.content_hash[:16]
        assert (out / "output.ipynb").is_file()
        assert row.artefacts and all((out / a).is_file() for a in row.artefacts)
        assert row.duration_s is not None and row.duration_s > 0
        assert row.synthetic_data is True
        nb = nbformat.read(out / "output.ipynb", as_version=4)
        assert nb.metadata["workbench_run"]["content_hash"] == row.content_hash
        for name in ("report.html", "report-noinput.html"):
            html = (out / name).read_text()
            assert "SYNTHETIC" in html
            external = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:[^"]+)"', html)
            assert external == [], f"{name} loads from the network: {external}"
            assert "data:image/png;base64" in html, "plots must be embedded"
        assert "<pre" not in (out / "report-noinput.html").read_text().split("jp-OutputArea")[0]


def test_second_run_is_a_cache_hit(demo_runs) -> None:
    rows = _rows(demo_runs.home, demo_runs.db_url)
    before = {r.id: (demo_runs.home / r.output_dir / "output.ipynb").stat().st_mtime_ns
              for r in rows if str(r.status) == "succeeded"}  # fmt: skip
    result = demo_runs.run("run", "--all", "--no-progress")
    assert result.exit_code == 0
    assert "4 run(s): 0 completed, 4 cached, 0 failed" in result.output
    cached = [r for r in _rows(demo_runs.home, demo_runs.db_url) if str(r.status) == "cached"]
    assert len(cached) >= 4 and all(r.cached_from_id in before for r in cached)
    for run_id, mtime in before.items():
        row = next(r for r in _rows(demo_runs.home, demo_runs.db_url) if r.id == run_id)
        assert (demo_runs.home / row.output_dir / "output.ipynb").stat().st_mtime_ns == mtime


def test_a_cached_rerun_starts_no_pool_and_loads_no_notebook_or_tuning_library(
    demo_runs,
) -> None:
    """All cache hits: the parent never prepares the executor (no process pool, no
    multiprocessing) nor imports papermill, nbconvert or the tuning stack (scipy)."""
    args = [
        "--home",
        str(demo_runs.home),
        *(["--db-url", demo_runs.db_url] if demo_runs.db_url else []),
    ]
    heavy = ["papermill", "nbconvert", "nbformat", "jupyter_client", "scipy", "pymcdm",
             "workbench.tuning", "multiprocessing", "concurrent.futures.process"]  # fmt: skip
    script = (
        "import json, sys\n"
        "from workbench.cli import cli\n"
        f"cli.main({[*args, 'run', '--all', '--no-progress']!r}, prog_name='workbench', "
        "standalone_mode=False)\n"
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    *output, loaded = done.stdout.splitlines()
    assert "4 run(s): 0 completed, 4 cached, 0 failed" in "\n".join(output)
    assert json.loads(loaded) == []


def test_runs_list_and_show(demo_runs) -> None:
    listing = demo_runs.run("runs", "list", "--status", "succeeded")
    assert listing.exit_code == 0
    assert listing.output.count("succeeded") == 4
    run_id = _rows(demo_runs.home, demo_runs.db_url)[0].id
    shown = demo_runs.run("runs", "show", str(run_id), "--json")
    data = json.loads(shown.output)
    assert data["id"] == run_id and data["status"] == "succeeded"
    assert data["parameters"]["region"] in ("ES61", "DE21")
    assert set(data["inputs"]) >= {"eurostat/lfst_r_lfu3rt.tsv"}


def test_parameter_and_data_changes_rerun_only_what_they_touch(cli) -> None:
    case = cli.home / "case_studies" / "es61-manufacturing-youth" / "case.yaml"
    # A private copy of the demo pack inside the workspace, so one of its bytes can change.
    shutil.copytree(DEMO_DATA_DIR, cli.home / "demo-copy")
    case.write_text(case.read_text().replace("data_pack: demo", "data_pack: demo-copy"))
    assert cli("run", "es61-manufacturing-youth", "--no-progress").exit_code == 0

    case.write_text(case.read_text().replace("horizon: medium", "horizon: long"))
    result = cli("run", "es61-manufacturing-youth", "--no-progress")
    assert result.exit_code == 0
    assert "2 run(s): 1 completed, 1 cached, 0 failed" in result.output
    last = _statuses(_rows(cli.home, cli.db_url)[-2:])
    assert last[("es61-manufacturing-youth", "evidence_review")] == "succeeded"
    assert last[("es61-manufacturing-youth", "regional_diagnosis")] == "cached"

    # One byte of a file only the diagnosis reads: only the diagnosis re-runs.
    jvs = cli.home / "demo-copy" / "eurostat" / "jvs_a_rate_r2.tsv"
    raw = jvs.read_bytes()
    index = raw.index(b"\t", raw.index(b"\n")) + 1  # first value of the first series
    digit = raw[index : index + 1]
    assert digit.isdigit()
    jvs.write_bytes(raw[:index] + (b"1" if digit != b"1" else b"2") + raw[index + 1 :])
    result = cli("run", "es61-manufacturing-youth", "--no-progress")
    assert "2 run(s): 1 completed, 1 cached, 0 failed" in result.output
    last = _statuses(_rows(cli.home, cli.db_url)[-2:])
    assert last[("es61-manufacturing-youth", "regional_diagnosis")] == "succeeded"
    assert last[("es61-manufacturing-youth", "evidence_review")] == "cached"


@pytest.mark.databases("sqlite")  # a failing notebook: one database is enough
def test_failing_template_fails_alone(cli, make_template) -> None:
    make_template(
        cli.home / "templates" / "boom.ipynb",
        {"region": {"type": "nuts_region"}},
        ["x = 1", "raise ValueError('planted failure')", "y = 2"],
    )
    folder = cli.home / "case_studies" / "boom-case"
    folder.mkdir()
    (folder / "case.yaml").write_text(
        "title: Boom\nregion: ES61\nsector: C\ntarget_groups: [youth]\n"
        "templates:\n  boom: {}\n  regional_diagnosis: {}\ndata_pack: demo\n"
    )
    result = cli("run", "boom-case", "es61-manufacturing-youth", "--workers", "2", "--no-progress")
    assert result.exit_code == 1
    assert "4 run(s): 3 completed, 0 cached, 1 failed" in result.output
    assert "boom-case/boom failed in cell 2: ValueError: planted failure" in result.stderr
    (failed,) = [r for r in _rows(cli.home, cli.db_url) if str(r.status) == "failed"]
    assert failed.template == "boom" and failed.error_cell == 2
    assert "planted failure" in (failed.traceback or "")
    assert failed.finished_at is not None
    template = nbformat.read(cli.home / "templates" / "boom.ipynb", as_version=4)
    assert "planted failure" in template.cells[failed.error_cell].source
    executed = nbformat.read(cli.home / failed.output_dir / "output.ipynb", as_version=4)
    assert any(
        o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", [])
    )
    assert (cli.home / failed.output_dir / "report.html").is_file()
    # The failure is not cached: the next run executes it again.
    again = cli("run", "boom-case", "--no-progress")
    assert "2 run(s): 0 completed, 1 cached, 1 failed" in again.output


def _snapshot(home: Path, db_url: str | None) -> dict[tuple[str, str], dict[str, object]]:
    snap = {}
    for row in _rows(home, db_url):
        if str(row.status) != "succeeded":
            continue
        out = home / row.output_dir
        files: dict[str, object] = {}
        for rel in row.artefacts:
            path = out / rel
            files[rel] = pd.read_parquet(path) if rel.endswith(".parquet") else path.read_bytes()
        snap[(row.case_slug, row.template)] = {"hash": row.content_hash, "files": files}
    return snap


@pytest.mark.databases("sqlite")  # demo_runs runs two workers on both databases already
def test_two_workers_give_the_same_outputs_as_one(cli) -> None:
    assert cli("run", "--all", "--workers", "2", "--no-progress").exit_code == 0
    parallel = _snapshot(cli.home, cli.db_url)
    assert cli("run", "--all", "--workers", "1", "--force", "--no-progress").exit_code == 0
    sequential = _snapshot(cli.home, cli.db_url)
    assert parallel.keys() == sequential.keys() and len(parallel) == 4
    for key, got in parallel.items():
        want = sequential[key]
        assert got["hash"] == want["hash"]
        assert got["files"].keys() == want["files"].keys()
        for rel, value in got["files"].items():
            if isinstance(value, pd.DataFrame):
                pd.testing.assert_frame_equal(value, want["files"][rel])
            else:
                assert value == want["files"][rel], f"{key} {rel} differs"


@pytest.mark.databases("sqlite")  # batch planning, not the database, is under test
def test_a_case_independent_template_runs_once_per_batch(cli, make_template) -> None:
    make_template(
        cli.home / "templates" / "same_everywhere.ipynb",
        {},
        ["from pathlib import Path", "Path(output_dir, 'artefacts').mkdir(exist_ok=True)"],
    )
    for slug in ("case-a", "case-b", "case-c"):
        folder = cli.home / "case_studies" / slug
        folder.mkdir()
        (folder / "case.yaml").write_text(
            f"title: {slug}\nregion: ES61\nsector: C\ntarget_groups: [youth]\n"
            "templates:\n  same_everywhere: {}\ndata_pack: demo\n"
        )
    result = cli("run", "case-a", "case-b", "case-c", "--workers", "2", "--no-progress")
    assert result.exit_code == 0, result.output
    # one execution; the other two point at it, exactly as a later batch would
    assert "3 run(s): 1 completed, 2 cached, 0 failed" in result.output
    rows = [r for r in _rows(cli.home, cli.db_url) if r.template == "same_everywhere"]
    (done,) = [r for r in rows if str(r.status) == "succeeded"]
    assert sorted(r.cached_from_id for r in rows if str(r.status) == "cached") == [done.id] * 2
    # --force runs every one of them
    forced = cli("run", "case-a", "case-b", "--force", "--no-progress")
    assert "2 run(s): 2 completed, 0 cached, 0 failed" in forced.output
