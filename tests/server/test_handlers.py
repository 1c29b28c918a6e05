"""The facilitator REST API and page (``workbench.server.handlers``) on a real JupyterLab.

Runs against the session fixture ``served``. Requests carry the Jupyter token in an
``Authorization: token ...`` header (token auth needs no XSRF cookie). Workshops created
here are closed again, so that the app server's kernel pools go back to what they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import _lab
import pytest

CASE = "es61-manufacturing-youth"


Lab = _lab.Lab


@pytest.fixture(scope="module")
def api(served: Any) -> Lab:
    return Lab(served, served.token)


@pytest.fixture(scope="module")
def workshops_to_close(served: Any) -> Iterator[list[int]]:
    """Ids of workshops opened here; whatever is still open is closed at the end."""
    ids: list[int] = []
    yield ids
    wb = served.service()
    try:
        for wid in ids:
            if wb.workshops.get(wid).state == "open":
                wb.workshops.close(wid)
    finally:
        wb.close()


def workshop_count(served: Any) -> int:
    wb = served.service()
    try:
        return len(wb.workshops.list())
    finally:
        wb.close()


W = "/workbench/api/workshops"
ENDPOINTS = [
    ("GET", "/workbench/api/apps"),
    ("POST", "/workbench/api/apps"),
    ("GET", W),
    ("POST", W),
    ("GET", f"{W}/{{wid}}"),
    ("POST", f"{W}/{{wid}}/open"),
    ("POST", f"{W}/{{wid}}/close"),
    ("POST", f"{W}/{{wid}}/next-round"),
    ("POST", f"{W}/{{wid}}/links"),
    ("GET", f"{W}/{{wid}}/participation"),
    ("GET", f"{W}/{{wid}}/moderation"),
    ("POST", f"{W}/{{wid}}/moderation"),
    ("GET", f"{W}/{{wid}}/analysis"),
    ("GET", f"{W}/{{wid}}/export?format=xlsx"),
    ("GET", f"{W}/{{wid}}/export?format=json"),
    ("GET", f"{W}/{{wid}}/minutes"),
]
BODY = {"case": CASE, "count": 1, "expected": 1}


# -- authentication ----------------------------------------------------------------------
@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
def test_api_refuses_unauthenticated_requests(served: Any, method: str, template: str) -> None:
    path = template.format(wid=served.workshop_id)
    before = workshop_count(served)
    wb = served.service()
    try:
        state = wb.workshops.get(served.workshop_id).state
    finally:
        wb.close()
    body = BODY if method == "POST" else None
    attempts = {
        "no token": Lab(served, None)(method, path, body),
        "wrong token": Lab(served, "wrong-" + served.token)(method, path, body),
        "wrong query token": Lab(served, None)(
            method, f"{path}{'&' if '?' in path else '?'}token=wrong", body
        ),
        # With a valid XSRF cookie/header pair the refusal must come from authentication.
        "wrong token, xsrf ok": Lab(served, "wrong-" + served.token)(
            method, path, body, headers={"Cookie": "_xsrf=abc123", "X-XSRFToken": "abc123"}
        ),
    }
    for name, resp in attempts.items():
        assert resp.status == 403, (name, resp.status, resp.body[:300])
        assert CASE not in resp.body and '"id"' not in resp.body, name
    assert workshop_count(served) == before
    wb = served.service()
    try:
        assert wb.workshops.get(served.workshop_id).state == state
    finally:
        wb.close()


def test_facilitator_page_needs_login(served: Any, api: Lab) -> None:
    for name, lab in {"no token": Lab(served, None), "wrong": Lab(served, "nope")}.items():
        resp = lab("GET", "/workbench/facilitator")
        assert resp.status in (302, 403), (name, resp.status)
        if resp.status == 302:
            assert "/login" in resp.headers["location"], name
        assert "Workshops" not in resp.body and "Test workshop" not in resp.body, name
    resp = Lab(served, None)("GET", "/workbench/facilitator?token=wrong")
    assert resp.status in (302, 403) and "Test workshop" not in resp.body

    resp = api("GET", "/workbench/facilitator")
    assert resp.status == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "<h1>Workshops</h1>" in resp.body and "Test workshop" in resp.body


# -- the facilitator flow ----------------------------------------------------------------
def test_workshop_life_cycle(served: Any, api: Lab, workshops_to_close: list[int]) -> None:
    apps = api("GET", "/workbench/api/apps")
    assert apps.status == 200
    assert CASE in [a["case_slug"] for a in apps.json()]

    created = api("POST", W, {"case": CASE, "expected": 2})
    assert created.status == 201, created.body
    info = created.json()
    wid = info["id"]
    workshops_to_close.append(wid)
    assert info["state"] == "draft" and info["current_round"] == 0
    assert info["expected_participants"] == 2 and info["case_slug"] == CASE
    assert info["options"] and info["criteria"]

    got = api("GET", f"{W}/{wid}")
    assert got.status == 200 and got.json()["id"] == wid and got.json()["state"] == "draft"
    assert wid in [w["id"] for w in api("GET", f"{W}?state=draft").json()]

    opened = api("POST", f"{W}/{wid}/open")
    assert opened.status == 200, opened.body
    assert opened.json()["state"] == "open" and opened.json()["current_round"] == 1

    again = api("POST", f"{W}/{wid}/open")
    assert again.status == 409
    assert "only a draft workshop can open" in again.json()["error"]

    links = api("POST", f"{W}/{wid}/links", {"count": 2})
    assert links.status == 201, links.body
    urls = [link["url"] for link in links.json()]
    assert len(urls) == 2 and len(set(urls)) == 2
    tokens = []
    for url in urls:
        parts = urlsplit(url)
        assert parts.path == f"/voila/render/{CASE}.ipynb"
        query = parse_qs(parts.query)
        assert query["workshop"] == [str(wid)]
        tokens.append(query["token"][0])
    assert {link["public_id"][:2] for link in links.json()} == {"p-"}

    shared = api("POST", f"{W}/{wid}/links", {"shared": True})
    assert shared.status == 201 and "code=" in shared.json()["url"]

    wb = served.service()
    try:
        wb.workshops.register(wid, tokens[0], display_name="Ana", group="unions", consent=True)
    finally:
        wb.close()
    part = api("GET", f"{W}/{wid}/participation")
    assert part.status == 200
    data = part.json()
    assert data["workshop_id"] == wid and data["state"] == "open" and data["round"] == 1
    assert data["invited"] == 2 and data["expected"] == 2
    assert data["registered"] == 1 and data["active"] == 0
    assert data["groups"] == [{"group": "unions", "registered": 1, "active": 0}]

    page = api("GET", "/workbench/facilitator")
    assert page.status == 200 and "unions: 1 (0 active)" in page.body

    nxt = api("POST", f"{W}/{wid}/next-round")
    assert nxt.status == 200 and nxt.json()["current_round"] == 2

    closed = api("POST", f"{W}/{wid}/close")
    assert closed.status == 200 and closed.json()["state"] == "closed"
    for action in ("close", "next-round", "open"):
        resp = api("POST", f"{W}/{wid}/{action}")
        assert resp.status == 409, action
        assert f"workshop {wid} is closed" in resp.json()["error"], action
    no_links = api("POST", f"{W}/{wid}/links", {"count": 1})
    assert no_links.status == 409 and "closed" in no_links.json()["error"]
    assert api("GET", f"{W}/{wid}/participation").json()["invited"] == 2


def test_create_with_an_expected_mix(served: Any, api: Lab) -> None:
    mix = {"employers": 2, "unions": 1}
    created = api("POST", W, {"case": CASE, "expected": 3, "expected_mix": mix})
    assert created.status == 201, created.body
    assert created.json()["expected_mix"] == mix
    before = workshop_count(served)
    for bad in ({"pirates": 1}, {"employers": "two"}, ["employers"]):
        resp = api("POST", W, {"case": CASE, "expected_mix": bad})
        assert resp.status == 400, (bad, resp.body)
    assert workshop_count(served) == before


def test_facilitator_page_escapes_titles(served: Any, api: Lab) -> None:
    created = api("POST", W, {"case": CASE, "title": "<script>alert(1)</script> & co"})
    assert created.status == 201, created.body
    page = api("GET", "/workbench/facilitator")
    assert page.status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page.body
    assert "<script>alert(1)" not in page.body


# -- bad requests --------------------------------------------------------------------------
def test_bad_requests_get_clear_errors(served: Any, api: Lab) -> None:
    wid = served.workshop_id
    before = workshop_count(served)

    unknown_case = api("POST", W, {"case": "no-such-case"})
    assert unknown_case.status == 404 and "no-such-case" in unknown_case.json()["error"]

    malformed = api("POST", W, raw=b'{"case": ')
    assert malformed.status == 400 and "JSON object" in malformed.json()["message"]
    not_object = api("POST", W, raw=b'["es61-manufacturing-youth"]')
    assert not_object.status == 400

    big = api("POST", W, {"case": CASE, "title": "x" * 70_000})
    assert big.status == 413 and "larger than" in big.json()["message"]

    for body in ({"case": CASE, "expected": "two"}, {"case": CASE, "expected": True}):
        resp = api("POST", W, body)
        assert resp.status == 400 and "expected must be an integer" in resp.json()["message"]
    zero = api("POST", W, {"case": CASE, "expected": 0})
    assert zero.status == 400
    assert [p["key"] for p in zero.json()["problems"]] == ["expected_participants"]
    assert workshop_count(served) == before

    links = f"{W}/{wid}/links"
    for body in ({"count": "x"}, {"count": 2.5}, {"count": True}):
        resp = api("POST", links, body)
        assert resp.status == 400 and "count must be an integer" in resp.json()["message"], body
    for body in ({"count": 0}, {"count": 501}):
        resp = api("POST", links, body)
        assert resp.status == 400 and resp.json()["problems"][0]["key"] == "count", body
    hours = api("POST", links, {"count": 1, "valid_hours": "x"})
    assert hours.status == 400 and "valid_hours" in hours.json()["message"]
    assert api("POST", links, {"count": 1, "valid_hours": -1}).status == 400

    for method, path in [
        ("GET", f"{W}/999999"),
        ("POST", f"{W}/999999/open"),
        ("POST", f"{W}/999999/close"),
        ("POST", f"{W}/999999/next-round"),
        ("POST", f"{W}/999999/links"),
        ("GET", f"{W}/999999/participation"),
    ]:
        resp = api(method, path, {"count": 1} if method == "POST" else None)
        assert resp.status == 404, (method, path, resp.status)
        assert resp.json()["error"] == "no workshop with id 999999", path
    assert api("POST", f"{W}/{wid}/reopen").status == 404
    assert workshop_count(served) == before


# -- downloads ------------------------------------------------------------------------------
def test_exports_and_minutes_download_as_attachments(served: Any, api: Lab, tmp_path: Any) -> None:
    import io
    import zipfile

    from workbench.participation.exports import read_export

    wid = served.workshop_id
    for fmt, suffix in (("xlsx", ".xlsx"), ("json", ".json"), ("csv", ".zip")):
        resp = api.get_bytes(f"{W}/{wid}/export?format={fmt}")
        assert resp.status == 200, (fmt, resp.body[:300])
        disposition = resp.headers["content-disposition"]
        assert disposition == f'attachment; filename="workshop-{wid}-export{suffix}"'
        assert resp.headers["cache-control"] == "no-store"
        target = tmp_path / f"download{suffix}"
        if fmt == "csv":
            zipfile.ZipFile(io.BytesIO(resp.body)).extractall(tmp_path / "csv")
            target = tmp_path / "csv"
        else:
            target.write_bytes(resp.body)
        tables = read_export(target)
        assert int(tables["workshop"]["workshop_id"].iloc[0]) == wid, fmt
    minutes = api.get_bytes(f"{W}/{wid}/minutes")
    assert minutes.status == 200
    assert minutes.headers["content-type"].startswith("text/html")
    assert minutes.headers["content-disposition"].startswith("attachment;")
    assert b"Workshop minutes" in minutes.body
    # nothing is left behind on the server
    assert not list((served.home / "exports").glob(f"workshop-{wid}-*"))

    bad = api("GET", f"{W}/{wid}/export?format=pdf")
    assert bad.status == 400 and "'pdf' is not one of csv, xlsx, json" in bad.json()["problems"][0][
        "message"]  # fmt: skip
    assert api("GET", f"{W}/999999/export?format=xlsx").status == 404
    assert api("GET", f"{W}/999999/minutes").status == 404
