"""The ``workbench tune`` command: a round's feedback re-ranks the workshop's options."""

from __future__ import annotations

import getpass
import json
from typing import TYPE_CHECKING

import click

from workbench.cli.common import handle_errors
from workbench.cli.format import table

if TYPE_CHECKING:
    from workbench.service import Workbench
    from workbench.tuning.tune import TuningResult


def _print(result: TuningResult, workshop_id: int) -> None:
    click.echo(
        f"workshop {workshop_id}: tuned ranking ({result.method}, groups {result.group_rule}, "
        f"{result.n_draws} draws, seed {result.seed}); inputs {result.input_hash[:16]}"
    )
    criteria = list(result.weights)
    rows = [["overall", "", *(f"{result.weights[c]:.2f}" for c in criteria)]]
    for g in result.groups:
        weights = g.weights or {}
        rows.append(
            [
                g.group,
                f"{g.with_points}/{g.participants} (share {g.share:.2f})",
                *(f"{weights[c]:.2f}" if c in weights else "–" for c in criteria),
            ]
        )
    click.echo("\ncriteria weights (mean share of the points)")
    click.echo(table(rows, ["group", "with points / present", *criteria]))
    click.echo("\nranking")
    click.echo(
        table(
            [
                (
                    r.rank,
                    r.option,
                    f"{r.preference:.3f}",
                    f"{r.p_first:.0%}",
                    "insufficient evidence" if r.insufficient_evidence else "",
                )
                for r in result.ranking
            ],
            ["rank", "option", "preference", "first in", "evidence"],
        )
    )
    click.echo("\nsensitivity")
    for line in result.sensitivity_lines():
        click.echo(f"  {line}")
    for note in result.notes:
        click.echo(f"note: {note}")


def _login() -> str:
    """The login name, for a proposal's "by" when none is given."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return "unknown user"


@click.command("tune")
@click.argument("workshop_id", type=int)
@click.option("--round", "round_number", type=int, help="Round (default: the current).")
@click.option(
    "--method",
    type=click.Choice(["weighted-sum", "topsis"]),
    default="weighted-sum",
    show_default=True,
)
@click.option(
    "--groups",
    "group_rule",
    default="equal",
    show_default=True,
    type=click.Choice(["equal", "as-present", "expected-mix"]),
    help="How stakeholder groups count in the weights.",
)
@click.option(
    "--draws",
    "n_draws",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help="Bootstrap draws (rank probabilities).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option("--preview", is_flag=True, help="Only show the tuning; store no version.")
@click.option(
    "--by",
    default=None,
    metavar="NAME",
    help="Who proposes the version (logged; default: your login name).",
)
@click.pass_obj
@handle_errors
def tune_cmd(
    wb: Workbench,
    workshop_id: int,
    round_number: int | None,
    method: str,
    group_rule: str,
    n_draws: int,
    seed: int,
    as_json: bool,
    preview: bool,
    by: str | None,
) -> None:
    """Re-rank WORKSHOP_ID's options from a round's points and ratings, with the evidence.

    Criteria weights come from the 100-point allocations (groups counted by --groups),
    option scores from the rating medians plus the evidence criterion of the case's
    policy mix; rank probabilities from bootstrapping participants and drawing the
    evidence from its interval. The result is stored as a proposed version, named by
    the hash of its inputs (the same feedback gives the same version); it changes
    nothing until `workbench recommendation accept`. --preview stores nothing.
    """
    if preview:
        from workbench.participation.tuning import tune_round

        result = tune_round(
            wb, workshop_id, round_number, method=method, group_rule=group_rule,
            n_draws=n_draws, seed=seed,
        )  # fmt: skip
        if as_json:
            click.echo(json.dumps(result.to_dict(), indent=2, default=str))
        else:
            _print(result, workshop_id)
        return
    proposal = wb.recommendations.propose(
        workshop_id, round_number, by=by or _login(), method=method,
        group_rule=group_rule, n_draws=n_draws, seed=seed,
    )  # fmt: skip
    info = proposal.info
    if as_json:
        click.echo(json.dumps({**info.as_dict(), "created": proposal.created}, indent=2))
        return
    _print(info.result, workshop_id)
    click.echo(f"\nwhat changed (against {info.changes.get('against', '')}):")
    for line in info.changes.get("lines", []):
        click.echo(f"  {line}")
    state = "stored as" if proposal.created else "same inputs as the stored"
    click.echo(
        f"\n{state} version {info.short} ({info.status}); accept it with\n"
        f"  workbench recommendation accept {info.short} --by NAME --reason TEXT"
    )
