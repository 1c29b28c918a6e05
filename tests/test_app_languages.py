"""Stakeholders take part in their own language: a Spanish workshop in headless Chromium at
phone width, the switch to English that sticks, an error in Greek, and every shipped
language checked with axe-core (``lang`` attributes included) without overflowing 390 px.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import _axe
import pytest

from workbench.i18n import LANGUAGES, translator
from workbench.participation.workshops import INVALID_LINK

pytestmark = pytest.mark.databases("sqlite")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 390, "height": 844}
ES, EN, EL = translator("es"), translator("en"), translator("el")


def _workshop(served: Any, language: str, languages: list[str]) -> int:
    wb = served.service()
    try:
        info = wb.create_workshop(
            "es61-manufacturing-youth",
            title=f"Taller {language}",
            expected=2,
            language=language,
            languages=languages,
        )
        wb.workshops.open(info.id)
        return info.id
    finally:
        wb.close()


def _overflow(page: Any) -> int:
    """How far the page is wider than the phone (0: nothing sticks out)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def _stored_language(served: Any, workshop_id: int, token: str) -> str | None:
    wb = served.service()
    try:
        return wb.workshops.admit(workshop_id, token).language
    finally:
        wb.close()


def test_a_spanish_workshop_speaks_spanish_and_switches_to_english(
    served: Any, browser: Any
) -> None:
    assert ES._("Saved at {time}.").startswith("Guardado")
    wid = _workshop(served, "es", ["es", "en"])
    url = served.link(wid)
    token = url.split("token=")[1]
    # the browser asks for Spanish (Accept-Language: es-ES), one of the workshop's languages
    context = browser.new_context(viewport=PHONE, locale="es-ES")
    page = context.new_page()
    page.goto(url, timeout=120_000)
    join = page.get_by_role("button", name=ES._("Join the workshop"))
    join.wait_for(timeout=60_000)
    assert page.get_attribute("html", "lang") == "es"
    assert ES._("ALMP co-design workbench") in page.inner_text("header")
    page.get_by_placeholder(ES._("a pseudonym is fine")).fill("Lucía")
    page.locator("select").first.select_option(label=ES._("Trade unions"))
    page.get_by_text(ES._("I agree"), exact=True).click()
    _axe.check_axe(page, "participant-join-es")
    join.click()
    heading = page.get_by_role("heading", name=ES._("Rate the options"), exact=True)
    heading.wait_for(timeout=20_000)
    # the workshop's content is in Spanish too (the default spec, written per language)
    body = page.inner_text("body")
    assert ES._("Effectiveness") != "Effectiveness" and ES._("Effectiveness") in body
    assert ES._("Results of each programme should be published every year.") in body
    card = page.locator(".wb-card", has=heading)
    card.locator("button[title*=' 4 ']").first.click()
    card.get_by_role("button", name=ES._("Save")).click()
    card.get_by_text("Guardado").wait_for(timeout=20_000)
    assert _overflow(page) <= 0, "the Spanish page is wider than a phone"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-es-390.png"), full_page=True)
    _axe.check_axe(page, "participant-answering-es")

    # switch to English on the page: the whole page, chrome included, and it sticks
    page.locator("nav.wb-languages a[hreflang='en']").click()
    page.get_by_role("heading", name="Rate the options", exact=True).wait_for(timeout=60_000)
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("nav.wb-languages [aria-current='true']").get_attribute("lang") == "en"
    assert _stored_language(served, wid, token) == "en"
    page.goto(url, timeout=120_000)  # the plain personal link, from a Spanish browser
    page.get_by_role("heading", name="Rate the options", exact=True).wait_for(timeout=60_000)
    assert page.get_attribute("html", "lang") == "en"
    context.close()


def test_a_refused_link_says_why_in_greek(served: Any, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, locale="el-GR")
    page = context.new_page()
    response = page.goto(f"{served.app_url}voila/render/es61-manufacturing-youth.ipynb"
                         f"?workshop={served.workshop_id}&token={'x' * 43}")  # fmt: skip
    assert response is not None and response.status == 403
    assert response.headers["content-language"] == "el"
    assert page.get_attribute("html", "lang") == "el"
    message = page.get_by_role("alert").inner_text()
    assert message.strip() == EL._(INVALID_LINK) != INVALID_LINK
    assert page.get_by_role("heading", level=1).inner_text() == EL._("You cannot open this page")
    page.screenshot(path=str(ARTIFACTS / "error-el-390.png"), full_page=True)
    _axe.check_axe(page, "refusal-el")
    assert _overflow(page) <= 0
    context.close()


def test_every_language_passes_axe_at_phone_width(served: Any, browser: Any) -> None:
    wid = _workshop(served, "de", list(LANGUAGES))
    url = served.link(wid)
    context = browser.new_context(viewport=PHONE, locale="de-DE")
    page = context.new_page()
    for code in LANGUAGES:
        t = translator(code)
        page.goto(f"{url}&lang={code}", timeout=120_000)
        page.get_by_role("button", name=t._("Join the workshop")).wait_for(timeout=60_000)
        assert page.get_attribute("html", "lang") == code
        assert page.locator("#wb-main").get_attribute("lang") in (None, code)
        # content with no translation in this language (none here: the default spec is
        # written in every offered language) would carry its own lang attribute
        _axe.check_axe(page, f"participant-join-{code}")
        assert _overflow(page) <= 0, f"{code}: the page is wider than a phone"
        page.screenshot(path=str(ARTIFACTS / f"app-join-{code}-390.png"), full_page=True)
    # each language picked on the page was remembered, the last one stays
    assert _stored_language(served, wid, url.split("token=")[1]) == LANGUAGES[-1]
    context.close()
