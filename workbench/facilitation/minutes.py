"""Workshop minutes: a notebook executed on a real kernel, exported by nbconvert to HTML
that opens offline (plots embedded, no CDN), and optionally printed to PDF by Chromium.

The notebook's cells only call :class:`MinutesView`; every figure and text block comes
from :func:`workbench.facilitation.summary.summarise`, the same code the dashboard uses,
except the "Tuned recommendation" section (:func:`tuning_section`), which states the
case's accepted tuned version (who accepted it, when and why, what changed, its rank
probabilities) and this workshop's stored versions. Participant text is escaped; names
never appear, only pseudonymous ids (and the names of the facilitators who decided).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from nbclient import NotebookClient

from workbench.db.recommendations import DECISIONS
from workbench.exceptions import InputError, InvalidInput, Problem
from workbench.reports import html_exporter

if TYPE_CHECKING:
    from workbench.db.models import RecommendationEvent
    from workbench.participation.recommendations import RecommendationInfo
    from workbench.participation.workshops import WorkshopInfo

MINUTES_VERSION = "2"
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
    "tuning",
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
            "from workbench.service import Workbench\n"
            f"view = MinutesView.load(Workbench(), {int(workshop_id)})"
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

    def __init__(self, summary: Any, tuning: Sequence[str] = ()) -> None:
        self.summary = summary
        self.tuning = list(tuning)

    @classmethod
    def load(cls, wb: Any, workshop_id: int) -> MinutesView:
        """Summarise the workshop from ``wb``, the kernel's :class:`~workbench.service.Workbench`
        (the notebook builds it from WORKBENCH_HOME / WORKBENCH_DB_URL, so that this module
        never imports the service layer that calls it)."""
        from workbench.facilitation.summary import summarise

        summary = summarise(wb, workshop_id, for_minutes=True)
        return cls(summary, tuning_section(wb, summary.info))

    def show(self, section: str) -> None:
        """Display one section: escaped HTML, figures embedded with their text alternatives."""
        from IPython.display import HTML, display

        if section == "tuning":
            parts = ["<h2>Tuned recommendation</h2>", *self.tuning]
        else:
            parts = list(self.summary.minutes_section(section))
        for html in parts:
            display(HTML(html))


# -- the tuned recommendation ----------------------------------------------------------------

#: what the method and group rule of a tuned version mean, in words
METHOD_WORDS = {
    "weighted-sum": "weighted sum of the scores",
    "topsis": "TOPSIS, closest to the ideal option",
}
RULE_WORDS = {
    "equal": "each stakeholder group counts the same",
    "as-present": "each participant counts once",
    "expected-mix": "groups count as in the expected mix",
}


def tuning_section(wb: Any, info: WorkshopInfo) -> list[str]:
    """The HTML parts of the "Tuned recommendation" section of ``info``'s minutes.

    States the version accepted for the case (from which workshop and round, method, group
    rule, who accepted it, when and why), what changed against what was shown before, and
    its rank probabilities (a figure and a table); then this workshop's stored versions,
    saying which are only proposed, or that none was proposed.
    """
    accepted = wb.recommendations.accepted(info.case_slug)
    history = wb.recommendations.history(info.case_slug)
    decisions = [e for e in history if e.action in DECISIONS]
    own = wb.recommendations.list(workshop_id=info.id)
    case = escape(info.case_slug)
    parts: list[str] = []
    if accepted is not None:
        decision = decisions[-1]  # the latest accept or rollback names the accepted version
        parts.append(
            f"<p><strong>Accepted for case study {case}: version <code>{escape(accepted.short)}"
            f"</code></strong>, {_origin(accepted, info)}. {_decided(decision)}</p>"
        )
        parts += _details(wb, accepted, decision.from_version or None)
    elif decisions:
        parts.append(
            f"<p>No tuned version is accepted for case study {case}: its app shows the "
            "evidence-based proposal without tuning again. "
            f"{_decided(decisions[-1], 'Rolled back to it')}</p>"
        )
    else:
        parts.append(
            f"<p>No tuned version has been accepted for case study {case}: its app shows the "
            "evidence-based proposal.</p>"
        )
    proposed = [v for v in own if v.status == "proposed"]
    if not own:
        parts.append("<p>No tuned version was proposed from this workshop's answers.</p>")
        return parts
    if proposed:
        latest = proposed[-1]
        parts.append(
            f"<p><strong>Proposed from this workshop, not accepted: version <code>"
            f"{escape(latest.short)}</code></strong>, {_origin(latest, info)}; proposed by "
            f"{escape(latest.created_by)} on {_when(latest.created_at)}.</p>"
        )
        if accepted is None:
            parts += _details(wb, latest, latest.parent)
    parts.append(_versions_table(own))
    return parts


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _origin(v: RecommendationInfo, info: WorkshopInfo) -> str:
    where = "this workshop" if v.workshop_id == info.id else f"workshop {v.workshop_id}"
    evidence = f"; evidence from {escape(v.evidence_model)}" if v.evidence_model else ""
    return (
        f"tuned from {where}'s round {v.round} with method {escape(v.method)} "
        f"({escape(METHOD_WORDS.get(v.method, v.method))}) and group rule "
        f"{escape(v.group_rule)} ({escape(RULE_WORDS.get(v.group_rule, v.group_rule))}), "
        f"{v.n_draws} draws{evidence}"
    )


#: how the minutes name the decision that made a version the accepted one
DECIDED = {"accept": "Accepted", "rollback": "Made the accepted one again (rollback)"}


def _decided(e: RecommendationEvent, done: str = "") -> str:
    reason = f": “{escape(e.reason)}”" if e.reason else ""
    return f"{done or DECIDED[e.action]} by {escape(e.actor)} on {_when(e.created_at)}{reason}."


def _details(wb: Any, v: RecommendationInfo, before: str | None) -> list[str]:
    """What changed against ``before`` (what was shown), and the rank probabilities."""
    from workbench.facilitation import alttext, plots
    from workbench.facilitation.summary import figure_html
    from workbench.tuning.charts import draws_phrase, rank_probability_chart
    from workbench.tuning.tune import ordinal
    from workbench.tuning.versions import short

    if before is not None and before != v.parent:
        against = f"version {short(before)}, accepted before it"
        lines = wb.recommendations.diff(before, v.version)[1:]
    else:
        against, lines = str(v.changes.get("against", "")), list(v.changes.get("lines", []))
    changed = "".join(f"<li>{escape(str(line))}</li>" for line in lines)
    parts = [
        f"<h3>What changed</h3><p>Against {escape(against)}:</p>"
        f"<ul class='wb-reasons'>{changed or '<li>Nothing.</li>'}</ul>"
    ]
    n = v.result.n_draws
    ranking = v.result.ranking
    labels = [v.labels.get(r.option, r.option) for r in ranking]
    items = [
        f"{r.rank}. {label}: first in {r.p_first:.0%}"
        + "".join(
            f", {ordinal(k)} in {p:.0%}" for k, p in enumerate(r.rank_probabilities, 1) if k > 1
        )
        for r, label in zip(ranking, labels, strict=True)
    ]
    alt = alttext.join(
        f"Rank probabilities of version {v.short}, best first, as shares of {n} draws: ", items
    )
    png = plots.png(rank_probability_chart(v.doc()))
    rows = "".join(
        f"<tr><td class='wb-num'>{r.rank}</td><th scope='row'>{escape(label)}</th>"
        f"<td class='wb-num'>{r.p_first:.0%} of draws</td><td>"
        + ", ".join(f"{ordinal(k)} {p:.0%}" for k, p in enumerate(r.rank_probabilities, 1))
        + "</td></tr>"
        for r, label in zip(ranking, labels, strict=True)
    )
    parts += [
        f"<h3>Rank probabilities</h3><p>How sure the ranking is: each option's share of the "
        f"{draws_phrase(v.doc())} in which it took each place.</p>",
        figure_html(png, alt),
        f"<table class='wb-table'><caption>Tuned ranking of version {escape(v.short)}"
        "</caption><thead><tr><th scope='col'>Rank</th><th scope='col'>Option</th>"
        "<th scope='col'>First in</th><th scope='col'>Each place</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>",
    ]
    return parts


def _versions_table(versions: Sequence[RecommendationInfo]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(v.short)}</code></td><td class='wb-num'>{v.round}</td>"
        f"<td>{escape(v.method)}, {escape(v.group_rule)}</td>"
        f"<td>{escape(v.labels.get(v.result.order[0], v.result.order[0]))}</td>"
        f"<td>{escape(v.status)}</td><td>{escape(v.created_by)}</td>"
        f"<td>{_when(v.created_at)}</td></tr>"
        for v in versions
    )
    return (
        "<table class='wb-table'><caption>Tuned versions stored from this workshop, oldest "
        "first</caption><thead><tr><th scope='col'>Version</th><th scope='col'>Round</th>"
        "<th scope='col'>Method, group rule</th><th scope='col'>First option</th>"
        "<th scope='col'>Status</th><th scope='col'>Proposed by</th><th scope='col'>When</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )
