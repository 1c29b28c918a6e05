"""In Chromium: an open participant page follows round 2 and the close without a reload.

The facilitator starts round 2 from the dashboard while the participant's page is open;
the page must switch to round 2 in place (a marker set on ``window`` survives, so the page
was not reloaded and kept its kernel) and show the round-1 results. Screenshots go to
``test-artifacts/`` and the page is checked with axe-core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import _axe
from playwright.sync_api import expect

from workbench.facilitation.notebook import dashboard_url

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CASE = "es61-manufacturing-youth"
check_axe = _axe.check_axe


def _card(page: Any, title: str) -> Any:
    return page.locator(".wb-card", has=page.get_by_role("heading", name=title, exact=True))


def test_round_two_and_the_close_reach_an_open_page_without_a_reload(
    served: Any, browser: Any
) -> None:
    wb = served.service()
    info = wb.create_workshop(CASE, title="Rounds in place", expected=1)
    wid = info.id
    wb.workshops.open(wid)
    try:
        link = wb.workshops.links(wid, 1)[0].url
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.goto(link, timeout=120_000)
        page.get_by_role("button", name="Join the workshop").wait_for(timeout=90_000)
        page.get_by_placeholder("a pseudonym is fine").fill("Rosa")
        page.locator("select").first.select_option(label="Employers and business associations")
        page.get_by_text("I agree", exact=True).click()
        page.get_by_role("button", name="Join the workshop").click()
        page.get_by_role("heading", name="Rate the options").wait_for(timeout=20_000)
        crit = info.criteria[0]["label"]
        page.locator(f"button[title='{crit}: 2 of 5']").first.click()
        rate = _card(page, "Rate the options")
        rate.get_by_role("button", name="Save").click()
        rate.get_by_text("Saved at").wait_for(timeout=20_000)
        page.evaluate("window.__sameDocument = 'round-1 page'")

        # The facilitator starts round 2 from the dashboard.
        dash = browser.new_page(viewport={"width": 1200, "height": 1000})
        dash.goto(dashboard_url(served.lab_url, wid, served.token), timeout=120_000)
        dash.get_by_role("heading", name="Facilitator dashboard").wait_for(timeout=90_000)
        dash.get_by_role("button", name="Start next round").click()
        dash.get_by_role("button", name="Yes, start the next round").click()
        # how fast is measured in benchmarks/bench_waves.py; here: that it happens
        page.get_by_text("Round 2 has started.").wait_for(timeout=60_000)
        page.get_by_role("heading", name="Results of round 1").wait_for(timeout=30_000)
        assert page.evaluate("window.__sameDocument") == "round-1 page", "the page reloaded"
        text = page.inner_text("body")
        assert "Round 2 is open" in text
        assert "1 participants rated in round 1" in text
        assert "Round 1: median 2" in text  # the round-1 median next to the re-asked item
        assert "Saved at" not in text  # round 2's forms start without round 1's receipts
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "participant-round2-in-place.png"), full_page=True)
        check_axe(page, "participant-round2-in-place")

        # Round 2 answers are stored for round 2 from the same page.
        page.locator(f"button[title='{crit}: 3 of 5']").first.click()
        rate = _card(page, "Rate the options")
        rate.get_by_role("button", name="Save").click()
        rate.get_by_text("Saved at").wait_for(timeout=20_000)
        with wb.db.session() as s:
            from workbench.db import participation as store

            rounds = sorted(r.round for r in store.find_feedback(s, workshop_id=wid))
        assert rounds == [1, 2]

        # The facilitator closes the workshop: the page turns read-only in place.
        dash.get_by_role("button", name="Close", exact=True).click()
        dash.get_by_role("button", name="Yes, close the workshop").click()
        page.get_by_text("The facilitator has closed the workshop.").wait_for(timeout=60_000)
        assert page.evaluate("window.__sameDocument") == "round-1 page"
        expect(page.get_by_role("button", name="Save").first).to_be_disabled(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "participant-closed-in-place.png"), full_page=True)
        dash.close()
        page.close()
    finally:
        if wb.workshops.get(wid).state == "open":
            wb.workshops.close(wid)
        wb.close()
