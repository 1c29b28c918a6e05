"""The dashboard's live tuning preview: what the shown round's answers would rank first.

:class:`TuningPanel` runs :func:`workbench.participation.tuning.tune_round` on the round the
dashboard shows, with the group rule and method the facilitator picks (for the preview
only: nothing is stored) and :data:`PREVIEW_DRAWS` bootstrap draws, and shows

- the tuned ranking with each option's rank probabilities (a figure with its text
  alternative, and a table);
- the criteria weights under the chosen group rule, overall and per stakeholder group;
- the sensitivity panel: the ranking under the other group rules, the other method and
  without each stakeholder group ("would the employers' absence change the top option?");
- a refused round's reasons as plain text (each names its threshold and the count);
- the case's accepted tuned version, this workshop's stored versions and the commands
  that propose and accept one.

It recomputes only when its key changes: the round, the workshop's activity fingerprint
(the one the dashboard polls), the workshop's publication, or a dropdown. The dashboard
calls :meth:`TuningPanel.prepare` from its worker thread and :meth:`TuningPanel.render` on
the kernel's event loop; a dropdown change recomputes on the event loop. Everything is in
the language of the panel's :class:`~workbench.i18n.Translator` (the workshop's default
language); the lines the tuning itself writes (its notes, refusals and what-if lines) stay
as it words them.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from workbench.exceptions import InvalidInput, WorkbenchError
from workbench.facilitation import alttext, plots
from workbench.facilitation.summary import figure_html, group_label
from workbench.i18n import ENGLISH, N_, Translator

if TYPE_CHECKING:
    from workbench.participation.recommendations import RecommendationInfo
    from workbench.participation.workshops import WorkshopInfo
    from workbench.service import Workbench
    from workbench.tuning.tune import TuningResult

__all__ = ["GROUP_RULES", "METHODS", "PREVIEW_DRAWS", "Preview", "TuningPanel", "in_language"]

log = logging.getLogger("workbench.dashboard")

#: Bootstrap draws of the preview (``workbench tune`` uses 1000).
PREVIEW_DRAWS = 300
#: Group rules and methods as the dropdowns offer them: (label, value).
GROUP_RULES = (
    (N_("equal: each stakeholder group counts the same"), "equal"),
    (N_("as-present: each participant counts once"), "as-present"),
    (N_("expected-mix: groups as in the expected mix"), "expected-mix"),
)
METHODS = (
    (N_("weighted-sum: weighted mean of the scores"), "weighted-sum"),
    (N_("topsis: closest to the ideal option"), "topsis"),
)
#: Previews kept for switching back and forth between dropdown values.
_CACHE = 6


def in_language(html: str, t: Translator) -> str:
    """``html`` in a container with ``t``'s ``lang`` unless it is English (the page's)."""
    if not html or t.code == ENGLISH.code:
        return html
    return f'<div lang="{t.code}">{html}</div>'


def _h(text: str) -> str:
    return escape(text, quote=False)


@dataclass(frozen=True)
class Preview:
    """The panel's HTML for one key: the ranking (or the refusal), figure, weights, what-ifs."""

    ranking: str
    figure: str = ""
    weights: str = ""
    sensitivity: str = ""


