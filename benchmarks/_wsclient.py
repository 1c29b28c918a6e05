"""A simulated stakeholder-app participant: what a browser does, minus the static assets.

1. ``GET`` the join URL and read the whole streamed page (Voilà sends the rendered cells
   as they finish; in preheat mode the second cell waits for this very request);
2. take the kernel id from the page's ``jupyter-config-data`` (``"kernelId"``);
3. open ``ws://host:port<base>api/kernels/<id>/channels?session_id=<uuid>`` with no
   subprotocol, where ``<base>`` is the server's base URL (``/``, or
   ``/services/workbench-apps/`` behind JupyterHub): the page's ``baseUrl``, else the
   page path up to ``voila/``; i.e. jupyter_server's default JSON message protocol (a message with
   binary buffers arrives as a legacy binary frame, which :func:`decode_frame` reads);
4. ``comm_open`` on the shell channel with target ``jupyter.widget.control`` (metadata
   ``{"version": "1.0.0"}``) and ``comm_msg`` ``{"method": "request_states"}``, as the
   ipywidgets 8 manager does on page load;
5. wait on iopub for the ``update_states`` reply of that comm.

Time to interactive (TTI) is from the start of the GET to the arrival of
``update_states``: from then on the page shows live widgets. Static files (JS, CSS) are
not fetched; they are the same for both servers and a browser caches them.

The page counts as the app only if the states hold the banner (an HTML widget with
"ALMP co-design workshop") and the registration form's "Join the workshop" button (or,
reloaded by a participant who joined, the forms' "Save" buttons), so an error page or a
refused link is reported as a failure, never timed as a success.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.websocket import WebSocketClientConnection, websocket_connect

KERNEL_ID = re.compile(
    r'"kernelId"\s*:\s*"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"'
)
BASE_URL = re.compile(r'"baseUrl"\s*:\s*"([^"]*)"')
BANNER = "ALMP co-design workshop"
JOIN_BUTTON = "Join the workshop"
SAVE_BUTTON = "Save"


@dataclass
class Result:
    """One participant's page load."""

    ok: bool
    tti: float | None = None  # s, GET start -> update_states
    html_s: float | None = None  # s, GET start -> last byte of the page
    ws_s: float | None = None  # s, GET start -> kernel websocket open
    widgets: int = 0  # widget models in update_states
    page_bytes: int = 0  # size of the HTML page
    state_bytes: int = 0  # size of the update_states frame
    error: str = ""
    kernel_id: str = ""


def decode_frame(frame: str | bytes) -> dict[str, Any]:
    """A kernel message from a JSON text frame or a legacy binary frame (JSON + buffers)."""
    if isinstance(frame, str):
        return json.loads(frame)
    (nbufs,) = struct.unpack("!I", frame[:4])
    offsets = struct.unpack(f"!{nbufs}I", frame[4 : 4 * (nbufs + 1)])
    end = offsets[1] if nbufs > 1 else len(frame)
    return json.loads(frame[offsets[0] : end].decode("utf-8"))


