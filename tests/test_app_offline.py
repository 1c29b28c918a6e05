"""In Chromium: the app server is killed under an open page, and comes back.

``kill -9`` of the app server (as a crash or the OOM killer would) while a participant's
page is open: the page must say at once that the connection is lost (answers marked
"Saved" are stored, nothing changed now can be saved) and make its inputs inert;
``workbench serve`` restarts the app server, the page says so and offers a reload, and
the reloaded page shows the answer that was saved before the crash. The lab server keeps
running throughout. Screenshots go to ``test-artifacts/``.

Runs on SQLite only: the banner is the browser's side; the store's side of the same crash
(every acknowledged submission stored exactly once) is tested on both databases in
tests/test_crash.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import Any

import _axe
import _participants
import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.mark.parametrize("demo_runs", ["sqlite"], indirect=True)
def test_a_killed_app_server_is_announced_and_a_reload_recovers(
    demo_runs: Any, browser: Any, tmp_path: Path
) -> None:
    with contextlib.ExitStack() as stack:
        serve = _participants.start_serve(demo_runs, tmp_path, stack, expected=1)
        stack.callback(serve.stop)
        lab_pid = serve.lab_pid()
        link = serve.links(1)[0]
        page = browser.new_page(viewport={"width": 1000, "height": 1200})
        page.goto(link, timeout=120_000)
        page.get_by_role("button", name="Join the workshop").wait_for(timeout=90_000)
        page.get_by_placeholder("a pseudonym is fine").fill("Ines")
        page.locator("select").first.select_option(label="NGOs and civil society")
        page.get_by_text("I agree", exact=True).click()
        page.get_by_role("button", name="Join the workshop").click()
        rate = page.locator(
            ".wb-card", has=page.get_by_role("heading", name="Rate the options", exact=True)
        )
        rate.wait_for(timeout=30_000)
        crit = page.locator("button[title$=': 4 of 5']").first
        crit.click()
        rate.get_by_role("button", name="Save").click()
        rate.get_by_text("Saved at").wait_for(timeout=20_000)
        banner = page.locator("#wb-offline")
        assert banner.is_hidden()

        os.kill(serve.app_pid(), signal.SIGKILL)
        banner.get_by_text("Connection to the workshop server lost.").wait_for(timeout=15_000)
        assert "Answers marked ‘Saved’ are stored." in banner.inner_text()
        assert page.evaluate("document.body.classList.contains('wb-offline')")
        # inputs are inert: a click on Save does not reach the page's handlers
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('button.jupyter-button')).pointerEvents"
            )
            == "none"
        )
        page.screenshot(path=str(ARTIFACTS / "participant-connection-lost.png"))

        # serve restarts the app server; the page notices and offers a reload
        page.get_by_role("button", name="Reload the page").wait_for(timeout=90_000)
        assert "The server is back." in banner.inner_text()
        _axe.check_axe(page, "participant-connection-lost")
        page.screenshot(path=str(ARTIFACTS / "participant-server-back.png"))
        assert serve.lab_pid() == lab_pid, "the lab server was restarted too"
        assert serve.lab_status()["kernels"] >= 0  # it still answers

        page.get_by_role("button", name="Reload the page").click()
        page.get_by_role("heading", name="Rate the options").wait_for(timeout=120_000)
        pressed = page.locator("button[title$=': 4 of 5'][aria-pressed='true']")
        pressed.first.wait_for(timeout=30_000)  # the answer saved before the crash is there
        assert page.locator("#wb-offline").is_hidden()
        log = (serve.home / "var" / "logs" / "appserver.log").read_text(errors="replace")
        assert "stopped unexpectedly (signal 9); restarting in 1 s" in log
        page.close()
