"""Shared fixtures.

- ``workspace``: a fresh workspace made by ``workbench init`` in a temp folder
  (templates, shared models and the two case studies on the synthetic demo pack,
  ``DEMO_CASES``; the real-data case studies have their own tests).
- ``cli``: invokes the real ``workbench`` click command in-process against a workspace;
  returns click's Result. Jupyter runtime files go to a private folder so tests can
  tell whether a kernel was started. Parametrised over the databases: the PostgreSQL
  variant passes ``--db-url`` with a fresh database.
- ``db_url``: a fresh, empty database URL, parametrised over SQLite and (when
  ``WORKBENCH_TEST_DB_URL`` is set) PostgreSQL; each PostgreSQL test gets its own
  database, dropped afterwards.
- ``demo_runs``: a session-wide workspace in which the demo case studies have been run
  once with two workers (read-only for tests), once per database: the notebook runs
  record into SQLite and into PostgreSQL.
- ``served``: a real ``workbench serve`` on a copy of ``demo_runs`` (its database cloned),
  so every live-server test, browser tests included, runs on both databases.

Which slow tests get both variants is listed in docs/testing.md.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from workbench.cli import cli as workbench_cli
from workbench.config import Settings
from workbench.service import Workbench
from workbench.workspace import init_workspace

# Helper modules are imported by name (``import _axe``, ``import _participants as pt``,
# ``import _serve``, ``import _recorded_api``): tests/_*.py, tests/participation/_*.py and
# the benchmarks' shared benchmarks/_*.py. ``--import-mode=importlib`` puts no test folder
# on sys.path, so this conftest (imported before any test module) does it, once. Helper
# names must stay unique across the three folders.
_TESTS = Path(__file__).resolve().parent
for _folder in (_TESTS, _TESTS / "participation", _TESTS.parent / "benchmarks"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

PG_URL = os.environ.get("WORKBENCH_TEST_DB_URL")
#: The example case studies that run on the synthetic demo pack (the offline fixture).
DEMO_CASES = ("de21-ict-older-workers", "es61-manufacturing-youth")
#: Reload grace period of the served app server (seconds).
RELOAD_GRACE_S = 5
#: The database parameter of the fixtures that run on both databases.
DATABASES = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(PG_URL is None, reason="WORKBENCH_TEST_DB_URL not set"),
        ],
    ),
]


@dataclass
class Cli:
    """Runs the workbench CLI against one workspace."""

    home: Path
    runtime_dir: Path
    db_url: str | None = None

    def __call__(self, *args: str, answer: str | None = None) -> Result:
        """Run ``workbench <args>``; ``answer`` is typed at its prompts."""
        base = ["--home", str(self.home)]
        if self.db_url:
            base += ["--db-url", self.db_url]
        return CliRunner().invoke(
            workbench_cli, [*base, *args], input=answer, catch_exceptions=False
        )

    def settings(self) -> Settings:
        """The settings the CLI runs with (same workspace and database)."""
        return Settings(home=self.home, db_url=self.db_url)

    def kernels_started(self) -> int:
        """Number of kernel connection files written since the fixture started."""
        return len(list(self.runtime_dir.glob("kernel-*.json")))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    home = tmp_path / "ws"
    init_workspace(home, cases=DEMO_CASES)
    return home


@pytest.fixture(params=DATABASES)
def cli(
    request: pytest.FixtureRequest,
    workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Cli]:
    runtime = tmp_path / "jupyter-runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    if request.param == "sqlite":  # the workspace's own database file
        yield Cli(home=workspace, runtime_dir=runtime)
    else:
        for url in _pg_database():
            yield Cli(home=workspace, runtime_dir=runtime, db_url=url)


def _pg_admin() -> Any:
    from sqlalchemy import create_engine

    assert PG_URL is not None
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    assert PG_URL is not None
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _pg_database(template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (a copy of ``template``'s database if given), dropped after."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin = _pg_admin()
    name = f"wb_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        if template is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:  # a template must have no other connections while it is copied
            source = make_url(template).database
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": source},
            )
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
    else:
        yield from _pg_database()


@dataclass
class DemoRuns:
    """A workspace whose demo case studies ran once; ``result`` is the CLI result.

    ``db_url`` is None for the workspace's own SQLite file, else a PostgreSQL database.
    """

    home: Path
    result: Result
    run: Callable[..., Result]
    db_url: str | None = None

    def copy(self, dest: Path, stack: Any) -> str | None:
        """Copy the workspace to ``dest``; returns the copy's database URL (None: the
        SQLite file inside the copy). A PostgreSQL copy is dropped when ``stack`` closes."""
        import shutil

        shutil.copytree(self.home, dest)
        if self.db_url is None:
            return None
        gen = _pg_database(template=self.db_url)
        url = next(gen)
        stack.callback(gen.close)
        return url


#: Fixtures whose parameter is the database a test runs on.
_DATABASE_FIXTURES = ("db_url", "cli", "demo_runs")


def _database_of(item: pytest.Item) -> str | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return next((params[name] for name in _DATABASE_FIXTURES if name in params), None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the database variants that a test's ``databases`` marker leaves out
    (``@pytest.mark.databases("postgresql")``: slow tests where one database is enough
    for ``make test``; docs/testing.md lists them)."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("databases")
        database = _database_of(item)
        if marker is not None and database is not None and database not in marker.args:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _no_database() -> Iterator[None]:
    yield None  # the workspace's own SQLite file


@pytest.fixture(scope="session", params=DATABASES)
def demo_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoRuns]:
    home = tmp_path_factory.mktemp("demo") / "ws"
    init_workspace(home, cases=DEMO_CASES)
    databases = _pg_database() if request.param == "postgresql" else _no_database()
    db_url = next(databases)
    base = ["--home", str(home), *(["--db-url", db_url] if db_url else [])]

    def run(*args: str) -> Result:
        return CliRunner().invoke(workbench_cli, [*base, *args], catch_exceptions=False)

    result = run("run", "--all", "--workers", "2", "--no-progress")
    yield DemoRuns(home=home, result=result, run=run, db_url=db_url)
    databases.close()


def write_template(
    path: Path,
    parameters: dict[str, dict[str, object]],
    body: list[str],
    *,
    inputs: list[str] | None = None,
    models: list[str] | None = None,
) -> Path:
    """Write a template notebook with a schema, a parameters cell and ``body`` cells."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["workbench"] = {
        "title": path.stem.replace("_", " "),
        "description": "test template",
        "version": "1.0.0",
        "inputs": inputs or [],
        "models": models or [],
        "parameters": parameters,
    }
    defaults = [f"{name} = {spec.get('default')!r}" for name, spec in parameters.items()]
    defaults += ['data_dir = "."', 'models_dir = "."', 'output_dir = "."']
    cell = nbformat.v4.new_code_cell("\n".join(defaults))
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell] + [nbformat.v4.new_code_cell(src) for src in body]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def make_template() -> Callable[..., Path]:
    """The :func:`write_template` helper, as a fixture."""
    return write_template


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never ``playwright install``).

    Module-scoped: Playwright's sync API keeps an asyncio loop running in the main
    thread while it is open, which would break tests that call ``asyncio.run``.
    """
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Debian chromium is not installed (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1, outside the range kernels take theirs from
    (benchmarks/_serve.py, shared with the load, crash and benchmark servers)."""
    from _serve import free_port as pick

    return int(pick())


