"""The minutes and the dashboard speak the workshop's default language.

A Spanish workshop (default ``es``, offered ``es`` and ``en``) on the planted room's
publication: its minutes are ``<html lang="es">``, name the offered languages each in its
own name and language, write numbers the Spanish way (Babel: a decimal comma), and mark a
participant's text written in English with ``lang="en"`` and a visible ``[EN]``. The Spanish
catalog may still be empty, so the checks are on structure and formats, not on words.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import _axe
import pytest

from workbench.facilitation.dashboard import FacilitatorDashboard
from workbench.facilitation.summary import summarise, text_html
from workbench.i18n import ENGLISH, translator
from workbench.participation.moderation import ModerationItem
from workbench.participation.spec import WorkshopSpec

ES = translator("es")
ENGLISH_STATEMENT = "Training vouchers should cover travel <b>costs</b>."
ENGLISH_COMMENT = "Employers were not heard enough."
SPANISH_COMMENT = "Faltan los sindicatos del sector."


class Spanish:
    """A Spanish workshop with four participants' ratings, an English proposal and comments."""

    def __init__(self, room: Any) -> None:
        self.wb = room.wb
        spec = WorkshopSpec.model_validate(
            {
                "title": "Empleo juvenil",
                "language": "es",
                "languages": ["es", "en"],
                "scale": 5,
                "expected_participants": 4,
                "expected_mix": {"employers": 2, "unions": 2},
                "options": [
                    {"key": "training", "label": "Formación profesional"},
                    {"key": "wage_subsidy", "label": "Subvenciones salariales"},
                ],
                "criteria": [{"key": "effectiveness", "label": "Eficacia"}],
                "statements": [f"Declaración número {i}" for i in range(3)],
            }
        )
        self.wid = self.wb.workshops.create(case_slug="es61-test", spec=spec).id
        self.wb.workshops.open(self.wid)
        links = self.wb.workshops.links(self.wid, 4)
        self.tokens = [parse_qs(urlsplit(link.url).query)["token"][0] for link in links]
        for i, token in enumerate(self.tokens):
            group = ("employers", "unions")[i % 2]
            self.wb.workshops.register(
                self.wid, token, display_name=f"P{i}", group=group, consent=True
            )
        self._key = 0
        # training on effectiveness: 4, 5, 5, 4 -> median 4.5 (Spanish "4,5")
        for p, rating in enumerate((4, 5, 5, 4)):
            self.submit(p, "rating", {"ratings": {"training": {"effectiveness": rating}}})
        self.submit(0, "proposal", {"text": ENGLISH_STATEMENT}, language="en")
        proposal = next(
            i for i in self.wb.moderation.queue(self.wid) if i.kind == "statement" and i.author
        )
        self.wb.moderation.moderate(
            self.wid, target_kind="statement", target_id=proposal.id, action="approve"
        )
        self.submit(1, "comment", {"text": ENGLISH_COMMENT}, language="en")
        self.submit(2, "comment", {"text": SPANISH_COMMENT}, language="es")

    def submit(self, p: int, kind: str, payload: dict[str, Any], **kw: Any) -> None:
        self._key += 1
        self.wb.feedback.submit(
            workshop_id=self.wid,
            token=self.tokens[p],
            round_number=1,
            kind=kind,
            payload=payload,
            idempotency_key=f"es-{self._key:08d}",
            **kw,
        )


@pytest.fixture
def spanish(room: Any) -> Spanish:
    return Spanish(room)


