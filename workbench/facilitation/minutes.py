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
from workbench.i18n import ENGLISH, LANGUAGES, N_, Translator, translator
from workbench.reports import html_exporter

if TYPE_CHECKING:
    from workbench.db.models import RecommendationEvent
    from workbench.facilitation.summary import WorkshopSummary
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
    t = translator(info.language)
    exporter = html_exporter(exclude_input=True)
    exporter.language_code = t.code  # <html lang="…">: the minutes' language
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": t._("Minutes: {title}").format(title=info.title)}}
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
        never imports the service layer that calls it), in the workshop's default language."""
        from workbench.facilitation.summary import summarise

        summary = summarise(wb, workshop_id, for_minutes=True)
        return cls(summary, tuning_section(wb, summary.info, summary.t))

    def show(self, section: str) -> None:
        """Display one section: escaped HTML, figures embedded with their text alternatives."""
        from IPython.display import HTML, display

        t = self.summary.t
        if section == "overview":
            parts = [overview_html(self.summary)]
        elif section == "tuning":
            parts = [f"<h2>{escape(t._('Tuned recommendation'))}</h2>", *self.tuning]
        else:
            parts = list(self.summary.minutes_section(section))
        if section == "method":
            parts.append("<ul>" + "".join(f"<li>{escape(t._(s))}</li>" for s in SOURCES) + "</ul>")
        for html in parts:
            display(HTML(html))


# -- the overview ------------------------------------------------------------------------------

#: sources of the methods, cited in the minutes
SOURCES = (
    N_(
        "Delphi consensus rules (IQR ≤ 1 on a 5-point scale; 70% agreement, the 70/15 rule "
        "on a 1–9 scale) and Kendall's W = 12S / (m²(n³−n) − m·ΣT): Diamond et al. (2014), "
        "Defining consensus: a systematic review recommends methodologic criteria for reporting "
        "of Delphi studies, J Clin Epidemiol 67(4):401–409, doi:10.1016/j.jclinepi.2013.12.002 "
        "(75% is the median percent-agreement threshold of the 100 studies it reviews); "
        "Kendall & Babington Smith (1939), Ann Math Stat 10(3):275–287."
    ),
    N_(
        "Opinion groups and group-informed consensus re-implemented from the description of "
        "Pol.is (Small et al. 2021, Polis: scaling deliberation by mapping high-dimensional "
        "opinion spaces, Recerca 26(2), doi:10.6035/recerca.5516; compdemocracy.org)."
    ),
)
#: a workshop's states, as people read them
STATES = {"draft": N_("draft"), "open": N_("open"), "closed": N_("closed")}


def overview_html(summary: WorkshopSummary) -> str:
    """The first section of the minutes: what the workshop was, in its default language."""
    i, t = summary.info, summary.t
    state = t._(STATES.get(i.state, i.state))
    rounds = t.ngettext("{state}, {n} round", "{state}, {n} rounds", i.current_round)
    offered = ", ".join(
        f'<span lang="{code}">{escape(translator(code).name)}</span>'
        for code in i.languages
        if code in LANGUAGES
    )
    facts = [
        (t._("Case study"), escape(i.case_slug)),
        (t._("State"), escape(rounds.format(state=state, n=i.current_round))),
        (t._("Opened"), _when(i.opened_at, t) if i.opened_at else "–"),
        (t._("Closed"), _when(i.closed_at, t) if i.closed_at else "–"),
        (t._("Evidence version"), f"<code>{escape(i.bundle_hash)}</code>"),
        (
            t._("Participants"),
            _h(
                t._("{registered} registered of {expected} expected").format(
                    registered=summary.registered, expected=i.expected_participants
                )
            ),
        ),
        (t._("Languages offered"), offered),
        (t._("Written"), _when(datetime.now(UTC), t)),
    ]
    lines = [
        f"<h1>{escape(t._('Workshop minutes: {title}').format(title=i.title))}</h1>",
        "<dl class='wb-facts'>",
        *(f"<dt>{escape(term)}</dt><dd>{value}</dd>" for term, value in facts),
        "</dl>",
        "<p>"
        + _h(
            t._(
                "Participants are shown by pseudonymous id only; names are never published. "
                "Results are for round {round} unless stated otherwise."
            ).format(round=summary.round)
        )
        + "</p>",
    ]
    if summary.synthetic:
        lines.append(
            f"<p><strong>{_h(t._('SYNTHETIC DEMO DATA.'))}</strong> "
            + _h(
                t._(
                    "The evidence shown to participants was built on generated "
                    "demonstration data, not official statistics."
                )
            )
            + "</p>"
        )
    elif summary.data_note:
        lines.append(f"<p><strong>{_h(t._('Data.'))}</strong> {escape(summary.data_note)}</p>")
    return "".join(lines)


# -- the tuned recommendation ----------------------------------------------------------------

