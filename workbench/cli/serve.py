"""The ``workbench serve`` command: JupyterLab for analysts and the stakeholder app server."""

from __future__ import annotations

import click

from workbench.cli.common import handle_errors, service


@click.command("serve")
@click.option("--no-lab", is_flag=True, help="Only the stakeholder app server.")
@click.pass_context
@handle_errors
def serve_cmd(ctx: click.Context, no_lab: bool) -> None:
    """Start JupyterLab (analysts) and the stakeholder app server; Ctrl-C stops both."""
    from workbench.facilitation.notebook import dashboard_url
    from workbench.serve import run_servers

    wb = service(ctx)

    def announce(urls: dict[str, str | None]) -> None:
        click.secho("workbench is serving:", fg="green")
        if urls["lab"]:
            click.echo(f"  analyst JupyterLab:   {urls['lab']}")
            click.echo(f"  facilitator overview: {urls['facilitator']}")
            click.echo(f"  facilitator dashboard: {urls['dashboard']}")
            click.echo(f"  facilitator REST API: {urls['api']} (header: Authorization: token …)")
            click.echo(f"  counsellor view:      {urls['counsellor']}")
        click.echo(f"  stakeholder gallery:  {urls['gallery']}")
        for info in wb.workshops.list("open"):
            link = wb.workshops.shared_link(info.id)
            click.echo(f"  open workshop {info.id} ({info.title}); shared join link:\n    {link}")
            if urls["lab_base"]:
                dash = dashboard_url(urls["lab_base"], info.id, urls["token"])
                click.echo(f"    dashboard: {dash}")
        click.echo("Press Ctrl-C to stop both servers.")

    try:
        run_servers(
            wb.settings,
            lab=not no_lab,
            announce=announce,
            notify=lambda message: click.secho(message, fg="yellow", err=True),
        )
    finally:
        click.echo("stopped.")
