"""The expert's evidence form and the model registry pages, with their thin REST API.

Server-rendered HTML on the analysts' (token-protected) lab server: every handler needs
Jupyter auth and every form carries Jupyter's XSRF field; all text is escaped. A
correction, a new row or a retraction goes through
:class:`~workbench.evidence.changes.EvidenceService` and becomes a *candidate* version of
``almp_effectiveness``; its page shows the candidate's metrics and its diff against the
approved version, with approve / reject forms (:class:`~workbench.registry.ModelRegistry`).
A candidate never feeds a run until a named expert approves it. Bad input re-renders the
form with the user's values and every problem at its field (HTTP 400, nothing written).

Pages: ``/workbench/evidence`` (``?type=&horizon=&kind=``), ``/workbench/evidence/new``,
``/workbench/evidence/<id>`` (POST: correct; POST ``…/retract``), ``/workbench/models``,
``/workbench/models/<name>/<version>`` (``…/card``; POST ``…/approve``, ``…/reject``).
REST: ``GET /workbench/api/evidence``, ``GET /workbench/api/evidence/<id>``,
``POST /workbench/api/evidence/<id>/corrections``, ``GET /workbench/api/models``,
``GET /workbench/api/models/<name>/<version>``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join

from workbench.evidence.changes import MODEL
from workbench.evidence.schema import COLUMN_NAMES, COLUMNS
from workbench.exceptions import InvalidInput, Problem, WorkbenchError
from workbench.registry.records import Decision, VersionInfo
from workbench.server.base import ApiBase, jsonable
from workbench.server.body import MAX_BODY
from workbench.server.evidence_html import (
    _EDITABLE,
    NEVER_FEEDS,
    Record,
    _code,
    _diff,
    _dl,
    _doc,
    _field,
    _history,
    _num,
    _problems_box,
    _records,
    _row_form,
    _table,
    _when,
    _who_why,
    e,
)
from workbench.service import Workbench

__all__ = ["NEVER_FEEDS", "evidence_routes"]

ROW_ID = r"[A-Za-z0-9_.\-]{1,64}"
MODEL_NAME = r"[a-z0-9][a-z0-9_\-]{0,63}"
VERSION = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}"
#: Filters of the evidence page: query parameter -> (column, label).
LIST_FILTERS = {
    "type": ("programme_type", "Programme type"),
    "horizon": ("horizon", "Horizon"),
    "kind": ("kind", "Kind"),
}


def _row_or_404(wb: Workbench, row_id: str) -> Record:
    try:
        return wb.evidence.show_row(row_id)
    except InvalidInput as exc:
        if any(p.key == "id" for p in exc.problems):
            raise tornado.web.HTTPError(404, f"no evidence row {row_id}") from None
        raise


def _version_or_404(wb: Workbench, name: str, version: str) -> VersionInfo:
    if not any(v.version == version for v in wb.registry.versions(name)):
        raise tornado.web.HTTPError(404, f"no version {version} of model {name}")
    return wb.registry.show(name, version)


def _version_view(wb: Workbench, name: str, version: str) -> tuple[VersionInfo, Any, Any]:
    """A version, its diff and the version that diff is against: the approved one now for a
    candidate, else the version it was built on (None: nothing)."""
    info = _version_or_404(wb, name, version)
    if info.status == "candidate":
        approved = wb.registry.approved(name)
        return info, wb.registry.diff(name, version), approved.version if approved else None
    return info, info.diff, info.parent


class _Page(JupyterHandler):
    """A server-rendered page of the workbench (HTML, Jupyter auth)."""

    @property
    def wb(self) -> Workbench:
        service: Workbench = self.settings["workbench_service"]
        return service

    def url(self, *parts: str) -> str:
        return url_path_join(self.base_url, "workbench", *parts)

    def version_url(self, version: str, name: str = MODEL) -> str:
        return self.url("models", name, version)

    def page(self, title: str, body: str, status: int = 200) -> None:
        nav = {"Evidence": self.url("evidence"), "Add a row": self.url("evidence", "new"),
               "Models": self.url("models"), "Workshops": self.url("facilitator")}  # fmt: skip
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(_doc(title, body, nav))

    async def call(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kw)

    def form(self, names: Iterable[str]) -> dict[str, str]:
        """The posted fields among ``names`` (CRLF as LF); a NUL character is refused."""
        if len(self.request.body or b"") > MAX_BODY:
            raise tornado.web.HTTPError(413, f"the form is larger than {MAX_BODY} bytes")
        out = {}
        for name in names:
            if name in self.request.body_arguments:
                value = self.get_body_argument(name, "", strip=False).replace("\r\n", "\n")
                if "\x00" in value:
                    raise tornado.web.HTTPError(400, f"{name} contains a NUL character")
                out[name] = value
        return out

    async def attempt(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> tuple[Any, list]:
        """``fn``'s result, or the problems of refused input (other errors: a page here)."""
        try:
            return await self.call(fn, *args, **kw), []
        except InvalidInput as exc:
            return None, exc.problems
        except WorkbenchError as exc:
            self.page("Error", f"<h1>Error</h1><p>{e(exc)}</p>", exc.http_status)
            raise tornado.web.Finish() from None