@dataclass
class Served:
    """A running ``workbench serve`` on a copy of the demo workspace with one open workshop."""

    home: Path
    lab_url: str
    app_url: str
    token: str
    workshop_id: int
    env: dict[str, str]
    db_url: str | None = None

    def settings(self, **overrides: Any) -> Settings:
        """The served workspace's settings (same database and ports)."""
        return Settings(
            home=self.home,
            app_port=int(self.env["WORKBENCH_APP_PORT"]),
            lab_port=int(self.env["WORKBENCH_LAB_PORT"]),
            db_url=self.db_url,
            **overrides,
        )

    def service(self) -> Workbench:
        """A service object on the served workspace (same database)."""
        return Workbench(self.settings())

    def shared_link(self, workshop_id: int | None = None) -> str:
        """The workshop's shared code link (each use joins a new participant)."""
        wb = self.service()
        try:
            return wb.workshops.shared_link(workshop_id or self.workshop_id)
        finally:
            wb.close()

    def link(self, workshop_id: int | None = None, **kwargs: object) -> str:
        """A fresh personal join link."""
        wb = self.service()
        try:
            return wb.workshops.links(workshop_id or self.workshop_id, 1, **kwargs)[0].url  # type: ignore[arg-type]
        finally:
            wb.close()


@pytest.fixture(scope="session")
def served(demo_runs: DemoRuns, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Publish ES61, open a workshop for 4 and run ``workbench serve`` on free ports."""
    import contextlib
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    stack = contextlib.ExitStack()
    home = tmp_path_factory.mktemp("served") / "ws"
    db_url = demo_runs.copy(home, stack)
    lab_port, app_port = free_port(), free_port()
    token = uuid.uuid4().hex
    env = {
        **os.environ,
        "WORKBENCH_HOME": str(home),
        "WORKBENCH_LAB_PORT": str(lab_port),
        "WORKBENCH_APP_PORT": str(app_port),
        "WORKBENCH_LAB_TOKEN": token,
        "WORKBENCH_POOL_SIZE": "1",
        # a closed page's kernel waits this long for a reload (default 180 s): short here,
        # so tests see kernels given back within seconds
        "WORKBENCH_RELOAD_GRACE_S": str(RELOAD_GRACE_S),
        "JUPYTER_RUNTIME_DIR": str(home / "var" / "jupyter-runtime"),
    }
    env.pop("WORKBENCH_DB_URL", None)
    if db_url:
        env["WORKBENCH_DB_URL"] = db_url
    settings = Settings(home=home, app_port=app_port, lab_port=lab_port, db_url=db_url)
    wb = Workbench(settings)
    wb.publish("es61-manufacturing-youth")
    info = wb.create_workshop("es61-manufacturing-youth", title="Test workshop", expected=4)
    wb.workshops.open(info.id)
    wb.close()
    log = (home / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    app_url = f"http://127.0.0.1:{app_port}/"
    deadline = time.monotonic() + 180
    ready = False
    while time.monotonic() < deadline and proc.poll() is None:
        if "Press Ctrl-C" in (home / "serve.log").read_text(errors="replace"):
            with urllib.request.urlopen(f"{app_url}workbench/health") as resp:
                health = json.loads(resp.read())
            if health["ready"].get("es61-manufacturing-youth.ipynb", 0) >= 4:
                ready = True
                break
        time.sleep(0.5)
    if not ready:
        proc.kill()
        raise RuntimeError("workbench serve did not start:\n" + (home / "serve.log").read_text())
    try:
        yield Served(
            home=home,
            lab_url=f"http://127.0.0.1:{lab_port}/",
            app_url=app_url,
            token=token,
            workshop_id=info.id,
            env=env,
            db_url=db_url,
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        stack.close()