def _marked(html: str, text: str, code: str) -> bool:
    """``text`` (escaped) inside an element with ``lang=code``, after its ``[CODE]`` tag."""
    escaped = re.escape(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    tag = rf"\[{code.upper()}\]</span>\s*<span lang=.{code}.>{escaped}</span>"
    return re.search(tag, html) is not None


@pytest.mark.slow
@pytest.mark.databases("sqlite")  # a kernel and Chromium; the data is read on both below
def test_spanish_minutes_are_lang_es_list_the_languages_and_mark_english_text(
    spanish: Spanish, tmp_path: Path
) -> None:
    path = tmp_path / "minutas.html"
    spanish.wb.workshop_minutes(spanish.wid, path)
    html = path.read_text(encoding="utf-8")
    assert re.search(r'<html lang="es">', html)
    # the offered languages, each in its own name and marked with its language
    assert re.search(
        r"<dd><span lang=.es.>Español</span>, <span lang=.en.>English</span></dd>", html
    )
    assert ES.name == "Español" and translator("en").name == "English"
    # Babel's Spanish number format: the median 4.5 is "4,5"
    assert ES.number(4.5) == "4,5"
    assert re.search(r"<td class=.wb-num.>4,5</td>", html)
    assert not re.search(r"<td class=.wb-num.>4\.5</td>", html)
    # the participant's statement written in English: lang="en" and a visible [EN]
    assert _marked(html, ENGLISH_STATEMENT, "en")
    assert "<b>costs</b>" not in html
    _screenshot_and_axe(path)


def _screenshot_and_axe(path: Path) -> None:
    """The Spanish minutes as a reader opens them (file, no network): screenshot and axe."""
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
            page.locator("h1").first.wait_for(timeout=10_000)
            assert page.evaluate("document.documentElement.lang") == "es"
            page.screenshot(path=str(_axe.ARTIFACTS / "minutes-es.png"), full_page=True)
            _axe.check_axe(page, "minutes-es")
        finally:
            browser.close()


def test_spanish_summary_marks_the_english_statement_and_formats_numbers(
    spanish: Spanish,
) -> None:
    s = summarise(spanish.wb, spanish.wid)
    assert s.t.code == "es"
    assert _marked(s.html["statements"], ENGLISH_STATEMENT, "en")
    assert "[ES]" not in s.html["statements"]  # the workshop's own language is not tagged
    assert f"<td class='wb-num'>{ES.number(4.5)}</td>" in s.html["ratings"]
    assert "4,5" in s.alt["ratings"] and "4.5" not in s.alt["ratings"]


@pytest.mark.skipif(
    "language" not in {f.name for f in fields(ModerationItem)},
    reason="needs ModerationItem.language (workbench/participation/moderation.py, the lead)",
)
def test_spanish_summary_marks_a_comment_written_in_english(spanish: Spanish) -> None:
    comments = summarise(spanish.wb, spanish.wid).html["comments"]
    assert _marked(comments, ENGLISH_COMMENT, "en")
    assert SPANISH_COMMENT in comments and "[ES]" not in comments


def test_text_html_marks_only_other_languages_and_escapes() -> None:
    assert text_html("<i>hola</i>", "es", ES) == "&lt;i&gt;hola&lt;/i&gt;"
    assert text_html("hola", None, ES) == "hola"
    assert text_html("hola", "xx", ES) == "hola"  # not a language the workbench knows
    assert text_html("<i>hi</i>", "en", ES) == (
        "<span class='wb-lang-tag'>[EN]</span> <span lang=\"en\">&lt;i&gt;hi&lt;/i&gt;</span>"
    )
    assert text_html("hola", "es", ENGLISH).endswith('<span lang="es">hola</span>')


def test_spanish_dashboard_content_is_wrapped_in_lang_es(spanish: Spanish, room: Any) -> None:
    dash = FacilitatorDashboard(spanish.wb, spanish.wid)
    assert dash.t.code == "es"
    dash.refresh(force=True)
    for widget in (dash.header, dash.status, dash.downloads, dash.text["ratings"]):
        assert widget.value.startswith('<div lang="es">'), widget.value[:80]
    assert dash.img["ratings"].value.startswith('<div lang="es"><img class="wb-figure"')
    assert f"<td class='wb-num'>{ES.number(4.5)}</td>" in dash.text["ratings"].value
    assert _marked(dash.text["statements"].value, ENGLISH_STATEMENT, "en")
    # the English room's dashboard: no wrapper, as before
    english = FacilitatorDashboard(room.wb, room.wid)
    assert english.t == ENGLISH
    english.refresh(force=True)
    assert english.header.value.startswith("<header class='wb-card'><h1>Facilitator dashboard")
    assert "lang=" not in english.text["ratings"].value
