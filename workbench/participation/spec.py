"""What a workshop asks: options, criteria, statements and the rating scale.

A spec comes from a YAML file (``workbench workshop create --spec FILE``) or, by default,
from the case study's evidence review: the programme types it ranked become the options.

``points`` asks each participant to spread a budget of points over the criteria (dot
voting, "what matters most"): ``points: 100`` (or ``true``) turns it on with that budget,
``points: false`` turns it off. Left out, it is on with 100 points whenever the workshop
has at least two criteria.

Languages: ``language`` is the workshop's default language (``en`` if left out) and
``languages`` the ones participants may choose among. A ``label``, a ``description`` or a
statement may be one text (in the default language) or one text per language::

    language: es
    languages: [es, en]
    options:
      - key: training
        label: {es: Formación, en: Training}
    statements:
      - {es: Hay que publicar los resultados., en: Results should be published.}

The default language's text is required; a missing translation falls back to it (and the
page says so). Stored, an item keeps its default-language ``label`` and ``description``
plus ``translations: {lang: {label, description}}``; statements keep their text plus
``statement_translations`` (one mapping per statement).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.exceptions import InvalidInput, Problem
from workbench.i18n import DEFAULT_LANGUAGE, LANGUAGES
from workbench.yamlio import load_yaml

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_STATEMENT_CHARS = 280
#: the budget of points a participant spreads over the criteria, by default and its limits
DEFAULT_POINTS = 100
MIN_POINTS, MAX_POINTS = 10, 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ItemText(_Strict):
    """An item's label and description in one more language."""

    label: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=1000)


class Item(_Strict):
    """An option to rate or a criterion to rate it on."""

    key: str
    label: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1000)
    #: the label and description in the workshop's other languages
    translations: dict[str, ItemText] = Field(default_factory=dict)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY_RE.match(value):
            raise ValueError("must be lower-case letters, digits and _ (max 40), e.g. 'training'")
        return value


class WorkshopSpec(_Strict):
    """The content of a workshop, fixed when it is created."""

    title: str = Field(min_length=1, max_length=200)
    #: the default language: the content's source language, the minutes' language
    language: str = DEFAULT_LANGUAGE
    #: the languages participants may choose among (the default always included, first)
    languages: list[str] = Field(default_factory=list)
    scale: Literal[5, 9] = 5
    expected_participants: int = Field(default=20, ge=1, le=500)
    #: days after closing before participants' data is erased (GDPR storage limitation)
    retention_days: int = Field(default=365, ge=1, le=3650)
    expected_mix: dict[str, int] = Field(default_factory=dict)
    options: list[Item] = Field(min_length=2, max_length=12)
    criteria: list[Item] = Field(min_length=1, max_length=8)
    statements: list[str] = Field(default_factory=list, max_length=100)
    #: the statements in the other languages, one mapping (language -> text) per statement
    statement_translations: list[dict[str, str]] = Field(default_factory=list)
    #: points each participant spreads over the criteria; None: not asked
    points: int | None = None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        code = value.strip().lower()
        if code not in LANGUAGES:
            raise ValueError(
                f"{value!r} is not a language the workbench speaks; use one of "
                + ", ".join(LANGUAGES)
            )
        return code

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str], info: ValidationInfo) -> list[str]:
        default = info.data.get("language", DEFAULT_LANGUAGE)
        out = [default]
        for code in value:
            code = code.strip().lower()
            if code not in LANGUAGES:
                raise ValueError(
                    f"{code!r} is not a language the workbench speaks; use one of "
                    + ", ".join(LANGUAGES)
                )
            if code not in out:
                out.append(code)
        return out

    @model_validator(mode="after")
    def _translations_offered(self) -> WorkshopSpec:
        """Every translation is in an offered language, and there is one per statement."""
        offered = set(self.languages)
        for section in ("options", "criteria"):
            for index, item in enumerate(getattr(self, section)):
                for code in item.translations:
                    if code not in offered:
                        raise ValueError(
                            f"{section}.{index}.{item.key}: text in {code!r}, which is not one "
                            f"of the workshop's languages ({', '.join(self.languages)})"
                        )
        if len(self.statement_translations) > len(self.statements):
            raise ValueError("more statement translations than statements")
        for index, texts in enumerate(self.statement_translations):
            for code, text in texts.items():
                if code not in offered:
                    raise ValueError(
                        f"statements.{index}: text in {code!r}, which is not one of the "
                        f"workshop's languages ({', '.join(self.languages)})"
                    )
                if len(text.strip()) > MAX_STATEMENT_CHARS:
                    raise ValueError(
                        f"statements.{index}.{code}: longer than {MAX_STATEMENT_CHARS} characters"
                    )
        self.statement_translations += [{}] * (
            len(self.statements) - len(self.statement_translations)
        )
        return self

    @field_validator("points", mode="before")
    @classmethod
    def _points(cls, value: Any) -> int | None:
        if value is None or value is False:
            return None
        if value is True:
            return DEFAULT_POINTS
        if not isinstance(value, int) or not MIN_POINTS <= value <= MAX_POINTS:
            raise ValueError(
                f"must be a whole number of points from {MIN_POINTS} to {MAX_POINTS} "
                "(e.g. 100), true or false"
            )
        return value

    @field_validator("points")
    @classmethod
    def _points_need_criteria(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and len(info.data.get("criteria") or []) < 2:
            raise ValueError("spreading points needs at least two criteria")
        return value

    @model_validator(mode="after")
    def _points_default(self) -> WorkshopSpec:
        """Left out: on (100 points) when there are at least two criteria to weigh."""
        if "points" not in self.model_fields_set:
            self.points = DEFAULT_POINTS if len(self.criteria) >= 2 else None
        return self

    @field_validator("statements")
    @classmethod
    def _statements(cls, value: list[str]) -> list[str]:
        cleaned = [s.strip() for s in value]
        for text in cleaned:
            if not text:
                raise ValueError("a statement is empty")
            if len(text) > MAX_STATEMENT_CHARS:
                raise ValueError(f"a statement is longer than {MAX_STATEMENT_CHARS} characters")
        return cleaned

    @field_validator("expected_mix")
    @classmethod
    def _mix(cls, value: dict[str, int]) -> dict[str, int]:
        for group, count in value.items():
            if group not in STAKEHOLDER_GROUPS:
                raise ValueError(
                    f"unknown stakeholder group {group!r}; use one of "
                    + ", ".join(STAKEHOLDER_GROUPS)
                )
            if count < 0:
                raise ValueError(f"{group}: expected count must be >= 0")
        return value

    @field_validator("options", "criteria")
    @classmethod
    def _unique_keys(cls, items: list[Item]) -> list[Item]:
        keys = [item.key for item in items]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate key(s) {', '.join(dupes)}")
        return items

    def option_keys(self) -> list[str]:
        """Option keys in display order."""
        return [o.key for o in self.options]

    def criterion_keys(self) -> list[str]:
        """Criterion keys in display order."""
        return [c.key for c in self.criteria]


def parse_spec(raw: Any, source: str, locate: Any = None) -> WorkshopSpec:
    """Validate ``raw``; every problem is reported with its key (and line if known)."""
    if not isinstance(raw, dict):
        raise InvalidInput([Problem(source, "", "must be a mapping of workshop settings")])
    problems: list[Problem] = []
    raw = split_languages(raw, source, locate, problems)
    if problems:
        raise InvalidInput(problems)
    try:
        return WorkshopSpec.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = tuple(str(p) for p in err["loc"])
            line = locate(path) if locate else None
            message = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(source, ".".join(path), message, line))
        raise InvalidInput(problems) from None


