"""Oversight and data-protection commands of ``workbench pathways`` (issue 15).

``review list|record``, ``overrides``, ``export PERSON``, ``erase PERSON``, ``purge`` and
``key init``. They are attached to the ``pathways`` group with :func:`register`; each is a
thin layer over :class:`~workbench.pathways.oversight.OversightService` and
:class:`~workbench.pathways.privacy.PathwayPrivacy`. PERSON is a pseudonym (``p_…``) or
a PES id (pseudonymised with the key; the id is never stored or printed).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workbench.cli.common import handle_errors, service
from workbench.cli.format import table

if TYPE_CHECKING:
    from workbench.pathways.oversight import OversightService
    from workbench.pathways.privacy import ErasureReport, PathwayPrivacy

__all__ = ["ADMIN_COMMANDS", "register"]

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
_DELETE_FILES = click.option(
    "--delete-files",
    is_flag=True,
    help="Also delete other files naming them (non-CSV artefacts, exports, minutes).",
)


def _oversight(ctx: click.Context) -> OversightService:
    from workbench.pathways.oversight import OversightService

    return OversightService(service(ctx).db)


def _privacy(ctx: click.Context) -> PathwayPrivacy:
    from workbench.pathways.privacy import PathwayPrivacy

    wb = service(ctx)
    return PathwayPrivacy(wb.db, wb.settings)


@click.group("review")
def review_group() -> None:
    """Counsellors' decisions on pathway steps (append-only log: who, what, when, why)."""


@review_group.command("list")
@click.option("--pathway", "pathway_id", type=int, help="Only this pathway's decisions.")
@click.option("--person", help="Only this person's decisions (pseudonym p_… or PES id).")
@_JSON
@click.pass_context
@handle_errors
def review_list(
    ctx: click.Context, pathway_id: int | None, person: str | None, as_json: bool
) -> None:
    """List recorded decisions, oldest first."""
    pid = _privacy(ctx).pseudonym(person) if person else None
    found = _oversight(ctx).reviews(pathway_id=pathway_id, person=pid)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("no decisions recorded")
        return
    rows = [
        (
            r.id,
            r.pathway_id,
            r.step_id,
            r.action,
            r.change_to or "",
            r.counsellor,
            f"{r.at:%Y-%m-%d %H:%M} UTC",
            r.reason,
        )
        for r in found
    ]
    click.echo(table(rows, ["id", "pathway", "step", "action", "to", "by", "at", "why"]))


@review_group.command("record")
@click.argument("pathway_id", type=int)
@click.argument("step_id")
@click.argument("action", type=click.Choice(["accept", "change", "reject"]))
@click.option("--by", required=True, metavar="NAME", help="The counsellor (logged).")
@click.option("--reason", default="", metavar="TEXT", help="Why (required to change/reject).")
@click.option("--to", "change_to", metavar="TEXT", help="What replaces the step (change).")
@click.pass_context
@handle_errors
def review_record(
    ctx: click.Context,
    pathway_id: int,
    step_id: str,
    action: str,
    by: str,
    reason: str,
    change_to: str | None,
) -> None:
    """Record a counsellor's decision on step STEP_ID of pathway PATHWAY_ID."""
    info = _oversight(ctx).record_review(pathway_id, step_id, action, reason, by, change_to)
    click.echo(f"recorded decision {info.id}: {info.action} {info.step_id} by {info.counsellor}")


@click.command("overrides")
@click.option("--min-n", type=int, default=10, show_default=True, help="Smallest group shown.")
@_JSON
@click.pass_context
@handle_errors
def overrides_cmd(ctx: click.Context, min_n: int, as_json: bool) -> None:
    """How often counsellors reject or change each kind of step, by protected group."""
    signals = _oversight(ctx).override_signals(min_n=min_n)
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in signals], indent=2, ensure_ascii=False))
        return
    if not signals:
        click.echo(f"no step kind has {min_n} or more decisions yet")
        return
    for signal in signals:
        click.echo(f"- {signal.text}")


