"""One workshop, summarised for people: figures (PNG) and escaped HTML blocks.

:func:`summarise` is the single place that turns the analysis of a workshop
(:mod:`workbench.participation.analysis`) into what the dashboard and the minutes show,
so the two always agree. Names never appear; participant text is escaped. Everything is
in the workshop's default language (``WorkshopInfo.language``); a participant's text in
another language is marked with its ``lang`` and a visible tag (:func:`text_html`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

import numpy as np

from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.facilitation import alttext, plots
from workbench.i18n import ENGLISH, LANGUAGES, N_, Translator, translator
from workbench.participation.moderation import LogEntry, ModerationItem
from workbench.participation.workshops import Participation, WorkshopInfo
from workbench.terms import written_html as text_html

#: the titles of the minutes' sections
TITLES = {
    "participation": N_("Who took part"),
    "ratings": N_("Ratings and Delphi consensus"),
    "rankings": N_("Approval and ranking"),
    "weights": N_("What matters most: criteria weights"),
    "stability": N_("Stability between rounds"),
    "opinions": N_("Opinion groups"),
    "statements": N_("Statements: where the groups agree"),
    "sensitivity": N_("Do the top options hold?"),
    "comments": N_("What participants said"),
    "moderation": N_("Moderation"),
    "method": N_("Method and sources"),
}


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
    #: the language everything is written in (the workshop's default language)
    t: Translator = ENGLISH

    def minutes_section(self, name: str) -> Iterator[str]:
        """The HTML parts of one section of the minutes (figures as ``<img>`` with alt text);
        the overview and the sources of the methods are added by
        :class:`~workbench.facilitation.minutes.MinutesView`."""
        t = self.t
        yield f"<h2>{escape(t._(TITLES[name]))}</h2>"
        if name in self.figures:
            yield figure_html(self.figures[name], self.alt[name])
        extra = {"participation": "missing", "rankings": "consensus"}.get(name, name)
        if extra in self.html:
            yield self.html[extra]
        elif name == "comments":
            yield f"<p>{_h(t._('No comments.'))}</p>"
        if name == "moderation":
            yield log_html(self.log, t)


def _h(text: str) -> str:
    """Text (a translated message, filled) for an HTML text node."""
    return escape(text, quote=False)


def _date(value: datetime | None, t: Translator = ENGLISH) -> str:
    return escape(t.datetime(value)) if value else "–"


def language_of(row: object) -> str | None:
    """The language a participant's text is written in, if it says (a dict or an object)."""
    value = row.get("language") if isinstance(row, Mapping) else getattr(row, "language", None)
    return value if value in LANGUAGES else None


def log_html(log: list[LogEntry], t: Translator = ENGLISH) -> str:
    """The moderation log as an escaped HTML table."""
    if not log:
        return f"<p>{_h(t._('No moderation actions.'))}</p>"
    rows = "".join(
        f"<tr><td>{_date(e.created_at, t)}</td><td>{escape(e.action)}</td>"
        f"<td>{escape(e.target_kind)} {e.target_id}</td><td>{escape(e.reason)}</td>"
        f"<td>{escape(e.actor)}</td></tr>"
        for e in log
    )
    heads = "".join(
        f"<th>{escape(h)}</th>"
        for h in (t._("When"), t._("Action"), t._("On"), t._("Reason"), t._("By"))
    )
    return f"<table class='wb-table'><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"


def group_label(key: str | None, t: Translator = ENGLISH) -> str:
    """A stakeholder group's display name (its English name when not yet translated)."""
    if not key:
        return t._("not given")
    return t._(STAKEHOLDER_GROUPS[key]) if key in STAKEHOLDER_GROUPS else key


