"""``workbench serve``: the analyst JupyterLab and the stakeholder app server, together.

Both run as child processes in their own process groups; Ctrl-C (SIGINT) or SIGTERM
stops both (SIGTERM, then SIGKILL after a grace period) and exits cleanly.

A server that dies on its own (a crash, ``kill -9``, the OOM killer) is restarted with
backoff while the other keeps running; the crash is logged. Kernels it leaves behind
are stopped before the restart. A server that keeps dying right after its start is
given up (the whole ``serve`` stops with a message naming its log).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.config import Settings
from workbench.exceptions import WorkbenchError
from workbench.facilitation.notebook import DASHBOARD_PATH, write_dashboard_notebook
from workbench.labext import lab_arguments
from workbench.pathways.notebook import COUNSELLOR_PATH, write_counsellor_notebook
from workbench.workspace import skeleton_root

STARTUP_TIMEOUT_S = 120.0
#: seconds to wait before the 1st, 2nd, ... restart of a crashed server (then the last)
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
#: a server that ran this long counts as healthy again (its backoff starts over)
STABLE_AFTER_S = 60.0
#: give up after this many crashes in a row, each within STABLE_AFTER_S of its start
MAX_QUICK_CRASHES = 6
#: seconds a crashed server's kernels get to notice (ipykernel polls its parent) and exit
ORPHAN_GRACE_S = 3.0


class ServeError(WorkbenchError):
    """A server did not start (port in use, crash); its log says why."""


@dataclass
class Server:
    """One child server process."""

    name: str
    argv: list[str]
    health_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0
    #: crashes in a row, each soon after a start (reset once the server runs stably)
    quick_crashes: int = 0
    restart_at: float | None = None
    restarts: int = 0

    def start(self, env: dict[str, str]) -> None:
        """Start in a new process group, output to the log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started_at = time.monotonic()

    def wait_ready(self, deadline: float) -> None:
        """Poll the health URL until it answers 200."""
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServeError(
                    f"{self.name} exited with code {self.process.returncode}; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(self.health_url, timeout=2) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise ServeError(
            f"{self.name} did not start within {STARTUP_TIMEOUT_S:.0f} s; see {self.log_path}"
        )

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the process group, then SIGKILL what is left."""
        if self.process is None or self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # kernels left in the group
            os.killpg(pgid, signal.SIGKILL)


def kernel_orphans(server_pid: int) -> list[int]:
    """Pids of kernels started by the (dead) server ``server_pid`` that still run.

    jupyter_client starts each kernel in its own session with ``JPY_PARENT_PID`` set to
    the server's pid, so they survive in no process group of ours; /proc finds them.
    """
    found = []
    marker = f"JPY_PARENT_PID={server_pid}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def reap_orphans(server_pid: int, grace: float = ORPHAN_GRACE_S) -> int:
    """Stop the kernels a crashed server left behind; returns how many had to be killed."""
    deadline = time.monotonic() + grace
    while (left := kernel_orphans(server_pid)) and time.monotonic() < deadline:
        time.sleep(0.2)  # ipykernel's parent poller stops a kernel whose server died
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(left)


def lab_token(settings: Settings) -> str:
    """The analyst server's token: WORKBENCH_LAB_TOKEN, else a new random one."""
    return settings.lab_token or secrets.token_urlsafe(32)


def servers(settings: Settings, token: str, *, lab: bool = True) -> list[Server]:
    """The two servers of a workspace."""
    logs = settings.var_dir / "logs"
    host = settings.bind_host
    out = []
    if lab:
        out.append(
            Server(
                name="JupyterLab (analysts and facilitators)",
                argv=[
                    sys.executable,
                    "-m",
                    "jupyterlab",
                    "--no-browser",
                    f"--ServerApp.ip={host}",
                    f"--ServerApp.port={settings.lab_port}",
                    "--ServerApp.port_retries=0",
                    f"--ServerApp.root_dir={settings.home}",
                    f"--IdentityProvider.token={token}",
                    "--ServerApp.jpserver_extensions=workbench.server=True",
                    *lab_arguments(),
                    *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []),
                ],
                health_url=f"http://{host}:{settings.lab_port}/api/status?token={token}",
                log_path=logs / "jupyterlab.log",
            )
        )
    out.append(
        Server(
            name="Stakeholder app server (Voilà)",
            argv=[sys.executable, "-m", "workbench.appserver"],
            health_url=f"http://{host}:{settings.app_port}/workbench/health",
            log_path=logs / "appserver.log",
        )
    )
    return out


