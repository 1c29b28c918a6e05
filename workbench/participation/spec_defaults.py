"""A workshop's default content, from the case study's published runs, in each of the
workshop's languages.

The options are the programme types the runs ranked (or, with only a labour-market
diagnosis, the main programme types with what the data point to); the criteria and the
seed statements are the workbench's. Each generator writes one language
(``build(t)``); :func:`multilingual` runs it for every offered language and keeps the
default language's text with the others as translations (see :mod:`.spec`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from workbench.i18n import N_, Translator, translator
from workbench.terms import programme, target_group

from .spec import DEFAULT_POINTS

#: criteria of every default workshop
DEFAULT_CRITERIA: list[dict[str, str]] = [
    {
        "key": "effectiveness",
        "label": N_("Effectiveness"),
        "description": N_("How well would this help the target groups into good jobs?"),
    },
    {
        "key": "feasibility",
        "label": N_("Feasibility"),
        "description": N_(
            "How feasible is it in this region with today's institutions and budget?"
        ),
    },
    {
        "key": "fairness",
        "label": N_("Fairness"),
        "description": N_("Does it reach those furthest from the labour market?"),
    },
    {
        "key": "employer_fit",
        "label": N_("Fit with employers' needs"),
        "description": N_("Does it match the skills employers in this sector are looking for?"),
    },
]
#: Programme types (Card, Kluve & Weber) a diagnosis-only workshop asks about.
DIAGNOSIS_OPTIONS: tuple[str, ...] = (
    "training",
    "job_search_assistance",
    "private_employment_subsidy",
    "public_employment",
    "mobility_support",
)

Build = Callable[[Translator], dict[str, Any]]


def multilingual(build: Build, language: str, languages: Sequence[str]) -> dict[str, Any]:
    """The spec ``build`` writes, in ``language`` with ``languages``' texts as translations."""
    spec = build(translator(language))
    spec["language"] = language
    spec["languages"] = list(dict.fromkeys([language, *languages]))
    others = {code: build(translator(code)) for code in spec["languages"] if code != language}
    for section in ("options", "criteria"):
        for index, item in enumerate(spec[section]):
            translations = {
                code: {
                    "label": other[section][index]["label"],
                    "description": other[section][index]["description"],
                }
                for code, other in others.items()
            }
            if translations:
                item["translations"] = translations
    if others:
        spec["statement_translations"] = [
            {code: other["statements"][i] for code, other in others.items()}
            for i in range(len(spec["statements"]))
        ]
    return spec


def _criteria(t: Translator) -> list[dict[str, str]]:
    return [
        {"key": c["key"], "label": t._(c["label"]), "description": t._(c["description"])}
        for c in DEFAULT_CRITERIA
    ]


def _spec(
    title: str, options: list[dict[str, str]], statements: list[str], t: Translator
) -> dict[str, Any]:
    return {
        "title": title,
        "scale": 5,
        "options": options,
        "criteria": _criteria(t),
        "statements": statements,
        "points": DEFAULT_POINTS,
    }


def _groups(target_groups: list[str], t: Translator) -> str:
    """The target groups inside a sentence ("young people (15-29), incl. NEETs and
    women"): lower-case initials, except where nouns keep their capital (German)."""
    names = [target_group(g, t) for g in target_groups]
    if t.code != "de":
        names = [name[:1].lower() + name[1:] for name in names]
    return t.join(names) if names else t._("the target groups")


def default_spec(
    *, title: str, evidence: dict[str, Any], region_name: str, target_groups: list[str]
) -> Build:
    """A spec built from an evidence review artefact: its ranked programmes become options."""
    ranked = [r for r in evidence.get("ranking", []) if r.get("status") == "ranked"][:6]

    def build(t: Translator) -> dict[str, Any]:
        options = [
            {
                "key": r["programme_type"],
                "label": programme(r["programme_type"], t, fallback=r["programme"]),
                "description": t.ngettext(
                    "Evidence score {score} from {n} published finding",
                    "Evidence score {score} from {n} published findings",
                    r["n_findings"],
                ).format(score=f"{r['score']:+d}", n=r["n_findings"]),
            }
            for r in ranked
        ]
        first = (
            t._("{programme} should be the first priority in {region}.").format(
                programme=options[0]["label"], region=region_name
            )
            if options
            else t._("Employers in {region} should co-design the programmes.").format(
                region=region_name
            )
        )
        statements = [
            first,
            t._("Employers in {region} should co-design the training content.").format(
                region=region_name
            ),
            t._("Programmes for {groups} need personal case managers, not only courses.").format(
                groups=_groups(target_groups, t)
            ),
            t._("Results of each programme should be published every year."),
            t._("Subsidised jobs crowd out regular hiring."),
            t._("The evidence from other countries applies to our region."),
        ]
        return _spec(title, options, statements, t)

    return build