class TuningPanel:
    """The live tuning preview section of one workshop's dashboard (see the module doc)."""

    def __init__(
        self,
        wb: Workbench,
        workshop_id: int,
        *,
        n_draws: int = PREVIEW_DRAWS,
        t: Translator = ENGLISH,
    ) -> None:
        self.wb = wb
        self.workshop_id = workshop_id
        self.n_draws = n_draws
        self.t = t
        style = {"description_width": "initial"}
        self.group_rule = w.Dropdown(
            options=[(t._(label), value) for label, value in GROUP_RULES],
            value="equal",
            description=t._("Group rule:"),
            style=style,
        )
        self.method = w.Dropdown(
            options=[(t._(label), value) for label, value in METHODS],
            value="weighted-sum",
            description=t._("Method:"),
            style=style,
        )
        for dropdown in (self.group_rule, self.method):
            dropdown.observe(self._choose, names="value")
        self.ranking = w.HTML()
        self.figure = w.HTML(layout=w.Layout(max_width="100%"))
        self.weights = w.HTML()
        self.sensitivity = w.HTML()
        self.versions = w.HTML()
        self._lock = threading.Lock()
        self._context: tuple[WorkshopInfo, int, Any] | None = None
        self._cache: OrderedDict[tuple[Any, ...], Preview] = OrderedDict()
        self._pending: tuple[Preview, str] | None = None

    def widget(self) -> w.Widget:
        """The section: title, explanation, dropdowns, preview, sensitivity and versions."""
        t = self.t
        title = t._("Live tuning preview: what these answers would rank first")
        about = t._(
            "The options re-ranked from the shown round's points and ratings (and the "
            "evidence of the case's policy mix, when it has some), as {command} would; rank "
            "probabilities from resampling participants. The group rule and method below are "
            "for this preview only; nothing is stored."
        )
        about = _h(about).format(command="<code>workbench tune</code>")
        head = w.HTML(in_language(f"<h2>{_h(title)}</h2><p class='wb-muted'>{about}</p>", t))
        hold = in_language(f"<h3>{_h(t._('Would the top option hold?'))}</h3>", t)
        sensitivity = w.VBox([w.HTML(hold), self.sensitivity])
        box = w.VBox(
            [
                head,
                w.HBox([self.group_rule, self.method], layout=w.Layout(flex_flow="row wrap")),
                self.ranking,
                self.figure,
                self.weights,
                sensitivity,
                self.versions,
            ]
        )
        box.add_class("wb-card")
        box.add_class("wb-tuning-preview")
        return box

    # -- the dashboard's two calls -------------------------------------------------------
    def prepare(self, info: WorkshopInfo, round_number: int, fingerprint: Any) -> None:
        """Compute what :meth:`render` will show (worker thread; cached by key)."""
        self._context = (info, round_number, fingerprint)
        self._pending = (self.preview(), self._versions_html(info))

    def render(self) -> None:
        """Show what :meth:`prepare` computed (the kernel's event loop)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._show(pending[0])
            self.versions.value = in_language(pending[1], self.t)

    # -- the preview ---------------------------------------------------------------------
    def preview(self) -> Preview:
        """The preview of the current context and dropdowns; tuned only for a new key."""
        if self._context is None:
            return Preview(f"<p class='wb-muted'>{_h(self.t._('Loading…'))}</p>")
        info, number, fingerprint = self._context
        rule, method = str(self.group_rule.value), str(self.method.value)
        key = (number, fingerprint, info.publication_id, rule, method, self.n_draws)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            made = self._compute(info, number, rule, method)
            self._cache[key] = made
            while len(self._cache) > _CACHE:
                self._cache.popitem(last=False)
            return made

    def _choose(self, _change: dict[str, Any]) -> None:
        if self._context is not None:
            self._show(self.preview())

    def _show(self, preview: Preview) -> None:
        t = self.t
        self.ranking.value = in_language(preview.ranking, t)
        self.figure.value = in_language(preview.figure, t)
        self.weights.value = in_language(preview.weights, t)
        later = f"<p class='wb-muted'>{_h(t._('Shown once the round can be tuned.'))}</p>"
        self.sensitivity.value = in_language(preview.sensitivity or later, t)

    def _compute(self, info: WorkshopInfo, number: int, rule: str, method: str) -> Preview:
        # imported here, not at the top: the tuning code (scipy, the evidence model) takes
        # about a second to load, which would delay the dashboard page's first paint
        from workbench.participation.tuning import tune_round
        from workbench.tuning.inputs import MIN_GROUPS, MIN_PARTICIPANTS

        t = self.t
        if info.current_round < 1:
            said = t._(
                "The preview appears once the workshop is open and at least {participants} "
                "participants from {groups} stakeholder groups have spread their points and "
                "rated every option."
            ).format(participants=MIN_PARTICIPANTS, groups=MIN_GROUPS)
            return Preview(f"<p>{_h(said)}</p>")
        try:
            result = tune_round(
                self.wb, info.id, number, method=method, group_rule=rule,
                n_draws=self.n_draws, seed=0,
            )  # fmt: skip
        except InvalidInput as exc:
            return _refused(number, [_problem(p) for p in exc.problems], t)
        except WorkbenchError as exc:
            return _refused(number, [str(exc)], t)
        except Exception:  # the rest of the dashboard stays live
            log.exception("tuning preview failed")
            failed = t._(
                "The tuning preview could not be computed; the error is in the dashboard's "
                "log. The other sections are not affected."
            )
            return Preview(f"<p role='alert' class='wb-status-error'>{_h(failed)}</p>")
        return _preview(info, number, result, t)

    # -- stored versions -----------------------------------------------------------------
    def _versions_html(self, info: WorkshopInfo) -> str:
        try:
            accepted = self.wb.recommendations.accepted(info.case_slug)
            stored = self.wb.recommendations.list(workshop_id=info.id)
        except WorkbenchError as exc:
            head = _h(self.t._("Tuned versions"))
            return f"<h3>{head}</h3><p class='wb-status-error'>{escape(str(exc))}</p>"
        return versions_html(info, accepted, stored, self.t)


# -- HTML ------------------------------------------------------------------------------------
def _problem(p: Any) -> str:
    key = getattr(p, "key", "")
    return f"{key}: {p.message}" if key else str(getattr(p, "message", p))


def _refused(number: int, reasons: Sequence[str], t: Translator = ENGLISH) -> Preview:
    items = "".join(f"<li>{escape(r)}</li>" for r in reasons)
    head = _h(t._("No tuned ranking for round {number} yet.").format(number=number))
    refuses = _h(t._("The tuning refuses this round:"))
    return Preview(
        f"<div class='wb-notice'><p><strong>{head}</strong> {refuses}</p><ul>{items}</ul></div>"
    )


def _names(info: WorkshopInfo, t: Translator = ENGLISH) -> dict[str, str]:
    """Option, criterion and group keys -> the words people read."""
    from workbench.tuning.inputs import EVIDENCE

    names = {EVIDENCE: t._("evidence")}
    names |= {str(c["key"]): str(c.get("label") or c["key"]) for c in info.criteria}
    return names | {str(o["key"]): str(o.get("label") or o["key"]) for o in info.options}


def _named(text: str, names: Mapping[str, str]) -> str:
    """``text`` with every whole-word key replaced by its name (one pass)."""
    if not names:
        return text
    pattern = r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b"
    return re.sub(pattern, lambda m: names[m.group(1)], text)


def _rule_label(rule: str, t: Translator = ENGLISH) -> str:
    return next((t._(label) for label, value in GROUP_RULES if value == rule), rule)


def _preview(info: WorkshopInfo, number: int, result: TuningResult, t: Translator) -> Preview:
    names = _names(info, t)
    top = result.ranking[0]
    labels = [names.get(r.option, r.option) for r in result.ranking]
    probabilities = [r.rank_probabilities for r in result.ranking]
    rows = "".join(
        f"<tr><td class='wb-num'>{r.rank}</td><th scope='row'>{escape(label)}</th>"
        f"<td class='wb-num'>{t.percent(r.p_first)}</td>"
        f"<td class='wb-num'>{t.number(r.preference, 3)}</td></tr>"
        for r, label in zip(result.ranking, labels, strict=True)
    )
    options = [f"--groups {result.group_rule}"] if result.group_rule != "equal" else []
    options += [f"--method {result.method}"] if result.method != "weighted-sum" else []
    options += [f"--round {number}"] if number != info.current_round else []
    command = " ".join(["workbench tune", str(info.id), *options])
    notes = "".join(f"<li>{escape(_named(n, names))}</li>" for n in result.notes)
    first = t._("With round {round}'s answers so far, {option} would be first").format(
        round=number, option=labels[0]
    )
    how = t._("(first in {share} of {n} draws). Method {method}, group rule {rule}.").format(
        share=t.percent(top.p_first),
        n=result.n_draws,
        method=result.method,
        rule=_rule_label(result.group_rule, t),
    )
    quick = t._(
        "{n} bootstrap draws keep the preview quick; {command} uses 1000, so its percentages "
        "can differ by a few points."
    )
    heads = "".join(
        f"<th scope='col'>{_h(h)}</th>"
        for h in (t._("Rank"), t._("Option"), t._("First in"), t._("Preference"))
    )
    no_evidence = t._(
        "No evidence criterion: the case's published policy mix has no evidence on these options."
    )
    store = _h(t._("To store this ranking as a proposed version (1000 draws): {command}"))
    ranking = (
        f"<p><strong>{_h(first)}</strong> {_h(how)}</p>"
        f"<p class='wb-muted'>"
        f"{_h(quick).format(n=result.n_draws, command='<code>workbench tune</code>')}</p>"
        f"<table class='wb-table'><caption>{_h(t._('Tuned ranking (preview)'))}</caption>"
        f"<thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"
        + (f"<p class='wb-muted'>{_h(no_evidence)}</p>" if result.evidence is None else "")
        + (f"<ul class='wb-muted'>{notes}</ul>" if notes else "")
        + f"<p>{store.format(command=f'<code>{escape(command)}</code>')}</p>"
    )
    from workbench.tuning.charts import rank_probability_figure

    fig = rank_probability_figure(result, names)
    alt = alttext.tuned_ranking(labels, probabilities, result.n_draws, t)
    return Preview(
        ranking=ranking,
        figure=figure_html(plots.png(fig), alt),
        weights=_weights_html(result, names, t),
        sensitivity=_sensitivity_html(result, names, labels[0], t),
    )


def _weights_html(result: TuningResult, names: Mapping[str, str], t: Translator) -> str:
    given = [g for g in result.groups if g.weights is not None]
    head = t._("{group} ({n}; share {share})")
    heads = "".join(
        "<th scope='col'>"
        + escape(
            head.format(group=group_label(g.group, t), n=g.with_points, share=t.percent(g.share))
        )
        + "</th>"
        for g in given
    )
    rows = "".join(
        f"<tr><th scope='row'>{escape(names.get(c, c))}</th>"
        f"<td class='wb-num'>{t.percent(result.weights[c])}</td>"
        + "".join(
            f"<td class='wb-num'>{t.percent((g.weights or {}).get(c, 0.0))}</td>" for g in given
        )
        + "</tr>"
        for c in result.criteria
    )
    silent = [group_label(g.group, t) for g in result.groups if g.weights is None]
    absent = (
        "<p class='wb-muted'>"
        + escape(t._("Rated but gave no points: {groups}.").format(groups=", ".join(silent)))
        + "</p>"
        if silent
        else ""
    )
    caption = t._(
        "Criteria weights used, overall (group rule {rule}) and per stakeholder group "
        "(participants with points; the group's share of the overall weights)"
    ).format(rule=result.group_rule)
    return (
        f"<table class='wb-table'><caption>{_h(caption)}</caption><thead><tr>"
        f"<th scope='col'>{_h(t._('Criterion'))}</th><th scope='col'>{_h(t._('Overall'))}</th>"
        f"{heads}</tr></thead><tbody>{rows}</tbody></table>{absent}"
    )


def _sensitivity_html(
    result: TuningResult, names: Mapping[str, str], top: str, t: Translator
) -> str:
    scenarios = list(result.sensitivity)
    if not scenarios:
        return f"<p>{_h(t._('No other scenario to compare.'))}</p>"
    words = {**names, **{g.group: group_label(g.group, t) for g in result.groups}}
    lines = result.sensitivity_lines()
    changed = [s for s in scenarios if s["top_changed"]]
    if not changed:
        said = t._("{option} stays first in all {n} scenarios.")
        head = f"<p>{escape(said.format(option=top, n=len(scenarios)))}</p>"
    else:
        said = t._("The top option changes in {changed} of {n} scenarios")
        bold = t._("(in bold below).")
        head = (
            f"<p><strong>{_h(said.format(changed=len(changed), n=len(scenarios)))}</strong> "
            f"{_h(bold)}</p>"
        )
    items = "".join(
        f"<li>{'<strong>' if s['top_changed'] else ''}{escape(_named(line, words))}"
        f"{'</strong>' if s['top_changed'] else ''}</li>"
        for s, line in zip(scenarios, lines, strict=True)
    )
    return f"{head}<ul class='wb-reasons'>{items}</ul>"


#: a stored version's status, as people read it
STATUS_WORDS = {
    "accepted": N_("accepted"),
    "was accepted": N_("was accepted"),
    "proposed": N_("proposed"),
}


def versions_html(
    info: WorkshopInfo,
    accepted: RecommendationInfo | None,
    stored: Sequence[RecommendationInfo],
    t: Translator = ENGLISH,
) -> str:
    """The case's accepted version, the workshop's stored versions and the commands."""

    def first(v: RecommendationInfo) -> str:
        option = v.result.ranking[0].option if v.result.ranking else ""
        return v.labels.get(option, option)

    case = escape(info.case_slug)
    if accepted is None:
        said = t._(
            "No tuned version is accepted for case {case}: its app shows the evidence-based "
            "proposal."
        )
        now = f"<p>{_h(said).format(case=case)}</p>"
    else:
        if accepted.workshop_id == info.id:
            said = t._(
                "Accepted for case {case}: version {version} (round {round}); first option: "
                "{option}."
            )
        else:
            said = t._(
                "Accepted for case {case}: version {version} (workshop {workshop}, round "
                "{round}); first option: {option}."
            )
        now = "<p>{}</p>".format(
            _h(said).format(
                case=case,
                version=f"<code>{escape(accepted.short)}</code>",
                workshop=accepted.workshop_id,
                round=accepted.round,
                option=escape(first(accepted)),
            )
        )
    rows = "".join(
        f"<tr><td><code>{escape(v.short)}</code></td><td class='wb-num'>{v.round}</td>"
        f"<td>{escape(v.method)}, {escape(v.group_rule)}</td><td>{escape(first(v))}</td>"
        f"<td>{escape(t._(STATUS_WORDS.get(v.status, v.status)))}</td>"
        f"<td>{escape(t.datetime(v.created_at))}</td></tr>"
        for v in reversed(stored)
    )
    heads = "".join(
        f"<th scope='col'>{_h(h)}</th>"
        for h in (
            t._("Version"),
            t._("Round"),
            t._("Method, group rule"),
            t._("First option"),
            t._("Status"),
            t._("Stored"),
        )
    )
    caption = t._("Tuned versions stored for this workshop, newest first")
    table = (
        f"<table class='wb-table'><caption>{_h(caption)}</caption><thead><tr>{heads}</tr>"
        f"</thead><tbody>{rows}</tbody></table>"
        if stored
        else f"<p>{_h(t._('No tuned version of this workshop is stored yet.'))}</p>"
    )
    proposed = next((v.short for v in reversed(stored) if v.status == "proposed"), "VERSION")
    propose = _h(t._("Propose a version (stored, changes nothing yet): {command}."))
    accept = _h(
        t._(
            "Accept one (re-runs the case study, republishes the app; the next round's "
            "participants see it): {command}."
        )
    )
    accept_command = (
        f"<code>workbench recommendation accept {escape(proposed)} --by NAME --reason TEXT</code>"
    )
    return (
        f"<h3>{_h(t._('Tuned versions'))}</h3>{now}{table}<p>"
        f"{propose.format(command=f'<code>workbench tune {info.id}</code>')} "
        f"{accept.format(command=accept_command)}</p>"
    )
