"""End to end in headless Chromium against a real ``workbench serve``.

A participant opens a join link, registers, rates, approves, ranks, votes and comments;
the rows land in the database with the right pins and the participation count goes up.
Foreign tokens are refused and a closed workshop is read-only. A screenshot of the
participant app is saved to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import _axe

from workbench.db import participation as store
from workbench.publish import APP_VERSION

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
check_axe = _axe.check_axe


def _rows(served: Any) -> dict[str, int]:
    wb = served.service()
    try:
        with wb.db.session() as s:
            return {
                "feedback": len(store.find_feedback(s, workshop_id=served.workshop_id)),
                "participants": wb.workshops.participation(served.workshop_id).invited,
            }
    finally:
        wb.close()


def _save(page: Any, title: str) -> None:
    card = page.locator(".wb-card", has=page.get_by_role("heading", name=title, exact=True))
    card.get_by_role("button", name="Save").click()
    card.get_by_text("Saved at").wait_for(timeout=20_000)


def test_participant_journey(served: Any, browser: Any) -> None:
    wb = served.service()
    before = wb.workshops.participation(served.workshop_id)
    info = wb.workshops.get(served.workshop_id)
    url = served.link()
    token = url.split("token=")[1]
    page = browser.new_page(viewport={"width": 1100, "height": 1600})
    external: list[str] = []
    page.on(
        "request",
        lambda r: (
            external.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:")) else None
        ),
    )
    page.goto(url, timeout=120_000)
    page.get_by_role("button", name="Join the workshop").wait_for(timeout=60_000)
    page.locator("#wb-ready-status", has_text="The case study has loaded.").wait_for(
        state="attached", timeout=30_000
    )
    check_axe(page, "participant-join")
    page.get_by_placeholder("a pseudonym is fine").fill("Ana <b>bold</b>")
    page.locator("select").first.select_option(label="Trade unions")
    page.get_by_text("I agree", exact=True).click()
    page.get_by_role("button", name="Join the workshop").click()
    page.get_by_role("heading", name="Rate the options").wait_for(timeout=20_000)
    assert "Ana <b>bold</b>" in page.inner_text("body")  # shown as text, not markup

    # rate, approve, rank, vote, comment
    first, second = info.options[0], info.options[1]
    page.locator(f"button[title='{info.criteria[0]['label']}: 4 of 5']").first.click()
    page.locator(f"button[title='{info.criteria[1]['label']}: 2 of 5']").first.click()
    _save(page, "Rate the options")
    page.get_by_label(first["label"], exact=True).check()
    _save(page, "Which options could you support?")
    page.locator(f"button[title='Move {second['label']} up']").click()
    _save(page, "Rank the options")
    statements = wb.feedback.statements(workshop_id=served.workshop_id)
    page.locator(f"button[title='Agree: {statements[0]['text']}']").click()
    page.locator(f"button[title='Disagree: {statements[1]['text']}']").click()
    _save(page, "Do you agree?")
    page.get_by_text("Group so far").first.wait_for(timeout=10_000)
    hostile = "<script>window.__xss = 1</script><img src=x onerror='window.__xss=2'> keep it"
    page.get_by_placeholder("What should the region keep, change or add?").fill(hostile)
    _save(page, "Your comments")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "participant-app.png"), full_page=True)
    check_axe(page, "participant-answering")
    assert page.evaluate("window.__xss") is None
    assert external == []
    # the run's plots are served by the app server (not embedded in the widget state)
    loaded = page.eval_on_selector_all(
        "img[src*='/workbench/artefacts/']", "els => els.filter(e => e.naturalWidth > 0).length"
    )
    assert loaded == 4  # 3 diagnosis plots and the evidence scores

    # the rows, with their pins
    admission = wb.workshops.admit(served.workshop_id, token)
    with wb.db.session() as s:
        rows = store.find_feedback(
            s, workshop_id=served.workshop_id, participant_id=admission.participant_id
        )
        pub = store.find_publication(s, publication_id=info.publication_id)
    by_item = {r.item: r for r in rows}
    assert by_item[f"rating:{first['key']}:{info.criteria[0]['key']}"].value == 4
    assert by_item[f"rating:{first['key']}:{info.criteria[1]['key']}"].value == 2
    assert by_item[f"approval:{first['key']}"].value is True
    assert by_item[f"approval:{second['key']}"].value is False
    assert by_item["ranking"].value[:2] == [second["key"], first["key"]]
    assert by_item[f"vote:{statements[0]['id']}"].value == 1
    assert by_item[f"vote:{statements[1]['id']}"].value == -1
    assert by_item["comment:general"].value == hostile
    assert pub is not None
    for row in rows:
        assert row.round == 1
        assert row.case_slug == "es61-manufacturing-youth"
        assert row.run_hash == pub.bundle_hash
        assert row.template_version.startswith(f"app@{APP_VERSION};")
        assert "evidence_review@" in row.template_version

    # participation went up, in the service and in the facilitator REST API
    after = wb.workshops.participation(served.workshop_id)
    assert after.registered == before.registered + 1
    assert after.active == before.active + 1
    req = urllib.request.Request(
        f"{served.lab_url}workbench/api/workshops/{served.workshop_id}/participation",
        headers={"Authorization": f"token {served.token}"},
    )
    with urllib.request.urlopen(req) as resp:
        api = json.loads(resp.read())
    assert api["registered"] == after.registered
    unions = {g["group"]: g for g in api["groups"]}["unions"]
    was = {g["group"]: g for g in before.groups}.get("unions", {"registered": 0, "active": 0})
    assert (unions["registered"], unions["active"]) == (was["registered"] + 1, was["active"] + 1)
    page.close()
    wb.close()


def test_foreign_token_is_refused_and_nothing_written(served: Any, browser: Any) -> None:
    before = _rows(served)
    page = browser.new_page()
    response = page.goto(
        f"{served.app_url}voila/render/es61-manufacturing-youth.ipynb"
        f"?workshop={served.workshop_id}&token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    )
    assert response is not None and response.status == 403
    assert "This join link is not valid" in page.inner_text("body")
    check_axe(page, "participant-refused")
    page.close()
    assert _rows(served) == before


def test_closed_workshop_is_read_only(served: Any, browser: Any) -> None:
    wb = served.service()
    info = wb.create_workshop("es61-manufacturing-youth", title="Closed one", expected=1)
    wb.workshops.open(info.id)
    url = served.link(info.id)
    token = url.split("token=")[1]
    wb.workshops.register(info.id, token, display_name="Bo", group="employers", consent=True)
    option, criterion = info.options[0]["key"], info.criteria[0]["key"]
    wb.feedback.submit(
        workshop_id=info.id,
        token=token,
        round_number=1,
        kind="rating",
        payload={"ratings": {option: {criterion: 5}}},
        idempotency_key="closed-test-0001",
    )
    wb.workshops.close(info.id)
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    page.goto(url, timeout=120_000)  # the page streams while its kernel is prepared
    page.get_by_text("This workshop is closed").first.wait_for(timeout=60_000)
    card = page.locator(".wb-card", has=page.get_by_role("heading", name="Rate the options"))
    assert card.get_by_role("button", name="Save").is_disabled()
    # the earlier answer is shown, selected and disabled
    chosen = card.locator(f"button[title='{info.criteria[0]['label']}: 5 of 5']").first
    assert chosen.is_disabled()
    assert "mod-active" in (chosen.get_attribute("class") or "")
    page.screenshot(path=str(ARTIFACTS / "participant-closed.png"))
    check_axe(page, "participant-closed")
    page.close()
    with wb.db.session() as s:
        rows = store.find_feedback(s, workshop_id=info.id)
    assert [(r.item, r.value, r.revision) for r in rows] == [(f"rating:{option}:{criterion}", 5, 1)]
    wb.close()


def test_app_kernel_imports_stay_light() -> None:
    """The app only reads artefacts: no pandas, scikit-learn, matplotlib or papermill."""
    import subprocess
    import sys

    code = (
        "import sys, workbench.app, workbench.publish; "
        "heavy = sorted(m for m in ('pandas', 'sklearn', 'matplotlib', 'papermill', 'scipy') "
        "if m in sys.modules); print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
