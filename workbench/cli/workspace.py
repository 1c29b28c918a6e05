"""The ``workbench init`` command: a new workspace from the packaged templates and examples."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.common import handle_errors
from workbench.config import Settings
from workbench.db import display_url, upgrade
from workbench.workspace import init_workspace


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--case",
    "cases",
    multiple=True,
    help="Example case study to copy (repeatable). Default: all examples.",
)
@handle_errors
def init_cmd(directory: Path, cases: tuple[str, ...]) -> None:
    """Create a new workspace in DIRECTORY from the packaged templates and examples."""
    for path in init_workspace(directory, cases=cases or None):
        click.echo(f"created {path}")
    settings = Settings(home=directory)
    upgrade(settings.database_url)
    click.echo(f"database ready at {display_url(settings.database_url)}")
