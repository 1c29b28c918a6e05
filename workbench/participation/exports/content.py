"""Workshop content in every language: the ``content`` table and :func:`spec_from_export`.

The ``content`` table has one row per text participants saw: each option's and
criterion's label and description, each statement's text (seeded or proposed), with one
column per language, ``text_<code>``: the workshop's default language first, then the
other offered ones in order (then any other language a participant wrote in). A cell is
empty where there is no text in that language: a missing translation, or a participant's
statement, which is in the language it was written in only (one written before languages
were recorded counts as the default language's).

:func:`spec_from_export` turns an export's tables back into a workshop spec in the
per-language YAML form of :mod:`workbench.participation.spec`, so that an exported
workshop can seed a new one (``workbench workshop create --spec``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from workbench.exceptions import InvalidInput, Problem
from workbench.i18n import DEFAULT_LANGUAGE, LANGUAGES
from workbench.participation.exports.columns import ColumnSpec, ExtraColumns

if TYPE_CHECKING:
    import pandas as pd

    from workbench.db.models import Statement

__all__ = [
    "ABOUT",
    "COLUMNS",
    "CONTENT",
    "EXTRA",
    "content_table",
    "language_column",
    "language_columns",
    "spec_from_export",
    "workshop_languages",
]

CONTENT = "content"
_PREFIX = "text_"
#: what each kind of content holds
_FIELDS = {"option": ("label", "description"), "criterion": ("label", "description")}
_SECTIONS = {"option": "options", "criterion": "criteria"}

ABOUT = (
    "Every text of the workshop in every language: option and criterion labels and "
    "descriptions, statements; one text_<code> column per language, the default first."
)
#: the content table's fixed columns; ``text_<code>`` columns follow
COLUMNS: tuple[ColumnSpec, ...] = (
    ("kind", "string", "option, criterion or statement."),
    ("key", "string", "Option or criterion key; the statement id for a statement."),
    ("field", "string", "label or description (options, criteria); text (statements)."),
)


def language_column(code: str) -> ColumnSpec:
    """The ``text_<code>`` column of the content table."""
    return (
        f"{_PREFIX}{code}",
        "string",
        f"The text in language {code!r} (ISO 639-1); empty where there is none in it.",
    )


def language_columns(names: Sequence[str]) -> list[ColumnSpec] | None:
    """The typed ``text_<code>`` columns named ``names``; None unless each is a language
    the workbench speaks, at least one and none twice."""
    if not names or any(not n.startswith(_PREFIX) for n in names):
        return None
    codes = [n.removeprefix(_PREFIX) for n in names]
    if len(set(codes)) != len(codes) or any(c not in LANGUAGES for c in codes):
        return None
    return [language_column(c) for c in codes]


EXTRA = ExtraColumns(
    language_columns,
    "text_<code> columns, one per language, each of " + ", ".join(LANGUAGES) + " at most once",
)


def workshop_languages(spec: Mapping[str, Any]) -> tuple[str, list[str]]:
    """A stored workshop spec's default language and offered languages (default first)."""
    default = str(spec.get("language") or DEFAULT_LANGUAGE)
    offered = [default, *(str(c) for c in spec.get("languages") or [] if c != default)]
    return default, offered


def content_table(
    spec: Mapping[str, Any], statements: Sequence[Statement]
) -> tuple[list[str], list[list[Any]]]:
    """The content table of a workshop (its stored ``spec`` and its ``statements``, in
    id order): (columns, rows)."""
    default, offered = workshop_languages(spec)
    pieces: list[tuple[str, str, str, dict[str, str]]] = []
    for kind, section in _SECTIONS.items():
        for item in spec.get(section) or []:
            translations = item.get("translations") or {}
            for field in _FIELDS[kind]:
                texts = {default: str(item.get(field) or "")}
                for code, other in translations.items():
                    texts.setdefault(str(code), str((other or {}).get(field) or ""))
                pieces.append((kind, str(item["key"]), field, texts))
    for st in statements:
        texts = {st.language or default: st.text}
        if st.origin == "seed":
            for code, text in (st.translations or {}).items():
                texts.setdefault(code, text)
        pieces.append(("statement", str(st.id), "text", texts))
    written = {code for *_, texts in pieces for code, text in texts.items() if text}
    codes = [*offered, *(c for c in LANGUAGES if c in written and c not in offered)]
    columns = [c[0] for c in COLUMNS] + [language_column(c)[0] for c in codes]
    rows = [
        [kind, key, field, *(texts.get(c, "") for c in codes)] for kind, key, field, texts in pieces
    ]
    return columns, rows


