"""``workbench serve``: the analyst JupyterLab and the stakeholder app server, together.

Both run as child processes in their own process groups; Ctrl-C (SIGINT) or SIGTERM
stops both (SIGTERM, then SIGKILL after a grace period) and exits cleanly.
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
from workbench.workspace import skeleton_root

STARTUP_TIMEOUT_S = 120.0


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

    def start(self, env: dict[str, str]) -> None:
        """Start in a new process group, output to the log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

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
    settings: Settings, *, lab: bool, announce: Callable[[dict[str, str | None]], None]
) -> None:
    """Start the servers, ``announce`` their URLs once both answer, and supervise them
    until SIGINT or SIGTERM (or until one dies: :class:`ServeError`); then stop both."""
    from workbench.db import Database

    Database(settings.database_url)  # migrate once, before two servers race to
    settings.published_dir.mkdir(parents=True, exist_ok=True)
    if lab:
        write_dashboard_notebook(settings)
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
            "lab_base": f"{base}/" if lab else None,
            "token": token if lab else None,
            "api": f"{base}/workbench/api/workshops" if lab else None,
        }
        write_state(settings, {**urls, "pids": [p.process.pid for p in procs if p.process]})
        announce(urls)
        while not stopping:
            for proc in procs:
                if proc.process is not None and proc.process.poll() is not None:
                    raise ServeError(f"{proc.name} stopped; see {proc.log_path}")
            time.sleep(0.5)
    finally:
        for proc in procs:
            proc.stop()
