"""Hardening of the stakeholder app server's HTTP edge (used by :mod:`workbench.appserver`).

Two gaps in the stock Voilà/tornado stack, closed here:

- **Oversized requests.** tornado reads at most 64 KB of request line and headers and
  then drops the connection without any response, so a participant whose link was
  mangled into a huge one sees "connection reset". :func:`harden_handlers` lets tornado
  read up to :data:`HEADER_LIMIT` and puts a rule in front of every route that answers a
  request line longer than :data:`MAX_URI` with 414, or headers larger than
  :data:`MAX_HEADERS` with 431: a readable page, before any handler, database query or
  kernel is involved.
- **Template static files.** Voilà's ``TemplateStaticFileHandler`` splits the URL with
  ``assert`` and tuple unpacking, so a traversal such as
  ``/voila/templates/workbench/static/../../x`` or a path without ``/static/`` raises
  ``AssertionError``/``ValueError``: a 500 (nothing leaks, but a 500 is a bug).
  :class:`SafeTemplateStaticFileHandler` accepts only ``<template>/static/<file path>``
  made of plain names and answers anything else with 404.
"""

from __future__ import annotations

import functools
import re
from html import escape
from typing import Any

import tornado.web
from tornado.httputil import HTTPServerRequest
from tornado.routing import Matcher, Rule
from voila.static_file_handler import TemplateStaticFileHandler

from workbench.i18n import LANGUAGES, negotiate, translator

#: what tornado reads of request line + headers before it gives up (was 64 KB)
HEADER_LIMIT = 4 * 1024 * 1024
#: longest request line (path and query) answered; a join link is about 150 characters
MAX_URI = 16 * 1024
#: largest total size of the request headers answered
MAX_HEADERS = 64 * 1024

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def headers_size(request: HTTPServerRequest) -> int:
    """Bytes of the request's header lines (names, values, ``": "`` and CRLF)."""
    return sum(len(k) + len(v) + 4 for k, v in request.headers.get_all())


class OversizedRequest(Matcher):
    """Matches requests whose request line or headers are too large to be answered."""

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        if len(request.uri or "") > MAX_URI or headers_size(request) > MAX_HEADERS:
            return {}
        return None


class RefuseOversized(tornado.web.RequestHandler):
    """414 (request line) or 431 (headers), as a small page; for every method."""

    def prepare(self) -> None:
        uri_too_long = len(self.request.uri or "") > MAX_URI
        status = 414 if uri_too_long else 431
        t = translator(negotiate(self.request.headers.get("Accept-Language"), LANGUAGES))
        title = t._("This link is too long") if uri_too_long else t._("The request is too large")
        advice = t._(
            "Please open the join link exactly as your workshop facilitator gave it to you."
        )
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Language", t.code)
        self.set_header("Cache-Control", "no-store")
        self.finish(
            f"<!doctype html><html lang='{t.code}'><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>"
            f"<p>{escape(advice)}</p></main></body></html>"
        )


class SafeTemplateStaticFileHandler(TemplateStaticFileHandler):
    """Voilà's template static files, for well-formed paths only (else 404, never 500)."""

    def parse_url_path(self, url_path: str) -> str:
        parts = url_path.split("/")
        if (
            len(parts) < 3
            or parts[1] != "static"
            or not all(_NAME.fullmatch(part) for part in parts)
        ):
            raise tornado.web.HTTPError(404)
        return str(super().parse_url_path(url_path))


def harden_handlers(handlers: list[Any], app: tornado.web.Application) -> list[Any]:
    """The app server's handlers with the guards above; call from ``init_handlers``.

    ``app`` is the Voilà application about to listen (``Voila.start`` creates it before
    it asks for the handlers): it will read headers up to :data:`HEADER_LIMIT`.
    """
    app.listen = functools.partial(app.listen, max_header_size=HEADER_LIMIT)  # type: ignore[method-assign]
    out: list[Any] = [Rule(OversizedRequest(), RefuseOversized)]
    for handler in handlers:
        if isinstance(handler, tuple | list) and handler[1] is TemplateStaticFileHandler:
            out.append((handler[0], SafeTemplateStaticFileHandler, *handler[2:]))
        else:
            out.append(handler)
    return out
