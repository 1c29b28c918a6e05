"""The ``workbench workshop`` commands: create, open, links, rounds, report, moderation.

The group's ``export`` and ``retention`` commands (participants' data) are defined in
:mod:`workbench.cli.privacy` and added here.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from workbench.cli.common import handle_errors, service
from workbench.cli.format import table
from workbench.cli.privacy import workshop_export, workshop_retention
from workbench.exceptions import InvalidInput, Problem


@click.group("workshop")
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
    click.echo(f"  language: {info.language} (offered: {', '.join(info.languages)})")


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
@click.option(
    "--language",
    help="The workshop's default language: its content's and the minutes' (en, es, de, fr, "
    "it, el, pl; default: the spec's, else en).",
)
@click.option(
    "--languages",
    metavar="LANG,LANG",
    help="The languages participants may choose among, e.g. es,en (the default is always one).",
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
    language: str | None,
    languages: str | None,
    open_now: bool,
    n_links: int,
    as_json: bool,
) -> None:
    """Create a draft workshop on the published app of case study SLUG."""
    wb = service(ctx)
    info = wb.create_workshop(
        slug,
        spec_path=spec_path,
        title=title,
        expected=expected,
        expected_mix=_parse_mix(mix) if mix else None,
        scale=int(scale) if scale else None,
        retention_days=retention_days,
        language=language,
        languages=[c.strip() for c in languages.split(",") if c.strip()] if languages else None,
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
    wb = service(ctx)
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
    click.echo(table(rows, ("id", "case", "state", "round", "joined", "active", "title")))


@workshop_group.command("show")
@click.argument("workshop_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def workshop_show(ctx: click.Context, workshop_id: int, as_json: bool) -> None:
    """Show a workshop and its live participation per stakeholder group."""
    wb = service(ctx)
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
        click.echo(table(rows, ("stakeholder group", "registered", "active")))


def _transition(name: str, doc: str) -> None:
    @workshop_group.command(name, help=doc)
    @click.argument("workshop_id", type=int)
    @click.pass_context
    @handle_errors
    def command(ctx: click.Context, workshop_id: int) -> None:
        info = service(ctx).workshops.act(workshop_id, name)
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
    workshops = service(ctx).workshops
    if shared:
        click.echo("shared join link (anyone with it can join; replaces the previous one):")
        click.echo(f"  {workshops.shared_link(workshop_id)}")
        return
    _print_links(workshops.links(workshop_id, count, valid_hours=valid_hours))


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
    for path in service(ctx).workshop_minutes(workshop_id, output, pdf=pdf):
        click.echo(str(path))


@workshop_group.command("dashboard")
@click.argument("workshop_id", type=int)
@click.pass_context
@handle_errors
def workshop_dashboard(ctx: click.Context, workshop_id: int) -> None:
    """Print the facilitator dashboard URL of a workshop (needs `workbench serve`)."""
    from workbench.facilitation.notebook import dashboard_url

    wb = service(ctx)
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
    wb = service(ctx)
    queue, log = wb.moderation.queue(workshop_id), wb.moderation.log(workshop_id)
    if as_json:
        out = {"queue": [i.as_dict() for i in queue], "log": [e.as_dict() for e in log]}
        click.echo(json.dumps(out, indent=2))
        return
    rows = [(i.kind, i.id, i.status, i.author or "facilitator", _short(i.text)) for i in queue]
    click.echo(table(rows, ("kind", "id", "status", "author", "text")))
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
    item = service(ctx).moderation.moderate(
        workshop_id,
        target_kind=target_kind,
        target_id=target_id,
        action=action,
        reason=reason,
        actor=f"facilitator ({getpass.getuser()})",
    )
    click.echo(f"{item.kind} {item.id} is now {item.status}")


workshop_group.add_command(workshop_export)
workshop_group.add_command(workshop_retention)
