"""The export tables: their fixed layout, typed DataFrames and cell conversions.

:data:`TABLES` lists every table of a workshop export with its columns (a Frictionless
type and a description each); the tuned-recommendation tables come from
:mod:`workbench.participation.exports.tuning`, the ``content`` table (every text in every
language) from :mod:`workbench.participation.exports.content`. A table may have
variable columns after its fixed ones (``p_rank_<k>``, ``text_<lang>``): its ``extra``
names and types them, and a reader refuses names that do not fit. :func:`make_frame`
builds a table's DataFrame with the right dtypes; the writers and readers of each format
share the cell conversions below and the formula-injection guard (:func:`guard`,
:func:`unguard`).

Versions: :data:`EXPORT_VERSION` 2 added the languages (``workshop.language``,
``workshop.languages``, ``comments.language``, ``statements.language``: a column's
``since``) and the ``content`` table. A version-1 export still reads: its tables get the
columns they had then, typed, and it has no ``content`` table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from workbench.exceptions import InvalidInput, Problem
from workbench.participation.exports import content, tuning
from workbench.participation.exports.columns import ColumnSpec, ExtraColumns

if TYPE_CHECKING:
    import pandas as pd

EXPORT_FORMAT = "almp-workbench-export"
EXPORT_VERSION = 2
ABOUT_SHEET = "about"
#: what a text cell may start with for a spreadsheet to read it as a formula (or to eat
#: the quote that marks it as text)
GUARDED_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass(frozen=True)
class Column:
    """One column of an export table; ``type`` is a Frictionless field type, ``since``
    the export version that added it."""

    name: str
    type: str
    description: str
    since: int = 1


@dataclass(frozen=True)
class Table:
    """The layout of one export table: fixed columns, then any ``extra`` ones."""

    name: str
    description: str
    columns: tuple[Column, ...]
    #: the variable columns after the fixed ones, if the table has any
    extra: ExtraColumns | None = None

    @property
    def names(self) -> list[str]:
        """Fixed column names in order."""
        return [c.name for c in self.columns]


def _table(
    name: str,
    description: str,
    *columns: ColumnSpec | tuple[str, str, str, int],
    extra: ExtraColumns | None = None,
) -> Table:
    return Table(name, description, tuple(Column(*c) for c in columns), extra)


_ROUND = ("round", "integer", "Round number (1 = first round).")
_WHO = ("participant", "string", "Pseudonymous participant id (p-…).")
_OPTION = ("option", "string", "Option key.")
_OPTION_LABEL = ("option_label", "string", "Option label shown to participants.")

#: Every export table in order, with its columns.
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        _table(
            "workshop",
            "The workshop (one row).",
            ("workshop_id", "integer", "Workshop id."),
            ("title", "string", "Workshop title."),
            ("case_slug", "string", "Case study the workshop discussed."),
            ("state", "string", "draft, open or closed."),
            ("rounds", "integer", "Number of rounds started."),
            ("scale", "integer", "Ratings run from 1 to this value."),
            ("expected_participants", "integer", "Participants the facilitator expected."),
            ("created_at", "datetime", "When the workshop was created (UTC)."),
            ("opened_at", "datetime", "When it opened (UTC); empty if never."),
            ("closed_at", "datetime", "When it closed (UTC); empty if still open."),
            ("retention_days", "integer", "Days after closing before personal data is erased."),
            ("bundle_hash", "string", "Hash of the evidence (runs) participants saw."),
            ("template_versions", "string", "App and template versions participants saw."),
            ("synthetic_data", "boolean", "True if the evidence was built on synthetic data."),
            (
                "language",
                "string",
                "Default language (ISO 639-1 code): the one the content was written in.",
                2,
            ),
            (
                "languages",
                "string",
                "Languages offered to participants, ';'-separated, the default first.",
                2,
            ),
            (
                "points",
                "integer",
                "Points each participant spreads over the criteria; 0 if not asked.",
                2,
            ),
            (
                "expected_mix",
                "string",
                "Expected participants per stakeholder group, e.g. employers=3;unions=2.",
                2,
            ),
        ),
        _table(content.CONTENT, content.ABOUT, *content.COLUMNS, extra=content.EXTRA),
        _table(
            "rounds",
            "The workshop's rounds.",
            _ROUND,
            ("opened_at", "datetime", "When the round opened (UTC)."),
            ("closed_at", "datetime", "When it closed (UTC); empty if current."),
            (
                "reask",
                "string",
                "Rating items (option:criterion, ';'-separated) asked in this round; "
                "'all' when every item was asked.",
            ),
        ),
        _table(
            "participants",
            "Everyone invited, by pseudonymous id; no names.",
            _WHO,
            ("stakeholder_group", "string", "Stakeholder group; empty if not registered."),
            ("consent_at", "datetime", "When they gave consent (registered); empty if never."),
            ("registered_at", "datetime", "When their join link or code admission was created."),
            ("last_seen_at", "datetime", "When they last registered or submitted."),
        ),
        _table(
            "ratings",
            "Current rating of each option on each criterion, per round and participant.",
            _ROUND,
            _WHO,
            _OPTION,
            _OPTION_LABEL,
            ("criterion", "string", "Criterion key."),
            ("criterion_label", "string", "Criterion label shown to participants."),
            ("value", "integer", "Rating (1 to the workshop's scale)."),
            ("revision", "integer", "How many times the participant set this rating."),
            ("updated_at", "datetime", "When it was last set (UTC)."),
        ),
        _table(
            "approvals",
            "Approval voting: one row per option, approved or not.",
            _ROUND,
            _WHO,
            _OPTION,
            _OPTION_LABEL,
            ("approved", "boolean", "True if the participant approved the option."),
        ),
        _table(
            "rankings",
            "Rankings: one row per ranked option.",
            _ROUND,
            _WHO,
            _OPTION,
            _OPTION_LABEL,
            ("rank", "integer", "Position, 1 = best."),
        ),
        _table(
            "points",
            "What matters most: points each participant spread over the criteria "
            "(one row per criterion; a participant's points add up to the workshop's budget).",
            _ROUND,
            _WHO,
            ("stakeholder_group", "string", "The participant's stakeholder group."),
            ("criterion", "string", "Criterion key."),
            ("criterion_label", "string", "Criterion label shown to participants."),
            ("points", "integer", "Points given to the criterion (0 to the budget)."),
        ),
        _table(
            "comments",
            "Comments not hidden by moderation.",
            ("comment_id", "integer", "Comment id (the target_id of moderation rows)."),
            _ROUND,
            _WHO,
            ("about", "string", "'general' or the option key the comment is about."),
            ("text", "string", "Comment text."),
            (
                "language",
                "string",
                "Language the participant wrote in (their page's); empty if unknown.",
                2,
            ),
        ),
        _table(
            "statements",
            "Statements to vote on, seeded or proposed by participants.",
            ("statement_id", "integer", "Statement id."),
            ("text", "string", "Statement text."),
            ("origin", "string", "seed (facilitator) or participant."),
            ("status", "string", "approved, pending or hidden."),
            ("author", "string", "Pseudonymous id of the proposer; empty for seeds or erased."),
            (
                "language",
                "string",
                "Language the text is written in; empty if unknown (written before "
                "languages were recorded). Seeds' translations are in the content table.",
                2,
            ),
        ),
        _table(
            "votes",
            "Votes on statements that are not hidden.",
            _ROUND,
            _WHO,
            ("statement_id", "integer", "Statement voted on."),
            ("vote", "string", "agree, disagree or pass."),
            ("value", "integer", "1 agree, -1 disagree, 0 pass."),
        ),
        _table(
            "moderation",
            "The moderation log.",
            ("target_kind", "string", "statement or comment."),
            ("target_id", "integer", "statement_id or comment_id."),
            ("action", "string", "approve or hide."),
            ("reason", "string", "Why."),
            ("actor", "string", "Who (facilitator)."),
            ("created_at", "datetime", "When (UTC)."),
        ),
        # tuned recommendation versions and their log (issue 14)
        *(
            _table(name, about, *columns, extra=tuning.EXTRA.get(name))
            for name, about, columns in tuning.TABLE_SPECS
        ),
    )
}

ABOUT = (
    "Export of one co-design workshop from the ALMP co-design workbench.",
    "Participants appear only by pseudonymous ids (p-…). Names and join tokens are not "
    "exported; only the workbench database links an id to a person, and erasing a "
    "participant's data removes that link.",
    "Hidden content is left out: comments hidden by moderation and votes on hidden statements.",
    "Text cells that start with = + - @, a tab, a carriage return or an apostrophe carry "
    "one extra leading apostrophe so that spreadsheet programs never run them as "
    "formulas; remove it to get the original text.",
    "Times are ISO 8601 in UTC.",
    "Languages are ISO 639-1 codes. The content table holds every option, criterion and "
    "statement text with one column per language (text_<code>, the workshop's default "
    "language first); a cell is empty where there is no text in that language.",
)

# -- frames --------------------------------------------------------------------------

_DTYPES = {
    "string": "string",
    "datetime": "string",
    "integer": "int64",
    "boolean": "bool",
    "number": "float64",
}


def make_frame(
    name: str, rows: Iterable[Sequence[Any]], columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """A DataFrame for export table ``name`` with its columns and dtypes: the fixed ones,
    or ``columns`` for a table with more (the P(rank k) of recommendation_ranks)."""
    found = table_layout(name, TABLES[name].names if columns is None else columns)
    if found is None:
        raise ValueError(f"columns {columns} do not fit export table {name!r}")
    return typed_frame([(c.name, c.type) for c in found], rows)


def table_layout(name: str, columns: Sequence[str]) -> tuple[Column, ...] | None:
    """The typed columns of table ``name`` named ``columns``: its fixed columns (or those
    it had in an older export version), then any extra ones it takes; None if they do
    not fit."""
    table = TABLES.get(name)
    if table is None:
        return None
    names, fixed = list(columns), len(table.columns)
    if names == table.names:
        return table.columns
    for version in range(EXPORT_VERSION - 1, 0, -1):
        older = tuple(c for c in table.columns if c.since <= version)
        if len(older) < fixed and names == [c.name for c in older]:
            return older
    if names[:fixed] != table.names or table.extra is None:
        return None
    extra = table.extra.columns(names[fixed:])
    return None if extra is None else table.columns + tuple(Column(*c) for c in extra)


def typed_frame(fields: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> pd.DataFrame:
    """A DataFrame of ``rows`` with columns and dtypes from (name, Frictionless type) pairs."""
    import pandas as pd

    names = [n for n, _ in fields]
    coerced = [[_coerce(t, v) for (_, t), v in zip(fields, row, strict=True)] for row in rows]
    frame = pd.DataFrame(coerced, columns=names)
    return frame.astype({n: _DTYPES.get(t, "string") for n, t in fields})


def _coerce(kind: str, value: Any) -> Any:
    if kind == "integer":
        return int(value)
    if kind == "number":
        return math.nan if value is None or value == "" else float(value)
    if kind == "boolean":
        if isinstance(value, str):
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"not a boolean: {value!r}")
            return value.lower() in ("true", "1")
        return bool(value)
    return "" if value is None else str(value)


def _py(value: Any) -> Any:
    """A plain Python value (int, bool, float, str or None) from a DataFrame cell."""
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, pd.Timestamp | datetime):
        return iso(value)
    return value


def frame_cells(frame: pd.DataFrame) -> list[list[Any]]:
    """``frame``'s rows as lists of plain Python values."""
    return [[_py(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def _field_type(frame: pd.DataFrame, column: str) -> str:
    import pandas as pd

    dtype = frame[column].dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    return "string"


def schema_fields(name: str, frame: pd.DataFrame) -> list[dict[str, str]]:
    """Frictionless field descriptors of ``frame`` (table ``name``), typed by its layout
    if it has one, else by its dtypes."""
    found = table_layout(name, [str(c) for c in frame.columns])
    if found is not None:
        return [{"name": c.name, "type": c.type, "description": c.description} for c in found]
    return [{"name": str(c), "type": _field_type(frame, str(c))} for c in frame.columns]


# -- formula-injection guard ---------------------------------------------------------


def guard(text: str) -> str:
    """``text`` with one ``'`` in front if a spreadsheet could read it as a formula."""
    return "'" + text if text.startswith(GUARDED_STARTS) else text


def unguard(text: str) -> str:
    """Undo :func:`guard`: remove exactly one leading ``'``."""
    return text[1:] if text.startswith("'") else text


# -- helpers of the formats ----------------------------------------------------------


def iso(value: datetime | None) -> str:
    """``value`` as ISO 8601 in UTC (``…Z``); empty for None."""
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def workshop_id_of(tables: dict[str, pd.DataFrame]) -> int | str:
    """The workshop id in ``tables``' workshop table; ``"export"`` if there is none."""
    frame = tables.get("workshop")
    if frame is not None and "workshop_id" in frame.columns and len(frame):
        return int(frame["workshop_id"].iloc[0])
    return "export"


def check_name(name: str) -> None:
    """Refuse a table name that is not a short lower-case identifier (or is ``about``)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", name) or name == ABOUT_SHEET:
        raise InvalidInput(
            [Problem("export", name, "table names must be short lower-case identifiers")]
        )


def typed(name: str, columns: list[str], rows: list[list[Any]], fields: Any = None) -> Any:
    """A DataFrame read back from a file: typed by :data:`TABLES` if ``name`` is one of
    them, else by ``fields`` ((name, type) pairs) if given, else as read."""
    import pandas as pd

    if table_layout(name, columns) is not None:
        return make_frame(name, rows, columns)
    table = TABLES.get(name)
    fixed = len(table.columns) if table is not None else 0
    if table is not None and table.extra is not None and columns[:fixed] == table.names:
        raise InvalidInput(
            [
                Problem(
                    "export",
                    f"{name} table",
                    f"columns {', '.join(columns[fixed:])} after its fixed ones do not fit: "
                    f"it takes {table.extra.rule}",
                )
            ]
        )
    if fields is not None:
        return typed_frame(fields, rows)
    return pd.DataFrame(rows, columns=columns)