class EvidenceListPage(_Page):
    """The working evidence rows, filtered by ``?type=&horizon=&kind=``."""

    @tornado.web.authenticated
    async def get(self) -> None:
        wanted = {k: self.get_query_argument(k, "") for k in LIST_FILTERS}
        filters = {col: wanted[k] for k, (col, _) in LIST_FILTERS.items()}
        reg = self.wb.registry
        got, problems = await self.attempt(
            lambda: (self.wb.evidence.list_rows(filters), reg.working(MODEL), reg.approved(MODEL))
        )
        if problems:
            box = _problems_box(problems, "q", [])
            self.page("Evidence", f"<h1>Evidence</h1>{box}", 400)
            return
        frame, working, approved = got
        top = (
            "<p class='note'>Working evidence: "
            + (f"version {e(working.version)} ({e(working.status)})" if working else "as shipped")
            + f". Approved version of {MODEL}: {e(approved.version if approved else 'none')}"
            + f" (the one runs use). {NEVER_FEEDS}</p>"
        )
        allowed = {c.name: c.allowed for c in COLUMNS}
        selects = "".join(
            f"<label for='q-{k}'>{e(label)}</label><select id='q-{k}' name='{k}'>"
            + "".join(
                f"<option value='{e(v)}'{' selected' * (v == wanted[k])}>{e(v or '(any)')}</option>"
                for v in ("", *allowed[col])
            )
            + "</select>"
            for k, (col, label) in LIST_FILTERS.items()
        )
        rows = [
            f"<tr><td><a href='{e(self.url('evidence', r['id']))}'>{e(r['id'])}</a></td>"
            f"<td>{e(r['kind'])}</td><td>{e(r['study'])}</td><td>{_code(r['programme_type'])}</td>"
            f"<td>{e(r['horizon'])}</td><td>{_code(r['target_group'])}</td><td class='r'>"
            f"{_code((r['estimate'] + ' ' + r['unit']).strip() or '–')}</td>"
            f"<td>{_code(r['significance'])}</td><td>{'yes' if r['secondary'] == 'true' else 'no'}"
            "</td></tr>"
            for r in _records(frame)
        ]
        caption = f"{len(rows)} evidence rows" + " (filtered)" * any(wanted.values())
        head = ["Id", "Kind", "Study", "Programme type", "Horizon", "Group", "Estimate",
                "Significance", "Secondary"]  # fmt: skip
        self.page(
            "Evidence",
            f"<h1>Evidence</h1>{top}<p><a href='{e(self.url('evidence', 'new'))}'>Add a row</a>"
            "</p><form method='get' class='filters' aria-label='Filter the rows'>"
            f"{selects}<button type='submit'>Filter</button></form>"
            + _table(caption, head, rows, "No row matches these filters."),
        )


