"""A local stand-in for Eurostat's dissemination API (test helper, imported by name).

A real ``http.server`` on 127.0.0.1 (free port) answers ``/sdmx/2.1/data/<dataset>`` with
the (status, body) set for that dataset, 404 otherwise, and logs each request path so a
test can check the URL the client sent. The bodies are recorded responses: gzip copies of
slices of the real files (see ``tests/data/eurostat_samples/README.md``), since this
machine cannot reach Eurostat.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PREFIX = "/sdmx/2.1/data/"


@dataclass
class RecordedApi:
    """The running server, its answers by dataset and the request paths it received."""

    server: ThreadingHTTPServer
    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        """The API base URL to give the client."""
        return f"http://127.0.0.1:{self.server.server_port}/sdmx/2.1"

    def answer(self, dataset: str, status: int, body: bytes) -> None:
        """Answer requests for ``dataset`` with ``status`` and ``body``."""
        self.answers[dataset] = (status, body)

    def sent(self) -> list[tuple[str, dict[str, list[str]]]]:
        """(path, query) of each request received."""
        return [(urlsplit(r).path, parse_qs(urlsplit(r).query)) for r in self.requests]


@contextmanager
def recorded_api() -> Iterator[RecordedApi]:
    """Start the server; stop it on exit."""
    api: RecordedApi

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api.requests.append(self.path)
            dataset = urlsplit(self.path).path.removeprefix(PREFIX)
            status, body = api.answers.get(dataset, (404, b"Dataset not found"))
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api = RecordedApi(server)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (for the offline cases)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
