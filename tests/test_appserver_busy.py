"""A page whose kernel cannot start gets a clear "busy" page within seconds, never a hang.

The app server runs with a ``python3`` kernel spec whose kernel never answers (a process
that only sleeps), as when kernels cannot start on an overloaded machine. Plain Voilà
would wait for the kernel (60 s, then an exception in a task nobody awaits) while the
browser's request hangs; ours answers after ``WORKBENCH_PAGE_WAIT_S`` with a 503 page
that says what is happening and retries by itself. The server stays up.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import _serve  # benchmarks/: one port allocator for all test servers
import pytest

from workbench.config import Settings
from workbench.service import Workbench

CASE = "es61-manufacturing-youth"


def _get(url: str, timeout: float = 60) -> tuple[int, dict[str, str], str]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path)
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", errors="replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


@pytest.mark.parametrize("demo_runs", ["sqlite"], indirect=True)
def test_a_page_whose_kernel_cannot_start_gets_a_busy_page_quickly(
    demo_runs: Any, tmp_path: Path
) -> None:
    home = tmp_path / "ws"
    stack = contextlib.ExitStack()
    with stack:
        db_url = demo_runs.copy(home, stack) or f"sqlite:///{home / 'var' / 'workbench.sqlite'}"
        port = _serve.free_port()
        settings = Settings(home=home, db_url=db_url, app_port=port)
        wb = Workbench(settings)
        wb.publish(CASE)
        info = wb.create_workshop(CASE, title="Busy", expected=1)
        wb.workshops.open(info.id)
        link = wb.workshops.links(info.id, 1)[0].url
        wb.close()
        # a python3 kernel that never answers
        spec = tmp_path / "jupyter" / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [
                        sys.executable,
                        "-c",
                        "import time; time.sleep(600)",
                        "{connection_file}",
                    ],
                    "display_name": "never answers",
                    "language": "python",
                }
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
        env.update(
            WORKBENCH_HOME=str(home),
            WORKBENCH_DB_URL=db_url,
            WORKBENCH_APP_PORT=str(port),
            WORKBENCH_PAGE_WAIT_S="3",
            JUPYTER_PATH=str(tmp_path / "jupyter"),
            JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        )
        log = (tmp_path / "appserver.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.appserver"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stack.callback(log.close)
        stack.callback(lambda: os.killpg(proc.pid, 9) if proc.poll() is None else None)
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError):
                if _get(f"{base}workbench/health", timeout=5)[0] == 200:
                    break
            assert proc.poll() is None, (tmp_path / "appserver.log").read_text()
            assert time.monotonic() < deadline, "the app server did not start"
            time.sleep(0.5)

        started = time.monotonic()
        status, headers, body = _get(f"{base}{urlsplit(link).path[1:]}?{urlsplit(link).query}")
        waited = time.monotonic() - started
        assert status == 503, body[:500]
        assert "The workshop app is busy" in body
        assert "tries again by itself in 5 seconds" in body
        assert '<meta http-equiv="refresh" content="5">' in body
        assert "Traceback" not in body
        assert headers["cache-control"] == "no-store"
        assert 2.5 <= waited < 15, f"answered after {waited:.1f} s"
        # the server is still up and says what it is doing
        status, _headers, health = _get(f"{base}workbench/health", timeout=5)
        assert status == 200 and json.loads(health)["kernels"] >= 1
        # a second request is answered the same way, not queued behind the first
        again = time.monotonic()
        assert _get(f"{base}{urlsplit(link).path[1:]}?{urlsplit(link).query}")[0] == 503
        assert time.monotonic() - again < 15
