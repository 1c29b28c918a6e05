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
the kernel's event loop; a dropdown change recomputes on the event loop.
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

if TYPE_CHECKING:
    from workbench.participation.recommendations import RecommendationInfo
    from workbench.participation.workshops import WorkshopInfo
    from workbench.service import Workbench
    from workbench.tuning.tune import TuningResult

__all__ = ["GROUP_RULES", "METHODS", "PREVIEW_DRAWS", "Preview", "TuningPanel"]

log = logging.getLogger("workbench.dashboard")

#: Bootstrap draws of the preview (``workbench tune`` uses 1000).
PREVIEW_DRAWS = 300
#: Group rules and methods as the dropdowns offer them: (label, value).
GROUP_RULES = (
    ("equal: each stakeholder group counts the same", "equal"),
    ("as-present: each participant counts once", "as-present"),
    ("expected-mix: groups as in the expected mix", "expected-mix"),
)
METHODS = (
    ("weighted-sum: weighted mean of the scores", "weighted-sum"),
    ("topsis: closest to the ideal option", "topsis"),
)
#: Previews kept for switching back and forth between dropdown values.
_CACHE = 6


@dataclass(frozen=True)
class Preview:
    """The panel's HTML for one key: the ranking (or the refusal), figure, weights, what-ifs."""

    ranking: str
    figure: str = ""
    weights: str = ""
    sensitivity: str = ""