def split_languages(
    raw: dict[str, Any], source: str, locate: Any, problems: list[Problem]
) -> dict[str, Any]:
    """Turn per-language texts (``label: {es: …, en: …}``) into the stored form: the
    default language's text plus ``translations``. Problems are appended, located."""
    language = str(raw.get("language") or DEFAULT_LANGUAGE).strip().lower()
    offered = raw.get("languages")
    found: list[str] = []

    def pick(value: Any, path: tuple[str, ...]) -> tuple[Any, dict[str, str]]:
        if not isinstance(value, dict):
            return value, {}
        texts: dict[str, str] = {}
        for code, text in value.items():
            code = str(code).strip().lower()
            if not isinstance(text, str):
                problems.append(
                    Problem(source, ".".join((*path, code)), "must be a text", _line(locate, path))
                )
                continue
            texts[code] = text.strip()
            if code not in found:
                found.append(code)
        if not texts.get(language):
            problems.append(
                Problem(
                    source,
                    ".".join(path),
                    f"has no text in the workshop's language {language!r} "
                    f"(given: {', '.join(texts) or 'none'})",
                    _line(locate, path),
                )
            )
            return "", {}
        default = texts.pop(language)
        return default, texts

    out = dict(raw)
    for section in ("options", "criteria"):
        items = raw.get(section)
        if not isinstance(items, list):
            continue
        new_items = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                new_items.append(item)
                continue
            item = dict(item)
            translations: dict[str, dict[str, str]] = {
                str(k): dict(v)
                for k, v in (item.get("translations") or {}).items()
                if isinstance(v, dict)
            }
            for field in ("label", "description"):
                if field in item:
                    text, others = pick(item[field], (section, str(index), field))
                    item[field] = text
                    for code, value in others.items():
                        translations.setdefault(code, {})[field] = value
            if translations:
                item["translations"] = translations
            new_items.append(item)
        out[section] = new_items
    statements = raw.get("statements")
    if isinstance(statements, list):
        texts_out, translations_out = [], []
        for index, statement in enumerate(statements):
            text, others = pick(statement, ("statements", str(index)))
            texts_out.append(text)
            translations_out.append(others)
        out["statements"] = texts_out
        if any(translations_out) and "statement_translations" not in raw:
            out["statement_translations"] = translations_out
    if offered is None and found:
        out["languages"] = [language, *(c for c in found if c != language)]
    return out


def _line(locate: Any, path: tuple[str, ...]) -> int | None:
    return locate(path) if locate else None


def load_spec(path: Path, overrides: dict[str, Any] | None = None) -> WorkshopSpec:
    """Read and validate a workshop spec YAML file (``overrides`` replace its settings,
    e.g. the command line's ``--language``); problems name the file's lines."""
    doc = load_yaml(path, str(path))
    raw = doc.data
    if isinstance(raw, dict) and overrides:
        raw = {**raw, **overrides}
    return parse_spec(raw, doc.source, doc.line_of)
