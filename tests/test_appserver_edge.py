"""Hostile requests at the stakeholder app server of ``served`` (Voilà, locked down).

Oversized query strings and path traversal on every route get a clean 4xx (never a 500,
never a traceback, never a file), no page is given a kernel (``/workbench/health`` counts
them), and the server answers a valid request right after. The guards are
:mod:`workbench.apphandlers`: without them tornado drops a request line past 64 KB with no
answer, Voilà's template handler answers traversal with a 500, and an artefact id past
4300 digits (or past the database's range) is a 500.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

NOTEBOOK = "es61-manufacturing-youth.ipynb"


def request(served: Any, path: str, method: str = "GET") -> tuple[int | str, str]:
    """Raw HTTP (the path is sent verbatim); a dropped connection is its error's name."""
    parts = urlsplit(served.app_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=b"" if method == "POST" else None)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", errors="replace")
    except (ConnectionError, http.client.HTTPException) as exc:
        return type(exc).__name__, ""
    finally:
        conn.close()


def health(served: Any) -> dict[str, Any]:
    status, body = request(served, "/workbench/health")
    assert status == 200, body
    data: dict[str, Any] = json.loads(body)
    return data


def assert_no_page_opened(served: Any, before: dict[str, Any]) -> None:
    """No request since ``before`` was given a kernel or a kept page. (Kernel counts are
    no proof: the pools refill and idle kernels are culled meanwhile.)"""
    after = health(served)
    assert after["pages_admitted"] == before["pages_admitted"]
    assert after["reattached"] == before["reattached"]


def assert_refused(status: int | str, body: str, allowed: tuple[int, ...], what: str) -> None:
    assert status in allowed, (what, status, body[:300])
    assert "Traceback" not in body and 'File "' not in body, what
    assert "root:" not in body, what  # no /etc/passwd


def still_serving(served: Any) -> None:
    """The follow-up valid requests: gallery, stylesheet and health."""
    status, body = request(served, "/")
    assert status == 200 and "es61" in body.lower()
    status, _ = request(served, "/voila/templates/workbench/static/workbench.css")
    assert status == 200
    health(served)


def test_oversized_query_strings_are_refused_before_any_kernel(served: Any) -> None:
    before = health(served)
    wid = served.workshop_id
    for size in (20_000, 100_000, 1_000_000):
        for query in (f"workshop={wid}&token={'A' * size}", f"workshop={'9' * size}&token=x"):
            status, body = request(served, f"/voila/render/{NOTEBOOK}?{query}")
            assert_refused(status, body, (400, 403, 414, 431), f"{size} bytes")
    assert_no_page_opened(served, before)
    still_serving(served)


TRAVERSALS = [
    "../../../../etc/passwd",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..%5c..%5c..%5cetc%5cpasswd",
    "..\\..\\..\\etc\\passwd",
    "....//....//....//etc/passwd",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
]
ROUTES = [
    "/",
    "/voila/render/",
    f"/voila/render/{NOTEBOOK}/",
    "/voila/static/",
    "/voila/templates/",
    "/voila/templates/workbench/",
    "/voila/templates/workbench/static/",
    "/voila/templates/lab/static/",
    "/voila/api/themes/",
    "/voila/api/shutdown/",
    "/voila/files/",
    "/voila/tree/",
    "/voila/api/contents/",
    "/workbench/",
    "/workbench/artefacts/",
    "/workbench/artefacts/1/",
    "/workbench/artefacts/1/evidence_review/",
    "/api/kernels/",
    "/api/kernels/00000000-0000-0000-0000-000000000000/",
    "/files/",
    "/static/",
]


@pytest.mark.parametrize("attack", TRAVERSALS)
def test_path_traversal_on_every_route(served: Any, attack: str) -> None:
    before = health(served)
    for route in ROUTES:
        for method in ("GET", "POST"):
            status, body = request(served, route + attack, method)
            allowed: tuple[int, ...] = (400, 403, 404, 405)
            if method == "POST" and route == "/voila/api/shutdown/":
                # the tab-close beacon answers 204 whatever the id (it shuts down only a
                # running page kernel by its id; the kernel count below proves none went)
                allowed = (204, *allowed)
            assert_refused(status, body, allowed, f"{method} {route}{attack}")
    assert_no_page_opened(served, before)
    still_serving(served)


def test_artefact_ids_past_the_database_range_are_404(served: Any) -> None:
    for digits in ("2147483648", "9" * 30, "9" * 5000):
        status, body = request(served, f"/workbench/artefacts/{digits}/evidence_review/x.png")
        assert_refused(status, body, (404,), digits[:20])
    status, body = request(served, "/workbench/artefacts/999999/evidence_review/x.png")
    assert_refused(status, body, (404,), "unknown publication")
    still_serving(served)
