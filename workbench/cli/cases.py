"""The ``workbench case`` commands: list, create and validate case studies."""

from __future__ import annotations

import json

import click

from workbench.cli.common import handle_errors, service
from workbench.cli.format import table


@click.group("case")
def case_group() -> None:
    """List, create and validate case studies."""


@case_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def case_list(ctx: click.Context, as_json: bool) -> None:
    """List the case studies of the workspace."""
    cases = service(ctx).list_cases()
    if as_json:
        click.echo(json.dumps([c.__dict__ for c in cases], indent=2))
        return
    if not cases:
        click.echo("no case studies yet: create one with `workbench case new`")
        return
    rows = [
        (
            c.slug,
            c.region,
            c.sector,
            ",".join(c.target_groups),
            ",".join(c.templates),
            c.problem or c.title,
        )
        for c in cases
    ]
    click.echo(table(rows, ("slug", "region", "sector", "target groups", "templates", "title")))


@case_group.command("new")
@click.argument("slug")
@click.option("--region", required=True, help="NUTS region code, e.g. ES51.")
@click.option("--sector", required=True, help="NACE Rev. 2 section letter, e.g. C.")
@click.option(
    "--target-group",
    "target_groups",
    multiple=True,
    default=("youth",),
    show_default=True,
    help="Target group (repeatable).",
)
@click.option(
    "--template",
    "templates",
    multiple=True,
    help="Template to run (repeatable). Default: all templates.",
)
@click.option("--title", help="Title of the case study.")
@click.pass_context
@handle_errors
def case_new(
    ctx: click.Context,
    slug: str,
    region: str,
    sector: str,
    target_groups: tuple[str, ...],
    templates: tuple[str, ...],
    title: str | None,
) -> None:
    """Write a valid skeleton case study SLUG."""
    path = service(ctx).new_case(
        slug,
        region=region,
        sector=sector.upper(),
        target_groups=target_groups,
        templates=templates or None,
        title=title,
    )
    click.echo(f"created {path}")


@case_group.command("validate")
@click.argument("slugs", nargs=-1)
@click.pass_context
@handle_errors
def case_validate(ctx: click.Context, slugs: tuple[str, ...]) -> None:
    """Validate case studies (all by default): YAML, region, templates, parameters, data."""
    specs = service(ctx).validate_cases(slugs)
    cases = sorted({s.case_slug for s in specs})
    click.echo(
        f"ok: {len(cases)} case stud{'y' if len(cases) == 1 else 'ies'}, "
        f"{len(specs)} run(s) planned"
    )
    for spec in specs:
        click.echo(f"  {spec.case_slug} / {spec.template}  hash {spec.content_hash[:12]}")
