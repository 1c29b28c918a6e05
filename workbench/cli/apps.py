"""The ``workbench publish`` and ``workbench apps`` commands: the stakeholder apps."""

from __future__ import annotations

import json

import click

from workbench.cli.common import handle_errors, service
from workbench.cli.format import table


@click.command("publish")
@click.argument("slug")
@click.pass_context
@handle_errors
def publish_cmd(ctx: click.Context, slug: str) -> None:
    """Build and register the stakeholder app of SLUG from its latest successful runs."""
    app = service(ctx).publish(slug)
    click.echo(f"published {app.case_slug} as published/{app.app_path} (bundle {app.bundle_hash})")
    for template, content_hash in app.run_hashes.items():
        click.echo(f"  {template}: run {content_hash[:16]}")


@click.command("apps")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def apps_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the published stakeholder apps (the gallery)."""
    apps = service(ctx).apps()
    if as_json:
        click.echo(json.dumps([a.__dict__ for a in apps], default=str, indent=2))
        return
    rows = [
        (a.case_slug, a.app_path, a.bundle_hash, f"{a.published_at:%Y-%m-%d %H:%M}", a.title)
        for a in apps
    ]
    click.echo(table(rows, ("case", "app", "bundle", "published (UTC)", "title")))
