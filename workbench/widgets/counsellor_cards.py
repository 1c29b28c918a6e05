"""The HTML of the counsellor view (:mod:`workbench.widgets.counsellor`), without widgets.

Pure functions of a pathway's dict (:meth:`workbench.pathways.build.Pathway.to_dict`) and
of review records (:class:`workbench.pathways.oversight.ReviewInfo`), so that they can be
tested without a kernel or a browser. Every value from the pathway or the review log is
escaped; only ``http(s)`` sources become links. Uncertainty is drawn, not only written:
:func:`interval_bar` is a small horizontal scale with the interval as a band and the
estimate as a dot (with a text alternative that states the same figures).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

#: Shown at the top of every counsellor page.
BANNER = "Decision support only: nothing is decided automatically; the counsellor decides."
#: The decisions a counsellor can make on a step, as people read them.
ACTION_WORDS = {"accept": "Accepted", "change": "Changed", "reject": "Rejected"}

_URL = re.compile(r"https?://[^\s<>'\"]+")

#: The view's own styles (the page's workbench.css supplies cards, badges and status lines).
STYLE = """<style>
.wb-cv-bar{position:relative;height:26px;margin:6px 0 2px;max-width:520px;
  background:#eef1f5;border:1px solid #9aa5b1;border-radius:4px}
.wb-cv-band{position:absolute;top:3px;bottom:3px;background:rgba(11,83,148,.35);
  border:1px solid #0b5394;border-radius:3px}
.wb-cv-dot{position:absolute;top:50%;width:14px;height:14px;margin:-7px 0 0 -7px;
  background:#0b5394;border:2px solid #fff;border-radius:50%;box-shadow:0 0 0 1px #0b5394}
.wb-cv-threshold{position:absolute;top:-4px;bottom:-4px;border-left:3px dashed #b42318}
.wb-cv-axis{position:relative;height:1.2em;max-width:520px;font-size:.8rem;color:#4a4a4a}
.wb-cv-axis span{position:absolute;transform:translateX(-50%);white-space:nowrap}
.wb-cv-axis span:first-child{transform:none}
.wb-cv-axis span:last-child{transform:translateX(-100%)}
.wb-cv-key{font-size:.85rem;color:#4a4a4a;margin:2px 0 8px}
.wb-cv-band-high{background:#fde8e7!important;border-color:#b42318!important}
.wb-cv-band-medium{background:#fff4e0!important}
.wb-cv-band-low{background:#e7f5ec!important;border-color:#1e7b3c!important}
body.wb-app table.wb-cv-facts{border-collapse:collapse;margin:8px 0;width:100%}
body.wb-app .wb-cv-facts th{text-align:left;vertical-align:top;white-space:nowrap;
  overflow-wrap:normal;padding:3px 16px 3px 0;width:1%;border:0;font-weight:700}
body.wb-app .wb-cv-facts td{vertical-align:top;padding:3px 0;border:0;text-align:left}
.wb-cv-step h3{margin:0 0 6px;font-size:1.15rem}
.wb-cv-when{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:10px;
  background:#e6eef7;color:#0b3d6e;font-size:.9rem;font-weight:700}
.wb-cv-decision{font-weight:700}
.wb-cv-hint{color:#4a4a4a;font-style:italic}
.wb-cv-history{font-size:.92rem}
</style>"""


def pct(value: float | None, digits: int = 0) -> str:
    """A share as a percentage (``"62%"``); ``"unknown"`` for None or NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "unknown"
    return f"{100 * float(value):.{digits}f}%"


def _known(value: Any) -> bool:
    return _num(value) is not None


def _pos(value: float) -> str:
    return f"{100 * min(1.0, max(0.0, float(value))):.1f}%"


def _num(value: Any) -> float | None:
    """``value`` as a finite float, else None (unknown)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(float(value)) else None


def interval_bar(
    value: float | None,
    low: float | None,
    high: float | None,
    *,
    name: str,
    threshold: float | None = None,
) -> str:
    """A 0–100% scale with the interval ``low``–``high`` as a band, ``value`` as a dot and
    ``threshold`` as a dashed line; an image for screen readers named by its figures."""
    dot, lo, hi, line = _num(value), _num(low), _num(high), _num(threshold)
    if dot is None:
        return f"<p class='wb-muted'>{escape(name)}: unknown.</p>"
    parts, words = [], [f"{name}: {pct(dot)}"]
    if lo is not None and hi is not None:
        left, right = sorted((lo, hi))
        parts.append(
            f"<div class='wb-cv-band' style='left:{_pos(left)};width:"
            f"{100 * (min(1.0, right) - max(0.0, left)):.1f}%'></div>"
        )
        words.append(f"interval {pct(left)} to {pct(right)}")
    if line is not None:
        parts.append(f"<div class='wb-cv-threshold' style='left:{_pos(line)}'></div>")
        words.append(f"threshold {pct(line)}")
    parts.append(f"<div class='wb-cv-dot' style='left:{_pos(dot)}'></div>")
    label = escape("; ".join(words), quote=True)
    axis = "".join(f"<span style='left:{t}%'>{t}%</span>" for t in (0, 25, 50, 75, 100))
    return (
        f"<div class='wb-cv-bar' role='img' aria-label='{label}'>{''.join(parts)}</div>"
        f"<div class='wb-cv-axis' aria-hidden='true'>{axis}</div>"
    )


def header_html(counsellor: str, source: str) -> str:
    """The page title, the decision-support banner and who the counsellor is."""
    return (
        f"{STYLE}<header class='wb-card'><h1>Counsellor view: intervention pathways</h1>"
        f"<p class='wb-help' role='note'><strong>{escape(BANNER)}</strong></p>"
        f"<p>Counsellor: <strong class='wb-cv-counsellor'>{escape(counsellor)}</strong> "
        f"<span class='wb-muted'>({escape(source)})</span>. Every decision you save is "
        "logged with your name, the time and your reason.</p></header>"
    )


def synthetic_html() -> str:
    """The label of a pathway built from synthetic data or a synthetic-data model."""
    return (
        "<div class='wb-synthetic' role='note'><strong>SYNTHETIC</strong> data and model: "
        "this pathway was built from synthetic jobseekers and a model trained on them. It "
        "shows how the tool works; it says nothing about a real person.</div>"
    )


def risk_html(p: Mapping[str, Any]) -> str:
    """The risk of long-term unemployment, with its interval, band and threshold."""
    band = str(p.get("risk_band") or "")
    risk, low, high = p.get("risk"), p.get("risk_low"), p.get("risk_high")
    threshold = p.get("threshold")
    bar = interval_bar(risk, low, high, name="Risk of long-term unemployment", threshold=threshold)
    badge = (
        f"<span class='wb-badge wb-cv-band-{escape(band)}'>{escape(band.upper())} risk</span>"
        if band
        else ""
    )
    words = f"Estimated risk: <strong>{pct(risk)}</strong>"
    if _known(low) and _known(high):
        words += f" (interval {pct(low)} to {pct(high)})"
    if _known(threshold):
        words += f"; decision threshold {pct(threshold)}"
    return (
        f"<h2>Risk of long-term unemployment (12 months or more)</h2>{badge}"
        f"<p class='wb-cv-risk'>{words}.</p>{bar}"
        "<p class='wb-cv-key'>Dot: the estimate. Band: its interval. Dashed line: the "
        "threshold. An estimate is uncertain: read the band, not only the dot.</p>"
    )


def facts_html(p: Mapping[str, Any], pathway_id: int, saved: Mapping[str, Any] | None) -> str:
    """Who the pathway is for and what it was built with."""
    rows = [
        ("Jobseeker (pseudonym)", f"<span class='wb-hash'>{escape(str(p.get('person')))}</span>"),
        ("Region", escape(str(p.get("region") or "unknown"))),
        ("Profiling model", escape(str(p.get("model_version") or "unknown"))),
        ("Evidence version", escape(str(p.get("evidence_version") or "unknown"))),
        ("Pathway", f"#{int(pathway_id)}"),
    ]
    if saved:
        rows.append(
            (
                "Proposed",
                escape(f"{when(saved.get('created_at'))} by {saved.get('created_by', '?')}"),
            )
        )
    return _facts(rows)


def _facts(rows: Sequence[tuple[str, str]]) -> str:
    """Label–value rows (values already HTML) as a two-column table."""
    items = "".join(f"<tr><th scope='row'>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='wb-cv-facts'><tbody>{items}</tbody></table>"


def notes_html(notes: Sequence[str]) -> str:
    """What is missing from the pathway and why (empty when nothing is)."""
    if not notes:
        return ""
    items = "".join(f"<li>{escape(str(n))}</li>" for n in notes)
    return f"<h3>What is missing, and why</h3><ul class='wb-cv-notes'>{items}</ul>"


def linked(text: str) -> str:
    """``text`` escaped, with each ``http(s)://`` address in it a link (new tab)."""
    out, at = [], 0
    for match in _URL.finditer(str(text)):
        url = match.group(0).rstrip(".,;)")
        out.append(escape(text[at : match.start()]))
        out.append(
            f"<a href='{escape(url, quote=True)}' target='_blank' rel='noopener noreferrer'>"
            f"{escape(url)}</a>"
        )
        at = match.start() + len(url)
    return "".join(out) + escape(text[at:])


def _effect(step: Mapping[str, Any]) -> str:
    value, low, high = (step.get(k) for k in ("expected_effect", "effect_low", "effect_high"))
    if not _known(value):
        return "unknown: the evidence gives no estimate for this group and context"
    words = f"{pct(value)} chance of a significantly positive effect"
    if _known(low) and _known(high):
        words += f" (interval {pct(low)} to {pct(high)})"
    return escape(words) + interval_bar(value, low, high, name="Expected effect")


def _return_to_work(step: Mapping[str, Any]) -> str:
    rate, n = step.get("return_to_work"), int(step.get("return_to_work_n") or 0)
    basis = str(step.get("return_to_work_basis") or "")
    if not _known(rate):
        return escape("no rate: " + (basis or "no outcome data for this programme and area"))
    words = f"{pct(rate)} of {n} people were in work for at least a month within 6 months"
    return escape(words + (f" (basis: {basis})" if basis else ""))


def step_html(step: Mapping[str, Any], number: int) -> str:
    """One step's card body: when, what, target, effect, evidence, reason and sources."""
    label = str(step.get("label") or step.get("kind") or "step")
    rows = []
    if step.get("target_occupation") or step.get("target_isco"):
        occupation = str(step.get("target_occupation") or "")
        isco = step.get("target_isco")
        rows.append(("Target occupation", escape(occupation + (f" (ISCO {isco})" if isco else ""))))
        gap = [str(s) for s in step.get("skill_gap") or ()]
        rows.append(("Skill gap", escape(", ".join(gap)) if gap else "no missing essential skill"))
    rows.append(("Expected effect", _effect(step)))
    count, studies = int(step.get("evidence_count") or 0), int(step.get("studies") or 0)
    rows.append(
        (
            "Evidence",
            f"<span class='wb-cv-evidence'>{count} estimate{'s' * (count != 1)} from "
            f"{studies} stud{'ies' if studies != 1 else 'y'}</span>",
        )
    )
    rows.append(("Return to work", _return_to_work(step)))
    sources = [s for s in step.get("sources") or () if str(s).strip()]
    source_list = (
        "<p><strong>Sources:</strong></p><ul class='wb-cv-sources'>"
        + "".join(f"<li>{linked(str(s))}</li>" for s in sources)
        + "</ul>"
        if sources
        else "<p class='wb-muted'>No sources listed for this step.</p>"
    )
    return (
        f"<h3>Step {number}: <span class='wb-cv-when'>{escape(str(step.get('when') or ''))}"
        f"</span>{escape(label)}</h3>{_facts(rows)}"
        f"<p class='wb-cv-reason'><strong>Why:</strong> "
        f"{linked(str(step.get('reason') or 'no reason given'))}</p>{source_list}"
    )


def when(value: Any) -> str:
    """A time as ``2026-12-01 10:32 UTC`` (ISO strings and datetimes alike)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "unknown"


def decision_html(review: Any | None) -> str:
    """The step's current (latest) decision, or that there is none yet."""
    if review is None:
        return (
            "<p class='wb-cv-decision'>Not decided yet: this step is only a proposal until "
            "a counsellor decides.</p>"
        )
    what = ACTION_WORDS.get(review.action, review.action)
    if review.action == "change" and review.change_to:
        what += f" to “{review.change_to}”"
    return escape_p(
        f"Current decision: {what}, by {review.counsellor} on {when(review.at)}.",
        "wb-cv-decision",
    )


def escape_p(text: str, css: str) -> str:
    """``text`` escaped in a paragraph of class ``css``."""
    return f"<p class='{css}'>{escape(text)}</p>"


def history_html(reviews: Iterable[Any]) -> str:
    """A step's review log: who, what, when, why (oldest first)."""
    rows = "".join(
        "<tr>"
        f"<td class='wb-num'>{escape(when(r.at))}</td><td>{escape(r.counsellor)}</td>"
        f"<td>{escape(ACTION_WORDS.get(r.action, r.action))}"
        f"{escape(' to “' + r.change_to + '”') if r.change_to else ''}</td>"
        f"<td>{escape(r.reason or '—')}</td></tr>"
        for r in reviews
    )
    if not rows:
        return "<p class='wb-muted wb-cv-history'>Review history: no decisions yet.</p>"
    return (
        "<details class='wb-cv-history' open><summary>Review history</summary>"
        "<table class='wb-table'><thead><tr><th scope='col'>When</th>"
        "<th scope='col'>Who</th><th scope='col'>What</th><th scope='col'>Why</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></details>"
    )


def pathway_label(row: Mapping[str, Any]) -> str:
    """A saved pathway in the picker: when, whom, where, how many steps."""
    person = str(row.get("person") or "?")
    short = person[:10] + "…" if len(person) > 12 else person
    return (
        f"{when(row.get('created_at'))} · {short} · {row.get('region') or '?'} · "
        f"{row.get('steps', '?')} steps (#{row.get('id')})"
    )


__all__ = [
    "ACTION_WORDS",
    "BANNER",
    "decision_html",
    "facts_html",
    "header_html",
    "history_html",
    "interval_bar",
    "linked",
    "notes_html",
    "pathway_label",
    "pct",
    "risk_html",
    "step_html",
    "synthetic_html",
    "when",
]
