"""nbconvert reports that open offline: no script or stylesheet from a CDN."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

TEMPLATE_DIR = Path(__file__).resolve().parent / "report_templates"
TEMPLATE_NAME = "offline"


def html_exporter(exclude_input: bool) -> HTMLExporter:
    """The offline HTML exporter; ``exclude_input`` gives a results-only report."""
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        embed_images=True,
    )
    exporter.exclude_input = exclude_input
    exporter.exclude_input_prompt = exclude_input
    exporter.exclude_output_prompt = exclude_input
    return exporter


def write_reports(notebook: nbformat.NotebookNode, full: Path, no_input: Path) -> None:
    """Write a full HTML report and a no-input (results only) HTML report."""
    for path, exclude in ((full, False), (no_input, True)):
        body, _ = html_exporter(exclude).from_notebook_node(notebook)
        path.write_text(body, encoding="utf-8")
