"""End to end in headless Chromium against a real ``workbench serve``: the facilitator
dashboard follows a live workshop, moderation removes a comment for participants, and
round 2 shows participants the anonymised round-1 results before they re-rate. The
dashboard's live tuning preview re-ranks the options from the points and ratings and
follows the facilitator's choice of group rule.

Screenshots: ``test-artifacts/dashboard.png``, ``test-artifacts/dashboard-tuning.png`` (the
preview section) and ``test-artifacts/participant-round2.png``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import _axe
import pytest

from workbench.db import participation as store
from workbench.facilitation.notebook import dashboard_url
from workbench.facilitation.tuning_panel import GROUP_RULES, PREVIEW_DRAWS
from workbench.participation.exports import read_export
from workbench.participation.tuning import tune_round

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
check_axe = _axe.check_axe
SLUG = "es61-manufacturing-youth"
#: Two camps: camp A agrees with S1–S4 and disagrees with S5–S8; camp B the reverse.
STATEMENTS = [
    "Employers should co-design the training content.",
    "Apprenticeships deserve a larger share of the budget.",
    "Training should lead to a recognised certificate.",
    "Case managers need smaller caseloads.",
    "Wage subsidies should go to small firms only.",
    "Public works are a good first step back to work.",
    "Sanctions for missed appointments should be stricter.",
    "Programmes should be cut if not evaluated within 2 years.",
]
SPEC = """\
title: Dashboard e2e workshop
scale: 5
expected_participants: 10
expected_mix: {employers: 3, unions: 3, employment_service: 2, ngos: 2}
options:
  - {key: training, label: Vocational training}
  - {key: wage_subsidy, label: Wage subsidies}
  - {key: job_search, label: Job-search assistance}
criteria:
  - {key: effectiveness, label: Effectiveness}
  - {key: feasibility, label: Feasibility}
