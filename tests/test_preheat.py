"""The page request reaches a pre-heated kernel even when the app server answers late.

A real websocket server on 127.0.0.1 plays the app server's ``/voila/query/<kernel>``
endpoint: it starts listening only after a delay, as a busy server does.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from websockets.asyncio.server import ServerConnection, serve

from workbench.preheat import query_string

QUERY = "workshop=7&token=abc-def"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LateServer:
    """Starts listening ``delay`` seconds after :meth:`start`, then answers every
    connection with the request info, as Voilà's RequestInfoSocketHandler does."""

    def __init__(self, port: int, delay: float) -> None:
        self.port, self.delay = port, delay
        self.paths: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _handle(self, ws: ServerConnection) -> None:
        self.paths.append(ws.request.path if ws.request else "")
        await ws.send(json.dumps({"QUERY_STRING": QUERY, "SCRIPT_NAME": "/voila/render/x"}))

    async def _main(self) -> None:
        await asyncio.sleep(self.delay)
        async with serve(self._handle, "127.0.0.1", self.port):
            while not self._stop.is_set():
                await asyncio.sleep(0.05)

    def start(self) -> LateServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture
def preheated(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The environment of a pre-heated Voilà kernel; yields the app server's port."""
    port = _free_port()
    for name, value in {
        "VOILA_PREHEAT": "True",
        "VOILA_APP_IP": "127.0.0.1",
        "VOILA_APP_PORT": str(port),
        "VOILA_SERVER_URL": "/",
        "VOILA_KERNEL_ID": "kernel-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("VOILA_WS_BASE_URL", raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    yield port


def test_voila_alone_returns_no_query_when_the_server_is_not_there_yet(preheated: int) -> None:
    """Why the wrapper exists: Voilà gives up at once and the page gets no token."""
    from voila.utils import get_query_string

    with pytest.warns(UserWarning, match="Failed to connect"):
        assert get_query_string() is None


@pytest.mark.filterwarnings("ignore:Failed to connect:UserWarning")
def test_query_string_waits_for_a_late_server(preheated: int) -> None:
    server = LateServer(preheated, delay=1.5).start()
    try:
        started = time.monotonic()
        assert query_string(give_up_s=60) == QUERY
        assert time.monotonic() - started >= 1.0
        assert server.paths == ["/voila/query/kernel-1"]
    finally:
        server.stop()


@pytest.mark.filterwarnings("ignore:Failed to connect:UserWarning")
def test_query_string_gives_up_after_its_deadline(preheated: int) -> None:
    started = time.monotonic()
    assert query_string(give_up_s=1.0) is None
    assert 1.0 <= time.monotonic() - started < 30
    import os

    assert "QUERY_STRING" not in os.environ  # no sentinel left behind


def test_without_preheating_the_query_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("QUERY_STRING", QUERY)
    assert query_string() == QUERY
