"""One workshop, summarised for people: figures (PNG) and escaped HTML blocks.

:func:`summarise` is the single place that turns the analysis of a workshop
(:mod:`workbench.participation.analysis`) into what the dashboard and the minutes show,
so the two always agree. Names never appear; participant text is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

import numpy as np

from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.facilitation import alttext, plots
from workbench.participation.moderation import LogEntry, ModerationItem
from workbench.participation.workshops import Participation, WorkshopInfo

#: sources of the methods, cited in the minutes
SOURCES = (
    "Delphi consensus rules (IQR ≤ 1 on a 5-point scale; 70% agreement, the 70/15 rule "
    "on a 1–9 scale) and Kendall's W = 12S / (m²(n³−n) − m·ΣT): Diamond et al. (2014), "
    "Defining consensus: a systematic review recommends methodologic criteria for reporting "
    "of Delphi studies, J Clin Epidemiol 67(4):401–409, doi:10.1016/j.jclinepi.2013.12.002 "
    "(75% is the median percent-agreement threshold of the 100 studies it reviews); "
    "Kendall & Babington Smith (1939), Ann Math Stat 10(3):275–287.",
    "Opinion groups and group-informed consensus re-implemented from the description of "
    "Pol.is (Small et al. 2021, Polis: scaling deliberation by mapping high-dimensional "
    "opinion spaces, Recerca 26(2), doi:10.6035/recerca.5516; compdemocracy.org).",
)


@dataclass
class WorkshopSummary:
    """Everything the dashboard page and the minutes show about one workshop."""

    info: WorkshopInfo
    participation: Participation
    round: int
    registered: int
    active: int
    n_feedback: int
    figures: dict[str, bytes] = field(default_factory=dict)
    #: the text alternative of each figure, stating its main numbers
    alt: dict[str, str] = field(default_factory=dict)
    html: dict[str, str] = field(default_factory=dict)
    queue: list[ModerationItem] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)
    synthetic: bool = False
    analysis: Any = None
    data_note: str = ""

    def minutes_section(self, name: str) -> Iterator[str]:
        """The HTML parts of one section of the minutes (figures as ``<img>`` with alt text)."""
        titles = {
            "participation": "Who took part",
            "ratings": "Ratings and Delphi consensus",
            "rankings": "Approval and ranking",
            "weights": "What matters most: criteria weights",
            "stability": "Stability between rounds",
            "opinions": "Opinion groups",
            "statements": "Statements: where the groups agree",
            "sensitivity": "Do the top options hold?",
            "comments": "What participants said",
            "moderation": "Moderation",
            "method": "Method and sources",
        }
        if name == "overview":
            yield self._overview()
            return
        yield f"<h2>{escape(titles[name])}</h2>"
        if name in self.figures:
            yield figure_html(self.figures[name], self.alt[name])
        extra = {"participation": "missing", "rankings": "consensus"}.get(name, name)
        if extra in self.html:
            yield self.html[extra]
        elif name == "comments":
            yield "<p>No comments.</p>"
        if name == "moderation":
            yield log_html(self.log)
        if name == "method":
            yield "<ul>" + "".join(f"<li>{escape(s)}</li>" for s in SOURCES) + "</ul>"

    def _overview(self) -> str:
        i = self.info
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"<h1>Workshop minutes: {escape(i.title)}</h1>",
            "<dl class='wb-facts'>",
            f"<dt>Case study</dt><dd>{escape(i.case_slug)}</dd>",
            f"<dt>State</dt><dd>{escape(i.state)}, {i.current_round} round(s)</dd>",
            f"<dt>Opened</dt><dd>{_date(i.opened_at)}</dd>",
            f"<dt>Closed</dt><dd>{_date(i.closed_at)}</dd>",
            f"<dt>Evidence version</dt><dd><code>{escape(i.bundle_hash)}</code></dd>",
            f"<dt>Participants</dt><dd>{self.registered} registered of "
            f"{i.expected_participants} expected</dd>",
            f"<dt>Written</dt><dd>{when}</dd>",
            "</dl>",
            "<p>Participants are shown by pseudonymous id only; names are never published. "
            f"Results are for round {self.round} unless stated otherwise.</p>",
        ]
        if self.synthetic:
            lines.append(
                "<p><strong>SYNTHETIC DEMO DATA.</strong> The evidence shown to participants "
                "was built on generated demonstration data, not official statistics.</p>"
            )
        elif self.data_note:
            lines.append(f"<p><strong>Data.</strong> {escape(self.data_note)}</p>")
        return "".join(lines)


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "–"


def log_html(log: list[LogEntry]) -> str:
    """The moderation log as an escaped HTML table."""
    if not log:
        return "<p>No moderation actions.</p>"
    rows = "".join(
        f"<tr><td>{e.created_at:%Y-%m-%d %H:%M}</td><td>{escape(e.action)}</td>"
        f"<td>{escape(e.target_kind)} {e.target_id}</td><td>{escape(e.reason)}</td>"
        f"<td>{escape(e.actor)}</td></tr>"
        for e in log
    )
    return (
        "<table class='wb-table'><thead><tr><th>When</th><th>Action</th><th>On</th>"
        f"<th>Reason</th><th>By</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def group_label(key: str | None) -> str:
    """A stakeholder group's display name."""
    return STAKEHOLDER_GROUPS.get(key or "", key or "not given")


