"""The app server's edge guards (``workbench.apphandlers``) on a real tornado server.

A small tornado application gets the handlers through :func:`harden_handlers`, as the app
server does, and listens on 127.0.0.1; requests go over real sockets. Stock Voilà's
template handler is served next to it to show the 500 the guard replaces.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import tornado.web
from voila.static_file_handler import TemplateStaticFileHandler

from workbench.apphandlers import MAX_HEADERS, MAX_URI, harden_handlers
from workbench.apppages import extensions_dir


class Ok(tornado.web.RequestHandler):
    def get(self) -> None:
        self.finish("ok")


@dataclass
class Reply:
    status: int | str
    body: str


@dataclass
class Server:
    port: int

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            return Reply(resp.status, resp.read().decode("utf-8", errors="replace"))
        except (ConnectionError, http.client.HTTPException) as exc:
            return Reply(type(exc).__name__, "")
        finally:
            conn.close()


def _serve(hardened: bool) -> Iterator[Server]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    started = threading.Event()
    state: dict[str, object] = {}

    def run() -> None:
        async def main() -> None:
            app = tornado.web.Application()
            handlers: list[object] = [
                (r"/ok", Ok),
                (r"/voila/templates/(.*)", TemplateStaticFileHandler),
            ]
            if hardened:
                handlers = harden_handlers(handlers, app)
            app.add_handlers(".*$", handlers)
            server = app.listen(port, "127.0.0.1")
            stop = asyncio.Event()
            state["stop"] = stop
            state["loop"] = asyncio.get_running_loop()
            started.set()
            await stop.wait()
            server.stop()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield Server(port)
    finally:
        loop = state["loop"]
        loop.call_soon_threadsafe(state["stop"].set)  # type: ignore[attr-defined]
        thread.join(10)


@pytest.fixture
def templates_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Voilà finds the workbench template (as ``workbench serve`` sets it up)."""
    monkeypatch.setenv("JUPYTER_PATH", str(extensions_dir()))


@pytest.fixture
def hardened(templates_on_path: None) -> Iterator[Server]:
    yield from _serve(hardened=True)


@pytest.fixture
def stock(templates_on_path: None) -> Iterator[Server]:
    yield from _serve(hardened=False)


CSS = "/voila/templates/workbench/static/workbench.css"
TRAVERSALS = [
    "/voila/templates/workbench/static/../../../../etc/passwd",
    "/voila/templates/workbench/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/voila/templates/workbench/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/voila/templates/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/voila/templates/workbench/static/%252e%252e%252fetc%252fpasswd",
    "/voila/templates/workbench/static/..%5c..%5cetc%5cpasswd",
    "/voila/templates/workbench/static/..\\..\\etc\\passwd",
    "/voila/templates/../../../../etc/passwd",
    "/voila/templates/workbench/../../../../etc/passwd",
    "/voila/templates/workbench",
    "/voila/templates/workbench/static",
    "/voila/templates/workbench/static/",
    "/voila/templates/workbench/nostatic/workbench.css",
    "/voila/templates/../static/workbench.css",
]


def test_stock_voila_answers_traversal_with_500(stock: Server) -> None:
    """Why the guard exists: these are 500s from Voilà's own handler."""
    assert stock.get(CSS).status == 200
    for path in TRAVERSALS[:3]:
        assert stock.get(path).status == 500, path


def test_template_static_files_are_served_and_traversal_is_404(hardened: Server) -> None:
    css = hardened.get(CSS)
    source = extensions_dir() / "voila" / "templates" / "workbench" / "static" / "workbench.css"
    assert css.status == 200 and css.body == source.read_text()
    for path in TRAVERSALS:
        reply = hardened.get(path)
        assert reply.status == 404, (path, reply.status)
        assert "root:" not in reply.body and "Traceback" not in reply.body
    assert hardened.get("/voila/templates/workbench/static/no-such.css").status == 404
    assert hardened.get(CSS).status == 200


def test_long_request_lines_get_414(hardened: Server, stock: Server) -> None:
    base = "/ok?token="
    exact = base + "a" * (MAX_URI - len(base))
    assert len(exact) == MAX_URI
    assert hardened.get(exact).status == 200
    for size in (len(exact) + 1, 100_000, 1_000_000):
        reply = hardened.get(base + "a" * (size - len(base)))
        assert reply.status == 414, size
        assert "<h1>This link is too long</h1>" in reply.body
    # stock tornado drops a request line past 64 KB without any answer
    assert stock.get(base + "a" * 100_000).status in ("RemoteDisconnected", "ConnectionResetError")
    assert hardened.get("/ok").body == "ok"


def test_large_headers_get_431(hardened: Server) -> None:
    fill = "b" * (MAX_HEADERS - 200)
    assert hardened.get("/ok", {"X-Fill": fill}).status == 200
    for size in (MAX_HEADERS + 1, 500_000):
        reply = hardened.get("/ok", {"X-Fill": "b" * size})
        assert reply.status == 431, size
        assert "<h1>The request is too large</h1>" in reply.body
    assert hardened.get("/ok").body == "ok"