def figure_html(png: bytes, alt: str) -> str:
    """An embedded PNG figure with its text alternative (escaped)."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img class="wb-figure" src="data:image/png;base64,{data}" alt="{escape(alt)}" '
        'style="max-width:100%;height:auto">'
    )


def participation_figures(
    info: WorkshopInfo, part: Participation, t: Translator = ENGLISH
) -> tuple[bytes, str, str]:
    """The participation chart, its text alternative and the "who is missing" text."""
    counts = {g["group"]: g for g in part.groups}
    keys = list(dict.fromkeys([*info.expected_mix, *counts]))
    registered = [int(counts.get(k, {}).get("registered", 0)) for k in keys]
    active = [int(counts.get(k, {}).get("active", 0)) for k in keys]
    expected = [int(info.expected_mix.get(k, 0)) for k in keys]
    labels = [group_label(k, t) for k in keys]
    fig = plots.participation(labels, registered, active, expected, t)
    alt = alttext.participation(labels, registered, active, expected, t)
    missing = [
        escape(
            t._("{group} ({registered} of {expected})").format(
                group=label, registered=r, expected=e
            )
        )
        for label, r, e in zip(labels, registered, expected, strict=True)
        if e and r < e
    ]
    if missing:
        text = f"<p><strong>{_h(t._('Missing:'))}</strong> {', '.join(missing)}.</p>"
    elif info.expected_mix:
        text = f"<p>{_h(t._('Every expected stakeholder group is present.'))}</p>"
    else:
        note = t._(
            "No expected stakeholder mix was set for this workshop, so nobody can be "
            "flagged as missing (set {field} in the workshop spec)."
        )
        text = f"<p>{_h(note).format(field='<code>expected_mix</code>')}</p>"
    text += (
        "<p>"
        + _h(
            t._(
                "{registered} registered of {expected} expected ({invited} invited); "
                "{active} active in round {round}."
            ).format(
                registered=part.registered,
                expected=part.expected,
                invited=part.invited,
                active=part.active,
                round=part.round,
            )
        )
        + "</p>"
    )
    return plots.png(fig), alt, text


def summarise(
    wb: Any,
    workshop_id: int,
    *,
    for_minutes: bool = False,
    round_number: int | None = None,
    t: Translator | None = None,
) -> WorkshopSummary:
    """Read, analyse and draw one workshop: round ``round_number`` (default: the current
    round; for the minutes, the last round with answers), compared with the one before;
    in ``t``'s language (default: the workshop's default language)."""
    from workbench.participation.analysis import analyse_workshop

    info = wb.workshops.get(workshop_id)
    t = t or translator(info.language)
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
        t=t,
    )
    png, alt, text = participation_figures(info, part, t)
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
    languages = {
        int(st["id"]): language_of(st) for st in wb.feedback.statements(workshop_id=workshop_id)
    }
    _add_analysis(summary, current, previous, languages)
    summary.html["comments"] = _comments_html(summary.queue, info, t)
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


def _comments_html(queue: list[ModerationItem], info: WorkshopInfo, t: Translator) -> str:
    labels = {o["key"]: o["label"] for o in info.options}
    shown = [i for i in queue if i.kind == "comment" and i.status == "visible"]
    if not shown:
        return f"<p>{_h(t._('No comments.'))}</p>"
    shown.sort(key=lambda i: (i.round or 0, i.about or "", i.id))
    items = "".join(
        "<li><strong>"
        + escape(
            t._("Round {number}, {about}").format(
                number=i.round, about=labels.get(i.about or "", t._("general"))
            )
        )
        + f"</strong> ({escape(i.author or '')}): {text_html(i.text, language_of(i), t)}</li>"
        for i in shown
    )
    return f"<ul class='wb-reasons'>{items}</ul>"


METHOD_LABELS = {
    "borda": N_("Borda"),
    "approval": N_("Approval"),
    "score": N_("Score (mean rating)"),
    "group_consensus": N_("Group-informed consensus"),
}


def _method(name: str, t: Translator) -> str:
    return t._(METHOD_LABELS[name]) if name in METHOD_LABELS else name


def _add_analysis(
    summary: WorkshopSummary, a: Any, previous: Any, languages: Mapping[int, str | None]
) -> None:
    """Figures and text from the analysis of the current round."""
    t = summary.t
    n_opt, n_crit = len(a.options), len(a.criteria)
    r = a.ratings
    grid = (n_opt, n_crit)
    median, iqr, consensus = (x.reshape(grid) for x in (r.median, r.iqr, r.consensus))
    args = (a.option_labels, a.criterion_labels, median, iqr)
    summary.figures["ratings"] = plots.png(plots.ratings_heatmap(*args, consensus, a.scale_max, t))
    summary.alt["ratings"] = alttext.ratings(*args, r.n.reshape(grid), consensus, a.scale_max, t)
    summary.html["ratings"] = _ratings_html(a, t)
    share = np.nan_to_num(a.approvals.share)
    summary.figures["rankings"] = plots.png(plots.rankings(a.option_labels, share, a.borda, t))
    summary.alt["rankings"] = alttext.rankings(a.option_labels, share, a.borda, t)
    summary.html["consensus"] = _concordance_html(a, t)
    weights = a.weights
    if weights is None or not weights.asked:
        summary.html["weights"] = "<p>{}</p>".format(
            _h(t._("This workshop does not ask participants to spread points over the criteria."))
        )
    else:
        summary.figures["weights"], summary.alt["weights"], summary.html["weights"] = _weights(
            weights, t
        )
    summary.figures["stability"], summary.alt["stability"], summary.html["stability"] = _stability(
        a, t
    )
    summary.figures["opinions"], summary.alt["opinions"], summary.html["opinions"] = _opinions(
        a, t, languages
    )
    summary.figures["statements"], summary.alt["statements"], summary.html["statements"] = (
        _statements(a, t, languages)
    )
    summary.figures["sensitivity"], summary.alt["sensitivity"], summary.html["sensitivity"] = (
        _sensitivity(a, t)
    )


def _fmt(x: float | None, digits: int = 1, t: Translator = ENGLISH) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return alttext.num(x, digits, t)


def _heads(*names: str) -> str:
    return "".join(f"<th>{_h(name)}</th>" for name in names)


def _ratings_html(a: Any, t: Translator) -> str:
    r = a.ratings
    n_crit = len(a.criteria)
    rows = []
    for i in range(len(r.n)):
        option, criterion = a.option_labels[i // n_crit], a.criterion_labels[i % n_crit]
        rated = r.n[i] > 0
        if r.consensus[i]:
            agreed = {
                "in": t._("✓ consensus (agreed: in)"),
                "out": t._("✓ consensus (agreed: out)"),
            }
            verdict = agreed.get(str(r.agreement[i]), t._("✓ consensus"))
            verdict = f"<span class='wb-status-ok'>{_h(verdict)}</span>"
        elif not rated:
            verdict = t._("no ratings yet: asked again next round")
            verdict = f"<span class='wb-muted'>{_h(verdict)}</span>"
        else:
            verdict = t._("no consensus: asked again next round")
            verdict = f"<span class='wb-muted'>{_h(verdict)}</span>"
        iqr = f"{_fmt(r.q1[i], t=t)}–{_fmt(r.q3[i], t=t)}" if rated else "–"
        top = t.percent(float(r.top_share[i])) if rated else "–"
        rows.append(
            f"<tr><td>{escape(option)}</td><td>{escape(criterion)}</td>"
            f"<td class='wb-num'>{int(r.n[i])}</td><td class='wb-num'>{_fmt(r.median[i], t=t)}</td>"
            f"<td class='wb-num'>{iqr}</td><td class='wb-num'>{top}</td><td>{verdict}</td></tr>"
        )
    settled = t._("{settled} of {total} items reached consensus in round {round}.").format(
        settled=int(np.sum(r.consensus)), total=len(r.n), round=a.round
    )
    heads = _heads(
        t._("Option"), t._("Criterion"), t._("n"), t._("Median"), t._("Middle half (IQR)"),
        t._("Top band"), t._("Consensus"),
    )  # fmt: skip
    return (
        f"<p>{_h(settled)}</p><table class='wb-table'><thead><tr>{heads}</tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _concordance_html(a: Any, t: Translator) -> str:
    said = t.ngettext(
        "Approvals from {n} participant; rankings from {rankings}.",
        "Approvals from {n} participants; rankings from {rankings}.",
        a.approval_voters,
    )
    parts = [f"<p>{_h(said.format(n=a.approval_voters, rankings=a.rankings))}</p>"]
    labels = {"ranking": t._("the rankings")} | {
        f"rating:{c}": t._("ratings on {criterion}").format(criterion=label)
        for c, label in zip(a.criteria, a.criterion_labels, strict=True)
    }
    for key, kw in a.concordance.items():
        w = f"<strong>{t.number(kw.w, 2)}</strong>"
        text = _h(
            t._(
                "Kendall's W for {what}: {w} ({m} raters, {n} options; χ² = {chi2}, p = {p}). "
                "1 means everyone orders the options the same way, 0 no agreement."
            )
        )
        fields = {"m": kw.m, "n": kw.n, "chi2": t.number(kw.chi2, 1), "p": t.number(kw.p_value, 3)}
        parts.append(f"<p>{text.format(what=escape(labels.get(key, key)), w=w, **fields)}</p>")
    if not a.concordance:
        parts.append("<p>{}</p>".format(_h(t._("Kendall's W needs at least two rankings."))))
    return "".join(parts)


def _weights(wt: Any, t: Translator) -> tuple[bytes, str, str]:
    """Criteria weights (mean points / budget) overall and per stakeholder group."""
    groups = [group_label(g, t) for g in wt.groups]
    counted = [f"{g} ({int(n)})" for g, n in zip(groups, wt.group_n, strict=True)]
    overall = t._("overall ({n})").format(n=wt.n)
    fig = plots.weights(wt.criterion_labels, wt.overall, counted, wt.by_group, overall, t)
    alt = alttext.weights(
        wt.criterion_labels, wt.overall, wt.n, groups, wt.by_group, wt.group_n.tolist(), t
    )
    if wt.n == 0:
        return plots.png(fig), alt, f"<p>{_h(t._('Nobody has spread their points yet.'))}</p>"
    heads = "".join(
        f"<th scope='col'>{escape(g)} ({int(n)})</th>"
        for g, n in zip(groups, wt.group_n, strict=True)
    )
    table = np.column_stack([wt.overall, wt.by_group.T])  # criteria × (overall, groups)
    rows = "".join(
        f"<tr><th scope='row'>{escape(label)}</th>"
        + "".join(f"<td class='wb-num'>{_fmt(x, 3, t)}</td>" for x in table[j])
        + "</tr>"
        for j, label in enumerate(wt.criterion_labels)
    )
    said = t.ngettext(
        "{n} participant spread {budget} points each over the criteria. A weight is the mean "
        "of the points a criterion received divided by {budget}; each column adds up to 1.",
        "{n} participants spread {budget} points each over the criteria. A weight is the mean "
        "of the points a criterion received divided by {budget}; each column adds up to 1.",
        wt.n,
    ).format(n=wt.n, budget=wt.budget)
    caption = t._("Criteria weights, overall and per stakeholder group (participants)")
    text = (
        f"<p>{_h(said)}</p><table class='wb-table'><caption>{_h(caption)}</caption><thead><tr>"
        f"<th scope='col'>{_h(t._('Criterion'))}</th><th scope='col'>"
        f"{_h(t._('Overall ({n})').format(n=wt.n))}</th>{heads}</tr></thead><tbody>{rows}"
        "</tbody></table>"
    )
    return plots.png(fig), alt, text


def _stability(a: Any, t: Translator) -> tuple[bytes, str, str]:
    st = a.stability
    if st is None:
        fig = plots.stability([], [], 0.15, t)
        alt = alttext.stability([], [], 0.15, t)
        return plots.png(fig), alt, f"<p>{_h(t._('Stability is measured from round 2 on.'))}</p>"
    keys = [f"{o} / {c}" for o in a.option_labels for c in a.criterion_labels]
    known = [i for i in range(len(keys)) if np.isfinite(st.cv_change[i])]
    items, changes = [keys[i] for i in known], [float(st.cv_change[i]) for i in known]
    fig = plots.stability(items, changes, st.threshold, t)
    stable = int(np.sum(st.stable[known])) if known else 0
    kappas = [float(st.kappa[i]) for i in known if np.isfinite(st.kappa[i])]
    said = t._(
        "{stable} of {n} items are stable between round {previous} and round {round} (change "
        "in coefficient of variation below {threshold})."
    ).format(
        stable=stable,
        n=len(known),
        previous=a.previous_round,
        round=a.round,
        threshold=alttext.num(st.threshold, 3, t),
    )
    if kappas:
        kappa = t._("Median weighted kappa between rounds: {kappa}.")
        said += " " + kappa.format(kappa=t.number(float(np.median(kappas)), 2))
    return plots.png(fig), alttext.stability(items, changes, st.threshold, t), f"<p>{_h(said)}</p>"


def _code(a: Any, statement_id: int) -> str:
    return f"S{a.statement_ids.index(statement_id) + 1}"


def _opinions(a: Any, t: Translator, languages: Mapping[int, str | None]) -> tuple[bytes, str, str]:
    g = a.opinions
    if not g.found:
        fig = plots.opinion_map(np.zeros((0, 2)), np.zeros(0, int), [], t)
        reason = g.reason or t._("not enough votes")
        said = _h(t._("No opinion groups yet: {reason}.")).format(reason=escape(reason))
        return plots.png(fig), alttext.opinion_map([], t), f"<p>{said}</p>"
    fig = plots.opinion_map(np.asarray(g.coords), np.asarray(g.labels), g.group_sizes, t)
    texts = dict(zip(a.statement_ids, a.statement_texts, strict=True))
    said = t._(
        "{n} participants with enough votes form {k} opinion groups (silhouette {silhouette})."
    ).format(
        n=sum(g.group_sizes), k=g.k, silhouette=t.number(g.silhouette.get(g.k, float("nan")), 2)
    )
    parts = [f"<p>{_h(said)}</p>"]
    for gi, reps in enumerate(g.representative):
        name = escape(f"{alttext.group_name(gi, t)} ({g.group_sizes[gi]})")
        if not reps:
            none = _h(t._("{group}: no statement sets it apart."))
            parts.append(f"<p>{none.format(group=f'<strong>{name}</strong>')}</p>")
            continue
        line = _h(
            t._("{code} “{text}”: {share} of the group agree, {others} of the others (z = {z})")
        )
        items = "".join(
            "<li>"
            + line.format(
                code=_code(a, rep.statement_id),
                text=text_html(texts[rep.statement_id], languages.get(rep.statement_id), t),
                share=_share(g.agrees[gi], g.votes[gi], a.statement_ids.index(rep.statement_id), t),
                others=_others(g, gi, a.statement_ids.index(rep.statement_id), t),
                z=t.number(rep.z, 1),
            )
            + "</li>"
            for rep in reps
        )
        more = _h(t._("{group} agrees more than the others with:"))
        parts.append(f"<p>{more.format(group=f'<strong>{name}</strong>')}</p>")
        parts.append(f"<ul>{items}</ul>")
    return plots.png(fig), alttext.opinion_map(list(g.group_sizes), t), "".join(parts)


def _share(agrees: Any, votes: Any, j: int, t: Translator) -> str:
    return t.percent(agrees[j] / votes[j]) if votes[j] else "–"


def _others(g: Any, gi: int, j: int, t: Translator) -> str:
    rest = [h for h in range(g.k) if h != gi]
    return _share(g.agrees[rest].sum(axis=0), g.votes[rest].sum(axis=0), j, t)


def _statements(
    a: Any, t: Translator, languages: Mapping[int, str | None]
) -> tuple[bytes, str, str]:
    g = a.opinions
    codes = [f"S{i + 1}" for i in range(len(a.statement_ids))]
    if g.found and len(codes):
        consensus = [g.consensus.get(sid, float("nan")) for sid in a.statement_ids]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(g.votes > 0, g.agrees / np.maximum(g.votes, 1), 0.0).T
        fig = plots.statement_consensus(codes, consensus, share, t)
        alt = alttext.statement_consensus(codes, consensus, share, t)
    else:
        consensus = [float("nan")] * len(codes)
        fig = plots.statement_consensus([], [], np.zeros((0, 0)), t)
        alt = alttext.statement_consensus([], [], np.zeros((0, 0)), t)
    rows = "".join(
        f"<tr><td class='wb-num'>{code}</td>"
        f"<td>{text_html(text, languages.get(int(a.statement_ids[i])), t)}</td>"
        f"<td class='wb-num'>{int(a.votes.agree[i])}</td>"
        f"<td class='wb-num'>{int(a.votes.disagree[i])}</td>"
        f"<td class='wb-num'>{int(a.votes.passes[i])}</td>"
        f"<td class='wb-num'>{_fmt(consensus[i], 2, t)}</td></tr>"
        for i, (code, text) in enumerate(zip(codes, a.statement_texts, strict=True))
    )
    heads = _heads(
        "", t._("Statement"), t._("Agree"), t._("Disagree"), t._("Pass"),
        t._("Group-informed consensus"),
    )  # fmt: skip
    table = (
        f"<table class='wb-table'><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else f"<p>{_h(t._('No statements open for voting.'))}</p>"
    )
    return plots.png(fig), alt, table


def _sensitivity(a: Any, t: Translator) -> tuple[bytes, str, str]:
    sens = a.sensitivity
    labels = dict(zip(a.options, a.option_labels, strict=True))
    methods = [_method(m.method, t) for m in sens.methods]
    ranks = np.full((len(sens.methods), len(a.options)), np.nan)
    for i, m in enumerate(sens.methods):
        scores = np.asarray(m.scores, dtype=float)
        for j, score in enumerate(scores):
            if np.isfinite(score):  # competition ranking: ties share a rank (1, 1, 3)
                ranks[i, j] = 1 + int(np.sum(scores[np.isfinite(scores)] > score + 1e-12))
    fig = plots.sensitivity(a.option_labels, methods, ranks, t)
    alt = alttext.sensitivity(a.option_labels, methods, ranks, t)
    if not sens.methods:
        text = f"<p>{_h(t._('No method has enough answers yet.'))}</p>"
    elif sens.consistent:
        tops = ", ".join(escape(labels[o]) for o in sens.robust_top)
        holds = _h(t._("The top option holds under every method:"))
        text = f"<p><strong>{holds}</strong> {tops}.</p>"
    else:
        per = "; ".join(
            f"{escape(_method(m.method, t))}: " + ", ".join(escape(labels[o]) for o in m.top)
            for m in sens.methods
        )
        depends = _h(t._("The top option depends on the method."))
        text = f"<p><strong>{depends}</strong> {per}.</p>"
    for method, why in sens.unavailable.items():
        text += f"<p class='wb-muted'>{escape(_method(method, t))}: {escape(why)}.</p>"
    return plots.png(fig), alt, text


__all__ = [
    "WorkshopSummary",
    "figure_html",
    "language_of",
    "log_html",
    "participation_figures",
    "summarise",
    "text_html",
]