#: what the method and group rule of a tuned version mean, in words
METHOD_WORDS = {
    "weighted-sum": N_("weighted sum of the scores"),
    "topsis": N_("TOPSIS, closest to the ideal option"),
}
RULE_WORDS = {
    "equal": N_("each stakeholder group counts the same"),
    "as-present": N_("each participant counts once"),
    "expected-mix": N_("groups count as in the expected mix"),
}
#: a stored version's status, as people read it
STATUS_WORDS = {
    "accepted": N_("accepted"),
    "was accepted": N_("was accepted"),
    "proposed": N_("proposed"),
}


def _word(words: dict[str, str], key: str, t: Translator) -> str:
    return t._(words[key]) if key in words else key


def tuning_section(wb: Any, info: WorkshopInfo, t: Translator = ENGLISH) -> list[str]:
    """The HTML parts of the "Tuned recommendation" section of ``info``'s minutes.

    States the version accepted for the case (from which workshop and round, method, group
    rule, who accepted it, when and why), what changed against what was shown before, and
    its rank probabilities (a figure and a table); then this workshop's stored versions,
    saying which are only proposed, or that none was proposed. In ``t``'s language.
    """
    accepted = wb.recommendations.accepted(info.case_slug)
    history = wb.recommendations.history(info.case_slug)
    decisions = [e for e in history if e.action in DECISIONS]
    own = wb.recommendations.list(workshop_id=info.id)
    case = escape(info.case_slug)
    parts: list[str] = []
    if accepted is not None:
        decision = decisions[-1]  # the latest accept or rollback names the accepted version
        head = _h(t._("Accepted for case study {case}: version {version}")).format(
            case=case, version=f"<code>{escape(accepted.short)}</code>"
        )
        parts.append(
            f"<p><strong>{head}</strong>, {_origin(accepted, info, t)}. {_decided(decision, t)}</p>"
        )
        parts += _details(wb, accepted, decision.from_version or None, t)
    elif decisions:
        said = t._(
            "No tuned version is accepted for case study {case}: its app shows the "
            "evidence-based proposal without tuning again."
        )
        parts.append(
            f"<p>{_h(said).format(case=case)} {_decided(decisions[-1], t, ROLLED_BACK)}</p>"
        )
    else:
        said = t._(
            "No tuned version has been accepted for case study {case}: its app shows the "
            "evidence-based proposal."
        )
        parts.append(f"<p>{_h(said).format(case=case)}</p>")
    proposed = [v for v in own if v.status == "proposed"]
    if not own:
        none = t._("No tuned version was proposed from this workshop's answers.")
        parts.append(f"<p>{_h(none)}</p>")
        return parts
    if proposed:
        latest = proposed[-1]
        head = _h(t._("Proposed from this workshop, not accepted: version {version}")).format(
            version=f"<code>{escape(latest.short)}</code>"
        )
        by = _h(t._("proposed by {name} on {when}.")).format(
            name=escape(latest.created_by), when=_when(latest.created_at, t)
        )
        parts.append(f"<p><strong>{head}</strong>, {_origin(latest, info, t)}; {by}</p>")
        if accepted is None:
            parts += _details(wb, latest, latest.parent, t)
    parts.append(_versions_table(own, t))
    return parts


def _h(text: str) -> str:
    return escape(text, quote=False)


def _when(value: datetime, t: Translator = ENGLISH) -> str:
    return escape(t.datetime(value.astimezone(UTC) if value.tzinfo else value))


def _origin(v: RecommendationInfo, info: WorkshopInfo, t: Translator) -> str:
    if v.workshop_id == info.id:
        said = t._(
            "tuned from this workshop's round {round} with method {method} ({method_words}) "
            "and group rule {rule} ({rule_words}), {n} draws"
        )
    else:
        said = t._(
            "tuned from workshop {workshop}'s round {round} with method {method} "
            "({method_words}) and group rule {rule} ({rule_words}), {n} draws"
        )
    text = _h(said).format(
        workshop=v.workshop_id,
        round=v.round,
        method=escape(v.method),
        method_words=escape(_word(METHOD_WORDS, v.method, t)),
        rule=escape(v.group_rule),
        rule_words=escape(_word(RULE_WORDS, v.group_rule, t)),
        n=v.n_draws,
    )
    if v.evidence_model:
        text += _h(t._("; evidence from {model}")).format(model=escape(v.evidence_model))
    return text


#: how the minutes name the decision that made a version the accepted one
DECIDED = {
    "accept": N_("Accepted by {actor} on {when}"),
    "rollback": N_("Made the accepted one again (rollback) by {actor} on {when}"),
}
ROLLED_BACK = N_("Rolled back to it by {actor} on {when}")


def _decided(e: RecommendationEvent, t: Translator, done: str = "") -> str:
    said = _h(t._(done or DECIDED[e.action])).format(
        actor=escape(e.actor), when=_when(e.created_at, t)
    )
    return f"{said}: “{escape(e.reason)}”." if e.reason else f"{said}."


