"""REST handlers (``/workbench/api/...``) and the facilitator page. All need Jupyter auth.

Each handler parses its input, calls one service method in a worker thread (the
database is synchronous) and renders JSON; errors become ``{"error", "problems"}`` with
the error's HTTP status.
"""

from __future__ import annotations

import asyncio
from html import escape
from typing import Any

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join

from workbench.config import Settings
from workbench.exceptions import AccessDenied
from workbench.facilitation.notebook import dashboard_url
from workbench.participation.workshops import STATES, WorkshopService
from workbench.server.base import ApiBase
from workbench.server.body import MAX_BODY
from workbench.server.case_handlers import case_routes
from workbench.server.evidence_pages import evidence_routes
from workbench.server.recommendation_handlers import recommendation_routes
from workbench.service import Workbench

__all__ = ["MAX_BODY", "setup_handlers"]
#: Ids and round numbers are 32-bit integers in the database; larger ones cannot exist.
MAX_ID = 2**31 - 1


def _id(text: str) -> int:
    """A workshop id from the URL; one too large for the database is simply not found."""
    if len(text) > 10 or int(text) > MAX_ID:
        raise tornado.web.HTTPError(404, f"no workshop with id {_shown(text)}")
    return int(text)


def _shown(text: str) -> str:
    return text if len(text) <= 20 else f"{text[:20]}…"