@click.command("export")
@click.argument("person")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file to write (default: stdout); never overwritten.",
)
@click.pass_context
@handle_errors
def export_cmd(ctx: click.Context, person: str, output: Path | None) -> None:
    """Everything held about PERSON, as JSON (GDPR access request)."""
    data = _privacy(ctx).export_person(person)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    try:  # personal data: readable by its owner only
        with os.fdopen(
            os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8"
        ) as fh:
            fh.write(text)
    except FileExistsError:
        raise click.UsageError(f"{output} already exists; refusing to overwrite it") from None
    click.echo(str(output))


def _counts(report: ErasureReport) -> str:
    return ", ".join(f"{name} {n}" for name, n in report.rows.items())


def _files(files: Sequence[str], deleted: bool) -> None:
    if not files:
        return
    if deleted:
        click.echo(f"deleted {len(files)} other file(s) naming them:")
    else:
        click.secho(
            f"{len(files)} other file(s) still name them; delete them (or run again with "
            "--delete-files):",
            fg="yellow",
            err=True,
        )
    for path in files:
        click.echo(f"  {path}", err=not deleted)


@click.command("erase")
@click.argument("person")
@click.option(
    "--reason",
    type=click.Choice(["request", "objection"]),
    required=True,
    help="request: GDPR Art. 17 erasure request; objection: Art. 21 objection.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_DELETE_FILES
@click.pass_context
@handle_errors
def erase_cmd(ctx: click.Context, person: str, reason: str, yes: bool, delete_files: bool) -> None:
    """Erase PERSON's pathways, reviews and artefact rows; cannot be undone."""
    privacy = _privacy(ctx)
    if not yes:
        preview = privacy.erase_person(person, reason, dry_run=True)
        click.echo(f"would erase: {_counts(preview)}")
        if not click.confirm("Erase this person's data? This cannot be undone"):
            click.echo("nothing erased", err=True)
            ctx.exit(1)
    report = privacy.erase_person(person, reason, delete_files=delete_files)
    click.echo(f"erased (erasure log entry {report.erasure_id}): {_counts(report)}")
    _files(report.files, report.files_deleted)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only show what would be erased.")
@_DELETE_FILES
@click.pass_context
@handle_errors
def purge_cmd(ctx: click.Context, dry_run: bool, delete_files: bool) -> None:
    """Erase pathways, reviews and artefact files past the retention period."""
    privacy = _privacy(ctx)
    report = privacy.purge_expired(dry_run=dry_run, delete_files=delete_files)
    days = privacy.settings.pathway_retention_days
    if report is None:
        click.echo(f"nothing is older than the retention period ({days} days); nothing erased")
        return
    verb = "would erase" if dry_run else f"erased (erasure log entry {report.erasure_id})"
    click.echo(f"{verb}: {_counts(report)}")
    _files(report.files, report.files_deleted)


@click.group("key")
def key_group() -> None:
    """The pseudonym key (kept outside the workspace)."""


@key_group.command("init")
@click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Key file (default: $WORKBENCH_PSEUDONYM_KEY_FILE or ~/.config/almp-workbench/).",
)
@click.pass_context
@handle_errors
def key_init(ctx: click.Context, path: Path | None) -> None:
    """Create a new random pseudonym key (file mode 0600); never replaces one."""
    from workbench.profiling.pseudonym import create_key

    written = create_key(path, home=service(ctx).settings.home)
    click.echo(f"created {written} (mode 0600); back it up securely, outside the workspace")


#: every command this module adds to the ``pathways`` group
ADMIN_COMMANDS: tuple[click.Command, ...] = (
    review_group,
    overrides_cmd,
    export_cmd,
    erase_cmd,
    purge_cmd,
    key_group,
)


def register(group: click.Group) -> click.Group:
    """Add :data:`ADMIN_COMMANDS` to ``group`` (the ``pathways`` group); returns it."""
    for command in ADMIN_COMMANDS:
        group.add_command(command)
    return group
