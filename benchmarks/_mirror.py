"""The widget mirror of a participant's page, over the kernel websocket.

:class:`WidgetMirror` loads a join link like :class:`_wsclient.Participant` (GET, kernel
websocket, ``request_states``) and then keeps a mirror of every widget model: the
``update_states`` reply, the ``comm_open`` of each widget the kernel creates later and
every ``update`` / ``echo_update``. It acts on widgets as the ipywidgets manager of a
browser does:

- set values: ``comm_msg {"method": "update", "state": {...}, "buffer_paths": []}``;
- click: ``comm_msg {"method": "custom", "content": {"event": "click"}}``.

The kernel handles shell messages in order and publishes ``status: idle`` (with the
message as parent) once the handler has returned; :meth:`WidgetMirror.settle` waits for
that. The workshop's forms are in :mod:`_driver`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from _wsclient import Participant, Result, decode_frame
from tornado.httpclient import AsyncHTTPClient


class ConnectionLost(RuntimeError):
    """The page's websocket closed (server or kernel gone)."""


def _ref(model_id: str) -> str:
    return f"IPY_MODEL_{model_id}"


def _message(msg_type: str, session: str, content: dict[str, Any], msg_id: str) -> str:
    return json.dumps(
        {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "username": "participant",
                "session": session,
                "date": datetime.now(UTC).isoformat(),
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": "shell",
            "buffers": [],
        }
    )