def child_env(settings: Settings) -> dict[str, str]:
    """Environment for the servers and their kernels: same workspace, same database."""
    env = dict(os.environ)
    env["WORKBENCH_HOME"] = str(settings.home)
    env["WORKBENCH_DB_URL"] = settings.database_url
    env["WORKBENCH_APP_PORT"] = str(settings.app_port)
    env["WORKBENCH_LAB_PORT"] = str(settings.lab_port)
    env["WORKBENCH_BIND_HOST"] = settings.bind_host
    env["WORKBENCH_POOL_SIZE"] = str(settings.pool_size)
    # The lab's Voilà extension renders the facilitator dashboard with our template.
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(skeleton_root() / "extensions"), env.get("JUPYTER_PATH", "")) if p
    )
    if settings.public_url:
        env["WORKBENCH_PUBLIC_URL"] = settings.public_url
    return env


def write_state(settings: Settings, info: dict[str, Any]) -> Path:
    """Record URLs and pids in ``var/serve.json`` (mode 0600: it holds the lab token)."""
    path = settings.var_dir / "serve.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(info, fh, indent=2)
    return path


def run_servers(
    settings: Settings,
    *,
    lab: bool,
    announce: Callable[[dict[str, str | None]], None],
    notify: Callable[[str], None] = lambda _message: None,
) -> None:
    """Start the servers, ``announce`` their URLs once both answer, and supervise them
    until SIGINT or SIGTERM; then stop both.

    A crashed server is restarted (see :func:`supervise`); ``notify`` hears of each
    crash and restart. :class:`ServeError` if a server does not start, or keeps dying.
    """
    from workbench.db import Database

    Database(settings.database_url)  # migrate once, before two servers race to
    settings.published_dir.mkdir(parents=True, exist_ok=True)
    if lab:
        write_dashboard_notebook(settings)
        write_counsellor_notebook(settings)
    token = lab_token(settings)
    procs = servers(settings, token, lab=lab)
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        env = child_env(settings)
        for proc in procs:
            proc.start(env)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for proc in procs:
            proc.wait_ready(deadline)
        base = f"http://{settings.bind_host}:{settings.lab_port}"
        urls = {
            "gallery": settings.app_url,
            "lab": f"{base}/lab?token={token}" if lab else None,
            "facilitator": f"{base}/workbench/facilitator?token={token}" if lab else None,
            "dashboard": f"{base}/voila/render/{DASHBOARD_PATH}?token={token}" if lab else None,
            "counsellor": f"{base}/voila/render/{COUNSELLOR_PATH}?token={token}" if lab else None,
            "lab_base": f"{base}/" if lab else None,
            "token": token if lab else None,
            "api": f"{base}/workbench/api/workshops" if lab else None,
        }
        write_state(settings, {**urls, "pids": [p.process.pid for p in procs if p.process]})
        announce(urls)
        pids = [p.process.pid for p in procs if p.process]
        while not stopping:
            for proc in procs:
                supervise(proc, env, notify)
            if pids != (now := [p.process.pid for p in procs if p.process]):
                pids = now
                write_state(settings, {**urls, "pids": pids})
            time.sleep(0.5)
    finally:
        for proc in procs:
            proc.stop()


def supervise(proc: Server, env: dict[str, str], notify: Callable[[str], None]) -> None:
    """One supervision step: notice a crash, reap its kernels, restart after a backoff.

    Raises :class:`ServeError` once the server has crashed :data:`MAX_QUICK_CRASHES`
    times in a row, each soon after its start (a restart loop helps nobody).
    """
    assert proc.process is not None
    now = time.monotonic()
    code = proc.process.poll()
    if code is None:
        if proc.quick_crashes and now - proc.started_at > STABLE_AFTER_S:
            proc.quick_crashes = 0
        return
    if proc.restart_at is None:  # a new crash
        quick = now - proc.started_at < STABLE_AFTER_S
        proc.quick_crashes = proc.quick_crashes + 1 if quick else 1
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        if proc.quick_crashes >= MAX_QUICK_CRASHES:
            raise ServeError(
                f"{proc.name} crashed {proc.quick_crashes} times in a row ({how}); "
                f"giving up, see {proc.log_path}"
            )
        killed = reap_orphans(proc.process.pid)
        delay = RESTART_BACKOFF_S[min(proc.quick_crashes, len(RESTART_BACKOFF_S)) - 1]
        message = f"{proc.name} stopped unexpectedly ({how}); restarting in {delay:g} s" + (
            f" (stopped {killed} kernel(s) it left behind)" if killed else ""
        )
        _log_line(proc.log_path, message)
        notify(message)
        proc.restart_at = now + delay
    elif now >= proc.restart_at:
        proc.restart_at = None
        proc.restarts += 1
        proc.start(env)
        message = f"{proc.name} restarted (restart {proc.restarts}, pid {proc.process.pid})"
        _log_line(proc.log_path, message)
        notify(message)


def _log_line(path: Path, message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"[workbench serve {stamp} UTC] {message}\n")
