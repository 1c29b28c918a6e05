"""The JSON handler base of the workbench's REST API (shared by every REST module)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler

from workbench.exceptions import InvalidInput, WorkbenchError
from workbench.server.body import BodyError, parse_object
from workbench.service import Workbench

__all__ = ["ApiBase", "jsonable"]


class ApiBase(APIHandler):
    """Parse the JSON body, call one service method in a worker thread, render JSON."""

    @property
    def wb(self) -> Workbench:
        """The workspace, for the Hub user of this request when behind JupyterHub."""
        service: Workbench = self.settings["workbench_service"]
        hub_user = getattr(self.current_user, "hub_user", None)
        if isinstance(hub_user, dict):  # a JupyterHub single-user server: rights apply
            from workbench.hub.rights import HubIdentity

            return service.as_user(HubIdentity.from_model(hub_user))
        return service

    def body(self) -> dict[str, Any]:
        """The request's JSON object (see :mod:`workbench.server.body`); 4xx if refused."""
        try:
            return parse_object(self.request.body, self.request.headers.get("Content-Type"))
        except BodyError as exc:
            raise tornado.web.HTTPError(exc.status, str(exc)) from None

    async def call(self, fn: Callable[..., Any], *args: Any, status: int = 200, **kw: Any) -> None:
        ok, result = await self.run(fn, *args, **kw)
        if ok:
            self.set_status(status)
            self.finish(json.dumps(jsonable(result), default=str))

    async def run(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> tuple[bool, Any]:
        """Call ``fn`` in a worker thread; a domain error is answered here (ok is False)."""
        try:
            return True, await asyncio.to_thread(fn, *args, **kw)
        except InvalidInput as exc:
            self.set_status(exc.http_status)
            self.finish(
                {
                    "error": str(exc) or "invalid input",
                    "problems": [
                        {"key": p.key, "message": p.message, "source": p.source}
                        for p in exc.problems
                    ],
                }
            )
        except WorkbenchError as exc:
            self.set_status(exc.http_status)
            self.finish({"error": str(exc)})
        return False, None


def jsonable(value: Any) -> Any:
    """A service result as JSON-ready data (dataclasses, lists, dicts, ``as_dict``)."""
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {k: jsonable(v) for k, v in value.__dict__.items()}
    return value
