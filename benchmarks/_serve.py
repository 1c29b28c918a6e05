"""A real ``workbench serve`` for simulated participants (tests and benchmarks).

- :func:`launch`: publish the demo app ES61 in a workspace whose demo case ran, open one
  workshop and start ``workbench serve`` on free ports, waiting until the app pool is warm;
- :class:`Serve`: its processes (app server, lab, kernels, from /proc), health, logs, stop;
- :func:`stored`: a workshop's submission and feedback rows, for exact checks.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from _driver import Catalog
from sqlalchemy import create_engine, text

from workbench.config import Settings
from workbench.service import Workbench

SLUG = "es61-manufacturing-youth"
NOTEBOOK = f"{SLUG}.ipynb"


#: Ports for our test and benchmark servers: below Linux's ephemeral range (32768-60999),
#: from which kernels take their five ZMQ ports. A port picked from the ephemeral range
#: (bind to port 0) could be taken by a starting kernel before our server binds it.
SERVER_PORTS = range(20000, 32000)
_given: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now, outside the ephemeral range, and not
    handed out before by this process."""
    rng = random.Random()
    for _ in range(200):
        port = rng.choice(SERVER_PORTS)
        if port in _given:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError("no free port found between 20000 and 32000")


def http_json(url: str, timeout: float = 5.0) -> Any:
    """GET a JSON document."""
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def proc_children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    return parents


def descendants(pid: int) -> list[int]:
    """Pids of every process below ``pid``."""
    parents = proc_children()
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def cmdline(pid: int) -> str:
    """A process's command line ('' once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def parent_of(pid: int) -> int | None:
    """A live process's parent pid (None once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def kernels_of(home: Path) -> list[int]:
    """Pids of ipykernel processes of the workspace ``home`` (``WORKBENCH_HOME`` in their
    environment: Voilà keeps its connection files in a temporary folder of its own)."""
    marker = f"WORKBENCH_HOME={home}".encode()
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or "ipykernel" not in cmdline(int(entry.name)):
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                out.append(int(entry.name))
    return out


