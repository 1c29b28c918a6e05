"""The ``workbench profiling`` commands: train a candidate of the at-risk profiling model
from a jobseeker table, and show a version's fairness audit (issue 15).

A candidate feeds nothing until a named expert approves it with ``workbench model approve
profiling VERSION``; the fairness gate blocks that while the audit breaches its limits,
unless ``--override`` says why (logged with who and when).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workbench.cli.common import handle_errors
from workbench.cli.format import table as _table

if TYPE_CHECKING:
    from workbench.service import Workbench

__all__ = ["profiling_group"]


def _f(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.3f}"


def _pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for value in values:
        attr, sep, reason = value.partition("=")
        if not sep or not attr.strip() or not reason.strip():
            raise click.BadParameter(f"{value!r}: use ATTRIBUTE=REASON", param_hint="--justify")
        out.append((attr.strip(), reason.strip()))
    return out


@click.group("profiling")
def profiling_group() -> None:
    """The at-risk profiling model: train a candidate, read its fairness audit.

    Protected attributes (sex, origin, disability, age_band) are audited, never used as
    features unless --justify records why. Approve with `workbench model approve profiling V`.
    """


@profiling_group.command("train")
@click.option(
    "--input",
    "input_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Jobseeker table (CSV, CSV.gz or XLSX) with the outcome column ltu.",
)
@click.option("--by", required=True, metavar="NAME", help="Who trains it (logged).")
@click.option("--reason", required=True, metavar="TEXT", help="Why (logged).")
@click.option(
    "--justify",
    multiple=True,
    metavar="ATTR=REASON",
    help="Use a protected attribute as a feature, with the reason (logged, on the card).",
)
@click.option("--lawful-basis", metavar="TEXT", help='GDPR Art. 6 basis, e.g. "Art. 6(1)(e)".')
@click.option("--minimisation", default="", metavar="TEXT", help="Data minimisation applied.")
@click.option("--threshold", type=float, default=0.5, show_default=True,
              help="Decision threshold the fairness gate judges.")  # fmt: skip
@click.option("--method", type=click.Choice(["isotonic", "sigmoid"]), default="isotonic",
              show_default=True, help="Probability calibration.")  # fmt: skip
@click.option(
    "--override-signals",
    is_flag=True,
    help="Put the counsellors' aggregated overrides (from the oversight log) on the card.",
)
@click.pass_obj
@handle_errors
def profiling_train(
    wb: Workbench,
    input_file: Path,
    by: str,
    reason: str,
    justify: tuple[str, ...],
    lawful_basis: str | None,
    minimisation: str,
    threshold: float,
    method: str,
    override_signals: bool,
) -> None:
    """Validate the table whole, train, audit and record a candidate version."""
    from workbench.profiling.card import DEFAULT_LAWFUL_BASIS
    from workbench.profiling.trainer import train_candidate

    signals: list[str] = []
    if override_signals:
        from workbench.pathways.oversight import OversightService

        signals = [s.text for s in OversightService(wb.db).override_signals()]

    made = train_candidate(
        wb.registry,
        input_file,
        by=by,
        reason=reason,
        justify=_pairs(justify),
        lawful_basis=lawful_basis or DEFAULT_LAWFUL_BASIS,
        minimisation=minimisation,
        threshold=threshold,
        method=method,
        override_signals=signals,
    )
    m = made.trained.metrics
    click.echo(
        f"candidate profiling version {made.version}: {int(m['n_train'] + m['n_test'])} rows, "
        f"held-out AUC {_f(m['test_auc'])}, Brier {_f(m['test_brier'])}"
    )
    if made.breaches:
        click.echo(f"fairness gate: {len(made.breaches)} breach(es) at threshold {threshold:g}:")
        for breach in made.breaches:
            click.echo(f"  - {breach}")
        click.echo(
            "Approving it needs `--override TEXT` (who and why are logged); "
            f"see `workbench profiling audit --version {made.version}`."
        )
    else:
        click.echo(f"fairness gate: no breach at threshold {threshold:g}.")
    click.echo(
        f"It feeds nothing until approved: `workbench model show profiling {made.version}`, then "
        f"`workbench model approve profiling {made.version} --by NAME --reason TEXT`."
    )


@profiling_group.command("audit")
@click.option("--version", "version", metavar="V", help="Default: the approved version.")
@click.pass_obj
@handle_errors
def profiling_audit(wb: Workbench, version: str | None) -> None:
    """The fairness audit of a version: groups at its decision threshold, trade-off, breaches."""
    from workbench.profiling.trainer import version_audit

    info, record = version_audit(wb.registry, version)
    a, t = record.audit, record.audit.threshold(record.threshold)
    click.echo(f"profiling version {info.version} ({info.status}): audit of {a.n} held-out rows")
    calib = {(c.attribute, c.group): c for c in a.calibration}
    rows = [
        (g.attribute, g.group, g.count, _f(g.selection_rate), _f(g.false_positive_rate),
         _f(g.false_negative_rate), _f(calib[(g.attribute, g.group)].mean_predicted),
         _f(calib[(g.attribute, g.group)].observed_rate), g.note)
        for g in a.groups if g.threshold == t
    ]  # fmt: skip
    click.echo(f"\nby group at the decision threshold {t:g}")
    click.echo(_table(rows, ["attribute", "group", "n", "selected", "FPR", "FNR",
                             "mean risk", "observed", "note"]))  # fmt: skip
    rows = [
        (f"{d.threshold:g}", d.attribute, _f(d.dp_difference), _f(d.dp_ratio),
         _f(d.eo_difference), _f(d.eo_ratio))
        for d in a.disparities
    ]  # fmt: skip
    click.echo("\ndisparities by threshold (accuracy-equity trade-off)")
    click.echo(_table(rows, ["threshold", "attribute", "DP diff", "DP ratio", "EO diff",
                             "EO ratio"]))  # fmt: skip
    acc = [(f"{s.threshold:g}", _f(s.accuracy), _f(s.balanced_accuracy), _f(s.selection_rate))
           for s in a.overall]  # fmt: skip
    click.echo("\n" + _table(acc, ["threshold", "accuracy", "balanced acc.", "selected"]))
    lim = record.limits
    click.echo(
        f"\nlimits: DP diff <= {lim.max_dp_difference:g}, EO diff <= {lim.max_eo_difference:g}, "
        f"DP ratio >= {lim.min_dp_ratio:g}, EO ratio >= {lim.min_eo_ratio:g}"
    )
    breaches = record.breaches
    if breaches:
        click.echo(f"{len(breaches)} breach(es) at {t:g} (approval needs a logged override):")
        for breach in breaches:
            click.echo(f"  - {breach}")
    else:
        click.echo(f"no breach at {t:g}")