# -- back to a spec --------------------------------------------------------------------


def spec_from_export(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """The workshop spec an export was made from, as YAML-ready data in the per-language
    form :func:`~workbench.participation.spec.parse_spec` reads (``label: {es: …, en: …}``
    when the workshop offers several languages).

    Rebuilt: title, language, languages, scale, expected_participants, expected_mix,
    retention_days, points, options, criteria and the seeded statements (hidden ones too:
    they were part of the spec).
    """
    workshop = _workshop_row(tables)
    content = tables.get(CONTENT)
    if content is None:
        raise InvalidInput(
            [
                Problem(
                    "export",
                    CONTENT,
                    "there is no content table: the export was written by an older "
                    "workbench (export version 1); export the workshop again",
                )
            ]
        )
    default = str(workshop.get("language") or DEFAULT_LANGUAGE)
    languages = [c for c in str(workshop.get("languages") or "").split(";") if c] or [default]
    codes = [str(c).removeprefix(_PREFIX) for c in content.columns if str(c).startswith(_PREFIX)]
    if default not in codes:
        raise InvalidInput(
            [Problem("export", CONTENT, f"has no {_PREFIX}{default} column (default language)")]
        )
    several = len(languages) > 1 or len(codes) > 1
    spec: dict[str, Any] = {
        "title": str(workshop["title"]),
        "language": default,
        "languages": languages,
        "scale": int(workshop["scale"]),
        "expected_participants": int(workshop["expected_participants"]),
        "retention_days": int(workshop["retention_days"]),
    }
    spec["points"] = int(workshop.get("points") or 0) or False
    mix = [pair.split("=", 1) for pair in str(workshop.get("expected_mix") or "").split(";")]
    spec["expected_mix"] = {g: int(n) for g, *rest in mix if g for n in rest}
    items: dict[str, dict[str, dict[str, Any]]] = {"option": {}, "criterion": {}}
    statements: dict[str, dict[str, str]] = {}
    for index, row in enumerate(content.to_dict("records")):
        kind, key, field = str(row["kind"]), str(row["key"]), str(row["field"])
        texts = {c: str(row[_PREFIX + c]) for c in codes if row[_PREFIX + c]}
        if kind == "statement" and field == "text":
            statements[key] = texts
        elif kind in items and field in _FIELDS[kind]:
            _add_field(items[kind].setdefault(key, {"key": key}), field, texts, default, several)
        else:
            raise InvalidInput(
                [Problem("export", f"{CONTENT} row {index + 1}", f"unknown content {kind}.{field}")]
            )
    for kind, section in _SECTIONS.items():
        spec[section] = list(items[kind].values())
    spec["statements"] = [
        _text(statements.get(key, {}), default, several) for key in _seed_ids(tables)
    ]
    return spec


def _workshop_row(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    frame = tables.get("workshop")
    if frame is None or len(frame) != 1:
        raise InvalidInput([Problem("export", "workshop", "must be a table of one row")])
    return frame.to_dict("records")[0]


def _add_field(
    item: dict[str, Any], field: str, texts: dict[str, str], default: str, several: bool
) -> None:
    """Set an item's ``field`` from its texts; translations of a field without
    default-language text go under ``translations``."""
    if texts.get(default):
        item[field] = _text(texts, default, several)
        return
    for code, text in texts.items():
        item.setdefault("translations", {}).setdefault(code, {})[field] = text


def _text(texts: dict[str, str], default: str, several: bool) -> str | dict[str, str]:
    """One text (one language) or ``{code: text}`` with the default language first."""
    if not several:
        return texts.get(default, "")
    return {default: texts.get(default, ""), **{c: t for c, t in texts.items() if c != default}}


def _seed_ids(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    frame = tables.get("statements")
    if frame is None:
        return []
    seeds = frame[frame["origin"] == "seed"]
    return [str(int(i)) for i in seeds["statement_id"]]
