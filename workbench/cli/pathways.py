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
    default=None,
    help="Risk at or above which a person is in the high band "
    "(default: the threshold the model's fairness audit judged).",
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
@click.option(
    "--save/--no-save",
    default=True,
    show_default=True,
    help="Store the pathways for the counsellors' review (the counsellor view lists them).",
)
@click.pass_obj
@handle_errors
def score_cmd(
    wb: Workbench,
    input_path: Path,
    output: Path,
    model_version: str | None,
    threshold: float | None,
    outcomes_path: Path | None,
    min_cell: int,
    key_file: Path | None,
    save: bool,
) -> None:
    """Score a jobseeker table and write each person's proposed pathway."""
    from workbench.pathways.batch import score_file
    from workbench.pathways.oversight import OversightService
    from workbench.pathways.privacy import SEARCHED

    by = f"workbench pathways score ({wb.identity.name if wb.identity else _user()})"
    store = (lambda ps: len(OversightService(wb.db).save_pathways(ps, by=by))) if save else None

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
        save=store,
    )
    bands = ", ".join(f"{n:,} {band}" for band, n in report.bands.items())
    click.echo(
        f"wrote {report.steps:,} steps for {report.people:,} people to {report.output} "
        f"({bands} risk; profiling model {report.model_version}, evidence model "
        f"{report.evidence_version or 'none'}; ids pseudonymised) in {report.seconds:.1f} s"
    )
    for note in report.notes[:5]:
        click.echo(f"note: {note}")
    if len(report.notes) > 5:
        click.echo(f"... and {len(report.notes) - 5} more notes (each pathway keeps its own)")
    if report.saved:
        click.echo(f"stored {report.saved:,} pathways for review in the counsellor view")
    home = wb.settings.home.resolve()
    if not any(report.output.resolve().is_relative_to(home / f) for f in SEARCHED):
        click.echo(
            f"warning: {report.output} is outside {home}/pathways/: a data-protection request "
            "(workbench pathways export|erase) will not find the people in it",
            err=True,
        )
    click.echo("Every step is a proposal: a counsellor accepts, changes or rejects it.")


@pathways_group.command("synthetic")
@click.option("--n", "count", type=click.IntRange(1, 1_000_000), default=200, show_default=True)
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="NUTS-2 region (repeatable); each is calibrated to its real 2025 long-term "
    "unemployment share. Default: the Irish PEX cohort (39.2%).",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: the fixed one).")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV to write (replaced only when complete).",
)
@handle_errors
def synthetic_cmd(count: int, regions: tuple[str, ...], seed: int | None, output: Path) -> None:
    """Write a table of SYNTHETIC jobseekers (made up; to try the pathways out)."""
    from workbench.pathways.batch import write_atomic
    from workbench.profiling.synthetic import DEFAULT_SEED, generate_jobseekers

    frame = generate_jobseekers(
        count, seed=DEFAULT_SEED if seed is None else seed, regions=list(regions) or None
    )
    write_atomic(lambda out: frame.to_csv(out, index=False), output)
    share = float(frame["ltu"].mean())
    click.echo(
        f"wrote {len(frame):,} SYNTHETIC jobseekers to {output} "
        f"({share:.1%} long-term unemployed after 12 months; every row says synthetic=true)"
    )


@pathways_group.command("pseudonymise")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Jobseeker table with the PES's own ids (CSV, CSV.gz or XLSX).",
)
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV to write with pseudonyms instead of ids (replaced only when complete).",
)
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), help="Pseudonym key.")
@click.pass_obj
@handle_errors
def pseudonymise_cmd(wb: Workbench, input_path: Path, output: Path, key_file: Path | None) -> None:
    """Validate a jobseeker table and replace its ids by keyed pseudonyms (for notebooks)."""
    from workbench.pathways.batch import write_atomic
    from workbench.profiling.jobseekers import read_jobseeker_table
    from workbench.profiling.pseudonym import load_key, pseudonymise_frame

    if output.resolve() == input_path.resolve():
        raise click.BadParameter("is the input file; choose another", param_hint="--output")
    frame = read_jobseeker_table(input_path)
    frame = pseudonymise_frame(frame, load_key(key_file, home=wb.settings.home))
    write_atomic(lambda out: frame.to_csv(out, index=False), output)
    click.echo(
        f"wrote {len(frame):,} rows to {output} with pseudonyms instead of ids; "
        f"keep {input_path} out of the workspace"
    )


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"


def _register_admin() -> None:
    """Attach the oversight and data-protection commands (review, export, erase, ...)."""
    from workbench.cli.pathways_admin import register

    register(pathways_group)


_register_admin()
