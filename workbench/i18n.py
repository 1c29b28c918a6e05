"""The languages stakeholders see: gettext catalogs compiled by Babel, and Babel's number
and date formats.

Every string a participant, a facilitator or a reader of the minutes sees goes through a
:class:`Translator`: ``t._("Saved")``, ``t.ngettext("{n} rating", "{n} ratings", n)``.
Placeholders are ``str.format`` fields, filled after translation
(``t._("Round {number} is open").format(number=2)``), so a translator can move them.
Module-level strings are marked with :func:`N_` and translated where they are shown.

The catalogs live in ``workbench/locale/<lang>/LC_MESSAGES/workbench.po`` (the template
``workbench.pot`` is extracted by ``make i18n``, see docs/i18n.md). They are compiled with
Babel when first used in a process, so a shipped ``.po`` can never be out of step with a
compiled ``.mo``. Fuzzy entries are left out (they fall back to English).

Choosing a page's language (:func:`choose_language`): the language the participant picked
on the page, else the one they picked before, else the browser's ``Accept-Language``
among the workshop's languages, else the workshop's default.
"""

from __future__ import annotations

import gettext
import io
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from workbench.exceptions import InputError

#: the languages the workbench ships, English first (the source language)
LANGUAGES: tuple[str, ...] = ("en", "es", "de", "fr", "it", "el", "pl")
DEFAULT_LANGUAGE = "en"
DOMAIN = "workbench"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: the catalog header field that says whether a native speaker reviewed the translation
REVIEW_HEADER = "X-Review-Status"
#: what a browser may send at most (longer headers are cut, not refused)
MAX_ACCEPT_LANGUAGE = 512

_TAG_RE = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$|^\*$")


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a module-level string for extraction; it is translated where it is shown."""
    return message


def check_language(code: str, where: str = "language") -> str:
    """``code`` if the workbench ships it, else a clear error naming the choices."""
    value = (code or "").strip().lower()
    if value not in LANGUAGES:
        raise InputError(
            f"{where}: {code!r} is not a language the workbench speaks; "
            f"use one of {', '.join(LANGUAGES)}"
        )
    return value


def check_languages(codes: Iterable[str], default: str, where: str = "languages") -> list[str]:
    """The offered languages, each checked, without repeats, always including ``default``."""
    out: list[str] = []
    for code in codes:
        value = check_language(code, where)
        if value not in out:
            out.append(value)
    return [default, *(code for code in out if code != default)]


def parse_accept_language(header: str | None) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first.

    Malformed entries and ``q=0`` are skipped; ties keep the browser's order (RFC 9110
    §12.5.4). Never raises: a browser's header is not the participant's fault.
    """
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _sep, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or not _TAG_RE.match(tag):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = -1.0
        if 0 < quality <= 1 and tag != "*":
            ranked.append((-quality, index, tag))
    return [tag for _q, _i, tag in sorted(ranked)]


def negotiate(header: str | None, offered: Sequence[str]) -> str | None:
    """The first of the browser's languages the workshop offers (``es-ES`` matches ``es``)."""
    from babel.core import negotiate_locale

    preferred = parse_accept_language(header)
    return negotiate_locale(preferred, list(offered), sep="-") if preferred else None


def choose_language(
    *,
    offered: Sequence[str],
    default: str,
    requested: str | None = None,
    stored: str | None = None,
    accept_language: str | None = None,
) -> str:
    """The page's language: picked on the page, picked before, the browser's, the default."""
    for choice in (requested, stored):
        if choice and choice.lower() in offered:
            return choice.lower()
    return negotiate(accept_language, offered) or default


