"""The Dask executor on a real ``distributed.LocalCluster`` (two worker processes, one
thread and one ``kernels`` unit each) against the local process pool: same artefacts,
hashes, run rows, failure isolation and progress bar; and its clear refusals."""

from __future__ import annotations

import re
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import nbformat
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from workbench.cli import cli as workbench_cli
from workbench.config import Settings
from workbench.db import Database, crud
from workbench.db.models import Run
from workbench.exceptions import InputError
from workbench.executors import EXECUTORS, DaskExecutor, ExecutorUnavailable
from workbench.service import Workbench

distributed = pytest.importorskip("distributed")

#: Run-row fields that must not depend on the executor (ids and timings do).
ROW_FIELDS = ("content_hash", "status", "template_version", "parameters", "inputs",
              "model_versions", "synthetic_data", "data_note", "artefacts", "output_dir",
              "notebook_path", "report_path", "report_noinput_path", "error", "error_cell",
              "cached_from_id")  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes, each one thread and one kernel: the documented set-up."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        resources={"kernels": 1},
        dashboard_address=":0",
        silence_logs=40,
    ) as local:
        yield local


def _rows(home: Path, db_url: str | None = None) -> list[Run]:
    db = Database(Settings(home=home, db_url=db_url).database_url)
    try:
        with db.session() as session:
            return list(reversed(crud.find_runs(session, limit=1000)))
    finally:
        db.dispose()


