"""Sections of the stakeholder app built from run artefacts (diagnosis, policy mix, evidence).

Pure functions: a parsed ``diagnosis.json`` in, escaped HTML out. The app shows what the
run computed (it never recomputes) and says, next to each part, whether its numbers are
real (with the source the licence asks to name) or synthetic.
"""

from __future__ import annotations

import os
from html import escape
from typing import Any

__all__ = [
    "attribution_html",
    "diagnosis_html",
    "evidence_html",
    "image_html",
    "policy_mix_html",
    "synthetic_parts",
    "tuned_html",
]

_PROGRAMMES = {
    "training": "Training",
    "job_search_assistance": "Job search assistance",
    "mobility_support": "Mobility support",
}
_IMAGES = {
    "unemployment": "Unemployment rate over time: the region, its country and the EU-27",
    "beveridge": "Beveridge curve: job vacancy rate against unemployment rate, by year",
    "transitions": "From surplus to shortage occupations, by skill similarity (synthetic counts)",
    "tightness": "Vacancies per jobseeker by occupation group and region (synthetic)",
}


def image_html(publication_id: int, template: str, name: str, alt: str) -> str:
    """An ``<img>`` of a run's PNG artefact, served by the app server."""
    base = os.environ.get("VOILA_BASE_URL", "/")
    src = f"{base}workbench/artefacts/{publication_id}/{template}/{name}.png"
    return f'<img src="{escape(src)}" alt="{escape(alt)}" loading="lazy" style="max-width:100%">'


def _programme(key: str) -> str:
    return _PROGRAMMES.get(key, key.replace("_", " "))


def _pct(entry: dict[str, Any] | None) -> str:
    if not entry or entry.get("value") is None:
        return "not published"
    flag = f" ({escape(str(entry['flags']))})" if entry.get("flags") else ""
    return f"{float(entry['value']):.1f}%{flag}"


def synthetic_parts(artefacts: dict[str, Any]) -> list[str]:
    """Names of the synthetic tables any run of the publication used."""
    parts: list[str] = []
    for entry in artefacts.values():
        for doc in (entry.get("json") or {}).values():
            if isinstance(doc, dict):
                parts.extend(str(p) for p in doc.get("synthetic_parts") or [])
    return list(dict.fromkeys(parts))


def attribution_html(artefacts: dict[str, Any]) -> str:
    """The attribution lines the data licences ask for ("" when none)."""
    lines: list[str] = []
    for entry in artefacts.values():
        for doc in (entry.get("json") or {}).values():
            if isinstance(doc, dict):
                lines.extend(str(a) for a in doc.get("attribution") or [])
    if not lines:
        return ""
    items = "".join(f"<li>{escape(a)}</li>" for a in dict.fromkeys(lines))
    return f'<footer class="wb-muted wb-attribution"><h2>Data sources</h2><ul>{items}</ul></footer>'


def diagnosis_html(publication_id: int, d: dict[str, Any], images: dict[str, str]) -> str:
    """The diagnosis section: figures, context, shortages, transitions and policy links."""
    region = d["region"]
    latest = d.get("latest", {})
    ctx = d.get("context", {})
    html = [
        f"<h2>1. The region: {escape(str(region['name']))} ({escape(str(region['code']))})</h2>",
        '<p class="wb-muted">Real data: Eurostat and ESCO. Occupation counts: SYNTHETIC.</p>',
        "<ul>",
        f"<li>Unemployment rate: <strong>{_pct(latest.get('unemployment_rate'))}</strong> "
        f"(EU-27 {_pct(latest.get('eu_unemployment_rate'))})</li>",
        f"<li>Young people 15-29: <strong>{_pct(latest.get('youth_unemployment_rate'))}</strong>"
        f" (EU-27 {_pct(latest.get('eu_youth_unemployment_rate'))})</li>",
        f"<li>Long-term unemployed (12+ months): "
        f"<strong>{_pct(latest.get('long_term_share'))}</strong> of the unemployed "
        f"(EU-27 {_pct(latest.get('eu_long_term_share'))})</li>",
        f"<li>Context: <strong>{escape(str(ctx.get('unemployment', '?')))} unemployment</strong>,"
        f" <strong>{escape(str(ctx.get('skill_level', '?')))}-skilled jobs</strong>, labour "
        f"market in <strong>{escape(str(ctx.get('cycle_phase', '?')))}</strong></li>",
        "</ul>",
    ]
    for name in ("unemployment", "beveridge"):
        if name in images:
            html.append(image_html(publication_id, "diagnosis", name, _IMAGES[name]))
    moves = d.get("transitions") or []
    if moves:
        rows = "".join(
            f"<tr><td>{escape(str(m['from']))}</td><td>{escape(str(m['to']))}</td>"
            f'<td class="wb-num">{float(m["similarity"]):.2f}</td>'
            f"<td>{escape('; '.join(m.get('skills_to_learn', [])[:4])) or '–'}</td></tr>"
            for m in moves
            if m.get("rank") == 1
        )
        html += [
            "<h3>Who could fill the jobs employers cannot fill?</h3>",
            '<p class="wb-synthetic" role="note">Surplus and shortage occupations come from a '
            "SYNTHETIC jobseekers table; the skills are real ESCO skills.</p>",
            '<table class="wb-table"><caption>From surplus to shortage occupations</caption>'
            '<thead><tr><th scope="col">From</th><th scope="col">To</th>'
            '<th scope="col">Skill similarity</th><th scope="col">Skills to learn</th></tr>'
            f"</thead><tbody>{rows}</tbody></table>",
        ]
        if "transitions" in images:
            html.append(
                image_html(publication_id, "diagnosis", "transitions", _IMAGES["transitions"])
            )
    links = d.get("policy_links") or []
    if links:
        items = "".join(
            f"<li><strong>{escape(_programme(str(link['programme_type'])))}</strong>: "
            f"{escape(str(link['reason']))}</li>"
            for link in links
        )
        html.append(f"<h3>What the data point to</h3><ul>{items}</ul>")
    return "".join(html)


def _share(value: Any) -> str:
    return "–" if value is None else f"{float(value):.0%}"


