"""The ``workbench`` command: parses arguments, calls the service layer, prints results.

Errors become one clear message on stderr and an exit code: 2 for bad input (nothing
was started), 1 for runs that failed.

One module per command group (``runs``, ``cases``, ``workshops``, …). The root group
imports a group's module only when the command line names it (:class:`LazyGroup`), and
the service layer only when a command runs, so that ``workbench runs list`` starts
without the publishing, notebook and data-frame libraries the other commands need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from workbench.cli.common import handle_errors
from workbench.cli.lazy import LazyGroup

__all__ = ["COMMANDS", "cli", "handle_errors", "main"]

#: Every top-level command: name -> ``"module:attribute"``, imported on first use.
COMMANDS = {
    "apps": "workbench.cli.apps:apps_cmd",
    "case": "workbench.cli.cases:case_group",
    "data": "workbench.cli.data:data_group",
    "db": "workbench.cli.db:db_group",
    "evidence": "workbench.cli.models:evidence_group",
    "hub": "workbench.cli.hub:hub_cmd",
    "init": "workbench.cli.workspace:init_cmd",
    "model": "workbench.cli.models:model_group",
    "participant": "workbench.cli.privacy:participant_group",
    "pathways": "workbench.cli.pathways:pathways_group",
    "profiling": "workbench.cli.profiling:profiling_group",
    "publish": "workbench.cli.apps:publish_cmd",
    "recommendation": "workbench.cli.recommendations:recommendation_group",
    "run": "workbench.cli.runs:run_cmd",
    "runs": "workbench.cli.runs:runs_group",
    "serve": "workbench.cli.serve:serve_cmd",
    "templates": "workbench.cli.templates:templates_group",
    "tune": "workbench.cli.tuning:tune_cmd",
    "workshop": "workbench.cli.workshops:workshop_group",
}


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="WORKBENCH_HOME",
    help="Workspace root. Default: the nearest folder with case_studies/ and templates/.",
)
@click.option("--db-url", envvar="WORKBENCH_DB_URL", help="Database URL (default: SQLite).")
@click.version_option(package_name="almp-workbench")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, db_url: str | None) -> None:
    """ALMP co-design workbench: case studies, templated notebook runs and their records."""
    from pydantic import ValidationError

    from workbench.config import Settings
    from workbench.service import Workbench

    overrides: dict[str, Any] = {}
    if home is not None:
        overrides["home"] = home
    if db_url:
        overrides["db_url"] = db_url
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise click.UsageError(f"invalid settings: {exc}") from None
    ctx.obj = Workbench(settings)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="workbench")
