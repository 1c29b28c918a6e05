"""The words of the stakeholder app page around its forms, in the page's language.

Pure functions, escaped HTML out: the banner, the language switcher, announcements of
what the facilitator changed, the Delphi summary of the last round, the group's results
so far and the regional figures. Used by :mod:`workbench.app`.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

from workbench.i18n import Translator, translator
from workbench.participation.workshops import WorkshopInfo
from workbench.terms import context_word, run_text, written_html
from workbench.widgets.base import as_html, item_text


def language_switcher(info: WorkshopInfo, token: str, t: Translator) -> str:
    """Links to this page in the workshop's other languages ("" when it offers one)."""
    if len(info.languages) < 2:
        return ""
    links = []
    for code in info.languages:
        name = escape(translator(code).name)
        if code == t.code:
            links.append(f'<span lang="{code}" aria-current="true">{name}</span>')
            continue
        query = urlencode({"workshop": info.id, "token": token, "lang": code})
        links.append(f'<a href="?{escape(query)}" hreflang="{code}" lang="{code}">{name}</a>')
    label = escape(t._("Language"))
    return f'<nav class="wb-languages" aria-label="{label}">{" · ".join(links)}</nav>'


def banner_html(
    info: WorkshopInfo | None,
    t: Translator,
    *,
    synthetic: bool = False,
    synthetic_tables: list[str] | None = None,
    switcher: str = "",
) -> str:
    """The page header: workshop title, state, evidence version and the data note."""
    parts = [f'<header class="wb-card">{switcher}<h1>{escape(t._("ALMP co-design workshop"))}</h1>']
    if info is not None:
        parts.append(f"<h2>{escape(info.title)}</h2>")
        state = {
            "open": t._("Round {number} is open").format(number=info.current_round),
            "closed": t._("Closed"),
            "draft": t._("Not started"),
        }
        version = t._("evidence version {version}").format(version=info.bundle_hash)
        parts.append(
            f'<p class="wb-muted">{escape(state.get(info.state, info.state))} · '
            f"{escape(version)}</p>"
        )
        if synthetic:
            parts.append(
                f'<p class="wb-synthetic" role="note"><strong>{escape(t._("SYNTHETIC DEMO DATA."))}'
                "</strong> "
                + escape(
                    t._(
                        "The figures below are generated for demonstration and are not "
                        "official statistics."
                    )
                )
                + "</p>"
            )
        elif synthetic_tables:
            parts.append(
                '<p class="wb-synthetic" role="note"><strong>'
                + escape(t._("Real data, with SYNTHETIC tables."))
                + "</strong> "
                + escape(
                    t._(
                        "Figures come from Eurostat and ESCO, except: {tables}. Those are "
                        "marked where they appear."
                    )
                ).format(tables=run_text("; ".join(synthetic_tables), t))
                + "</p>"
            )
    parts.append("</header>")
    return "".join(parts)


def state_message(info: WorkshopInfo, t: Translator) -> str:
    """Why the feedback cannot be changed now."""
    if info.state == "closed":
        return t._("This workshop is closed. Your answers are shown read-only.")
    return t._("This workshop has not started yet. Please wait for the facilitator to open it.")


def change_notice(old: tuple[str, int], new: tuple[str, int], t: Translator) -> str:
    """An announcement of what the facilitator changed (a polite live region)."""
    (old_state, old_round), (state, number) = old, new
    if state == "closed":
        text = t._("The facilitator has closed the workshop. Your answers are shown read-only.")
    elif state == "open" and old_state != "open":
        text = t._("The workshop has started. You can join and answer now.")
    elif number != old_round:
        text = t._(
            "Round {number} has started. The results of round {previous} are shown below, "
            "with the items the group is asked about again."
        ).format(number=number, previous=old_round)
    else:
        return ""
    return (
        '<div class="wb-card wb-notice" role="status" aria-live="polite">'
        f"<p><strong>{escape(text)}</strong></p></div>"
    )


