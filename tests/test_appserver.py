"""The stakeholder app server (``workbench.appserver``) behind a real ``workbench serve``.

Runs against the session fixture ``served``. Every page GET with a valid link uses a
preheated kernel: each test that needs a page loads its own (fixture ``page``) and shuts
its kernel down again at the end, so the tests pass in any order; everything else is
refused before a kernel is touched.
"""

from __future__ import annotations

import asyncio
import html
import http.client
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import _axe
import markupsafe
import pytest
from sqlalchemy import text
from tornado.websocket import websocket_connect

from workbench.db import participation as store
from workbench.db.models import Publication

APP = "es61-manufacturing-youth.ipynb"
POOL_SYNC_S = 2.0
WRITE_TABLES = ("participant", "submission", "feedback", "statement", "workshop")
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


# -- helpers -----------------------------------------------------------------------------
@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


def request(served: Any, method: str, path: str, **kw: Any) -> Response:
    """A raw HTTP request to the app server; ``path`` is sent exactly as given."""
    parts = urlsplit(served.app_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, **kw)
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", errors="replace")  # the whole body
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
    finally:
        conn.close()


def on_app_server(served: Any, link: str) -> str:
    """Path and query of a join link (links carry the configured public URL)."""
    parts = urlsplit(link)
    assert parts.path == f"/voila/render/{APP}", link
    return f"{parts.path}?{parts.query}"


def query_of(link: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(link).query).items()}


def health(served: Any) -> dict[str, Any]:
    resp = request(served, "GET", "/workbench/health")
    assert resp.status == 200
    data: dict[str, Any] = json.loads(resp.body)
    return data


def settle(served: Any, timeout: float = 180) -> dict[str, Any]:
    """Health once the pools are warm, no closed page's kernel waits for its reload grace
    period to end (it would be shut down meanwhile), and nothing changed over two
    pool-sync periods."""
    deadline = time.monotonic() + timeout
    last = health(served)
    while time.monotonic() < deadline:
        time.sleep(POOL_SYNC_S * 1.25)
        now = health(served)
        if now == last and now["ready"] == now["pools"] and now["kept_for_reload"] == 0:
            return now
        last = now
    raise AssertionError(f"the app server's pools did not settle: {last}")


def connection_dir(served: Any) -> Path:
    log = (served.home / "var" / "logs" / "appserver.log").read_text(errors="replace")
    found = re.findall(r"Storing connection files in (\S+?)\.?$", log, re.M)
    assert found, "the app server log does not say where its kernel files are"
    return Path(found[-1])


def kernel_ids(served: Any) -> set[str]:
    """Ids of the app server's kernels, from their connection files."""
    return {p.stem.removeprefix("kernel-") for p in connection_dir(served).glob("kernel-*.json")}


def kernel_model(served: Any, kernel_id: str) -> dict[str, Any] | None:
    resp = request(served, "GET", f"/api/kernels/{kernel_id}")
    if resp.status == 404:
        return None
    assert resp.status == 200, resp
    model: dict[str, Any] = json.loads(resp.body)
    return model


def row_counts(served: Any) -> dict[str, int]:
    wb = served.service()
    try:
        with wb.db.engine.connect() as conn:
            return {
                t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                for t in WRITE_TABLES
            }
    finally:
        wb.close()