class WidgetMirror(Participant):
    """A participant's open page: a live mirror of its widgets, and setting values and
    clicking as the browser's widget manager does (see the module doc)."""

    def __init__(
        self,
        url: str,
        http: AsyncHTTPClient,
        timeout: float = 120.0,
    ) -> None:
        super().__init__(url, http, timeout)
        self.models: dict[str, dict[str, Any]] = {}  # model id -> model name and state
        self.created: list[str] = []  # model ids, oldest first
        self.closed = False
        self._idle: dict[str, asyncio.Future[None]] = {}
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._last: asyncio.Future[None] | None = None  # idle of the last message sent
        self._answers: dict[str, asyncio.Future[None]] = {}  # request_state probes by id
        self._seq = 0  # updates received so far
        self.comm_closes = 0  # widgets the kernel closed
        self._touched: dict[str, int] = {}  # model id -> ``_seq`` of its latest update

    # -- connection ---------------------------------------------------------------------
    async def open(self) -> Result:
        """Load the page and start following the kernel's messages."""
        result = await self.run(time.perf_counter())
        if result.ok:
            for model_id, model in self.states.items():
                self._add(model_id, model.get("state", {}))
            self._reader = asyncio.create_task(self._read())
        return result

    def _add(self, model_id: str, state: dict[str, Any]) -> None:
        if model_id not in self.models:
            self.created.append(model_id)
        self.models[model_id] = {"model_name": state.get("_model_name", ""), "state": dict(state)}

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            while True:
                frame = await self.ws.read_message()
                if frame is None:
                    break
                self._handle(decode_frame(frame))
        finally:
            self.closed = True
            for fut in [*self._idle.values(), *self._answers.values()]:
                if not fut.done():
                    fut.set_exception(ConnectionLost("the page's websocket closed"))
                    fut.exception()  # retrieved: nobody may be waiting for it
            self._changed.set()

    def _handle(self, msg: dict[str, Any]) -> None:
        if msg.get("channel") != "iopub":
            return
        msg_type = msg.get("header", {}).get("msg_type")
        content = msg.get("content", {})
        if msg_type == "status" and content.get("execution_state") == "idle":
            fut = self._idle.pop(msg.get("parent_header", {}).get("msg_id", ""), None)
            if fut is not None and not fut.done():
                fut.set_result(None)
        elif msg_type == "comm_open" and content.get("target_name") == "jupyter.widget":
            self._add(content["comm_id"], content.get("data", {}).get("state", {}))
            self._changed.set()
        elif msg_type == "comm_msg":
            data = content.get("data", {})
            model = self.models.get(content.get("comm_id", ""))
            answer = self._answers.pop(msg.get("parent_header", {}).get("msg_id", ""), None)
            if answer is not None and not answer.done():
                answer.set_result(None)
            if model is not None and data.get("method") in ("update", "echo_update"):
                model["state"].update(data.get("state", {}))
                self._seq += 1
                self._touched[content["comm_id"]] = self._seq
                self._changed.set()
        elif msg_type == "comm_close":
            self.models.pop(content.get("comm_id", ""), None)
            self.comm_closes += 1

    def close(self) -> None:
        """Close the tab's websocket."""
        super().close()
        if self._reader is not None:
            self._reader.cancel()

    async def send(self, model_id: str, data: dict[str, Any], *, wait: bool = True) -> str:
        """A ``comm_msg`` to one widget; waits until the kernel has handled it."""
        if self.closed or self.ws is None:
            raise ConnectionLost("the page's websocket is closed")
        msg_id = uuid.uuid4().hex
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._idle[msg_id] = fut
        self._last = fut
        content = {"comm_id": model_id, "data": data}
        try:
            await self.ws.write_message(_message("comm_msg", self.session, content, msg_id))
        except Exception as exc:  # WebSocketClosedError, StreamClosedError
            self._idle.pop(msg_id, None)
            raise ConnectionLost(f"{type(exc).__name__}: {exc}") from exc
        if wait:
            await self.settle()
        return msg_id

    async def settle(self) -> None:
        """Wait until the kernel has handled every message sent so far (shell order), so
        the mirror holds its replies and echoes too: the ``idle`` of the last message, or,
        if that does not come within 5 s (a busy kernel, or jupyter_server dropping iopub
        messages beyond 1,000/s after a flood), a :meth:`sync` round trip."""
        if self._last is None or self._last.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._last), 5.0)
        except TimeoutError:
            await self.sync()

    async def sync(self) -> None:
        """Wait until the kernel has handled every message sent so far: ask a widget for
        its state (``request_state``, handled in order after them) and wait for the idle
        or the state it answers with; ask again every 3 s while iopub messages are being
        dropped. (A ``kernel_info_request`` would not do: ipykernel 7 answers it from
        another thread, ahead of the comm messages queued before it.)"""
        deadline = time.monotonic() + self.timeout
        probe = next(m for m in self.created if m in self.models)
        while True:
            msg_id = uuid.uuid4().hex
            loop = asyncio.get_running_loop()
            idle: asyncio.Future[None] = loop.create_future()
            answer: asyncio.Future[None] = loop.create_future()
            self._idle[msg_id], self._answers[msg_id] = idle, answer
            try:
                await self.ws.write_message(  # type: ignore[union-attr]
                    _message(
                        "comm_msg",
                        self.session,
                        {"comm_id": probe, "data": {"method": "request_state"}},
                        msg_id,
                    )
                )
            except Exception as exc:  # WebSocketClosedError, StreamClosedError
                raise ConnectionLost(f"{type(exc).__name__}: {exc}") from exc
            done, _ = await asyncio.wait(
                [idle, answer], timeout=3.0, return_when=asyncio.FIRST_COMPLETED
            )
            for fut in done:
                fut.result()  # ConnectionLost if the websocket closed
            if done:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer from the kernel within {self.timeout:.0f} s")
        if self._last is not None and not self._last.done():
            self._last.set_result(None)  # handled: its idle was dropped on the way

    async def update(self, model_id: str, wait: bool = True, **state: Any) -> None:
        """Set widget values as the browser does (and mirror them)."""
        self.models[model_id]["state"].update(state)
        await self.send(
            model_id, {"method": "update", "state": state, "buffer_paths": []}, wait=wait
        )

    async def click(self, model_id: str, wait: bool = True) -> None:
        """Click a button."""
        await self.send(model_id, {"method": "custom", "content": {"event": "click"}}, wait=wait)

    # -- finding widgets ----------------------------------------------------------------
    def state(self, model_id: str) -> dict[str, Any]:
        """The mirrored state of one widget."""
        return self.models[model_id]["state"]

    def name(self, model_id: str) -> str:
        """A widget's model name, e.g. ``ButtonModel``."""
        return str(self.models.get(model_id, {}).get("model_name", ""))

    def children(self, model_id: str) -> list[str]:
        """Ids of a box's children (that the mirror knows)."""
        refs = self.models.get(model_id, {}).get("state", {}).get("children", [])
        return [r[len("IPY_MODEL_") :] for r in refs if r[len("IPY_MODEL_") :] in self.models]

    def descendants(self, model_id: str) -> list[str]:
        """Ids of every widget inside a box, depth first."""
        out: list[str] = []
        for child in self.children(model_id):
            out += [child, *self.descendants(child)]
        return out

    def find(self, model_name: str, **match: Any) -> list[str]:
        """Ids of live widgets of one model whose state has these values, oldest first."""
        return [
            mid
            for mid in self.created
            if mid in self.models
            and self.name(mid) == model_name
            and all(self.state(mid).get(k) == v for k, v in match.items())
        ]

    def find_html(self, needle: str) -> list[str]:
        """Ids of HTML widgets whose value contains ``needle``, oldest first."""
        return [
            mid
            for mid in self.created
            if mid in self.models
            and self.name(mid) == "HTMLModel"
            and needle in str(self.state(mid).get("value", ""))
        ]

    def parent(self, model_id: str) -> str | None:
        """The newest box that holds ``model_id``."""
        ref = _ref(model_id)
        holders = [
            m
            for m in self.created
            if ref in self.models.get(m, {}).get("state", {}).get("children", [])
        ]
        return holders[-1] if holders else None
