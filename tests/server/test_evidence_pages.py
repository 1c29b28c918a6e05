"""The expert's evidence form and the model pages (``workbench.server.evidence_pages``) on
a real JupyterLab: the session fixture ``served`` (both databases).

Raw HTTP carries the Jupyter token in an ``Authorization`` header (token auth needs no
XSRF cookie); Chromium logs in with ``?token=`` and posts the forms with their XSRF field,
as an expert would. Every candidate a test makes is rejected afterwards, so the working
evidence is the approved one again for the next test.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import _axe
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.evidence.changes import MODEL
from workbench.evidence.schema import HORIZONS
from workbench.exceptions import Problem
from workbench.server.evidence_pages import _field
from workbench.shared_models import load_shared_model

ROW = "E001"  # Blundell et al. (2004), horizon "short"
HOSTILE = "<script>window.__xss=1</script>"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class Lab:
    """Raw HTTP to the analyst JupyterLab (no redirects followed)."""

    def __init__(self, served: Any, token: str | None) -> None:
        self.served, self.token = served, token

    def __call__(
        self, method: str, path: str, body: Any = None, *, form: dict[str, str] | None = None
    ) -> Response:
        parts = urlsplit(self.served.lab_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        headers = {"Authorization": f"token {self.token}"} if self.token else {}
        data = None
        if form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None or method == "POST":
            data = json.dumps(body).encode() if body is not None else b""
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", errors="replace")
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, text)
        finally:
            conn.close()


@pytest.fixture(scope="module")
def lab(served: Any) -> Lab:
    return Lab(served, served.token)


@pytest.fixture
def wb(served: Any) -> Iterator[Any]:
    """A service on the served workspace; candidates made meanwhile are rejected after."""
    service = served.service()
    before = {v.version for v in service.registry.versions(MODEL)}
    yield service
    for v in service.registry.versions(MODEL):
        if v.status == "candidate" and v.version not in before:
            service.registry.reject(MODEL, v.version, by="test cleanup", reason="test over")
    service.close()


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.setdefault(tag, dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> _Parsed:
    parser = _Parsed()
    parser.feed(html)
    parser.close()
    return parser


@given(st.text(max_size=80))
def test_any_text_round_trips_through_the_form_fields(text: str) -> None:
    """Whatever a row holds comes back unchanged from the form's HTML, and never adds an
    element (no markup escapes its attribute or element)."""
    problem = [Problem("correction", "study", text)]
    field = parsed(_field("study", "study", text, problem, hint=f"hint {text}"))
    assert field.tags == ["div", "label", "div", "input", "span", "span"]
    assert field.attrs["input"]["value"] == text and field.attrs["input"]["aria-invalid"] == "true"
    area = parsed(_field("notes", "notes", text, [], multiline=True))
    assert area.tags == ["div", "label", "div", "textarea"]
    assert "".join(area.text[1:]) == text
    select = parsed(_field("horizon", "horizon", text, [], choices=HORIZONS))
    assert select.tags.count("option") == len(HORIZONS) + (text not in HORIZONS)
    assert select.tags.count("select") == 1


def state(wb: Any, row: str = ROW) -> tuple[int, int]:
    """(versions of the model, recorded changes of ``row``): what an edit would add to."""
    return len(wb.registry.versions(MODEL)), len(wb.evidence.history(row))


def test_pages_and_api_need_login(served: Any, wb: Any) -> None:
    before = state(wb)
    paths = ["/workbench/evidence", f"/workbench/evidence/{ROW}", "/workbench/evidence/new",
             "/workbench/models", f"/workbench/models/{MODEL}/1", "/workbench/api/evidence",
             f"/workbench/api/evidence/{ROW}", "/workbench/api/models"]  # fmt: skip
    for token in (None, "wrong-" + served.token):
        for path in paths:
            resp = Lab(served, token)("GET", path)
            assert resp.status in (302, 403), (path, token, resp.status)
            if resp.status == 302:
                assert "/login" in resp.headers["location"], path
            assert "Blundell" not in resp.body and "candidate" not in resp.body, path
        form = {"horizon": "long", "by": "Mallory", "reason": "no login"}
        assert Lab(served, token)("POST", f"/workbench/evidence/{ROW}", form=form).status == 403
        body = {"changes": {"horizon": "long"}, "by": "Mallory", "reason": "no login"}
        resp = Lab(served, token)("POST", f"/workbench/api/evidence/{ROW}/corrections", body)
        assert resp.status == 403
    assert state(wb) == before


def test_an_expert_corrects_a_row_in_chromium_and_gets_a_candidate(
    served: Any, wb: Any, browser: Any
) -> None:
    approved = wb.registry.approved(MODEL)
    assert approved is not None
    old = wb.evidence.show_row(ROW)
    new_horizon = "medium" if old["horizon"] != "medium" else "long"
    before = state(wb)
    _axe.ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{served.lab_url}workbench/evidence?token={served.token}", timeout=60_000)
    page.get_by_role("heading", name="Evidence", exact=True).wait_for()
    assert f"Approved version of {MODEL}: {approved.version}" in page.inner_text("main")
    page.screenshot(path=str(_axe.ARTIFACTS / "evidence-list.png"), full_page=True)
    _axe.check_axe(page, "evidence-list")
    page.get_by_role("link", name=ROW, exact=True).click()
    page.get_by_role("heading", name=f"Evidence row {ROW}").wait_for()
    source = page.locator("main a[rel~=noopener]").first
    assert source.get_attribute("href") == old["source_url"]
    assert page.get_by_label("horizon", exact=True).input_value() == old["horizon"]
    page.screenshot(path=str(_axe.ARTIFACTS / "evidence-form.png"), full_page=True)
    _axe.check_axe(page, "evidence-form")

    # a bad estimate: the form comes back with the values kept and the problem at its field
    who = page.get_by_role("group", name="Who and why")
    page.get_by_label("horizon", exact=True).select_option(new_horizon)
    page.get_by_label("estimate", exact=True).fill("abc")
    who.get_by_label("Your name").fill("Dr. Ana Expert")
    who.get_by_label("Why").fill("The paper reports the effect after 18 months.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the correction as a candidate").click()
    assert "is not a number" in page.locator("#f-estimate-err").inner_text()
    assert page.locator("#f-estimate").get_attribute("aria-invalid") == "true"
    who = page.get_by_role("group", name="Who and why")
    assert page.get_by_label("horizon", exact=True).input_value() == new_horizon
    assert page.get_by_label("estimate", exact=True).input_value() == "abc"
    assert who.get_by_label("Your name").input_value() == "Dr. Ana Expert"
    assert page.get_by_role("alert").get_by_text("Nothing was saved").is_visible()
    page.screenshot(path=str(_axe.ARTIFACTS / "evidence-form-error.png"), full_page=True)
    assert state(wb) == before  # nothing written

    page.get_by_label("estimate", exact=True).fill(old["estimate"])
    with page.expect_navigation():
        page.get_by_role("button", name="Save the correction as a candidate").click()
    match = re.search(rf"/workbench/models/{MODEL}/([^/?]+)\?row={ROW}$", page.url)
    assert match, page.url
    version = match.group(1)
    page.get_by_role("heading", name=f"{MODEL} version {version} (candidate)").wait_for()
    page.screenshot(path=str(_axe.ARTIFACTS / "evidence-candidate.png"), full_page=True)
    _axe.check_axe(page, "evidence-candidate")

    # in SQL, through the service layer: the change with who and why, a candidate version
    [change] = wb.evidence.history(ROW)[before[1] :]
    assert (change.by, change.reason, change.version) == (
        "Dr. Ana Expert", "The paper reports the effect after 18 months.", version,
    )  # fmt: skip
    assert change.action == "correct" and change.fields == ["horizon"]
    assert change.after["horizon"] == new_horizon and change.before == old
    info = wb.registry.show(MODEL, version)
    assert info.status == "candidate" and info.created_by == "Dr. Ana Expert"
    assert info.metrics
    # the pointer planning reads is not switched: runs still use the approved version
    pointer = load_shared_model(served.settings().shared_models_dir, MODEL)
    assert pointer.version == approved.version
    assert wb.registry.approved(MODEL).version == approved.version
    for spec in wb.plan(all_cases=True):
        assert spec.model_versions.get(MODEL, approved.version) == approved.version

    # the page shows the candidate and its diff against the approved version
    text = page.inner_text("main")
    assert "A candidate never feeds a run until a named expert approves it" in text
    assert "Dr. Ana Expert" in text and "The paper reports the effect after 18 months." in text
    diff = wb.registry.diff(MODEL, version)
    assert diff, "a changed horizon moves some cell"
    summary = page.locator("#diff-summary").inner_text()
    assert summary.startswith(f"{len(diff)} cells changed")
    moved = [c for c in diff if c.change == "moved"]
    if moved:
        biggest = max(moved, key=lambda c: abs(c.delta or 0))
        first = page.get_by_role("table", name="Cells that moved, largest move first")
        assert biggest.label in first.locator("tbody tr").first.inner_text()
    assert page.get_by_role("button", name="Approve this candidate").is_visible()
    assert page.get_by_role("link", name=f"Model card of version {version}").is_visible()
    page.get_by_role("link", name="Models", exact=True).click()
    log = page.get_by_role("table", name=f"Audit log of {MODEL}")
    assert "Dr. Ana Expert" in log.locator("tbody tr").first.inner_text()
    page.screenshot(path=str(_axe.ARTIFACTS / "evidence-models.png"), full_page=True)
    _axe.check_axe(page, "evidence-models")
    page.close()


def test_a_bad_rest_correction_names_the_field_and_writes_nothing(lab: Lab, wb: Any) -> None:
    before = state(wb, "E002")
    path = "/workbench/api/evidence/E002/corrections"
    resp = lab("POST", path, {"changes": {"estimate": "abc"}, "by": "Ana", "reason": "typo"})
    assert resp.status == 400, resp.body
    [problem] = resp.json()["problems"]
    assert problem["key"] == "estimate" and "not a number" in problem["message"]
    for body in (
        {"changes": {"horizon": "someday"}, "by": "Ana", "reason": "r"},
        {"changes": {"horizon": "long"}, "by": "", "reason": "r"},
        {"changes": ["horizon"], "by": "Ana", "reason": "r"},
        {"changes": {"horizon": {"x": 1}}, "by": "Ana", "reason": "r"},
    ):
        assert lab("POST", path, body).status == 400, body
    assert lab("POST", "/workbench/api/evidence/NOPE9/corrections", {"changes": {}}).status == 404
    assert lab("GET", "/workbench/api/evidence/NOPE9").status == 404
    assert lab("GET", "/workbench/evidence/NOPE9").status == 404
    assert lab("GET", "/workbench/evidence/bad%3Cid%3E").status == 404
    assert lab("GET", f"/workbench/models/{MODEL}/999").status == 404
    assert lab("GET", "/workbench/api/models/nomodel/1").status == 404
    assert state(wb, "E002") == before

    long_rows = lab("GET", "/workbench/api/evidence?horizon=long&kind=estimate").json()
    assert long_rows and {(r["horizon"], r["kind"]) for r in long_rows} == {("long", "estimate")}
    assert lab("GET", "/workbench/api/evidence?horizon=someday").status == 400
    row = lab("GET", "/workbench/api/evidence/E002").json()["row"]
    flipped = "insignificant" if row["significance"] != "insignificant" else "unknown"
    body = {"changes": {"significance": flipped}, "by": "Ana", "reason": "re-read the table"}
    resp = lab("POST", path, body)
    assert resp.status == 201, resp.body
    made = resp.json()
    assert made["status"] == "candidate" and made["corrected"] == ["E002"]
    got = lab("GET", f"/workbench/api/models/{MODEL}/{made['version']}").json()
    assert got["status"] == "candidate" and got["created_by"] == "Ana"
    assert got["diff_against"] == wb.registry.approved(MODEL).version
    assert len(got["diff"]) == len(wb.registry.diff(MODEL, made["version"]))
    models = {m["name"]: m for m in lab("GET", "/workbench/api/models").json()}
    assert made["version"] in models[MODEL]["candidates"]


def test_hostile_text_is_escaped_and_a_decision_is_logged(lab: Lab, wb: Any) -> None:
    row = {**wb.evidence.show_row(ROW), "id": "X-XSS-1", "study": f"{HOSTILE} (2020)",
           "quote": f"It rose {HOSTILE}", "notes": "<img src=x onerror=alert(1)>"}  # fmt: skip
    edit = wb.evidence.add_row(row, by="<b>Eve</b>", reason=f"test {HOSTILE}")
    pages = [
        "/workbench/evidence",
        "/workbench/evidence/X-XSS-1",
        "/workbench/models",
        f"/workbench/models/{MODEL}/{edit.version}",
    ]
    for path in pages:
        resp = lab("GET", path)
        assert resp.status == 200, path
        assert HOSTILE not in resp.body and "<img src=x" not in resp.body, path
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in resp.body, path

    # approve and reject forms: who and why are required; every decision is logged
    decide = f"/workbench/models/{MODEL}/{edit.version}"
    resp = lab("POST", f"{decide}/approve", form={"by": "", "reason": ""})
    assert resp.status == 400 and "by is required" in resp.body
    assert wb.registry.show(MODEL, edit.version).status == "candidate"
    resp = lab("POST", f"{decide}/reject", form={"by": "Dr. Ana Expert", "reason": "test row"})
    assert resp.status == 303 and resp.headers["location"].endswith(decide)
    assert wb.registry.show(MODEL, edit.version).status == "rejected"
    assert "(rejected)" in lab("GET", decide).body
    [event] = [x for x in wb.registry.events(MODEL) if x.version == edit.version][-1:]
    assert (event.action, event.by, event.reason) == ("reject", "Dr. Ana Expert", "test row")


def test_approving_through_the_form_names_the_stale_case_studies(lab: Lab, wb: Any) -> None:
    previous = wb.registry.approved(MODEL).version
    edit = wb.evidence.correct_row("E003", {"notes": "checked"}, by="Ana", reason="note")
    try:
        resp = lab(
            "POST",
            f"/workbench/models/{MODEL}/{edit.version}/approve",
            form={"by": "Dr. Ana Expert", "reason": "checked against the paper"},
        )
        assert resp.status == 200, resp.body[:500]
        assert "<h2>Approved</h2>" in resp.body and f"replaces version {previous}" in resp.body
        stale = {s.case_slug for s in wb.stale_runs(MODEL)}
        for slug in stale:
            assert slug in resp.body
        if not stale:
            assert "No case study became stale." in resp.body
        pointer = load_shared_model(wb.settings.shared_models_dir, MODEL)
        assert pointer.version == edit.version
    finally:
        wb.registry.rollback(MODEL, previous, by="test cleanup", reason="test over")
    assert wb.registry.approved(MODEL).version == previous


def test_a_row_is_added_and_retracted_through_the_forms(lab: Lab, wb: Any) -> None:
    row = {**wb.evidence.show_row(ROW), "id": "X-NEW-1", "horizon": "someday", "estimate": "x"}
    who = {"by": "Dr. Ana Expert", "reason": "a new paper"}
    resp = lab("POST", "/workbench/evidence/new", form={**row, **who})
    assert resp.status == 400
    for field in ("horizon", "estimate"):  # each problem at its field, the values kept
        assert re.search(rf"id='f-{field}-err'>[^<]+</span>", resp.body), field
    assert "<option value='someday' selected>" in resp.body
    assert "value='X-NEW-1'" in resp.body and "value='Dr. Ana Expert'" in resp.body
    assert "X-NEW-1" not in set(wb.evidence.list_rows()["id"])

    resp = lab("POST", "/workbench/evidence/new", form={**row, **who, "horizon": "long",
                                                        "estimate": "7"})  # fmt: skip
    assert resp.status == 303, resp.body[:400]
    added = wb.evidence.show_row("X-NEW-1")
    assert (added["horizon"], added["estimate"]) == ("long", "7")
    assert resp.headers["location"].endswith("?row=X-NEW-1")

    retract = "/workbench/evidence/X-NEW-1/retract"
    resp = lab("POST", retract, form={"by": "Dr. Ana Expert", "reason": ""})
    assert resp.status == 400 and "id='r-reason-err'" in resp.body
    assert lab("GET", retract).status == 405
    resp = lab("POST", retract, form={"by": "Dr. Ana Expert", "reason": "duplicate of E001"})
    assert resp.status == 303
    assert "X-NEW-1" not in set(wb.evidence.list_rows()["id"])
    actions = [(c.action, c.by, c.reason) for c in wb.evidence.history("X-NEW-1")]
    assert actions == [("add", "Dr. Ana Expert", "a new paper"),
                       ("retract", "Dr. Ana Expert", "duplicate of E001")]  # fmt: skip
