"""Raw HTTP to the analyst JupyterLab, for the REST API tests (``import _lab``)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class Lab:
    """Raw HTTP to the analyst JupyterLab (no redirects followed)."""

    def get_bytes(self, path: str) -> RawResponse:
        """GET with the token; the body as bytes (downloads)."""
        parts = urlsplit(self.served.lab_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        headers = {"Authorization": f"token {self.token}"} if self.token else {}
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            return RawResponse(
                resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
            )
        finally:
            conn.close()

    def __init__(self, served: Any, token: str | None) -> None:
        self.served = served
        self.token = token

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        parts = urlsplit(self.served.lab_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if self.token is not None:
            hdrs["Authorization"] = f"token {self.token}"
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if method == "POST" and data is None:
            data = b""
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", errors="replace")
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, text)
        finally:
            conn.close()
