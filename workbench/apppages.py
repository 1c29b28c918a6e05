"""The stakeholder app server's own pages and handlers (used by :mod:`workbench.appserver`).

- :func:`send_page` renders one of the workbench pages (gallery, refusal, busy) in the
  workbench look; :func:`busy` and :func:`refusal` are their contents;
- :class:`GalleryHandler` (``/``), :class:`HealthHandler` (``/workbench/health``),
  :class:`ArtefactHandler` (a published run's plots), :class:`GatedVoilaHandler` (Voilà's
  notebook handler behind the workshop-token check, keeping the page for a reload) and
  :class:`BeaconShutdownHandler` (the tab-close kernel shutdown, voila#1458).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import jinja2
import tornado.web
from jupyter_core.utils import ensure_async
from jupyter_server.base.handlers import APIHandler
from voila.tornado.handler import TornadoVoilaHandler

from workbench.exceptions import WorkbenchError
from workbench.i18n import LANGUAGES, N_, Translator, error_text, negotiate, translator
from workbench.i18n_page import localize_chunk
from workbench.kernelpool import pool_kernel_ids, ready_pool_kernels
from workbench.participation.tokens import hash_token
from workbench.workspace import skeleton_root

if TYPE_CHECKING:
    from workbench.appserver import AppServer

TEMPLATE_NAME = "workbench"
#: seconds a "busy" page waits before it asks again by itself
BUSY_RETRY_S = 5


def extensions_dir() -> Path:
    """The folder that holds ``voila/templates/workbench`` (put on JUPYTER_PATH)."""
    return skeleton_root() / "extensions"


def page_templates() -> jinja2.Environment:
    """The gallery and message page templates (autoescaped)."""
    folder = extensions_dir() / "voila" / "templates" / TEMPLATE_NAME
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder), autoescape=True, extensions=["jinja2.ext.i18n"]
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def browser_language(handler: tornado.web.RequestHandler) -> Translator:
    """The browser's language among all the workbench speaks (for pages of no workshop)."""
    return translator(negotiate(handler.request.headers.get("Accept-Language"), LANGUAGES))


def send_page(
    handler: tornado.web.RequestHandler,
    server: AppServer,
    name: str,
    status: int,
    t: Translator,
    **ns: Any,
) -> None:
    """Finish ``handler`` with one of our pages (gallery, refusal) in the workbench look,
    in ``t``'s language; the page gets the HTTP status as ``status_code``."""
    css = f"{server.base_url}voila/templates/{TEMPLATE_NAME}/static/workbench.css"
    handler.set_status(status)
    handler.set_header("Content-Type", "text/html; charset=utf-8")
    handler.set_header("Cache-Control", "no-store")
    handler.set_header("Content-Language", t.code)
    # rendering is synchronous on the server's one thread: the catalog cannot change midway
    server.pages.install_gettext_translations(t.catalog, newstyle=True)  # type: ignore[attr-defined]
    page = server.pages.get_template(name).render(
        css_url=css, status_code=status, lang=t.code, **ns
    )
    handler.finish(page)


NO_KERNEL_YET = N_("Many people are joining at once and no app is free yet.")


def busy(reason: str, t: Translator) -> dict[str, Any]:
    """The "busy, retrying" page (503): the page asks again by itself. ``reason`` is a
    msgid (``N_``)."""
    return {
        "status": 503,
        "title": t._("The workshop app is busy"),
        "message": t._("{reason} This page tries again by itself in {seconds} seconds.").format(
            reason=t._(reason), seconds=BUSY_RETRY_S
        ),
        "hint": t._("Nothing you answered is lost. Keep this page open."),
        "retry_s": BUSY_RETRY_S,
    }


def refusal(exc: WorkbenchError, t: Translator) -> dict[str, Any]:
    """The page for a page request the checks did not admit: a link that is not valid
    (403/404/409, says why), or a database that is busy or down (503, retries by itself;
    the link may well be valid)."""
    if exc.http_status == 503:
        return busy(N_("The workshop's database is busy or cannot be reached."), t)
    status = exc.http_status if exc.http_status in (403, 404, 409) else 403
    return {
        "status": status,
        "title": t._("You cannot open this page"),
        "message": error_text(exc, t),
        "hint": t._("Join links are personal. Ask the workshop facilitator for yours."),
    }


class GalleryHandler(tornado.web.RequestHandler):
    """``/``: the published apps (titles only; opening one needs a join link)."""

    def initialize(self, server: AppServer) -> None:
        self.server = server

    async def get(self) -> None:
        apps = await asyncio.get_running_loop().run_in_executor(None, self.server.gallery)
        send_page(self, self.server, "gallery.html.j2", 200, browser_language(self), apps=apps)