def policy_mix_html(publication_id: int, doc: dict[str, Any], images: dict[str, str]) -> str:
    """The policy-mix section: the ranking with intervals, evidence counts and reasons."""
    rec = doc["recommendation"]
    model = doc.get("model", {})
    groups = rec.get("target_groups") or list(rec.get("by_group", {}))
    tuning = doc.get("tuning")
    html = [
        "<h2>2. What works here: the evidence-based policy mix</h2>",
        tuned_html(publication_id, tuning, images) if tuning else "",
        '<p class="wb-muted">Chance that a published estimate in a comparable situation is '
        "significantly positive, with its 95% interval, from the approved effectiveness model "
        f"(almp_effectiveness {escape(str(model.get('version', '?')))}). Real published "
        "evidence; each reason names the estimates it rests on.</p>",
    ]
    for group in groups:
        rows = "".join(
            f"<tr><td>{int(o['rank'])}</td><td>{escape(str(o['label']))}</td>"
            + (
                f'<td class="wb-num">{_share(o["p_positive"])} '
                f"[{_share(o['p_positive_low'])}–{_share(o['p_positive_high'])}]</td>"
                if o.get("p_positive") is not None
                else "<td>insufficient evidence</td>"
            )
            + f'<td class="wb-num">{int(o["votes"])} / {int(o["studies"])}</td>'
            f"<td><details><summary>Why</summary>{escape(str(o['reason']))}</details></td></tr>"
            for o in rec["by_group"][group]
        )
        html.append(
            f'<table class="wb-table"><caption>{escape(group.replace("_", " ").capitalize())}: '
            f"{escape(str(rec.get('horizon', '')))} run, "
            f"{escape(str(rec.get('context', {}).get('unemployment', '?')))} unemployment"
            '</caption><thead><tr><th scope="col">Rank</th><th scope="col">Programme</th>'
            '<th scope="col">Significantly positive</th><th scope="col">Estimates / studies</th>'
            f'<th scope="col">Evidence</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    if "ranking" in images:
        html.append(
            image_html(
                publication_id,
                "policy_mix",
                "ranking",
                "Programme types ranked by the chance of a significantly positive effect, "
                "with 95% intervals",
            )
        )
    notes = "".join(f"<li>{escape(str(n))}</li>" for n in rec.get("notes", []))
    if notes:
        html.append(f'<ul class="wb-muted">{notes}</ul>')
    return "".join(html)


def tuned_html(publication_id: int, tuning: dict[str, Any], images: dict[str, str]) -> str:
    """The accepted tuned proposal: its ranking with rank probabilities, what changed since
    the last round and how it would move under other choices."""
    rows = "".join(
        f"<tr><td>{int(r['rank'])}</td><td>{escape(str(r['label']))}</td>"
        f'<td class="wb-num">{_share(r["p_first"])}</td>'
        f"<td>{'insufficient evidence' if r.get('insufficient_evidence') else ''}</td></tr>"
        for r in tuning["ranking"]
    )
    weights = ", ".join(
        f"{escape(c.replace('_', ' '))} {float(w):.2f}" for c, w in tuning["weights"].items()
    )
    changes = tuning.get("changes", {})
    lines = "".join(f"<li>{escape(str(x))}</li>" for x in changes.get("lines", []))
    sensitivity = "".join(f"<li>{escape(str(x))}</li>" for x in tuning.get("sensitivity", []))
    html = [
        '<section class="wb-tuned" aria-labelledby="wb-tuned-h">',
        f'<h3 id="wb-tuned-h">The proposal after workshop round {int(tuning["round"])}</h3>',
        f'<p class="wb-muted">Version {escape(str(tuning["short"]))}, accepted by the '
        "facilitator. Your priorities (the 100 points) weight the criteria, your ratings score "
        "the programmes and the evidence below is one more criterion "
        f"({escape(str(tuning['method']))}; stakeholder groups counted "
        f"{escape(str(tuning['group_rule']))}). Weights: {weights}.</p>",
        '<table class="wb-table"><caption>Tuned ranking, and how sure it is</caption><thead>'
        '<tr><th scope="col">Rank</th><th scope="col">Programme</th>'
        f'<th scope="col">First in (share of {int(tuning["n_draws"])} draws)</th>'
        f'<th scope="col">Evidence</th></tr></thead><tbody>{rows}</tbody></table>',
    ]
    if "tuned_ranking" in images:
        html.append(
            image_html(
                publication_id,
                "policy_mix",
                "tuned_ranking",
                "Each programme's chance of each rank over the resampled answers",
            )
        )
    html.append(
        '<details class="wb-changes" open><summary>What changed since the last round'
        f"</summary><p>Compared with {escape(str(changes.get('against', '')))}:</p>"
        f"<ul>{lines}</ul></details>"
    )
    if sensitivity:
        html.append(
            "<details><summary>Would it change under other choices?</summary>"
            f"<ul>{sensitivity}</ul></details>"
        )
    html.append("</section>")
    return "".join(html)


def evidence_html(publication_id: int, doc: dict[str, Any], images: dict[str, str]) -> str:
    """The evidence section: the forest plot and the vote shares, with the model's version."""
    model = doc.get("model", {})
    html = [
        "<h2>3. The published evidence behind it</h2>",
        f'<p class="wb-muted">almp_effectiveness {escape(str(model.get("version", "?")))}, '
        f"approved by {escape(str(model.get('approved_by', '?')))}; "
        f"{int(doc.get('counts', {}).get('rows_estimate', 0))} published estimates.</p>",
    ]
    alts = {
        "votes": "Share of significantly positive, insignificant and negative estimates by "
        "programme type and horizon",
        "forest": "Forest plot of comparable published effect sizes with 95% intervals",
    }
    for name, alt in alts.items():
        if name in images:
            html.append(image_html(publication_id, "evidence", name, alt))
    return "".join(html)