def policy_mix_spec(
    *, title: str, policy_mix: dict[str, Any], region_name: str, target_groups: list[str]
) -> Build:
    """A spec from a ``policy_mix`` artefact: its ranked programme types become the options.

    The options follow the ranking of the first target group (the accepted tuned ranking
    when the artefact has one); each description gives the evidence figure with its
    interval and count, or says the evidence is insufficient.
    """
    rec = policy_mix["recommendation"]
    first_group = (rec.get("target_groups") or list(rec["by_group"]))[0]
    ranked = list(rec["by_group"][first_group])
    tuned = [r["option"] for r in (policy_mix.get("tuning") or {}).get("ranking", [])]
    if tuned:
        place = {key: i for i, key in enumerate(tuned)}
        ranked.sort(key=lambda o: place.get(str(o["programme_type"]), len(place)))

    def describe(o: dict[str, Any], t: Translator) -> str:
        if o.get("p_positive") is None:
            return t._("Insufficient published evidence for this situation.")
        return t.ngettext(
            "Evidence rank {rank}: {p} chance of a significantly positive effect "
            "[{low}-{high}], {votes} estimates from {n} study.",
            "Evidence rank {rank}: {p} chance of a significantly positive effect "
            "[{low}-{high}], {votes} estimates from {n} studies.",
            int(o["studies"]),
        ).format(
            rank=o["rank"],
            p=t.percent(o["p_positive"]),
            low=t.percent(o["p_positive_low"]),
            high=t.percent(o["p_positive_high"]),
            votes=o["votes"],
            n=o["studies"],
        )

    def build(t: Translator) -> dict[str, Any]:
        options = [
            {
                "key": str(o["programme_type"]),
                "label": programme(str(o["programme_type"]), t, fallback=str(o["label"])),
                "description": describe(o, t),
            }
            for o in ranked
        ]
        statements = [
            t._("{programme} should be the first priority in {region}.").format(
                programme=options[0]["label"], region=region_name
            ),
            t._("The published evidence applies to our region."),
            t._("Programmes for {groups} need personal case managers, not only courses.").format(
                groups=_groups(target_groups, t)
            ),
            t._("Results of each programme should be published every year."),
            t._("Subsidised jobs crowd out regular hiring."),
            t._("Employers in {region} should co-design the training content.").format(
                region=region_name
            ),
        ]
        return _spec(title, options, statements, t)

    return build


def diagnosis_spec(
    *, title: str, diagnosis: dict[str, Any], region_name: str, target_groups: list[str]
) -> Build:
    """A spec from a labour-market diagnosis when the case has no evidence ranking yet.

    The options are the main programme types; each says whether the region's data point
    to it (a skill gap, a matching friction, a regional mismatch) and why (the run's
    reason, in English). The diagnosis does not rank them: the participants do.
    """
    links = {str(link["programme_type"]): link for link in diagnosis.get("policy_links", [])}

    def build(t: Translator) -> dict[str, Any]:
        options = []
        for key in DIAGNOSIS_OPTIONS:
            link = links.get(key)
            if key == "mobility_support" and link is None:
                continue
            description = (
                t._("The regional data point to it: {reason}").format(reason=link["reason"])
                if link
                else t._(
                    "The regional data give no specific signal for it; weigh it on its merits."
                )
            )
            options.append(
                {"key": key, "label": programme(key, t), "description": description[:300]}
            )
        first = next(iter(links), None)
        statements = [
            t._("{programme} should be the first priority in {region}.").format(
                programme=programme(first, t), region=region_name
            )
            if first
            else t._("Employers in {region} should co-design the programmes.").format(
                region=region_name
            ),
            t._(
                "Jobseekers in surplus occupations in {region} can learn the skills that "
                "shortage occupations need."
            ).format(region=region_name),
            t._("Programmes for {groups} need personal case managers, not only courses.").format(
                groups=_groups(target_groups, t)
            ),
            t._("Results of each programme should be published every year."),
            t._("Subsidised jobs crowd out regular hiring."),
            t._("Moving to another region for work should be supported financially."),
        ]
        return _spec(title, options, statements, t)

    return build
