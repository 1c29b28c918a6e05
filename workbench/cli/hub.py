"""The ``workbench hub`` command: the workspace behind JupyterHub (workbench.hub)."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.common import handle_errors, service


@click.command("hub")
@click.option(
    "--team",
    "team_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="YAML file: regions (NUTS code: [users]), facilitators, admins.",
)
@click.option(
    "--hub-db-url",
    envvar="WORKBENCH_HUB_DB_URL",
    required=True,
    help="PostgreSQL URL of the Hub's own database (not the workbench's).",
)
@click.option("--ip", default="127.0.0.1", show_default=True, help="Public proxy interface.")
@click.option("--port", default=8000, show_default=True, help="Public proxy port.")
@click.option("--public-url", default=None, help="Public base URL of the Hub (join links).")
@click.option(
    "--authenticator",
    default="pam",
    show_default=True,
    help="JupyterHub authenticator (entry point name or class).",
)
@click.option(
    "--cull-timeout",
    default=3600,
    show_default=True,
    help="Idle seconds before an analyst server is stopped.",
)
@click.option(
    "--write-config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Only write jupyterhub_config.py to this path, and exit.",
)
@click.pass_context
@handle_errors
def hub_cmd(
    ctx: click.Context,
    team_file: Path,
    hub_db_url: str,
    ip: str,
    port: int,
    public_url: str | None,
    authenticator: str,
    cull_timeout: int,
    write_config: Path | None,
) -> None:
    """Run the workspace behind JupyterHub: analysts' JupyterLabs, region rights, the app
    service at /services/workbench-apps/ and the idle culler (docs/deploy.md)."""
    from workbench.hub.config import HubOptions, load_team, run_hub
    from workbench.hub.config import write_config as write

    settings = service(ctx).settings
    options = HubOptions(
        hub_db_url=hub_db_url,
        ip=ip,
        port=port,
        public_url=public_url,
        authenticator=authenticator,
        cull_timeout=cull_timeout,
    )
    if write_config is not None:
        click.echo(write(settings, load_team(team_file), options, write_config))
        return
    code = run_hub(settings, team_file, options, announce=click.echo)
    ctx.exit(code)