class EvidenceRowPage(_Page):
    """GET: one row, its history, the correction and retraction forms. POST: correct it;
    POST ``…/retract``: retract it."""

    @tornado.web.authenticated
    async def get(self, row_id: str, action: str | None = None) -> None:
        if action is not None:
            raise tornado.web.HTTPError(405)
        row = await self.call(_row_or_404, self.wb, row_id)
        await self.show(row_id, row, row)

    async def show(
        self, row_id: str, row: Record, values: Mapping[str, str], problems: Sequence = (),
        status: int = 200, retract: Mapping[str, str] | None = None, refused: Sequence = (),
    ) -> None:  # fmt: skip
        history = await self.call(self.wb.evidence.history, row_id)
        url = row.get("source_url", "")
        source = (
            f"<a href='{e(url)}' rel='noopener noreferrer'>{e(url)}</a>"
            if url.startswith(("https://", "http://"))
            else e(url or "–")
        )
        facts = {
            c.replace("_", " "): row.get(c) or "–"
            for c in COLUMN_NAMES
            if c not in ("quote", "source_url")
        }
        retract_form = (
            f"<form method='post' action='{e(self.url('evidence', row_id, 'retract'))}' "
            f"novalidate>{self.xsrf_form_html()}<fieldset><legend>Retract this row</legend>"
            "<p>The row leaves the evidence of a new candidate; its history stays.</p>"
            + _problems_box(refused, "r", ["by", "reason"])
            + _who_why(retract or {}, refused, "r")
            + "<button type='submit'>Retract this row</button></fieldset></form>"
        )
        body = (
            f"<h1>Evidence row {e(row_id)}</h1><p>{e(row.get('study'))}</p><h2>Source</h2>"
            f"<blockquote>{e(row.get('quote') or '(no quote)')}</blockquote>"
            f"<p>Read at: {source}</p><h2>Fields</h2>{_dl(facts)}<h2>History</h2>"
            + _history(history, self.version_url)
            + "<h2 id='correct'>Correct this row</h2>"
            + _row_form(self.url("evidence", row_id), values, problems, self.xsrf_form_html(),
                        new=False)
            + f"<h2>Retract</h2>{retract_form}"
        )  # fmt: skip
        self.page(f"Evidence row {row_id}", body, status)

    @tornado.web.authenticated
    async def post(self, row_id: str, action: str | None = None) -> None:
        row = await self.call(_row_or_404, self.wb, row_id)
        sent = self.form([*_EDITABLE, "by", "reason"])
        by, reason = sent.get("by", ""), sent.get("reason", "")
        if action == "retract":
            edit, problems = await self.attempt(self.wb.evidence.retract_row, row_id, by, reason)
            if problems:
                await self.show(row_id, row, row, (), 400, sent, problems)
                return
        else:  # only the fields that changed (a field left out of the form is not changed)
            changes = {c: sent[c] for c in _EDITABLE if c in sent and sent[c] != row.get(c, "")}
            edit, problems = await self.attempt(
                self.wb.evidence.correct_row, row_id, changes, by, reason
            )
            if problems:
                await self.show(row_id, row, {**row, **sent}, problems, 400)
                return
        self.redirect(f"{self.version_url(edit.version)}?row={row_id}", status=303)


class EvidenceNewPage(_Page):
    """GET: the empty row form. POST: add the row."""

    @tornado.web.authenticated
    async def get(self) -> None:
        self.show({}, [])

    def show(self, values: Mapping[str, str], problems: Sequence, status: int = 200) -> None:
        body = (
            "<h1>Add an evidence row</h1><p>Every field is checked against the evidence "
            "schema before anything is saved.</p>"
            + _row_form(self.url("evidence", "new"), values, problems, self.xsrf_form_html(),
                        new=True)
        )  # fmt: skip
        self.page("Add an evidence row", body, status)

    @tornado.web.authenticated
    async def post(self) -> None:
        sent = self.form([*COLUMN_NAMES, "by", "reason"])
        row = {c: sent.get(c, "") for c in COLUMN_NAMES}
        edit, problems = await self.attempt(
            self.wb.evidence.add_row, row, sent.get("by", ""), sent.get("reason", "")
        )
        if problems:
            self.show(sent, problems, 400)
            return
        self.redirect(f"{self.version_url(edit.version)}?row={edit.added[0]}", status=303)


class ModelsPage(_Page):
    """Every model of the registry: its versions with their status, and its audit log."""

    @tornado.web.authenticated
    async def get(self) -> None:
        def load() -> list[tuple[Any, Any, Any]]:
            reg = self.wb.registry
            return [(m, reg.versions(m.name), reg.events(m.name)) for m in reg.list_models()]

        parts = [f"<h1>Models</h1><p class='note'>{NEVER_FEEDS}</p>"]
        for model, versions, events in await self.call(load):
            v_rows = [
                f"<tr><td><a href='{e(self.version_url(v.version, model.name))}'>{e(v.version)}"
                f"</a></td><td>{e(v.status)}</td><td>{_when(v.created_at)}</td><td>"
                f"{e(v.created_by)}</td><td>{e(v.reason)}</td><td>{e(v.decided_by or '–')}"
                "</td></tr>"
                for v in reversed(versions)
            ]
            ev_rows = [
                f"<tr><td>{_when(x.at)}</td><td>{e(x.action)}</td><td>{e(x.version)}</td>"
                f"<td>{e(x.from_version or '–')}</td><td>{e(x.by)}</td><td>{e(x.reason)}"
                f"{' (override: ' + e(x.override) + ')' if x.override else ''}</td></tr>"
                for x in reversed(events)
            ]
            problem = f"<p class='errors'>{e(model.problem)}</p>" if model.problem else ""
            parts.append(
                f"<h2>{e(model.name)}</h2><p>{e(model.description)}</p>{problem}<p>Approved: "
                f"{e(model.approved or 'none')}; candidates: "
                f"{e(', '.join(model.candidates) or 'none')}</p>"
                + _table(f"Versions of {model.name}, newest first",
                         ["Version", "Status", "Made", "By", "Why", "Decided by"], v_rows)
                + _table(f"Audit log of {model.name}, newest first",
                         ["When", "Action", "Version", "From", "Who", "Why"], ev_rows)
            )  # fmt: skip
        self.page("Models", "".join(parts))


