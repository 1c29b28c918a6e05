"""The ``workbench data`` commands: download official statistics into the data folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from workbench.cli.common import handle_errors

if TYPE_CHECKING:
    from workbench.service import Workbench


@click.group("data")
def data_group() -> None:
    """Download official statistics into the workspace data folder."""


@data_group.group("fetch")
def fetch_group() -> None:
    """Download a dataset from an official source."""


@fetch_group.command("eurostat")
@click.argument("dataset")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="DIM=CODE[,CODE]",
    help="Keep only these codes of a dimension (repeatable), e.g. --filter geo=ES61,DE21.",
)
@click.option("--start", type=click.IntRange(1900, 2200), metavar="YEAR", help="First year.")
@click.option("--end", type=click.IntRange(1900, 2200), metavar="YEAR", help="Last year.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: <data folder>/eurostat/DATASET.tsv.gz); a .gz name "
    "is written compressed. An existing file is replaced only after the download parsed.",
)
@click.option(
    "--api-url",
    help="Base URL of the SDMX 2.1 API or a mirror (default: WORKBENCH_EUROSTAT_API_URL, "
    "else Eurostat's).",
)
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.pass_obj
@handle_errors
def fetch_eurostat(
    wb: Workbench,
    dataset: str,
    filters: tuple[str, ...],
    start: int | None,
    end: int | None,
    output: Path | None,
    api_url: str | None,
    no_progress: bool,
) -> None:
    """Download Eurostat dataset DATASET (e.g. lfst_r_lfu3rt) as SDMX-TSV.

    The answer is checked to parse before it is written.
    """
    from workbench.data.fetch import parse_filters

    result = wb.fetch_eurostat(
        dataset,
        filters=parse_filters(filters),
        start=start,
        end=end,
        output=output,
        api_url=api_url,
        progress=not no_progress,
    )
    click.echo(result.summary())