statements:
""" + "".join(f"  - {s}\n" for s in STATEMENTS)
HOSTILE = "<img src=x onerror='window.__xss=1'>=HYPERLINK(\"http://evil\") names Mr X"


def _token(url: str) -> str:
    return url.split("token=")[1]


def _submit(wb: Any, wid: int, token: str, kind: str, payload: dict, key: str) -> None:
    wb.feedback.submit(
        workshop_id=wid,
        token=token,
        round_number=wb.workshops.get(wid).current_round,
        kind=kind,
        payload=payload,
        idempotency_key=key,
    )


def _participants(wb: Any, wid: int, groups: list[str]) -> list[str]:
    tokens = [_token(link.url) for link in wb.workshops.links(wid, len(groups))]
    for i, (token, group) in enumerate(zip(tokens, groups, strict=True)):
        wb.workshops.register(wid, token, display_name=f"<b>P{i}</b>", group=group, consent=True)
    return tokens


@pytest.fixture(scope="module")
def workshop(served: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Any]:
    spec = tmp_path_factory.mktemp("spec") / "workshop.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    wb = served.service()
    info = wb.create_workshop(SLUG, spec_path=spec)
    wb.workshops.open(info.id)
    try:
        yield info.id, wb
    finally:
        # close it, also after a failure, so the shared app server sizes its pools back down
        if wb.workshops.get(info.id).state != "closed":
            wb.workshops.close(info.id)
        wb.close()


def test_dashboard_refuses_unauthenticated_access(served: Any, workshop: Any, browser: Any) -> None:
    wid, _wb = workshop
    url = dashboard_url(served.lab_url, wid)  # no token
    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(_NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as err:
        opener.open(request)
    assert err.value.code in (302, 403)
    if err.value.code == 302:
        assert "/login" in err.value.headers["Location"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    assert "/login" in page.url
    assert "Facilitator dashboard" not in page.inner_text("body")
    context.close()
    # a wrong token does not open it either
    with pytest.raises(urllib.error.HTTPError):
        opener.open(dashboard_url(served.lab_url, wid, "not-the-token"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_dashboard_follows_the_workshop_moderation_and_round_two(
    served: Any, workshop: Any, browser: Any
) -> None:
    wid, wb = workshop
    info = wb.workshops.get(wid)
    sids = [s["id"] for s in wb.feedback.statements(workshop_id=wid)]
    assert len(sids) == len(STATEMENTS)

    dash = browser.new_page(viewport={"width": 1200, "height": 1400})
    dash.goto(dashboard_url(served.lab_url, wid, served.token), timeout=120_000)
    dash.get_by_role("heading", name="Facilitator dashboard").wait_for(timeout=90_000)
    ready = dash.locator("#wb-ready-status", has_text="The facilitator dashboard has loaded.")
    ready.wait_for(state="attached", timeout=30_000)  # said to screen readers, not "case study"
    assert "Facilitator view:" in dash.locator("footer").inner_text()
    status = dash.locator(".wb-live-status")
    status.get_by_text("0 registered").wait_for(timeout=60_000)

    # 1. participants submit: two camps of 5
    groups = ["employers", "unions", "employment_service", "ngos", "employers"] * 2
    tokens = _participants(wb, wid, groups)
    for p, token in enumerate(tokens):
        camp = 1 if p < 5 else -1
        votes = {
            str(sid): ("agree" if (i < 4) == (camp == 1) else "disagree")
            for i, sid in enumerate(sids)
        }
        _submit(wb, wid, token, "vote", {"votes": votes}, f"vote-{p:04d}")
        ratings = {
            # everyone agrees training is effective: consensus, not re-asked in round 2
            "training": {"effectiveness": 5 if p % 3 else 4, "feasibility": 1 + p % 5},
            # the other items spread over 1-5: no consensus, re-asked in round 2
            "wage_subsidy": {"effectiveness": 2 if camp == 1 else 5, "feasibility": 1 + p % 5},
            "job_search": {"effectiveness": 1 + (p + 2) % 5, "feasibility": 1 + (p + 4) % 5},
        }
        _submit(wb, wid, token, "rating", {"ratings": ratings}, f"rate-{p:04d}")
        points = {"effectiveness": 70, "feasibility": 30} if camp == 1 else {
            "effectiveness": 30, "feasibility": 70}  # fmt: skip
        _submit(wb, wid, token, "points", points, f"points-{p:04d}")
        approved = ["training"] + (["wage_subsidy"] if camp == -1 else ["job_search"])
        _submit(wb, wid, token, "approval", {"approved": approved}, f"appr-{p:04d}")
        order = ["training", "job_search", "wage_subsidy"]
        _submit(
            wb,
            wid,
            token,
            "ranking",
            {"order": order if camp == 1 else order[::-1]},
            f"rank-{p:04d}",
        )
    _submit(
        wb,
        wid,
        tokens[0],
        "comment",
        {"text": "Training must match local firms' needs."},
        "comment-0000",
    )
    _submit(wb, wid, tokens[6], "comment", {"text": HOSTILE}, "comment-0006")

    # 2. the dashboard shows the new totals and the two opinion groups, live
    status.get_by_text("10 registered").wait_for(timeout=30_000)
    body = dash.locator("body")
    dash.get_by_text("group A (5)").first.wait_for(timeout=30_000)
    assert "group B (5)" in body.inner_text()
    # the tuning preview re-ranks the options from the points and ratings (figure: the
    # rank probabilities), shows the weights and what each group's absence would change
    top = tune_round(wb, wid, n_draws=PREVIEW_DRAWS).ranking[0]
    label = {o["key"]: o["label"] for o in info.options}[top.option]
    preview = dash.locator(".wb-tuning-preview")
    preview.get_by_text(f"{label} would be first").wait_for(timeout=60_000)
    assert f"first in {top.p_first:.0%} of {PREVIEW_DRAWS} draws" in preview.inner_text()
    assert "without Trade unions" in preview.inner_text()
    alt = preview.locator("img.wb-figure").get_attribute("alt") or ""
    assert alt.startswith(f"Tuned ranking, best first, with the share of {PREVIEW_DRAWS} draws")
    # every plot is an <img> whose text alternative states its figures (8 with the
    # "what matters most" weights: the workshop asks for points; 9 with the preview's)
    assert dash.locator("img.wb-figure").count() == 9
    assert dash.locator("img.wb-figure:not([alt])").count() == 0
    opinions = "Opinion map (PCA of statement votes): 10 participants in 2 opinion groups: "
    assert dash.get_by_role("img", name=opinions + "group A 5; group B 5.", exact=True).count() == 1
    # 4 employers, 2 unions, 2 PES, 2 NGOs came; 3, 3, 2 and 2 were expected
    assert "Missing: Trade unions (2 of 3)." in body.inner_text()
    # participant text is shown as text: the hostile comment does not run
    dash.get_by_text("names Mr X").first.wait_for(timeout=10_000)
    assert dash.evaluate("window.__xss") is None
    assert "<b>P0</b>" not in body.inner_text()  # names are never shown, only pseudonyms

    # 4. a moderated comment disappears for participants
    row = dash.locator(".wb-moderation-row", has_text="names Mr X")
    row.get_by_placeholder("Reason (required to hide)").fill("names a person")
    row.get_by_role("button", name="Hide").click()
    dash.locator(".wb-moderation-row", has_text="names Mr X").get_by_text("hidden").wait_for(
        timeout=20_000
    )
    [entry] = wb.moderation.log(wid)
    assert (entry.action, entry.reason) == ("hide", "names a person")

    dash.get_by_text("names a person").first.wait_for(timeout=20_000)  # the log is shown
    ARTIFACTS.mkdir(exist_ok=True)
    # the facilitator tries another group rule: the preview follows (and only the preview)
    preview.get_by_label("Group rule:").select_option(label=GROUP_RULES[1][0])
    preview.get_by_text("--groups as-present").wait_for(timeout=30_000)
    preview.scroll_into_view_if_needed()
    preview.screenshot(path=str(ARTIFACTS / "dashboard-tuning.png"))
    dash.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    check_axe(dash, "dashboard")

    # the facilitator downloads the answers and the minutes from the dashboard (same login)
    with dash.expect_download(timeout=60_000) as got:
        dash.get_by_role("link", name="Answers (Excel)").click()
    xlsx = ARTIFACTS / "dashboard-export.xlsx"
    xlsx.unlink(missing_ok=True)
    got.value.save_as(xlsx)
    tables = read_export(xlsx)
    # 10 participants × (6 ratings; 3 approval rows, one per option; 3 ranks; 8 votes); the
    # hidden comment is not exported, the other one is
    counts = {name: len(tables[name]) for name in ("participants", "ratings", "approvals")}
    counts |= {name: len(tables[name]) for name in ("rankings", "votes", "comments")}
    assert counts == {
        "participants": 10,
        "ratings": 60,
        "approvals": 30,
        "rankings": 30,
        "votes": 80,
        "comments": 1,
    }
    assert "names Mr X" not in "".join(tables["comments"]["text"])  # hidden: not exported
    with dash.expect_download(timeout=120_000) as got:
        dash.get_by_role("link", name="Minutes (HTML, takes a few seconds)").click()
    minutes_path = ARTIFACTS / "dashboard-minutes.html"
    minutes_path.unlink(missing_ok=True)
    got.value.save_as(minutes_path)
    minutes = minutes_path.read_text(encoding="utf-8")
    assert "Workshop minutes" in minutes and "group A (5)" in minutes
    offline = browser.new_page(viewport={"width": 1000, "height": 1400})
    offline.goto(minutes_path.as_uri())
    offline.get_by_role("heading", name="Who took part").wait_for(timeout=10_000)
    check_axe(offline, "minutes")
    offline.close()

    # the facilitator starts round 2 from the dashboard: it asks first, Cancel does nothing
    dash.get_by_role("button", name="Start next round").click()
    dash.get_by_text("Start the next round?").wait_for(timeout=10_000)
    dash.screenshot(path=str(ARTIFACTS / "dashboard-confirm.png"))
    dash.get_by_role("button", name="Cancel").click()
    dash.get_by_role("button", name="Cancel").wait_for(state="detached", timeout=10_000)
    assert wb.workshops.get(wid).current_round == 1
    dash.get_by_role("button", name="Start next round").click()
    dash.get_by_role("button", name="Yes, start the next round").click()
    status.get_by_text("in round 2").wait_for(timeout=30_000)

    # 3. round 2 shows round-1 results to a participant before re-rating
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    app_url = wb.workshops.join_url(
        _publication(wb, info.publication_id), _workshop(wb, wid), tokens[1]
    )
    page.goto(app_url, timeout=120_000)
    try:
        page.get_by_role("heading", name="Results of round 1").wait_for(timeout=90_000)
    except Exception as exc:  # say what the participant saw instead
        page.screenshot(path=str(ARTIFACTS / "participant-round2-failed.png"), full_page=True)
        shown = page.inner_text("body")
        raise AssertionError(f"no round-1 results; the page shows:\n{shown}") from exc
    text = page.inner_text("body")
    assert "10 participants rated in round 1" in text
    # 3 options × 2 criteria: one settled, the other five asked again
    assert "agreed on 1 of 6 items; this round asks again about 5 items without consensus" in text
    assert "Training must match local firms' needs." in text
    assert "names Mr X" not in text  # hidden by moderation
    assert "not asked again" in text  # training/effectiveness reached consensus
    assert "Round 1: median" in text
    page.screenshot(path=str(ARTIFACTS / "participant-round2.png"), full_page=True)
    check_axe(page, "participant-round2")
    # only non-consensus items are re-asked: the consensus item has no buttons
    crit = info.criteria[0]["label"]
    assert page.locator(f"button[title='{crit}: 4 of 5']").count() == 2  # 3 options − 1 settled
    page.close()

    # the facilitator looks back at round 1 while round 2 runs
    dash.get_by_role("button", name="Round 1", exact=True).click()
    status.get_by_text("Showing round 1").wait_for(timeout=30_000)
    dash.get_by_text("1 of 6 items reached consensus in round 1.").wait_for(timeout=10_000)
    dash.screenshot(path=str(ARTIFACTS / "dashboard-round-picker.png"))
    check_axe(dash, "dashboard-round-picker")
    dash.close()


def _publication(wb: Any, publication_id: int) -> Any:
    with wb.db.session() as s:
        return store.find_publication(s, publication_id=publication_id)


def _workshop(wb: Any, wid: int) -> Any:
    with wb.db.session() as s:
        return store.find_workshop(s, workshop_id=wid)
