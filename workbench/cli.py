"""The ``workbench`` command: parses arguments, calls the service layer, prints results.

Errors become one clear message on stderr and an exit code: 2 for bad input (nothing
was started), 1 for runs that failed.
"""

from __future__ import annotations

import functools
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from workbench.cli_data import data_group
from workbench.cli_format import table as _table
from workbench.cli_models import evidence_group, model_group
from workbench.cli_recommendations import recommendation_group
from workbench.cli_tuning import tune_command
from workbench.config import Settings
from workbench.db import current_revision, display_url, head_revision, upgrade
from workbench.exceptions import InvalidInput, Problem, RunsFailed, WorkbenchError
from workbench.service import Workbench
from workbench.workspace import init_workspace

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn workbench errors into a message on stderr and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            click.secho(f"error: {len(exc.problems)} problem(s) found:", fg="red", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(exc.exit_code)
        except WorkbenchError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def _service(ctx: click.Context) -> Workbench:
    service: Workbench = ctx.obj
    return service


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


@cli.command("init")
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


# -- case studies ---------------------------------------------------------------------
@cli.group("case")
def case_group() -> None:
    """List, create and validate case studies."""


@case_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def case_list(ctx: click.Context, as_json: bool) -> None:
    """List the case studies of the workspace."""
    cases = _service(ctx).list_cases()
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
    click.echo(_table(rows, ("slug", "region", "sector", "target groups", "templates", "title")))


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
    path = _service(ctx).new_case(
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
    specs = _service(ctx).validate_cases(slugs)
    cases = sorted({s.case_slug for s in specs})
    click.echo(
        f"ok: {len(cases)} case stud{'y' if len(cases) == 1 else 'ies'}, "
        f"{len(specs)} run(s) planned"
    )
    for spec in specs:
        click.echo(f"  {spec.case_slug} / {spec.template}  hash {spec.content_hash[:12]}")


# -- templates ------------------------------------------------------------------------
@cli.group("templates")
def templates_group() -> None:
    """List templates and show their parameter schemas."""


@templates_group.command("list")
@click.pass_context
@handle_errors
def templates_list(ctx: click.Context) -> None:
    """List the template notebooks."""
    service = _service(ctx)
    rows = []
    for name in service.templates.names():
        template = service.template(name)
        rows.append((name, template.version, ", ".join(template.parameters), template.title))
    click.echo(_table(rows, ("template", "version", "parameters", "title")))


@templates_group.command("show")
@click.argument("name")
@click.pass_context
@handle_errors
def templates_show(ctx: click.Context, name: str) -> None:
    """Show the parameters a template takes."""
    click.echo(_service(ctx).template(name).help_text())


# -- runs -----------------------------------------------------------------------------
@cli.command("run")
@click.argument("slugs", nargs=-1)
@click.option("--all", "all_cases", is_flag=True, help="Run every case study.")
@click.option("--workers", type=click.IntRange(1, 64), help="Parallel worker processes.")
@click.option("--force", is_flag=True, help="Re-execute even when a cached result exists.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.pass_context
@handle_errors
def run_cmd(
    ctx: click.Context,
    slugs: tuple[str, ...],
    all_cases: bool,
    workers: int | None,
    force: bool,
    no_progress: bool,
) -> None:
    """Execute every (case study, template) pair of SLUGS (or --all) with papermill."""
    if slugs and all_cases:
        raise click.UsageError("give case study slugs or --all, not both")
    report = _service(ctx).run(
        slugs, all_cases=all_cases, workers=workers, force=force, progress=not no_progress
    )
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
    click.echo(_table(rows, ("run", "case", "template", "status", "time", "output")))
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


@cli.group("runs")
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
    runs = _service(ctx).runs(case_slug=case_slug, template=template, status=status, limit=limit)
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
    click.echo(_table(rows, ("id", "case", "template", "status", "hash", "created (UTC)", "time")))


@runs_group.command("show")
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def runs_show(ctx: click.Context, run_id: int, as_json: bool) -> None:
    """Show one run: parameters, inputs, outputs and any error."""
    run = _service(ctx).get_run(run_id)
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


# -- publishing -----------------------------------------------------------------------
@cli.command("publish")
@click.argument("slug")
@click.pass_context
@handle_errors
def publish_cmd(ctx: click.Context, slug: str) -> None:
    """Build and register the stakeholder app of SLUG from its latest successful runs."""
    app = _service(ctx).publish(slug)
    click.echo(f"published {app.case_slug} as published/{app.app_path} (bundle {app.bundle_hash})")
    for template, content_hash in app.run_hashes.items():
        click.echo(f"  {template}: run {content_hash[:16]}")


@cli.command("apps")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def apps_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the published stakeholder apps (the gallery)."""
    apps = _service(ctx).apps()
    if as_json:
        click.echo(json.dumps([a.__dict__ for a in apps], default=str, indent=2))
        return
    rows = [
        (a.case_slug, a.app_path, a.bundle_hash, f"{a.published_at:%Y-%m-%d %H:%M}", a.title)
        for a in apps
    ]
    click.echo(_table(rows, ("case", "app", "bundle", "published (UTC)", "title")))


# -- workshops ------------------------------------------------------------------------
@cli.group("workshop")
def workshop_group() -> None:
    """Run co-design workshops: create, open, links, rounds, close."""


def _print_workshop(info: Any) -> None:
    click.echo(
        f"workshop {info.id}: {info.title}\n  case {info.case_slug}, state {info.state}, "
        f"round {info.current_round}, expected {info.expected_participants}, "
        f"scale 1-{info.scale}, evidence bundle {info.bundle_hash}"
    )
    click.echo("  options:  " + ", ".join(o["key"] for o in info.options))
    click.echo("  criteria: " + ", ".join(c["key"] for c in info.criteria))


def _print_links(links: Sequence[Any]) -> None:
    click.echo("participant join links (personal; shown once, only their hash is stored):")
    for link in links:
        click.echo(f"  {link.public_id}  {link.url}")
    if links:
        click.echo(f"  valid until {links[0].expires_at:%Y-%m-%d %H:%M} UTC")


def _parse_mix(pairs: tuple[str, ...]) -> dict[str, int]:
    """``("employers=3", …)`` → ``{"employers": 3}``; the spec validates the groups."""
    mix: dict[str, int] = {}
    problems = []
    for pair in pairs:
        group, sep, count = pair.partition("=")
        if not sep or not count.strip().isdigit() or not group.strip():
            problems.append(Problem("--mix", pair, "must look like GROUP=N, e.g. employers=3"))
        elif group.strip() in mix:
            problems.append(Problem("--mix", pair, f"{group.strip()} is given twice"))
        else:
            mix[group.strip()] = int(count)
    if problems:
        raise InvalidInput(problems)
    return mix


@workshop_group.command("create")
@click.argument("slug")
@click.option("--title", help="Workshop title (default: from the case study).")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML with options, criteria, statements, scale (default: from the evidence review).",
)
@click.option("--expected", type=click.IntRange(1, 500), help="Expected participants.")
@click.option(
    "--mix",
    "mix",
    multiple=True,
    metavar="GROUP=N",
    help="Expected participants of a stakeholder group (repeat), e.g. --mix employers=3; "
    "the dashboard then shows who is missing.",
)
@click.option("--scale", type=click.Choice(["5", "9"]), help="Rating scale 1-5 or 1-9.")
@click.option(
    "--retention-days",
    type=click.IntRange(1, 3650),
    help="Erase participants' data this many days after closing (default 365).",
)
@click.option("--open", "open_now", is_flag=True, help="Open it at once (round 1).")
@click.option("--links", "n_links", type=click.IntRange(0, 500), default=0, help="Make N links.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def workshop_create(
    ctx: click.Context,
    slug: str,
    title: str | None,
    spec_path: Path | None,
    expected: int | None,
    mix: tuple[str, ...],
    scale: str | None,
    retention_days: int | None,
    open_now: bool,
    n_links: int,
    as_json: bool,
) -> None:
    """Create a draft workshop on the published app of case study SLUG."""
    wb = _service(ctx)
    info = wb.create_workshop(
        slug,
        spec_path=spec_path,
        title=title,
        expected=expected,
        expected_mix=_parse_mix(mix) if mix else None,
        scale=int(scale) if scale else None,
        retention_days=retention_days,
    )
    if open_now:
        info = wb.workshops.open(info.id)
    links = wb.workshops.links(info.id, n_links) if n_links else []
    if as_json:
        out = info.as_dict() | {"links": [link.url for link in links]}
        click.echo(json.dumps(out, indent=2))
        return
    _print_workshop(info)
    if links:
        _print_links(links)


@workshop_group.command("list")
@click.option("--state", type=click.Choice(["draft", "open", "closed"]))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def workshop_list(ctx: click.Context, state: str | None, as_json: bool) -> None:
    """List workshops with live participation."""
    wb = _service(ctx)
    infos = wb.workshops.list(state)
    parts = {i.id: wb.workshops.participation(i.id) for i in infos}
    if as_json:
        click.echo(
            json.dumps(
                [i.as_dict() | {"participation": parts[i.id].as_dict()} for i in infos],
                indent=2,
            )
        )
        return
    rows = [
        (
            i.id,
            i.case_slug,
            i.state,
            i.current_round,
            f"{parts[i.id].registered}/{i.expected_participants}",
            parts[i.id].active,
            i.title,
        )
        for i in infos
    ]
    click.echo(_table(rows, ("id", "case", "state", "round", "joined", "active", "title")))


@workshop_group.command("show")
@click.argument("workshop_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def workshop_show(ctx: click.Context, workshop_id: int, as_json: bool) -> None:
    """Show a workshop and its live participation per stakeholder group."""
    wb = _service(ctx)
    info = wb.workshops.get(workshop_id)
    part = wb.workshops.participation(workshop_id)
    if as_json:
        click.echo(json.dumps(info.as_dict() | {"participation": part.as_dict()}, indent=2))
        return
    _print_workshop(info)
    click.echo(
        f"  participation: {part.registered} registered of {part.expected} expected "
        f"({part.invited} invited), {part.active} active in round {part.round}"
    )
    rows = [(g["group"] or "?", g["registered"], g["active"]) for g in part.groups]
    if rows:
        click.echo(_table(rows, ("stakeholder group", "registered", "active")))


def _transition(name: str, doc: str) -> None:
    @workshop_group.command(name, help=doc)
    @click.argument("workshop_id", type=int)
    @click.pass_context
    @handle_errors
    def command(ctx: click.Context, workshop_id: int) -> None:
        info = _service(ctx).workshops.act(workshop_id, name)
        click.echo(f"workshop {info.id} is {info.state}, round {info.current_round}")


_transition("open", "Open a draft workshop: participants can join; round 1 starts.")
_transition("close", "Close an open workshop: answers become read-only.")
_transition("next-round", "Start the next round; earlier rounds' answers stay unchanged.")


@workshop_group.command("links")
@click.argument("workshop_id", type=int)
@click.option("--count", type=click.IntRange(1, 500), default=1, show_default=True)
@click.option("--valid-hours", type=click.FloatRange(0.01, 8760), help="Link lifetime.")
@click.option("--shared", is_flag=True, help="A new shared workshop-code link instead.")
@click.pass_context
@handle_errors
def workshop_links(
    ctx: click.Context, workshop_id: int, count: int, valid_hours: float | None, shared: bool
) -> None:
    """Make new participant join links (tokens are shown once and stored hashed)."""
    service = _service(ctx).workshops
    if shared:
        click.echo("shared join link (anyone with it can join; replaces the previous one):")
        click.echo(f"  {service.shared_link(workshop_id)}")
        return
    _print_links(service.links(workshop_id, count, valid_hours=valid_hours))


@workshop_group.command("report")
@click.argument("workshop_id", type=int)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write (default: reports/workshop-ID-minutes-<time>.html).",
)
@click.option("--pdf", is_flag=True, help="Also print a PDF next to the HTML (needs chromium).")
@click.pass_context
@handle_errors
def workshop_report(ctx: click.Context, workshop_id: int, output: Path | None, pdf: bool) -> None:
    """Write the workshop minutes: HTML with plots that opens offline (and PDF)."""
    click.echo(f"executing the minutes of workshop {workshop_id} on a kernel…", err=True)
    for path in _service(ctx).workshop_minutes(workshop_id, output, pdf=pdf):
        click.echo(str(path))


@workshop_group.command("dashboard")
@click.argument("workshop_id", type=int)
@click.pass_context
@handle_errors
def workshop_dashboard(ctx: click.Context, workshop_id: int) -> None:
    """Print the facilitator dashboard URL of a workshop (needs `workbench serve`)."""
    from workbench.facilitation.notebook import dashboard_url

    wb = _service(ctx)
    info = wb.workshops.get(workshop_id)
    base = f"http://{wb.settings.bind_host}:{wb.settings.lab_port}/"
    click.echo(dashboard_url(base, info.id))
    click.echo("(log in with the lab token that `workbench serve` printed)", err=True)


@workshop_group.command("moderation")
@click.argument("workshop_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def workshop_moderation(ctx: click.Context, workshop_id: int, as_json: bool) -> None:
    """List statements and comments to moderate (pending proposals first) and the log."""
    wb = _service(ctx)
    queue, log = wb.moderation.queue(workshop_id), wb.moderation.log(workshop_id)
    if as_json:
        out = {"queue": [i.as_dict() for i in queue], "log": [e.as_dict() for e in log]}
        click.echo(json.dumps(out, indent=2))
        return
    rows = [(i.kind, i.id, i.status, i.author or "facilitator", _short(i.text)) for i in queue]
    click.echo(_table(rows, ("kind", "id", "status", "author", "text")))
    if log:
        click.echo("moderation log:")
        for e in log:
            click.echo(
                f"  {e.created_at:%Y-%m-%d %H:%M} {e.actor}: {e.action} {e.target_kind} "
                f"{e.target_id}: {e.reason}"
            )


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@workshop_group.command("moderate")
@click.argument("workshop_id", type=int)
@click.argument("target_kind", type=click.Choice(["statement", "comment"]))
@click.argument("target_id", type=int)
@click.argument("action", type=click.Choice(["approve", "hide"]))
@click.option("--reason", default="", help="Why (required to hide); kept in the log.")
@click.pass_context
@handle_errors
def workshop_moderate(
    ctx: click.Context,
    workshop_id: int,
    target_kind: str,
    target_id: int,
    action: str,
    reason: str,
) -> None:
    """Approve or hide a statement or comment; the action and reason are logged."""
    item = _service(ctx).moderation.moderate(
        workshop_id,
        target_kind=target_kind,
        target_id=target_id,
        action=action,
        reason=reason,
        actor=f"facilitator ({getpass.getuser()})",
    )
    click.echo(f"{item.kind} {item.id} is now {item.status}")


# -- exports and participants' data ---------------------------------------------------
@workshop_group.command("export")
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
    click.echo(str(_service(ctx).export_workshop(workshop_id, fmt, output)))


@workshop_group.command("retention")
@click.argument("workshop_id", type=int)
@click.option("--days", type=int, required=True, help="1-3650 days after the workshop closes.")
@click.pass_context
@handle_errors
def workshop_retention(ctx: click.Context, workshop_id: int, days: int) -> None:
    """Set how long participants' data is kept after the workshop closes."""
    info = _service(ctx).privacy.set_retention(workshop_id, days)
    when = ""
    if info.closed_at is not None:
        due = info.closed_at + timedelta(days=info.retention_days)
        when = f" (due {due:%Y-%m-%d %H:%M} UTC; see `workbench participant purge-expired`)"
    click.echo(
        f"workshop {info.id}: participants' data is erased {info.retention_days} day(s) "
        f"after it closes{when}"
    )


@cli.group("participant")
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
    privacy = _service(ctx).privacy
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
    privacy = _service(ctx).privacy
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
    reports = _service(ctx).privacy.purge_expired(dry_run=dry_run, delete_files=delete_files)
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


# -- servers --------------------------------------------------------------------------
@cli.command("serve")
@click.option("--no-lab", is_flag=True, help="Only the stakeholder app server.")
@click.pass_context
@handle_errors
def serve_cmd(ctx: click.Context, no_lab: bool) -> None:
    """Start JupyterLab (analysts) and the stakeholder app server; Ctrl-C stops both."""
    from workbench.facilitation.notebook import dashboard_url
    from workbench.serve import run_servers

    wb = _service(ctx)

    def announce(urls: dict[str, str | None]) -> None:
        click.secho("workbench is serving:", fg="green")
        if urls["lab"]:
            click.echo(f"  analyst JupyterLab:   {urls['lab']}")
            click.echo(f"  facilitator overview: {urls['facilitator']}")
            click.echo(f"  facilitator dashboard: {urls['dashboard']}")
            click.echo(f"  facilitator REST API: {urls['api']} (header: Authorization: token …)")
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


# -- database -------------------------------------------------------------------------
@cli.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.pass_context
@handle_errors
def db_upgrade(ctx: click.Context) -> None:
    """Apply all migrations to the workspace database."""
    url = _service(ctx).settings.database_url
    upgrade(url)
    click.echo(f"database at revision {current_revision(url)} (head {head_revision()})")


@db_group.command("current")
@click.pass_context
@handle_errors
def db_current(ctx: click.Context) -> None:
    """Show the database's schema revision."""
    url = _service(ctx).settings.database_url
    click.echo(f"current {current_revision(url)}; head {head_revision()}")


cli.add_command(data_group(handle_errors))
cli.add_command(tune_command(handle_errors))
cli.add_command(recommendation_group(handle_errors))
cli.add_command(model_group(handle_errors))
cli.add_command(evidence_group(handle_errors))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="workbench")


if __name__ == "__main__":
    main()
