"""The Workbench sidebar (``workbench.labext``, built from ``labextension/``) in Chromium
against a real JupyterLab: it lists the case studies, runs one (a cache hit of the demo
runs), publishes it, and publishes the notebook in focus (a run's output notebook).

SQLite only: the REST API under it runs on both databases in
``tests/server/test_case_handlers.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _axe
import _labserver
import pytest

from workbench.labext import LABEXTENSION_NAME, LABEXTENSIONS_DIR, lab_arguments

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ES61, DE21 = "es61-manufacturing-youth", "de21-ict-older-workers"


def test_the_built_extension_is_in_the_package() -> None:
    pkg = json.loads((LABEXTENSIONS_DIR / LABEXTENSION_NAME / "package.json").read_text())
    assert pkg["name"] == LABEXTENSION_NAME
    load = LABEXTENSIONS_DIR / LABEXTENSION_NAME / pkg["jupyterlab"]["_build"]["load"]
    assert load.is_file() and load.stat().st_size > 1000
    assert lab_arguments() == [f"--LabApp.extra_labextensions_path={LABEXTENSIONS_DIR}"]


def _check_axe(page: Any, selector: str) -> None:
    """axe-core (WCAG 2 A/AA) on the sidebar only (JupyterLab's own UI is not ours)."""
    page.add_script_tag(path=str(_axe.AXE_JS))
    result = page.evaluate(
        """async ([selector, tags]) => await axe.run(document.querySelector(selector),
               {runOnly: {type: 'tag', values: tags}})""",
        [selector, _axe.WCAG_TAGS],
    )
    (ARTIFACTS / "axe-lab-sidebar.json").write_text(json.dumps(result["violations"], indent=1))
    assert result["passes"], "axe checked nothing"
    bad = [v for v in result["violations"] if v.get("impact") in _axe.FAILING_IMPACTS]
    assert not bad, "\n".join(_axe._describe(v) for v in bad)


@pytest.fixture(scope="module")
def lab(demo_runs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    dest = tmp_path_factory.mktemp("lab-sidebar") / "ws"
    with _labserver.lab_on_copy(demo_runs, dest) as server:
        yield server


@pytest.mark.databases("sqlite")
def test_sidebar_runs_and_publishes_a_case_study(lab: Any, browser: Any) -> None:
    status, page_html = _labserver.fetch(f"{lab.lab_url}lab?token={lab.token}")
    assert status == 200 and LABEXTENSION_NAME in page_html  # in the page config
    wb = lab.service()
    try:
        output = next(r for r in wb.runs(case_slug=DE21) if r.notebook_path).notebook_path
        assert wb.apps() == []
    finally:
        wb.close()

    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    try:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # the lab opens with a run's output notebook in focus
        page.goto(f"{lab.lab_url}lab/tree/{output}?token={lab.token}")
        page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)
        page.locator('.lm-TabBar-tab[data-id="workbench-sidebar"]').click()
        sidebar = page.locator("#workbench-sidebar")
        sidebar.get_by_role("heading", name="Workbench").wait_for()
        es61 = sidebar.locator(f'section[data-case="{ES61}"]')
        de21 = sidebar.locator(f'section[data-case="{DE21}"]')
        es61.wait_for()
        for section in (es61, de21):
            assert section.locator(".jp-WorkbenchSidebar-badge").inner_text() == "valid"
            assert section.locator(".jp-WorkbenchSidebar-runs li").count() >= 2
            assert "Not published." in section.inner_text()

        # a refusal of the server is shown with its message
        de21.get_by_role("button", name="Create workshop").click()
        page.locator(".jp-Dialog").get_by_role("button", name="Ok").click()
        status = sidebar.get_by_role("status")
        page.wait_for_function(
            "el => el.textContent.includes('refused')", arg=status.element_handle()
        )
        assert f"refused: case study {DE21!r} has no published app" in status.inner_text()
        assert "jp-mod-error" in status.get_attribute("class")
        assert de21.locator("li[data-workshop]").count() == 0

        es61.get_by_role("button", name="Run", exact=False).first.click()
        es61.locator('[data-job="done"]').wait_for(timeout=60_000)
        assert "cached" in es61.locator('[data-job="done"]').inner_text()
        assert es61.locator('.jp-WorkbenchSidebar-runs li[data-status="cached"]').count() >= 2

        es61.get_by_role("button", name="Publish", exact=False).click()
        app_link = es61.locator(".jp-WorkbenchSidebar-app a")
        app_link.wait_for(timeout=30_000)
        assert app_link.get_attribute("href").endswith(f"voila/render/{ES61}.ipynb")
        assert "Published es61" in sidebar.get_by_role("status").inner_text()

        sidebar.get_by_role("button", name="Publish this notebook as an app").click()
        de21.locator(".jp-WorkbenchSidebar-app a").wait_for(timeout=30_000)
        assert f"Published {DE21} (from {output})" in sidebar.get_by_role("status").inner_text()

        es61.get_by_role("button", name="Create workshop").click()
        dialog = page.locator(".jp-Dialog")
        dialog.locator("input").fill("Sidebar workshop")
        dialog.get_by_role("button", name="Ok").click()
        workshop = es61.locator("li[data-workshop]")
        workshop.wait_for(timeout=30_000)
        assert "Sidebar workshop — draft, round 0" in workshop.inner_text()
        wid = workshop.get_attribute("data-workshop")
        workshop.get_by_role("button", name="Open workshop").click()
        workshop.get_by_role("button", name="Close workshop").wait_for(timeout=30_000)
        assert "Sidebar workshop — open, round 1" in workshop.inner_text()
        # the popup's URL is what is checked: no Voilà render (and kernel) behind it
        page.context.route(
            "**/voila/render/**", lambda route: route.fulfill(status=200, body="dashboard")
        )
        with page.expect_popup() as popup:
            workshop.get_by_role("button", name="Open dashboard").click()
        dashboard = popup.value
        assert f"voila/render/dashboards/facilitator.ipynb?workshop={wid}" in dashboard.url
        dashboard.close()

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "lab-sidebar.png"))
        assert errors == []
        _check_axe(page, "#workbench-sidebar")
    finally:
        page.close()
    wb = lab.service()
    try:
        assert sorted(a.case_slug for a in wb.apps()) == [DE21, ES61]
        assert [(w.case_slug, w.state) for w in wb.workshops.list()] == [(ES61, "open")]
    finally:
        wb.close()
