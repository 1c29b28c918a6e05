"""A real analyst JupyterLab (no app server) on a copy of the ``demo_runs`` workspace, for
the sidebar's REST and browser tests (``import _labserver``).

It starts with the argv of ``workbench serve`` (:func:`workbench.serve.servers`) plus
:func:`workbench.labext.lab_arguments`, and the same environment, so the workbench server
extension and the Workbench sidebar are loaded as they are in ``serve``.
"""

from __future__ import annotations

import contextlib
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _serve import free_port

from workbench.config import Settings
from workbench.facilitation.notebook import write_dashboard_notebook
from workbench.labext import lab_arguments
from workbench.serve import child_env, servers
from workbench.service import Workbench


@dataclass
class LabServer:
    """A running JupyterLab on a workspace copy (``lab_url`` ends in /)."""

    home: Path
    lab_url: str
    token: str
    db_url: str | None
    log_path: Path

    def service(self) -> Workbench:
        """A service object on the lab's workspace (same database)."""
        return Workbench(Settings(home=self.home, db_url=self.db_url))

    def log(self) -> str:
        """The lab's log so far."""
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def lab_on_copy(demo_runs: Any, dest: Path) -> Iterator[LabServer]:
    """Copy ``demo_runs`` to ``dest`` and serve it with a JupyterLab on a free port."""
    stack = contextlib.ExitStack()
    with stack:
        db_url = demo_runs.copy(dest, stack)
        settings = Settings(home=dest, db_url=db_url, lab_port=free_port(), app_port=free_port())
        write_dashboard_notebook(settings)
        token = uuid.uuid4().hex
        lab = servers(settings, token, lab=True)[0]
        lab.argv += [arg for arg in lab_arguments() if arg not in lab.argv]
        state = dest / "var" / "lab-state"
        lab.argv += [
            f"--LabApp.workspaces_dir={state / 'workspaces'}",
            f"--LabApp.user_settings_dir={state / 'settings'}",
        ]
        env = child_env(settings)
        env["JUPYTER_RUNTIME_DIR"] = str(dest / "var" / "jupyter-runtime")
        lab.start(env)
        try:
            lab.wait_ready(time.monotonic() + 120)
            yield LabServer(
                home=dest,
                lab_url=f"http://127.0.0.1:{settings.lab_port}/",
                token=token,
                db_url=db_url,
                log_path=lab.log_path,
            )
        finally:
            lab.stop()


def wait_for(check: Any, timeout: float, what: str) -> Any:
    """Poll ``check()`` until it returns something truthy; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def fetch(url: str) -> tuple[int, str]:
    """GET a URL; (status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", errors="replace")


__all__ = ["LabServer", "fetch", "lab_on_copy", "wait_for"]
