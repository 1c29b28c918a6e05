"""Fixed words of the run artefacts shown to stakeholders, marked for translation.

Run artefacts (``diagnosis.json``, ``policy_mix.json``) are written in English by the
notebooks; their fixed vocabulary (programme types, target groups, the labour-market
context) is translated where shown. Free text a run wrote (a reason, a note, an
occupation's name) stays English and is shown with ``lang="en"``.
"""

from __future__ import annotations

from html import escape

from workbench.i18n import ENGLISH, LANGUAGES, N_, Translator

#: programme types (Card, Kluve & Weber), as the evidence model and the specs name them
PROGRAMMES: dict[str, str] = {
    "training": N_("Training"),
    "job_search_assistance": N_("Job search assistance"),
    "private_sector_subsidy": N_("Private-sector employment subsidy"),
    "private_employment_subsidy": N_("Private-sector employment subsidy"),
    "public_employment": N_("Public-sector employment"),
    "start_up_support": N_("Start-up support"),
    "mobility_support": N_("Mobility support"),
}
#: the target groups of a case study
TARGET_GROUPS: dict[str, str] = {
    "youth": N_("Young people (15-29), incl. NEETs"),
    "long_term_unemployed": N_("Long-term unemployed (12+ months)"),
    "women": N_("Women"),
    "older_workers": N_("Older workers (55+)"),
    "low_skilled": N_("Low-skilled (ISCED 0-2)"),
    "migrants": N_("Migrants and people of foreign origin"),
    "persons_with_disabilities": N_("Persons with disabilities"),
}
#: the values of a region's labour-market context
CONTEXT: dict[str, str] = {
    "high": N_("high"),
    "low": N_("low"),
    "medium": N_("medium"),
    "expansion": N_("expansion"),
    "recovery": N_("recovery"),
    "slowdown": N_("slowdown"),
    "recession": N_("recession"),
    "short": N_("short"),
    "long": N_("long"),
}


def programme(key: str, t: Translator, fallback: str | None = None) -> str:
    """A programme type's name in ``t``'s language."""
    label = PROGRAMMES.get(key)
    if label is not None:
        return t._(label)
    return fallback or key.replace("_", " ")


def target_group(key: str, t: Translator) -> str:
    """A target group's name in ``t``'s language (its key, readable, if unknown)."""
    label = TARGET_GROUPS.get(key)
    return t._(label) if label else key.replace("_", " ")


def context_word(value: object, t: Translator) -> str:
    """A context value (``high``, ``recovery``) in ``t``'s language."""
    text = str(value if value is not None else "?")
    label = CONTEXT.get(text)
    return t._(label) if label else text


def run_text(text: object, t: Translator) -> str:
    """Free text a run wrote (English), escaped, marked ``lang="en"`` on other pages."""
    safe = escape(str(text))
    return safe if t.code == "en" else f'<span lang="en">{safe}</span>'


def written_html(text: str, language: str | None, t: Translator = ENGLISH) -> str:
    """A participant's own text, escaped, in the language it was written in: when that is
    not ``t``'s, it carries its ``lang`` (for screen readers) and a visible tag (``[EN]``)."""
    if not language or language == t.code or language not in LANGUAGES:
        return escape(text)
    return (
        f"<span class='wb-lang-tag'>[{language.upper()}]</span> "
        f'<span lang="{language}">{escape(text)}</span>'
    )
