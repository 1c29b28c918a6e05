"""Workshop minutes: a notebook executed on a real kernel, exported by nbconvert to HTML
that opens offline (plots embedded, no CDN), and optionally printed to PDF by Chromium.

The notebook's cells only call :class:`MinutesView`; every figure and text block comes
from :func:`workbench.facilitation.summary.summarise`, the same code the dashboard uses.
Participant text is escaped; names never appear, only pseudonymous ids.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from workbench.exceptions import InputError, InvalidInput, Problem
from workbench.reports import html_exporter

MINUTES_VERSION = "1"
CHROMIUM = Path("/usr/bin/chromium")
#: the sections of the minutes, in order (each is one notebook cell)
SECTIONS = (
    "overview",
    "participation",
    "ratings",
    "rankings",
    "weights",
    "stability",
    "opinions",
    "statements",
    "sensitivity",
    "comments",
    "moderation",
    "method",
)


def minutes_notebook(workshop_id: int) -> nbformat.NotebookNode:
    """The minutes notebook of a workshop (not yet executed)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from workbench.facilitation.minutes import MinutesView\n"
            f"view = MinutesView.load({int(workshop_id)})"
        ),
        *(nbformat.v4.new_code_cell(f"view.show({name!r})") for name in SECTIONS),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["workbench_minutes"] = {"workshop_id": workshop_id, "version": MINUTES_VERSION}
    return nb


def write_minutes(
    wb: Any, workshop_id: int, output: Path | None = None, *, pdf: bool = False
) -> list[Path]:
    """Execute the minutes notebook and write HTML (and PDF); returns the files written."""
    info = wb.workshops.get(workshop_id)  # a clear error for an unknown workshop, first
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    html_path = output or wb.settings.home / "reports" / f"workshop-{info.id}-minutes-{stamp}.html"
    if html_path.suffix.lower() != ".html":
        raise InvalidInput([Problem("input", "--output", "the minutes file must end in .html")])
    if html_path.exists():
        raise InputError(f"{html_path} exists; refusing to overwrite it")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    nb = minutes_notebook(info.id)
    env = {
        **os.environ,
        "WORKBENCH_HOME": str(wb.settings.home),
        "WORKBENCH_DB_URL": wb.settings.database_url,
    }
    with tempfile.TemporaryDirectory(prefix="wb-minutes-") as cwd:
        client = NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=False)
        client.execute(env=env, cwd=cwd)
    body, _ = html_exporter(exclude_input=True).from_notebook_node(
        nb, resources={"metadata": {"name": f"Minutes: {info.title}"}}
    )
    html_path.write_text(body, encoding="utf-8")
    written = [html_path]
    if pdf:
        written.append(print_pdf(html_path, html_path.with_suffix(".pdf")))
    return written


def print_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print an HTML file to A4 PDF with Debian's headless Chromium (no network)."""
    if not CHROMIUM.exists():
        raise InputError(f"PDF needs Chromium at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API refuses to run in a thread with a running asyncio loop (a
    # kernel, a server, another Playwright session), so it gets a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print_pdf, html_path, pdf_path).result()


def _print_pdf(html_path: Path, pdf_path: Path) -> Path:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            page.route("**/*", _offline)
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.pdf(path=str(pdf_path), format="A4", print_background=True)
        finally:
            browser.close()
    return pdf_path


def _offline(route: Any) -> None:
    """Let the browser read the local file and data URIs, nothing from the network."""
    if route.request.url.startswith(("file:", "data:")):
        route.continue_()
    else:
        route.abort()


class MinutesView:
    """What the minutes notebook's cells display (runs inside the minutes kernel)."""

    def __init__(self, summary: Any) -> None:
        self.summary = summary

    @classmethod
    def load(cls, workshop_id: int) -> MinutesView:
        """Summarise the workshop from the workspace in WORKBENCH_HOME / WORKBENCH_DB_URL."""
        from workbench.facilitation.summary import summarise
        from workbench.service import Workbench

        return cls(summarise(Workbench(), workshop_id, for_minutes=True))

    def show(self, section: str) -> None:
        """Display one section: escaped HTML, figures embedded with their text alternatives."""
        from IPython.display import HTML, display

        for html in self.summary.minutes_section(section):
            display(HTML(html))
