"""Sections of the stakeholder app built from run artefacts (diagnosis, policy mix, evidence).

Pure functions: a parsed ``diagnosis.json`` in, escaped HTML out. The app shows what the
run computed (it never recomputes) and says, next to each part, whether its numbers are
real (with the source the licence asks to name) or synthetic.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from html import escape
from typing import Any

from workbench.i18n import ENGLISH, N_, Translator
from workbench.terms import context_word, programme, run_text, target_group

__all__ = [
    "attribution_html",
    "diagnosis_html",
    "evidence_html",
    "image_html",
    "policy_mix_html",
    "synthetic_parts",
    "table_html",
    "tuned_html",
]

_IMAGES = {
    "unemployment": N_("Unemployment rate over time: the region, its country and the EU-27"),
    "beveridge": N_("Beveridge curve: job vacancy rate against unemployment rate, by year"),
    "transitions": N_(
        "From surplus to shortage occupations, by skill similarity (synthetic counts)"
    ),
    "tightness": N_("Vacancies per jobseeker by occupation group and region (synthetic)"),
}


def image_html(publication_id: int, template: str, name: str, alt: str) -> str:
    """An ``<img>`` of a run's PNG artefact, served by the app server."""
    base = os.environ.get("VOILA_BASE_URL", "/")
    src = f"{base}workbench/artefacts/{publication_id}/{template}/{name}.png"
    return f'<img src="{escape(src)}" alt="{escape(alt)}" loading="lazy" style="max-width:100%">'


def _pct(entry: dict[str, Any] | None, t: Translator) -> str:
    if not entry or entry.get("value") is None:
        return escape(t._("not published"))
    flag = f" ({escape(str(entry['flags']))})" if entry.get("flags") else ""
    return f"{t.points(float(entry['value']), 1)}{flag}"


def _label(option: dict[str, Any], t: Translator) -> str:
    """A programme's name: the run's own (English) label, or its translation."""
    if t.code == "en":
        return escape(str(option["label"]))
    key = str(option.get("programme_type") or option.get("option") or "")
    return escape(programme(key, t, fallback=str(option["label"])))


