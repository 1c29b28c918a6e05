"""HTML pieces of the evidence and model pages (pure functions: data in, escaped HTML out)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import Any

import pandas as pd

from workbench.data.tables import cell_text
from workbench.evidence.changes import MODEL, RowChange
from workbench.evidence.schema import COLUMN_NAMES, COLUMNS, Column
from workbench.exceptions import Problem
from workbench.registry.diff import CellChange
from workbench.registry.types import Cell

#: Moved cells shown before the decision forms (the rest are one click away).
TOP_MOVES = 15
NEVER_FEEDS = "A candidate never feeds a run until a named expert approves it."
_EDITABLE = COLUMN_NAMES[1:]  # every column but ``id``
_LONG_TEXT = frozenset({"citation", "quote", "notes", "programme", "target_group_text"})
_KIND_TEXT = {
    "became_insufficient": "fell to insufficient evidence",
    "became_sufficient": "gained enough evidence",
    "appeared": "appeared",
    "disappeared": "disappeared",
    "revised": "had only their interval or count revised",
}
_ROW_PREFIX = re.compile(r"^index '[^']*': ")  # the validator's row label; the form is one row
Record = dict[str, str]

_CSS = (
    "body{font:16px system-ui,sans-serif;margin:2rem;color:#1a1a1a;max-width:80rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}caption{text-align:left;"
    "font-weight:600;padding:.3rem 0}td,th{border:1px solid #999;padding:.4rem .6rem;"
    "text-align:left;vertical-align:top}th{background:#e8eef5}tbody th{font-weight:normal}"
    "td.r{text-align:right}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "nav a{margin-right:1rem}a{color:#0b4f9c}"
    ".note{border-left:4px solid #0b4f9c;background:#eef3fa;padding:.6rem 1rem}"
    ".ok{border-left:4px solid #1b6b2e;background:#edf7ef;padding:.2rem 1rem}"
    ".errors{border:2px solid #b00020;padding:.2rem 1rem;margin:1rem 0}"
    ".errors:focus{outline:3px solid #b00020;outline-offset:2px}"
    ".err{color:#b00020;font-weight:600;display:block}.hint{color:#444;font-size:.85rem;"
    "display:block}fieldset{border:1px solid #999;margin:1rem 0;padding:.6rem 1rem}"
    "legend{font-weight:600}.field{display:grid;grid-template-columns:13rem minmax(0,1fr);"
    "gap:.2rem 1rem;margin:.55rem 0}.field label{font-weight:600;padding-top:.3rem}"
    "input,select,textarea{font:inherit;padding:.3rem;border:1px solid #666;"
    "max-width:100%;box-sizing:border-box}input[type=text],textarea{width:100%}"
    "[aria-invalid=true]{border:2px solid #b00020}button{font:inherit;padding:.45rem 1rem;"
    "margin-top:.5rem}blockquote{border-left:4px solid #999;margin:.5rem 0;padding:.2rem 1rem}"
    "dl{display:grid;grid-template-columns:13rem minmax(0,1fr);gap:.25rem 1rem}"
    "dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}pre{white-space:pre-wrap}"
    ".filters label{margin-right:.4rem;font-weight:600}.filters select{margin-right:1rem}"
    ".forms{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1rem}"
    "summary{cursor:pointer;font-weight:600;margin:.5rem 0}"
)


def e(value: Any) -> str:
    """HTML-escaped text of ``value`` ("" for None); quotes too, for attributes."""
    return "" if value is None else escape(str(value))


def _code(value: str) -> str:
    """An escaped schema code that may wrap after its underscores."""
    return e(value).replace("_", "_<wbr>")


def _num(value: float | None, signed: bool = False) -> str:
    return "–" if value is None else format(value, "+.3g" if signed else ".3g")


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return "–"
    if cell.value is None:
        return f"insufficient evidence (n={cell.n})"
    interval = f" [{_num(cell.low)}, {_num(cell.high)}]" if cell.low is not None else ""
    return f"{_num(cell.value)}{interval} (n={cell.n})"


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if hasattr(value, "strftime") else "–"


def _records(frame: pd.DataFrame) -> list[Record]:
    return [
        {c: cell_text(v) or "" for c, v in zip(COLUMN_NAMES, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _table(caption: str, head: Sequence[str], rows: Iterable[str], empty: str = "None.") -> str:
    body = "".join(rows) or f"<tr><td colspan='{len(head)}'>{e(empty)}</td></tr>"
    ths = "".join(f"<th scope='col'>{e(h)}</th>" for h in head)
    return (
        f"<table><caption>{e(caption)}</caption><thead><tr>{ths}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _dl(items: Mapping[str, str]) -> str:
    return "<dl>" + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items.items()) + "</dl>"


def _message(problem: Problem) -> str:
    return _ROW_PREFIX.sub("", problem.message)


def _problems_box(problems: Sequence[Problem], prefix: str, fields: Iterable[str]) -> str:
    """The problems at the top of a form, each linked to its field when it has one."""
    if not problems:
        return ""
    known = set(fields)
    items = "".join(
        f"<li><a href='#{prefix}-{e(p.key)}'>{e(p.key)}</a>: {e(_message(p))}</li>"
        if p.key in known
        else f"<li>{e(p.key + ': ' if p.key else '')}{e(_message(p))}</li>"
        for p in problems
    )
    n = len(problems)
    return (
        f"<div class='errors' role='alert' tabindex='-1'><h3>Nothing was saved: {n} "
        f"problem{'s' * (n > 1)}</h3><ul>{items}</ul></div>"
    )


def _field(
    name: str, label: str, value: str, problems: Sequence[Problem], *, prefix: str = "f",
    hint: str = "", choices: Sequence[str] | None = None, multiline: bool = False,
    required: bool = False,
) -> str:  # fmt: skip
    """One labelled input, select or textarea with its hint and its problems."""
    fid = f"{prefix}-{name}"
    mine = [_message(p) for p in problems if p.key == name]
    described = " ".join(([f"{fid}-hint"] if hint else []) + ([f"{fid}-err"] if mine else []))
    attrs = f"id='{fid}' name='{e(name)}'" + " required" * required
    attrs += (f" aria-describedby='{described}'" if described else "") + (
        " aria-invalid='true'" if mine else ""
    )
    if choices is not None:
        shown = [*choices, *([value] if value not in choices else [])]  # keep what was sent
        options = "".join(
            f"<option value='{e(c)}'{' selected' * (c == value)}>{e(c or '(none)')}</option>"
            for c in shown
        )
        control = f"<select {attrs}>{options}</select>"
    elif multiline:
        control = f"<textarea {attrs} rows='3'>{e(value)}</textarea>"
    else:
        control = f"<input type='text' {attrs} value='{e(value)}'>"
    errs = f"<span class='err' id='{fid}-err'>{e('; '.join(mine))}</span>" if mine else ""
    hint_html = f"<span class='hint' id='{fid}-hint'>{e(hint)}</span>" if hint else ""
    return (
        f"<div class='field'><label for='{fid}'>{e(label)}{' (required)' * required}</label>"
        f"<div>{control}{errs}{hint_html}</div></div>"
    )


def _column_field(col: Column, value: str, problems: Sequence[Problem]) -> str:
    choices = None
    if col.kind in ("enum", "bool"):
        choices = ([] if col.nonempty else [""]) + list(col.allowed)
    return _field(col.name, col.name.replace("_", " "), value, problems, hint=col.description,
                  choices=choices, multiline=col.name in _LONG_TEXT)  # fmt: skip


def _who_why(values: Mapping[str, str], problems: Sequence[Problem], prefix: str) -> str:
    return _field(
        "by", "Your name", values.get("by", ""), problems, prefix=prefix, required=True,
        hint="who decides (recorded in the audit log)",
    ) + _field(
        "reason", "Why", values.get("reason", ""), problems, prefix=prefix, required=True,
        multiline=True, hint="the reason, e.g. what the source says (recorded with it)",
    )  # fmt: skip


def _row_form(
    action: str, values: Mapping[str, str], problems: Sequence[Problem], xsrf: str, new: bool
) -> str:
    columns = [c for c in COLUMNS if new or c.name != "id"]
    fields = "".join(_column_field(c, values.get(c.name, ""), problems) for c in columns)
    legend = "The new row" if new else "Fields of the row"
    button = "Add the row and fit a candidate" if new else "Save the correction as a candidate"
    return (
        _problems_box(problems, "f", [*COLUMN_NAMES, "by", "reason"])
        + f"<form method='post' action='{e(action)}' novalidate>{xsrf}"
        f"<fieldset><legend>{legend}</legend>{fields}</fieldset>"
        f"<fieldset><legend>Who and why</legend>{_who_why(values, problems, 'f')}</fieldset>"
        f"<p class='note'>Saving fits a <strong>candidate</strong> version of {MODEL}. "
        f"{NEVER_FEEDS}</p><button type='submit'>{button}</button></form>"
    )


def _history(changes: Sequence[RowChange], version_url: Callable[[str], str]) -> str:
    rows = []
    for c in changes:
        what = {"add": "added the row", "retract": "retracted the row"}.get(c.action, "")
        if c.action == "correct":
            before, after = c.before or {}, c.after or {}
            what = "; ".join(f"{f}: {before.get(f, '')!r} → {after.get(f, '')!r}" for f in c.fields)
        rows.append(
            f"<tr><td>{_when(c.at)}</td><td>{e(c.by)}</td><td>{e(c.action)}</td>"
            f"<td>{e(what)}</td><td>{e(c.reason)}</td><td><a href='{e(version_url(c.version))}'>"
            f"version {e(c.version)}</a> ({e(c.version_status)})</td></tr>"
        )
    return _table("Change history of this row", ["When", "Who", "Action", "What changed", "Why",
                  "Version"], rows, "No recorded change: the row is as shipped.")  # fmt: skip


def _diff(changes: Sequence[CellChange], against: str | None) -> tuple[str, str]:
    """The diff's summary with the largest moves, and the full tables (collapsed)."""
    if not changes:
        return f"<h2>Changes against {e(against)}</h2><p id='diff-summary'>No cell changed.</p>", ""
    moved = sorted((c for c in changes if c.change == "moved"), key=lambda c: -abs(c.delta or 0))
    counts = {k: sum(c.change == k for c in changes) for k in ("moved", *_KIND_TEXT)}
    summary = ", ".join(f"{n} {_KIND_TEXT.get(k, k)}" for k, n in counts.items() if n)

    def moves(cells: Sequence[CellChange]) -> list[str]:
        return [
            f"<tr><th scope='row'>{e(c.label)}</th><td class='num'>{e(_cell(c.before))}</td>"
            f"<td class='num'>{e(_cell(c.after))}</td><td class='num'>{_num(c.delta, True)}"
            "</td></tr>"
            for c in cells
        ]

    head = ["Cell", "Before", "After", "Move"]
    caption = "Cells that moved, largest move first" + (
        f" (the {TOP_MOVES} largest of {len(moved)})" if len(moved) > TOP_MOVES else ""
    )
    top = (
        f"<h2>Changes against {e(against)}</h2><p id='diff-summary'>{len(changes)} cells "
        f"changed: {e(summary)}. Values are P(significantly positive) or effect sizes, "
        "with 95% intervals and the number of estimates (n).</p>"
        + _table(caption, head, moves(moved[:TOP_MOVES]), "No cell value moved.")
    )
    other = [
        f"<tr><td>{e(_KIND_TEXT.get(c.change, c.change))}</td><th scope='row'>{e(c.label)}</th>"
        f"<td class='num'>{e(_cell(c.before))}</td><td class='num'>{e(_cell(c.after))}</td></tr>"
        for c in changes
        if c.change != "moved"
    ]
    many = len(moved) > TOP_MOVES
    rest = _table(f"All {len(moved)} cells that moved", head, moves(moved)) if many else ""
    if other:
        caption = "Cells that appeared, disappeared, or changed to or from insufficient evidence"
        rest += _table(caption, ["Change", "Cell", "Before", "After"], other)
    summary = f"<h2>All changed cells</h2><details><summary>Show all {len(changes)}</summary>"
    return top, rest and f"{summary}{rest}</details>"


def _doc(title: str, body: str, nav: Mapping[str, str]) -> str:
    links = "".join(f"<a href='{e(u)}'>{e(t)}</a>" for t, u in nav.items())
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>"
        f"<nav aria-label='Workbench'>{links}</nav><main>{body}</main>"
        # bring the first list of problems into view (and to screen readers' focus)
        "<script>document.querySelector('.errors')?.focus()</script></body></html>"
    )


# -- service calls (run in a worker thread) -----------------------------------------------
