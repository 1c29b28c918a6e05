"""Workshop exports for analysts: tidy tables as CSV, XLSX or JSON.

:func:`workshop_tables` reads one workshop into tidy tables (one row per answer);
:func:`write_export` writes them as a folder of CSV files with a Frictionless
``datapackage.json``, one XLSX workbook or one JSON document, and :func:`read_export`
reads any of them back into the same tables.

Participants appear only by their pseudonymous id (``p-…``): display names and token
hashes are never exported. Hidden content is left out: comments hidden by moderation and
votes on hidden statements (hidden by moderation, or redacted when their author's data
was erased).

The workshop's tuned recommendation versions, their rank probabilities and the case's
log of proposals and decisions come from :mod:`workbench.participation.export_tuning`.

CSV and XLSX guard against formula injection (OWASP "CSV injection"): a text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or ``'`` gets one extra
leading ``'``. :func:`read_export` removes exactly that one, so a round trip is exact.
JSON stays raw.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.db import Database, records
from workbench.db.models import Feedback, Moderation, Participant, Statement, Workshop
from workbench.exceptions import InvalidInput, Problem, WorkshopNotFound
from workbench.participation import export_tuning
from workbench.participation.feedback import VOTES, template_version_pin

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("csv", "xlsx", "json")
EXPORT_FORMAT = "almp-workbench-export"
EXPORT_VERSION = 1
DATAPACKAGE = "datapackage.json"
ABOUT_SHEET = "about"
#: what a text cell may start with for a spreadsheet to read it as a formula (or to eat
#: the quote that marks it as text)
GUARDED_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
_VOTE_NAMES = {value: name for name, value in VOTES.items()}
_SUFFIX = {"csv": "", "xlsx": ".xlsx", "json": ".json"}
_STAMP = "%Y%m%dT%H%M%SZ"
_MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One column of an export table; ``type`` is a Frictionless field type."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    """The fixed layout of one export table."""

    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]


def _table(name: str, description: str, *columns: tuple[str, str, str]) -> Table:
    return Table(name, description, tuple(Column(*c) for c in columns))


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
        ),
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
        ),
        _table(
            "statements",
            "Statements to vote on, seeded or proposed by participants.",
            ("statement_id", "integer", "Statement id."),
            ("text", "string", "Statement text."),
            ("origin", "string", "seed (facilitator) or participant."),
            ("status", "string", "approved, pending or hidden."),
            ("author", "string", "Pseudonymous id of the proposer; empty for seeds or erased."),
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
        *(_table(name, about, *columns) for name, about, columns in export_tuning.TABLE_SPECS),
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
)

# -- reading a workshop --------------------------------------------------------------


def workshop_tables(db: Database, workshop_id: int) -> dict[str, pd.DataFrame]:
    """A workshop's tidy tables (see :data:`TABLES`), read from one database snapshot."""
    with db.session() as s:
        records.snapshot(s)
        found = records.workshop_with_publication(s, workshop_id=workshop_id)
        if found is None:
            raise WorkshopNotFound(f"no workshop with id {workshop_id}")
        workshop, pub = found
        rounds = records.rounds_of(s, workshop_id=workshop_id)
        participants = records.participants_of(s, workshop_id=workshop_id)
        feedback = records.feedback_with_authors(s, workshop_id=workshop_id)
        statements = records.statements_with_authors(s, workshop_id=workshop_id)
        moderation = records.moderation_of(s, workshop_id=workshop_id)
        tuned = export_tuning.tuning_tables(s, workshop)
    rows: dict[str, list[list[Any]]] = {name: [] for name in TABLES}
    rows["workshop"].append(
        [
            workshop.id,
            workshop.title,
            workshop.case_slug,
            workshop.state,
            workshop.current_round,
            workshop.scale_max,
            workshop.expected_participants,
            _iso(workshop.created_at),
            _iso(workshop.opened_at),
            _iso(workshop.closed_at),
            workshop.retention_days,
            pub.bundle_hash,
            template_version_pin(pub),
            pub.synthetic_data,
        ]
    )
    rows["rounds"] = [
        [
            r.number,
            _iso(r.opened_at),
            _iso(r.closed_at),
            "all" if r.reask is None else ";".join(r.reask),
        ]
        for r in rounds
    ]
    rows["participants"] = [_participant_row(p) for p in participants]
    groups = {p.public_id: p.stakeholder_group or "" for p in participants}
    rows.update(_answer_rows(workshop, feedback, statements, groups))
    rows["statements"] = [
        [st.id, st.text, st.origin, st.status, author or ""] for st, author in statements
    ]
    rows["moderation"] = [_moderation_row(m) for m in moderation]
    rows.update({name: r for name, (_, r) in tuned.items()})
    columns = {name: c for name, (c, _) in tuned.items()}
    return {name: make_frame(name, rows[name], columns.get(name)) for name in TABLES}


def _iso(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _participant_row(p: Participant) -> list[Any]:
    return [
        p.public_id,
        p.stakeholder_group or "",
        _iso(p.consent_at),
        _iso(p.created_at),
        _iso(p.last_seen_at),
    ]


def _moderation_row(m: Moderation) -> list[Any]:
    return [m.target_kind, m.target_id, m.action, m.reason, m.actor, _iso(m.created_at)]


def _answer_rows(
    workshop: Workshop,
    feedback: Sequence[tuple[Feedback, str]],
    statements: Sequence[tuple[Statement, str | None]],
    groups: dict[str, str],
) -> dict[str, list[list[Any]]]:
    spec = workshop.spec
    options = {o["key"]: (i, o["label"]) for i, o in enumerate(spec.get("options", []))}
    criteria = {c["key"]: (i, c["label"]) for i, c in enumerate(spec.get("criteria", []))}

    def option(key: str) -> tuple[int, str]:
        return options.get(key, (len(options), key))

    def criterion(key: str) -> tuple[int, str]:
        return criteria.get(key, (len(criteria), key))

    votable = {st.id for st, _ in statements if st.status != "hidden"}
    keyed: dict[str, list[tuple[tuple[Any, ...], list[Any]]]] = {
        "ratings": [],
        "approvals": [],
        "rankings": [],
        "points": [],
        "comments": [],
        "votes": [],
    }
    for row, who in feedback:
        head = [row.round, who]
        if row.kind == "rating":
            _, opt, crit = row.item.split(":", 2)
            (oi, olabel), (ci, clabel) = option(opt), criterion(crit)
            keyed["ratings"].append(
                (
                    (row.round, who, oi, opt, ci, crit),
                    [
                        *head,
                        opt,
                        olabel,
                        crit,
                        clabel,
                        int(row.value),
                        row.revision,
                        _iso(row.updated_at),
                    ],
                )
            )
        elif row.kind == "approval":
            opt = row.item.removeprefix("approval:")
            oi, olabel = option(opt)
            keyed["approvals"].append(
                ((row.round, who, oi, opt), [*head, opt, olabel, bool(row.value)])
            )
        elif row.kind == "ranking":
            for rank, opt in enumerate(row.value or [], start=1):
                keyed["rankings"].append(
                    ((row.round, who, rank), [*head, opt, option(opt)[1], rank])
                )
        elif row.kind == "points":
            crit = row.item.removeprefix("points:")
            ci, clabel = criterion(crit)
            keyed["points"].append(
                (
                    (row.round, who, ci, crit),
                    [*head, groups.get(who, ""), crit, clabel, int(row.value)],
                )
            )
        elif row.kind == "comment" and row.status == "visible":
            about = row.item.removeprefix("comment:")
            order = -1 if about == "general" else option(about)[0]
            keyed["comments"].append(
                ((row.round, who, order, about, row.id), [row.id, *head, about, str(row.value)])
            )
        elif row.kind == "vote":
            sid = int(row.item.removeprefix("vote:"))
            if sid in votable:
                value = int(row.value)
                keyed["votes"].append(
                    ((row.round, who, sid), [*head, sid, _VOTE_NAMES[value], value])
                )
    return {
        name: [r for _, r in sorted(items, key=lambda x: x[0])] for name, items in keyed.items()
    }


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
    layout = _layout(name, TABLES[name].names if columns is None else columns)
    if layout is None:
        raise ValueError(f"columns {columns} do not fit export table {name!r}")
    return _frame([(c.name, c.type) for c in layout], rows)


def _layout(name: str, columns: Sequence[str]) -> tuple[Column, ...] | None:
    """The typed columns of table ``name`` named ``columns``; None if they do not fit."""
    table = TABLES.get(name)
    fixed = len(table.columns) if table is not None else 0
    if table is None or list(columns[:fixed]) != table.names:
        return None
    if len(columns) == fixed:
        return table.columns
    extra = export_tuning.extra_columns(name, columns[fixed:])
    return None if extra is None else table.columns + tuple(Column(*c) for c in extra)


def _frame(fields: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> pd.DataFrame:
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
        return _iso(value)
    return value


def _cells(frame: pd.DataFrame) -> list[list[Any]]:
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


def _fields(name: str, frame: pd.DataFrame) -> list[dict[str, str]]:
    layout = _layout(name, [str(c) for c in frame.columns])
    if layout is not None:
        return [{"name": c.name, "type": c.type, "description": c.description} for c in layout]
    return [{"name": str(c), "type": _field_type(frame, str(c))} for c in frame.columns]


# -- formula-injection guard ---------------------------------------------------------


def guard(text: str) -> str:
    """``text`` with one ``'`` in front if a spreadsheet could read it as a formula."""
    return "'" + text if text.startswith(GUARDED_STARTS) else text


def unguard(text: str) -> str:
    """Undo :func:`guard`: remove exactly one leading ``'``."""
    return text[1:] if text.startswith("'") else text


# Excel's own escape for characters XML cannot carry (ST_Xstring): _xHHHH_. A literal
# "_xHHHH_" in the text is escaped by escaping its underscore (_x005F_).
_XLSX_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b-\x1f]")
_XLSX_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _xlsx_escape(text: str) -> str:
    return _XLSX_ESCAPE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def _xlsx_unescape(text: str) -> str:
    return _XLSX_UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


# -- writing -------------------------------------------------------------------------


def default_export_path(
    home: Path, workshop_id: int | str, fmt: str, now: datetime | None = None
) -> Path:
    """``<home>/exports/workshop-<id>-<UTC time>[.xlsx|.json]`` (a folder for csv)."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime(_STAMP)
    return home / "exports" / f"workshop-{workshop_id}-{stamp}{_SUFFIX[fmt]}"


def write_export(
    tables: dict[str, pd.DataFrame],
    fmt: str,
    output: Path | None = None,
    *,
    home: Path | None = None,
) -> Path:
    """Write ``tables`` as ``fmt`` (csv, xlsx or json) and return the path written.

    ``output`` defaults to :func:`default_export_path` under ``home`` (the current folder
    if not given). An existing ``output`` is never overwritten.
    """
    if fmt not in FORMATS:
        raise InvalidInput(
            [Problem("--format", "format", f"{fmt!r} is not one of {', '.join(FORMATS)}")]
        )
    if not tables:
        raise InvalidInput([Problem("export", "tables", "there is nothing to export")])
    if output is None:
        output = _free_default(Path(home or Path.cwd()), _workshop_id_of(tables), fmt)
    else:
        output = Path(output)
        if _SUFFIX[fmt] and output.suffix.lower() != _SUFFIX[fmt]:
            raise InvalidInput(
                [Problem("--output", str(output), f"a {fmt} export must end in {_SUFFIX[fmt]}")]
            )
        if fmt == "csv" and output.suffix.lower() in (".xlsx", ".json", ".csv"):
            raise InvalidInput(
                [
                    Problem(
                        "--output",
                        str(output),
                        "a csv export is a folder (one CSV per table and datapackage.json); "
                        "give a folder name without a file extension",
                    )
                ]
            )
        if output.exists() or output.is_symlink():
            raise _exists(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    writer = {"csv": _write_csv, "xlsx": _write_xlsx, "json": _write_json}[fmt]
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        target = tmp / ("export" + _SUFFIX[fmt])
        if fmt == "csv":
            target.mkdir()
        writer(tables, target)
        _publish(target, output)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return output


def _workshop_id_of(tables: dict[str, pd.DataFrame]) -> int | str:
    frame = tables.get("workshop")
    if frame is not None and "workshop_id" in frame.columns and len(frame):
        return int(frame["workshop_id"].iloc[0])
    return "export"


def _free_default(home: Path, workshop_id: int | str, fmt: str) -> Path:
    path = default_export_path(home, workshop_id, fmt)
    n = 1
    while path.exists():
        n += 1
        path = path.with_name(f"{path.name.removesuffix(_SUFFIX[fmt])}-{n}{_SUFFIX[fmt]}")
    return path


def _exists(path: Path) -> InvalidInput:
    return InvalidInput(
        [Problem("--output", str(path), "already exists; refusing to overwrite it")]
    )


def _publish(written: Path, output: Path) -> None:
    """Move a finished export into place without ever replacing an existing path."""
    if output.exists() or output.is_symlink():
        raise _exists(output)
    if written.is_dir():
        written.rename(output)
        return
    try:
        os.link(written, output)  # fails if output exists, unlike rename
    except FileExistsError:
        raise _exists(output) from None
    except OSError:  # no hard links on this file system
        written.replace(output)


def _write_csv(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    import pandas as pd

    resources = []
    for name, frame in tables.items():
        _check_name(name)
        fields = _fields(name, frame)
        cells = [[_csv_cell(v) for v in row] for row in _cells(frame)]
        header = [guard(str(c)) for c in frame.columns]
        pd.DataFrame(cells, columns=header, dtype=object).to_csv(
            folder / f"{name}.csv", index=False, encoding="utf-8-sig", lineterminator="\r\n"
        )
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "description": TABLES[name].description if name in TABLES else "",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {
                    "delimiter": ",",
                    "doubleQuote": True,
                    "quoteChar": '"',
                    "lineTerminator": "\r\n",
                    "header": True,
                },
                "schema": {"fields": fields, "missingValues": [""]},
            }
        )
    package = {
        "profile": "tabular-data-package",
        "name": f"almp-workshop-{_workshop_id_of(tables)}",
        "title": f"ALMP co-design workshop {_workshop_id_of(tables)}",
        "description": " ".join(ABOUT),
        "created": _iso(datetime.now(UTC)),
        "x-almp-workbench": {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "formula_guard": "text cells starting with "
            + " ".join(repr(c) for c in GUARDED_STARTS)
            + " carry one extra leading apostrophe",
        },
        "resources": resources,
    }
    (folder / DATAPACKAGE).write_text(
        json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return guard(value)
    return value


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", name) or name == ABOUT_SHEET:
        raise InvalidInput(
            [Problem("export", name, "table names must be short lower-case identifiers")]
        )


def _write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    about = book.active
    assert about is not None
    about.title = ABOUT_SHEET
    lines: list[list[Any]] = [[line] for line in ABOUT]
    lines += [[], ["table", "rows", "what it holds"]]
    for name, frame in tables.items():
        _check_name(name)
        lines.append([name, len(frame), TABLES[name].description if name in TABLES else ""])
    for row in lines:
        about.append([_xlsx_value(v) for v in row])
    for row in about.iter_rows():
        for cell in row:
            _mark_text(cell)
            cell.alignment = Alignment(wrap_text=False, vertical="top")
    about.column_dimensions["A"].width = 16
    about.column_dimensions["C"].width = 80
    header_row = len(ABOUT) + 2
    for cell in about[header_row]:
        cell.font = Font(bold=True)
    bold = Font(bold=True)
    for name, frame in tables.items():
        sheet = book.create_sheet(name)
        sheet.append([_xlsx_value(str(c)) for c in frame.columns])
        rows = _cells(frame)
        for row in rows:
            sheet.append([_xlsx_value(v) for v in row])
        for row in sheet.iter_rows():
            for cell in row:
                _mark_text(cell)
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for i, column in enumerate(frame.columns):
            values = [str(column)] + [str(r[i]) for r in rows if r[i] is not None]
            width = max(len(line) for v in values for line in (v.splitlines() or [""]))
            letter = sheet.cell(row=1, column=i + 1).column_letter
            sheet.column_dimensions[letter].width = min(max(width, 6), _MAX_WIDTH) + 2
    book.save(path)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return _xlsx_escape(guard(value)) if value else None
    return value


def _mark_text(cell: Any) -> None:
    """Text stays text: openpyxl would store "=…" as a formula and "#N/A" as an error."""
    if isinstance(cell.value, str):
        cell.data_type = "s"


def _write_json(tables: dict[str, pd.DataFrame], path: Path) -> None:
    doc = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "tables": {
            name: {"columns": [str(c) for c in frame.columns], "rows": _cells(frame)}
            for name, frame in tables.items()
        },
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# -- reading -------------------------------------------------------------------------


def read_export(path: Path) -> dict[str, pd.DataFrame]:
    """Read an export written by :func:`write_export` (csv folder, .xlsx or .json)."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput([Problem(str(path), "", "no such export")])
    if path.is_dir():
        return _read_csv(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".json":
        return _read_json(path)
    raise InvalidInput(
        [Problem(str(path), "", "not an export: expected a folder, an .xlsx or a .json file")]
    )


def _typed(name: str, columns: list[str], rows: list[list[Any]], fields: Any = None) -> Any:
    import pandas as pd

    if _layout(name, columns) is not None:
        return make_frame(name, rows, columns)
    if fields is not None:
        return _frame(fields, rows)
    return pd.DataFrame(rows, columns=columns)


def _read_csv(folder: Path) -> dict[str, pd.DataFrame]:
    import pandas as pd

    meta = folder / DATAPACKAGE
    if not meta.is_file():
        raise InvalidInput([Problem(str(folder), "", f"not an export folder: no {DATAPACKAGE}")])
    package = json.loads(meta.read_text(encoding="utf-8"))
    out = {}
    for resource in package.get("resources", []):
        name = resource["name"]
        source = folder / resource["path"]
        raw = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        columns = [unguard(str(c)) for c in raw.columns]
        fields = [(f["name"], f.get("type", "string")) for f in resource["schema"]["fields"]]
        if [n for n, _ in fields] != columns:
            raise InvalidInput(
                [Problem(str(source), "header", f"columns {columns} differ from {DATAPACKAGE}")]
            )
        rows = [[unguard(v) for v in row] for row in raw.itertuples(index=False, name=None)]
        out[name] = _typed(name, columns, rows, fields)
    return out


def _read_xlsx(path: Path) -> dict[str, pd.DataFrame]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=False)
    try:
        out = {}
        for sheet in book.worksheets:
            if sheet.title == ABOUT_SHEET:
                continue
            found = [list(r) for r in sheet.iter_rows(values_only=True)]
            if not found:
                continue
            columns = [_xlsx_text(c) for c in found[0]]
            while columns and columns[-1] == "":
                columns.pop()
            rows = []
            for row in found[1:]:
                cells = (row + [None] * len(columns))[: len(columns)]
                rows.append([_xlsx_text(c) if isinstance(c, str) else c for c in cells])
            out[sheet.title] = _typed(sheet.title, columns, rows)
        return out
    finally:
        book.close()


def _xlsx_text(value: Any) -> str:
    return "" if value is None else unguard(_xlsx_unescape(str(value)))


def _read_json(path: Path) -> dict[str, pd.DataFrame]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InvalidInput([Problem(str(path), "", f"not valid JSON ({exc})")]) from None
    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
        raise InvalidInput([Problem(str(path), "format", f"is not {EXPORT_FORMAT!r}")])
    if doc.get("version") != EXPORT_VERSION:
        raise InvalidInput(
            [Problem(str(path), "version", f"{doc.get('version')!r} is not {EXPORT_VERSION}")]
        )
    return {
        name: _typed(name, list(table["columns"]), [list(r) for r in table["rows"]])
        for name, table in doc["tables"].items()
    }
