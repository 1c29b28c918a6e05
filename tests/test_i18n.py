"""workbench.i18n: choosing a page's language, the catalogs, Babel's formats, fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.exceptions import InputError, RateLimited, WorkshopClosed
from workbench.i18n import (
    LANGUAGES,
    Translator,
    check_languages,
    choose_language,
    error_text,
    localize,
    negotiate,
    parse_accept_language,
    placeholders,
    translator,
)


def test_accept_language_is_ordered_by_quality_then_position() -> None:
    header = "de;q=0.5, es-ES, en;q=0.8, fr;q=0, *;q=0.1, el"
    assert parse_accept_language(header) == ["es-ES", "el", "en", "de"]
    assert parse_accept_language(None) == [] and parse_accept_language("") == []
    assert parse_accept_language("x_y, de;q=abc, pl") == ["pl"]  # malformed parts skipped


@given(st.text(max_size=600))
def test_any_accept_language_header_parses_without_error(header: str) -> None:
    tags = parse_accept_language(header)
    assert all(tag and tag != "*" and tag in header for tag in tags)
    assert negotiate(header, LANGUAGES) in (None, *LANGUAGES)


def test_negotiation_matches_regional_variants_among_the_offered() -> None:
    assert negotiate("es-ES,es;q=0.9,en;q=0.8", ["en", "es"]) == "es"
    assert negotiate("el-GR", ["es", "en"]) is None
    assert negotiate("pt-BR, de-AT;q=0.7", ["de", "en"]) == "de"


def test_the_page_language_follows_choice_then_memory_then_browser_then_default() -> None:
    offered = ["es", "en"]
    pick = {"offered": offered, "default": "es", "accept_language": "en-GB"}
    assert choose_language(**pick, requested="en", stored="es") == "en"
    assert choose_language(**pick, requested="de", stored="es") == "es"  # not offered
    assert choose_language(**pick, stored="es") == "es"
    assert choose_language(**pick) == "en"
    assert choose_language(offered=offered, default="es", accept_language="fr") == "es"


def test_unknown_languages_are_refused_with_the_choices() -> None:
    with pytest.raises(InputError, match=r"'pt' is not a language.*en, es, de, fr, it, el, pl"):
        translator("pt")
    assert check_languages(["EN", "es", "en"], "es") == ["es", "en"]
    with pytest.raises(InputError, match="--languages"):
        check_languages(["es", "xx"], "es", "--languages")


@pytest.mark.parametrize(
    ("code", "number", "percent"),
    [("en", "1,234.5", "12%"), ("es", "1.234,5", "12 %"), ("de", "1.234,5", "12 %"),
     ("fr", "1 234,5", "12 %"), ("el", "1.234,5", "12%"), ("pl", "1 234,5", "12%")],
)  # fmt: skip
def test_numbers_follow_each_language(code: str, number: str, percent: str) -> None:
    t = translator(code)
    assert t.number(1234.5).replace("\u00a0", " ").replace("\u202f", " ") == number
    assert t.percent(0.123).replace("\u00a0", " ").replace("\u202f", " ") == percent
    assert t.points(12.34, 1).replace(",", ".").startswith("12.3")
    assert t.datetime(datetime(2026, 12, 1, 9, 30, tzinfo=UTC)).endswith("UTC")


def test_each_language_names_itself() -> None:
    names = {code: translator(code).name for code in LANGUAGES}
    assert names["es"] == "Español" and names["el"] == "Ελληνικά" and names["de"] == "Deutsch"


def test_every_shipped_language_translates_the_core_words() -> None:
    for code in LANGUAGES:
        t = translator(code)
        saved = t._("Skip to content")
        assert saved and (code == "en") == (saved == "Skip to content"), code


def test_missing_content_translations_fall_back_visibly() -> None:
    texts = {"en": "Training"}
    assert localize("Formación", texts, "en", "es").text == "Training"
    fallback = localize("Formación", texts, "el", "es")
    assert (fallback.text, fallback.language, fallback.fallback) == ("Formación", "es", True)
    assert not localize("Formación", texts, "es", "es").fallback


class Brackets(Translator):
    """A translator that shows which strings went through it."""

    def gettext(self, message: str) -> str:
        return f"«{message}»"

    _ = gettext


def test_errors_said_with_a_msgid_are_translated_and_others_are_kept() -> None:
    t = Brackets("es")
    closed = WorkshopClosed.say("Workshop {id} is closed.", id=4)
    assert (
        str(closed) == "Workshop 4 is closed."
        and error_text(closed, t) == "«Workshop 4 is closed.»"
    )
    assert error_text(RateLimited("slow down", retry_after=1), t) == "slow down"

    class Broken(Translator):
        def gettext(self, message: str) -> str:
            return "{missing}"

    assert error_text(closed, Broken("es")) == "Workshop 4 is closed."


def test_placeholders_of_both_styles() -> None:
    assert placeholders("Round {number} of {total}") == {"number", "total"}
    assert placeholders("Error code: %(code)s, {n}") == {"code", "n"}
    assert placeholders("a { stray") == {"<malformed>"}