def _place(k: int, t: Translator) -> str:
    """A rank as a place: 2nd in English; translators word it in their language."""
    from workbench.tuning.tune import ordinal

    if t.code == ENGLISH.code:
        return ordinal(k)
    return t.pgettext("rank place, e.g. 2nd", "#{n}").format(n=k)


def _draws(v: RecommendationInfo, t: Translator) -> str:
    """Like :func:`workbench.tuning.charts.draws_phrase`, in ``t``'s language."""
    n = v.doc()["n_draws"]
    if "evidence" in v.doc().get("criteria", ()):
        return t._("{n} draws (participants resampled, evidence drawn)").format(n=n)
    return t._("{n} draws (participants resampled)").format(n=n)


def _details(
    wb: Any, v: RecommendationInfo, before: str | None, t: Translator = ENGLISH
) -> list[str]:
    """What changed against ``before`` (what was shown), and the rank probabilities."""
    from workbench.facilitation import alttext, plots
    from workbench.facilitation.summary import figure_html
    from workbench.tuning.charts import rank_probability_chart
    from workbench.tuning.versions import short

    if before is not None and before != v.parent:
        against = t._("version {version}, accepted before it").format(version=short(before))
        lines = wb.recommendations.diff(before, v.version)[1:]
    else:
        against, lines = str(v.changes.get("against", "")), list(v.changes.get("lines", []))
    changed = "".join(f"<li>{escape(str(line))}</li>" for line in lines)
    nothing = f"<li>{_h(t._('Nothing.'))}</li>"
    parts = [
        f"<h3>{_h(t._('What changed'))}</h3>"
        f"<p>{_h(t._('Against {against}:')).format(against=escape(against))}</p>"
        f"<ul class='wb-reasons'>{changed or nothing}</ul>"
    ]
    n = v.result.n_draws
    ranking = v.result.ranking
    labels = [v.labels.get(r.option, r.option) for r in ranking]
    items = [
        t._("{rank}. {option}: first in {share}").format(
            rank=r.rank, option=label, share=t.percent(r.p_first)
        )
        + "".join(
            ", " + t._("{place} in {share}").format(place=_place(k, t), share=t.percent(p))
            for k, p in enumerate(r.rank_probabilities, 1)
            if k > 1
        )
        for r, label in zip(ranking, labels, strict=True)
    ]
    head = t._("Rank probabilities of version {version}, best first, as shares of {n} draws: ")
    alt = alttext.join(head.format(version=v.short, n=n), items, t=t)
    png = plots.png(rank_probability_chart(v.doc()))
    of_draws = _h(t._("{share} of draws"))
    rows = "".join(
        f"<tr><td class='wb-num'>{r.rank}</td><th scope='row'>{escape(label)}</th>"
        f"<td class='wb-num'>{of_draws.format(share=t.percent(r.p_first))}</td><td>"
        + ", ".join(f"{_place(k, t)} {t.percent(p)}" for k, p in enumerate(r.rank_probabilities, 1))
        + "</td></tr>"
        for r, label in zip(ranking, labels, strict=True)
    )
    sure = t._(
        "How sure the ranking is: each option's share of the {draws} in which it took each place."
    )
    caption = _h(t._("Tuned ranking of version {version}")).format(version=escape(v.short))
    heads = "".join(
        f"<th scope='col'>{_h(h)}</th>"
        for h in (t._("Rank"), t._("Option"), t._("First in"), t._("Each place"))
    )
    parts += [
        f"<h3>{_h(t._('Rank probabilities'))}</h3><p>{_h(sure.format(draws=_draws(v, t)))}</p>",
        figure_html(png, alt),
        f"<table class='wb-table'><caption>{caption}</caption><thead><tr>{heads}</tr></thead>"
        f"<tbody>{rows}</tbody></table>",
    ]
    return parts


def _versions_table(versions: Sequence[RecommendationInfo], t: Translator = ENGLISH) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(v.short)}</code></td><td class='wb-num'>{v.round}</td>"
        f"<td>{escape(v.method)}, {escape(v.group_rule)}</td>"
        f"<td>{escape(v.labels.get(v.result.order[0], v.result.order[0]))}</td>"
        f"<td>{escape(_word(STATUS_WORDS, v.status, t))}</td><td>{escape(v.created_by)}</td>"
        f"<td>{_when(v.created_at, t)}</td></tr>"
        for v in versions
    )
    caption = t._("Tuned versions stored from this workshop, oldest first")
    heads = "".join(
        f"<th scope='col'>{_h(h)}</th>"
        for h in (
            t._("Version"),
            t._("Round"),
            t._("Method, group rule"),
            t._("First option"),
            t._("Status"),
            t._("Proposed by"),
            t._("When"),
        )
    )
    return (
        f"<table class='wb-table'><caption>{_h(caption)}</caption><thead><tr>{heads}</tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )
