"""The ``workbench model`` and ``workbench evidence`` commands: the model registry and the
expert-led evidence base (issue 11)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workbench.cli.common import handle_errors
from workbench.cli.format import table as _table

if TYPE_CHECKING:
    from workbench.registry import Cell, CellChange, Decision, VersionInfo
    from workbench.service import Workbench

_BY = click.option("--by", "by", required=True, metavar="NAME", help="Who decides (logged).")
_REASON = click.option("--reason", required=True, metavar="TEXT", help="Why (logged).")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _short(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    if cell.value is None:
        return f"insufficient evidence (n={cell.n})"
    interval = f" [{_number(cell.low)}, {_number(cell.high)}]" if cell.low is not None else ""
    return f"{_number(cell.value)}{interval} n={cell.n}"


def _difftable(changes: Sequence[CellChange]) -> str:
    rows = [
        (
            c.change.replace("_", " "),
            _short(c.label, 70),
            _cell(c.before),
            _cell(c.after),
            "" if c.delta is None else f"{c.delta:+.4g}",
        )
        for c in changes
    ]
    return _table(rows, ["change", "cell", "approved", "this version", "moved by"])


#: Changed cells ``model show`` lists unless ``--all`` is given (largest moves first).
SHOWN_CELLS = 30


def _print_version(wb: Workbench, info: VersionInfo, all_cells: bool = False) -> None:
    click.echo(f"{info.name} version {info.version} ({info.status})")
    if info.kind or info.description:
        click.echo(f"  {info.kind}: {_short(info.description, 200)}".rstrip(": "))
    click.echo(f"  created {_when(info.created_at)} by {info.created_by}: {info.reason}")
    if info.decided_by:
        click.echo(
            f"  decided {_when(info.decided_at)} by {info.decided_by}: {info.decision_reason}"
        )
    click.echo(f"  parent: {info.parent or '-'}")
    if info.training_hash:
        click.echo(f"  training data sha256: {info.training_hash}")
    click.echo(f"  files: {', '.join(info.files) or '-'}")
    if info.metrics:
        click.echo("\nvalidation metrics")
        rows = [(k, "n/a" if v is None else f"{v:.6g}") for k, v in sorted(info.metrics.items())]
        click.echo(_table(rows, ["metric", "value"]))
    if info.status == "candidate":
        approved = wb.registry.approved(info.name)
        changes = wb.registry.diff(info.name, info.version)
        against = f"the approved version {approved.version}" if approved else "no approved version"
    elif info.parent is None:
        changes, against = info.diff, "no earlier version"
    else:
        changes, against = info.diff, f"version {info.parent} (approved when it was made)"
    click.echo(f"\nheadline cells against {against}: {len(changes)} changed")
    if changes:
        shown = changes if all_cells else changes[:SHOWN_CELLS]
        click.echo(_difftable(shown))
        if len(shown) < len(changes):
            click.echo(f"… and {len(changes) - len(shown)} more (--all lists every cell)")
    if info.card_text:
        click.echo(f"\n--- model card ({info.card}) ---\n{info.card_text.rstrip()}")


def _print_decision(decision: Decision) -> None:
    verb = {"approve": "approved", "reject": "rejected", "rollback": "rolled back to"}
    was = f" (was {decision.previous})" if decision.previous else ""
    click.echo(f"{verb[decision.action]} {decision.name} version {decision.version}{was}")
    if decision.action == "reject":
        return
    click.echo(f"shared_models/{decision.name}/model.yaml now points to {decision.version}")
    if decision.stale:
        click.echo(
            f"{len(decision.stale)} case-study run(s) reading {decision.name} are now stale:"
        )
        click.echo(
            _table([(s.case_slug, s.template) for s in decision.stale], ["case study", "template"])
        )
        click.echo("`workbench run --all` re-runs exactly these (the others are cached).")
    else:
        click.echo(f"no case-study run is stale: every run reading {decision.name} is current.")


@click.group("model")
def model_group() -> None:
    """Shared models: versions, approval by a named expert, rollback, audit log.

    A candidate never feeds a run; approving one makes the runs that read the model
    stale, and `workbench run --all` re-runs exactly those.
    """


@model_group.command("list")
@click.pass_obj
@handle_errors
def model_list(wb: Workbench) -> None:
    """Every shared model with its approved version and candidates."""
    models = wb.registry.list_models()
    rows = [
        (m.name, m.approved or "-", ", ".join(m.candidates) or "-", m.versions, m.kind)
        for m in models
    ]
    click.echo(_table(rows, ["model", "approved", "candidates", "versions", "kind"]))
    for m in models:
        if m.problem:
            click.secho(f"warning: {m.name}: {m.problem}", fg="yellow", err=True)


@model_group.command("show")
@click.argument("name")
@click.argument("version", required=False)
@click.option("--all", "all_cells", is_flag=True, help="List every changed cell.")
@click.pass_obj
@handle_errors
def model_show(wb: Workbench, name: str, version: str | None, all_cells: bool) -> None:
    """One version (default: the approved one): metrics, changed cells and card."""
    _print_version(wb, wb.registry.show(name, version), all_cells)


@model_group.command("approve")
@click.argument("name")
@click.argument("version")
@_BY
@_REASON
@click.option(
    "--override",
    metavar="TEXT",
    help="Approve although the model's approval gate objects; says why (logged).",
)
@click.pass_obj
@handle_errors
def model_approve(
    wb: Workbench, name: str, version: str, by: str, reason: str, override: str | None
) -> None:
    """Approve candidate VERSION: model.yaml points to it from now on."""
    _print_decision(wb.registry.approve(name, version, by=by, reason=reason, override=override))


@model_group.command("reject")
@click.argument("name")
@click.argument("version")
@_BY
@_REASON
@click.pass_obj
@handle_errors
def model_reject(wb: Workbench, name: str, version: str, by: str, reason: str) -> None:
    """Reject candidate VERSION (it is kept, with its card, and logged)."""
    _print_decision(wb.registry.reject(name, version, by=by, reason=reason))


@model_group.command("rollback")
@click.argument("name")
@click.argument("version", required=False)
@_BY
@_REASON
@click.pass_obj
@handle_errors
def model_rollback(wb: Workbench, name: str, version: str | None, by: str, reason: str) -> None:
    """Go back to an earlier approved version (default: the one before the current)."""
    _print_decision(wb.registry.rollback(name, version, by=by, reason=reason))


@model_group.command("history")
@click.argument("name")
@click.pass_obj
@handle_errors
def model_history(wb: Workbench, name: str) -> None:
    """The audit log of NAME: who did what to which version, when and why."""
    versions = {v.version: v.status for v in wb.registry.versions(name)}
    rows = [
        (
            _when(e.at),
            e.action,
            e.version,
            e.from_version or "",
            e.by,
            _short(e.reason + (f" [override: {e.override}]" if e.override else ""), 80),
        )
        for e in wb.registry.events(name)
    ]
    click.echo(_table(rows, ["when", "action", "version", "from", "by", "reason"]))
    click.echo(
        "versions: " + ", ".join(f"{v} ({s})" for v, s in versions.items())
        if versions
        else f"no model {name!r} in the registry"
    )


@click.group("evidence")
def evidence_group() -> None:
    """The ALMP evidence base: list, show, import (every change makes a candidate model)."""


@evidence_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_BY
@_REASON
@click.pass_obj
@handle_errors
def evidence_import(wb: Workbench, file: Path, by: str, reason: str) -> None:
    """Import FILE (.csv or .xlsx): validated whole first; nothing is written on any problem.

    Rows are matched by id against the working evidence: new ids are added, changed
    rows corrected, missing rows retracted. The result is a candidate version of
    almp_effectiveness, which feeds no run until it is approved.
    """
    edit = wb.evidence.import_file(file, by=by, reason=reason)
    click.echo(
        f"candidate {edit.model} version {edit.version}: {len(edit.added)} added, "
        f"{len(edit.corrected)} corrected, {len(edit.retracted)} retracted"
    )
    for label, ids in (
        ("added", edit.added),
        ("corrected", edit.corrected),
        ("retracted", edit.retracted),
    ):
        if ids:
            click.echo(f"  {label}: {_short(', '.join(ids), 200)}")
    click.echo(
        f"It feeds no run until approved: review it with `workbench model show {edit.model} "
        f"{edit.version}`, then `workbench model approve {edit.model} {edit.version} "
        "--by NAME --reason TEXT` (or reject it)."
    )


@evidence_group.command("submit")
@click.argument("run_id", type=int)
@click.option(
    "--method",
    type=click.Choice(["ipw", "matching", "dr"]),
    help="Which estimate to record (default: the run's headline method).",
)
@click.option("--programme", required=True, help="The programme's name.")
@click.option("--type", "programme_type", required=True, help="Programme type, e.g. training.")
@click.option("--group", "target_group", required=True, help="Target group, e.g. youth.")
@click.option("--country", required=True, help="ISO country code, e.g. ES.")
@click.option("--period", required=True, metavar="YYYY[-YYYY]", help="Years of the pilot.")
@click.option("--horizon", required=True, type=click.Choice(["short", "medium", "long"]))
@click.option("--unit", required=True, help="Unit of the outcome, e.g. currency_year or pp.")
@click.option("--currency", default="", help="Currency of a money outcome, e.g. EUR.")
@click.option("--outcome", default="", help="Outcome label (default: the outcome column).")
@click.option("--id", "row_id", default=None, help="Row id (default: from the run hash).")
@_BY
@_REASON
@click.pass_obj
@handle_errors
def evidence_submit(
    wb: Workbench,
    run_id: int,
    method: str | None,
    period: str,
    by: str,
    reason: str,
    **fields: Any,
) -> None:
    """Submit the pilot evaluation of run RUN_ID to the evidence base as a candidate row.

    The run's content hash is the row's provenance; the row then goes through the same
    approval as any other change.
    """  # fmt: skip
    from workbench.evidence.submission import EvaluationMeta, submit_evaluation

    start, _, end = period.partition("-")
    if not start.isdigit() or (end and not end.isdigit()):
        raise click.BadParameter("use YYYY or YYYY-YYYY", param_hint="--period")
    meta = EvaluationMeta(period_start=int(start), period_end=int(end or start), **fields)
    edit = submit_evaluation(wb, run_id, meta, method=method, by=by, reason=reason)
    click.echo(
        f"candidate {edit.model} version {edit.version}: added {', '.join(edit.added)} "
        f"from run {run_id}. It feeds no run until approved: `workbench model show "
        f"{edit.model} {edit.version}`."
    )


@evidence_group.command("list")
@click.option("--type", "programme_type", help="Programme type, e.g. training.")
@click.option("--horizon", help="short, medium, long, unknown or all.")
@click.option("--group", "target_group", help="Target group, e.g. youth.")
@click.option("--kind", help="estimate or finding.")
@click.pass_obj
@handle_errors
def evidence_list(
    wb: Workbench,
    programme_type: str | None,
    horizon: str | None,
    target_group: str | None,
    kind: str | None,
) -> None:
    """Rows of the working evidence (the newest approved or candidate version)."""
    frame = wb.evidence.list_rows(
        {"type": programme_type, "horizon": horizon, "group": target_group, "kind": kind}
    )
    rows = [
        (
            r.id,
            r.kind,
            r.programme_type,
            r.target_group,
            r.country,
            r.horizon,
            "" if r.estimate != r.estimate else f"{r.estimate:g}",  # NaN: none
            r.unit,
            r.significance,
            _short(r.study, 40),
        )
        for r in frame.itertuples(index=False)
    ]
    headers = ["id", "kind", "type", "group", "country", "horizon", "estimate", "unit",
               "significance", "study"]  # fmt: skip
    click.echo(_table(rows, headers))
    _, version = wb.evidence.working_source()
    where = f"version {version}" if version else "the shipped base"
    click.echo(f"{len(rows)} row(s) of the working evidence ({where})")


@evidence_group.command("show")
@click.argument("row_id", metavar="ID")
@click.pass_obj
@handle_errors
def evidence_show(wb: Workbench, row_id: str) -> None:
    """One evidence row, every filled field."""
    record = wb.evidence.show_row(row_id)
    width = max(len(k) for k in record)
    for key, value in record.items():
        if value:
            click.echo(f"{key.ljust(width)}  {value}")


@evidence_group.command("history")
@click.argument("row_id", metavar="ID")
@click.pass_obj
@handle_errors
def evidence_history(wb: Workbench, row_id: str) -> None:
    """Every recorded change of one row: who, when, what and why."""
    changes = wb.evidence.history(row_id)
    if not changes:
        click.echo(f"{row_id}: no recorded change (as shipped with the evidence base)")
        return
    rows = [
        (
            _when(c.at),
            f"{c.version} ({c.version_status})",
            c.action,
            c.by,
            _short(", ".join(c.fields), 50) if c.action == "correct" else "",
            _short(c.reason, 60),
        )
        for c in changes
    ]
    click.echo(_table(rows, ["when", "version", "action", "by", "fields", "reason"]))
