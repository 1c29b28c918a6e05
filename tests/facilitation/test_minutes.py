"""Workshop minutes: executed on a real kernel, offline HTML (and PDF), escaped, and
without any trace of a participant after their data is erased."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any

import _axe
import pytest

from workbench.exceptions import InputError, InvalidInput, WorkshopNotFound
from workbench.participation.privacy import PrivacyService

pytestmark = pytest.mark.slow


def _minutes(room: Any, path: Path, **kw: Any) -> str:
    written = room.wb.workshop_minutes(room.wid, path, **kw)
    assert written[0] == path
    return path.read_text(encoding="utf-8")


@pytest.mark.databases("sqlite")  # Chromium printing; the data is read on both elsewhere
def test_minutes_open_offline_escape_text_and_print_to_pdf(room: Any, tmp_path: Path) -> None:
    html = _minutes(room, tmp_path / "minutes.html", pdf=True)
    assert "Workshop minutes: Youth employment &lt;i&gt;ES61&lt;/i&gt;" in html
    for title in (
        "Who took part",
        "Ratings and Delphi consensus",
        "Opinion groups",
        "Do the top options hold?",
        "Tuned recommendation",
        "What participants said",
        "Method and sources",
    ):
        assert title in html, title
    # the 8 plots are embedded, each with a text alternative that states its numbers
    # (nbconvert re-serialises the tags: attributes in any order)
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 8
    assert all(
        'src="data:image/png;base64,' in i and re.search(r'alt="[^"]{40,}"', i) for i in images
    )
    assert 'alt="Ratings heatmap, 1 of 6 items with consensus: Vocational training' in html
    assert 'alt="Opinion map (PCA of statement votes): 10 participants in 2 opinion' in html
    # nothing is fetched: no external script, stylesheet or image
    assert not re.search(r'<(script|img|link)[^>]+(src|href)="https?://', html)
    # markup in participant text is shown as text (quotes may be re-serialised unescaped
    # in text nodes, which is harmless)
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "<script>window.__xss" not in html
    assert escape(room.HOSTILE_STATEMENT, quote=False) in html
    assert "<img src=x onerror" not in html
    for name in room.NAMES:
        assert name not in html and escape(name) not in html
    assert "SYNTHETIC DEMO DATA" in html
    assert "No tuned version was proposed from this workshop's answers." in html
    assert "doi:10.1016/j.jclinepi.2013.12.002" in html
    pdf = (tmp_path / "minutes.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    _check_axe_offline(tmp_path / "minutes.html")


def _check_axe_offline(path: Path) -> None:
    """axe-core on the minutes as a reader opens them: from a file, with no network.

    Playwright is started here rather than through the module-scoped ``browser`` fixture,
    whose event loop would stay up and break the minutes kernels of the next tests.
    """
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.route(
                "**/*",
                lambda r: (
                    r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
                ),
            )
            page.goto(path.as_uri())
            page.get_by_role("heading", name="Who took part").wait_for(timeout=10_000)
            page.screenshot(path=str(_axe.ARTIFACTS / "minutes.png"), full_page=True)
            _axe.check_axe(page, "minutes-offline")
        finally:
            browser.close()


def test_minutes_after_erasure_show_no_trace(room: Any, tmp_path: Path) -> None:
    gone = room.public_id(7)  # wrote the hostile comment
    before = _minutes(room, tmp_path / "before.html")
    assert gone in before and "call Ms Y" in before
    PrivacyService(room.wb.db, room.wb.settings).erase(gone)
    after = _minutes(room, tmp_path / "after.html")
    assert gone not in after
    assert "call Ms Y" not in after
    assert "9 registered of 12 expected" in after  # aggregates consistent with the erasure


def test_minutes_refuse_bad_output_and_unknown_workshops(room: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"must end in \.html"):
        room.wb.workshop_minutes(room.wid, tmp_path / "minutes.pdf")
    existing = tmp_path / "exists.html"
    existing.write_text("keep me")
    with pytest.raises(InputError, match="refusing to overwrite"):
        room.wb.workshop_minutes(room.wid, existing)
    assert existing.read_text() == "keep me"
    with pytest.raises(WorkshopNotFound):
        room.wb.workshop_minutes(999, tmp_path / "x.html")