@cache
def _catalog(code: str) -> gettext.NullTranslations:
    """The compiled catalog of one language (English: the source strings themselves)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if code == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@dataclass(frozen=True)
class Translator:
    """One language's strings, numbers and dates."""

    code: str

    @property
    def catalog(self) -> gettext.NullTranslations:
        return _catalog(self.code)

    def gettext(self, message: str) -> str:
        """``message`` in this language (English when the catalog lacks it)."""
        return self.catalog.gettext(message)

    _ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural form for ``n`` (the language's own plural rules)."""
        return self.catalog.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        """``message`` in a context (one English word, two meanings)."""
        return self.catalog.pgettext(context, message)

    @property
    def name(self) -> str:
        """The language's own name for itself ("Español", "Ελληνικά")."""
        from babel.core import Locale

        name = Locale.parse(self.code).get_display_name(self.code) or self.code
        return name[:1].upper() + name[1:]

    def number(self, value: float, digits: int = 1) -> str:
        """A decimal number in this language's format (``12,5`` in Spanish)."""
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(value, format=pattern, locale=self.code)

    def percent(self, share: float, digits: int = 0) -> str:
        """A share (0–1) as a percentage in this language's format (``12 %`` in German)."""
        from babel.core import Locale
        from babel.numbers import format_percent

        pattern = Locale.parse(self.code).percent_formats[None].pattern  # "#,##0 %" in German
        if digits > 0:
            pattern = pattern.replace("0", "0." + "0" * digits, 1)
        return format_percent(share, format=pattern, locale=self.code)

    def points(self, value: float, digits: int = 1) -> str:
        """A value already in percent (``12.3`` → ``12,3 %``)."""
        return self.percent(value / 100, digits)

    def date(self, value: date) -> str:
        """A date, medium length (``1 dic 2026``)."""
        from babel.dates import format_date

        return format_date(value, format="medium", locale=self.code)

    def datetime(self, value: datetime) -> str:
        """A date and time in UTC, medium length, with the zone named."""
        from babel.dates import format_datetime

        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        text = format_datetime(moment, format="medium", tzinfo=UTC, locale=self.code)
        return f"{text} UTC"

    def join(self, items: Sequence[str]) -> str:
        """``a, b and c`` in this language."""
        from babel.lists import format_list

        return format_list(list(items), locale=self.code) if items else ""


@cache
def translator(code: str | None = None) -> Translator:
    """The translator of a shipped language (English when ``code`` is None)."""
    return Translator(check_language(code or DEFAULT_LANGUAGE))


ENGLISH = Translator(DEFAULT_LANGUAGE)


def warm(codes: Iterable[str] = LANGUAGES) -> None:
    """Compile the catalogs now (about 10 ms each), e.g. while a kernel waits in the pool,
    so no participant's page waits for it."""
    for code in codes:
        _catalog(check_language(code))


_PERCENT_FIELD = re.compile(r"%\((\w+)\)[sd]")


def placeholders(message: str) -> set[str]:
    """The fields of a message: ``str.format``'s (``{number}``) and, in the page templates,
    Jinja's ``%(code)s``; for the catalog checks."""
    fields = set(_PERCENT_FIELD.findall(message))
    try:
        parsed = string.Formatter().parse(message)
        return fields | {name for _lit, name, _spec, _conv in parsed if name}
    except ValueError:  # a stray brace: the message has no usable fields
        return {"<malformed>"}


def error_text(error: BaseException, t: Translator) -> str:
    """An error for a participant in ``t``'s language: a :meth:`WorkbenchError.say` error
    is translated; any other keeps its (English) text."""
    msgid = getattr(error, "msgid", None)
    if msgid:
        try:
            return t.gettext(msgid).format(**(getattr(error, "msg_fields", None) or {}))
        except (KeyError, IndexError, ValueError):  # a broken translation: say it in English
            return msgid.format(**(getattr(error, "msg_fields", None) or {}))
    return str(error)


# -- workshop content in several languages ---------------------------------------------
@dataclass(frozen=True)
class Localized:
    """A piece of workshop content in the language it is shown in."""

    text: str
    language: str
    #: True when the page's language had no translation and the default language is shown
    fallback: bool = False


def localize(
    default_text: str,
    translations: Mapping[str, str] | None,
    language: str,
    default_language: str,
) -> Localized:
    """``default_text`` or its translation into ``language``; missing ones fall back."""
    if language == default_language:
        return Localized(default_text, default_language)
    text = (translations or {}).get(language)
    if text:
        return Localized(text, language)
    return Localized(default_text, default_language, fallback=bool(default_text))


__all__ = [
    "DEFAULT_LANGUAGE",
    "ENGLISH",
    "LANGUAGES",
    "N_",
    "Localized",
    "Translator",
    "check_language",
    "check_languages",
    "choose_language",
    "error_text",
    "localize",
    "negotiate",
    "parse_accept_language",
    "placeholders",
    "translator",
    "warm",
]
