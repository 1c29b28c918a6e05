"""The ``workbench pathways`` commands: batch scoring of individual pathways.

``score`` validates a jobseeker table, pseudonymises it, scores it with the approved
profiling model and writes one CSV row per proposed step
(:func:`workbench.pathways.batch.score_file`). The counsellor reviews every step; nothing
is decided here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from workbench.cli.common import handle_errors

if TYPE_CHECKING:
    from workbench.service import Workbench

__all__ = ["pathways_group"]


@click.group("pathways")
def pathways_group() -> None:
    """Individual intervention pathways: proposals a counsellor reviews step by step."""


@pathways_group.command("score")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Jobseeker table (CSV, CSV.gz or XLSX; see workbench.profiling.jobseekers).",
)
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV to write, one row per step (.gz: compressed; replaced only when complete).",
)
@click.option("--model-version", help="Fail unless the approved profiling model has this version.")
@click.option(
    "--threshold",
    type=float,
    default=0.5,
    show_default=True,
    help="Risk at or above which a person is in the high band.",
)
@click.option(
    "--outcomes",
    "outcomes_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Table of past participants (programme, employed_1m_6m) for return-to-work rates.",
)
@click.option(
    "--min-cell",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Return-to-work cells of fewer people are suppressed.",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Pseudonym key (default: $WORKBENCH_PSEUDONYM_KEY_FILE or ~/.config/almp-workbench).",
)
@click.pass_obj
@handle_errors
def score_cmd(
    wb: Workbench,
    input_path: Path,
    output: Path,
    model_version: str | None,
    threshold: float,
    outcomes_path: Path | None,
    min_cell: int,
    key_file: Path | None,
) -> None:
    """Score a jobseeker table and write each person's proposed pathway."""
    from workbench.pathways.batch import score_file

    report = score_file(
        input_path,
        output,
        models_dir=wb.settings.shared_models_dir,
        model_version=model_version,
        threshold=threshold,
        outcomes_path=outcomes_path,
        min_n=min_cell,
        key_file=key_file,
        home=wb.settings.home,
        echo=lambda text: click.echo(text, err=True),
    )
    bands = ", ".join(f"{n:,} {band}" for band, n in report.bands.items())
    click.echo(
        f"wrote {report.steps:,} steps for {report.people:,} people to {report.output} "
        f"({bands} risk; profiling model {report.model_version}, evidence model "
        f"{report.evidence_version or 'none'}; ids pseudonymised) in {report.seconds:.1f} s"
    )
    for note in report.notes:
        click.echo(f"note: {note}")
    click.echo("Every step is a proposal: a counsellor accepts, changes or rejects it.")


def _register_admin() -> None:
    """Attach the oversight and data-protection commands (review, export, erase, ...)."""
    from workbench.cli.pathways_admin import register

    register(pathways_group)


_register_admin()
