"""The tuned-recommendation REST API on a real JupyterLab (session fixture ``served``).

A workshop of its own on the served demo case is planted with two camps through the
service; the API previews, proposes, lists and shows versions, refuses bad parameters
with a named field, and refuses to accept a version for a case whose templates take no
tuned recommendation (the accept that re-runs and republishes is tested end to end in
``tests/test_tuning_loop.py``).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from _lab import Lab

CASE = "es61-manufacturing-youth"
POINTS = {"employers": {"effectiveness": 70, "feasibility": 30},
          "unions": {"effectiveness": 20, "feasibility": 80}}  # fmt: skip


@pytest.fixture(scope="module")
def api(served: Any) -> Lab:
    return Lab(served, served.token)


@pytest.fixture(scope="module")
def workshop(served: Any) -> Any:
    """A workshop of its own with 4 employers and 3 unions, closed at the end."""
    wb = served.service()
    try:
        info = wb.create_workshop(CASE, title="Tuning API", expected=7)
        wb.workshops.open(info.id)
        criteria = [c["key"] for c in info.criteria]
        options = [o["key"] for o in info.options]
        for group, count in (("employers", 4), ("unions", 3)):
            for link in wb.workshops.links(info.id, count):
                token = parse_qs(urlsplit(link.url).query)["token"][0]
                wb.workshops.register(info.id, token, display_name="P", group=group, consent=True)
                points = {c: 0 for c in criteria} | {
                    c: v for c, v in POINTS[group].items() if c in criteria
                }
                ratings = {o: {c: 1 + (i + j) % 5 for j, c in enumerate(criteria)}
                           for i, o in enumerate(options)}  # fmt: skip
                for kind, payload in (("rating", {"ratings": ratings}), ("points", points)):
                    wb.feedback.submit(
                        workshop_id=info.id, token=token, round_number=1, kind=kind,
                        payload=payload, idempotency_key=uuid.uuid4().hex,
                    )  # fmt: skip
    finally:
        wb.close()
    yield info
    wb = served.service()
    try:
        wb.workshops.close(info.id)
    finally:
        wb.close()


def test_the_api_needs_login(served: Any, workshop: Any) -> None:
    anonymous = Lab(served, None)
    for method, path in (
        ("GET", f"/workbench/api/workshops/{workshop.id}/tuning"),
        ("POST", f"/workbench/api/workshops/{workshop.id}/tuning"),
        ("GET", "/workbench/api/recommendations"),
        ("GET", "/workbench/api/recommendations/abcd"),
        ("POST", "/workbench/api/recommendations/abcd/accept"),
        ("POST", "/workbench/api/recommendations/evidence/rollback"),
    ):
        resp = anonymous(method, path, {"by": "x", "reason": "y"} if method == "POST" else None)
        assert resp.status == 403, (method, path, resp.status)


def test_preview_propose_list_show_and_refusals(api: Lab, workshop: Any) -> None:
    base = f"/workbench/api/workshops/{workshop.id}/tuning"
    preview = api("GET", f"{base}?groups=as-present&draws=100")
    assert preview.status == 200, preview.body
    doc = preview.json()
    assert doc["group_rule"] == "as-present" and doc["n_draws"] == 100
    assert {r["option"] for r in doc["ranking"]} == {o["key"] for o in workshop.options}
    assert doc["sensitivity_lines"]
    for query, field in (("method=best", "method"), ("draws=0", "draws"), ("draws=x", "draws"),
                         ("groups=loudest", "groups"), ("round=99", "round")):  # fmt: skip
        bad = api("GET", f"{base}?{query}")
        assert bad.status == 400, (query, bad.status)
        assert field in bad.body, (query, bad.body)

    unnamed = api("POST", base, {"draws": 100})
    assert unnamed.status == 400 and unnamed.json()["problems"][0]["key"] == "by"
    made = api("POST", base, {"draws": 100, "by": "Ana"})
    assert made.status == 201, made.body
    version = made.json()
    assert version["created"] is True and version["status"] == "proposed"
    again = api("POST", base, {"draws": 100, "by": "Ben"})
    assert again.json()["created"] is False and again.json()["version"] == version["version"]
    listed = api("GET", f"/workbench/api/recommendations?workshop={workshop.id}").json()
    assert [v["version"] for v in listed] == [version["version"]]
    shown = api("GET", f"/workbench/api/recommendations/{version['short']}")
    assert shown.status == 200 and shown.json()["feedback_rows"] == version["feedback_rows"]
    assert api("GET", "/workbench/api/recommendations/0000ffff").status == 404

    refused = api("POST", f"/workbench/api/recommendations/{version['short']}/accept",
                  {"by": "Ana", "reason": "agreed"})  # fmt: skip
    assert refused.status == 400
    assert "no template of this case study takes a tuned recommendation" in refused.body
    no_reason = api("POST", f"/workbench/api/recommendations/{version['short']}/accept",
                    {"by": "Ana"})  # fmt: skip
    assert no_reason.status == 400 and "reason" in no_reason.body