def _message(msg_type: str, session: str, content: dict[str, Any], **metadata: Any) -> str:
    return json.dumps(
        {
            "header": {
                "msg_id": uuid.uuid4().hex,
                "msg_type": msg_type,
                "username": "bench",
                "session": session,
                "date": datetime.now(UTC).isoformat(),
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": metadata,
            "content": content,
            "channel": "shell",
            "buffers": [],
        }
    )


def base_path(page_url: str, html: str) -> str:
    """The server's base path, ending in '/': the page's ``baseUrl`` (Voilà's
    ``jupyter-config-data``), else the page path before ``voila/``, else '/'."""
    found = BASE_URL.search(html)
    if found and found.group(1).startswith("/"):
        base = found.group(1)
    else:
        path = urlsplit(page_url).path
        base = path[: path.index("voila/")] if "voila/" in path else "/"
    return base if base.endswith("/") else base + "/"


def is_app(states: dict[str, Any]) -> bool:
    """True if the widget states are the stakeholder app's page: the banner and the join
    button (or, for a participant who already joined, the forms' Save buttons)."""
    banner = button = False
    for model in states.values():
        state = model.get("state", {})
        name = model.get("model_name", "")
        if name == "HTMLModel" and BANNER in str(state.get("value", "")):
            banner = True
        if name == "ButtonModel" and state.get("description") in (JOIN_BUTTON, SAVE_BUTTON):
            button = True
    return banner and button


class Participant:
    """One simulated browser tab; keeps its websocket open until :meth:`close`."""

    def __init__(self, url: str, http: AsyncHTTPClient, timeout: float) -> None:
        self.url = url
        self.http = http
        self.timeout = timeout
        self.ws: WebSocketClientConnection | None = None
        self.phase = "the page"  # what the participant is waiting for
        self.session = ""  # the websocket's session id (set once it is open)
        self.kernel_id = ""
        self.states: dict[str, Any] = {}  # widget states of update_states, by model id
        self.retries = 0  # "busy, retrying" pages followed before the app came

    async def run(self, start: float) -> Result:
        """Load the page; ``start`` is the shared perf_counter instant of the burst."""
        try:
            return await asyncio.wait_for(self._run(start), self.timeout)
        except TimeoutError:
            return Result(
                ok=False, error=f"timeout after {self.timeout:.0f} s waiting for {self.phase}"
            )
        except HTTPClientError as exc:
            return Result(ok=False, error=f"HTTP {exc.code}")
        except Exception as exc:  # every failure is counted and reported
            return Result(ok=False, error=f"{type(exc).__name__}: {exc}")

    async def _run(self, start: float) -> Result:
        while True:
            try:
                response = await self.http.fetch(
                    self.url, request_timeout=self.timeout, connect_timeout=self.timeout
                )
                break
            except HTTPClientError as exc:
                # the app server's "busy, retrying" page reloads itself after its
                # refresh delay, as a browser would (counted in the time to interactive)
                if exc.code != 503 or exc.response is None:
                    raise
                retry = re.search(rb'http-equiv="refresh" content="(\d+)"', exc.response.body)
                if retry is None:
                    raise
                self.retries += 1
                await asyncio.sleep(int(retry.group(1)))
        html = response.body.decode("utf-8", errors="replace")
        html_s = time.perf_counter() - start
        found = KERNEL_ID.search(html)
        if not found:
            return Result(ok=False, html_s=html_s, error="no kernel id in the page")
        kernel_id = found.group(1)
        parts = urlsplit(self.url)
        session = self.session = uuid.uuid4().hex
        self.kernel_id = kernel_id
        self.phase = "the kernel websocket"
        base = base_path(self.url, html)
        ws_url = f"ws://{parts.netloc}{base}api/kernels/{kernel_id}/channels?session_id={session}"
        self.ws = await websocket_connect(
            ws_url, connect_timeout=self.timeout, max_message_size=256 * 1024 * 1024
        )
        ws_s = time.perf_counter() - start
        comm_id = uuid.uuid4().hex
        target = {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}}
        await self.ws.write_message(_message("comm_open", session, target, version="1.0.0"))
        request = {"comm_id": comm_id, "data": {"method": "request_states"}}
        await self.ws.write_message(_message("comm_msg", session, request))
        self.phase = "the widget state"
        while True:
            frame = await self.ws.read_message()
            if frame is None:
                return Result(
                    ok=False, html_s=html_s, error="websocket closed", kernel_id=kernel_id
                )
            msg = decode_frame(frame)
            msg_type = msg.get("header", {}).get("msg_type")
            if msg.get("channel") != "iopub" or msg_type != "comm_msg":
                continue
            content = msg.get("content", {})
            data = content.get("data", {})
            if content.get("comm_id") != comm_id or data.get("method") != "update_states":
                continue
            tti = time.perf_counter() - start
            states = self.states = data.get("states", {})
            if not is_app(states):
                return Result(
                    ok=False,
                    html_s=html_s,
                    widgets=len(states),
                    error="page is not the app (no banner / join button in widget states)",
                    kernel_id=kernel_id,
                )
            return Result(
                True,
                tti,
                html_s,
                ws_s,
                len(states),
                len(response.body),
                len(frame),
                kernel_id=kernel_id,
            )

    def close(self) -> None:
        """Close the tab's websocket (the kernel stays until the server culls it)."""
        if self.ws is not None:
            self.ws.close()


async def burst(urls: list[str], timeout: float) -> tuple[list[Result], list[Participant]]:
    """All participants start at the same instant; returns results and the open tabs."""
    http = AsyncHTTPClient(force_instance=True, max_clients=len(urls) + 4)
    tabs = [Participant(url, http, timeout) for url in urls]
    start = time.perf_counter()
    results = await asyncio.gather(*(tab.run(start) for tab in tabs))
    http.close()
    return list(results), tabs