def figure_html(png: bytes, alt: str) -> str:
    """An embedded PNG figure with its text alternative (escaped)."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img class="wb-figure" src="data:image/png;base64,{data}" alt="{escape(alt)}" '
        'style="max-width:100%;height:auto">'
    )


def participation_figures(info: WorkshopInfo, part: Participation) -> tuple[bytes, str, str]:
    """The participation chart, its text alternative and the "who is missing" text."""
    counts = {g["group"]: g for g in part.groups}
    keys = list(dict.fromkeys([*info.expected_mix, *counts]))
    registered = [int(counts.get(k, {}).get("registered", 0)) for k in keys]
    active = [int(counts.get(k, {}).get("active", 0)) for k in keys]
    expected = [int(info.expected_mix.get(k, 0)) for k in keys]
    labels = [group_label(k) for k in keys]
    fig = plots.participation(labels, registered, active, expected)
    alt = alttext.participation(labels, registered, active, expected)
    missing = [
        f"{escape(group_label(k))} ({r} of {e})"
        for k, r, e in zip(keys, registered, expected, strict=True)
        if e and r < e
    ]
    if missing:
        text = f"<p><strong>Missing:</strong> {', '.join(missing)}.</p>"
    elif info.expected_mix:
        text = "<p>Every expected stakeholder group is present.</p>"
    else:
        text = (
            "<p>No expected stakeholder mix was set for this workshop, so nobody can be "
            "flagged as missing (set <code>expected_mix</code> in the workshop spec).</p>"
        )
    text += (
        f"<p>{part.registered} registered of {part.expected} expected ({part.invited} "
        f"invited); {part.active} active in round {part.round}.</p>"
    )
    return plots.png(fig), alt, text


def summarise(
    wb: Any, workshop_id: int, *, for_minutes: bool = False, round_number: int | None = None
) -> WorkshopSummary:
    """Read, analyse and draw one workshop: round ``round_number`` (default: the current
    round; for the minutes, the last round with answers), compared with the one before."""
    from workbench.participation.analysis import analyse_workshop

    info = wb.workshops.get(workshop_id)
    # a round it does not have is a clear error, before any work
    number = info.current_round if round_number is None else info.round_or_current(round_number)
    part = wb.workshops.participation(workshop_id)
    summary = WorkshopSummary(
        info=info,
        participation=part,
        round=info.current_round,
        registered=part.registered,
        active=part.active,
        n_feedback=0,
        queue=wb.moderation.queue(workshop_id),
        log=wb.moderation.log(workshop_id),
        synthetic=_synthetic(wb, info),
        data_note=_data_note(wb, info),
    )
    png, alt, text = participation_figures(info, part)
    summary.figures["participation"], summary.html["missing"] = png, text
    summary.alt["participation"] = alt
    if info.current_round < 1:
        return summary
    current, previous = analyse_workshop(wb.db, workshop_id, number)
    while for_minutes and round_number is None and current.n_rows == 0 and number > 1:
        # the minutes report the last round with answers, not an empty new one
        number -= 1
        current, previous = analyse_workshop(wb.db, workshop_id, number)
    summary.round = number
    summary.analysis = current
    summary.n_feedback = current.n_rows
    _add_analysis(summary, current, previous)
    summary.html["comments"] = _comments_html(summary.queue, info)
    return summary


def _synthetic(wb: Any, info: WorkshopInfo) -> bool:
    for app in wb.apps():
        if app.id == info.publication_id:
            return bool(app.synthetic_data)
    return False


def _data_note(wb: Any, info: WorkshopInfo) -> str:
    for app in wb.apps():
        if app.id == info.publication_id:
            return str(app.data_note)
    return ""


def _comments_html(queue: list[ModerationItem], info: WorkshopInfo) -> str:
    labels = {o["key"]: o["label"] for o in info.options}
    shown = [i for i in queue if i.kind == "comment" and i.status == "visible"]
    if not shown:
        return "<p>No comments.</p>"
    shown.sort(key=lambda i: (i.round or 0, i.about or "", i.id))
    items = "".join(
        f"<li><strong>Round {i.round}, {escape(labels.get(i.about or '', 'general'))}</strong> "
        f"({escape(i.author or '')}): {escape(i.text)}</li>"
        for i in shown
    )
    return f"<ul class='wb-reasons'>{items}</ul>"


METHOD_LABELS = {
    "borda": "Borda",
    "approval": "Approval",
    "score": "Score (mean rating)",
    "group_consensus": "Group-informed consensus",
}


def _add_analysis(summary: WorkshopSummary, a: Any, previous: Any) -> None:
    """Figures and text from the analysis of the current round."""
    n_opt, n_crit = len(a.options), len(a.criteria)
    r = a.ratings
    grid = (n_opt, n_crit)
    median, iqr, consensus = (x.reshape(grid) for x in (r.median, r.iqr, r.consensus))
    args = (a.option_labels, a.criterion_labels, median, iqr)
    summary.figures["ratings"] = plots.png(plots.ratings_heatmap(*args, consensus, a.scale_max))
    summary.alt["ratings"] = alttext.ratings(*args, r.n.reshape(grid), consensus, a.scale_max)
    summary.html["ratings"] = _ratings_html(a)
    share = np.nan_to_num(a.approvals.share)
    summary.figures["rankings"] = plots.png(plots.rankings(a.option_labels, share, a.borda))
    summary.alt["rankings"] = alttext.rankings(a.option_labels, share, a.borda)
    summary.html["consensus"] = _concordance_html(a)
    weights = a.weights
    if weights is None or not weights.asked:
        summary.html["weights"] = (
            "<p>This workshop does not ask participants to spread points over the criteria.</p>"
        )
    else:
        summary.figures["weights"], summary.alt["weights"], summary.html["weights"] = _weights(
            weights
        )
    for name, part in (
        ("stability", _stability),
        ("opinions", _opinions),
        ("statements", _statements),
        ("sensitivity", _sensitivity),
    ):
        summary.figures[name], summary.alt[name], summary.html[name] = part(a)


def _fmt(x: float | None, digits: int = 1) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    text = f"{x:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _ratings_html(a: Any) -> str:
    r = a.ratings
    n_crit = len(a.criteria)
    rows = []
    for i in range(len(r.n)):
        option, criterion = a.option_labels[i // n_crit], a.criterion_labels[i % n_crit]
        consensus = {"in": "agreed: in", "out": "agreed: out"}.get(str(r.agreement[i]), "")
        rated = r.n[i] > 0
        if r.consensus[i]:
            verdict = f"<span class='wb-status-ok'>✓ consensus ({consensus})</span>"
        elif not rated:
            verdict = "<span class='wb-muted'>no ratings yet: asked again next round</span>"
        else:
            verdict = "<span class='wb-muted'>no consensus: asked again next round</span>"
        iqr = f"{_fmt(r.q1[i])}–{_fmt(r.q3[i])}" if rated else "–"
        top = f"{_fmt(r.top_share[i] * 100, 0)}%" if rated else "–"
        rows.append(
            f"<tr><td>{escape(option)}</td><td>{escape(criterion)}</td>"
            f"<td class='wb-num'>{int(r.n[i])}</td><td class='wb-num'>{_fmt(r.median[i])}</td>"
            f"<td class='wb-num'>{iqr}</td><td class='wb-num'>{top}</td><td>{verdict}</td></tr>"
        )
    settled = int(np.sum(r.consensus))
    return (
        f"<p>{settled} of {len(r.n)} items reached consensus in round {a.round}.</p>"
        "<table class='wb-table'><thead><tr><th>Option</th><th>Criterion</th><th>n</th>"
        "<th>Median</th><th>Middle half (IQR)</th><th>Top band</th><th>Consensus</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _concordance_html(a: Any) -> str:
    parts = [
        f"<p>Approvals from {a.approval_voters} participant(s); rankings from {a.rankings}.</p>"
    ]
    labels = {"ranking": "the rankings"} | {
        f"rating:{c}": f"ratings on {label}"
        for c, label in zip(a.criteria, a.criterion_labels, strict=True)
    }
    for key, kw in a.concordance.items():
        parts.append(
            f"<p>Kendall's W for {escape(labels.get(key, key))}: <strong>{kw.w:.2f}</strong> "
            f"({kw.m} raters, {kw.n} options; χ² = {kw.chi2:.1f}, p = {kw.p_value:.3f}). "
            "1 means everyone orders the options the same way, 0 no agreement.</p>"
        )
    if not a.concordance:
        parts.append("<p>Kendall's W needs at least two rankings.</p>")
    return "".join(parts)


def _weights(wt: Any) -> tuple[bytes, str, str]:
    """Criteria weights (mean points / budget) overall and per stakeholder group."""
    groups = [group_label(g) for g in wt.groups]
    counted = [f"{g} ({int(n)})" for g, n in zip(groups, wt.group_n, strict=True)]
    fig = plots.weights(
        wt.criterion_labels, wt.overall, counted, wt.by_group, overall_label=f"overall ({wt.n})"
    )
    alt = alttext.weights(
        wt.criterion_labels, wt.overall, wt.n, groups, wt.by_group, wt.group_n.tolist()
    )
    if wt.n == 0:
        return plots.png(fig), alt, "<p>Nobody has spread their points yet.</p>"
    heads = "".join(
        f"<th scope='col'>{escape(g)} ({int(n)})</th>"
        for g, n in zip(groups, wt.group_n, strict=True)
    )
    table = np.column_stack([wt.overall, wt.by_group.T])  # criteria × (overall, groups)
    rows = "".join(
        f"<tr><th scope='row'>{escape(label)}</th>"
        + "".join(f"<td class='wb-num'>{_fmt(x, 3)}</td>" for x in table[j])
        + "</tr>"
        for j, label in enumerate(wt.criterion_labels)
    )
    text = (
        f"<p>{wt.n} participant(s) spread {wt.budget} points each over the criteria. A weight is "
        f"the mean of the points a criterion received divided by {wt.budget}; each column adds "
        "up to 1.</p>"
        "<table class='wb-table'><caption>Criteria weights, overall and per stakeholder group "
        f"(participants)</caption><thead><tr><th scope='col'>Criterion</th>"
        f"<th scope='col'>Overall ({wt.n})</th>{heads}</tr></thead><tbody>{rows}</tbody></table>"
    )
    return plots.png(fig), alt, text


def _stability(a: Any) -> tuple[bytes, str, str]:
    st = a.stability
    if st is None:
        fig = plots.stability([], [], 0.15)
        alt = alttext.stability([], [], 0.15)
        return plots.png(fig), alt, "<p>Stability is measured from round 2 on.</p>"
    keys = [f"{o} / {c}" for o in a.option_labels for c in a.criterion_labels]
    known = [i for i in range(len(keys)) if np.isfinite(st.cv_change[i])]
    items, changes = [keys[i] for i in known], [float(st.cv_change[i]) for i in known]
    fig = plots.stability(items, changes, st.threshold)
    stable = int(np.sum(st.stable[known])) if known else 0
    kappas = [float(st.kappa[i]) for i in known if np.isfinite(st.kappa[i])]
    kappa = f" Median weighted kappa between rounds: {np.median(kappas):.2f}." if kappas else ""
    text = (
        f"<p>{stable} of {len(known)} items are stable between round {a.previous_round} and "
        f"round {a.round} (change in coefficient of variation below {st.threshold:g}).{kappa}</p>"
    )
    return plots.png(fig), alttext.stability(items, changes, st.threshold), text


def _code(a: Any, statement_id: int) -> str:
    return f"S{a.statement_ids.index(statement_id) + 1}"


def _opinions(a: Any) -> tuple[bytes, str, str]:
    g = a.opinions
    if not g.found:
        fig = plots.opinion_map(np.zeros((0, 2)), np.zeros(0, int), [])
        reason = escape(g.reason or "not enough votes")
        return plots.png(fig), alttext.opinion_map([]), f"<p>No opinion groups yet: {reason}.</p>"
    fig = plots.opinion_map(np.asarray(g.coords), np.asarray(g.labels), g.group_sizes)
    texts = dict(zip(a.statement_ids, a.statement_texts, strict=True))
    parts = [
        f"<p>{sum(g.group_sizes)} participants with enough votes form {g.k} opinion groups "
        f"(silhouette {g.silhouette.get(g.k, float('nan')):.2f}).</p>"
    ]
    for gi, reps in enumerate(g.representative):
        name = f"group {chr(65 + gi)} ({g.group_sizes[gi]})"
        if not reps:
            parts.append(f"<p><strong>{name}</strong>: no statement sets it apart.</p>")
            continue
        items = "".join(
            f"<li>{_code(a, rep.statement_id)} “{escape(texts[rep.statement_id])}”: "
            f"{_share(g.agrees[gi], g.votes[gi], a.statement_ids.index(rep.statement_id))} "
            f"of the group agree, {_others(g, gi, a.statement_ids.index(rep.statement_id))} "
            f"of the others (z = {rep.z:.1f})</li>"
            for rep in reps
        )
        parts.append(f"<p><strong>{name}</strong> agrees more than the others with:</p>")
        parts.append(f"<ul>{items}</ul>")
    return plots.png(fig), alttext.opinion_map(list(g.group_sizes)), "".join(parts)


def _share(agrees: Any, votes: Any, j: int) -> str:
    return f"{agrees[j] / votes[j] * 100:.0f}%" if votes[j] else "–"


def _others(g: Any, gi: int, j: int) -> str:
    rest = [h for h in range(g.k) if h != gi]
    return _share(g.agrees[rest].sum(axis=0), g.votes[rest].sum(axis=0), j)


def _statements(a: Any) -> tuple[bytes, str, str]:
    g = a.opinions
    codes = [f"S{i + 1}" for i in range(len(a.statement_ids))]
    if g.found and len(codes):
        consensus = [g.consensus.get(sid, float("nan")) for sid in a.statement_ids]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(g.votes > 0, g.agrees / np.maximum(g.votes, 1), 0.0).T
        fig = plots.statement_consensus(codes, consensus, share)
        alt = alttext.statement_consensus(codes, consensus, share)
    else:
        consensus = [float("nan")] * len(codes)
        fig = plots.statement_consensus([], [], np.zeros((0, 0)))
        alt = alttext.statement_consensus([], [], np.zeros((0, 0)))
    rows = "".join(
        f"<tr><td class='wb-num'>{code}</td><td>{escape(text)}</td>"
        f"<td class='wb-num'>{int(a.votes.agree[i])}</td>"
        f"<td class='wb-num'>{int(a.votes.disagree[i])}</td>"
        f"<td class='wb-num'>{int(a.votes.passes[i])}</td>"
        f"<td class='wb-num'>{_fmt(consensus[i], 2)}</td></tr>"
        for i, (code, text) in enumerate(zip(codes, a.statement_texts, strict=True))
    )
    table = (
        "<table class='wb-table'><thead><tr><th></th><th>Statement</th><th>Agree</th>"
        "<th>Disagree</th><th>Pass</th><th>Group-informed consensus</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        if rows
        else "<p>No statements open for voting.</p>"
    )
    return plots.png(fig), alt, table


def _sensitivity(a: Any) -> tuple[bytes, str, str]:
    sens = a.sensitivity
    labels = dict(zip(a.options, a.option_labels, strict=True))
    methods = [METHOD_LABELS.get(m.method, m.method) for m in sens.methods]
    ranks = np.full((len(sens.methods), len(a.options)), np.nan)
    for i, m in enumerate(sens.methods):
        scores = np.asarray(m.scores, dtype=float)
        for j, score in enumerate(scores):
            if np.isfinite(score):  # competition ranking: ties share a rank (1, 1, 3)
                ranks[i, j] = 1 + int(np.sum(scores[np.isfinite(scores)] > score + 1e-12))
    fig = plots.sensitivity(a.option_labels, methods, ranks)
    alt = alttext.sensitivity(a.option_labels, methods, ranks)
    if not sens.methods:
        text = "<p>No method has enough answers yet.</p>"
    elif sens.consistent:
        tops = ", ".join(escape(labels[o]) for o in sens.robust_top)
        text = f"<p><strong>The top option holds under every method:</strong> {tops}.</p>"
    else:
        per = "; ".join(
            f"{escape(METHOD_LABELS.get(m.method, m.method))}: "
            + ", ".join(escape(labels[o]) for o in m.top)
            for m in sens.methods
        )
        text = f"<p><strong>The top option depends on the method.</strong> {per}.</p>"
    for method, why in sens.unavailable.items():
        text += (
            f"<p class='wb-muted'>{escape(METHOD_LABELS.get(method, method))}: {escape(why)}.</p>"
        )
    return plots.png(fig), alt, text


__all__ = ["WorkshopSummary", "figure_html", "log_html", "participation_figures", "summarise"]