def beacon(served: Any, kernel_id: str) -> Response:
    """What navigator.sendBeacon sends on tab close: a POST without XSRF cookie or header."""
    return request(
        served,
        "POST",
        f"/voila/api/shutdown/{kernel_id}",
        body=b"",
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


# -- fixtures ----------------------------------------------------------------------------
@dataclass
class Page:
    link: str
    html: str
    kernel_id: str


@pytest.fixture
def page(served: Any) -> Iterator[Page]:
    """A stakeholder page of this test's own (one preheated kernel, given back afterwards).

    Function-scoped: a test that shuts its page's kernel down (the beacon test) leaves
    nothing behind that another test relies on.
    """
    link = on_app_server(served, served.link())
    settle(served)  # a warm kernel is waiting, whatever ran before
    resp = request(served, "GET", link)
    assert resp.status == 200, resp.body[:2000]
    found = re.search(rf'"kernelId"\s*:\s*"({UUID_RE})"', resp.body)
    assert found, "no kernel id in the page"
    yield Page(link, resp.body, found.group(1))
    beacon(served, found.group(1))  # give the kernel back even if a test failed


@pytest.fixture(scope="module")
def workshop_b(served: Any) -> Iterator[int]:
    """A second open workshop on the same app (closed again afterwards)."""
    wb = served.service()
    try:
        info = wb.create_workshop("es61-manufacturing-youth", title="B", expected=1)
        wb.workshops.open(info.id)
    finally:
        wb.close()
    yield info.id
    wb = served.service()
    try:
        wb.workshops.close(info.id)
    finally:
        wb.close()


# -- 1. a page cannot run code -----------------------------------------------------------
def _msg(session: str, msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "session": session,
            "username": "",
            "date": datetime.now(UTC).isoformat(),
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": content,
        "channel": "shell",
        "buffers": [],
    }


async def _talk(url: str, session: str, marker: Path) -> dict[str, Any]:
    ws = await websocket_connect(url)
    try:

        async def read_until(deadline: float) -> list[dict[str, Any]]:
            got = []
            loop = asyncio.get_running_loop()
            while (left := deadline - loop.time()) > 0:
                try:
                    raw = await asyncio.wait_for(ws.read_message(), left)
                except TimeoutError:
                    break
                assert raw is not None, "the server closed the kernel websocket"
                if isinstance(raw, str):
                    got.append(json.loads(raw))
            return got

        loop = asyncio.get_running_loop()
        code = f"open({str(marker)!r}, 'w').write('x')"
        execute = _msg(
            session,
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": False,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        await ws.write_message(json.dumps(execute))
        after_execute = await read_until(loop.time() + 5)

        info = _msg(session, "kernel_info_request", {})
        comms = _msg(session, "comm_info_request", {})
        await ws.write_message(json.dumps(info))
        await ws.write_message(json.dumps(comms))
        replies: dict[str, dict[str, Any]] = {}
        deadline = loop.time() + 15
        while len(replies) < 2 and loop.time() < deadline:
            for m in await read_until(min(deadline, loop.time() + 1)):
                parent = m.get("parent_header", {}).get("msg_id")
                ours = parent in (info["header"]["msg_id"], comms["header"]["msg_id"])
                if ours and m["header"]["msg_type"].endswith("_reply"):
                    replies[m["header"]["msg_type"]] = m
        return {"execute_id": execute["header"]["msg_id"], "after": after_execute, **replies}
    finally:
        ws.close()


def test_a_page_cannot_run_code_but_widgets_still_talk(
    served: Any, page: Page, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    port = urlsplit(served.app_url).port
    session = uuid.uuid4().hex
    url = f"ws://127.0.0.1:{port}/api/kernels/{page.kernel_id}/channels?session_id={session}"
    got = asyncio.run(_talk(url, session, marker))

    answers = [
        m["header"]["msg_type"]
        for m in got["after"]
        if m.get("parent_header", {}).get("msg_id") == got["execute_id"]
    ]
    assert answers == [], f"the kernel answered an execute_request: {answers}"
    assert not [
        m for m in got["after"] if m["header"]["msg_type"] in ("execute_input", "execute_reply")
    ]
    assert not marker.exists(), "code sent over a page websocket was executed"

    assert "kernel_info_reply" in got, "kernel_info_request got no reply"
    assert got["kernel_info_reply"]["content"]["status"] == "ok"
    assert "comm_info_reply" in got, "comm_info_request got no reply"
    comms = got["comm_info_reply"]["content"]["comms"]
    assert comms and {c["target_name"] for c in comms.values()} == {"jupyter.widget"}
    time.sleep(0.5)
    assert not marker.exists()


# -- 2. refusals -------------------------------------------------------------------------
def test_refused_links_say_why_and_touch_nothing(served: Any, workshop_b: int) -> None:
    a, b = served.workshop_id, workshop_b
    token_a = query_of(served.link())["token"]
    token_b = query_of(served.link(workshop_id=b))["token"]
    expired = query_of(served.link(valid_hours=0.0003))["token"]  # about one second
    time.sleep(1.5)
    base = f"/voila/render/{APP}"
    cases = {
        "no query": (base, "not valid"),
        "no token": (f"{base}?workshop={a}", "not valid"),
        "malformed token": (f"{base}?workshop={a}&token=not%20a%20token%21", "not valid"),
        "unknown token": (f"{base}?workshop={a}&token={secrets.token_urlsafe(24)}", "not valid"),
        "no workshop": (f"{base}?token={token_a}", "not valid"),
        "A's token, B's id": (f"{base}?workshop={b}&token={token_a}", "different workshop"),
        "B's token, A's id": (f"{base}?workshop={a}&token={token_b}", "different workshop"),
        "expired": (f"{base}?workshop={a}&token={expired}", "expired"),
        "unknown code": (f"{base}?workshop={a}&code={secrets.token_urlsafe(24)}", "not valid"),
        "other app": (f"/voila/render/other.ipynb?workshop={a}&token={token_a}", "not valid"),
    }
    before_rows = row_counts(served)
    before = settle(served)
    before_ids = kernel_ids(served)

    for name, (path, words) in cases.items():
        resp = request(served, "GET", path)
        assert resp.status == 403, (name, resp.status)
        assert resp.headers["content-type"].startswith("text/html"), name
        assert "You cannot open this page" in resp.body, name
        message = re.search(r'role="alert">\s*<p>(.*?)</p>', resp.body, re.S)
        assert message and words in html.unescape(message.group(1)), (name, resp.body[-1500:])
        assert "kernelId" not in resp.body and "Traceback" not in resp.body, name

    assert row_counts(served) == before_rows
    time.sleep(POOL_SYNC_S * 1.5)
    assert health(served) == before, "a refused request started or used a kernel"
    assert kernel_ids(served) == before_ids
    # the refusals are logged, but never with the token or code they carried
    logs = "".join(
        p.read_text(errors="replace") for p in (served.home / "var" / "logs").glob("*.log")
    )
    logs += (served.home / "serve.log").read_text(errors="replace")
    assert "403" in logs
    for secret in (token_a, token_b, expired):
        assert secret not in logs


def test_log_scrubber_removes_tokens_and_codes() -> None:
    import logging

    from workbench.appserver import ScrubSecrets

    record = logging.LogRecord(
        "tornado.access", logging.WARNING, __file__, 1,
        "403 GET /voila/render/a.ipynb?workshop=1&token=%s&code=%s (127.0.0.1)",
        ("SECRET-token-value", "SECRET-code-value"), None,
    )  # fmt: skip
    assert ScrubSecrets().filter(record) is True
    message = record.getMessage()
    assert "SECRET" not in message
    assert "token=[secret]" in message and "code=[secret]" in message and "workshop=1" in message


# -- 3. no listings, no files ------------------------------------------------------------
LEAKS = ("nbformat", "StakeholderApp", "get_query_string", "SQLite format", "cells")


@pytest.mark.parametrize(
    "path",
    [
        "/voila/tree",
        "/voila/tree/",
        "/voila/api/contents",
        "/voila/api/contents/",
        f"/voila/api/contents/{APP}",
        f"/voila/files/{APP}",
        f"/voila/{APP}",
        f"/{APP}",
        "/tree",
        f"/files/{APP}",
        "/api/contents",
        f"/api/contents/{APP}",
        "/api/kernels",
        "/api/sessions",
        "/voila/render/../var/workbench.sqlite",
        "/voila/render/%2e%2e/var/workbench.sqlite",
        "/voila/render/..%2fvar%2fworkbench.sqlite",
        "/voila/render/../published/" + APP,
        "/voila/static/../../var/workbench.sqlite",
        "/voila/static/%2e%2e/%2e%2e/var/workbench.sqlite",
        "/voila/templates/workbench/static/../../../../var/workbench.sqlite",
    ],
)
def test_no_listings_or_files(served: Any, path: str) -> None:
    resp = request(served, "GET", path)
    assert resp.status != 200, path
    assert resp.status in (403, 404, 500), (path, resp.status)
    for leak in LEAKS:
        assert leak not in resp.body, (path, leak)


def test_gallery_lists_published_apps_escaped(served: Any) -> None:
    wb = served.service()
    try:
        titles = [app.title for app in wb.apps()]
        with wb.db.session(write=True) as s:
            evil = store.add_publication(
                s,
                case_slug="zz-gallery-escape-test",
                title='<script>alert("x")</script> & <b>bold</b>',
                app_path="zz-gallery-escape-test.ipynb",
                run_hashes={},
                template_versions={},
                bundle_hash="<i>hash</i>",
                app_version="1",
            )
        try:
            resp = request(served, "GET", "/")
        finally:
            with wb.db.session(write=True) as s:
                row = s.get(Publication, evil.id)
                s.delete(row)
    finally:
        wb.close()
    assert resp.status == 200
    assert titles, "the served workspace has no published app"
    for title in titles:
        assert str(markupsafe.escape(title)) in resp.body
    assert "&lt;script&gt;alert(" in resp.body and "&lt;b&gt;bold&lt;/b&gt;" in resp.body
    assert "<script>alert" not in resp.body and "<b>bold" not in resp.body
    assert "<i>hash" not in resp.body
    assert "token=" not in resp.body and "/voila/render/" not in resp.body  # no join links


def test_gallery_has_no_serious_accessibility_violation(served: Any) -> None:
    """axe-core (WCAG 2 A/AA) on the gallery in Chromium.

    Playwright is started and stopped inside the test, not through the module-scoped
    ``browser`` fixture: its event loop would break the ``asyncio.run`` of other tests here.
    """
    playwright = pytest.importorskip("playwright.sync_api")
    wb = served.service()
    try:
        titles = [app.title for app in wb.apps()]
    finally:
        wb.close()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            response = page.goto(served.app_url)
            assert response is not None and response.status == 200
            page.get_by_text(titles[0]).first.wait_for(timeout=10_000)
            page.screenshot(path=str(_axe.ARTIFACTS / "gallery.png"), full_page=True)
            _axe.check_axe(page, "gallery")
        finally:
            browser.close()


# -- 4. beacon shutdown ------------------------------------------------------------------
@pytest.mark.databases("sqlite")  # kernel lifecycle: no database involved
def test_beacon_shuts_down_the_page_kernel_only(served: Any, page: Page) -> None:
    assert kernel_model(served, page.kernel_id) is not None, "the page kernel is not running"
    before = settle(served)
    ids = kernel_ids(served)
    assert page.kernel_id in ids

    # A random id: accepted (no oracle), nothing shut down.
    assert beacon(served, str(uuid.uuid4())).status == 204
    # A preheated kernel (busy waiting for its request): never shut down by a beacon.
    pooled = [
        k
        for k in sorted(ids - {page.kernel_id})
        if (m := kernel_model(served, k)) is not None and m["execution_state"] == "busy"
    ]
    assert pooled, "no preheated kernel found"
    assert beacon(served, pooled[0]).status == 204
    time.sleep(POOL_SYNC_S * 1.5)
    assert kernel_model(served, pooled[0]) is not None, "a pool kernel was shut down"
    assert health(served) == before
    assert kernel_ids(served) == ids

    # The page's own kernel, without any XSRF cookie or header (voila#1458): kept for a
    # reload during the grace period, then shut down.
    resp = beacon(served, page.kernel_id)
    assert resp.status == 204, resp
    closed_at = time.monotonic()
    assert health(served)["kept_for_reload"] >= 1
    wait_for(lambda: kernel_model(served, page.kernel_id) is None, 20, "the kernel to stop")
    grace = float(served.env["WORKBENCH_RELOAD_GRACE_S"])
    assert time.monotonic() - closed_at >= grace - 0.5, "stopped before the grace period"
    wait_for(
        lambda: health(served)["kernels"] == before["kernels"] - 1, 10, "the kernel count to drop"
    )
    after = health(served)
    assert after["pools"] == before["pools"] and after["ready"] == before["ready"]
    assert kernel_ids(served) == ids - {page.kernel_id}


# -- 5. a reload gets its page back on the same kernel -----------------------------------
@pytest.mark.databases("sqlite")  # kernel lifecycle: no database involved
def test_a_reload_within_the_grace_period_reattaches_to_the_same_kernel(
    served: Any, page: Page
) -> None:
    before = settle(served)
    resp = beacon(served, page.kernel_id)  # the tab closes (a reload starts with this)
    assert resp.status == 204
    again = request(served, "GET", page.link)
    assert again.status == 200
    found = re.search(rf'"kernelId"\s*:\s*"({UUID_RE})"', again.body)
    assert found and found.group(1) == page.kernel_id
    after = health(served)
    assert after["reattached"] == before["reattached"] + 1
    assert (after["kernels"], after["pools"]) == (before["kernels"], before["pools"])
    # reattached: no shutdown pending any more, even after the grace period
    time.sleep(float(served.env["WORKBENCH_RELOAD_GRACE_S"]) + POOL_SYNC_S * 1.5)
    assert kernel_model(served, page.kernel_id) is not None
    # a code link (a new participant each time) is never reattached
    code = on_app_server(served, served.shared_link())
    first = re.search(rf'"kernelId"\s*:\s*"({UUID_RE})"', request(served, "GET", code).body)
    assert first and first.group(1) != page.kernel_id
    beacon(served, first.group(1))
    wait_for(lambda: kernel_model(served, first.group(1)) is None, 15, "the code page to stop")


def test_a_busy_database_gets_the_retrying_page_not_a_refusal() -> None:
    """A link checked while the database is busy or down may be valid: the participant
    gets the page that retries by itself, not "You cannot open this page"."""
    from workbench.apppages import refusal
    from workbench.exceptions import AccessDenied, StoreUnavailable
    from workbench.i18n import ENGLISH, translator

    page = refusal(StoreUnavailable("the database is busy (connection pool exhausted)"), ENGLISH)
    assert (page["status"], page["title"], page["retry_s"]) == (
        503,
        "The workshop app is busy",
        5,
    )
    assert page["message"] == (
        "The workshop's database is busy or cannot be reached. "
        "This page tries again by itself in 5 seconds."
    )
    denied = refusal(AccessDenied("This join link is not valid."), ENGLISH)
    assert (denied["status"], denied["title"], denied["message"]) == (
        403,
        "You cannot open this page",
        "This join link is not valid.",
    )
    assert "retry_s" not in denied
    # in German: the title, the retry sentence and a translatable error are German
    de = translator("de")
    busy_de = refusal(StoreUnavailable("busy"), de)
    assert busy_de["title"] == de._("The workshop app is busy") != "The workshop app is busy"
    assert busy_de["message"].startswith(
        de._("The workshop's database is busy or cannot be reached.")
    )
    expired = "This join link expired on {when}. Please ask your facilitator for a new one."
    said = refusal(AccessDenied.say(expired, when="1 Dez"), de)
    assert said["message"] == de._(expired).format(when="1 Dez") != expired.format(when="1 Dez")