def _int(value: Any, name: str, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise tornado.web.HTTPError(400, f"{name} must be an integer")
    if not -MAX_ID - 1 <= value <= MAX_ID:  # the database holds 32-bit integers
        raise tornado.web.HTTPError(400, f"{name} {value} is out of range")
    return value


class AppsHandler(ApiBase):
    """GET: published apps. POST {"case": slug}: publish a case study."""

    @tornado.web.authenticated
    async def get(self) -> None:
        await self.call(self.wb.apps)

    @tornado.web.authenticated
    async def post(self) -> None:
        await self.call(self.wb.publish, str(self.body().get("case", "")), status=201)


class WorkshopsHandler(ApiBase):
    """GET: workshops. POST {"case", "title"?, "expected"?, "expected_mix"?, "scale"?}:
    create one (``expected_mix`` maps stakeholder groups to counts)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        state = self.get_argument("state", None)
        if state is not None and state not in STATES:
            raise tornado.web.HTTPError(400, f"state must be one of {', '.join(STATES)}")
        await self.call(self.wb.workshops.list, state)

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body()
        expected = body.get("expected")
        scale = body.get("scale")
        mix = body.get("expected_mix")
        if mix is not None and not isinstance(mix, dict):
            raise tornado.web.HTTPError(400, "expected_mix must be an object of group: count")
        languages = body.get("languages")
        if languages is not None and not (
            isinstance(languages, list) and all(isinstance(c, str) for c in languages)
        ):
            raise tornado.web.HTTPError(400, "languages must be a list of language codes")
        language = body.get("language")
        if language is not None and not isinstance(language, str):
            raise tornado.web.HTTPError(400, "language must be a language code, e.g. 'es'")
        await self.call(
            self.wb.create_workshop,
            str(body.get("case", "")),
            title=body.get("title"),
            expected=None if expected is None else _int(expected, "expected"),
            expected_mix=None if mix is None else {str(g): _int(n, g) for g, n in mix.items()},
            scale=None if scale is None else _int(scale, "scale"),
            language=language,
            languages=languages,
            status=201,
        )


class WorkshopHandler(ApiBase):
    """GET one workshop."""

    @tornado.web.authenticated
    async def get(self, workshop_id: str) -> None:
        await self.call(self.wb.workshops.get, _id(workshop_id))


class WorkshopActionHandler(ApiBase):
    """POST open | close | next-round."""

    @tornado.web.authenticated
    async def post(self, workshop_id: str, action: str) -> None:
        await self.call(self.wb.workshops.act, _id(workshop_id), action)


class LinksHandler(ApiBase):
    """POST {"count": n, "valid_hours"?: h} or {"shared": true}: new join links."""

    @tornado.web.authenticated
    async def post(self, workshop_id: str) -> None:
        body = self.body()
        if body.get("shared") is True:
            await self.call(
                lambda: {"url": self.wb.workshops.shared_link(_id(workshop_id))}, status=201
            )
            return
        hours = body.get("valid_hours")
        if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int | float)):
            raise tornado.web.HTTPError(400, "valid_hours must be a number")
        await self.call(
            self.wb.workshops.links,
            _id(workshop_id),
            _int(body.get("count"), "count", 1),
            valid_hours=hours,
            status=201,
        )


class ParticipationHandler(ApiBase):
    """GET live participation per stakeholder group."""

    @tornado.web.authenticated
    async def get(self, workshop_id: str) -> None:
        await self.call(self.wb.workshops.participation, _id(workshop_id))


class ModerationHandler(ApiBase):
    """GET the moderation queue and log; POST {target_kind, target_id, action, reason}."""

    @tornado.web.authenticated
    async def get(self, workshop_id: str) -> None:
        wid = _id(workshop_id)
        await self.call(
            lambda: {
                "queue": self.wb.moderation.queue(wid),
                "log": self.wb.moderation.log(wid),
            }
        )

    @tornado.web.authenticated
    async def post(self, workshop_id: str) -> None:
        body = self.body()
        user = self.current_user
        actor = getattr(user, "username", None) or "facilitator"
        await self.call(
            self.wb.moderation.moderate,
            _id(workshop_id),
            target_kind=str(body.get("target_kind", "")),
            target_id=_int(body.get("target_id"), "target_id"),
            action=str(body.get("action", "")),
            reason=str(body.get("reason", "")),
            actor=f"facilitator ({actor})"[:80],
        )


class AnalysisHandler(ApiBase):
    """GET ?round=N: every dashboard figure of a round as JSON (default: current round)."""

    @tornado.web.authenticated
    async def get(self, workshop_id: str) -> None:
        raw = self.get_argument("round", "")
        if raw and not (raw.isascii() and raw.isdigit()):
            raise tornado.web.HTTPError(400, "round must be a positive integer")
        if len(raw) > 10 or (raw and int(raw) > MAX_ID):
            raise tornado.web.HTTPError(400, f"round {_shown(raw)} does not exist")
        await self.call(self.wb.analysis, _id(workshop_id), int(raw) if raw else None)


class DownloadHandler(ApiBase):
    """GET ``export?format=xlsx|csv|json`` (csv zipped) or ``minutes`` (offline HTML) as an
    attachment, so participant text is never rendered on the lab's origin."""

    @tornado.web.authenticated
    async def get(self, workshop_id: str, what: str) -> None:
        if what == "export":
            fmt = self.get_argument("format", "xlsx")
            ok, file = await self.run(self.wb.export_download, _id(workshop_id), fmt)
        else:
            ok, file = await self.run(self.wb.minutes_download, _id(workshop_id))
        if not ok:
            return
        self.set_header("Content-Disposition", f'attachment; filename="{file.filename}"')
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        self.finish(file.data, set_content_type=file.media_type)


class FacilitatorPage(JupyterHandler):
    """A live overview of workshops and participation (refreshes every 5 s)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        wb: Workbench = self.settings["workbench_service"]
        workshops = await asyncio.to_thread(wb.workshops.list)
        rows = []
        for info in workshops:
            try:
                part = await asyncio.to_thread(wb.workshops.participation, info.id)
            except AccessDenied:  # behind JupyterHub: a workshop outside the user's rights
                continue
            groups = ", ".join(
                f"{escape(g['group'] or '?')}: {g['registered']} ({g['active']} active)"
                for g in part.groups
            )
            rows.append(
                f"<tr><td>{info.id}</td><td>{escape(info.title)}</td>"
                f"<td>{escape(info.case_slug)}</td><td>{escape(info.state)}</td>"
                f"<td>{info.current_round}</td><td>{part.registered} / {info.expected_participants}"
                f"</td><td>{part.active}</td><td>{groups or '–'}</td>"
                f"<td><a href='{escape(dashboard_url(self.base_url, info.id))}'>open</a></td></tr>"
            )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta http-equiv='refresh' content='5'><title>Workshops – facilitator</title>"
            "<style>body{font:16px system-ui,sans-serif;margin:2rem;color:#1a1a1a}"
            "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.4rem .6rem;"
            "text-align:left}th{background:#e8eef5}</style></head><body>"
            "<h1>Workshops</h1><p>Live participation; refreshes every 5 seconds. "
            "Manage workshops with <code>workbench workshop …</code> or the REST API at "
            "<code>/workbench/api/workshops</code>.</p>"
            "<table><thead><tr><th>Id</th><th>Title</th><th>Case study</th><th>State</th>"
            "<th>Round</th><th>Registered / expected</th><th>Active this round</th>"
            "<th>By stakeholder group</th><th>Dashboard</th></tr></thead><tbody>"
            + ("".join(rows) or "<tr><td colspan='9'>No workshops yet.</td></tr>")
            + "</tbody></table></body></html>"
        )


def setup_handlers(web_app: Any, settings: Settings | None = None) -> None:
    """Register the handlers on a Jupyter server's tornado application."""

    web_app.settings["workbench_service"] = Workbench(settings or Settings())
    base = url_path_join(web_app.settings["base_url"], "workbench")
    wid = r"(?P<workshop_id>\d+)"
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "api/apps"), AppsHandler),
            (url_path_join(base, "api/workshops"), WorkshopsHandler),
            (url_path_join(base, f"api/workshops/{wid}"), WorkshopHandler),
            (
                url_path_join(
                    base, f"api/workshops/{wid}/(?P<action>{'|'.join(WorkshopService.ACTIONS)})"
                ),
                WorkshopActionHandler,
            ),
            (url_path_join(base, f"api/workshops/{wid}/links"), LinksHandler),
            (url_path_join(base, f"api/workshops/{wid}/participation"), ParticipationHandler),
            (url_path_join(base, f"api/workshops/{wid}/moderation"), ModerationHandler),
            (url_path_join(base, f"api/workshops/{wid}/analysis"), AnalysisHandler),
            (
                url_path_join(base, f"api/workshops/{wid}/(?P<what>export|minutes)"),
                DownloadHandler,
            ),
            (url_path_join(base, "facilitator"), FacilitatorPage),
            *evidence_routes(base),
            *recommendation_routes(base),
            *case_routes(base),
        ],
    )
