"""Supervision in ``workbench serve`` (``workbench.serve.supervise``) on real processes.

The child "servers" here are small Python processes, so that a crash, a restart loop and
kernels left behind can be produced exactly; the kill -9 of the real app server under
load is tested end to end in tests/test_crash.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench import serve
from workbench.exceptions import WorkbenchError

#: A "server" that starts a fake kernel the way jupyter_client does (own session,
#: JPY_PARENT_PID = the server's pid), writes the kernel's pid to a file and waits.
SERVER_WITH_KERNEL = """
import os, subprocess, sys, time
env = dict(os.environ, JPY_PARENT_PID=str(os.getpid()))
kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                          env=env, start_new_session=True)
open(sys.argv[1], "w").write(str(kernel.pid))
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return state != "Z"


def _until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _server(tmp_path: Path, code: str, *args: str) -> serve.Server:
    return serve.Server(
        name="test server",
        argv=[sys.executable, "-c", code, *args],
        health_url="http://127.0.0.1:9/",
        log_path=tmp_path / "logs" / "server.log",
    )


def test_a_killed_server_is_restarted_with_backoff_and_its_kernels_reaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "RESTART_BACKOFF_S", (0.5, 1.0))
    monkeypatch.setattr(serve, "ORPHAN_GRACE_S", 0.5)  # the fake kernel never exits by itself
    kernel_file = tmp_path / "kernel.pid"
    proc = _server(tmp_path, SERVER_WITH_KERNEL, str(kernel_file))
    heard: list[str] = []
    proc.start(dict(os.environ))
    try:
        _until(lambda: kernel_file.exists() and kernel_file.read_text().strip() != "")
        kernel = int(kernel_file.read_text())
        first = proc.process.pid
        assert serve.kernel_orphans(first) == [kernel]
        serve.supervise(proc, {}, heard.append)
        assert heard == [] and proc.restarts == 0  # running: nothing to do

        os.kill(first, signal.SIGKILL)
        proc.process.wait()
        kernel_file.unlink()
        serve.supervise(proc, dict(os.environ), heard.append)
        assert heard == [
            "test server stopped unexpectedly (signal 9); restarting in 0.5 s "
            "(stopped 1 kernel(s) it left behind)"
        ]
        _until(lambda: not _alive(kernel))
        assert proc.process.pid == first and proc.restart_at is not None  # waits first

        _until(lambda: (serve.supervise(proc, dict(os.environ), heard.append), proc.restarts)[1])
        second = proc.process.pid
        assert second != first and proc.process.poll() is None
        assert heard[-1] == f"test server restarted (restart 1, pid {second})"
        log = proc.log_path.read_text()
        assert "stopped unexpectedly (signal 9)" in log and f"pid {second}" in log

        # A second quick crash waits longer (the backoff grows).
        _until(lambda: kernel_file.exists() and kernel_file.read_text().strip() != "")
        os.kill(second, signal.SIGKILL)
        proc.process.wait()
        serve.supervise(proc, dict(os.environ), heard.append)
        assert heard[-1].startswith(
            "test server stopped unexpectedly (signal 9); restarting in 1 s"
        )
    finally:
        proc.stop(grace=2)
        if kernel_file.exists() and kernel_file.read_text().strip():
            for pid in serve.kernel_orphans(proc.process.pid):
                os.kill(pid, signal.SIGKILL)


def test_a_server_that_keeps_dying_is_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "RESTART_BACKOFF_S", (0.0,))
    proc = _server(tmp_path, "import sys; sys.exit(3)")
    heard: list[str] = []
    proc.start(dict(os.environ))
    with pytest.raises(WorkbenchError) as caught:
        for _ in range(200):
            serve.supervise(proc, dict(os.environ), heard.append)
            time.sleep(0.05)
    assert str(caught.value) == (
        f"test server crashed {serve.MAX_QUICK_CRASHES} times in a row (exit code 3); "
        f"giving up, see {proc.log_path}"
    )
    assert proc.restarts == serve.MAX_QUICK_CRASHES - 1
    assert sum("restarted" in m for m in heard) == serve.MAX_QUICK_CRASHES - 1


def test_kernel_orphans_ignores_other_processes(tmp_path: Path) -> None:
    other = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env=dict(os.environ, JPY_PARENT_PID="1"),
    )
    try:
        assert other.pid not in serve.kernel_orphans(os.getpid())
        assert other.pid in serve.kernel_orphans(1)
    finally:
        other.kill()
        other.wait()
