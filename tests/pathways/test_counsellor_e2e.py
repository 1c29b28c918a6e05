"""End to end in headless Chromium: the counsellor view on a real analyst JupyterLab.

A fresh workspace is served by a real JupyterLab (the argv and environment of
``workbench serve``, see ``tests/_labserver.py``); a pathway is built by the real code
(the workspace's approved profiling model scores a SYNTHETIC jobseeker, the pathway
builder adds the evidence, the shortage occupations and return-to-work rates) and saved
through :class:`~workbench.pathways.oversight.OversightService`. The counsellor opens the
view, reads it, rejects a step with a reason through the UI, and the decision is checked
in the database: who, what, when, why. Without the lab's token the view does not open.

Screenshots (1280 px wide): ``/tmp/shots/counsellor.png`` and
``/tmp/shots/counsellor-override.png`` (also copied to ``test-artifacts/``).
"""

from __future__ import annotations

import os
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _axe
import _labserver
import pytest

from workbench.config import Settings
from workbench.pathways.notebook import counsellor_url, write_counsellor_notebook
from workbench.pathways.oversight import OversightService
from workbench.widgets.counsellor import COUNSELLOR_ENV
from workbench.widgets.counsellor_cards import BANNER, pct
from workbench.workspace import init_workspace

SHOTS = Path("/tmp/shots")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
COUNSELLOR = "Counsellor E2E"
REASON = "She starts an apprenticeship with a local firm next month."
REGION = "ES61"


class _FreshWorkspace:
    """Stands in for ``demo_runs`` in :func:`_labserver.lab_on_copy`: a new workspace
    (its own SQLite database), no case-study runs needed."""

    def copy(self, dest: Path, _stack: Any) -> None:
        init_workspace(dest, cases=())


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    dest = tmp_path_factory.mktemp("counsellor") / "ws"
    before = os.environ.get(COUNSELLOR_ENV)
    os.environ[COUNSELLOR_ENV] = COUNSELLOR  # the lab's kernels inherit it
    try:
        with _labserver.lab_on_copy(_FreshWorkspace(), dest) as server:
            write_counsellor_notebook(Settings(home=dest))
            yield server
    finally:
        if before is None:
            os.environ.pop(COUNSELLOR_ENV, None)
        else:
            os.environ[COUNSELLOR_ENV] = before


@pytest.fixture(scope="module")
def saved(lab: Any) -> Iterator[tuple[OversightService, Any, int]]:
    """A real pathway (3 steps if one of the jobseekers is high-risk), saved for review."""
    from workbench.pathways.build import build_pathways
    from workbench.pathways.outcomes import return_to_work
    from workbench.profiling.model import load_approved_profiling
    from workbench.profiling.pseudonym import pseudonymise_frame
    from workbench.profiling.synthetic import generate_jobseekers

    models = lab.home / "shared_models"
    model = load_approved_profiling(models)
    key = b"counsellor-e2e-test-key-32-bytes"
    frame = pseudonymise_frame(generate_jobseekers(200, seed=7, regions=[REGION]), key)
    history = generate_jobseekers(3000, seed=8, regions=[REGION])  # programme outcomes
    pathways = build_pathways(frame, model, models, outcomes=return_to_work(history))
    pathway = max(pathways, key=lambda p: (len(p.steps), p.risk))
    wb = lab.service()
    service = OversightService(wb.db)
    pid = service.save_pathway(pathway, by="pathway builder (test)")
    try:
        yield service, pathway, pid
    finally:
        wb.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_the_view_refuses_an_unauthenticated_request(lab: Any, saved: Any, browser: Any) -> None:
    _service, pathway, _pid = saved
    opener = urllib.request.build_opener(_NoRedirect())
    for token in (None, "not-the-token"):
        url = counsellor_url(lab.lab_url, person=pathway.person, token=token)
        with pytest.raises(urllib.error.HTTPError) as err:
            opener.open(url)
        assert err.value.code in (302, 403)
        if err.value.code == 302:
            assert "/login" in err.value.headers["Location"]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(counsellor_url(lab.lab_url, person=pathway.person))
        assert "/login" in page.url
        text = page.inner_text("body")
        assert "Counsellor view" not in text and pathway.person not in text
    finally:
        context.close()


