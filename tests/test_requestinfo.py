"""The request-info socket: a page request always reaches its preheated kernel.

A real tornado server on 127.0.0.1 with the handler the app server mounts at
``/voila/query/<kernel id>``, and real websocket clients in the role of kernels.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port
from tornado.websocket import websocket_connect
from voila.request_info_handler import RequestInfoSocketHandler

from workbench import requestinfo

KERNEL_A = "aaaaaaaa-0000-4000-8000-000000000001"
KERNEL_B = "bbbbbbbb-0000-4000-8000-000000000002"


@pytest.fixture(autouse=True)
def clean_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RequestInfoSocketHandler, "_waiters", {})
    monkeypatch.setattr(RequestInfoSocketHandler, "_cache", {})
    monkeypatch.setattr(
        RequestInfoSocketHandler, "send_updates", RequestInfoSocketHandler.__dict__["send_updates"]
    )


@asynccontextmanager
async def server(handler: type) -> AsyncIterator[Callable[[str], Any]]:
    """Serve ``handler`` at /voila/query/<id>; yields a connect(kernel_id) function."""
    sock, port = bind_unused_port()
    app = tornado.web.Application([(r"/voila/query/([\w-]+)", handler)])
    http = HTTPServer(app)
    http.add_sockets([sock])

    async def connect(kernel_id: str) -> Any:
        return await websocket_connect(f"ws://127.0.0.1:{port}/voila/query/{kernel_id}")

    try:
        yield connect
    finally:
        http.stop()


async def settle(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the server did not get there")


def request(kernel_id: str, query: str) -> dict[str, Any]:
    return {"kernel_id": kernel_id, "payload": json.dumps({"QUERY_STRING": query})}


async def a_closed_duplicate_leaves_the_other_kernel_waiting(handler: type) -> str | None:
    """Kernel A connects twice (a retry after a slow open), kernel B once; A's first
    socket closes; then B's request is sent. Returns what B received (None: nothing)."""
    waiters = RequestInfoSocketHandler._waiters
    async with server(handler) as connect:
        first_a = await connect(KERNEL_A)
        await settle(lambda: KERNEL_A in waiters)
        b = await connect(KERNEL_B)
        await settle(lambda: KERNEL_B in waiters)
        second_a = await connect(KERNEL_A)  # replaces the first in the waiters
        await settle(lambda: waiters.get(KERNEL_A) is not None and len(waiters) == 2)
        await asyncio.sleep(0.05)
        first_a.close()
        await asyncio.sleep(0.2)  # the server runs on_close
        RequestInfoSocketHandler.send_updates(request(KERNEL_B, "workshop=1&token=b"))
        try:
            got = await asyncio.wait_for(b.read_message(), timeout=2)
        except TimeoutError:
            got = None
        b.close()
        second_a.close()
        return got


def test_voila_handler_loses_another_kernels_request_when_a_duplicate_closes() -> None:
    """The fault this module exists for (Voilà 0.5.x); if this starts passing, Voilà
    fixed it."""
    got = asyncio.run(a_closed_duplicate_leaves_the_other_kernel_waiting(RequestInfoSocketHandler))
    assert got is None


def test_a_closed_duplicate_no_longer_costs_another_kernel_its_request() -> None:
    requestinfo.install()
    got = asyncio.run(
        a_closed_duplicate_leaves_the_other_kernel_waiting(requestinfo.RequestInfoHandler)
    )
    assert got == json.dumps({"QUERY_STRING": "workshop=1&token=b"})
    assert KERNEL_B not in RequestInfoSocketHandler._waiters  # B's socket closed: gone
    assert RequestInfoSocketHandler._waiters == {}


async def reconnect_after_a_lost_write() -> tuple[str | None, str | None]:
    waiters = RequestInfoSocketHandler._waiters
    async with server(requestinfo.RequestInfoHandler) as connect:
        early = request(KERNEL_A, "workshop=1&token=early")
        RequestInfoSocketHandler.send_updates(early)  # before the kernel connects
        a = await connect(KERNEL_A)
        first = await asyncio.wait_for(a.read_message(), timeout=2)
        a.close()
        await settle(lambda: KERNEL_A not in waiters)

        b = await connect(KERNEL_B)
        await settle(lambda: KERNEL_B in waiters)
        dead = waiters[KERNEL_B]

        def broken(_: Any) -> None:
            raise tornado.websocket.WebSocketClosedError()

        dead.write_message = broken  # the connection is gone, on_close not yet run
        RequestInfoSocketHandler.send_updates(request(KERNEL_B, "workshop=1&token=late"))
        b.close()
        await settle(lambda: KERNEL_B not in waiters)
        again = await connect(KERNEL_B)  # the kernel's retry
        second = await asyncio.wait_for(again.read_message(), timeout=2)
        again.close()
        return first, second


def test_a_request_waits_for_its_kernel_and_survives_a_lost_write() -> None:
    requestinfo.install()
    first, second = asyncio.run(reconnect_after_a_lost_write())
    assert first == json.dumps({"QUERY_STRING": "workshop=1&token=early"})
    assert second == json.dumps({"QUERY_STRING": "workshop=1&token=late"})


def test_kept_requests_of_gone_kernels_are_dropped() -> None:
    requestinfo.install()
    RequestInfoSocketHandler.send_updates(request(KERNEL_A, "token=a"))
    RequestInfoSocketHandler.send_updates(request(KERNEL_B, "token=b"))
    requestinfo.forget_kernels([KERNEL_B])
    assert list(RequestInfoSocketHandler._cache) == [KERNEL_B]