def _injected_cell_id(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    (cell,) = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    return str(cell.id)


def _report(home: Path, out: Path, name: str) -> str:
    """A report with what legitimately differs between workspaces neutralised: the
    workspace path (in the injected parameters) and papermill's random id of that cell."""
    html = (out / name).read_text()
    return html.replace(str(home), "HOME").replace(_injected_cell_id(out / "output.ipynb"), "ID")


def _cells(notebook: Path) -> list[tuple[str, str, Any, Any]]:
    """Cells as (type, source, outputs, execution count), the injected parameters left out."""
    nb = nbformat.read(notebook, as_version=4)
    return [
        (c.cell_type, c.source, c.get("outputs"), c.get("execution_count"))
        for c in nb.cells
        if "injected-parameters" not in c.metadata.get("tags", [])
    ]


@pytest.mark.databases("sqlite")  # the executor never touches the database; see below
def test_dask_gives_the_local_pools_artefacts_hashes_and_rows(
    demo_runs, cluster, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo case studies through WORKBENCH_EXECUTOR=dask, against the session's
    local-pool runs of the same case studies (``demo_runs``, two workers)."""
    monkeypatch.setenv("WORKBENCH_EXECUTOR", "dask")
    monkeypatch.setenv("WORKBENCH_SCHEDULER", cluster.scheduler_address)
    result = CliRunner().invoke(
        workbench_cli, ["--home", str(workspace), "run", "--all"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "4 run(s): 4 completed, 0 cached, 0 failed" in result.output
    assert re.search(r"runs: 100%.*4/4.*completed=4 cached=0 failed=0", result.stderr)

    local = {(r.case_slug, r.template): r for r in _rows(demo_runs.home, demo_runs.db_url)
             if str(r.status) == "succeeded"}  # fmt: skip
    dask = {(r.case_slug, r.template): r for r in _rows(workspace)}
    assert len(dask) == 4 and dask.keys() == local.keys()
    for key, row in dask.items():
        want = local[key]
        for field in ROW_FIELDS:
            assert getattr(row, field) == getattr(want, field), f"{key} {field}"
        out, want_out = workspace / row.output_dir, demo_runs.home / want.output_dir
        assert row.artefacts
        for rel in row.artefacts:
            assert (out / rel).read_bytes() == (want_out / rel).read_bytes(), f"{key} {rel}"
        assert _cells(out / "output.ipynb") == _cells(want_out / "output.ipynb")
        got_meta = nbformat.read(out / "output.ipynb", as_version=4).metadata
        want_meta = nbformat.read(want_out / "output.ipynb", as_version=4).metadata
        assert got_meta["workbench_run"] == want_meta["workbench_run"]
        for name in ("report.html", "report-noinput.html"):
            got = _report(workspace, out, name)
            assert got == _report(demo_runs.home, want_out, name), f"{key} {name}"

    # What Dask produced is an ordinary cache entry for the local pool.
    monkeypatch.delenv("WORKBENCH_EXECUTOR")
    again = CliRunner().invoke(
        workbench_cli, ["--home", str(workspace), "run", "--all", "--no-progress"]
    )
    assert "4 run(s): 0 completed, 4 cached, 0 failed" in again.output


def test_on_dask_a_failing_template_fails_alone(
    cli, cluster, make_template, capsys: pytest.CaptureFixture[str]
) -> None:
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
    service = Workbench(cli.settings())
    # a connected client (as dask-gateway's cluster.get_client() gives) is used as is
    with distributed.Client(cluster, set_as_default=False) as client:
        try:
            report = service.run(["boom-case"], executor=DaskExecutor(client=client))
        finally:
            service.close()
        assert client.status == "running"  # and left open for its owner
    assert {o.template: o.status for o in report.outcomes} == {
        "boom": "failed",
        "regional_diagnosis": "succeeded",
    }
    assert re.search(r"runs: 100%.*2/2.*completed=1 cached=0 failed=1", capsys.readouterr().err)
    rows = {r.template: r for r in _rows(cli.home, cli.db_url)}
    failed = rows["boom"]
    assert str(failed.status) == "failed" and failed.error_cell == 2
    assert failed.error == "ValueError: planted failure"
    assert "planted failure" in (failed.traceback or "") and failed.finished_at is not None
    assert failed.output_dir.endswith("-failed")
    assert (cli.home / failed.output_dir / "report.html").is_file()
    done = rows["regional_diagnosis"]
    assert str(done.status) == "succeeded"
    assert all((cli.home / done.output_dir / a).is_file() for a in done.artefacts)


# -- refusals: each before any run row is written --------------------------------------
def _service(home: Path) -> Workbench:
    return Workbench(Settings(home=home))


def test_the_settings_know_the_executors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_args(Settings.model_fields["executor"].annotation) == EXECUTORS
    monkeypatch.setenv("WORKBENCH_EXECUTOR", "dask")
    monkeypatch.setenv("WORKBENCH_SCHEDULER", "tcp://scheduler:8786")
    settings = Settings()
    assert (settings.executor, settings.scheduler) == ("dask", "tcp://scheduler:8786")
    monkeypatch.setenv("WORKBENCH_EXECUTOR", "spark")
    with pytest.raises(ValidationError, match="executor"):
        Settings()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"executor": "spark"}, "unknown executor 'spark': use one of local, dask"),
        ({"executor": "dask"}, "executor 'dask' needs a scheduler address"),
        ({"executor": "dask", "scheduler": "scheduler"}, "'scheduler' is not a Dask scheduler"),
        ({"executor": "local", "scheduler": "tcp://h:8786"}, "is for executor 'dask'"),
        ({"executor": "dask", "scheduler": "tcp://h:8786", "workers": 2}, "local process pool"),
    ],
)
def test_ill_set_executors_are_refused(
    workspace: Path, kwargs: dict[str, Any], message: str
) -> None:
    service = _service(workspace)
    try:
        with pytest.raises(InputError, match=re.escape(message)):
            service.run(all_cases=True, progress=False, **kwargs)
    finally:
        service.close()
    assert _rows(workspace) == []


def test_dask_not_installed_says_what_to_install(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    service = _service(workspace)
    try:
        with pytest.raises(InputError, match=re.escape("pip install 'almp-workbench[dask]'")):
            service.run(all_cases=True, executor="dask", scheduler="tcp://127.0.0.1:8786")
    finally:
        service.close()


def test_an_unreachable_scheduler_is_named_within_seconds(workspace: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        addr = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    service = _service(workspace)
    start = time.monotonic()
    try:
        with pytest.raises(ExecutorUnavailable, match=f"cannot reach the Dask scheduler at {addr}"):
            service.run(all_cases=True, executor="dask", scheduler=addr, progress=False)
    finally:
        service.close()
    assert time.monotonic() - start < 15
    assert _rows(workspace) == []


@pytest.mark.parametrize(
    ("cluster_kwargs", "message"),
    [
        ({"n_workers": 0}, "has no workers"),
        ({"n_workers": 1}, "has the 'kernels' resource"),
        ({"n_workers": 1, "threads_per_worker": 2, "resources": {"kernels": 2}},
         "could run 2 kernels at once in one process"),
    ],
)  # fmt: skip
def test_unfit_workers_are_refused(
    workspace: Path, cluster_kwargs: dict[str, Any], message: str
) -> None:
    with distributed.LocalCluster(
        processes=False, dashboard_address=":0", silence_logs=40, **cluster_kwargs
    ) as unfit:
        service = _service(workspace)
        try:
            with pytest.raises(ExecutorUnavailable, match=re.escape(message)) as error:
                service.run(all_cases=True, executor="dask", scheduler=unfit.scheduler_address)
        finally:
            service.close()
    assert unfit.scheduler_address in str(error.value)
    assert "--nthreads 1 --resources kernels=1" in str(error.value)
    assert _rows(workspace) == []


def test_workers_must_see_the_workspace(cluster, tmp_path: Path) -> None:
    """Each worker process checks the jobs' folders itself (here: one that is missing)."""
    job = {"template_path": str(tmp_path / "gone" / "t.ipynb"), "data_dir": str(tmp_path),
           "models_dir": str(tmp_path)}  # fmt: skip
    with DaskExecutor(cluster.scheduler_address) as executor:
        with pytest.raises(ExecutorUnavailable, match=r"cannot see .*gone.*shared volume"):
            executor.prepare([job])
        executor.prepare([{**job, "template_path": str(tmp_path / "t.ipynb")}])  # fine
