"""The ``workbench templates`` commands: the template notebooks and their parameters."""

from __future__ import annotations

import click

from workbench.cli.common import handle_errors, service
from workbench.cli.format import table


@click.group("templates")
def templates_group() -> None:
    """List templates and show their parameter schemas."""


@templates_group.command("list")
@click.pass_context
@handle_errors
def templates_list(ctx: click.Context) -> None:
    """List the template notebooks."""
    wb = service(ctx)
    rows = []
    for name in wb.templates.names():
        template = wb.template(name)
        rows.append((name, template.version, ", ".join(template.parameters), template.title))
    click.echo(table(rows, ("template", "version", "parameters", "title")))


@templates_group.command("show")
@click.argument("name")
@click.pass_context
@handle_errors
def templates_show(ctx: click.Context, name: str) -> None:
    """Show the parameters a template takes."""
    click.echo(service(ctx).template(name).help_text())