def test_the_view_renders_and_an_override_lands_in_the_database(
    lab: Any, saved: Any, browser: Any
) -> None:
    service, pathway, pid = saved
    assert pathway.synthetic and len(pathway.steps) >= 2
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(counsellor_url(lab.lab_url, pathway.person, lab.token), timeout=120_000)
        heading = page.get_by_role("heading", name="Counsellor view: intervention pathways")
        try:
            heading.wait_for(timeout=120_000)
            page.locator(".wb-cv-step").first.wait_for(timeout=60_000)
        except Exception as exc:  # say what the page shows instead
            raise AssertionError(
                f"the view did not render; the page shows:\n{page.inner_text('body')}\n"
                f"lab log:\n{lab.log()[-3000:]}"
            ) from exc
        body = page.locator("body")
        text = " ".join(body.inner_text().split())
        assert BANNER in text
        assert f"Counsellor: {COUNSELLOR}" in text
        assert "Counsellor view: decision support only." in text  # the template knows the page
        assert "case study" not in text.lower()
        assert "SYNTHETIC data and model" in text
        assert f"Estimated risk: {pct(pathway.risk)} (interval {pct(pathway.risk_low)}" in text
        assert f"{pathway.risk_band.upper()} risk" in text
        risk_bar = page.get_by_role("img", name=re.compile(r"^Risk of long-term unemployment: "))
        assert risk_bar.count() == 1 and risk_bar.is_visible()
        assert pathway.person in text
        for note in pathway.notes:
            assert " ".join(note.split()) in text
        cards = page.locator(".wb-cv-step")
        assert cards.count() == len(pathway.steps)
        for i, step in enumerate(pathway.steps):
            card_text = " ".join(cards.nth(i).inner_text().split())
            assert f"Step {i + 1}:" in card_text and step.label in card_text
            plural = "studies" if step.studies != 1 else "study"
            count = f"{step.evidence_count} estimate{'s' * (step.evidence_count != 1)}"
            assert f"{count} from {step.studies} {plural}" in card_text
            assert " ".join(step.reason.split())[:80] in card_text
            assert "Not decided yet" in card_text
        assert any(s.evidence_count > 0 for s in pathway.steps)
        assert page.locator(".wb-cv-sources a[href^='http']").count() >= 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "counsellor.png"), full_page=True)
        _axe.check_axe(page, "counsellor")

        # the counsellor rejects the last step; the button says why it waits for a reason
        last = len(pathway.steps) - 1
        step = pathway.steps[last]
        card = cards.nth(last)
        card.get_by_role("button", name="Reject", exact=True).click()
        waiting = card.get_by_role("button", name="Give a reason to reject this step")
        waiting.wait_for(timeout=20_000)
        assert waiting.is_disabled()
        card.screenshot(path=str(SHOTS / "counsellor-reason-needed.png"))
        started = datetime.now(UTC)
        card.get_by_placeholder("Why (required to change or reject)").fill(REASON)
        card.get_by_role("button", name="Save decision: Reject").click(timeout=20_000)
        card.get_by_text(f"Saved: Rejected by {COUNSELLOR}").wait_for(timeout=30_000)
        ended = datetime.now(UTC)

        # the override is in the database: who, what, when, why
        [review] = service.reviews(pid)
        assert (review.pathway_id, review.person, review.step_id) == (
            pid,
            pathway.person,
            step.step_id,
        )
        assert (review.action, review.change_to) == ("reject", None)
        assert (review.counsellor, review.reason) == (COUNSELLOR, REASON)
        assert started.replace(microsecond=0) <= review.at <= ended
        # and on the page: the step's history and current decision; the others untouched
        card.locator(".wb-cv-history table").get_by_text(REASON).wait_for(timeout=10_000)
        assert "Current decision: Rejected, by Counsellor E2E" in card.inner_text()
        assert "Not decided yet" in cards.nth(0).inner_text()
        card.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "counsellor-override.png"), full_page=True)
        assert errors == []
    finally:
        page.close()
        ARTIFACTS.mkdir(exist_ok=True)
        for name in ("counsellor.png", "counsellor-reason-needed.png", "counsellor-override.png"):
            if (SHOTS / name).is_file():
                shutil.copy(SHOTS / name, ARTIFACTS / name)