class HealthHandler(tornado.web.RequestHandler):
    """``/workbench/health``: pool sizes and kernel count (no personal data)."""

    def initialize(self, server: AppServer) -> None:
        self.server = server

    def get(self) -> None:
        km = self.server.kernel_manager
        pools = {nb: len(p) for nb, p in getattr(km, "_pools", {}).items()}
        ready = {nb: len(ids) for nb, ids in ready_pool_kernels(km).items()}
        reloads = self.server.reloads
        kept = sum(1 for p in reloads.pages.values() if p.release_at is not None)
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {
                    "kernels": len(km.list_kernel_ids()),
                    "pages_admitted": sum(self.server.served.values()),
                    "pools": pools,
                    "ready": ready,
                    "targets": self.server.targets(),
                    "reattachable": len(reloads.pages),
                    "kept_for_reload": kept,
                    "reattached": self.server.reattached,
                }
            )
        )


class ArtefactHandler(tornado.web.RequestHandler):
    """``/workbench/artefacts/<publication>/<template>/<name>.png``: a published run's plot.

    Only PNG artefacts of registered publications; content-addressed, so cacheable.
    """

    def initialize(self, server: AppServer) -> None:
        self.server = server

    async def get(self, publication_id: str, template: str, name: str) -> None:
        path = await asyncio.get_running_loop().run_in_executor(
            None, self.server.artefact_image, int(publication_id), template, name
        )
        if path is None:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", "public, max-age=86400, immutable")
        self.finish(path.read_bytes())


class GatedVoilaHandler(TornadoVoilaHandler):
    """Voilà's notebook handler behind a workshop-token check."""

    server: AppServer

    def initialize(self, **kwargs: Any) -> None:
        self.server = kwargs.pop("server")
        super().initialize(**kwargs)

    _capture: list[str] | None = None
    #: the page's language: its template words are put into it as they are sent
    _t: Translator | None = None

    def write(self, chunk: Any) -> None:
        """Send a piece of the page in its language (and keep it, for a reload of a
        personal link)."""
        if self._t is not None and isinstance(chunk, str):
            chunk = localize_chunk(chunk, self._t)
        if self._capture is not None and isinstance(chunk, str):
            self._capture.append(chunk)
        super().write(chunk)

    async def get(self, path: str | None = None) -> None:  # type: ignore[override]
        query = {k: v[-1] for k, v in parse_qs(self.request.query).items()}
        loop = asyncio.get_running_loop()
        notebook = path or ""
        accept = self.request.headers.get("Accept-Language")
        try:
            workshop_id, language = await loop.run_in_executor(
                None, self.server.check_request, notebook, query, accept
            )
        except WorkbenchError as exc:
            if exc.http_status == 503:
                self.log.warning("page request: the database is unavailable: %s", exc)
            t = browser_language(self)
            send_page(self, self.server, "message.html.j2", t=t, **refusal(exc, t))
            return
        t = translator(language)
        token_key = hash_token(query["token"]) if "token" in query else None
        if token_key is not None:
            page = self.server.reattach(token_key, notebook, language)
            if page is not None:  # a reload: the same page, on the kernel it had
                self.set_header("Content-Type", "text/html")
                self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
                self.set_header("Content-Language", language)
                self.finish(page.html)
                return
        if not await self.server.warm_kernel(notebook):
            send_page(self, self.server, "message.html.j2", t=t, **busy(NO_KERNEL_YET, t))
            return
        self.server.admitted(workshop_id, notebook)
        self._capture = [] if token_key is not None else None
        self._t = t
        self.set_header("Content-Language", language)
        await super().get(path)
        if self._capture is not None:
            html = "".join(self._capture)
            page = self.server.reloads.keep(token_key or "", notebook, html, language)
            if page is not None:
                self.server.watch_restarts(page.kernel_id)
            self._capture = None


class BeaconShutdownHandler(APIHandler):
    """Shut down a page's kernel when its tab closes (fixes the voila#1458 leak).

    The browser sends this with ``navigator.sendBeacon``, which carries no XSRF header;
    the kernel id (a random UUID only that page knows) is the capability. Pool kernels,
    which no page knows yet, are never shut down here.
    """

    def check_xsrf_cookie(self) -> None:
        return None

    def initialize(self, server: AppServer) -> None:
        self.server = server

    async def post(self, kernel_id: str) -> None:
        km = self.kernel_manager
        page_kernel = kernel_id in km.list_kernel_ids() and kernel_id not in pool_kernel_ids(km)
        # a kernel kept for a reload of its page is shut down after the grace period
        if page_kernel and not self.server.reloads.release(kernel_id, time.monotonic()):
            await ensure_async(km.shutdown_kernel(kernel_id))
        self.set_status(204)
        self.finish()