def table_html(caption: str, headers: Sequence[str], body: str) -> str:
    """A table (``body``: its escaped ``<tr>`` rows) in a region that scrolls sideways
    on a narrow phone, reachable by keyboard and named by the caption."""
    heads = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    return (
        f'<div class="wb-table-scroll" role="region" tabindex="0" aria-label="{escape(caption)}">'
        f'<table class="wb-table"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def synthetic_parts(artefacts: dict[str, Any]) -> list[str]:
    """Names of the synthetic tables any run of the publication used."""
    parts: list[str] = []
    for entry in artefacts.values():
        for doc in (entry.get("json") or {}).values():
            if isinstance(doc, dict):
                parts.extend(str(p) for p in doc.get("synthetic_parts") or [])
    return list(dict.fromkeys(parts))


def attribution_html(artefacts: dict[str, Any], t: Translator = ENGLISH) -> str:
    """The attribution lines the data licences ask for ("" when none)."""
    lines: list[str] = []
    for entry in artefacts.values():
        for doc in (entry.get("json") or {}).values():
            if isinstance(doc, dict):
                lines.extend(str(a) for a in doc.get("attribution") or [])
    if not lines:
        return ""
    items = "".join(f"<li>{run_text(a, t)}</li>" for a in dict.fromkeys(lines))
    return (
        f'<footer class="wb-muted wb-attribution"><h2>{escape(t._("Data sources"))}</h2>'
        f"<ul>{items}</ul></footer>"
    )


def diagnosis_html(
    publication_id: int, d: dict[str, Any], images: dict[str, str], t: Translator = ENGLISH
) -> str:
    """The diagnosis section: figures, context, shortages, transitions and policy links."""
    region = d["region"]
    latest = d.get("latest", {})
    ctx = d.get("context", {})
    heading = escape(t._("1. The region: {name} ({code})")).format(
        name=escape(str(region["name"])), code=escape(str(region["code"]))
    )
    eu = escape(t._("EU-27 {value}"))
    html = [
        f"<h2>{heading}</h2>",
        '<p class="wb-muted">'
        + escape(t._("Real data: Eurostat and ESCO. Occupation counts: SYNTHETIC."))
        + "</p>",
        "<ul>",
        "<li>"
        + escape(t._("Unemployment rate: {value} ({eu})")).format(
            value=f"<strong>{_pct(latest.get('unemployment_rate'), t)}</strong>",
            eu=eu.format(value=_pct(latest.get("eu_unemployment_rate"), t)),
        )
        + "</li>",
        "<li>"
        + escape(t._("Young people 15-29: {value} ({eu})")).format(
            value=f"<strong>{_pct(latest.get('youth_unemployment_rate'), t)}</strong>",
            eu=eu.format(value=_pct(latest.get("eu_youth_unemployment_rate"), t)),
        )
        + "</li>",
        "<li>"
        + escape(t._("Long-term unemployed (12+ months): {value} of the unemployed ({eu})")).format(
            value=f"<strong>{_pct(latest.get('long_term_share'), t)}</strong>",
            eu=eu.format(value=_pct(latest.get("eu_long_term_share"), t)),
        )
        + "</li>",
        "<li>"
        + escape(
            t._(
                "Context: {unemployment} unemployment, {skill}-skilled jobs, "
                "labour market in {phase}"
            )
        ).format(
            unemployment=f"<strong>{escape(context_word(ctx.get('unemployment'), t))}</strong>",
            skill=f"<strong>{escape(context_word(ctx.get('skill_level'), t))}</strong>",
            phase=f"<strong>{escape(context_word(ctx.get('cycle_phase'), t))}</strong>",
        )
        + "</li>",
        "</ul>",
    ]
    for name in ("unemployment", "beveridge"):
        if name in images:
            html.append(image_html(publication_id, "diagnosis", name, t._(_IMAGES[name])))
    moves = d.get("transitions") or []
    if moves:
        rows = "".join(
            f"<tr><td>{run_text(m['from'], t)}</td><td>{run_text(m['to'], t)}</td>"
            f'<td class="wb-num">{t.number(float(m["similarity"]), 2)}</td>'
            f"<td>{run_text('; '.join(m.get('skills_to_learn', [])[:4]) or '–', t)}</td></tr>"
            for m in moves
            if m.get("rank") == 1
        )
        html += [
            f"<h3>{escape(t._('Who could fill the jobs employers cannot fill?'))}</h3>",
            '<p class="wb-synthetic" role="note">'
            + escape(
                t._(
                    "Surplus and shortage occupations come from a SYNTHETIC jobseekers "
                    "table; the skills are real ESCO skills."
                )
            )
            + "</p>",
            table_html(
                t._("From surplus to shortage occupations"),
                (t._("From"), t._("To"), t._("Skill similarity"), t._("Skills to learn")),
                rows,
            ),
        ]
        if "transitions" in images:
            html.append(
                image_html(publication_id, "diagnosis", "transitions", t._(_IMAGES["transitions"]))
            )
    links = d.get("policy_links") or []
    if links:
        items = "".join(
            f"<li><strong>{escape(programme(str(link['programme_type']), t))}</strong>: "
            f"{run_text(link['reason'], t)}</li>"
            for link in links
        )
        html.append(f"<h3>{escape(t._('What the data point to'))}</h3><ul>{items}</ul>")
    return "".join(html)


def _share(value: Any, t: Translator) -> str:
    return "–" if value is None else t.percent(float(value))


def policy_mix_html(
    publication_id: int, doc: dict[str, Any], images: dict[str, str], t: Translator = ENGLISH
) -> str:
    """The policy-mix section: the ranking with intervals, evidence counts and reasons."""
    rec = doc["recommendation"]
    model = doc.get("model", {})
    groups = rec.get("target_groups") or list(rec.get("by_group", {}))
    tuning = doc.get("tuning")
    html = [
        f"<h2>{escape(t._('2. What works here: the evidence-based policy mix'))}</h2>",
        tuned_html(publication_id, tuning, images, t) if tuning else "",
        '<p class="wb-muted">'
        + escape(
            t._(
                "Chance that a published estimate in a comparable situation is significantly "
                "positive, with its 95% interval, from the approved effectiveness model "
                "(almp_effectiveness {version}). Real published evidence; each reason names "
                "the estimates it rests on."
            ).format(version=model.get("version", "?"))
        )
        + "</p>",
    ]
    insufficient = escape(t._("insufficient evidence"))
    why = escape(t._("Why"))
    for group in groups:
        rows = "".join(
            f"<tr><td>{int(o['rank'])}</td><td>{_label(o, t)}</td>"
            + (
                f'<td class="wb-num">{_share(o["p_positive"], t)} '
                f"[{_share(o['p_positive_low'], t)}–{_share(o['p_positive_high'], t)}]</td>"
                if o.get("p_positive") is not None
                else f"<td>{insufficient}</td>"
            )
            + f'<td class="wb-num">{int(o["votes"])} / {int(o["studies"])}</td>'
            f"<td><details><summary>{why}</summary>{run_text(o['reason'], t)}</details></td></tr>"
            for o in rec["by_group"][group]
        )
        group_name = (
            group.replace("_", " ").capitalize() if t.code == "en" else target_group(group, t)
        )
        caption = t._("{group}: {horizon} run, {unemployment} unemployment").format(
            group=group_name,
            horizon=context_word(rec.get("horizon", ""), t),
            unemployment=context_word(rec.get("context", {}).get("unemployment", "?"), t),
        )
        heads = (
            t._("Rank"),
            t._("Programme"),
            t._("Significantly positive"),
            t._("Estimates / studies"),
            t._("Evidence"),
        )
        html.append(table_html(caption, heads, rows))
    if "ranking" in images:
        html.append(
            image_html(
                publication_id,
                "policy_mix",
                "ranking",
                t._(
                    "Programme types ranked by the chance of a significantly positive effect, "
                    "with 95% intervals"
                ),
            )
        )
    notes = "".join(f"<li>{run_text(n, t)}</li>" for n in rec.get("notes", []))
    if notes:
        html.append(f'<ul class="wb-muted">{notes}</ul>')
    return "".join(html)


def tuned_html(
    publication_id: int, tuning: dict[str, Any], images: dict[str, str], t: Translator = ENGLISH
) -> str:
    """The accepted tuned proposal: its ranking with rank probabilities, what changed since
    the last round and how it would move under other choices."""
    insufficient = escape(t._("insufficient evidence"))
    rows = "".join(
        f"<tr><td>{int(r['rank'])}</td><td>{_label(r, t)}</td>"
        f'<td class="wb-num">{_share(r["p_first"], t)}</td>'
        f"<td>{insufficient if r.get('insufficient_evidence') else ''}</td></tr>"
        for r in tuning["ranking"]
    )
    weights = ", ".join(
        f"{escape(c.replace('_', ' '))} {t.number(float(w), 2)}"
        for c, w in tuning["weights"].items()
    )
    changes = tuning.get("changes", {})
    lines = "".join(f"<li>{run_text(x, t)}</li>" for x in changes.get("lines", []))
    sensitivity = "".join(f"<li>{run_text(x, t)}</li>" for x in tuning.get("sensitivity", []))
    about = t._(
        "Version {version}, accepted by the facilitator. Your priorities (the 100 points) "
        "weight the criteria, your ratings score the programmes and the evidence below is "
        "one more criterion ({method}; stakeholder groups counted {rule}). Weights: {weights}."
    )
    html = [
        '<section class="wb-tuned" aria-labelledby="wb-tuned-h">',
        '<h3 id="wb-tuned-h">'
        + escape(t._("The proposal after workshop round {number}").format(number=tuning["round"]))
        + "</h3>",
        '<p class="wb-muted">'
        + escape(about).format(
            version=escape(str(tuning["short"])),
            method=escape(str(tuning["method"])),
            rule=escape(str(tuning["group_rule"])),
            weights=weights,
        )
        + "</p>",
        table_html(
            t._("Tuned ranking, and how sure it is"),
            (
                t._("Rank"),
                t._("Programme"),
                t._("First in (share of {n} draws)").format(n=int(tuning["n_draws"])),
                t._("Evidence"),
            ),
            rows,
        ),
    ]
    if "tuned_ranking" in images:
        html.append(
            image_html(
                publication_id,
                "policy_mix",
                "tuned_ranking",
                t._("Each programme's chance of each rank over the resampled answers"),
            )
        )
    html.append(
        '<details class="wb-changes" open><summary>'
        + escape(t._("What changed since the last round"))
        + "</summary><p>"
        + escape(t._("Compared with {reference}:")).format(
            reference=run_text(changes.get("against", ""), t)
        )
        + f"</p><ul>{lines}</ul></details>"
    )
    if sensitivity:
        html.append(
            "<details><summary>"
            + escape(t._("Would it change under other choices?"))
            + f"</summary><ul>{sensitivity}</ul></details>"
        )
    html.append("</section>")
    return "".join(html)


def evidence_html(
    publication_id: int, doc: dict[str, Any], images: dict[str, str], t: Translator = ENGLISH
) -> str:
    """The evidence section: the forest plot and the vote shares, with the model's version."""
    model = doc.get("model", {})
    rows = int(doc.get("counts", {}).get("rows_estimate", 0))
    html = [
        f"<h2>{escape(t._('3. The published evidence behind it'))}</h2>",
        '<p class="wb-muted">'
        + escape(
            t.ngettext(
                "almp_effectiveness {version}, approved by {expert}; {n} published estimate.",
                "almp_effectiveness {version}, approved by {expert}; {n} published estimates.",
                rows,
            ).format(
                version=model.get("version", "?"), expert=model.get("approved_by", "?"), n=rows
            )
        )
        + "</p>",
    ]
    alts = {
        "votes": N_(
            "Share of significantly positive, insignificant and negative estimates by "
            "programme type and horizon"
        ),
        "forest": N_("Forest plot of comparable published effect sizes with 95% intervals"),
    }
    for name, alt in alts.items():
        if name in images:
            html.append(image_html(publication_id, "evidence", name, t._(alt)))
    return "".join(html)