class ModelVersionPage(_Page):
    """GET: one version (status, who/why, metrics, diff, card link, approve / reject
    forms) or ``…/card``. POST ``…/approve`` | ``…/reject`` with by + reason."""

    @tornado.web.authenticated
    async def get(self, name: str, version: str, action: str | None = None) -> None:
        if action == "card":
            info = await self.call(_version_or_404, self.wb, name, version)
            self.page(
                f"Card of {name} {version}",
                f"<h1>Model card: {e(name)} version {e(version)}</h1><p><a href='"
                f"{e(self.version_url(version, name))}'>Back to the version</a></p>"
                f"<pre>{e(info.card_text or '(this version has no card)')}</pre>",
            )
        elif action is None:
            await self.show(name, version)
        else:
            raise tornado.web.HTTPError(405)

    async def show(
        self, name: str, version: str, *, status: int = 200, form: str = "",
        values: Mapping[str, str] | None = None, problems: Sequence[Problem] = (),
        decision: Decision | None = None,
    ) -> None:  # fmt: skip
        info, diff, base = await self.call(_version_view, self.wb, name, version)
        role = "approved" if info.status == "candidate" else "built on"
        against = f"version {base} ({role})" if base else "no earlier version"
        row = self.get_query_argument("row", "")
        back = (
            f"<p><a href='{e(self.url('evidence', row))}'>Back to evidence row {e(row)}</a></p>"
            if re.fullmatch(ROW_ID, row)
            else ""
        )
        if decision is not None:
            stale = "".join(
                f"<li>{e(getattr(s, 'case_slug', s))} ({e(getattr(s, 'template', ''))})</li>"
                for s in decision.stale
            )
            back += (
                f"<div class='ok' role='status'><h2>Approved</h2><p>Version {e(decision.version)}"
                f" replaces version {e(decision.previous or '–')}: runs use it from now on.</p>"
                + (
                    "<p>These case studies read the model and are now stale (<code>workbench "
                    f"run --all</code> re-runs exactly these):</p><ul>{stale}</ul>"
                    if stale
                    else "<p>No case study became stale.</p>"
                )
                + "</div>"
            )
        if info.status == "candidate":
            banner = f"<strong>Candidate.</strong> {NEVER_FEEDS} Until then runs use {against}."
        else:
            banner = f"Status: <strong>{e(info.status)}</strong>."
        facts = {
            "Status": info.status, "Made by": info.created_by, "Made": _when(info.created_at),
            "Why": info.reason, "Built on": info.parent or "–",
            "Training data hash": info.training_hash or "–", "Decided by": info.decided_by or "–",
            "Decided": _when(info.decided_at), "Decision reason": info.decision_reason or "–",
        }  # fmt: skip
        metrics = [
            f"<tr><th scope='row'>{e(k)}</th><td class='num'>{_num(v)}</td></tr>"
            for k, v in info.metrics.items()
        ]
        top, rest = _diff(diff, against)
        forms = ""
        if info.status == "candidate":
            forms = "<h2>Decide</h2><div class='forms'>" + "".join(
                self._decide_form(name, version, act, (values or {}) if form == act else {},
                                  problems if form == act else ())
                for act in ("approve", "reject")
            ) + "</div>"  # fmt: skip
        body = (
            f"<h1>{e(name)} version {e(version)} ({e(info.status)})</h1>{back}"
            f"<p class='note'>{banner}</p>{_dl(facts)}<p><a href='"
            f"{e(self.url('models', name, version, 'card'))}'>Model card of version "
            f"{e(version)}</a></p>"
            + _table("Validation metrics", ["Metric", "Value"], metrics, "No metrics recorded.")
            + top
            + forms
            + rest
        )
        self.page(f"{name} version {version}", body, status)

    def _decide_form(
        self, name: str, version: str, action: str, values: Mapping[str, str],
        problems: Sequence[Problem],
    ) -> str:  # fmt: skip
        title = f"{action.capitalize()} this candidate"
        override = (
            _field("override", "Override", values.get("override", ""), problems, prefix=action,
                   hint="only if an approval gate blocks this version: why approve anyway")
            if action == "approve" else ""
        )  # fmt: skip
        return (
            f"<form method='post' action='{e(self.url('models', name, version, action))}' "
            f"novalidate>{self.xsrf_form_html()}<fieldset><legend>{title}</legend>"
            f"{_problems_box(problems, action, ['by', 'reason', 'override'])}"
            f"{_who_why(values, problems, action)}{override}"
            f"<button type='submit'>{title}</button></fieldset></form>"
        )

    @tornado.web.authenticated
    async def post(self, name: str, version: str, action: str | None = None) -> None:
        if action not in ("approve", "reject"):
            raise tornado.web.HTTPError(405)
        await self.call(_version_or_404, self.wb, name, version)
        sent = self.form(["by", "reason", "override"])
        by, reason, reg = sent.get("by", ""), sent.get("reason", ""), self.wb.registry
        if action == "approve":
            override = sent.get("override") or None
            decision, problems = await self.attempt(
                reg.approve, name, version, by=by, reason=reason, override=override
            )
        else:
            decision, problems = await self.attempt(reg.reject, name, version, by=by, reason=reason)
        if problems:
            await self.show(name, version, status=400, form=action, values=sent, problems=problems)
        elif action == "reject":
            self.redirect(self.version_url(version, name), status=303)
        else:  # shown once: which case studies became stale
            await self.show(name, version, decision=decision)


