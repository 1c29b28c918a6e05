"""A participant's page language: chosen, remembered, negotiated, and what their texts
are stored with (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from workbench.exceptions import AccessDenied, InvalidInput
from workbench.participation.languages import page_language, set_language


@pytest.fixture
def bilingual(env: Any) -> Any:
    """A Spanish workshop that also offers English, open, with one registered participant."""
    info = env.create_workshop(language="es", languages=["es", "en"])
    env.open(info.id)
    env.spanish = info.id
    (env.token,) = env.tokens(1, workshop_id=info.id)
    env.register(env.token, workshop_id=info.id)
    return env


def test_the_page_language_order(bilingual: Any) -> None:
    env, wid, token = bilingual, bilingual.spanish, bilingual.token

    def ask(**kw: Any) -> str:
        return page_language(env.workshops, wid, token=token, **kw)

    assert ask() == "es"  # the workshop's default
    assert ask(accept_language="en-GB,en;q=0.9") == "en"  # the browser's, among the offered
    assert ask(accept_language="de-DE") == "es"  # not offered: the default
    assert ask(requested="en", accept_language="es") == "en"  # picked on the page
    set_language(env.workshops, wid, token, "en")
    assert ask(accept_language="es-ES") == "en"  # remembered, on any device
    assert env.workshops.admit(wid, token).language == "en"


def test_pages_of_no_workshop_use_the_browser_among_all_languages(bilingual: Any) -> None:
    env = bilingual
    assert page_language(env.workshops, "abc", accept_language="el-GR") == "el"
    assert page_language(env.workshops, 999_999, accept_language="pt, pl;q=0.5") == "pl"
    assert page_language(env.workshops, 999_999) == "en"
    # a token of another workshop tells nothing about this one
    other = env.tokens(1)[0]
    assert page_language(env.workshops, bilingual.spanish, token=other) == "es"


def test_only_an_offered_language_can_be_remembered(bilingual: Any) -> None:
    env = bilingual
    with pytest.raises(InvalidInput, match="'de' is not offered; choose one of es, en"):
        set_language(env.workshops, env.spanish, env.token, "de")
    with pytest.raises(AccessDenied):
        set_language(env.workshops, env.spanish, "x" * 43, "en")
    assert env.workshops.admit(env.spanish, env.token).language is None


def test_texts_are_stored_with_the_language_they_were_written_in(bilingual: Any) -> None:
    env, wid, token = bilingual, bilingual.spanish, bilingual.token
    env.feedback.submit(
        workshop_id=wid, token=token, round_number=1, kind="comment",
        payload={"target": "general", "text": "More apprenticeships, please."},
        idempotency_key=env.key(), language="en",
    )  # fmt: skip
    env.feedback.submit(
        workshop_id=wid, token=token, round_number=1, kind="proposal",
        payload={"text": "Las empresas deben codiseñar la formación."},
        idempotency_key=env.key(), language="es",
    )  # fmt: skip
    env.feedback.submit(
        workshop_id=wid, token=token, round_number=1, kind="comment",
        payload={"target": "training", "text": "x"},
        idempotency_key=env.key(), language="klingon",
    )  # fmt: skip
    rows = env.rows(
        "SELECT item, language FROM feedback WHERE workshop_id = :w ORDER BY item", w=wid
    )
    assert rows == [
        {"item": "comment:general", "language": "en"},
        {"item": "comment:training", "language": None},  # an unknown code is not stored
    ]
    proposed = env.rows(
        "SELECT language FROM statement WHERE workshop_id = :w AND origin = 'participant'", w=wid
    )
    assert proposed == [{"language": "es"}]
    seeds = env.rows(
        "SELECT language FROM statement WHERE workshop_id = :w AND origin = 'seed'", w=wid
    )
    assert seeds and all(r["language"] == "es" for r in seeds)
