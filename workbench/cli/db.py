"""The ``workbench db`` commands: the database schema's migrations."""

from __future__ import annotations

import click

from workbench.cli.common import handle_errors, service
from workbench.db import current_revision, head_revision, upgrade


@click.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.pass_context
@handle_errors
def db_upgrade(ctx: click.Context) -> None:
    """Apply all migrations to the workspace database."""
    url = service(ctx).settings.database_url
    upgrade(url)
    click.echo(f"database at revision {current_revision(url)} (head {head_revision()})")


@db_group.command("current")
@click.pass_context
@handle_errors
def db_current(ctx: click.Context) -> None:
    """Show the database's schema revision."""
    url = service(ctx).settings.database_url
    click.echo(f"current {current_revision(url)}; head {head_revision()}")