@dataclass
class Serve:
    """A running ``workbench serve`` with one open workshop."""

    home: Path
    db_url: str
    env: dict[str, str]
    proc: subprocess.Popen[bytes]
    app_url: str
    lab_url: str
    token: str
    workshop_id: int
    log: Path
    ready_s: float = 0.0  # start -> pool warm
    slug: str = SLUG  # the published case study
    _log_fh: Any = field(default=None, repr=False)

    def service(self) -> Workbench:
        """A service object on the served workspace and database (close it after use)."""
        return Workbench(
            Settings(
                home=self.home,
                db_url=self.db_url,
                app_port=int(self.env["WORKBENCH_APP_PORT"]),
                lab_port=int(self.env["WORKBENCH_LAB_PORT"]),
            )
        )

    def links(self, count: int) -> list[str]:
        """``count`` fresh personal join links."""
        wb = self.service()
        try:
            return [link.url for link in wb.workshops.links(self.workshop_id, count)]
        finally:
            wb.close()

    def catalog(self) -> Catalog:
        """The workshop's options, criteria and statements as pages show them."""
        wb = self.service()
        try:
            info = wb.workshops.get(self.workshop_id)
            return Catalog.from_info(info, wb.feedback.statements(workshop_id=self.workshop_id))
        finally:
            wb.close()

    def state(self) -> dict[str, Any]:
        """``var/serve.json`` as ``workbench serve`` wrote it last."""
        return json.loads((self.home / "var" / "serve.json").read_text())

    def app_pid(self) -> int:
        """Pid of the live app server (the ``-m workbench.appserver`` child of serve)."""
        found = [p for p in descendants(self.proc.pid) if "-m workbench.appserver" in cmdline(p)]
        found = [p for p in found if parent_of(p) == self.proc.pid and alive(p)]
        assert len(found) == 1, f"app servers below serve: {found}"
        return found[0]

    def lab_pid(self) -> int:
        """Pid of the JupyterLab child of serve."""
        found = [
            p
            for p in proc_children().get(self.proc.pid, [])
            if "-m jupyterlab" in cmdline(p) and alive(p)
        ]
        assert len(found) == 1, f"lab servers below serve: {found}"
        return found[0]

    def health(self) -> dict[str, Any]:
        """The app server's ``/workbench/health``."""
        return dict(http_json(f"{self.app_url}workbench/health"))

    def lab_status(self) -> dict[str, Any]:
        """The lab server's ``/api/status`` (needs the token)."""
        return dict(http_json(f"{self.lab_url}api/status?token={self.token}"))

    def wait_pool(self, ready: int, timeout: float) -> float:
        """Wait until the app pool holds ``ready`` started kernels; returns the seconds."""
        start = time.monotonic()
        health: dict[str, Any] = {}
        while time.monotonic() - start < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"workbench serve exited:\n{self.tail()}")
            with contextlib.suppress(OSError, ValueError):
                health = self.health()
                if health["ready"].get(f"{self.slug}.ipynb", 0) >= ready:
                    return time.monotonic() - start
            time.sleep(0.5)
        raise RuntimeError(f"pool not at {ready} within {timeout:.0f} s: {health}\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        """The end of serve's and the app server's logs."""
        out = []
        for path in (self.log, self.home / "var" / "logs" / "appserver.log"):
            if path.exists():
                out.append(f"--- {path.name}")
                out += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(out)

    def stop(self) -> None:
        """SIGINT serve (it stops both servers and their kernels); SIGKILL the group after 60 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for pid in kernels_of(self.home):  # none expected; never leave one behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self._log_fh is not None:
            self._log_fh.close()


def launch(
    home: Path,
    db_url: str,
    *,
    expected: int,
    env: dict[str, str] | None = None,
    ready: int | None = None,
    timeout: float = 600.0,
    slug: str = SLUG,
) -> Serve:
    """In the workspace ``home`` (case ``slug`` run, recorded in ``db_url``): publish it, open
    a workshop for ``expected`` participants and start ``workbench serve`` on free ports;
    waits for ``ready`` warm kernels (default ``expected``). Stop it with :meth:`Serve.stop`."""
    runtime = home / "var" / "jupyter-runtime"
    shutil.rmtree(runtime, ignore_errors=True)
    runtime.mkdir(parents=True)
    lab_port, app_port = free_port(), free_port()
    token = uuid.uuid4().hex
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    full_env.update(
        WORKBENCH_HOME=str(home),
        WORKBENCH_DB_URL=db_url,
        WORKBENCH_LAB_PORT=str(lab_port),
        WORKBENCH_APP_PORT=str(app_port),
        WORKBENCH_LAB_TOKEN=token,
        WORKBENCH_POOL_SIZE="1",
        JUPYTER_RUNTIME_DIR=str(runtime),
        PYTHONUNBUFFERED="1",
    )
    full_env.update(env or {})
    wb = Workbench(Settings(home=home, db_url=db_url, app_port=app_port, lab_port=lab_port))
    try:
        wb.publish(slug)
        info = wb.create_workshop(slug, title="Simulated participants", expected=expected)
        wb.workshops.open(info.id)
    finally:
        wb.close()
    log = home / "serve.log"
    fh = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "serve"],
        env=full_env,
        stdout=fh,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    serve = Serve(
        home=home,
        db_url=db_url,
        env=full_env,
        proc=proc,
        app_url=f"http://127.0.0.1:{app_port}/",
        lab_url=f"http://127.0.0.1:{lab_port}/",
        token=token,
        workshop_id=info.id,
        log=log,
        slug=slug,
        _log_fh=fh,
    )
    try:
        serve.ready_s = serve.wait_pool(expected if ready is None else ready, timeout)
    except BaseException:
        serve.stop()
        raise
    return serve


# -- what the database holds ---------------------------------------------------------------
@dataclass
class Stored:
    """Submission and feedback rows of one workshop, participants by display name."""

    submissions: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    names: dict[int, str]  # participant id -> display name


def stored(db_url: str, workshop_id: int) -> Stored:
    """Read a workshop's rows with plain SQL (values decoded from JSON)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:

            def rows(sql: str) -> list[dict[str, Any]]:
                return [dict(r._mapping) for r in conn.execute(text(sql), {"w": workshop_id})]

            subs = rows(
                "SELECT id, participant_id, round, kind, idempotency_key, payload_sha256, "
                "item_count, received_at FROM submission WHERE workshop_id = :w ORDER BY id"
            )
            fb = rows(
                "SELECT id, round, participant_id, item, CAST(value AS TEXT) AS value, "
                "submission_id, revision FROM feedback WHERE workshop_id = :w ORDER BY id"
            )
            people = rows("SELECT id, display_name FROM participant WHERE workshop_id = :w")
    finally:
        engine.dispose()
    for row in subs:  # text on SQLite, a datetime on PostgreSQL
        if isinstance(row["received_at"], str):
            row["received_at"] = datetime.fromisoformat(row["received_at"])
    for row in fb:  # JSON text on both databases
        row["value"] = None if row["value"] is None else json.loads(row["value"])
    return Stored(subs, fb, {p["id"]: p["display_name"] for p in people})
