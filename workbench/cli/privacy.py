"""Participants' data on the command line: ``workbench participant export|erase|
purge-expired`` and the ``workbench workshop export|retention`` commands (GDPR access,
erasure and retention; exports name participants only by pseudonymous id)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import click

from workbench.cli.common import handle_errors, service


@click.command("export")
@click.argument("workshop_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "json"]),
    default="xlsx",
    show_default=True,
    help="csv: a folder of CSV files with datapackage.json; xlsx: one workbook; json: one file.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Where to write (default: exports/workshop-ID-<time>[.xlsx|.json]); never overwritten.",
)
@click.pass_context
@handle_errors
def workshop_export(ctx: click.Context, workshop_id: int, fmt: str, output: Path | None) -> None:
    """Export a workshop's answers as tidy tables; participants only by pseudonymous id."""
    click.echo(str(service(ctx).export_workshop(workshop_id, fmt, output)))


@click.command("retention")
@click.argument("workshop_id", type=int)
@click.option("--days", type=int, required=True, help="1-3650 days after the workshop closes.")
@click.pass_context
@handle_errors
def workshop_retention(ctx: click.Context, workshop_id: int, days: int) -> None:
    """Set how long participants' data is kept after the workshop closes."""
    info = service(ctx).privacy.set_retention(workshop_id, days)
    when = ""
    if info.closed_at is not None:
        due = info.closed_at + timedelta(days=info.retention_days)
        when = f" (due {due:%Y-%m-%d %H:%M} UTC; see `workbench participant purge-expired`)"
    click.echo(
        f"workshop {info.id}: participants' data is erased {info.retention_days} day(s) "
        f"after it closes{when}"
    )


@click.group("participant")
def participant_group() -> None:
    """A participant's personal data: export it, erase it; purge expired workshops."""


def _erased_rows(rows: dict[str, int]) -> str:
    deleted = ", ".join(
        f"{table} {n}" for table, n in rows.items() if table != "statement_redacted"
    )
    return f"rows deleted: {deleted}; statements redacted: {rows.get('statement_redacted', 0)}"


@participant_group.command("export")
@click.argument("public_id")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file to write (default: print to stdout); never overwritten.",
)
@click.pass_context
@handle_errors
def participant_export(ctx: click.Context, public_id: str, output: Path | None) -> None:
    """Everything held about participant PUBLIC_ID (p-…) as JSON (GDPR access request)."""
    privacy = service(ctx).privacy
    if output is None:
        data = privacy.export_participant(public_id)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(str(privacy.write_participant_export(public_id, output)))


def _earlier_files(files: Sequence[str], deleted: bool, who: str) -> None:
    if not files:
        return
    if deleted:
        click.echo(f"deleted {len(files)} earlier export/minutes file(s) naming {who}:")
    else:
        click.secho(
            f"{len(files)} export/minutes file(s) written earlier still name {who}; delete "
            "them (or run again with --delete-files) and export again if needed:",
            fg="yellow",
            err=True,
        )
    for path in files:
        click.echo(f"  {path}", err=not deleted)


_DELETE_FILES = click.option(
    "--delete-files",
    is_flag=True,
    help="Also delete exports and minutes under exports/ and reports/ that still name them.",
)


@participant_group.command("erase")
@click.argument("public_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_DELETE_FILES
@click.pass_context
@handle_errors
def participant_erase(ctx: click.Context, public_id: str, yes: bool, delete_files: bool) -> None:
    """Erase participant PUBLIC_ID (p-…) and their answers (GDPR erasure); cannot be undone."""
    privacy = service(ctx).privacy
    if not yes:
        preview = privacy.erase(public_id, dry_run=True)
        click.echo(
            f"participant {public_id} of workshop {preview.workshop_id}: "
            f"{_erased_rows(preview.rows)}"
        )
        if preview.files and delete_files:
            click.echo(f"and {len(preview.files)} earlier export/minutes file(s) naming them")
        if not click.confirm("Erase this participant's data? This cannot be undone"):
            click.echo("nothing erased", err=True)
            ctx.exit(1)
    report = privacy.erase(public_id, delete_files=delete_files)
    click.echo(
        f"erased participant {public_id} of workshop {report.workshop_id} "
        f"(erasure log entry {report.erasure_id}): {_erased_rows(report.rows)}"
    )
    _earlier_files(report.files, report.files_deleted, public_id)


@participant_group.command("purge-expired")
@click.option("--dry-run", is_flag=True, help="Only show what would be erased.")
@_DELETE_FILES
@click.pass_context
@handle_errors
def participant_purge_expired(ctx: click.Context, dry_run: bool, delete_files: bool) -> None:
    """Erase all participants of closed workshops whose retention period has ended."""
    reports = service(ctx).privacy.purge_expired(dry_run=dry_run, delete_files=delete_files)
    if not reports:
        click.echo("no closed workshop is past its retention period with data left; nothing erased")
        return
    totals: dict[int, dict[str, int]] = {}
    for report in reports:
        total = totals.setdefault(report.workshop_id, {})
        for table, n in report.rows.items():
            total[table] = total.get(table, 0) + n
    verb = "would erase" if dry_run else "erased"
    for workshop_id, rows in totals.items():
        click.echo(
            f"workshop {workshop_id}: {verb} {rows.get('participant', 0)} participant(s); "
            f"{_erased_rows(rows)}"
        )
    files = sorted({path for report in reports for path in report.files})
    _earlier_files(files, any(r.files_deleted for r in reports), "erased participants")