# -- REST ----------------------------------------------------------------------------------
class EvidenceApi(ApiBase):
    """GET the working evidence rows (``?type=&horizon=&kind=&group=``)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        filters = {k: self.get_query_argument(k, "") for k in ("type", "horizon", "kind", "group")}
        await self.call(lambda: _records(self.wb.evidence.list_rows(filters)))


class EvidenceRowApi(ApiBase):
    """GET one row and its recorded changes."""

    @tornado.web.authenticated
    async def get(self, row_id: str) -> None:
        def load() -> dict[str, Any]:
            row = _row_or_404(self.wb, row_id)
            history = [
                {**jsonable(c), "fields": c.fields} for c in self.wb.evidence.history(row_id)
            ]
            return {"row": row, "history": history}

        await self.call(load)


def _change_value(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise tornado.web.HTTPError(400, f"changes.{key} must be text, a number or null")


class CorrectionsApi(ApiBase):
    """POST {"changes": {column: value}, "by", "reason"}: correct a row; 201 with the
    candidate version it made."""

    @tornado.web.authenticated
    async def post(self, row_id: str) -> None:
        body = self.body()
        changes, by, reason = body.get("changes"), body.get("by", ""), body.get("reason", "")
        if not isinstance(changes, dict):
            raise tornado.web.HTTPError(400, "changes must be an object of column: value")
        if not isinstance(by, str) or not isinstance(reason, str):
            raise tornado.web.HTTPError(400, "by and reason must be text")
        cleaned = {str(k): _change_value(str(k), v) for k, v in changes.items()}

        def correct() -> dict[str, Any]:
            _row_or_404(self.wb, row_id)
            edit = self.wb.evidence.correct_row(row_id, cleaned, by, reason)
            url = url_path_join(self.base_url, "workbench", "models", edit.model, edit.version)
            return {**jsonable(edit), "status": "candidate", "url": url}

        await self.call(correct, status=201)


class ModelsApi(ApiBase):
    """GET every model of the registry."""

    @tornado.web.authenticated
    async def get(self) -> None:
        await self.call(self.wb.registry.list_models)


class ModelVersionApi(ApiBase):
    """GET one version: status, metrics, cells, card and diff (a candidate's: against the
    approved version)."""

    @tornado.web.authenticated
    async def get(self, name: str, version: str) -> None:
        def load() -> dict[str, Any]:
            info, diff, against = _version_view(self.wb, name, version)
            data = {k: v for k, v in jsonable(info).items() if k != "directory"}
            return {**data, "diff": [c.to_json() for c in diff], "diff_against": against}

        await self.call(load)


def evidence_routes(base: str) -> list[tuple[str, type[JupyterHandler]]]:
    """The routes of this module under ``base`` (``<base_url>/workbench``)."""
    row, name, ver = f"(?P<row_id>{ROW_ID})", f"(?P<name>{MODEL_NAME})", f"(?P<version>{VERSION})"
    return [
        (url_path_join(base, "evidence"), EvidenceListPage),
        (url_path_join(base, "evidence/new"), EvidenceNewPage),
        (url_path_join(base, f"evidence/{row}(?:/(?P<action>retract))?"), EvidenceRowPage),
        (url_path_join(base, "models"), ModelsPage),
        (
            url_path_join(base, f"models/{name}/{ver}(?:/(?P<action>approve|reject|card))?"),
            ModelVersionPage,
        ),
        (url_path_join(base, "api/evidence"), EvidenceApi),
        (url_path_join(base, f"api/evidence/{row}"), EvidenceRowApi),
        (url_path_join(base, f"api/evidence/{row}/corrections"), CorrectionsApi),
        (url_path_join(base, "api/models"), ModelsApi),
        (url_path_join(base, f"api/models/{name}/{ver}"), ModelVersionApi),
    ]