class TuningPanel:
    """The live tuning preview section of one workshop's dashboard (see the module doc)."""

    def __init__(self, wb: Workbench, workshop_id: int, *, n_draws: int = PREVIEW_DRAWS) -> None:
        self.wb = wb
        self.workshop_id = workshop_id
        self.n_draws = n_draws
        style = {"description_width": "initial"}
        self.group_rule = w.Dropdown(
            options=GROUP_RULES, value="equal", description="Group rule:", style=style
        )
        self.method = w.Dropdown(
            options=METHODS, value="weighted-sum", description="Method:", style=style
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
        head = w.HTML(
            "<h2>Live tuning preview: what these answers would rank first</h2>"
            "<p class='wb-muted'>The options re-ranked from the shown round's points and "
            "ratings (and the evidence of the case's policy mix, when it has some), as "
            "<code>workbench tune</code> would; rank probabilities from resampling "
            "participants. The group rule and method below are for this preview only; "
            "nothing is stored.</p>"
        )
        sensitivity = w.VBox([w.HTML("<h3>Would the top option hold?</h3>"), self.sensitivity])
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
            self.versions.value = pending[1]

    # -- the preview ---------------------------------------------------------------------
    def preview(self) -> Preview:
        """The preview of the current context and dropdowns; tuned only for a new key."""
        if self._context is None:
            return Preview("<p class='wb-muted'>Loading…</p>")
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
        self.ranking.value = preview.ranking
        self.figure.value = preview.figure
        self.weights.value = preview.weights
        self.sensitivity.value = preview.sensitivity or (
            "<p class='wb-muted'>Shown once the round can be tuned.</p>"
        )

    def _compute(self, info: WorkshopInfo, number: int, rule: str, method: str) -> Preview:
        # imported here, not at the top: the tuning code (scipy, the evidence model) takes
        # about a second to load, which would delay the dashboard page's first paint
        from workbench.participation.tuning import tune_round
        from workbench.tuning.inputs import MIN_GROUPS, MIN_PARTICIPANTS

        if info.current_round < 1:
            return Preview(
                f"<p>The preview appears once the workshop is open and at least "
                f"{MIN_PARTICIPANTS} participants from {MIN_GROUPS} stakeholder groups have "
                "spread their points and rated every option.</p>"
            )
        try:
            result = tune_round(
                self.wb, info.id, number, method=method, group_rule=rule,
                n_draws=self.n_draws, seed=0,
            )  # fmt: skip
        except InvalidInput as exc:
            return _refused(number, [_problem(p) for p in exc.problems])
        except WorkbenchError as exc:
            return _refused(number, [str(exc)])
        except Exception:  # the rest of the dashboard stays live
            log.exception("tuning preview failed")
            return Preview(
                "<p role='alert' class='wb-status-error'>The tuning preview could not be "
                "computed; the error is in the dashboard's log. The other sections are "
                "not affected.</p>"
            )
        return _preview(info, number, result)

    # -- stored versions -----------------------------------------------------------------
    def _versions_html(self, info: WorkshopInfo) -> str:
        try:
            accepted = self.wb.recommendations.accepted(info.case_slug)
            stored = self.wb.recommendations.list(workshop_id=info.id)
        except WorkbenchError as exc:
            return f"<h3>Tuned versions</h3><p class='wb-status-error'>{escape(str(exc))}</p>"
        return versions_html(info, accepted, stored)


# -- HTML ------------------------------------------------------------------------------------
def _problem(p: Any) -> str:
    key = getattr(p, "key", "")
    return f"{key}: {p.message}" if key else str(getattr(p, "message", p))


def _refused(number: int, reasons: Sequence[str]) -> Preview:
    items = "".join(f"<li>{escape(r)}</li>" for r in reasons)
    return Preview(
        f"<div class='wb-notice'><p><strong>No tuned ranking for round {number} yet.</strong> "
        f"The tuning refuses this round:</p><ul>{items}</ul></div>"
    )


def _names(info: WorkshopInfo) -> dict[str, str]:
    """Option, criterion and group keys -> the words people read."""
    from workbench.tuning.inputs import EVIDENCE

    names = {EVIDENCE: "evidence"}
    names |= {str(c["key"]): str(c.get("label") or c["key"]) for c in info.criteria}
    return names | {str(o["key"]): str(o.get("label") or o["key"]) for o in info.options}


def _named(text: str, names: Mapping[str, str]) -> str:
    """``text`` with every whole-word key replaced by its name (one pass)."""
    if not names:
        return text
    pattern = r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b"
    return re.sub(pattern, lambda m: names[m.group(1)], text)


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _rule_label(rule: str) -> str:
    return dict((v, k) for k, v in GROUP_RULES).get(rule, rule)


def _preview(info: WorkshopInfo, number: int, result: TuningResult) -> Preview:
    names = _names(info)
    top = result.ranking[0]
    labels = [names.get(r.option, r.option) for r in result.ranking]
    probabilities = [r.rank_probabilities for r in result.ranking]
    rows = "".join(
        f"<tr><td class='wb-num'>{r.rank}</td><th scope='row'>{escape(label)}</th>"
        f"<td class='wb-num'>{_pct(r.p_first)}</td><td class='wb-num'>{r.preference:.3f}</td>"
        "</tr>"
        for r, label in zip(result.ranking, labels, strict=True)
    )
    options = [f"--groups {result.group_rule}"] if result.group_rule != "equal" else []
    options += [f"--method {result.method}"] if result.method != "weighted-sum" else []
    options += [f"--round {number}"] if number != info.current_round else []
    command = " ".join(["workbench tune", str(info.id), *options])
    notes = "".join(f"<li>{escape(_named(n, names))}</li>" for n in result.notes)
    ranking = (
        f"<p><strong>With round {number}'s answers so far, {escape(labels[0])} would be "
        f"first</strong> (first in {_pct(top.p_first)} of {result.n_draws} draws). Method "
        f"{escape(result.method)}, group rule {escape(_rule_label(result.group_rule))}.</p>"
        f"<p class='wb-muted'>{result.n_draws} bootstrap draws keep the preview quick; "
        "<code>workbench tune</code> uses 1000, so its percentages can differ by a few "
        "points.</p>"
        "<table class='wb-table'><caption>Tuned ranking (preview)</caption><thead><tr>"
        "<th scope='col'>Rank</th><th scope='col'>Option</th><th scope='col'>First in</th>"
        f"<th scope='col'>Preference</th></tr></thead><tbody>{rows}</tbody></table>"
        + (
            "<p class='wb-muted'>No evidence criterion: the case's published policy mix has "
            "no evidence on these options.</p>"
            if result.evidence is None
            else ""
        )
        + (f"<ul class='wb-muted'>{notes}</ul>" if notes else "")
        + f"<p>To store this ranking as a proposed version (1000 draws): <code>"
        f"{escape(command)}</code></p>"
    )
    from workbench.tuning.charts import rank_probability_figure

    fig = rank_probability_figure(result, names)
    alt = alttext.tuned_ranking(labels, probabilities, result.n_draws)
    return Preview(
        ranking=ranking,
        figure=figure_html(plots.png(fig), alt),
        weights=_weights_html(result, names),
        sensitivity=_sensitivity_html(result, names, labels[0]),
    )


def _weights_html(result: TuningResult, names: Mapping[str, str]) -> str:
    given = [g for g in result.groups if g.weights is not None]
    heads = "".join(
        f"<th scope='col'>{escape(group_label(g.group))} ({g.with_points}; share "
        f"{_pct(g.share)})</th>"
        for g in given
    )
    rows = "".join(
        f"<tr><th scope='row'>{escape(names.get(c, c))}</th>"
        f"<td class='wb-num'>{_pct(result.weights[c])}</td>"
        + "".join(f"<td class='wb-num'>{_pct((g.weights or {}).get(c, 0.0))}</td>" for g in given)
        + "</tr>"
        for c in result.criteria
    )
    silent = [group_label(g.group) for g in result.groups if g.weights is None]
    absent = (
        f"<p class='wb-muted'>Rated but gave no points: {escape(', '.join(silent))}.</p>"
        if silent
        else ""
    )
    return (
        "<table class='wb-table'><caption>Criteria weights used, overall (group rule "
        f"{escape(result.group_rule)}) and per stakeholder group (participants with points; "
        "the group's share of the overall weights)</caption><thead><tr>"
        f"<th scope='col'>Criterion</th><th scope='col'>Overall</th>{heads}</tr></thead>"
        f"<tbody>{rows}</tbody></table>{absent}"
    )


def _sensitivity_html(result: TuningResult, names: Mapping[str, str], top: str) -> str:
    scenarios = list(result.sensitivity)
    if not scenarios:
        return "<p>No other scenario to compare.</p>"
    words = {**names, **{g.group: group_label(g.group) for g in result.groups}}
    lines = result.sensitivity_lines()
    changed = [s for s in scenarios if s["top_changed"]]
    head = (
        f"<p>{escape(top)} stays first in all {len(scenarios)} scenarios.</p>"
        if not changed
        else f"<p><strong>The top option changes in {len(changed)} of {len(scenarios)} "
        "scenarios</strong> (in bold below).</p>"
    )
    items = "".join(
        f"<li>{'<strong>' if s['top_changed'] else ''}{escape(_named(line, words))}"
        f"{'</strong>' if s['top_changed'] else ''}</li>"
        for s, line in zip(scenarios, lines, strict=True)
    )
    return f"{head}<ul class='wb-reasons'>{items}</ul>"


def versions_html(
    info: WorkshopInfo,
    accepted: RecommendationInfo | None,
    stored: Sequence[RecommendationInfo],
) -> str:
    """The case's accepted version, the workshop's stored versions and the commands."""

    def first(v: RecommendationInfo) -> str:
        option = v.result.ranking[0].option if v.result.ranking else ""
        return v.labels.get(option, option)

    if accepted is None:
        now = (
            f"<p>No tuned version is accepted for case {escape(info.case_slug)}: its app "
            "shows the evidence-based proposal.</p>"
        )
    else:
        elsewhere = "" if accepted.workshop_id == info.id else f"workshop {accepted.workshop_id}, "
        now = (
            f"<p>Accepted for case {escape(info.case_slug)}: version <code>"
            f"{escape(accepted.short)}</code> ({elsewhere}round {accepted.round}); first "
            f"option: {escape(first(accepted))}.</p>"
        )
    rows = "".join(
        f"<tr><td><code>{escape(v.short)}</code></td><td class='wb-num'>{v.round}</td>"
        f"<td>{escape(v.method)}, {escape(v.group_rule)}</td><td>{escape(first(v))}</td>"
        f"<td>{escape(v.status)}</td><td>{v.created_at:%Y-%m-%d %H:%M}</td></tr>"
        for v in reversed(stored)
    )
    table = (
        "<table class='wb-table'><caption>Tuned versions stored for this workshop, newest "
        "first</caption><thead><tr><th scope='col'>Version</th><th scope='col'>Round</th>"
        "<th scope='col'>Method, group rule</th><th scope='col'>First option</th>"
        f"<th scope='col'>Status</th><th scope='col'>Stored</th></tr></thead><tbody>{rows}"
        "</tbody></table>"
        if stored
        else "<p>No tuned version of this workshop is stored yet.</p>"
    )
    proposed = next((v.short for v in reversed(stored) if v.status == "proposed"), "VERSION")
    return (
        f"<h3>Tuned versions</h3>{now}{table}<p>Propose a version (stored, changes nothing "
        f"yet): <code>workbench tune {info.id}</code>. Accept one (re-runs the case study, "
        "republishes the app; the next round's participants see it): <code>workbench "
        f"recommendation accept {escape(proposed)} --by NAME --reason TEXT</code>.</p>"
    )
