"""The ``workbench run`` command and the ``workbench runs`` records.

Nothing here imports the service layer at import time: the root group builds the
service when a command runs, so ``runs list`` loads the database layer but neither
papermill nor nbformat (``tests/cli/test_lazy.py`` checks it).
"""

from __future__ import annotations

import json

import click

from workbench.cli.common import handle_errors, service
from workbench.cli.format import table
from workbench.exceptions import RunsFailed


@click.command("run")
@click.argument("slugs", nargs=-1)
@click.option("--all", "all_cases", is_flag=True, help="Run every case study.")
@click.option("--workers", type=click.IntRange(1, 64), help="Parallel worker processes.")
@click.option("--force", is_flag=True, help="Re-execute even when a cached result exists.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    help="Where notebooks run: local (process pool) or dask. Default: WORKBENCH_EXECUTOR, "
    "else local.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler for --executor dask, e.g. tcp://dask-scheduler:8786 "
    "(default: WORKBENCH_SCHEDULER).",
)
@click.pass_context
@handle_errors
def run_cmd(
    ctx: click.Context,
    slugs: tuple[str, ...],
    all_cases: bool,
    workers: int | None,
    force: bool,
    no_progress: bool,
    executor: str | None,
    scheduler: str | None,
) -> None:
    """Execute every (case study, template) pair of SLUGS (or --all) with papermill."""
    if slugs and all_cases:
        raise click.UsageError("give case study slugs or --all, not both")
    report = service(ctx).run(
        slugs, all_cases=all_cases, workers=workers, force=force, progress=not no_progress,
        executor=executor, scheduler=scheduler,
    )  # fmt: skip
    rows = [
        (
            o.run_id,
            o.case_slug,
            o.template,
            o.status,
            "" if o.duration_s is None else f"{o.duration_s:.1f}s",
            o.output_dir,
        )
        for o in report.outcomes
    ]
    click.echo(table(rows, ("run", "case", "template", "status", "time", "output")))
    counts = report.counts
    click.echo(
        f"\n{len(report.outcomes)} run(s): {counts['succeeded']} completed, "
        f"{counts['cached']} cached, {counts['failed']} failed"
    )
    for failed in report.failed:
        cell = f" in cell {failed.error_cell}" if failed.error_cell is not None else ""
        click.secho(
            f"  run {failed.run_id} {failed.case_slug}/{failed.template} failed{cell}: "
            f"{failed.error}",
            fg="red",
            err=True,
        )
    if report.failed:
        raise RunsFailed(f"{len(report.failed)} run(s) failed; see `workbench runs show ID`")


@click.group("runs")
def runs_group() -> None:
    """Read the run records."""


@runs_group.command("list")
@click.option("--case", "case_slug", help="Only this case study.")
@click.option("--template", help="Only this template.")
@click.option(
    "--status", type=click.Choice(["running", "succeeded", "failed", "cached"]), help="Status."
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.pass_context
@handle_errors
def runs_list(
    ctx: click.Context, case_slug: str | None, template: str | None, status: str | None, limit: int
) -> None:
    """List runs, newest first."""
    runs = service(ctx).runs(case_slug=case_slug, template=template, status=status, limit=limit)
    rows = [
        (
            r.id,
            r.case_slug,
            r.template,
            r.status,
            r.content_hash[:12],
            r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "" if r.duration_s is None else f"{r.duration_s:.1f}s",
        )
        for r in runs
    ]
    click.echo(table(rows, ("id", "case", "template", "status", "hash", "created (UTC)", "time")))


@runs_group.command("show")
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def runs_show(ctx: click.Context, run_id: int, as_json: bool) -> None:
    """Show one run: parameters, inputs, outputs and any error."""
    run = service(ctx).get_run(run_id)
    data = run.model_dump(mode="json")
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        if key == "traceback" or value in (None, "", [], {}):
            continue
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        click.echo(f"{key:>20}: {value}")
    if run.traceback:
        click.echo("\ntraceback:\n" + run.traceback)
