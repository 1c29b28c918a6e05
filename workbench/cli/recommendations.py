"""The ``workbench recommendation`` commands: tuned versions, their diff and decisions.

Everything goes through :class:`workbench.participation.recommendations.RecommendationService`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from workbench.cli.common import handle_errors
from workbench.cli.format import table

if TYPE_CHECKING:
    from workbench.participation.recommendations import Decision, RecommendationInfo
    from workbench.service import Workbench

_BY = click.option("--by", "by", required=True, metavar="NAME", help="Who decides (logged).")
_REASON = click.option("--reason", required=True, metavar="TEXT", help="Why (logged).")


def print_version(info: RecommendationInfo, *, full: bool = False) -> None:
    """A version's header, ranking and what changed (``full``: weights and sensitivity)."""
    r = info.result
    parent = f", parent {info.parent[:12]}" if info.parent else ""
    click.echo(
        f"version {info.short} ({info.status}) of {info.case_slug}: workshop {info.workshop_id} "
        f"round {info.round}, {info.method}, groups {info.group_rule}, {info.n_draws} draws, "
        f"seed {info.seed}{parent}"
    )
    click.echo(
        f"evidence: {info.evidence_model or 'none'}; {len(info.feedback_rows)} feedback rows; "
        f"proposed by {info.created_by} on {info.created_at:%Y-%m-%d %H:%M} UTC"
    )
    rows = [
        (x.rank, info.labels.get(x.option, x.option), f"{x.preference:.3f}", f"{x.p_first:.0%}")
        for x in r.ranking
    ]
    click.echo(table(rows, ["rank", "option", "preference", "first in"]))
    click.echo(f"\nwhat changed (against {info.changes.get('against', '')}):")
    for line in info.changes.get("lines", []):
        click.echo(f"  {line}")
    if full:
        click.echo("\nweights: " + ", ".join(f"{c} {w:.2f}" for c, w in r.weights.items()))
        for group, weights in r.group_weights.items():
            click.echo(f"  {group}: " + ", ".join(f"{c} {w:.2f}" for c, w in weights.items()))
        click.echo("\nsensitivity:")
        for line in r.sensitivity_lines():
            click.echo(f"  {line}")
        for note in r.notes:
            click.echo(f"note: {note}")


def _print_decision(decision: Decision, action: str) -> None:
    now = decision.version.short if decision.version else "the evidence-based proposal"
    was = f" (was {decision.previous[:12]})" if decision.previous else ""
    click.echo(f"{action} {decision.case_slug}: {now}{was}")
    counts = decision.report.counts
    click.echo(
        f"runs: {counts['succeeded']} executed, {counts['cached']} from the cache; "
        f"app republished as {decision.app.app_path} (publication {decision.app.id})"
    )
    if decision.workshops:
        ids = ", ".join(str(w) for w in decision.workshops)
        click.echo(f"workshop(s) {ids} now show it (their next page load).")
    else:
        click.echo("no draft or open workshop of the case study to move to the new app.")


@click.group("recommendation")
def recommendation_group() -> None:
    """Tuned recommendations: versions, their diff, acceptance and rollback.

    `workbench tune WORKSHOP` proposes a version; it changes nothing until a
    facilitator accepts it. Accepting re-runs the case's policy mix with it (the run
    cache included) and republishes the app for the next round.
    """


@recommendation_group.command("list")
@click.option("--case", "case_slug", help="Only this case study.")
@click.option("--workshop", "workshop_id", type=int, help="Only this workshop.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handle_errors
def recommendation_list(
    wb: Workbench, case_slug: str | None, workshop_id: int | None, as_json: bool
):
    """Stored versions, oldest first, with their status and top option."""
    infos = wb.recommendations.list(case_slug=case_slug, workshop_id=workshop_id)
    if as_json:
        click.echo(json.dumps([i.as_dict() for i in infos], indent=2))
        return
    rows = [
        (
            i.short,
            i.status,
            i.case_slug,
            f"{i.workshop_id}/{i.round}",
            f"{i.method}, {i.group_rule}",
            f"{i.labels.get(i.result.order[0], i.result.order[0])} "
            f"({i.result.ranking[0].p_first:.0%})",
            f"{i.created_at:%Y-%m-%d %H:%M}",
        )
        for i in infos
    ]
    click.echo(
        table(rows, ["version", "status", "case", "workshop/round", "method", "first", "at"])
        if rows
        else "no tuned versions yet: `workbench tune WORKSHOP` proposes one"
    )


@recommendation_group.command("show")
@click.argument("version")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handle_errors
def recommendation_show(wb: Workbench, version: str, as_json: bool) -> None:
    """One version: ranking, what changed, weights, sensitivity."""
    info = wb.recommendations.get(version)
    if as_json:
        click.echo(json.dumps(info.as_dict(), indent=2))
    else:
        print_version(info, full=True)


@recommendation_group.command("diff")
@click.argument("old")
@click.argument("new")
@click.pass_obj
@handle_errors
def recommendation_diff(wb: Workbench, old: str, new: str) -> None:
    """How version NEW differs from version OLD, every move explained."""
    for line in wb.recommendations.diff(old, new):
        click.echo(line)


@recommendation_group.command("accept")
@click.argument("version")
@_BY
@_REASON
@click.pass_obj
@handle_errors
def recommendation_accept(wb: Workbench, version: str, by: str, reason: str) -> None:
    """Accept VERSION: re-run the case's policy mix with it and republish the app."""
    decision = wb.recommendations.accept(version, by=by, reason=reason, progress=True)
    _print_decision(decision, "accepted for")


@recommendation_group.command("rollback")
@click.argument("version")
@click.option("--case", "case_slug", help="With VERSION 'evidence': the case study.")
@_BY
@_REASON
@click.pass_obj
@handle_errors
def recommendation_rollback(
    wb: Workbench, version: str, case_slug: str | None, by: str, reason: str
) -> None:
    """Make an earlier VERSION the accepted one again ('evidence' with --case: the
    evidence-based proposal, untuned). Its run comes from the cache."""
    decision = wb.recommendations.rollback(
        version, by=by, reason=reason, case_slug=case_slug, progress=True
    )
    _print_decision(decision, "rolled back")


@recommendation_group.command("history")
@click.argument("case_slug")
@click.pass_obj
@handle_errors
def recommendation_history(wb: Workbench, case_slug: str) -> None:
    """The audit log of a case study's tuned recommendations."""
    rows = [
        (
            f"{e.created_at:%Y-%m-%d %H:%M}",
            e.action,
            e.version[:12] or "evidence",
            (e.from_version or "")[:12],
            e.actor,
            e.reason[:80],
            e.publication_id or "",
        )
        for e in wb.recommendations.history(case_slug)
    ]
    click.echo(
        table(rows, ["when", "action", "version", "from", "by", "reason", "app"])
        if rows
        else f"no tuned recommendation of {case_slug} yet"
    )