def previous_round_html(delphi: dict[str, Any], info: WorkshopInfo, t: Translator) -> str:
    """The Delphi summary shown before re-rating: what changed, what is re-asked, and why."""
    previous = delphi["previous"]
    number = previous["round"]
    items = previous.get("items", {})
    reask = delphi["reask"]
    settled = sum(1 for key, stat in items.items() if stat.get("consensus"))
    asked = (
        t._("all items")
        if reask is None
        else t.ngettext(
            "{n} item without consensus", "{n} items without consensus", len(reask)
        ).format(n=len(reask))
    )
    labels = {o["key"]: as_html(item_text(o, "label", t, info.language), t) for o in info.options}
    summary = t._(
        "{participants} participants rated in round {number}. The group agreed on {settled} "
        "of {total} items; this round asks again about {asked}. Each rating below shows the "
        "round-{number} median and the middle half of the answers. Answers are anonymous."
    ).format(
        participants=previous.get("participants", 0),
        number=number,
        settled=settled,
        total=len(info.options) * len(info.criteria),
        asked=asked,
    )
    parts = [
        f"<h2>{escape(t._('Results of round {number}').format(number=number))}</h2>",
        f"<p>{escape(summary)}</p>",
    ]
    reasons = delphi["reasons"]
    if reasons:
        general = escape(t._("General"))
        lines = "".join(
            f"<li><strong>{labels.get(r['about'], general)}:</strong> "
            f"{written_html(str(r.get('text', '')), r.get('language'), t)}</li>"
            for r in reasons
        )
        heading = escape(t._("The group's reasons"))
        parts.append(f'<h3>{heading}</h3><ul class="wb-reasons">{lines}</ul>')
    return "".join(parts)


def results_html(res: dict[str, Any], info: WorkshopInfo, t: Translator) -> str:
    """The group's results so far, for what the participant answered ("" when none)."""
    labels = {o["key"]: as_html(item_text(o, "label", t, info.language), t) for o in info.options}
    crit = {c["key"]: as_html(item_text(c, "label", t, info.language), t) for c in info.criteria}
    items = []
    for key, stat in sorted(res["ratings"].items()):
        option, criterion = key.split(":", 1)
        figure = t.ngettext(
            "median {median} of {scale} ({n} rating)",
            "median {median} of {scale} ({n} ratings)",
            stat["n"],
        ).format(median=_g(stat["median"], t), scale=info.scale, n=stat["n"])
        items.append(
            f"<li>{labels.get(option, escape(option))} – {crit.get(criterion, escape(criterion))}: "
            f"{escape(figure)}</li>"
        )
    if res["points"] and info.points:
        weights = [
            f"{crit.get(key, escape(key))} {t.percent(stat['mean'] / info.points)}"
            for key, stat in sorted(res["points"].items(), key=lambda kv: -kv[1]["mean"])
        ]
        n = max(stat["n"] for stat in res["points"].values())
        lead = t.ngettext(
            "What matters most (average weights from {n} participant)",
            "What matters most (average weights from {n} participants)",
            n,
        ).format(n=n)
        items.append(f"<li>{escape(lead)}: {', '.join(weights)}</li>")
    if res["approvals"]:
        n = res["approvals"]["n"]
        for key, count in res["approvals"]["counts"].items():
            supported = t._("supported by {count} of {n}").format(count=count, n=n)
            items.append(f"<li>{labels.get(key, escape(key))}: {escape(supported)}</li>")
    if not items:
        return ""
    return (
        f'<div class="wb-card"><h3>{escape(t._("The group so far"))}</h3>'
        f'<p class="wb-muted">{escape(t._("Shown for what you have answered yourself."))}</p>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def _g(value: float, t: Translator) -> str:
    """A median as people write it: ``4``, ``3.5`` (``3,5`` in Spanish)."""
    return t.number(value, 0 if float(value).is_integer() else 1)


def _figure(latest: dict[str, Any], key: str, code: str, t: Translator) -> str:
    value = latest.get(key, {}).get(code, {}).get("value")
    return "–" if value is None else t.points(float(value), 1)


def regional_html(d: dict[str, Any], t: Translator) -> str:
    """The figures of a ``regional_diagnosis`` run (the demo case studies)."""
    code = d["region"]["code"]
    latest = d.get("latest", {})
    ctx = d.get("context", {})
    heading = escape(t._("1. The region: {name} ({code})")).format(
        name=escape(d["region"]["name"]), code=escape(code)
    )
    year = d["years"]["latest"]
    unemployment = escape(t._("Unemployment rate {year}: {value} (EU-27 {eu})")).format(
        year=year,
        value=f"<strong>{_figure(latest, 'unemployment_rate', code, t)}</strong>",
        eu=_figure(latest, "unemployment_rate", "EU27_2020", t),
    )
    youth = escape(t._("Youth unemployment: {value}")).format(
        value=f"<strong>{_figure(latest, 'youth_unemployment_rate', code, t)}</strong>"
    )
    vacancies = escape(t._("Job vacancy rate: {value}")).format(
        value=_figure(latest, "vacancy_rate", code, t)
    )
    sector = escape(t._("Sector: {sector} ({skill}-skilled jobs), unemployment is {level}")).format(
        sector=run_text(d["sector"]["name"], t),
        skill=escape(context_word(d["sector"].get("skill_level", ""), t)),
        level=f"<strong>{escape(context_word(ctx.get('unemployment', '?'), t))}</strong>",
    )
    items = "".join(f"<li>{x}</li>" for x in (unemployment, youth, vacancies, sector))
    return f"<h2>{heading}</h2><ul>{items}</ul>"
